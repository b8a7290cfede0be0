//! JPEG: decoding (libjpeg-turbo with IDCT scaling when the `turbojpeg`
//! feature is on, zune-jpeg otherwise) and encoding (libjpeg-turbo for
//! baseline output when available, jpeg-encoder for progressive output and
//! for pure-Rust builds).

use image::DynamicImage;

#[cfg(feature = "turbojpeg")]
use super::header::Header;
use crate::error::BoxError;

/// The IDCT scale denominators libjpeg-turbo and libvips use for
/// shrink-on-load, largest first.
const DENOMS: [u32; 3] = [8, 4, 2];

/// Picks the largest denominator `d` in 8, 4, 2 such that the stored image
/// decoded at 1/d (libjpeg rounds each side up) is still at least
/// `min_stored` in both dimensions; 1 when none fits.
pub(crate) fn scale_denominator(width: u32, height: u32, min_stored: (u32, u32)) -> u32 {
    DENOMS
        .into_iter()
        .find(|&d| {
            width.div_ceil(d) >= min_stored.0.max(1) && height.div_ceil(d) >= min_stored.1.max(1)
        })
        .unwrap_or(1)
}

/// Decodes with libjpeg-turbo at 1/`denom` scale. Returns `Ok(None)` for
/// CMYK/YCCK files, which the pure-Rust decoder handles (including Adobe's
/// inverted CMYK).
#[cfg(feature = "turbojpeg")]
pub(crate) fn decode_turbo(
    bytes: &[u8],
    header: &Header,
    denom: u32,
) -> Result<Option<DynamicImage>, BoxError> {
    use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat};
    if header.components == 4 {
        return Ok(None);
    }
    let mut d = Decompressor::new()?;
    let h = d.read_header(bytes)?;
    if matches!(h.colorspace, Colorspace::CMYK | Colorspace::YCCK) {
        return Ok(None);
    }
    // The limits were checked against our own header parser's size; the
    // buffer below is sized from libjpeg-turbo's. They must agree (a file
    // with two frame headers, say, must not slip a larger size through).
    if (h.width, h.height) != (header.width as usize, header.height as usize) {
        return Err(format!(
            "libjpeg-turbo reads {}×{} but the header was checked as {}×{}",
            h.width, h.height, header.width, header.height
        )
        .into());
    }
    let gray = matches!(h.colorspace, Colorspace::Gray);
    let denom = denom as usize;
    let (w, hh) = (h.width.div_ceil(denom), h.height.div_ceil(denom));
    let (format, channels) = if gray { (PixelFormat::GRAY, 1) } else { (PixelFormat::RGB, 3) };
    let len = w.checked_mul(hh).and_then(|p| p.checked_mul(channels)).ok_or("image too large")?;
    let mut pixels = vec![0u8; len];
    d.decompress(
        bytes,
        Image { pixels: &mut pixels[..], width: w, pitch: w * channels, height: hh, format },
    )?;
    let (w, hh) = (u32::try_from(w)?, u32::try_from(hh)?);
    let image = if gray {
        image::GrayImage::from_raw(w, hh, pixels).map(DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(w, hh, pixels).map(DynamicImage::ImageRgb8)
    };
    image.map(Some).ok_or_else(|| "decoded buffer has the wrong size".into())
}

/// Decodes at full size with zune-jpeg in strict mode, so that a truncated
/// or corrupt file is an error (as with libjpeg-turbo and sharp's default
/// `failOn: 'warning'`) rather than a partly grey picture. Grey files stay
/// grey; CMYK and YCCK (including Adobe's inverted CMYK) become RGB.
///
/// `checked` is the stored size the limits were checked against: zune-jpeg
/// refuses a frame wider or taller than that before allocating, and a frame
/// of any other size is an error.
pub(crate) fn decode_pure(bytes: &[u8], checked: (u32, u32)) -> Result<DynamicImage, BoxError> {
    use zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions};
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(usize::try_from(checked.0)?)
        .set_max_height(usize::try_from(checked.1)?);
    let mut d = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    d.decode_headers()?;
    let grey = matches!(d.input_colorspace(), Some(ColorSpace::Luma));
    d.set_options(options.jpeg_set_out_colorspace(if grey {
        ColorSpace::Luma
    } else {
        ColorSpace::RGB
    }));
    let pixels = d.decode()?;
    let info = d.info().ok_or("no JPEG frame header")?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if (w, h) != checked {
        return Err(format!(
            "zune-jpeg decoded {w}×{h} but the header was checked as {}×{}",
            checked.0, checked.1
        )
        .into());
    }
    let image = if grey {
        image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
    };
    image.ok_or_else(|| "decoded buffer has the wrong size".into())
}

/// Decodes at 1/`denom` scale with jpeg-decoder (pure Rust, one thread),
/// the only pure-Rust decoder with IDCT scaling. Used by builds without
/// `turbojpeg` (WebAssembly) when shrink-on-load applies: at 1/4 it is 1.6×
/// faster than a full zune-jpeg decode of a 20 MP baseline photo and needs a
/// third of the memory. Returns `Ok(None)` for pixel formats it does not
/// turn into RGB or grey (CMYK), which zune-jpeg then decodes.
#[cfg_attr(feature = "turbojpeg", allow(dead_code))]
pub(crate) fn decode_scaled_pure(
    bytes: &[u8],
    denom: u32,
    limits: &super::Limits,
) -> Result<Option<DynamicImage>, BoxError> {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    d.set_max_decoding_buffer_size(
        usize::try_from(limits.max_pixels.saturating_mul(4)).unwrap_or(usize::MAX),
    );
    d.read_info()?;
    let info = d.info().ok_or("no JPEG frame header")?;
    if !matches!(
        info.pixel_format,
        jpeg_decoder::PixelFormat::RGB24 | jpeg_decoder::PixelFormat::L8
    ) {
        return Ok(None);
    }
    let w = u16::try_from(u32::from(info.width).div_ceil(denom))?;
    let h = u16::try_from(u32::from(info.height).div_ceil(denom))?;
    d.scale(w, h)?;
    let pixels = d.decode()?;
    let info = d.info().ok_or("no JPEG frame header")?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let image = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => {
            image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
        }
        _ => image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8),
    };
    image.map(Some).ok_or_else(|| "decoded buffer has the wrong size".into())
}

/// Encodes 8-bit RGB or grey pixels as JPEG.
///
/// Baseline output uses libjpeg-turbo (`turbojpeg` feature) with 4:2:0 chroma
/// subsampling for colour, like libvips and sharp at quality < 90;
/// progressive output (`pr-true`) and pure-Rust builds use jpeg-encoder with
/// the same subsampling and the same IJG quality scaling.
pub(crate) fn encode(
    image: &DynamicImage,
    quality: u8,
    progressive: bool,
) -> Result<Vec<u8>, BoxError> {
    let gray = !image.color().has_color();
    let (w, h) = (image.width(), image.height());
    let pixels: std::borrow::Cow<'_, [u8]> = match (gray, image) {
        (true, DynamicImage::ImageLuma8(b)) => b.as_raw().into(),
        (true, _) => image.to_luma8().into_raw().into(),
        (false, DynamicImage::ImageRgb8(b)) => b.as_raw().into(),
        (false, _) => image.to_rgb8().into_raw().into(),
    };
    #[cfg(feature = "turbojpeg")]
    if !progressive {
        use turbojpeg::{Image, PixelFormat, Subsamp};
        let (format, channels, subsamp) = if gray {
            (PixelFormat::GRAY, 1, Subsamp::Gray)
        } else {
            (PixelFormat::RGB, 3, Subsamp::Sub2x2)
        };
        let (w, h) = (w as usize, h as usize);
        let img = Image { pixels: &pixels[..], width: w, pitch: w * channels, height: h, format };
        return Ok(turbojpeg::compress(img, i32::from(quality), subsamp)?.to_vec());
    }
    let (w16, h16) = (u16::try_from(w)?, u16::try_from(h)?);
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.set_progressive(progressive);
    let color = if gray { jpeg_encoder::ColorType::Luma } else { jpeg_encoder::ColorType::Rgb };
    enc.encode(&pixels, w16, h16, color)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_denominator_keeps_min_size() {
        let cases = [
            ((5312, 2988), (800, 450), 4),
            ((5312, 2988), (1600, 900), 2),
            ((5312, 2988), (600, 300), 8),
            ((5312, 2988), (5312, 2988), 1),
            ((5312, 2988), (0, 0), 8),
            ((100, 100), (13, 13), 8),
            ((100, 100), (14, 1), 4), // ceil(100/8) = 13 < 14
        ];
        for ((w, h), min, want) in cases {
            assert_eq!(scale_denominator(w, h, min), want, "{w}x{h} min {min:?}");
        }
    }

    // The pure-Rust paths are what the WebAssembly build runs; native test
    // runs use libjpeg-turbo through `decode`, so exercise these directly.
    const BASELINE: &[u8] = include_bytes!("../../tests/fixtures/codec/seeding-96x54.jpg");
    const PROGRESSIVE: &[u8] =
        include_bytes!("../../tests/fixtures/codec/seeding-96x54-progressive.jpg");
    const GREY: &[u8] = include_bytes!("../../tests/fixtures/codec/seeding-96x54-grey.jpg");
    const CMYK: &[u8] = include_bytes!("../../tests/fixtures/codec/seeding-96x54-cmyk.jpg");

    #[test]
    fn pure_scaled_decode_matches_full_decode() {
        let limits = super::super::Limits::default();
        for (name, bytes) in [("baseline", BASELINE), ("progressive", PROGRESSIVE), ("grey", GREY)]
        {
            let full = decode_pure(bytes, (96, 54)).unwrap();
            for denom in [2u32, 4, 8] {
                let scaled = decode_scaled_pure(bytes, denom, &limits).unwrap().unwrap();
                assert_eq!(
                    (scaled.width(), scaled.height()),
                    (96u32.div_ceil(denom), 54u32.div_ceil(denom)),
                    "{name} 1/{denom}"
                );
                assert_eq!(scaled.color(), full.color(), "{name}");
                // the scaled image is close to a box-filtered full decode
                let boxed = image::imageops::resize(
                    &full.to_rgb8(),
                    scaled.width(),
                    scaled.height(),
                    image::imageops::FilterType::Triangle,
                );
                let diff: f64 = boxed
                    .as_raw()
                    .iter()
                    .zip(scaled.to_rgb8().as_raw())
                    .map(|(a, b)| f64::from(a.abs_diff(*b)))
                    .sum::<f64>()
                    / boxed.as_raw().len() as f64;
                assert!(diff < 12.0, "{name} 1/{denom}: mean difference {diff}");
            }
        }
        assert!(decode_scaled_pure(CMYK, 2, &limits).unwrap().is_none(), "CMYK goes to zune-jpeg");
        assert!(decode_pure(CMYK, (96, 54)).unwrap().color().has_color());
        // a frame larger than the size the limits were checked against
        assert!(decode_pure(BASELINE, (96, 27)).is_err(), "refused before allocating");
        assert!(decode_pure(BASELINE, (200, 200)).is_err(), "any other size is an error");
    }

    #[cfg(feature = "turbojpeg")]
    #[test]
    fn turbo_refuses_a_size_other_than_the_checked_one() {
        let mut header =
            super::super::header::probe(super::super::ImageFormat::Jpeg, BASELINE).expect("header");
        assert!(decode_turbo(BASELINE, &header, 1).unwrap().is_some());
        // as if the limits had been checked against a smaller frame
        header.height = 27;
        let err = decode_turbo(BASELINE, &header, 1).unwrap_err().to_string();
        assert!(err.contains("96×54") && err.contains("96×27"), "{err}");
    }

    #[test]
    fn pure_decoders_reject_truncated_files() {
        let limits = super::super::Limits::default();
        for bytes in [BASELINE, PROGRESSIVE, CMYK] {
            let cut = &bytes[..bytes.len() / 2];
            assert!(decode_pure(cut, (96, 54)).is_err());
            assert!(decode_scaled_pure(cut, 2, &limits).is_err() || bytes == CMYK);
        }
    }
}
