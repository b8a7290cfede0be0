//! Privacy-first image processing: one transformation language (ImageKit's
//! syntax) run on the device by a pure Rust engine or, when the policy, the
//! user's plan and the user's choice allow it, in the cloud.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]

pub use pixmize_core as engine;

#[cfg(feature = "imagekit")]
pub use pixmize_imagekit as imagekit;

#[cfg(feature = "auth")]
pub use pixmize_auth as auth;

#[cfg(feature = "policy")]
pub use pixmize_policy as policy;
