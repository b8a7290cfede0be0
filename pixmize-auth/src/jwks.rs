//! Signing keys: parsing (JWKS, SPKI PEM/DER) and the remote JWKS cache.
//!
//! The cache follows Clerk's JS SDK (`tokens/keys.ts`: 5 min TTL, refetch
//! on an unknown `kid`) and fixes what it leaves open: expired keys that
//! hold the token's `kid` are served while a single background refresh
//! runs (stale-while-revalidate, bounded by `max_stale`), so a slow key
//! endpoint never holds up requests; the unknown-`kid` refetch is
//! rate-limited; concurrent refreshes are single-flight; a failed refresh
//! leaves the previous keys in use for a while; every fetch has a timeout
//! and bounded retries; and each verifier owns its cache (so two Clerk
//! instances never share keys).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey};
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use crate::error::{BoxError, ConfigError, VerifyError};

/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// How the JWKS cache behaves. The defaults are safe for production.
///
/// How a verification finds its key, for a token whose `kid` is `K`:
/// * **Fresh keys** (fetched less than `ttl` ago) holding `K`: used, no
///   request.
/// * **Expired keys holding `K`**, fetched less than `ttl + max_stale` ago:
///   used at once, and one background refresh is started (single flight:
///   concurrent verifications start no second one; after a failed refresh
///   the next starts `min_refetch_interval` later). A slow or failing key
///   endpoint therefore never delays a request whose key is known. Needs a
///   tokio runtime to spawn on; without one the refresh runs in line.
/// * **`K` unknown** (Clerk rotated its keys, or the token is forged): the
///   request waits for a refetch, which is single-flight and happens at
///   most once per `min_refetch_interval`; within that interval the answer
///   is [`VerifyError::KidMismatch`] (or the last fetch error) at once.
/// * **Keys older than `ttl + max_stale`**, or none yet: the request waits
///   for the refresh; if it fails, the error is a 503
///   ([`VerifyError::JwksUnavailable`] and friends).
///
/// Ages are measured with the verifier's clock
/// ([`SessionVerifierBuilder::clock`](crate::SessionVerifierBuilder::clock)).
///
/// ```
/// use std::time::Duration;
/// let mut options = pixmize_auth::JwksOptions::default();
/// options.request_timeout = Duration::from_secs(2);
/// assert_eq!(options.ttl, Duration::from_secs(300));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JwksOptions {
    /// How long fetched keys are used before they are fetched again
    /// (5 minutes, as Clerk's SDK).
    pub ttl: Duration,
    /// The shortest time between two fetches caused by an unknown `kid` or
    /// by a failed fetch (10 s). Without it, tokens with random `kid`s
    /// would cost one key fetch each.
    pub min_refetch_interval: Duration,
    /// How long past `ttl` the last keys are still used for tokens whose
    /// `kid` they hold, while a background refresh runs or after it failed
    /// (1 hour). Zero disables stale serving: expired keys are then
    /// refreshed before use, and requests wait for it.
    pub max_stale: Duration,
    /// Timeout of one HTTP request (5 s).
    pub request_timeout: Duration,
    /// Attempts per refresh, including the first (3). Only transport
    /// errors, timeouts, 429 and 5xx are retried.
    pub max_attempts: u32,
    /// Delay before the first retry (100 ms); it doubles on each retry.
    pub retry_backoff: Duration,
}

impl Default for JwksOptions {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            min_refetch_interval: Duration::from_secs(10),
            max_stale: Duration::from_secs(3600),
            request_timeout: Duration::from_secs(5),
            max_attempts: 3,
            retry_backoff: Duration::from_millis(100),
        }
    }
}

/// One RSA verification key.
#[derive(Clone)]
pub(crate) struct VerifyingKey {
    /// `None` for a PEM key, which matches any `kid`.
    pub(crate) kid: Option<String>,
    /// The JWK's `alg`, when it names one.
    pub(crate) alg: Option<Algorithm>,
    pub(crate) key: DecodingKey,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey").field("kid", &self.kid).field("alg", &self.alg).finish()
    }
}

/// The keys of one source.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySet {
    keys: Vec<VerifyingKey>,
}

impl KeySet {
    pub(crate) fn single(key: VerifyingKey) -> Self {
        Self { keys: vec![key] }
    }

    /// The key for `kid`. A key without a kid (PEM) matches every token.
    pub(crate) fn find(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        self.keys.iter().find(|k| match (&k.kid, kid) {
            (None, _) => true,
            (Some(have), Some(want)) => have == want,
            (Some(_), None) => false,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Parses a JWKS document. Non-RSA keys, encryption keys and keys
    /// without `n`/`e` are skipped.
    ///
    /// Errors: not a JWKS → `JwksInvalid`; an empty `keys` array →
    /// `JwksUnavailable` (`jwk-remote-failed-to-load`, as Clerk's SDK);
    /// keys but none usable → `JwksMissing` (`jwk-remote-missing`).
    pub(crate) fn from_jwks_json(body: &[u8]) -> Result<Self, VerifyError> {
        #[derive(serde::Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        #[derive(serde::Deserialize)]
        struct Jwk {
            kty: String,
            #[serde(default)]
            kid: Option<String>,
            #[serde(default)]
            alg: Option<String>,
            #[serde(default, rename = "use")]
            use_: Option<String>,
            #[serde(default)]
            n: Option<String>,
            #[serde(default)]
            e: Option<String>,
        }
        let doc: Doc = serde_json::from_slice(body).map_err(|_| VerifyError::JwksInvalid)?;
        if doc.keys.is_empty() {
            return Err(VerifyError::JwksUnavailable { source: "the JWKS has no keys".into() });
        }
        let mut keys = Vec::new();
        for value in doc.keys {
            let Ok(jwk) = serde_json::from_value::<Jwk>(value) else { continue };
            if jwk.kty != "RSA" || jwk.use_.as_deref().is_some_and(|u| u != "sig") {
                continue;
            }
            let alg = match jwk.alg.as_deref() {
                None => None,
                Some(name) => match rsa_algorithm(name) {
                    Some(alg) => Some(alg),
                    None => continue,
                },
            };
            let (Some(n), Some(e)) = (jwk.n, jwk.e) else { continue };
            let (Ok(n), Ok(e)) = (URL_SAFE_NO_PAD.decode(n), URL_SAFE_NO_PAD.decode(e)) else {
                continue;
            };
            let Some(key) = rsa_key(&n, &e) else { continue };
            keys.push(VerifyingKey { kid: jwk.kid, alg, key });
        }
        if keys.is_empty() {
            return Err(VerifyError::JwksMissing);
        }
        Ok(Self { keys })
    }
}

/// `RS256`, `RS384` or `RS512`; `None` for anything else.
pub(crate) fn rsa_algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "RS256" => Some(Algorithm::RS256),
        "RS384" => Some(Algorithm::RS384),
        "RS512" => Some(Algorithm::RS512),
        _ => None,
    }
}

/// A decoding key from big-endian `n` and `e`, if they form an RSA key of
/// at least 2048 bits (checked by the `rsa` crate).
fn rsa_key(n: &[u8], e: &[u8]) -> Option<DecodingKey> {
    let public =
        rsa::RsaPublicKey::new(rsa::BigUint::from_bytes_be(n), rsa::BigUint::from_bytes_be(e))
            .ok()?;
    from_public(&public)
}

fn from_public(public: &rsa::RsaPublicKey) -> Option<DecodingKey> {
    if public.n().bits() < MIN_RSA_BITS {
        return None;
    }
    Some(DecodingKey::from_rsa_raw_components(&public.n().to_bytes_be(), &public.e().to_bytes_be()))
}

/// Parses Clerk's "JWKS Public Key" (`CLERK_JWT_KEY`): an SPKI public key in
/// PEM form, with or without the `-----BEGIN PUBLIC KEY-----` armor and
/// line breaks (the Dashboard value may come without them, as Clerk's Go
/// SDK notes). A PKCS#1 `RSA PUBLIC KEY` PEM is accepted too.
pub(crate) fn key_from_pem(pem: &str) -> Result<VerifyingKey, ConfigError> {
    let pem = pem.trim();
    let public = if pem.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
        rsa::RsaPublicKey::from_pkcs1_pem(pem).ok()
    } else if pem.starts_with("-----BEGIN") {
        rsa::RsaPublicKey::from_public_key_pem(pem).ok()
    } else {
        // Bare base64 DER: drop whitespace, escaped newlines (as found in
        // `.env` files), then decode.
        let compact: String =
            pem.replace("\\n", "").chars().filter(|c| !c.is_ascii_whitespace()).collect();
        STANDARD
            .decode(compact)
            .ok()
            .and_then(|der| rsa::RsaPublicKey::from_public_key_der(&der).ok())
    };
    let key = public.as_ref().and_then(from_public).ok_or(ConfigError::InvalidPublicKey)?;
    Ok(VerifyingKey { kid: None, alg: None, key })
}

/// Where a remote JWKS lives and how to authenticate to it.
pub(crate) struct RemoteConfig {
    pub(crate) url: Url,
    /// Sent as `Authorization: Bearer` (Backend API); `None` for the
    /// public Frontend API JWKS.
    pub(crate) secret_key: Option<SecretString>,
    /// Sent as `Clerk-API-Version` (Backend API only).
    pub(crate) api_version: Option<String>,
    pub(crate) options: JwksOptions,
}

/// A failure of the last refresh, kept so that waiting callers and callers
/// within the backoff window get the same answer.
#[derive(Debug, Clone)]
enum Failure {
    SecretKeyInvalid,
    Invalid,
    Missing,
    Unavailable(Arc<dyn std::error::Error + Send + Sync>),
}

impl Failure {
    fn to_error(&self) -> VerifyError {
        match self {
            Self::SecretKeyInvalid => VerifyError::SecretKeyInvalid,
            Self::Invalid => VerifyError::JwksInvalid,
            Self::Missing => VerifyError::JwksMissing,
            Self::Unavailable(e) => {
                VerifyError::JwksUnavailable { source: Box::new(SharedError(Arc::clone(e))) }
            }
        }
    }

    fn from_error(e: VerifyError) -> Self {
        match e {
            VerifyError::SecretKeyInvalid => Self::SecretKeyInvalid,
            VerifyError::JwksMissing => Self::Missing,
            VerifyError::JwksUnavailable { source } => Self::Unavailable(Arc::from(source)),
            _ => Self::Invalid,
        }
    }
}

/// An error shared between callers.
#[derive(Debug)]
struct SharedError(Arc<dyn std::error::Error + Send + Sync>);

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

#[derive(Debug, Default)]
struct CacheState {
    keys: Option<Arc<KeySet>>,
    /// When `keys` were fetched (ms, the caller's clock).
    fetched_at: i64,
    /// Refresh attempts so far (successful or not).
    refreshes: u64,
    /// When the last refresh started (ms, the caller's clock).
    last_refresh: Option<i64>,
    /// The failure of the last refresh, if it failed.
    failure: Option<Failure>,
}

enum Lookup {
    Hit(Arc<KeySet>),
    /// Expired keys that hold the `kid`, within the stale window: use them
    /// and refresh in the background.
    Stale {
        keys: Arc<KeySet>,
        seen: u64,
    },
    /// Wait for a refresh.
    Refresh {
        seen: u64,
    },
    Fail(VerifyError),
}

/// A JWKS fetched over HTTP and cached.
pub(crate) struct RemoteJwks {
    config: RemoteConfig,
    http: reqwest::Client,
    state: RwLock<CacheState>,
    refresh_lock: tokio::sync::Mutex<()>,
    /// Whether a background refresh task is running.
    background: AtomicBool,
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("url", &self.config.url.as_str())
            .field("secret_key", &self.config.secret_key.as_ref().map(|_| "<redacted>"))
            .field("options", &self.config.options)
            .finish_non_exhaustive()
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Whether `since` lies within `window` before `now`. A `since` in the
/// future (the clock went back) counts as within only up to `window`.
fn within(now: i64, since: i64, window: Duration) -> bool {
    let age = now.saturating_sub(since);
    age < ms(window) && age > -ms(window)
}

impl RemoteJwks {
    pub(crate) fn new(config: RemoteConfig, http: reqwest::Client) -> Self {
        Self {
            config,
            http,
            state: RwLock::new(CacheState::default()),
            refresh_lock: tokio::sync::Mutex::new(()),
            background: AtomicBool::new(false),
        }
    }

    pub(crate) fn url(&self) -> &Url {
        &self.config.url
    }

    /// Keys that contain `kid`, refreshing the cache when needed (see
    /// [`JwksOptions`] for when a caller waits). `now` is Unix milliseconds
    /// from the verifier's clock.
    pub(crate) async fn keys_for(
        self: &Arc<Self>,
        kid: Option<&str>,
        now: i64,
    ) -> Result<Arc<KeySet>, VerifyError> {
        let seen = match self.lookup(kid, now) {
            Lookup::Hit(keys) => return Ok(keys),
            Lookup::Stale { keys, seen } => {
                if self.refresh_in_background(seen, now) {
                    tracing::debug!(
                        url = %self.config.url,
                        "JWKS expired; using the cached keys while refreshing in the background"
                    );
                    return Ok(keys);
                }
                seen
            }
            Lookup::Fail(e) => return Err(e),
            Lookup::Refresh { seen } => seen,
        };
        self.refresh_unless_done(seen, now).await;
        self.after_refresh(kid, now)
    }

    /// Single flight: the first caller fetches, the others wait on the lock
    /// and then find `refreshes` moved past the value they saw.
    async fn refresh_unless_done(&self, seen: u64, now: i64) {
        let _guard = self.refresh_lock.lock().await;
        let refreshed_meanwhile = self.read().refreshes != seen;
        if !refreshed_meanwhile {
            self.refresh(now).await;
        }
    }

    /// Starts a refresh task unless one is running. Returns whether a
    /// refresh is now running in the background; `false` when there is no
    /// tokio runtime to spawn on.
    fn refresh_in_background(self: &Arc<Self>, seen: u64, now: i64) -> bool {
        if self.background.swap(true, Ordering::AcqRel) {
            return true;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.background.store(false, Ordering::Release);
            return false;
        };
        // Clears the flag when the task ends, or is dropped with its runtime.
        struct Running(Arc<RemoteJwks>);
        impl Drop for Running {
            fn drop(&mut self) {
                self.0.background.store(false, Ordering::Release);
            }
        }
        let running = Running(Arc::clone(self));
        runtime.spawn(async move {
            running.0.refresh_unless_done(seen, now).await;
            drop(running);
        });
        true
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, CacheState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn lookup(&self, kid: Option<&str>, now: i64) -> Lookup {
        let st = self.read();
        let options = &self.config.options;
        let seen = st.refreshes;
        let backing_off =
            st.last_refresh.is_some_and(|t| within(now, t, options.min_refetch_interval));
        let Some(keys) = &st.keys else {
            return match (&st.failure, backing_off) {
                (Some(failure), true) => Lookup::Fail(failure.to_error()),
                _ => Lookup::Refresh { seen },
            };
        };
        let fresh = within(now, st.fetched_at, options.ttl);
        let has_kid = kid.is_some() && keys.find(kid).is_some();
        if fresh {
            if has_kid {
                return Lookup::Hit(Arc::clone(keys));
            }
            if backing_off || kid.is_none() {
                return match &st.failure {
                    Some(failure) if kid.is_some() => Lookup::Fail(failure.to_error()),
                    _ => Lookup::Fail(VerifyError::KidMismatch),
                };
            }
            return Lookup::Refresh { seen };
        }
        // Expired. Keys that hold the kid are served within the stale
        // window, refreshing in the background unless a refresh was just
        // tried.
        if let Some(keys) = self.stale(&st, kid, now) {
            return if backing_off { Lookup::Hit(keys) } else { Lookup::Stale { keys, seen } };
        }
        // Unknown kid, or keys too old to serve: wait for a refresh, unless
        // one just failed.
        if backing_off && let Some(failure) = &st.failure {
            return Lookup::Fail(failure.to_error());
        }
        Lookup::Refresh { seen }
    }

    /// The cached keys if they hold `kid` and are within `ttl + max_stale`.
    fn stale(&self, st: &CacheState, kid: Option<&str>, now: i64) -> Option<Arc<KeySet>> {
        let options = &self.config.options;
        let keys = st.keys.as_ref()?;
        let window = options.ttl.saturating_add(options.max_stale);
        (kid.is_some() && keys.find(kid).is_some() && within(now, st.fetched_at, window))
            .then(|| Arc::clone(keys))
    }

    fn after_refresh(&self, kid: Option<&str>, now: i64) -> Result<Arc<KeySet>, VerifyError> {
        let st = self.read();
        match &st.failure {
            None => match &st.keys {
                Some(keys) if kid.is_some() && keys.find(kid).is_some() => Ok(Arc::clone(keys)),
                _ => Err(VerifyError::KidMismatch),
            },
            Some(failure) => {
                if let Some(keys) = self.stale(&st, kid, now) {
                    tracing::warn!(
                        url = %self.config.url,
                        "JWKS refresh failed; using the previous keys"
                    );
                    return Ok(keys);
                }
                Err(failure.to_error())
            }
        }
    }

    /// Fetches the JWKS and stores the outcome. Called with the refresh
    /// lock held.
    async fn refresh(&self, now: i64) {
        let result = self.fetch().await;
        let mut st = self.state.write().unwrap_or_else(PoisonError::into_inner);
        st.refreshes += 1;
        st.last_refresh = Some(now);
        match result {
            Ok(keys) => {
                tracing::debug!(url = %self.config.url, keys = keys.len(), "JWKS refreshed");
                st.keys = Some(Arc::new(keys));
                st.fetched_at = now;
                st.failure = None;
            }
            Err(e) => {
                tracing::warn!(url = %self.config.url, reason = e.reason(), error = %e, "JWKS refresh failed");
                st.failure = Some(Failure::from_error(e));
            }
        }
    }

    /// One refresh: up to `max_attempts` requests with doubling backoff.
    async fn fetch(&self) -> Result<KeySet, VerifyError> {
        let options = &self.config.options;
        let attempts = options.max_attempts.max(1);
        let mut delay = options.retry_backoff;
        let mut attempt = 1;
        loop {
            match self.fetch_once().await {
                Ok(keys) => return Ok(keys),
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Retryable(e, retry_after)) => {
                    if attempt >= attempts {
                        return Err(e);
                    }
                    let wait = retry_after.map_or(delay, |r| r.min(Duration::from_secs(10)));
                    tokio::time::sleep(wait).await;
                    delay = delay.saturating_mul(2);
                    attempt += 1;
                }
            }
        }
    }

    async fn fetch_once(&self) -> Result<KeySet, Attempt> {
        let mut request = self
            .http
            .get(self.config.url.clone())
            .timeout(self.config.options.request_timeout)
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::USER_AGENT, crate::USER_AGENT);
        if let Some(secret) = &self.config.secret_key {
            request = request.bearer_auth(secret.expose_secret());
        }
        if let Some(version) = &self.config.api_version {
            request = request.header("Clerk-API-Version", version);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Attempt::Retryable(unavailable(e.without_url()), None))?;
        let status = response.status();
        let retry_after = crate::backend::retry_after(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|e| Attempt::Retryable(unavailable(e.without_url()), None))?;
        if status.is_success() {
            return KeySet::from_jwks_json(&body).map_err(Attempt::Final);
        }
        if is_key_invalid(&body) {
            return Err(Attempt::Final(VerifyError::SecretKeyInvalid));
        }
        let error = unavailable(HttpStatusError(status));
        if status == http::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Err(Attempt::Retryable(error, retry_after))
        } else {
            Err(Attempt::Final(error))
        }
    }
}

enum Attempt {
    Retryable(VerifyError, Option<Duration>),
    Final(VerifyError),
}

fn unavailable(e: impl Into<BoxError>) -> VerifyError {
    VerifyError::JwksUnavailable { source: e.into() }
}

/// The key endpoint answered with an error status.
#[derive(Debug, thiserror::Error)]
#[error("the key endpoint answered {0}")]
struct HttpStatusError(http::StatusCode);

/// Whether a Backend API error body says `clerk_key_invalid`.
fn is_key_invalid(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
    }
    serde_json::from_slice::<Body>(body)
        .is_ok_and(|b| b.errors.iter().any(|e| e.code == "clerk_key_invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLERK_PEM: &str = include_str!("../tests/fixtures/clerk_fixture.pub.pem");

    #[test]
    fn pem_with_and_without_armor() {
        assert!(key_from_pem(CLERK_PEM).is_ok());
        let bare: String = CLERK_PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(key_from_pem(&bare).is_ok());
        let escaped = CLERK_PEM.replace('\n', "\\n");
        assert!(key_from_pem(escaped.trim_start_matches("-----BEGIN PUBLIC KEY-----")).is_err());
        let escaped_bare = bare
            .chars()
            .collect::<Vec<_>>()
            .chunks(64)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\\n");
        assert!(key_from_pem(&escaped_bare).is_ok());
        assert!(matches!(key_from_pem("not a key"), Err(ConfigError::InvalidPublicKey)));
        assert!(matches!(key_from_pem(""), Err(ConfigError::InvalidPublicKey)));
    }

    #[test]
    fn jwks_parsing_skips_unusable_keys() {
        let n = "qYy3MY8fOneEyzNDu9lp6iGXKkNUF-u_dUnrlkadZYyB35efzKFJEr9fftmWv5PUj1uRHTQ3bh6X1cceOYsIjy008dHWZJsKhGOxgdTjeK91rjaklxt7tyFXEiKHIOr1LSgKzopClOfCIjxK_oPUOf38pVh7WnekcSBQmU5fqA-EzKMi6k9VwvbzqKlZM4XQsiFyn28d9VubJWjTU8nNot0n1NE-9k6TxM8nglM4RwkBH4Ni4B0LhKKOOV-AG8tBNiZVil415dpBldmJ_j0wk7Ad4VFi9en3Z17oCKr-K-zuT7vKMKSb1548dk0vnmi0vj2QGXSo-61wM5yQWpk6sQ";
        let doc = serde_json::json!({"keys": [
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "a", "y": "b"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": n, "e": "AQAB"},
            {"kty": "RSA", "kid": "small", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "hs", "alg": "HS256", "n": n, "e": "AQAB"},
            {"kty": "RSA", "kid": "ins_1", "alg": "RS256", "use": "sig", "n": n, "e": "AQAB"},
        ]});
        let set = KeySet::from_jwks_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.find(Some("ins_1")).is_some());
        assert!(set.find(Some("enc")).is_none());
        assert!(set.find(None).is_none());

        assert!(matches!(KeySet::from_jwks_json(b"{}"), Err(VerifyError::JwksInvalid)));
        assert!(matches!(
            KeySet::from_jwks_json(br#"{"keys":[]}"#),
            Err(VerifyError::JwksUnavailable { .. })
        ));
        assert!(matches!(
            KeySet::from_jwks_json(br#"{"keys":[{"kty":"EC"}]}"#),
            Err(VerifyError::JwksMissing)
        ));
        assert!(matches!(KeySet::from_jwks_json(br#"{"keys":{}}"#), Err(VerifyError::JwksInvalid)));
    }

    #[test]
    fn key_invalid_body() {
        assert!(is_key_invalid(br#"{"errors":[{"code":"clerk_key_invalid","message":"x"}]}"#));
        assert!(!is_key_invalid(br#"{"errors":[{"code":"other"}]}"#));
        assert!(!is_key_invalid(b"oops"));
    }

    #[test]
    fn time_windows() {
        assert!(within(1_000, 1_000, Duration::from_secs(1)));
        assert!(within(1_999, 1_000, Duration::from_secs(1)));
        assert!(!within(2_000, 1_000, Duration::from_secs(1)));
        assert!(within(500, 1_000, Duration::from_secs(1)), "clock went back a little");
        assert!(!within(-5_000, 1_000, Duration::from_secs(1)), "clock went back a lot");
    }
}
