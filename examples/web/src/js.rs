//! The JavaScript API, as `wasm-bindgen` exports it (names in JavaScript in
//! brackets). Every failure is thrown as an `Error` named `PixmizeError`
//! with the fields `kind`, `key`, `offset`, `step` and `reason`
//! ([`Error::to_js`]).
//!
//! ```js
//! try {
//!   const out = process(bytes, "w-800,q-80", ["image/webp"]);
//!   console.log(out.width, out.height, out.format, out.byteLength);
//!   const encoded = out.intoBytes(); // a Uint8Array; frees `out`
//! } catch (e) {
//!   if (e.name === "PixmizeError") underline(e.offset, e.key, e.reason);
//! }
//! ```

use wasm_bindgen::prelude::*;

use crate::{Error, Info, Output, POLICY_HTML, STORAGE_KEYS};

/// `process`: runs `transformation` on `input` (a `Uint8Array`) on this
/// device; `accept` is an optional array of formats for `f-auto`.
///
/// # Errors
/// A `PixmizeError` (see [`crate::process`]).
#[wasm_bindgen(js_name = process)]
pub fn process(
    input: Vec<u8>,
    transformation: &str,
    accept: Option<Vec<String>>,
) -> Result<Output, JsValue> {
    crate::process(input, transformation, accept.as_deref()).map_err(|e| e.to_js())
}

/// `probe`: the format and size of `input` (a `Uint8Array`), from its
/// header.
///
/// # Errors
/// A `PixmizeError` of kind `format`, `decode` or `limit`.
#[wasm_bindgen(js_name = probe)]
pub fn probe(input: &[u8]) -> Result<Info, JsValue> {
    crate::probe(input).map_err(|e| e.to_js())
}

/// `canonical`: the canonical form of `transformation`.
///
/// # Errors
/// A `PixmizeError` of kind `parse`.
#[wasm_bindgen(js_name = canonical)]
pub fn canonical(transformation: &str) -> Result<String, JsValue> {
    crate::canonical(transformation).map_err(|e| Error::to_js(&e))
}

/// `policyHtml`: the privacy policy page, rendered at compile time.
#[wasm_bindgen(js_name = policyHtml)]
#[must_use]
pub fn policy_html() -> String {
    POLICY_HTML.to_owned()
}

/// `storageKeys`: the `localStorage` keys the policy allows.
#[wasm_bindgen(js_name = storageKeys)]
#[must_use]
pub fn storage_keys() -> Vec<String> {
    STORAGE_KEYS.iter().map(|&k| k.to_owned()).collect()
}

/// `outputFormats`: the formats this build can encode.
#[wasm_bindgen(js_name = outputFormats)]
#[must_use]
pub fn output_formats() -> Vec<String> {
    crate::output_formats().into_iter().map(str::to_owned).collect()
}

/// `version`: this crate's version.
#[wasm_bindgen]
#[must_use]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[wasm_bindgen]
impl Output {
    /// `bytes` (getter): a copy of the encoded bytes as a `Uint8Array`.
    #[wasm_bindgen(getter, js_name = bytes)]
    #[must_use]
    pub fn bytes_js(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// `intoBytes`: the encoded bytes, without a copy; frees the object.
    #[wasm_bindgen(js_name = intoBytes)]
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// `byteLength` (getter): the encoded size in bytes.
    #[wasm_bindgen(getter, js_name = byteLength)]
    #[must_use]
    pub fn byte_length(&self) -> usize {
        self.bytes.len()
    }

    /// `format` (getter): `jpeg`, `png`, `webp`, `gif`, `bmp` or `tiff`.
    #[wasm_bindgen(getter, js_name = format)]
    #[must_use]
    pub fn format_js(&self) -> String {
        self.format()
    }

    /// `mime` (getter): the MIME type, e.g. `image/jpeg`.
    #[wasm_bindgen(getter)]
    #[must_use]
    pub fn mime(&self) -> String {
        self.format.mime_type().to_owned()
    }

    /// `extension` (getter): the usual file extension, e.g. `jpg`.
    #[wasm_bindgen(getter)]
    #[must_use]
    pub fn extension(&self) -> String {
        self.format.extension().to_owned()
    }

    /// `width` (getter): width in pixels.
    #[wasm_bindgen(getter, js_name = width)]
    #[must_use]
    pub fn width_js(&self) -> u32 {
        self.width
    }

    /// `height` (getter): height in pixels.
    #[wasm_bindgen(getter, js_name = height)]
    #[must_use]
    pub fn height_js(&self) -> u32 {
        self.height
    }
}
