//! Errors: loading and validating a policy.

use std::fmt;

use crate::key::{ExtensionError, Key, KeyError, KeyKind};
use crate::model::{ClauseRef, Right};

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors from `pixmize-policy`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not valid TOML for a policy (the cause names line and column).
    #[error("policy is not valid TOML")]
    Toml {
        /// The parser's error.
        #[source]
        source: BoxError,
    },
    /// The text is not valid JSON for a policy.
    #[error("policy is not valid JSON")]
    Json {
        /// The parser's error.
        #[source]
        source: BoxError,
    },
    /// The policy could not be written out.
    #[error("policy could not be serialised as {format}")]
    Serialize {
        /// `"TOML"` or `"JSON"`.
        format: &'static str,
        /// The serialiser's error.
        #[source]
        source: BoxError,
    },
    /// The file declares a format this crate does not read.
    #[error("policy format {found} is not supported (supported: {supported})")]
    UnsupportedVersion {
        /// The `format` the file declares (0 when missing).
        found: u32,
        /// The format this crate reads.
        supported: u32,
    },
    /// The policy parsed but breaks rules; every problem is listed.
    #[error("policy is invalid: {}", Issues(.0))]
    Invalid(Vec<Issue>),
    /// A policy file could not be read.
    #[error("cannot read policy file {path}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The validation issues, when the error is [`Error::Invalid`].
    #[must_use]
    pub fn issues(&self) -> &[Issue] {
        match self {
            Error::Invalid(issues) => issues,
            _ => &[],
        }
    }
}

const _: () = {
    const fn ok<T: Send + Sync + 'static>() {}
    ok::<Error>();
};

struct Issues<'a>(&'a [Issue]);

impl fmt::Display for Issues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} problem{}", if n == 1 { "" } else { "s" })?;
        for (i, issue) in self.0.iter().enumerate() {
            write!(f, "{} {issue}", if i == 0 { ":" } else { ";" })?;
        }
        Ok(())
    }
}

/// One validation problem: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where in the document, e.g. `activities[cloud_processing].retention`.
    pub at: String,
    /// The clause of the rendered page it concerns, when there is one.
    pub clause: Option<ClauseRef>,
    /// What is wrong.
    pub kind: IssueKind,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.kind)
    }
}

/// What is wrong with a policy document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueKind {
    /// A required text field is empty.
    #[error("must not be empty")]
    Empty,
    /// A date is not `YYYY-MM-DD`.
    #[error("`{value}` is not a date (YYYY-MM-DD)")]
    InvalidDate {
        /// The value.
        value: String,
    },
    /// An id has characters other than `a-z`, `0-9`, `_`, `-`.
    #[error("id `{id}` must be lower-case letters, digits, `_` or `-`")]
    InvalidId {
        /// The id.
        id: String,
    },
    /// Two items share an id.
    #[error("duplicate id `{id}`")]
    DuplicateId {
        /// The id.
        id: String,
    },
    /// A key is not written as a taxonomy key (`user.content.private`:
    /// lower-case segments separated by dots).
    #[error(transparent)]
    InvalidKey(KeyError),
    /// A well-formed key that is not in the taxonomy (fideslang snapshot
    /// plus extensions).
    #[error("unknown {kind} `{key}`")]
    UnknownKey {
        /// Which taxonomy.
        kind: KeyKind,
        /// The key.
        key: Key,
    },
    /// A local extension is not allowed.
    #[error(transparent)]
    BadExtension(ExtensionError),
    /// A recipient id that no recipient has.
    #[error("unknown recipient `{id}`")]
    UnknownRecipient {
        /// The id.
        id: String,
    },
    /// A recipient no activity uses.
    #[error("recipient `{id}` is listed but no activity sends it data")]
    UnusedRecipient {
        /// The id.
        id: String,
    },
    /// A country code that ISO 3166-1 does not assign.
    #[error("`{code}` is not an ISO 3166-1 alpha-2 country code")]
    UnknownCountry {
        /// The code.
        code: String,
    },
    /// A country outside the EEA without a transfer mechanism.
    #[error("transfer to {country} needs a transfer mechanism")]
    MissingTransferMechanism {
        /// The country.
        country: String,
    },
    /// An adequacy decision claimed for a country that has none.
    #[error("{country} has no adequacy decision")]
    NotAdequate {
        /// The country.
        country: String,
    },
    /// An activity without a retention period.
    #[error("activity has no retention")]
    MissingRetention,
    /// A retention (or account-deletion grace period) longer than
    /// [`retention::MAX_DAYS`](crate::retention::MAX_DAYS).
    #[error("retention of {days} days exceeds the {max}-day limit")]
    RetentionTooLong {
        /// The days stated.
        days: u32,
        /// The limit.
        max: u32,
    },
    /// An activity on the device that names a recipient: data sent to a
    /// recipient needs its own activity located there.
    #[error("an activity on the device cannot send data to recipient `{id}`")]
    RecipientOnDevice {
        /// The recipient named.
        id: String,
    },
    /// A consent-based activity whose consent does not name a preference.
    #[error("legal basis is consent but no opt-in preference is named")]
    ConsentWithoutPreference,
    /// An opt-out preference used for a consent-based activity.
    #[error("consent must be opt-in, not opt-out")]
    ConsentMustBeOptIn,
    /// A preference id that no preference has.
    #[error("unknown preference `{id}`")]
    UnknownPreference {
        /// The id.
        id: String,
    },
    /// An opt-in preference that is on by default.
    #[error("preference `{id}` is used for opt-in but is on by default")]
    OptInDefaultOn {
        /// The id.
        id: String,
    },
    /// A preference no activity uses.
    #[error("preference `{id}` is declared but no activity depends on it")]
    UnusedPreference {
        /// The id.
        id: String,
    },
    /// Legitimate interest without the interest pursued.
    #[error("legal basis is legitimate interest but `legitimate_interest` is missing")]
    MissingLegitimateInterest,
    /// Delete obligations on an activity that stays on the device.
    #[error("obligation `{obligation}` only makes sense at a recipient")]
    ObligationOnDevice {
        /// The obligation's kind.
        obligation: &'static str,
    },
    /// Data kept "ephemerally" at a recipient without a delete obligation.
    #[error(
        "ephemeral retention at a recipient needs a delete_after_processing or delete_within obligation"
    )]
    EphemeralWithoutDeletion,
    /// An activity does something a prohibition forbids.
    #[error("activity is forbidden by prohibition `{prohibition}`")]
    Prohibited {
        /// The prohibition's id.
        prohibition: String,
    },
    /// A cookie tied to no declared activity.
    #[error("cookie `{cookie}` serves activity `{activity}`, which does not exist")]
    CookieWithoutActivity {
        /// The cookie.
        cookie: String,
        /// The activity it names.
        activity: String,
    },
    /// An optional cookie whose activity asks no one.
    #[error("optional cookie `{cookie}` serves an activity without a consent choice")]
    OptionalCookieWithoutChoice {
        /// The cookie.
        cookie: String,
    },
    /// A right declared twice.
    #[error("right `{}` is declared twice", right.slug())]
    DuplicateRight {
        /// The right.
        right: Right,
    },
    /// A right that GDPR requires the policy to state is missing.
    #[error("right `{}` must be stated", right.slug())]
    MissingRight {
        /// The right.
        right: Right,
    },
    /// A deadline beyond GDPR Art. 12(3) (one month, extendable by two).
    #[error("deadline of {days} days exceeds the 90 days GDPR Art. 12(3) allows")]
    DeadlineTooLong {
        /// The deadline.
        days: u16,
    },
    /// A right without any channel.
    #[error("right has no channel to exercise it")]
    NoChannel,
    /// The analytics promise names an activity that does not exist.
    #[error("analytics activity `{id}` does not exist")]
    UnknownAnalyticsActivity {
        /// The id.
        id: String,
    },
    /// A fixed analytics value (`one_of`) that looks like personal data or
    /// is longer than `max_text_len`: the text scrubber would change it.
    #[error(
        "value `{value}` of `{event}.{property}` looks like personal data (IP address, email, token or id) or is too long"
    )]
    UnsafeAnalyticsValue {
        /// The event.
        event: String,
        /// The property.
        property: String,
        /// The value.
        value: String,
    },
    /// An analytics event declared twice.
    #[error("analytics event `{name}` is declared twice")]
    DuplicateEvent {
        /// The event name.
        name: String,
    },
    /// A store named by two activities.
    #[error("store `{store}` is claimed by more than one activity")]
    StoreClaimedTwice {
        /// The store.
        store: String,
    },
}
