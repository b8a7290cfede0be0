//! Colour and filter adjustments.

use image::DynamicImage;

use crate::transform::{Sharpen, UnsharpMask};

/// Applies `f` to the colour channels of every pixel, leaving alpha alone.
fn map_rgb(img: &mut DynamicImage, mut f: impl FnMut([u8; 3]) -> [u8; 3]) {
    match img {
        DynamicImage::ImageRgb8(i) => i.pixels_mut().for_each(|p| p.0 = f(p.0)),
        DynamicImage::ImageRgba8(i) => i.pixels_mut().for_each(|p| {
            let [r, g, b] = f([p.0[0], p.0[1], p.0[2]]);
            p.0 = [r, g, b, p.0[3]];
        }),
        other => {
            let mut n = super::normalize(std::mem::replace(other, DynamicImage::new_rgb8(0, 0)));
            map_rgb(&mut n, f);
            *other = n;
        }
    }
}

/// `e-grayscale`: Rec. 601 luma in every channel; alpha is kept.
pub fn grayscale(img: &mut DynamicImage) {
    map_rgb(img, |[r, g, b]| {
        let y = ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000) as u8;
        [y, y, y]
    });
}

/// `e-contrast`: a per-channel linear stretch that maps the 0.5th and
/// 99.5th percentiles to 0 and 255 (an approximation of ImageKit's
/// undocumented contrast stretch). Fully transparent pixels are ignored.
pub fn contrast_stretch(img: &mut DynamicImage) {
    let mut hist = [[0u64; 256]; 3];
    let mut total = 0u64;
    let mut count = |p: [u8; 3]| {
        for c in 0..3 {
            hist[c][usize::from(p[c])] += 1;
        }
        total += 1;
    };
    match &*img {
        DynamicImage::ImageRgba8(i) => {
            i.pixels().filter(|p| p.0[3] > 0).for_each(|p| count([p.0[0], p.0[1], p.0[2]]))
        }
        DynamicImage::ImageRgb8(i) => i.pixels().for_each(|p| count(p.0)),
        other => other.to_rgb8().pixels().for_each(|p| count(p.0)),
    }
    if total == 0 {
        return;
    }
    let clip = total / 200;
    let mut lut = [[0u8; 256]; 3];
    for c in 0..3 {
        let (mut lo, mut acc) = (0usize, 0u64);
        while lo < 255 && acc + hist[c][lo] <= clip {
            acc += hist[c][lo];
            lo += 1;
        }
        let (mut hi, mut acc) = (255usize, 0u64);
        while hi > 0 && acc + hist[c][hi] <= clip {
            acc += hist[c][hi];
            hi -= 1;
        }
        for (v, out) in lut[c].iter_mut().enumerate() {
            *out = if hi <= lo {
                v as u8
            } else {
                (((v as f64 - lo as f64) * 255.0 / (hi - lo) as f64).round().clamp(0.0, 255.0))
                    as u8
            };
        }
    }
    map_rgb(img, |p| {
        [lut[0][usize::from(p[0])], lut[1][usize::from(p[1])], lut[2][usize::from(p[2])]]
    });
}

/// `o-N`: multiplies alpha by N/100 (adding an alpha channel).
pub fn opacity(img: DynamicImage, percent: u8) -> DynamicImage {
    let mut rgba = super::into_rgba(img);
    let f = u32::from(percent.min(100));
    for p in rgba.pixels_mut() {
        p.0[3] = ((u32::from(p.0[3]) * f + 50) / 100) as u8;
    }
    DynamicImage::ImageRgba8(rgba)
}

/// A fast Gaussian blur of standard deviation `sigma` (three box passes).
/// `bl-N` uses `sigma = N / 2`, an approximation: ImageKit documents the
/// radius but not the kernel.
///
/// `sigma` is capped at the image's longer side: beyond it every pixel is
/// already close to the image's mean, and the box passes cost time in
/// proportion to their radius, so an unbounded value (`e-usm-0-1e9-1-0`)
/// would otherwise run for hours on a thumbnail.
#[must_use]
pub fn blur(img: &DynamicImage, sigma: f32) -> DynamicImage {
    let sigma = sigma.min(img.width().max(img.height()) as f32);
    if sigma.is_nan() || sigma <= 0.0 {
        return img.clone();
    }
    super::normalize(img.fast_blur(sigma))
}

/// `e-sharpen[-N]`: an unsharp mask with sigma 1 and amount `N / 20`
/// (`e-sharpen` alone: amount 0.5). An approximation of ImageKit's kernel.
#[must_use]
pub fn sharpen(img: &DynamicImage, s: Sharpen) -> DynamicImage {
    let amount = match s {
        Sharpen::Default => 0.5,
        Sharpen::Amount(a) => (a.get() / 20.0).min(20.0),
    };
    usm(img, 1.0, amount as f32, 0.0)
}

/// `e-usm-radius-sigma-amount-threshold`: `out = in + amount × (in − blur)`
/// where `|in − blur| > threshold × 255`. The radius is implied by sigma.
/// `e-usm` alone uses sigma 1, amount 1, threshold 0.05.
#[must_use]
pub fn unsharp_mask(img: &DynamicImage, u: UnsharpMask) -> DynamicImage {
    match u {
        UnsharpMask::Default => usm(img, 1.0, 1.0, 0.05),
        UnsharpMask::Custom { sigma, amount, threshold, .. } => {
            usm(img, sigma.get() as f32, amount.get() as f32, threshold.get() as f32)
        }
    }
}

fn usm(img: &DynamicImage, sigma: f32, amount: f32, threshold: f32) -> DynamicImage {
    let blurred = blur(img, sigma);
    let mut out = super::normalize(img.clone());
    let t = threshold * 255.0;
    let apply = |o: u8, b: u8| -> u8 {
        let d = f32::from(o) - f32::from(b);
        if d.abs() <= t { o } else { (f32::from(o) + amount * d).round().clamp(0.0, 255.0) as u8 }
    };
    match (&mut out, &blurred) {
        (DynamicImage::ImageRgb8(o), DynamicImage::ImageRgb8(b)) => {
            for (po, pb) in o.pixels_mut().zip(b.pixels()) {
                po.0 = [apply(po.0[0], pb.0[0]), apply(po.0[1], pb.0[1]), apply(po.0[2], pb.0[2])];
            }
        }
        (DynamicImage::ImageRgba8(o), DynamicImage::ImageRgba8(b)) => {
            for (po, pb) in o.pixels_mut().zip(b.pixels()) {
                po.0 = [
                    apply(po.0[0], pb.0[0]),
                    apply(po.0[1], pb.0[1]),
                    apply(po.0[2], pb.0[2]),
                    po.0[3],
                ];
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::{Number, Positive};
    use image::{Rgb, RgbImage};

    fn ramp() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(64, 8, |x, _| {
            let v = 64 + x as u8 * 2;
            Rgb([v, v / 2, 255 - v])
        }))
    }

    #[test]
    fn an_absurd_sigma_is_capped_at_the_image_side() {
        // Uncapped, this sigma gives a box radius near usize::MAX: hours of
        // work, or a panic inside the blur.
        let img = ramp();
        let huge = blur(&img, 1e30);
        let capped = blur(&img, 64.0);
        assert_eq!(huge.as_bytes(), capped.as_bytes());
        let u = UnsharpMask::Custom {
            radius: Number::new(0.0).unwrap(),
            sigma: Positive::new(1e12).unwrap(),
            amount: Number::new(1.0).unwrap(),
            threshold: Number::new(0.0).unwrap(),
        };
        let out = unsharp_mask(&img, u);
        assert_eq!((out.width(), out.height()), (64, 8));
    }

    #[test]
    fn grayscale_equalises_channels() {
        let mut img = ramp();
        grayscale(&mut img);
        assert!(img.to_rgb8().pixels().all(|p| p.0[0] == p.0[1] && p.0[1] == p.0[2]));
    }

    #[test]
    fn contrast_stretch_spans_the_full_range() {
        let mut img = ramp();
        contrast_stretch(&mut img);
        let reds: Vec<u8> = img.to_rgb8().pixels().map(|p| p.0[0]).collect();
        assert_eq!(reds.iter().min(), Some(&0));
        assert_eq!(reds.iter().max(), Some(&255));
    }

    #[test]
    fn opacity_scales_alpha() {
        let out = opacity(ramp(), 50);
        assert!(out.to_rgba8().pixels().all(|p| p.0[3] == 128));
    }

    #[test]
    fn sharpening_increases_edge_contrast() {
        let edge = DynamicImage::ImageRgb8(RgbImage::from_fn(32, 4, |x, _| {
            if x < 16 { Rgb([100, 100, 100]) } else { Rgb([150, 150, 150]) }
        }));
        let out = sharpen(&edge, Sharpen::Default).to_rgb8();
        assert!(out.get_pixel(15, 1).0[0] < 100, "dark side gets darker at the edge");
        assert!(out.get_pixel(16, 1).0[0] > 150, "light side gets lighter at the edge");
        assert_eq!(out.get_pixel(2, 1).0[0], 100, "flat areas are untouched");
    }

    #[test]
    fn blur_smooths_an_edge() {
        let edge = DynamicImage::ImageRgb8(RgbImage::from_fn(32, 4, |x, _| {
            if x < 16 { Rgb([0, 0, 0]) } else { Rgb([255, 255, 255]) }
        }));
        let out = blur(&edge, 3.0).to_rgb8();
        let v = out.get_pixel(16, 2).0[0];
        assert!(v > 40 && v < 215, "{v}");
    }
}
