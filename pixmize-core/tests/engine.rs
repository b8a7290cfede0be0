//! The local engine end to end: real photos in, ImageKit-exact sizes out.

mod support;

use image::{DynamicImage, GenericImageView, ImageFormat as IF, Rgba, RgbaImage};
use pixmize_core::codec::ImageFormat;
use pixmize_core::{Error, Job, LocalProcessor, Processor, Support, Transformation};

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
    let Some(input) = support::shared_image("seeding-5312x2988.jpg") else { return };
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
    if let Some(png) = support::shared_image("emerald-logo-1689x1800-alpha.png") {
        let out = run(&png, "w-300").unwrap();
        assert_eq!((out.format, out.width, out.height), (ImageFormat::Png, 300, 320));
        assert!(
            decode(&out.bytes).to_rgba8().pixels().any(|p| p.0[3] == 0),
            "transparency survives"
        );
    }
    if let Some(webp) = support::shared_image("adwaita-l-4096x4096.webp") {
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

#[test]
fn debug_never_prints_image_bytes() {
    let job = Job::new(vec![0xAB; 4096], "w-1".parse().unwrap());
    let text = format!("{job:?}");
    assert!(text.contains("<4096 bytes>"), "{text}");
    assert!(text.len() < 200);
}
