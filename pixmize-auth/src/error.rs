//! Errors of `pixmize-auth`: one enum per task (sessions, Backend API,
//! webhooks, configuration) and [`Error`], which wraps them all.
//!
//! No error here ever holds a token, a claim value, a secret key or a webhook
//! secret, so every one of them is safe to log.

use std::time::Duration;

use http::StatusCode;

/// A boxed error from a dependency (reqwest, jsonwebtoken, ...), reachable
/// through [`std::error::Error::source`].
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A session token was rejected.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A Backend API call failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A webhook was rejected.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// A verifier, client or webhook secret was configured wrongly.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A monthly quota would be exceeded.
    #[error(transparent)]
    Quota(#[from] crate::plan::QuotaExceeded),
    /// The plan does not allow a cloud operation.
    #[error(transparent)]
    Entitlement(#[from] crate::plan::EntitlementError),
}

/// Why a session token was rejected.
///
/// The variants mirror the reasons of Clerk's own backend SDK
/// (`TokenVerificationErrorReason` and `AuthErrorReason` in `@clerk/backend`);
/// [`VerifyError::reason`] gives Clerk's exact string. None of them carries
/// any part of the token, so the error can be logged as is. Answer clients
/// with [`VerifyError::status`] only: 401 means "get a fresh token", 503
/// means "our side cannot check tokens right now".
///
/// Two of Clerk's reasons cannot happen at verification time here, because
/// the configuration they point at is checked once, when the verifier is
/// built, and reported as a [`ConfigError`] instead:
/// * `jwk-failed-to-resolve` (Clerk: neither `jwtKey` nor `secretKey` was
///   given) is [`ConfigError::NoKeySource`];
/// * `jwk-local-missing` (Clerk: the `jwtKey` is empty) is
///   [`ConfigError::InvalidPublicKey`], which also covers a PEM that does
///   not parse (Clerk only finds that out when a token arrives).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The request carries no session token (`session-token-missing`).
    #[error("no session token in the request")]
    MissingToken,
    /// The token is a machine token (M2M, OAuth, API key), a JWT-template
    /// token or has a non-session `cat` header (`token-type-mismatch`).
    #[error("the token is not a session token")]
    TokenTypeMismatch,
    /// The token is not a well-formed JWT, or its header is not acceptable
    /// (`token-invalid`).
    #[error("the session token is malformed")]
    Malformed,
    /// The token is signed with an algorithm other than RS256, RS384 or
    /// RS512 (`token-invalid-algorithm`).
    #[error("the session token uses an algorithm other than RS256, RS384 or RS512")]
    InvalidAlgorithm,
    /// The signature does not match (`token-invalid-signature`).
    #[error("the session token signature is invalid")]
    InvalidSignature,
    /// The token is signed correctly but lacks a required claim (`sub`,
    /// `exp`) or the key cannot be used (`token-verification-failed`).
    #[error("the session token could not be verified")]
    VerificationFailed,
    /// `exp` is past, beyond the allowed clock skew (`token-expired`).
    #[error("the session token has expired")]
    Expired,
    /// `nbf` is in the future, beyond the allowed clock skew
    /// (`token-not-active-yet`).
    #[error("the session token is not active yet")]
    NotActiveYet,
    /// `iat` is in the future, beyond the allowed clock skew
    /// (`token-iat-in-the-future`).
    #[error("the session token was issued in the future")]
    IatInFuture,
    /// `azp` is missing or not one of the authorized parties
    /// (`token-invalid-authorized-parties`).
    #[error("the session token was issued for another party")]
    InvalidAuthorizedParty,
    /// `iss` is missing or is not the pinned issuer. Clerk's JS SDK does not
    /// check `iss`; the reason string follows its naming
    /// (`token-invalid-issuer`).
    #[error("the session token was issued by another issuer")]
    InvalidIssuer,
    /// The session is `pending` (the user must still choose an
    /// organization) and the verifier rejects pending sessions
    /// (`session-pending`).
    #[error("the session is pending")]
    SessionPending,
    /// No key has the token's `kid`, even after a refetch
    /// (`jwk-kid-mismatch`). The key ids are deliberately not listed.
    #[error("no signing key matches the session token's key id")]
    KidMismatch,
    /// Clerk rejected the secret key used to fetch the keys
    /// (`secret-key-invalid`). A server-side configuration problem.
    #[error("Clerk rejected the secret key used to fetch signing keys")]
    SecretKeyInvalid,
    /// The signing keys could not be fetched and no usable cached copy
    /// exists (`jwk-remote-failed-to-load`).
    #[error("could not load the signing keys")]
    JwksUnavailable {
        /// What went wrong (transport error, HTTP status, timeout).
        #[source]
        source: BoxError,
    },
    /// The key endpoint answered with something that is not a JWKS
    /// document (`jwk-remote-invalid`).
    #[error("the signing keys are invalid")]
    JwksInvalid,
    /// The key endpoint's JWKS lists keys, but none this crate can verify
    /// with: all are non-RSA, encryption keys, shorter than 2048 bits or
    /// for another algorithm (`jwk-remote-missing`). Clerk's SDK raises this
    /// reason when its key cache is empty after a fetch ("No signing key
    /// found in JWKS"), which is what such a document leaves here.
    #[error("the key endpoint lists no usable signing key")]
    JwksMissing,
}

impl VerifyError {
    /// Clerk's reason string for this error, such as `"token-expired"`.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingToken => "session-token-missing",
            Self::TokenTypeMismatch => "token-type-mismatch",
            Self::Malformed => "token-invalid",
            Self::InvalidAlgorithm => "token-invalid-algorithm",
            Self::InvalidSignature => "token-invalid-signature",
            Self::VerificationFailed => "token-verification-failed",
            Self::Expired => "token-expired",
            Self::NotActiveYet => "token-not-active-yet",
            Self::IatInFuture => "token-iat-in-the-future",
            Self::InvalidAuthorizedParty => "token-invalid-authorized-parties",
            Self::InvalidIssuer => "token-invalid-issuer",
            Self::SessionPending => "session-pending",
            Self::KidMismatch => "jwk-kid-mismatch",
            Self::SecretKeyInvalid => "secret-key-invalid",
            Self::JwksUnavailable { .. } => "jwk-remote-failed-to-load",
            Self::JwksInvalid => "jwk-remote-invalid",
            Self::JwksMissing => "jwk-remote-missing",
        }
    }

    /// The HTTP status to answer with: `503 Service Unavailable` when the
    /// failure is on the server's side (keys cannot be loaded, the secret key
    /// is rejected), `401 Unauthorized` for everything about the token.
    ///
    /// `KidMismatch` is a 401: a token signed by an unknown key is rejected
    /// after a refetch, which is what a forged token looks like.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        if self.is_server_side() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::UNAUTHORIZED
        }
    }

    /// Whether the failure is on the server's side, so the same token may
    /// pass later (the 503 cases of [`VerifyError::status`]).
    #[must_use]
    pub fn is_server_side(&self) -> bool {
        matches!(
            self,
            Self::SecretKeyInvalid
                | Self::JwksUnavailable { .. }
                | Self::JwksInvalid
                | Self::JwksMissing
        )
    }

    /// Whether a fresh token from the frontend (Clerk's `getToken()`) would
    /// likely pass: the token is expired, not active yet, or issued in the
    /// future. Clerk's SDK refreshes the session in these cases.
    #[must_use]
    pub fn is_refreshable(&self) -> bool {
        matches!(self, Self::Expired | Self::NotActiveYet | Self::IatInFuture)
    }
}

/// A Backend API error as Clerk sends it: `{"errors":[{code, message,
/// long_message, meta}]}`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ApiErrorDetail {
    /// Machine-readable code, such as `"resource_not_found"`.
    #[serde(default)]
    pub code: String,
    /// Short message.
    #[serde(default)]
    pub message: String,
    /// Longer message, when Clerk gives one.
    #[serde(default)]
    pub long_message: Option<String>,
    /// Extra data, such as `lockout_expires_in_seconds`.
    #[serde(default)]
    pub meta: Option<serde_json::Value>,
}

/// Why a Backend API call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The request could not be sent or the response not read (connection,
    /// TLS, timeout).
    #[error("request to the Clerk Backend API ({endpoint}) failed")]
    Transport {
        /// The operation, such as `"get_user"`.
        endpoint: &'static str,
        /// The transport error.
        #[source]
        source: BoxError,
    },
    /// Clerk answered with an error status.
    #[error("the Clerk Backend API ({endpoint}) returned {status}{}", first_message(.errors))]
    Api {
        /// The operation, such as `"get_user"`.
        endpoint: &'static str,
        /// The HTTP status.
        status: StatusCode,
        /// Clerk's error entries (may be empty).
        errors: Vec<ApiErrorDetail>,
        /// Clerk's trace id (`clerk_trace_id`, or the `cf-ray` header).
        clerk_trace_id: Option<String>,
    },
    /// Clerk answered 429 and the retries (if any) were used up or the
    /// server asked to wait longer than allowed.
    #[error("the Clerk Backend API ({endpoint}) is rate limiting requests")]
    RateLimited {
        /// The operation, such as `"get_user"`.
        endpoint: &'static str,
        /// How long Clerk asked to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
        /// Clerk's trace id, when given.
        clerk_trace_id: Option<String>,
    },
    /// The response body was not the expected JSON.
    #[error("could not decode the Clerk Backend API ({endpoint}) response")]
    Decode {
        /// The operation, such as `"get_user"`.
        endpoint: &'static str,
        /// What was wrong and where, without any value from the body.
        #[source]
        source: JsonError,
    },
    /// An argument was rejected before any request was sent: an empty id,
    /// an id that the URL would drop or rewrite (`.`, `..`, tabs or line
    /// breaks), or a page size over Clerk's limit.
    #[error("invalid argument for the Clerk Backend API ({endpoint}): {reason}")]
    InvalidArgument {
        /// The operation, such as `"get_user"`.
        endpoint: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

fn first_message(errors: &[ApiErrorDetail]) -> String {
    match errors.first() {
        Some(e) if !e.code.is_empty() => format!(" ({}: {})", e.code, e.message),
        Some(e) if !e.message.is_empty() => format!(" ({})", e.message),
        _ => String::new(),
    }
}

impl BackendError {
    /// The HTTP status Clerk answered with, if it answered.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            _ => None,
        }
    }

    /// Clerk's trace id, to quote to Clerk support.
    #[must_use]
    pub fn clerk_trace_id(&self) -> Option<&str> {
        match self {
            Self::Api { clerk_trace_id, .. } | Self::RateLimited { clerk_trace_id, .. } => {
                clerk_trace_id.as_deref()
            }
            _ => None,
        }
    }

    /// Clerk's error entries (empty unless [`BackendError::Api`]).
    #[must_use]
    pub fn errors(&self) -> &[ApiErrorDetail] {
        match self {
            Self::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// Whether the resource does not exist (404).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether trying again later may succeed (transport errors, 429, 5xx).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::RateLimited { .. } => true,
            Self::Api { status, .. } => status.is_server_error(),
            Self::Decode { .. } | Self::InvalidArgument { .. } => false,
        }
    }
}

/// Why a webhook was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required header (`svix-id`, `svix-timestamp`, `svix-signature`, or
    /// their `webhook-*` forms) is missing or not ASCII.
    #[error("the webhook lacks the {0} header")]
    MissingHeader(&'static str),
    /// The timestamp header is not a non-negative integer.
    #[error("the webhook timestamp is invalid")]
    InvalidTimestamp,
    /// The timestamp is more than the tolerance (5 minutes) in the past.
    #[error("the webhook timestamp is too old")]
    TimestampTooOld,
    /// The timestamp is more than the tolerance (5 minutes) in the future.
    #[error("the webhook timestamp is too far in the future")]
    TimestampTooNew,
    /// No `v1` signature in the signature header matches.
    #[error("no matching webhook signature found")]
    InvalidSignature,
    /// The verified body is not a Clerk event.
    #[error("the webhook body is not a valid event")]
    InvalidPayload {
        /// What was wrong and where, without any value from the body.
        #[source]
        source: JsonError,
    },
}

/// A JSON body that could not be decoded, described without any of its
/// content.
///
/// serde_json's own messages quote the offending value (`invalid type:
/// string "ada@example.com", expected i64`), so they are not kept. What is
/// kept: the kind of failure, the name of a missing or duplicate field (a
/// name from this crate's types, never from the body), and the position.
///
/// ```
/// use pixmize_auth::{JsonErrorKind, WebhookError, WebhookEvent};
/// let body = br#"{"type":"user.created","data":{"id":"user_1","created_at":"ada@example.com"}}"#;
/// let Err(WebhookError::InvalidPayload { source }) = WebhookEvent::from_slice(body) else {
///     panic!("a string where a number belongs is rejected")
/// };
/// assert_eq!(source.kind, JsonErrorKind::InvalidType);
/// assert!(!format!("{source} {source:?}").contains("ada@"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JsonError {
    /// What kind of failure it is.
    pub kind: JsonErrorKind,
    /// The field named by [`JsonErrorKind::MissingField`] and
    /// [`JsonErrorKind::DuplicateField`]; `None` for every other kind.
    pub field: Option<String>,
    /// The line (from 1) where decoding stopped, or 0 when unknown (a
    /// value decoded from already parsed JSON has no position).
    pub line: usize,
    /// The column (from 1) where decoding stopped, or 0 when unknown.
    pub column: usize,
}

/// The kind of a [`JsonError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The body is not JSON.
    Syntax,
    /// The body ends in the middle of a value.
    Eof,
    /// A value has the wrong type, such as a string where a number belongs.
    InvalidType,
    /// A value has the right type but is not acceptable.
    InvalidValue,
    /// An array or object has the wrong number of elements.
    InvalidLength,
    /// A value names an enum variant that does not exist.
    UnknownVariant,
    /// An object has a field that is not allowed.
    UnknownField,
    /// An object lacks a required field.
    MissingField,
    /// An object has the same field twice.
    DuplicateField,
    /// Any other mismatch between the JSON and the expected type.
    Other,
}

impl JsonErrorKind {
    fn describe(self) -> &'static str {
        match self {
            Self::Syntax => "invalid JSON syntax",
            Self::Eof => "unexpected end of the JSON body",
            Self::InvalidType => "a value of the wrong type",
            Self::InvalidValue => "an invalid value",
            Self::InvalidLength => "an array or object of the wrong length",
            Self::UnknownVariant => "an unknown enum variant",
            Self::UnknownField => "an unknown field",
            Self::MissingField => "missing field",
            Self::DuplicateField => "duplicate field",
            Self::Other => "JSON of an unexpected shape",
        }
    }
}

impl JsonError {
    /// Keeps the category and position of `e`, and the field name of a
    /// missing or duplicate field; drops the message, which may quote the
    /// body.
    pub(crate) fn from_serde(e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let (kind, field) = match e.classify() {
            Category::Syntax | Category::Io => (JsonErrorKind::Syntax, None),
            Category::Eof => (JsonErrorKind::Eof, None),
            Category::Data => {
                // serde's standard messages (`serde::de::Error`'s provided
                // methods) start with these words; only the words are used.
                let message = e.to_string();
                let kind = [
                    ("invalid type: ", JsonErrorKind::InvalidType),
                    ("invalid value: ", JsonErrorKind::InvalidValue),
                    ("invalid length ", JsonErrorKind::InvalidLength),
                    ("unknown variant `", JsonErrorKind::UnknownVariant),
                    ("unknown field `", JsonErrorKind::UnknownField),
                    ("missing field `", JsonErrorKind::MissingField),
                    ("duplicate field `", JsonErrorKind::DuplicateField),
                ]
                .into_iter()
                .find(|(prefix, _)| message.starts_with(prefix));
                match kind {
                    // `missing_field` and `duplicate_field` take a
                    // `&'static str`: the name comes from a type, not the body.
                    Some((
                        prefix,
                        kind @ (JsonErrorKind::MissingField | JsonErrorKind::DuplicateField),
                    )) => {
                        let field = message[prefix.len()..]
                            .split_once('`')
                            .map(|(name, _)| name)
                            .filter(|name| {
                                name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                            })
                            .map(str::to_owned);
                        (kind, field)
                    }
                    Some((_, kind)) => (kind, None),
                    None => (JsonErrorKind::Other, None),
                }
            }
        };
        Self { kind, field, line: e.line(), column: e.column() }
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind.describe())?;
        if let Some(field) = &self.field {
            write!(f, " `{field}`")?;
        }
        if self.line > 0 {
            write!(f, " at line {}, column {}", self.line, self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for JsonError {}

/// A configuration error, reported when a verifier, client or webhook
/// secret is built. The messages never repeat the secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A session verifier needs a key source: a PEM public key, a secret
    /// key, a JWKS URL, a publishable key or a Frontend API URL (what
    /// Clerk's SDK reports per token as `jwk-failed-to-resolve`).
    #[error("no key source: set a PEM public key, a secret key, a JWKS URL or a publishable key")]
    NoKeySource,
    /// A session verifier needs a pinned issuer: set it, or set the
    /// publishable key it derives from.
    #[error("no issuer: set the issuer or the publishable key")]
    NoIssuer,
    /// The publishable key is not `pk_test_…`/`pk_live_…` with a base64
    /// Frontend API host ending in `$`.
    #[error("the publishable key is malformed")]
    InvalidPublishableKey,
    /// The secret key is empty or not `sk_test_…`/`sk_live_…`.
    #[error("the secret key is malformed")]
    InvalidSecretKey,
    /// The PEM/DER public key is empty, could not be parsed as an RSA SPKI
    /// key, or is shorter than 2048 bits (an empty key is what Clerk's SDK
    /// reports per token as `jwk-local-missing`).
    #[error("the public key is not an RSA public key of at least 2048 bits")]
    InvalidPublicKey,
    /// A URL (API base, JWKS, issuer) is not a valid http(s) URL.
    #[error("invalid URL for {0}")]
    InvalidUrl(&'static str),
    /// The webhook secret is empty or not base64 (with or without
    /// `whsec_`).
    #[error("the webhook secret is malformed")]
    InvalidWebhookSecret,
    /// A value is out of range (such as a zero timeout).
    #[error("invalid setting: {0}")]
    Invalid(&'static str),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    HttpClient {
        /// The builder error.
        #[source]
        source: BoxError,
    },
}

// C-GOOD-ERR: errors are Send + Sync + 'static.
const _: () = {
    const fn ok<T: Send + Sync + 'static>() {}
    ok::<Error>();
    ok::<VerifyError>();
    ok::<BackendError>();
    ok::<WebhookError>();
    ok::<ConfigError>();
    ok::<JsonError>();
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_split_client_and_server_faults() {
        let server = [
            VerifyError::SecretKeyInvalid,
            VerifyError::JwksInvalid,
            VerifyError::JwksUnavailable { source: "down".into() },
            VerifyError::JwksMissing,
        ];
        for e in server {
            assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE, "{e:?}");
        }
        let client = [
            VerifyError::MissingToken,
            VerifyError::Expired,
            VerifyError::KidMismatch,
            VerifyError::InvalidSignature,
        ];
        for e in client {
            assert_eq!(e.status(), StatusCode::UNAUTHORIZED, "{e:?}");
        }
    }

    #[test]
    fn api_error_display_names_code_not_trace() {
        let e = BackendError::Api {
            endpoint: "get_user",
            status: StatusCode::NOT_FOUND,
            errors: vec![ApiErrorDetail {
                code: "resource_not_found".into(),
                message: "not found".into(),
                ..ApiErrorDetail::default()
            }],
            clerk_trace_id: Some("trace".into()),
        };
        assert_eq!(
            e.to_string(),
            "the Clerk Backend API (get_user) returned 404 Not Found (resource_not_found: not found)"
        );
        assert!(e.is_not_found());
        assert_eq!(e.clerk_trace_id(), Some("trace"));
    }
}
