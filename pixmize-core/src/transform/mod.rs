//! ImageKit's transformation language as typed values.
//!
//! A [`Transformation`] is a chain of [`Step`]s joined by `:`, run left to
//! right. A step is either [`Params`] (parameters joined by `,`, plus
//! [`Layer`]s) or a [`Conditional`] block, which must stand alone in its
//! step. Parsing is strict and [`Display`](std::fmt::Display) prints one
//! canonical form: parameters in a fixed order, numbers in their shortest
//! form, hex colours in upper case. For every value the types admit,
//! `t.to_string().parse() == Ok(t)`, and printing is idempotent. The types
//! admit only what the parser accepts: where a field alone cannot say so,
//! a checked constructor does. Layers nest at most [`Layer::MAX_DEPTH`]
//! (three) deep, ImageKit's limit: a layer's transformation is private and
//! set by [`Layer::with_transformation`], which refuses a deeper one, as
//! the parser does with [`ParseErrorKind::LayerTooDeep`]. A conditional's
//! branches hold no conditional ([`Conditional::new`]).
//!
//! ```
//! use pixmize_core::transform::{Crop, Params, Size, Transformation};
//! let t: Transformation = "h-200,w-300,c-at_max:rt-90".parse()?;
//! assert_eq!(t.to_string(), "w-300,h-200,c-at_max:rt-90");
//!
//! let built: Transformation = [Params::new()
//!     .width(Size::px(300).unwrap())
//!     .height(Size::px(200).unwrap())
//!     .crop(Crop::AtMax)]
//! .into_iter()
//! .collect();
//! assert_eq!(built.to_string(), "w-300,h-200,c-at_max");
//! # Ok::<(), pixmize_core::ParseError>(())
//! ```
//!
//! The empty string is the empty transformation (no steps), and prints as
//! the empty string.

mod color;
mod condition;
mod expr;
mod layer;
mod number;
pub(crate) mod parse;
mod value;

use std::fmt;
use std::str::FromStr;

pub use color::{Color, NamedColor};
pub use condition::{CmpOp, Comparison, CondValue, Condition, Conditional, Property};
pub use expr::{EvalError, Expr, ExprNode, Op, Operand, Var, Vars};
pub use layer::{Layer, LayerInput, LayerKind};
pub use number::{Fraction, Int, Number, Positive};
pub use parse::{InvalidValue, ParseError, ParseErrorKind};
pub use value::{
    Anchor, AspectRatio, AssetPath, Background, BlendMode, Blur, BlurAmount, Blurred, Border, Crop,
    CropMode, Density, DominantColors, Dpr, DprValue, DropShadow, Flip, Focus, Format, Gradient,
    GradientDirection, GradientSide, LayerOffset, ObjectName, Opacity, Padding, Page, PageList,
    PageRange, Prompt, Quality, Radius, Raw, Rotation, Scalar, Shadow, Sharpen, Size, Text,
    TextAlign, Trim, Typography, UnsharpMask,
};

use parse::{Ctx, ValueError};

/// A parameter slot of [`Params`] or [`Layer`]: filled by the parser, written
/// by `Display`.
pub(crate) trait Slot {
    fn is_set(&self) -> bool;
    fn fill(&mut self, value: Option<&str>, ctx: Ctx) -> Result<(), ValueError>;
    fn write(&self, key: &str, w: &mut ItemWriter<'_, '_>) -> fmt::Result;
}

/// Writes `,`-separated `key[-value]` items.
pub(crate) struct ItemWriter<'a, 'b> {
    f: &'a mut fmt::Formatter<'b>,
    first: bool,
}

impl<'a, 'b> ItemWriter<'a, 'b> {
    pub(crate) fn new(f: &'a mut fmt::Formatter<'b>) -> Self {
        ItemWriter { f, first: true }
    }

    pub(crate) fn item(&mut self, key: &str, value: &str) -> fmt::Result {
        self.sep()?;
        self.f.write_str(key)?;
        if !value.is_empty() {
            self.f.write_str("-")?;
            self.f.write_str(value)?;
        }
        Ok(())
    }

    pub(crate) fn display(&mut self, item: &dyn fmt::Display) -> fmt::Result {
        self.sep()?;
        write!(self.f, "{item}")
    }

    fn sep(&mut self) -> fmt::Result {
        if !self.first {
            self.f.write_str(",")?;
        }
        self.first = false;
        Ok(())
    }
}

/// Declares a struct of parameter slots: its fields, the key of each, the
/// parser's slot lookup, the canonical printing order and builder methods.
macro_rules! slots {
    (
        $(#[$smeta:meta])*
        pub struct $name:ident {
            $( $(#[$doc:meta])* $key:literal => $field:ident : $ty:ty ),* $(,)?
        }
        extra { $( $(#[$edoc:meta])* $evis:vis $efield:ident : $ety:ty ),* $(,)? }
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$doc])* #[doc = concat!("\n\nWritten `", $key, "`.")] pub $field: $ty, )*
            $( $(#[$edoc])* $evis $efield: $ety, )*
        }

        impl $name {
            /// The keys of this struct's parameters, in canonical order.
            pub const KEYS: &'static [&'static str] = &[$($key),*];

            pub(crate) fn slot(&mut self, key: &str) -> Option<&mut dyn Slot> {
                match key {
                    $($key => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            /// The keys of the parameters that are set, in canonical order.
            #[must_use]
            pub fn keys(&self) -> Vec<&'static str> {
                let mut keys = Vec::new();
                $( if Slot::is_set(&self.$field) { keys.push($key); } )*
                keys
            }

            fn write_slots(&self, w: &mut ItemWriter<'_, '_>) -> fmt::Result {
                $( Slot::write(&self.$field, $key, w)?; )*
                Ok(())
            }

            #[allow(dead_code)]
            fn no_slot_set(&self) -> bool {
                $( !Slot::is_set(&self.$field) && )* true
            }
        }
    };
}
pub(crate) use slots;

slots! {
    /// The parameters of one step, as typed fields: `w-300,h-200,c-at_max`.
    ///
    /// Every field is optional; [`Params::new`] has none set. Fields are
    /// public (set them directly, or chain the builder methods).
    #[derive(Default)]
    pub struct Params {
        /// Output width.
        "w" => width: Option<Size>,
        /// Output height.
        "h" => height: Option<Size>,
        /// Aspect ratio, used with only one of width and height.
        "ar" => aspect_ratio: Option<AspectRatio>,
        /// Crop strategy.
        "c" => crop: Option<Crop>,
        /// Crop mode (padding, extraction); takes precedence over `c`.
        "cm" => crop_mode: Option<CropMode>,
        /// Focus of a crop, side of padding.
        "fo" => focus: Option<Focus>,
        /// Zoom around a face or object focus (1 = none).
        "z" => zoom: Option<Positive>,
        /// Left edge of an extracted region.
        "x" => x: Option<Scalar>,
        /// Top edge of an extracted region.
        "y" => y: Option<Scalar>,
        /// Horizontal centre of an extracted region.
        "xc" => x_center: Option<Scalar>,
        /// Vertical centre of an extracted region.
        "yc" => y_center: Option<Scalar>,
        /// Device pixel ratio.
        "dpr" => dpr: Option<Dpr>,
        /// Lossy quality.
        "q" => quality: Option<Quality>,
        /// Output format.
        "f" => format: Option<Format>,
        /// Lossless WebP or PNG.
        "lo" => lossless: Option<bool>,
        /// Progressive JPEG.
        "pr" => progressive: Option<bool>,
        /// Keep metadata (EXIF, XMP, comments); stripped by default.
        "md" => metadata: Option<bool>,
        /// Keep the colour profile.
        "cp" => color_profile: Option<bool>,
        /// Output density in DPI.
        "dn" => density: Option<Density>,
        /// Deliver the original file; every other parameter is ignored.
        "orig" => original: Option<bool>,
        /// Image to deliver when the source is missing (ImageKit only).
        "di" => default_image: Option<AssetPath>,
        /// A named transformation configured in ImageKit (ImageKit only).
        "n" => named: Option<Text>,
        /// Page, frame or layer of a multi-page input.
        "pg" => page: Option<Page>,
        /// Content credentials, C2PA (ImageKit only).
        "c2pa" => content_credentials: Option<bool>,
        /// Rounded corners.
        "r" => radius: Option<Radius>,
        /// Background for padding, rotation and flattening.
        "bg" => background: Option<Background>,
        /// Border.
        "b" => border: Option<Border>,
        /// Rotation.
        "rt" => rotation: Option<Rotation>,
        /// Flip.
        "fl" => flip: Option<Flip>,
        /// Gaussian blur.
        "bl" => blur: Option<Blur>,
        /// Trim uniform borders.
        "t" => trim: Option<Trim>,
        /// Opacity.
        "o" => opacity: Option<Opacity>,
        /// Colour replacement, as written (ImageKit only).
        "cr" => color_replace: Option<Text>,
        /// Grayscale.
        "e-grayscale" => grayscale: bool,
        /// Contrast stretch.
        "e-contrast" => contrast: bool,
        /// Sharpen.
        "e-sharpen" => sharpen: Option<Sharpen>,
        /// Unsharp mask.
        "e-usm" => unsharp_mask: Option<UnsharpMask>,
        /// Shadow under the non-transparent pixels.
        "e-shadow" => shadow: Option<Shadow>,
        /// Linear gradient overlay.
        "e-gradient" => gradient: Option<Gradient>,
        /// Colourise, as written (ImageKit only).
        "e-colorize" => colorize: Option<Raw>,
        /// Perspective or arc distortion, as written (ImageKit only).
        "e-distort" => distort: Option<Text>,
        /// AI background removal, ImageKit's own.
        "e-bgremove" => bg_remove: bool,
        /// AI background removal by remove.bg.
        "e-removedotbg" => remove_dot_bg: bool,
        /// AI upscaling.
        "e-upscale" => upscale: bool,
        /// AI retouching.
        "e-retouch" => retouch: bool,
        /// AI variation of the image.
        "e-genvar" => gen_variation: bool,
        /// AI drop shadow.
        "e-dropshadow" => drop_shadow: Option<DropShadow>,
        /// AI background change from a prompt.
        "e-changebg" => change_bg: Option<Prompt>,
        /// AI edit from a prompt.
        "e-edit" => edit: Option<Prompt>,
    }
    extra {
        /// Overlays, in the order they are drawn (`l-image,…,l-end`).
        pub layers: Vec<Layer>,
    }
}

macro_rules! builder {
    ($( $field:ident : $ty:ty ),* $(,)?) => {
        impl Params {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                #[must_use]
                pub fn $field(mut self, value: $ty) -> Self {
                    self.$field = Some(value);
                    self
                }
            )*
        }
    };
}

builder! {
    width: Size, height: Size, aspect_ratio: AspectRatio, crop: Crop, crop_mode: CropMode,
    focus: Focus, zoom: Positive, x: Scalar, y: Scalar, x_center: Scalar, y_center: Scalar,
    dpr: Dpr, quality: Quality, format: Format, lossless: bool, progressive: bool, metadata: bool,
    color_profile: bool, density: Density, original: bool, default_image: AssetPath, named: Text,
    page: Page, radius: Radius, background: Background, border: Border, rotation: Rotation,
    flip: Flip, blur: Blur, trim: Trim, opacity: Opacity, sharpen: Sharpen,
    unsharp_mask: UnsharpMask, shadow: Shadow, gradient: Gradient, drop_shadow: DropShadow,
    change_bg: Prompt, edit: Prompt,
}

impl Params {
    /// No parameters set.
    #[must_use]
    pub fn new() -> Params {
        Params::default()
    }

    /// Sets grayscale.
    #[must_use]
    pub fn grayscale(mut self) -> Self {
        self.grayscale = true;
        self
    }

    /// Adds a layer.
    #[must_use]
    pub fn layer(mut self, layer: Layer) -> Self {
        self.layers.push(layer);
        self
    }

    /// Whether nothing is set (no parameter and no layer).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.no_slot_set() && self.layers.is_empty()
    }

    /// The parameters of this step (not of its layers) that only ImageKit can
    /// run: `(key, reason)`.
    pub fn cloud_only(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        let ai = "AI transformation";
        for (set, key, reason) in [
            (self.bg_remove, "e-bgremove", ai),
            (self.remove_dot_bg, "e-removedotbg", ai),
            (self.upscale, "e-upscale", ai),
            (self.retouch, "e-retouch", ai),
            (self.gen_variation, "e-genvar", ai),
            (self.drop_shadow.is_some(), "e-dropshadow", ai),
            (self.change_bg.is_some(), "e-changebg", ai),
            (self.edit.is_some(), "e-edit", ai),
            (
                matches!(self.background, Some(Background::GenFill(_))),
                "bg",
                "generative fill is an AI transformation",
            ),
            (
                self.focus.as_ref().is_some_and(Focus::is_cloud_only),
                "fo",
                "face, object and smart focus need ImageKit's detection or stored coordinates",
            ),
            (self.named.is_some(), "n", "named transformations are configured in ImageKit"),
            (
                self.default_image.is_some(),
                "di",
                "the default image lives in the ImageKit media library",
            ),
            (
                self.content_credentials.is_some(),
                "c2pa",
                "content credentials are added by ImageKit",
            ),
            (self.density.is_some(), "dn", "output density (DPI metadata) is written by ImageKit"),
            (self.color_replace.is_some(), "cr", "colour replacement is not implemented locally"),
            (self.colorize.is_some(), "e-colorize", "colourise is not implemented locally"),
            (self.distort.is_some(), "e-distort", "distortion is not implemented locally"),
            (self.page.is_some(), "pg", "multi-page inputs (PDF, PSD) are rendered by ImageKit"),
            (
                matches!(self.width, Some(Size::Auto)),
                "w",
                "w-auto reads the client's Sec-CH-Width hint at the CDN",
            ),
            (
                matches!(self.height, Some(Size::Auto)),
                "h",
                "h-auto reads the client's hint at the CDN",
            ),
            (
                matches!(self.dpr, Some(Dpr::Auto)),
                "dpr",
                "dpr-auto reads the client's Sec-CH-DPR hint at the CDN",
            ),
            (!self.layers.is_empty(), "l", "layers draw assets and text rendered by ImageKit"),
        ] {
            if set {
                out.push((key, reason));
            }
        }
        out
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = ItemWriter::new(f);
        self.write_slots(&mut w)?;
        for layer in &self.layers {
            w.display(layer)?;
        }
        Ok(())
    }
}

/// One link of a chain: parameters, or a conditional block.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // parameters are the common case; boxing them costs every step
pub enum Step {
    /// Parameters and layers, applied together.
    Params(Params),
    /// `if-…,…[,if-else,…],if-end`.
    If(Conditional),
}

impl Step {
    /// The parameters, if this is not a conditional.
    #[must_use]
    pub fn params(&self) -> Option<&Params> {
        match self {
            Step::Params(p) => Some(p),
            Step::If(_) => None,
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Step::Params(p) if p.is_empty())
    }
}

impl From<Params> for Step {
    fn from(p: Params) -> Step {
        Step::Params(p)
    }
}

impl From<Conditional> for Step {
    fn from(c: Conditional) -> Step {
        Step::If(c)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Params(p) => fmt::Display::fmt(&p, f),
            Step::If(c) => fmt::Display::fmt(&c, f),
        }
    }
}

/// A parameter that only ImageKit can run, found by [`Transformation::cloud_only`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudOnly {
    /// Index of the top-level step.
    pub step: usize,
    /// The parameter's key, e.g. `e-bgremove`.
    pub key: &'static str,
    /// Why only ImageKit can run it.
    pub reason: &'static str,
}

/// A chain of steps: `w-300,h-200,c-at_max:rt-90`.
///
/// Parse with [`str::parse`], print with `Display`, build with
/// `FromIterator` or [`Transformation::then`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transformation {
    steps: Vec<Step>,
}

impl Transformation {
    /// No steps: leaves the image as it is (printed as `""`).
    #[must_use]
    pub fn new() -> Transformation {
        Transformation::default()
    }

    /// Appends a step. An empty [`Params`] step is skipped, since it has no
    /// textual form.
    #[must_use]
    pub fn then(mut self, step: impl Into<Step>) -> Transformation {
        self.push(step);
        self
    }

    /// Appends a step; an empty [`Params`] step is skipped.
    pub fn push(&mut self, step: impl Into<Step>) {
        let step = step.into();
        if !step.is_empty() {
            self.steps.push(step);
        }
    }

    /// The steps, in order.
    #[must_use]
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Consumes the transformation into its steps.
    #[must_use]
    pub fn into_steps(self) -> Vec<Step> {
        self.steps
    }

    /// Whether there are no steps.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// How deep layers nest in this chain, its conditional branches and its
    /// layers' own chains: 0 without layers, 1 with layers that hold none,
    /// and never more than [`Layer::MAX_DEPTH`].
    ///
    /// ```
    /// let t: pixmize_core::Transformation =
    ///     "w-300,l-image,i-a.png,l-image,i-b.png,l-end,l-end:l-text,i-Hi,l-end".parse()?;
    /// assert_eq!(t.layer_depth(), 2);
    /// # Ok::<(), pixmize_core::ParseError>(())
    /// ```
    #[must_use]
    pub fn layer_depth(&self) -> usize {
        // Bounded recursion: every `Layer` holds at most MAX_DEPTH levels.
        let step_depth = |step: &Step| match step {
            Step::Params(p) => p.layers.iter().map(Layer::depth).max().unwrap_or(0),
            Step::If(c) => c.then().layer_depth().max(c.otherwise().map_or(0, Self::layer_depth)),
        };
        self.steps.iter().map(step_depth).max().unwrap_or(0)
    }

    pub(crate) fn from_steps_unchecked(steps: Vec<Step>) -> Transformation {
        Transformation { steps }
    }

    /// Every parameter that only ImageKit can run (AI effects, ML focus,
    /// layers, client hints, named transformations…), in every step,
    /// conditional branch and layer. Empty when the whole transformation can
    /// run on the device as far as the language is concerned (the local
    /// engine may still lack a feature; ask `Processor::supports`).
    ///
    /// ```
    /// let t: pixmize_core::Transformation = "w-300:e-bgremove,fo-face".parse()?;
    /// let keys: Vec<_> = t.cloud_only().iter().map(|c| (c.step, c.key)).collect();
    /// assert_eq!(keys, [(1, "fo"), (1, "e-bgremove")]);
    /// # Ok::<(), pixmize_core::ParseError>(())
    /// ```
    #[must_use]
    pub fn cloud_only(&self) -> Vec<CloudOnly> {
        let mut out = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            step_cloud_only(step, i, &mut out);
        }
        out.sort_by_key(|c| {
            (c.step, Params::KEYS.iter().position(|k| *k == c.key).unwrap_or(usize::MAX))
        });
        out.dedup();
        out
    }

    /// Whether some parameter can only run in ImageKit.
    #[must_use]
    pub fn needs_cloud(&self) -> bool {
        !self.cloud_only().is_empty()
    }
}

fn step_cloud_only(step: &Step, index: usize, out: &mut Vec<CloudOnly>) {
    match step {
        Step::Params(p) => {
            for (key, reason) in p.cloud_only() {
                out.push(CloudOnly { step: index, key, reason });
            }
        }
        Step::If(c) => {
            for t in std::iter::once(c.then()).chain(c.otherwise()) {
                for s in t.steps() {
                    step_cloud_only(s, index, out);
                }
            }
        }
    }
}

impl<S: Into<Step>> FromIterator<S> for Transformation {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut t = Transformation::new();
        for s in iter {
            t.push(s);
        }
        t
    }
}

impl fmt::Display for Transformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            fmt::Display::fmt(&step, f)?;
        }
        Ok(())
    }
}

impl FromStr for Transformation {
    type Err = ParseError;

    /// Parses strictly: unknown keys, malformed or out-of-range values,
    /// repeated keys and unterminated blocks are errors naming the byte
    /// offset, step and key.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse::parse(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Transformation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Transformation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
