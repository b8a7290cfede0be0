//! Clerk for Rust backends: verify session tokens as carefully as Clerk's
//! own SDK (RS256/384/512, signature before claims, 5 s skew, pinned `iss`,
//! an explicit `azp` policy, a JWKS cache that survives a slow key
//! endpoint), read typed v1/v2 claims with plan and feature checks, call
//! the Backend API, verify Svix webhooks over the raw body, and turn plans
//! into entitlements and monthly quotas.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use pixmize_auth::{PlanTable, SessionVerifier, VerifyError};
//!
//! # async fn run() -> Result<(), pixmize_auth::Error> {
//! // Networkless: the Dashboard's "JWKS Public Key" (CLERK_JWT_KEY).
//! let verifier = SessionVerifier::builder()
//!     .jwt_key(include_str!("../tests/fixtures/clerk_fixture.pub.pem"))
//!     .issuer("https://clerk.inspired.puma-74.lcl.dev")
//!     .build()?;
//! let token = include_str!("../tests/fixtures/clerk_fixture.jwt").trim();
//!
//! let issued = UNIX_EPOCH + Duration::from_secs(1666648250);
//! let claims = verifier.verify_at(token, issued).await?;
//! let entitlements = PlanTable::default().entitlements(Some(&claims));
//! assert!(entitlements.cloud_processing);
//!
//! // Sixty-six seconds later the 60 s token is past its 5 s skew.
//! let late = verifier.verify_at(token, issued + Duration::from_secs(66)).await;
//! assert!(matches!(late, Err(VerifyError::Expired)));
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run()).unwrap();
//! ```
//!
//! # Crate features
//! * **axum**: [`axum::ClerkLayer`] (a tower layer) and the
//!   [`VerifiedSession`] extractor, answering 401/503 with a JSON body that
//!   leaks nothing.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]

pub use crate::backend::{
    BackendClient, BackendClientBuilder, BillingPlan, BillingSubscription, DeletedObject,
    EmailAddress, MetadataUpdate, SubscriptionItem, User, UserQuery, UsersPage, Verification,
};
pub use crate::claims::{
    ActiveOrganization, Actor, FactorVerificationAge, OrgClaim, Scope, SessionClaims, SessionStatus,
};
pub use crate::clock::{Clock, SystemClock};
pub use crate::error::{
    ApiErrorDetail, BackendError, ConfigError, Error, JsonError, JsonErrorKind, Result,
    VerifyError, WebhookError,
};
pub use crate::jwks::JwksOptions;
pub use crate::plan::{
    EntitlementError, Entitlements, MemoryQuota, PlanTable, QuotaCounter, QuotaExceeded, Remaining,
};
pub use crate::token::{SESSION_COOKIE, SessionToken, TokenCarrier, TokenExtractor, cookie_suffix};
pub use crate::verify::{
    AzpPolicy, DEFAULT_API_URL, DEFAULT_API_VERSION, DEFAULT_CLOCK_SKEW, KeySource,
    SessionValidation, SessionVerifier, SessionVerifierBuilder, VerifiedSession, frontend_api_host,
};
pub use crate::webhook::{
    DEFAULT_TOLERANCE, Delivery, EventData, IdempotencyCache, Session, VerifiedWebhook, Webhook,
    WebhookEvent,
};

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
mod backend;
mod claims;
mod clock;
mod error;
mod jwks;
mod plan;
mod token;
mod verify;
mod webhook;

/// The `User-Agent` of every request this crate sends.
pub(crate) const USER_AGENT: &str = concat!("pixmize-auth/", env!("CARGO_PKG_VERSION"));

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
