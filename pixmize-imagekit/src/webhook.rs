//! Webhook verification, both of ImageKit's schemes, over the raw body:
//!
//! * **Standard Webhooks** (current): headers `webhook-id`,
//!   `webhook-timestamp` (Unix seconds) and `webhook-signature`
//!   (space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).
//!   ImageKit's SDKs key the HMAC with the raw UTF-8 bytes of the whole
//!   dashboard secret; a `whsec_<base64>` secret is also tried with its
//!   decoded bytes, as the Standard Webhooks specification does.
//! * **Legacy**: header `x-ik-signature: t=<unix ms>,v1=<hex HMAC-SHA256
//!   of "t.body">`, keyed with the secret as is.
//!
//! Both compare in constant time (`Mac::verify_slice`) and reject
//! timestamps more than ±300 s from the injectable clock.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::client::{Clock, SystemClock};
use crate::error::WebhookError;
use crate::files::{FileDetails, FileId, VersionId, nullable, string_enum};
use crate::upload::UploadedFile;

/// The default tolerance between a webhook's timestamp and now (5 minutes,
/// as Standard Webhooks).
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

type HmacSha256 = Hmac<Sha256>;

/// Verifies ImageKit webhooks.
///
/// ```
/// use std::sync::Arc;
/// use pixmize_imagekit::{ManualClock, WebhookVerifier};
/// let clock = ManualClock::at_unix(1_700_000_000);
/// let verifier = WebhookVerifier::new("whsec_test")?.clock(Arc::new(clock));
/// let body = br#"{"id":"evt_1","type":"file.created","created_at":"2023-11-14T22:13:20Z","data":{"fileId":"f1"}}"#;
/// let signature = verifier.sign_standard("evt_1", 1_700_000_000, body);
/// let event = verifier.verify_standard("evt_1", "1700000000", &signature, body)?;
/// assert_eq!(event.event_type.as_str(), "file.created");
/// # Ok::<(), pixmize_imagekit::WebhookError>(())
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    secret: SecretString,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("secret", &"<redacted>")
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

impl WebhookVerifier {
    /// A verifier for the dashboard's webhook secret.
    ///
    /// # Errors
    /// [`WebhookError::EmptySecret`] for an empty secret.
    pub fn new(secret: impl Into<String>) -> Result<WebhookVerifier, WebhookError> {
        let secret = secret.into();
        if secret.trim().is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        Ok(WebhookVerifier {
            secret: SecretString::from(secret),
            tolerance: DEFAULT_TOLERANCE,
            clock: Arc::new(SystemClock),
        })
    }

    /// Sets the tolerance (default 300 s).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Sets the clock.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Verifies a request by its headers: `webhook-*` when present, else
    /// `x-ik-signature`.
    ///
    /// # Errors
    /// [`WebhookError`]: missing or malformed headers, no matching
    /// signature, a timestamp outside the tolerance, or a body that is not
    /// an event.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        let get = |name: &'static str| -> Result<Option<&str>, WebhookError> {
            match headers.get(name) {
                None => Ok(None),
                Some(v) => v.to_str().map(Some).map_err(|_| WebhookError::InvalidHeader(name)),
            }
        };
        if let Some(sig) = get("webhook-signature")? {
            let id = get("webhook-id")?.ok_or(WebhookError::MissingHeader("webhook-id"))?;
            let ts = get("webhook-timestamp")?
                .ok_or(WebhookError::MissingHeader("webhook-timestamp"))?;
            return self.verify_standard(id, ts, sig, body);
        }
        if let Some(sig) = get("x-ik-signature")? {
            return self.verify_legacy(sig, body);
        }
        if headers.contains_key("webhook-id") || headers.contains_key("webhook-timestamp") {
            return Err(WebhookError::MissingHeader("webhook-signature"));
        }
        Err(WebhookError::MissingHeader("webhook-signature"))
    }

    /// Verifies the Standard Webhooks scheme from its three header values.
    ///
    /// # Errors
    /// As [`WebhookVerifier::verify`].
    pub fn verify_standard(
        &self,
        id: &str,
        timestamp: &str,
        signatures: &str,
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| WebhookError::InvalidHeader("webhook-timestamp"))?;
        let mut content = Vec::with_capacity(id.len() + timestamp.len() + body.len() + 2);
        content.extend_from_slice(format!("{id}.{}.", timestamp.trim()).as_bytes());
        content.extend_from_slice(body);
        let keys = self.standard_keys();
        let mut matched = false;
        for sig in signatures.split_whitespace() {
            let Some(b64) = sig.strip_prefix("v1,") else { continue };
            let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64) else { continue };
            for key in &keys {
                let mut mac = hmac_for(key);
                mac.update(&content);
                // Constant-time comparison.
                if mac.verify_slice(&raw).is_ok() {
                    matched = true;
                }
            }
        }
        if !matched {
            return Err(WebhookError::NoMatchingSignature);
        }
        self.check_time(i128::from(ts) * 1000)?;
        parse_event(body)
    }

    /// Verifies the legacy `x-ik-signature: t=<ms>,v1=<hex>` scheme.
    ///
    /// # Errors
    /// As [`WebhookVerifier::verify`].
    pub fn verify_legacy(
        &self,
        x_ik_signature: &str,
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        const H: &str = "x-ik-signature";
        let mut t = None;
        let mut sigs = Vec::new();
        for part in x_ik_signature.split(',') {
            match part.trim().split_once('=') {
                Some(("t", v)) => t = Some(v.trim()),
                Some(("v1", v)) => sigs.push(v.trim()),
                _ => {}
            }
        }
        let t = t.ok_or(WebhookError::InvalidHeader(H))?;
        let ms: i64 = t.parse().map_err(|_| WebhookError::InvalidHeader(H))?;
        if sigs.is_empty() {
            return Err(WebhookError::InvalidHeader(H));
        }
        let mut matched = false;
        for sig in sigs {
            let Ok(raw) = hex::decode(sig) else { continue };
            let mut mac = hmac_for(self.secret.expose_secret().as_bytes());
            mac.update(t.as_bytes());
            mac.update(b".");
            mac.update(body);
            if mac.verify_slice(&raw).is_ok() {
                matched = true;
            }
        }
        if !matched {
            return Err(WebhookError::NoMatchingSignature);
        }
        self.check_time(i128::from(ms))?;
        parse_event(body)
    }

    /// The `webhook-signature` value ImageKit would send (keyed with the
    /// raw secret bytes); for tests and emulators.
    #[must_use]
    pub fn sign_standard(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let mut mac = hmac_for(self.secret.expose_secret().as_bytes());
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        )
    }

    /// The legacy `x-ik-signature` value for a timestamp in milliseconds.
    #[must_use]
    pub fn sign_legacy(&self, timestamp_ms: u64, body: &[u8]) -> String {
        let mut mac = hmac_for(self.secret.expose_secret().as_bytes());
        mac.update(format!("{timestamp_ms}.").as_bytes());
        mac.update(body);
        format!("t={timestamp_ms},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    fn standard_keys(&self) -> Vec<Vec<u8>> {
        let s = self.secret.expose_secret();
        let mut keys = vec![s.as_bytes().to_vec()];
        if let Some(rest) = s.strip_prefix("whsec_")
            && let Ok(k) = base64::engine::general_purpose::STANDARD.decode(rest)
            && !k.is_empty()
        {
            keys.push(k);
        }
        keys
    }

    fn check_time(&self, event_ms: i128) -> Result<(), WebhookError> {
        let now = self.clock.now();
        let now_ms = match now.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_millis() as i128,
            Err(e) => -(e.duration().as_millis() as i128),
        };
        let tol = self.tolerance.as_millis() as i128;
        if event_ms < now_ms - tol {
            Err(WebhookError::TimestampTooOld)
        } else if event_ms > now_ms + tol {
            Err(WebhookError::TimestampTooNew)
        } else {
            Ok(())
        }
    }
}

fn hmac_for(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

string_enum! {
    /// The `type` of a webhook event.
    pub enum EventType {
        /// `video.transformation.accepted`.
        VideoTransformationAccepted = "video.transformation.accepted",
        /// `video.transformation.ready`.
        VideoTransformationReady = "video.transformation.ready",
        /// `video.transformation.error`.
        VideoTransformationError = "video.transformation.error",
        /// `upload.pre-transform.success`.
        UploadPreTransformSuccess = "upload.pre-transform.success",
        /// `upload.pre-transform.error`.
        UploadPreTransformError = "upload.pre-transform.error",
        /// `upload.post-transform.success`.
        UploadPostTransformSuccess = "upload.post-transform.success",
        /// `upload.post-transform.error`.
        UploadPostTransformError = "upload.post-transform.error",
        /// `file.created`.
        FileCreated = "file.created",
        /// `file.updated`.
        FileUpdated = "file.updated",
        /// `file.deleted`.
        FileDeleted = "file.deleted",
        /// `file-version.created`.
        FileVersionCreated = "file-version.created",
        /// `file-version.deleted`.
        FileVersionDeleted = "file-version.deleted",
    }
}

/// A verified webhook event: the envelope `{id, type, created_at, data,
/// request}` with typed data.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// The event id.
    pub id: String,
    /// The event type.
    pub event_type: EventType,
    /// When it happened (ISO 8601).
    pub created_at: Option<String>,
    /// The typed data.
    pub data: EventData,
    /// The originating request (`x_request_id`, the requested
    /// transformation), as sent.
    pub request: Option<Value>,
    /// The whole body.
    pub raw: Value,
}

/// The data of an event, by type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventData {
    /// `file.created`, `file.updated`, `file-version.created`.
    File(Box<FileDetails>),
    /// `file.deleted`, `file-version.deleted`.
    Deleted(DeletedRef),
    /// `upload.pre-transform.success`: the stored file.
    Uploaded(Box<UploadedFile>),
    /// `upload.post-transform.success`.
    PostTransform(PostTransformData),
    /// `upload.pre-transform.error`, `upload.post-transform.error`.
    TransformError(TransformErrorData),
    /// `video.transformation.*`.
    Video(VideoTransformationData),
    /// Any other type (or data this crate cannot read), as sent.
    Unknown(Value),
}

/// What was deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeletedRef {
    /// The file id.
    #[serde(deserialize_with = "nullable")]
    pub file_id: FileId,
    /// The version id, for a version.
    pub version_id: Option<VersionId>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A finished post-transformation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PostTransformData {
    /// The original file.
    #[serde(deserialize_with = "nullable")]
    pub file_id: FileId,
    /// Its name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// URL of the result.
    #[serde(deserialize_with = "nullable")]
    pub url: String,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A failed pre- or post-transformation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct TransformErrorData {
    /// The original file (post-transformations).
    pub file_id: Option<FileId>,
    /// Its name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Its path.
    #[serde(deserialize_with = "nullable")]
    pub path: String,
    /// URL of the attempt (post-transformations).
    pub url: Option<String>,
    /// `transformation.error.reason`, as sent.
    pub transformation: Option<Value>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TransformErrorData {
    /// `transformation.error.reason`.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.transformation.as_ref()?.get("error")?.get("reason")?.as_str()
    }
}

/// A video transformation event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VideoTransformationData {
    /// The source asset (`url`…), as sent.
    pub asset: Option<Value>,
    /// The transformation (`type`, `options`, `output`, `error`…), as sent.
    pub transformation: Option<Value>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reading webhook bodies without verifying them: only for bodies whose
/// authenticity was established some other way (a trusted queue, a
/// replay from your own store).
pub mod dangerous {
    use super::{WebhookError, WebhookEvent};

    /// Parses a webhook body as a typed event **without** checking any
    /// signature or timestamp.
    ///
    /// # Errors
    /// [`WebhookError::InvalidPayload`] when the body is not JSON.
    pub fn parse_unverified(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        super::parse_event(body)
    }
}

fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let raw: Value = serde_json::from_slice(body).map_err(WebhookError::InvalidPayload)?;
    let text = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
    let event_type: EventType = text("type")
        .unwrap_or_default()
        .parse()
        .unwrap_or_else(|e: std::convert::Infallible| match e {});
    let data_v = raw.get("data").cloned().unwrap_or(Value::Null);
    fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> Option<T> {
        serde_json::from_value(v.clone()).ok()
    }
    let data = match &event_type {
        EventType::FileCreated | EventType::FileUpdated | EventType::FileVersionCreated => {
            typed(&data_v).map(|f| EventData::File(Box::new(f)))
        }
        EventType::FileDeleted | EventType::FileVersionDeleted => {
            typed(&data_v).map(EventData::Deleted)
        }
        EventType::UploadPreTransformSuccess => {
            typed(&data_v).map(|f| EventData::Uploaded(Box::new(f)))
        }
        EventType::UploadPostTransformSuccess => typed(&data_v).map(EventData::PostTransform),
        EventType::UploadPreTransformError | EventType::UploadPostTransformError => {
            typed(&data_v).map(EventData::TransformError)
        }
        EventType::VideoTransformationAccepted
        | EventType::VideoTransformationReady
        | EventType::VideoTransformationError => typed(&data_v).map(EventData::Video),
        EventType::Other(_) => None,
    }
    .unwrap_or(EventData::Unknown(data_v));
    Ok(WebhookEvent {
        id: text("id").unwrap_or_default(),
        event_type,
        created_at: text("created_at"),
        data,
        request: raw.get("request").cloned(),
        raw,
    })
}
