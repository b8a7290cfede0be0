//! Fuzzes the transformation parser: any string either parses, prints in a
//! canonical form that parses back to the same value, and plans on a few
//! image sizes without panicking; or fails with an offset inside the input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pixmize_core::geometry::{Dimensions, Plan, PlanContext, plan_with};
use pixmize_core::{Step, Transformation};

/// Sizes every step is planned on: ordinary, tiny, extreme aspect ratios,
/// and at the 100 MP input limit.
const SIZES: [(u32, u32); 6] =
    [(640, 865), (1, 1), (3, 2), (65_535, 1), (1, 65_535), (10_000, 10_000)];

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    match input.parse::<Transformation>() {
        Ok(t) => {
            let printed = t.to_string();
            let again: Transformation = match printed.parse() {
                Ok(a) => a,
                Err(e) => panic!("{printed:?}, printed from {input:?}, does not parse: {e}"),
            };
            assert_eq!(again, t, "{input:?} prints as {printed:?}, which parses differently");
            assert_eq!(again.to_string(), printed, "printing {printed:?} is not idempotent");
            let _ = t.cloud_only();
            for (w, h) in SIZES {
                plan_chain(&t, Dimensions::new(w, h), Dimensions::new(w, h));
            }
        }
        Err(e) => {
            assert!(e.offset() <= input.len(), "{input:?}: offset {} past the end", e.offset());
            assert!(input.is_char_boundary(e.offset()), "{input:?}: offset inside a character");
            let _ = e.to_string();
        }
    }
});

/// Plans every step (the branches of conditionals and the chains of layers
/// too), each on the previous step's output, and checks each plan.
fn plan_chain(t: &Transformation, original: Dimensions, mut current: Dimensions) {
    for step in t.steps() {
        match step {
            Step::Params(p) => {
                let ctx = PlanContext::new(original).with_current(current);
                if let Ok(plan) = plan_with(p, &ctx) {
                    check(&plan);
                    current = plan.output;
                }
                for layer in &p.layers {
                    plan_chain(layer.transformation(), original, original);
                }
            }
            Step::If(c) => {
                plan_chain(c.then(), original, current);
                if let Some(o) = c.otherwise() {
                    plan_chain(o, original, current);
                }
            }
            _ => {}
        }
    }
}

fn check(p: &Plan) {
    let c = p.crop;
    assert!(u64::from(c.x) + u64::from(c.width) <= u64::from(p.resize.width), "{p:?}");
    assert!(u64::from(c.y) + u64::from(c.height) <= u64::from(p.resize.height), "{p:?}");
    let w = u64::from(c.width) + u64::from(p.pad.left) + u64::from(p.pad.right);
    let h = u64::from(c.height) + u64::from(p.pad.top) + u64::from(p.pad.bottom);
    assert_eq!((w, h), (u64::from(p.output.width), u64::from(p.output.height)), "{p:?}");
    assert!(p.output.width > 0 && p.output.height > 0, "{p:?}");
    assert!(p.output.pixels() <= 100_000_000, "{p:?}");
}
