//! Session-token verification, step by step as Clerk's `verifyJwt`
//! (`@clerk/backend`, `jwt/verifyJwt.ts` and `jwt/assertions.ts`), plus a
//! pinned issuer, an explicit `azp` policy and optional rejection of
//! pending sessions.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use http::HeaderMap;
use secrecy::SecretString;
use serde_json::{Map, Value};
use url::Url;

use crate::claims::{SessionClaims, as_time};
use crate::clock::{Clock, SystemClock};
use crate::error::{ConfigError, VerifyError};
use crate::jwks::{JwksOptions, KeySet, RemoteConfig, RemoteJwks, key_from_pem, rsa_algorithm};
use crate::token::{JwtHeader, SessionToken, TokenCarrier, TokenExtractor};

/// The Backend API base URL.
pub const DEFAULT_API_URL: &str = "https://api.clerk.com/v1/";
/// The Backend API version this crate is written against (the
/// `Clerk-API-Version` header; the version `@clerk/backend` pins).
pub const DEFAULT_API_VERSION: &str = "2026-05-12";
/// Clerk's default clock skew: 5 seconds.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(5);

/// Which authorized parties (`azp`, the origin that asked for the token)
/// are accepted.
///
/// An empty list means "not configured" and accepts every token, like
/// [`AzpPolicy::Ignore`]: an empty allowlist that rejected everyone was a
/// real bug in another Clerk SDK (clerk-sdk-php#81). Origins are compared
/// exactly, after removing a trailing `/` from the configured ones.
///
/// Tokens minted during top-level navigations (cookie tokens without an
/// `Origin`) and tokens created through the Backend API have no `azp`; use
/// [`AzpPolicy::IfPresent`] when such tokens must pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AzpPolicy {
    /// Do not look at `azp` (the default).
    #[default]
    Ignore,
    /// Reject a token whose `azp` is present and not listed; accept a
    /// token without `azp`.
    IfPresent(Vec<String>),
    /// Reject a token whose `azp` is missing or not listed (what Clerk's JS
    /// SDK does when `authorizedParties` is set).
    Required(Vec<String>),
}

impl AzpPolicy {
    fn check(&self, azp: Option<&Value>) -> Result<(), VerifyError> {
        let (list, required) = match self {
            Self::Ignore => return Ok(()),
            Self::IfPresent(list) => (list, false),
            Self::Required(list) => (list, true),
        };
        if list.is_empty() {
            return Ok(());
        }
        match azp {
            None | Some(Value::Null) if !required => Ok(()),
            Some(Value::String(azp)) if list.iter().any(|p| p.trim_end_matches('/') == azp) => {
                Ok(())
            }
            _ => Err(VerifyError::InvalidAuthorizedParty),
        }
    }
}

/// The checks applied to a session token after its signature.
///
/// ```
/// use std::time::Duration;
/// use pixmize_auth::{AzpPolicy, SessionValidation};
///
/// let mut validation = SessionValidation::default();
/// validation.clock_skew = Duration::from_secs(2);
/// validation.authorized_parties = AzpPolicy::Required(vec!["https://app.example.com".into()]);
/// validation.reject_pending = true;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionValidation {
    /// Tolerance for `exp`, `nbf` and `iat` (5 s, as Clerk). Session
    /// tokens live 60 s, so jsonwebtoken's 60 s default would double their
    /// life.
    pub clock_skew: Duration,
    /// The `azp` policy (default [`AzpPolicy::Ignore`]).
    pub authorized_parties: AzpPolicy,
    /// Reject sessions whose `sts` is `pending` (default `false`; Clerk's
    /// SDKs treat them as signed out unless told otherwise, so enable this
    /// when an organization is required).
    pub reject_pending: bool,
}

impl Default for SessionValidation {
    fn default() -> Self {
        Self {
            clock_skew: DEFAULT_CLOCK_SKEW,
            authorized_parties: AzpPolicy::Ignore,
            reject_pending: false,
        }
    }
}

/// Where the verifier gets its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// A PEM public key: no network at all.
    Pem,
    /// `GET /v1/jwks` of the Backend API, with the secret key.
    BackendApi,
    /// A JWKS URL given directly.
    JwksUrl,
    /// `https://<frontend-api>/.well-known/jwks.json`, derived from the
    /// publishable key.
    FrontendApi,
}

/// A verified session: the claims, and where the token came from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifiedSession {
    /// The verified claims.
    pub claims: SessionClaims,
    /// The token itself (its `Debug` output is redacted), to forward to
    /// other services.
    pub token: SessionToken,
}

impl VerifiedSession {
    /// The user id (`sub`).
    #[must_use]
    pub fn user_id(&self) -> &str {
        &self.claims.sub
    }

    /// Where the token was found.
    #[must_use]
    pub fn carrier(&self) -> TokenCarrier {
        self.token.carrier()
    }
}

enum Keys {
    Static(Arc<KeySet>),
    Remote(Arc<RemoteJwks>),
}

struct Inner {
    keys: Keys,
    source: KeySource,
    issuers: Vec<String>,
    validation: SessionValidation,
    extractor: TokenExtractor,
    clock: Arc<dyn Clock>,
}

/// Verifies Clerk session tokens.
///
/// Cheap to clone; clones share one key cache. Each verifier built with
/// [`SessionVerifier::builder`] has its own cache, so verifiers for two
/// Clerk instances never mix keys.
///
/// What it checks, in order (Clerk's order, then this crate's additions):
/// 1. the token is three base64url parts; the header is JSON, its `cat` is
///    the session category or absent, its `typ` is `JWT` or absent;
/// 2. `alg` is RS256, RS384 or RS512, and matches the key's `alg`;
/// 3. **the signature**, before any claim is read;
/// 4. `sub` is a non-empty string; `azp` follows the [`AzpPolicy`]; `exp`
///    is a number and not past; `nbf` and `iat` are not in the future (all
///    three with the clock skew, 5 s by default);
/// 5. `iss` is the pinned issuer; `sub` is not a machine (`mch_…`); the
///    session is not `pending` if such sessions are rejected.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use pixmize_auth::SessionVerifier;
///
/// # async fn run() -> Result<(), pixmize_auth::Error> {
/// // Clerk's own test token and key (MIT, `@clerk/backend` fixtures).
/// let verifier = SessionVerifier::builder()
///     .jwt_key(include_str!("../tests/fixtures/clerk_fixture.pub.pem"))
///     .issuer("https://clerk.inspired.puma-74.lcl.dev")
///     .build()?;
/// let token = include_str!("../tests/fixtures/clerk_fixture.jwt").trim();
/// let claims = verifier.verify_at(token, UNIX_EPOCH + Duration::from_secs(1666648250)).await?;
/// assert_eq!(claims.sub, "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr");
/// # Ok(()) }
/// # tokio_test(run());
/// # fn tokio_test<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Clone)]
pub struct SessionVerifier {
    inner: Arc<Inner>,
}

impl fmt::Debug for SessionVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SessionVerifier");
        d.field("source", &self.inner.source);
        if let Keys::Remote(remote) = &self.inner.keys {
            d.field("jwks_url", &remote.url().as_str());
        }
        d.field("issuers", &self.inner.issuers)
            .field("validation", &self.inner.validation)
            .finish_non_exhaustive()
    }
}

impl SessionVerifier {
    /// Starts a builder.
    pub fn builder() -> SessionVerifierBuilder {
        SessionVerifierBuilder::default()
    }

    /// Where the keys come from.
    #[must_use]
    pub fn key_source(&self) -> KeySource {
        self.inner.source
    }

    /// The accepted issuers.
    #[must_use]
    pub fn issuers(&self) -> &[String] {
        &self.inner.issuers
    }

    /// The token extractor used by [`SessionVerifier::authenticate`].
    #[must_use]
    pub fn extractor(&self) -> &TokenExtractor {
        &self.inner.extractor
    }

    /// Verifies `token` as of the verifier's clock (the system clock unless
    /// [`SessionVerifierBuilder::clock`] set another).
    ///
    /// # Errors
    /// The reason the token is rejected; see [`VerifyError`].
    pub async fn verify(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        self.verify_at(token, self.inner.clock.now()).await
    }

    /// Verifies `token` as of `now` (tests, replays), ignoring the
    /// verifier's clock.
    ///
    /// # Errors
    /// The reason the token is rejected; see [`VerifyError`].
    pub async fn verify_at(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<SessionClaims, VerifyError> {
        let now_ms = unix_ms(now);
        let parts = Parts::split(token)?;
        parts.header.check_category()?;
        if parts.header.typ.as_deref().is_some_and(|t| t != "JWT") {
            return Err(VerifyError::Malformed);
        }
        let alg = parts
            .header
            .alg
            .as_deref()
            .and_then(rsa_algorithm)
            .ok_or(VerifyError::InvalidAlgorithm)?;

        let kid = parts.header.kid.as_deref();
        let keys = match &self.inner.keys {
            Keys::Static(keys) => Arc::clone(keys),
            Keys::Remote(remote) => remote.keys_for(kid, now_ms).await?,
        };
        let key = keys.find(kid).ok_or(VerifyError::KidMismatch)?;
        if key.alg.is_some_and(|a| a != alg) {
            return Err(VerifyError::InvalidAlgorithm);
        }
        match jsonwebtoken::crypto::verify(
            parts.signature,
            parts.signing_input.as_bytes(),
            &key.key,
            alg,
        ) {
            Ok(true) => {}
            Ok(false) => return Err(VerifyError::InvalidSignature),
            Err(_) => return Err(VerifyError::VerificationFailed),
        }

        // Only now, with the signature checked, are claims read.
        let payload: Map<String, Value> =
            serde_json::from_slice(&parts.payload).map_err(|_| VerifyError::Malformed)?;
        self.check_claims(&payload, now_ms)?;
        SessionClaims::from_json(payload).ok_or(VerifyError::VerificationFailed)
    }

    /// Finds the token in `headers` (see [`TokenExtractor`]) and verifies it
    /// as of the verifier's clock (the system clock unless
    /// [`SessionVerifierBuilder::clock`] set another). The axum layer and
    /// extractor call this.
    ///
    /// # Errors
    /// [`VerifyError::MissingToken`] without a token, otherwise the reason
    /// the token is rejected.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<VerifiedSession, VerifyError> {
        self.authenticate_at(headers, self.inner.clock.now()).await
    }

    /// Like [`SessionVerifier::authenticate`], as of `now` instead of the
    /// verifier's clock.
    ///
    /// # Errors
    /// As [`SessionVerifier::authenticate`].
    pub async fn authenticate_at(
        &self,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Result<VerifiedSession, VerifyError> {
        let token = self.inner.extractor.extract(headers)?;
        let claims = self.verify_at(token.as_str(), now).await?;
        if token.carrier() == TokenCarrier::Cookie && claims.azp.is_none() {
            tracing::debug!("cookie session token without azp accepted");
        }
        Ok(VerifiedSession { claims, token })
    }

    fn check_claims(&self, payload: &Map<String, Value>, now_ms: i64) -> Result<(), VerifyError> {
        let validation = &self.inner.validation;
        let skew = i128::from(i64::try_from(validation.clock_skew.as_millis()).unwrap_or(i64::MAX));
        let now = i128::from(now_ms);

        match payload.get("sub") {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => return Err(VerifyError::VerificationFailed),
        }
        validation.authorized_parties.check(payload.get("azp"))?;

        let time = |key: &str| -> Result<Option<i128>, VerifyError> {
            match payload.get(key) {
                None => Ok(None),
                Some(v) => as_time(v)
                    .map(|s| Some(i128::from(s) * 1000))
                    .ok_or(VerifyError::VerificationFailed),
            }
        };
        let exp = time("exp")?.ok_or(VerifyError::VerificationFailed)?;
        if exp <= now - skew {
            return Err(VerifyError::Expired);
        }
        if time("nbf")?.is_some_and(|nbf| nbf > now + skew) {
            return Err(VerifyError::NotActiveYet);
        }
        if time("iat")?.is_some_and(|iat| iat > now + skew) {
            return Err(VerifyError::IatInFuture);
        }

        let iss = payload.get("iss").and_then(Value::as_str).map(|i| i.trim_end_matches('/'));
        if !iss.is_some_and(|iss| self.inner.issuers.iter().any(|want| want == iss)) {
            return Err(VerifyError::InvalidIssuer);
        }
        if payload.get("sub").and_then(Value::as_str).is_some_and(|s| s.starts_with("mch_")) {
            return Err(VerifyError::TokenTypeMismatch);
        }
        if validation.reject_pending
            && payload.get("sts").and_then(Value::as_str) == Some("pending")
        {
            return Err(VerifyError::SessionPending);
        }
        Ok(())
    }
}

/// Longer tokens are rejected before any decoding. Clerk session tokens are
/// about 1 KiB; custom claims rarely add more than a few KiB, and browsers
/// cap a cookie at 4 KiB.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A compact JWS split and decoded.
struct Parts<'a> {
    header: JwtHeader,
    payload: Vec<u8>,
    signature: &'a str,
    signing_input: &'a str,
}

impl<'a> Parts<'a> {
    fn split(token: &'a str) -> Result<Self, VerifyError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(VerifyError::Malformed);
        }
        let (signing_input, signature) = token.rsplit_once('.').ok_or(VerifyError::Malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or(VerifyError::Malformed)?;
        if header.is_empty() || payload.is_empty() || signature.is_empty() || payload.contains('.')
        {
            return Err(VerifyError::Malformed);
        }
        let header = URL_SAFE_NO_PAD.decode(header).map_err(|_| VerifyError::Malformed)?;
        let header: JwtHeader =
            serde_json::from_slice(&header).map_err(|_| VerifyError::Malformed)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| VerifyError::Malformed)?;
        URL_SAFE_NO_PAD.decode(signature).map_err(|_| VerifyError::Malformed)?;
        Ok(Self { header, payload, signature, signing_input })
    }
}

/// Milliseconds since the Unix epoch; negative before it.
fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// The Frontend API host encoded in a publishable key: `pk_test_` or
/// `pk_live_` followed by base64 of `<host>$` (`parsePublishableKey` in
/// `@clerk/shared/keys`).
///
/// ```
/// let host = pixmize_auth::frontend_api_host("pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA")?;
/// assert_eq!(host, "clerk.inspired.puma-74.lcl.dev");
/// # Ok::<(), pixmize_auth::ConfigError>(())
/// ```
///
/// # Errors
/// [`ConfigError::InvalidPublishableKey`] when the key is not of that form.
pub fn frontend_api_host(publishable_key: &str) -> Result<String, ConfigError> {
    let encoded = publishable_key
        .trim()
        .strip_prefix("pk_test_")
        .or_else(|| publishable_key.trim().strip_prefix("pk_live_"))
        .ok_or(ConfigError::InvalidPublishableKey)?;
    let decoded = STANDARD
        .decode(encoded)
        .or_else(|_| STANDARD_NO_PAD.decode(encoded))
        .map_err(|_| ConfigError::InvalidPublishableKey)?;
    let decoded = String::from_utf8(decoded).map_err(|_| ConfigError::InvalidPublishableKey)?;
    let host = decoded.strip_suffix('$').ok_or(ConfigError::InvalidPublishableKey)?;
    let valid = !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !valid {
        return Err(ConfigError::InvalidPublishableKey);
    }
    Ok(host.to_owned())
}

/// Builds a [`SessionVerifier`].
///
/// Key source priority, as Clerk's SDK (`jwtKey` before `secretKey`):
/// [`jwt_key`](Self::jwt_key) (PEM, networkless), then
/// [`secret_key`](Self::secret_key) (Backend API JWKS), then
/// [`jwks_url`](Self::jwks_url), then the Frontend API JWKS derived from
/// [`publishable_key`](Self::publishable_key) (or at
/// [`frontend_api_url`](Self::frontend_api_url)).
///
/// The issuer must be pinned: set [`issuer`](Self::issuer), or set the
/// publishable key, which gives `https://<frontend-api-host>`.
///
/// ```no_run
/// use pixmize_auth::{AzpPolicy, SessionVerifier};
///
/// # fn run() -> Result<(), pixmize_auth::ConfigError> {
/// let verifier = SessionVerifier::builder()
///     .publishable_key(&std::env::var("CLERK_PUBLISHABLE_KEY").unwrap_or_default())
///     .secret_key(std::env::var("CLERK_SECRET_KEY").unwrap_or_default())
///     .authorized_parties(AzpPolicy::IfPresent(vec!["https://app.example.com".into()]))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Default)]
#[must_use]
pub struct SessionVerifierBuilder {
    jwt_key: Option<String>,
    secret_key: Option<SecretString>,
    jwks_url: Option<String>,
    publishable_key: Option<String>,
    issuers: Vec<String>,
    api_url: Option<String>,
    api_version: Option<String>,
    validation: SessionValidation,
    jwks: JwksOptions,
    cookie_suffix: Option<String>,
    http: Option<reqwest::Client>,
    frontend_api_url: Option<String>,
    clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for SessionVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionVerifierBuilder")
            .field("jwt_key", &self.jwt_key.is_some())
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<redacted>"))
            .field("jwks_url", &self.jwks_url)
            .field("frontend_api_url", &self.frontend_api_url)
            .field("issuers", &self.issuers)
            .field("validation", &self.validation)
            .finish_non_exhaustive()
    }
}

impl SessionVerifierBuilder {
    /// Verifies with this public key (the Dashboard's "JWKS Public Key",
    /// `CLERK_JWT_KEY`): SPKI PEM with or without armor, or base64 DER.
    /// No network is used.
    pub fn jwt_key(mut self, pem: impl Into<String>) -> Self {
        self.jwt_key = Some(pem.into());
        self
    }

    /// Fetches keys from the Backend API (`GET /v1/jwks`) with this secret
    /// key (`sk_test_…`/`sk_live_…`).
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = Some(SecretString::from(secret_key.into()));
        self
    }

    /// Fetches keys from this JWKS URL (no authentication).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Sets the publishable key (`pk_test_…`/`pk_live_…`): pins the issuer
    /// to `https://<frontend-api-host>` unless [`issuer`](Self::issuer) is
    /// set, prefers the suffixed session cookie for this key, and is the
    /// key source of last resort (the Frontend API JWKS).
    pub fn publishable_key(mut self, publishable_key: &str) -> Self {
        self.publishable_key = Some(publishable_key.to_owned());
        self
    }

    /// Accepts tokens from this issuer (`iss`), such as
    /// `https://clerk.example.com` or a proxy/satellite URL. Call again to
    /// accept several.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// The Backend API base URL (default `https://api.clerk.com/v1/`);
    /// tests point it at a local server.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// The `Clerk-API-Version` sent to the Backend API (default
    /// [`DEFAULT_API_VERSION`]).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// All checks at once.
    pub fn validation(mut self, validation: SessionValidation) -> Self {
        self.validation = validation;
        self
    }

    /// The clock skew for `exp`, `nbf` and `iat` (default 5 s).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.validation.clock_skew = skew;
        self
    }

    /// The `azp` policy (default [`AzpPolicy::Ignore`]).
    pub fn authorized_parties(mut self, policy: AzpPolicy) -> Self {
        self.validation.authorized_parties = policy;
        self
    }

    /// Rejects `sts: pending` sessions (default off).
    pub fn reject_pending(mut self, reject: bool) -> Self {
        self.validation.reject_pending = reject;
        self
    }

    /// JWKS cache settings.
    pub fn jwks_options(mut self, options: JwksOptions) -> Self {
        self.jwks = options;
        self
    }

    /// Prefers the `__session_<suffix>` cookie (overrides the suffix
    /// derived from the publishable key).
    pub fn cookie_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.cookie_suffix = Some(suffix.into());
        self
    }

    /// The clock used by every call that takes no time:
    /// [`SessionVerifier::verify`], [`SessionVerifier::authenticate`] and
    /// the axum layer and extractor (default [`SystemClock`]). The JWKS
    /// cache measures the age of its keys with the same clock. The `_at`
    /// methods ignore it.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The Frontend API base URL, instead of `https://<host>` derived from
    /// the publishable key; the keys are then fetched from
    /// `<url>/.well-known/jwks.json`. Meant for tests (a local server) and
    /// for a Clerk proxy (`proxyUrl`, such as `https://app.example.com/__clerk`).
    ///
    /// It does not change the pinned issuer: that stays `https://<host>`
    /// from the publishable key unless [`issuer`](Self::issuer) is set
    /// (a proxy usually needs both). Setting it makes the Frontend API
    /// JWKS a key source even without a publishable key; sources with a
    /// higher priority (PEM, secret key, JWKS URL) still win.
    pub fn frontend_api_url(mut self, url: impl Into<String>) -> Self {
        self.frontend_api_url = Some(url.into());
        self
    }

    /// Uses this HTTP client for key fetches (its timeouts still apply;
    /// [`JwksOptions::request_timeout`] is set per request).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the verifier. No request is sent: keys are fetched on first
    /// use.
    ///
    /// # Errors
    /// [`ConfigError`] when no key source or issuer is set, or a key, URL
    /// or setting is malformed.
    pub fn build(self) -> Result<SessionVerifier, ConfigError> {
        let fapi_host = self.publishable_key.as_deref().map(frontend_api_host).transpose()?;

        let mut issuers: Vec<String> =
            self.issuers.iter().map(|i| i.trim().trim_end_matches('/').to_owned()).collect();
        if issuers.is_empty() {
            let host = fapi_host.as_deref().ok_or(ConfigError::NoIssuer)?;
            issuers.push(format!("https://{host}"));
        }
        if issuers.iter().any(String::is_empty) {
            return Err(ConfigError::NoIssuer);
        }
        if self.jwks.ttl.is_zero() || self.jwks.request_timeout.is_zero() {
            return Err(ConfigError::Invalid("JWKS ttl and request timeout must be positive"));
        }

        let extractor = match (&self.cookie_suffix, &self.publishable_key) {
            (Some(suffix), _) => TokenExtractor::with_cookie_suffix(suffix.clone()),
            (None, Some(pk)) => TokenExtractor::for_publishable_key(pk.trim()),
            (None, None) => TokenExtractor::new(),
        };

        let (keys, source) = if let Some(pem) = &self.jwt_key {
            (Keys::Static(Arc::new(KeySet::single(key_from_pem(pem)?))), KeySource::Pem)
        } else {
            let (config, source) = self.remote_config(fapi_host.as_deref())?;
            let http = match self.http {
                Some(http) => http,
                None => crate::backend::http_client(self.jwks.request_timeout)?,
            };
            (Keys::Remote(Arc::new(RemoteJwks::new(config, http))), source)
        };

        Ok(SessionVerifier {
            inner: Arc::new(Inner {
                keys,
                source,
                issuers,
                validation: self.validation,
                extractor,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            }),
        })
    }

    fn remote_config(
        &self,
        fapi_host: Option<&str>,
    ) -> Result<(RemoteConfig, KeySource), ConfigError> {
        let options = self.jwks.clone();
        if let Some(secret) = &self.secret_key {
            crate::backend::check_secret_key(secret)?;
            let base = crate::backend::base_url(self.api_url.as_deref())?;
            let url = base.join("jwks").map_err(|_| ConfigError::InvalidUrl("api_url"))?;
            let version =
                self.api_version.clone().unwrap_or_else(|| DEFAULT_API_VERSION.to_owned());
            let config = RemoteConfig {
                url,
                secret_key: Some(secret.clone()),
                api_version: Some(version),
                options,
            };
            return Ok((config, KeySource::BackendApi));
        }
        if let Some(url) = &self.jwks_url {
            let url = parse_http_url(url, "jwks_url")?;
            return Ok((
                RemoteConfig { url, secret_key: None, api_version: None, options },
                KeySource::JwksUrl,
            ));
        }
        let fapi_base = match (&self.frontend_api_url, fapi_host) {
            (Some(url), _) => Some((parse_http_url(url, "frontend_api_url")?, "frontend_api_url")),
            (None, Some(host)) => Some((
                parse_http_url(&format!("https://{host}"), "publishable_key")?,
                "publishable_key",
            )),
            (None, None) => None,
        };
        if let Some((mut base, what)) = fapi_base {
            // `Url::join` drops the last segment unless the base ends in `/`.
            if !base.path().ends_with('/') {
                base.set_path(&format!("{}/", base.path()));
            }
            let url =
                base.join(".well-known/jwks.json").map_err(|_| ConfigError::InvalidUrl(what))?;
            return Ok((
                RemoteConfig { url, secret_key: None, api_version: None, options },
                KeySource::FrontendApi,
            ));
        }
        Err(ConfigError::NoKeySource)
    }
}

pub(crate) fn parse_http_url(url: &str, what: &'static str) -> Result<Url, ConfigError> {
    let url = Url::parse(url.trim()).map_err(|_| ConfigError::InvalidUrl(what))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(ConfigError::InvalidUrl(what));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn azp_policy_table() {
        let list = vec!["https://app.example.com/".to_owned()];
        let good = json!("https://app.example.com");
        let bad = json!("https://evil.example.com");
        let number = json!(5);
        let cases: Vec<(AzpPolicy, Option<&Value>, bool)> = vec![
            (AzpPolicy::Ignore, Some(&bad), true),
            (AzpPolicy::Ignore, None, true),
            (AzpPolicy::IfPresent(list.clone()), Some(&good), true),
            (AzpPolicy::IfPresent(list.clone()), None, true),
            (AzpPolicy::IfPresent(list.clone()), Some(&bad), false),
            (AzpPolicy::Required(list.clone()), Some(&good), true),
            (AzpPolicy::Required(list.clone()), None, false),
            (AzpPolicy::Required(list.clone()), Some(&bad), false),
            (AzpPolicy::Required(list), Some(&number), false),
            (AzpPolicy::Required(vec![]), None, true),
            (AzpPolicy::IfPresent(vec![]), Some(&bad), true),
        ];
        for (policy, azp, ok) in cases {
            assert_eq!(policy.check(azp).is_ok(), ok, "{policy:?} {azp:?}");
        }
    }

    #[test]
    fn publishable_keys() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA",
                Some("clerk.inspired.puma-74.lcl.dev"),
            ),
            ("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k", Some("clerk.example.com")),
            ("pk_test_Y2xlcmsuZXhhbXBsZS5jb20=", None), // no '$'
            ("sk_test_Y2xlcmsuZXhhbXBsZS5jb20k", None),
            ("pk_test_!!!", None),
            ("pk_test_", None),
            ("pk_test_L2V2aWwvJA", None), // "/evil/$"
        ];
        for (key, want) in cases {
            assert_eq!(frontend_api_host(key).ok().as_deref(), *want, "{key}");
        }
    }

    #[test]
    fn builder_requires_key_source_and_issuer() {
        assert!(matches!(
            SessionVerifier::builder().issuer("https://x").build(),
            Err(ConfigError::NoKeySource)
        ));
        assert!(matches!(
            SessionVerifier::builder().jwks_url("https://x/jwks").build(),
            Err(ConfigError::NoIssuer)
        ));
        assert!(matches!(
            SessionVerifier::builder().secret_key("pk_wrong").issuer("https://x").build(),
            Err(ConfigError::InvalidSecretKey)
        ));
        assert!(matches!(
            SessionVerifier::builder().jwks_url("ftp://x").issuer("https://x").build(),
            Err(ConfigError::InvalidUrl("jwks_url"))
        ));
        let v = SessionVerifier::builder()
            .publishable_key("pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA")
            .build()
            .unwrap();
        assert_eq!(v.key_source(), KeySource::FrontendApi);
        assert_eq!(v.issuers(), ["https://clerk.inspired.puma-74.lcl.dev"]);
        let debug = format!("{v:?}");
        assert!(debug.contains("/.well-known/jwks.json"), "{debug}");
    }

    #[test]
    fn secret_key_never_in_debug() {
        let builder =
            SessionVerifier::builder().secret_key("sk_test_supersecret").issuer("https://x");
        assert!(!format!("{builder:?}").contains("supersecret"));
        let v = builder.build().unwrap();
        assert_eq!(v.key_source(), KeySource::BackendApi);
        assert!(!format!("{v:?}").contains("supersecret"));
    }

    #[test]
    fn unix_ms_before_epoch() {
        assert_eq!(unix_ms(UNIX_EPOCH - Duration::from_millis(1500)), -1500);
        assert_eq!(unix_ms(UNIX_EPOCH + Duration::from_secs(2)), 2000);
    }
}
