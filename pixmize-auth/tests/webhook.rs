//! Webhook verification with the official Svix / Standard Webhooks test
//! vectors (svix-webhooks `python/tests/test_webhooks.py` and
//! `rust/src/webhooks.rs` tests). The expected signatures are the published
//! ones, not recomputed by the code under test.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use pixmize_auth::{
    EventData, IdempotencyCache, JsonErrorKind, Webhook, WebhookError, WebhookEvent,
};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP: u64 = 1_614_265_330;
const PAYLOAD: &[u8] = br#"{"test": 2432232314}"#;
const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn headers(id: &str, timestamp: &str, signature: &str) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert("svix-id", HeaderValue::from_str(id).unwrap());
    map.insert("svix-timestamp", HeaderValue::from_str(timestamp).unwrap());
    map.insert("svix-signature", HeaderValue::from_str(signature).unwrap());
    map
}

fn vector_headers(signature: &str) -> HeaderMap {
    headers(MSG_ID, &TIMESTAMP.to_string(), signature)
}

fn check(secret: &str, headers: &HeaderMap, body: &[u8], now: u64) -> Result<(), WebhookError> {
    Webhook::new(secret).unwrap().verify_signature_at(headers, body, at(now)).map(|_| ())
}

#[test]
fn official_vector_passes_with_and_without_prefix() {
    for secret in [SECRET, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] {
        let delivery = Webhook::new(secret)
            .unwrap()
            .verify_signature_at(&vector_headers(SIGNATURE), PAYLOAD, at(TIMESTAMP))
            .unwrap();
        assert_eq!((delivery.id.as_str(), delivery.timestamp), (MSG_ID, 1_614_265_330));
    }
}

#[test]
fn sign_reproduces_the_official_signature() {
    let webhook = Webhook::new(SECRET).unwrap();
    assert_eq!(webhook.sign(MSG_ID, 1_614_265_330, PAYLOAD), SIGNATURE);
}

#[test]
fn a_changed_last_character_fails() {
    let err = check(
        SECRET,
        &vector_headers("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="),
        PAYLOAD,
        TIMESTAMP,
    );
    assert!(matches!(err, Err(WebhookError::InvalidSignature)), "{err:?}");
}

#[test]
fn several_signatures_in_one_header() {
    let others = [
        "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ=",
        "v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q=",
        "v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=",
    ];
    let without = others.join(" ");
    assert!(matches!(
        check(SECRET, &vector_headers(&without), PAYLOAD, TIMESTAMP),
        Err(WebhookError::InvalidSignature)
    ));
    for position in 0..=others.len() {
        let mut list: Vec<&str> = others.to_vec();
        list.insert(position, SIGNATURE);
        let header = list.join(" ");
        assert!(check(SECRET, &vector_headers(&header), PAYLOAD, TIMESTAMP).is_ok(), "{header}");
    }
}

#[test]
fn malformed_and_other_version_entries_are_ignored() {
    let cases = [
        "v1,",
        "v1",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ",
        "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "",
    ];
    for signature in cases {
        let result = check(SECRET, &vector_headers(signature), PAYLOAD, TIMESTAMP);
        assert!(matches!(result, Err(WebhookError::InvalidSignature)), "{signature:?}: {result:?}");
    }
    let mixed = format!("v2,zzz v1, garbage {SIGNATURE}");
    assert!(check(SECRET, &vector_headers(&mixed), PAYLOAD, TIMESTAMP).is_ok());
}

#[test]
fn timestamp_tolerance_is_five_minutes_both_ways() {
    let h = vector_headers(SIGNATURE);
    assert!(check(SECRET, &h, PAYLOAD, TIMESTAMP + 300).is_ok());
    assert!(check(SECRET, &h, PAYLOAD, TIMESTAMP - 300).is_ok());
    assert!(matches!(
        check(SECRET, &h, PAYLOAD, TIMESTAMP + 301),
        Err(WebhookError::TimestampTooOld)
    ));
    assert!(matches!(
        check(SECRET, &h, PAYLOAD, TIMESTAMP - 301),
        Err(WebhookError::TimestampTooNew)
    ));
}

#[test]
fn a_different_timestamp_than_signed_fails() {
    let h = headers(MSG_ID, "1614265331", SIGNATURE);
    assert!(matches!(check(SECRET, &h, PAYLOAD, TIMESTAMP), Err(WebhookError::InvalidSignature)));
}

#[test]
fn invalid_timestamps_and_missing_headers() {
    for ts in ["-1", "abc", "1614265330.5", ""] {
        let h = headers(MSG_ID, ts, SIGNATURE);
        assert!(
            matches!(check(SECRET, &h, PAYLOAD, TIMESTAMP), Err(WebhookError::InvalidTimestamp)),
            "{ts:?}"
        );
    }
    for missing in ["svix-id", "svix-timestamp", "svix-signature"] {
        let mut h = vector_headers(SIGNATURE);
        h.remove(missing);
        let err = check(SECRET, &h, PAYLOAD, TIMESTAMP).unwrap_err();
        assert!(matches!(err, WebhookError::MissingHeader(name) if name == missing), "{err:?}");
    }
}

#[test]
fn standard_webhook_headers_are_accepted() {
    let mut h = HeaderMap::new();
    h.insert("webhook-id", HeaderValue::from_static(MSG_ID));
    h.insert("webhook-timestamp", HeaderValue::from_static("1614265330"));
    h.insert("webhook-signature", HeaderValue::from_static(SIGNATURE));
    assert!(check(SECRET, &h, PAYLOAD, TIMESTAMP).is_ok());
}

#[test]
fn the_raw_body_is_what_counts() {
    // Re-serialized JSON (no space after the colon) breaks the signature.
    let reserialized = br#"{"test":2432232314}"#;
    let result = check(SECRET, &vector_headers(SIGNATURE), reserialized, TIMESTAMP);
    assert!(matches!(result, Err(WebhookError::InvalidSignature)));
    // A wrong secret fails too.
    let other_secret = "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldA==";
    let result = check(other_secret, &vector_headers(SIGNATURE), PAYLOAD, TIMESTAMP);
    assert!(matches!(result, Err(WebhookError::InvalidSignature)));
}

#[test]
fn clerk_event_end_to_end_with_idempotency() {
    let webhook = Webhook::new(SECRET).unwrap();
    let body = br#"{"data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC","object":"user","first_name":"Example","email_addresses":[{"id":"idn_1","email_address":"example@example.org"}],"primary_email_address_id":"idn_1","created_at":1654012591514},"instance_id":"ins_123","object":"event","timestamp":1654012591835,"type":"user.created"}"#;
    let now = 1_700_000_000;
    let signature = webhook.sign("msg_user_created", now, body);
    let h = headers("msg_user_created", &now.to_string(), &signature);
    let verified = webhook.verify_at(&h, body, at(1_700_000_000)).unwrap();
    assert_eq!(verified.event.event_type, "user.created");
    assert_eq!(verified.event.instance_id.as_deref(), Some("ins_123"));
    let EventData::UserCreated(user) = &verified.event.data else {
        panic!("not user.created: {:?}", verified.event.data)
    };
    assert_eq!(user.primary_email(), Some("example@example.org"));

    // Svix retries with the same id: handle once.
    let seen = IdempotencyCache::default();
    assert!(seen.first_delivery(&verified.delivery.id, at(1_700_000_000)));
    assert!(!seen.first_delivery(&verified.delivery.id, at(1_700_003_600)));
}

#[test]
fn duplicates_are_recognised_when_the_cache_is_full() {
    let seen = IdempotencyCache::new(Duration::from_secs(3600), 2);
    let now = at(1_700_000_000);
    // Two ids fill the cache; their repeats are duplicates, not first deliveries.
    assert!(seen.first_delivery("a", now));
    assert!(seen.first_delivery("b", now));
    assert!(!seen.first_delivery("a", now), "a repeat of the oldest id at capacity");
    assert!(!seen.first_delivery("b", now), "a repeat of the newest id at capacity");
    assert_eq!(seen.len(), 2);
    // A third id evicts the oldest one, and only it.
    assert!(seen.first_delivery("c", now));
    assert_eq!(seen.len(), 2);
    assert!(!seen.first_delivery("b", now));
    assert!(!seen.first_delivery("c", now));
    assert!(seen.first_delivery("a", now), "the evicted id counts as new again");
    assert!(!seen.first_delivery("c", now), "the eviction for `a` took `b`, the oldest");
    assert!(seen.first_delivery("b", now));
}

#[test]
fn invalid_payloads_never_quote_the_body() {
    let cases: &[(&str, JsonErrorKind, Option<&str>)] = &[
        // An email where a timestamp belongs, top level and nested.
        (
            r#"{"type":"user.created","data":{"id":"user_1","created_at":"ada@example.com"}}"#,
            JsonErrorKind::InvalidType,
            None,
        ),
        (
            r#"{"type":"ada@example.com","timestamp":"ada@example.com"}"#,
            JsonErrorKind::InvalidType,
            None,
        ),
        (
            r#"{"type":"user.deleted","data":{"id":["ada@example.com"]}}"#,
            JsonErrorKind::InvalidType,
            None,
        ),
        // Not JSON, cut short, a required field missing.
        (r#"{"type":"user.created", ada@example.com}"#, JsonErrorKind::Syntax, None),
        (r#"{"type":"user.created","data":{"id":"ada@example.com"#, JsonErrorKind::Eof, None),
        (r#"{"data":{"email":"ada@example.com"}}"#, JsonErrorKind::MissingField, Some("type")),
    ];
    for (body, kind, field) in cases {
        let err = WebhookEvent::from_slice(body.as_bytes()).unwrap_err();
        let WebhookError::InvalidPayload { source } = &err else { panic!("{body}: {err:?}") };
        assert_eq!((source.kind, source.field.as_deref()), (*kind, *field), "{body}");
        let mut text = String::new();
        let mut cause: Option<&dyn std::error::Error> = Some(&err);
        while let Some(e) = cause {
            text.push_str(&format!("{e} {e:?}\n"));
            cause = e.source();
        }
        assert!(!text.contains("ada@") && !text.contains("example.com"), "{body}: {text}");
    }
}
