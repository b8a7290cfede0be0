//! Layer inputs encoded as the official SDKs encode them (`processText`
//! and `processInputPath` of ImageKit's JavaScript SDK): plain `i-` when
//! the text or path is made of safe characters, URL-encoded base64 `ie-`
//! otherwise, so that any text (commas, colons, slashes, emoji…) can go
//! into a URL.
//!
//! ```
//! use pixmize_core::transform::Params;
//! use pixmize_core::Transformation;
//! use pixmize_imagekit::overlay;
//! let layer = overlay::text_layer("50% off, today: €10").unwrap();
//! let t: Transformation = [Params::new().layer(layer)].into_iter().collect();
//! assert_eq!(t.to_string(), "l-text,ie-NTAlIG9mZiwgdG9kYXk6IOKCrDEw,l-end");
//! let t: Transformation =
//!     [Params::new().layer(overlay::text_layer("Hello world").unwrap())].into_iter().collect();
//! assert_eq!(t.to_string(), "l-text,i-Hello%20world,l-end");
//! ```

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use pixmize_core::transform::{Layer, LayerInput, LayerKind, Text};

/// What JavaScript's `encodeURIComponent` leaves alone.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

fn encoded(s: &str) -> Option<LayerInput> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    Text::new(&utf8_percent_encode(&b64, URI_COMPONENT).to_string()).map(LayerInput::Encoded)
}

/// The input of a text layer: `i-<URL-encoded text>` when the text holds
/// only ASCII letters, digits, `-`, `.`, `_` and spaces, else
/// `ie-<URL-encoded base64 of its UTF-8>`. `None` for an empty text (the
/// SDKs then drop the layer).
///
/// ```
/// use pixmize_imagekit::overlay::text_layer_input;
/// assert_eq!(text_layer_input("alnum123-._ ").unwrap().as_str(), "alnum123-._%20");
/// assert_eq!(
///     text_layer_input("Let's use ©, ®, ™, etc").unwrap().as_str(),
///     "TGV0J3MgdXNlIMKpLCDCriwg4oSiLCBldGM%3D"
/// );
/// ```
#[must_use]
pub fn text_layer_input(text: &str) -> Option<LayerInput> {
    if text.is_empty() {
        return None;
    }
    let simple =
        text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ' '));
    if simple {
        Text::new(&utf8_percent_encode(text, URI_COMPONENT).to_string()).map(LayerInput::Plain)
    } else {
        encoded(text)
    }
}

/// The input of an image (or video, subtitle) layer from a media library
/// path: one leading and one trailing `/` are removed, then
/// `i-<path with / as @@>` when the path holds only ASCII letters, digits,
/// `-`, `.`, `_` and `/`, else `ie-<URL-encoded base64 of the path>`.
/// `None` for an empty path.
///
/// The SDKs also keep a path with spaces in the plain form, unescaped;
/// this crate encodes it (`ie-`), which ImageKit reads the same way and
/// which keeps the URL valid.
///
/// ```
/// use pixmize_core::transform::LayerInput;
/// use pixmize_imagekit::overlay::path_layer_input;
/// let plain = path_layer_input("/customer_logo/nykaa.png").unwrap();
/// assert!(matches!(plain, LayerInput::Plain(_)));
/// assert_eq!(plain.as_str(), "customer_logo@@nykaa.png");
/// let encoded = path_layer_input("/customer_logo/N\u{303}ykaa.png").unwrap();
/// assert!(matches!(encoded, LayerInput::Encoded(_)));
/// assert_eq!(encoded.as_str(), "Y3VzdG9tZXJfbG9nby9OzIN5a2FhLnBuZw%3D%3D");
/// ```
#[must_use]
pub fn path_layer_input(path: &str) -> Option<LayerInput> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        return None;
    }
    let simple =
        path.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/'));
    if simple { Text::new(&path.replace('/', "@@")).map(LayerInput::Plain) } else { encoded(path) }
}

/// A text layer (`l-text,i-…` or `l-text,ie-…`) with no position or
/// style yet; see [`text_layer_input`]. Set its public fields (`x`, `y`,
/// `font_size`, `color`…) and add it with `Params::layer`.
#[must_use]
pub fn text_layer(text: &str) -> Option<Layer> {
    text_layer_input(text).map(|input| Layer::new(LayerKind::Text, input))
}

/// An image layer from a media library path; see [`path_layer_input`].
#[must_use]
pub fn image_layer(path: &str) -> Option<Layer> {
    path_layer_input(path).map(|input| Layer::new(LayerKind::Image, input))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official JavaScript SDK's vectors (`test/url-generation/overlay.js`).
    #[test]
    fn sdk_vectors() {
        type Case = (&'static str, &'static str, &'static str);
        const TEXT: &[Case] = &[
            ("Manu", "i", "Manu"),
            ("Minimal Text", "i", "Minimal%20Text"),
            ("alnum123-._ ", "i", "alnum123-._%20"),
            ("Let's use ©, ®, ™, etc", "ie", "TGV0J3MgdXNlIMKpLCDCriwg4oSiLCBldGM%3D"),
        ];
        for (text, kind, want) in TEXT {
            let got = text_layer_input(text).unwrap();
            let k = if matches!(got, LayerInput::Plain(_)) { "i" } else { "ie" };
            assert_eq!((k, got.as_str()), (*kind, *want), "{text}");
        }
        const PATHS: &[Case] = &[
            ("logo.png", "i", "logo.png"),
            ("/customer_logo/nykaa.png", "i", "customer_logo@@nykaa.png"),
            ("/customer_logo/N\u{303}ykaa.png", "ie", "Y3VzdG9tZXJfbG9nby9OzIN5a2FhLnBuZw%3D%3D"),
            ("a/b/", "i", "a@@b"),
            // base64("my logo.png")
            ("my logo.png", "ie", "bXkgbG9nby5wbmc%3D"),
        ];
        for (path, kind, want) in PATHS {
            let got = path_layer_input(path).unwrap();
            let k = if matches!(got, LayerInput::Plain(_)) { "i" } else { "ie" };
            assert_eq!((k, got.as_str()), (*kind, *want), "{path}");
        }
        assert!(text_layer_input("").is_none());
        assert!(path_layer_input("/").is_none());
        assert!(path_layer_input("").is_none());
    }

    #[test]
    fn any_text_round_trips_through_the_url_language() {
        use pixmize_core::Transformation;
        use pixmize_core::transform::Params;
        for text in ["a,b:c/d?e#f&g", "emoji 🎉", "tab\there", "100%", "-", "  "] {
            let layer = text_layer(text).unwrap();
            let t: Transformation = [Params::new().layer(layer)].into_iter().collect();
            let printed = t.to_string();
            let back: Transformation = printed.parse().unwrap();
            assert_eq!(back, t, "{text}: {printed}");
            let input = &back.steps()[0].params().unwrap().layers[0].input;
            let decoded = match input {
                LayerInput::Encoded(e) => {
                    let b64 =
                        percent_encoding::percent_decode_str(e.as_str()).decode_utf8().unwrap();
                    String::from_utf8(
                        base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()).unwrap(),
                    )
                    .unwrap()
                }
                LayerInput::Plain(p) => percent_encoding::percent_decode_str(p.as_str())
                    .decode_utf8()
                    .unwrap()
                    .into_owned(),
            };
            assert_eq!(decoded, text);
        }
    }
}
