//! Fuzz target: `codec::decode` must return `Ok` or a typed error for any
//! input, never panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pixmize_core::codec::{self, DecodeOptions, Limits};

fuzz_target!(|data: &[u8]| {
    // A small pixel budget keeps each run fast; the limit logic itself is
    // what a bomb exercises, whatever the budget.
    let mut limits = Limits::default();
    limits.max_pixels = 1_000_000;
    let mut options = DecodeOptions::default();
    options.limits = limits;
    if let Ok(decoded) = codec::decode(data, &options) {
        assert!(decoded.image.width() > 0 && decoded.image.height() > 0);
    }
    // again with shrink-on-load, which takes other decoder paths for JPEG
    options.min_size = Some((16, 16));
    let _ = codec::decode(data, &options);
    let _ = codec::probe(data, &limits);
});
