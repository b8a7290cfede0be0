//! The run-time decision: may this data go there, for this purpose, given
//! the user's consent?
//!
//! Semantics (Fides and Cedar): deny by default; a prohibition beats any
//! permitting activity; a key covers its dotted children; opt-in consent
//! counts only when DPV calls it valid for processing (given or renewed)
//! and covers the activity's current revision; every answer names the
//! clause of the policy page that decided it.

use std::fmt;

use crate::Policy;
use crate::consent::{ConsentSnapshot, ConsentStatus};
use crate::key::{Key, KeyKind};
use crate::model::{
    Activity, ActivityId, ClauseRef, ConsentRequirement, Location, Obligation, PreferenceId,
    Prohibition, ProhibitionId, RecipientId, Retention, clause,
};

/// A question for [`Policy::decide`]: which data, for which purpose, to
/// which place.
///
/// ```
/// use pixmize_policy::{ConsentSnapshot, Policy, Query};
/// let policy = Policy::pixmize();
/// // May the image and the caller's user id go to ImageKit for processing?
/// let query = Query::to("imagekit", "essential.service.image_processing")
///     .data("user.content.private")
///     .data("user.unique_id");
/// let mut consent = ConsentSnapshot::new();
/// assert!(!policy.decide(&query, &consent).is_allowed()); // not chosen yet
/// consent.give(policy, "cloud_processing");
/// let allow = policy.decide(&query, &consent).into_result()?;
/// assert!(allow.must_strip_metadata());
/// # Ok::<(), pixmize_policy::Deny>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    categories: Vec<String>,
    purpose: String,
    subjects: Vec<String>,
    target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Device,
    Recipient(String),
}

impl Query {
    /// Data leaving the device for `recipient` (the id a cloud processor
    /// reports, e.g. `"imagekit"`), for `purpose` (a fideslang data use).
    #[must_use]
    pub fn to(recipient: impl Into<String>, purpose: impl Into<String>) -> Self {
        Self {
            categories: Vec::new(),
            purpose: purpose.into(),
            subjects: Vec::new(),
            target: Target::Recipient(recipient.into()),
        }
    }

    /// Data processed or stored on the user's device, for `purpose`.
    #[must_use]
    pub fn on_device(purpose: impl Into<String>) -> Self {
        Self {
            categories: Vec::new(),
            purpose: purpose.into(),
            subjects: Vec::new(),
            target: Target::Device,
        }
    }

    /// Adds a data category (a fideslang key such as `user.content.private`).
    #[must_use]
    pub fn data(mut self, category: impl Into<String>) -> Self {
        self.categories.push(category.into());
        self
    }

    /// Adds a data subject (e.g. `customer`); without one, subject rules
    /// are assumed to apply.
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subjects.push(subject.into());
        self
    }

    /// The recipient asked about, or `None` for the device.
    #[must_use]
    pub fn recipient(&self) -> Option<&str> {
        match &self.target {
            Target::Device => None,
            Target::Recipient(r) => Some(r),
        }
    }
}

/// The answer of [`Policy::decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Decision {
    /// The flow is permitted, under the carried obligations.
    Allow(Allow),
    /// The flow is not permitted.
    Deny(Deny),
}

impl Decision {
    /// Whether the flow is permitted.
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The clause that decided.
    #[must_use]
    pub fn clause(&self) -> &ClauseRef {
        match self {
            Decision::Allow(a) => &a.clause,
            Decision::Deny(d) => d.clause(),
        }
    }

    /// The permit, if allowed.
    #[must_use]
    pub fn allow(&self) -> Option<&Allow> {
        match self {
            Decision::Allow(a) => Some(a),
            Decision::Deny(_) => None,
        }
    }

    /// `Ok(Allow)` or `Err(Deny)`, for `?`.
    ///
    /// # Errors
    /// The [`Deny`] when the flow is not permitted.
    pub fn into_result(self) -> Result<Allow, Deny> {
        match self {
            Decision::Allow(a) => Ok(a),
            Decision::Deny(d) => Err(d),
        }
    }
}

/// A permit for one flow. Only [`Policy::decide`] can create one, so an
/// outbound client that takes `&Allow` cannot be called without asking the
/// policy first.
///
/// It has private fields, no `Default` and no `Deserialize`:
///
/// ```compile_fail
/// let forged = pixmize_policy::Allow { activity: "cloud_processing".into() };
/// ```
/// ```compile_fail
/// let forged: pixmize_policy::Allow = Default::default();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    activity: ActivityId,
    clause: ClauseRef,
    location: Location,
    retention: Retention,
    obligations: Vec<Obligation>,
    policy_version: String,
}

/// When the caller must delete data at the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deletion {
    /// As soon as processing has finished.
    AfterProcessing,
    /// At most this many hours after upload.
    WithinHours(u32),
}

impl Allow {
    /// The activity that permits the flow.
    #[must_use]
    pub fn activity(&self) -> &ActivityId {
        &self.activity
    }

    /// The clause that permits it (`activity-<id>`).
    #[must_use]
    pub fn clause(&self) -> &ClauseRef {
        &self.clause
    }

    /// The recipient the data may go to, or `None` for the device.
    #[must_use]
    pub fn recipient(&self) -> Option<&RecipientId> {
        match &self.location {
            Location::Device => None,
            Location::Recipient(r) => Some(r),
        }
    }

    /// How long the data may be kept.
    #[must_use]
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// What the caller must do.
    #[must_use]
    pub fn obligations(&self) -> &[Obligation] {
        &self.obligations
    }

    /// Whether image metadata must be stripped before the data leaves.
    #[must_use]
    pub fn must_strip_metadata(&self) -> bool {
        self.obligations.contains(&Obligation::StripMetadata)
    }

    /// The strictest deletion obligation, if any.
    #[must_use]
    pub fn deletion(&self) -> Option<Deletion> {
        if self.obligations.contains(&Obligation::DeleteAfterProcessing) {
            return Some(Deletion::AfterProcessing);
        }
        self.obligations
            .iter()
            .filter_map(|o| match o {
                Obligation::DeleteWithin { hours } => Some(*hours),
                _ => None,
            })
            .min()
            .map(Deletion::WithinHours)
    }

    /// The policy version that decided.
    #[must_use]
    pub fn policy_version(&self) -> &str {
        &self.policy_version
    }
}

/// A refusal: one or more reasons, each naming its clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deny {
    reasons: Vec<Reason>,
    fallback: ClauseRef,
}

impl Deny {
    fn new(reasons: Vec<Reason>) -> Self {
        Self { reasons, fallback: ClauseRef::new(clause::NOT_LISTED) }
    }

    /// The clause of the first (deciding) reason.
    #[must_use]
    pub fn clause(&self) -> &ClauseRef {
        self.reasons.first().map_or(&self.fallback, Reason::clause)
    }

    /// Every reason, the deciding one first.
    #[must_use]
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }
}

impl fmt::Display for Deny {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "denied by policy clause {}", self.clause())?;
        for (i, r) in self.reasons.iter().enumerate() {
            write!(f, "{} {r}", if i == 0 { ":" } else { ";" })?;
        }
        Ok(())
    }
}

impl std::error::Error for Deny {}

/// Why a flow is denied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// A query key is malformed or not in the taxonomy.
    UnknownKey {
        /// The clause (`not-listed`).
        clause: ClauseRef,
        /// Which taxonomy.
        kind: KeyKind,
        /// The key as given.
        key: String,
    },
    /// No activity declares this flow (deny by default).
    NotDeclared {
        /// The clause (`not-listed`).
        clause: ClauseRef,
        /// The data categories no matching activity covers.
        uncovered: Vec<Key>,
    },
    /// A prohibition forbids it.
    Prohibited {
        /// The clause (`never-<id>`).
        clause: ClauseRef,
        /// The prohibition.
        prohibition: ProhibitionId,
    },
    /// An opt-in activity without valid consent.
    ConsentRequired {
        /// The activity's clause.
        clause: ClauseRef,
        /// The activity.
        activity: ActivityId,
        /// The preference to switch on.
        preference: PreferenceId,
        /// The current status, if the user was asked.
        status: Option<ConsentStatus>,
    },
    /// An opt-out activity the user objected to.
    Objected {
        /// The activity's clause.
        clause: ClauseRef,
        /// The activity.
        activity: ActivityId,
        /// The preference switched off.
        preference: PreferenceId,
        /// The status (refused, withdrawn or revoked).
        status: ConsentStatus,
    },
    /// An opt-out activity while the browser sends Global Privacy Control.
    GlobalPrivacyControl {
        /// The activity's clause.
        clause: ClauseRef,
        /// The activity.
        activity: ActivityId,
    },
    /// Consent was given for an older revision of the activity.
    ConsentStale {
        /// The activity's clause.
        clause: ClauseRef,
        /// The activity.
        activity: ActivityId,
        /// The revision the consent covers.
        have: u32,
        /// The activity's current revision.
        need: u32,
    },
}

impl Reason {
    /// The clause of the rendered page this reason rests on.
    #[must_use]
    pub fn clause(&self) -> &ClauseRef {
        match self {
            Reason::UnknownKey { clause, .. }
            | Reason::NotDeclared { clause, .. }
            | Reason::Prohibited { clause, .. }
            | Reason::ConsentRequired { clause, .. }
            | Reason::Objected { clause, .. }
            | Reason::GlobalPrivacyControl { clause, .. }
            | Reason::ConsentStale { clause, .. } => clause,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::UnknownKey { kind, key, .. } => write!(f, "unknown {kind} `{key}`"),
            Reason::NotDeclared { uncovered, .. } if uncovered.is_empty() => {
                f.write_str("no activity declares this purpose at this place")
            }
            Reason::NotDeclared { uncovered, .. } => {
                f.write_str("no activity declares ")?;
                for (i, k) in uncovered.iter().enumerate() {
                    write!(f, "{}`{k}`", if i == 0 { "" } else { ", " })?;
                }
                f.write_str(" for this purpose at this place")
            }
            Reason::Prohibited { prohibition, clause } => {
                write!(f, "prohibition `{prohibition}` forbids it ({clause})")
            }
            Reason::ConsentRequired { activity, preference, status, clause } => match status {
                Some(s) => write!(
                    f,
                    "activity `{activity}` needs consent `{preference}` ({clause}), which is {s}"
                ),
                None => write!(
                    f,
                    "activity `{activity}` needs consent `{preference}` ({clause}), which was not given"
                ),
            },
            Reason::Objected { activity, preference, status, clause } => {
                write!(
                    f,
                    "the user objected to activity `{activity}` via `{preference}` ({status}, {clause})"
                )
            }
            Reason::GlobalPrivacyControl { activity, clause } => {
                write!(f, "Global Privacy Control objects to activity `{activity}` ({clause})")
            }
            Reason::ConsentStale { activity, have, need, clause } => {
                write!(
                    f,
                    "consent for activity `{activity}` covers revision {have}, but {clause} is at revision {need}"
                )
            }
        }
    }
}

/// Whether prohibition `p` catches the declared keys at `location`
/// (Fides semantics: categories, purposes and subjects must all match).
pub(crate) fn prohibition_catches(
    p: &Prohibition,
    categories: &[Key],
    purposes: &[Key],
    subjects: &[Key],
    location: &Location,
) -> bool {
    p.scope.includes(location)
        && p.categories.matches(categories)
        && p.purposes.matches(purposes)
        && p.subjects.as_ref().is_none_or(|s| subjects.is_empty() || s.matches(subjects))
}

fn parse_keys(policy: &Policy, kind: KeyKind, raw: &[String], bad: &mut Vec<Reason>) -> Vec<Key> {
    let mut keys = Vec::with_capacity(raw.len());
    for s in raw {
        match Key::new(s.as_str()) {
            Ok(k) if policy.taxonomy().contains(kind, &k) => keys.push(k),
            _ => bad.push(Reason::UnknownKey {
                clause: ClauseRef::new(clause::NOT_LISTED),
                kind,
                key: s.clone(),
            }),
        }
    }
    keys
}

fn at_location(a: &Activity, location: &Location) -> bool {
    match location {
        Location::Device => a.location == Location::Device,
        // A device activity never permits an upload, whatever its
        // `recipients` say (validation rejects such recipients too).
        Location::Recipient(r) => {
            a.location != Location::Device && a.all_recipients().any(|x| x == r)
        }
    }
}

fn consent_check(a: &Activity, consent: &ConsentSnapshot) -> Option<Reason> {
    match &a.consent {
        ConsentRequirement::NotRequired => None,
        ConsentRequirement::OptIn { preference } => {
            let status = consent.choices.get(preference).copied();
            if !status.is_some_and(ConsentStatus::is_valid_for_processing) {
                return Some(Reason::ConsentRequired {
                    clause: a.clause(),
                    activity: a.id.clone(),
                    preference: preference.clone(),
                    status,
                });
            }
            let have = consent.revisions.get(&a.id).copied().unwrap_or(0);
            (have < a.consent_revision).then(|| Reason::ConsentStale {
                clause: a.clause(),
                activity: a.id.clone(),
                have,
                need: a.consent_revision,
            })
        }
        ConsentRequirement::OptOut { preference } => match consent.choices.get(preference).copied()
        {
            Some(status) if status.is_objection() => Some(Reason::Objected {
                clause: a.clause(),
                activity: a.id.clone(),
                preference: preference.clone(),
                status,
            }),
            _ if consent.gpc => {
                Some(Reason::GlobalPrivacyControl { clause: a.clause(), activity: a.id.clone() })
            }
            _ => None,
        },
    }
}

pub(crate) fn decide(policy: &Policy, query: &Query, consent: &ConsentSnapshot) -> Decision {
    let doc = policy.document();
    let mut bad = Vec::new();
    let categories = parse_keys(policy, KeyKind::DataCategory, &query.categories, &mut bad);
    let purpose =
        parse_keys(policy, KeyKind::DataUse, std::slice::from_ref(&query.purpose), &mut bad);
    let subjects = parse_keys(policy, KeyKind::DataSubject, &query.subjects, &mut bad);
    if !bad.is_empty() {
        return Decision::Deny(Deny::new(bad));
    }
    if categories.is_empty() {
        return Decision::Deny(Deny::new(vec![Reason::NotDeclared {
            clause: ClauseRef::new(clause::NOT_LISTED),
            uncovered: Vec::new(),
        }]));
    }
    let location = match &query.target {
        Target::Device => Location::Device,
        Target::Recipient(r) => Location::Recipient(RecipientId(r.clone())),
    };

    // 1. A prohibition beats any permit.
    let prohibited: Vec<Reason> = doc
        .prohibitions
        .iter()
        .filter(|p| prohibition_catches(p, &categories, &purpose, &subjects, &location))
        .map(|p| Reason::Prohibited { clause: p.clause(), prohibition: p.id.clone() })
        .collect();
    if !prohibited.is_empty() {
        return Decision::Deny(Deny::new(prohibited));
    }

    // 2. Activities at this place, for a purpose covering the query's.
    let purpose = &purpose[0];
    let candidates: Vec<&Activity> = doc
        .activities
        .iter()
        .filter(|a| at_location(a, &location) && a.purpose.covers(purpose))
        .collect();
    let uncovered = |a: &Activity| -> Vec<Key> {
        categories
            .iter()
            .filter(|k| !a.data_categories.iter().any(|d| d.covers(k)))
            .cloned()
            .collect()
    };
    let subjects_ok =
        |a: &Activity| subjects.iter().all(|s| a.data_subjects.iter().any(|d| d.covers(s)));
    let matching: Vec<&Activity> =
        candidates.iter().copied().filter(|a| uncovered(a).is_empty() && subjects_ok(a)).collect();
    if matching.is_empty() {
        let best = candidates
            .iter()
            .map(|a| uncovered(a))
            .min_by_key(Vec::len)
            .unwrap_or_else(|| categories.clone());
        return Decision::Deny(Deny::new(vec![Reason::NotDeclared {
            clause: ClauseRef::new(clause::NOT_LISTED),
            uncovered: best,
        }]));
    }

    // 3. Consent: the first activity whose consent holds permits.
    let mut reasons = Vec::new();
    for a in matching {
        match consent_check(a, consent) {
            None => {
                return Decision::Allow(Allow {
                    activity: a.id.clone(),
                    clause: a.clause(),
                    location,
                    // Validation guarantees a retention; `Ephemeral` is the
                    // strictest reading should it ever be missing.
                    retention: a.retention.unwrap_or(Retention::Ephemeral),
                    obligations: a.obligations.clone(),
                    policy_version: doc.version.clone(),
                });
            }
            Some(r) => reasons.push(r),
        }
    }
    Decision::Deny(Deny::new(reasons))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_activity_never_permits_an_upload() {
        // Validation rejects `recipients` on a device activity; `decide()`
        // ignores them as well, should one ever get through.
        let mut a = Policy::pixmize().activity("device_processing").unwrap().clone();
        a.recipients = vec![RecipientId::from("imagekit")];
        assert!(at_location(&a, &Location::Device));
        assert!(!at_location(&a, &Location::Recipient(RecipientId::from("imagekit"))));
        let cloud = Policy::pixmize().activity("cloud_processing").unwrap();
        assert!(at_location(cloud, &Location::Recipient(RecipientId::from("imagekit"))));
        assert!(!at_location(cloud, &Location::Device));
    }
}
