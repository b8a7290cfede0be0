//! Format detection from magic numbers.

use super::ImageFormat;

/// Detects the image format from the first bytes (magic numbers) only.
///
/// The file name, extension or a MIME type claimed by the caller are never
/// consulted. Recognised signatures:
///
/// | format | signature |
/// |---|---|
/// | JPEG | `FF D8 FF` |
/// | PNG | `89 50 4E 47 0D 0A 1A 0A` |
/// | WebP | `RIFF` *size* `WEBP` |
/// | GIF | `GIF87a` or `GIF89a` |
/// | BMP | `BM` followed by a known DIB header size (12, 40, 52, 56, 64, 108 or 124) |
/// | TIFF | `II*\0` or `MM\0*` (also BigTIFF `II+\0`, `MM\0+`) |
/// | AVIF | an ISO-BMFF `ftyp` box whose major or compatible brands include `avif` or `avis` |
///
/// Returns `None` for anything else (including HEIC, whose `ftyp` brands are
/// `heic`/`mif1` without `avif`). Detection does not depend on which codecs
/// are compiled in.
///
/// ```
/// use pixmize_core::codec::{detect, ImageFormat};
/// assert_eq!(detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(ImageFormat::Png));
/// assert_eq!(detect(b"GIF89a\x01\x00\x01\x00"), Some(ImageFormat::Gif));
/// assert_eq!(detect(b"hello"), None);
/// ```
#[must_use]
pub fn detect(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(ImageFormat::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(ImageFormat::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some(ImageFormat::Webp);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some(ImageFormat::Gif);
    }
    if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        return Some(ImageFormat::Tiff);
    }
    if is_bmp(bytes) {
        return Some(ImageFormat::Bmp);
    }
    if is_avif(bytes) {
        return Some(ImageFormat::Avif);
    }
    None
}

fn is_bmp(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"BM") || bytes.len() < 18 {
        return false;
    }
    let dib = u32::from_le_bytes([bytes[14], bytes[15], bytes[16], bytes[17]]);
    matches!(dib, 12 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// An ISO-BMFF file starts with a `ftyp` box: size (u32 BE), `ftyp`, major
/// brand, minor version, then compatible brands up to the box's end
/// (ISO/IEC 14496-12 §4.3; AVIF brands from the AV1 Image File Format spec §8).
fn is_avif(bytes: &[u8]) -> bool {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return false;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = size.clamp(16, bytes.len());
    let is_avif_brand = |b: &[u8]| b == b"avif" || b == b"avis";
    if is_avif_brand(&bytes[8..12]) {
        return true;
    }
    bytes[16..end].chunks_exact(4).any(is_avif_brand)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &[(&[u8], Option<ImageFormat>)] = &[
        (b"\xFF\xD8\xFF\xE0\0\x10JFIF", Some(ImageFormat::Jpeg)),
        (b"\xFF\xD8\xFF", Some(ImageFormat::Jpeg)),
        (b"\xFF\xD8", None),
        (b"\x89PNG\r\n\x1a\n", Some(ImageFormat::Png)),
        (b"\x89PNG\r\n\x1a", None),
        (b"RIFF\x24\0\0\0WEBPVP8 ", Some(ImageFormat::Webp)),
        (b"RIFF\x24\0\0\0WAVEfmt ", None),
        (b"GIF87a", Some(ImageFormat::Gif)),
        (b"GIF89a", Some(ImageFormat::Gif)),
        (b"GIF88a", None),
        (b"BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", Some(ImageFormat::Bmp)),
        (b"BM\0\0\0\0\0\0\0\0\x36\0\0\0\x29\0\0\0", None),
        (b"BMP is not an image", None),
        (b"II*\0\x08\0\0\0", Some(ImageFormat::Tiff)),
        (b"MM\0*\0\0\0\x08", Some(ImageFormat::Tiff)),
        (b"II+\0\x08\0\0\0", Some(ImageFormat::Tiff)),
        (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1", Some(ImageFormat::Avif)),
        (b"\0\0\0\x1cftypmif1\0\0\0\0mif1avif", Some(ImageFormat::Avif)),
        (b"\0\0\0\x18ftypavis\0\0\0\0", Some(ImageFormat::Avif)),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", None),
        // brands past the declared box size do not count
        (b"\0\0\0\x10ftypmif1\0\0\0\0avif", None),
        (b"", None),
        (b"\0", None),
    ];

    #[test]
    fn detects_magic_numbers() {
        for (bytes, want) in CASES {
            assert_eq!(detect(bytes), *want, "input {bytes:?}");
        }
    }
}
