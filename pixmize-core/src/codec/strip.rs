//! Removing metadata from an encoded image without re-encoding its pixels,
//! for images about to leave the device (the privacy policy's "strip
//! metadata before upload").

use super::{ImageFormat, detect};
use crate::error::{Error, Result, Unsupported};

/// Returns `bytes` without EXIF (GPS included), XMP, IPTC, comments and
/// text chunks. The pixels are copied as they are — no re-encoding, no
/// quality loss — and the colour profile is kept.
///
/// * JPEG: drops APP1 (EXIF, XMP), APP3–APP13 (maker notes, IPTC) and
///   APP15 segments and COM segments; keeps JFIF (APP0), ICC (APP2) and
///   Adobe (APP14, needed for CMYK colours).
/// * PNG: drops `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks.
/// * WebP: drops `EXIF` and `XMP ` chunks and clears their `VP8X` flags.
/// * GIF: drops comment extensions and XMP application extensions.
/// * BMP: returned as is (BMP holds no metadata).
/// * TIFF: the format *is* metadata: the pixels are re-encoded losslessly
///   as PNG.
///
/// ```
/// use pixmize_core::codec::{self, ImageFormat};
/// let photo = std::fs::read("../examples/assets/seeding-1600x900.jpg")?;
/// let clean = codec::strip_metadata(&photo)?;
/// assert_eq!(codec::detect(&clean), Some(ImageFormat::Jpeg));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::UnknownFormat`], [`Error::Decode`] for a malformed container,
/// [`Error::Unsupported`] for AVIF.
pub fn strip_metadata(bytes: &[u8]) -> Result<Vec<u8>> {
    let format = detect(bytes).ok_or(Error::UnknownFormat)?;
    let malformed = |what: &'static str| Error::Decode { format, source: what.into() };
    match format {
        ImageFormat::Jpeg => {
            jpeg(bytes).ok_or_else(|| malformed("malformed JPEG segment structure"))
        }
        ImageFormat::Png => png(bytes).ok_or_else(|| malformed("malformed PNG chunk structure")),
        ImageFormat::Webp => {
            webp(bytes).ok_or_else(|| malformed("malformed WebP (RIFF) structure"))
        }
        ImageFormat::Gif => gif(bytes).ok_or_else(|| malformed("malformed GIF block structure")),
        ImageFormat::Bmp => Ok(bytes.to_vec()),
        ImageFormat::Tiff => {
            let decoded = super::decode(bytes, &super::DecodeOptions::default())?;
            super::encode(
                &decoded.image,
                &super::EncodeOptions::new(ImageFormat::Png),
                &super::Metadata::default(),
            )
        }
        _ => Err(Error::Unsupported(Unsupported::Format(format))),
    }
}

fn jpeg(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(b.get(..2)?);
    let mut i = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while b.get(i) == Some(&0xFF) && b.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if *b.get(i)? != 0xFF {
            return None;
        }
        let marker = *b.get(i + 1)?;
        match marker {
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&b[i..i + 2]);
                i += 2;
                continue;
            }
            0xD9 => {
                out.extend_from_slice(&b[i..]);
                return Some(out);
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*b.get(i + 2)?, *b.get(i + 3)?]));
        if len < 2 {
            return None;
        }
        let end = i.checked_add(2 + len)?;
        let segment = b.get(i..end)?;
        let drop = matches!(marker, 0xE1 | 0xE3..=0xED | 0xEF | 0xFE);
        if !drop {
            out.extend_from_slice(segment);
        }
        i = end;
        if marker == 0xDA {
            // Start of scan: entropy-coded data and the rest follow as is
            // (progressive files interleave more tables and scans, none of
            // them metadata; a COM after the first scan is rare and kept).
            out.extend_from_slice(b.get(i..)?);
            return Some(out);
        }
    }
}

fn png(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(b.get(..8)?);
    let mut i = 8;
    while i < b.len() {
        let len = u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?) as usize;
        let kind = b.get(i + 4..i + 8)?;
        let end = i.checked_add(12)?.checked_add(len)?;
        let chunk = b.get(i..end)?;
        if !matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            out.extend_from_slice(chunk);
        }
        i = end;
        if kind == b"IEND" {
            return Some(out);
        }
    }
    None
}

fn webp(b: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::with_capacity(b.len());
    body.extend_from_slice(b"WEBP");
    let riff_end =
        (u32::from_le_bytes(b.get(4..8)?.try_into().ok()?) as usize).checked_add(8)?.min(b.len());
    let mut i = 12;
    let mut vp8x_at = None;
    while i + 8 <= riff_end {
        let kind = b.get(i..i + 4)?;
        let len = u32::from_le_bytes(b.get(i + 4..i + 8)?.try_into().ok()?) as usize;
        let padded = len + (len & 1);
        let end = i.checked_add(8)?.checked_add(padded)?.min(riff_end);
        let chunk = b.get(i..end)?;
        if kind == b"VP8X" {
            vp8x_at = Some(body.len());
        }
        if !matches!(kind, b"EXIF" | b"XMP ") {
            body.extend_from_slice(chunk);
        }
        i = end;
    }
    let has_image = body.windows(4).any(|w| w == b"VP8 " || w == b"VP8L") || vp8x_at.is_some();
    if !has_image {
        return None;
    }
    if let Some(at) = vp8x_at {
        // Flags byte: bit 3 EXIF, bit 2 XMP.
        if let Some(flags) = body.get_mut(at + 8) {
            *flags &= !(0x08 | 0x04);
        }
    }
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&u32::try_from(body.len()).ok()?.to_le_bytes());
    out.extend_from_slice(&body);
    Some(out)
}

fn gif(b: &[u8]) -> Option<Vec<u8>> {
    // Header and logical screen descriptor, then the global colour table.
    let flags = *b.get(10)?;
    let mut i = 13;
    if flags & 0x80 != 0 {
        i += 3 << ((flags & 0x07) + 1);
    }
    let mut out = b.get(..i)?.to_vec();
    let sub_blocks_end = |mut j: usize| -> Option<usize> {
        loop {
            let n = usize::from(*b.get(j)?);
            j += 1 + n;
            if n == 0 {
                return Some(j);
            }
        }
    };
    loop {
        match *b.get(i)? {
            0x3B => {
                out.push(0x3B);
                return Some(out);
            }
            0x2C => {
                let lflags = *b.get(i + 9)?;
                let mut j = i + 10;
                if lflags & 0x80 != 0 {
                    j += 3 << ((lflags & 0x07) + 1);
                }
                let end = sub_blocks_end(j + 1)?;
                out.extend_from_slice(b.get(i..end)?);
                i = end;
            }
            0x21 => {
                let label = *b.get(i + 1)?;
                let end = sub_blocks_end(i + 2)?;
                let xmp = label == 0xFF && b.get(i + 3..i + 14) == Some(b"XMP DataXMP".as_slice());
                if label != 0xFE && !xmp {
                    out.extend_from_slice(b.get(i..end)?);
                }
                i = end;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_with_text() -> Vec<u8> {
        let img = image::RgbImage::from_pixel(4, 3, image::Rgb([9, 8, 7]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        // Insert a tEXt chunk after IHDR (8 + 25 bytes).
        let mut chunk = Vec::new();
        let data = b"Comment\0GPS 52.52N 13.40E";
        chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
        chunk.extend_from_slice(b"tEXt");
        chunk.extend_from_slice(data);
        chunk.extend_from_slice(&[0, 0, 0, 0]); // CRC is not checked by stripping
        let mut out = png[..33].to_vec();
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&png[33..]);
        out
    }

    #[test]
    fn png_text_chunks_go_and_pixels_stay() {
        let input = png_with_text();
        let clean = strip_metadata(&input).unwrap();
        assert!(!clean.windows(4).any(|w| w == b"tEXt"));
        assert!(!clean.windows(3).any(|w| w == b"GPS"));
        assert_eq!(clean.len(), input.len() - (12 + 25));
        let img = image::load_from_memory(&clean).unwrap().to_rgb8();
        assert_eq!(img.get_pixel(3, 2).0, [9, 8, 7]);
    }

    #[test]
    fn jpeg_exif_and_comments_go() {
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([200, 100, 50]));
        let mut jpg = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut jpg), image::ImageFormat::Jpeg)
            .unwrap();
        let mut input = jpg[..2].to_vec();
        for (marker, payload) in
            [(0xE1u8, b"Exif\0\0GPSLatitude".as_slice()), (0xFE, b"secret comment".as_slice())]
        {
            input.extend_from_slice(&[0xFF, marker]);
            input.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
            input.extend_from_slice(payload);
        }
        input.extend_from_slice(&jpg[2..]);
        let clean = strip_metadata(&input).unwrap();
        assert_eq!(clean, jpg, "exactly the original without the two segments");
    }

    #[test]
    fn webp_exif_chunk_goes() {
        let img = image::RgbaImage::from_pixel(8, 8, image::Rgba([1, 2, 3, 255]));
        let mut webp = Vec::new();
        image::DynamicImage::ImageRgba8(img)
            .write_to(&mut std::io::Cursor::new(&mut webp), image::ImageFormat::WebP)
            .unwrap();
        let mut input = webp.clone();
        input.extend_from_slice(b"EXIF");
        input.extend_from_slice(&6u32.to_le_bytes());
        input.extend_from_slice(b"GPS!!!");
        let size = (input.len() - 8) as u32;
        input[4..8].copy_from_slice(&size.to_le_bytes());
        let clean = strip_metadata(&input).unwrap();
        assert!(!clean.windows(4).any(|w| w == b"EXIF"));
        assert_eq!(clean, webp);
        assert!(image::load_from_memory(&clean).is_ok());
    }

    #[test]
    fn malformed_containers_are_errors_not_panics() {
        for bad in [
            &b"\xFF\xD8\xFF\xE1\x00"[..],
            b"\x89PNG\r\n\x1a\n\x00\x00",
            b"RIFF\xFF\xFF\xFF\xFFWEBPVP8X",
            b"GIF89a\x01",
        ] {
            assert!(strip_metadata(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(strip_metadata(b"nope"), Err(Error::UnknownFormat)));
    }
}
