//! Conditional blocks: `if-ar_gt_1,w-200,if-else,w-300,if-end`.
//!
//! A condition compares a property (`w h ar` of the current image, `iw ih
//! iar` of the original) with a number using `eq ne gt gte lt lte`;
//! comparisons combine with `_and_` and `_or_`, and `and` binds tighter
//! (ImageKit's "conditional transformations" docs).

use std::fmt;

use super::number::{Number, Positive};
use super::{Step, Transformation};

macro_rules! words {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            /// As written.
            #[must_use]
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            fn from_word(s: &str) -> Option<$name> { match s { $($s => Some($name::$v),)+ _ => None } }
        }
    };
}

words! {
    /// A property a condition reads.
    pub enum Property {
        /// `w`: current width.
        Width = "w",
        /// `h`: current height.
        Height = "h",
        /// `ar`: current aspect ratio.
        AspectRatio = "ar",
        /// `iw`: original width.
        InputWidth = "iw",
        /// `ih`: original height.
        InputHeight = "ih",
        /// `iar`: original aspect ratio.
        InputAspectRatio = "iar",
    }
}

words! {
    /// A comparison operator.
    pub enum CmpOp {
        /// `eq`
        Eq = "eq",
        /// `ne`
        Ne = "ne",
        /// `gt`
        Gt = "gt",
        /// `gte`
        Gte = "gte",
        /// `lt`
        Lt = "lt",
        /// `lte`
        Lte = "lte",
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CondValue {
    /// A number.
    Number(Number),
    /// A ratio written `4-3` (for aspect ratios).
    Ratio(Positive, Positive),
}

impl CondValue {
    /// The value as a number.
    #[must_use]
    pub fn get(self) -> f64 {
        match self {
            CondValue::Number(n) => n.get(),
            CondValue::Ratio(a, b) => a.get() / b.get(),
        }
    }
}

/// `<property>_<op>_<value>`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// What is compared.
    pub property: Property,
    /// How.
    pub op: CmpOp,
    /// With what.
    pub value: CondValue,
}

impl Comparison {
    fn holds(&self, current: (f64, f64), original: (f64, f64)) -> bool {
        let lhs = match self.property {
            Property::Width => current.0,
            Property::Height => current.1,
            Property::AspectRatio => current.0 / current.1,
            Property::InputWidth => original.0,
            Property::InputHeight => original.1,
            Property::InputAspectRatio => original.0 / original.1,
        };
        let rhs = self.value.get();
        match self.op {
            CmpOp::Eq => lhs == rhs,
            CmpOp::Ne => lhs != rhs,
            CmpOp::Gt => lhs > rhs,
            CmpOp::Gte => lhs >= rhs,
            CmpOp::Lt => lhs < rhs,
            CmpOp::Lte => lhs <= rhs,
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}_", self.property.as_str(), self.op.as_str())?;
        match self.value {
            CondValue::Number(n) => fmt::Display::fmt(&n, f),
            CondValue::Ratio(a, b) => write!(f, "{a}-{b}"),
        }
    }
}

/// Comparisons joined by `or`, each side a group joined by `and`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    any: Vec<Vec<Comparison>>,
}

impl Condition {
    /// A single comparison.
    #[must_use]
    pub fn new(c: Comparison) -> Condition {
        Condition { any: vec![vec![c]] }
    }

    /// `self _and_ c` (binding to the last `or` group).
    #[must_use]
    pub fn and(mut self, c: Comparison) -> Condition {
        if let Some(last) = self.any.last_mut() {
            last.push(c);
        }
        self
    }

    /// `self _or_ c`.
    #[must_use]
    pub fn or(mut self, c: Comparison) -> Condition {
        self.any.push(vec![c]);
        self
    }

    /// The `or` groups, each a list of comparisons joined by `and`.
    #[must_use]
    pub fn groups(&self) -> &[Vec<Comparison>] {
        &self.any
    }

    /// Evaluates against the current and original sizes.
    #[must_use]
    pub fn holds(&self, current: (u32, u32), original: (u32, u32)) -> bool {
        let c = (f64::from(current.0), f64::from(current.1));
        let o = (f64::from(original.0), f64::from(original.1));
        self.any.iter().any(|group| group.iter().all(|cmp| cmp.holds(c, o)))
    }

    /// Parses `w_gt_400_and_ar_lt_1-1`; errors carry (offset, reason).
    pub(crate) fn parse(s: &str) -> Result<Condition, (usize, String)> {
        let mut words = Vec::new();
        let mut at = 0;
        for w in s.split('_') {
            words.push((at, w));
            at += w.len() + 1;
        }
        let mut any: Vec<Vec<Comparison>> = vec![Vec::new()];
        let mut i = 0;
        loop {
            let word = |i: usize| words.get(i).copied().unwrap_or((s.len(), ""));
            let (pa, p) = word(i);
            let property = Property::from_word(p)
                .ok_or_else(|| (pa, format!("`{p}` is not a property (w, h, ar, iw, ih, iar)")))?;
            let (oa, o) = word(i + 1);
            let op = CmpOp::from_word(o).ok_or_else(|| {
                (oa, format!("`{o}` is not a comparison (eq, ne, gt, gte, lt, lte)"))
            })?;
            let (va, v) = word(i + 2);
            let value = parse_value(v)
                .ok_or_else(|| (va, format!("`{v}` is not a number or a ratio such as 4-3")))?;
            if let Some(group) = any.last_mut() {
                group.push(Comparison { property, op, value });
            }
            match words.get(i + 3) {
                None => break,
                Some((_, "and")) => {}
                Some((_, "or")) => any.push(Vec::new()),
                Some(&(ja, j)) => return Err((ja, format!("expected `and` or `or`, found `{j}`"))),
            }
            i += 4;
        }
        Ok(Condition { any })
    }
}

fn parse_value(v: &str) -> Option<CondValue> {
    match v.split_once('-') {
        Some((a, b)) => Some(CondValue::Ratio(Positive::parse(a).ok()?, Positive::parse(b).ok()?)),
        None => Number::parse(v).ok().map(CondValue::Number),
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.any.iter().enumerate() {
            if i > 0 {
                f.write_str("_or_")?;
            }
            for (j, c) in group.iter().enumerate() {
                if j > 0 {
                    f.write_str("_and_")?;
                }
                fmt::Display::fmt(&c, f)?;
            }
        }
        Ok(())
    }
}

/// `if-<condition>,<then>[,if-else,<otherwise>],if-end`: the branches are
/// chains (they may contain `:`), and a block stands alone in its step.
///
/// ```
/// use pixmize_core::transform::{Step, Transformation};
/// let t: Transformation = "if-ar_gt_1,w-200,if-else,w-300:rt-90,if-end".parse()?;
/// let Step::If(block) = &t.steps()[0] else { unreachable!() };
/// assert!(block.condition().holds((400, 300), (400, 300)));
/// assert_eq!(block.otherwise().map(|t| t.steps().len()), Some(2));
/// # Ok::<(), pixmize_core::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Conditional {
    condition: Condition,
    then: Transformation,
    otherwise: Option<Transformation>,
}

impl Conditional {
    /// A block without `if-else`. `None` when `then` is empty or holds a
    /// conditional (ImageKit does not nest them).
    #[must_use]
    pub fn new(condition: Condition, then: Transformation) -> Option<Conditional> {
        valid_branch(&then).then_some(Conditional { condition, then, otherwise: None })
    }

    /// Adds an `if-else` branch; `None` when it is empty or holds a conditional.
    #[must_use]
    pub fn with_else(mut self, otherwise: Transformation) -> Option<Conditional> {
        valid_branch(&otherwise).then(|| {
            self.otherwise = Some(otherwise);
            self
        })
    }

    pub(crate) fn from_parts_unchecked(
        condition: Condition,
        then: Transformation,
        otherwise: Option<Transformation>,
    ) -> Conditional {
        Conditional { condition, then, otherwise }
    }

    /// The condition.
    #[must_use]
    pub fn condition(&self) -> &Condition {
        &self.condition
    }

    /// Applied when the condition holds.
    #[must_use]
    pub fn then(&self) -> &Transformation {
        &self.then
    }

    /// Applied otherwise, if given.
    #[must_use]
    pub fn otherwise(&self) -> Option<&Transformation> {
        self.otherwise.as_ref()
    }
}

fn valid_branch(t: &Transformation) -> bool {
    !t.is_empty() && t.steps().iter().all(|s| matches!(s, Step::Params(_)))
}

impl fmt::Display for Conditional {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "if-{},{}", self.condition, self.then)?;
        if let Some(o) = &self.otherwise {
            write!(f, ",if-else,{o}")?;
        }
        f.write_str(",if-end")
    }
}
