//! Image codecs: format detection from the bytes, decoding under limits
//! (with shrink-on-load for JPEG), encoding, and metadata handling.
//!
//! ```
//! use pixmize_core::codec::{self, DecodeOptions, EncodeOptions, ImageFormat, Metadata};
//! // a 64×48 test picture, encoded as PNG and decoded again
//! let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 48, |x, y| {
//!     image::Rgb([x as u8 * 4, y as u8 * 5, 128])
//! }));
//! let png = codec::encode(&img, &EncodeOptions::new(ImageFormat::Png), &Metadata::default())?;
//! assert_eq!(codec::detect(&png), Some(ImageFormat::Png));
//! let decoded = codec::decode(&png, &DecodeOptions::default())?;
//! assert_eq!((decoded.original_width, decoded.original_height), (64, 48));
//! # Ok::<(), pixmize_core::Error>(())
//! ```
//!
//! # Which codec does what
//!
//! | format | decode | encode |
//! |---|---|---|
//! | JPEG | libjpeg-turbo (`turbojpeg` feature, system library) with IDCT scaling; pure Rust: jpeg-decoder when scaling, zune-jpeg at full size and for CMYK | libjpeg-turbo (baseline); jpeg-encoder (progressive, and pure-Rust builds) |
//! | PNG | png | png |
//! | WebP | libwebp (`libwebp` feature, still images); pure Rust: image-webp | lossy: libwebp (`libwebp` feature) only; lossless: image-webp |
//! | GIF | gif, first frame only (animation is not yet supported) | gif (first frame, NeuQuant palette) |
//! | BMP, TIFF | image's decoders | image's encoders, no metadata |
//! | AVIF | libdav1d (`dav1d` feature, system library) with avif-parse | ravif (`avif` feature) |
//!
//! AVIF decoding uses the `dav1d` crate 0.9 rather than the `image` crate's
//! `avif-native` feature, which needs libdav1d ≥ 1.3 where Debian 12 ships
//! 1.0. Without the `dav1d` feature AVIF input gives [`Error::Unsupported`].

// Builds with only some codecs leave helpers unused; the full build is linted.
#![cfg_attr(
    not(all(feature = "jpeg", feature = "png", feature = "webp", feature = "gif")),
    allow(dead_code, unused_variables, unused_imports)
)]

use std::fmt;

use image::DynamicImage;

use crate::error::{BoxError, Error, Result, Unsupported};

mod auto;
#[cfg(feature = "dav1d")]
mod avif;
mod detect;
mod header;
#[cfg(feature = "jpeg")]
mod jpeg;
mod limits;
mod metadata;
mod strip;

pub use auto::{accepted_formats, choose_auto_format};
pub use detect::detect;
pub use limits::Limits;
pub use metadata::Metadata;
pub use strip::strip_metadata;

/// An encoded image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageFormat {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP (lossy or lossless).
    Webp,
    /// GIF.
    Gif,
    /// BMP.
    Bmp,
    /// TIFF.
    Tiff,
    /// AVIF.
    Avif,
}

impl ImageFormat {
    /// The usual file extension, without a dot.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Gif => "gif",
            Self::Bmp => "bmp",
            Self::Tiff => "tiff",
            Self::Avif => "avif",
        }
    }

    /// The MIME type.
    #[must_use]
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
            Self::Bmp => "image/bmp",
            Self::Tiff => "image/tiff",
            Self::Avif => "image/avif",
        }
    }

    /// Whether this build can decode the format (its crate feature is on).
    #[must_use]
    pub fn can_decode(self) -> bool {
        match self {
            Self::Jpeg => cfg!(feature = "jpeg"),
            Self::Png => cfg!(feature = "png"),
            Self::Webp => cfg!(feature = "webp"),
            Self::Gif => cfg!(feature = "gif"),
            Self::Bmp => cfg!(feature = "bmp"),
            Self::Tiff => cfg!(feature = "tiff"),
            Self::Avif => cfg!(feature = "dav1d"),
        }
    }

    /// Whether this build can encode the format (see [`can_encode`]). WebP counts only when lossy
    /// encoding (the `libwebp` feature) is available, because that is what
    /// `f-webp` means; lossless WebP (`lo-true`) works whenever `webp` is on.
    #[must_use]
    pub fn can_encode(self) -> bool {
        match self {
            Self::Jpeg => cfg!(feature = "jpeg"),
            Self::Png => cfg!(feature = "png"),
            Self::Webp => cfg!(feature = "libwebp"),
            Self::Gif => cfg!(feature = "gif"),
            Self::Bmp => cfg!(feature = "bmp"),
            Self::Tiff => cfg!(feature = "tiff"),
            Self::Avif => cfg!(feature = "avif"),
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Webp => "WebP",
            Self::Gif => "GIF",
            Self::Bmp => "BMP",
            Self::Tiff => "TIFF",
            Self::Avif => "AVIF",
        })
    }
}

/// Options for [`decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Limits checked against the header before decoding.
    pub limits: Limits,
    /// Shrink-on-load hint: the smallest (width, height), *after* EXIF
    /// orientation, that the caller needs. A JPEG decoder may then return a
    /// smaller image (IDCT scaling at 1/2, 1/4 or 1/8, as libvips and sharp
    /// do), never smaller than this in either dimension. Other formats
    /// ignore it. `None` (the default) always decodes at full size.
    ///
    /// IDCT scaling is an excellent box-like prefilter; a caller that wants
    /// the most conservative quality (libvips' `vipsthumbnail` choice) asks
    /// for twice its target size so that a Lanczos3 resize finishes the job.
    pub min_size: Option<(u32, u32)>,
}

impl DecodeOptions {
    /// Default options with a shrink-on-load hint.
    #[must_use]
    pub fn with_min_size(width: u32, height: u32) -> Self {
        Self { min_size: Some((width, height)), ..Self::default() }
    }
}

/// A decoded image.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Decoded {
    /// The pixels, already turned upright by the EXIF orientation. Possibly
    /// smaller than the original when [`DecodeOptions::min_size`] allowed
    /// shrink-on-load. Kept in the decoder's own layout (8-bit grey, RGB or
    /// RGBA, 16-bit for 16-bit PNG/TIFF) so nothing is converted twice;
    /// `fast_image_resize` resizes every one of these layouts.
    pub image: DynamicImage,
    /// The detected input format.
    pub format: ImageFormat,
    /// Full width of the input after EXIF orientation (what ImageKit calls
    /// `iw`), whatever shrink-on-load did.
    pub original_width: u32,
    /// Full height of the input after EXIF orientation (`ih`).
    pub original_height: u32,
    /// The input's metadata, to be written back with `md-true` / `cp-true`.
    pub metadata: Metadata,
    /// Whether the decoded pixels have an alpha channel.
    pub has_alpha: bool,
}

/// Whether this build can encode `format`; the same as
/// [`ImageFormat::can_encode`].
#[must_use]
pub fn can_encode(format: ImageFormat) -> bool {
    format.can_encode()
}

/// What an image's header says, read without decoding (see [`probe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Info {
    /// The detected format.
    pub format: ImageFormat,
    /// Width after EXIF orientation, as [`decode`] would return it at full size.
    pub width: u32,
    /// Height after EXIF orientation.
    pub height: u32,
    /// EXIF orientation (1–8) that [`decode`] will apply; 1 when none.
    pub orientation: u8,
    /// Frames or pages in the container (1 for still images).
    pub frames: u32,
}

/// Reads the format, size (after EXIF orientation) and frame count from the
/// header only, under `limits`, without decoding pixels. A planner uses it
/// to work out the target size, and thus [`DecodeOptions::min_size`],
/// before decoding.
///
/// # Errors
///
/// As [`decode`], except that a format whose codec is not compiled in is
/// still probed.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Info> {
    limits.check_input_bytes(bytes.len())?;
    let format = detect(bytes).ok_or(Error::UnknownFormat)?;
    let header = header::probe(format, bytes).map_err(|e| decode_error(format)(e.into()))?;
    limits.check_header(&header)?;
    let orientation = orientation_of(format, &header, &metadata::read_exif_only(format, bytes));
    let (width, height) = if orientation >= 5 {
        (header.height, header.width)
    } else {
        (header.width, header.height)
    };
    let frames = u32::try_from(header.frames).unwrap_or(u32::MAX);
    Ok(Info { format, width, height, orientation, frames })
}

/// The EXIF orientation (1–8) that `decode` applied, if any.
fn orientation_of(format: ImageFormat, h: &header::Header, m: &Metadata) -> u8 {
    let from_exif = m
        .exif
        .as_deref()
        .and_then(image::metadata::Orientation::from_exif_chunk)
        .map(|o| o.to_exif());
    let tag = if format == ImageFormat::Tiff { h.tiff_orientation } else { None };
    from_exif.or(tag).filter(|o| (1..=8).contains(o)).unwrap_or(1)
}

fn decode_error(format: ImageFormat) -> impl FnOnce(BoxError) -> Error {
    move |source| Error::Decode { format, source }
}

/// Decodes an image: detects the format from the bytes, checks
/// [`Limits`] against the header, decodes (shrinking on load when allowed),
/// and applies the EXIF orientation (1–8) as ImageKit does, so the result is
/// upright. Animated GIF, WebP and PNG give their first frame only.
///
/// # Errors
///
/// [`Error::Limit`] when the input or what its header declares exceeds the
/// limits; [`Error::UnknownFormat`] when the bytes are no recognised image;
/// [`Error::Unsupported`] when the format's codec is not compiled in (AVIF
/// without the `dav1d` feature); [`Error::Decode`] for truncated or corrupt
/// data, or when the decoder's frame size differs from the header's.
pub fn decode(bytes: &[u8], options: &DecodeOptions) -> Result<Decoded> {
    let limits = &options.limits;
    limits.check_input_bytes(bytes.len())?;
    let format = detect(bytes).ok_or(Error::UnknownFormat)?;
    let header = header::probe(format, bytes).map_err(|e| decode_error(format)(e.into()))?;
    limits.check_header(&header)?;
    if !format.can_decode() {
        return Err(Error::Unsupported(Unsupported::Format(format)));
    }
    let metadata = metadata::read(format, bytes);
    let orientation = orientation_of(format, &header, &metadata);
    let swaps = orientation >= 5;
    let (original_width, original_height) =
        if swaps { (header.height, header.width) } else { (header.width, header.height) };

    let image =
        decode_pixels(format, bytes, &header, options, swaps).map_err(decode_error(format))?;
    let image = match image::metadata::Orientation::from_exif(orientation) {
        Some(o) if orientation != 1 => {
            let mut image = image;
            image.apply_orientation(o);
            image
        }
        _ => image,
    };
    let has_alpha = image.color().has_alpha();
    Ok(Decoded { image, format, original_width, original_height, metadata, has_alpha })
}

#[cfg_attr(not(feature = "jpeg"), allow(unused_variables))]
fn decode_pixels(
    format: ImageFormat,
    bytes: &[u8],
    header: &header::Header,
    options: &DecodeOptions,
    swaps: bool,
) -> std::result::Result<DynamicImage, BoxError> {
    let image_limits = options.limits.to_image_limits();
    match format {
        #[cfg(feature = "jpeg")]
        ImageFormat::Jpeg => {
            let denom = options.min_size.map_or(1, |(w, h)| {
                let stored = if swaps { (h, w) } else { (w, h) };
                jpeg::scale_denominator(header.width, header.height, stored)
            });
            #[cfg(feature = "turbojpeg")]
            if let Some(img) = jpeg::decode_turbo(bytes, header, denom)? {
                return Ok(img);
            }
            #[cfg(not(feature = "turbojpeg"))]
            if denom > 1
                && header.components != 4
                && let Some(img) = jpeg::decode_scaled_pure(bytes, denom, &options.limits)?
            {
                return Ok(img);
            }
            jpeg::decode_pure(bytes, (header.width, header.height))
        }
        #[cfg(feature = "dav1d")]
        ImageFormat::Avif => avif::decode(bytes, header, &options.limits),
        #[cfg(feature = "libwebp")]
        ImageFormat::Webp if header.frames == 1 => {
            // libwebp is about twice as fast as image-webp on large lossy files
            let img =
                webp::Decoder::new(bytes).decode().ok_or("libwebp could not decode the image")?;
            let (w, h) = (img.width(), img.height());
            let pixels = img.to_vec();
            let out = if img.is_alpha() {
                image::RgbaImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgba8)
            } else {
                image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
            };
            out.ok_or_else(|| "libwebp returned a buffer of the wrong size".into())
        }
        _ => {
            let image_format = match format {
                ImageFormat::Jpeg => image::ImageFormat::Jpeg,
                ImageFormat::Png => image::ImageFormat::Png,
                ImageFormat::Webp => image::ImageFormat::WebP,
                ImageFormat::Gif => image::ImageFormat::Gif,
                ImageFormat::Bmp => image::ImageFormat::Bmp,
                ImageFormat::Tiff => image::ImageFormat::Tiff,
                ImageFormat::Avif => image::ImageFormat::Avif,
            };
            let mut reader =
                image::ImageReader::with_format(std::io::Cursor::new(bytes), image_format);
            reader.limits(image_limits);
            Ok(reader.decode()?)
        }
    }
}

/// Options for [`encode`]. Build with [`EncodeOptions::new`] and set fields.
///
/// ```
/// use pixmize_core::codec::{EncodeOptions, ImageFormat};
/// let mut o = EncodeOptions::new(ImageFormat::Jpeg);
/// o.quality = 90;
/// o.progressive = true; // ImageKit's `pr-true`
/// assert!(!o.keep_metadata, "metadata is stripped unless `md-true`");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncodeOptions {
    /// The output format.
    pub format: ImageFormat,
    /// Quality 1–100 for JPEG, lossy WebP and AVIF (ImageKit's `q`).
    /// Default 80, ImageKit's default. Values outside 1–100 are clamped.
    /// PNG, GIF, BMP and TIFF ignore it.
    pub quality: u8,
    /// JPEG only: progressive encoding (ImageKit's `pr-true`).
    pub progressive: bool,
    /// ImageKit's `lo-true`. WebP: lossless encoding instead of lossy.
    /// PNG (always lossless): the strongest deflate compression instead of
    /// the fast default, trading encode time for size. Others ignore it.
    pub lossless: bool,
    /// ImageKit's `md-true`: write the input's EXIF (including GPS), XMP
    /// and comments into the output. The EXIF orientation is reset to 1
    /// because the pixels are already upright. Default `false`: stripped.
    pub keep_metadata: bool,
    /// ImageKit's `cp-true`: write the input's ICC profile into the output.
    /// Default `false`.
    pub keep_color_profile: bool,
    /// RGB colour that an image with alpha is flattened onto when the
    /// format has no alpha channel (JPEG). Default black, the engine's
    /// default when the transformation sets no `bg` (the engine passes the
    /// last solid `bg` here).
    pub background: [u8; 3],
}

impl EncodeOptions {
    /// Defaults for `format`: quality 80, baseline, lossy, metadata and
    /// colour profile stripped, alpha flattened onto black for JPEG.
    #[must_use]
    pub fn new(format: ImageFormat) -> Self {
        Self {
            format,
            quality: 80,
            progressive: false,
            lossless: false,
            keep_metadata: false,
            keep_color_profile: false,
            background: [0, 0, 0],
        }
    }
}

impl Default for EncodeOptions {
    /// JPEG with [`EncodeOptions::new`]'s defaults.
    fn default() -> Self {
        Self::new(ImageFormat::Jpeg)
    }
}

/// Encodes `image` as `options.format`, writing back the parts of `metadata`
/// that `options` asks for (none by default).
///
/// Metadata is written into JPEG (APP1/APP2/COM), PNG (`eXIf`, `iCCP`,
/// `iTXt`, `tEXt`) and WebP (`EXIF`, `ICCP`, `XMP ` in a `VP8X` file); GIF,
/// BMP, TIFF and AVIF outputs never carry any. JPEG has no alpha: an image
/// with alpha is composited over [`EncodeOptions::background`] first (black
/// by default, as the engine does without `bg`).
///
/// # Errors
///
/// [`Error::Unsupported`] when the format's encoder is not compiled in (AVIF
/// without the `avif` feature; lossy WebP without the `libwebp` feature,
/// as in the WebAssembly build, where `lossless` WebP still works);
/// [`Error::Encode`] when the encoder fails, for example for a JPEG wider
/// than 65 535 pixels.
pub fn encode(
    image: &DynamicImage,
    options: &EncodeOptions,
    metadata: &Metadata,
) -> Result<Vec<u8>> {
    let format = options.format;
    let unsupported = || Error::Unsupported(Unsupported::Format(format));
    let quality = options.quality.clamp(1, 100);
    let mut exif = None;
    if options.keep_metadata
        && let Some(e) = &metadata.exif
    {
        let mut e = e.clone();
        let _ = image::metadata::Orientation::remove_from_exif_chunk(&mut e);
        exif = Some(e);
    }
    let sel = metadata::Selection {
        exif: exif.as_deref(),
        xmp: metadata.xmp.as_deref().filter(|_| options.keep_metadata),
        icc: metadata.icc.as_deref().filter(|_| options.keep_color_profile),
        comments: if options.keep_metadata { &metadata.comments } else { &[] },
    };
    let enc_err = |source: BoxError| Error::Encode { format, source };
    match format {
        #[cfg(feature = "jpeg")]
        ImageFormat::Jpeg => {
            let flat;
            let img = if image.color().has_alpha() {
                flat = flatten_onto(image, options.background);
                &flat
            } else {
                image
            };
            let out = jpeg::encode(img, quality, options.progressive).map_err(enc_err)?;
            Ok(metadata::write_jpeg(&out, &sel))
        }
        #[cfg(feature = "png")]
        ImageFormat::Png => encode_png(image, options.lossless, &sel).map_err(enc_err),
        #[cfg(feature = "webp")]
        ImageFormat::Webp => {
            let out = if options.lossless {
                encode_with_image(image, image::ImageFormat::WebP).map_err(enc_err)?
            } else {
                #[cfg(feature = "libwebp")]
                {
                    encode_webp_lossy(image, quality).map_err(enc_err)?
                }
                #[cfg(not(feature = "libwebp"))]
                return Err(unsupported());
            };
            let alpha = image.color().has_alpha();
            Ok(metadata::write_webp(&out, &sel, image.width(), image.height(), alpha))
        }
        #[cfg(feature = "gif")]
        ImageFormat::Gif => encode_with_image(image, image::ImageFormat::Gif).map_err(enc_err),
        #[cfg(feature = "bmp")]
        ImageFormat::Bmp => encode_with_image(image, image::ImageFormat::Bmp).map_err(enc_err),
        #[cfg(feature = "tiff")]
        ImageFormat::Tiff => encode_with_image(image, image::ImageFormat::Tiff).map_err(enc_err),
        #[cfg(feature = "avif")]
        ImageFormat::Avif => encode_avif(image, quality).map_err(enc_err),
        #[allow(unreachable_patterns)] // all arms above may be compiled in
        _ => Err(unsupported()),
    }
}

/// Composites an image with alpha over the opaque colour `bg` and drops the
/// alpha channel (the same source-over as the engine's `ops::flatten`).
fn flatten_onto(image: &DynamicImage, bg: [u8; 3]) -> DynamicImage {
    crate::ops::flatten(DynamicImage::ImageRgba8(image.to_rgba8()), bg)
}

/// Encodes with one of `image`'s encoders (GIF, BMP, TIFF, lossless WebP).
/// GIF cannot hold 16-bit or float pixels, so those are converted to 8-bit
/// RGBA first; BMP gets 8-bit RGB(A).
#[allow(dead_code)] // unused when only JPEG and PNG are enabled
fn encode_with_image(
    image: &DynamicImage,
    format: image::ImageFormat,
) -> std::result::Result<Vec<u8>, BoxError> {
    let converted;
    let img = match (format, image) {
        (_, DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_)) => image,
        (
            image::ImageFormat::Tiff,
            DynamicImage::ImageLuma8(_)
            | DynamicImage::ImageRgb16(_)
            | DynamicImage::ImageRgba16(_),
        ) => image,
        (image::ImageFormat::Bmp, DynamicImage::ImageLuma8(_)) => image,
        (_, other) => {
            converted = if other.color().has_alpha() {
                DynamicImage::ImageRgba8(other.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(other.to_rgb8())
            };
            &converted
        }
    };
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format)?;
    Ok(out.into_inner())
}

#[cfg(feature = "png")]
fn encode_png(
    image: &DynamicImage,
    max_compression: bool,
    sel: &metadata::Selection<'_>,
) -> std::result::Result<Vec<u8>, BoxError> {
    use png::{BitDepth, ColorType};
    let converted;
    let (img, color, depth) = match image {
        DynamicImage::ImageLuma8(_) => (image, ColorType::Grayscale, BitDepth::Eight),
        DynamicImage::ImageLumaA8(_) => (image, ColorType::GrayscaleAlpha, BitDepth::Eight),
        DynamicImage::ImageRgb8(_) => (image, ColorType::Rgb, BitDepth::Eight),
        DynamicImage::ImageRgba8(_) => (image, ColorType::Rgba, BitDepth::Eight),
        DynamicImage::ImageLuma16(_) => (image, ColorType::Grayscale, BitDepth::Sixteen),
        DynamicImage::ImageLumaA16(_) => (image, ColorType::GrayscaleAlpha, BitDepth::Sixteen),
        DynamicImage::ImageRgb16(_) => (image, ColorType::Rgb, BitDepth::Sixteen),
        DynamicImage::ImageRgba16(_) => (image, ColorType::Rgba, BitDepth::Sixteen),
        other => {
            converted = DynamicImage::ImageRgba16(other.to_rgba16());
            (&converted, ColorType::Rgba, BitDepth::Sixteen)
        }
    };
    // PNG stores 16-bit samples big-endian
    let be16;
    let data: &[u8] = if depth == BitDepth::Sixteen {
        be16 = img.as_bytes().chunks_exact(2).flat_map(|c| [c[1], c[0]]).collect::<Vec<u8>>();
        if cfg!(target_endian = "big") { img.as_bytes() } else { &be16 }
    } else {
        img.as_bytes()
    };
    let mut info = png::Info::with_size(img.width(), img.height());
    info.color_type = color;
    info.bit_depth = depth;
    info.icc_profile = sel.icc.map(|c| c.to_vec().into());
    info.exif_metadata = sel.exif.map(|c| c.to_vec().into());
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::with_info(&mut out, info)?;
        encoder.set_compression(if max_compression {
            png::Compression::High
        } else {
            png::Compression::Fast
        });
        if let Some(xmp) = sel.xmp {
            encoder.add_itxt_chunk(
                metadata::PNG_XMP_KEYWORD.to_string(),
                String::from_utf8_lossy(xmp).into_owned(),
            )?;
        }
        for c in sel.comments {
            encoder.add_itxt_chunk("Comment".to_string(), c.clone())?;
        }
        let mut writer = encoder.write_header()?;
        writer.write_image_data(data)?;
        writer.finish()?;
    }
    Ok(out)
}

#[cfg(feature = "libwebp")]
fn encode_webp_lossy(image: &DynamicImage, quality: u8) -> std::result::Result<Vec<u8>, BoxError> {
    let (w, h) = (image.width(), image.height());
    let q = f32::from(quality);
    let mem = if image.color().has_alpha() {
        let converted;
        let rgba = match image {
            DynamicImage::ImageRgba8(b) => b,
            other => {
                converted = other.to_rgba8();
                &converted
            }
        };
        webp::Encoder::from_rgba(rgba.as_raw(), w, h).encode_simple(false, q)
    } else {
        let converted;
        let rgb = match image {
            DynamicImage::ImageRgb8(b) => b,
            other => {
                converted = other.to_rgb8();
                &converted
            }
        };
        webp::Encoder::from_rgb(rgb.as_raw(), w, h).encode_simple(false, q)
    };
    let mem = mem.map_err(|e| format!("libwebp error {e:?}"))?;
    Ok(mem.to_vec())
}

#[cfg(feature = "avif")]
fn encode_avif(image: &DynamicImage, quality: u8) -> std::result::Result<Vec<u8>, BoxError> {
    use image::ImageEncoder;
    let converted;
    let img = match image {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => image,
        other => {
            converted = if other.color().has_alpha() {
                DynamicImage::ImageRgba8(other.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(other.to_rgb8())
            };
            &converted
        }
    };
    let mut out = Vec::new();
    // speed 8 of 1..=10: sharp's default effort 4 maps near it; 1 thread
    let enc = image::codecs::avif::AvifEncoder::new_with_speed_quality(&mut out, 8, quality);
    enc.write_image(img.as_bytes(), img.width(), img.height(), img.color().into())?;
    Ok(out)
}
