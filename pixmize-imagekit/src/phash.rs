//! Perceptual-hash distance, as the official SDKs' `pHashDistance`: how
//! many bits differ between two `pHash` values (from
//! [`ImageMetadata::p_hash`](crate::ImageMetadata)). 0 means the same
//! image; ImageKit suggests that a distance under about 10 means similar.

use std::fmt;

/// Why [`phash_distance`] refused its input (the official SDKs'
/// `MISSING_PHASH_VALUE`, `INVALID_PHASH_VALUE` and
/// `UNEQUAL_STRING_LENGTH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhashError {
    /// A hash is empty.
    #[error("a pHash value is missing")]
    Missing,
    /// A hash holds a character other than a hexadecimal digit.
    #[error("invalid pHash value: `{found}` at byte {at} is not a hexadecimal digit")]
    InvalidDigit {
        /// Which hash: 1 or 2.
        hash: u8,
        /// The byte offset.
        at: usize,
        /// The offending character.
        found: char,
    },
    /// The hashes differ in length.
    #[error("pHash values differ in length ({first} and {second} digits)")]
    UnequalLength {
        /// Digits in the first hash.
        first: usize,
        /// Digits in the second hash.
        second: usize,
    },
}

/// The Hamming distance between two pHashes given as hexadecimal strings
/// (ImageKit's are 16 digits, 64 bits; any equal length is accepted, as
/// the Node SDK does; case does not matter).
///
/// ```
/// use pixmize_imagekit::phash_distance;
/// // The official SDKs' test vector.
/// assert_eq!(phash_distance("63433b3ccf8e1ebe", "f5d2226cd9d32b16"), Ok(27));
/// assert_eq!(phash_distance("f06830ca9f1e3e90", "F06830CA9F1E3E90"), Ok(0));
/// assert!(phash_distance("63433b3ccf8e1ebe", "f5d2").is_err());
/// ```
///
/// # Errors
/// [`PhashError`] for an empty hash, a non-hexadecimal character or
/// hashes of different lengths.
pub fn phash_distance(first: &str, second: &str) -> Result<u32, PhashError> {
    if first.is_empty() || second.is_empty() {
        return Err(PhashError::Missing);
    }
    let digits = |s: &str, hash: u8| -> Result<Vec<u8>, PhashError> {
        s.char_indices()
            .map(|(at, c)| {
                c.to_digit(16).map(|d| d as u8).ok_or(PhashError::InvalidDigit {
                    hash,
                    at,
                    found: c,
                })
            })
            .collect()
    };
    let (a, b) = (digits(first, 1)?, digits(second, 2)?);
    if a.len() != b.len() {
        return Err(PhashError::UnequalLength { first: a.len(), second: b.len() });
    }
    Ok(a.iter().zip(&b).map(|(x, y)| (x ^ y).count_ones()).sum())
}

/// A pHash, parsed once: 16 hexadecimal digits.
///
/// ```
/// use pixmize_imagekit::Phash;
/// let a: Phash = "63433b3ccf8e1ebe".parse()?;
/// let b: Phash = "f5d2226cd9d32b16".parse()?;
/// assert_eq!(a.distance(b), 27);
/// assert_eq!(a.to_string(), "63433b3ccf8e1ebe");
/// # Ok::<(), pixmize_imagekit::PhashError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Phash(pub u64);

impl Phash {
    /// The number of bits that differ.
    #[must_use]
    pub fn distance(self, other: Phash) -> u32 {
        (self.0 ^ other.0).count_ones()
    }
}

impl std::str::FromStr for Phash {
    type Err = PhashError;

    /// Parses exactly 16 hexadecimal digits.
    fn from_str(s: &str) -> Result<Phash, PhashError> {
        if s.is_empty() {
            return Err(PhashError::Missing);
        }
        if let Some((at, found)) = s.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
            return Err(PhashError::InvalidDigit { hash: 1, at, found });
        }
        if s.len() != 16 {
            return Err(PhashError::UnequalLength { first: s.len(), second: 16 });
        }
        u64::from_str_radix(s, 16).map(Phash).map_err(|_| PhashError::Missing)
    }
}

impl fmt::Display for Phash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        const CASES: &[(&str, &str, u32)] = &[
            // PHP SDK test vector (testPHashDistance).
            ("63433b3ccf8e1ebe", "f5d2226cd9d32b16", 27),
            ("0000000000000000", "ffffffffffffffff", 64),
            ("0000000000000000", "0000000000000001", 1),
            ("a", "5", 4),
            ("AbCd", "abcd", 0),
        ];
        for (a, b, want) in CASES {
            assert_eq!(phash_distance(a, b), Ok(*want), "{a} {b}");
            assert_eq!(phash_distance(b, a), Ok(*want), "{b} {a}");
        }
    }

    #[test]
    fn bad_input() {
        assert_eq!(phash_distance("", "ab"), Err(PhashError::Missing));
        assert_eq!(phash_distance("ab", ""), Err(PhashError::Missing));
        assert_eq!(
            phash_distance("abcg", "abcd"),
            Err(PhashError::InvalidDigit { hash: 1, at: 3, found: 'g' })
        );
        assert_eq!(
            phash_distance("abcd", "ab é"),
            Err(PhashError::InvalidDigit { hash: 2, at: 2, found: ' ' })
        );
        assert_eq!(
            phash_distance("abc", "abcd"),
            Err(PhashError::UnequalLength { first: 3, second: 4 })
        );
        assert!("63433b3ccf8e1eb".parse::<Phash>().is_err());
        assert!("63433b3ccf8e1ebe0".parse::<Phash>().is_err());
        assert!("+3433b3ccf8e1ebe".parse::<Phash>().is_err(), "no sign");
        assert_eq!("ffffffffffffffff".parse::<Phash>(), Ok(Phash(u64::MAX)));
    }
}
