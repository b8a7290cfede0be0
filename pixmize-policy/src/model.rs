//! The policy as data: every type that `policies/*.toml` deserialises into.
//!
//! These types are plain data with public fields, so tools can build and
//! inspect a policy freely; a [`Policy`](crate::Policy) is a [`Document`]
//! that passed validation, and only a `Policy` answers
//! [`decide`](crate::Policy::decide).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::key::{Key, KeyKind, KeyRule};

/// The policy file format this crate reads (`format = 1` in the TOML).
pub const FORMAT_VERSION: u32 = 1;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as written.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": "^[a-z0-9][a-z0-9_-]*$"
                })
            }
        }
    };
}

id_type!(
    /// The id of a recipient, e.g. `imagekit`. A cloud processor reports the
    /// same id (`ImageKitProcessor` reports `"imagekit"`).
    RecipientId
);
id_type!(
    /// The id of a processing activity, e.g. `cloud_processing`.
    ActivityId
);
id_type!(
    /// The id of a user preference that carries a consent choice, e.g.
    /// `cloud_processing`.
    PreferenceId
);
id_type!(
    /// The id of a prohibition, e.g. `no_advertising`.
    ProhibitionId
);

/// An anchor in the rendered policy page (`#activity-cloud_processing`):
/// every decision, diff entry and validation issue names one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ClauseRef(pub(crate) String);

impl ClauseRef {
    pub(crate) fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The anchor id, without `#`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fragment link, `#` plus the anchor.
    #[must_use]
    pub fn href(&self) -> String {
        format!("#{}", self.0)
    }
}

impl fmt::Display for ClauseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Fixed clause anchors of the rendered page.
pub mod clause {
    /// Who the controller is.
    pub const CONTROLLER: &str = "controller";
    /// The promises in short.
    pub const PROMISES: &str = "promises";
    /// What is processed, one sub-clause per activity.
    pub const ACTIVITIES: &str = "activities";
    /// Who receives data.
    pub const RECIPIENTS: &str = "recipients";
    /// What is never done, one sub-clause per prohibition.
    pub const PROHIBITIONS: &str = "never";
    /// Anonymous usage statistics.
    pub const ANALYTICS: &str = "analytics";
    /// Cookies and storage on the device.
    pub const COOKIES: &str = "cookies";
    /// Choices the user makes (consent preferences).
    pub const CHOICES: &str = "choices";
    /// The user's rights.
    pub const RIGHTS: &str = "rights";
    /// Complaints to the supervisory authority.
    pub const COMPLAINTS: &str = "complaints";
    /// How changes are announced.
    pub const CHANGES: &str = "changes";
    /// Deny by default: anything the policy does not list is not done.
    pub const NOT_LISTED: &str = "not-listed";
}

/// An ISO 3166-1 alpha-2 country code such as `DE` (checked by validation).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CountryCode(pub String);

impl CountryCode {
    /// The code, e.g. `"US"`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is an assigned ISO 3166-1 alpha-2 code.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        crate::country::is_iso_alpha2(&self.0)
    }

    /// Whether the country is in the European Economic Area.
    #[must_use]
    pub fn is_eea(&self) -> bool {
        crate::country::is_eea(&self.0)
    }

    /// A short English name ("the United States") where known, else the code.
    #[must_use]
    pub fn name(&self) -> &str {
        crate::country::name(&self.0)
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.0)
    }
}

impl From<&str> for CountryCode {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl JsonSchema for CountryCode {
    fn schema_name() -> Cow<'static, str> {
        "CountryCode".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "ISO 3166-1 alpha-2 country code, upper case.",
            "pattern": "^[A-Z]{2}$"
        })
    }
}

/// A whole privacy policy as written in `policies/*.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// The file format version; must be [`FORMAT_VERSION`].
    pub format: u32,
    /// The policy's own version, e.g. `"2026-11"`. Bump it with every
    /// material change.
    pub version: String,
    /// The day the version takes effect, `YYYY-MM-DD`.
    pub effective: String,
    /// The page title.
    pub title: String,
    /// The language of the prose (BCP 47, e.g. `en`).
    pub language: String,
    /// Where the rendered policy is published.
    pub url: String,
    /// A short introduction, shown first on the page.
    pub summary: String,
    /// Who decides why and how personal data is processed (GDPR Art. 13(1)(a)).
    pub controller: Party,
    /// The data protection officer, if one is appointed (Art. 13(1)(b)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpo: Option<Contact>,
    /// Where users can lodge a complaint (Art. 13(2)(d)).
    pub supervisory_authority: Authority,
    /// How changes to the policy are announced.
    pub changes: ChangeNotice,
    /// The anonymous-analytics promise, if the product collects usage statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics: Option<AnalyticsPromise>,
    /// Local taxonomy extensions; each must extend an existing key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    /// Everyone outside the controller who receives personal data.
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    /// Choices the user makes that consent-based activities depend on.
    #[serde(default)]
    pub preferences: Vec<Preference>,
    /// What is processed, why, where and for how long.
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// What is never done; a prohibition beats any activity.
    #[serde(default)]
    pub prohibitions: Vec<Prohibition>,
    /// Every cookie set, as privacy.txt's septuple plus the activity it serves.
    #[serde(default)]
    pub cookies: Vec<Cookie>,
    /// The user's rights and how to exercise them.
    #[serde(default)]
    pub rights: Vec<RightDecl>,
}

/// A legal person: the controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// The name users know, e.g. "Pixmize".
    pub name: String,
    /// The registered legal name.
    pub legal_name: String,
    /// The postal address.
    pub address: String,
    /// The country of establishment.
    pub country: CountryCode,
    /// The privacy contact address.
    pub email: String,
    /// The website.
    pub url: String,
}

/// A person or team to contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Name or role, e.g. "Data Protection Officer".
    pub name: String,
    /// Email address.
    pub email: String,
}

/// A data protection supervisory authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    /// Its name.
    pub name: String,
    /// Its country.
    pub country: CountryCode,
    /// Its website (where complaints are lodged).
    pub url: String,
}

/// How users are told about changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeNotice {
    /// How users are told, in prose.
    pub how: String,
    /// How many days before a material change takes effect users are told.
    pub advance_days: u16,
}

/// A local taxonomy key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// Which taxonomy it extends.
    pub kind: KeyKind,
    /// The new key; its dotted prefix must already exist.
    #[serde(deserialize_with = "crate::key::deserialize_unchecked")]
    pub key: Key,
    /// A human name.
    pub name: String,
    /// What it means.
    pub description: String,
}

/// Someone who receives personal data (GDPR Art. 13(1)(e)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The id activities and [`Query`](crate::Query) use, e.g. `imagekit`.
    pub id: RecipientId,
    /// The name users know.
    pub name: String,
    /// The legal entity.
    pub legal_name: String,
    /// Its role for this data.
    pub role: Role,
    /// What it does for the controller, in prose.
    pub service: String,
    /// Countries where it processes or can access the data.
    pub countries: Vec<CountryCode>,
    /// The Chapter V safeguard for countries outside the EEA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_mechanism: Option<TransferMechanism>,
    /// Its website.
    pub url: String,
    /// Its own privacy policy.
    pub privacy_url: String,
    /// Its data processing agreement, if public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpa_url: Option<String>,
}

/// A recipient's role (GDPR Art. 4 and 28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Processes on the controller's instructions only (Art. 28).
    Processor,
    /// A processor engaged by a processor (Art. 28(4)).
    SubProcessor,
    /// Decides its own purposes for the data.
    Controller,
    /// Decides purposes together with the controller (Art. 26).
    JointController,
    /// Any other third party.
    ThirdParty,
}

impl Role {
    /// A human label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Role::Processor => "processor",
            Role::SubProcessor => "sub-processor",
            Role::Controller => "independent controller",
            Role::JointController => "joint controller",
            Role::ThirdParty => "third party",
        }
    }

    /// Whether the recipient acts only on instructions (processor or
    /// sub-processor).
    #[must_use]
    pub fn is_processor(self) -> bool {
        matches!(self, Role::Processor | Role::SubProcessor)
    }
}

/// The GDPR Chapter V safeguard for a transfer outside the EEA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferMechanism {
    /// An adequacy decision for the country (Art. 45).
    Adequacy,
    /// The EU-U.S. Data Privacy Framework (an Art. 45 decision for certified organisations).
    Dpf,
    /// Standard contractual clauses adopted by the Commission (Art. 46(2)(c)).
    Sccs,
    /// Binding corporate rules (Art. 46(2)(b), 47).
    Bcrs,
    /// A derogation such as explicit consent (Art. 49).
    Derogation,
}

impl TransferMechanism {
    /// A human label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            TransferMechanism::Adequacy => "adequacy decision (GDPR Art. 45)",
            TransferMechanism::Dpf => "EU-U.S. Data Privacy Framework (GDPR Art. 45)",
            TransferMechanism::Sccs => "standard contractual clauses (GDPR Art. 46(2)(c))",
            TransferMechanism::Bcrs => "binding corporate rules (GDPR Art. 47)",
            TransferMechanism::Derogation => "derogation (GDPR Art. 49)",
        }
    }

    /// Strength for diffing: higher is a stronger safeguard.
    #[must_use]
    pub fn strength(self) -> u8 {
        match self {
            TransferMechanism::Adequacy => 5,
            TransferMechanism::Dpf => 4,
            TransferMechanism::Bcrs => 3,
            TransferMechanism::Sccs => 2,
            TransferMechanism::Derogation => 1,
        }
    }
}

/// A user preference that consent-based activities depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    /// The id, e.g. `cloud_processing`.
    pub id: PreferenceId,
    /// The label of the switch.
    pub label: String,
    /// What switching it on means.
    pub description: String,
    /// Whether it is on before the user chooses; opt-in preferences must be off.
    #[serde(default)]
    pub default_on: bool,
    /// Where to change it.
    pub how_to_change: String,
}

/// One processing activity: what data, why, where, on what basis, for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// The id; its clause anchor is `activity-<id>`.
    pub id: ActivityId,
    /// A short title.
    pub title: String,
    /// What happens, in prose.
    pub description: String,
    /// Fideslang data categories; each covers its dotted children.
    #[serde(deserialize_with = "crate::key::deserialize_unchecked_vec")]
    pub data_categories: Vec<Key>,
    /// The fideslang data use (purpose); covers its dotted children.
    #[serde(deserialize_with = "crate::key::deserialize_unchecked")]
    pub purpose: Key,
    /// Fideslang data subjects.
    #[serde(deserialize_with = "crate::key::deserialize_unchecked_vec")]
    pub data_subjects: Vec<Key>,
    /// The GDPR Art. 6 legal basis.
    pub legal_basis: LegalBasis,
    /// The interest pursued, required when the basis is legitimate interest (Art. 13(1)(d)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legitimate_interest: Option<String>,
    /// Where the processing happens.
    pub location: Location,
    /// Further recipients beyond the location (e.g. a sub-processor).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<RecipientId>,
    /// How long the data is kept; required (validation reports it missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    /// Whether the activity depends on a user choice.
    #[serde(default)]
    pub consent: ConsentRequirement,
    /// Bumped whenever a material change needs consent to be asked again.
    #[serde(default)]
    pub consent_revision: u32,
    /// Whether the service cannot work without this data (Art. 13(2)(e)).
    #[serde(default)]
    pub required: bool,
    /// Where the data comes from (Art. 14(2)(f)).
    #[serde(default)]
    pub source: Source,
    /// Security measures (Art. 30(1)(g)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<Measure>,
    /// What a caller must do when this activity allows a flow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<Obligation>,
    /// Storage places (localStorage keys, folders, log streams) that hold
    /// this activity's data, for retention sweeps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<String>,
    /// Whether decisions with legal effect are made automatically (Art. 22).
    #[serde(default)]
    pub automated_decisions: bool,
}

impl Activity {
    /// The clause anchor, `activity-<id>`.
    #[must_use]
    pub fn clause(&self) -> ClauseRef {
        ClauseRef(format!("activity-{}", self.id))
    }

    /// The recipient the processing happens at, if not on the device.
    #[must_use]
    pub fn location_recipient(&self) -> Option<&RecipientId> {
        match &self.location {
            Location::Device => None,
            Location::Recipient(r) => Some(r),
        }
    }

    /// Every recipient: the location's plus [`recipients`](Self::recipients).
    pub fn all_recipients(&self) -> impl Iterator<Item = &RecipientId> {
        self.location_recipient()
            .into_iter()
            .chain(self.recipients.iter().filter(move |r| Some(*r) != self.location_recipient()))
    }

    /// The preference this activity's consent depends on, if any.
    #[must_use]
    pub fn preference(&self) -> Option<&PreferenceId> {
        match &self.consent {
            ConsentRequirement::NotRequired => None,
            ConsentRequirement::OptIn { preference }
            | ConsentRequirement::OptOut { preference } => Some(preference),
        }
    }
}

/// The GDPR Art. 6(1) legal basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Art. 6(1)(a).
    Consent,
    /// Art. 6(1)(b): needed to perform the contract with the user.
    Contract,
    /// Art. 6(1)(c).
    LegalObligation,
    /// Art. 6(1)(d).
    VitalInterests,
    /// Art. 6(1)(e).
    PublicTask,
    /// Art. 6(1)(f).
    LegitimateInterest,
}

impl LegalBasis {
    /// A human label with the article.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            LegalBasis::Consent => "your consent (GDPR Art. 6(1)(a))",
            LegalBasis::Contract => "performing our contract with you (GDPR Art. 6(1)(b))",
            LegalBasis::LegalObligation => "a legal obligation (GDPR Art. 6(1)(c))",
            LegalBasis::VitalInterests => "vital interests (GDPR Art. 6(1)(d))",
            LegalBasis::PublicTask => "a task in the public interest (GDPR Art. 6(1)(e))",
            LegalBasis::LegitimateInterest => "our legitimate interest (GDPR Art. 6(1)(f))",
        }
    }

    /// The DPV / eu-gdpr IRI (compact form), e.g. `eu-gdpr:A6-1-a`.
    #[must_use]
    pub fn dpv(self) -> &'static str {
        match self {
            LegalBasis::Consent => "eu-gdpr:A6-1-a",
            LegalBasis::Contract => "eu-gdpr:A6-1-b",
            LegalBasis::LegalObligation => "eu-gdpr:A6-1-c",
            LegalBasis::VitalInterests => "eu-gdpr:A6-1-d",
            LegalBasis::PublicTask => "eu-gdpr:A6-1-e",
            LegalBasis::LegitimateInterest => "eu-gdpr:A6-1-f",
        }
    }
}

/// Where processing happens: on the user's device, or at a recipient.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// On the user's device (in the browser); nothing leaves it.
    Device,
    /// At the named recipient.
    Recipient(RecipientId),
}

/// How long data is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Retention {
    /// Not stored: deleted as soon as the operation completes.
    Ephemeral,
    /// Until the browser session ends.
    Session,
    /// A fixed number of days after collection.
    Days {
        /// How many days: at most 36500 (100 years), which validation checks.
        #[schemars(range(max = crate::retention::MAX_DAYS))]
        days: u32,
    },
    /// Until the user deletes the account, then removed within the grace period.
    UntilAccountDeletion {
        /// Days after the deletion request until the data is gone: at most
        /// 36500 (100 years), which validation checks.
        #[serde(default)]
        #[schemars(range(max = crate::retention::MAX_DAYS))]
        grace_days: u32,
    },
    /// Until the user deletes it (e.g. clears local storage).
    UntilUserDeletes,
}

/// Whether an activity depends on a user choice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConsentRequirement {
    /// No choice involved (e.g. needed for the contract).
    #[default]
    NotRequired,
    /// Off until the user switches the preference on.
    OptIn {
        /// The preference.
        preference: PreferenceId,
    },
    /// On until the user objects (switches it off) or sends Global Privacy Control.
    OptOut {
        /// The preference.
        preference: PreferenceId,
    },
}

/// Where the data comes from (Art. 14(2)(f)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The user provides it.
    #[default]
    User,
    /// Observed automatically from the device or connection.
    Observed,
    /// Derived from other data.
    Derived,
    /// Received from a third party.
    ThirdParty,
}

/// A technical or organisational measure (Art. 30(1)(g), Art. 32).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// TLS on every connection.
    EncryptionInTransit,
    /// Encrypted storage.
    EncryptionAtRest,
    /// Access limited to those who need it.
    AccessControl,
    /// Identifiers removed so the data no longer relates to a person.
    Anonymisation,
    /// Identifiers replaced.
    Pseudonymisation,
    /// Only what is needed is collected.
    DataMinimisation,
    /// Image metadata (EXIF, XMP, IPTC, GPS) removed.
    MetadataStripping,
    /// A documented deletion routine.
    DeletionPolicy,
}

impl Measure {
    /// A human label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Measure::EncryptionInTransit => "encryption in transit (TLS)",
            Measure::EncryptionAtRest => "encryption at rest",
            Measure::AccessControl => "access control",
            Measure::Anonymisation => "anonymisation",
            Measure::Pseudonymisation => "pseudonymisation",
            Measure::DataMinimisation => "data minimisation",
            Measure::MetadataStripping => "image metadata removed",
            Measure::DeletionPolicy => "documented deletion routine",
        }
    }

    /// The DPV concept (compact IRI), where DPV has a matching one.
    #[must_use]
    pub fn dpv(self) -> Option<&'static str> {
        match self {
            Measure::EncryptionInTransit => Some("dpv:EncryptionInTransfer"),
            Measure::EncryptionAtRest => Some("dpv:EncryptionAtRest"),
            Measure::AccessControl => Some("dpv:AccessControlMethod"),
            Measure::Anonymisation => Some("dpv:Anonymisation"),
            Measure::Pseudonymisation => Some("dpv:Pseudonymisation"),
            Measure::DeletionPolicy => Some("dpv:DataDeletionPolicy"),
            Measure::DataMinimisation | Measure::MetadataStripping => None,
        }
    }
}

/// Something a caller must do when an activity allows a flow; carried by
/// [`Allow`](crate::Allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Obligation {
    /// Remove image metadata (EXIF, XMP, IPTC, including GPS) before the data leaves the device.
    StripMetadata,
    /// Delete the data at the recipient as soon as processing has finished.
    DeleteAfterProcessing,
    /// Delete the data at the recipient at most this many hours after upload.
    DeleteWithin {
        /// The upper bound in hours.
        hours: u32,
    },
}

impl Obligation {
    /// A human sentence.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Obligation::StripMetadata => {
                "image metadata (EXIF, XMP, IPTC, including GPS location) is removed before upload"
                    .to_owned()
            }
            Obligation::DeleteAfterProcessing => {
                "the upload is deleted immediately after processing".to_owned()
            }
            Obligation::DeleteWithin { hours } => {
                format!("the upload is deleted at most {hours} hours after upload")
            }
        }
    }
}

/// Something never done, whatever an activity says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prohibition {
    /// The id; its clause anchor is `never-<id>`.
    pub id: ProhibitionId,
    /// A short title ("No advertising").
    pub title: String,
    /// The promise in prose.
    pub description: String,
    /// Which data categories it covers.
    pub categories: KeyRule,
    /// Which purposes it covers.
    pub purposes: KeyRule,
    /// Which data subjects it covers (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subjects: Option<KeyRule>,
    /// Where it applies (everywhere by default).
    #[serde(default)]
    pub scope: Scope,
}

/// Where a [`Prohibition`] applies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// On the device and at every recipient.
    #[default]
    Everywhere,
    /// At every recipient, not on the device.
    OffDevice,
    /// At the listed recipients only.
    Recipients(Vec<RecipientId>),
}

impl Scope {
    /// Whether the scope includes `location`.
    #[must_use]
    pub fn includes(&self, location: &Location) -> bool {
        match (self, location) {
            (Scope::Everywhere, _) => true,
            (Scope::OffDevice, loc) => *loc != Location::Device,
            (Scope::Recipients(ids), Location::Recipient(r)) => ids.contains(r),
            (Scope::Recipients(_), Location::Device) => false,
        }
    }
}

impl Prohibition {
    /// The clause anchor, `never-<id>`.
    #[must_use]
    pub fn clause(&self) -> ClauseRef {
        ClauseRef(format!("never-{}", self.id))
    }
}

/// A cookie: privacy.txt's septuple (name, domain, duration, third-party,
/// optional, httpOnly, secure) plus the activity it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cookie {
    /// The cookie name.
    pub name: String,
    /// The domain it is set on.
    pub domain: String,
    /// Max-Age in seconds; absent for a session cookie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_s: Option<u64>,
    /// Set by a domain other than the site's.
    pub third_party: bool,
    /// Not strictly necessary (needs a choice).
    pub optional: bool,
    /// Not readable from JavaScript.
    pub http_only: bool,
    /// Sent over HTTPS only.
    pub secure: bool,
    /// The activity it serves.
    pub activity: ActivityId,
    /// What it is for, in prose.
    pub purpose: String,
}

/// A right and how to exercise it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RightDecl {
    /// Which right.
    pub right: Right,
    /// How to exercise it, in prose.
    pub how: String,
    /// The channels that work.
    pub channels: Vec<Channel>,
    /// Days until it is done at the latest (GDPR Art. 12(3): one month).
    pub deadline_days: u16,
}

impl RightDecl {
    /// The clause anchor, `right-<right>`.
    #[must_use]
    pub fn clause(&self) -> ClauseRef {
        ClauseRef(format!("right-{}", self.right.slug()))
    }
}

/// A right of the user.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// See the data (Art. 15).
    Access,
    /// Correct or update it (Art. 16).
    Rectification,
    /// Delete the account and its data (Art. 17).
    Erasure,
    /// Restrict processing (Art. 18).
    Restriction,
    /// Export it (Art. 20).
    Portability,
    /// Object to processing (Art. 21).
    Object,
    /// Withdraw consent at any time (Art. 7(3)).
    WithdrawConsent,
    /// Choose between on-device and cloud processing.
    ChooseProcessing,
    /// Clear what the app stores on the device.
    ClearLocalData,
    /// Block or delete cookies.
    ControlCookies,
    /// Ask what was collected about you (Art. 15).
    AskWhatWasCollected,
    /// Contact the controller with any question.
    Contact,
    /// Complain to a supervisory authority (Art. 77).
    Complaint,
}

impl Right {
    /// Every right, in page order.
    pub const ALL: [Right; 13] = [
        Right::Access,
        Right::Rectification,
        Right::Erasure,
        Right::Restriction,
        Right::Portability,
        Right::Object,
        Right::WithdrawConsent,
        Right::ChooseProcessing,
        Right::ClearLocalData,
        Right::ControlCookies,
        Right::AskWhatWasCollected,
        Right::Contact,
        Right::Complaint,
    ];

    /// The snake-case name, used in anchors.
    #[must_use]
    pub fn slug(self) -> &'static str {
        match self {
            Right::Access => "access",
            Right::Rectification => "rectification",
            Right::Erasure => "erasure",
            Right::Restriction => "restriction",
            Right::Portability => "portability",
            Right::Object => "object",
            Right::WithdrawConsent => "withdraw_consent",
            Right::ChooseProcessing => "choose_processing",
            Right::ClearLocalData => "clear_local_data",
            Right::ControlCookies => "control_cookies",
            Right::AskWhatWasCollected => "ask_what_was_collected",
            Right::Contact => "contact",
            Right::Complaint => "complaint",
        }
    }

    /// A human title.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Right::Access => "See your data",
            Right::Rectification => "Update your data",
            Right::Erasure => "Delete your account and its data",
            Right::Restriction => "Restrict processing",
            Right::Portability => "Export your data",
            Right::Object => "Object to processing",
            Right::WithdrawConsent => "Withdraw consent",
            Right::ChooseProcessing => "Choose device or cloud processing",
            Right::ClearLocalData => "Clear local storage",
            Right::ControlCookies => "Disable cookies",
            Right::AskWhatWasCollected => "Ask what we collected",
            Right::Contact => "Contact us",
            Right::Complaint => "Complain to a supervisory authority",
        }
    }

    /// The GDPR article it rests on, if any.
    #[must_use]
    pub fn article(self) -> Option<&'static str> {
        match self {
            Right::Access | Right::AskWhatWasCollected => Some("Art. 15"),
            Right::Rectification => Some("Art. 16"),
            Right::Erasure | Right::ClearLocalData => Some("Art. 17"),
            Right::Restriction => Some("Art. 18"),
            Right::Portability => Some("Art. 20"),
            Right::Object => Some("Art. 21"),
            Right::WithdrawConsent | Right::ChooseProcessing => Some("Art. 7(3)"),
            Right::Complaint => Some("Art. 77"),
            Right::ControlCookies | Right::Contact => None,
        }
    }

    /// The eu-gdpr concept (compact IRI), if any.
    #[must_use]
    pub fn dpv(self) -> Option<&'static str> {
        match self {
            Right::Access | Right::AskWhatWasCollected => Some("eu-gdpr:A15"),
            Right::Rectification => Some("eu-gdpr:A16"),
            Right::Erasure | Right::ClearLocalData => Some("eu-gdpr:A17"),
            Right::Restriction => Some("eu-gdpr:A18"),
            Right::Portability => Some("eu-gdpr:A20"),
            Right::Object => Some("eu-gdpr:A21"),
            Right::WithdrawConsent | Right::ChooseProcessing => Some("eu-gdpr:A7-3"),
            Right::Complaint => Some("eu-gdpr:A77"),
            Right::ControlCookies | Right::Contact => None,
        }
    }
}

/// A way to exercise a right.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// In the app's settings.
    InApp,
    /// By email to the controller.
    Email,
    /// In the browser's own settings.
    Browser,
    /// On a web form.
    WebForm,
    /// With the supervisory authority.
    Authority,
}

impl Channel {
    /// A human label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Channel::InApp => "in the app",
            Channel::Email => "by email",
            Channel::Browser => "in your browser",
            Channel::WebForm => "on a web form",
            Channel::Authority => "with the authority",
        }
    }
}

/// The promise that usage statistics are anonymous. Plain data like the
/// rest of the document: only a validated policy enforces it, through
/// `Policy::sanitize_event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsPromise {
    /// The activity that collects the statistics (its retention applies).
    pub activity: ActivityId,
    /// The promise in prose.
    pub description: String,
    /// Keep the country (ISO 3166-1 alpha-2), never anything finer.
    pub keep_country: bool,
    /// Keep the browser family and major version.
    pub keep_browser: bool,
    /// Keep the device type (desktop, mobile, tablet).
    pub keep_device_type: bool,
    /// Longest text value kept, in characters.
    pub max_text_len: u16,
    /// The events that may be recorded, each with its allowed properties.
    pub events: Vec<EventRule>,
}

/// An allowed analytics event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRule {
    /// The event name, e.g. `page_view`.
    pub name: String,
    /// What it records, in prose.
    pub description: String,
    /// The properties kept; every other property is dropped.
    #[serde(default)]
    pub properties: BTreeMap<String, PropertyRule>,
}

/// How an analytics property value is cleaned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PropertyRule {
    /// A URL or path, reduced to its path (no host, query or fragment); id-like segments become `:id`.
    UrlPath,
    /// Short text; IPs, emails, tokens and ids inside it are removed.
    Text,
    /// One of a fixed set of values; anything else is dropped.
    OneOf {
        /// The allowed values. Validation rejects any value the text
        /// scrubber would change (an IP address, email, token or id-like
        /// value, or one longer than `max_text_len`).
        values: Vec<String>,
    },
}
