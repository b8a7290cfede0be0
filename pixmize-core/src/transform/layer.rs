//! Layers (overlays): `l-image,i-logo.png,lx-10,w-100,l-end` and
//! `l-text,i-Hello,fs-20,co-FFFFFF,l-end`, nested up to three deep.
//!
//! The nesting limit is part of the type: a layer's transformation is set
//! only through [`Layer::with_transformation`], which refuses one that would
//! nest layers deeper than [`Layer::MAX_DEPTH`], so every [`Layer`] prints
//! as a string the parser accepts.

use std::fmt;

use super::color::Color;
use super::number::Number;
use super::value::{Anchor, BlendMode, LayerOffset, Padding, Scalar, Text, TextAlign, Typography};
use super::{ItemWriter, Slot, Step, Transformation, slots};

/// The kind of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LayerKind {
    /// `l-image`: an image from the media library, or `i-ik_canvas` for a
    /// solid colour.
    Image,
    /// `l-text`: rendered text.
    Text,
}

impl LayerKind {
    /// `image` or `text`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::Image => "image",
            LayerKind::Text => "text",
        }
    }
}

/// A layer's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerInput {
    /// `i-…`: a path with `@@` for `/` (image layers) or URL-encoded text
    /// (text layers).
    Plain(Text),
    /// `ie-…`: URL-encoded base64.
    Encoded(Text),
}

impl LayerInput {
    pub(crate) fn key(&self) -> &'static str {
        match self {
            LayerInput::Plain(_) => "i",
            LayerInput::Encoded(_) => "ie",
        }
    }

    /// The input as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            LayerInput::Plain(t) | LayerInput::Encoded(t) => t.as_str(),
        }
    }
}

slots! {
    /// An overlay drawn over the step's image. Its position and style come
    /// first; its own `transformation` is applied to the overlay before it
    /// is drawn.
    ///
    /// ```
    /// use pixmize_core::Transformation;
    /// let t: Transformation = "w-300,l-image,i-logo.png,lx-10,ly-N20,w-50,l-end".parse()?;
    /// let layer = &t.steps()[0].params().unwrap().layers[0];
    /// assert_eq!(layer.input.as_str(), "logo.png");
    /// assert_eq!(layer.transformation().to_string(), "w-50");
    /// # Ok::<(), pixmize_core::ParseError>(())
    /// ```
    pub struct Layer {
        /// Left edge in the parent; `N` measures from the right.
        "lx" => x: Option<LayerOffset>,
        /// Top edge in the parent; `N` measures from the bottom.
        "ly" => y: Option<LayerOffset>,
        /// Horizontal centre in the parent.
        "lxc" => x_center: Option<Scalar>,
        /// Vertical centre in the parent.
        "lyc" => y_center: Option<Scalar>,
        /// Relative position (ignored when `lx` or `ly` is set).
        "lfo" => focus: Option<Anchor>,
        /// Which point of the layer the position refers to.
        "lap" => anchor_point: Option<Anchor>,
        /// Blend mode.
        "lm" => blend: Option<BlendMode>,
        /// Start offset in seconds (video bases).
        "lso" => start_offset: Option<Number>,
        /// End offset in seconds (video bases).
        "leo" => end_offset: Option<Number>,
        /// Duration in seconds (video bases).
        "ldu" => duration: Option<Number>,
        /// Font size (text layers).
        "fs" => font_size: Option<Scalar>,
        /// Font family or uploaded font path (text layers).
        "ff" => font_family: Option<Text>,
        /// Text colour (text layers).
        "co" => color: Option<Color>,
        /// Alignment inside the text box (text layers).
        "ia" => align: Option<TextAlign>,
        /// Padding around the text (text layers).
        "pa" => padding: Option<Padding>,
        /// Alpha (text and solid-colour layers).
        "al" => alpha: Option<Number>,
        /// Bold and italic (text layers).
        "tg" => typography: Option<Typography>,
        /// Line height (text layers).
        "lh" => line_height: Option<Scalar>,
    }
    extra {
        /// Image or text.
        pub kind: LayerKind,
        /// What to draw.
        pub input: LayerInput,
        /// Transformations of the overlay itself (its own chain); private
        /// so that the nesting limit holds (see [`Layer::with_transformation`]).
        transformation: Transformation,
    }
}

impl Layer {
    /// How deep layers nest, at most: a layer counts 1, a layer inside its
    /// transformation 2, and one inside that 3 (ImageKit's "layers nest up
    /// to 3 levels"). The parser rejects a fourth level with
    /// [`ParseErrorKind::LayerTooDeep`](super::ParseErrorKind::LayerTooDeep),
    /// and [`Layer::with_transformation`] refuses to build one.
    pub const MAX_DEPTH: usize = 3;

    /// A layer with no position, style or transformation.
    #[must_use]
    pub fn new(kind: LayerKind, input: LayerInput) -> Layer {
        let mut l = Layer::placeholder(kind);
        l.input = input;
        l
    }

    pub(crate) fn placeholder(kind: LayerKind) -> Layer {
        Layer {
            x: None,
            y: None,
            x_center: None,
            y_center: None,
            focus: None,
            anchor_point: None,
            blend: None,
            start_offset: None,
            end_offset: None,
            duration: None,
            font_size: None,
            font_family: None,
            color: None,
            align: None,
            padding: None,
            alpha: None,
            typography: None,
            line_height: None,
            kind,
            input: LayerInput::Plain(Text::placeholder()),
            transformation: Transformation::new(),
        }
    }

    pub(crate) fn is_field(key: &str) -> bool {
        Layer::KEYS.contains(&key)
    }

    /// The transformations applied to the overlay itself before it is
    /// drawn (its own chain; empty when there are none).
    #[must_use]
    pub fn transformation(&self) -> &Transformation {
        &self.transformation
    }

    /// Sets the transformations applied to the overlay itself.
    ///
    /// `None` when `transformation` holds layers nested
    /// [`Layer::MAX_DEPTH`] deep already (its
    /// [`layer_depth`](Transformation::layer_depth) is 3 or more): this
    /// layer would make a fourth level, which ImageKit and the parser
    /// reject. So no `Layer` value nests too deep, and every one prints as
    /// a string that parses back to it.
    ///
    /// ```
    /// use pixmize_core::transform::{Layer, LayerInput, LayerKind, Params, Text};
    /// let input = |s| LayerInput::Plain(Text::new(s).unwrap());
    /// let mut layer = Layer::new(LayerKind::Image, input("d.png"));
    /// for name in ["c.png", "b.png"] {
    ///     let t = [Params::new().layer(layer)].into_iter().collect();
    ///     layer = Layer::new(LayerKind::Image, input(name)).with_transformation(t).unwrap();
    /// }
    /// assert_eq!(layer.depth(), 3);
    /// let t = [Params::new().layer(layer)].into_iter().collect();
    /// assert!(Layer::new(LayerKind::Image, input("a.png")).with_transformation(t).is_none());
    /// ```
    #[must_use]
    pub fn with_transformation(mut self, transformation: Transformation) -> Option<Layer> {
        (transformation.layer_depth() < Layer::MAX_DEPTH).then(|| {
            self.transformation = transformation;
            self
        })
    }

    /// How deep layers nest in this one, counting itself: 1 for a layer
    /// whose transformation holds no layer, at most [`Layer::MAX_DEPTH`].
    #[must_use]
    pub fn depth(&self) -> usize {
        1 + self.transformation.layer_depth()
    }

    /// Sets the transformation of a layer the parser built, which checked
    /// the depth as it went.
    pub(crate) fn set_parsed_transformation(&mut self, transformation: Transformation) {
        debug_assert!(transformation.layer_depth() < Layer::MAX_DEPTH);
        self.transformation = transformation;
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = ItemWriter::new(f);
        w.item("l", self.kind.as_str())?;
        w.item(self.input.key(), self.input.as_str())?;
        self.write_slots(&mut w)?;
        let mut steps = self.transformation.steps().iter();
        match self.transformation.steps().first() {
            // The first step's parameters share the layer's first step.
            Some(Step::Params(p)) => {
                steps.next();
                if !p.is_empty() {
                    w.display(p)?;
                }
            }
            Some(Step::If(_)) | None => {}
        }
        for step in steps {
            write!(f, ":{step}")?;
        }
        // `w` borrowed `f`; write the end marker directly.
        f.write_str(",l-end")
    }
}
