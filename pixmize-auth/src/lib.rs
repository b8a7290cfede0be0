//! Clerk for Rust backends: session-token verification (JWKS or PEM), typed
//! claims, the Backend API, webhook (Svix) verification, plans and
//! entitlements.
//!
//! This crate is not built yet; see the project's issues.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]
