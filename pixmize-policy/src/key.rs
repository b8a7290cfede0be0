//! Hierarchical taxonomy keys (fideslang style) and the embedded taxonomy
//! snapshot they are checked against.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The fideslang release line the embedded taxonomy snapshot is taken from.
///
/// The snapshot holds every data category (85), data use (56) and data
/// subject (15) of the fideslang 3.1 default taxonomy (`ethyca/fideslang`,
/// `src/fideslang/default_taxonomy/`); keys first added in 3.2.0 are left
/// out. The taxonomy is © Ethyca, licensed CC BY 4.0.
pub const FIDESLANG_VERSION: &str = "3.1";

const SNAPSHOT: &str = include_str!("taxonomy/fideslang-3.1.tsv");

/// A dotted, hierarchical taxonomy key such as `user.content.private`.
///
/// Each segment is non-empty and made of lower-case ASCII letters, digits and
/// `_`. A key [covers](Key::covers) itself and every key below it, so `user`
/// covers `user.contact.email` (fideslang's parent-chain inheritance).
///
/// [`Key::new`], `parse` and deserializing a `Key` check the syntax. Inside
/// a [`Document`](crate::Document) keys are read as written, so that one
/// malformed key does not hide the document's other problems; validation
/// reports each as [`IssueKind::InvalidKey`](crate::IssueKind::InvalidKey),
/// and a [`Policy`](crate::Policy) only ever holds well-formed keys.
///
/// ```
/// use pixmize_policy::Key;
/// let parent: Key = "user.content".parse()?;
/// let child: Key = "user.content.private".parse()?;
/// assert!(parent.covers(&child));
/// assert!(!child.covers(&parent));
/// assert_eq!(child.parent().map(|k| k.to_string()), Some("user.content".to_owned()));
/// # Ok::<(), pixmize_policy::KeyError>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Key(String);

/// Reads a key of a policy document without checking its syntax: validation
/// reports a malformed key as [`IssueKind::InvalidKey`](crate::IssueKind::InvalidKey)
/// together with every other problem, where a parse error would hide them.
pub(crate) fn deserialize_unchecked<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Key, D::Error> {
    String::deserialize(d).map(Key)
}

/// As [`deserialize_unchecked`], for a list of keys.
pub(crate) fn deserialize_unchecked_vec<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<Key>, D::Error> {
    Vec::<String>::deserialize(d).map(|keys| keys.into_iter().map(Key).collect())
}

/// Why a string is not a valid [`Key`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid taxonomy key `{key}`: {reason}")]
pub struct KeyError {
    /// The rejected input (taxonomy keys are not secret).
    pub key: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Key {
    /// Parses and checks the syntax of a key.
    ///
    /// # Errors
    /// [`KeyError`] when the key is empty, has an empty segment, or contains
    /// a character other than `a-z`, `0-9`, `_` and the `.` separator.
    pub fn new(key: impl Into<String>) -> Result<Self, KeyError> {
        let key = key.into();
        let reason = if key.is_empty() {
            Some("it is empty")
        } else if key.len() > 200 {
            Some("it is longer than 200 bytes")
        } else if key.split('.').any(str::is_empty) {
            Some("a segment is empty")
        } else if !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
        {
            Some("only a-z, 0-9, `_` and `.` are allowed")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(KeyError { key, reason }),
            None => Ok(Self(key)),
        }
    }

    /// The key as written, e.g. `"user.content.private"`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The parent key (`user.content` for `user.content.private`), or `None`
    /// for a top-level key.
    #[must_use]
    pub fn parent(&self) -> Option<Key> {
        self.0.rsplit_once('.').map(|(parent, _)| Key(parent.to_owned()))
    }

    /// How deep the key is: `user` is 1, `user.content.private` is 3.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.0.split('.').count()
    }

    /// The key and all its ancestors, most specific first:
    /// `user.content.private`, `user.content`, `user` (fideslang's
    /// `get_fides_key_parent_hierarchy`).
    pub fn ancestry(&self) -> impl Iterator<Item = &str> + '_ {
        let s = self.0.as_str();
        std::iter::once(s)
            .chain(s.char_indices().rev().filter(|&(_, c)| c == '.').map(move |(i, _)| &s[..i]))
    }

    /// Whether this key is `other` or one of its ancestors.
    #[must_use]
    pub fn covers(&self, other: &Key) -> bool {
        covers_str(&self.0, &other.0)
    }
}

/// `a` covers `b` when they are equal or `a` is a dotted prefix of `b`.
pub(crate) fn covers_str(a: &str, b: &str) -> bool {
    b.strip_prefix(a).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.0)
    }
}

impl FromStr for Key {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Key::new(s)
    }
}

impl TryFrom<String> for Key {
    type Error = KeyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Key::new(s)
    }
}

impl TryFrom<&str> for Key {
    type Error = KeyError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Key::new(s)
    }
}

impl From<Key> for String {
    fn from(k: Key) -> String {
        k.0
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl schemars::JsonSchema for Key {
    fn schema_name() -> Cow<'static, str> {
        "Key".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A dotted fideslang taxonomy key, e.g. `user.content.private`.",
            "pattern": "^[a-z0-9_]+(\\.[a-z0-9_]+)*$"
        })
    }
}

/// Which of fideslang's three taxonomies a key belongs to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// What data (`user.contact.email`).
    DataCategory,
    /// For what purpose (`essential.service`).
    DataUse,
    /// Whose data (`customer`).
    DataSubject,
}

impl KeyKind {
    /// A human label: "data category", "data use", "data subject".
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            KeyKind::DataCategory => "data category",
            KeyKind::DataUse => "data use",
            KeyKind::DataSubject => "data subject",
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where a taxonomy entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// The embedded fideslang snapshot ([`FIDESLANG_VERSION`]).
    Fideslang,
    /// A local extension declared by a policy.
    Local,
}

/// One key of a [`Taxonomy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxonomyEntry {
    /// The key.
    pub key: Key,
    /// Its human name, e.g. "Private Content".
    pub name: String,
    /// Where it comes from.
    pub origin: Origin,
}

/// Why a local extension cannot be added to a [`Taxonomy`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The key is already in the taxonomy.
    #[error("{kind} `{key}` already exists")]
    Duplicate {
        /// Which taxonomy.
        kind: KeyKind,
        /// The key.
        key: Key,
    },
    /// The key has no parent (extensions must hang below an existing key).
    #[error("{kind} `{key}` has no parent; extensions must extend an existing key")]
    NoParent {
        /// Which taxonomy.
        kind: KeyKind,
        /// The key.
        key: Key,
    },
    /// The parent named by the key's prefix does not exist.
    #[error("{kind} `{key}` extends `{parent}`, which does not exist")]
    MissingParent {
        /// Which taxonomy.
        kind: KeyKind,
        /// The key.
        key: Key,
        /// Its (missing) parent.
        parent: Key,
    },
}

/// A set of keys per [`KeyKind`]: the fideslang snapshot plus local
/// extensions.
///
/// ```
/// use pixmize_policy::{Key, KeyKind, Taxonomy};
/// let mut t = Taxonomy::fideslang();
/// assert!(t.contains(KeyKind::DataCategory, &"user.content.private".parse()?));
/// assert_eq!(t.len(KeyKind::DataUse), 56);
/// let ext: Key = "user.device.user_agent".parse()?;
/// t.extend(KeyKind::DataCategory, ext.clone(), "User agent").unwrap();
/// assert!(t.contains(KeyKind::DataCategory, &ext));
/// # Ok::<(), pixmize_policy::KeyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Taxonomy {
    entries: BTreeMap<(KeyKind, String), TaxonomyEntry>,
}

impl Taxonomy {
    /// The embedded fideslang snapshot, without local extensions.
    #[must_use]
    pub fn fideslang() -> Self {
        let mut entries = BTreeMap::new();
        for line in SNAPSHOT.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(kind), Some(key), Some(name)) = (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            let kind = match kind {
                "category" => KeyKind::DataCategory,
                "use" => KeyKind::DataUse,
                "subject" => KeyKind::DataSubject,
                _ => continue,
            };
            // The snapshot is checked by the test suite, so a bad line can
            // only be skipped, never trusted.
            let Ok(key) = Key::new(key) else { continue };
            entries.insert(
                (kind, key.0.clone()),
                TaxonomyEntry { key, name: name.to_owned(), origin: Origin::Fideslang },
            );
        }
        Self { entries }
    }

    /// Adds a local extension. Its parent (the key's dotted prefix) must
    /// already exist, as fideslang requires.
    ///
    /// # Errors
    /// [`ExtensionError`] when the key exists already, has no parent, or its
    /// parent is unknown.
    pub fn extend(
        &mut self,
        kind: KeyKind,
        key: Key,
        name: impl Into<String>,
    ) -> Result<(), ExtensionError> {
        if self.contains(kind, &key) {
            return Err(ExtensionError::Duplicate { kind, key });
        }
        let Some(parent) = key.parent() else {
            return Err(ExtensionError::NoParent { kind, key });
        };
        if !self.contains(kind, &parent) {
            return Err(ExtensionError::MissingParent { kind, key, parent });
        }
        self.entries.insert(
            (kind, key.0.clone()),
            TaxonomyEntry { key, name: name.into(), origin: Origin::Local },
        );
        Ok(())
    }

    /// Whether `key` exists in the `kind` taxonomy.
    #[must_use]
    pub fn contains(&self, kind: KeyKind, key: &Key) -> bool {
        self.entries.contains_key(&(kind, key.0.clone()))
    }

    /// The entry for `key`, if any.
    #[must_use]
    pub fn get(&self, kind: KeyKind, key: &Key) -> Option<&TaxonomyEntry> {
        self.entries.get(&(kind, key.0.clone()))
    }

    /// The human name of `key`, or the key itself when it is unknown.
    #[must_use]
    pub fn name_of<'a>(&'a self, kind: KeyKind, key: &'a Key) -> &'a str {
        self.get(kind, key).map_or(key.as_str(), |e| e.name.as_str())
    }

    /// How many keys the `kind` taxonomy holds.
    #[must_use]
    pub fn len(&self, kind: KeyKind) -> usize {
        self.entries.keys().filter(|(k, _)| *k == kind).count()
    }

    /// Whether the taxonomy holds no key at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry of the `kind` taxonomy, ordered by key.
    pub fn entries(&self, kind: KeyKind) -> impl Iterator<Item = &TaxonomyEntry> {
        self.entries.iter().filter(move |((k, _), _)| *k == kind).map(|(_, e)| e)
    }
}

/// How a rule's values are compared with declared keys, as in fideslang's
/// `PrivacyRule.matches` (`ethyca/fides` `core/evaluate.py`,
/// `compare_rule_to_declaration`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// The rule matches when any declared key is covered by a rule value.
    #[default]
    Any,
    /// The rule matches when every declared key is covered by a rule value.
    All,
    /// The rule matches when no declared key is covered by a rule value.
    None,
    /// The rule matches the declared keys that are *not* covered (an
    /// allow-list: anything else is caught).
    Other,
}

/// A set of keys plus how to match them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRule {
    /// The match mode (default `any`).
    #[serde(default)]
    pub matches: MatchMode,
    /// The rule's keys; each covers its dotted children.
    #[serde(deserialize_with = "deserialize_unchecked_vec")]
    pub values: Vec<Key>,
}

impl KeyRule {
    /// A rule in `any` mode.
    #[must_use]
    pub fn any(values: Vec<Key>) -> Self {
        Self { matches: MatchMode::Any, values }
    }

    /// The declared keys this rule catches ("offending" keys in Fides);
    /// empty when the rule does not match.
    #[must_use]
    pub fn offending<'a>(&self, declared: &'a [Key]) -> Vec<&'a Key> {
        let covered = |k: &Key| self.values.iter().any(|v| v.covers(k));
        let (hit, miss): (Vec<&Key>, Vec<&Key>) = declared.iter().partition(|k| covered(k));
        match self.matches {
            MatchMode::Any => hit,
            MatchMode::All if miss.is_empty() => hit,
            MatchMode::All => Vec::new(),
            MatchMode::None if hit.is_empty() => miss,
            MatchMode::None => Vec::new(),
            MatchMode::Other => miss,
        }
    }

    /// Whether the rule catches any of `declared`.
    #[must_use]
    pub fn matches(&self, declared: &[Key]) -> bool {
        !self.offending(declared).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Key {
        Key::new(s).unwrap()
    }

    #[test]
    fn syntax() {
        for bad in ["", ".", "user.", ".user", "user..x", "User", "user-x", "user x", "ü"] {
            assert!(Key::new(bad).is_err(), "{bad:?} should be rejected");
        }
        for good in ["user", "user.content.private", "a1_b.c2"] {
            assert!(Key::new(good).is_ok(), "{good:?} should be accepted");
        }
    }

    #[test]
    fn covers_is_dotted_prefix_not_string_prefix() {
        assert!(k("user").covers(&k("user")));
        assert!(k("user").covers(&k("user.contact.email")));
        assert!(!k("user.contact").covers(&k("user.contacts")));
        assert!(!k("user.contact.email").covers(&k("user.contact")));
    }

    #[test]
    fn ancestry_is_most_specific_first() {
        let key = k("user.content.private");
        assert_eq!(
            key.ancestry().collect::<Vec<_>>(),
            ["user.content.private", "user.content", "user"]
        );
        assert_eq!(key.depth(), 3);
        assert_eq!(k("user").parent(), None);
    }
}
