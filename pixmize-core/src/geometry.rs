//! The geometry planner: a pure function from (image size, step) to a
//! [`Plan`] — the size the image is resized to, the rectangle kept, the
//! padding added and the final size — following ImageKit's documented
//! resize, crop and pad behaviour.
//!
//! A plan is applied in three moves: scale the whole image to
//! [`Plan::resize`], keep [`Plan::crop`] (in resized coordinates), then add
//! [`Plan::pad`] around it (filled with the step's `bg`, black by default).
//!
//! ```
//! use pixmize_core::geometry::{plan, Dimensions};
//! let t: pixmize_core::Transformation = "w-300,h-200,c-at_max".parse()?;
//! let step = t.steps()[0].params().unwrap();
//! // ImageKit's docs: a 0.74 aspect photo at w-300,h-200,c-at_max is 148×200.
//! let p = plan(Dimensions::new(740, 1000), step)?;
//! assert_eq!(p.output, Dimensions::new(148, 200));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Choices where ImageKit's documentation is silent
//!
//! Each is pinned by a test in this module or in `tests/fixtures/plan/`.
//!
//! * **Rounding**: a derived side is `round(x)` half away from zero, and at
//!   least 1 (`w-300` on 5312×2988 gives height 168.75 → 169; `at_least`
//!   405.47 → 405 on ImageKit's 640×865 example, matching the docs' 300×405).
//!   Positions from `x`/`y`/`xc`/`yc` round the same way.
//! * **Centring** floors: a centred crop cuts the odd pixel on the
//!   right/bottom, and centred padding puts it there too.
//! * **Fractions** (`w-0.4`) are of the *original* image (`iw`/`ih`), as the
//!   docs say, even in later chain steps. An **expression** always gives
//!   pixels, even when its value is below 1.
//! * **Only `w` or only `h`** (without `ar`): the other side keeps the aspect
//!   ratio and the image is resized to that box with **no crop** (the docs:
//!   "no cropping takes place"), whatever `c` says; `c-at_max` and
//!   `c-maintain_ratio_no_enlarge` leave an image already smaller than the
//!   requested side as it is. With `cm`, the mode applies to that box
//!   (`cm-extract` with only `w` keeps the whole height).
//! * **`c-maintain_ratio` enlarges** a small image to cover the box (the
//!   existence of `maintain_ratio_no_enlarge` implies it).
//!   **`c-maintain_ratio_no_enlarge`**, when covering would enlarge, keeps
//!   the largest region of the box's aspect ratio at the image's own scale,
//!   so the output is smaller than the box with the box's shape.
//! * **`c-at_least` enlarges** small images (the output is at least w×h).
//! * **`cm-pad_resize` enlarges** to fit (as the `_no_enlarge` variant
//!   implies); `pad_resize_no_enlarge` never scales up and pads the rest.
//! * **`cm-extract` with a box larger than the image** keeps the whole side;
//!   with `x`/`y` the region is clipped at the image's edge (an origin
//!   outside the image is an error); with `xc`/`yc` a region not wholly
//!   inside the image is an error, as the docs say. `cm-pad_extract` pads
//!   what is missing up to the box: around the region as `fo` says, or,
//!   for a region placed by `x`/`y`, after it (right/bottom), where the box
//!   runs past the image.
//! * **`cm-pad_extract_no_shrink`** never crops: each output side is
//!   `max(box, image)`, padded where the box is larger.
//! * **`x`/`y`/`xc`/`yc` with `maintain_ratio`** position the crop in the
//!   resized image, clamped inside it.
//! * **ML focus** (`fo-auto`, `fo-face`, objects) and `fo-custom` are
//!   resolved by ImageKit; planned locally they fall back to the centre.
//! * **`c` and `cm` together**: `cm` wins.
//! * **`w-auto` and `dpr-auto`** without a client hint in the
//!   [`PlanContext`] are ignored; **`h-auto` is always ignored** (the
//!   `Sec-CH-Width` hint is a width, and there is no height hint).
//! * **`dpr`** multiplies the requested sides (after `ar`); it is ignored
//!   when one of them would fall under 1 px or over 5000 px. A side derived
//!   from the aspect ratio is not checked.
//! * **Requested sides over 65535 px are ignored**, as ImageKit does. An
//!   input or output over 100 MP is an error ([`GeometryLimits`]), and so is
//!   an output side over 65535 px that the step grew: an input with a longer
//!   side, which the pixel limit accepts, may keep it (`rt-90` on 70000×100
//!   is planned). The resize before a crop is not limited (only the kept
//!   region is resampled, see [`Plan::source_region`]): a 65535×1 image may
//!   cover a 100×100 box. A resized side beyond `u32` is an output too
//!   large.

use std::fmt;

use crate::transform::Crop;
use crate::transform::{Anchor, CropMode, Dpr, EvalError, Focus, Params, Scalar, Size, Vars};

/// A width and a height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dimensions {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Dimensions {
    /// `width`×`height`.
    #[must_use]
    pub const fn new(width: u32, height: u32) -> Dimensions {
        Dimensions { width, height }
    }

    /// Width × height.
    #[must_use]
    pub fn pixels(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

impl fmt::Display for Dimensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Rect {
    /// The whole of an image of size `d`.
    #[must_use]
    pub fn full(d: Dimensions) -> Rect {
        Rect { x: 0, y: 0, width: d.width, height: d.height }
    }

    /// Width and height.
    #[must_use]
    pub fn size(self) -> Dimensions {
        Dimensions::new(self.width, self.height)
    }
}

/// Padding added on each side, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Insets {
    /// Above.
    pub top: u32,
    /// Right.
    pub right: u32,
    /// Below.
    pub bottom: u32,
    /// Left.
    pub left: u32,
}

impl Insets {
    /// Whether there is no padding.
    #[must_use]
    pub fn is_zero(self) -> bool {
        self == Insets::default()
    }
}

/// What a step does to the image's geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Plan {
    /// The size the whole input is scaled to (the input's size when it is
    /// not scaled).
    pub resize: Dimensions,
    /// The region kept, in resized coordinates.
    pub crop: Rect,
    /// Padding added around the kept region.
    pub pad: Insets,
    /// The final size: the crop plus the padding.
    pub output: Dimensions,
}

impl Plan {
    /// The plan that leaves an image of size `d` as it is.
    #[must_use]
    pub fn identity(d: Dimensions) -> Plan {
        Plan { resize: d, crop: Rect::full(d), pad: Insets::default(), output: d }
    }

    fn new(resize: Dimensions, crop: Rect, pad: Insets) -> Plan {
        let output = Dimensions::new(
            crop.width.saturating_add(pad.left).saturating_add(pad.right),
            crop.height.saturating_add(pad.top).saturating_add(pad.bottom),
        );
        Plan { resize, crop, pad, output }
    }

    /// Whether the plan changes nothing for an input of size `input`.
    #[must_use]
    pub fn is_identity(&self, input: Dimensions) -> bool {
        *self == Plan::identity(input)
    }

    /// The kept region in the *input's* coordinates (fractional when the
    /// image is scaled): `(x, y, width, height)`. Resampling this region
    /// straight to [`Rect::size`] of [`Plan::crop`] equals resizing then
    /// cropping, without resizing pixels that are thrown away.
    #[must_use]
    pub fn source_region(&self, input: Dimensions) -> (f64, f64, f64, f64) {
        let (iw, ih) = (f64::from(input.width), f64::from(input.height));
        let sx = iw / f64::from(self.resize.width.max(1));
        let sy = ih / f64::from(self.resize.height.max(1));
        // Clamp inside the input: products of the scales can exceed its
        // edge by a rounding error.
        let x = (f64::from(self.crop.x) * sx).clamp(0.0, iw);
        let y = (f64::from(self.crop.y) * sy).clamp(0.0, ih);
        let w = (f64::from(self.crop.width) * sx).min(iw - x);
        let h = (f64::from(self.crop.height) * sy).min(ih - y);
        (x, y, w, h)
    }
}

/// Size limits the planner enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct GeometryLimits {
    /// Most pixels an input or output may have (ImageKit: 100 MP).
    pub max_pixels: u64,
    /// Longest side a step may grow an output to, and the largest requested
    /// side that is honoured (ImageKit: 65535; larger requests are ignored).
    pub max_side: u32,
}

impl Default for GeometryLimits {
    fn default() -> Self {
        GeometryLimits { max_pixels: 100_000_000, max_side: 65_535 }
    }
}

/// What the planner knows besides the step.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PlanContext {
    /// The original image (for `iw`, `ih`, fractions).
    pub original: Dimensions,
    /// The image entering this step (for `cw`, `ch`).
    pub current: Dimensions,
    /// The `Sec-CH-Width` client hint, for `w-auto`/`h-auto`.
    pub client_width: Option<u32>,
    /// The `Sec-CH-DPR` client hint, for `dpr-auto`.
    pub client_dpr: Option<f64>,
    /// Limits.
    pub limits: GeometryLimits,
}

impl PlanContext {
    /// A first step on an image of size `d`, no client hints, default limits.
    #[must_use]
    pub fn new(d: Dimensions) -> PlanContext {
        PlanContext {
            original: d,
            current: d,
            client_width: None,
            client_dpr: None,
            limits: GeometryLimits::default(),
        }
    }

    /// A later step: `current` is the image entering it.
    #[must_use]
    pub fn with_current(mut self, current: Dimensions) -> PlanContext {
        self.current = current;
        self
    }
}

/// Why a step cannot be planned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The image has no pixels.
    #[error("the image is empty ({0})")]
    EmptyImage(Dimensions),
    /// The input has more pixels than allowed.
    #[error("input of {size} has {pixels} pixels, more than the limit of {max}")]
    InputTooLarge {
        /// Its size.
        size: Dimensions,
        /// Its pixels.
        pixels: u64,
        /// The limit.
        max: u64,
    },
    /// The planned output is too large.
    #[error("output of {0} is over the size limits")]
    OutputTooLarge(Dimensions),
    /// An expression could not be evaluated (the reason is the source).
    #[error("the expression of `{key}` cannot be evaluated")]
    Expression {
        /// The parameter.
        key: &'static str,
        /// Why.
        #[source]
        source: EvalError,
    },
    /// A size or position evaluated to a value that cannot be used.
    #[error("`{key}` evaluates to {value}, which is not a usable size")]
    InvalidValue {
        /// The parameter.
        key: &'static str,
        /// The value.
        value: f64,
    },
    /// An `xc`/`yc` region does not lie wholly inside the image.
    #[error("the region {region:?} centred by xc/yc is not inside the {image} image")]
    RegionOutsideImage {
        /// The requested region (left, top, width, height; may be negative).
        region: (i64, i64, u32, u32),
        /// The image.
        image: Dimensions,
    },
    /// An `x`/`y` origin outside the image.
    #[error("the region's origin ({x}, {y}) is outside the {image} image")]
    OriginOutsideImage {
        /// Left.
        x: u32,
        /// Top.
        y: u32,
        /// The image.
        image: Dimensions,
    },
}

/// Plans `params` as the first step on an image of size `input`.
///
/// # Errors
/// See [`PlanError`].
pub fn plan(input: Dimensions, params: &Params) -> Result<Plan, PlanError> {
    plan_with(params, &PlanContext::new(input))
}

/// Plans `params` on the image `ctx.current`.
///
/// # Errors
/// See [`PlanError`].
pub fn plan_with(params: &Params, ctx: &PlanContext) -> Result<Plan, PlanError> {
    let src = ctx.current;
    if src.width == 0 || src.height == 0 {
        return Err(PlanError::EmptyImage(src));
    }
    for size in [ctx.original, src] {
        if size.pixels() > ctx.limits.max_pixels {
            return Err(PlanError::InputTooLarge {
                size,
                pixels: size.pixels(),
                max: ctx.limits.max_pixels,
            });
        }
    }
    if params.original == Some(true) {
        return Ok(Plan::identity(src));
    }
    let vars = Vars::new(
        f64::from(ctx.original.width),
        f64::from(ctx.original.height),
        f64::from(src.width),
        f64::from(src.height),
    );
    let max_side = f64::from(ctx.limits.max_side);
    let side = |key, size: &Option<Size>, original: u32| -> Result<Option<f64>, PlanError> {
        let v = match size {
            None => return Ok(None),
            Some(Size::Pixels(n)) => f64::from(n.get()),
            Some(Size::Fraction(fr)) => fr.get() * f64::from(original),
            // `Sec-CH-Width` is a width: there is no hint for `h-auto`.
            Some(Size::Auto) => match ctx.client_width {
                Some(w) if key == "w" => f64::from(w),
                _ => return Ok(None),
            },
            Some(Size::Expr(e)) => {
                e.eval(&vars).map_err(|source| PlanError::Expression { key, source })?
            }
        };
        if v.is_nan() || v <= 0.0 {
            return Err(PlanError::InvalidValue { key, value: v });
        }
        // ImageKit ignores requested sides above 65535 px.
        Ok((v <= max_side).then_some(v))
    };
    let mut w = side("w", &params.width, ctx.original.width)?;
    let mut h = side("h", &params.height, ctx.original.height)?;
    if let Some(ar) = &params.aspect_ratio {
        let ar = ar.value(&vars).map_err(|source| PlanError::Expression { key: "ar", source })?;
        if !ar.is_finite() || ar <= 0.0 {
            return Err(PlanError::InvalidValue { key: "ar", value: ar });
        }
        match (w, h) {
            (Some(w), None) => h = Some(w / ar),
            (None, Some(hv)) => w = Some(hv * ar),
            _ => {} // both given: ar is ignored; neither: nothing to derive from
        }
    }
    let dpr = match params.dpr {
        Some(Dpr::Value(d)) => Some(d.get()),
        Some(Dpr::Auto) => ctx.client_dpr,
        None => None,
    };
    if let Some(d) = dpr.filter(|_| w.is_some() || h.is_some()) {
        let scaled = |v: Option<f64>| v.map(|v| v * d);
        let ok = |v: Option<f64>| v.is_none_or(|v| (1.0..=5000.0).contains(&v));
        // ImageKit ignores dpr when a scaled side would be under 1 or over 5000 px.
        if ok(scaled(w)) && ok(scaled(h)) {
            w = scaled(w);
            h = scaled(h);
        }
    }
    let (w, h) = (w.map(round), h.map(round));
    let mode = Mode::of(params);
    // Only one side (and no `ar`): the other follows the aspect ratio.
    let scale_of_one_side = match (w, h) {
        (Some(w), None) => Some(f64::from(w) / f64::from(src.width)),
        (None, Some(h)) => Some(f64::from(h) / f64::from(src.height)),
        _ => None,
    };
    let (sw, sh) = (f64::from(src.width), f64::from(src.height));
    let (bw, bh) = match (w, h) {
        (None, None) => return Ok(Plan::identity(src)),
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) if mode.is_extract() => (w, src.height),
        (None, Some(h)) if mode.is_extract() => (src.width, h),
        (Some(w), None) => (w, round(sh * f64::from(w) / sw)),
        (None, Some(h)) => (round(sw * f64::from(h) / sh), h),
    };
    let anchor = match &params.focus {
        Some(Focus::Anchor(a)) => *a,
        _ => Anchor::Center,
    };
    let plan = match mode {
        // One side: a plain resize, nothing is cropped (the docs: "no
        // cropping takes place"); the modes that never enlarge leave a
        // smaller image as it is.
        Mode::Crop(crop) if scale_of_one_side.is_some() => {
            let never_enlarges = matches!(crop, Crop::AtMax | Crop::MaintainRatioNoEnlarge);
            if never_enlarges && scale_of_one_side.is_some_and(|s| s >= 1.0) {
                Plan::identity(src)
            } else {
                resized(Dimensions::new(bw, bh))
            }
        }
        Mode::Crop(Crop::MaintainRatio) => cover(src, bw, bh, anchor, params, &vars)?,
        Mode::Crop(Crop::MaintainRatioNoEnlarge) => {
            if f64::from(bw) / sw > 1.0 && f64::from(bh) / sh > 1.0
                || f64::from(bw) > sw
                || f64::from(bh) > sh
            {
                // Covering would enlarge: keep the box's shape at the image's scale.
                let (rw, rh) = if f64::from(bw) / f64::from(bh) > sw / sh {
                    (src.width, round(sw * f64::from(bh) / f64::from(bw)).min(src.height))
                } else {
                    (round(sh * f64::from(bw) / f64::from(bh)).min(src.width), src.height)
                };
                let crop = place_crop(src, rw, rh, anchor, params, &vars)?;
                Plan::new(src, crop, Insets::default())
            } else {
                cover(src, bw, bh, anchor, params, &vars)?
            }
        }
        Mode::Crop(Crop::Force) => resized(Dimensions::new(bw, bh)),
        Mode::Crop(Crop::AtMax) => {
            if bw >= src.width && bh >= src.height {
                Plan::identity(src)
            } else {
                resized(fit(src, bw, bh))
            }
        }
        Mode::Crop(Crop::AtMaxEnlarge) => resized(fit(src, bw, bh)),
        Mode::Crop(Crop::AtLeast) => resized(fill(src, bw, bh)),
        Mode::Pad(CropMode::PadResize) => padded(fit(src, bw, bh), bw, bh, anchor),
        Mode::Pad(CropMode::PadResizeNoEnlarge) => {
            let inner = if bw >= src.width && bh >= src.height { src } else { fit(src, bw, bh) };
            padded(inner, bw, bh, anchor)
        }
        Mode::Pad(CropMode::Extract) => {
            let region =
                extract(src, bw.min(src.width), bh.min(src.height), anchor, params, &vars)?;
            Plan::new(src, region, Insets::default())
        }
        Mode::Pad(CropMode::PadExtract) => {
            let region =
                extract(src, bw.min(src.width), bh.min(src.height), anchor, params, &vars)?;
            let mut pad =
                insets(region.size(), bw.max(region.width), bh.max(region.height), anchor);
            // A region placed by `x`/`y` runs past the image's right/bottom
            // edge: the padding fills that part of the box.
            if params.x.is_some() {
                (pad.left, pad.right) = (0, pad.left + pad.right);
            }
            if params.y.is_some() {
                (pad.top, pad.bottom) = (0, pad.top + pad.bottom);
            }
            Plan::new(src, region, pad)
        }
        Mode::Pad(CropMode::PadExtractNoShrink) => {
            let pad = insets(src, bw.max(src.width), bh.max(src.height), anchor);
            Plan::new(src, Rect::full(src), pad)
        }
    };
    let out = plan.output;
    // A side over the limit is an error only when this step grows it: an
    // input the pixel limit accepted (70000×100) passes through.
    if out.width > ctx.limits.max_side.max(src.width)
        || out.height > ctx.limits.max_side.max(src.height)
        || out.pixels() > ctx.limits.max_pixels
        // A resized side beyond u32 (saturated by `round`) cannot be
        // described; the resize itself is never materialised (see
        // `Plan::source_region`), so it has no other limit.
        || plan.resize.width == u32::MAX
        || plan.resize.height == u32::MAX
    {
        return Err(PlanError::OutputTooLarge(out));
    }
    Ok(plan)
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Crop(Crop),
    Pad(CropMode),
}

impl Mode {
    fn of(p: &Params) -> Mode {
        match (p.crop_mode, p.crop) {
            (Some(cm), _) => Mode::Pad(cm),
            (None, Some(c)) => Mode::Crop(c),
            (None, None) => Mode::Crop(Crop::MaintainRatio),
        }
    }

    fn is_extract(self) -> bool {
        matches!(
            self,
            Mode::Pad(CropMode::Extract | CropMode::PadExtract | CropMode::PadExtractNoShrink)
        )
    }
}

/// Rounds half away from zero to a side of at least 1 pixel.
fn round(v: f64) -> u32 {
    let r = v.round();
    if r >= f64::from(u32::MAX) {
        u32::MAX
    } else if r < 1.0 {
        1
    } else {
        r as u32
    }
}

fn resized(d: Dimensions) -> Plan {
    Plan::new(d, Rect::full(d), Insets::default())
}

/// The largest size with `src`'s aspect ratio inside `bw`×`bh`; the limiting
/// side is exact.
fn fit(src: Dimensions, bw: u32, bh: u32) -> Dimensions {
    let (sw, sh) = (f64::from(src.width), f64::from(src.height));
    let (bwf, bhf) = (f64::from(bw), f64::from(bh));
    if bwf / sw <= bhf / sh {
        Dimensions::new(bw, round(sh * bwf / sw).min(bh))
    } else {
        Dimensions::new(round(sw * bhf / sh).min(bw), bh)
    }
}

/// The smallest size with `src`'s aspect ratio covering `bw`×`bh`.
fn fill(src: Dimensions, bw: u32, bh: u32) -> Dimensions {
    let (sw, sh) = (f64::from(src.width), f64::from(src.height));
    let (bwf, bhf) = (f64::from(bw), f64::from(bh));
    if bwf / sw >= bhf / sh {
        Dimensions::new(bw, round(sh * bwf / sw).max(bh))
    } else {
        Dimensions::new(round(sw * bhf / sh).max(bw), bh)
    }
}

fn cover(
    src: Dimensions,
    bw: u32,
    bh: u32,
    anchor: Anchor,
    p: &Params,
    vars: &Vars,
) -> Result<Plan, PlanError> {
    let resize = fill(src, bw, bh);
    let crop = place_crop(resize, bw, bh, anchor, p, vars)?;
    Ok(Plan::new(resize, crop, Insets::default()))
}

/// A `cw`×`ch` crop of an image of size `img`, positioned by `x`/`y`/`xc`/`yc`
/// (clamped inside) or by the anchor.
fn place_crop(
    img: Dimensions,
    cw: u32,
    ch: u32,
    anchor: Anchor,
    p: &Params,
    vars: &Vars,
) -> Result<Rect, PlanError> {
    let (fx, fy) = anchor.fractions();
    let axis = |start: &Option<Scalar>,
                center: &Option<Scalar>,
                keys: (&'static str, &'static str),
                len: u32,
                room: u32,
                f: f64| {
        let free = f64::from(room - len);
        let pos = if let Some(v) = start {
            eval_scalar(keys.0, v, vars)?.round()
        } else if let Some(v) = center {
            (eval_scalar(keys.1, v, vars)? - f64::from(len) / 2.0).round()
        } else {
            // Floor: a centred crop cuts the odd pixel on the right/bottom.
            (free * f).floor()
        };
        Ok::<u32, PlanError>(pos.clamp(0.0, free) as u32)
    };
    let x = axis(&p.x, &p.x_center, ("x", "xc"), cw, img.width, fx)?;
    let y = axis(&p.y, &p.y_center, ("y", "yc"), ch, img.height, fy)?;
    Ok(Rect { x, y, width: cw, height: ch })
}

/// The `cm-extract` region: `x`/`y` origins clip at the edge, `xc`/`yc`
/// regions must lie inside.
fn extract(
    src: Dimensions,
    rw: u32,
    rh: u32,
    anchor: Anchor,
    p: &Params,
    vars: &Vars,
) -> Result<Rect, PlanError> {
    let (fx, fy) = anchor.fractions();
    let mut rect = Rect { x: 0, y: 0, width: rw, height: rh };
    let mut centred = false;
    for (horizontal, start, center, key0, key1) in
        [(true, &p.x, &p.x_center, "x", "xc"), (false, &p.y, &p.y_center, "y", "yc")]
    {
        let (len, room, f) = if horizontal { (rw, src.width, fx) } else { (rh, src.height, fy) };
        let pos: i64 = if let Some(v) = start {
            let v = eval_scalar(key0, v, vars)?.round();
            if v >= f64::from(room) {
                let (x, y) = if horizontal { (v as u32, 0) } else { (0, v as u32) };
                return Err(PlanError::OriginOutsideImage { x, y, image: src });
            }
            v as i64
        } else if let Some(v) = center {
            centred = true;
            (eval_scalar(key1, v, vars)? - f64::from(len) / 2.0).round() as i64
        } else {
            (f64::from(room - len) * f).floor() as i64
        };
        if horizontal {
            rect.x = pos.max(0) as u32;
        } else {
            rect.y = pos.max(0) as u32;
        }
        if centred && (pos < 0 || pos.saturating_add(i64::from(len)) > i64::from(room)) {
            let region = if horizontal {
                (pos, i64::from(rect.y), rw, rh)
            } else {
                (i64::from(rect.x), pos, rw, rh)
            };
            return Err(PlanError::RegionOutsideImage { region, image: src });
        }
        centred = false;
    }
    rect.width = rect.width.min(src.width - rect.x);
    rect.height = rect.height.min(src.height - rect.y);
    Ok(rect)
}

fn eval_scalar(key: &'static str, v: &Scalar, vars: &Vars) -> Result<f64, PlanError> {
    let v = match v {
        Scalar::Number(n) => n.get(),
        Scalar::Expr(e) => e.eval(vars).map_err(|source| PlanError::Expression { key, source })?,
    };
    if v.is_finite() && v >= 0.0 { Ok(v) } else { Err(PlanError::InvalidValue { key, value: v }) }
}

/// Padding that grows `inner` to `bw`×`bh`, placed by the anchor: `fo-left`
/// keeps the image on the left (all padding on the right).
fn insets(inner: Dimensions, bw: u32, bh: u32, anchor: Anchor) -> Insets {
    let (fx, fy) = anchor.fractions();
    let free_x = bw.saturating_sub(inner.width);
    let free_y = bh.saturating_sub(inner.height);
    let left = (f64::from(free_x) * fx).floor() as u32;
    let top = (f64::from(free_y) * fy).floor() as u32;
    Insets { top, right: free_x - left, bottom: free_y - top, left }
}

fn padded(inner: Dimensions, bw: u32, bh: u32, anchor: Anchor) -> Plan {
    Plan::new(inner, Rect::full(inner), insets(inner, bw, bh, anchor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transformation;

    fn plan_str(w: u32, h: u32, t: &str) -> Result<Plan, PlanError> {
        let t: Transformation = t.parse().unwrap();
        plan(Dimensions::new(w, h), t.steps()[0].params().unwrap())
    }

    fn out(w: u32, h: u32, t: &str) -> (u32, u32) {
        let p = plan_str(w, h, t).unwrap();
        (p.output.width, p.output.height)
    }

    #[test]
    fn documented_examples() {
        // ImageKit's resize-and-crop docs (plant.jpeg, aspect 0.74).
        assert_eq!(out(740, 1000, "w-300,h-200,c-at_max"), (148, 200));
        assert_eq!(out(1480, 2000, "w-850,h-1000,c-at_max_enlarge"), (740, 1000));
        assert_eq!(out(740, 1000, "w-300,h-200,c-at_least"), (300, 405));
        // Chained-transformations docs: 100 px of padding on the left.
        let p = plan_str(400, 400, "w-500,h-400,cm-pad_resize,fo-right,bg-000000").unwrap();
        assert_eq!(p.pad, Insets { top: 0, right: 0, bottom: 0, left: 100 });
        assert_eq!(p.output, Dimensions::new(500, 400));
        // pad_extract: 600×600 source, 700×700 box.
        let p = plan_str(600, 600, "w-700,h-700,cm-pad_extract").unwrap();
        assert_eq!(p.output, Dimensions::new(700, 700));
        assert_eq!(p.pad, Insets { top: 50, right: 50, bottom: 50, left: 50 });
    }

    #[test]
    fn maintain_ratio_covers_and_crops_around_the_focus() {
        let p = plan_str(5312, 2988, "w-300,h-300").unwrap();
        assert_eq!(p.resize, Dimensions::new(533, 300));
        assert_eq!(p.crop, Rect { x: 116, y: 0, width: 300, height: 300 }, "233 / 2, floored");
        let p = plan_str(5312, 2988, "w-300,h-300,fo-left").unwrap();
        assert_eq!(p.crop.x, 0);
        let p = plan_str(5312, 2988, "w-300,h-300,fo-right").unwrap();
        assert_eq!(p.crop.x, 233);
        // maintain_ratio enlarges (choice).
        assert_eq!(out(100, 50, "w-400,h-400"), (400, 400));
    }

    #[test]
    fn one_side_keeps_the_ratio_and_rounds_half_up() {
        assert_eq!(out(5312, 2988, "w-300"), (300, 169)); // 168.75
        assert_eq!(out(5312, 2988, "h-100"), (178, 100)); // 177.78
        assert_eq!(out(5312, 2988, "w-0.5"), (2656, 1494));
        assert_eq!(out(1000, 500, "w-400,ar-4-3"), (400, 300));
        assert_eq!(out(1000, 500, "h-300,ar-4-3"), (400, 300));
    }

    #[test]
    fn dpr_multiplies_or_is_ignored() {
        assert_eq!(out(4000, 3000, "w-300,h-200,c-force,dpr-2"), (600, 400));
        assert_eq!(
            out(4000, 3000, "w-3000,h-200,c-force,dpr-2"),
            (3000, 200),
            "6000 > 5000: ignored"
        );
        assert_eq!(out(4000, 3000, "w-4,h-4,c-force,dpr-0.2"), (4, 4), "0.8 < 1: ignored");
    }

    #[test]
    fn extract_by_coordinates() {
        let p = plan_str(1000, 1000, "w-300,h-300,cm-extract,x-100,y-300").unwrap();
        assert_eq!(p.crop, Rect { x: 100, y: 300, width: 300, height: 300 });
        let p = plan_str(1000, 1000, "w-200,h-200,cm-extract,xc-300,yc-500").unwrap();
        assert_eq!(p.crop, Rect { x: 200, y: 400, width: 200, height: 200 });
        assert!(matches!(
            plan_str(1000, 1000, "w-200,h-200,cm-extract,xc-50,yc-500"),
            Err(PlanError::RegionOutsideImage { .. })
        ));
        let p = plan_str(1000, 1000, "w-300,h-300,cm-extract,x-900,y-0").unwrap();
        assert_eq!(p.crop, Rect { x: 900, y: 0, width: 100, height: 300 }, "clipped at the edge");
        assert!(matches!(
            plan_str(1000, 1000, "w-300,h-300,cm-extract,x-1000"),
            Err(PlanError::OriginOutsideImage { .. })
        ));
        let p = plan_str(1000, 800, "w-iw_div_2,h-ih_div_2,cm-extract,x-iw_mul_0.2,y-ih_mul_0.2")
            .unwrap();
        assert_eq!(p.crop, Rect { x: 200, y: 160, width: 500, height: 400 });
    }

    #[test]
    fn limits() {
        assert!(matches!(plan_str(20_000, 20_000, "w-100"), Err(PlanError::InputTooLarge { .. })));
        assert_eq!(out(1000, 1000, "w-70000"), (1000, 1000), "requests over 65535 are ignored");
        assert!(matches!(
            plan_str(1, 60_000, "w-60000,c-at_least"),
            Err(PlanError::OutputTooLarge(_))
        ));
        assert!(matches!(
            plan_str(10, 10, "w-iw_sub_20"),
            Err(PlanError::InvalidValue { key: "w", .. })
        ));
        assert!(matches!(
            plan_str(10, 10, "w-iw_div_0"),
            Err(PlanError::Expression { key: "w", .. })
        ));
    }
}
