//! AVIF decoding (`dav1d` feature): the container is read by `avif-parse`
//! (pure Rust), the AV1 payloads are decoded by the system's libdav1d
//! through the `dav1d` crate, and the YUV planes are turned into 8-bit RGB
//! or RGBA here.
//!
//! Why this combination: `image`'s own `avif-native` feature needs
//! `dav1d` 0.11, whose `dav1d-sys` 0.8 requires libdav1d ≥ 1.3 (or clones
//! dav1d's git repository to build it, which needs the network); Debian 12
//! ships libdav1d 1.0.0. `dav1d` 0.9 (`dav1d-sys` 0.7) accepts 1.0 – 1.2.
//! The pure-Rust port `rav1d` only offers dav1d's unsafe C API, and this
//! crate forbids `unsafe`.
//!
//! The colour conversion follows the AV1 sequence header (ITU-T H.273
//! matrix coefficients: identity, BT.709, BT.601, BT.2020; full or limited
//! range; 8, 10 or 12 bits). Chroma is upsampled by nearest neighbour.
//! Alpha comes from the auxiliary alpha item; premultiplied alpha is
//! divided out.

use image::DynamicImage;

use super::header::Header;
use super::limits::Limits;
use crate::error::BoxError;

type Result<T> = std::result::Result<T, BoxError>;

/// Decodes `bytes` (already detected as AVIF, its `ispe` size checked
/// against `limits` as `header`).
pub(crate) fn decode(bytes: &[u8], header: &Header, limits: &Limits) -> Result<DynamicImage> {
    // avif-parse reports a box whose content it did not read to the end
    // with a `debug_assert!` before returning its error, so a truncated or
    // corrupt file panics in builds with debug assertions (tests, fuzzing).
    // Bad input must be an error in every build: catch that panic.
    let parsed = std::panic::catch_unwind(|| {
        avif_parse::read_avif(&mut std::io::Cursor::new(bytes))
            .map_err(|e| format!("AVIF container: {e:?}"))
    });
    let data = parsed.map_err(|_| "AVIF container: inconsistent box sizes")??;
    let primary = data.primary_item.to_vec();
    let colour = color_config(&primary)?;
    let picture = decode_av1(primary, limits)?;
    let (w, h) = (picture.width(), picture.height());
    // The limits were checked against the container's `ispe` size: the
    // pixels must be what was checked, not what the AV1 stream claims.
    if (w, h) != (header.width, header.height) {
        return Err(format!(
            "AV1 frame is {w}×{h} but the container declares {}×{}",
            header.width, header.height
        )
        .into());
    }
    let alpha = match &data.alpha_item {
        Some(a) => {
            let a = a.to_vec();
            let alpha_colour = color_config(&a)?;
            let pic = decode_av1(a, limits)?;
            if (pic.width(), pic.height()) != (w, h) {
                return Err("the alpha plane's size differs from the image's".into());
            }
            Some(alpha_plane(&pic, alpha_colour.full_range))
        }
        None => None,
    };
    let rgb = to_rgb(&picture, &colour);
    Ok(match alpha {
        None => DynamicImage::ImageRgb8(
            image::RgbImage::from_raw(w, h, rgb).ok_or("RGB buffer has the wrong size")?,
        ),
        Some(alpha) => {
            let mut rgba = Vec::with_capacity(alpha.len() * 4);
            for (px, &a) in rgb.chunks_exact(3).zip(&alpha) {
                let unpremultiply = |c: u8| {
                    if !data.premultiplied_alpha || a == 255 {
                        c
                    } else if a == 0 {
                        0
                    } else {
                        ((u32::from(c) * 255 + u32::from(a) / 2) / u32::from(a)).min(255) as u8
                    }
                };
                rgba.extend_from_slice(&[
                    unpremultiply(px[0]),
                    unpremultiply(px[1]),
                    unpremultiply(px[2]),
                    a,
                ]);
            }
            DynamicImage::ImageRgba8(
                image::RgbaImage::from_raw(w, h, rgba).ok_or("RGBA buffer has the wrong size")?,
            )
        }
    })
}

/// Decodes one AV1 still picture.
fn decode_av1(obus: Vec<u8>, limits: &Limits) -> Result<dav1d::Picture> {
    let mut settings = dav1d::Settings::new();
    // One thread and no frame delay: a still image in a batch that is
    // already parallel (libavif's settings for still images).
    settings.set_n_threads(1);
    settings.set_max_frame_delay(1);
    settings.set_frame_size_limit(u32::try_from(limits.max_pixels).unwrap_or(u32::MAX));
    let mut decoder = dav1d::Decoder::with_settings(&settings)?;
    match decoder.send_data(obus, None, None, None) {
        Err(e) if !e.is_again() => return Err(e.into()),
        _ => {}
    }
    // A complete still image comes out after a few rounds; truncated data
    // leaves the decoder waiting for more, which is an error here.
    for _ in 0..16 {
        match decoder.get_picture() {
            Ok(p) => return Ok(p),
            Err(e) if e.is_again() => match decoder.send_pending_data() {
                Err(e) if !e.is_again() => return Err(e.into()),
                _ => {}
            },
            Err(e) => return Err(e.into()),
        }
    }
    Err("the AV1 data holds no complete picture".into())
}

/// What the AV1 sequence header says about colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ColorConfig {
    /// ITU-T H.273 `MatrixCoefficients`.
    matrix: u8,
    full_range: bool,
}

/// Reads the colour configuration from the sequence header OBU (AV1
/// specification §5.5).
fn color_config(obus: &[u8]) -> Result<ColorConfig> {
    let mut rest = obus;
    while let Some((&first, after)) = rest.split_first() {
        let obu_type = (first >> 3) & 0xF;
        let extension = first & 0b100 != 0;
        let has_size = first & 0b010 != 0;
        let mut body = if extension { after.get(1..).ok_or(TRUNCATED)? } else { after };
        let size = if has_size {
            let (size, len) = leb128(body).ok_or(TRUNCATED)?;
            body = &body[len..];
            usize::try_from(size)?
        } else {
            body.len()
        };
        let payload = body.get(..size).ok_or(TRUNCATED)?;
        if obu_type == 1 {
            return sequence_header_colour(payload);
        }
        rest = &body[size..];
    }
    Err("no AV1 sequence header".into())
}

const TRUNCATED: &str = "truncated AV1 sequence header";

fn leb128(b: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &byte) in b.iter().enumerate().take(8) {
        value |= u64::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Result<bool> {
        let byte = self.data.get(self.pos / 8).ok_or(TRUNCATED)?;
        let bit = byte >> (7 - self.pos % 8) & 1;
        self.pos += 1;
        Ok(bit == 1)
    }

    fn bits(&mut self, n: u32) -> Result<u32> {
        let mut v = 0;
        for _ in 0..n {
            v = v << 1 | u32::from(self.bit()?);
        }
        Ok(v)
    }

    /// `uvlc()` of the AV1 specification (§4.10.3).
    fn uvlc(&mut self) -> Result<u32> {
        let mut leading = 0;
        while !self.bit()? {
            leading += 1;
            if leading >= 32 {
                return Ok(u32::MAX);
            }
        }
        Ok(self.bits(leading)? + ((1u32 << leading) - 1))
    }
}

fn sequence_header_colour(payload: &[u8]) -> Result<ColorConfig> {
    let mut b = Bits { data: payload, pos: 0 };
    let profile = b.bits(3)?;
    let _still_picture = b.bit()?;
    let reduced = b.bit()?;
    if reduced {
        b.bits(5)?; // seq_level_idx[0]
    } else {
        let timing_info = b.bit()?;
        let mut decoder_model_info = false;
        let mut buffer_delay_length = 0;
        if timing_info {
            b.bits(32)?; // num_units_in_display_tick
            b.bits(32)?; // time_scale
            if b.bit()? {
                b.uvlc()?; // num_ticks_per_picture_minus_1
            }
            decoder_model_info = b.bit()?;
            if decoder_model_info {
                buffer_delay_length = b.bits(5)? + 1;
                b.bits(32)?; // num_units_in_decoding_tick
                b.bits(5)?; // buffer_removal_time_length_minus_1
                b.bits(5)?; // frame_presentation_time_length_minus_1
            }
        }
        let initial_display_delay = b.bit()?;
        let operating_points = b.bits(5)? + 1;
        for _ in 0..operating_points {
            b.bits(12)?; // operating_point_idc
            let level = b.bits(5)?;
            if level > 7 {
                b.bit()?; // seq_tier
            }
            if decoder_model_info && b.bit()? {
                b.bits(buffer_delay_length)?; // decoder_buffer_delay
                b.bits(buffer_delay_length)?; // encoder_buffer_delay
                b.bit()?; // low_delay_mode_flag
            }
            if initial_display_delay && b.bit()? {
                b.bits(4)?;
            }
        }
    }
    let width_bits = b.bits(4)? + 1;
    let height_bits = b.bits(4)? + 1;
    b.bits(width_bits)?;
    b.bits(height_bits)?;
    if !reduced && b.bit()? {
        // frame_id_numbers_present_flag
        b.bits(4)?;
        b.bits(3)?;
    }
    b.bits(3)?; // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
    if !reduced {
        b.bits(4)?; // interintra, masked compound, warped motion, dual filter
        let order_hint = b.bit()?;
        if order_hint {
            b.bits(2)?; // enable_jnt_comp, enable_ref_frame_mvs
        }
        let force_screen_content_tools = if b.bit()? { 2 } else { b.bits(1)? };
        if force_screen_content_tools > 0 && !b.bit()? {
            b.bits(1)?; // seq_force_integer_mv
        }
        if order_hint {
            b.bits(3)?;
        }
    }
    b.bits(3)?; // enable_superres, enable_cdef, enable_restoration
    // color_config()
    let high_bitdepth = b.bit()?;
    if profile == 2 && high_bitdepth {
        b.bit()?; // twelve_bit
    }
    let mono = if profile == 1 { false } else { b.bit()? };
    let (primaries, transfer, matrix) =
        if b.bit()? { (b.bits(8)? as u8, b.bits(8)? as u8, b.bits(8)? as u8) } else { (2, 2, 2) };
    let full_range = if !mono && primaries == 1 && transfer == 13 && matrix == 0 {
        true // sRGB in GBR: always full range
    } else {
        b.bit()?
    };
    Ok(ColorConfig { matrix, full_range })
}

/// Luma weights (Kr, Kb) for H.273 matrix coefficients; `None` for identity.
/// Unspecified and unknown matrices are treated as BT.601, as libavif does.
fn weights(matrix: u8) -> Option<(f32, f32)> {
    match matrix {
        0 => None,
        1 => Some((0.2126, 0.0722)),
        4 => Some((0.30, 0.11)),
        7 => Some((0.212, 0.087)),
        9 | 10 => Some((0.2627, 0.0593)),
        _ => Some((0.299, 0.114)),
    }
}

/// Reads sample `i` of a plane stored with `bpc` bits per component.
fn sample(plane: &[u8], i: usize, high: bool) -> u16 {
    if high {
        let at = i * 2;
        plane.get(at..at + 2).map_or(0, |b| u16::from_ne_bytes([b[0], b[1]]))
    } else {
        plane.get(i).map_or(0, |&b| u16::from(b))
    }
}

fn to_rgb(p: &dav1d::Picture, colour: &ColorConfig) -> Vec<u8> {
    use dav1d::{PixelLayout, PlanarImageComponent as C};
    let (w, h) = (p.width() as usize, p.height() as usize);
    let bpc = p.bit_depth();
    let high = bpc > 8;
    let max = f32::from((1u16 << bpc) - 1);
    let unit = f32::from(1u16 << (bpc - 8));
    let (y_off, y_scale, c_scale) =
        if colour.full_range { (0.0, max, max) } else { (16.0 * unit, 219.0 * unit, 224.0 * unit) };
    let c_mid = 128.0 * unit;
    let layout = p.pixel_layout();
    let (ss_x, ss_y) = match layout {
        PixelLayout::I420 => (1, 1),
        PixelLayout::I422 => (1, 0),
        PixelLayout::I400 | PixelLayout::I444 => (0, 0),
    };
    let bytes_per = if high { 2 } else { 1 };
    let y_plane = p.plane(C::Y);
    let y_stride = p.stride(C::Y) as usize / bytes_per;
    let chroma = (layout != PixelLayout::I400)
        .then(|| (p.plane(C::U), p.plane(C::V), p.stride(C::U) as usize / bytes_per));
    let to8 = |v: f32| (v * 255.0).round().clamp(0.0, 255.0) as u8;
    let mut out = Vec::with_capacity(w * h * 3);
    for row in 0..h {
        for col in 0..w {
            let y = (f32::from(sample(&y_plane, row * y_stride + col, high)) - y_off) / y_scale;
            let Some((u_plane, v_plane, c_stride)) = &chroma else {
                let g = to8(y);
                out.extend_from_slice(&[g, g, g]);
                continue;
            };
            let ci = (row >> ss_y) * c_stride + (col >> ss_x);
            let (u, v) = (sample(u_plane, ci, high), sample(v_plane, ci, high));
            let rgb = match weights(colour.matrix) {
                None => {
                    // GBR: Y is green, U blue, V red, all on the luma scale.
                    let s = |c: u16| (f32::from(c) - y_off) / y_scale;
                    [s(v), y, s(u)]
                }
                Some((kr, kb)) => {
                    let cb = (f32::from(u) - c_mid) / c_scale;
                    let cr = (f32::from(v) - c_mid) / c_scale;
                    let r = y + 2.0 * (1.0 - kr) * cr;
                    let b = y + 2.0 * (1.0 - kb) * cb;
                    let g = (y - kr * r - kb * b) / (1.0 - kr - kb);
                    [r, g, b]
                }
            };
            out.extend(rgb.map(to8));
        }
    }
    out
}

/// The alpha item's luma plane as 8-bit alpha.
fn alpha_plane(p: &dav1d::Picture, full_range: bool) -> Vec<u8> {
    use dav1d::PlanarImageComponent as C;
    let (w, h) = (p.width() as usize, p.height() as usize);
    let bpc = p.bit_depth();
    let high = bpc > 8;
    let max = f32::from((1u16 << bpc) - 1);
    let unit = f32::from(1u16 << (bpc - 8));
    let (off, scale) = if full_range { (0.0, max) } else { (16.0 * unit, 219.0 * unit) };
    let plane = p.plane(C::Y);
    let stride = p.stride(C::Y) as usize / if high { 2 } else { 1 };
    let mut out = Vec::with_capacity(w * h);
    for row in 0..h {
        for col in 0..w {
            let a = (f32::from(sample(&plane, row * stride + col, high)) - off) / scale;
            out.push((a * 255.0).round().clamp(0.0, 255.0) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_colour_of_a_reduced_still_picture_header() {
        // OBU_SEQUENCE_HEADER with a size field: profile 0, still, reduced,
        // level 8; 8+8 bit sizes 64×32; colour description BT.709
        // primaries, sRGB transfer, BT.601 matrix (6), full range.
        let mut bits = String::new();
        bits += "000"; // seq_profile
        bits += "1"; // still_picture
        bits += "1"; // reduced_still_picture_header
        bits += "01000"; // seq_level_idx
        bits += "0111"; // frame_width_bits_minus_1 = 7
        bits += "0111"; // frame_height_bits_minus_1 = 7
        bits += &format!("{:08b}", 63); // max_frame_width_minus_1
        bits += &format!("{:08b}", 31); // max_frame_height_minus_1
        bits += "000"; // 128×128, filter intra, intra edge
        bits += "000"; // superres, cdef, restoration
        bits += "0"; // high_bitdepth
        bits += "0"; // mono_chrome
        bits += "1"; // color_description_present_flag
        bits += &format!("{:08b}{:08b}{:08b}", 1, 13, 6);
        bits += "1"; // color_range
        while !bits.len().is_multiple_of(8) {
            bits.push('0');
        }
        let payload: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap())
            .collect();
        let mut obus = vec![0b0000_1010, payload.len() as u8];
        obus.extend_from_slice(&payload);
        // a temporal delimiter first, as encoders write
        let obus = [&[0b0001_0010u8, 0][..], &obus].concat();
        assert_eq!(color_config(&obus).unwrap(), ColorConfig { matrix: 6, full_range: true });
        assert!(color_config(&obus[..6]).is_err(), "truncated");
        assert!(color_config(&[]).is_err());
    }

    #[test]
    fn leb128_sizes() {
        assert_eq!(leb128(&[0x05]), Some((5, 1)));
        assert_eq!(leb128(&[0x80, 0x01]), Some((128, 2)));
        assert_eq!(leb128(&[0x80]), None);
    }
}
