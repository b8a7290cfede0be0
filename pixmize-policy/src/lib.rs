//! The Pixmize privacy policy as typed data: the code asks it at run time
//! whether data may leave the device, and the same data renders the policy
//! page users read.
//!
//! A [`Policy`] is loaded from TOML (or JSON), validated as a whole (every
//! problem listed at once), and then answers [`Policy::decide`]: deny by
//! default, a prohibition beats a permit, a fideslang key covers its dotted
//! children, only DPV's "given" or "renewed" consent counts, and every
//! answer names the clause of the rendered page that decided it.
//!
//! ```
//! use pixmize_policy::{ConsentSnapshot, Decision, Deletion, Policy, Query};
//!
//! let policy = Policy::pixmize(); // the embedded policies/pixmize.toml
//! let query = Query::to("imagekit", "essential.service.image_processing")
//!     .data("user.content.private")
//!     .data("user.unique_id");
//!
//! // Deny by default: the user has not chosen cloud processing.
//! let decision = policy.decide(&query, &ConsentSnapshot::new());
//! assert_eq!(decision.clause().as_str(), "activity-cloud_processing");
//!
//! // With the user's opt-in, the flow is allowed under obligations.
//! let mut consent = ConsentSnapshot::new();
//! consent.give(policy, "cloud_processing");
//! match policy.decide(&query, &consent) {
//!     Decision::Allow(allow) => {
//!         assert!(allow.must_strip_metadata());
//!         assert_eq!(allow.deletion(), Some(Deletion::AfterProcessing));
//!     }
//!     Decision::Deny(deny) => panic!("{deny}"),
//! }
//! ```
//!
//! # Modules
//! * [`analytics`]: the sanitiser that makes usage statistics anonymous.
//! * [`retention`]: deadlines, expiry and the keep/purge sweep (injected clock).
//! * [`render`]: the Markdown and HTML policy pages.
//! * [`export`]: JSON Schema, W3C DPV JSON-LD, privacy.txt, GDPR Art. 30 record.
//! * [`diff`]: material / notify / favourable / editorial change classes and the release check.
//!
//! # Crate features
//! None: the crate does no I/O beyond [`Policy::load`] and builds for
//! `wasm32-unknown-unknown`.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]

pub use crate::consent::{ConsentRecord, ConsentSnapshot, ConsentStatus, UnknownStatus};
pub use crate::decide::{Allow, Decision, Deletion, Deny, Query, Reason};
pub use crate::error::{Error, Issue, IssueKind, Result};
pub use crate::key::{
    ExtensionError, FIDESLANG_VERSION, Key, KeyError, KeyKind, KeyRule, MatchMode, Origin,
    Taxonomy, TaxonomyEntry,
};
pub use crate::model::{
    Activity, ActivityId, AnalyticsPromise, Authority, ChangeNotice, Channel, ClauseRef,
    ConsentRequirement, Contact, Cookie, CountryCode, Document, EventRule, Extension,
    FORMAT_VERSION, LegalBasis, Location, Measure, Obligation, Party, Preference, PreferenceId,
    Prohibition, ProhibitionId, PropertyRule, Recipient, RecipientId, Retention, Right, RightDecl,
    Role, Scope, Source, TransferMechanism, clause,
};
pub use crate::policy::{IMAGEKIT_TOML, PIXMIZE_TOML, Policy};

pub mod analytics;
mod consent;
mod country;
mod decide;
pub mod diff;
mod error;
pub mod export;
mod key;
mod model;
mod policy;
pub mod render;
pub mod retention;
mod validate;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
