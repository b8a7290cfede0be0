//! Parse ImageKit-style transformation strings and apply them to images locally.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]
