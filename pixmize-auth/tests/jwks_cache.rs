//! The JWKS cache against a local wiremock server, with fetch counts:
//! caching and TTL, background refresh of expired keys (slow endpoint),
//! single flight, rotation, rate-limited unknown-kid refetches, stale
//! serving, kid mismatch, bad secret key, retries, timeouts, the Frontend
//! API source, and caches scoped per configuration.
//!
//! Time is injected (`verify_at`, or the verifier's clock); no test waits
//! for a TTL. A verification of an unknown `kid` is used as a barrier: it
//! waits for a background refresh in flight (single flight) and so makes
//! fetch counts deterministic.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pixmize_auth::{JwksOptions, KeySource, SessionVerifier, VerifyError};
use serde_json::json;
use support::{ISSUER, NOW, at, claims_at, jwks, key_a, key_b, key_c};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "sk_test_pixmize_jwks";

fn options() -> JwksOptions {
    let mut options = JwksOptions::default();
    options.retry_backoff = Duration::from_millis(1);
    options
}

fn verifier(server: &MockServer, options: JwksOptions) -> SessionVerifier {
    verifier_with_secret(server, SECRET, options)
}

fn verifier_with_secret(
    server: &MockServer,
    secret: &str,
    options: JwksOptions,
) -> SessionVerifier {
    SessionVerifier::builder()
        .secret_key(secret)
        .api_url(format!("{}/v1", server.uri()))
        .issuer(ISSUER)
        .jwks_options(options)
        .build()
        .unwrap()
}

async fn fetches(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

fn jwks_mock(body: serde_json::Value) -> Mock {
    jwks_mock_with(ResponseTemplate::new(200).set_body_json(body))
}

/// A mock of `GET /v1/jwks` that only answers requests carrying the secret
/// key and the pinned API version.
fn jwks_mock_with(response: ResponseTemplate) -> Mock {
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(header("clerk-api-version", pixmize_auth::DEFAULT_API_VERSION))
        .respond_with(response)
}

#[tokio::test]
async fn keys_are_cached_for_five_minutes() {
    // Arrange
    let server = MockServer::start().await;
    jwks_mock(jwks(&[key_a()])).mount(&server).await;
    let v = verifier(&server, options());
    assert_eq!(v.key_source(), KeySource::BackendApi);

    // Act + Assert: three verifications, one fetch.
    for _ in 0..3 {
        v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap();
    }
    assert_eq!(fetches(&server).await, 1);
    // Still cached just before the TTL...
    v.verify_at(&key_a().sign(&claims_at(NOW + 299)), at(NOW + 299)).await.unwrap();
    assert_eq!(fetches(&server).await, 1);
    // ...refetched after it (in the background; the unknown kid of key C
    // waits for that refresh, then fails without a fetch of its own).
    v.verify_at(&key_a().sign(&claims_at(NOW + 301)), at(NOW + 301)).await.unwrap();
    let err = v.verify_at(&key_c().sign(&claims_at(NOW + 301)), at(NOW + 301)).await.unwrap_err();
    assert!(matches!(err, VerifyError::KidMismatch), "{err:?}");
    assert_eq!(fetches(&server).await, 2);
    // The refreshed keys are fresh again.
    v.verify_at(&key_a().sign(&claims_at(NOW + 500)), at(NOW + 500)).await.unwrap();
    assert_eq!(fetches(&server).await, 2);
}

#[tokio::test]
async fn fifty_concurrent_verifications_fetch_once() {
    let server = MockServer::start().await;
    jwks_mock_with(
        ResponseTemplate::new(200)
            .set_body_json(jwks(&[key_a()]))
            .set_delay(Duration::from_millis(200)),
    )
    .expect(1)
    .mount(&server)
    .await;
    let v = verifier(&server, options());
    let token = Arc::new(key_a().sign(&claims_at(NOW)));

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (v, token) = (v.clone(), Arc::clone(&token));
        tasks.spawn(async move { v.verify_at(&token, at(NOW)).await.map(|c| c.sub) });
    }
    let mut ok = 0;
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap(), "user_2test");
        ok += 1;
    }
    assert_eq!(ok, 50);
    assert_eq!(fetches(&server).await, 1);
}

#[tokio::test]
async fn rotation_refetches_on_a_new_kid() {
    let server = MockServer::start().await;
    jwks_mock(jwks(&[key_a()])).up_to_n_times(1).with_priority(1).mount(&server).await;
    jwks_mock(jwks(&[key_a(), key_b()])).with_priority(2).mount(&server).await;
    let v = verifier(&server, options());

    v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap();
    assert_eq!(fetches(&server).await, 1);
    // Clerk rotated to key B; 10 s later a token signed by B arrives.
    let t = NOW + 10;
    let claims = v.verify_at(&key_b().sign(&claims_at(t)), at(t)).await.unwrap();
    assert_eq!(claims.sub, "user_2test");
    assert_eq!(fetches(&server).await, 2);
    // Both keys are now cached.
    v.verify_at(&key_a().sign(&claims_at(t)), at(t)).await.unwrap();
    v.verify_at(&key_b().sign(&claims_at(t)), at(t)).await.unwrap();
    assert_eq!(fetches(&server).await, 2);
}

#[tokio::test]
async fn unknown_kids_are_rate_limited() {
    let server = MockServer::start().await;
    jwks_mock(jwks(&[key_a()])).mount(&server).await;
    let v = verifier(&server, options());
    v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap();

    // Twenty tokens with made-up kids within the 10 s window: no fetch.
    for i in 0..20 {
        let token = key_c().sign_raw(
            &json!({"alg": "RS256", "kid": format!("ins_random_{i}")}),
            &claims_at(NOW + 5),
            jsonwebtoken::Algorithm::RS256,
        );
        let err = v.verify_at(&token, at(NOW + 5)).await.unwrap_err();
        assert!(matches!(err, VerifyError::KidMismatch), "{err:?}");
    }
    assert_eq!(fetches(&server).await, 1);
    // After the window, one more refetch is allowed; then it is closed again.
    for _ in 0..5 {
        let err = v.verify_at(&key_c().sign(&claims_at(NOW + 11)), at(NOW + 11)).await.unwrap_err();
        assert_eq!(err.reason(), "jwk-kid-mismatch");
    }
    assert_eq!(fetches(&server).await, 2);
}

#[tokio::test]
async fn kid_mismatch_after_a_refetch() {
    let server = MockServer::start().await;
    jwks_mock(jwks(&[key_a()])).expect(1).mount(&server).await;
    let v = verifier(&server, options());
    let err = v.verify_at(&key_c().sign(&claims_at(NOW)), at(NOW)).await.unwrap_err();
    assert!(matches!(err, VerifyError::KidMismatch));
    assert_eq!(err.status(), 401);
    // The message does not list the available kids.
    assert!(!err.to_string().contains("ins_test_a"));
}

#[tokio::test]
async fn stale_keys_are_served_when_refresh_fails() {
    let server = MockServer::start().await;
    jwks_mock(jwks(&[key_a()])).up_to_n_times(1).with_priority(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(2)
        .mount(&server)
        .await;
    let mut opts = options();
    opts.max_attempts = 2;
    let v = verifier(&server, opts);
    v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap();

    // Expired cache, failing endpoint: the old keys are used at once and
    // the refresh (2 attempts) runs in the background.
    let t = NOW + 301;
    v.verify_at(&key_a().sign(&claims_at(t)), at(t)).await.unwrap();
    // An unknown kid cannot be vouched for while the endpoint is down: it
    // waits for that refresh and gets its failure, a 503.
    let err = v.verify_at(&key_c().sign(&claims_at(t)), at(t)).await.unwrap_err();
    assert_eq!((err.reason(), err.status().as_u16()), ("jwk-remote-failed-to-load", 503));
    assert_eq!(fetches(&server).await, 3);
    // Within the backoff window, no new attempt; the old keys still serve.
    v.verify_at(&key_a().sign(&claims_at(t + 5)), at(t + 5)).await.unwrap();
    let err = v.verify_at(&key_c().sign(&claims_at(t + 5)), at(t + 5)).await.unwrap_err();
    assert!(matches!(err, VerifyError::JwksUnavailable { .. }), "{err:?}");
    assert_eq!(fetches(&server).await, 3);
    // Past ttl + max_stale (1 h), the old keys are no longer trusted: the
    // verification waits for a refresh, which fails.
    let late = NOW + 300 + 3600 + 20;
    let err = v.verify_at(&key_a().sign(&claims_at(late)), at(late)).await.unwrap_err();
    assert!(matches!(err, VerifyError::JwksUnavailable { .. }), "{err:?}");
    assert_eq!(fetches(&server).await, 5);
}

#[tokio::test]
async fn bad_secret_key_is_a_503_without_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "errors": [{"code": "clerk_key_invalid", "message": "Secret Key is invalid"}],
            "clerk_trace_id": "trace_1",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let v = verifier(&server, options());
    let err = v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap_err();
    assert!(matches!(err, VerifyError::SecretKeyInvalid), "{err:?}");
    assert_eq!((err.reason(), err.status().as_u16()), ("secret-key-invalid", 503));
    assert!(!format!("{err:?} {v:?}").contains(SECRET));
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let v = verifier(&server, options());
    let err = v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap_err();
    assert_eq!((err.reason(), err.status().as_u16()), ("jwk-remote-failed-to-load", 503));
    // Within the backoff window the failure is answered from memory.
    let err = v.verify_at(&key_a().sign(&claims_at(NOW + 1)), at(NOW + 1)).await.unwrap_err();
    assert!(matches!(err, VerifyError::JwksUnavailable { .. }));
    assert_eq!(fetches(&server).await, 3);
}

#[tokio::test]
async fn a_404_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let v = verifier(&server, options());
    let err = v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap_err();
    assert!(matches!(err, VerifyError::JwksUnavailable { .. }), "{err:?}");
}

#[tokio::test]
async fn a_slow_endpoint_times_out() {
    let server = MockServer::start().await;
    jwks_mock_with(
        ResponseTemplate::new(200)
            .set_body_json(jwks(&[key_a()]))
            .set_delay(Duration::from_secs(1)),
    )
    .mount(&server)
    .await;
    let mut opts = options();
    opts.request_timeout = Duration::from_millis(150);
    opts.max_attempts = 2;
    let v = verifier(&server, opts);
    let started = std::time::Instant::now();
    let err = v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap_err();
    assert!(matches!(err, VerifyError::JwksUnavailable { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(900), "took {:?}", started.elapsed());
    assert_eq!(fetches(&server).await, 2);
}

#[tokio::test]
async fn empty_and_invalid_key_sets() {
    let server = MockServer::start().await;
    jwks_mock(json!({"keys": []})).mount(&server).await;
    let err = verifier(&server, options())
        .verify_at(&key_a().sign(&claims_at(NOW)), at(NOW))
        .await
        .unwrap_err();
    assert_eq!(err.reason(), "jwk-remote-failed-to-load");

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let err = verifier(&server, options())
        .verify_at(&key_a().sign(&claims_at(NOW)), at(NOW))
        .await
        .unwrap_err();
    assert_eq!((err.reason(), err.status().as_u16()), ("jwk-remote-invalid", 503));
}

#[tokio::test]
async fn reason_jwk_remote_missing_when_no_listed_key_is_usable() {
    // Keys, but none to verify RS256 session tokens with: an EC key, an
    // encryption key and a 1024-bit-looking modulus.
    let server = MockServer::start().await;
    let a = key_a().jwk();
    jwks_mock(json!({"keys": [
        {"kty": "EC", "kid": key_a().kid, "crv": "P-256", "x": "AQAB", "y": "AQAB"},
        {"kty": "RSA", "kid": key_a().kid, "use": "enc", "n": a["n"], "e": "AQAB"},
        {"kty": "RSA", "kid": "ins_short", "n": "AQAB", "e": "AQAB"},
    ]}))
    .expect(1)
    .mount(&server)
    .await;
    let err = verifier(&server, options())
        .verify_at(&key_a().sign(&claims_at(NOW)), at(NOW))
        .await
        .unwrap_err();
    assert!(matches!(err, VerifyError::JwksMissing), "{err:?}");
    assert_eq!((err.reason(), err.status().as_u16()), ("jwk-remote-missing", 503));
}

#[tokio::test]
async fn caches_are_scoped_per_configuration() {
    // Two Clerk instances behind the same API URL, told apart by secret key.
    let server = MockServer::start().await;
    for (secret, key) in [("sk_test_instance_a", key_a()), ("sk_test_instance_b", key_b())] {
        Mock::given(method("GET"))
            .and(path("/v1/jwks"))
            .and(header("authorization", format!("Bearer {secret}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[key])))
            .expect(1)
            .mount(&server)
            .await;
    }
    let a = verifier_with_secret(&server, "sk_test_instance_a", options());
    let b = verifier_with_secret(&server, "sk_test_instance_b", options());
    let token_a = key_a().sign(&claims_at(NOW));
    a.verify_at(&token_a, at(NOW)).await.unwrap();
    // B never sees A's keys, even though A fetched them first.
    let err = b.verify_at(&token_a, at(NOW)).await.unwrap_err();
    assert!(matches!(err, VerifyError::KidMismatch), "{err:?}");
    b.verify_at(&key_b().sign(&claims_at(NOW)), at(NOW)).await.unwrap();
    // Clones share their cache.
    a.clone().verify_at(&token_a, at(NOW)).await.unwrap();
}

#[tokio::test]
async fn a_jwks_url_is_fetched_without_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/jwks.json"))
        .and(|r: &Request| !r.headers.contains_key("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[key_a()])))
        .expect(1)
        .mount(&server)
        .await;
    let v = SessionVerifier::builder()
        .jwks_url(format!("{}/.well-known/jwks.json", server.uri()))
        .issuer(ISSUER)
        .build()
        .unwrap();
    assert_eq!(v.key_source(), KeySource::JwksUrl);
    v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap();
}

#[tokio::test]
async fn the_token_alg_must_match_the_jwk_alg() {
    // Clerk's JWKs say "alg": "RS256"; an RS512 token with the same key id
    // is refused (as Clerk's Go SDK does), although RS512 is allowed with a
    // PEM key, which names no algorithm.
    let server = MockServer::start().await;
    jwks_mock(jwks(&[key_a()])).mount(&server).await;
    let token = key_a().sign_raw(
        &json!({"alg": "RS512", "kid": key_a().kid}),
        &claims_at(NOW),
        jsonwebtoken::Algorithm::RS512,
    );
    let err = verifier(&server, options()).verify_at(&token, at(NOW)).await.unwrap_err();
    assert_eq!(err.reason(), "token-invalid-algorithm");
}

/// `GET /v1/jwks` answering `[A]` the first time and `later` afterwards,
/// after `delay`.
async fn mount_then(server: &MockServer, later: serde_json::Value, delay: Duration) {
    jwks_mock(jwks(&[key_a()])).up_to_n_times(1).with_priority(1).mount(server).await;
    jwks_mock_with(ResponseTemplate::new(200).set_body_json(later).set_delay(delay))
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn expired_keys_are_served_at_once_while_a_slow_refresh_runs() {
    // Arrange: Clerk rotated from key A to key B, and its key endpoint now
    // takes 3 s to answer.
    let server = MockServer::start().await;
    mount_then(&server, jwks(&[key_b()]), Duration::from_secs(3)).await;
    let v = verifier(&server, options());
    v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap();

    // Act: the cache expired; 20 concurrent requests with key A's tokens.
    let t = NOW + 301;
    let token = Arc::new(key_a().sign(&claims_at(t)));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (v, token) = (v.clone(), Arc::clone(&token));
        tasks.spawn(async move { v.verify_at(&token, at(t)).await.map(|c| c.sub) });
    }
    // A guard against hanging, far below the endpoint's delay.
    let results = tokio::time::timeout(Duration::from_secs(2), tasks.join_all())
        .await
        .expect("verifications with a cached kid must not wait for the slow endpoint");

    // Assert: all pass. They can only have used the cached keys: the
    // refreshed set no longer holds key A.
    assert!(results.iter().all(|r| matches!(r.as_deref(), Ok("user_2test"))), "{results:?}");
    // Key B's kid is unknown to the cache: it waits for the background
    // refresh (which may still be starting) and then passes. One refresh
    // for all twenty-one verifications.
    v.verify_at(&key_b().sign(&claims_at(t)), at(t)).await.unwrap();
    assert_eq!(fetches(&server).await, 2);
    // Now the refreshed keys are in use: key A was rotated out.
    let err = v.verify_at(&key_a().sign(&claims_at(t + 1)), at(t + 1)).await.unwrap_err();
    assert!(matches!(err, VerifyError::KidMismatch), "{err:?}");
    assert_eq!(fetches(&server).await, 2);
}

#[tokio::test]
async fn beyond_max_stale_a_verification_waits_for_the_refresh() {
    // Same rotation, endpoint fast; the keys are past ttl + max_stale.
    let server = MockServer::start().await;
    mount_then(&server, jwks(&[key_b()]), Duration::ZERO).await;
    let mut opts = options();
    opts.max_stale = Duration::from_secs(60);
    let v = verifier(&server, opts);
    v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap();

    // Key A's token is checked against the refreshed keys, which dropped A:
    // it waited for the refresh.
    let t = NOW + 300 + 60 + 1;
    let err = v.verify_at(&key_a().sign(&claims_at(t)), at(t)).await.unwrap_err();
    assert!(matches!(err, VerifyError::KidMismatch), "{err:?}");
    assert_eq!(fetches(&server).await, 2);
    v.verify_at(&key_b().sign(&claims_at(t)), at(t)).await.unwrap();
    assert_eq!(fetches(&server).await, 2);
}

#[tokio::test]
async fn max_stale_zero_refreshes_expired_keys_before_use() {
    let server = MockServer::start().await;
    mount_then(&server, jwks(&[key_b()]), Duration::ZERO).await;
    let mut opts = options();
    opts.max_stale = Duration::ZERO;
    let v = verifier(&server, opts);
    v.verify_at(&key_a().sign(&claims_at(NOW)), at(NOW)).await.unwrap();

    // Just expired: no stale serving, so key A meets the refreshed keys.
    let t = NOW + 301;
    let err = v.verify_at(&key_a().sign(&claims_at(t)), at(t)).await.unwrap_err();
    assert!(matches!(err, VerifyError::KidMismatch), "{err:?}");
    assert_eq!(fetches(&server).await, 2);
}

#[tokio::test]
async fn the_verifier_clock_drives_the_cache_age() {
    // Arrange: a clock the test moves; `verify` (no `_at`) reads it.
    let server = MockServer::start().await;
    mount_then(&server, jwks(&[key_a(), key_b()]), Duration::ZERO).await;
    let seconds = Arc::new(AtomicU64::new(NOW));
    let clock_seconds = Arc::clone(&seconds);
    let v = SessionVerifier::builder()
        .secret_key(SECRET)
        .api_url(format!("{}/v1", server.uri()))
        .issuer(ISSUER)
        .jwks_options(options())
        .clock(Arc::new(move || at(clock_seconds.load(Ordering::SeqCst))))
        .build()
        .unwrap();

    // Act + Assert
    v.verify(&key_a().sign(&claims_at(NOW))).await.unwrap();
    seconds.store(NOW + 299, Ordering::SeqCst);
    v.verify(&key_a().sign(&claims_at(NOW + 299))).await.unwrap();
    assert_eq!(fetches(&server).await, 1, "fresh by the injected clock");
    seconds.store(NOW + 301, Ordering::SeqCst);
    v.verify(&key_a().sign(&claims_at(NOW + 301))).await.unwrap();
    // Key B (only in the second set) waits for the background refresh.
    v.verify(&key_b().sign(&claims_at(NOW + 301))).await.unwrap();
    assert_eq!(fetches(&server).await, 2, "expired by the injected clock");
}

/// `pk_test_` + base64 of `clerk.pixmize.test$`, whose issuer is [`ISSUER`].
const PUBLISHABLE_KEY: &str = "pk_test_Y2xlcmsucGl4bWl6ZS50ZXN0JA";

#[tokio::test]
async fn frontend_api_jwks_is_fetched_from_the_overridden_base() {
    for prefix in ["", "/__clerk"] {
        // Arrange: the Frontend API (or a proxy of it) on a local server.
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(format!("{prefix}/.well-known/jwks.json")))
            .and(|r: &Request| !r.headers.contains_key("authorization"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[key_a()])))
            .expect(1)
            .mount(&server)
            .await;
        let v = SessionVerifier::builder()
            .publishable_key(PUBLISHABLE_KEY)
            .frontend_api_url(format!("{}{prefix}", server.uri()))
            .build()
            .unwrap();
        assert_eq!(v.key_source(), KeySource::FrontendApi);
        // The issuer still comes from the publishable key.
        assert_eq!(v.issuers(), [ISSUER]);

        // Act + Assert: keys fetched once, tokens verified.
        for t in [NOW, NOW + 10] {
            let claims = v.verify_at(&key_a().sign(&claims_at(t)), at(t)).await.unwrap();
            assert_eq!(claims.sub, "user_2test");
        }
        let err = v.verify_at(&key_b().sign(&claims_at(NOW)), at(NOW)).await.unwrap_err();
        assert!(matches!(err, VerifyError::KidMismatch), "{err:?}");
    }
}
