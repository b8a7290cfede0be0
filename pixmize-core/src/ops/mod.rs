//! Pixel operations, each a pure function on an 8-bit RGB or RGBA image.
//!
//! The engine keeps images as [`DynamicImage::ImageRgb8`] when they are
//! opaque and [`DynamicImage::ImageRgba8`] when they have alpha; every
//! operation here returns one of the two. Operations whose exact kernel
//! ImageKit does not document (blur, sharpen, contrast, trim threshold) are
//! approximations, and say so.

mod adjust;
mod background;
mod overlay;
mod resize;
mod shape;

use image::{DynamicImage, RgbImage, RgbaImage};

pub use adjust::{blur, contrast_stretch, grayscale, opacity, sharpen, unsharp_mask};
pub use background::dominant_color;
pub use overlay::{flatten, gradient, shadow};
pub use resize::{apply_plan, resample};
pub use shape::{border, flip, rotate, rotated_size, round_corners, trim};

/// Converts any decoded image to the engine's working form: RGB8, or RGBA8
/// when the source has an alpha channel. 16-bit and float images are
/// reduced to 8 bits.
#[must_use]
pub fn normalize(img: DynamicImage) -> DynamicImage {
    match img {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => img,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    }
}

/// The image as RGBA8 (adding an opaque alpha channel if needed).
pub(crate) fn into_rgba(img: DynamicImage) -> RgbaImage {
    match img {
        DynamicImage::ImageRgba8(i) => i,
        other => other.into_rgba8(),
    }
}

/// Whether any pixel is not fully opaque.
#[must_use]
pub fn has_transparency(img: &DynamicImage) -> bool {
    match img {
        DynamicImage::ImageRgba8(i) => i.pixels().any(|p| p.0[3] != 255),
        other if other.color().has_alpha() => other.to_rgba8().pixels().any(|p| p.0[3] != 255),
        _ => false,
    }
}

/// A solid image of `width`×`height` in `rgba` (RGB when opaque).
#[must_use]
pub fn solid(width: u32, height: u32, rgba: [u8; 4]) -> DynamicImage {
    if rgba[3] == 255 {
        DynamicImage::ImageRgb8(RgbImage::from_pixel(
            width,
            height,
            image::Rgb([rgba[0], rgba[1], rgba[2]]),
        ))
    } else {
        DynamicImage::ImageRgba8(RgbaImage::from_pixel(width, height, image::Rgba(rgba)))
    }
}

/// Copies `top` onto `bottom` at (`x`, `y`), blending by `top`'s alpha
/// (source-over). Both must be in working form; the result is RGBA when
/// either has alpha.
#[must_use]
pub fn composite(bottom: DynamicImage, top: &DynamicImage, x: i64, y: i64) -> DynamicImage {
    match (bottom, top) {
        (DynamicImage::ImageRgb8(mut b), DynamicImage::ImageRgb8(t)) => {
            image::imageops::replace(&mut b, t, x, y);
            DynamicImage::ImageRgb8(b)
        }
        (bottom, top) => {
            let mut b = into_rgba(bottom);
            let t = match top {
                DynamicImage::ImageRgba8(t) => std::borrow::Cow::Borrowed(t),
                other => std::borrow::Cow::Owned(other.to_rgba8()),
            };
            blend_over(&mut b, &t, x, y);
            DynamicImage::ImageRgba8(b)
        }
    }
}

/// Source-over blending of `top` onto `bottom` at (`x`, `y`).
pub(crate) fn blend_over(bottom: &mut RgbaImage, top: &RgbaImage, x: i64, y: i64) {
    let (bw, bh) = (i64::from(bottom.width()), i64::from(bottom.height()));
    for (tx, ty, p) in top.enumerate_pixels() {
        let (dx, dy) = (x + i64::from(tx), y + i64::from(ty));
        if dx < 0 || dy < 0 || dx >= bw || dy >= bh {
            continue;
        }
        let d = bottom.get_pixel_mut(dx as u32, dy as u32);
        d.0 = over(p.0, d.0);
    }
}

/// Porter-Duff source-over on straight-alpha 8-bit pixels.
pub(crate) fn over(src: [u8; 4], dst: [u8; 4]) -> [u8; 4] {
    let sa = u32::from(src[3]);
    if sa == 255 {
        return src;
    }
    if sa == 0 {
        return dst;
    }
    let da = u32::from(dst[3]);
    // out_a = sa + da(1 - sa), in 0..=255 with rounding.
    let inv = 255 - sa;
    let oa = sa * 255 + da * inv; // scaled by 255
    if oa == 0 {
        return [0, 0, 0, 0];
    }
    let mut out = [0u8; 4];
    for c in 0..3 {
        let v = u32::from(src[c]) * sa * 255 + u32::from(dst[c]) * da * inv;
        out[c] = ((v + oa / 2) / oa) as u8;
    }
    out[3] = ((oa + 127) / 255) as u8;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_blends_straight_alpha() {
        assert_eq!(over([255, 0, 0, 255], [0, 0, 255, 255]), [255, 0, 0, 255]);
        assert_eq!(over([255, 0, 0, 0], [0, 0, 255, 255]), [0, 0, 255, 255]);
        assert_eq!(over([255, 0, 0, 128], [0, 0, 255, 255]), [128, 0, 127, 255]);
        assert_eq!(over([255, 255, 255, 128], [0, 0, 0, 0]), [255, 255, 255, 128]);
    }

    #[test]
    fn normalize_keeps_alpha_only_when_present() {
        let grey = DynamicImage::ImageLuma8(image::GrayImage::new(2, 2));
        assert!(matches!(normalize(grey), DynamicImage::ImageRgb8(_)));
        let la = DynamicImage::ImageLumaA8(image::GrayAlphaImage::new(2, 2));
        assert!(matches!(normalize(la), DynamicImage::ImageRgba8(_)));
    }
}
