//! Responsive `<img>` attributes (`src`, `srcset`, `sizes`), computed as
//! the official SDKs' `getResponsiveImageAttributes` computes them; see
//! [`UrlBuilder::responsive`](crate::UrlBuilder::responsive).

use std::time::SystemTime;

use crate::client::ImageKit;
use crate::error::{Error, Result};
use crate::url::UrlOptions;

/// The official SDKs' default device breakpoints (px).
pub const DEFAULT_DEVICE_BREAKPOINTS: [u32; 8] = [640, 750, 828, 1080, 1200, 1920, 2048, 3840];
/// The official SDKs' default image breakpoints (px).
pub const DEFAULT_IMAGE_BREAKPOINTS: [u32; 8] = [16, 32, 48, 64, 96, 128, 256, 384];

/// How [`UrlBuilder::responsive`](crate::UrlBuilder::responsive) picks the
/// candidate widths.
///
/// * `sizes` set: a width-descriptor `srcset` (`640w`) over every
///   breakpoint at least as wide as the smallest device breakpoint times
///   the smallest `vw` in `sizes` (all breakpoints when `sizes` has no
///   `vw`).
/// * else `width` set: a density-descriptor `srcset` (`1x`, `2x`) with the
///   breakpoints nearest above `width` and `2 × width`.
/// * else: a width-descriptor `srcset` over the device breakpoints, with
///   `sizes="100vw"`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponsiveOptions {
    /// The display width in CSS pixels (returned as the `width`
    /// attribute).
    pub width: Option<u32>,
    /// The `sizes` attribute.
    pub sizes: Option<String>,
    /// Device breakpoints (default [`DEFAULT_DEVICE_BREAKPOINTS`]).
    pub device_breakpoints: Vec<u32>,
    /// Image breakpoints (default [`DEFAULT_IMAGE_BREAKPOINTS`]).
    pub image_breakpoints: Vec<u32>,
}

impl Default for ResponsiveOptions {
    fn default() -> Self {
        ResponsiveOptions {
            width: None,
            sizes: None,
            device_breakpoints: DEFAULT_DEVICE_BREAKPOINTS.to_vec(),
            image_breakpoints: DEFAULT_IMAGE_BREAKPOINTS.to_vec(),
        }
    }
}

impl ResponsiveOptions {
    /// The defaults: no width, no sizes, the SDKs' breakpoints.
    #[must_use]
    pub fn new() -> ResponsiveOptions {
        ResponsiveOptions::default()
    }

    /// Sets the display width.
    #[must_use]
    pub fn width(mut self, width: u32) -> Self {
        self.width = Some(width);
        self
    }

    /// Sets the `sizes` attribute.
    #[must_use]
    pub fn sizes(mut self, sizes: impl Into<String>) -> Self {
        self.sizes = Some(sizes.into());
        self
    }

    /// Replaces the device breakpoints.
    #[must_use]
    pub fn device_breakpoints(mut self, widths: impl IntoIterator<Item = u32>) -> Self {
        self.device_breakpoints = widths.into_iter().collect();
        self
    }

    /// Replaces the image breakpoints.
    #[must_use]
    pub fn image_breakpoints(mut self, widths: impl IntoIterator<Item = u32>) -> Self {
        self.image_breakpoints = widths.into_iter().collect();
        self
    }
}

/// Attributes for an HTML `<img>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponsiveImageAttributes {
    /// `src`: the largest candidate.
    pub src: String,
    /// `srcset`.
    pub src_set: Option<String>,
    /// `sizes` (the given one, or `100vw` for a width-descriptor set).
    pub sizes: Option<String>,
    /// `width`, when given.
    pub width: Option<u32>,
}

/// The percentages of every `vw` token that starts the string or follows
/// whitespace, with 1–2 digits or 3 starting with `1` (the SDKs'
/// `/(^|\s)(1?\d{1,2})vw/g`).
fn vw_percents(sizes: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut prev_is_space = true;
    for (i, c) in sizes.char_indices() {
        if prev_is_space && c.is_ascii_digit() {
            let rest = &sizes[i..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let ok_len = matches!(digits, 1 | 2) || (digits == 3 && rest.starts_with('1'));
            if ok_len
                && rest[digits..].starts_with("vw")
                && let Ok(n) = rest[..digits].parse()
            {
                out.push(n);
            }
        }
        prev_is_space = c.is_whitespace();
    }
    out
}

/// The candidate widths and whether descriptors are widths (`w`) or
/// densities (`x`).
fn candidates(options: &ResponsiveOptions) -> Result<(Vec<u32>, bool)> {
    const OP: &str = "responsive";
    let mut device = options.device_breakpoints.clone();
    device.sort_unstable();
    device.dedup();
    let mut all: Vec<u32> = device.iter().chain(&options.image_breakpoints).copied().collect();
    all.sort_unstable();
    all.dedup();
    let Some(&smallest_device) = device.first() else {
        return Err(Error::invalid(OP, "give at least one device breakpoint"));
    };
    if all.first() == Some(&0) {
        return Err(Error::invalid(OP, "breakpoints must be positive"));
    }
    if let Some(sizes) = options.sizes.as_deref().filter(|s| !s.is_empty()) {
        let Some(&smallest) = vw_percents(sizes).iter().min() else {
            return Ok((all, true));
        };
        let min_px = f64::from(smallest_device) * f64::from(smallest) / 100.0;
        let mut picked: Vec<u32> =
            all.iter().copied().filter(|w| f64::from(*w) >= min_px).collect();
        if picked.is_empty() {
            // The SDKs produce an empty set and a broken `src` here; the
            // widest breakpoint is the closest honest answer.
            picked.extend(all.last());
        }
        return Ok((picked, true));
    }
    let Some(width) = options.width else {
        return Ok((device, true));
    };
    let widest = all.last().copied().unwrap_or(smallest_device);
    let nearest = |t: u64| all.iter().copied().find(|n| u64::from(*n) >= t).unwrap_or(widest);
    let mut picked = vec![nearest(u64::from(width)), nearest(u64::from(width) * 2)];
    picked.dedup();
    Ok((picked, false))
}

pub(crate) fn attributes(
    client: &ImageKit,
    base: &UrlOptions,
    options: &ResponsiveOptions,
    now: SystemTime,
) -> Result<ResponsiveImageAttributes> {
    let (widths, by_width) = candidates(options)?;
    let url = |w: u32| {
        let mut o = base.clone();
        o.raw_transformation.push(format!("w-{w},c-at_max"));
        client.url_at(&o, now)
    };
    let mut set = Vec::with_capacity(widths.len());
    for (i, w) in widths.iter().enumerate() {
        let descriptor = if by_width { format!("{w}w") } else { format!("{}x", i + 1) };
        set.push(format!("{} {descriptor}", url(*w)?));
    }
    let widest =
        *widths.last().ok_or_else(|| Error::invalid("responsive", "no candidate width"))?;
    let sizes = match &options.sizes {
        Some(s) if !s.is_empty() => Some(s.clone()),
        _ => by_width.then(|| "100vw".to_owned()),
    };
    Ok(ResponsiveImageAttributes {
        src: url(widest)?,
        src_set: Some(set.join(", ")),
        sizes,
        width: options.width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vw_tokens_as_the_sdk_regex() {
        const CASES: &[(&str, &[u32])] = &[
            ("100vw", &[100]),
            ("(min-width: 800px) 33vw, 100vw", &[33, 100]),
            ("50vw", &[50]),
            ("150vw 199vw 200vw 1000vw", &[150, 199]),
            ("calc(100vw - 2rem)", &[]),
            ("5vw\t7vw", &[5, 7]),
            ("800px", &[]),
            ("x50vw", &[]),
        ];
        for (s, want) in CASES {
            assert_eq!(vw_percents(s), *want, "{s}");
        }
    }
}
