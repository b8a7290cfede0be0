//! The [`ImageKit`] client: configuration, authentication, and the request
//! engine every call goes through (timeouts, bounded retries with backoff
//! that honours the server's waiting hints, rate-limit bookkeeping).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use secrecy::{ExposeSecret as _, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{ApiError, Error, RateLimit, Result, TransportKind, is_retryable_status};

/// ImageKit's upload API base (`POST {base}api/v1/files/upload`).
pub const DEFAULT_UPLOAD_BASE: &str = "https://upload.imagekit.io/";
/// ImageKit's media API base (`{base}v1/files`…).
pub const DEFAULT_API_BASE: &str = "https://api.imagekit.io/";

/// The `User-Agent` of every request this crate sends.
pub(crate) const UA: &str = concat!("pixmize-imagekit/", env!("CARGO_PKG_VERSION"));

/// A source of the current time, so that signatures, expiries and webhook
/// tolerances can be tested at a fixed instant.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until moved: for tests.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use pixmize_imagekit::{Clock, ManualClock};
/// let clock = ManualClock::at_unix(1_700_000_000);
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_700_000_005));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    /// A clock showing `now`.
    #[must_use]
    pub fn new(now: SystemTime) -> ManualClock {
        ManualClock { now: Arc::new(Mutex::new(now)) }
    }

    /// A clock showing `secs` seconds after the Unix epoch.
    #[must_use]
    pub fn at_unix(secs: u64) -> ManualClock {
        ManualClock::new(UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Sets the time.
    pub fn set(&self, now: SystemTime) {
        *self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = now;
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A boxed future of a [`Sleeper`].
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// How the client waits between retries. Tests inject a
/// [`RecordingSleeper`] so that no test waits for real.
pub trait Sleeper: Send + Sync + fmt::Debug {
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> SleepFuture;
}

/// Waits with `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Records every wait and returns at once; when built with
/// [`RecordingSleeper::with_clock`] it also moves that clock forward.
///
/// ```
/// use std::time::Duration;
/// use pixmize_imagekit::{RecordingSleeper, Sleeper};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sleeper = RecordingSleeper::new();
/// sleeper.sleep(Duration::from_millis(1500)).await;
/// assert_eq!(sleeper.sleeps(), [Duration::from_millis(1500)]);
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct RecordingSleeper {
    sleeps: Arc<Mutex<Vec<Duration>>>,
    clock: Option<ManualClock>,
}

impl RecordingSleeper {
    /// A sleeper that only records.
    #[must_use]
    pub fn new() -> RecordingSleeper {
        RecordingSleeper::default()
    }

    /// A sleeper that also advances `clock` by each wait.
    #[must_use]
    pub fn with_clock(clock: ManualClock) -> RecordingSleeper {
        RecordingSleeper { sleeps: Arc::default(), clock: Some(clock) }
    }

    /// The waits so far, in order.
    #[must_use]
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        self.sleeps.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(duration);
        if let Some(clock) = &self.clock {
            clock.advance(duration);
        }
        Box::pin(std::future::ready(()))
    }
}

/// When and how the client retries.
///
/// The defaults follow ImageKit's official SDKs: 2 retries on 408, 409, 429,
/// 5xx and connection errors; the wait is the server's `retry-after-ms`,
/// `Retry-After` (seconds or an HTTP date) or, on a 429,
/// `X-RateLimit-Reset` (milliseconds; the official SDKs ignore it), else
/// `min(0.5 s · 2ⁿ, 8 s)` minus up to 25 % jitter. An `x-should-retry`
/// header overrides the decision either way.
///
/// # What is retried, per endpoint group
///
/// Unlike the official SDKs, which retry every call alike, a call is only
/// retried when repeating it cannot change the outcome. When an answer is
/// lost (a timeout, a dropped connection, a 5xx from a proxy) the request
/// may or may not have taken effect, so:
///
/// | group | retried on | a retry that meets the first attempt's effect |
/// |---|---|---|
/// | reads (`GET`: list, details, versions, metadata, purge and job status, fields, usage, account resources) | every retryable failure | — |
/// | idempotent writes: update details and publish (`PATCH`), restore a version (`PUT`), update a custom metadata field or an account resource, bulk add/remove tags and AI tags, purge | every retryable failure | same state; a purge may get a second request id |
/// | deletes: file, version, folder, custom metadata field, account resource | every retryable failure | a 404 after an attempt whose outcome is unknown is a **success** (that attempt deleted it) |
/// | bulk delete (`deleteByFileIds`) | every retryable failure | ids deleted by the lost attempt come back in a 404's `missingFileIds` (with [`ApiError::after_uncertain_attempt`] set) |
/// | create folder | every retryable failure | a 409 "already exists" after an unknown outcome is a **success** |
/// | create a custom metadata field | every retryable failure | a 400/409 "already exists" after an unknown outcome is resolved by listing the fields: the one with the same name, label and type is returned |
/// | copy, move and rename a file; copy, move and rename a folder (bulk jobs); create an account resource | only when the request certainly did not take effect: connection refused, 429, `x-should-retry: true` | — (a retry could start a second bulk job, add a version, or fail with 404/409 although the first attempt succeeded) |
/// | uploads | see [the upload module](crate::upload) | never a second file |
/// | [`ImageKit::request_json`] | `GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`: every retryable failure; others: as copy/move | — |
///
/// A 503 with `Retry-After` is not treated as "certainly not processed":
/// a proxy may answer it after the origin has acted. When a
/// not-retried call fails with an unknown outcome ([`Error::is_retryable`]),
/// check the state (list the destination, [`ImageKit::bulk_job_status`])
/// before trying again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2; 0 disables retries).
    pub max_retries: u32,
    /// The first backoff when the server gives no hint (default 500 ms).
    pub initial_backoff: Duration,
    /// The longest computed backoff (default 8 s).
    pub max_backoff: Duration,
    /// The longest server-requested wait the client honours; a longer one
    /// ends the retries and returns the error, with
    /// [`ApiError::retry_after`] set (default 60 s).
    pub max_wait: Duration,
    /// Whether computed backoffs are shortened by a random 0–25 % (default
    /// true), so that many clients do not retry in step.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_wait: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retries.
    #[must_use]
    pub fn none() -> RetryPolicy {
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() }
    }

    /// The computed backoff before retry number `retry` (0-based), with
    /// jitter taken from `random` in `[0, 1)`.
    #[must_use]
    pub fn backoff(&self, retry: u32, random: f64) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(30));
        let base = self.initial_backoff.saturating_mul(factor).min(self.max_backoff);
        if self.jitter { base.mul_f64(1.0 - random.clamp(0.0, 1.0) * 0.25) } else { base }
    }
}

/// An ImageKit client: URLs and signing, uploads, the media API, purge,
/// plus webhook verification and [`ImageKitProcessor`](crate::ImageKitProcessor).
///
/// Cheap to clone (an `Arc` inside); share one per process. The private key
/// is kept in a [`SecretString`] and never appears in `Debug` output,
/// errors, logs or URLs; requests authenticate with HTTP Basic
/// (`base64("<private_key>:")`).
///
/// ```
/// use pixmize_imagekit::ImageKit;
/// let ik = ImageKit::builder()
///     .public_key("public_abc")
///     .private_key("private_xyz")
///     .url_endpoint("https://ik.imagekit.io/demo")
///     .build()?;
/// assert!(!format!("{ik:?}").contains("private_xyz"));
/// let url = ik.url("photos/cat.jpg").raw_transformation("w-300,h-200").build()?;
/// assert_eq!(url, "https://ik.imagekit.io/demo/photos/cat.jpg?tr=w-300,h-200");
/// # Ok::<(), pixmize_imagekit::Error>(())
/// ```
#[derive(Clone)]
pub struct ImageKit {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) public_key: Option<String>,
    pub(crate) private_key: Option<SecretString>,
    pub(crate) url_endpoint: Option<Url>,
    pub(crate) upload_base: Url,
    pub(crate) api_base: Url,
    pub(crate) timeout: Duration,
    pub(crate) upload_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    pub(crate) max_response_bytes: u64,
    last_rate_limit: Mutex<Option<RateLimit>>,
    last_response: Mutex<Option<ResponseMeta>>,
}

/// What one answer from ImageKit said about itself: status, request id,
/// rate-limit headers (the official Node SDK's `withResponse()`).
///
/// Per call, from [`Response::meta`] (the `*_with_response` methods) or
/// [`ResponseMeta::capture`] (any call); per client, for the last answer
/// of any call, from [`ImageKit::last_response`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// The operation, such as `"upload"`.
    pub endpoint: &'static str,
    /// The HTTP status.
    pub status: StatusCode,
    /// The `x-ik-requestId` header.
    pub request_id: Option<String>,
    /// The rate-limit headers.
    pub rate_limit: Option<RateLimit>,
    /// Which attempt of the call this answer is (1 for the first).
    pub attempt: u32,
}

tokio::task_local! {
    static CAPTURED: std::cell::RefCell<Option<ResponseMeta>>;
}

impl ResponseMeta {
    /// Runs `call` (any call of this crate, or several) and returns its
    /// result with the metadata of the last answer ImageKit gave inside it;
    /// `None` when nothing was answered (an invalid argument, a connection
    /// error). Unlike [`ImageKit::last_response`], concurrent calls and
    /// clones of the client do not mix: the capture follows the future,
    /// not the client (a task spawned inside `call` is not captured).
    ///
    /// ```no_run
    /// use pixmize_imagekit::ResponseMeta;
    /// # async fn run(ik: pixmize_imagekit::ImageKit) -> pixmize_imagekit::Result<()> {
    /// let (versions, meta) = ResponseMeta::capture(ik.file_versions("file_id")).await;
    /// let remaining = meta.and_then(|m| m.rate_limit).and_then(|r| r.limit);
    /// println!("{} versions; limit {remaining:?}", versions?.len());
    /// # Ok(()) }
    /// ```
    pub async fn capture<T>(
        call: impl Future<Output = Result<T>>,
    ) -> (Result<T>, Option<ResponseMeta>) {
        CAPTURED
            .scope(std::cell::RefCell::new(None), async {
                let out = call.await;
                (out, CAPTURED.with(|c| c.borrow_mut().take()))
            })
            .await
    }

    fn record(&self) {
        let _ = CAPTURED.try_with(|c| *c.borrow_mut() = Some(self.clone()));
    }
}

/// A value with the metadata of the answer it came from, returned by the
/// `*_with_response` methods such as [`ImageKit::upload_with_response`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded answer.
    pub value: T,
    /// Status, request id and rate-limit headers of that answer.
    pub meta: ResponseMeta,
}

impl<T> Response<T> {
    /// The value, without the metadata.
    pub fn into_value(self) -> T {
        self.value
    }

    /// Runs `call` under [`ResponseMeta::capture`] and pairs its value with
    /// the metadata. A successful call always got an answer; should one
    /// not have, the metadata says status 200 with no headers.
    pub(crate) async fn of(
        endpoint: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> Result<Response<T>> {
        let (value, meta) = ResponseMeta::capture(call).await;
        let meta = meta.unwrap_or(ResponseMeta {
            endpoint,
            status: StatusCode::OK,
            request_id: None,
            rate_limit: None,
            attempt: 1,
        });
        Ok(Response { value: value?, meta })
    }
}

impl fmt::Debug for ImageKit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("ImageKit")
            .field("public_key", &i.public_key)
            .field("private_key", &i.private_key.as_ref().map(|_| "<redacted>"))
            .field("url_endpoint", &i.url_endpoint.as_ref().map(Url::as_str))
            .field("upload_base", &i.upload_base.as_str())
            .field("api_base", &i.api_base.as_str())
            .field("timeout", &i.timeout)
            .field("retry", &i.retry)
            .finish_non_exhaustive()
    }
}

/// Builds an [`ImageKit`] client.
#[must_use]
pub struct ImageKitBuilder {
    public_key: Option<String>,
    private_key: Option<SecretString>,
    url_endpoint: Option<String>,
    upload_base: Option<String>,
    api_base: Option<String>,
    timeout: Duration,
    upload_timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
    http: Option<reqwest::Client>,
    max_response_bytes: u64,
}

impl Default for ImageKitBuilder {
    fn default() -> Self {
        ImageKitBuilder {
            public_key: None,
            private_key: None,
            url_endpoint: None,
            upload_base: None,
            api_base: None,
            timeout: Duration::from_secs(60),
            upload_timeout: Duration::from_secs(600),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            sleeper: Arc::new(TokioSleeper),
            http: None,
            max_response_bytes: 128 * 1024 * 1024,
        }
    }
}

impl fmt::Debug for ImageKitBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImageKitBuilder")
            .field("public_key", &self.public_key)
            .field("private_key", &self.private_key.as_ref().map(|_| "<redacted>"))
            .field("url_endpoint", &self.url_endpoint)
            .field("upload_base", &self.upload_base)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl ImageKitBuilder {
    /// A builder filled from `IMAGEKIT_PUBLIC_KEY`, `IMAGEKIT_PRIVATE_KEY`,
    /// `IMAGEKIT_URL_ENDPOINT` and, when set, `IMAGEKIT_UPLOAD_BASE_URL` and
    /// `IMAGEKIT_API_BASE_URL` (for pointing at an emulator). Unset or
    /// empty variables are left unset.
    pub fn from_env() -> ImageKitBuilder {
        ImageKitBuilder::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`ImageKitBuilder::from_env`] with `get` in place of the environment
    /// (so that tests need not touch the process environment).
    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> ImageKitBuilder {
        let var = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        ImageKitBuilder {
            public_key: var("IMAGEKIT_PUBLIC_KEY"),
            private_key: var("IMAGEKIT_PRIVATE_KEY").map(SecretString::from),
            url_endpoint: var("IMAGEKIT_URL_ENDPOINT"),
            upload_base: var("IMAGEKIT_UPLOAD_BASE_URL"),
            api_base: var("IMAGEKIT_API_BASE_URL"),
            ..ImageKitBuilder::default()
        }
    }

    /// The public key (`public_…`), sent with client-side uploads and used
    /// as the `kid` of upload tokens.
    pub fn public_key(mut self, key: impl Into<String>) -> Self {
        self.public_key = Some(key.into());
        self
    }

    /// The private key (`private_…`). Required for everything except
    /// unsigned URLs and client-authenticated uploads.
    pub fn private_key(mut self, key: impl Into<String>) -> Self {
        self.private_key = Some(SecretString::from(key.into()));
        self
    }

    /// The URL endpoint, such as `https://ik.imagekit.io/your_id` (a path
    /// pattern after the id is allowed). Required for URLs.
    pub fn url_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.url_endpoint = Some(endpoint.into());
        self
    }

    /// The upload API base (default [`DEFAULT_UPLOAD_BASE`]).
    pub fn upload_base_url(mut self, url: impl Into<String>) -> Self {
        self.upload_base = Some(url.into());
        self
    }

    /// The media API base (default [`DEFAULT_API_BASE`]).
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base = Some(url.into());
        self
    }

    /// Timeout of one media API or CDN request, from sending to the last
    /// byte of the answer (default 60 s, as the official SDKs).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout of one upload request (default 10 min: a large file on a
    /// slow link takes long).
    pub fn upload_timeout(mut self, timeout: Duration) -> Self {
        self.upload_timeout = timeout;
        self
    }

    /// Timeout for establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retries after the first attempt (default 2).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The whole retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The clock used for signatures, expiries and HTTP dates.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How the client waits between retries.
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The largest response body the client reads (default 128 MiB).
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Uses this HTTP client (its own timeouts then apply as well).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty or malformed key, a URL endpoint or
    /// base URL that is not `http(s)://`, a zero timeout, or when the HTTP
    /// client cannot be created.
    pub fn build(self) -> Result<ImageKit> {
        if let Some(key) = &self.private_key {
            let k = key.expose_secret();
            if k.is_empty() || k.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::Config("the private key is empty or contains whitespace"));
            }
        }
        if let Some(key) = &self.public_key
            && (key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(Error::Config("the public key is empty or contains whitespace"));
        }
        if self.timeout.is_zero() || self.upload_timeout.is_zero() || self.connect_timeout.is_zero()
        {
            return Err(Error::Config("timeouts must be positive"));
        }
        let url_endpoint = match &self.url_endpoint {
            Some(e) => Some(
                base_url(e)
                    .map_err(|()| Error::Config("the URL endpoint is not an http(s) URL"))?,
            ),
            None => None,
        };
        let upload_base = base_url(self.upload_base.as_deref().unwrap_or(DEFAULT_UPLOAD_BASE))
            .map_err(|()| Error::Config("the upload base URL is not an http(s) URL"))?;
        let api_base = base_url(self.api_base.as_deref().unwrap_or(DEFAULT_API_BASE))
            .map_err(|()| Error::Config("the API base URL is not an http(s) URL"))?;
        let http = match self.http {
            Some(h) => h,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::limited(5))
                .build()
                .map_err(|_| Error::Config("could not create the HTTP client"))?,
        };
        Ok(ImageKit {
            inner: Arc::new(Inner {
                http,
                public_key: self.public_key,
                private_key: self.private_key,
                url_endpoint,
                upload_base,
                api_base,
                timeout: self.timeout,
                upload_timeout: self.upload_timeout,
                retry: self.retry,
                clock: self.clock,
                sleeper: self.sleeper,
                max_response_bytes: self.max_response_bytes,
                last_rate_limit: Mutex::new(None),
                last_response: Mutex::new(None),
            }),
        })
    }
}

/// Parses an http(s) URL and makes its path end in `/` (so that joining
/// keeps the last segment) with no query or fragment.
pub(crate) fn base_url(s: &str) -> std::result::Result<Url, ()> {
    let mut url = Url::parse(s.trim()).map_err(|_| ())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(());
    }
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}

/// How a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryMode {
    /// Retry every retryable failure: repeating the request leaves the
    /// same state as doing it once.
    Idempotent,
    /// As `Idempotent`, except that a 409 is final: for creations, where a
    /// conflict means "it exists already" (which the caller resolves), not
    /// a lock to wait out.
    Create,
    /// Retry only when the request certainly did not take effect: the
    /// connection was never established, a 429 (ImageKit's rate limiter
    /// refuses before handling), or the server says `x-should-retry: true`.
    NotSentOnly,
    /// Retry only when the connection was never established.
    ConnectOnly,
    /// Never retry (one-shot bodies).
    Never,
}

/// A successful response, read whole.
#[derive(Debug)]
pub(crate) struct Raw {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Raw {
    pub(crate) fn json<T: DeserializeOwned>(&self, endpoint: &'static str) -> Result<T> {
        let body: &[u8] = if self.body.is_empty() { b"null" } else { &self.body };
        serde_json::from_slice(body).map_err(|e| Error::Decode {
            endpoint,
            status: self.status,
            request_id: crate::error::request_id(&self.headers),
            source: Box::new(crate::error::UnreadableBody::new(&e)),
        })
    }
}

impl ImageKit {
    /// Starts a builder.
    pub fn builder() -> ImageKitBuilder {
        ImageKitBuilder::default()
    }

    /// A client from `IMAGEKIT_PUBLIC_KEY`, `IMAGEKIT_PRIVATE_KEY` and
    /// `IMAGEKIT_URL_ENDPOINT` (see [`ImageKitBuilder::from_env`]).
    ///
    /// # Errors
    /// [`Error::Config`] when `IMAGEKIT_PRIVATE_KEY` is not set or a value
    /// is malformed.
    pub fn from_env() -> Result<ImageKit> {
        ImageKit::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`ImageKit::from_env`] with `get` in place of the environment.
    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<ImageKit> {
        let b = ImageKitBuilder::from_lookup(get);
        if b.private_key.is_none() {
            return Err(Error::Config("IMAGEKIT_PRIVATE_KEY is not set"));
        }
        b.build()
    }

    /// A client that shares this one's connection pool, keys and settings
    /// but uses `timeout` for media API and delivery calls (the official
    /// SDKs' per-request `timeout` option).
    #[must_use]
    pub fn with_timeout(&self, timeout: Duration) -> ImageKit {
        self.derive(|i| {
            if !timeout.is_zero() {
                i.timeout = timeout;
                i.upload_timeout = i.upload_timeout.max(timeout);
            }
        })
    }

    /// A client that shares this one's connection pool, keys and settings
    /// but retries by `policy` (the official SDKs' per-request
    /// `maxRetries` option).
    ///
    /// ```
    /// # let ik = pixmize_imagekit::ImageKit::builder().private_key("k").build()?;
    /// let no_retries = ik.with_retry_policy(pixmize_imagekit::RetryPolicy::none());
    /// # Ok::<(), pixmize_imagekit::Error>(())
    /// ```
    #[must_use]
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> ImageKit {
        self.derive(|i| i.retry = policy)
    }

    fn derive(&self, change: impl FnOnce(&mut Inner)) -> ImageKit {
        let i = &self.inner;
        let mut inner = Inner {
            http: i.http.clone(),
            public_key: i.public_key.clone(),
            private_key: i.private_key.clone(),
            url_endpoint: i.url_endpoint.clone(),
            upload_base: i.upload_base.clone(),
            api_base: i.api_base.clone(),
            timeout: i.timeout,
            upload_timeout: i.upload_timeout,
            retry: i.retry.clone(),
            clock: i.clock.clone(),
            sleeper: i.sleeper.clone(),
            max_response_bytes: i.max_response_bytes,
            last_rate_limit: Mutex::new(None),
            last_response: Mutex::new(None),
        };
        change(&mut inner);
        ImageKit { inner: Arc::new(inner) }
    }

    /// The public key, if configured.
    #[must_use]
    pub fn public_key(&self) -> Option<&str> {
        self.inner.public_key.as_deref()
    }

    /// The URL endpoint, ending in `/`, if configured.
    #[must_use]
    pub fn url_endpoint(&self) -> Option<&str> {
        self.inner.url_endpoint.as_ref().map(Url::as_str)
    }

    /// The current time of the client's clock.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// Status, request id and rate-limit headers of the last answer to any
    /// call of this client. Shared by every clone of the client, so with
    /// concurrent calls "last" is whichever answered last: for the answer
    /// to one call, use a `*_with_response` method or
    /// [`ResponseMeta::capture`].
    #[must_use]
    pub fn last_response(&self) -> Option<ResponseMeta> {
        self.inner.last_response.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The rate-limit headers of the last response that carried them (per
    /// client, like [`ImageKit::last_response`]).
    #[must_use]
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        *self.inner.last_rate_limit.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn private_key(&self, operation: &'static str) -> Result<&SecretString> {
        self.inner.private_key.as_ref().ok_or_else(|| {
            Error::invalid(operation, "the client has no private key (set one in the builder)")
        })
    }

    pub(crate) fn basic_auth(&self, operation: &'static str) -> Result<HeaderValue> {
        let key = self.private_key(operation)?;
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:", key.expose_secret()).as_bytes());
        let mut v = HeaderValue::from_str(&format!("Basic {token}"))
            .map_err(|_| Error::Config("the private key is not a valid header value"))?;
        v.set_sensitive(true);
        Ok(v)
    }

    /// A media API URL: `{api_base}` + segments (each percent-encoded as
    /// one segment, so an id can never change the path).
    pub(crate) fn api_url(&self, operation: &'static str, segments: &[&str]) -> Result<Url> {
        if segments.iter().any(|s| s.is_empty()) {
            return Err(Error::invalid(operation, "an id or path is empty"));
        }
        let mut url = self.inner.api_base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Config("the API base URL cannot have a path"))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// Sends a media API request with an optional JSON body, retrying as
    /// `mode` allows (see [`RetryMode`]), and returns the raw success.
    pub(crate) async fn api(
        &self,
        endpoint: &'static str,
        mode: RetryMode,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<Raw> {
        let auth = self.basic_auth(endpoint)?;
        let body = match body {
            Some(v) => Some(Bytes::from(serde_json::to_vec(&v).map_err(|e| {
                Error::invalid(endpoint, format!("could not serialize the body: {e}"))
            })?)),
            None => None,
        };
        let timeout = self.inner.timeout;
        self.execute(endpoint, mode, |_| {
            let mut rb = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, auth.clone())
                .header(USER_AGENT, UA)
                .header(ACCEPT, "application/json")
                .timeout(timeout);
            if let Some(b) = &body {
                rb = rb.header(CONTENT_TYPE, "application/json").body(b.clone());
            }
            std::future::ready(Ok(rb))
        })
        .await
    }

    /// [`ImageKit::api`] and decode the JSON answer.
    pub(crate) async fn api_json<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        mode: RetryMode,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<T> {
        self.api(endpoint, mode, method, url, body).await?.json(endpoint)
    }

    /// A delete (`DELETE` or a bulk delete) that is retried freely: a 404
    /// answered to a retry, after an attempt whose outcome is unknown (a
    /// timeout, a lost connection, a 5xx), means that attempt deleted it,
    /// and is a success.
    pub(crate) async fn api_delete(
        &self,
        endpoint: &'static str,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<()> {
        match self.api(endpoint, RetryMode::Idempotent, method, url, body).await {
            Ok(_) => Ok(()),
            Err(Error::Api(e))
                if e.status == StatusCode::NOT_FOUND && e.after_uncertain_attempt =>
            {
                tracing::debug!(
                    endpoint,
                    "a retried delete found nothing: an earlier attempt did it"
                );
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Calls any media API endpoint not covered by a typed method with the
    /// client's auth and timeouts. `path` is relative to the API base, such
    /// as `"v1/saved-extensions"`; `query` pairs are appended in order.
    /// `GET`, `HEAD`, `PUT`, `DELETE` and `OPTIONS` are retried on every
    /// retryable failure; `POST`, `PATCH` and other methods only when the
    /// request certainly did not take effect (see [`RetryPolicy`]).
    ///
    /// ```no_run
    /// # async fn run(ik: pixmize_imagekit::ImageKit) -> pixmize_imagekit::Result<()> {
    /// let origins = ik.request_json(http::Method::GET, "v1/accounts/origins", &[], None).await?;
    /// println!("{origins}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As every API call: [`Error::Api`], [`Error::Transport`],
    /// [`Error::Decode`]; [`Error::InvalidArgument`] for a path with `..`,
    /// `?` or `#`.
    pub async fn request_json(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value> {
        const OP: &str = "request_json";
        let path = path.trim_start_matches('/');
        if path.is_empty() || path.contains("..") || path.contains(['?', '#']) {
            return Err(Error::invalid(OP, "the path must be relative, without `..`, `?` or `#`"));
        }
        let mut url = self.api_url(OP, &path.split('/').collect::<Vec<_>>())?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mode =
            if method.is_idempotent() { RetryMode::Idempotent } else { RetryMode::NotSentOnly };
        self.api_json(OP, mode, method, url, body).await
    }

    /// The request engine: builds the request for each attempt, sends it,
    /// reads the whole body (capped), records rate-limit headers, and
    /// retries per `mode` and the retry policy.
    pub(crate) async fn execute<F, Fut>(
        &self,
        endpoint: &'static str,
        mode: RetryMode,
        mut build: F,
    ) -> Result<Raw>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<reqwest::RequestBuilder>>,
    {
        let policy = &self.inner.retry;
        let mut attempt: u32 = 0;
        // Whether an earlier attempt failed in a way that may have taken
        // effect (a timeout, a lost connection, a 408, 409 or 5xx answer).
        let mut uncertain = false;
        loop {
            let request = build(attempt).await?;
            attempt += 1;
            let retries_left = attempt <= policy.max_retries;
            let outcome = match request.send().await {
                Ok(response) => self.read(response).await,
                Err(e) => Err((transport_kind(&e), Box::new(e.without_url()) as _)),
            };
            match outcome {
                Err((kind, source)) => {
                    let retry = retries_left
                        && match mode {
                            RetryMode::Idempotent | RetryMode::Create => kind.is_retryable(),
                            RetryMode::NotSentOnly | RetryMode::ConnectOnly => {
                                kind == TransportKind::Connect
                            }
                            RetryMode::Never => false,
                        };
                    tracing::debug!(endpoint, attempt, %kind, retry, "ImageKit request failed");
                    uncertain |= kind != TransportKind::Connect;
                    if retry {
                        self.inner.sleeper.sleep(policy.backoff(attempt - 1, random_unit())).await;
                        continue;
                    }
                    return Err(Error::Transport { endpoint, kind, attempts: attempt, source });
                }
                Ok((status, headers, body)) => {
                    let rate_limit = RateLimit::from_headers(&headers);
                    let meta = ResponseMeta {
                        endpoint,
                        status,
                        request_id: crate::error::request_id(&headers),
                        rate_limit,
                        attempt,
                    };
                    meta.record();
                    *self
                        .inner
                        .last_response
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(meta);
                    if let Some(rl) = rate_limit {
                        *self
                            .inner
                            .last_rate_limit
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(rl);
                    }
                    if status.is_success() {
                        return Ok(Raw { status, headers, body });
                    }
                    let now = self.inner.clock.now();
                    let should = match should_retry_header(&headers) {
                        Some(v) => {
                            v && matches!(
                                mode,
                                RetryMode::Idempotent | RetryMode::Create | RetryMode::NotSentOnly
                            )
                        }
                        None => match mode {
                            RetryMode::Idempotent => is_retryable_status(status),
                            RetryMode::Create => {
                                is_retryable_status(status) && status != StatusCode::CONFLICT
                            }
                            RetryMode::NotSentOnly => status == StatusCode::TOO_MANY_REQUESTS,
                            RetryMode::ConnectOnly | RetryMode::Never => false,
                        },
                    };
                    let hinted = server_wait(&headers, status, now);
                    let wait = hinted.unwrap_or_else(|| policy.backoff(attempt - 1, random_unit()));
                    let retry = should && retries_left && wait <= policy.max_wait;
                    tracing::debug!(endpoint, attempt, %status, retry, "ImageKit answered an error");
                    if retry {
                        uncertain |= status != StatusCode::TOO_MANY_REQUESTS;
                        self.inner.sleeper.sleep(wait).await;
                        continue;
                    }
                    let mut e =
                        ApiError::from_response(endpoint, status, &headers, &body, attempt, now);
                    e.after_uncertain_attempt = uncertain;
                    return Err(Error::Api(Box::new(e)));
                }
            }
        }
    }

    /// Reads a response whole, up to the size cap.
    async fn read(
        &self,
        mut response: reqwest::Response,
    ) -> std::result::Result<(StatusCode, HeaderMap, Bytes), (TransportKind, crate::error::BoxError)>
    {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let cap = self.inner.max_response_bytes;
        if response.content_length().is_some_and(|n| n > cap) {
            return Err((TransportKind::TooLarge, "the response is larger than the limit".into()));
        }
        let mut body = bytes::BytesMut::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > cap {
                        return Err((
                            TransportKind::TooLarge,
                            "the response is larger than the limit".into(),
                        ));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let kind = if e.is_timeout() {
                        TransportKind::Timeout
                    } else {
                        TransportKind::Connection
                    };
                    return Err((kind, Box::new(e.without_url())));
                }
            }
        }
        Ok((status, headers, body.freeze()))
    }
}

fn transport_kind(e: &reqwest::Error) -> TransportKind {
    if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportKind::Connection
    } else {
        TransportKind::Other
    }
}

fn should_retry_header(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// How long the server asks to wait: `retry-after-ms` (milliseconds),
/// `Retry-After` (seconds or an HTTP date), or on a 429
/// `X-RateLimit-Reset` (milliseconds, ImageKit's own header).
///
/// The values come from the network, so nothing here may panic: a wait too
/// long for a [`Duration`] (`Retry-After: 1e20`) saturates at
/// [`Duration::MAX`], which is longer than any [`RetryPolicy::max_wait`]
/// and so ends the retries; NaN, infinities and negative numbers are
/// ignored.
pub(crate) fn server_wait(
    headers: &HeaderMap,
    status: StatusCode,
    now: SystemTime,
) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let positive_f64 = |s: &str| s.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0);
    if let Some(ms) = text("retry-after-ms").and_then(positive_f64) {
        return Some(secs_f64_saturating(ms / 1000.0));
    }
    if let Some(v) = text("retry-after") {
        if let Some(secs) = positive_f64(v) {
            return Some(secs_f64_saturating(secs));
        }
        if let Some(at) = parse_http_date(v) {
            return Some(at.duration_since(now).unwrap_or(Duration::ZERO));
        }
    }
    if status == StatusCode::TOO_MANY_REQUESTS
        && let Some(ms) = text("x-ratelimit-reset").and_then(positive_f64)
    {
        return Some(secs_f64_saturating(ms / 1000.0));
    }
    None
}

/// `Duration::from_secs_f64` without its panic: too large saturates at
/// [`Duration::MAX`], negative or NaN is zero.
pub(crate) fn secs_f64_saturating(secs: f64) -> Duration {
    match Duration::try_from_secs_f64(secs) {
        Ok(d) => d,
        Err(_) if secs > 0.0 => Duration::MAX,
        Err(_) => Duration::ZERO,
    }
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form HTTP
/// servers must send (a four-digit year).
pub(crate) fn parse_http_date(s: &str) -> Option<SystemTime> {
    let rest = s.split_once(", ")?.1;
    let mut it = rest.split(' ');
    let day: u64 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    if !(0..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day as i64)?;
    let secs = days.checked_mul(86_400)?.checked_add((h * 3600 + m * 60 + sec) as i64)?;
    UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm); `None` for a year beyond ±1 000 000 000 or a month or day
/// out of range, so that no input can overflow.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    const YEARS: i64 = 1_000_000_000;
    if !(-YEARS..=YEARS).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A random number in `[0, 1)` for jitter (from the OS random source, via
/// a v4 UUID).
pub(crate) fn random_unit() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn server_wait_sources_in_order() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_700);
        type Case<'a> = (&'a [(&'static str, &'a str)], u16, Option<Duration>);
        let cases: &[Case<'_>] = &[
            (&[("retry-after-ms", "250")], 503, Some(Duration::from_millis(250))),
            (
                &[("retry-after-ms", "250"), ("retry-after", "9")],
                429,
                Some(Duration::from_millis(250)),
            ),
            (&[("retry-after", "2")], 503, Some(Duration::from_secs(2))),
            (&[("retry-after", "1.5")], 503, Some(Duration::from_millis(1500))),
            // 08:49:37 is 77 s after `now` (08:48:20).
            (
                &[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")],
                503,
                Some(Duration::from_secs(77)),
            ),
            (&[("x-ratelimit-reset", "1200")], 429, Some(Duration::from_millis(1200))),
            (&[("x-ratelimit-reset", "1200")], 503, None),
            (&[("retry-after", "soon")], 503, None),
            (&[], 429, None),
        ];
        for (h, status, want) in cases {
            let got = server_wait(&headers(h), StatusCode::from_u16(*status).unwrap(), now);
            assert_eq!(got, *want, "{h:?} {status}");
        }
    }

    #[test]
    fn absurd_waiting_hints_do_not_panic() {
        // Each of these reached `Duration::from_secs_f64` and panicked.
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        type Case<'a> = (&'a [(&'static str, &'a str)], u16, Option<Duration>);
        let cases: &[Case<'_>] = &[
            (&[("retry-after", "1e20")], 503, Some(Duration::MAX)),
            (&[("retry-after-ms", "1e23")], 503, Some(Duration::MAX)),
            (&[("retry-after-ms", "1e300")], 429, Some(Duration::MAX)),
            (&[("x-ratelimit-reset", "1e300")], 429, Some(Duration::MAX)),
            (&[("retry-after", "18446744073709551616")], 503, Some(Duration::MAX)),
            (&[("retry-after", "-5")], 503, None),
            (&[("retry-after", "NaN")], 503, None),
            (&[("retry-after", "inf")], 503, None),
            (&[("retry-after-ms", "-1e30")], 503, None),
            (
                &[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")],
                503,
                Some(Duration::from_secs(253_402_300_799 - 1_700_000_000)),
            ),
            (&[("retry-after", "Fri, 31 Dec 99999999999999999 23:59:59 GMT")], 503, None),
            (&[("retry-after", "Fri, 31 Dec -9223372036854775808 23:59:59 GMT")], 503, None),
        ];
        for (h, status, want) in cases {
            let got = server_wait(&headers(h), StatusCode::from_u16(*status).unwrap(), now);
            assert_eq!(got, *want, "{h:?} {status}");
        }
        // A saturated wait is longer than any policy allows, so it ends the
        // retries instead of sleeping.
        assert!(Duration::MAX > RetryPolicy::default().max_wait);
    }

    #[test]
    fn civil_days_never_overflow() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(days_from_civil(-1, 12, 31), Some(-719_529));
        for y in [i64::MAX, i64::MIN, 1_000_000_001, -1_000_000_001] {
            assert_eq!(days_from_civil(y, 6, 15), None, "{y}");
        }
        assert_eq!(days_from_civil(2000, 13, 1), None);
        assert_eq!(days_from_civil(2000, 1, 0), None);
        assert!(days_from_civil(1_000_000_000, 12, 31).is_some());
        assert!(days_from_civil(-1_000_000_000, 1, 1).is_some());
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(UNIX_EPOCH));
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "x, 1 Foo 2000 1:2:3 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy { jitter: false, ..RetryPolicy::default() };
        let got: Vec<_> = (0..6).map(|n| p.backoff(n, 0.9)).collect();
        let ms = |v: u64| Duration::from_millis(v);
        assert_eq!(got, [ms(500), ms(1000), ms(2000), ms(4000), ms(8000), ms(8000)]);
        let j = RetryPolicy::default();
        assert_eq!(j.backoff(0, 0.0), ms(500));
        assert_eq!(j.backoff(0, 1.0), ms(375));
        let r = random_unit();
        assert!((0.0..1.0).contains(&r));
    }

    /// A lookup over `vars` that records the names asked for.
    fn lookup<'a>(
        vars: &'a [(&str, &str)],
        asked: &'a Mutex<Vec<String>>,
    ) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            asked.lock().unwrap().push(k.to_owned());
            vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn from_env_reads_its_variables() {
        let vars = [
            ("IMAGEKIT_PUBLIC_KEY", "public_env"),
            ("IMAGEKIT_PRIVATE_KEY", "private_env"),
            ("IMAGEKIT_URL_ENDPOINT", "https://ik.imagekit.io/demo"),
            ("IMAGEKIT_UPLOAD_BASE_URL", "http://127.0.0.1:9/up"),
            ("IMAGEKIT_API_BASE_URL", "http://127.0.0.1:9/api/"),
            ("IMAGEKIT_PRIVATE", "not read"),
        ];
        let asked = Mutex::new(Vec::new());
        let ik = ImageKit::from_lookup(lookup(&vars, &asked)).unwrap();
        let mut asked = asked.into_inner().unwrap();
        asked.sort();
        assert_eq!(
            asked,
            [
                "IMAGEKIT_API_BASE_URL",
                "IMAGEKIT_PRIVATE_KEY",
                "IMAGEKIT_PUBLIC_KEY",
                "IMAGEKIT_UPLOAD_BASE_URL",
                "IMAGEKIT_URL_ENDPOINT",
            ]
        );
        let i = &ik.inner;
        assert_eq!(i.public_key.as_deref(), Some("public_env"));
        assert_eq!(i.private_key.as_ref().map(|k| k.expose_secret()), Some("private_env"));
        assert_eq!(i.url_endpoint.as_ref().map(Url::as_str), Some("https://ik.imagekit.io/demo/"));
        assert_eq!(i.upload_base.as_str(), "http://127.0.0.1:9/up/");
        assert_eq!(i.api_base.as_str(), "http://127.0.0.1:9/api/");
    }

    #[test]
    fn from_env_treats_empty_values_as_unset() {
        let vars = [
            ("IMAGEKIT_PUBLIC_KEY", ""),
            ("IMAGEKIT_PRIVATE_KEY", "private_env"),
            ("IMAGEKIT_URL_ENDPOINT", "  "),
            ("IMAGEKIT_UPLOAD_BASE_URL", "\t"),
            ("IMAGEKIT_API_BASE_URL", ""),
        ];
        let asked = Mutex::new(Vec::new());
        let b = ImageKitBuilder::from_lookup(lookup(&vars, &asked));
        assert_eq!(
            (&b.public_key, &b.url_endpoint, &b.upload_base, &b.api_base),
            (&None, &None, &None, &None)
        );
        // Unset bases fall back to ImageKit's.
        let ik = b.build().unwrap();
        assert_eq!(ik.inner.upload_base.as_str(), DEFAULT_UPLOAD_BASE);
        assert_eq!(ik.inner.api_base.as_str(), DEFAULT_API_BASE);
    }

    #[test]
    fn from_env_without_private_key_names_the_variable() {
        for private in [None, Some(""), Some("   ")] {
            let mut vars = vec![
                ("IMAGEKIT_PUBLIC_KEY", "public_env"),
                ("IMAGEKIT_URL_ENDPOINT", "https://ik.imagekit.io/demo"),
            ];
            if let Some(p) = private {
                vars.push(("IMAGEKIT_PRIVATE_KEY", p));
            }
            let asked = Mutex::new(Vec::new());
            let Err(e) = ImageKit::from_lookup(lookup(&vars, &asked)) else {
                panic!("a client without IMAGEKIT_PRIVATE_KEY ({private:?})");
            };
            assert!(matches!(e, Error::Config(_)), "{private:?}");
            assert_eq!(
                e.to_string(),
                "invalid ImageKit client configuration: IMAGEKIT_PRIVATE_KEY is not set"
            );
        }
        // The builder alone does not require it (unsigned URLs need no key).
        let vars = [("IMAGEKIT_URL_ENDPOINT", "https://ik.imagekit.io/demo")];
        let asked = Mutex::new(Vec::new());
        assert!(ImageKitBuilder::from_lookup(lookup(&vars, &asked)).build().is_ok());
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            base_url("https://ik.imagekit.io/demo").unwrap().as_str(),
            "https://ik.imagekit.io/demo/"
        );
        assert_eq!(
            base_url("http://127.0.0.1:9/x/?q=1#f").unwrap().as_str(),
            "http://127.0.0.1:9/x/"
        );
        for bad in ["ftp://x/", "not a url", "https://user:pw@host/", "file:///etc"] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
    }
}
