//! Clerk webhooks: Svix / Standard Webhooks signature verification over the
//! raw body, typed events, and an idempotency helper.
//!
//! The scheme (svix-webhooks `rust/src/webhooks.rs`, the Standard Webhooks
//! JavaScript library, `@clerk/backend` `verifyWebhook`): the key is the
//! base64 secret after an optional `whsec_`; the signed content is
//! `"{svix-id}.{svix-timestamp}.{raw body}"`; the signature header holds
//! space-separated `v1,<base64 HMAC-SHA256>` entries, any of which may
//! match; the timestamp must be within 5 minutes of now, both ways.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use http::HeaderMap;
use secrecy::{ExposeSecret as _, SecretSlice};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::backend::{BillingSubscription, DeletedObject, SubscriptionItem, User};
use crate::error::{ConfigError, JsonError, WebhookError};

type HmacSha256 = Hmac<Sha256>;

/// The default timestamp tolerance: 5 minutes, both ways.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// A webhook signing secret and its verifier.
///
/// ```
/// use pixmize_auth::Webhook;
/// use http::HeaderMap;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// // The Standard Webhooks test vector.
/// let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
/// let mut headers = HeaderMap::new();
/// headers.insert("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek".parse()?);
/// headers.insert("svix-timestamp", "1614265330".parse()?);
/// headers.insert("svix-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".parse()?);
/// let delivery = webhook.verify_signature_at(
///     &headers,
///     br#"{"test": 2432232314}"#,
///     UNIX_EPOCH + Duration::from_secs(1614265330),
/// )?;
/// assert_eq!(delivery.id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Webhook {
    key: SecretSlice<u8>,
    tolerance: Duration,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("key", &"<redacted>")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

/// The headers of a verified delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// The message id (`svix-id`): the same on every retry of a message,
    /// so use it for idempotency.
    pub id: String,
    /// The signed timestamp (`svix-timestamp`), Unix seconds.
    pub timestamp: i64,
}

/// A verified delivery and its parsed event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifiedWebhook {
    /// The delivery headers.
    pub delivery: Delivery,
    /// The event.
    pub event: WebhookEvent,
}

impl Webhook {
    /// A verifier for this secret, with or without the `whsec_` prefix.
    ///
    /// # Errors
    /// [`ConfigError::InvalidWebhookSecret`] when the rest is not
    /// non-empty standard base64.
    pub fn new(secret: &str) -> Result<Self, ConfigError> {
        let secret = secret.trim();
        let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
        let key = STANDARD.decode(encoded).map_err(|_| ConfigError::InvalidWebhookSecret)?;
        if key.is_empty() {
            return Err(ConfigError::InvalidWebhookSecret);
        }
        Ok(Self { key: SecretSlice::from(key), tolerance: DEFAULT_TOLERANCE })
    }

    /// Changes the timestamp tolerance (default 5 minutes).
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies a delivery against the system clock and parses its event.
    ///
    /// `body` must be the raw bytes as received: parsing and re-serializing
    /// the JSON changes them and breaks the signature.
    ///
    /// # Errors
    /// See [`WebhookError`].
    pub fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedWebhook, WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// Like [`Webhook::verify`], as of `now`.
    ///
    /// # Errors
    /// See [`WebhookError`].
    pub fn verify_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<VerifiedWebhook, WebhookError> {
        let delivery = self.verify_signature_at(headers, body, now)?;
        let event = WebhookEvent::from_slice(body)?;
        Ok(VerifiedWebhook { delivery, event })
    }

    /// Verifies the signature only (headers `svix-*`, or `webhook-*` as a
    /// fallback), as of `now`.
    ///
    /// # Errors
    /// See [`WebhookError`].
    pub fn verify_signature_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Delivery, WebhookError> {
        let get = |svix: &'static str, standard: &'static str| {
            headers
                .get(svix)
                .or_else(|| headers.get(standard))
                .and_then(|v| v.to_str().ok())
                .ok_or(WebhookError::MissingHeader(svix))
        };
        let id = get("svix-id", "webhook-id")?;
        let timestamp = get("svix-timestamp", "webhook-timestamp")?;
        let signatures = get("svix-signature", "webhook-signature")?;
        self.verify_parts_at(id, timestamp, signatures, body, now)
    }

    /// Verifies from the three header values directly, as of `now`.
    ///
    /// # Errors
    /// See [`WebhookError`].
    pub fn verify_parts_at(
        &self,
        id: &str,
        timestamp: &str,
        signatures: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Delivery, WebhookError> {
        let ts: i64 = timestamp.trim().parse().map_err(|_| WebhookError::InvalidTimestamp)?;
        if ts < 0 {
            return Err(WebhookError::InvalidTimestamp);
        }
        let now = unix_seconds(now);
        let tolerance = i64::try_from(self.tolerance.as_secs()).unwrap_or(i64::MAX);
        if ts.saturating_add(tolerance) < now {
            return Err(WebhookError::TimestampTooOld);
        }
        if ts > now.saturating_add(tolerance) {
            return Err(WebhookError::TimestampTooNew);
        }

        let mac = self.mac(id, timestamp.trim(), body);
        let matched = signatures.split(' ').filter_map(|entry| entry.split_once(',')).any(
            |(version, signature)| {
                version == "v1"
                    && STANDARD
                        .decode(signature)
                        .is_ok_and(|signature| mac.clone().verify_slice(&signature).is_ok())
            },
        );
        if !matched {
            return Err(WebhookError::InvalidSignature);
        }
        Ok(Delivery { id: id.to_owned(), timestamp: ts })
    }

    /// Signs a message the way Svix does: `"v1,<base64 signature>"`. Useful
    /// to test your own webhook handlers.
    #[must_use]
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, &timestamp.to_string(), body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail; fall back to
        // an empty key rather than panic, which only ever fails to verify.
        let mut mac = HmacSha256::new_from_slice(self.key.expose_secret())
            .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// A Clerk webhook event: `{type, data, object: "event", timestamp,
/// instance_id}`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// The event type, such as `"user.created"`.
    pub event_type: String,
    /// When Clerk created the event, Unix milliseconds.
    pub timestamp: Option<i64>,
    /// The Clerk instance (`ins_…`).
    pub instance_id: Option<String>,
    /// The typed payload.
    pub data: EventData,
}

/// The payload of an event, typed for the events an image app handles.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EventData {
    /// `user.created`.
    UserCreated(Box<User>),
    /// `user.updated`.
    UserUpdated(Box<User>),
    /// `user.deleted`.
    UserDeleted(DeletedObject),
    /// `session.created`, `session.ended`, `session.removed`,
    /// `session.revoked`, …
    Session {
        /// The part after `session.`, such as `"revoked"`.
        action: String,
        /// The session.
        session: Box<Session>,
    },
    /// `subscription.created`, `subscription.updated`,
    /// `subscription.active`, `subscription.pastDue`.
    Subscription {
        /// The part after `subscription.`, such as `"pastDue"`.
        action: String,
        /// The subscription.
        subscription: Box<BillingSubscription>,
    },
    /// `subscriptionItem.*` (`active`, `canceled`, `ended`, `pastDue`, …).
    SubscriptionItem {
        /// The part after `subscriptionItem.`, such as `"canceled"`.
        action: String,
        /// The item.
        item: Box<SubscriptionItem>,
    },
    /// Any other event, with its raw `data`.
    Other(Value),
}

/// A Clerk session, as sent in `session.*` events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Session {
    /// `sess_…`. Clerk's types declare it a non-null string; a `null` or
    /// missing id still parses, as `""`, so that one odd delivery cannot
    /// make the endpoint answer errors and Svix retry it for days.
    #[serde(deserialize_with = "crate::backend::nullable")]
    pub id: String,
    /// The user.
    pub user_id: Option<String>,
    /// The client (browser) the session lives in.
    pub client_id: Option<String>,
    /// `active`, `ended`, `revoked`, … (kept as text).
    pub status: Option<String>,
    /// Last activity (ms).
    pub last_active_at: Option<i64>,
    /// Expiry (ms).
    pub expire_at: Option<i64>,
    /// Creation (ms).
    pub created_at: Option<i64>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl WebhookEvent {
    /// Parses an event body. Call this only on a verified body.
    ///
    /// # Errors
    /// [`WebhookError::InvalidPayload`] when the body is not an event or a
    /// known event's `data` has the wrong shape.
    pub fn from_slice(body: &[u8]) -> Result<Self, WebhookError> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(rename = "type")]
            event_type: String,
            #[serde(default)]
            data: Value,
            #[serde(default)]
            timestamp: Option<i64>,
            #[serde(default)]
            instance_id: Option<String>,
        }
        fn invalid(e: &serde_json::Error) -> WebhookError {
            WebhookError::InvalidPayload { source: JsonError::from_serde(e) }
        }
        let raw: Raw = serde_json::from_slice(body).map_err(|e| invalid(&e))?;
        fn typed<T: serde::de::DeserializeOwned>(data: Value) -> Result<T, WebhookError> {
            serde_json::from_value(data).map_err(|e| invalid(&e))
        }
        let t = raw.event_type.as_str();
        let data = if t == "user.created" {
            EventData::UserCreated(Box::new(typed(raw.data)?))
        } else if t == "user.updated" {
            EventData::UserUpdated(Box::new(typed(raw.data)?))
        } else if t == "user.deleted" {
            EventData::UserDeleted(typed(raw.data)?)
        } else if let Some(action) = t.strip_prefix("session.") {
            EventData::Session { action: action.to_owned(), session: Box::new(typed(raw.data)?) }
        } else if let Some(action) = t.strip_prefix("subscription.") {
            EventData::Subscription {
                action: action.to_owned(),
                subscription: Box::new(typed(raw.data)?),
            }
        } else if let Some(action) = t.strip_prefix("subscriptionItem.") {
            EventData::SubscriptionItem {
                action: action.to_owned(),
                item: Box::new(typed(raw.data)?),
            }
        } else {
            EventData::Other(raw.data)
        };
        Ok(Self {
            event_type: raw.event_type,
            timestamp: raw.timestamp,
            instance_id: raw.instance_id,
            data,
        })
    }

    /// The user the event is about, when it names one.
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        match &self.data {
            EventData::UserCreated(u) | EventData::UserUpdated(u) => Some(&u.id),
            EventData::UserDeleted(d) => Some(&d.id),
            EventData::Session { session, .. } => session.user_id.as_deref(),
            _ => None,
        }
    }
}

/// Remembers delivered message ids (`svix-id`) so that each message is
/// handled once. Svix retries a failed delivery for about a day with the
/// same id, and delivery is at-least-once and unordered.
///
/// This is an in-process helper: several server instances need a shared
/// store (a unique index on the id in your database). Call
/// [`IdempotencyCache::forget`] when handling fails, so the retry is not
/// mistaken for a duplicate.
///
/// ```
/// use std::time::SystemTime;
/// let seen = pixmize_auth::IdempotencyCache::default();
/// let now = SystemTime::now();
/// assert!(seen.first_delivery("msg_1", now));
/// assert!(!seen.first_delivery("msg_1", now));
/// ```
#[derive(Debug)]
pub struct IdempotencyCache {
    ttl: Duration,
    capacity: usize,
    state: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    expires: HashMap<String, i64>,
    order: VecDeque<(i64, String)>,
}

impl Default for IdempotencyCache {
    /// Three days and 100 000 ids.
    fn default() -> Self {
        Self::new(Duration::from_secs(3 * 24 * 3600), 100_000)
    }
}

impl IdempotencyCache {
    /// Remembers ids for `ttl`, at most `capacity` of them (the oldest are
    /// forgotten first).
    #[must_use]
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self { ttl, capacity: capacity.max(1), state: Mutex::new(Seen::default()) }
    }

    /// Records `id` and returns `true` if it was not seen within the TTL.
    pub fn first_delivery(&self, id: &str, now: SystemTime) -> bool {
        let now = unix_seconds(now);
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Drop expired entries (and queue entries of forgotten or renewed
        // ids), oldest first.
        while let Some((expiry, old)) = st.order.front() {
            let stale = st.expires.get(old) != Some(expiry);
            if !stale && *expiry > now {
                break;
            }
            if let Some((_, old)) = st.order.pop_front()
                && !stale
            {
                st.expires.remove(&old);
            }
        }
        // A duplicate is answered before anything is evicted, so a repeat
        // of the oldest id is still recognised when the cache is full.
        if st.expires.get(id).is_some_and(|e| *e > now) {
            return false;
        }
        // A new (or expired) id: make room by forgetting the oldest ids.
        st.expires.remove(id);
        while st.expires.len() >= self.capacity {
            let Some((expiry, old)) = st.order.pop_front() else { break };
            if st.expires.get(&old) == Some(&expiry) {
                st.expires.remove(&old);
            }
        }
        let expiry = now.saturating_add(ttl);
        st.expires.insert(id.to_owned(), expiry);
        st.order.push_back((expiry, id.to_owned()));
        true
    }

    /// Forgets `id`, so its next delivery counts as the first.
    pub fn forget(&self, id: &str) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).expires.remove(id);
    }

    /// How many ids are remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).expires.len()
    }

    /// Whether no id is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_forms() {
        assert!(Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        assert!(Webhook::new("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        for bad in ["", "whsec_", "whsec_***", "not base64!"] {
            assert!(matches!(Webhook::new(bad), Err(ConfigError::InvalidWebhookSecret)), "{bad:?}");
        }
        let debug =
            format!("{:?}", Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap());
        assert!(!debug.contains("MfKQ"), "{debug}");
    }

    #[test]
    fn idempotency_expires_and_is_bounded() {
        let cache = IdempotencyCache::new(Duration::from_secs(60), 2);
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000);
        assert!(cache.first_delivery("a", t0));
        assert!(!cache.first_delivery("a", t0 + Duration::from_secs(59)));
        assert!(cache.first_delivery("a", t0 + Duration::from_secs(60)), "expired");
        assert!(cache.first_delivery("b", t0 + Duration::from_secs(61)));
        assert!(cache.first_delivery("c", t0 + Duration::from_secs(62)));
        assert!(cache.len() <= 2, "bounded: {}", cache.len());
        cache.forget("c");
        assert!(cache.first_delivery("c", t0 + Duration::from_secs(63)));
    }

    #[test]
    fn event_types() {
        let cases: &[(&str, &str)] = &[
            (r#"{"type":"user.created","data":{"id":"user_1"}}"#, "UserCreated"),
            (r#"{"type":"user.updated","data":{"id":"user_1"}}"#, "UserUpdated"),
            (r#"{"type":"user.deleted","data":{"id":"user_1","deleted":true}}"#, "UserDeleted"),
            (r#"{"type":"session.revoked","data":{"id":"sess_1","user_id":"user_1"}}"#, "Session"),
            (r#"{"type":"subscription.pastDue","data":{"id":"sub_1"}}"#, "Subscription"),
            (r#"{"type":"subscriptionItem.canceled","data":{"id":"si_1"}}"#, "SubscriptionItem"),
            (r#"{"type":"email.created","data":{"id":"e"}}"#, "Other"),
        ];
        for (body, want) in cases {
            let event = WebhookEvent::from_slice(body.as_bytes()).unwrap();
            let got = format!("{:?}", event.data);
            assert!(got.starts_with(want), "{body}: {got}");
        }
        let session = WebhookEvent::from_slice(cases[3].0.as_bytes()).unwrap();
        assert_eq!(session.user_id(), Some("user_1"));
        assert!(WebhookEvent::from_slice(b"[]").is_err());
        assert!(WebhookEvent::from_slice(br#"{"type":"user.created","data":[1]}"#).is_err());
    }

    #[test]
    fn session_events_tolerate_a_null_or_missing_id() {
        for body in [
            r#"{"type":"session.ended","data":{"id":null,"user_id":"user_1","user":null}}"#,
            r#"{"type":"session.ended","data":{"user_id":"user_1"}}"#,
        ] {
            let event = WebhookEvent::from_slice(body.as_bytes()).unwrap();
            let EventData::Session { action, session } = &event.data else {
                panic!("{body}: {:?}", event.data)
            };
            assert_eq!((action.as_str(), session.id.as_str()), ("ended", ""), "{body}");
            assert_eq!(event.user_id(), Some("user_1"), "{body}");
        }
    }
}
