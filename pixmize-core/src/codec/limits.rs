//! Decoding limits, checked from the header before any pixel allocation.

use super::header::Header;
use crate::error::{Limit, LimitExceeded};

/// Limits on what [`decode`](super::decode) accepts. They are checked
/// against the encoded size and the container header *before* any decoder
/// runs, so a file whose header claims billions of pixels (a decompression
/// bomb) is rejected in microseconds without allocating its pixels.
///
/// The defaults follow ImageKit's documented input limits where ImageKit has
/// one (100 megapixels) and are generous elsewhere:
///
/// ```
/// use pixmize_core::codec::Limits;
/// let mut limits = Limits::default();
/// assert_eq!(limits.max_pixels, 100_000_000);
/// limits.max_pixels = 25_000_000; // a tighter budget for a small device
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest encoded input accepted, in bytes. Default 40 MiB (41,943,040
    /// bytes), at or above the 40 MB ImageKit documents as the largest image
    /// its paid Lite plan accepts.
    pub max_input_bytes: u64,
    /// Largest width × height accepted (stored size, before any
    /// shrink-on-load). Default 100 000 000, as ImageKit.
    pub max_pixels: u64,
    /// Largest width or height accepted. Default 65 535 (the JPEG and WebP
    /// format maximum is lower still: 65 535 and 16 383).
    pub max_side: u32,
    /// Largest number of frames or pages in the container (animated GIF,
    /// APNG, animated WebP, multi-page TIFF). Only the first is decoded
    /// today, but a file with more frames than this is refused. Default 1000.
    pub max_frames: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 40 << 20,
            max_pixels: 100_000_000,
            max_side: 65_535,
            max_frames: 1000,
        }
    }
}

impl Limits {
    /// Limits that accept anything (for trusted inputs and tests).
    #[must_use]
    pub fn none() -> Self {
        Self {
            max_input_bytes: u64::MAX,
            max_pixels: u64::MAX,
            max_side: u32::MAX,
            max_frames: u32::MAX,
        }
    }

    /// Checks the encoded size.
    pub(crate) fn check_input_bytes(&self, len: usize) -> Result<(), LimitExceeded> {
        let actual = len as u64;
        if actual > self.max_input_bytes {
            return Err(LimitExceeded {
                limit: Limit::InputBytes,
                actual,
                max: self.max_input_bytes,
            });
        }
        Ok(())
    }

    /// Checks what the header declares.
    pub(crate) fn check_header(&self, h: &Header) -> Result<(), LimitExceeded> {
        let side = h.width.max(h.height);
        if side > self.max_side {
            return Err(LimitExceeded {
                limit: Limit::InputSide,
                actual: side.into(),
                max: self.max_side.into(),
            });
        }
        let pixels = u64::from(h.width) * u64::from(h.height);
        if pixels > self.max_pixels {
            return Err(LimitExceeded {
                limit: Limit::InputPixels,
                actual: pixels,
                max: self.max_pixels,
            });
        }
        if h.frames > u64::from(self.max_frames) {
            return Err(LimitExceeded {
                limit: Limit::Frames,
                actual: h.frames,
                max: self.max_frames.into(),
            });
        }
        Ok(())
    }

    /// The same limits for the `image` crate's decoders: a second line of
    /// defence that also bounds their intermediate allocations.
    pub(crate) fn to_image_limits(self) -> image::Limits {
        let mut l = image::Limits::default();
        l.max_image_width = Some(self.max_side);
        l.max_image_height = Some(self.max_side);
        // 8 bytes per pixel (16-bit RGBA) plus slack for the decoder's own buffers
        l.max_alloc = Some(self.max_pixels.saturating_mul(8).saturating_add(64 << 20));
        l
    }
}
