//! Codec tests on the real photos of `../shared/images` (CI has them at the
//! same path; set `PIXMIZE_SHARED_IMAGES` to point elsewhere). Without that
//! folder each test writes `SKIPPED <test>: …` to stderr and passes.

use image::GenericImageView;
use pixmize_core::codec::{self, DecodeOptions, EncodeOptions, ImageFormat, Limits, Metadata};

mod support;

#[test]
fn progressive_16mp_photo_full_and_shrink_on_load() {
    let Some(bytes) = support::shared_image(
        "progressive_16mp_photo_full_and_shrink_on_load",
        "seeding-5312x2988.jpg",
    ) else {
        return;
    };
    let info = codec::probe(&bytes, &Limits::default()).unwrap();
    assert_eq!((info.format, info.width, info.height), (ImageFormat::Jpeg, 5312, 2988));

    let full = codec::decode(&bytes, &DecodeOptions::default()).unwrap();
    assert_eq!(full.image.dimensions(), (5312, 2988));
    assert!(!full.has_alpha);

    // the 800 px thumbnail job: libjpeg-turbo decodes at 1/4
    let small = codec::decode(&bytes, &DecodeOptions::with_min_size(800, 450)).unwrap();
    assert_eq!(small.image.dimensions(), (1328, 747));
    assert_eq!((small.original_width, small.original_height), (5312, 2988));

    // same picture: compare the 1/4 decode with a box-filtered full decode
    let boxed = image::imageops::resize(
        &full.image.to_rgb8(),
        1328,
        747,
        image::imageops::FilterType::Triangle,
    );
    let diff: f64 = boxed
        .as_raw()
        .iter()
        .zip(small.image.to_rgb8().as_raw())
        .map(|(a, b)| f64::from(a.abs_diff(*b)))
        .sum::<f64>()
        / boxed.as_raw().len() as f64;
    assert!(diff < 6.0, "shrink-on-load differs from a full decode by {diff} on average");
}

#[test]
fn thumbnail_job_encodes_every_output_format() {
    let Some(bytes) =
        support::shared_image("thumbnail_job_encodes_every_output_format", "seeding-5312x2988.jpg")
    else {
        return;
    };
    let d = codec::decode(&bytes, &DecodeOptions::with_min_size(800, 450)).unwrap();
    let thumb = d.image.resize_exact(800, 450, image::imageops::FilterType::Lanczos3);
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Webp] {
        let mut o = EncodeOptions::new(format);
        o.lossless = !format.can_encode();
        let out = codec::encode(&thumb, &o, &d.metadata).unwrap();
        let back = codec::decode(&out, &DecodeOptions::default()).unwrap();
        assert_eq!((back.format, back.image.dimensions()), (format, (800, 450)));
        if format == ImageFormat::Jpeg {
            // q80 4:2:0 at 800×450 lands near sharp's 40 KB for the same job
            assert!(
                (25_000..60_000).contains(&out.len()),
                "JPEG q80 thumbnail is {} bytes",
                out.len()
            );
        }
    }
}

#[test]
fn lossy_webp_photo() {
    let Some(bytes) = support::shared_image("lossy_webp_photo", "adwaita-l-4096x4096.webp") else {
        return;
    };
    let d = codec::decode(&bytes, &DecodeOptions::default()).unwrap();
    assert_eq!(
        (d.format, d.image.dimensions(), d.has_alpha),
        (ImageFormat::Webp, (4096, 4096), false)
    );
}

#[test]
fn alpha_png_keeps_alpha_through_png_and_webp() {
    let Some(bytes) = support::shared_image(
        "alpha_png_keeps_alpha_through_png_and_webp",
        "emerald-logo-1689x1800-alpha.png",
    ) else {
        return;
    };
    let d = codec::decode(&bytes, &DecodeOptions::default()).unwrap();
    assert_eq!(
        (d.format, d.image.dimensions(), d.has_alpha),
        (ImageFormat::Png, (1689, 1800), true)
    );
    let small = d.image.thumbnail(422, 450);
    let mean_alpha = |img: &image::DynamicImage| {
        let a = img.to_rgba8();
        a.pixels().map(|p| f64::from(p[3])).sum::<f64>() / f64::from(a.width() * a.height())
    };
    for (format, lossless) in
        [(ImageFormat::Png, false), (ImageFormat::Webp, true), (ImageFormat::Webp, false)]
    {
        if !lossless && !format.can_encode() {
            continue;
        }
        let mut o = EncodeOptions::new(format);
        o.lossless = lossless;
        let out = codec::encode(&small, &o, &Metadata::default()).unwrap();
        let back = codec::decode(&out, &DecodeOptions::default()).unwrap();
        assert!(back.has_alpha, "{format} lossless={lossless}");
        let (before, after) = (mean_alpha(&small), mean_alpha(&back.image));
        assert!((before - after).abs() < 2.0, "{format}: mean alpha {before} became {after}");
    }
}
