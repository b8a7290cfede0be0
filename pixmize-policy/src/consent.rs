//! Consent state: DPV consent statuses, a user's snapshot of choices, and a
//! consent record in the shape of ISO/IEC TS 27560.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Policy;
use crate::model::{ActivityId, PreferenceId};

/// A consent status, as the W3C Data Privacy Vocabulary (DPV 2.x) names them.
///
/// Only [`Given`](ConsentStatus::Given) and
/// [`RenewedGiven`](ConsentStatus::RenewedGiven) are DPV's
/// `ConsentStatusValidForProcessing`; every other status is invalid for
/// processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentStatus {
    /// `dpv:ConsentGiven`.
    Given,
    /// `dpv:RenewedConsentGiven`.
    RenewedGiven,
    /// `dpv:ConsentRequested`: asked, no answer yet.
    Requested,
    /// `dpv:ConsentRequestDeferred`: the user postponed the question.
    RequestDeferred,
    /// `dpv:ConsentRefused`.
    Refused,
    /// `dpv:ConsentWithdrawn`: given, then taken back by the user.
    Withdrawn,
    /// `dpv:ConsentRevoked`: taken back by someone other than the user.
    Revoked,
    /// `dpv:ConsentExpired`.
    Expired,
    /// `dpv:ConsentInvalidated`.
    Invalidated,
    /// `dpv:ConsentUnknown`.
    Unknown,
}

impl ConsentStatus {
    /// Every status.
    pub const ALL: [ConsentStatus; 10] = [
        ConsentStatus::Given,
        ConsentStatus::RenewedGiven,
        ConsentStatus::Requested,
        ConsentStatus::RequestDeferred,
        ConsentStatus::Refused,
        ConsentStatus::Withdrawn,
        ConsentStatus::Revoked,
        ConsentStatus::Expired,
        ConsentStatus::Invalidated,
        ConsentStatus::Unknown,
    ];

    /// Whether processing may rely on this status (DPV
    /// `ConsentStatusValidForProcessing`): only given or renewed.
    #[must_use]
    pub fn is_valid_for_processing(self) -> bool {
        matches!(self, ConsentStatus::Given | ConsentStatus::RenewedGiven)
    }

    /// Whether the status is an explicit "no" that also stops opt-out
    /// processing (refused, withdrawn or revoked).
    #[must_use]
    pub fn is_objection(self) -> bool {
        matches!(self, ConsentStatus::Refused | ConsentStatus::Withdrawn | ConsentStatus::Revoked)
    }

    /// The DPV concept (compact IRI), e.g. `dpv:ConsentGiven`.
    #[must_use]
    pub fn dpv(self) -> &'static str {
        match self {
            ConsentStatus::Given => "dpv:ConsentGiven",
            ConsentStatus::RenewedGiven => "dpv:RenewedConsentGiven",
            ConsentStatus::Requested => "dpv:ConsentRequested",
            ConsentStatus::RequestDeferred => "dpv:ConsentRequestDeferred",
            ConsentStatus::Refused => "dpv:ConsentRefused",
            ConsentStatus::Withdrawn => "dpv:ConsentWithdrawn",
            ConsentStatus::Revoked => "dpv:ConsentRevoked",
            ConsentStatus::Expired => "dpv:ConsentExpired",
            ConsentStatus::Invalidated => "dpv:ConsentInvalidated",
            ConsentStatus::Unknown => "dpv:ConsentUnknown",
        }
    }
}

impl fmt::Display for ConsentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.dpv().trim_start_matches("dpv:"))
    }
}

/// A consent status name that is not one of DPV's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown consent status (expected one of: given, renewed_given, requested, request_deferred, refused, withdrawn, revoked, expired, invalidated, unknown)"
)]
pub struct UnknownStatus;

impl std::str::FromStr for ConsentStatus {
    type Err = UnknownStatus;

    /// Parses the snake-case name (`given`, `renewed_given`, …) or the DPV
    /// name (`ConsentGiven`, `dpv:RenewedConsentGiven`, …).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        ConsentStatus::ALL
            .into_iter()
            .find(|st| {
                let dpv = st.dpv();
                s == dpv
                    || s == dpv.trim_start_matches("dpv:")
                    || serde_json::to_value(st).ok().is_some_and(|v| v == s)
            })
            .ok_or(UnknownStatus)
    }
}

/// One user's consent state at the moment of a decision: the status of
/// each preference, the activity revisions the consents were given for, and
/// the Global Privacy Control signal.
///
/// ```
/// use pixmize_policy::{ConsentSnapshot, ConsentStatus, Policy};
/// let policy = Policy::pixmize();
/// let mut consent = ConsentSnapshot::new();
/// consent.give(policy, "cloud_processing");
/// assert_eq!(consent.status("cloud_processing"), Some(ConsentStatus::Given));
/// consent.set("cloud_processing", ConsentStatus::Withdrawn);
/// assert!(!consent.status("cloud_processing").unwrap().is_valid_for_processing());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentSnapshot {
    /// The status of each preference the user was asked about.
    #[serde(default)]
    pub choices: BTreeMap<PreferenceId, ConsentStatus>,
    /// For each activity, the `consent_revision` the user's consent covers.
    #[serde(default)]
    pub revisions: BTreeMap<ActivityId, u32>,
    /// Whether the browser sends Global Privacy Control (`Sec-GPC: 1`);
    /// treated as an objection to opt-out processing.
    #[serde(default)]
    pub gpc: bool,
}

impl ConsentSnapshot {
    /// No choices made yet (every opt-in activity is off).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The status of a preference, if the user was asked.
    #[must_use]
    pub fn status(&self, preference: &str) -> Option<ConsentStatus> {
        self.choices.get(&PreferenceId::from(preference)).copied()
    }

    /// Sets the status of a preference, leaving revisions as they are.
    pub fn set(&mut self, preference: &str, status: ConsentStatus) -> &mut Self {
        self.choices.insert(PreferenceId::from(preference), status);
        self
    }

    /// Records that the user gave consent to `preference` now, for the
    /// current revision of every activity that depends on it. A consent
    /// given again after a revision bump is recorded as renewed.
    pub fn give(&mut self, policy: &Policy, preference: &str) -> &mut Self {
        let renewed = self.status(preference).is_some_and(ConsentStatus::is_valid_for_processing)
            || policy
                .activities_for_preference(preference)
                .any(|a| self.revisions.contains_key(&a.id));
        for a in policy.activities_for_preference(preference) {
            self.revisions.insert(a.id.clone(), a.consent_revision);
        }
        self.set(
            preference,
            if renewed { ConsentStatus::RenewedGiven } else { ConsentStatus::Given },
        )
    }

    /// Records that the user withdrew consent to `preference`.
    pub fn withdraw(&mut self, preference: &str) -> &mut Self {
        self.set(preference, ConsentStatus::Withdrawn)
    }

    /// Sets the Global Privacy Control signal.
    pub fn with_gpc(&mut self, gpc: bool) -> &mut Self {
        self.gpc = gpc;
        self
    }

    /// The revision of `activity` the user's consent covers (0 if none).
    #[must_use]
    pub fn revision(&self, activity: &str) -> u32 {
        self.revisions.get(&ActivityId::from(activity)).copied().unwrap_or(0)
    }
}

/// A consent record for one activity, with the ISO/IEC TS 27560 fields that
/// DPV's 27560 guide lists as mandatory (a subset; values as DPV IRIs where
/// one exists). Serialise it to store or hand it to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentRecord {
    /// The record schema version.
    pub schema_version: &'static str,
    /// A caller-chosen unique id of the record.
    pub record_id: String,
    /// A pseudonymous reference to the user (never an email or account id in clear).
    pub subject_ref: String,
    /// The policy version the notice showed.
    pub policy_version: String,
    /// The notice's URL, with the activity's anchor.
    pub notice_url: String,
    /// The notice language.
    pub language: String,
    /// The controller's legal name.
    pub controller: String,
    /// The activity consented to.
    pub activity: ActivityId,
    /// Its purpose (fideslang data use).
    pub purpose: String,
    /// Its data categories (fideslang keys).
    pub personal_data: Vec<String>,
    /// Where it is processed (`device` or the recipient id).
    pub storage_location: String,
    /// The recipients.
    pub recipients: Vec<String>,
    /// The activity's consent revision the record covers.
    pub consent_revision: u32,
    /// The status, as a DPV IRI.
    pub state: &'static str,
    /// When, RFC 3339.
    pub event_time: String,
    /// How consent can be withdrawn.
    pub withdrawal_method: String,
    /// The jurisdiction (the controller's country).
    pub jurisdiction: String,
}

impl ConsentRecord {
    /// Builds the record of `status` for activity `activity` at `at`.
    /// Returns `None` when the activity does not exist or needs no consent.
    #[must_use]
    pub fn new(
        policy: &Policy,
        activity: &str,
        status: ConsentStatus,
        record_id: impl Into<String>,
        subject_ref: impl Into<String>,
        at: time::OffsetDateTime,
    ) -> Option<Self> {
        let doc = policy.document();
        let a = policy.activity(activity)?;
        let pref = a.preference()?;
        let how = doc
            .preferences
            .iter()
            .find(|p| p.id == *pref)
            .map(|p| p.how_to_change.clone())
            .unwrap_or_default();
        Some(Self {
            schema_version: "27560-subset/1",
            record_id: record_id.into(),
            subject_ref: subject_ref.into(),
            policy_version: doc.version.clone(),
            notice_url: format!("{}{}", doc.url, a.clause().href()),
            language: doc.language.clone(),
            controller: doc.controller.legal_name.clone(),
            activity: a.id.clone(),
            purpose: a.purpose.to_string(),
            personal_data: a.data_categories.iter().map(ToString::to_string).collect(),
            storage_location: a
                .location_recipient()
                .map_or_else(|| "device".to_owned(), |r| r.0.clone()),
            recipients: a.all_recipients().map(|r| r.0.clone()).collect(),
            consent_revision: a.consent_revision,
            state: status.dpv(),
            event_time: at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            withdrawal_method: how,
            jurisdiction: doc.controller.country.0.clone(),
        })
    }
}
