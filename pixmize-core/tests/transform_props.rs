//! Property tests: the canonical form round-trips for every transformation
//! the types admit, parsing never panics, and the geometry planner keeps its
//! promises for any image size.
//!
//! Failing inputs found by proptest are kept in
//! `pixmize-core/proptest-regressions/transform_props.txt` and replayed first
//! (the first one found that a step could grow an input side past 65535).

use std::num::NonZeroU32;

use pixmize_core::geometry::{Dimensions, GeometryLimits, Plan, PlanError, plan};
use pixmize_core::transform::{
    Anchor, AspectRatio, AssetPath, Background, BlendMode, BlurAmount, Blurred, Border, CmpOp,
    Color, Comparison, CondValue, Condition, Conditional, Crop, CropMode, Density, DominantColors,
    Dpr, DprValue, DropShadow, Expr, Flip, Focus, Format, Fraction, Gradient, GradientDirection,
    GradientSide, Int, Layer, LayerInput, LayerKind, LayerOffset, NamedColor, Number, ObjectName,
    Op, Operand, Padding, Page, PageList, PageRange, Positive, Prompt, Property, Radius, Raw,
    Rotation, Scalar, Shadow, Sharpen, Size, Text, TextAlign, Trim, Typography, UnsharpMask, Var,
};
use pixmize_core::{Params, Step, Transformation};
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;

// ---------------------------------------------------------------------------
// Numbers

/// Any finite non-negative `f64`, biased to the boundaries and short decimals.
fn non_negative() -> BoxedStrategy<f64> {
    prop_oneof![
        3 => (0u32..100_000).prop_map(f64::from),
        3 => (0u32..100_000, 1u32..1000).prop_map(|(a, b)| f64::from(a) / f64::from(b)),
        1 => Just(0.0),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(5e-324),
        2 => any::<f64>().prop_filter_map("finite", |v| v.is_finite().then_some(v.abs())),
    ]
    .boxed()
}

fn number() -> BoxedStrategy<Number> {
    non_negative().prop_filter_map("a Number", Number::new).boxed()
}

fn positive() -> BoxedStrategy<Positive> {
    non_negative().prop_filter_map("a Positive", Positive::new).boxed()
}

fn fraction() -> BoxedStrategy<Fraction> {
    prop_oneof![
        (1u32..1000).prop_map(|n| f64::from(n) / 1000.0),
        Just(f64::MIN_POSITIVE),
        Just(1.0 - f64::EPSILON / 2.0),
        (0.0..1.0f64),
    ]
    .prop_filter_map("a Fraction", Fraction::new)
    .boxed()
}

fn int<const MIN: i32, const MAX: i32>() -> BoxedStrategy<Int<MIN, MAX>> {
    prop_oneof![Just(MIN), Just(MAX), MIN..=MAX].prop_filter_map("in range", Int::new).boxed()
}

fn nonzero() -> BoxedStrategy<NonZeroU32> {
    prop_oneof![Just(1), Just(u32::MAX), 1..100u32, 1..=u32::MAX]
        .prop_filter_map("not zero", NonZeroU32::new)
        .boxed()
}

fn any_u32() -> BoxedStrategy<u32> {
    prop_oneof![Just(0), Just(u32::MAX), 0..1000u32, any::<u32>()].boxed()
}

// ---------------------------------------------------------------------------
// Expressions

fn var() -> BoxedStrategy<Var> {
    select(vec![
        Var::Iw,
        Var::Ih,
        Var::Iar,
        Var::Cw,
        Var::Ch,
        Var::Car,
        Var::Bw,
        Var::Bh,
        Var::Bar,
        Var::Idn,
    ])
    .boxed()
}

fn op() -> BoxedStrategy<Op> {
    select(vec![Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Mod, Op::Pow]).boxed()
}

fn operand() -> BoxedStrategy<Operand> {
    prop_oneof![number().prop_map(Operand::Number), var().prop_map(Operand::Var)].boxed()
}

/// Expressions of random length, up to the longest one admitted.
fn expr() -> BoxedStrategy<Expr> {
    let rest = prop_oneof![
        8 => prop::collection::vec((op(), operand()), 0..6),
        1 => prop::collection::vec((op(), operand()), 0..=Expr::MAX_OPERATORS),
        1 => prop::collection::vec((op(), operand()), Expr::MAX_OPERATORS),
    ];
    (operand(), rest)
        .prop_filter_map("an expression", |(first, rest)| Expr::new(first, rest))
        .boxed()
}

fn scalar() -> BoxedStrategy<Scalar> {
    prop_oneof![number().prop_map(Scalar::Number), expr().prop_map(Scalar::Expr)].boxed()
}

fn size() -> BoxedStrategy<Size> {
    prop_oneof![
        4 => nonzero().prop_map(Size::Pixels),
        1 => fraction().prop_map(Size::Fraction),
        1 => Just(Size::Auto),
        2 => expr().prop_map(Size::Expr),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------
// Texts and colours

/// Text values: allowed ASCII punctuation, percent escapes and non-ASCII
/// letters, or any printable string the type accepts.
fn text() -> BoxedStrategy<Text> {
    let piece = prop_oneof![
        4 => "[A-Za-z0-9]{1,6}",
        2 => "[-._~!$'()*+;=@\"\\[\\]{}|^<>`\\\\]",
        2 => "%[0-9A-F]{2}",
        1 => "[éüßñÅΩ漢字🙂]",
    ];
    prop_oneof![
        4 => prop::collection::vec(piece, 1..8).prop_map(|v| v.concat()),
        1 => "\\PC{1,16}",
    ]
    .prop_filter_map("a Text", |s| Text::new(&s))
    .boxed()
}

fn color() -> BoxedStrategy<Color> {
    let names: Vec<NamedColor> = NamedColor::all().collect();
    prop_oneof![
        any::<[u8; 3]>().prop_map(Color::Rgb),
        (any::<[u8; 3]>(), int::<0, 99>()).prop_map(|(c, o)| Color::Rgba(c, o)),
        select(names).prop_map(Color::Named),
    ]
    .boxed()
}

fn prompt() -> BoxedStrategy<Prompt> {
    prop_oneof![text().prop_map(Prompt::Text), text().prop_map(Prompt::Encoded)].boxed()
}

// ---------------------------------------------------------------------------
// Parameter values

fn aspect_ratio() -> BoxedStrategy<AspectRatio> {
    prop_oneof![
        (positive(), positive()).prop_map(|(w, h)| AspectRatio::Ratio(w, h)),
        positive().prop_map(AspectRatio::Value),
        expr().prop_map(AspectRatio::Expr),
    ]
    .boxed()
}

fn object_name() -> BoxedStrategy<ObjectName> {
    select(ObjectName::ALL).boxed()
}

fn focus() -> BoxedStrategy<Focus> {
    prop_oneof![
        4 => select(Anchor::ALL).prop_map(Focus::Anchor),
        1 => Just(Focus::Auto),
        1 => Just(Focus::Face),
        1 => Just(Focus::Custom),
        1 => object_name().prop_map(Focus::Object),
    ]
    .boxed()
}

fn dpr() -> BoxedStrategy<Dpr> {
    prop_oneof![
        prop_oneof![
            Just(0.1),
            Just(5.0),
            0.1..=5.0f64,
            (1u32..=50).prop_map(|n| f64::from(n) / 10.0)
        ]
        .prop_filter_map("a dpr", DprValue::new)
        .prop_map(Dpr::Value),
        Just(Dpr::Auto),
    ]
    .boxed()
}

fn density() -> BoxedStrategy<Density> {
    prop_oneof![int::<1, 1200>().prop_map(Density::Dpi), expr().prop_map(Density::Expr)].boxed()
}

fn asset_path() -> BoxedStrategy<AssetPath> {
    prop::collection::vec("[A-Za-z0-9._-]{1,8}", 1..4)
        .prop_filter_map("a path", |parts| AssetPath::from_path(&format!("/{}/", parts.join("/"))))
        .boxed()
}

fn page() -> BoxedStrategy<Page> {
    prop_oneof![
        nonzero().prop_map(Page::Number),
        (nonzero(), nonzero())
            .prop_filter_map("first < last", |(a, b)| PageRange::new(a.min(b), a.max(b)))
            .prop_map(Page::Range),
        nonzero().prop_map(Page::From),
        prop::collection::vec(nonzero(), 2..6)
            .prop_filter_map("two pages", PageList::new)
            .prop_map(Page::List),
        text().prop_map(Page::Name),
    ]
    .boxed()
}

fn radius() -> BoxedStrategy<Radius> {
    prop_oneof![
        Just(Radius::Max),
        any_u32().prop_map(Radius::All),
        [any_u32(), any_u32(), any_u32(), any_u32()].prop_map(Radius::Corners),
    ]
    .boxed()
}

fn background() -> BoxedStrategy<Background> {
    let amount = prop_oneof![Just(BlurAmount::Auto), int::<0, 100>().prop_map(BlurAmount::Value)];
    let blurred = (amount, proptest::option::of(int::<-255, 255>()))
        .prop_map(|(amount, brightness)| Blurred { amount, brightness });
    prop_oneof![
        4 => color().prop_map(Background::Color),
        2 => proptest::option::of(blurred).prop_map(Background::Blurred),
        1 => Just(Background::Dominant),
        1 => proptest::option::of(select(vec![DominantColors::Two, DominantColors::Four]))
            .prop_map(Background::GradientDominant),
        1 => proptest::option::of(prompt()).prop_map(Background::GenFill),
    ]
    .boxed()
}

fn border() -> BoxedStrategy<Border> {
    (scalar(), color()).prop_map(|(width, color)| Border { width, color }).boxed()
}

fn rotation() -> BoxedStrategy<Rotation> {
    prop_oneof![Just(Rotation::Auto), int::<-360, 360>().prop_map(Rotation::Degrees)].boxed()
}

fn trim() -> BoxedStrategy<Trim> {
    prop_oneof![Just(Trim::Off), Just(Trim::On), int::<1, 99>().prop_map(Trim::Threshold)].boxed()
}

fn sharpen() -> BoxedStrategy<Sharpen> {
    prop_oneof![Just(Sharpen::Default), positive().prop_map(Sharpen::Amount)].boxed()
}

fn unsharp_mask() -> BoxedStrategy<UnsharpMask> {
    prop_oneof![
        Just(UnsharpMask::Default),
        (number(), positive(), number(), number()).prop_map(
            |(radius, sigma, amount, threshold)| {
                UnsharpMask::Custom { radius, sigma, amount, threshold }
            }
        ),
    ]
    .boxed()
}

fn shadow() -> BoxedStrategy<Shadow> {
    (
        proptest::option::of(int::<0, 15>()),
        proptest::option::of(int::<0, 100>()),
        proptest::option::of(int::<-100, 100>()),
        proptest::option::of(int::<-100, 100>()),
    )
        .prop_map(|(blur, saturation, x, y)| {
            let mut s = Shadow::default();
            (s.blur, s.saturation, s.x, s.y) = (blur, saturation, x, y);
            s
        })
        .boxed()
}

fn gradient() -> BoxedStrategy<Gradient> {
    let direction = prop_oneof![
        int::<0, 359>().prop_map(GradientDirection::Degrees),
        select(GradientSide::ALL).prop_map(GradientDirection::Side),
    ];
    (
        proptest::option::of(direction),
        proptest::option::of(color()),
        proptest::option::of(color()),
        proptest::option::of(scalar()),
    )
        .prop_map(|(direction, from, to, stop)| {
            let mut g = Gradient::default();
            (g.direction, g.from, g.to, g.stop) = (direction, from, to, stop);
            g
        })
        .boxed()
}

fn drop_shadow() -> BoxedStrategy<DropShadow> {
    (
        proptest::option::of(int::<0, 360>()),
        proptest::option::of(int::<0, 90>()),
        proptest::option::of(int::<0, 100>()),
    )
        .prop_map(|(azimuth, elevation, saturation)| {
            let mut d = DropShadow::default();
            (d.azimuth, d.elevation, d.saturation) = (azimuth, elevation, saturation);
            d
        })
        .boxed()
}

fn raw() -> BoxedStrategy<Raw> {
    prop_oneof![Just(Raw::Flag), text().prop_map(Raw::Value)].boxed()
}

fn padding() -> BoxedStrategy<Padding> {
    prop::collection::vec(scalar(), 1..=4).prop_filter_map("1 to 4 values", Padding::new).boxed()
}

fn layer_offset() -> BoxedStrategy<LayerOffset> {
    (any::<bool>(), scalar()).prop_map(|(from_end, value)| LayerOffset { from_end, value }).boxed()
}

// ---------------------------------------------------------------------------
// Steps, layers, conditionals

/// How often an optional parameter is set.
const P: f64 = 0.12;

/// Every parameter of a step, each set with probability `P`; layers nest
/// while `depth < 3`.
fn params(depth: u32) -> BoxedStrategy<Params> {
    let geometry = (
        weighted(P, size()),
        weighted(P, size()),
        weighted(P, aspect_ratio()),
        weighted(P, select(Crop::ALL)),
        weighted(P, select(CropMode::ALL)),
        weighted(P, focus()),
        weighted(P, positive()),
        weighted(P, scalar()),
        weighted(P, scalar()),
        weighted(P, scalar()),
        weighted(P, scalar()),
        weighted(P, dpr()),
    );
    let output = (
        weighted(P, int::<1, 100>()),
        weighted(P, select(Format::ALL)),
        weighted(P, any::<bool>()),
        weighted(P, any::<bool>()),
        weighted(P, any::<bool>()),
        weighted(P, any::<bool>()),
        weighted(P, density()),
        weighted(P / 2.0, any::<bool>()),
        weighted(P, asset_path()),
        weighted(P, text()),
        weighted(P, page()),
        weighted(P, any::<bool>()),
    );
    let style = (
        weighted(P, radius()),
        weighted(P, background()),
        weighted(P, border()),
        weighted(P, rotation()),
        weighted(P, select(Flip::ALL)),
        weighted(P, int::<1, 100>()),
        weighted(P, trim()),
        weighted(P, int::<0, 100>()),
        weighted(P, text()),
    );
    let effects = (
        prop::array::uniform8(prop::bool::weighted(P)),
        weighted(P, sharpen()),
        weighted(P, unsharp_mask()),
        weighted(P, shadow()),
        weighted(P, gradient()),
        weighted(P, raw()),
        weighted(P, text()),
        weighted(P, drop_shadow()),
        weighted(P, prompt()),
        weighted(P, prompt()),
    );
    let layers = if depth < 3 {
        prop_oneof![3 => Just(Vec::new()), 1 => prop::collection::vec(layer(depth + 1), 1..=2)]
            .boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (geometry.boxed(), output.boxed(), style.boxed(), effects.boxed(), layers)
        .prop_map(|(g, o, s, e, layers)| {
            let mut p = Params::new();
            (p.width, p.height, p.aspect_ratio, p.crop, p.crop_mode, p.focus, p.zoom) =
                (g.0, g.1, g.2, g.3, g.4, g.5, g.6);
            (p.x, p.y, p.x_center, p.y_center, p.dpr) = (g.7, g.8, g.9, g.10, g.11);
            (p.quality, p.format, p.lossless, p.progressive, p.metadata, p.color_profile) =
                (o.0, o.1, o.2, o.3, o.4, o.5);
            (p.density, p.original, p.default_image, p.named, p.page, p.content_credentials) =
                (o.6, o.7, o.8, o.9, o.10, o.11);
            (p.radius, p.background, p.border, p.rotation, p.flip) = (s.0, s.1, s.2, s.3, s.4);
            (p.blur, p.trim, p.opacity, p.color_replace) = (s.5, s.6, s.7, s.8);
            let [grayscale, contrast, bg_remove, remove_dot_bg, upscale, retouch, gen_var, _] = e.0;
            (p.grayscale, p.contrast, p.bg_remove, p.remove_dot_bg) =
                (grayscale, contrast, bg_remove, remove_dot_bg);
            (p.upscale, p.retouch, p.gen_variation) = (upscale, retouch, gen_var);
            (p.sharpen, p.unsharp_mask, p.shadow, p.gradient, p.colorize) =
                (e.1, e.2, e.3, e.4, e.5);
            (p.distort, p.drop_shadow, p.change_bg, p.edit) = (e.6, e.7, e.8, e.9);
            p.layers = layers;
            p
        })
        .boxed()
}

/// A step's parameters with at least one set.
fn nonempty_params(depth: u32) -> BoxedStrategy<Params> {
    (params(depth), size())
        .prop_map(|(mut p, w)| {
            if p.is_empty() {
                p.width = Some(w);
            }
            p
        })
        .boxed()
}

fn layer(depth: u32) -> BoxedStrategy<Layer> {
    let kind = select(vec![LayerKind::Image, LayerKind::Text]);
    let input =
        prop_oneof![text().prop_map(LayerInput::Plain), text().prop_map(LayerInput::Encoded)];
    let slots = (
        weighted(P, layer_offset()),
        weighted(P, layer_offset()),
        weighted(P, scalar()),
        weighted(P, scalar()),
        weighted(P, select(Anchor::ALL)),
        weighted(P, select(Anchor::ALL)),
        weighted(P, select(BlendMode::ALL)),
        weighted(P, number()),
        weighted(P, number()),
        weighted(P, number()),
    );
    let text_slots = (
        weighted(P, scalar()),
        weighted(P, text()),
        weighted(P, color()),
        weighted(P, select(TextAlign::ALL)),
        weighted(P, padding()),
        weighted(P, number()),
        weighted(P, select(Typography::ALL)),
        weighted(P, scalar()),
    );
    // A layer's own chain may hold conditionals, even inside a branch.
    (kind, input, slots, text_slots, chain(depth, true, 0..3))
        .prop_map(|(kind, input, s, t, transformation)| {
            let mut l = Layer::new(kind, input);
            (l.x, l.y, l.x_center, l.y_center, l.focus, l.anchor_point, l.blend) =
                (s.0, s.1, s.2, s.3, s.4, s.5, s.6);
            (l.start_offset, l.end_offset, l.duration) = (s.7, s.8, s.9);
            (l.font_size, l.font_family, l.color, l.align, l.padding) = (t.0, t.1, t.2, t.3, t.4);
            (l.alpha, l.typography, l.line_height) = (t.5, t.6, t.7);
            l.with_transformation(transformation).expect("the generator nests at most 3 deep")
        })
        .boxed()
}

fn comparison() -> BoxedStrategy<Comparison> {
    let property = select(vec![
        Property::Width,
        Property::Height,
        Property::AspectRatio,
        Property::InputWidth,
        Property::InputHeight,
        Property::InputAspectRatio,
    ]);
    let op = select(vec![CmpOp::Eq, CmpOp::Ne, CmpOp::Gt, CmpOp::Gte, CmpOp::Lt, CmpOp::Lte]);
    let value = prop_oneof![
        number().prop_map(CondValue::Number),
        (positive(), positive()).prop_map(|(a, b)| CondValue::Ratio(a, b)),
    ];
    (property, op, value)
        .prop_map(|(property, op, value)| Comparison { property, op, value })
        .boxed()
}

fn condition() -> BoxedStrategy<Condition> {
    (comparison(), prop::collection::vec((any::<bool>(), comparison()), 0..5))
        .prop_map(|(first, rest)| {
            rest.into_iter().fold(
                Condition::new(first),
                |c, (and, cmp)| {
                    if and { c.and(cmp) } else { c.or(cmp) }
                },
            )
        })
        .boxed()
}

fn conditional(depth: u32) -> BoxedStrategy<Conditional> {
    (condition(), chain(depth, false, 1..3), proptest::option::of(chain(depth, false, 1..3)))
        .prop_filter_map("valid branches", |(c, then, otherwise)| {
            let block = Conditional::new(c, then)?;
            match otherwise {
                Some(o) => block.with_else(o),
                None => Some(block),
            }
        })
        .boxed()
}

/// A chain of `steps` steps; conditionals only where `conditionals`.
fn chain(
    depth: u32,
    conditionals: bool,
    steps: std::ops::Range<usize>,
) -> BoxedStrategy<Transformation> {
    let step = if conditionals {
        prop_oneof![
            6 => nonempty_params(depth).prop_map(Step::Params),
            1 => conditional(depth).prop_map(Step::If),
        ]
        .boxed()
    } else {
        nonempty_params(depth).prop_map(Step::Params).boxed()
    };
    prop::collection::vec(step, steps).prop_map(Transformation::from_iter).boxed()
}

fn transformation() -> BoxedStrategy<Transformation> {
    chain(0, true, 0..5)
}

// ---------------------------------------------------------------------------
// Round trip and idempotent printing

/// `cases` cases; failures are saved to (and replayed from)
/// `pixmize-core/proptest-regressions/transform_props.txt` (cargo runs tests
/// in the package's directory).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/transform_props.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn display_then_parse_is_identity(t in transformation()) {
        let printed = t.to_string();
        let parsed = printed.parse::<Transformation>();
        prop_assert_eq!(parsed.as_ref(), Ok(&t), "{}", printed);
    }

    #[test]
    fn printing_is_idempotent(t in transformation()) {
        let once = t.to_string();
        let twice = once.parse::<Transformation>().map(|t| t.to_string());
        prop_assert_eq!(twice.as_deref(), Ok(once.as_str()));
    }

    #[test]
    fn every_parameter_value_round_trips_alone(p in nonempty_params(0)) {
        let t: Transformation = [p].into_iter().collect();
        let printed = t.to_string();
        let parsed = printed.parse::<Transformation>();
        prop_assert_eq!(parsed.as_ref(), Ok(&t), "{}", printed);
    }
}

// ---------------------------------------------------------------------------
// Parsing never panics

/// Fragments of the language, so random sequences reach deep parser states.
fn token_soup() -> BoxedStrategy<String> {
    let token = prop_oneof![
        select(vec![
            "w-",
            "h-",
            "ar-",
            "c-",
            "cm-",
            "fo-",
            "x-",
            "xc-",
            "dpr-",
            "q-",
            "bg-",
            "b-",
            "rt-",
            "e-",
            "e-usm-",
            "e-shadow-",
            "e-gradient-",
            "pg-",
            "r-",
            "t-",
            "l-image",
            "l-text",
            "l-end",
            "i-",
            "ie-",
            "lx-",
            "pa-",
            "if-",
            "if-else",
            "if-end",
            "_and_",
            "_or_",
            "_gt_",
            "_add_",
            "_mul_",
            "_pow_",
            "iw",
            "ch",
            "bar",
            "auto",
            "N",
            "at_max",
            "pad_resize",
            "top_left",
            "blurred",
            "prompt-",
            "name-",
            "ld-",
            "sp-",
            "bl-",
            "99",
            "0.5",
            "65536",
            "FF000050",
            "red",
            "@@",
            "%20",
            "é",
            "🙂",
        ])
        .prop_map(str::to_owned),
        "[0-9]{1,3}",
        "[,:_-]",
        "\\PC",
    ];
    prop::collection::vec(token, 0..24).prop_map(|v| v.concat()).boxed()
}

fn check_error(input: &str) -> Result<(), TestCaseError> {
    match input.parse::<Transformation>() {
        Ok(t) => {
            let printed = t.to_string();
            let parsed = printed.parse::<Transformation>();
            prop_assert_eq!(parsed.as_ref(), Ok(&t), "{}", printed);
        }
        Err(e) => {
            prop_assert!(e.offset() <= input.len(), "{input:?}: {e}");
            prop_assert!(input.is_char_boundary(e.offset()), "{input:?}: {e}");
            prop_assert!(e.step() <= input.matches(':').count(), "{input:?}: {e}");
        }
    }
    Ok(())
}

/// Edits a valid string: replace, delete or insert bytes, insert
/// separators, duplicate or cut a part.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize),
    Insert(usize, u8),
    Separator(usize, char),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutation() -> BoxedStrategy<Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), select(vec![',', ':', '-', '_']))
            .prop_map(|(i, c)| Mutation::Separator(i, c)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Mutation::Duplicate(i, j)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
    .boxed()
}

fn mutate(s: &str, edits: &[Mutation]) -> String {
    let mut b = s.as_bytes().to_vec();
    for m in edits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match *m {
            Mutation::Flip(i, v) if !b.is_empty() => {
                let i = i % b.len();
                b[i] = v;
            }
            Mutation::Delete(i) if !b.is_empty() => {
                b.remove(i % b.len());
            }
            Mutation::Insert(i, v) => b.insert(at(i, b.len()), v),
            Mutation::Separator(i, c) => b.insert(at(i, b.len()), c as u8),
            Mutation::Duplicate(i, j) => {
                let (i, j) = (at(i, b.len()), at(j, b.len()));
                let part = b[i.min(j)..i.max(j)].to_vec();
                b.splice(i.max(j)..i.max(j), part);
            }
            Mutation::Truncate(i) => b.truncate(at(i, b.len())),
            _ => {}
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn parse_never_panics_on_printable_strings(s in "\\PC{0,64}") {
        check_error(&s)?;
    }

    #[test]
    fn parse_never_panics_on_any_string(s in any::<String>()) {
        check_error(&s)?;
    }

    #[test]
    fn parse_never_panics_on_language_fragments(s in token_soup()) {
        check_error(&s)?;
    }

    #[test]
    fn parse_never_panics_on_mutated_transformations(
        t in transformation(),
        edits in prop::collection::vec(mutation(), 1..4),
    ) {
        check_error(&mutate(&t.to_string(), &edits))?;
    }
}

// ---------------------------------------------------------------------------
// The geometry planner

/// Image sides over the whole `u32` range, biased to the interesting ones.
fn side() -> BoxedStrategy<u32> {
    prop_oneof![
        4 => 1..5000u32,
        1 => Just(1u32),
        1 => Just(65_535u32),
        1 => 1..=100_000_000u32,
        1 => any::<u32>(),
    ]
    .boxed()
}

/// A requested side in pixels.
fn requested() -> BoxedStrategy<u32> {
    prop_oneof![
        4 => 1..5000u32,
        1 => Just(1u32),
        1 => Just(65_535u32),
        1 => Just(65_536u32),
        1 => 1..=u32::MAX,
    ]
    .boxed()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Crop(Crop),
    Pad(CropMode),
}

fn mode() -> BoxedStrategy<Mode> {
    prop_oneof![select(Crop::ALL).prop_map(Mode::Crop), select(CropMode::ALL).prop_map(Mode::Pad),]
        .boxed()
}

/// A step with both sides in pixels and a mode, plus optional focus and dpr.
fn sized_step() -> BoxedStrategy<(u32, u32, Mode, Params)> {
    (requested(), requested(), mode(), weighted(0.3, select(Anchor::ALL)), weighted(0.3, dpr()))
        .prop_map(|(w, h, mode, anchor, dpr)| {
            let mut p = Params::new();
            p.width = Size::px(w);
            p.height = Size::px(h);
            match mode {
                Mode::Crop(c) => p.crop = Some(c),
                Mode::Pad(cm) => p.crop_mode = Some(cm),
            }
            p.focus = anchor.map(Focus::Anchor);
            p.dpr = dpr.filter(|d| matches!(d, Dpr::Value(_)));
            (w, h, mode, p)
        })
        .boxed()
}

/// The box a step asks for: ImageKit ignores sides over 65535, and `dpr`
/// when a scaled side would leave 1 to 5000 px.
fn requested_box(w: u32, h: u32, p: &Params) -> Option<(u32, u32)> {
    let max = GeometryLimits::default().max_side;
    if w > max || h > max {
        return None;
    }
    let (wf, hf) = (f64::from(w), f64::from(h));
    let Some(Dpr::Value(d)) = p.dpr else { return Some((w, h)) };
    let (sw, sh) = (wf * d.get(), hf * d.get());
    let ok = |v: f64| (1.0..=5000.0).contains(&v);
    if ok(sw) && ok(sh) {
        Some((sw.round().max(1.0) as u32, sh.round().max(1.0) as u32))
    } else {
        Some((w, h))
    }
}

fn within_limits(d: Dimensions) -> bool {
    let l = GeometryLimits::default();
    d.width <= l.max_side && d.height <= l.max_side && d.pixels() <= l.max_pixels
}

fn check_plan(p: &Plan, input: Dimensions) -> Result<(), TestCaseError> {
    let c = p.crop;
    prop_assert!(u64::from(c.x) + u64::from(c.width) <= u64::from(p.resize.width), "{p:?}");
    prop_assert!(u64::from(c.y) + u64::from(c.height) <= u64::from(p.resize.height), "{p:?}");
    let w = u64::from(c.width) + u64::from(p.pad.left) + u64::from(p.pad.right);
    let h = u64::from(c.height) + u64::from(p.pad.top) + u64::from(p.pad.bottom);
    prop_assert_eq!((w, h), (u64::from(p.output.width), u64::from(p.output.height)), "{:?}", p);
    prop_assert!(p.output.width > 0 && p.output.height > 0, "{p:?}");
    let l = GeometryLimits::default();
    prop_assert!(p.output.pixels() <= l.max_pixels, "{p:?}");
    prop_assert!(p.output.width <= l.max_side.max(input.width), "grown past the limit: {p:?}");
    prop_assert!(p.output.height <= l.max_side.max(input.height), "grown past the limit: {p:?}");
    Ok(())
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

/// The output of a step that must be planned.
fn planned(result: &Result<Plan, PlanError>) -> Result<Dimensions, TestCaseError> {
    result.as_ref().map(|p| p.output).map_err(|e| fail(format!("not planned: {e:?}")))
}

/// Whether the smallest size with `src`'s aspect ratio covering `bw`×`bh`
/// is within the limits: `Some(true)` or `Some(false)` when it is clear
/// whichever way its derived side rounds, `None` within a pixel of a limit.
fn cover_fits(src: Dimensions, bw: u32, bh: u32) -> Option<bool> {
    let (sw, sh) = (f64::from(src.width), f64::from(src.height));
    let (bwf, bhf) = (f64::from(bw), f64::from(bh));
    let scale = (bwf / sw).max(bhf / sh);
    let (w, h) = (sw * scale, sh * scale);
    let l = GeometryLimits::default();
    let fits = |slack: f64| {
        let (w, h) = ((w + slack).max(bwf), (h + slack).max(bhf));
        w <= f64::from(l.max_side.max(src.width))
            && h <= f64::from(l.max_side.max(src.height))
            && w * h <= l.max_pixels as f64
    };
    match (fits(1.0), fits(-1.0)) {
        (true, _) => Some(true),
        (false, false) => Some(false),
        (false, true) => None,
    }
}

/// |out.w / out.h − src.w / src.h| within what rounding one side allows.
fn keeps_aspect(src: Dimensions, out: Dimensions) -> bool {
    let cross = (f64::from(out.width) * f64::from(src.height)
        - f64::from(out.height) * f64::from(src.width))
    .abs();
    cross <= f64::from(src.width.max(src.height))
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn planning_never_panics(w in side(), h in side(), p in nonempty_params(2)) {
        let src = Dimensions::new(w, h);
        if let Ok(plan) = plan(src, &p) {
            check_plan(&plan, src)?;
        }
    }

    #[test]
    fn planned_modes_keep_their_promises(sw in side(), sh in side(), (w, h, mode, p) in sized_step()) {
        let src = Dimensions::new(sw, sh);
        let result = plan(src, &p);
        if let Ok(plan) = &result {
            check_plan(plan, src)?;
        }
        let input_ok = src.pixels() <= GeometryLimits::default().max_pixels;
        if !input_ok {
            prop_assert!(matches!(result, Err(PlanError::InputTooLarge { .. })), "{result:?}");
            return Ok(());
        }
        let Some((bw, bh)) = requested_box(w, h, &p) else {
            // A side over 65535 is ignored: one side left, or none.
            return Ok(());
        };
        let exact = Dimensions::new(bw, bh);
        match mode {
            Mode::Crop(Crop::MaintainRatio) => match &result {
                Ok(plan) => prop_assert_eq!(plan.output, exact),
                Err(e) => {
                    // Only when the box is too large, or covering it needs a
                    // resized side beyond u32.
                    let scale = (f64::from(bw) / f64::from(sw)).max(f64::from(bh) / f64::from(sh));
                    let longest = (f64::from(sw) * scale).max(f64::from(sh) * scale);
                    prop_assert!(
                        matches!(e, PlanError::OutputTooLarge(_))
                            && (!within_limits(exact) || longest >= f64::from(u32::MAX) - 0.5),
                        "{e:?}"
                    );
                }
            },
            Mode::Crop(Crop::Force)
            | Mode::Pad(CropMode::PadResize | CropMode::PadResizeNoEnlarge | CropMode::PadExtract) => {
                if within_limits(exact) {
                    prop_assert_eq!(result.map(|p| p.output), Ok(exact));
                } else {
                    prop_assert!(matches!(result, Err(PlanError::OutputTooLarge(_))), "{result:?}");
                }
            }
            // Never larger than the input, which is within the limits: always planned.
            Mode::Crop(Crop::AtMax) => {
                let out = planned(&result)?;
                prop_assert!(out.width <= bw && out.height <= bh, "fits the box: {out}");
                prop_assert!(out.width <= sw && out.height <= sh, "never enlarges: {out}");
                prop_assert!(out == src || out.width == bw || out.height == bh, "{out}");
                prop_assert!(keeps_aspect(src, out), "{src} -> {out}");
            }
            // Within the box: planned when the box is within the limits.
            Mode::Crop(Crop::AtMaxEnlarge) => {
                if !within_limits(exact) && result.is_err() {
                    prop_assert!(matches!(result, Err(PlanError::OutputTooLarge(_))), "{result:?}");
                    return Ok(());
                }
                let out = planned(&result)?;
                prop_assert!(out.width <= bw && out.height <= bh, "fits the box: {out}");
                prop_assert!(out.width == bw || out.height == bh, "{out}");
                prop_assert!(keeps_aspect(src, out), "{src} -> {out}");
            }
            // Covers the box: planned when the covering size is within the
            // limits, which the box alone does not tell (1×5000 covering
            // 5000×1 is 5000×25000000).
            Mode::Crop(Crop::AtLeast) => {
                match cover_fits(src, bw, bh) {
                    Some(true) => {}
                    Some(false) => {
                        prop_assert!(matches!(result, Err(PlanError::OutputTooLarge(_))), "{result:?}");
                        return Ok(());
                    }
                    // Within a pixel of a limit: rounding decides.
                    None if result.is_err() => {
                        prop_assert!(matches!(result, Err(PlanError::OutputTooLarge(_))), "{result:?}");
                        return Ok(());
                    }
                    None => {}
                }
                let out = planned(&result)?;
                prop_assert!(out.width >= bw && out.height >= bh, "covers the box: {out}");
                prop_assert!(out.width == bw || out.height == bh, "{out}");
                prop_assert!(keeps_aspect(src, out), "{src} -> {out}");
            }
            // Never enlarges, and the output is within the box: always planned.
            Mode::Crop(Crop::MaintainRatioNoEnlarge) => {
                let plan = result.as_ref().map_err(|e| fail(format!("not planned: {e:?}")))?;
                let out = plan.output;
                prop_assert!(out.width <= bw && out.height <= bh, "within the box: {out}");
                prop_assert!(plan.resize.width <= sw && plan.resize.height <= sh, "never enlarges");
            }
            // A region of the input: always planned.
            Mode::Pad(CropMode::Extract) => {
                let plan = result.as_ref().map_err(|e| fail(format!("not planned: {e:?}")))?;
                prop_assert_eq!(plan.resize, src, "extract never resizes");
                prop_assert_eq!(plan.output, Dimensions::new(bw.min(sw), bh.min(sh)));
            }
            // max(box, input) on each side: planned when that is within the limits.
            Mode::Pad(CropMode::PadExtractNoShrink) => {
                let expected = Dimensions::new(bw.max(sw), bh.max(sh));
                if expected.pixels() > GeometryLimits::default().max_pixels {
                    prop_assert!(matches!(result, Err(PlanError::OutputTooLarge(_))), "{result:?}");
                } else {
                    let plan = result.as_ref().map_err(|e| fail(format!("not planned: {e:?}")))?;
                    prop_assert_eq!(plan.crop.size(), src, "never crops");
                    prop_assert_eq!(plan.output, expected);
                }
            }
            Mode::Crop(_) | Mode::Pad(_) => {}
        }
    }

    #[test]
    fn one_side_resizes_without_cropping(
        sw in side(), sh in side(), n in requested(), width in any::<bool>(), crop in select(Crop::ALL),
    ) {
        let src = Dimensions::new(sw, sh);
        let mut p = Params::new().crop(crop);
        if width { p.width = Size::px(n) } else { p.height = Size::px(n) }
        let result = plan(src, &p);
        if let Err(e) = &result {
            // Only a size limit stops a one-sided resize (1×5000 at w-5000
            // is 5000×25000000).
            prop_assert!(
                matches!(e, PlanError::OutputTooLarge(_) | PlanError::InputTooLarge { .. }),
                "{e:?}"
            );
        }
        if let Ok(plan) = result {
            check_plan(&plan, src)?;
            prop_assert!(plan.pad.is_zero(), "{plan:?}");
            prop_assert_eq!(plan.crop.size(), plan.resize, "no crop");
            prop_assert!(keeps_aspect(src, plan.output) || plan.output.width == 1 || plan.output.height == 1,
                "{src} -> {:?}", plan.output);
            if n <= GeometryLimits::default().max_side {
                let given = if width { plan.output.width } else { plan.output.height };
                let side = if width { sw } else { sh };
                let never_enlarges = matches!(crop, Crop::AtMax | Crop::MaintainRatioNoEnlarge);
                prop_assert!(given == n || (never_enlarges && n >= side && plan.output == src),
                    "{src}, {n}: {:?}", plan.output);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The generators themselves

/// Layer nesting depth of a chain.
fn layer_depth(t: &Transformation) -> usize {
    let steps = t.steps().iter().map(|s| match s {
        Step::Params(p) => {
            p.layers.iter().map(|l| 1 + layer_depth(l.transformation())).max().unwrap_or(0)
        }
        Step::If(c) => layer_depth(c.then()).max(c.otherwise().map(layer_depth).unwrap_or(0)),
        _ => 0,
    });
    steps.max().unwrap_or(0)
}

fn collect_keys(t: &Transformation, keys: &mut std::collections::BTreeSet<&'static str>) {
    for step in t.steps() {
        match step {
            Step::Params(p) => {
                keys.extend(p.keys());
                for l in &p.layers {
                    keys.extend(l.keys());
                    collect_keys(l.transformation(), keys);
                }
            }
            Step::If(c) => {
                keys.insert("if");
                collect_keys(c.then(), keys);
                if let Some(o) = c.otherwise() {
                    keys.insert("if-else");
                    collect_keys(o, keys);
                }
            }
            _ => {}
        }
    }
}

/// The round-trip properties are only as strong as the generators: they
/// must reach every parameter, the deepest layers, both conditional forms,
/// every variable and operator, and the longest expressions.
#[test]
fn generators_cover_the_language() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = transformation();
    let mut keys = std::collections::BTreeSet::new();
    let (mut deepest, mut text) = (0, String::new());
    for _ in 0..3000 {
        let t = strategy.new_tree(&mut runner).expect("a value").current();
        collect_keys(&t, &mut keys);
        deepest = deepest.max(layer_depth(&t));
        text.push_str(&t.to_string());
        text.push('\n');
    }
    let missing: Vec<_> = Params::KEYS
        .iter()
        .chain(Layer::KEYS)
        .chain(&["if", "if-else"])
        .filter(|k| !keys.contains(*k))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
    assert_eq!(deepest, 3, "layers nest three deep");
    for word in ["iw", "ih", "iar", "cw", "ch", "car", "bw", "bh", "bar", "idn"]
        .into_iter()
        .chain(["_add_", "_sub_", "_mul_", "_div_", "_mod_", "_pow_", "_and_", "_or_"])
        .chain(["%", "é", "N", "-prompt-", "-prompte-", "name-"])
    {
        assert!(text.contains(word), "never generated {word:?}");
    }
    let longest = text
        .split([',', ':', '-'])
        .map(|item| {
            ["_add_", "_sub_", "_mul_", "_div_", "_mod_", "_pow_"]
                .iter()
                .map(|op| item.matches(op).count())
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    // (an item may hold several expressions, e.g. `pa-…_…`)
    assert!(longest >= Expr::MAX_OPERATORS, "the longest expressions are generated: {longest}");
}

/// Layers nested deeper than ImageKit's three levels cannot be built, so
/// the round trip covers every value: `with_transformation` refuses a
/// fourth level, the parser rejects its text, and three levels round-trip.
#[test]
fn a_fourth_layer_level_cannot_be_built() {
    let input = |s: &str| LayerInput::Plain(Text::new(s).expect("a valid text"));
    let nest = |inner: Layer, name: &str| {
        let t: Transformation = [Params::new().layer(inner)].into_iter().collect();
        Layer::new(LayerKind::Image, input(name)).with_transformation(t)
    };
    let d = Layer::new(LayerKind::Image, input("d"));
    assert_eq!(d.depth(), 1);
    let c = nest(d, "c").expect("two levels");
    let b = nest(c, "b").expect("three levels");
    assert_eq!(b.depth(), Layer::MAX_DEPTH);
    assert!(nest(b.clone(), "a").is_none(), "a fourth level is refused");
    // Also through a conditional branch inside the layer's chain.
    let branch: Transformation = [Params::new().layer(b.clone())].into_iter().collect();
    let cond = Conditional::new(
        Condition::new(Comparison {
            property: Property::Width,
            op: CmpOp::Gt,
            value: CondValue::Number(Number::new(1.0).expect("a number")),
        }),
        branch,
    )
    .expect("a valid branch");
    let t: Transformation = [Params::new().width(Size::px(10).expect("a size"))]
        .into_iter()
        .map(Step::from)
        .chain([Step::from(cond)])
        .collect();
    assert_eq!(t.layer_depth(), 3);
    assert!(Layer::new(LayerKind::Image, input("a")).with_transformation(t).is_none());

    // Three levels print and parse back; the fourth level's text does not parse.
    let t: Transformation = [Params::new().layer(b)].into_iter().collect();
    let printed = t.to_string();
    assert_eq!(printed, "l-image,i-b,l-image,i-c,l-image,i-d,l-end,l-end,l-end");
    assert_eq!(printed.parse::<Transformation>(), Ok(t));
    let four = "l-image,i-a,l-image,i-b,l-image,i-c,l-image,i-d,l-end,l-end,l-end,l-end";
    let err = four.parse::<Transformation>().expect_err("four levels are too deep");
    assert_eq!(err.kind(), &pixmize_core::ParseErrorKind::LayerTooDeep);
    assert_eq!((err.offset(), err.step(), err.key()), (36, 0, Some("l-image")));
}
