//! Session-token verification: Clerk's fixture token and one test per
//! error reason, with networkless (PEM) keys and a fixed clock.

mod support;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue};
use jsonwebtoken::Algorithm;
use pixmize_auth::{AzpPolicy, ConfigError, KeySource, SessionVerifier, TokenCarrier, VerifyError};
use serde_json::json;
use support::{ISSUER, NOW, at, claims, claims_with, key_a, key_b, now};

const CLERK_TOKEN: &str = include_str!("fixtures/clerk_fixture.jwt");
const CLERK_PEM: &str = include_str!("fixtures/clerk_fixture.pub.pem");
const CLERK_ISSUER: &str = "https://clerk.inspired.puma-74.lcl.dev";
const CLERK_IAT: u64 = 1_666_648_250;
const CLERK_EXP: u64 = 1_666_648_310;

fn clerk_verifier(skew: Duration) -> SessionVerifier {
    SessionVerifier::builder()
        .jwt_key(CLERK_PEM)
        .issuer(CLERK_ISSUER)
        .clock_skew(skew)
        .build()
        .unwrap()
}

fn verifier() -> SessionVerifier {
    SessionVerifier::builder().jwt_key(key_a().public_pem).issuer(ISSUER).build().unwrap()
}

async fn reason(verifier: &SessionVerifier, token: &str) -> &'static str {
    match verifier.verify_at(token, now()).await {
        Ok(claims) => panic!("accepted: {claims:?}"),
        Err(e) => e.reason(),
    }
}

// --- Clerk's own fixture token (`mockJwt` of @clerk/backend) -------------

#[tokio::test]
async fn clerk_fixture_verifies_at_its_own_time() {
    let claims = clerk_verifier(Duration::from_secs(5))
        .verify_at(CLERK_TOKEN.trim(), at(CLERK_IAT))
        .await
        .unwrap();
    assert_eq!(claims.sub, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
    assert_eq!(claims.sid.as_deref(), Some("sess_2GbDB4enNdCa5vS1zpC3Xzg9tK9"));
    assert_eq!(claims.azp.as_deref(), Some("https://accounts.inspired.puma-74.lcl.dev"));
    assert_eq!(
        (claims.iat, claims.nbf, claims.exp),
        (Some(1_666_648_250), Some(1_666_648_240), 1_666_648_310)
    );
}

#[tokio::test]
async fn clerk_fixture_at_the_edges_of_the_skew() {
    let v = clerk_verifier(Duration::from_secs(5));
    // Clerk's tests: accepted at exp + 1 under the 5 s default skew.
    assert!(v.verify_at(CLERK_TOKEN.trim(), at(CLERK_EXP + 1)).await.is_ok());
    assert!(v.verify_at(CLERK_TOKEN.trim(), at(CLERK_EXP + 4)).await.is_ok());
    // Expired exactly at exp + skew (Clerk's `exp <= now - skew`), and one
    // second past the skew.
    for late in [CLERK_EXP + 5, CLERK_EXP + 6, CLERK_EXP + 60] {
        let err = v.verify_at(CLERK_TOKEN.trim(), at(late)).await.unwrap_err();
        assert!(matches!(err, VerifyError::Expired), "{late}: {err:?}");
    }
    // Skew 0: expired at exp + 1.
    let strict = clerk_verifier(Duration::ZERO);
    assert!(matches!(
        strict.verify_at(CLERK_TOKEN.trim(), at(CLERK_EXP + 1)).await,
        Err(VerifyError::Expired)
    ));
    // Too early: nbf is iat - 10.
    let early = v.verify_at(CLERK_TOKEN.trim(), at(1_666_648_240 - 6)).await.unwrap_err();
    assert!(matches!(early, VerifyError::NotActiveYet), "{early:?}");
}

#[tokio::test]
async fn clerk_fixture_with_a_tampered_azp_fails_the_signature() {
    // Like Clerk's `mockInvalidSignatureJwt`: a changed payload, old signature.
    let parts: Vec<&str> = CLERK_TOKEN.trim().split('.').collect();
    let payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    let tampered =
        String::from_utf8(payload).unwrap().replace("accounts.inspired", "accounts.evil");
    let token = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(tampered), parts[2]);
    let err =
        clerk_verifier(Duration::from_secs(5)).verify_at(&token, at(CLERK_IAT)).await.unwrap_err();
    assert!(matches!(err, VerifyError::InvalidSignature), "{err:?}");
}

#[tokio::test]
async fn clerk_fixture_pem_without_armor_and_wrong_issuer() {
    let bare: String = CLERK_PEM.lines().filter(|l| !l.starts_with("-----")).collect();
    let v = SessionVerifier::builder().jwt_key(bare).issuer(CLERK_ISSUER).build().unwrap();
    assert_eq!(v.key_source(), KeySource::Pem);
    assert!(v.verify_at(CLERK_TOKEN.trim(), at(CLERK_IAT)).await.is_ok());
    let other = SessionVerifier::builder().jwt_key(CLERK_PEM).issuer(ISSUER).build().unwrap();
    assert!(matches!(
        other.verify_at(CLERK_TOKEN.trim(), at(CLERK_IAT)).await,
        Err(VerifyError::InvalidIssuer)
    ));
}

// --- One test per reason ----------------------------------------------

#[tokio::test]
async fn own_key_accepts_a_valid_token() {
    let claims = verifier().verify_at(&key_a().sign(&claims()), now()).await.unwrap();
    assert_eq!(claims.sub, "user_2test");
}

#[tokio::test]
async fn reason_session_token_missing() {
    let err = verifier().authenticate_at(&HeaderMap::new(), now()).await.unwrap_err();
    assert_eq!(err.reason(), "session-token-missing");
    assert_eq!(err.status(), 401);
}

#[tokio::test]
async fn reason_token_type_mismatch() {
    let v = verifier();
    // A JWT-template token (non-session `cat`), an M2M token, a machine
    // subject, an OAuth JWT.
    let template = key_a().sign_raw(
        &json!({"alg": "RS256", "kid": "ins_test_a", "cat": "cl_B7d4PD222AAA"}),
        &claims(),
        Algorithm::RS256,
    );
    let m2m = key_a().sign_raw(
        &json!({"alg": "RS256", "kid": "ins_test_a", "cat": "cl_B7d4PD333AAA"}),
        &claims(),
        Algorithm::RS256,
    );
    let oauth =
        key_a().sign_raw(&json!({"alg": "RS256", "typ": "at+jwt"}), &claims(), Algorithm::RS256);
    let machine = key_a().sign(&claims_with(json!({"sub": "mch_2abc"})));
    for token in [&template, &m2m, &oauth, &machine] {
        assert_eq!(reason(&v, token).await, "token-type-mismatch");
    }
    // Opaque machine tokens are rejected when extracted.
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_static("Bearer mt_1234567890"));
    assert_eq!(
        v.authenticate_at(&headers, now()).await.unwrap_err().reason(),
        "token-type-mismatch"
    );
    // The "ignore" category passes.
    let ignore = key_a().sign_raw(
        &json!({"alg": "RS256", "cat": "cl_I7d4PD111III"}),
        &claims(),
        Algorithm::RS256,
    );
    assert!(v.verify_at(&ignore, now()).await.is_ok());
}

#[tokio::test]
async fn reason_token_invalid() {
    let v = verifier();
    let valid = key_a().sign(&claims());
    let parts: Vec<&str> = valid.split('.').collect();
    let not_json_header = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode("nope"), parts[1], parts[2]);
    let bad_typ =
        key_a().sign_raw(&json!({"alg": "RS256", "typ": "JWE"}), &claims(), Algorithm::RS256);
    let not_json_payload = {
        // Correctly signed, but the payload is not JSON.
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#);
        let payload = URL_SAFE_NO_PAD.encode("not json");
        let input = format!("{header}.{payload}");
        let signature = sign_input(&input);
        format!("{input}.{signature}")
    };
    let cases = [
        "".to_owned(),
        "a.b".to_owned(),
        "a.b.c.d".to_owned(),
        format!("{}..{}", parts[0], parts[2]),
        format!("{}.{}.", parts[0], parts[1]),
        format!("{}.{}!.{}", parts[0], parts[1], parts[2]),
        not_json_header,
        bad_typ,
        format!("{}.{}.{}", parts[0], "A".repeat(20_000), parts[2]),
        not_json_payload,
    ];
    for token in &cases {
        assert_eq!(reason(&v, token).await, "token-invalid", "{token:?}");
    }
}

/// Signs arbitrary bytes with test key A.
fn sign_input(input: &str) -> String {
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    let der = key_a().private.to_pkcs1_der().unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes());
    jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::RS256).unwrap()
}

#[tokio::test]
async fn reason_token_invalid_algorithm() {
    let v = verifier();
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &claims(),
        &jsonwebtoken::EncodingKey::from_secret(key_a().public_pem.as_bytes()),
    )
    .unwrap();
    let none = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims().to_string())
    );
    let ps256 = key_a().sign_raw(&json!({"alg": "PS256"}), &claims(), Algorithm::PS256);
    let missing = key_a().sign_raw(&json!({"typ": "JWT"}), &claims(), Algorithm::RS256);
    for token in [&hs256, &none, &ps256, &missing] {
        assert_eq!(reason(&v, token).await, "token-invalid-algorithm");
    }
    // RS384 and RS512 are accepted with an RSA key.
    for alg in [Algorithm::RS384, Algorithm::RS512] {
        let name = format!("{alg:?}");
        let token = key_a().sign_raw(&json!({"alg": name}), &claims(), alg);
        assert!(v.verify_at(&token, now()).await.is_ok(), "{name}");
    }
}

#[tokio::test]
async fn reason_token_invalid_signature() {
    let by_other_key = key_b().sign(&claims());
    assert_eq!(reason(&verifier(), &by_other_key).await, "token-invalid-signature");
}

#[tokio::test]
async fn signature_is_checked_before_claims() {
    // An expired token with a bad signature reports the signature, so a
    // forger learns nothing about claim checks.
    let forged = key_b().sign(&claims_with(json!({"exp": NOW - 3600, "iss": "https://evil"})));
    assert_eq!(reason(&verifier(), &forged).await, "token-invalid-signature");
}

#[tokio::test]
async fn reason_token_verification_failed() {
    let v = verifier();
    let cases = [
        claims_with(json!({"sub": null})),
        claims_with(json!({"sub": ""})),
        claims_with(json!({"sub": 42})),
        claims_with(json!({"exp": null})),
        claims_with(json!({"exp": "soon"})),
        claims_with(json!({"nbf": "earlier"})),
    ];
    for c in &cases {
        assert_eq!(reason(&v, &key_a().sign(c)).await, "token-verification-failed", "{c}");
    }
}

#[tokio::test]
async fn reason_token_expired() {
    let token = key_a().sign(&claims_with(json!({"exp": NOW - 5})));
    assert_eq!(reason(&verifier(), &token).await, "token-expired");
    let within_skew = key_a().sign(&claims_with(json!({"exp": NOW - 4})));
    assert!(verifier().verify_at(&within_skew, now()).await.is_ok());
}

#[tokio::test]
async fn reason_token_not_active_yet() {
    let token = key_a().sign(&claims_with(json!({"nbf": NOW + 6})));
    assert_eq!(reason(&verifier(), &token).await, "token-not-active-yet");
    let within_skew = key_a().sign(&claims_with(json!({"nbf": NOW + 5})));
    assert!(verifier().verify_at(&within_skew, now()).await.is_ok());
}

#[tokio::test]
async fn reason_token_iat_in_the_future() {
    let token = key_a().sign(&claims_with(json!({"iat": NOW + 6, "nbf": null})));
    assert_eq!(reason(&verifier(), &token).await, "token-iat-in-the-future");
}

#[tokio::test]
async fn configurable_skew_applies_to_all_three_times() {
    let wide = SessionVerifier::builder()
        .jwt_key(key_a().public_pem)
        .issuer(ISSUER)
        .clock_skew(Duration::from_secs(30))
        .build()
        .unwrap();
    for c in [
        claims_with(json!({"exp": NOW - 29})),
        claims_with(json!({"nbf": NOW + 29})),
        claims_with(json!({"iat": NOW + 29})),
    ] {
        assert!(wide.verify_at(&key_a().sign(&c), now()).await.is_ok(), "{c}");
        assert!(verifier().verify_at(&key_a().sign(&c), now()).await.is_err(), "{c}");
    }
}

#[tokio::test]
async fn reason_token_invalid_authorized_parties() {
    let parties = vec!["https://app.pixmize.test".to_owned()];
    let build = |policy| {
        SessionVerifier::builder()
            .jwt_key(key_a().public_pem)
            .issuer(ISSUER)
            .authorized_parties(policy)
            .build()
            .unwrap()
    };
    let required = build(AzpPolicy::Required(parties.clone()));
    let if_present = build(AzpPolicy::IfPresent(parties));
    let evil = key_a().sign(&claims_with(json!({"azp": "https://evil.test"})));
    let missing = key_a().sign(&claims_with(json!({"azp": null})));
    let good = key_a().sign(&claims());
    assert_eq!(reason(&required, &evil).await, "token-invalid-authorized-parties");
    assert_eq!(reason(&required, &missing).await, "token-invalid-authorized-parties");
    assert_eq!(reason(&if_present, &evil).await, "token-invalid-authorized-parties");
    assert!(if_present.verify_at(&missing, now()).await.is_ok());
    assert!(required.verify_at(&good, now()).await.is_ok());
    // An empty list is "not configured".
    assert!(build(AzpPolicy::Required(vec![])).verify_at(&evil, now()).await.is_ok());
}

#[tokio::test]
async fn reason_token_invalid_issuer() {
    let v = verifier();
    for c in
        [claims_with(json!({"iss": "https://clerk.evil.test"})), claims_with(json!({"iss": null}))]
    {
        assert_eq!(reason(&v, &key_a().sign(&c)).await, "token-invalid-issuer", "{c}");
    }
    // A trailing slash on either side is tolerated; several issuers work.
    let two = SessionVerifier::builder()
        .jwt_key(key_a().public_pem)
        .issuer("https://proxy.pixmize.test/")
        .issuer(ISSUER)
        .build()
        .unwrap();
    let proxied = key_a().sign(&claims_with(json!({"iss": "https://proxy.pixmize.test"})));
    assert!(two.verify_at(&proxied, now()).await.is_ok());
}

#[tokio::test]
async fn reason_session_pending() {
    let pending = key_a().sign(&claims_with(json!({"sts": "pending", "v": 2})));
    assert!(verifier().verify_at(&pending, now()).await.unwrap().is_pending());
    let strict = SessionVerifier::builder()
        .jwt_key(key_a().public_pem)
        .issuer(ISSUER)
        .reject_pending(true)
        .build()
        .unwrap();
    assert_eq!(reason(&strict, &pending).await, "session-pending");
    let active = key_a().sign(&claims_with(json!({"sts": "active"})));
    assert!(strict.verify_at(&active, now()).await.is_ok());
}

#[tokio::test]
async fn publishable_key_pins_the_issuer() {
    // pk for "clerk.inspired.puma-74.lcl.dev"; the PEM is the key source.
    let v = SessionVerifier::builder()
        .publishable_key("pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA")
        .jwt_key(CLERK_PEM)
        .build()
        .unwrap();
    assert_eq!(v.key_source(), KeySource::Pem);
    assert!(v.verify_at(CLERK_TOKEN.trim(), at(CLERK_IAT)).await.is_ok());
}

#[tokio::test]
async fn authenticate_reports_the_carrier() {
    let v = verifier();
    let token = key_a().sign(&claims());
    let mut headers = HeaderMap::new();
    headers.insert("cookie", HeaderValue::from_str(&format!("__session={token}")).unwrap());
    let session = v.authenticate_at(&headers, now()).await.unwrap();
    assert_eq!(session.carrier(), TokenCarrier::Cookie);
    headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
    assert_eq!(v.authenticate_at(&headers, now()).await.unwrap().carrier(), TokenCarrier::Header);
}

#[test]
fn bad_configuration_is_reported_at_build() {
    let cases: Vec<(pixmize_auth::SessionVerifierBuilder, &str)> = vec![
        (SessionVerifier::builder().issuer(ISSUER), "no key source"),
        (SessionVerifier::builder().jwt_key(key_a().public_pem), "no issuer"),
        (SessionVerifier::builder().jwt_key("garbage").issuer(ISSUER), "public key"),
        (
            SessionVerifier::builder().publishable_key("pk_nope").jwt_key(CLERK_PEM),
            "publishable key",
        ),
    ];
    for (builder, want) in cases {
        let err = builder.build().unwrap_err();
        assert!(err.to_string().contains(want), "{err} should mention {want}");
    }
    // A real 1024-bit SPKI key (openssl genpkey) parses but is refused.
    let small = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC4KwkalssHEH95AVZtfdG+QwBD5i3kntacbvizriKgsObs1+CUmlRbwuZS1cTDXPkUGitOzLFZuAbUFqiArMqhBOooTPQTAqLpT6Ev/U80zOw+ex6sk5B4HpHfZxpagjg2ymhYavrvaEycgSqyD/7dpATwFK+u/TShZChO1VOi0QIDAQAB";
    let err = SessionVerifier::builder().jwt_key(small).issuer(ISSUER).build().unwrap_err();
    assert!(matches!(err, ConfigError::InvalidPublicKey), "{err:?}");
}

#[tokio::test]
async fn errors_never_carry_token_contents() {
    let token = key_b().sign(&claims_with(json!({"sub": "user_secret_marker"})));
    let err = verifier().verify_at(&token, now()).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("user_secret_marker") && !text.contains(&token[..20]), "{text}");
}

#[test]
fn jwk_local_missing_and_jwk_failed_to_resolve_are_build_errors() {
    // Clerk reports these per token; here no verifier exists without a key
    // source (`jwk-failed-to-resolve`) or with an empty PEM key
    // (`jwk-local-missing`), so no verification can meet them.
    let err = SessionVerifier::builder().issuer(ISSUER).build().unwrap_err();
    assert!(matches!(err, ConfigError::NoKeySource), "{err:?}");
    for empty in ["", "  \n", "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----"] {
        let err = SessionVerifier::builder().jwt_key(empty).issuer(ISSUER).build().unwrap_err();
        assert!(matches!(err, ConfigError::InvalidPublicKey), "{empty:?}: {err:?}");
    }
}
