//! Parse ImageKit-style transformation strings and apply them to images locally.
//!
//! ```
//! let t: pixmize_core::Transformation = "w-300,h-200,c-at_max:rt-90".parse()?;
//! assert_eq!(t.to_string(), "w-300,h-200,c-at_max:rt-90");
//! # Ok::<(), pixmize_core::ParseError>(())
//! ```
//!
//! # Crate features
//! The default features are the eight codec features marked *(default)*;
//! `default-features = false, features = ["jpeg", "png", "webp"]` builds
//! without C libraries.
//! * **jpeg** *(default)*: JPEG, pure Rust (zune-jpeg; jpeg-decoder for
//!   shrink-on-load; jpeg-encoder).
//! * **png** *(default)*: PNG.
//! * **webp** *(default)*: WebP, pure Rust (image-webp): decoding and
//!   lossless encoding.
//! * **gif** *(default)*: GIF (the first frame; no animation yet).
//! * **bmp** *(default)*: BMP.
//! * **tiff** *(default)*: TIFF.
//! * **turbojpeg** *(default)*: libjpeg-turbo, the system library found by
//!   pkg-config: JPEG decoding with IDCT scaling, baseline encoding
//!   (enables **jpeg**).
//! * **libwebp** *(default)*: libwebp (C, vendored, built by cc): lossy WebP
//!   encoding, faster decoding (enables **webp**).
//! * **avif**: AVIF encoding through ravif (pure Rust, slow to build).
//! * **dav1d**: AVIF decoding through libdav1d, the system library found by
//!   pkg-config, with avif-parse for the container.
//! * **serde**: `Serialize`/`Deserialize` for [`Transformation`] as its string form.
//! * **tokio**: run CPU work on tokio's blocking pool inside a runtime.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]

pub use crate::engine::EngineLimits;
pub use crate::error::{BoxError, Error, Limit, LimitExceeded, Result, Unsupported};
pub use crate::geometry::{Dimensions, Plan, PlanError, Rect};
pub use crate::local::LocalProcessor;
pub use crate::processor::{Job, Location, ProcessError, Processed, Processor, Support};
pub use crate::transform::{CloudOnly, Params, ParseError, ParseErrorKind, Step, Transformation};

pub mod codec;
mod engine;
mod error;
pub mod geometry;
mod local;
pub mod ops;
mod processor;
pub mod transform;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
