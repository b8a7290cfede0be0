//! Backgrounds for padding: a colour, the image blurred, its dominant colour
//! or a gradient of dominant colours.

use image::{DynamicImage, Rgb, RgbImage};

use crate::geometry::Dimensions;
use crate::transform::{Background, BlurAmount, Color, DominantColors};
use crate::{Error, Result, Unsupported};

/// A canvas of `size` filled with `bg` (black when `None`), made from
/// `image` where the background depends on it.
pub(crate) fn fill_background(
    image: &DynamicImage,
    size: Dimensions,
    bg: Option<&Background>,
) -> Result<DynamicImage> {
    let (w, h) = (size.width, size.height);
    Ok(match bg {
        None => super::solid(w, h, Color::BLACK.to_rgba()),
        Some(Background::Color(c)) => super::solid(w, h, c.to_rgba()),
        Some(Background::Dominant) => {
            let [r, g, b] = dominant_color(image);
            super::solid(w, h, [r, g, b, 255])
        }
        Some(Background::GradientDominant(n)) => {
            gradient_dominant(image, w, h, n.unwrap_or(DominantColors::Two))
        }
        Some(Background::Blurred(opts)) => {
            // ImageKit blurs the image itself, covering the box; the amount
            // 0–100 maps to a Gaussian sigma of amount/4 (auto = 10, i.e. 40),
            // an approximation of an undocumented kernel.
            let (amount, brightness) = match opts {
                None => (BlurAmount::Auto, 0),
                Some(b) => (b.amount, b.brightness.map_or(0, |v| v.get())),
            };
            let sigma = match amount {
                BlurAmount::Auto => 10.0,
                BlurAmount::Value(v) => v.get() as f32 / 4.0,
            };
            let cover = super::resample(image, cover_region(image, w, h), w, h)?;
            let blurred = if sigma > 0.0 { super::blur(&cover, sigma) } else { cover };
            brighten(blurred, brightness)
        }
        Some(Background::GenFill(_)) => {
            return Err(Error::Unsupported(Unsupported::Param {
                key: "bg",
                reason: "generative fill is an AI transformation only ImageKit can run",
            }));
        }
    })
}

/// The centred region of `image` with the aspect ratio of `w`×`h`.
fn cover_region(image: &DynamicImage, w: u32, h: u32) -> (f64, f64, f64, f64) {
    let (iw, ih) = (f64::from(image.width()), f64::from(image.height()));
    let target = f64::from(w) / f64::from(h);
    if iw / ih > target {
        let cw = ih * target;
        ((iw - cw) / 2.0, 0.0, cw, ih)
    } else {
        let ch = iw / target;
        (0.0, (ih - ch) / 2.0, iw, ch)
    }
}

fn brighten(img: DynamicImage, delta: i32) -> DynamicImage {
    if delta == 0 {
        return img;
    }
    let shift = |v: u8| (i32::from(v) + delta).clamp(0, 255) as u8;
    match img {
        DynamicImage::ImageRgba8(mut i) => {
            for p in i.pixels_mut() {
                p.0 = [shift(p.0[0]), shift(p.0[1]), shift(p.0[2]), p.0[3]];
            }
            DynamicImage::ImageRgba8(i)
        }
        other => {
            let mut i = other.into_rgb8();
            for p in i.pixels_mut() {
                p.0 = p.0.map(shift);
            }
            DynamicImage::ImageRgb8(i)
        }
    }
}

/// The most frequent colour of `image`, by a 4-bit-per-channel histogram
/// (mean of the winning bucket), ignoring fully transparent pixels.
#[must_use]
pub fn dominant_color(image: &DynamicImage) -> [u8; 3] {
    dominant_colors(image, 1)[0]
}

/// The `n` most frequent colours (the most frequent first).
fn dominant_colors(image: &DynamicImage, n: usize) -> Vec<[u8; 3]> {
    // Sample at most ~64k pixels.
    let (w, h) = (image.width().max(1), image.height().max(1));
    let step = ((u64::from(w) * u64::from(h) / 65_536) as f64).sqrt().max(1.0) as u32;
    let mut buckets = vec![(0u32, [0u64; 3]); 4096];
    let rgba = match image {
        DynamicImage::ImageRgba8(i) => std::borrow::Cow::Borrowed(i),
        other => std::borrow::Cow::Owned(other.to_rgba8()),
    };
    for y in (0..h).step_by(step as usize) {
        for x in (0..w).step_by(step as usize) {
            let p = rgba.get_pixel(x, y).0;
            if p[3] == 0 {
                continue;
            }
            let i = (usize::from(p[0] >> 4) << 8)
                | (usize::from(p[1] >> 4) << 4)
                | usize::from(p[2] >> 4);
            buckets[i].0 += 1;
            for (sum, v) in buckets[i].1.iter_mut().zip(p) {
                *sum += u64::from(v);
            }
        }
    }
    let mut order: Vec<usize> = (0..buckets.len()).filter(|&i| buckets[i].0 > 0).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(buckets[i].0));
    let mut out: Vec<[u8; 3]> = order
        .iter()
        .take(n)
        .map(|&i| {
            let (count, sum) = buckets[i];
            sum.map(|s| (s / u64::from(count)) as u8)
        })
        .collect();
    while out.len() < n {
        out.push(out.last().copied().unwrap_or([0, 0, 0]));
    }
    out
}

/// A vertical gradient between the two most frequent colours, or a
/// four-corner gradient between the four most frequent.
fn gradient_dominant(image: &DynamicImage, w: u32, h: u32, n: DominantColors) -> DynamicImage {
    let count = if n == DominantColors::Four { 4 } else { 2 };
    let c = dominant_colors(image, count);
    let lerp = |a: [u8; 3], b: [u8; 3], t: f32| -> [f32; 3] {
        [0, 1, 2].map(|i| f32::from(a[i]) + (f32::from(b[i]) - f32::from(a[i])) * t)
    };
    let (wf, hf) = ((w.max(2) - 1) as f32, (h.max(2) - 1) as f32);
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        let (tx, ty) = (x as f32 / wf, y as f32 / hf);
        let v = if count == 4 {
            let top = lerp(c[0], c[1], tx);
            let bottom = lerp(c[2], c[3], tx);
            [0, 1, 2].map(|i| top[i] + (bottom[i] - top[i]) * ty)
        } else {
            lerp(c[0], c[1], ty)
        };
        Rgb(v.map(|f| f.round() as u8))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbaImage;

    #[test]
    fn dominant_colour_is_the_most_frequent() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(100, 100, |x, _| {
            if x < 70 { Rgb([200, 10, 10]) } else { Rgb([10, 10, 200]) }
        }));
        assert_eq!(dominant_color(&img), [200, 10, 10]);
    }

    #[test]
    fn transparent_pixels_do_not_count() {
        let img = DynamicImage::ImageRgba8(RgbaImage::from_fn(10, 10, |x, _| {
            if x < 8 { image::Rgba([0, 0, 0, 0]) } else { image::Rgba([0, 255, 0, 255]) }
        }));
        assert_eq!(dominant_color(&img), [0, 255, 0]);
    }

    #[test]
    fn backgrounds_have_the_requested_size() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(40, 20, Rgb([100, 100, 100])));
        for bg in ["blurred", "blurred_20_N30", "dominant", "gradient_dominant_4", "AABBCC50"] {
            let t: crate::Transformation = format!("bg-{bg}").parse().unwrap();
            let bg = t.steps()[0].params().unwrap().background.clone();
            let out = fill_background(&img, Dimensions::new(64, 48), bg.as_ref()).unwrap();
            assert_eq!((out.width(), out.height()), (64, 48), "{bg:?}");
        }
    }
}
