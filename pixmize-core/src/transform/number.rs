//! Validated numbers: every value these types admit prints in a form the
//! parser reads back to the same value.

use std::fmt;
use std::num::NonZeroU32;

use super::parse::ValueError;

/// A finite, non-negative decimal number, written `300`, `0.5` or `12.75`
/// (no sign, no exponent).
///
/// ```
/// use pixmize_core::transform::Number;
/// assert_eq!(Number::new(0.25).map(|n| n.to_string()), Some("0.25".to_string()));
/// assert!(Number::new(-1.0).is_none());
/// ```
#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub struct Number(f64);

impl Number {
    /// Zero.
    pub const ZERO: Number = Number(0.0);

    /// `v` if it is finite and not negative.
    #[must_use]
    pub fn new(v: f64) -> Option<Self> {
        // `+ 0.0` turns -0.0 into 0.0, which prints without a sign.
        (v.is_finite() && v >= 0.0).then_some(Number(v + 0.0))
    }

    /// The value.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }

    pub(crate) fn parse(s: &str) -> Result<Self, ValueError> {
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let well_formed = match s.split_once('.') {
            Some((int, frac)) => digits(int) && digits(frac),
            None => digits(s),
        };
        if !well_formed {
            return Err(ValueError::invalid(format!("`{s}` is not a number")));
        }
        s.parse::<f64>()
            .ok()
            .and_then(Number::new)
            .ok_or_else(|| ValueError::out_of_range("a finite number"))
    }

    pub(crate) fn looks_numeric(s: &str) -> bool {
        s.bytes().next().is_some_and(|b| b.is_ascii_digit())
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Rust prints the shortest decimal that reads back to the same f64 and
        // never uses exponent notation, so this is the canonical form.
        fmt::Display::fmt(&self.0, f)
    }
}

/// A finite number greater than zero.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub struct Positive(f64);

impl Positive {
    /// `v` if it is finite and greater than zero.
    #[must_use]
    pub fn new(v: f64) -> Option<Self> {
        (v.is_finite() && v > 0.0).then_some(Positive(v))
    }

    /// The value.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }

    pub(crate) fn parse(s: &str) -> Result<Self, ValueError> {
        let n = Number::parse(s)?;
        Positive::new(n.get()).ok_or_else(|| ValueError::out_of_range("a number greater than 0"))
    }
}

impl fmt::Debug for Positive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for Positive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A number strictly between 0 and 1: a fraction of the original size
/// (`w-0.4` is 40 % of the original width).
#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub struct Fraction(f64);

impl Fraction {
    /// `v` if `0 < v < 1`.
    #[must_use]
    pub fn new(v: f64) -> Option<Self> {
        (v > 0.0 && v < 1.0).then_some(Fraction(v))
    }

    /// The value.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Debug for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// An integer in `MIN..=MAX`, written in decimal; negative values (where the
/// range allows them) are written with ImageKit's `N` prefix (`N40` is -40).
///
/// ```
/// use pixmize_core::transform::Int;
/// let angle = Int::<-360, 360>::new(-40).unwrap();
/// assert_eq!(angle.to_string(), "N40");
/// assert!(Int::<1, 100>::new(0).is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Int<const MIN: i32, const MAX: i32>(i32);

impl<const MIN: i32, const MAX: i32> Int<MIN, MAX> {
    /// The smallest value admitted.
    pub const MIN: i32 = MIN;
    /// The largest value admitted.
    pub const MAX: i32 = MAX;

    /// `v` if it is within `MIN..=MAX`.
    #[must_use]
    pub const fn new(v: i32) -> Option<Self> {
        if v >= MIN && v <= MAX { Some(Int(v)) } else { None }
    }

    /// `v` clamped into `MIN..=MAX`.
    #[must_use]
    pub const fn saturating(v: i32) -> Self {
        Int(if v < MIN {
            MIN
        } else if v > MAX {
            MAX
        } else {
            v
        })
    }

    /// The value.
    #[must_use]
    pub fn get(self) -> i32 {
        self.0
    }

    pub(crate) fn parse(s: &str) -> Result<Self, ValueError> {
        let (negative, digits) = match s.strip_prefix('N') {
            Some(rest) if MIN < 0 => (true, rest),
            _ => (false, s),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::invalid(if MIN < 0 {
                format!("`{s}` is not an integer (write negative values as N40)")
            } else {
                format!("`{s}` is not a whole number")
            }));
        }
        let range = || {
            ValueError::out_of_range_owned(format!("{} to {}", Self::show(MIN), Self::show(MAX)))
        };
        let magnitude: i64 = digits.parse().map_err(|_| range())?;
        let v = if negative { -magnitude } else { magnitude };
        i32::try_from(v).ok().and_then(Self::new).ok_or_else(range)
    }

    fn show(v: i32) -> String {
        if v < 0 { format!("N{}", v.unsigned_abs()) } else { v.to_string() }
    }
}

impl<const MIN: i32, const MAX: i32> fmt::Debug for Int<MIN, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<const MIN: i32, const MAX: i32> fmt::Display for Int<MIN, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 { write!(f, "N{}", self.0.unsigned_abs()) } else { write!(f, "{}", self.0) }
    }
}

/// Parses a whole number of at least 1 (pixels, pages).
pub(crate) fn parse_nonzero(s: &str) -> Result<NonZeroU32, ValueError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError::invalid(format!("`{s}` is not a whole number")));
    }
    s.parse::<u32>()
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or_else(|| ValueError::out_of_range("1 to 4294967295"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_canonically() {
        for (input, printed) in
            [("0", "0"), ("1.50", "1.5"), ("0.10", "0.1"), ("007", "7"), ("2.0", "2")]
        {
            assert_eq!(Number::parse(input).unwrap().to_string(), printed, "{input}");
        }
        for bad in ["", ".5", "5.", "-1", "+1", "1e3", "1.2.3", "NaN", "inf", " 1"] {
            assert!(Number::parse(bad).is_err(), "{bad:?} must not parse");
        }
        assert!(Number::parse(&"9".repeat(400)).is_err(), "overflow to infinity is out of range");
        assert_eq!(Number::new(-0.0).unwrap().to_string(), "0");
    }

    #[test]
    fn ints_use_the_n_prefix() {
        type Angle = Int<-360, 360>;
        assert_eq!(Angle::parse("N40").unwrap().get(), -40);
        assert_eq!(Angle::parse("40").unwrap().to_string(), "40");
        assert!(Angle::parse("361").is_err());
        assert!(Angle::parse("-40").is_err());
        assert!(
            Int::<0, 100>::parse("N1").is_err(),
            "no N prefix where the range has no negatives"
        );
        assert!(Int::<0, 100>::parse("99999999999999999999").is_err());
    }
}
