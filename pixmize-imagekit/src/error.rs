//! Errors of `pixmize-imagekit`.
//!
//! No error holds the private key, a webhook secret or a URL signature, so
//! every one of them is safe to log; an unreadable response body is
//! described by its kind and position, never by its content (file names,
//! tags and metadata may be personal data). ImageKit's own `message` and `help`
//! texts, the HTTP status, the `x-ik-requestId` header and the rate-limit
//! headers ride along in [`ApiError`].

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, StatusCode};

/// A boxed error from a dependency (reqwest, serde_json, std::io…),
/// reachable through [`std::error::Error::source`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// ImageKit answered with an error status (4xx, 5xx), after the retries
    /// the client allows.
    #[error("ImageKit {} returned {}: {}", .0.endpoint, .0.status, .0.message)]
    Api(Box<ApiError>),
    /// The request could not be sent or its response not read: DNS,
    /// connection refused or reset, TLS, timeout.
    #[error("request to ImageKit {endpoint} failed ({kind}) after {attempts} attempt(s)")]
    Transport {
        /// The operation, such as `"upload"` or `"list_files"`.
        endpoint: &'static str,
        /// What went wrong, coarsely.
        kind: TransportKind,
        /// How many attempts were made.
        attempts: u32,
        /// The cause (a reqwest error without its URL).
        #[source]
        source: BoxError,
    },
    /// ImageKit answered with a success status but a body this crate could
    /// not read.
    #[error("could not read the response of ImageKit {endpoint} ({status})")]
    Decode {
        /// The operation.
        endpoint: &'static str,
        /// The HTTP status of the response.
        status: StatusCode,
        /// The `x-ik-requestId` header, if any.
        request_id: Option<String>,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// The client is configured wrongly (missing or malformed key, URL
    /// endpoint or base URL).
    #[error("invalid ImageKit client configuration: {0}")]
    Config(&'static str),
    /// An argument is invalid; nothing was sent.
    #[error("invalid argument for ImageKit {operation}: {reason}")]
    InvalidArgument {
        /// The operation.
        operation: &'static str,
        /// Why the argument is rejected.
        reason: String,
    },
    /// A local file could not be read for an upload.
    #[error("could not read the file to upload")]
    Io(#[source] std::io::Error),
    /// A webhook was rejected.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// A step of [`ImageKitProcessor`](crate::ImageKitProcessor) failed.
    /// `cleanup` says what happened to the uploaded copy.
    #[error("ImageKit processing failed while {stage}; {cleanup}")]
    Processing {
        /// The step that failed.
        stage: ProcessingStage,
        /// What happened to the uploaded file.
        cleanup: Cleanup,
        /// The failure of that step.
        #[source]
        source: Box<Error>,
    },
}

// C-GOOD-ERR: errors are Send + Sync + 'static.
const _: () = {
    const fn ok<T: Send + Sync + 'static>() {}
    ok::<Error>();
};

impl Error {
    /// The [`ApiError`], when ImageKit answered with an error status.
    #[must_use]
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            Error::Processing { source, .. } => source.api(),
            _ => None,
        }
    }

    /// The HTTP status ImageKit answered with, if it answered.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Decode { status, .. } => Some(*status),
            _ => self.api().map(|e| e.status),
        }
    }

    /// ImageKit's `x-ik-requestId` of the failed request, for support.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => self.api().and_then(|e| e.request_id.as_deref()),
        }
    }

    /// The rate-limit headers of the failed response.
    #[must_use]
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.api().and_then(|e| e.rate_limit.as_ref())
    }

    /// Whether trying the same request again later may succeed: 408, 409,
    /// 429 and 5xx answers, connection failures and timeouts, the failures
    /// the client retries an idempotent call on (not a response over the
    /// size limit nor [`TransportKind::Other`]). The client has already
    /// retried these as far as its retry policy and the call allow.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => is_retryable_status(e.status),
            Error::Transport { kind, .. } => kind.is_retryable(),
            Error::Processing { source, .. } => source.is_retryable(),
            _ => false,
        }
    }

    /// Whether ImageKit answered 404.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether ImageKit answered 429.
    #[must_use]
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether the request timed out.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport { kind, .. } => *kind == TransportKind::Timeout,
            Error::Processing { source, .. } => source.is_timeout(),
            _ => false,
        }
    }

    pub(crate) fn invalid(operation: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidArgument { operation, reason: reason.into() }
    }
}

/// Whether a status is one the client retries: 408, 409, 429 and 5xx (as
/// ImageKit's official SDKs do).
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

/// An error answer from ImageKit.
///
/// ImageKit answers errors with `{"message": "...", "help": "..."}`; some
/// endpoints add fields (`missingFileIds` for a bulk delete, `reason` for a
/// rename), kept in [`ApiError::body`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation, such as `"upload"`.
    pub endpoint: &'static str,
    /// The HTTP status.
    pub status: StatusCode,
    /// ImageKit's `message` (or the status text when the body has none).
    pub message: String,
    /// ImageKit's `help`, when present.
    pub help: Option<String>,
    /// The `x-ik-requestId` response header.
    pub request_id: Option<String>,
    /// The rate-limit headers of the response.
    pub rate_limit: Option<RateLimit>,
    /// How long the server asked to wait (`retry-after-ms`, `Retry-After`
    /// or, on a 429, `X-RateLimit-Reset`); a value too large for a
    /// [`Duration`] reads as [`Duration::MAX`].
    pub retry_after: Option<Duration>,
    /// How many attempts were made (1 when the request was not retried).
    pub attempts: u32,
    /// Whether an earlier attempt of this call failed with an unknown
    /// outcome (a timeout, a lost connection, a 408, 409 or 5xx answer), so
    /// that it may have taken effect: this answer (a 404, a 409) can then
    /// be the trace of that earlier success.
    pub after_uncertain_attempt: bool,
    /// The whole JSON body (`null` when the body was not JSON).
    pub body: serde_json::Value,
}

impl ApiError {
    /// `missingFileIds` of a 404 from a bulk delete.
    #[must_use]
    pub fn missing_file_ids(&self) -> Vec<String> {
        self.body
            .get("missingFileIds")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }

    pub(crate) fn from_response(
        endpoint: &'static str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        attempts: u32,
        now: std::time::SystemTime,
    ) -> ApiError {
        let json: serde_json::Value =
            serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
        let text = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let message = text("message")
            .or_else(|| text("error"))
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
        ApiError {
            endpoint,
            status,
            message,
            help: text("help"),
            request_id: request_id(headers),
            rate_limit: RateLimit::from_headers(headers),
            retry_after: crate::client::server_wait(headers, status, now),
            attempts,
            after_uncertain_attempt: false,
            body: json,
        }
    }
}

/// The `x-ik-requestId` header (HTTP header names are case-insensitive).
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get("x-ik-requestid").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// ImageKit's rate-limit headers. ImageKit sends them on every media API
/// response; on a 429, `reset` is how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimit {
    /// `X-RateLimit-Limit`: requests allowed per interval.
    pub limit: Option<u64>,
    /// `X-RateLimit-Reset`: time until the window resets (sent in
    /// milliseconds).
    pub reset: Option<Duration>,
    /// `X-RateLimit-Interval`: the window (sent in milliseconds).
    pub interval: Option<Duration>,
}

impl RateLimit {
    /// Reads the headers; `None` when none of them is present.
    #[must_use]
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimit> {
        let num = |name: &str| -> Option<u64> {
            let v = headers.get(name)?.to_str().ok()?.trim();
            v.parse::<u64>().ok().or_else(|| {
                v.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f as u64)
            })
        };
        let r = RateLimit {
            limit: num("x-ratelimit-limit"),
            reset: num("x-ratelimit-reset").map(Duration::from_millis),
            interval: num("x-ratelimit-interval").map(Duration::from_millis),
        };
        (r != RateLimit::default()).then_some(r)
    }
}

/// A coarse class of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be established: nothing was sent.
    Connect,
    /// The request or the response took longer than the timeout.
    Timeout,
    /// The connection broke while sending the request or reading the
    /// response.
    Connection,
    /// The response was larger than the client accepts.
    TooLarge,
    /// Anything else (building the request, redirects…).
    Other,
}

impl TransportKind {
    /// Whether the client retries an idempotent call after this failure
    /// (and [`Error::is_retryable`] says so): the connection could not be
    /// made, broke, or timed out. A response over the size limit would be
    /// as large again, and [`TransportKind::Other`] (building the request,
    /// redirects) would fail the same way.
    pub(crate) fn is_retryable(self) -> bool {
        matches!(self, TransportKind::Connect | TransportKind::Timeout | TransportKind::Connection)
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "could not connect",
            TransportKind::Timeout => "timed out",
            TransportKind::Connection => "connection lost",
            TransportKind::TooLarge => "response too large",
            TransportKind::Other => "request error",
        })
    }
}

/// Why a webhook was rejected. None of these holds the secret or the
/// expected signature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required header is missing (neither `webhook-*` headers nor
    /// `x-ik-signature`, or one of the three `webhook-*` headers).
    #[error("webhook header `{0}` is missing")]
    MissingHeader(&'static str),
    /// A header is malformed.
    #[error("webhook header `{0}` is malformed")]
    InvalidHeader(&'static str),
    /// The timestamp is older than the tolerance ("Message timestamp too
    /// old" in Standard Webhooks).
    #[error("webhook timestamp is too old")]
    TimestampTooOld,
    /// The timestamp is further in the future than the tolerance.
    #[error("webhook timestamp is too new")]
    TimestampTooNew,
    /// No signature matches ("No matching signature found").
    #[error("no matching webhook signature found")]
    NoMatchingSignature,
    /// The signature is valid but the body is not an event.
    #[error("webhook body is not a valid event")]
    InvalidPayload(#[source] serde_json::Error),
    /// The webhook secret is empty.
    #[error("webhook secret is empty")]
    EmptySecret,
}

/// A step of [`ImageKitProcessor`](crate::ImageKitProcessor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessingStage {
    /// Checking the job before anything is sent.
    Prepare,
    /// Uploading the input.
    Upload,
    /// Building the signed URL of the transformed image.
    SignUrl,
    /// Fetching the transformed image.
    Fetch,
    /// Reading the fetched image.
    Decode,
    /// Deleting the uploaded input.
    Delete,
}

impl fmt::Display for ProcessingStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProcessingStage::Prepare => "preparing the job",
            ProcessingStage::Upload => "uploading the input",
            ProcessingStage::SignUrl => "signing the URL",
            ProcessingStage::Fetch => "fetching the transformed image",
            ProcessingStage::Decode => "reading the transformed image",
            ProcessingStage::Delete => "deleting the uploaded input",
        })
    }
}

/// What happened to the uploaded input after a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cleanup {
    /// Nothing was stored in ImageKit.
    NothingUploaded,
    /// The upload was deleted.
    Deleted,
    /// The upload was kept, as configured.
    Kept {
        /// The file id.
        file_id: String,
        /// The file path.
        file_path: String,
    },
    /// The upload could not be deleted: it is still in ImageKit. The
    /// processor's event hook was told; delete it later.
    Orphaned {
        /// The file id (empty when the upload's answer was lost and the
        /// file was not found).
        file_id: String,
        /// The file path.
        file_path: String,
    },
}

impl fmt::Display for Cleanup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cleanup::NothingUploaded => f.write_str("nothing was stored in ImageKit"),
            Cleanup::Deleted => f.write_str("the uploaded input was deleted"),
            Cleanup::Kept { .. } => f.write_str("the uploaded input was kept as configured"),
            Cleanup::Orphaned { .. } => {
                f.write_str("the uploaded input could NOT be deleted and remains in ImageKit")
            }
        }
    }
}

/// Why a response body could not be decoded, without its content:
/// serde_json's own messages quote the offending value (a file name, a tag,
/// custom metadata), so only the category and the position are kept.
#[derive(Debug)]
pub(crate) struct UnreadableBody {
    category: serde_json::error::Category,
    line: usize,
    column: usize,
}

impl UnreadableBody {
    pub(crate) fn new(e: &serde_json::Error) -> Self {
        UnreadableBody { category: e.classify(), line: e.line(), column: e.column() }
    }
}

impl fmt::Display for UnreadableBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use serde_json::error::Category;
        let what = match self.category {
            Category::Syntax | Category::Io => "the body is not JSON",
            Category::Eof => "the JSON body ends early",
            Category::Data => "the JSON does not have the expected shape",
        };
        write!(f, "{what} (line {}, column {})", self.line, self.column)
    }
}

impl std::error::Error for UnreadableBody {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_bodies_are_described_without_their_content() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct File {
            size: u64,
        }
        let read = |body: &[u8]| serde_json::from_slice::<File>(body).unwrap_err();
        let serde = read(br#"{"size":"ada@example.com"}"#);
        assert!(serde.to_string().contains("ada@example.com"), "serde quotes the body: {serde}");
        let e = UnreadableBody::new(&serde);
        assert_eq!(e.to_string(), "the JSON does not have the expected shape (line 1, column 25)");
        assert!(!format!("{e:?}").contains("ada@"), "{e:?}");
        let e = UnreadableBody::new(&read(br#"{"size": "ada@exa"#));
        assert!(!format!("{e} {e:?}").contains("ada@"), "{e}");
        assert!(e.to_string().starts_with("the JSON body ends early"), "{e}");
    }

    fn transport(kind: TransportKind) -> Error {
        Error::Transport { endpoint: "file_details", kind, attempts: 1, source: "x".into() }
    }

    /// `is_retryable` says yes exactly for what the request engine retries.
    #[test]
    fn retryable_transport_kinds() {
        const CASES: &[(TransportKind, bool)] = &[
            (TransportKind::Connect, true),
            (TransportKind::Timeout, true),
            (TransportKind::Connection, true),
            (TransportKind::TooLarge, false),
            (TransportKind::Other, false),
        ];
        for &(kind, want) in CASES {
            assert_eq!(kind.is_retryable(), want, "{kind:?}");
            assert_eq!(transport(kind).is_retryable(), want, "{kind:?}");
            let wrapped = Error::Processing {
                stage: ProcessingStage::Fetch,
                cleanup: Cleanup::Deleted,
                source: Box::new(transport(kind)),
            };
            assert_eq!(wrapped.is_retryable(), want, "{kind:?} while processing");
        }
    }
}
