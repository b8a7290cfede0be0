//! Colours: `RRGGBB`, `RRGGBBAA` (ImageKit's rule: the last two characters
//! are a decimal opacity 00–99, not hex) and CSS colour names.

use std::fmt;
use std::str::FromStr;

use super::number::Int;
use super::parse::ValueError;

/// A colour as ImageKit writes it.
///
/// ```
/// use pixmize_core::transform::Color;
/// let c: Color = "AAFF0050".parse()?;
/// assert_eq!(c.to_rgba(), [0xAA, 0xFF, 0x00, 129]); // 50 of 99 → alpha 129
/// assert_eq!("Red".parse::<Color>()?.to_string(), "red");
/// # Ok::<(), pixmize_core::transform::InvalidValue>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Color {
    /// `RRGGBB`, opaque.
    Rgb([u8; 3]),
    /// `RRGGBBAA`: the last two characters are an opacity from `00`
    /// (transparent) to `99` (opaque), in decimal.
    Rgba([u8; 3], Int<0, 99>),
    /// A CSS colour name such as `red` or `rebeccapurple`.
    Named(NamedColor),
}

impl Color {
    /// Black, ImageKit's default background.
    pub const BLACK: Color = Color::Rgb([0, 0, 0]);
    /// White.
    pub const WHITE: Color = Color::Rgb([255, 255, 255]);
    /// Fully transparent black (`00000000`).
    pub const TRANSPARENT: Color = Color::Rgba([0, 0, 0], Int::saturating(0));

    /// The colour as 8-bit RGBA. An `RRGGBBAA` opacity `o` (0–99) maps to
    /// alpha `round(o × 255 / 99)`, so `99` is fully opaque (a choice: the
    /// docs only say "decimal 00–99").
    #[must_use]
    pub fn to_rgba(self) -> [u8; 4] {
        match self {
            Color::Rgb([r, g, b]) => [r, g, b, 255],
            Color::Rgba([r, g, b], o) => {
                let a = (o.get() as u32 * 255 + 49) / 99;
                [r, g, b, a as u8]
            }
            Color::Named(n) => {
                let [r, g, b] = n.rgb();
                [r, g, b, 255]
            }
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, ValueError> {
        let hex = |t: &str| -> Option<[u8; 3]> {
            let v = u32::from_str_radix(t, 16).ok()?;
            Some([(v >> 16) as u8, (v >> 8) as u8, v as u8])
        };
        let all_hex = s.bytes().all(|b| b.is_ascii_hexdigit());
        match s.len() {
            6 if all_hex => return hex(s).map(Color::Rgb).ok_or_else(|| bad_color(s)),
            // Checking bytes (not `s[..6]`) keeps a multi-byte character
            // straddling byte 6 from panicking the slice below.
            8 if s.bytes().take(6).all(|b| b.is_ascii_hexdigit()) => {
                let rgb = hex(&s[..6]).ok_or_else(|| bad_color(s))?;
                let o = &s[6..];
                if !o.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ValueError::invalid(format!(
                        "`{s}`: the last two characters are a decimal opacity 00 to 99"
                    ))
                    .at(6));
                }
                let o = Int::new(o.parse().unwrap_or(100)).ok_or_else(|| bad_color(s))?;
                return Ok(Color::Rgba(rgb, o));
            }
            _ => {}
        }
        NamedColor::from_name(s).map(Color::Named).ok_or_else(|| bad_color(s))
    }
}

fn bad_color(s: &str) -> ValueError {
    ValueError::invalid(format!(
        "`{s}` is not a colour (RRGGBB, RRGGBBAA with decimal opacity 00-99, or a CSS name)"
    ))
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Color::Rgb([r, g, b]) => write!(f, "{r:02X}{g:02X}{b:02X}"),
            Color::Rgba([r, g, b], o) => write!(f, "{r:02X}{g:02X}{b:02X}{:02}", o.get()),
            Color::Named(n) => f.write_str(n.name()),
        }
    }
}

impl FromStr for Color {
    type Err = super::InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Color::parse(s).map_err(ValueError::into_public)
    }
}

/// A CSS colour name (CSS Color Module Level 4, §6.1 "Named Colors"),
/// matched case-insensitively and printed in lower case.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NamedColor(u8);

impl NamedColor {
    /// Looks a name up, ignoring ASCII case.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        NAMES
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|i| u8::try_from(i).ok())
            .map(NamedColor)
    }

    /// The name, in lower case.
    #[must_use]
    pub fn name(self) -> &'static str {
        NAMES[usize::from(self.0)].0
    }

    /// The colour's sRGB value.
    #[must_use]
    pub fn rgb(self) -> [u8; 3] {
        let v = NAMES[usize::from(self.0)].1;
        [(v >> 16) as u8, (v >> 8) as u8, v as u8]
    }

    /// Every name, in table order.
    pub fn all() -> impl Iterator<Item = NamedColor> {
        (0..NAMES.len()).filter_map(|i| u8::try_from(i).ok()).map(NamedColor)
    }
}

impl fmt::Debug for NamedColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// CSS Color Module Level 4, §6.1 (https://www.w3.org/TR/css-color-4/#named-colors).
const NAMES: &[(&str, u32)] = &[
    ("aliceblue", 0xF0F8FF),
    ("antiquewhite", 0xFAEBD7),
    ("aqua", 0x00FFFF),
    ("aquamarine", 0x7FFFD4),
    ("azure", 0xF0FFFF),
    ("beige", 0xF5F5DC),
    ("bisque", 0xFFE4C4),
    ("black", 0x000000),
    ("blanchedalmond", 0xFFEBCD),
    ("blue", 0x0000FF),
    ("blueviolet", 0x8A2BE2),
    ("brown", 0xA52A2A),
    ("burlywood", 0xDEB887),
    ("cadetblue", 0x5F9EA0),
    ("chartreuse", 0x7FFF00),
    ("chocolate", 0xD2691E),
    ("coral", 0xFF7F50),
    ("cornflowerblue", 0x6495ED),
    ("cornsilk", 0xFFF8DC),
    ("crimson", 0xDC143C),
    ("cyan", 0x00FFFF),
    ("darkblue", 0x00008B),
    ("darkcyan", 0x008B8B),
    ("darkgoldenrod", 0xB8860B),
    ("darkgray", 0xA9A9A9),
    ("darkgreen", 0x006400),
    ("darkgrey", 0xA9A9A9),
    ("darkkhaki", 0xBDB76B),
    ("darkmagenta", 0x8B008B),
    ("darkolivegreen", 0x556B2F),
    ("darkorange", 0xFF8C00),
    ("darkorchid", 0x9932CC),
    ("darkred", 0x8B0000),
    ("darksalmon", 0xE9967A),
    ("darkseagreen", 0x8FBC8F),
    ("darkslateblue", 0x483D8B),
    ("darkslategray", 0x2F4F4F),
    ("darkslategrey", 0x2F4F4F),
    ("darkturquoise", 0x00CED1),
    ("darkviolet", 0x9400D3),
    ("deeppink", 0xFF1493),
    ("deepskyblue", 0x00BFFF),
    ("dimgray", 0x696969),
    ("dimgrey", 0x696969),
    ("dodgerblue", 0x1E90FF),
    ("firebrick", 0xB22222),
    ("floralwhite", 0xFFFAF0),
    ("forestgreen", 0x228B22),
    ("fuchsia", 0xFF00FF),
    ("gainsboro", 0xDCDCDC),
    ("ghostwhite", 0xF8F8FF),
    ("gold", 0xFFD700),
    ("goldenrod", 0xDAA520),
    ("gray", 0x808080),
    ("green", 0x008000),
    ("greenyellow", 0xADFF2F),
    ("grey", 0x808080),
    ("honeydew", 0xF0FFF0),
    ("hotpink", 0xFF69B4),
    ("indianred", 0xCD5C5C),
    ("indigo", 0x4B0082),
    ("ivory", 0xFFFFF0),
    ("khaki", 0xF0E68C),
    ("lavender", 0xE6E6FA),
    ("lavenderblush", 0xFFF0F5),
    ("lawngreen", 0x7CFC00),
    ("lemonchiffon", 0xFFFACD),
    ("lightblue", 0xADD8E6),
    ("lightcoral", 0xF08080),
    ("lightcyan", 0xE0FFFF),
    ("lightgoldenrodyellow", 0xFAFAD2),
    ("lightgray", 0xD3D3D3),
    ("lightgreen", 0x90EE90),
    ("lightgrey", 0xD3D3D3),
    ("lightpink", 0xFFB6C1),
    ("lightsalmon", 0xFFA07A),
    ("lightseagreen", 0x20B2AA),
    ("lightskyblue", 0x87CEFA),
    ("lightslategray", 0x778899),
    ("lightslategrey", 0x778899),
    ("lightsteelblue", 0xB0C4DE),
    ("lightyellow", 0xFFFFE0),
    ("lime", 0x00FF00),
    ("limegreen", 0x32CD32),
    ("linen", 0xFAF0E6),
    ("magenta", 0xFF00FF),
    ("maroon", 0x800000),
    ("mediumaquamarine", 0x66CDAA),
    ("mediumblue", 0x0000CD),
    ("mediumorchid", 0xBA55D3),
    ("mediumpurple", 0x9370DB),
    ("mediumseagreen", 0x3CB371),
    ("mediumslateblue", 0x7B68EE),
    ("mediumspringgreen", 0x00FA9A),
    ("mediumturquoise", 0x48D1CC),
    ("mediumvioletred", 0xC71585),
    ("midnightblue", 0x191970),
    ("mintcream", 0xF5FFFA),
    ("mistyrose", 0xFFE4E1),
    ("moccasin", 0xFFE4B5),
    ("navajowhite", 0xFFDEAD),
    ("navy", 0x000080),
    ("oldlace", 0xFDF5E6),
    ("olive", 0x808000),
    ("olivedrab", 0x6B8E23),
    ("orange", 0xFFA500),
    ("orangered", 0xFF4500),
    ("orchid", 0xDA70D6),
    ("palegoldenrod", 0xEEE8AA),
    ("palegreen", 0x98FB98),
    ("paleturquoise", 0xAFEEEE),
    ("palevioletred", 0xDB7093),
    ("papayawhip", 0xFFEFD5),
    ("peachpuff", 0xFFDAB9),
    ("peru", 0xCD853F),
    ("pink", 0xFFC0CB),
    ("plum", 0xDDA0DD),
    ("powderblue", 0xB0E0E6),
    ("purple", 0x800080),
    ("rebeccapurple", 0x663399),
    ("red", 0xFF0000),
    ("rosybrown", 0xBC8F8F),
    ("royalblue", 0x4169E1),
    ("saddlebrown", 0x8B4513),
    ("salmon", 0xFA8072),
    ("sandybrown", 0xF4A460),
    ("seagreen", 0x2E8B57),
    ("seashell", 0xFFF5EE),
    ("sienna", 0xA0522D),
    ("silver", 0xC0C0C0),
    ("skyblue", 0x87CEEB),
    ("slateblue", 0x6A5ACD),
    ("slategray", 0x708090),
    ("slategrey", 0x708090),
    ("snow", 0xFFFAFA),
    ("springgreen", 0x00FF7F),
    ("steelblue", 0x4682B4),
    ("tan", 0xD2B48C),
    ("teal", 0x008080),
    ("thistle", 0xD8BFD8),
    ("tomato", 0xFF6347),
    ("turquoise", 0x40E0D0),
    ("violet", 0xEE82EE),
    ("wheat", 0xF5DEB3),
    ("white", 0xFFFFFF),
    ("whitesmoke", 0xF5F5F5),
    ("yellow", 0xFFFF00),
    ("yellowgreen", 0x9ACD32),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_148_css_names() {
        assert_eq!(NAMES.len(), 148);
        assert_eq!(NamedColor::from_name("RebeccaPurple").unwrap().rgb(), [0x66, 0x33, 0x99]);
    }

    #[test]
    fn colours_parse_and_print() {
        for (input, printed) in [
            ("ff0000", "FF0000"),
            ("AAFF0010", "AAFF0010"),
            ("aaff0005", "AAFF0005"),
            ("RED", "red"),
            ("000000", "000000"),
        ] {
            assert_eq!(Color::parse(input).unwrap().to_string(), printed, "{input}");
        }
        for bad in
            ["", "fff", "GGGGGG", "FF0000FF", "FF00001A", "notacolour", "FF00000", "FF0000999"]
        {
            assert!(Color::parse(bad).is_err(), "{bad:?} must not parse");
        }
    }

    #[test]
    fn decimal_opacity_maps_to_alpha() {
        assert_eq!(Color::parse("FFFFFF00").unwrap().to_rgba()[3], 0);
        assert_eq!(Color::parse("FFFFFF99").unwrap().to_rgba()[3], 255);
        assert_eq!(Color::parse("FFFFFF50").unwrap().to_rgba()[3], 129);
    }
}
