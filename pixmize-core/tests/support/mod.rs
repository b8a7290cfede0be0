//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

/// The bundled CC0 sample (1600×900 JPEG), committed in the repository.
pub(crate) fn sample_jpeg() -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/assets/seeding-1600x900.jpg");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The folder of real photos: `PIXMIZE_SHARED_IMAGES` when set, otherwise
/// the first `shared/images` above this crate (`../shared/images` from the
/// repository root, where CI has it too). `None` when that folder does not
/// exist (so `PIXMIZE_SHARED_IMAGES=/nowhere` skips these tests).
pub(crate) fn shared_images_dir() -> Option<PathBuf> {
    match std::env::var_os("PIXMIZE_SHARED_IMAGES") {
        Some(dir) => Some(PathBuf::from(dir)).filter(|d| d.is_dir()),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|a| a.join("shared/images"))
            .find(|p| p.is_dir()),
    }
}

/// Says that a test skipped, and why, where it is seen: straight to the
/// process's stderr. The test harness captures only `print!`/`eprint!`
/// output (shown for failures or with `--nocapture`); a write to
/// `std::io::stderr()` passes through, so the skip shows in a plain
/// `cargo test` run.
pub(crate) fn skip(test: &str, why: &str) {
    let line = format!("SKIPPED {test}: {why}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// A photo from the shared folder (see [`shared_images_dir`]), or `None`
/// after a visible [`skip`] note when there is no such folder, as on a
/// fresh clone. A folder that exists but lacks the photo is a broken setup
/// and fails the test.
pub(crate) fn shared_image(test: &str, name: &str) -> Option<Vec<u8>> {
    let Some(dir) = shared_images_dir() else {
        skip(test, &format!("no shared/images folder with {name} (set PIXMIZE_SHARED_IMAGES)"));
        return None;
    };
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => panic!("{}: {e} (the shared images folder is incomplete)", path.display()),
    }
}

/// Encodes an image made in code.
pub(crate) fn encode(img: &image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// Mean absolute difference per channel value (0–255) over RGBA.
pub(crate) fn mean_abs_error(a: &image::DynamicImage, b: &image::DynamicImage) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()), "sizes differ");
    let (a, b) = (a.to_rgba8(), b.to_rgba8());
    let sum: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    sum as f64 / a.as_raw().len() as f64
}

/// Drives a future to completion on this thread, without any runtime.
pub(crate) fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

// ---------------------------------------------------------------- metadata

/// Little-endian EXIF (TIFF structure) with Make, Model, Orientation and a
/// GPS IFD holding latitude 48°51'24" N, longitude 2°21'3" E.
pub(crate) fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"II*\0");
    b.extend_from_slice(&8u32.to_le_bytes());
    let entry = |b: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]| {
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&typ.to_le_bytes());
        b.extend_from_slice(&count.to_le_bytes());
        b.extend_from_slice(&value);
    };
    let (make, model) = (b"PixmizeCam\0", b"Model-GPS-Test\0");
    let (gps_ifd, make_at, model_at, lat_at, lon_at) = (62u32, 116u32, 128u32, 144u32, 168u32);
    // IFD0: 4 entries, sorted by tag
    b.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut b, 271, 2, make.len() as u32, make_at.to_le_bytes());
    entry(&mut b, 272, 2, model.len() as u32, model_at.to_le_bytes());
    let mut o = [0u8; 4];
    o[..2].copy_from_slice(&orientation.to_le_bytes());
    entry(&mut b, 274, 3, 1, o);
    entry(&mut b, 34853, 4, 1, gps_ifd.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(b.len(), gps_ifd as usize);
    // GPS IFD
    b.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut b, 1, 2, 2, *b"N\0\0\0");
    entry(&mut b, 2, 5, 3, lat_at.to_le_bytes());
    entry(&mut b, 3, 2, 2, *b"E\0\0\0");
    entry(&mut b, 4, 5, 3, lon_at.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(b.len(), make_at as usize);
    b.extend_from_slice(make);
    b.push(0);
    assert_eq!(b.len(), model_at as usize);
    b.extend_from_slice(model);
    b.push(0);
    assert_eq!(b.len(), lat_at as usize);
    for (n, d) in [(48u32, 1u32), (51, 1), (24, 1), (2, 1), (21, 1), (3, 1)] {
        b.extend_from_slice(&n.to_le_bytes());
        b.extend_from_slice(&d.to_le_bytes());
    }
    b
}

/// XMP with a marker element the tests look for.
pub(crate) const XMP: &[u8] =
    b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><PixmizeXmpMarker/></rdf:RDF></x:xmpmeta>";
/// A JPEG comment / PNG text the tests look for.
pub(crate) const COMMENT: &str = "pixmize-comment-marker";
/// Not a real ICC profile, only bytes the tests look for.
pub(crate) const FAKE_ICC: &[u8] = b"\0\0\x01\x00pixmize-icc-marker-profile";

/// A JPEG marker segment.
pub(crate) fn jpeg_segment(marker: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 2;
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&(len as u16).to_be_bytes());
    for p in parts {
        s.extend_from_slice(p);
    }
    s
}

/// `jpeg` with APP1 EXIF, APP1 XMP, APP2 ICC and a COM segment inserted after SOI.
pub(crate) fn jpeg_with_metadata(jpeg: &[u8], exif: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend(jpeg_segment(0xE1, &[b"Exif\0\0", exif]));
    out.extend(jpeg_segment(0xE1, &[b"http://ns.adobe.com/xap/1.0/\0", XMP]));
    out.extend(jpeg_segment(0xE2, &[b"ICC_PROFILE\0", &[1, 1], FAKE_ICC]));
    out.extend(jpeg_segment(0xFE, &[COMMENT.as_bytes()]));
    out.extend_from_slice(&jpeg[2..]);
    out
}
