//! Parse ImageKit-style transformation strings and apply them to images locally.
//!
//! ```
//! let t: pixmize_core::Transformation = "w-300,h-200,c-at_max:rt-90".parse()?;
//! assert_eq!(t.to_string(), "w-300,h-200,c-at_max:rt-90");
//! # Ok::<(), pixmize_core::ParseError>(())
//! ```
//!
//! # Crate features
//! * **jpeg**, **png**, **webp** *(default)*: codecs.
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
