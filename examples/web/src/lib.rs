//! WebAssembly bindings for the Pixmize engine, for plain web pages: run a
//! transformation on an image's bytes inside the browser, so the image never
//! leaves the device, and get the encoded bytes, size and format back. Typed
//! errors become JavaScript exceptions naming the parameter, byte offset,
//! step and reason. (Rust front ends such as Leptos, Yew or Dioxus can call
//! `pixmize-core` directly; it builds for wasm32 too.)
//!
//! In a page, after `examples/web/build.sh`:
//!
//! ```js
//! import init, { process } from "./pkg/pixmize_web.js";
//! await init();
//! const out = process(new Uint8Array(await file.arrayBuffer()), "w-800,q-80");
//! img.src = URL.createObjectURL(new Blob([out.bytes], { type: out.mime }));
//! ```
//!
//! The same call from Rust, as the native tests use it:
//!
//! ```
//! let photo = std::fs::read("../assets/seeding-1600x900.jpg")?;
//! let out = pixmize_web::process(photo, "w-320,q-80", None)?;
//! assert_eq!((out.width(), out.height(), out.format()), (320, 180, "jpeg".to_owned()));
//!
//! let err = pixmize_web::canonical("w-300,q-101").unwrap_err();
//! assert_eq!((err.key(), err.offset(), err.step()), (Some("q"), Some(8), Some(0)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//! * **jpeg**, **png**, **webp**, **gif** *(default)*: codecs, forwarded to
//!   `pixmize-core` (pure Rust). WebP is input only in the browser: lossy
//!   WebP encoding needs libwebp (C), so `f-webp` is an `unsupported` error
//!   there; `f-webp,lo-true` gives lossless WebP (see the README's limits).
//! * **bmp**, **tiff**: more input and output formats.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]

use std::fmt;

use pixmize_core::codec::{self, ImageFormat};
use pixmize_core::{Job, LocalProcessor, Processor, Support, Transformation};

pub use crate::error::{Error, ErrorKind};

mod error;
pub mod js;
mod span;

/// The Pixmize privacy policy page: `pixmize-policy`'s self-contained HTML
/// export, rendered when this crate was compiled.
pub const POLICY_HTML: &str = include_str!(concat!(env!("OUT_DIR"), "/policy.html"));

/// The `localStorage` keys the privacy policy declares for activities that
/// run on the device (for example `pixmize.theme`); a page stores
/// preferences under these keys only.
pub const STORAGE_KEYS: &[&str] = include!(concat!(env!("OUT_DIR"), "/storage_keys.rs"));

/// An encoded image produced on the device.
#[wasm_bindgen::prelude::wasm_bindgen]
#[derive(Clone, PartialEq, Eq)]
pub struct Output {
    bytes: Vec<u8>,
    format: ImageFormat,
    width: u32,
    height: u32,
}

impl Output {
    /// The encoded bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The format's short name: `jpeg`, `png`, `webp`, `gif`, `bmp`, `tiff`.
    #[must_use]
    pub fn format(&self) -> String {
        format_name(self.format).to_owned()
    }

    /// The image format.
    #[must_use]
    pub fn image_format(&self) -> ImageFormat {
        self.format
    }

    /// Width in pixels.
    #[must_use]
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    #[must_use]
    pub fn height(&self) -> u32 {
        self.height
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print image bytes.
        f.debug_struct("Output")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// The lower-case name of a format, as its MIME subtype (`jpeg`, `png`…).
fn format_name(format: ImageFormat) -> &'static str {
    let mime = format.mime_type();
    mime.strip_prefix("image/").unwrap_or(mime)
}

/// An image's format and size, read from its header without decoding.
#[wasm_bindgen::prelude::wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    format: ImageFormat,
    width: u32,
    height: u32,
}

#[wasm_bindgen::prelude::wasm_bindgen]
impl Info {
    /// The format's short name (`jpeg`, `png`…).
    #[wasm_bindgen::prelude::wasm_bindgen(getter)]
    #[must_use]
    pub fn format(&self) -> String {
        format_name(self.format).to_owned()
    }

    /// Width in pixels, after EXIF orientation.
    #[wasm_bindgen::prelude::wasm_bindgen(getter)]
    #[must_use]
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels, after EXIF orientation.
    #[wasm_bindgen::prelude::wasm_bindgen(getter)]
    #[must_use]
    pub fn height(&self) -> u32 {
        self.height
    }
}

/// Reads the format and size of the encoded image `input` from its header,
/// under the engine's default limits.
///
/// # Errors
/// [`ErrorKind::UnknownFormat`], [`ErrorKind::Decode`] for a broken header,
/// [`ErrorKind::Limit`] for an image over the limits.
pub fn probe(input: &[u8]) -> Result<Info, Error> {
    let info = codec::probe(input, &LocalProcessor::new().limits().input)?;
    Ok(Info { format: info.format, width: info.width, height: info.height })
}

/// Runs `transformation` on the encoded image `input`, on this device.
///
/// `accept` lists the formats the page can display, for `f-auto` (short
/// names such as `webp` or MIME types such as `image/webp`); `None` means
/// JPEG and PNG.
///
/// # Errors
/// [`ErrorKind::Parse`] for an invalid transformation (with the key, byte
/// offset and step), [`ErrorKind::Unsupported`] for a parameter or output
/// format this build cannot run on the device (with the key, step and the
/// parameter's offset), [`ErrorKind::Accept`] for an unknown accept entry,
/// and the engine's format, decode, plan, limit and encode errors.
pub fn process(
    input: Vec<u8>,
    transformation: &str,
    accept: Option<&[String]>,
) -> Result<Output, Error> {
    let t: Transformation = transformation.parse()?;
    let engine = LocalProcessor::new();
    if let Support::NeedsCloud(missing) = engine.supports(&t)
        && let Some(first) = missing.first()
    {
        return Err(Error::cloud_only(transformation, first));
    }
    let mut job = Job::new(input, t);
    if let Some(accept) = accept {
        job = job.accept(parse_accept(accept)?);
    }
    let out = engine.process_sync(job)?;
    Ok(Output { bytes: out.bytes, format: out.format, width: out.width, height: out.height })
}

/// Parses `transformation` and prints it in canonical form, as the engine
/// will run it.
///
/// # Errors
/// [`ErrorKind::Parse`], with the key, byte offset and step.
pub fn canonical(transformation: &str) -> Result<String, Error> {
    Ok(transformation.parse::<Transformation>()?.to_string())
}

/// Parses an accept list for `f-auto`: short names (`jpeg`, `jpg`, `png`,
/// `webp`, `avif`, `gif`) or MIME types (`image/webp`), in any case.
///
/// # Errors
/// [`ErrorKind::Accept`] for an entry that is neither.
pub fn parse_accept(entries: &[String]) -> Result<Vec<ImageFormat>, Error> {
    let mut out = Vec::new();
    for entry in entries {
        let name = entry.trim().to_ascii_lowercase();
        let format = match name.as_str() {
            "jpeg" | "jpg" => ImageFormat::Jpeg,
            "png" => ImageFormat::Png,
            "webp" => ImageFormat::Webp,
            "avif" => ImageFormat::Avif,
            "gif" => ImageFormat::Gif,
            mime if mime.contains('/') => match codec::accepted_formats(mime).as_slice() {
                [one] => *one,
                _ => return Err(Error::accept(entry)),
            },
            _ => return Err(Error::accept(entry)),
        };
        if !out.contains(&format) {
            out.push(format);
        }
    }
    Ok(out)
}

/// The output formats this build can encode on the device (`f-…` values
/// that will not fail as unsupported).
#[must_use]
pub fn output_formats() -> Vec<&'static str> {
    [
        ImageFormat::Jpeg,
        ImageFormat::Png,
        ImageFormat::Webp,
        ImageFormat::Gif,
        ImageFormat::Bmp,
        ImageFormat::Tiff,
        ImageFormat::Avif,
    ]
    .into_iter()
    .filter(|f| f.can_encode())
    .map(format_name)
    .collect()
}

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
