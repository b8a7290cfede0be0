//! The Pixmize privacy policy as typed data: the code asks it at run time
//! whether an image may leave the device, and the same data renders the
//! policy page.
//!
//! This crate is not built yet; see the project's issues.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]
