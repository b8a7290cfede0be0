//! Privacy-first image processing: one transformation language (ImageKit's
//! syntax) run on the device by a pure Rust engine or, when the privacy
//! policy, the user's plan and the user's own choice allow it, in the cloud.
//!
//! ```
//! use pixmize::engine::{Job, LocalProcessor, Transformation};
//! let photo = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/assets/seeding-1600x900.jpg"))?;
//! let t: Transformation = "w-400,h-300,c-at_max:e-grayscale".parse()?;
//! let out = LocalProcessor::new().process_sync(Job::new(photo, t))?;
//! assert_eq!((out.width, out.height), (400, 225));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With the `router` feature, [`Hybrid`] decides per job whether it runs on
//! the device or in the cloud, asking the privacy policy and the user's plan
//! first and recording every decision; see the `hybrid` example.
//!
//! # Crate features
//! * **jpeg**, **png**, **webp**, **gif**, **bmp**, **tiff**, **turbojpeg**,
//!   **libwebp** *(default)*: codecs of the engine (see `pixmize-core`).
//! * **avif**: AVIF encoding (rav1e). **dav1d**: AVIF decoding (the system
//!   libdav1d). **tokio**: engine work on tokio's blocking pool (on with
//!   **router**).
//! * **imagekit**: [`imagekit`], the ImageKit client. **emulator**: its
//!   offline emulator.
//! * **auth**: [`auth`], Clerk session verification and plans.
//! * **policy**: [`policy`], the privacy policy as data.
//! * **router**: [`Hybrid`], processing records and account rights
//!   (implies `auth` and `policy`).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]

/// The engine: the transformation language, geometry, codecs, operations
/// and the [`Processor`](pixmize_core::Processor) trait.
pub use pixmize_core as engine;

#[cfg(feature = "imagekit")]
pub use pixmize_imagekit as imagekit;

#[cfg(feature = "auth")]
pub use pixmize_auth as auth;

#[cfg(feature = "policy")]
pub use pixmize_policy as policy;

#[cfg(feature = "router")]
pub use crate::error::{BoxError, Denied, Error, Rule};
#[cfg(all(feature = "router", feature = "imagekit"))]
pub use crate::hybrid::ImageKitCloud;
#[cfg(feature = "router")]
pub use crate::hybrid::{
    CloudProcessor, Context, Hybrid, HybridBuilder, IMAGE_PROCESSING, Preference, Routed,
    check_allow, user_folder,
};
#[cfg(feature = "router")]
pub use crate::record::{
    JsonLinesSink, MemorySink, Outcome, ProcessingRecord, RecordSink, redacted,
};
#[cfg(feature = "router")]
pub use crate::rights::{
    AccountExport, AccountRights, DeletionReport, EXPORT_FORMAT, EXPORT_VERSION, InvalidUserId,
    StoredFile, UserId,
};

#[cfg(feature = "router")]
mod error;
#[cfg(feature = "router")]
mod hybrid;
#[cfg(feature = "router")]
mod record;
#[cfg(feature = "router")]
mod rights;

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "router", feature = "imagekit"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
