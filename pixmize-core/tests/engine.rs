//! The local engine end to end: real photos in, ImageKit-exact sizes out.

mod support;

use image::{DynamicImage, GenericImageView, ImageFormat as IF, Rgba, RgbaImage};
use pixmize_core::codec::{self, DecodeOptions, ImageFormat};
use pixmize_core::geometry::GeometryLimits;
use pixmize_core::{
    EngineLimits, Error, Job, Limit, LocalProcessor, Processed, Processor, Support, Transformation,
    ops,
};

fn run(input: &[u8], tr: &str) -> Result<pixmize_core::Processed, Error> {
    LocalProcessor::new()
        .process_sync(Job::new(input.to_vec(), tr.parse::<Transformation>().unwrap()))
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

/// Output sizes for every crop strategy and mode, on the 1600×900 sample
/// (the expected values follow ImageKit's documented geometry; see
/// geometry.rs for the choices).
#[test]
fn every_strategy_gives_the_planned_size() {
    let input = support::sample_jpeg();
    let cases: &[(&str, (u32, u32))] = &[
        ("w-400", (400, 225)),
        ("h-300", (533, 300)),
        ("w-400,h-400", (400, 400)),
        ("w-400,h-400,c-maintain_ratio", (400, 400)),
        ("w-2000,h-2000,c-maintain_ratio_no_enlarge", (900, 900)),
        ("w-400,h-100,c-force", (400, 100)),
        ("w-400,h-400,c-at_max", (400, 225)),
        ("w-3200,h-3200,c-at_max", (1600, 900)),
        ("w-3200,h-3200,c-at_max_enlarge", (3200, 1800)),
        ("w-400,h-400,c-at_least", (711, 400)),
        ("w-400,h-400,cm-pad_resize", (400, 400)),
        ("w-3200,h-3200,cm-pad_resize_no_enlarge", (3200, 3200)),
        ("w-300,h-200,cm-extract", (300, 200)),
        ("w-300,h-200,cm-extract,x-10,y-20", (300, 200)),
        ("w-300,h-200,cm-extract,xc-800,yc-450", (300, 200)),
        ("w-2000,h-1000,cm-pad_extract", (2000, 1000)),
        ("w-1000,h-1000,cm-pad_extract_no_shrink", (1600, 1000)),
        ("w-0.25", (400, 225)),
        ("w-400,ar-1-1", (400, 400)),
        ("w-200,h-100,c-force,dpr-2", (400, 200)),
        ("w-iw_div_4,h-ih_div_4", (400, 225)),
        ("w-400:w-cw_div_2", (200, 113)),
        ("w-400:rt-90", (225, 400)),
        ("w-400,b-10_FF0000", (420, 245)),
        ("w-400:t-true", (400, 225)),
        ("if-ar_gt_1,w-100,if-else,w-50,if-end", (100, 56)),
        ("if-ar_lt_1,w-100,if-else,w-50,if-end", (50, 28)),
        ("w-200,rt-45", (221, 221)), // (200 + 113) × cos 45°
    ];
    for (tr, (w, h)) in cases {
        let out = run(&input, tr).unwrap_or_else(|e| panic!("{tr}: {e}"));
        assert_eq!((out.width, out.height), (*w, *h), "{tr}");
        let img = decode(&out.bytes);
        assert_eq!(img.dimensions(), (*w, *h), "{tr}: the encoded file's size");
    }
}

#[test]
fn the_sixteen_megapixel_photo_resizes_exactly() {
    let Some(input) = support::shared_image(
        "the_sixteen_megapixel_photo_resizes_exactly",
        "seeding-5312x2988.jpg",
    ) else {
        return;
    };
    for (tr, size) in [
        ("w-800", (800, 450)),
        ("w-300,h-300", (300, 300)),
        ("w-300,h-200,c-at_max", (300, 169)),
        ("w-300,h-200,c-at_least", (356, 200)),
        ("w-500,h-400,cm-pad_resize,bg-blurred", (500, 400)),
        ("w-1000,h-1000,cm-extract,fo-bottom_right", (1000, 1000)),
    ] {
        let out = run(&input, tr).unwrap_or_else(|e| panic!("{tr}: {e}"));
        assert_eq!((out.width, out.height), size, "{tr}");
        assert_eq!(out.format, ImageFormat::Jpeg);
    }
}

#[test]
fn resizing_keeps_the_picture() {
    // A 1/4 downscale must look like the source downscaled: compare the mean
    // colour of each quadrant within a small tolerance.
    let input = support::sample_jpeg();
    let src = decode(&input).to_rgb8();
    let out = decode(&run(&input, "w-400,f-png").unwrap().bytes).to_rgb8();
    let mean = |img: &image::RgbImage, qx: u32, qy: u32| -> [f64; 3] {
        let (w, h) = (img.width() / 2, img.height() / 2);
        let mut sum = [0f64; 3];
        for y in qy * h..(qy + 1) * h {
            for x in qx * w..(qx + 1) * w {
                for (total, v) in sum.iter_mut().zip(img.get_pixel(x, y).0) {
                    *total += f64::from(v);
                }
            }
        }
        sum.map(|s| s / f64::from(w * h))
    };
    for (qx, qy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
        let (a, b) = (mean(&src, qx, qy), mean(&out, qx, qy));
        for (c, (a, b)) in a.iter().zip(b).enumerate() {
            assert!((a - b).abs() < 2.0, "quadrant {qx},{qy} channel {c}: {a} vs {b}");
        }
    }
}

fn transparent_logo() -> Vec<u8> {
    let img = RgbaImage::from_fn(120, 80, |x, y| {
        if (30..90).contains(&x) && (20..60).contains(&y) {
            Rgba([0, 128, 255, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    support::encode(&DynamicImage::ImageRgba8(img), IF::Png)
}

#[test]
fn alpha_is_kept_where_the_format_allows() {
    let logo = transparent_logo();
    let png = run(&logo, "w-60").unwrap();
    assert_eq!(png.format, ImageFormat::Png, "f-auto keeps an alpha-capable format");
    assert_eq!(decode(&png.bytes).to_rgba8().get_pixel(0, 0).0[3], 0);
    let jpg = run(&logo, "w-60,f-jpg,bg-FFFFFF").unwrap();
    assert_eq!(jpg.format, ImageFormat::Jpeg);
    let px = decode(&jpg.bytes).to_rgb8().get_pixel(0, 0).0;
    assert!(px.iter().all(|&v| v > 245), "flattened onto bg: {px:?}");
    let webp = run(&logo, "w-60,f-webp").unwrap();
    assert_eq!(decode(&webp.bytes).to_rgba8().get_pixel(0, 0).0[3], 0, "WebP keeps alpha");
}

#[test]
fn real_alpha_png_and_webp_inputs() {
    if let Some(png) =
        support::shared_image("real_alpha_png_and_webp_inputs", "emerald-logo-1689x1800-alpha.png")
    {
        let out = run(&png, "w-300").unwrap();
        assert_eq!((out.format, out.width, out.height), (ImageFormat::Png, 300, 320));
        assert!(
            decode(&out.bytes).to_rgba8().pixels().any(|p| p.0[3] == 0),
            "transparency survives"
        );
    }
    if let Some(webp) =
        support::shared_image("real_alpha_png_and_webp_inputs", "adwaita-l-4096x4096.webp")
    {
        let out = run(&webp, "w-512,h-256,f-jpg").unwrap();
        assert_eq!((out.format, out.width, out.height), (ImageFormat::Jpeg, 512, 256));
    }
}

#[test]
fn every_format_round_trips() {
    let input = support::sample_jpeg();
    for (f, format) in [
        ("jpg", ImageFormat::Jpeg),
        ("png", ImageFormat::Png),
        ("webp", ImageFormat::Webp),
        ("gif", ImageFormat::Gif),
    ] {
        let out = run(&input, &format!("w-160,f-{f}")).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(out.format, format);
        assert_eq!(pixmize_core::codec::detect(&out.bytes), Some(format), "{f}: magic number");
        let back = run(&out.bytes, "w-80,f-png").unwrap_or_else(|e| panic!("{f} back: {e}"));
        assert_eq!((back.width, back.height), (80, 45), "{f}");
    }
}

#[test]
fn f_orig_keeps_the_input_format_and_auto_follows_accept() {
    let logo = transparent_logo();
    assert_eq!(run(&logo, "w-50,f-orig").unwrap().format, ImageFormat::Png);
    let input = support::sample_jpeg();
    assert_eq!(run(&input, "w-50").unwrap().format, ImageFormat::Jpeg);
    let t: Transformation = "w-50,f-auto".parse().unwrap();
    let job = Job::new(input, t).accept([ImageFormat::Webp, ImageFormat::Jpeg]);
    assert_eq!(LocalProcessor::new().process_sync(job).unwrap().format, ImageFormat::Webp);
}

#[test]
fn orig_true_returns_the_input_untouched() {
    let input = support::sample_jpeg();
    let out = run(&input, "w-100,orig-true").unwrap();
    assert_eq!(out.bytes, input);
    assert_eq!((out.width, out.height), (1600, 900));
}

#[test]
fn truncated_and_corrupted_inputs_give_typed_errors() {
    let jpeg = support::sample_jpeg();
    let png = transparent_logo();
    for input in [&jpeg, &png] {
        for cut in [0, 1, 4, 16, 100, input.len() / 3, input.len() / 2, input.len() - 10] {
            match run(&input[..cut], "w-50") {
                Err(Error::UnknownFormat | Error::Decode { .. }) => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        let mut corrupt = input.clone();
        for i in (20..corrupt.len()).step_by(97) {
            corrupt[i] ^= 0x5A;
        }
        // Must not panic; an error, if any, is a typed decode error.
        if let Err(e) = run(&corrupt, "w-50") {
            // A corrupted header may claim an absurd size: a limit error.
            assert!(
                matches!(e, Error::Decode { .. } | Error::UnknownFormat | Error::Limit(_)),
                "{e:?}"
            );
        }
    }
    assert!(matches!(run(b"definitely not an image", "w-1"), Err(Error::UnknownFormat)));
}

#[test]
fn cloud_only_parameters_are_reported_and_refused() {
    let engine = LocalProcessor::new();
    let t: Transformation = "w-100:e-bgremove".parse().unwrap();
    match engine.supports(&t) {
        Support::NeedsCloud(missing) => {
            assert_eq!(missing.len(), 1);
            assert_eq!((missing[0].step, missing[0].key), (1, "e-bgremove"));
        }
        other => panic!("e-bgremove cannot run locally: {other:?}"),
    }
    let err = engine.process_sync(Job::new(support::sample_jpeg(), t)).unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
    assert!(engine.supports(&"w-100,h-100,bg-blurred,e-sharpen,r-max".parse().unwrap()).is_full());
}

#[test]
fn plan_errors_surface_before_decoding() {
    let err = run(&support::sample_jpeg(), "w-300,h-300,cm-extract,xc-10,yc-10").unwrap_err();
    assert!(
        matches!(err, Error::Plan(pixmize_core::PlanError::RegionOutsideImage { .. })),
        "{err:?}"
    );
}

#[test]
fn processor_runs_with_and_without_a_runtime() {
    let engine = LocalProcessor::new();
    let job = || Job::new(support::sample_jpeg(), "w-64".parse().unwrap());
    let out = support::block_on(engine.process(job())).unwrap();
    assert_eq!(out.width, 64);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let out = rt.block_on(async { engine.process(job()).await }).unwrap();
    assert_eq!((out.width, out.height), (64, 36));
    assert!(out.location.is_device());
}

/// With a Tokio runtime the CPU work runs on the blocking pool. On a
/// single-threaded runtime, a future joined after `process` gets polled
/// while the processing is still under way; were the work done inside
/// `poll`, that neighbour would only run once the image was finished.
#[cfg(feature = "tokio")]
#[test]
fn processing_keeps_off_the_async_executor() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let engine = LocalProcessor::new();
    let neighbour_ran = AtomicBool::new(false);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let job = Job::new(support::sample_jpeg(), "w-800,e-sharpen".parse().unwrap());
        let process = async {
            let out = engine.process(job).await.unwrap();
            (out, neighbour_ran.load(Ordering::SeqCst))
        };
        let neighbour = async { neighbour_ran.store(true, Ordering::SeqCst) };
        let ((out, neighbour_ran_first), ()) = tokio::join!(process, neighbour);
        assert!(neighbour_ran_first, "the executor thread was blocked by the processing");
        assert_eq!(out.width, 800);
    });
}

/// `f-webp` means lossy WebP, which needs the `libwebp` feature; lossless
/// (`lo-true`) is pure Rust and runs wherever `webp` is on (wasm32 too).
#[cfg(feature = "webp")]
#[test]
fn lossless_webp_runs_without_libwebp() {
    let engine = LocalProcessor::new();
    let lossless: Transformation = "w-64,f-webp,lo-true".parse().unwrap();
    assert!(engine.supports(&lossless).is_full());
    let out = engine.process_sync(Job::new(support::sample_jpeg(), lossless)).unwrap();
    assert_eq!((out.format, out.width), (ImageFormat::Webp, 64));
    let lossy: Transformation = "w-64,f-webp".parse().unwrap();
    assert_eq!(engine.supports(&lossy).is_full(), cfg!(feature = "libwebp"));
    // the last `lo` wins, as in the engine
    let relapsed: Transformation = "f-webp,lo-true:w-64,lo-false".parse().unwrap();
    assert_eq!(engine.supports(&relapsed).is_full(), cfg!(feature = "libwebp"));
}

#[test]
fn debug_never_prints_image_bytes() {
    let job = Job::new(vec![0xAB; 4096], "w-1".parse().unwrap());
    let text = format!("{job:?}");
    assert!(text.contains("<4096 bytes>"), "{text}");
    assert!(text.len() < 200);
}

// ---------------------------------------------------------------- output limits

fn run_limited(input: &[u8], tr: &str, geometry: GeometryLimits) -> Result<Processed, Error> {
    let mut limits = EngineLimits::default();
    limits.geometry = geometry;
    LocalProcessor::with_limits(limits)
        .process_sync(Job::new(input.to_vec(), tr.parse::<Transformation>().unwrap()))
}

fn geometry(max_pixels: u64, max_side: u32) -> GeometryLimits {
    let mut g = GeometryLimits::default();
    g.max_pixels = max_pixels;
    g.max_side = max_side;
    g
}

/// Every oversized output is a typed `Error::Limit` naming the output limit,
/// whether the planner, a rotation or a border makes it too large.
#[test]
fn oversized_outputs_are_typed_limit_errors() {
    let input = support::sample_jpeg(); // 1600×900
    let cases: &[(&str, GeometryLimits, (Limit, u64, u64))] = &[
        // the geometry's pixel budget also bounds the image a step starts from
        ("w-200", geometry(10_000, 65_535), (Limit::InputPixels, 1600 * 900, 10_000)),
        // planned by the resize (a requested side over `max_side` is ignored,
        // as ImageKit ignores sides over 65535, so only pixels can overflow)
        (
            "w-3200,h-3200,c-at_max_enlarge",
            geometry(2_000_000, 65_535),
            (Limit::OutputPixels, 3200 * 1800, 2_000_000),
        ),
        (
            "w-3000,h-3000,cm-pad_resize",
            geometry(4_000_000, 65_535),
            (Limit::OutputPixels, 9_000_000, 4_000_000),
        ),
        // a rotation that is not a multiple of 90° grows the canvas: 1200×675
        // turned by 45° needs 1326×1326, checked before it is allocated
        (
            "w-1200:rt-45",
            geometry(1_500_000, 65_535),
            (Limit::OutputPixels, 1326 * 1326, 1_500_000),
        ),
        ("w-400:rt-30", geometry(100_000_000, 450), (Limit::OutputSide, 459, 450)),
        // a border grows it too
        ("w-400,b-60_FF0000", geometry(100_000_000, 500), (Limit::OutputSide, 520, 500)),
    ];
    for (tr, limits, want) in cases {
        match run_limited(&input, tr, *limits) {
            Err(Error::Limit(e)) => assert_eq!((e.limit, e.actual, e.max), *want, "{tr}"),
            other => panic!("{tr}: expected an output limit error, got {other:?}"),
        }
    }
    // the same transformations pass with the default limits, at the sizes
    // the errors named
    assert_eq!(
        ops::rotated_size(1200, 675, 45),
        (1326, 1326),
        "the size checked is the size rotate() allocates"
    );
    let out = run(&input, "w-1200:rt-45").unwrap();
    assert_eq!((out.width, out.height), (1326, 1326));
    let out = run(&input, "w-400:rt-30").unwrap();
    assert_eq!(out.width.max(out.height), 459);
    // rotations by right angles never grow the pixel count
    let out = run_limited(&input, "w-400:rt-90", geometry(1600 * 900, 400)).unwrap();
    assert_eq!((out.width, out.height), (225, 400));
}

// ---------------------------------------------------------------- metadata through the engine

/// A 160×90 JPEG of the sample with EXIF (camera, GPS, `orientation`), XMP,
/// an ICC profile and a comment. With orientation 6 it shows as 90×160.
fn jpeg_with_everything(orientation: u16) -> Vec<u8> {
    let small = decode(&support::sample_jpeg()).resize_exact(
        160,
        90,
        image::imageops::FilterType::Triangle,
    );
    let jpeg = support::encode(&DynamicImage::ImageRgb8(small.to_rgb8()), IF::Jpeg);
    support::jpeg_with_metadata(&jpeg, &support::exif_with_gps(orientation))
}

fn exif_tags(bytes: &[u8]) -> Vec<(exif::Tag, String)> {
    let Ok(e) = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) else {
        return Vec::new();
    };
    e.fields().map(|f| (f.tag, f.display_value().to_string())).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `md-true` and `cp-true` through `LocalProcessor`, for every output
/// format that carries metadata: stripped by default, EXIF (GPS included)
/// and XMP kept with `md-true` (orientation reset to 1, the pixels being
/// upright), the ICC profile only with `cp-true`.
#[test]
fn md_true_and_cp_true_through_the_engine() {
    let input = jpeg_with_everything(1);
    let formats: &[&str] =
        if ImageFormat::Webp.can_encode() { &["jpg", "png", "webp"] } else { &["jpg", "png"] };
    for f in formats {
        let stripped = run(&input, &format!("w-64,f-{f}")).unwrap().bytes;
        assert!(exif_tags(&stripped).is_empty(), "f-{f}: EXIF stripped by default");
        for marker in [
            &b"PixmizeCam"[..],
            b"PixmizeXmpMarker",
            b"pixmize-icc-marker",
            support::COMMENT.as_bytes(),
        ] {
            assert!(
                !contains(&stripped, marker),
                "f-{f}: {} stripped",
                String::from_utf8_lossy(marker)
            );
        }

        for tr in [format!("w-64,f-{f},md-true"), format!("w-64,f-{f}:md-true")] {
            let kept = run(&input, &tr).unwrap().bytes;
            let tags = exif_tags(&kept);
            let get = |tag| tags.iter().find(|(t, _)| *t == tag).map(|(_, v)| v.clone());
            assert!(get(exif::Tag::GPSLatitude).is_some(), "{tr}: GPS kept: {tags:?}");
            assert_eq!(get(exif::Tag::Make).as_deref(), Some("\"PixmizeCam\""), "{tr}");
            assert!(contains(&kept, b"PixmizeXmpMarker"), "{tr}: XMP kept");
            assert!(!contains(&kept, b"pixmize-icc-marker"), "{tr}: no ICC without cp-true");
        }

        let profile = run(&input, &format!("w-64,f-{f},cp-true")).unwrap().bytes;
        assert!(exif_tags(&profile).is_empty(), "f-{f},cp-true: no EXIF");
        let d = codec::decode(&profile, &DecodeOptions::default()).unwrap();
        assert_eq!(d.metadata.icc.as_deref(), Some(support::FAKE_ICC), "f-{f}: ICC kept");

        let both = run(&input, &format!("w-64,f-{f},md-true,cp-true")).unwrap().bytes;
        let d = codec::decode(&both, &DecodeOptions::default()).unwrap();
        assert!(d.metadata.exif.is_some() && d.metadata.icc.is_some(), "f-{f}: both kept");
    }

    // orientation 6: the output is upright, and its kept EXIF says so
    let rotated = jpeg_with_everything(6);
    let out = run(&rotated, "w-45,md-true").unwrap();
    assert_eq!((out.width, out.height), (45, 80), "turned upright before resizing");
    let tags = exif_tags(&out.bytes);
    let orientation = tags.iter().find(|(t, _)| *t == exif::Tag::Orientation);
    assert_eq!(
        orientation.map(|(_, v)| v.as_str()),
        Some("row 0 at top and column 0 at left"),
        "{tags:?}"
    );
}

// ---------------------------------------------------------------- reference outputs

/// Reference outputs: known transformations of the bundled sample, written
/// as PNG to `tests/support/reference/` and compared by mean absolute error
/// per channel value (0–255) of at most [`REFERENCE_TOLERANCE`]. The
/// references were made by this engine and checked by eye; the tolerance
/// absorbs decoder and SIMD differences between machines and builds
/// (libjpeg-turbo versions, pure-Rust decoding) while a changed kernel, a
/// shifted crop or a wrong colour fails. `PIXMIZE_BLESS=1 cargo test`
/// rewrites them.
const REFERENCE_TOLERANCE: f64 = 1.5;

const REFERENCES: &[(&str, &str)] = &[
    ("w-160", "resize-w160"),
    ("w-120,h-120,cm-pad_resize,bg-FF0000", "pad-resize-red"),
    ("w-100,h-100,c-maintain_ratio,fo-right", "cover-right"),
    ("w-120,rt-30,bg-0000FF", "rotate-30-blue"),
    ("w-160:e-grayscale:r-20", "grayscale-rounded"),
    ("w-160:bl-6", "blur-6"),
];

#[test]
fn reference_outputs_within_tolerance() {
    let input = support::sample_jpeg();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/reference");
    let bless = std::env::var_os("PIXMIZE_BLESS").is_some_and(|v| v == "1");
    for (tr, name) in REFERENCES {
        let out = run(&input, &format!("{tr}:f-png")).unwrap_or_else(|e| panic!("{tr}: {e}"));
        let path = dir.join(format!("{name}.png"));
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &out.bytes).unwrap();
            continue;
        }
        let reference = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e} (run with PIXMIZE_BLESS=1 to create it)", path.display())
        });
        let (got, want) = (decode(&out.bytes), decode(&reference));
        assert_eq!(got.dimensions(), want.dimensions(), "{tr}");
        let error = support::mean_abs_error(&got, &want);
        assert!(
            error <= REFERENCE_TOLERANCE,
            "{tr}: mean absolute error {error:.3} > {REFERENCE_TOLERANCE}"
        );
    }
}
