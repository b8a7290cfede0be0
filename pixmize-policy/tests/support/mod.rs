//! Helpers shared by the integration tests.
#![allow(dead_code)]

use pixmize_policy::{PIXMIZE_TOML, Policy};

/// The Pixmize policy with each `(from, to)` replaced once; panics if a
/// `from` is missing, so a fixture can never silently test nothing.
pub(crate) fn pixmize_toml_with(edits: &[(&str, &str)]) -> String {
    let mut text = PIXMIZE_TOML.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "fixture edit not found: {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

/// As [`pixmize_toml_with`], parsed and validated.
pub(crate) fn pixmize_with(edits: &[(&str, &str)]) -> Policy {
    let text = pixmize_toml_with(edits);
    match Policy::from_toml(&text) {
        Ok(p) => p,
        Err(e) => panic!("fixture does not validate: {e}"),
    }
}
