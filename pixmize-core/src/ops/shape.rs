//! Rotation, flips, rounded corners, borders and trimming.

use image::{DynamicImage, RgbaImage};

use crate::transform::{Flip, Radius};

/// `rt-N`: rotates clockwise by `degrees` (negative: counter-clockwise).
/// Multiples of 90 are exact pixel moves; other angles resample bilinearly
/// into the rotated bounding box, filling the corners with `fill` (RGBA;
/// the image gets alpha when `fill` is not opaque).
#[must_use]
pub fn rotate(img: DynamicImage, degrees: i32, fill: [u8; 4]) -> DynamicImage {
    match degrees.rem_euclid(360) {
        0 => img,
        90 => img.rotate90(),
        180 => img.rotate180(),
        270 => img.rotate270(),
        d => rotate_any(img, f64::from(d), fill),
    }
}

/// The size of `rotate`'s result for a `width`×`height` image, without
/// rotating: the bounding box of the rotated rectangle, rounded. Callers
/// check it against their limits before [`rotate`] allocates it.
#[must_use]
pub fn rotated_size(width: u32, height: u32, degrees: i32) -> (u32, u32) {
    match degrees.rem_euclid(360) {
        0 | 180 => (width, height),
        90 | 270 => (height, width),
        d => {
            let (w, h) = (f64::from(width), f64::from(height));
            let (sin, cos) = f64::from(d).to_radians().sin_cos();
            let nw = (w * cos.abs() + h * sin.abs()).round().max(1.0);
            let nh = (w * sin.abs() + h * cos.abs()).round().max(1.0);
            // two u32 sides rotated stay below 2^33: the casts saturate
            (nw.min(f64::from(u32::MAX)) as u32, nh.min(f64::from(u32::MAX)) as u32)
        }
    }
}

fn rotate_any(img: DynamicImage, degrees: f64, fill: [u8; 4]) -> DynamicImage {
    let keep_rgb = !img.color().has_alpha() && fill[3] == 255;
    let src = super::into_rgba(img);
    let (w, h) = (f64::from(src.width()), f64::from(src.height()));
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (nw, nh) = rotated_size(src.width(), src.height(), degrees as i32);
    let (nw, nh) = (f64::from(nw), f64::from(nh));
    let (cx, cy, ncx, ncy) = (w / 2.0, h / 2.0, nw / 2.0, nh / 2.0);
    let sample = |x: f64, y: f64| -> [u8; 4] {
        // Bilinear, with pixels outside the source taking the fill colour.
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let px = |xi: f64, yi: f64| -> [f64; 4] {
            if xi < 0.0 || yi < 0.0 || xi >= w || yi >= h {
                fill.map(f64::from)
            } else {
                src.get_pixel(xi as u32, yi as u32).0.map(f64::from)
            }
        };
        let (a, b, c, d) = (px(x0, y0), px(x0 + 1.0, y0), px(x0, y0 + 1.0), px(x0 + 1.0, y0 + 1.0));
        [0, 1, 2, 3].map(|i| {
            let top = a[i] + (b[i] - a[i]) * fx;
            let bottom = c[i] + (d[i] - c[i]) * fx;
            (top + (bottom - top) * fy).round().clamp(0.0, 255.0) as u8
        })
    };
    let out = RgbaImage::from_fn(nw as u32, nh as u32, |x, y| {
        // Inverse mapping: rotate the destination pixel centre back.
        let (dx, dy) = (f64::from(x) + 0.5 - ncx, f64::from(y) + 0.5 - ncy);
        let sx = dx * cos + dy * sin + cx - 0.5;
        let sy = -dx * sin + dy * cos + cy - 0.5;
        image::Rgba(sample(sx, sy))
    });
    let out = DynamicImage::ImageRgba8(out);
    if keep_rgb { DynamicImage::ImageRgb8(out.into_rgb8()) } else { out }
}

/// `fl-…`: mirrors the image.
#[must_use]
pub fn flip(img: DynamicImage, f: Flip) -> DynamicImage {
    match f {
        Flip::Horizontal => img.fliph(),
        Flip::Vertical => img.flipv(),
        Flip::Both | Flip::BothVh => img.rotate180(),
    }
}

/// `r-…`: rounds the corners by making them transparent (anti-aliased over
/// one pixel). `r-max` makes an ellipse. The image gets an alpha channel;
/// a format without alpha later flattens it onto the background.
#[must_use]
pub fn round_corners(img: DynamicImage, radius: Radius) -> DynamicImage {
    let mut out = super::into_rgba(img);
    let (w, h) = (out.width(), out.height());
    let (wf, hf) = (f64::from(w), f64::from(h));
    let radii: [(f64, f64); 4] = match radius {
        Radius::Max => [(wf / 2.0, hf / 2.0); 4],
        Radius::All(r) => [(f64::from(r), f64::from(r)); 4],
        Radius::Corners(c) => c.map(|r| (f64::from(r), f64::from(r))),
    };
    // Corners: top-left, top-right, bottom-right, bottom-left.
    for (i, (rx, ry)) in radii.into_iter().enumerate() {
        let (rx, ry) = (rx.min(wf / 2.0), ry.min(hf / 2.0));
        if rx <= 0.0 || ry <= 0.0 {
            continue;
        }
        let (bx, by) = (rx.ceil() as u32, ry.ceil() as u32);
        for y in 0..by.min(h) {
            for x in 0..bx.min(w) {
                // Distance from the corner's ellipse centre, in radii.
                let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
                let (dx, dy) = ((rx - px) / rx, (ry - py) / ry);
                let d = (dx * dx + dy * dy).sqrt();
                let edge = (d - 1.0) * rx.min(ry); // pixels outside the curve
                let coverage = (0.5 - edge).clamp(0.0, 1.0);
                if coverage >= 1.0 {
                    continue;
                }
                let (tx, ty) = match i {
                    0 => (x, y),
                    1 => (w - 1 - x, y),
                    2 => (w - 1 - x, h - 1 - y),
                    _ => (x, h - 1 - y),
                };
                let p = out.get_pixel_mut(tx, ty);
                p.0[3] = (f64::from(p.0[3]) * coverage).round() as u8;
            }
        }
    }
    DynamicImage::ImageRgba8(out)
}

/// `b-W_colour`: a border of `width` pixels on every side.
#[must_use]
pub fn border(img: DynamicImage, width: u32, color: [u8; 4]) -> DynamicImage {
    if width == 0 {
        return img;
    }
    let (w, h) = (
        img.width().saturating_add(width.saturating_mul(2)),
        img.height().saturating_add(width.saturating_mul(2)),
    );
    let canvas = super::solid(w, h, color);
    super::composite(canvas, &img, i64::from(width), i64::from(width))
}

/// `t-…`: crops away borders that match the top-left pixel within
/// `threshold` (1–99, as a percentage of the channel range; `t-true` uses
/// 10, an approximation). Returns the image unchanged when every pixel
/// matches.
#[must_use]
pub fn trim(img: DynamicImage, threshold: u8) -> DynamicImage {
    let rgba = match &img {
        DynamicImage::ImageRgba8(i) => std::borrow::Cow::Borrowed(i),
        other => std::borrow::Cow::Owned(other.to_rgba8()),
    };
    let (w, h) = rgba.dimensions();
    if w == 0 || h == 0 {
        return img;
    }
    let reference = rgba.get_pixel(0, 0).0;
    let limit = u16::from(threshold) * 255 / 100;
    let differs = |x: u32, y: u32| {
        let p = rgba.get_pixel(x, y).0;
        (0..4).any(|c| u16::from(p[c].abs_diff(reference[c])) > limit)
    };
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if differs(x, y) {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    if x0 > x1 || y0 > y1 {
        return img;
    }
    img.crop_imm(x0, y0, x1 - x0 + 1, y1 - y0 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn marked(w: u32, h: u32) -> DynamicImage {
        // Red in the top-left pixel, white elsewhere.
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            if x == 0 && y == 0 { Rgb([255, 0, 0]) } else { Rgb([255, 255, 255]) }
        }))
    }

    #[test]
    fn right_angles_are_exact() {
        let r = rotate(marked(4, 2), 90, [0, 0, 0, 255]).to_rgb8();
        assert_eq!(r.dimensions(), (2, 4));
        assert_eq!(r.get_pixel(1, 0).0, [255, 0, 0], "top-left moves to top-right");
        let r = rotate(marked(4, 2), -90, [0, 0, 0, 255]).to_rgb8();
        assert_eq!(r.get_pixel(0, 3).0, [255, 0, 0], "counter-clockwise: to bottom-left");
        let r = rotate(marked(4, 2), 180, [0, 0, 0, 255]).to_rgb8();
        assert_eq!(r.get_pixel(3, 1).0, [255, 0, 0]);
    }

    #[test]
    fn other_angles_grow_the_canvas_and_fill_it() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(100, 50, Rgb([255, 255, 255])));
        let r = rotate(img, 45, [0, 0, 255, 255]);
        assert_eq!((r.width(), r.height()), (106, 106));
        assert_eq!(rotated_size(100, 50, 45), (106, 106), "predicted before rotating");
        assert_eq!(rotated_size(100, 50, -90), (50, 100));
        assert_eq!(rotated_size(100, 50, 180), (100, 50));
        assert_eq!(rotated_size(u32::MAX, u32::MAX, 45), (u32::MAX, u32::MAX), "saturates");
        let r = r.to_rgb8();
        assert_eq!(r.get_pixel(0, 0).0, [0, 0, 255], "corner filled with bg");
        assert_eq!(r.get_pixel(53, 53).0, [255, 255, 255], "centre is the image");
    }

    #[test]
    fn flips() {
        assert_eq!(flip(marked(3, 3), Flip::Horizontal).to_rgb8().get_pixel(2, 0).0, [255, 0, 0]);
        assert_eq!(flip(marked(3, 3), Flip::Vertical).to_rgb8().get_pixel(0, 2).0, [255, 0, 0]);
        assert_eq!(flip(marked(3, 3), Flip::Both).to_rgb8().get_pixel(2, 2).0, [255, 0, 0]);
    }

    #[test]
    fn rounded_corners_are_transparent() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(40, 40, Rgb([255, 255, 255])));
        let r = round_corners(img.clone(), Radius::All(10)).to_rgba8();
        assert_eq!(r.get_pixel(0, 0).0[3], 0);
        assert_eq!(r.get_pixel(39, 39).0[3], 0);
        assert_eq!(r.get_pixel(20, 20).0[3], 255);
        assert_eq!(r.get_pixel(10, 0).0[3], 255);
        let m = round_corners(img, Radius::Max).to_rgba8();
        assert_eq!(m.get_pixel(3, 3).0[3], 0, "r-max makes a circle");
        assert!(m.get_pixel(20, 0).0[3] > 240, "the top pixel is mostly inside the circle");
        assert_eq!(m.get_pixel(20, 2).0[3], 255);
    }

    #[test]
    fn border_surrounds_the_image() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(10, 6, Rgb([255, 255, 255])));
        let b = border(img, 3, [255, 0, 0, 255]).to_rgb8();
        assert_eq!(b.dimensions(), (16, 12));
        assert_eq!(b.get_pixel(1, 1).0, [255, 0, 0]);
        assert_eq!(b.get_pixel(8, 6).0, [255, 255, 255]);
    }

    #[test]
    fn trim_removes_uniform_borders() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(50, 40, |x, y| {
            if (10..30).contains(&x) && (5..20).contains(&y) {
                Rgb([0, 0, 0])
            } else {
                Rgb([250, 250, 250])
            }
        }));
        let t = trim(img, 10);
        assert_eq!((t.width(), t.height()), (20, 15));
        let flat = DynamicImage::ImageRgb8(RgbImage::from_pixel(5, 5, Rgb([1, 2, 3])));
        assert_eq!(trim(flat, 10).width(), 5, "nothing to trim");
    }
}
