//! Arithmetic expressions (`iw_div_2`, `ch_mul_0.8`, `bw_sub_20`).
//!
//! ImageKit's grammar is `value(_op_value)*` with operators `add sub mul div
//! mod pow` and an unusual precedence that this module copies exactly:
//! 1. `mul` and `div`, left to right; 2. `add` and `sub`, left to right;
//! 3. `mod`; 4. `pow`, last (ImageKit's "arithmetic expressions" docs).
//!
//! Operators of one level group left to right, `pow` included.

use std::fmt;
use std::str::FromStr;

use super::number::Number;
use super::parse::ValueError;

/// A variable an expression may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Var {
    /// `iw`: the original image's width (inside a layer: the overlay's).
    Iw,
    /// `ih`: the original image's height.
    Ih,
    /// `iar`: the original image's aspect ratio (width / height).
    Iar,
    /// `cw`: the current width, after the previous chain step.
    Cw,
    /// `ch`: the current height.
    Ch,
    /// `car`: the current aspect ratio.
    Car,
    /// `bw`: the base image's width (only inside layers).
    Bw,
    /// `bh`: the base image's height (only inside layers).
    Bh,
    /// `bar`: the base image's aspect ratio (only inside layers).
    Bar,
    /// `idn`: the original image's density in DPI (for `dn`).
    Idn,
}

impl Var {
    const ALL: [Var; 10] = [
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
    ];

    /// The name as written, e.g. `"iw"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Var::Iw => "iw",
            Var::Ih => "ih",
            Var::Iar => "iar",
            Var::Cw => "cw",
            Var::Ch => "ch",
            Var::Car => "car",
            Var::Bw => "bw",
            Var::Bh => "bh",
            Var::Bar => "bar",
            Var::Idn => "idn",
        }
    }

    /// Whether the variable refers to the base image, which only exists inside a layer.
    #[must_use]
    pub fn is_base(self) -> bool {
        matches!(self, Var::Bw | Var::Bh | Var::Bar)
    }

    fn from_name(s: &str) -> Option<Var> {
        Var::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`
    Div,
    /// `mod` (remainder of the division, with the sign of the dividend)
    Mod,
    /// `pow`
    Pow,
}

impl Op {
    /// The name as written, e.g. `"mul"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Div => "div",
            Op::Mod => "mod",
            Op::Pow => "pow",
        }
    }

    /// Binding level: lower binds tighter (mul/div 0, add/sub 1, mod 2, pow 3).
    #[must_use]
    pub fn level(self) -> u8 {
        match self {
            Op::Mul | Op::Div => 0,
            Op::Add | Op::Sub => 1,
            Op::Mod => 2,
            Op::Pow => 3,
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Op> {
        [Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Mod, Op::Pow].into_iter().find(|o| o.as_str() == s)
    }

    fn apply(self, a: f64, b: f64) -> Result<f64, EvalError> {
        Ok(match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div if b == 0.0 => return Err(EvalError::DivisionByZero),
            Op::Div => a / b,
            Op::Mod if b == 0.0 => return Err(EvalError::DivisionByZero),
            Op::Mod => a % b,
            Op::Pow => a.powf(b),
        })
    }
}

/// An operand: a number or a variable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand {
    /// A literal.
    Number(Number),
    /// A variable.
    Var(Var),
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Number(n) => fmt::Display::fmt(&n, f),
            Operand::Var(v) => f.write_str(v.as_str()),
        }
    }
}

/// A node of an expression tree.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprNode {
    /// A leaf.
    Operand(Operand),
    /// `lhs op rhs`.
    Binary {
        /// The operator.
        op: Op,
        /// Left side.
        lhs: Box<ExprNode>,
        /// Right side.
        rhs: Box<ExprNode>,
    },
}

/// An arithmetic expression with at least one variable or operator (a plain
/// number is written as a number, not an expression).
///
/// ```
/// use pixmize_core::transform::{Expr, Vars};
/// let e: Expr = "iw_sub_20_mul_2_pow_2".parse()?;
/// // mul first, then sub, then pow: (iw - (20 × 2))²
/// let vars = Vars::new(100.0, 50.0, 100.0, 50.0);
/// assert_eq!(e.eval(&vars)?, 3600.0);
/// assert_eq!(e.to_string(), "iw_sub_20_mul_2_pow_2");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    root: ExprNode,
}

impl Expr {
    /// The most operators an expression may hold. ImageKit documents no
    /// limit; this one keeps the tree (which is walked recursively) shallow,
    /// so a hostile input cannot overflow the stack.
    pub const MAX_OPERATORS: usize = 100;

    /// Builds the tree of `first op₁ x₁ op₂ x₂ …` with ImageKit's precedence.
    /// Returns `None` for a lone number, which is not an expression, and for
    /// more than [`Expr::MAX_OPERATORS`] operators.
    #[must_use]
    pub fn new(first: Operand, rest: Vec<(Op, Operand)>) -> Option<Expr> {
        if rest.is_empty() && matches!(first, Operand::Number(_))
            || rest.len() > Expr::MAX_OPERATORS
        {
            return None;
        }
        let mut rest = rest.into_iter().peekable();
        Some(Expr { root: climb(ExprNode::Operand(first), &mut rest, 3) })
    }

    /// A lone variable, e.g. `ih`.
    #[must_use]
    pub fn var(v: Var) -> Expr {
        Expr { root: ExprNode::Operand(Operand::Var(v)) }
    }

    /// The tree's root.
    #[must_use]
    pub fn root(&self) -> &ExprNode {
        &self.root
    }

    /// The variables used, left to right.
    pub fn vars(&self) -> impl Iterator<Item = Var> + '_ {
        let mut out = Vec::new();
        walk(&self.root, &mut |o| {
            if let Operand::Var(v) = o {
                out.push(*v);
            }
        });
        out.into_iter()
    }

    /// Evaluates the expression.
    ///
    /// # Errors
    /// [`EvalError::DivisionByZero`], [`EvalError::NoBase`] when a layer-only
    /// variable is read outside a layer, [`EvalError::NoDensity`], and
    /// [`EvalError::NotFinite`] when the result overflows.
    pub fn eval(&self, vars: &Vars) -> Result<f64, EvalError> {
        let v = eval(&self.root, vars)?;
        if v.is_finite() { Ok(v) } else { Err(EvalError::NotFinite) }
    }

    /// Parses in a context (kept for symmetry with the other values; layer
    /// variables outside a layer are reported when evaluated, as
    /// [`EvalError::NoBase`], so that every expression prints and parses back).
    pub(crate) fn parse_in(s: &str, _ctx: super::parse::Ctx) -> Result<Expr, ValueError> {
        Expr::parse(s)
    }

    pub(crate) fn parse(s: &str) -> Result<Expr, ValueError> {
        let mut pos = 0;
        let mut parts = s.split('_').map(|part| {
            let at = pos;
            pos += part.len() + 1;
            (at, part)
        });
        let operand = |(at, part): (usize, &str)| -> Result<Operand, ValueError> {
            if let Some(v) = Var::from_name(part) {
                Ok(Operand::Var(v))
            } else if Number::looks_numeric(part) {
                Number::parse(part).map(Operand::Number).map_err(|e| e.at(at))
            } else {
                Err(ValueError::invalid(format!(
                    "`{part}` is not a number or a variable (iw ih iar cw ch car bw bh bar idn)"
                ))
                .at(at))
            }
        };
        let first = operand(parts.next().unwrap_or((0, "")))?;
        let mut rest = Vec::new();
        while let Some((at, op)) = parts.next() {
            if rest.len() == Expr::MAX_OPERATORS {
                return Err(ValueError::out_of_range_owned(format!(
                    "at most {} operators in an expression",
                    Expr::MAX_OPERATORS
                ))
                .at(at));
            }
            let op = Op::from_name(op).ok_or_else(|| {
                ValueError::invalid(format!("`{op}` is not an operator (add sub mul div mod pow)"))
                    .at(at)
            })?;
            let Some(next) = parts.next() else {
                return Err(ValueError::invalid(format!(
                    "operator `{}` needs a value after it",
                    op.as_str()
                ))
                .at(at));
            };
            rest.push((op, operand(next)?));
        }
        Expr::new(first, rest)
            .ok_or_else(|| ValueError::invalid("a plain number is not an expression"))
    }
}

fn climb(
    mut lhs: ExprNode,
    rest: &mut std::iter::Peekable<std::vec::IntoIter<(Op, Operand)>>,
    max_level: u8,
) -> ExprNode {
    // Precedence climbing: fold operators of level <= max_level, left to right;
    // a tighter operator after the right operand binds it first.
    while let Some(&(op, _)) = rest.peek() {
        if op.level() > max_level {
            break;
        }
        let Some((op, operand)) = rest.next() else { break };
        let mut rhs = ExprNode::Operand(operand);
        while let Some(&(next, _)) = rest.peek() {
            if next.level() >= op.level() {
                break;
            }
            rhs = climb(rhs, rest, op.level() - 1);
        }
        lhs = ExprNode::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) };
    }
    lhs
}

fn walk(node: &ExprNode, f: &mut impl FnMut(&Operand)) {
    match node {
        ExprNode::Operand(o) => f(o),
        ExprNode::Binary { lhs, rhs, .. } => {
            walk(lhs, f);
            walk(rhs, f);
        }
    }
}

fn eval(node: &ExprNode, vars: &Vars) -> Result<f64, EvalError> {
    match node {
        ExprNode::Operand(Operand::Number(n)) => Ok(n.get()),
        ExprNode::Operand(Operand::Var(v)) => vars.get(*v),
        ExprNode::Binary { op, lhs, rhs } => op.apply(eval(lhs, vars)?, eval(rhs, vars)?),
    }
}

fn write_node(node: &ExprNode, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match node {
        ExprNode::Operand(o) => fmt::Display::fmt(&o, f),
        ExprNode::Binary { op, lhs, rhs } => {
            write_node(lhs, f)?;
            write!(f, "_{}_", op.as_str())?;
            write_node(rhs, f)
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Trees are only built from flat sequences with the fixed precedence,
        // so an in-order walk gives the sequence back.
        write_node(&self.root, f)
    }
}

impl FromStr for Expr {
    type Err = super::InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Expr::parse(s).map_err(ValueError::into_public)
    }
}

/// The values of the variables, for [`Expr::eval`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Vars {
    /// Original width.
    pub iw: f64,
    /// Original height.
    pub ih: f64,
    /// Current width.
    pub cw: f64,
    /// Current height.
    pub ch: f64,
    /// The base image's size, inside a layer.
    pub base: Option<(f64, f64)>,
    /// The original image's density in DPI, when known.
    pub density: Option<f64>,
}

impl Vars {
    /// Variables outside any layer.
    #[must_use]
    pub fn new(iw: f64, ih: f64, cw: f64, ch: f64) -> Vars {
        Vars { iw, ih, cw, ch, base: None, density: None }
    }

    /// The value of `v`.
    ///
    /// # Errors
    /// [`EvalError::NoBase`] for `bw`/`bh`/`bar` without a base, and
    /// [`EvalError::NoDensity`] for `idn` without a density.
    pub fn get(&self, v: Var) -> Result<f64, EvalError> {
        let base = self.base.ok_or(EvalError::NoBase);
        Ok(match v {
            Var::Iw => self.iw,
            Var::Ih => self.ih,
            Var::Iar => self.iw / self.ih,
            Var::Cw => self.cw,
            Var::Ch => self.ch,
            Var::Car => self.cw / self.ch,
            Var::Bw => base?.0,
            Var::Bh => base?.1,
            Var::Bar => {
                let (w, h) = base?;
                w / h
            }
            Var::Idn => self.density.ok_or(EvalError::NoDensity)?,
        })
    }
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// `div` or `mod` by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// The result is infinite or not a number.
    #[error("the result is not a finite number")]
    NotFinite,
    /// `bw`, `bh` or `bar` outside a layer.
    #[error("bw, bh and bar only exist inside a layer")]
    NoBase,
    /// `idn` when the image's density is unknown.
    #[error("the image's density (idn) is unknown")]
    NoDensity,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(s: &str) -> f64 {
        Expr::parse(s).unwrap().eval(&Vars::new(1000.0, 500.0, 400.0, 200.0)).unwrap()
    }

    #[test]
    fn precedence_is_imagekits() {
        assert_eq!(eval("iw_div_2"), 500.0);
        assert_eq!(eval("iw_add_10_mul_2"), 1020.0, "mul before add");
        assert_eq!(eval("iw_sub_100_sub_100"), 800.0, "left to right");
        assert_eq!(eval("iw_div_10_div_2"), 50.0, "left to right");
        assert_eq!(eval("iw_add_7_mod_10"), 7.0, "add before mod: (1000+7) mod 10");
        assert_eq!(eval("iw_mod_7_add_3"), 1000.0 % 10.0, "mod after add: 1000 mod (7+3)");
        assert_eq!(eval("2_add_1_pow_2"), 9.0, "pow last: (2+1)^2");
        assert_eq!(eval("2_pow_3_pow_2"), 64.0, "pow left to right");
        assert_eq!(eval("2_pow_2_mul_3_add_1"), 128.0, "2^(2*3+1)");
        assert_eq!(eval("10_mod_4_pow_2"), 4.0, "(10 mod 4)^2");
        assert_eq!(eval("ih"), 500.0);
        assert_eq!(eval("car_mul_2"), 4.0);
    }

    #[test]
    fn printing_gives_the_input_back() {
        for s in
            ["iw_div_2", "2_pow_2_mul_3_add_1", "iw_add_7_mod_10_pow_2_sub_1_div_3", "bw_mul_0.5"]
        {
            assert_eq!(Expr::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn malformed_expressions_are_rejected() {
        for (s, at) in [
            ("", 0),
            ("iw_", 3),
            ("iw_div", 3),
            ("iw_times_2", 3),
            ("xx_div_2", 0),
            ("42", 0),
            ("iw__2", 3),
        ] {
            let e = Expr::parse(s).unwrap_err();
            assert_eq!(e.offset, at, "{s:?}: {e:?}");
        }
    }

    #[test]
    fn evaluation_errors() {
        let v = Vars::new(1.0, 1.0, 1.0, 1.0);
        assert_eq!(Expr::parse("iw_div_0").unwrap().eval(&v), Err(EvalError::DivisionByZero));
        assert_eq!(Expr::parse("bw_mul_2").unwrap().eval(&v), Err(EvalError::NoBase));
        assert_eq!(Expr::parse("10_pow_1000").unwrap().eval(&v), Err(EvalError::NotFinite));
    }
}
