//! [`Policy`]: a validated [`Document`] that answers questions.

use std::sync::OnceLock;

use crate::consent::ConsentSnapshot;
use crate::decide::{Decision, Query};
use crate::error::{Error, Issue, IssueKind, Result};
use crate::key::Taxonomy;
use crate::model::{Activity, Document, FORMAT_VERSION, Preference, Recipient};

/// The Pixmize privacy policy as published (`policies/pixmize.toml`).
pub const PIXMIZE_TOML: &str = include_str!("../policies/pixmize.toml");

/// ImageKit's own privacy policy as a processor (`policies/imagekit.toml`).
pub const IMAGEKIT_TOML: &str = include_str!("../policies/imagekit.toml");

/// A privacy policy that passed validation: every key is in the taxonomy,
/// every reference resolves, every activity has a retention, and no
/// activity does what a prohibition forbids.
///
/// ```
/// use pixmize_policy::{ConsentSnapshot, Policy, Query};
/// let policy = Policy::from_toml(pixmize_policy::PIXMIZE_TOML)?;
/// let query = Query::on_device("essential.service.image_processing").data("user.content.private");
/// assert!(policy.decide(&query, &ConsentSnapshot::new()).is_allowed());
/// # Ok::<(), pixmize_policy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Policy {
    doc: Document,
    taxonomy: Taxonomy,
    effective: time::Date,
}

impl Policy {
    /// Parses and validates a policy written in TOML.
    ///
    /// # Errors
    /// [`Error::Toml`] when the text does not parse, [`Error::UnsupportedVersion`]
    /// for another `format`, [`Error::Invalid`] listing every rule broken.
    pub fn from_toml(text: &str) -> Result<Self> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| Error::Toml { source: e.into() })?;
        check_format(table.get("format").and_then(toml::Value::as_integer))?;
        let doc: Document = toml::from_str(text).map_err(|e| Error::Toml { source: e.into() })?;
        Self::from_document(doc)
    }

    /// Parses and validates a policy written in JSON.
    ///
    /// # Errors
    /// [`Error::Json`], [`Error::UnsupportedVersion`] or [`Error::Invalid`],
    /// as [`from_toml`](Self::from_toml).
    pub fn from_json(text: &str) -> Result<Self> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::Json { source: e.into() })?;
        check_format(value.get("format").and_then(serde_json::Value::as_i64))?;
        let doc: Document =
            serde_json::from_value(value).map_err(|e| Error::Json { source: e.into() })?;
        Self::from_document(doc)
    }

    /// Validates a document built in code.
    ///
    /// # Errors
    /// [`Error::UnsupportedVersion`] or [`Error::Invalid`] listing every rule broken.
    pub fn from_document(doc: Document) -> Result<Self> {
        check_format(Some(i64::from(doc.format)))?;
        let taxonomy = crate::validate::validate(&doc).map_err(Error::Invalid)?;
        // Validation has checked the date; this only keeps the parse total.
        let effective = crate::validate::parse_date(&doc.effective).ok_or_else(|| {
            Error::Invalid(vec![Issue {
                at: "effective".to_owned(),
                clause: None,
                kind: IssueKind::InvalidDate { value: doc.effective.clone() },
            }])
        })?;
        Ok(Self { doc, taxonomy, effective })
    }

    /// Reads a policy file: JSON when the name ends in `.json`, TOML otherwise.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, then as
    /// [`from_toml`](Self::from_toml) / [`from_json`](Self::from_json).
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::Io { path: path.display().to_string(), source })?;
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            Self::from_json(&text)
        } else {
            Self::from_toml(&text)
        }
    }

    /// The embedded Pixmize policy ([`PIXMIZE_TOML`]), parsed once.
    ///
    /// # Panics
    /// Never in a released build: the embedded policy is validated by this
    /// crate's test suite, so a policy that does not validate cannot ship.
    #[must_use]
    pub fn pixmize() -> &'static Policy {
        static PIXMIZE: OnceLock<Policy> = OnceLock::new();
        PIXMIZE.get_or_init(|| match Policy::from_toml(PIXMIZE_TOML) {
            Ok(p) => p,
            Err(e) => panic!("the embedded Pixmize policy is invalid: {e}"),
        })
    }

    /// Decides whether the flow in `query` is permitted for a user whose
    /// consent state is `consent`. Deny by default; a prohibition beats any
    /// permit; the answer names the deciding clause.
    pub fn decide(&self, query: &Query, consent: &ConsentSnapshot) -> Decision {
        crate::decide::decide(self, query, consent)
    }

    /// The underlying data.
    #[must_use]
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// The policy version.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.doc.version
    }

    /// The day the policy takes effect.
    #[must_use]
    pub fn effective(&self) -> time::Date {
        self.effective
    }

    /// The taxonomy keys are checked against (fideslang plus extensions).
    #[must_use]
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The activity with this id.
    #[must_use]
    pub fn activity(&self, id: &str) -> Option<&Activity> {
        self.doc.activities.iter().find(|a| a.id == id)
    }

    /// The recipient with this id.
    #[must_use]
    pub fn recipient(&self, id: &str) -> Option<&Recipient> {
        self.doc.recipients.iter().find(|r| r.id == id)
    }

    /// The preference with this id.
    #[must_use]
    pub fn preference(&self, id: &str) -> Option<&Preference> {
        self.doc.preferences.iter().find(|p| p.id == id)
    }

    /// The activities whose consent depends on `preference`.
    pub fn activities_for_preference<'a>(
        &'a self,
        preference: &'a str,
    ) -> impl Iterator<Item = &'a Activity> + 'a {
        self.doc.activities.iter().filter(move |a| a.preference().is_some_and(|p| p == preference))
    }

    /// The activity that declares storage place `store` (a localStorage
    /// key, a folder, a log stream), if any.
    #[must_use]
    pub fn activity_for_store(&self, store: &str) -> Option<&Activity> {
        self.doc.activities.iter().find(|a| a.stores.iter().any(|s| s == store))
    }

    /// The policy as TOML.
    ///
    /// # Errors
    /// [`Error::Serialize`] if the TOML writer fails.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(&self.doc)
            .map_err(|e| Error::Serialize { format: "TOML", source: e.into() })
    }

    /// The policy as pretty JSON.
    ///
    /// # Errors
    /// [`Error::Serialize`] if the JSON writer fails.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&self.doc)
            .map_err(|e| Error::Serialize { format: "JSON", source: e.into() })
    }
}

fn check_format(found: Option<i64>) -> Result<()> {
    match found {
        Some(f) if f == i64::from(FORMAT_VERSION) => Ok(()),
        other => Err(Error::UnsupportedVersion {
            found: other.and_then(|f| u32::try_from(f).ok()).unwrap_or(0),
            supported: FORMAT_VERSION,
        }),
    }
}
