//! Fuzz target: the whole engine. The input is `transformation \0 image`
//! (or just an image, run through a fixed set of transformations): any
//! input must give `Ok` or a typed error — never a panic, a hang or an
//! unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pixmize_core::codec::Limits;
use pixmize_core::{EngineLimits, Job, LocalProcessor, Transformation};

const FIXED: &[&str] = &[
    "w-32",
    "w-40,h-40,cm-pad_resize,bg-blurred",
    "w-16,h-16,cm-extract,fo-bottom_right:rt-45",
    "t-true:r-max,b-2_red,e-sharpen,e-contrast,o-50,f-png",
    "w-0.5,e-gradient,e-shadow:fl-h_v,bl-3,f-webp,lo-true",
];

fuzz_target!(|data: &[u8]| {
    // Small budgets keep each run fast; the checks are the same at any size.
    let mut limits = EngineLimits::default();
    let mut input = Limits::default();
    input.max_pixels = 1_000_000;
    limits.input = input;
    limits.geometry.max_pixels = 4_000_000;
    limits.geometry.max_side = 4096;
    let engine = LocalProcessor::with_limits(limits);
    let (transformations, image): (Vec<Transformation>, &[u8]) = match data.iter().position(|&b| b == 0) {
        Some(i) => match std::str::from_utf8(&data[..i]).ok().and_then(|s| s.parse().ok()) {
            Some(t) => (vec![t], &data[i + 1..]),
            None => return,
        },
        None => (FIXED.iter().filter_map(|s| s.parse().ok()).collect(), data),
    };
    for t in transformations {
        if let Ok(out) = engine.process_sync(Job::new(image.to_vec(), t)) {
            assert!(out.width > 0 && out.height > 0);
            assert_eq!(pixmize_core::codec::detect(&out.bytes), Some(out.format));
        }
    }
});
