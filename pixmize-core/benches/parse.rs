//! Parsing and printing transformations: a typical short chain, a long one
//! (13 steps with layers, a conditional, expressions and effects) and a huge
//! one (the long chain 200 times, about 114 KB).
//!
//! `cargo bench -p pixmize-core --bench parse`. Throughput is in bytes of
//! the input; transformations per second are 1 / time per iteration.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pixmize_core::Transformation;

const SHORT: &str = "w-300,h-200,c-at_max:rt-90";

/// Thirteen steps: extraction by expressions, a conditional, crop and
/// format, an image layer, a text layer, effects, padding on a blurred
/// background, rotation, a gradient, corners and a border, a shadow.
const LONG: &str = "w-iw_div_2,h-ih_div_2,cm-extract,x-iw_mul_0.2,y-ih_mul_0.2\
:if-ar_gt_1_and_w_gte_800,w-800,if-else,h-800,if-end\
:w-600,h-400,c-maintain_ratio,fo-top_left,q-85,f-webp\
:l-image,i-logos@@brand.png,lx-N20,ly-N20,w-bw_mul_0.2,l-image,i-badge.png,lfo-top_right,l-end,l-end\
:l-text,i-Hello%20World,fs-32,co-FFFFFF,ff-Arial,pa-10_20,tg-b,bg-00000050,l-end\
:e-sharpen-10,e-contrast\
:w-900,h-900,cm-pad_resize,bg-blurred_auto_N30\
:rt-N90,fl-h\
:e-gradient-ld-top_right_from-red_to-00000000_sp-0.5\
:r-20,b-5_FFF000\
:e-shadow-bl-10_st-30_x-N5_y-5\
:e-usm-2-2-0.8-0.024,bl-2\
:dpr-2,pr-true,md-false";

fn huge() -> String {
    vec![LONG; 200].join(":")
}

fn bench(c: &mut Criterion) {
    let huge = huge();
    let inputs = [("short", SHORT.to_owned()), ("long", LONG.to_owned()), ("huge", huge)];
    for (name, input) in &inputs {
        let parsed: Transformation = input.parse().expect("the bench inputs parse");
        let printed = parsed.to_string();

        let mut group = c.benchmark_group(format!("parse/{name}/{}B", input.len()));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("bytes", |b| {
            b.iter(|| black_box(input.as_str()).parse::<Transformation>())
        });
        group.throughput(Throughput::Elements(1));
        group.bench_function("transformations", |b| {
            b.iter(|| black_box(input.as_str()).parse::<Transformation>())
        });
        group.finish();

        let mut group = c.benchmark_group(format!("print/{name}/{}B", printed.len()));
        group.throughput(Throughput::Bytes(printed.len() as u64));
        group.bench_function("bytes", |b| b.iter(|| black_box(&parsed).to_string()));
        group.throughput(Throughput::Elements(1));
        group.bench_function("transformations", |b| b.iter(|| black_box(&parsed).to_string()));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
