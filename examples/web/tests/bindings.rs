//! The bindings' Rust layer, natively: the same calls the page makes through
//! wasm-bindgen, checked against pixmize-core and pixmize-policy directly.

use pixmize_core::codec::ImageFormat;
use pixmize_core::{Job, LocalProcessor, Transformation};
use pixmize_web::{ErrorKind, POLICY_HTML, STORAGE_KEYS, canonical, output_formats, process};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/seeding-1600x900.jpg");

fn sample() -> Vec<u8> {
    std::fs::read(SAMPLE).expect("bundled sample photo")
}

fn png_with_alpha() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(64, 40, |x, y| {
        image::Rgba([x as u8 * 4, y as u8 * 6, 90, (x * 4) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn output_is_the_engines_output() {
    for tr in
        ["w-320,q-80", "w-200,h-200,c-at_max:rt-90", "w-100,h-100,r-max,f-png", "e-grayscale,w-0.1"]
    {
        let ours = process(sample(), tr, None).unwrap();
        let t: Transformation = tr.parse().unwrap();
        let engine = LocalProcessor::new().process_sync(Job::new(sample(), t)).unwrap();
        assert_eq!(ours.as_bytes(), engine.bytes.as_slice(), "{tr}");
        assert_eq!(ours.image_format(), engine.format, "{tr}");
        assert_eq!((ours.width(), ours.height()), (engine.width, engine.height), "{tr}");
        assert_eq!(ours.format(), engine.format.mime_type().trim_start_matches("image/"), "{tr}");
    }
}

#[test]
fn alpha_survives_as_png() {
    let out = process(png_with_alpha(), "w-32", None).unwrap();
    assert_eq!((out.format(), out.width(), out.height()), ("png".to_owned(), 32, 20));
    let decoded = image::load_from_memory(out.as_bytes()).unwrap().to_rgba8();
    assert!(decoded.pixels().any(|p| p.0[3] < 255), "transparency kept");
}

#[test]
fn parse_errors_name_key_offset_and_step() {
    // (transformation, key, offset, step)
    let cases: &[(&str, Option<&str>, usize, usize)] = &[
        ("w-300,q-101", Some("q"), 8, 0),
        ("w-300:h-abc", Some("h"), 8, 1),
        ("w-300,zz-1", Some("zz"), 6, 0),
        ("w-300::h-10", None, 6, 1),
    ];
    for &(tr, key, offset, step) in cases {
        let want = tr.parse::<Transformation>().unwrap_err();
        for err in [canonical(tr).unwrap_err(), process(sample(), tr, None).unwrap_err()] {
            assert_eq!(err.kind(), ErrorKind::Parse, "{tr}");
            assert_eq!(
                (err.key(), err.offset(), err.step()),
                (key, Some(offset), Some(step)),
                "{tr}"
            );
            assert_eq!(
                (err.offset(), err.step()),
                (Some(want.offset()), Some(want.step())),
                "{tr}"
            );
            assert_eq!(err.reason(), want.kind().to_string(), "{tr}");
            assert_eq!(err.to_string(), want.to_string(), "{tr}");
        }
    }
}

#[test]
fn cloud_only_parameters_are_located() {
    let tr = "w-300:fo-top,e-bgremove";
    let err = process(sample(), tr, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!((err.key(), err.step(), err.offset()), (Some("e-bgremove"), Some(1), Some(13)));
    assert_eq!(&tr[13..], "e-bgremove");
    assert!(!err.reason().is_empty());
    assert!(err.to_string().contains("`e-bgremove` (step 2)"), "{err}");
}

#[test]
fn webp_output_follows_the_build() {
    // Lossy WebP needs libwebp (C): in the browser build it is unsupported,
    // with the `f` parameter located; natively with libwebp it works.
    let result = process(sample(), "w-300,f-webp", None);
    if ImageFormat::Webp.can_encode() {
        assert_eq!(result.unwrap().format(), "webp");
        assert!(output_formats().contains(&"webp"));
    } else {
        let err = result.unwrap_err();
        assert_eq!(
            (err.kind(), err.key(), err.offset(), err.step()),
            (ErrorKind::Unsupported, Some("f"), Some(6), Some(0))
        );
        assert!(!output_formats().contains(&"webp"));
    }
}

#[test]
fn accept_list_drives_f_auto() {
    let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let webp = if ImageFormat::Webp.can_encode() { "webp" } else { "jpeg" };
    let cases: &[(&[&str], &str)] =
        &[(&["webp", "jpeg"], webp), (&["image/webp"], webp), (&["JPG"], "jpeg"), (&[], "jpeg")];
    for &(accept, want) in cases {
        let out = process(sample(), "w-100,f-auto", Some(&names(accept))).unwrap();
        assert_eq!(out.format(), want, "accept {accept:?}");
    }
    for bad in ["image/svg+xml", "heic", ""] {
        let err = process(sample(), "w-100", Some(&names(&[bad]))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Accept, "{bad:?}");
        assert!(err.reason().contains(&format!("`{bad}`")), "{err}");
    }
}

#[test]
fn bad_images_are_typed_errors() {
    let err = process(b"not an image at all".to_vec(), "w-10", None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownFormat);
    let mut truncated = sample();
    truncated.truncate(2000);
    let err = process(truncated, "w-10", None).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Decode), "{err}");
    assert!(err.full_message().starts_with(&err.to_string()), "{}", err.full_message());
    assert!(std::error::Error::source(&err).is_some(), "the engine error is the source");
}

#[test]
fn policy_is_rendered_at_compile_time() {
    let policy = pixmize_policy::Policy::pixmize();
    assert_eq!(POLICY_HTML, pixmize_policy::render::html(policy));
    let declared: Vec<&str> = policy
        .document()
        .activities
        .iter()
        .filter(|a| a.location == pixmize_policy::Location::Device)
        .flat_map(|a| a.stores.iter().filter_map(|s| s.strip_prefix("localStorage:")))
        .collect();
    assert_eq!(STORAGE_KEYS, declared.as_slice());
    // The page stores the theme and the processing location; the policy must allow both.
    for suffix in [".theme", ".processing"] {
        assert!(STORAGE_KEYS.iter().any(|k| k.ends_with(suffix)), "{suffix} in {STORAGE_KEYS:?}");
    }
}

#[test]
fn debug_never_prints_bytes() {
    let out = process(sample(), "w-16", None).unwrap();
    let dbg = format!("{out:?}");
    assert!(dbg.contains(&format!("<{} bytes>", out.as_bytes().len())), "{dbg}");
}

#[test]
fn probe_reads_the_header() {
    let info = pixmize_web::probe(&sample()).unwrap();
    assert_eq!((info.format(), info.width(), info.height()), ("jpeg".to_owned(), 1600, 900));
    let err = pixmize_web::probe(b"GIF89a").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Decode), "{err}");
}
