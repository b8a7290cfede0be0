//! The local pipeline: probe, plan the first step, decode (shrinking on load
//! when the plan allows), run every step, encode.

use image::DynamicImage;

use crate::codec::{self, DecodeOptions, EncodeOptions, ImageFormat, Limits};
use crate::error::{Limit, LimitExceeded};
use crate::geometry::{self, Dimensions, GeometryLimits, PlanContext};
use crate::ops;
use crate::processor::{Location, Processed};
use crate::transform::{
    Background, Color, Format, Params, Rotation, Scalar, Step, Transformation, Trim, Vars,
};
use crate::{Error, Result};

/// What the engine is allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EngineLimits {
    /// Input limits (bytes, pixels, sides, frames), checked from the header
    /// before decoding.
    pub input: Limits,
    /// Geometry limits (output pixels and sides).
    pub geometry: GeometryLimits,
}

/// Output settings gathered from the steps that ran; a later step's value
/// wins.
#[derive(Debug, Default)]
pub(crate) struct Output {
    format: Option<Format>,
    quality: Option<u8>,
    progressive: Option<bool>,
    lossless: Option<bool>,
    metadata: Option<bool>,
    color_profile: Option<bool>,
    /// The last solid `bg` colour, for flattening alpha.
    background: Option<Color>,
}

impl Output {
    /// Takes the output settings of a step that ran: a value the step sets
    /// replaces the earlier one.
    pub(crate) fn absorb(&mut self, p: &Params) {
        if p.format.is_some() {
            self.format = p.format;
        }
        if let Some(q) = p.quality {
            self.quality = Some(q.get() as u8);
        }
        self.progressive = p.progressive.or(self.progressive);
        self.lossless = p.lossless.or(self.lossless);
        self.metadata = p.metadata.or(self.metadata);
        self.color_profile = p.color_profile.or(self.color_profile);
        if let Some(Background::Color(c)) = &p.background {
            self.background = Some(*c);
        }
    }

    /// Whether the output is lossless (`lo-true`; default no).
    pub(crate) fn is_lossless(&self) -> bool {
        self.lossless.unwrap_or(false)
    }
}

struct Run<'a> {
    original: Dimensions,
    limits: &'a EngineLimits,
    out: Output,
}

/// Runs `t` on `input`, accepting `accept` for `f-auto`.
pub(crate) fn run(
    input: &[u8],
    t: &Transformation,
    accept: &[ImageFormat],
    limits: &EngineLimits,
) -> Result<Processed> {
    let info = codec::probe(input, &limits.input)?;
    let original = Dimensions::new(info.width, info.height);
    if delivers_original(t) {
        return Ok(Processed::new(
            input.to_vec(),
            info.format,
            info.width,
            info.height,
            Location::Device,
        ));
    }
    // Plan the first step on the header's size: if it shrinks the whole
    // image, the decoder may decode smaller (JPEG DCT scaling).
    let mut first_plan = None;
    let mut min_size = None;
    if let Some(Step::Params(p)) = t.steps().first()
        && p.trim.is_none_or(|t| t == Trim::Off)
    {
        let ctx = plan_context(original, original, limits);
        let plan = plan_with(p, &ctx, limits)?;
        if plan.resize.width < original.width && plan.resize.height < original.height {
            min_size = Some((plan.resize.width, plan.resize.height));
        }
        first_plan = Some(plan);
    }
    let decoded = codec::decode(
        input,
        &DecodeOptions { limits: limits.input, min_size, ..Default::default() },
    )?;
    let metadata = decoded.metadata;
    let input_format = decoded.format;
    let mut image = ops::normalize(decoded.image);
    let mut run = Run { original, limits, out: Output::default() };
    for (i, step) in t.steps().iter().enumerate() {
        let plan = if i == 0 { first_plan.take() } else { None };
        image = run.step(image, step, plan, original)?;
    }
    let has_alpha = ops::has_transparency(&image);
    let format = match run.out.format {
        None | Some(Format::Auto) => codec::choose_auto_format(accept, has_alpha),
        Some(Format::Orig) if codec::can_encode(input_format) => input_format,
        Some(Format::Orig) => codec::choose_auto_format(accept, has_alpha),
        Some(Format::Jpg | Format::Jpeg) => ImageFormat::Jpeg,
        Some(Format::Png) => ImageFormat::Png,
        Some(Format::Webp) => ImageFormat::Webp,
        Some(Format::Avif) => ImageFormat::Avif,
        Some(Format::Gif) => ImageFormat::Gif,
    };
    // Formats without alpha (JPEG; BMP is written opaque) get the image
    // flattened onto the last solid `bg`, black by default, the same
    // default as `codec::encode`.
    let [r, g, b, _] = run.out.background.unwrap_or(Color::BLACK).to_rgba();
    if !matches!(
        format,
        ImageFormat::Png
            | ImageFormat::Webp
            | ImageFormat::Avif
            | ImageFormat::Gif
            | ImageFormat::Tiff
    ) {
        image = ops::flatten(image, [r, g, b]);
    }
    let mut opts = EncodeOptions::new(format);
    opts.background = [r, g, b];
    opts.quality = run.out.quality.unwrap_or(80);
    opts.progressive = run.out.progressive.unwrap_or(false);
    opts.lossless = run.out.is_lossless();
    opts.keep_metadata = run.out.metadata.unwrap_or(false);
    opts.keep_color_profile = run.out.color_profile.unwrap_or(false);
    let bytes = codec::encode(&image, &opts, &metadata)?;
    Ok(Processed::new(bytes, format, image.width(), image.height(), Location::Device))
}

/// `orig-true` in a top-level step delivers the input untouched (ImageKit:
/// "all other parameters are ignored"), metadata included.
fn delivers_original(t: &Transformation) -> bool {
    t.steps().iter().any(|s| matches!(s, Step::Params(p) if p.original == Some(true)))
}

fn plan_context(original: Dimensions, current: Dimensions, limits: &EngineLimits) -> PlanContext {
    let mut ctx = PlanContext::new(original).with_current(current);
    ctx.limits = limits.geometry;
    ctx
}

impl Run<'_> {
    fn step(
        &mut self,
        image: DynamicImage,
        step: &Step,
        plan: Option<geometry::Plan>,
        logical: Dimensions,
    ) -> Result<DynamicImage> {
        match step {
            Step::Params(p) => self.params(image, p, plan, logical),
            Step::If(c) => {
                let current = (image.width(), image.height());
                let branch =
                    if c.condition().holds(current, (self.original.width, self.original.height)) {
                        Some(c.then())
                    } else {
                        c.otherwise()
                    };
                let mut image = image;
                for s in branch.map(Transformation::steps).unwrap_or_default() {
                    let dims = Dimensions::new(image.width(), image.height());
                    image = self.step(image, s, None, dims)?;
                }
                Ok(image)
            }
        }
    }

    /// One step. `logical` is the size the step sees (`cw`, `ch`); it equals
    /// the image's size except after shrink-on-load, where `plan` was made
    /// on the full size.
    fn params(
        &mut self,
        mut image: DynamicImage,
        p: &Params,
        plan: Option<geometry::Plan>,
        logical: Dimensions,
    ) -> Result<DynamicImage> {
        let vars = Vars::new(
            f64::from(self.original.width),
            f64::from(self.original.height),
            f64::from(logical.width),
            f64::from(logical.height),
        );
        if let Some(t) = p.trim {
            let threshold = match t {
                Trim::Off => None,
                Trim::On => Some(10),
                Trim::Threshold(v) => Some(v.get() as u8),
            };
            if let Some(th) = threshold {
                image = ops::trim(image, th);
            }
        }
        let plan = match plan {
            Some(plan) => plan,
            None => {
                let current = Dimensions::new(image.width(), image.height());
                plan_with(p, &plan_context(self.original, current, self.limits), self.limits)?
            }
        };
        image = ops::apply_plan(image, &plan, p.background.as_ref())?;
        let fill = match &p.background {
            Some(Background::Color(c)) => c.to_rgba(),
            _ if image.color().has_alpha() => [0, 0, 0, 0],
            _ => Color::BLACK.to_rgba(),
        };
        if let Some(Rotation::Degrees(d)) = p.rotation {
            // `rt-auto` is the EXIF orientation, already applied on decode.
            // Other angles than multiples of 90 grow the canvas: check the
            // grown size before it is allocated.
            let (w, h) = ops::rotated_size(image.width(), image.height(), d.get());
            check_output(Dimensions::new(w, h), self.limits)?;
            image = ops::rotate(image, d.get(), fill);
        }
        if let Some(f) = p.flip {
            image = ops::flip(image, f);
        }
        if let Some(b) = p.blur {
            image = ops::blur(&image, b.get() as f32 / 2.0);
        }
        if let Some(s) = p.sharpen {
            image = ops::sharpen(&image, s);
        }
        if let Some(u) = p.unsharp_mask {
            image = ops::unsharp_mask(&image, u);
        }
        if p.grayscale {
            ops::grayscale(&mut image);
        }
        if p.contrast {
            ops::contrast_stretch(&mut image);
        }
        if let Some(g) = &p.gradient {
            image = ops::gradient(image, g, &vars)?;
        }
        if let Some(s) = &p.shadow {
            image = ops::shadow(image, s);
        }
        if let Some(r) = p.radius {
            image = ops::round_corners(image, r);
        }
        if let Some(b) = &p.border {
            let width = match &b.width {
                Scalar::Number(n) => n.get(),
                Scalar::Expr(e) => e.eval(&vars).map_err(|source| {
                    Error::Plan(geometry::PlanError::Expression { key: "b", source })
                })?,
            };
            let width = width.round().clamp(0.0, f64::from(self.limits.geometry.max_side)) as u32;
            let grown = Dimensions::new(
                image.width().saturating_add(width.saturating_mul(2)),
                image.height().saturating_add(width.saturating_mul(2)),
            );
            check_output(grown, self.limits)?;
            image = ops::border(image, width, b.color.to_rgba());
        }
        if let Some(o) = p.opacity {
            image = ops::opacity(image, o.get() as u8);
            if let Some(Background::Color(c)) = &p.background {
                // ImageKit: with bg, the result is blended onto it and is opaque.
                let [r, g, b, _] = c.to_rgba();
                image = ops::flatten(image, [r, g, b]);
            }
        }
        check_output(Dimensions::new(image.width(), image.height()), self.limits)?;
        self.out.absorb(p);
        Ok(image)
    }
}

/// Plans a step; an image over the geometry limits is an [`Error::Limit`]
/// (input pixels, output side or output pixels), like every other size
/// check of the engine.
fn plan_with(p: &Params, ctx: &PlanContext, limits: &EngineLimits) -> Result<geometry::Plan> {
    geometry::plan_with(p, ctx).map_err(|e| match e {
        // the geometry's pixel budget also bounds the image a step starts from
        geometry::PlanError::InputTooLarge { pixels, max, .. } => {
            Error::Limit(LimitExceeded { limit: Limit::InputPixels, actual: pixels, max })
        }
        geometry::PlanError::OutputTooLarge(d) => match output_limit(d, limits) {
            Some(limit) => Error::Limit(limit),
            // a resize beyond u32 that a crop would cut down: not a limit
            None => Error::Plan(e),
        },
        other => Error::Plan(other),
    })
}

/// Which output limit `d` exceeds, if any: pixels first, then sides.
fn output_limit(d: Dimensions, limits: &EngineLimits) -> Option<LimitExceeded> {
    let g = limits.geometry;
    if d.pixels() > g.max_pixels {
        return Some(LimitExceeded {
            limit: Limit::OutputPixels,
            actual: d.pixels(),
            max: g.max_pixels,
        });
    }
    let side = d.width.max(d.height);
    (side > g.max_side).then(|| LimitExceeded {
        limit: Limit::OutputSide,
        actual: side.into(),
        max: g.max_side.into(),
    })
}

/// Checks an intermediate or output size against the geometry limits
/// before the image of that size is allocated.
fn check_output(d: Dimensions, limits: &EngineLimits) -> Result<()> {
    match output_limit(d, limits) {
        Some(limit) => Err(Error::Limit(limit)),
        None => Ok(()),
    }
}
