//! A complete ImageKit.io client: signed URLs, upload, the media API, purge and
//! webhooks, behind the same `Processor` trait as the local engine, plus an
//! offline ImageKit emulator.
//!
//! This crate is not built yet; see the project's issues.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]
