//! The strict parser: `key-value` parameters joined by `,`, steps by `:`,
//! layers `l-…,l-end` and conditionals `if-…,if-else,…,if-end`.

use std::fmt;

use super::condition::{Condition, Conditional};
use super::layer::{Layer, LayerInput, LayerKind};
use super::value::{ParamValue, Text};
use super::{Params, Slot, Step, Transformation};

/// Where a value is parsed: layers allow `bw`, `bh` and `bar`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ctx {
    pub(crate) in_layer: bool,
}

/// A value's parse error, relative to the start of the value.
#[derive(Debug)]
pub(crate) struct ValueError {
    pub(crate) kind: ValueErrorKind,
    pub(crate) offset: usize,
}

#[derive(Debug)]
pub(crate) enum ValueErrorKind {
    Invalid(String),
    OutOfRange(String),
    Missing,
    Unexpected,
}

impl ValueError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        ValueError { kind: ValueErrorKind::Invalid(reason.into()), offset: 0 }
    }
    pub(crate) fn out_of_range(expected: &str) -> Self {
        Self::out_of_range_owned(expected.to_owned())
    }
    pub(crate) fn out_of_range_owned(expected: String) -> Self {
        ValueError { kind: ValueErrorKind::OutOfRange(expected), offset: 0 }
    }
    pub(crate) fn missing() -> Self {
        ValueError { kind: ValueErrorKind::Missing, offset: 0 }
    }
    pub(crate) fn unexpected() -> Self {
        ValueError { kind: ValueErrorKind::Unexpected, offset: 0 }
    }
    /// Shifts the offset by `n` bytes (the value started `n` bytes later).
    pub(crate) fn at(mut self, n: usize) -> Self {
        self.offset += n;
        self
    }
    pub(crate) fn into_kind(self) -> ParseErrorKind {
        match self.kind {
            ValueErrorKind::Invalid(reason) => ParseErrorKind::InvalidValue { reason },
            ValueErrorKind::OutOfRange(expected) => ParseErrorKind::OutOfRange { expected },
            ValueErrorKind::Missing => ParseErrorKind::MissingValue,
            ValueErrorKind::Unexpected => ParseErrorKind::UnexpectedValue,
        }
    }
    pub(crate) fn into_public(self) -> InvalidValue {
        InvalidValue { offset: self.offset, kind: self.into_kind() }
    }
}

/// A single value (a colour, an expression, a crop keyword…) that does not
/// parse; returned by the `FromStr` impls of the value types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value at byte {offset}: {kind}")]
pub struct InvalidValue {
    offset: usize,
    kind: ParseErrorKind,
}

impl InvalidValue {
    /// Byte offset of the problem within the value.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What is wrong.
    #[must_use]
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}

/// A transformation string that does not parse.
///
/// ```
/// use pixmize_core::{ParseErrorKind, Transformation};
/// let err = "w-300,zz-1".parse::<Transformation>().unwrap_err();
/// assert_eq!(err.offset(), 6);
/// assert_eq!(err.key(), Some("zz"));
/// assert_eq!(err.kind(), &ParseErrorKind::UnknownParam);
/// assert_eq!(err.to_string(), "invalid transformation at byte 6 (step 1, `zz`): unknown parameter");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    offset: usize,
    step: usize,
    key: Option<String>,
    kind: ParseErrorKind,
}

impl ParseError {
    /// Byte offset in the input where the problem is.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Index (from 0) of the top-level chain step where the problem is.
    #[must_use]
    pub fn step(&self) -> usize {
        self.step
    }

    /// The parameter's key as written (`w`, `e-sharpen`, `l-image`), when the
    /// problem is in a parameter.
    #[must_use]
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// What is wrong.
    #[must_use]
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid transformation at byte {} (step {}", self.offset, self.step + 1)?;
        if let Some(key) = &self.key {
            write!(f, ", `{key}`")?;
        }
        write!(f, "): {}", self.kind)
    }
}

/// Why a transformation does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Two `:` in a row, or a `:` at either end.
    #[error("empty step")]
    EmptyStep,
    /// Two `,` in a row, or a `,` at either end of a step.
    #[error("empty parameter")]
    EmptyParam,
    /// A key ImageKit does not document for images.
    #[error("unknown parameter")]
    UnknownParam,
    /// A video-only parameter or layer type.
    #[error("video-only parameter, not supported for images")]
    VideoOnly,
    /// The key needs a value (`w` alone, or `w-`).
    #[error("missing value")]
    MissingValue,
    /// A flag such as `e-grayscale` was given a value.
    #[error("this parameter takes no value")]
    UnexpectedValue,
    /// The value is malformed.
    #[error("{reason}")]
    InvalidValue {
        /// What is wrong with it.
        reason: String,
    },
    /// A number outside its range.
    #[error("value out of range (expected {expected})")]
    OutOfRange {
        /// The accepted range, e.g. `1 to 100`.
        expected: String,
    },
    /// The same key twice in one step.
    #[error("parameter repeated in one step")]
    DuplicateParam,
    /// A layer parameter (`i`, `lx`, `fs`…) outside a layer.
    #[error("layer parameter outside a layer")]
    LayerParamOutsideLayer,
    /// A layer parameter after the layer's first `:`.
    #[error("layer parameters belong in the layer's first step")]
    LayerParamNotInFirstStep,
    /// A layer without `i-…` or `ie-…`.
    #[error("layer has no input (i-… or ie-…)")]
    MissingLayerInput,
    /// Both `i-…` and `ie-…` in one layer.
    #[error("layer has both i-… and ie-…")]
    ConflictingLayerInput,
    /// `l-…` without a matching `l-end`.
    #[error("layer not closed with l-end")]
    UnterminatedLayer,
    /// `l-end` without an open layer.
    #[error("l-end without an open layer")]
    UnexpectedLayerEnd,
    /// Layers nested more than three deep.
    #[error("layers nest at most 3 levels deep")]
    LayerTooDeep,
    /// `if-…` without a matching `if-end`.
    #[error("conditional not closed with if-end")]
    UnterminatedConditional,
    /// `if-else` without an open conditional, or twice.
    #[error("if-else without an open conditional")]
    UnexpectedElse,
    /// `if-end` without an open conditional.
    #[error("if-end without an open conditional")]
    UnexpectedIfEnd,
    /// Something shares a chain step with a conditional block.
    #[error("a conditional block must be the only thing in its step")]
    ConditionalNotAlone,
    /// A conditional inside another conditional's branch.
    #[error("conditionals cannot be nested")]
    NestedConditional,
    /// A conditional branch with no transformation.
    #[error("empty conditional branch")]
    EmptyBranch,
    /// A malformed condition.
    #[error("invalid condition: {reason}")]
    InvalidCondition {
        /// What is wrong.
        reason: String,
    },
}

impl ParseErrorKind {
    /// A stable kebab-case name for the kind, used by golden test files.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::EmptyStep => "empty-step",
            Self::EmptyParam => "empty-param",
            Self::UnknownParam => "unknown-param",
            Self::VideoOnly => "video-only",
            Self::MissingValue => "missing-value",
            Self::UnexpectedValue => "unexpected-value",
            Self::InvalidValue { .. } => "invalid-value",
            Self::OutOfRange { .. } => "out-of-range",
            Self::DuplicateParam => "duplicate-param",
            Self::LayerParamOutsideLayer => "layer-param-outside-layer",
            Self::LayerParamNotInFirstStep => "layer-param-not-in-first-step",
            Self::MissingLayerInput => "missing-layer-input",
            Self::ConflictingLayerInput => "conflicting-layer-input",
            Self::UnterminatedLayer => "unterminated-layer",
            Self::UnexpectedLayerEnd => "unexpected-layer-end",
            Self::LayerTooDeep => "layer-too-deep",
            Self::UnterminatedConditional => "unterminated-conditional",
            Self::UnexpectedElse => "unexpected-else",
            Self::UnexpectedIfEnd => "unexpected-if-end",
            Self::ConditionalNotAlone => "conditional-not-alone",
            Self::NestedConditional => "nested-conditional",
            Self::EmptyBranch => "empty-branch",
            Self::InvalidCondition { .. } => "invalid-condition",
        }
    }
}

/// ImageKit's video-only keys: rejected with [`ParseErrorKind::VideoOnly`].
const VIDEO_KEYS: &[&str] = &["so", "eo", "du", "vc", "ac", "sr", "fps", "vb", "ab"];
/// Layers nest at most this deep (ImageKit's "layers nest up to 3 levels").
const MAX_LAYER_DEPTH: usize = Layer::MAX_DEPTH;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Start,
    Comma,
    Colon,
}

#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    text: &'a str,
    start: usize,
    sep: Sep,
}

impl<'a> Tok<'a> {
    fn key_value(&self) -> (&'a str, Option<&'a str>) {
        match self.text.split_once('-') {
            Some((k, v)) => (k, Some(v)),
            None => (self.text, None),
        }
    }

    /// The key as an error names it: `e-sharpen` and `l-image` for effects
    /// and layers, the text before the first `-` otherwise.
    fn key(&self) -> &'a str {
        match self.key_value() {
            (k @ ("e" | "l"), Some(v)) if !v.is_empty() => {
                let name = v.split_once('-').map_or(v, |(n, _)| n);
                &self.text[..k.len() + 1 + name.len()]
            }
            (k, _) => k,
        }
    }
}

/// Block terminators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Term {
    LayerEnd,
    Else,
    IfEnd,
}

/// What ends the chain being parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The end of the input.
    Eof,
    /// `l-end` (a layer's body).
    Layer,
    /// `if-else` or `if-end` (a then-branch).
    Then,
    /// `if-end` (an else-branch).
    Else,
}

impl End {
    fn accepts(self, t: Term) -> bool {
        matches!(
            (self, t),
            (End::Layer, Term::LayerEnd)
                | (End::Then, Term::Else | Term::IfEnd)
                | (End::Else, Term::IfEnd)
        )
    }
}

pub(crate) fn parse(input: &str) -> Result<Transformation, ParseError> {
    if input.is_empty() {
        return Ok(Transformation::default());
    }
    let mut toks = Vec::new();
    let (mut start, mut sep) = (0, Sep::Start);
    for (i, b) in input.bytes().enumerate() {
        if b == b',' || b == b':' {
            toks.push(Tok { text: &input[start..i], start, sep });
            start = i + 1;
            sep = if b == b',' { Sep::Comma } else { Sep::Colon };
        }
    }
    toks.push(Tok { text: &input[start..], start, sep });
    let mut p = Parser { toks, pos: 0, step: 0, depth: 0, in_branch: false, len: input.len() };
    p.chain(End::Eof, Ctx::default(), true, 0)
}

struct Parser<'a> {
    toks: Vec<Tok<'a>>,
    pos: usize,
    /// Index of the current top-level step.
    step: usize,
    /// Layer nesting depth.
    depth: usize,
    /// Inside a conditional's branch.
    in_branch: bool,
    /// Input length, the offset of "the end".
    len: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Tok<'a>> {
        self.toks.get(self.pos).copied()
    }

    fn err(&self, offset: usize, key: Option<&str>, kind: ParseErrorKind) -> ParseError {
        ParseError { offset, step: self.step, key: key.map(str::to_owned), kind }
    }

    fn term(tok: &Tok<'_>) -> Option<Term> {
        match tok.text {
            "l-end" => Some(Term::LayerEnd),
            "if-else" => Some(Term::Else),
            "if-end" => Some(Term::IfEnd),
            _ => None,
        }
    }

    /// The error for a terminator that does not close the block being parsed
    /// (which was opened at `opened_at`).
    fn stray(&self, tok: Tok<'_>, t: Term, end: End, opened_at: usize) -> ParseError {
        match (end, t) {
            (End::Layer, _) | (End::Then | End::Else, Term::LayerEnd) => {
                self.unterminated(end, opened_at)
            }
            (_, Term::LayerEnd) => {
                self.err(tok.start, Some("l-end"), ParseErrorKind::UnexpectedLayerEnd)
            }
            (_, Term::Else) => self.err(tok.start, Some("if-else"), ParseErrorKind::UnexpectedElse),
            (_, Term::IfEnd) => {
                self.err(tok.start, Some("if-end"), ParseErrorKind::UnexpectedIfEnd)
            }
        }
    }

    fn unterminated(&self, end: End, opened_at: usize) -> ParseError {
        let key = self.key_at(opened_at);
        match end {
            End::Layer => self.err(opened_at, Some(key), ParseErrorKind::UnterminatedLayer),
            _ => self.err(opened_at, Some(key), ParseErrorKind::UnterminatedConditional),
        }
    }

    /// The key of the block-opening token at `offset` (`l-image`, `if`).
    fn key_at(&self, offset: usize) -> &'a str {
        match self.toks.iter().find(|t| t.start == offset) {
            Some(t) if t.text.starts_with("l-") => t.text,
            _ => "if",
        }
    }

    /// A chain of steps up to `end`, which is left unconsumed. The current
    /// token starts the first step whatever its separator.
    fn chain(
        &mut self,
        end: End,
        ctx: Ctx,
        top: bool,
        opened_at: usize,
    ) -> Result<Transformation, ParseError> {
        let mut steps = Vec::new();
        loop {
            steps.push(self.step(end, ctx, opened_at)?);
            let Some(tok) = self.peek() else { break };
            match Self::term(&tok) {
                Some(t) if end.accepts(t) => break,
                Some(t) => {
                    // A stray `:l-end` or `:if-end` starts the next step.
                    if top && tok.sep == Sep::Colon {
                        self.step += 1;
                    }
                    return Err(self.stray(tok, t, end, opened_at));
                }
                // A step only stops before a `:` or a terminator.
                None => {
                    if top {
                        self.step += 1;
                    }
                }
            }
        }
        if end != End::Eof && self.peek().is_none() {
            return Err(self.unterminated(end, opened_at));
        }
        Ok(Transformation::from_steps_unchecked(steps))
    }

    /// One step: stops before the next `:`-separated token or a terminator.
    fn step(&mut self, end: End, ctx: Ctx, opened_at: usize) -> Result<Step, ParseError> {
        let Some(first) = self.peek() else {
            return Err(self.err(self.len, None, ParseErrorKind::EmptyStep));
        };
        if first.text.is_empty() {
            let next = self.toks.get(self.pos + 1);
            let kind = if next.is_none_or(|n| n.sep == Sep::Colon || Self::term(n).is_some()) {
                ParseErrorKind::EmptyStep
            } else {
                ParseErrorKind::EmptyParam
            };
            return Err(self.err(first.start, None, kind));
        }
        if let Some(t) = Self::term(&first) {
            return Err(if end.accepts(t) {
                self.err(first.start, None, ParseErrorKind::EmptyStep)
            } else {
                self.stray(first, t, end, opened_at)
            });
        }
        if first.key_value().0 == "if" {
            return self.conditional(first, ctx).map(Step::If);
        }
        let mut params = Params::default();
        let mut index = 0;
        while let Some(tok) = self.peek() {
            if index > 0 && tok.sep == Sep::Colon {
                break;
            }
            if let Some(t) = Self::term(&tok) {
                if end.accepts(t) {
                    break;
                }
                return Err(self.stray(tok, t, end, opened_at));
            }
            index += 1;
            if tok.text.is_empty() {
                return Err(self.err(tok.start, None, ParseErrorKind::EmptyParam));
            }
            match tok.key_value() {
                ("l", kind) => {
                    self.pos += 1;
                    params.layers.push(self.layer(tok, kind)?);
                }
                ("if", _) => {
                    let kind = if self.in_branch {
                        ParseErrorKind::NestedConditional
                    } else {
                        ParseErrorKind::ConditionalNotAlone
                    };
                    return Err(self.err(tok.start, Some("if"), kind));
                }
                _ => {
                    self.param(tok, &mut params, None, ctx)?;
                    self.pos += 1;
                }
            }
        }
        Ok(Step::Params(params))
    }

    /// One `key-value` into `params`, or into `layer` for layer parameters.
    fn param(
        &self,
        tok: Tok<'_>,
        params: &mut Params,
        layer: Option<&mut Layer>,
        ctx: Ctx,
    ) -> Result<(), ParseError> {
        let (mut key, mut value) = tok.key_value();
        let full_key;
        if key == "e" {
            // Effects are keyed by name: `e-sharpen-10` is key `e-sharpen`.
            // `e` and `e-` name no effect: the value is missing at the end.
            let Some(v) = value.filter(|v| !v.is_empty()) else {
                let end = tok.start + tok.text.len();
                return Err(self.err(end, Some("e"), ParseErrorKind::MissingValue));
            };
            let (name, rest) = match v.split_once('-') {
                Some((n, r)) => (n, Some(r)),
                None => (v, None),
            };
            full_key = format!("e-{name}");
            key = &full_key;
            value = rest;
        }
        // A missing value is reported at the end of the token.
        let value_at = (tok.start + key.len() + 1).min(tok.start + tok.text.len());
        let wrap = |e: ValueError| self.err(value_at + e.offset, Some(key), e.into_kind());
        let not_here = |p: &Self| {
            let kind = if ctx.in_layer {
                ParseErrorKind::LayerParamNotInFirstStep
            } else {
                ParseErrorKind::LayerParamOutsideLayer
            };
            p.err(tok.start, Some(key), kind)
        };
        let slot: &mut dyn Slot = if let Some(slot) = params.slot(key) {
            slot
        } else if Layer::is_field(key) {
            let Some(layer) = layer else { return Err(not_here(self)) };
            match layer.slot(key) {
                Some(slot) => slot,
                None => return Err(self.err(tok.start, Some(key), ParseErrorKind::UnknownParam)),
            }
        } else if matches!(key, "i" | "ie") {
            return Err(not_here(self));
        } else {
            let kind = if VIDEO_KEYS.contains(&key) {
                ParseErrorKind::VideoOnly
            } else {
                ParseErrorKind::UnknownParam
            };
            return Err(self.err(tok.start, Some(key), kind));
        };
        if slot.is_set() {
            return Err(self.err(tok.start, Some(key), ParseErrorKind::DuplicateParam));
        }
        slot.fill(value, ctx).map_err(wrap)
    }

    /// A layer whose opening token `open` (`l-image`) was consumed.
    fn layer(&mut self, open: Tok<'_>, kind: Option<&str>) -> Result<Layer, ParseError> {
        let key = open.text;
        let kind = match kind {
            Some("image") => LayerKind::Image,
            Some("text") => LayerKind::Text,
            Some("video" | "subtitle" | "subtitles") => {
                return Err(self.err(open.start, Some(key), ParseErrorKind::VideoOnly));
            }
            Some("end") => {
                return Err(self.err(open.start, Some(key), ParseErrorKind::UnexpectedLayerEnd));
            }
            Some(other) if !other.is_empty() => {
                let reason = format!("`{other}` is not a layer type (image, text)");
                return Err(self.err(
                    open.start + 2,
                    Some("l"),
                    ParseErrorKind::InvalidValue { reason },
                ));
            }
            // `l` or `l-`: reported at the end, like any missing value.
            Some(_) | None => {
                let end = open.start + open.text.len();
                return Err(self.err(end, Some("l"), ParseErrorKind::MissingValue));
            }
        };
        if self.depth == MAX_LAYER_DEPTH {
            return Err(self.err(open.start, Some(key), ParseErrorKind::LayerTooDeep));
        }
        self.depth += 1;
        let ctx = Ctx { in_layer: true };
        let mut layer = Layer::placeholder(kind);
        let mut input: Option<LayerInput> = None;
        // The layer's first step holds its input, position and style, and the
        // parameters applied to the overlay itself.
        let mut params = Params::default();
        loop {
            let Some(tok) = self.peek() else {
                return Err(self.unterminated(End::Layer, open.start));
            };
            if tok.sep == Sep::Colon {
                break;
            }
            match Self::term(&tok) {
                Some(Term::LayerEnd) => break,
                Some(t) => return Err(self.stray(tok, t, End::Layer, open.start)),
                None => {}
            }
            match tok.key_value() {
                (k @ ("i" | "ie"), v) => {
                    if let Some(prev) = &input {
                        let kind = if prev.key() == k {
                            ParseErrorKind::DuplicateParam
                        } else {
                            ParseErrorKind::ConflictingLayerInput
                        };
                        return Err(self.err(tok.start, Some(k), kind));
                    }
                    // A missing value is reported at the end of the token.
                    let at = (tok.start + k.len() + 1).min(tok.start + tok.text.len());
                    let text = match v {
                        Some(v) => Text::parse_value(v, ctx),
                        None => Err(ValueError::missing()),
                    }
                    .map_err(|e| self.err(at + e.offset, Some(k), e.into_kind()))?;
                    input = Some(if k == "i" {
                        LayerInput::Plain(text)
                    } else {
                        LayerInput::Encoded(text)
                    });
                    self.pos += 1;
                }
                ("", _) => return Err(self.err(tok.start, None, ParseErrorKind::EmptyParam)),
                ("l", v) => {
                    self.pos += 1;
                    params.layers.push(self.layer(tok, v)?);
                }
                ("if", _) => {
                    return Err(self.err(
                        tok.start,
                        Some("if"),
                        ParseErrorKind::ConditionalNotAlone,
                    ));
                }
                _ => {
                    self.param(tok, &mut params, Some(&mut layer), ctx)?;
                    self.pos += 1;
                }
            }
        }
        let mut steps = Vec::new();
        if !params.is_empty() {
            steps.push(Step::Params(params));
        }
        if self.peek().is_some_and(|t| t.sep == Sep::Colon) {
            let was_branch = std::mem::replace(&mut self.in_branch, false);
            let rest = self.chain(End::Layer, ctx, false, open.start)?;
            self.in_branch = was_branch;
            steps.extend(rest.into_steps());
        }
        // Both loops above stop only at `:` (handled) or at l-end.
        self.pos += 1;
        self.depth -= 1;
        let Some(input) = input else {
            return Err(self.err(open.start, Some(key), ParseErrorKind::MissingLayerInput));
        };
        layer.input = input;
        layer.set_parsed_transformation(Transformation::from_steps_unchecked(steps));
        Ok(layer)
    }

    /// A conditional block starting at `open` (`if-<condition>`).
    fn conditional(&mut self, open: Tok<'_>, ctx: Ctx) -> Result<Conditional, ParseError> {
        if self.in_branch {
            return Err(self.err(open.start, Some("if"), ParseErrorKind::NestedConditional));
        }
        let Some(text) = open.text.strip_prefix("if-").filter(|t| !t.is_empty()) else {
            let end = open.start + open.text.len();
            return Err(self.err(end, Some("if"), ParseErrorKind::MissingValue));
        };
        let condition = Condition::parse(text).map_err(|(at, reason)| {
            self.err(open.start + 3 + at, Some("if"), ParseErrorKind::InvalidCondition { reason })
        })?;
        self.pos += 1;
        self.in_branch = true;
        let then = self.branch(End::Then, open.start, ctx)?;
        let mut otherwise = None;
        if self.peek().is_some_and(|t| Self::term(&t) == Some(Term::Else)) {
            self.pos += 1;
            otherwise = Some(self.branch(End::Else, open.start, ctx)?);
        }
        self.in_branch = false;
        // The branch stopped at if-end.
        self.pos += 1;
        match self.peek() {
            Some(t) if t.sep != Sep::Colon && Self::term(&t).is_none() => {
                Err(if t.text.is_empty() {
                    self.err(t.start, None, ParseErrorKind::EmptyParam)
                } else {
                    self.err(t.start, Some(t.key()), ParseErrorKind::ConditionalNotAlone)
                })
            }
            _ => Ok(Conditional::from_parts_unchecked(condition, then, otherwise)),
        }
    }

    fn branch(
        &mut self,
        end: End,
        opened_at: usize,
        ctx: Ctx,
    ) -> Result<Transformation, ParseError> {
        match self.peek() {
            None => Err(self.unterminated(end, opened_at)),
            Some(t) if t.sep != Sep::Comma || Self::term(&t).is_some_and(|t| end.accepts(t)) => {
                Err(self.err(t.start, None, ParseErrorKind::EmptyBranch))
            }
            Some(_) => self.chain(end, ctx, false, opened_at),
        }
    }
}

impl<T: super::value::ParamValue> Slot for Option<T> {
    fn is_set(&self) -> bool {
        self.is_some()
    }
    fn fill(&mut self, value: Option<&str>, ctx: Ctx) -> Result<(), ValueError> {
        let v = match value {
            None => T::bare().ok_or_else(ValueError::missing)?,
            Some("") => return Err(ValueError::missing()),
            Some(s) => T::parse_value(s, ctx)?,
        };
        *self = Some(v);
        Ok(())
    }
    fn write(&self, key: &str, w: &mut super::ItemWriter<'_, '_>) -> fmt::Result {
        match self {
            Some(v) => w.item(key, &v.to_string()),
            None => Ok(()),
        }
    }
}

impl Slot for bool {
    fn is_set(&self) -> bool {
        *self
    }
    fn fill(&mut self, value: Option<&str>, _: Ctx) -> Result<(), ValueError> {
        match value {
            None => {
                *self = true;
                Ok(())
            }
            Some(_) => Err(ValueError::unexpected()),
        }
    }
    fn write(&self, key: &str, w: &mut super::ItemWriter<'_, '_>) -> fmt::Result {
        if *self { w.item(key, "") } else { Ok(()) }
    }
}
