//! The whole pipeline in process: decode, resize, encode. The headline job
//! is issue 3's: a 16 MP JPEG to an 800 px wide JPEG at q80, one thread.
//! The large photos come from `../shared/images` when present; the bundled
//! 1600×900 sample always runs.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pixmize::engine::ops;
use pixmize::engine::{Job, LocalProcessor, Transformation};

fn shared(name: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/images").join(name);
    let bytes = std::fs::read(&path).ok();
    if bytes.is_none() {
        eprintln!("skipped: {} is not available", path.display());
    }
    bytes
}

fn pipeline(c: &mut Criterion) {
    let engine = LocalProcessor::new();
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(20);
    let sample =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/assets/seeding-1600x900.jpg"))
            .expect("bundled sample");
    let mut jobs = vec![("sample-1600x900-to-800/jpeg-q80", sample, "w-800,q-80")];
    if let Some(photo) = shared("seeding-5312x2988.jpg") {
        jobs.push(("jpeg-5312x2988-to-800/jpeg-q80", photo.clone(), "w-800,q-80"));
        jobs.push(("jpeg-5312x2988-to-800/webp-q80", photo, "w-800,q-80,f-webp"));
    }
    if let Some(webp) = shared("adwaita-l-4096x4096.webp") {
        jobs.push(("webp-4096x4096-to-800/jpeg-q80", webp, "w-800,q-80,f-jpg"));
    }
    if let Some(png) = shared("emerald-logo-1689x1800-alpha.png") {
        jobs.push(("png-alpha-1689x1800-to-400/png", png, "w-400"));
    }
    for (name, input, tr) in jobs {
        let t: Transformation = tr.parse().expect("transformation");
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                engine.process_sync(Job::new(black_box(input.clone()), t.clone())).expect("process")
            })
        });
    }
    group.finish();
}

fn resize(c: &mut Criterion) {
    let Some(photo) = shared("seeding-5312x2988.jpg") else { return };
    let img = ops::normalize(image::load_from_memory(&photo).expect("decode"));
    let mut group = c.benchmark_group("resize");
    group.sample_size(20);
    group.bench_function("lanczos3/5312x2988-800x450", |b| {
        b.iter(|| {
            ops::resample(black_box(&img), (0.0, 0.0, 5312.0, 2988.0), 800, 450).expect("resize")
        })
    });
    group.finish();
}

criterion_group!(benches, pipeline, resize);
criterion_main!(benches);
