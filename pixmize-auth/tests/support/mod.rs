//! Shared test helpers: RSA keys generated once per test binary, a token
//! minter and JWKS documents.
#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::EncodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::{Value, json};

/// The issuer used by tokens minted here.
pub(crate) const ISSUER: &str = "https://clerk.pixmize.test";
/// A fixed "now" for tests: 2026-01-01T00:00:00Z.
pub(crate) const NOW: u64 = 1_767_225_600;

pub(crate) fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

pub(crate) fn now() -> SystemTime {
    at(NOW)
}

/// A test RSA key pair, generated when a test binary first asks for it
/// (2048 bits, with the `rsa` crate; dependencies are optimised in dev
/// builds, so this takes a fraction of a second) and kept for the rest of
/// that binary's tests. Nothing secret is committed.
pub(crate) struct TestKey {
    pub(crate) kid: &'static str,
    pub(crate) private: rsa::RsaPrivateKey,
    /// The SPKI PEM public key (what the Dashboard calls "JWKS Public Key").
    pub(crate) public_pem: &'static str,
    encoding: EncodingKey,
}

fn generate(kid: &'static str) -> TestKey {
    let private = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).expect("key generation");
    let der = private.to_pkcs1_der().expect("test key encodes");
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .expect("public key encodes");
    TestKey {
        kid,
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        private,
        // Leaked once per key and binary, so helpers can hand out `&'static str`.
        public_pem: Box::leak(public_pem.into_boxed_str()),
    }
}

pub(crate) fn key_a() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| generate("ins_test_a"))
}

pub(crate) fn key_b() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| generate("ins_test_b"))
}

pub(crate) fn key_c() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| generate("ins_test_c"))
}

impl TestKey {
    /// The public JWK, as Clerk's Backend API serves it.
    pub(crate) fn jwk(&self) -> Value {
        let public = self.private.to_public_key();
        json!({
            "use": "sig", "kty": "RSA", "kid": self.kid, "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }

    /// Signs `header` and `claims` as given (no defaults added).
    pub(crate) fn sign_raw(&self, header: &Value, claims: &Value, alg: Algorithm) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &self.encoding, alg)
            .expect("signing works");
        format!("{input}.{signature}")
    }

    /// A RS256 session token with this key's kid.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        self.sign_raw(
            &json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"}),
            claims,
            Algorithm::RS256,
        )
    }
}

/// Valid session claims at [`NOW`]: issued now, expiring in 60 s.
pub(crate) fn claims() -> Value {
    json!({
        "sub": "user_2test", "sid": "sess_2test", "iss": ISSUER,
        "azp": "https://app.pixmize.test",
        "iat": NOW, "nbf": NOW - 10, "exp": NOW + 60,
    })
}

/// `claims()` with `changes` applied (`null` removes a claim).
pub(crate) fn claims_with(changes: Value) -> Value {
    let mut base = claims();
    let (Value::Object(base_map), Value::Object(changes)) = (&mut base, changes) else {
        panic!("objects expected");
    };
    for (key, value) in changes {
        if value.is_null() {
            base_map.remove(&key);
        } else {
            base_map.insert(key, value);
        }
    }
    base
}

/// A JWKS document with these keys.
pub(crate) fn jwks(keys: &[&TestKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()})
}

/// Valid session claims issued at `t` (Unix seconds), expiring at `t + 60`.
pub(crate) fn claims_at(t: u64) -> Value {
    json!({
        "sub": "user_2test", "sid": "sess_2test", "iss": ISSUER,
        "iat": t, "nbf": t - 10, "exp": t + 60,
    })
}
