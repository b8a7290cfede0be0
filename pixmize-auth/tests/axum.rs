//! The axum layer and extractor: 401/503 JSON answers that leak nothing.
#![cfg(feature = "axum")]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, to_bytes};
use axum::routing::get;
use axum::{Extension, Router};
use http::{Request, StatusCode, header};
use pixmize_auth::axum::ClerkLayer;
use pixmize_auth::{JwksOptions, SessionVerifier, VerifiedSession};
use serde_json::json;
use support::{ISSUER, NOW, at, claims_at, claims_with, key_a, key_b};
use tower::ServiceExt as _;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn wall_clock() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn verifier() -> SessionVerifier {
    SessionVerifier::builder().jwt_key(key_a().public_pem).issuer(ISSUER).build().unwrap()
}

async fn me(session: VerifiedSession) -> String {
    format!("{} via {}", session.user_id(), session.carrier())
}

async fn maybe(session: Option<VerifiedSession>) -> String {
    session.map_or_else(|| "anonymous".to_owned(), |s| s.user_id().to_owned())
}

async fn send(app: Router, token: Option<&str>) -> (StatusCode, http::HeaderMap, String) {
    let mut request = Request::builder().uri("/");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn required_layer_accepts_valid_and_rejects_the_rest() {
    let app = Router::new().route("/", get(me)).layer(ClerkLayer::require(verifier()));
    let good = key_a().sign(&claims_at(wall_clock()));
    let (status, _, body) = send(app.clone(), Some(&good)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "user_2test via header"));

    let (status, headers, body) = send(app.clone(), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, r#"{"error":"unauthorized"}"#);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");

    // An expired token and a forged one: the same answer, no details.
    let expired = key_a().sign(&claims_with(
        json!({"exp": wall_clock() - 3600, "iat": wall_clock() - 3700, "nbf": null}),
    ));
    let forged = key_b().sign(&claims_at(wall_clock()));
    for token in [&expired, &forged] {
        let (status, _, body) = send(app.clone(), Some(token)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::UNAUTHORIZED, r#"{"error":"unauthorized"}"#)
        );
    }
}

#[tokio::test]
async fn optional_layer_lets_anonymous_requests_through() {
    let app = Router::new().route("/", get(maybe)).layer(ClerkLayer::optional(verifier()));
    let (status, _, body) = send(app.clone(), None).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "anonymous"));
    let good = key_a().sign(&claims_at(wall_clock()));
    assert_eq!(send(app.clone(), Some(&good)).await.2, "user_2test");
    let forged = key_b().sign(&claims_at(wall_clock()));
    assert_eq!(send(app, Some(&forged)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn extractor_works_with_just_an_extension() {
    let app = Router::new().route("/", get(me)).layer(Extension(verifier()));
    let good = key_a().sign(&claims_at(wall_clock()));
    assert_eq!(send(app.clone(), Some(&good)).await.0, StatusCode::OK);
    assert_eq!(send(app, None).await.0, StatusCode::UNAUTHORIZED);

    let optional = Router::new().route("/", get(maybe)).layer(Extension(verifier()));
    assert_eq!(send(optional, None).await.2, "anonymous");
}

#[tokio::test]
async fn a_missing_verifier_is_a_500() {
    let app = Router::new().route("/", get(me));
    let (status, _, body) = send(app, Some("a.b.c")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, r#"{"error":"internal_error"}"#)
    );
}

#[tokio::test]
async fn an_unreachable_key_endpoint_is_a_503() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let mut options = JwksOptions::default();
    options.max_attempts = 1;
    options.request_timeout = Duration::from_secs(2);
    let verifier = SessionVerifier::builder()
        .jwks_url(format!("{}/jwks", server.uri()))
        .issuer(ISSUER)
        .jwks_options(options)
        .build()
        .unwrap();
    let app = Router::new().route("/", get(me)).layer(ClerkLayer::require(verifier));
    let token = key_a().sign(&claims_at(wall_clock()));
    let (status, headers, body) = send(app, Some(&token)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, r#"{"error":"service_unavailable"}"#)
    );
    assert_eq!(headers[header::RETRY_AFTER], "5");
}

#[tokio::test]
async fn layer_and_extractor_use_the_verifier_clock() {
    // Arrange: a verifier whose clock the test sets, at 2026-01-01 (not the
    // wall clock), and a token valid for 60 s from then.
    let seconds = Arc::new(AtomicU64::new(NOW));
    let clock_seconds = Arc::clone(&seconds);
    let verifier = SessionVerifier::builder()
        .jwt_key(key_a().public_pem)
        .issuer(ISSUER)
        .clock(Arc::new(move || at(clock_seconds.load(Ordering::SeqCst))))
        .build()
        .unwrap();
    let token = key_a().sign(&claims_at(NOW));
    let layered = Router::new().route("/", get(me)).layer(ClerkLayer::require(verifier.clone()));
    let extracted = Router::new().route("/", get(me)).layer(Extension(verifier));

    for app in [layered, extracted] {
        // Act + Assert: accepted while the injected clock is within the
        // token's life, whatever the wall clock says...
        seconds.store(NOW + 30, Ordering::SeqCst);
        let (status, _, body) = send(app.clone(), Some(&token)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "user_2test via header"));
        // ...and rejected once it passes `exp` + 5 s.
        seconds.store(NOW + 66, Ordering::SeqCst);
        let (status, _, body) = send(app.clone(), Some(&token)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::UNAUTHORIZED, r#"{"error":"unauthorized"}"#)
        );
    }
}
