//! The typed values of transformation parameters.
//!
//! Every type here admits only values that print (with `Display`) in a form
//! the parser reads back to the same value.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use super::color::Color;
use super::expr::Expr;
use super::number::{Int, Number, Positive, parse_nonzero};
use super::parse::{Ctx, ValueError};

/// A parameter value: parsed from the text after `key-`, printed back in
/// canonical form. A value that prints as the empty string is written as the
/// bare key (`e-sharpen`).
pub(crate) trait ParamValue: Sized + fmt::Display {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError>;
    /// The value of a bare key such as `e-shadow`, if the key may stand alone.
    fn bare() -> Option<Self> {
        None
    }
}

macro_rules! keywords {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $var:ident = $s:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name { $( $(#[$vmeta])* $var ),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The keyword as written in a transformation.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }

            pub(crate) fn parse(s: &str) -> Result<Self, ValueError> {
                match s {
                    $($s => Ok($name::$var),)+
                    _ => Err(ValueError::invalid(format!(
                        "`{s}` is not one of: {}",
                        [$($s),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = super::InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s).map_err(ValueError::into_public)
            }
        }

        impl ParamValue for $name {
            fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
                $name::parse(s)
            }
        }
    };
}

keywords! {
    /// `c-…`: how the image is fitted into `w`×`h`.
    pub enum Crop {
        /// `maintain_ratio` (the default): cover the box, crop the excess around the focus.
        MaintainRatio = "maintain_ratio",
        /// `maintain_ratio_no_enlarge`: as `maintain_ratio`, but never upscale.
        MaintainRatioNoEnlarge = "maintain_ratio_no_enlarge",
        /// `force`: stretch to exactly `w`×`h`, ignoring the aspect ratio.
        Force = "force",
        /// `at_max`: fit inside the box, never enlarge.
        AtMax = "at_max",
        /// `at_max_enlarge`: fit inside the box, enlarging if needed.
        AtMaxEnlarge = "at_max_enlarge",
        /// `at_least`: cover the box without cropping.
        AtLeast = "at_least",
    }
}

keywords! {
    /// `cm-…`: padding and extraction modes.
    pub enum CropMode {
        /// `pad_resize`: fit inside the box and pad with `bg`.
        PadResize = "pad_resize",
        /// `pad_resize_no_enlarge`: as `pad_resize`, never upscaling.
        PadResizeNoEnlarge = "pad_resize_no_enlarge",
        /// `extract`: cut a `w`×`h` region out of the image, without resizing.
        Extract = "extract",
        /// `pad_extract`: as `extract`, padding with `bg` where the box is larger.
        PadExtract = "pad_extract",
        /// `pad_extract_no_shrink`: pad where the box is larger, never crop.
        PadExtractNoShrink = "pad_extract_no_shrink",
    }
}

keywords! {
    /// A relative position: the focus of a crop, the side of padding, a layer anchor.
    pub enum Anchor {
        /// `center`
        Center = "center",
        /// `top`
        Top = "top",
        /// `left`
        Left = "left",
        /// `bottom`
        Bottom = "bottom",
        /// `right`
        Right = "right",
        /// `top_left`
        TopLeft = "top_left",
        /// `top_right`
        TopRight = "top_right",
        /// `bottom_left`
        BottomLeft = "bottom_left",
        /// `bottom_right`
        BottomRight = "bottom_right",
    }
}

impl Anchor {
    /// Horizontal and vertical position as fractions: 0 = left/top, 0.5 =
    /// centre, 1 = right/bottom.
    #[must_use]
    pub fn fractions(self) -> (f64, f64) {
        match self {
            Anchor::Center => (0.5, 0.5),
            Anchor::Top => (0.5, 0.0),
            Anchor::Left => (0.0, 0.5),
            Anchor::Bottom => (0.5, 1.0),
            Anchor::Right => (1.0, 0.5),
            Anchor::TopLeft => (0.0, 0.0),
            Anchor::TopRight => (1.0, 0.0),
            Anchor::BottomLeft => (0.0, 1.0),
            Anchor::BottomRight => (1.0, 1.0),
        }
    }
}

keywords! {
    /// `f-…`: the output format.
    pub enum Format {
        /// `auto`: the best format the client accepts.
        Auto = "auto",
        /// `jpg`
        Jpg = "jpg",
        /// `jpeg` (same as `jpg`)
        Jpeg = "jpeg",
        /// `png`
        Png = "png",
        /// `webp`
        Webp = "webp",
        /// `avif`
        Avif = "avif",
        /// `gif`
        Gif = "gif",
        /// `orig`: the input's format.
        Orig = "orig",
    }
}

keywords! {
    /// `fl-…`: flip.
    pub enum Flip {
        /// `h`: mirror left to right.
        Horizontal = "h",
        /// `v`: upside down.
        Vertical = "v",
        /// `h_v`: both.
        Both = "h_v",
        /// `v_h`: both (ImageKit's other spelling, kept as written).
        BothVh = "v_h",
    }
}

keywords! {
    /// `lm-…`: how a layer is blended.
    pub enum BlendMode {
        /// `multiply`
        Multiply = "multiply",
        /// `cutter`
        Cutter = "cutter",
        /// `cutout`
        Cutout = "cutout",
        /// `displace`
        Displace = "displace",
    }
}

keywords! {
    /// `ia-…`: alignment of text inside a text layer.
    pub enum TextAlign {
        /// `left`
        Left = "left",
        /// `right`
        Right = "right",
        /// `center`
        Center = "center",
    }
}

keywords! {
    /// `tg-…`: typography of a text layer.
    pub enum Typography {
        /// `b`: bold.
        Bold = "b",
        /// `i`: italic.
        Italic = "i",
        /// `b_i`: bold italic.
        BoldItalic = "b_i",
    }
}

keywords! {
    /// The direction of `e-gradient` given as a side or corner (`ld-top_right`).
    pub enum GradientSide {
        /// `top`
        Top = "top",
        /// `top_right`
        TopRight = "top_right",
        /// `right`
        Right = "right",
        /// `bottom_right`
        BottomRight = "bottom_right",
        /// `bottom`
        Bottom = "bottom",
        /// `bottom_left`
        BottomLeft = "bottom_left",
        /// `left`
        Left = "left",
        /// `top_left`
        TopLeft = "top_left",
    }
}

/// `q-…`: lossy quality, 1–100 (ImageKit's default is 80).
pub type Quality = Int<1, 100>;
/// `bl-…`: Gaussian blur radius, 1–100.
pub type Blur = Int<1, 100>;
/// `o-…`: opacity, 0–100.
pub type Opacity = Int<0, 100>;

impl ParamValue for bool {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        match s {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(ValueError::invalid(format!("`{s}` is not `true` or `false`"))),
        }
    }
}

impl<const MIN: i32, const MAX: i32> ParamValue for Int<MIN, MAX> {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        Int::parse(s)
    }
}

impl ParamValue for Positive {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        Positive::parse(s)
    }
}

impl ParamValue for Number {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        Number::parse(s)
    }
}

impl ParamValue for Color {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        Color::parse(s)
    }
}

/// A width or height: `w-300`, `w-0.4` (40 % of the original), `w-auto`
/// (the `Sec-CH-Width` client hint) or an expression (`w-iw_div_2`).
#[derive(Debug, Clone, PartialEq)]
pub enum Size {
    /// Whole pixels.
    Pixels(NonZeroU32),
    /// A fraction of the original image's side.
    Fraction(super::number::Fraction),
    /// From the client hint.
    Auto,
    /// An arithmetic expression.
    Expr(Expr),
}

impl Size {
    /// `n` pixels, if `n > 0`.
    #[must_use]
    pub fn px(n: u32) -> Option<Size> {
        NonZeroU32::new(n).map(Size::Pixels)
    }
}

impl From<NonZeroU32> for Size {
    fn from(n: NonZeroU32) -> Size {
        Size::Pixels(n)
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Pixels(n) => fmt::Display::fmt(&n, f),
            Size::Fraction(x) => fmt::Display::fmt(&x, f),
            Size::Auto => f.write_str("auto"),
            Size::Expr(e) => fmt::Display::fmt(&e, f),
        }
    }
}

impl ParamValue for Size {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        if s == "auto" {
            return Ok(Size::Auto);
        }
        if Number::looks_numeric(s) && !s.contains('_') {
            let n = Number::parse(s)?.get();
            if n > 0.0 && n < 1.0 {
                return super::number::Fraction::new(n)
                    .map(Size::Fraction)
                    .ok_or_else(|| ValueError::out_of_range("a fraction between 0 and 1"));
            }
            if n.fract() != 0.0 {
                return Err(ValueError::invalid(format!(
                    "`{s}`: pixels are whole numbers; a value between 0 and 1 is a fraction of the original"
                )));
            }
            if n == 0.0 || n > f64::from(u32::MAX) {
                return Err(ValueError::out_of_range(
                    "1 to 4294967295 pixels, or a fraction between 0 and 1",
                ));
            }
            return Size::px(n as u32).ok_or_else(|| ValueError::out_of_range("at least 1"));
        }
        Expr::parse_in(s, ctx).map(Size::Expr)
    }
}

/// A number or an expression, for coordinates and lengths that accept both.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A literal.
    Number(Number),
    /// An arithmetic expression.
    Expr(Expr),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Number(n) => fmt::Display::fmt(&n, f),
            Scalar::Expr(e) => fmt::Display::fmt(&e, f),
        }
    }
}

impl ParamValue for Scalar {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        if Number::looks_numeric(s) && !s.contains('_') {
            Number::parse(s).map(Scalar::Number)
        } else {
            Expr::parse_in(s, ctx).map(Scalar::Expr)
        }
    }
}

/// `ar-…`: the output's aspect ratio, used with only one of `w` and `h`.
#[derive(Debug, Clone, PartialEq)]
pub enum AspectRatio {
    /// `ar-4-3` (also read from `ar-4_3`): width to height.
    Ratio(Positive, Positive),
    /// `ar-1.5`: width / height as one number.
    Value(Positive),
    /// `ar-iar_div_2`: an expression giving width / height.
    Expr(Expr),
}

impl AspectRatio {
    /// Width divided by height, evaluating an expression with `vars`.
    ///
    /// # Errors
    /// When the expression cannot be evaluated.
    pub fn value(&self, vars: &super::Vars) -> Result<f64, super::EvalError> {
        match self {
            AspectRatio::Ratio(w, h) => Ok(w.get() / h.get()),
            AspectRatio::Value(v) => Ok(v.get()),
            AspectRatio::Expr(e) => e.eval(vars),
        }
    }
}

impl fmt::Display for AspectRatio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AspectRatio::Ratio(w, h) => write!(f, "{w}-{h}"),
            AspectRatio::Value(v) => fmt::Display::fmt(&v, f),
            AspectRatio::Expr(e) => fmt::Display::fmt(&e, f),
        }
    }
}

impl ParamValue for AspectRatio {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        let pair = s.split_once('-').or_else(|| {
            s.split_once('_').filter(|(a, b)| Number::looks_numeric(a) && Number::looks_numeric(b))
        });
        if let Some((w, h)) = pair {
            let w = Positive::parse(w)?;
            let h = Positive::parse(h).map_err(|e| e.at(s.len() - h.len()))?;
            return Ok(AspectRatio::Ratio(w, h));
        }
        if Number::looks_numeric(s) && !s.contains('_') {
            return Positive::parse(s).map(AspectRatio::Value);
        }
        Expr::parse_in(s, ctx).map(AspectRatio::Expr)
    }
}

/// An object ImageKit can find for object-aware cropping (`fo-person`,
/// `fo-car`, `fo-trafficLight`): one of [`ObjectName::ALL`].
///
/// ImageKit detects the 80 classes of the COCO dataset ("80+ named
/// objects"), and writes a name of several words in camelCase
/// (`trafficLight`, `hotDog`, `teddyBear`). Any other name is rejected, so
/// a typo such as `fo-centre` fails to parse instead of reaching ImageKit
/// as an ML focus. The list is at
/// <https://imagekit.io/docs/image-resize-and-crop#object-aware-cropping---fo-object-name>.
///
/// ```
/// use pixmize_core::transform::ObjectName;
/// assert_eq!(ObjectName::new("trafficLight").map(|o| o.as_str()), Some("trafficLight"));
/// assert!(ObjectName::new("traffic_light").is_none());
/// assert_eq!(ObjectName::ALL.len(), 80);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectName(&'static str);

impl ObjectName {
    /// Every object name, in COCO's class order.
    pub const ALL: &'static [ObjectName] = &[
        ObjectName("person"),
        ObjectName("bicycle"),
        ObjectName("car"),
        ObjectName("motorcycle"),
        ObjectName("airplane"),
        ObjectName("bus"),
        ObjectName("train"),
        ObjectName("truck"),
        ObjectName("boat"),
        ObjectName("trafficLight"),
        ObjectName("fireHydrant"),
        ObjectName("stopSign"),
        ObjectName("parkingMeter"),
        ObjectName("bench"),
        ObjectName("bird"),
        ObjectName("cat"),
        ObjectName("dog"),
        ObjectName("horse"),
        ObjectName("sheep"),
        ObjectName("cow"),
        ObjectName("elephant"),
        ObjectName("bear"),
        ObjectName("zebra"),
        ObjectName("giraffe"),
        ObjectName("backpack"),
        ObjectName("umbrella"),
        ObjectName("handbag"),
        ObjectName("tie"),
        ObjectName("suitcase"),
        ObjectName("frisbee"),
        ObjectName("skis"),
        ObjectName("snowboard"),
        ObjectName("sportsBall"),
        ObjectName("kite"),
        ObjectName("baseballBat"),
        ObjectName("baseballGlove"),
        ObjectName("skateboard"),
        ObjectName("surfboard"),
        ObjectName("tennisRacket"),
        ObjectName("bottle"),
        ObjectName("wineGlass"),
        ObjectName("cup"),
        ObjectName("fork"),
        ObjectName("knife"),
        ObjectName("spoon"),
        ObjectName("bowl"),
        ObjectName("banana"),
        ObjectName("apple"),
        ObjectName("sandwich"),
        ObjectName("orange"),
        ObjectName("broccoli"),
        ObjectName("carrot"),
        ObjectName("hotDog"),
        ObjectName("pizza"),
        ObjectName("donut"),
        ObjectName("cake"),
        ObjectName("chair"),
        ObjectName("couch"),
        ObjectName("pottedPlant"),
        ObjectName("bed"),
        ObjectName("diningTable"),
        ObjectName("toilet"),
        ObjectName("tv"),
        ObjectName("laptop"),
        ObjectName("mouse"),
        ObjectName("remote"),
        ObjectName("keyboard"),
        ObjectName("cellPhone"),
        ObjectName("microwave"),
        ObjectName("oven"),
        ObjectName("toaster"),
        ObjectName("sink"),
        ObjectName("refrigerator"),
        ObjectName("book"),
        ObjectName("clock"),
        ObjectName("vase"),
        ObjectName("scissors"),
        ObjectName("teddyBear"),
        ObjectName("hairDrier"),
        ObjectName("toothbrush"),
    ];

    /// `name` if it is one of [`ObjectName::ALL`], spelled exactly.
    #[must_use]
    pub fn new(name: &str) -> Option<ObjectName> {
        ObjectName::ALL.iter().copied().find(|o| o.0 == name)
    }

    /// The name, as ImageKit spells it.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// The name `name` was probably meant to be: the same letters in
    /// another case or with `_`/`-` between the words (`traffic_light`).
    fn suggestion(name: &str) -> Option<ObjectName> {
        let fold = |s: &str| -> String {
            s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
        };
        let folded = fold(name);
        ObjectName::ALL.iter().copied().find(|o| fold(o.0) == folded)
    }
}

/// Where ImageKit documents the object names of `fo-<object>`.
const OBJECT_LIST_URL: &str =
    "https://imagekit.io/docs/image-resize-and-crop#object-aware-cropping---fo-object-name";

/// `fo-…`: where a crop or padding is anchored.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Focus {
    /// A relative position.
    Anchor(Anchor),
    /// `auto`: saliency-based smart crop (ImageKit's ML; the local engine
    /// falls back to the centre).
    Auto,
    /// `face`: face detection (ImageKit's ML).
    Face,
    /// `custom`: the file's stored custom coordinates (ImageKit only).
    Custom,
    /// An object to keep in frame (`fo-person`; ImageKit's ML).
    Object(ObjectName),
}

impl Focus {
    /// Whether only ImageKit can resolve this focus (machine learning or
    /// stored coordinates).
    #[must_use]
    pub fn is_cloud_only(&self) -> bool {
        !matches!(self, Focus::Anchor(_))
    }
}

impl fmt::Display for Focus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Focus::Anchor(a) => fmt::Display::fmt(&a, f),
            Focus::Auto => f.write_str("auto"),
            Focus::Face => f.write_str("face"),
            Focus::Custom => f.write_str("custom"),
            Focus::Object(o) => f.write_str(o.as_str()),
        }
    }
}

impl ParamValue for Focus {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        Ok(match s {
            "auto" => Focus::Auto,
            "face" => Focus::Face,
            "custom" => Focus::Custom,
            _ => match Anchor::parse(s) {
                Ok(a) => Focus::Anchor(a),
                Err(_) => Focus::Object(ObjectName::new(s).ok_or_else(|| {
                    let hint = ObjectName::suggestion(s)
                        .map(|o| format!(" (did you mean `{}`?)", o.as_str()))
                        .unwrap_or_default();
                    ValueError::invalid(format!(
                        "`{s}` is not a position (center, top, left, bottom, right, top_left, …), \
                         auto, face, custom or an object name{hint}; object names are the 80 COCO \
                         classes as ImageKit spells them (person, car, trafficLight, …): see \
                         `ObjectName::ALL`, or ImageKit's list at {OBJECT_LIST_URL}"
                    ))
                })?),
            },
        })
    }
}

/// A device pixel ratio between 0.1 and 5.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct DprValue(f64);

impl DprValue {
    /// `v` if `0.1 <= v <= 5`.
    #[must_use]
    pub fn new(v: f64) -> Option<DprValue> {
        (0.1..=5.0).contains(&v).then_some(DprValue(v))
    }

    /// The ratio.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }
}

/// `dpr-…`: multiplies the output size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dpr {
    /// A ratio between 0.1 and 5.
    Value(DprValue),
    /// `auto`: from the `Sec-CH-DPR` client hint.
    Auto,
}

impl fmt::Display for Dpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dpr::Value(v) => fmt::Display::fmt(&v.0, f),
            Dpr::Auto => f.write_str("auto"),
        }
    }
}

impl ParamValue for Dpr {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        if s == "auto" {
            return Ok(Dpr::Auto);
        }
        let n = Number::parse(s)?;
        DprValue::new(n.get())
            .map(Dpr::Value)
            .ok_or_else(|| ValueError::out_of_range("0.1 to 5, or auto"))
    }
}

/// `dn-…`: the output density in DPI.
#[derive(Debug, Clone, PartialEq)]
pub enum Density {
    /// 1–1200 DPI.
    Dpi(Int<1, 1200>),
    /// An expression such as `idn_div_2`.
    Expr(Expr),
}

impl fmt::Display for Density {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Density::Dpi(d) => fmt::Display::fmt(&d, f),
            Density::Expr(e) => fmt::Display::fmt(&e, f),
        }
    }
}

impl ParamValue for Density {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        if Number::looks_numeric(s) && !s.contains('_') {
            Int::parse(s).map(Density::Dpi)
        } else {
            Expr::parse_in(s, ctx).map(Density::Expr)
        }
    }
}

/// `rt-…`: rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// `rt-auto`: rotate by the EXIF orientation.
    Auto,
    /// Degrees clockwise; negative (written `N40`) is counter-clockwise.
    Degrees(Int<-360, 360>),
}

impl Rotation {
    /// Clockwise degrees normalised to `0..360`, or `None` for `auto`.
    #[must_use]
    pub fn clockwise(self) -> Option<u32> {
        match self {
            Rotation::Auto => None,
            Rotation::Degrees(d) => Some(d.get().rem_euclid(360) as u32),
        }
    }
}

impl fmt::Display for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rotation::Auto => f.write_str("auto"),
            Rotation::Degrees(d) => fmt::Display::fmt(&d, f),
        }
    }
}

impl ParamValue for Rotation {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        if s == "auto" { Ok(Rotation::Auto) } else { Int::parse(s).map(Rotation::Degrees) }
    }
}

/// `r-…`: rounded corners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Radius {
    /// `max`: a circle or ellipse.
    Max,
    /// The same radius in pixels for every corner.
    All(u32),
    /// `r-tl_tr_br_bl`: top-left, top-right, bottom-right, bottom-left.
    Corners([u32; 4]),
}

impl fmt::Display for Radius {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Radius::Max => f.write_str("max"),
            Radius::All(r) => fmt::Display::fmt(&r, f),
            Radius::Corners([a, b, c, d]) => write!(f, "{a}_{b}_{c}_{d}"),
        }
    }
}

impl ParamValue for Radius {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        if s == "max" {
            return Ok(Radius::Max);
        }
        let mut corners = [0u32; 4];
        let mut n = 0;
        let mut at = 0;
        for part in s.split('_') {
            if n == 4 {
                return Err(
                    ValueError::invalid("a radius has one value, `max`, or four corners").at(at)
                );
            }
            corners[n] = parse_u32(part).map_err(|e| e.at(at))?;
            n += 1;
            at += part.len() + 1;
        }
        match n {
            1 => Ok(Radius::All(corners[0])),
            4 => Ok(Radius::Corners(corners)),
            _ => Err(ValueError::invalid(
                "a radius has one value, `max`, or four corners (tl_tr_br_bl)",
            )),
        }
    }
}

fn parse_u32(s: &str) -> Result<u32, ValueError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError::invalid(format!("`{s}` is not a whole number")));
    }
    s.parse().map_err(|_| ValueError::out_of_range("0 to 4294967295"))
}

/// `t-…`: trim near-uniform borders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// `t-false`
    Off,
    /// `t-true`: the default threshold.
    On,
    /// `t-1` … `t-99`: how different from the border colour a pixel must be
    /// to be kept.
    Threshold(Int<1, 99>),
}

impl fmt::Display for Trim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trim::Off => f.write_str("false"),
            Trim::On => f.write_str("true"),
            Trim::Threshold(t) => fmt::Display::fmt(&t, f),
        }
    }
}

impl ParamValue for Trim {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        match s {
            "true" => Ok(Trim::On),
            "false" => Ok(Trim::Off),
            _ => Int::parse(s).map(Trim::Threshold),
        }
    }
}

/// How much a `bg-blurred` background is blurred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlurAmount {
    /// `auto`
    Auto,
    /// 0–100.
    Value(Int<0, 100>),
}

impl fmt::Display for BlurAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlurAmount::Auto => f.write_str("auto"),
            BlurAmount::Value(v) => fmt::Display::fmt(&v, f),
        }
    }
}

/// The options of `bg-blurred_<amount>_<brightness>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blurred {
    /// How much to blur.
    pub amount: BlurAmount,
    /// Brightness change, -255 to 255 (written `N50` for -50).
    pub brightness: Option<Int<-255, 255>>,
}

/// `bg-gradient_dominant_<n>`: how many dominant colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DominantColors {
    /// `_2`
    Two,
    /// `_4`
    Four,
}

/// `bg-…`: the background used for padding, rotation and flattening.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Background {
    /// A colour (default black).
    Color(Color),
    /// `blurred[_amount[_brightness]]`: the image itself, blurred.
    Blurred(Option<Blurred>),
    /// `dominant`: the image's dominant colour.
    Dominant,
    /// `gradient_dominant[_2|_4]`: a gradient of dominant colours.
    GradientDominant(Option<DominantColors>),
    /// `genfill[-prompt-…]`: AI generative fill (ImageKit only).
    GenFill(Option<Prompt>),
}

impl fmt::Display for Background {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Background::Color(c) => fmt::Display::fmt(&c, f),
            Background::Blurred(None) => f.write_str("blurred"),
            Background::Blurred(Some(Blurred { amount, brightness: None })) => {
                write!(f, "blurred_{amount}")
            }
            Background::Blurred(Some(Blurred { amount, brightness: Some(b) })) => {
                write!(f, "blurred_{amount}_{b}")
            }
            Background::Dominant => f.write_str("dominant"),
            Background::GradientDominant(None) => f.write_str("gradient_dominant"),
            Background::GradientDominant(Some(DominantColors::Two)) => {
                f.write_str("gradient_dominant_2")
            }
            Background::GradientDominant(Some(DominantColors::Four)) => {
                f.write_str("gradient_dominant_4")
            }
            Background::GenFill(None) => f.write_str("genfill"),
            Background::GenFill(Some(p)) => write!(f, "genfill-{p}"),
        }
    }
}

impl ParamValue for Background {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        if let Some(rest) = s.strip_prefix("blurred") {
            if rest.is_empty() {
                return Ok(Background::Blurred(None));
            }
            let Some(rest) = rest.strip_prefix('_') else {
                return Err(ValueError::invalid(
                    "write blurred options as blurred_<amount>_<brightness>",
                )
                .at(7));
            };
            let (amount, brightness) = match rest.split_once('_') {
                Some((a, b)) => (a, Some(b)),
                None => (rest, None),
            };
            let amount = if amount == "auto" {
                BlurAmount::Auto
            } else {
                BlurAmount::Value(Int::parse(amount).map_err(|e| e.at(8))?)
            };
            let brightness = brightness
                .map(|b| Int::parse(b).map_err(|e| e.at(s.len() - b.len())))
                .transpose()?;
            return Ok(Background::Blurred(Some(Blurred { amount, brightness })));
        }
        if s == "dominant" {
            return Ok(Background::Dominant);
        }
        if let Some(rest) = s.strip_prefix("gradient_dominant") {
            return match rest {
                "" => Ok(Background::GradientDominant(None)),
                "_2" => Ok(Background::GradientDominant(Some(DominantColors::Two))),
                "_4" => Ok(Background::GradientDominant(Some(DominantColors::Four))),
                _ => Err(ValueError::invalid("gradient_dominant takes _2 or _4").at(17)),
            };
        }
        if let Some(rest) = s.strip_prefix("genfill") {
            return match rest.strip_prefix('-') {
                None if rest.is_empty() => Ok(Background::GenFill(None)),
                Some(p) => Prompt::parse_value(p, ctx)
                    .map(|p| Background::GenFill(Some(p)))
                    .map_err(|e| e.at(8)),
                None => Err(ValueError::invalid("write a prompt as genfill-prompt-<text>").at(7)),
            };
        }
        Color::parse(s).map(Background::Color)
    }
}

/// `b-<width>_<colour>`: a border.
#[derive(Debug, Clone, PartialEq)]
pub struct Border {
    /// Width in pixels, or an expression (`ih_mul_0.05`).
    pub width: Scalar,
    /// Colour.
    pub color: Color,
}

impl fmt::Display for Border {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.width, self.color)
    }
}

impl ParamValue for Border {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        // Every example writes `b-5_FFF000`; the docs' prose also shows
        // `b-5-FFF000`, which is read too and printed with `_`.
        let Some((width, color)) = s.rsplit_once('_').or_else(|| s.split_once('-')) else {
            return Err(ValueError::invalid("a border is <width>_<colour>, e.g. 5_FFF000"));
        };
        let width = Scalar::parse_value(width, ctx)?;
        let color = Color::parse(color).map_err(|e| e.at(s.len() - color.len()))?;
        Ok(Border { width, color })
    }
}

/// A text value written into a transformation as is: a named
/// transformation, a font, a prompt, a text layer's (URL-encoded) text.
///
/// Non-empty, and free of the characters that would break the
/// transformation or its URL: `,` `:` `/` `?` `#` `&`, whitespace and
/// control characters (percent-encode them, e.g. `%20`; write `/` in paths
/// as `@@`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text(String);

impl Text {
    /// `s` if it is a valid text value.
    #[must_use]
    pub fn new(s: &str) -> Option<Text> {
        Text::check(s).is_ok().then(|| Text(s.to_owned()))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A value that never escapes the parser (it is always replaced).
    pub(crate) fn placeholder() -> Text {
        Text(String::new())
    }

    fn check(s: &str) -> Result<(), ValueError> {
        if s.is_empty() {
            return Err(ValueError::missing());
        }
        if let Some((at, c)) = s.char_indices().find(|&(_, c)| {
            matches!(c, ',' | ':' | '/' | '?' | '#' | '&') || c.is_whitespace() || c.is_control()
        }) {
            let hint =
                if c == '/' { " (write `/` in paths as `@@`)" } else { " (percent-encode it)" };
            return Err(
                ValueError::invalid(format!("character {c:?} is not allowed here{hint}")).at(at)
            );
        }
        Ok(())
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ParamValue for Text {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        Text::check(s).map(|()| Text(s.to_owned()))
    }
}

/// A path in the ImageKit media library, written with `@@` for `/`
/// (`i-logos@@brand.png`, `di-defaults@@missing.jpg`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssetPath(Text);

impl AssetPath {
    /// From a path such as `/logos/brand.png`: leading and trailing `/` are
    /// dropped and inner `/` become `@@`, as ImageKit's SDKs do.
    #[must_use]
    pub fn from_path(path: &str) -> Option<AssetPath> {
        Text::new(&path.trim_matches('/').replace('/', "@@")).map(AssetPath)
    }

    /// The path as written in a transformation, with `@@`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The path with `/` restored, without a leading `/`.
    #[must_use]
    pub fn to_path(&self) -> String {
        self.0.as_str().replace("@@", "/")
    }
}

impl fmt::Display for AssetPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl ParamValue for AssetPath {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        Text::parse_value(s, ctx).map(AssetPath)
    }
}

/// A prompt for an AI transformation: `prompt-<text>` or `prompte-<base64>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// Plain (URL-encoded) text.
    Text(Text),
    /// URL-encoded base64 text.
    Encoded(Text),
}

impl fmt::Display for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prompt::Text(t) => write!(f, "prompt-{t}"),
            Prompt::Encoded(t) => write!(f, "prompte-{t}"),
        }
    }
}

impl ParamValue for Prompt {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        if let Some(t) = s.strip_prefix("prompt-") {
            Text::parse_value(t, ctx).map(Prompt::Text).map_err(|e| e.at(7))
        } else if let Some(t) = s.strip_prefix("prompte-") {
            Text::parse_value(t, ctx).map(Prompt::Encoded).map_err(|e| e.at(8))
        } else {
            Err(ValueError::invalid("write a prompt as prompt-<text> or prompte-<base64>"))
        }
    }
}

/// `pg-…`: a page, frame or layer of a multi-page input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// `pg-2`
    Number(NonZeroU32),
    /// `pg-2-4`: from the first to the last page, inclusive.
    Range(PageRange),
    /// `pg-4-`: from this page on.
    From(NonZeroU32),
    /// `pg-1_3_5`: several pages (at least two).
    List(PageList),
    /// `pg-name-"Layer 1"`: PSD layers by name, as written after `name-`.
    Name(Text),
}

/// Pages `first` to `last` inclusive, with `first < last`, for [`Page::Range`].
///
/// ```
/// use std::num::NonZeroU32;
/// use pixmize_core::transform::PageRange;
/// let two = NonZeroU32::new(2).unwrap();
/// let four = NonZeroU32::new(4).unwrap();
/// assert_eq!(PageRange::new(two, four).map(|r| r.last()), Some(four));
/// assert!(PageRange::new(four, two).is_none(), "`pg-4-2` does not parse, so it cannot be built");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRange {
    first: NonZeroU32,
    last: NonZeroU32,
}

impl PageRange {
    /// `first..=last` if `first < last`.
    #[must_use]
    pub fn new(first: NonZeroU32, last: NonZeroU32) -> Option<PageRange> {
        (first < last).then_some(PageRange { first, last })
    }

    /// The first page.
    #[must_use]
    pub fn first(self) -> NonZeroU32 {
        self.first
    }

    /// The last page.
    #[must_use]
    pub fn last(self) -> NonZeroU32 {
        self.last
    }
}

/// At least two page numbers, for [`Page::List`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageList(Vec<NonZeroU32>);

impl PageList {
    /// `pages` if there are at least two.
    #[must_use]
    pub fn new(pages: Vec<NonZeroU32>) -> Option<PageList> {
        (pages.len() >= 2).then_some(PageList(pages))
    }

    /// The pages.
    #[must_use]
    pub fn pages(&self) -> &[NonZeroU32] {
        &self.0
    }
}

impl fmt::Display for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Page::Number(n) => fmt::Display::fmt(&n, f),
            Page::Range(r) => write!(f, "{}-{}", r.first, r.last),
            Page::From(a) => write!(f, "{a}-"),
            Page::List(l) => {
                let parts: Vec<String> = l.0.iter().map(ToString::to_string).collect();
                f.write_str(&parts.join("_"))
            }
            Page::Name(t) => write!(f, "name-{t}"),
        }
    }
}

impl ParamValue for Page {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        if let Some(name) = s.strip_prefix("name-") {
            return Text::parse_value(name, ctx).map(Page::Name).map_err(|e| e.at(5));
        }
        if let Some((a, b)) = s.split_once('-') {
            let first = parse_nonzero(a)?;
            if b.is_empty() {
                return Ok(Page::From(first));
            }
            let last = parse_nonzero(b).map_err(|e| e.at(a.len() + 1))?;
            return PageRange::new(first, last).map(Page::Range).ok_or_else(|| {
                ValueError::invalid("a page range goes from a lower to a higher page")
                    .at(a.len() + 1)
            });
        }
        if s.contains('_') {
            let mut pages = Vec::new();
            let mut at = 0;
            for part in s.split('_') {
                pages.push(parse_nonzero(part).map_err(|e| e.at(at))?);
                at += part.len() + 1;
            }
            return PageList::new(pages)
                .map(Page::List)
                .ok_or_else(|| ValueError::invalid("empty page list"));
        }
        parse_nonzero(s).map(Page::Number)
    }
}

/// `e-sharpen[-N]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sharpen {
    /// `e-sharpen`: ImageKit's default strength.
    Default,
    /// `e-sharpen-N`.
    Amount(Positive),
}

impl fmt::Display for Sharpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sharpen::Default => Ok(()),
            Sharpen::Amount(a) => fmt::Display::fmt(&a, f),
        }
    }
}

impl ParamValue for Sharpen {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        Positive::parse(s).map(Sharpen::Amount)
    }
    fn bare() -> Option<Self> {
        Some(Sharpen::Default)
    }
}

/// `e-usm[-radius-sigma-amount-threshold]`: unsharp mask.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnsharpMask {
    /// `e-usm`: ImageKit's defaults.
    Default,
    /// `e-usm-2-2-0.8-0.024`.
    Custom {
        /// Radius in pixels (0 lets the engine choose from sigma).
        radius: Number,
        /// Gaussian sigma.
        sigma: Positive,
        /// Strength (1 = 100 %).
        amount: Number,
        /// Minimum difference, as a fraction of the full range, to sharpen.
        threshold: Number,
    },
}

impl fmt::Display for UnsharpMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsharpMask::Default => Ok(()),
            UnsharpMask::Custom { radius, sigma, amount, threshold } => {
                write!(f, "{radius}-{sigma}-{amount}-{threshold}")
            }
        }
    }
}

impl ParamValue for UnsharpMask {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        let parts: Vec<&str> = s.split('-').collect();
        let [r, sg, a, t] = parts[..] else {
            return Err(ValueError::invalid(
                "e-usm takes four values: radius-sigma-amount-threshold",
            ));
        };
        let at = |i: usize| parts[..i].iter().map(|p| p.len() + 1).sum::<usize>();
        Ok(UnsharpMask::Custom {
            radius: Number::parse(r)?,
            sigma: Positive::parse(sg).map_err(|e| e.at(at(1)))?,
            amount: Number::parse(a).map_err(|e| e.at(at(2)))?,
            threshold: Number::parse(t).map_err(|e| e.at(at(3)))?,
        })
    }
    fn bare() -> Option<Self> {
        Some(UnsharpMask::Default)
    }
}

/// Splits `key-value_key-value` option lists (`e-shadow-bl-10_st-30`), where
/// a `_`-separated piece without `-` continues the previous value
/// (`ld-top_right`, `sp-bh_div_2`). Yields (key, value, offset of value).
fn options<'a>(s: &'a str, known: &[&str]) -> Result<Vec<(&'a str, &'a str, usize)>, ValueError> {
    let mut out: Vec<(&str, &str, usize)> = Vec::new();
    let mut at = 0;
    for piece in s.split('_') {
        match piece.split_once('-') {
            Some((key, _)) => {
                if !known.contains(&key) {
                    return Err(ValueError::invalid(format!(
                        "unknown option `{key}` (expected {})",
                        known.join(", ")
                    ))
                    .at(at));
                }
                if out.iter().any(|(k, _, _)| *k == key) {
                    return Err(ValueError::invalid(format!("option `{key}` is repeated")).at(at));
                }
                let vstart = at + key.len() + 1;
                out.push((key, &s[vstart..at + piece.len()], vstart));
            }
            None => match out.last_mut() {
                Some((_, value, vstart)) => *value = &s[*vstart..at + piece.len()],
                None => {
                    return Err(ValueError::invalid(format!(
                        "expected <option>-<value>, found `{piece}`"
                    ))
                    .at(at));
                }
            },
        }
        at += piece.len() + 1;
    }
    Ok(out)
}

fn write_options(f: &mut fmt::Formatter<'_>, opts: &[(&str, Option<String>)]) -> fmt::Result {
    let mut first = true;
    for (key, value) in opts {
        if let Some(v) = value {
            if !first {
                f.write_str("_")?;
            }
            first = false;
            write!(f, "{key}-{v}")?;
        }
    }
    Ok(())
}

/// `e-shadow[-bl-V_st-V_x-V_y-V]`: a shadow under the non-transparent pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Shadow {
    /// `bl`: blur, 0–15 (ImageKit's default 10).
    pub blur: Option<Int<0, 15>>,
    /// `st`: saturation, 0–100 (default 30).
    pub saturation: Option<Int<0, 100>>,
    /// `x`: horizontal offset as a percentage of the width, -100–100 (default 2).
    pub x: Option<Int<-100, 100>>,
    /// `y`: vertical offset as a percentage of the height (default 2).
    pub y: Option<Int<-100, 100>>,
}

impl fmt::Display for Shadow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |v: Option<String>| v;
        write_options(
            f,
            &[
                ("bl", s(self.blur.map(|v| v.to_string()))),
                ("st", s(self.saturation.map(|v| v.to_string()))),
                ("x", s(self.x.map(|v| v.to_string()))),
                ("y", s(self.y.map(|v| v.to_string()))),
            ],
        )
    }
}

impl ParamValue for Shadow {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        let mut out = Shadow::default();
        for (key, value, at) in options(s, &["bl", "st", "x", "y"])? {
            let e = |e: ValueError| e.at(at);
            match key {
                "bl" => out.blur = Some(Int::parse(value).map_err(e)?),
                "st" => out.saturation = Some(Int::parse(value).map_err(e)?),
                "x" => out.x = Some(Int::parse(value).map_err(e)?),
                _ => out.y = Some(Int::parse(value).map_err(e)?),
            }
        }
        Ok(out)
    }
    fn bare() -> Option<Self> {
        Some(Shadow::default())
    }
}

/// The direction of a gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradientDirection {
    /// 0–359 degrees.
    Degrees(Int<0, 359>),
    /// Towards a side or corner.
    Side(GradientSide),
}

impl fmt::Display for GradientDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GradientDirection::Degrees(d) => fmt::Display::fmt(&d, f),
            GradientDirection::Side(s) => fmt::Display::fmt(&s, f),
        }
    }
}

/// `e-gradient[-ld-V_from-C_to-C_sp-V]`: a linear gradient overlay.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Gradient {
    /// `ld`: direction (default `bottom`).
    pub direction: Option<GradientDirection>,
    /// `from`: start colour (default `FFFFFF`).
    pub from: Option<Color>,
    /// `to`: end colour (default `00000000`, transparent).
    pub to: Option<Color>,
    /// `sp`: where the gradient stops: ≤ 1 is a fraction, > 1 pixels (default 1).
    pub stop: Option<Scalar>,
}

impl fmt::Display for Gradient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_options(
            f,
            &[
                ("ld", self.direction.map(|v| v.to_string())),
                ("from", self.from.map(|v| v.to_string())),
                ("to", self.to.map(|v| v.to_string())),
                ("sp", self.stop.as_ref().map(ToString::to_string)),
            ],
        )
    }
}

impl ParamValue for Gradient {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        let mut out = Gradient::default();
        for (key, value, at) in options(s, &["ld", "from", "to", "sp"])? {
            let e = |e: ValueError| e.at(at);
            match key {
                "ld" => {
                    out.direction = Some(if Number::looks_numeric(value) {
                        GradientDirection::Degrees(Int::parse(value).map_err(e)?)
                    } else {
                        GradientDirection::Side(GradientSide::parse(value).map_err(e)?)
                    });
                }
                "from" => out.from = Some(Color::parse(value).map_err(e)?),
                "to" => out.to = Some(Color::parse(value).map_err(e)?),
                _ => out.stop = Some(Scalar::parse_value(value, ctx).map_err(e)?),
            }
        }
        Ok(out)
    }
    fn bare() -> Option<Self> {
        Some(Gradient::default())
    }
}

/// `e-dropshadow[-az-V_el-V_st-V]`: ImageKit's AI drop shadow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DropShadow {
    /// `az`: light direction, 0–360 degrees.
    pub azimuth: Option<Int<0, 360>>,
    /// `el`: light elevation, 0–90 degrees.
    pub elevation: Option<Int<0, 90>>,
    /// `st`: shadow saturation, 0–100.
    pub saturation: Option<Int<0, 100>>,
}

impl fmt::Display for DropShadow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_options(
            f,
            &[
                ("az", self.azimuth.map(|v| v.to_string())),
                ("el", self.elevation.map(|v| v.to_string())),
                ("st", self.saturation.map(|v| v.to_string())),
            ],
        )
    }
}

impl ParamValue for DropShadow {
    fn parse_value(s: &str, _: Ctx) -> Result<Self, ValueError> {
        let mut out = DropShadow::default();
        for (key, value, at) in options(s, &["az", "el", "st"])? {
            let e = |e: ValueError| e.at(at);
            match key {
                "az" => out.azimuth = Some(Int::parse(value).map_err(e)?),
                "el" => out.elevation = Some(Int::parse(value).map_err(e)?),
                _ => out.saturation = Some(Int::parse(value).map_err(e)?),
            }
        }
        Ok(out)
    }
    fn bare() -> Option<Self> {
        Some(DropShadow::default())
    }
}

/// A parameter the engine does not interpret (`e-colorize`, `e-distort`,
/// `cr`): a bare flag or its value as written. Only ImageKit runs these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw {
    /// The key alone.
    Flag,
    /// The key with a value.
    Value(Text),
}

impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raw::Flag => Ok(()),
            Raw::Value(t) => fmt::Display::fmt(&t, f),
        }
    }
}

impl ParamValue for Raw {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        Text::parse_value(s, ctx).map(Raw::Value)
    }
    fn bare() -> Option<Self> {
        Some(Raw::Flag)
    }
}

/// Padding of a text layer (`pa-10`, `pa-10_20`, up to four values as in CSS).
#[derive(Debug, Clone, PartialEq)]
pub struct Padding(Vec<Scalar>);

impl Padding {
    /// One to four values (CSS order: top, right, bottom, left).
    #[must_use]
    pub fn new(values: Vec<Scalar>) -> Option<Padding> {
        (1..=4).contains(&values.len()).then_some(Padding(values))
    }

    /// The values.
    #[must_use]
    pub fn values(&self) -> &[Scalar] {
        &self.0
    }
}

impl fmt::Display for Padding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("_")?;
            }
            fmt::Display::fmt(&v, f)?;
        }
        Ok(())
    }
}

impl ParamValue for Padding {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        // Values are separated by `_`, which expressions use too: a value
        // continues while an operator follows.
        let pieces: Vec<&str> = s.split('_').collect();
        let mut values = Vec::new();
        let (mut i, mut at) = (0, 0);
        while i < pieces.len() {
            let mut j = i + 1;
            while j + 1 < pieces.len() && super::expr::Op::from_name(pieces[j]).is_some() {
                j += 2;
            }
            let len: usize = pieces[i..j].iter().map(|p| p.len() + 1).sum::<usize>() - 1;
            values.push(Scalar::parse_value(&s[at..at + len], ctx).map_err(|e| e.at(at))?);
            at += len + 1;
            i = j;
        }
        Padding::new(values).ok_or_else(|| ValueError::invalid("padding takes one to four values"))
    }
}

/// `lx-…`/`ly-…`: a layer's position; `N` measures from the right or bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerOffset {
    /// Whether the value was written with `N` (from the opposite edge).
    pub from_end: bool,
    /// The offset.
    pub value: Scalar,
}

impl fmt::Display for LayerOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from_end {
            f.write_str("N")?;
        }
        fmt::Display::fmt(&self.value, f)
    }
}

impl ParamValue for LayerOffset {
    fn parse_value(s: &str, ctx: Ctx) -> Result<Self, ValueError> {
        match s.strip_prefix('N') {
            Some(rest) => Ok(LayerOffset {
                from_end: true,
                value: Scalar::parse_value(rest, ctx).map_err(|e| e.at(1))?,
            }),
            None => Ok(LayerOffset { from_end: false, value: Scalar::parse_value(s, ctx)? }),
        }
    }
}
