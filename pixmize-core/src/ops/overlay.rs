//! Gradients, shadows and flattening.

use image::{DynamicImage, GrayImage, RgbaImage};

use crate::transform::{Color, Gradient, GradientDirection, GradientSide, Scalar, Shadow, Vars};
use crate::{Error, Result};

/// Blends an image with alpha onto an opaque `color`, giving RGB. Used when
/// the output format has no alpha channel (JPEG). Opaque images are
/// returned as they are.
#[must_use]
pub fn flatten(img: DynamicImage, color: [u8; 3]) -> DynamicImage {
    match img {
        DynamicImage::ImageRgb8(_) => img,
        other => {
            let rgba = super::into_rgba(other);
            let bg = [color[0], color[1], color[2], 255];
            let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
                let [r, g, b, _] = super::over(rgba.get_pixel(x, y).0, bg);
                image::Rgb([r, g, b])
            });
            DynamicImage::ImageRgb8(rgb)
        }
    }
}

/// `e-gradient`: draws a linear gradient over the image, from `from`
/// (default white) to `to` (default transparent black) towards `ld`
/// (default `bottom`; degrees as in CSS, 0 = towards the top, 90 = towards
/// the right), reaching `to` at the stop `sp` (≤ 1: a fraction of the
/// gradient's length, > 1: pixels; default 1).
///
/// # Errors
/// [`Error::Plan`] when the stop's expression cannot be evaluated.
pub fn gradient(img: DynamicImage, g: &Gradient, vars: &Vars) -> Result<DynamicImage> {
    let from = g.from.unwrap_or(Color::WHITE).to_rgba();
    let to = g.to.unwrap_or(Color::TRANSPARENT).to_rgba();
    let degrees = match g.direction {
        None => 180.0,
        Some(GradientDirection::Degrees(d)) => f64::from(d.get()),
        Some(GradientDirection::Side(s)) => match s {
            GradientSide::Top => 0.0,
            GradientSide::TopRight => 45.0,
            GradientSide::Right => 90.0,
            GradientSide::BottomRight => 135.0,
            GradientSide::Bottom => 180.0,
            GradientSide::BottomLeft => 225.0,
            GradientSide::Left => 270.0,
            GradientSide::TopLeft => 315.0,
        },
    };
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let (sin, cos) = degrees.to_radians().sin_cos();
    // Direction vector (x right, y down); the gradient line spans the image's
    // projection on it, as CSS linear-gradient does.
    let (dx, dy) = (sin, -cos);
    let length = (w * dx.abs() + h * dy.abs()).max(1.0);
    let stop = match &g.stop {
        None => 1.0,
        Some(Scalar::Number(n)) => n.get(),
        Some(Scalar::Expr(e)) => e.eval(vars).map_err(|source| {
            Error::Plan(crate::geometry::PlanError::Expression { key: "e-gradient", source })
        })?,
    };
    let stop_px = if stop <= 1.0 { stop * length } else { stop }.max(1e-6);
    let mut out = super::into_rgba(img);
    for (x, y, p) in out.enumerate_pixels_mut() {
        let (px, py) = (f64::from(x) + 0.5 - w / 2.0, f64::from(y) + 0.5 - h / 2.0);
        let along = px * dx + py * dy + length / 2.0;
        let t = (along / stop_px).clamp(0.0, 1.0);
        p.0 = super::over(mix_premultiplied(from, to, t), p.0);
    }
    Ok(DynamicImage::ImageRgba8(out))
}

/// Interpolates two straight-alpha colours in premultiplied space, as CSS
/// gradients do (so white to transparent fades through translucent white,
/// not grey).
fn mix_premultiplied(a: [u8; 4], b: [u8; 4], t: f64) -> [u8; 4] {
    let (aa, ba) = (f64::from(a[3]) / 255.0, f64::from(b[3]) / 255.0);
    let alpha = aa + (ba - aa) * t;
    if alpha <= 0.0 {
        return [0, 0, 0, 0];
    }
    let mut out = [0u8; 4];
    for (i, o) in out.iter_mut().take(3).enumerate() {
        let v = (f64::from(a[i]) * aa + (f64::from(b[i]) * ba - f64::from(a[i]) * aa) * t) / alpha;
        *o = v.round().clamp(0.0, 255.0) as u8;
    }
    out[3] = (alpha * 255.0).round() as u8;
    out
}

/// `e-shadow`: a black shadow under the non-transparent pixels, blurred by
/// `bl` (default 10, as sigma `bl / 2`), at opacity `st` % (default 30),
/// offset by `x` and `y` % of the size (default 2). The canvas keeps the
/// image's size. Opaque images hide their own shadow, as in ImageKit,
/// which documents the effect for transparent images.
#[must_use]
pub fn shadow(img: DynamicImage, s: &Shadow) -> DynamicImage {
    let rgba = super::into_rgba(img);
    let (w, h) = rgba.dimensions();
    let blur = s.blur.map_or(10, |v| v.get()) as f32 / 2.0;
    let strength = f64::from(s.saturation.map_or(30, |v| v.get())) / 100.0;
    let ox = (f64::from(s.x.map_or(2, |v| v.get())) / 100.0 * f64::from(w)).round() as i64;
    let oy = (f64::from(s.y.map_or(2, |v| v.get())) / 100.0 * f64::from(h)).round() as i64;
    let mut mask = GrayImage::new(w, h);
    for (x, y, p) in rgba.enumerate_pixels() {
        let (sx, sy) = (i64::from(x) + ox, i64::from(y) + oy);
        if sx >= 0 && sy >= 0 && sx < i64::from(w) && sy < i64::from(h) {
            mask.put_pixel(sx as u32, sy as u32, image::Luma([p.0[3]]));
        }
    }
    let mask = if blur > 0.0 { image::imageops::fast_blur(&mask, blur) } else { mask };
    let mut canvas = RgbaImage::from_fn(w, h, |x, y| {
        let a = (f64::from(mask.get_pixel(x, y).0[0]) * strength).round() as u8;
        image::Rgba([0, 0, 0, a])
    });
    super::blend_over(&mut canvas, &rgba, 0, 0);
    DynamicImage::ImageRgba8(canvas)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn flatten_blends_onto_the_colour() {
        let img =
            DynamicImage::ImageRgba8(RgbaImage::from_pixel(2, 2, image::Rgba([255, 255, 255, 0])));
        let out = flatten(img, [10, 20, 30]).to_rgb8();
        assert_eq!(out.get_pixel(0, 0).0, [10, 20, 30]);
    }

    #[test]
    fn default_gradient_fades_from_white_at_the_top() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(10, 100, Rgb([0, 0, 0])));
        let out = gradient(img, &Gradient::default(), &Vars::new(10.0, 100.0, 10.0, 100.0))
            .unwrap()
            .to_rgba8();
        assert!(out.get_pixel(5, 0).0[0] > 240, "top is near white");
        assert!(out.get_pixel(5, 99).0[0] < 10, "bottom is the image");
        assert!(out.get_pixel(5, 50).0[0] > 100 && out.get_pixel(5, 50).0[0] < 160);
    }

    #[test]
    fn shadow_falls_beside_a_transparent_shape() {
        let img = DynamicImage::ImageRgba8(RgbaImage::from_fn(100, 100, |x, y| {
            if (20..60).contains(&x) && (20..60).contains(&y) {
                image::Rgba([255, 0, 0, 255])
            } else {
                image::Rgba([0, 0, 0, 0])
            }
        }));
        let s = Shadow {
            x: crate::transform::Int::new(10),
            y: crate::transform::Int::new(10),
            ..Shadow::default()
        };
        let out = shadow(img, &s).to_rgba8();
        assert!(out.get_pixel(65, 65).0[3] > 0, "shadow below-right of the shape");
        assert_eq!(out.get_pixel(5, 5).0[3], 0, "no shadow far away");
        assert_eq!(out.get_pixel(30, 30).0, [255, 0, 0, 255], "the shape stays on top");
    }
}
