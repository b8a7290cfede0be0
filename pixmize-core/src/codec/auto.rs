//! `f-auto`: choosing the output format from what the client accepts.

use super::ImageFormat;

/// Parses an HTTP `Accept` header into the image formats it lists
/// explicitly with a non-zero quality, in the order given.
///
/// Wildcards (`image/*`, `*/*`) add nothing: like ImageKit and the common
/// CDNs, AVIF and WebP are only chosen when a client names them, and JPEG
/// and PNG are assumed to be accepted by everyone (see
/// [`choose_auto_format`]).
///
/// ```
/// use pixmize_core::codec::{accepted_formats, ImageFormat};
/// let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
/// assert_eq!(accepted_formats(chrome), [ImageFormat::Avif, ImageFormat::Webp, ImageFormat::Png]);
/// assert_eq!(accepted_formats("image/webp;q=0, image/jpeg"), [ImageFormat::Jpeg]);
/// ```
#[must_use]
pub fn accepted_formats(accept: &str) -> Vec<ImageFormat> {
    let mut out = Vec::new();
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let format = match mime.as_str() {
            "image/avif" => ImageFormat::Avif,
            "image/webp" => ImageFormat::Webp,
            "image/jpeg" | "image/jpg" | "image/pjpeg" => ImageFormat::Jpeg,
            "image/png" | "image/apng" => ImageFormat::Png,
            "image/gif" => ImageFormat::Gif,
            _ => continue,
        };
        if !out.contains(&format) {
            out.push(format);
        }
    }
    out
}

/// Chooses the output format for ImageKit's `f-auto`: AVIF, then WebP,
/// among the formats in `accepted` that this build can encode
/// ([`ImageFormat::can_encode`]); otherwise JPEG, or PNG when the image has
/// alpha. JPEG and PNG need not be listed in `accepted`.
///
/// ```
/// use pixmize_core::codec::{choose_auto_format, ImageFormat};
/// assert_eq!(choose_auto_format(&[], false), ImageFormat::Jpeg);
/// assert_eq!(choose_auto_format(&[], true), ImageFormat::Png);
/// ```
#[must_use]
pub fn choose_auto_format(accepted: &[ImageFormat], has_alpha: bool) -> ImageFormat {
    [ImageFormat::Avif, ImageFormat::Webp]
        .into_iter()
        .find(|f| accepted.contains(f) && f.can_encode())
        .unwrap_or(if has_alpha { ImageFormat::Png } else { ImageFormat::Jpeg })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_order() {
        use ImageFormat::*;
        let webp = if Webp.can_encode() { Webp } else { Jpeg };
        let avif = if Avif.can_encode() { Avif } else { webp };
        assert_eq!(choose_auto_format(&[Avif, Webp, Jpeg], false), avif);
        assert_eq!(choose_auto_format(&[Webp, Jpeg], false), webp);
        assert_eq!(choose_auto_format(&[Webp], true), if Webp.can_encode() { Webp } else { Png });
        assert_eq!(choose_auto_format(&[Jpeg, Png], true), Png);
        assert_eq!(choose_auto_format(&[Gif], false), Jpeg);
    }

    #[test]
    fn accept_header_parsing() {
        use ImageFormat::*;
        let cases: &[(&str, &[ImageFormat])] = &[
            ("", &[]),
            ("*/*", &[]),
            ("image/webp,*/*", &[Webp]),
            ("IMAGE/AVIF;q=0.9, image/webp;q=0", &[Avif]),
            ("image/jpeg, image/png, image/gif", &[Jpeg, Png, Gif]),
            ("image/avif;q=bogus", &[Avif]),
        ];
        for (header, want) in cases {
            assert_eq!(accepted_formats(header), *want, "Accept: {header}");
        }
    }
}
