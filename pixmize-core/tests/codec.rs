//! Codec tests on images built in code and on the small committed fixtures:
//! detection, round trips of every format, EXIF orientation, metadata
//! stripping and keeping, limits, and truncated or corrupted input.

use image::{DynamicImage, GenericImageView, ImageBuffer, Rgb, RgbImage, Rgba, RgbaImage};
use pixmize_core::Error;
use pixmize_core::Limit;
use pixmize_core::codec::{self, DecodeOptions, EncodeOptions, ImageFormat, Limits, Metadata};

mod support;

use support::{COMMENT, FAKE_ICC, XMP, exif_with_gps, jpeg_segment, jpeg_with_metadata};

// ---------------------------------------------------------------- helpers

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/codec");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

/// A 64×32 picture with a red 12×12 block in its top-left corner, a smooth
/// blue-green gradient elsewhere.
fn upright() -> RgbImage {
    ImageBuffer::from_fn(64, 32, |x, y| {
        if x < 12 && y < 12 { Rgb([230, 20, 20]) } else { Rgb([20, (x * 3) as u8, 120 + y as u8]) }
    })
}

fn rgba_picture() -> RgbaImage {
    ImageBuffer::from_fn(40, 30, |x, y| {
        Rgba([(x * 6) as u8, (y * 8) as u8, 90, if x < 20 { 255 } else { (y * 8) as u8 }])
    })
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    codec::encode(img, &EncodeOptions::new(format), &Metadata::default()).unwrap()
}

fn decode(bytes: &[u8]) -> codec::Decoded {
    codec::decode(bytes, &DecodeOptions::default()).unwrap()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// `png` with an `eXIf` chunk inserted after IHDR.
fn png_with_exif(png: &[u8], exif: &[u8]) -> Vec<u8> {
    let mut chunk = (exif.len() as u32).to_be_bytes().to_vec();
    let mut body = b"eXIf".to_vec();
    body.extend_from_slice(exif);
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32(&body).to_be_bytes());
    let at = 8 + 25; // signature + IHDR chunk
    [&png[..at], &chunk, &png[at..]].concat()
}

/// A WebP with EXIF: our own muxer writes it (with the orientation reset to
/// 1), then the original EXIF bytes are put back in place.
fn webp_with_exif(img: &DynamicImage, exif: &[u8], lossless: bool) -> Vec<u8> {
    let mut o = EncodeOptions::new(ImageFormat::Webp);
    o.keep_metadata = true;
    o.lossless = lossless;
    let mut m = Metadata::default();
    m.exif = Some(exif.to_vec());
    let mut out = codec::encode(img, &o, &m).unwrap();
    let mut reset = exif.to_vec();
    let _ = image::metadata::Orientation::remove_from_exif_chunk(&mut reset);
    let at = out.windows(reset.len()).position(|w| w == reset).unwrap();
    out[at..at + exif.len()].copy_from_slice(exif);
    out
}

fn is_red(p: Rgb<u8>) -> bool {
    p[0] > 150 && p[1] < 90 && p[2] < 90
}

fn mean_abs_diff(a: &DynamicImage, b: &DynamicImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (a, b) = (a.to_rgba8(), b.to_rgba8());
    let sum: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    sum as f64 / a.as_raw().len() as f64
}

/// Every tag kamadak-exif finds in `bytes` (an encoded image), or none.
fn exif_fields(bytes: &[u8]) -> Vec<(exif::Tag, String)> {
    let Ok(e) = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) else {
        return Vec::new();
    };
    e.fields().map(|f| (f.tag, f.display_value().to_string())).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every format this build encodes, with the lossless switch where it matters.
fn output_variants() -> Vec<(ImageFormat, bool)> {
    let mut v =
        vec![(ImageFormat::Jpeg, false), (ImageFormat::Png, false), (ImageFormat::Webp, true)];
    if ImageFormat::Webp.can_encode() {
        v.push((ImageFormat::Webp, false));
    }
    v.extend([(ImageFormat::Gif, false), (ImageFormat::Bmp, false), (ImageFormat::Tiff, false)]);
    if ImageFormat::Avif.can_encode() {
        v.push((ImageFormat::Avif, false));
    }
    v
}

// ---------------------------------------------------------------- detection and round trips

#[test]
fn every_format_round_trips_and_is_detected() {
    let rgb = DynamicImage::ImageRgb8(upright());
    for (format, lossless) in output_variants() {
        let mut o = EncodeOptions::new(format);
        o.lossless = lossless;
        let bytes = codec::encode(&rgb, &o, &Metadata::default()).unwrap();
        assert_eq!(codec::detect(&bytes), Some(format), "{format} lossless={lossless}");
        if !format.can_decode() {
            assert!(matches!(
                codec::decode(&bytes, &DecodeOptions::default()),
                Err(Error::Unsupported(_))
            ));
            continue;
        }
        let d = decode(&bytes);
        assert_eq!((d.format, d.original_width, d.original_height), (format, 64, 32), "{format}");
        assert_eq!(d.image.dimensions(), (64, 32), "{format}");
        let tolerance = match (format, lossless) {
            (ImageFormat::Jpeg | ImageFormat::Webp | ImageFormat::Avif, false) => 12.0,
            (ImageFormat::Gif, _) => 8.0, // 256-colour palette
            _ => 0.0,
        };
        let diff = mean_abs_diff(&d.image, &rgb);
        assert!(diff <= tolerance, "{format} lossless={lossless}: mean difference {diff}");
    }
}

#[test]
fn alpha_is_kept_where_the_format_allows() {
    let rgba = DynamicImage::ImageRgba8(rgba_picture());
    for (format, lossless) in output_variants() {
        let mut o = EncodeOptions::new(format);
        o.lossless = lossless;
        let bytes = codec::encode(&rgba, &o, &Metadata::default()).unwrap();
        if !format.can_decode() {
            continue;
        }
        let d = decode(&bytes);
        let keeps = !matches!(format, ImageFormat::Jpeg);
        assert_eq!(d.has_alpha, keeps, "{format} lossless={lossless}");
        if keeps && format != ImageFormat::Gif {
            let alpha_right = d.image.to_rgba8().get_pixel(30, 5)[3];
            assert!(alpha_right < 80, "{format}: alpha at (30,5) is {alpha_right}, want about 40");
        }
    }
}

/// JPEG has no alpha: `encode` flattens onto `EncodeOptions::background`,
/// black by default, the same default as the engine without `bg`.
#[test]
fn jpeg_output_of_an_alpha_image_is_flattened_onto_the_background() {
    let transparent =
        DynamicImage::ImageRgba8(ImageBuffer::from_pixel(16, 16, Rgba([255, 255, 255, 0])));
    let d = decode(&encode(&transparent, ImageFormat::Jpeg));
    let p = d.image.to_rgb8().get_pixel(8, 8).0;
    assert!(p.iter().all(|&c| c < 10), "transparent white becomes black by default, got {p:?}");

    let half_red =
        DynamicImage::ImageRgba8(ImageBuffer::from_pixel(16, 16, Rgba([255, 0, 0, 128])));
    let mut o = EncodeOptions::new(ImageFormat::Jpeg);
    o.background = [0, 0, 255];
    let d = decode(&codec::encode(&half_red, &o, &Metadata::default()).unwrap());
    let [r, g, b] = d.image.to_rgb8().get_pixel(8, 8).0;
    // 50 % red over blue: (128, 0, 127), within JPEG's error
    assert!(r.abs_diff(128) < 8 && g < 8 && b.abs_diff(127) < 8, "got {:?}", [r, g, b]);
}

#[test]
fn png_bit_depths_palette_grey_and_alpha() {
    let rgb16 = DynamicImage::ImageRgb16(ImageBuffer::from_fn(20, 10, |x, y| {
        Rgb([x as u16 * 3000, y as u16 * 6000, 65535])
    }));
    let d = decode(&encode(&rgb16, ImageFormat::Png));
    assert_eq!(d.image.as_rgb16().unwrap(), rgb16.as_rgb16().unwrap(), "16-bit RGB survives");

    let grey =
        DynamicImage::ImageLuma8(ImageBuffer::from_fn(20, 10, |x, _| image::Luma([x as u8 * 12])));
    let d = decode(&encode(&grey, ImageFormat::Png));
    assert_eq!(d.image.as_luma8().unwrap(), grey.as_luma8().unwrap());

    let grey_alpha = DynamicImage::ImageLumaA8(ImageBuffer::from_fn(20, 10, |x, y| {
        image::LumaA([x as u8 * 12, y as u8 * 25])
    }));
    let d = decode(&encode(&grey_alpha, ImageFormat::Png));
    assert!(d.has_alpha);
    assert_eq!(d.image.as_luma_alpha8().unwrap(), grey_alpha.as_luma_alpha8().unwrap());

    // a palette PNG written with the png crate directly
    let mut bytes = Vec::new();
    {
        let mut e = png::Encoder::new(&mut bytes, 4, 2);
        e.set_color(png::ColorType::Indexed);
        e.set_depth(png::BitDepth::Eight);
        e.set_palette(vec![255, 0, 0, 0, 255, 0]);
        e.set_trns(vec![255, 0]);
        let mut w = e.write_header().unwrap();
        w.write_image_data(&[0, 1, 0, 1, 1, 0, 1, 0]).unwrap();
    }
    let d = decode(&bytes);
    let px = d.image.to_rgba8();
    assert_eq!(px.get_pixel(0, 0).0, [255, 0, 0, 255]);
    assert_eq!(px.get_pixel(1, 0).0, [0, 255, 0, 0]);
    assert!(d.has_alpha);
}

#[test]
fn jpeg_fixtures_baseline_progressive_grey_cmyk() {
    let reference = decode(&fixture("seeding-96x54.jpg"));
    assert_eq!(reference.image.dimensions(), (96, 54));
    let progressive = decode(&fixture("seeding-96x54-progressive.jpg"));
    assert!(mean_abs_diff(&progressive.image, &reference.image) < 2.0);
    let grey = decode(&fixture("seeding-96x54-grey.jpg"));
    assert!(!grey.image.color().has_color(), "grey JPEG decodes to one channel");
    // Adobe CMYK (inverted): must come out as the same colours, not a negative
    let cmyk = decode(&fixture("seeding-96x54-cmyk.jpg"));
    assert_eq!(cmyk.image.dimensions(), (96, 54));
    let diff = mean_abs_diff(&cmyk.image, &reference.image);
    assert!(diff < 12.0, "CMYK JPEG differs from the RGB original by {diff} on average");
}

#[test]
fn jpeg_shrink_on_load_respects_min_size() {
    let bytes = encode(
        &DynamicImage::ImageRgb8(ImageBuffer::from_fn(400, 300, |x, y| Rgb([x as u8, y as u8, 7]))),
        ImageFormat::Jpeg,
    );
    let cases = [
        ((50, 37), (50, 38)),
        ((51, 38), (100, 75)),
        ((100, 75), (100, 75)),
        ((101, 10), (200, 150)),
        ((201, 1), (400, 300)),
    ];
    for (min, want) in cases {
        let d = codec::decode(&bytes, &DecodeOptions::with_min_size(min.0, min.1)).unwrap();
        assert_eq!(d.image.dimensions(), want, "min_size {min:?}");
        assert_eq!((d.original_width, d.original_height), (400, 300));
    }
}

#[test]
fn gif_gives_the_first_frame_and_counts_frames() {
    use image::codecs::gif::GifEncoder;
    let mut bytes = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut bytes);
        let frames = [Rgba([255, 0, 0, 255]), Rgba([0, 255, 0, 255]), Rgba([0, 0, 255, 255])]
            .map(|c| image::Frame::new(ImageBuffer::from_pixel(8, 8, c)));
        enc.encode_frames(frames).unwrap();
    }
    let d = decode(&bytes);
    assert_eq!(d.image.to_rgba8().get_pixel(4, 4).0, [255, 0, 0, 255], "first frame");
    assert_eq!(codec::probe(&bytes, &Limits::default()).unwrap().frames, 3);
    let mut limits = Limits::default();
    limits.max_frames = 2;
    let mut o = DecodeOptions::default();
    o.limits = limits;
    match codec::decode(&bytes, &o) {
        Err(Error::Limit(e)) => assert_eq!((e.limit, e.actual, e.max), (Limit::Frames, 3, 2)),
        other => panic!("expected a frame limit error, got {other:?}"),
    }
}

#[test]
fn unknown_bytes_are_a_typed_error() {
    for bytes in [&b""[..], b"hello world", b"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", b"<svg></svg>"] {
        assert!(
            matches!(codec::decode(bytes, &DecodeOptions::default()), Err(Error::UnknownFormat)),
            "{bytes:?}"
        );
    }
}

#[test]
fn avif_input_is_unsupported_not_a_panic() {
    let ispe = [&[0, 0, 0, 20][..], b"ispe", &[0; 4], &[0, 0, 0, 64], &[0, 0, 0, 32]].concat();
    let ipco = [&(8 + ispe.len() as u32).to_be_bytes()[..], b"ipco", &ispe].concat();
    let iprp = [&(8 + ipco.len() as u32).to_be_bytes()[..], b"iprp", &ipco].concat();
    let meta = [&(12 + iprp.len() as u32).to_be_bytes()[..], b"meta", &[0; 4], &iprp].concat();
    let file = [&b"\0\0\0\x10ftypavif\0\0\0\0"[..], &meta].concat();
    assert_eq!(codec::detect(&file), Some(ImageFormat::Avif));
    let info = codec::probe(&file, &Limits::default()).unwrap();
    assert_eq!((info.width, info.height), (64, 32));
    let r = codec::decode(&file, &DecodeOptions::default());
    if ImageFormat::Avif.can_decode() {
        // a header without any image data: a decode error
        assert!(matches!(r, Err(Error::Decode { format: ImageFormat::Avif, .. })), "{r:?}");
    } else {
        assert!(matches!(
            r,
            Err(Error::Unsupported(pixmize_core::Unsupported::Format(ImageFormat::Avif)))
        ));
    }
}

/// Mean of each RGBA channel.
fn channel_means(img: &DynamicImage) -> [f64; 4] {
    let rgba = img.to_rgba8();
    let n = f64::from(rgba.width() * rgba.height());
    let mut sum = [0f64; 4];
    for p in rgba.pixels() {
        for (s, v) in sum.iter_mut().zip(p.0) {
            *s += f64::from(v);
        }
    }
    sum.map(|s| s / n)
}

/// AVIF decoding (`dav1d` feature) of files our own encoder (`avif`
/// feature, ravif) wrote: the size, the colours (per-channel means within
/// 3 of 255 and a mean absolute error of at most 12, as for the other lossy
/// formats) and the alpha channel survive.
#[cfg(all(feature = "avif", feature = "dav1d"))]
#[test]
fn avif_written_by_our_encoder_decodes() {
    let photo = decode(&fixture("seeding-96x54.jpg")).image;
    let rgb = DynamicImage::ImageRgb8(upright());
    for (what, img) in [("photo 96x54", &photo), ("64x32 test card", &rgb)] {
        let bytes = encode(img, ImageFormat::Avif);
        assert_eq!(codec::detect(&bytes), Some(ImageFormat::Avif));
        let d = decode(&bytes);
        assert_eq!(
            (d.format, d.image.dimensions(), d.has_alpha),
            (ImageFormat::Avif, img.dimensions(), false),
            "{what}"
        );
        let (a, b) = (channel_means(img), channel_means(&d.image));
        for c in 0..3 {
            assert!((a[c] - b[c]).abs() < 3.0, "{what}: channel {c} mean {} became {}", a[c], b[c]);
        }
        let diff = mean_abs_diff(&d.image, img);
        assert!(diff <= 12.0, "{what}: mean absolute error {diff}");
    }
    // the red block stays red and in its corner
    let d = decode(&encode(&rgb, ImageFormat::Avif));
    assert!(is_red(*d.image.to_rgb8().get_pixel(4, 4)));
    assert!(!is_red(*d.image.to_rgb8().get_pixel(40, 20)));

    let rgba = DynamicImage::ImageRgba8(rgba_picture());
    let d = decode(&encode(&rgba, ImageFormat::Avif));
    assert!(d.has_alpha, "the alpha item is read");
    let (a, b) = (channel_means(&rgba), channel_means(&d.image));
    assert!((a[3] - b[3]).abs() < 3.0, "alpha mean {} became {}", a[3], b[3]);
    assert_eq!(d.image.to_rgba8().get_pixel(5, 5)[3], 255, "opaque half stays opaque");

    // truncated and corrupted AVIF: typed errors, never a panic
    let bytes = encode(&rgb, ImageFormat::Avif);
    for len in (0..bytes.len()).step_by(7) {
        if let Err(e) = codec::decode(&bytes[..len], &DecodeOptions::default()) {
            assert!(
                matches!(e, Error::Decode { .. } | Error::UnknownFormat),
                "cut at {len}: {e:?}"
            );
        }
    }
    assert!(matches!(
        codec::decode(&bytes[..bytes.len() / 2], &DecodeOptions::default()),
        Err(Error::Decode { format: ImageFormat::Avif, .. })
    ));
}

// ---------------------------------------------------------------- orientation

fn stored_for(orientation: u16) -> RgbImage {
    let u = upright();
    match orientation {
        3 => image::imageops::rotate180(&u),
        6 => image::imageops::rotate270(&u),
        8 => image::imageops::rotate90(&u),
        _ => u,
    }
}

fn assert_upright(d: &codec::Decoded, what: &str) {
    assert_eq!(d.image.dimensions(), (64, 32), "{what}");
    assert_eq!((d.original_width, d.original_height), (64, 32), "{what}");
    let px = d.image.to_rgb8();
    assert!(
        is_red(*px.get_pixel(4, 4)),
        "{what}: top-left should be red, is {:?}",
        px.get_pixel(4, 4)
    );
    for (x, y) in [(60, 4), (4, 28), (60, 28)] {
        assert!(!is_red(*px.get_pixel(x, y)), "{what}: ({x},{y}) should not be red");
    }
}

#[test]
fn exif_orientation_3_6_8_is_applied_on_decode() {
    for o in [1u16, 3, 6, 8] {
        let stored = DynamicImage::ImageRgb8(stored_for(o));
        let exif = exif_with_gps(o);
        let jpeg = jpeg_with_metadata(&encode(&stored, ImageFormat::Jpeg), &exif);
        let info = codec::probe(&jpeg, &Limits::default()).unwrap();
        assert_eq!((info.width, info.height, info.orientation), (64, 32, o as u8));
        assert_upright(&decode(&jpeg), &format!("JPEG orientation {o}"));
        // with shrink-on-load, min_size is in upright coordinates
        let big = DynamicImage::ImageRgb8(image::imageops::resize(
            &stored_for(o),
            if o >= 5 { 256 } else { 512 },
            if o >= 5 { 512 } else { 256 },
            image::imageops::FilterType::Nearest,
        ));
        let jpeg = jpeg_with_metadata(&encode(&big, ImageFormat::Jpeg), &exif);
        let d = codec::decode(&jpeg, &DecodeOptions::with_min_size(128, 64)).unwrap();
        assert_eq!(d.image.dimensions(), (128, 64), "orientation {o}, 1/4 scale upright");
        assert_eq!((d.original_width, d.original_height), (512, 256));

        let png = png_with_exif(&encode(&stored, ImageFormat::Png), &exif);
        assert_upright(&decode(&png), &format!("PNG orientation {o}"));
        let webp = webp_with_exif(&stored, &exif, true);
        assert_upright(&decode(&webp), &format!("WebP orientation {o}"));
    }
}

// ---------------------------------------------------------------- metadata

fn input_with_everything() -> (Vec<u8>, codec::Decoded) {
    let jpeg = jpeg_with_metadata(
        &encode(&DynamicImage::ImageRgb8(stored_for(6)), ImageFormat::Jpeg),
        &exif_with_gps(6),
    );
    let d = decode(&jpeg);
    (jpeg, d)
}

#[test]
fn metadata_is_read_from_the_input() {
    let (input, d) = input_with_everything();
    let m = &d.metadata;
    assert_eq!(m.exif.as_deref(), Some(&exif_with_gps(6)[..]));
    assert_eq!(m.xmp.as_deref(), Some(XMP));
    assert_eq!(m.icc.as_deref(), Some(FAKE_ICC));
    assert_eq!(m.comments, [COMMENT]);
    // the input really has GPS and camera tags, so the stripping test below means something
    let tags: Vec<_> = exif_fields(&input).into_iter().map(|(t, _)| t).collect();
    assert!(tags.contains(&exif::Tag::GPSLatitude) && tags.contains(&exif::Tag::Make), "{tags:?}");
    assert!(!format!("{m:?}").contains("PixmizeCam"), "Debug must not print EXIF contents");
}

#[test]
fn metadata_is_stripped_from_every_output_format_by_default() {
    let (_, d) = input_with_everything();
    for (format, lossless) in output_variants() {
        let mut o = EncodeOptions::new(format);
        o.lossless = lossless;
        let out = codec::encode(&d.image, &o, &d.metadata).unwrap();
        let what = format!("{format} lossless={lossless}");
        // a TIFF file *is* a TIFF structure, so only tags from the input count
        let leaked: Vec<_> = exif_fields(&out)
            .into_iter()
            .filter(|(t, _)| {
                t.context() != exif::Context::Tiff
                    || matches!(*t, exif::Tag::Make | exif::Tag::Model)
                    || t.number() == 274
            })
            .collect();
        assert!(leaked.is_empty(), "{what}: EXIF left: {leaked:?}");
        for marker in [
            &b"PixmizeCam"[..],
            b"Model-GPS-Test",
            b"PixmizeXmpMarker",
            COMMENT.as_bytes(),
            b"pixmize-icc-marker",
            b"Exif\0\0",
        ] {
            assert!(
                !contains(&out, marker),
                "{what}: output contains {:?}",
                String::from_utf8_lossy(marker)
            );
        }
    }
}

#[test]
fn metadata_is_kept_with_md_true_and_orientation_reset() {
    let (_, d) = input_with_everything();
    for (format, lossless) in [
        (ImageFormat::Jpeg, false),
        (ImageFormat::Png, false),
        (ImageFormat::Webp, true),
        (ImageFormat::Webp, false),
    ] {
        if !format.can_encode() && !lossless {
            continue;
        }
        let mut o = EncodeOptions::new(format);
        o.lossless = lossless;
        o.keep_metadata = true;
        let out = codec::encode(&d.image, &o, &d.metadata).unwrap();
        let what = format!("{format} lossless={lossless}");
        let fields = exif_fields(&out);
        let get = |tag| fields.iter().find(|(t, _)| *t == tag).map(|(_, v)| v.clone());
        assert!(get(exif::Tag::GPSLatitude).is_some(), "{what}: GPS kept: {fields:?}");
        assert_eq!(get(exif::Tag::Make).as_deref(), Some("\"PixmizeCam\""), "{what}");
        assert_eq!(
            get(exif::Tag::Orientation).as_deref(),
            Some("row 0 at top and column 0 at left"),
            "{what}"
        );
        assert!(contains(&out, b"PixmizeXmpMarker"), "{what}: XMP kept");
        assert!(!contains(&out, b"pixmize-icc-marker"), "{what}: ICC only with cp-true");
        if format != ImageFormat::Webp {
            assert!(contains(&out, COMMENT.as_bytes()), "{what}: comment kept");
        }
        // decoding our own output gives the same upright picture (orientation 1 now)
        let again = decode(&out);
        assert_eq!(again.image.dimensions(), d.image.dimensions(), "{what}");
        assert_eq!(again.metadata.xmp.as_deref(), Some(XMP), "{what}");

        o.keep_metadata = false;
        o.keep_color_profile = true;
        let out = codec::encode(&d.image, &o, &d.metadata).unwrap();
        assert!(exif_fields(&out).is_empty(), "{what}: cp-true alone keeps no EXIF");
        assert_eq!(
            decode(&out).metadata.icc.as_deref(),
            Some(FAKE_ICC),
            "{what}: ICC kept with cp-true"
        );
    }
}

// ---------------------------------------------------------------- limits

/// A PNG whose IHDR claims `w`×`h` pixels, followed by a tiny IDAT.
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        b.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let body = [kind, data].concat();
        b.extend_from_slice(&body);
        b.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let ihdr = [&w.to_be_bytes()[..], &h.to_be_bytes(), &[8, 2, 0, 0, 0]].concat();
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    b
}

/// A JPEG whose SOF0 claims `w`×`h`, with nothing decodable after it.
fn jpeg_bomb(w: u16, h: u16) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8];
    let sof =
        [&[8u8][..], &h.to_be_bytes(), &w.to_be_bytes(), &[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]]
            .concat();
    b.extend(jpeg_segment(0xC0, &[&sof]));
    b.extend_from_slice(&[0xFF, 0xD9]);
    b
}

#[test]
fn decompression_bombs_are_rejected_from_the_header() {
    let mut vp8x = b"RIFF\x1e\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    vp8x.extend_from_slice(&[0xFF, 0x3F, 0x00, 0xFF, 0x3F, 0x00]); // 16384 × 16384
    let gif = b"GIF89a\xff\xff\xff\xff\x00\x00\x00\x3b".to_vec();
    let bmp = [
        &b"BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0"[..],
        &60_000u32.to_le_bytes(),
        &60_000u32.to_le_bytes(),
        &[1, 0, 24, 0],
    ]
    .concat();
    let px = |actual| (Limit::InputPixels, actual, 100_000_000);
    type Want = (Limit, u64, u64);
    let cases: Vec<(&str, Vec<u8>, Want)> = vec![
        ("PNG 100000x100000", png_bomb(100_000, 100_000), (Limit::InputSide, 100_000, 65_535)),
        ("PNG 20000x20000", png_bomb(20_000, 20_000), px(400_000_000)),
        ("JPEG 65000x65000", jpeg_bomb(65_000, 65_000), px(4_225_000_000)),
        ("WebP 16384x16384", vp8x, px(268_435_456)),
        ("GIF 65535x65535", gif, px(4_294_836_225)),
        ("BMP 60000x60000", bmp, px(3_600_000_000)),
    ];
    for (what, bytes, want) in cases {
        for result in [
            codec::decode(&bytes, &DecodeOptions::default()).map(|_| ()),
            codec::probe(&bytes, &Limits::default()).map(|_| ()),
        ] {
            match result {
                Err(Error::Limit(e)) => assert_eq!((e.limit, e.actual, e.max), want, "{what}"),
                other => panic!("{what}: expected a pixel limit error, got {other:?}"),
            }
        }
    }
}

#[test]
fn side_and_byte_limits() {
    let mut limits = Limits::default();
    limits.max_side = 1000;
    let mut o = DecodeOptions::default();
    o.limits = limits;
    match codec::decode(&png_bomb(1001, 2), &o) {
        Err(Error::Limit(e)) => {
            assert_eq!((e.limit, e.actual, e.max), (Limit::InputSide, 1001, 1000))
        }
        other => panic!("expected a side limit error, got {other:?}"),
    }
    let mut limits = Limits::default();
    limits.max_input_bytes = 10;
    o.limits = limits;
    match codec::decode(&png_bomb(1, 1), &o) {
        Err(Error::Limit(e)) => assert_eq!(e.limit, Limit::InputBytes),
        other => panic!("expected a byte limit error, got {other:?}"),
    }
    assert_eq!(Limits::default().max_pixels, 100_000_000);
}

// ---------------------------------------------------------------- truncated and corrupted input

fn valid_files() -> Vec<(String, Vec<u8>)> {
    let rgb = DynamicImage::ImageRgb8(upright());
    let rgba = DynamicImage::ImageRgba8(rgba_picture());
    let mut v = vec![
        ("JPEG baseline".to_string(), encode(&rgb, ImageFormat::Jpeg)),
        ("JPEG progressive fixture".to_string(), fixture("seeding-96x54-progressive.jpg")),
        ("JPEG CMYK fixture".to_string(), fixture("seeding-96x54-cmyk.jpg")),
        ("PNG RGBA".to_string(), encode(&rgba, ImageFormat::Png)),
        ("GIF".to_string(), encode(&rgb, ImageFormat::Gif)),
        ("BMP".to_string(), encode(&rgb, ImageFormat::Bmp)),
        ("TIFF".to_string(), encode(&rgb, ImageFormat::Tiff)),
    ];
    let mut lossless = EncodeOptions::new(ImageFormat::Webp);
    lossless.lossless = true;
    v.push((
        "WebP lossless".into(),
        codec::encode(&rgba, &lossless, &Metadata::default()).unwrap(),
    ));
    if ImageFormat::Webp.can_encode() {
        v.push(("WebP lossy alpha".into(), encode(&rgba, ImageFormat::Webp)));
    }
    v
}

#[test]
fn truncated_files_give_typed_errors_never_panics() {
    for (what, bytes) in valid_files() {
        let n = bytes.len();
        for len in (0..n).step_by((n / 97).max(1)) {
            let r = codec::decode(&bytes[..len], &DecodeOptions::default());
            if let Err(e) = &r {
                assert!(
                    matches!(e, Error::Decode { .. } | Error::UnknownFormat),
                    "{what} cut at {len}/{n}: unexpected error kind {e:?}"
                );
            }
        }
        // cut in the middle of the pixel data: every decoder must notice
        let r = codec::decode(&bytes[..n / 2], &DecodeOptions::default());
        assert!(
            matches!(r, Err(Error::Decode { .. })),
            "{what} cut at half: {:?}",
            r.map(|d| d.image.dimensions())
        );
        // and the error says which format it was
        if let Err(Error::Decode { format, .. }) = r {
            assert_eq!(Some(format), codec::detect(&bytes), "{what}");
        }
    }
}

#[test]
fn corrupted_files_never_panic() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (what, bytes) in valid_files() {
        for _ in 0..150 {
            let mut b = bytes.clone();
            for _ in 0..(1 + next() % 4) {
                let i = (next() % b.len() as u64) as usize;
                b[i] = next() as u8;
            }
            // any outcome but a panic is fine; errors must be typed
            if let Err(e) = codec::decode(&b, &DecodeOptions::with_min_size(8, 8)) {
                assert!(
                    matches!(
                        e,
                        Error::Decode { .. }
                            | Error::UnknownFormat
                            | Error::Limit(_)
                            | Error::Unsupported(_)
                    ),
                    "{what}: {e:?}"
                );
            }
        }
    }
}

/// Inputs the `decode` fuzz target found: two slow ones (seconds under the
/// fuzzer's instrumentation, 70–160 ms in a release build: large CMYK JPEGs
/// within the limits) and a BigTIFF whose IFD offset overflowed the header
/// arithmetic (a panic in debug builds). They must decode or fail with a
/// typed error.
#[test]
fn fuzz_regressions_decode_or_fail_cleanly() {
    let dir = std::path::Path::new(FIXTURES).join("fuzz");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for options in [DecodeOptions::default(), DecodeOptions::with_min_size(16, 16)] {
            match codec::decode(&bytes, &options) {
                Ok(d) => assert!(d.image.width() > 0, "{}", path.display()),
                Err(e) => assert!(
                    matches!(e, Error::Decode { .. } | Error::Limit(_)),
                    "{}: {e:?}",
                    path.display()
                ),
            }
        }
        n += 1;
    }
    assert!(n >= 3, "regression inputs missing from {}", dir.display());
}
