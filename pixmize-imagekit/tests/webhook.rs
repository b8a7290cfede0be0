//! Webhook verification: both schemes, fixed vectors, tolerance, typed
//! events. Expected signatures come from the Standard Webhooks
//! specification or from Python's `hmac`, never from this crate.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use pixmize_imagekit::{EventData, EventType, ManualClock, WebhookError, WebhookVerifier};

const BODY: &str = r#"{"id":"evt_1","type":"file.created","created_at":"2023-11-14T22:13:20Z","data":{"fileId":"f1","name":"a.jpg","filePath":"/a.jpg"}}"#;
const SECRET: &str = "whsec_imagekit_test_secret";

fn at(secs: u64) -> Arc<ManualClock> {
    Arc::new(ManualClock::at_unix(secs))
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn standard_webhooks_specification_vector() {
    // STYLE §6: the Standard Webhooks vector (key = base64-decoded secret).
    let v = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .unwrap()
        .clock(at(1_614_265_330));
    let body = br#"{"test": 2432232314}"#;
    let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    // The body is not an ImageKit event, but the signature must match
    // (the event parses leniently as an unknown type).
    let event = v.verify_standard("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", sig, body).unwrap();
    assert!(matches!(event.event_type, EventType::Other(_)));
    let wrong = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=";
    assert!(matches!(
        v.verify_standard("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", wrong, body),
        Err(WebhookError::NoMatchingSignature)
    ));
}

#[test]
fn imagekit_standard_scheme_with_raw_secret_key() {
    let v = WebhookVerifier::new(SECRET).unwrap().clock(at(1_700_000_000));
    // Python: base64(hmac(secret_utf8, "msg_1.1700000000." + body, sha256)).
    let sig = "v1,Htf8H8iRDCW7eqtvjEBMOTrW78grVzi2BVJQALMFNQo=";
    let h = headers(&[
        ("webhook-id", "msg_1"),
        ("webhook-timestamp", "1700000000"),
        ("webhook-signature", sig),
    ]);
    let event = v.verify(&h, BODY.as_bytes()).unwrap();
    assert_eq!(event.id, "evt_1");
    assert_eq!(event.event_type, EventType::FileCreated);
    let EventData::File(f) = &event.data else { panic!("{:?}", event.data) };
    assert_eq!(f.file_path, "/a.jpg");
    // Several signatures: one matching is enough.
    let many = format!("v1,AAAA v2,zzz {sig}");
    assert!(v.verify_standard("msg_1", "1700000000", &many, BODY.as_bytes()).is_ok());
    // A tampered body, id or timestamp fails.
    let tampered = BODY.replace("a.jpg", "b.jpg");
    for (id, ts, body) in [
        ("msg_1", "1700000000", tampered.as_str()),
        ("msg_2", "1700000000", BODY),
        ("msg_1", "1700000001", BODY),
    ] {
        assert!(matches!(
            v.verify_standard(id, ts, sig, body.as_bytes()),
            Err(WebhookError::NoMatchingSignature)
        ));
    }
}

#[test]
fn tolerance_is_300_seconds_both_ways() {
    let sig = "v1,Htf8H8iRDCW7eqtvjEBMOTrW78grVzi2BVJQALMFNQo=";
    for (now, ok) in [(1_700_000_300, true), (1_699_999_700, true)] {
        let v = WebhookVerifier::new(SECRET).unwrap().clock(at(now));
        assert_eq!(
            v.verify_standard("msg_1", "1700000000", sig, BODY.as_bytes()).is_ok(),
            ok,
            "{now}"
        );
    }
    let late = WebhookVerifier::new(SECRET).unwrap().clock(at(1_700_000_301));
    assert!(matches!(
        late.verify_standard("msg_1", "1700000000", sig, BODY.as_bytes()),
        Err(WebhookError::TimestampTooOld)
    ));
    let early = WebhookVerifier::new(SECRET).unwrap().clock(at(1_699_999_699));
    assert!(matches!(
        early.verify_standard("msg_1", "1700000000", sig, BODY.as_bytes()),
        Err(WebhookError::TimestampTooNew)
    ));
    let wide = WebhookVerifier::new(SECRET)
        .unwrap()
        .clock(at(1_700_001_000))
        .tolerance(Duration::from_secs(3600));
    assert!(wide.verify_standard("msg_1", "1700000000", sig, BODY.as_bytes()).is_ok());
}

#[test]
fn legacy_x_ik_signature() {
    // Python: hex(hmac(secret, "1700000000123." + body, sha256)).
    let header =
        "t=1700000000123,v1=d0dc26d36e09e293e5528a2c2e9a050549719c434892ac3c82c48827a8d4de66";
    let v = WebhookVerifier::new(SECRET).unwrap().clock(at(1_700_000_100));
    let event = v.verify(&headers(&[("x-ik-signature", header)]), BODY.as_bytes()).unwrap();
    assert_eq!(event.event_type, EventType::FileCreated);
    let too_late = WebhookVerifier::new(SECRET).unwrap().clock(at(1_700_000_401));
    assert!(matches!(
        too_late.verify_legacy(header, BODY.as_bytes()),
        Err(WebhookError::TimestampTooOld)
    ));
    for bad in ["v1=d0dc", "t=abc,v1=00", "t=1700000000123", ""] {
        assert!(
            matches!(v.verify_legacy(bad, BODY.as_bytes()), Err(WebhookError::InvalidHeader(_))),
            "{bad}"
        );
    }
    let wrong = header.replace("d0dc", "d0dd");
    assert!(matches!(
        v.verify_legacy(&wrong, BODY.as_bytes()),
        Err(WebhookError::NoMatchingSignature)
    ));
}

#[test]
fn missing_headers_and_bad_payloads() {
    let v = WebhookVerifier::new(SECRET).unwrap().clock(at(1_700_000_000));
    assert!(matches!(v.verify(&HeaderMap::new(), b"{}"), Err(WebhookError::MissingHeader(_))));
    let h = headers(&[("webhook-signature", "v1,x"), ("webhook-timestamp", "1700000000")]);
    assert!(matches!(v.verify(&h, b"{}"), Err(WebhookError::MissingHeader("webhook-id"))));
    let h = headers(&[
        ("webhook-signature", "v1,x"),
        ("webhook-id", "m"),
        ("webhook-timestamp", "soon"),
    ]);
    assert!(matches!(v.verify(&h, b"{}"), Err(WebhookError::InvalidHeader("webhook-timestamp"))));
    // A valid signature over a body that is not JSON.
    let sig = v.sign_standard("m", 1_700_000_000, b"not json");
    assert!(matches!(
        v.verify_standard("m", "1700000000", &sig, b"not json"),
        Err(WebhookError::InvalidPayload(_))
    ));
    assert!(matches!(WebhookVerifier::new(" "), Err(WebhookError::EmptySecret)));
}

#[test]
fn typed_events_with_unknown_fallback() {
    let v = WebhookVerifier::new(SECRET).unwrap().clock(at(1_700_000_000));
    let cases = [
        (r#"{"id":"e","type":"file.deleted","data":{"fileId":"f9"}}"#, "deleted"),
        (
            r#"{"id":"e","type":"upload.pre-transform.success","data":{"fileId":"f1","name":"a.jpg","url":"u","height":10}}"#,
            "uploaded",
        ),
        (
            r#"{"id":"e","type":"upload.post-transform.success","data":{"fileId":"f1","name":"a.jpg","url":"u"},"request":{"x_request_id":"r"}}"#,
            "post",
        ),
        (
            r#"{"id":"e","type":"upload.post-transform.error","data":{"fileId":"f1","name":"a","path":"/a","transformation":{"error":{"reason":"bad"}}}}"#,
            "error",
        ),
        (
            r#"{"id":"e","type":"video.transformation.ready","data":{"asset":{"url":"u"},"transformation":{"type":"video-transformation"}}}"#,
            "video",
        ),
        (r#"{"id":"e","type":"file.teleported","data":{"x":1}}"#, "unknown"),
    ];
    for (body, want) in cases {
        let sig = v.sign_standard("m", 1_700_000_000, body.as_bytes());
        let e = v.verify_standard("m", "1700000000", &sig, body.as_bytes()).unwrap();
        let got = match &e.data {
            EventData::Deleted(d) => {
                assert_eq!(d.file_id, "f9");
                "deleted"
            }
            EventData::Uploaded(u) => {
                assert_eq!(u.height, Some(10));
                "uploaded"
            }
            EventData::PostTransform(p) => {
                assert!(e.request.is_some());
                assert_eq!(p.url, "u");
                "post"
            }
            EventData::TransformError(t) => {
                assert_eq!(t.reason(), Some("bad"));
                "error"
            }
            EventData::Video(v) => {
                assert!(v.asset.is_some());
                "video"
            }
            EventData::Unknown(_) => {
                assert_eq!(e.event_type.as_str(), "file.teleported");
                "unknown"
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(got, want, "{body}");
    }
}

#[test]
fn signatures_this_crate_makes_match_the_vectors() {
    let v = WebhookVerifier::new(SECRET).unwrap();
    assert_eq!(
        v.sign_standard("msg_1", 1_700_000_000, BODY.as_bytes()),
        "v1,Htf8H8iRDCW7eqtvjEBMOTrW78grVzi2BVJQALMFNQo="
    );
    assert_eq!(
        v.sign_legacy(1_700_000_000_123, BODY.as_bytes()),
        "t=1700000000123,v1=d0dc26d36e09e293e5528a2c2e9a050549719c434892ac3c82c48827a8d4de66"
    );
    assert!(!format!("{v:?}").contains("imagekit_test_secret"));
}

#[test]
fn unverified_parsing_is_explicit() {
    let e = pixmize_imagekit::dangerous::parse_unverified(BODY.as_bytes()).unwrap();
    assert_eq!(e.event_type, EventType::FileCreated);
    assert!(pixmize_imagekit::dangerous::parse_unverified(b"nope").is_err());
}
