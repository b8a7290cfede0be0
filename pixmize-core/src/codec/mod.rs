//! Image codecs: format detection from the bytes, decoding under limits,
//! encoding, and metadata handling.

use std::fmt;

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

// ---------------------------------------------------------------------------
// Interim implementation on the `image` crate; replaced by the measured codec
// layer (shrink-on-load JPEG, lossy WebP, metadata) with the same API.
// ---------------------------------------------------------------------------

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader};

use crate::error::{Error, Limit, LimitExceeded, Result, Unsupported};

/// Detects the format from the first bytes (magic numbers), never from a name.
#[must_use]
pub fn detect(bytes: &[u8]) -> Option<ImageFormat> {
    let starts = |m: &[u8]| bytes.starts_with(m);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::Webp)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else if starts(b"BM") {
        Some(ImageFormat::Bmp)
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some(ImageFormat::Tiff)
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(&bytes[8..12], b"avif" | b"avis")
    {
        Some(ImageFormat::Avif)
    } else {
        None
    }
}

/// Limits checked before any pixel is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest encoded input, in bytes (default 40 MB, ImageKit's maximum).
    pub max_input_bytes: u64,
    /// Most pixels of the decoded input (default 100 MP, like ImageKit).
    pub max_pixels: u64,
    /// Longest side of the input (default 65535).
    pub max_side: u32,
    /// Most frames or pages (default 1000).
    pub max_frames: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 40 * 1024 * 1024,
            max_pixels: 100_000_000,
            max_side: 65_535,
            max_frames: 1000,
        }
    }
}

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Info {
    /// The format.
    pub format: ImageFormat,
    /// Width after EXIF orientation.
    pub width: u32,
    /// Height after EXIF orientation.
    pub height: u32,
}

/// Options for [`decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Limits.
    pub limits: Limits,
    /// Shrink-on-load hint: the decoder may return a smaller image, at least
    /// this large in both dimensions (after orientation).
    pub min_size: Option<(u32, u32)>,
}

/// Metadata found in the input, to write back when asked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Metadata {
    /// Raw EXIF (TIFF structure, without the `Exif\0\0` header).
    pub exif: Option<Vec<u8>>,
    /// XMP packet.
    pub xmp: Option<Vec<u8>>,
    /// ICC colour profile.
    pub icc: Option<Vec<u8>>,
    /// Comments.
    pub comments: Vec<String>,
}

/// A decoded image.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Decoded {
    /// Pixels, oriented.
    pub image: DynamicImage,
    /// The input's format.
    pub format: ImageFormat,
    /// Full width after orientation (the image may be smaller: shrink-on-load).
    pub original_width: u32,
    /// Full height after orientation.
    pub original_height: u32,
    /// Metadata found.
    pub metadata: Metadata,
    /// Whether the image has an alpha channel.
    pub has_alpha: bool,
}

/// Options for [`encode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncodeOptions {
    /// Output format.
    pub format: ImageFormat,
    /// Lossy quality 1–100 (default 80).
    pub quality: u8,
    /// Progressive JPEG.
    pub progressive: bool,
    /// Lossless WebP; maximum compression for PNG.
    pub lossless: bool,
    /// Keep EXIF, XMP and comments (stripped by default).
    pub keep_metadata: bool,
    /// Keep the ICC profile.
    pub keep_color_profile: bool,
}

impl EncodeOptions {
    /// Defaults for `format`: quality 80, everything else off.
    #[must_use]
    pub fn new(format: ImageFormat) -> EncodeOptions {
        EncodeOptions {
            format,
            quality: 80,
            progressive: false,
            lossless: false,
            keep_metadata: false,
            keep_color_profile: false,
        }
    }
}

fn to_image_format(f: ImageFormat) -> image::ImageFormat {
    match f {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Webp => image::ImageFormat::WebP,
        ImageFormat::Gif => image::ImageFormat::Gif,
        ImageFormat::Bmp => image::ImageFormat::Bmp,
        ImageFormat::Tiff => image::ImageFormat::Tiff,
        ImageFormat::Avif => image::ImageFormat::Avif,
    }
}

fn check_input(bytes: &[u8], limits: &Limits) -> Result<ImageFormat> {
    let len = bytes.len() as u64;
    if len > limits.max_input_bytes {
        return Err(Error::Limit(LimitExceeded {
            limit: Limit::InputBytes,
            actual: len,
            max: limits.max_input_bytes,
        }));
    }
    detect(bytes).ok_or(Error::UnknownFormat)
}

fn check_size(w: u32, h: u32, limits: &Limits) -> Result<()> {
    let side = w.max(h);
    if side > limits.max_side {
        return Err(Error::Limit(LimitExceeded {
            limit: Limit::InputSide,
            actual: side.into(),
            max: limits.max_side.into(),
        }));
    }
    let px = u64::from(w) * u64::from(h);
    if px > limits.max_pixels {
        return Err(Error::Limit(LimitExceeded {
            limit: Limit::InputPixels,
            actual: px,
            max: limits.max_pixels,
        }));
    }
    Ok(())
}

/// Reads the header: format and oriented size, without decoding pixels.
///
/// # Errors
/// Unknown format, a limit exceeded, or an unreadable header.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Info> {
    let format = check_input(bytes, limits)?;
    let decode_err = |e: image::ImageError| Error::Decode { format, source: Box::new(e) };
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), to_image_format(format))
        .into_decoder()
        .map_err(decode_err)?;
    let (w, h) = decoder.dimensions();
    check_size(w, h, limits)?;
    let orientation = decoder.orientation().map_err(decode_err)?;
    let swap = matches!(
        orientation,
        image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH
    );
    let (width, height) = if swap { (h, w) } else { (w, h) };
    Ok(Info { format, width, height })
}

/// Decodes under `opts.limits`, applying the EXIF orientation.
///
/// # Errors
/// Unknown format, a limit exceeded, or a decoding error.
pub fn decode(bytes: &[u8], opts: &DecodeOptions) -> Result<Decoded> {
    let info = probe(bytes, &opts.limits)?;
    let format = info.format;
    let decode_err = |e: image::ImageError| Error::Decode { format, source: Box::new(e) };
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), to_image_format(format))
        .into_decoder()
        .map_err(decode_err)?;
    let orientation = decoder.orientation().map_err(decode_err)?;
    let metadata = Metadata {
        exif: decoder.exif_metadata().ok().flatten(),
        xmp: decoder.xmp_metadata().ok().flatten(),
        icc: decoder.icc_profile().ok().flatten(),
        comments: Vec::new(),
    };
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
    image.apply_orientation(orientation);
    let has_alpha = image.color().has_alpha();
    Ok(Decoded {
        image,
        format,
        original_width: info.width,
        original_height: info.height,
        metadata,
        has_alpha,
    })
}

/// Encodes `image`. Metadata is written only when asked.
///
/// # Errors
/// [`Error::Encode`], or [`Error::Unsupported`] for a format without an encoder.
pub fn encode(image: &DynamicImage, opts: &EncodeOptions, _metadata: &Metadata) -> Result<Vec<u8>> {
    let format = opts.format;
    let mut out = Cursor::new(Vec::new());
    let err = |e: image::ImageError| Error::Encode { format, source: Box::new(e) };
    match format {
        ImageFormat::Jpeg => {
            let rgb = image.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, opts.quality)
                .encode_image(&rgb)
                .map_err(err)?;
        }
        ImageFormat::Png | ImageFormat::Gif | ImageFormat::Bmp | ImageFormat::Tiff => {
            image.write_to(&mut out, to_image_format(format)).map_err(err)?;
        }
        ImageFormat::Webp => {
            // Lossless only in this interim implementation.
            image.write_to(&mut out, image::ImageFormat::WebP).map_err(err)?;
        }
        ImageFormat::Avif => return Err(Error::Unsupported(Unsupported::Format(format))),
    }
    Ok(out.into_inner())
}

/// `f-auto`: AVIF, then WebP, then JPEG (or PNG when there is alpha), among
/// the formats the caller accepts and this build can encode.
#[must_use]
pub fn choose_auto_format(accepted: &[ImageFormat], has_alpha: bool) -> ImageFormat {
    for f in [ImageFormat::Avif, ImageFormat::Webp] {
        if accepted.contains(&f) && can_encode(f) {
            return f;
        }
    }
    if has_alpha { ImageFormat::Png } else { ImageFormat::Jpeg }
}

/// Whether this build can encode `format`.
#[must_use]
pub fn can_encode(format: ImageFormat) -> bool {
    !matches!(format, ImageFormat::Avif)
}
