//! Codec benchmarks: decode (full and shrink-on-load), encode per format,
//! and how fast a decompression bomb is refused.
//!
//! Inputs are built in code (a 3000×2000 synthetic photo); the real photos
//! of `../shared/images` are added when present. Names look like
//! `decode/jpeg/3000x2000/scale-1_4` and `encode/webp-lossy/800x450-q80`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use image::{DynamicImage, ImageBuffer, Rgb};
use pixmize_core::codec::{self, DecodeOptions, EncodeOptions, ImageFormat, Limits, Metadata};
use pixmize_core::{Job, LocalProcessor, Transformation};

/// A smooth picture with some texture, so the encoders have real work.
fn synthetic(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(ImageBuffer::from_fn(w, h, |x, y| {
        let t = ((x * 7 + y * 13) % 31) as u8;
        Rgb([(x * 255 / w) as u8 ^ t, (y * 255 / h) as u8, ((x + y) % 256) as u8 / 2 + t])
    }))
}

fn shared_images() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PIXMIZE_SHARED_IMAGES") {
        return Some(PathBuf::from(p));
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/images"))
        .find(|p| p.is_dir())
}

fn encode(img: &DynamicImage, format: ImageFormat, lossless: bool, progressive: bool) -> Vec<u8> {
    let mut o = EncodeOptions::new(format);
    o.lossless = lossless;
    o.progressive = progressive;
    codec::encode(img, &o, &Metadata::default()).expect("encode")
}

fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]); // CRC not checked by the probe
    b.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
    b
}

fn decode_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    let img = synthetic(3000, 2000);
    let mut inputs: Vec<(String, Vec<u8>)> = vec![
        ("jpeg/3000x2000".into(), encode(&img, ImageFormat::Jpeg, false, false)),
        ("jpeg-progressive/3000x2000".into(), encode(&img, ImageFormat::Jpeg, false, true)),
        ("png/3000x2000".into(), encode(&img, ImageFormat::Png, false, false)),
        ("webp-lossless/3000x2000".into(), encode(&img, ImageFormat::Webp, true, false)),
    ];
    if ImageFormat::Webp.can_encode() {
        inputs.push(("webp-lossy/3000x2000".into(), encode(&img, ImageFormat::Webp, false, false)));
    }
    match shared_images() {
        Some(dir) => {
            for name in [
                "seeding-5312x2988.jpg",
                "adwaita-l-4096x4096.webp",
                "emerald-logo-1689x1800-alpha.png",
            ] {
                if let Ok(bytes) = std::fs::read(dir.join(name)) {
                    inputs.push((format!("photo/{name}"), bytes));
                }
            }
        }
        None => eprintln!("codec bench: ../shared/images not found, real photos skipped"),
    }
    for (name, bytes) in &inputs {
        g.bench_function(format!("{name}/full"), |b| {
            b.iter(|| codec::decode(black_box(bytes), &DecodeOptions::default()).expect("decode"))
        });
        if name.contains("jpeg") || name.ends_with(".jpg") {
            let info = codec::probe(bytes, &Limits::default()).expect("probe");
            for denom in [2, 4, 8] {
                let opts = DecodeOptions::with_min_size(info.width / denom, info.height / denom);
                g.bench_function(format!("{name}/scale-1_{denom}"), |b| {
                    b.iter(|| codec::decode(black_box(bytes), &opts).expect("decode"))
                });
            }
        }
    }
    g.finish();
}

fn encode_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    g.sample_size(20).measurement_time(Duration::from_secs(2));
    let img = synthetic(800, 450);
    let mut cases = vec![
        ("jpeg/800x450-q80", ImageFormat::Jpeg, false, false),
        ("jpeg-progressive/800x450-q80", ImageFormat::Jpeg, false, true),
        ("png/800x450", ImageFormat::Png, false, false),
        ("png-lo/800x450", ImageFormat::Png, true, false),
        ("webp-lossless/800x450", ImageFormat::Webp, true, false),
        ("gif/800x450", ImageFormat::Gif, false, false),
    ];
    if ImageFormat::Webp.can_encode() {
        cases.push(("webp-lossy/800x450-q80", ImageFormat::Webp, false, false));
    }
    if ImageFormat::Avif.can_encode() {
        cases.push(("avif/800x450-q80", ImageFormat::Avif, false, false));
    }
    for (name, format, lossless, progressive) in cases {
        let mut o = EncodeOptions::new(format);
        o.lossless = lossless;
        o.progressive = progressive;
        g.bench_function(name, |b| {
            b.iter(|| codec::encode(black_box(&img), &o, &Metadata::default()).expect("encode"))
        });
    }
    g.finish();
}

fn limit_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("limits");
    let bomb = png_bomb(100_000, 100_000);
    g.bench_function("png-bomb/100000x100000", |b| {
        b.iter(|| {
            codec::decode(black_box(&bomb), &DecodeOptions::default()).expect_err("must be refused")
        })
    });
    let mut jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0xFD, 0xE8, 0xFD, 0xE8, 3, 1, 0x22, 0, 2, 0x11, 1, 3,
        0x11, 1,
    ];
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    g.bench_function("jpeg-bomb/65000x65000", |b| {
        b.iter(|| {
            codec::decode(black_box(&jpeg), &DecodeOptions::default()).expect_err("must be refused")
        })
    });
    g.finish();
}

/// The thumbnail job of issue 3 in-process, through the product's own path:
/// `LocalProcessor::process_sync` with `w-{width},q-80` (probe, plan,
/// decode with shrink-on-load, Lanczos3 resize, JPEG q80, metadata
/// stripped). The input is copied into each `Job` (about 0.1 ms for the
/// 16 MP photo), as a caller handing over its bytes would.
/// `PIXMIZE_BENCH_IMAGE` and `PIXMIZE_BENCH_WIDTH` choose the job
/// (bench/compare.sh sets them); default: the 16 MP photo of
/// `../shared/images` to 800 px, or a synthetic 5312×2988 JPEG without it.
fn pipeline_benches(c: &mut Criterion) {
    let width: u32 =
        std::env::var("PIXMIZE_BENCH_WIDTH").ok().and_then(|w| w.parse().ok()).unwrap_or(800);
    let (name, bytes) = match std::env::var_os("PIXMIZE_BENCH_IMAGE")
        .map(PathBuf::from)
        .or_else(|| shared_images().map(|d| d.join("seeding-5312x2988.jpg")))
        .and_then(|p| {
            Some((p.file_name()?.to_string_lossy().into_owned(), std::fs::read(&p).ok()?))
        }) {
        Some(found) => found,
        None => (
            "synthetic-5312x2988.jpg".to_string(),
            encode(&synthetic(5312, 2988), ImageFormat::Jpeg, false, false),
        ),
    };
    let transformation: Transformation =
        format!("w-{width},q-80").parse().expect("a valid transformation");
    let engine = LocalProcessor::new();
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function(format!("thumb/{name}/w-{width}-q80"), |b| {
        b.iter(|| {
            let out = engine
                .process_sync(Job::new(black_box(&bytes[..]), transformation.clone()))
                .expect("process");
            assert_eq!((out.width, out.format), (width, ImageFormat::Jpeg));
            out
        })
    });
    g.finish();
}

criterion_group!(benches, decode_benches, encode_benches, limit_benches, pipeline_benches);
criterion_main!(benches);
