//! Resampling and applying a geometry [`Plan`].

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

use super::background::fill_background;
use crate::geometry::{Dimensions, Plan};
use crate::transform::Background;
use crate::{Error, Result};

/// Resamples the region `(x, y, w, h)` of `img` (fractional, in `img`'s
/// coordinates) to `width`×`height` with a Lanczos3 convolution
/// (`fast_image_resize`, SIMD). The kernel widens with the scale factor, so
/// downscaling averages every source pixel (no aliasing); alpha is
/// premultiplied during the resample.
///
/// # Errors
/// [`Error::Operation`] if the resampler rejects the sizes.
pub fn resample(
    img: &DynamicImage,
    region: (f64, f64, f64, f64),
    width: u32,
    height: u32,
) -> Result<DynamicImage> {
    let mut dst = match img {
        DynamicImage::ImageRgba8(_) => DynamicImage::new_rgba8(width, height),
        _ => DynamicImage::new_rgb8(width, height),
    };
    let src_rgb;
    let src = match img {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => img,
        other => {
            src_rgb = super::normalize(other.clone());
            &src_rgb
        }
    };
    let (x, y, w, h) = region;
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(x, y, w, h);
    Resizer::new()
        .resize(src, &mut dst, &options)
        .map_err(|e| Error::Operation { operation: "resize", source: Box::new(e) })?;
    Ok(dst)
}

/// Applies a geometry plan: resample (or cut) the kept region, then pad it
/// with `bg` (black when `None`).
///
/// # Errors
/// [`Error::Operation`] if resampling fails.
pub fn apply_plan(img: DynamicImage, plan: &Plan, bg: Option<&Background>) -> Result<DynamicImage> {
    let input = Dimensions::new(img.width(), img.height());
    if plan.is_identity(input) {
        return Ok(img);
    }
    let kept = if plan.resize == input {
        if plan.crop.size() == input {
            img
        } else {
            let c = plan.crop;
            img.crop_imm(c.x, c.y, c.width, c.height)
        }
    } else {
        resample(&img, plan.source_region(input), plan.crop.width, plan.crop.height)?
    };
    if plan.pad.is_zero() {
        return Ok(kept);
    }
    let canvas = fill_background(&kept, plan.output, bg)?;
    Ok(super::composite(canvas, &kept, i64::from(plan.pad.left), i64::from(plan.pad.top)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::plan;
    use image::{Rgb, RgbImage};

    #[test]
    fn resampling_a_flat_image_keeps_its_colour() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(400, 300, Rgb([10, 200, 30])));
        let out = resample(&img, (0.0, 0.0, 400.0, 300.0), 37, 29).unwrap();
        assert_eq!((out.width(), out.height()), (37, 29));
        assert!(out.to_rgb8().pixels().all(|p| p.0 == [10, 200, 30]));
    }

    #[test]
    fn pad_resize_puts_padding_on_the_focus_side() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(400, 400, Rgb([255, 255, 255])));
        let t: crate::Transformation =
            "w-500,h-400,cm-pad_resize,fo-right,bg-FF0000".parse().unwrap();
        let p = t.steps()[0].params().unwrap();
        let out =
            apply_plan(img, &plan(Dimensions::new(400, 400), p).unwrap(), p.background.as_ref())
                .unwrap();
        let out = out.to_rgb8();
        assert_eq!(out.dimensions(), (500, 400));
        assert_eq!(out.get_pixel(50, 200).0, [255, 0, 0], "padding on the left");
        assert_eq!(out.get_pixel(450, 200).0, [255, 255, 255], "image on the right");
    }
}
