//! An ImageKit-compatible HTTP server on `127.0.0.1` (random port) for
//! tests, examples and offline development. Start it in one call:
//!
//! ```
//! # async fn run() -> pixmize_imagekit::Result<()> {
//! use pixmize_imagekit::emulator::Emulator;
//! use pixmize_imagekit::{FileSource, UploadRequest};
//! let emu = Emulator::start().await?;
//! let ik = emu.client()?;
//! let png = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/red-64x48.png"))
//!     .unwrap();
//! let file = ik.upload(UploadRequest::new(FileSource::bytes(png), "red.png")).await?;
//! let url = ik.url(&file.file_path).raw_transformation("w-32").build()?;
//! let thumb = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
//! assert!(!thumb.is_empty());
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```
//!
//! # What it does
//!
//! * **Auth**: HTTP Basic with the generated private key (the password is
//!   ignored); `401 {"message": "Your request does not contain private API
//!   key."}` without it, `403 "Your account cannot be authenticated."` with
//!   a wrong key. Uploads also accept client-side parameters (public key,
//!   token, expire, signature), with single-use tokens and the one-hour
//!   expiry limit, and refuse both at once.
//! * **Uploads** (`POST /api/v1/files/upload`): every field of the upload
//!   API is validated (booleans must be `true`/`false`, JSON fields must be
//!   JSON, tags ≤ 500 characters without `%`, custom metadata fields must
//!   exist). Unknown fields are refused with a 400: the emulator is
//!   stricter than ImageKit so that a misspelt field is caught. The file
//!   may be binary, base64 (or a data URI) or a URL (fetched, 8 s). Names
//!   are sanitized as ImageKit does, `useUniqueFileName` appends `_` and
//!   eight random characters, `overwriteFile=false` refuses an existing
//!   path with a 400, and an overwrite adds a version. A `pre`
//!   transformation is applied with pixmize-core; extensions are recorded
//!   as `success` but not run (no AI tags are added).
//! * **Storage**: in memory, with ids, versions, folders, tags, custom
//!   metadata, custom metadata fields, purge requests and bulk jobs.
//! * **Delivery** (the URL endpoint is `{base}cdn/`): `/tr:…/path` and
//!   `?tr=` (path first, then query, when both are given), `orig-true`,
//!   `ik-attachment=true`. Transformations run in pixmize-core's
//!   `LocalProcessor`. Parameters only ImageKit can run — AI effects
//!   (`e-bgremove`, `e-upscale`, `e-genvar`, generative fill…), ML focus
//!   (`fo-auto`, `fo-face`, `fo-<object>`, `fo-custom`), layers, named
//!   transformations, default images, client hints (`w-auto`, `dpr-auto`),
//!   pages and a few effects pixmize-core lacks — are **dropped** before
//!   running: ML focus becomes centre focus, so the output *geometry* is
//!   what ImageKit would deliver, while the pixels are not. The dropped
//!   keys are listed in the `x-emulator-dropped` response header.
//!   Signatures are checked as ImageKit does: `401` for a bad or expired
//!   `ik-s`/`ik-t`, and private files need a signature. Drafts
//!   (`isPublished=false`) are not delivered. Answers are cached by URL as
//!   a CDN would: a deleted file stays deliverable until its URL is purged.
//! * **Media API**: every endpoint of [`ImageKit`] (list
//!   and search with the full search-query language, details, update,
//!   publish, delete, bulk delete with 207/404, copy, move, rename,
//!   versions, metadata, bulk tags, folders, bulk jobs, purge, custom
//!   metadata fields, usage). Bulk jobs and purges finish at once but
//!   report `Pending` on their first status query, then `Completed`.
//! * **Faults**: [`EmulatorHandle::inject`] makes the next N requests
//!   matching a route answer a chosen status (before or after handling
//!   them), a 429 with the rate-limit headers, wait, drop the connection
//!   or never answer (before or after handling).
//!   [`EmulatorHandle::wait_for`] lets a test act at an exact point (for
//!   example cancel a call once its upload is stored).
//! * **Sizes**: an upload over [`Emulator::max_upload_bytes`] gets
//!   ImageKit's 400 with a size message, even when the body is too large to
//!   be read (it is drained, not kept); other routes answer 413.
//! * **Request log**: [`EmulatorHandle::requests`] gives every request's
//!   method, path, query, headers (the `Authorization` value redacted) and
//!   body size, with the status answered.

// Handlers return the HTTP answer itself as the error value of `?`.
#![allow(clippy::result_large_err)]

mod api;
mod cdn;
mod query;
mod store;
mod upload;

use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Request, State};
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::client::{Clock, ImageKit, ImageKitBuilder, SystemClock};
use crate::error::{Error, Result};
use crate::webhook::WebhookVerifier;

pub(crate) use store::Store;

const HELP: &str = "For support kindly contact us at support@imagekit.io.";

/// Which requests a [`Fault`] applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultRoute {
    /// Every request.
    Any,
    /// `POST /api/v1/files/upload` and `POST /api/v2/files/upload`.
    Upload,
    /// The media API (`/v1/…`).
    Api,
    /// Delivery (the URL endpoint).
    Cdn,
    /// Requests whose path starts with this.
    PathPrefix(String),
}

/// What a [`Fault`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultAction {
    /// Answer this status with an ImageKit-style body, without handling
    /// the request.
    Status(u16),
    /// Handle the request (its effects happen), then answer this status
    /// instead of the real answer: a lost answer.
    StatusAfterHandling(u16),
    /// Answer 429 with `X-RateLimit-Limit`, `X-RateLimit-Reset` (this wait,
    /// in milliseconds) and `X-RateLimit-Interval`, without handling.
    RateLimited {
        /// The wait announced in `X-RateLimit-Reset`.
        reset: Duration,
    },
    /// Answer this status with these extra headers, without handling.
    StatusWithHeaders(u16, Vec<(String, String)>),
    /// Wait, then handle the request normally.
    Latency(Duration),
    /// Close the connection without answering, without handling.
    Drop,
    /// Handle the request (its effects happen), then close the connection
    /// without answering.
    DropAfterHandling,
    /// Never answer and never handle: the request hangs until the client
    /// gives up (a timeout, a cancelled future).
    Stall,
    /// Handle the request (its effects happen and it is logged, with
    /// status 0), then never answer: the answer hangs until the client
    /// gives up. With [`EmulatorHandle::wait_for`], a test can cancel a
    /// call exactly between "stored" and "answered".
    StallAfterHandling,
}

/// A fault to inject into the next `times` matching requests.
///
/// ```
/// use pixmize_imagekit::emulator::{Fault, FaultRoute};
/// let f = Fault::status(503).on(FaultRoute::Upload).times(2);
/// assert_eq!(f.remaining(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    route: FaultRoute,
    method: Option<Method>,
    action: FaultAction,
    times: u32,
}

impl Fault {
    /// A fault with this action, on any route, once.
    #[must_use]
    pub fn new(action: FaultAction) -> Fault {
        Fault { route: FaultRoute::Any, method: None, action, times: 1 }
    }

    /// Answer `status` without handling.
    #[must_use]
    pub fn status(status: u16) -> Fault {
        Fault::new(FaultAction::Status(status))
    }

    /// Handle, then answer `status`.
    #[must_use]
    pub fn status_after_handling(status: u16) -> Fault {
        Fault::new(FaultAction::StatusAfterHandling(status))
    }

    /// A 429 with rate-limit headers announcing `reset`.
    #[must_use]
    pub fn rate_limited(reset: Duration) -> Fault {
        Fault::new(FaultAction::RateLimited { reset })
    }

    /// Wait `latency` first.
    #[must_use]
    pub fn latency(latency: Duration) -> Fault {
        Fault::new(FaultAction::Latency(latency))
    }

    /// Drop the connection without handling.
    #[must_use]
    pub fn drop_connection() -> Fault {
        Fault::new(FaultAction::Drop)
    }

    /// Handle, then drop the connection.
    #[must_use]
    pub fn drop_after_handling() -> Fault {
        Fault::new(FaultAction::DropAfterHandling)
    }

    /// Never answer, without handling.
    #[must_use]
    pub fn stall() -> Fault {
        Fault::new(FaultAction::Stall)
    }

    /// Handle, then never answer.
    #[must_use]
    pub fn stall_after_handling() -> Fault {
        Fault::new(FaultAction::StallAfterHandling)
    }

    /// Only on this route.
    #[must_use]
    pub fn on(mut self, route: FaultRoute) -> Fault {
        self.route = route;
        self
    }

    /// Only for this method.
    #[must_use]
    pub fn method(mut self, method: Method) -> Fault {
        self.method = Some(method);
        self
    }

    /// For the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u32) -> Fault {
        self.times = n;
        self
    }

    /// Matching requests left.
    #[must_use]
    pub fn remaining(&self) -> u32 {
        self.times
    }

    fn matches(&self, method: &Method, route: Route, path: &str) -> bool {
        let route_ok = match &self.route {
            FaultRoute::Any => true,
            FaultRoute::Upload => route == Route::Upload,
            FaultRoute::Api => route == Route::Api,
            FaultRoute::Cdn => route == Route::Cdn,
            FaultRoute::PathPrefix(p) => path.starts_with(p.as_str()),
        };
        route_ok && self.method.as_ref().is_none_or(|m| m == method) && self.times > 0
    }
}

/// One request the emulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// The method.
    pub method: String,
    /// The path, as sent (percent-encoded).
    pub path: String,
    /// The query string, as sent.
    pub query: Option<String>,
    /// The headers, lower-case names; `authorization` is `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// The body size in bytes.
    pub body_size: usize,
    /// The status answered (0 when the connection was dropped).
    pub status: u16,
    /// The fault applied, if any.
    pub fault: Option<String>,
}

impl LoggedRequest {
    /// A header value by (lower-case) name.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A stored file, as the emulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EmulatedFile {
    /// The file id.
    pub file_id: String,
    /// The path.
    pub file_path: String,
    /// Size of the current version.
    pub size: usize,
    /// Whether it is private.
    pub is_private: bool,
    /// Number of versions.
    pub versions: usize,
    /// Tags.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Upload,
    Api,
    Cdn,
    Other,
}

/// Shared state of a running emulator.
pub(crate) struct Shared {
    pub(crate) public_key: String,
    pub(crate) private_key: String,
    pub(crate) webhook_secret: String,
    pub(crate) base: String,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) max_upload_bytes: usize,
    pub(crate) store: Mutex<Store>,
    faults: Mutex<Vec<Fault>>,
    log: Mutex<Vec<LoggedRequest>>,
    /// Bumped after every request is logged, for [`EmulatorHandle::wait_for`].
    changes: tokio::sync::watch::Sender<u64>,
    pub(crate) http: reqwest::Client,
}

impl Shared {
    fn push_log(&self, entry: LoggedRequest) {
        self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(entry);
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn url_endpoint(&self) -> String {
        format!("{}cdn/", self.base)
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now()
    }
}

/// Options of the emulator.
#[derive(Debug)]
#[must_use]
pub struct Emulator {
    public_key: Option<String>,
    private_key: Option<String>,
    webhook_secret: Option<String>,
    clock: Arc<dyn Clock>,
    max_upload_bytes: usize,
}

impl Default for Emulator {
    fn default() -> Self {
        Emulator {
            public_key: None,
            private_key: None,
            webhook_secret: None,
            clock: Arc::new(SystemClock),
            max_upload_bytes: 25 * 1024 * 1024,
        }
    }
}

impl Emulator {
    /// Starts an emulator with generated keys on `127.0.0.1` and a random
    /// port.
    ///
    /// # Errors
    /// [`Error::Io`] when the port cannot be bound.
    pub async fn start() -> Result<EmulatorHandle> {
        Emulator::default().spawn().await
    }

    /// A configurable emulator.
    pub fn builder() -> Emulator {
        Emulator::default()
    }

    /// Uses this public key instead of a generated one.
    pub fn public_key(mut self, key: impl Into<String>) -> Self {
        self.public_key = Some(key.into());
        self
    }

    /// Uses this private key instead of a generated one.
    pub fn private_key(mut self, key: impl Into<String>) -> Self {
        self.private_key = Some(key.into());
        self
    }

    /// Uses this webhook secret instead of a generated one.
    pub fn webhook_secret(mut self, secret: impl Into<String>) -> Self {
        self.webhook_secret = Some(secret.into());
        self
    }

    /// The clock for signature expiry and timestamps.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The upload size limit (default 25 MB, the free plan's image limit).
    pub fn max_upload_bytes(mut self, bytes: usize) -> Self {
        self.max_upload_bytes = bytes;
        self
    }

    /// Starts the server.
    ///
    /// # Errors
    /// [`Error::Io`] when the port cannot be bound.
    pub async fn spawn(self) -> Result<EmulatorHandle> {
        let tcp = TcpListener::bind(("127.0.0.1", 0)).await.map_err(Error::Io)?;
        let addr = tcp.local_addr().map_err(Error::Io)?;
        let rand = || uuid::Uuid::new_v4().simple().to_string();
        let shared = Arc::new(Shared {
            public_key: self.public_key.unwrap_or_else(|| format!("public_emu_{}", &rand()[..20])),
            private_key: self
                .private_key
                .unwrap_or_else(|| format!("private_emu_{}", &rand()[..24])),
            webhook_secret: self
                .webhook_secret
                .unwrap_or_else(|| format!("whsec_emu_{}", &rand()[..24])),
            base: format!("http://{addr}/"),
            clock: self.clock,
            max_upload_bytes: self.max_upload_bytes,
            store: Mutex::new(Store::default()),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            changes: tokio::sync::watch::Sender::new(0),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(8))
                .build()
                .map_err(|_| Error::Config("could not create the emulator's HTTP client"))?,
        });
        // Sizes are checked by the emulator itself (`max_upload_bytes`).
        let app = axum::Router::new()
            .fallback(dispatch)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<Conn>();
            let _ = axum::serve(KillListener(tcp), service)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(EmulatorHandle { shared, addr, shutdown: Some(tx), task: Some(task) })
    }
}

/// A running emulator; shuts down when dropped.
pub struct EmulatorHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("addr", &self.addr)
            .field("public_key", &self.shared.public_key)
            .field("private_key", &"<redacted>")
            .field("webhook_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// The server's address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.shared.base
    }

    /// The URL endpoint for delivery URLs (`http://127.0.0.1:PORT/cdn/`).
    #[must_use]
    pub fn url_endpoint(&self) -> String {
        self.shared.url_endpoint()
    }

    /// The upload API base.
    #[must_use]
    pub fn upload_base(&self) -> String {
        self.shared.base.clone()
    }

    /// The media API base.
    #[must_use]
    pub fn api_base(&self) -> String {
        self.shared.base.clone()
    }

    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> &str {
        &self.shared.public_key
    }

    /// The private key (a generated test key).
    #[must_use]
    pub fn private_key(&self) -> &str {
        &self.shared.private_key
    }

    /// The webhook secret [`EmulatorHandle::signed_webhook`] signs with.
    #[must_use]
    pub fn webhook_secret(&self) -> &str {
        &self.shared.webhook_secret
    }

    /// A client builder pointed at this emulator, with its keys.
    pub fn client_builder(&self) -> ImageKitBuilder {
        ImageKit::builder()
            .public_key(self.public_key())
            .private_key(self.private_key())
            .url_endpoint(self.url_endpoint())
            .upload_base_url(self.upload_base())
            .api_base_url(self.api_base())
    }

    /// A client pointed at this emulator.
    ///
    /// # Errors
    /// As [`ImageKitBuilder::build`].
    pub fn client(&self) -> Result<ImageKit> {
        self.client_builder().build()
    }

    /// Every request so far, in order.
    #[must_use]
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Waits until `condition` holds, checking it now and after each
    /// request the emulator finishes handling (and each
    /// [`FaultAction::StallAfterHandling`]). For tests that must act at an
    /// exact point, such as "the upload is stored but not answered", with
    /// no sleeping or polling.
    ///
    /// ```
    /// # async fn run() -> pixmize_imagekit::Result<()> {
    /// use pixmize_imagekit::emulator::Emulator;
    /// let emu = Emulator::start().await?;
    /// let ik = emu.client()?;
    /// let listing = tokio::spawn(async move { ik.list_files(&Default::default()).await });
    /// emu.wait_for(|e| !e.requests().is_empty()).await;
    /// assert_eq!(emu.requests()[0].path, "/v1/files");
    /// # listing.await.unwrap()?; Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
    /// ```
    pub async fn wait_for(&self, condition: impl Fn(&EmulatorHandle) -> bool) {
        let mut changes = self.shared.changes.subscribe();
        loop {
            changes.borrow_and_update();
            if condition(self) {
                return;
            }
            // The sender lives as long as `self`.
            if changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// Forgets the requests so far.
    pub fn clear_requests(&self) {
        self.shared.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// Injects a fault; faults apply in the order injected.
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(fault);
    }

    /// Removes every pending fault.
    pub fn clear_faults(&self) {
        self.shared.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// Faults not used up yet.
    #[must_use]
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.shared.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The stored files.
    #[must_use]
    pub fn files(&self) -> Vec<EmulatedFile> {
        self.shared.store().emulated_files()
    }

    /// The bytes of a file's current version.
    #[must_use]
    pub fn file_bytes(&self, file_id: &str) -> Option<Vec<u8>> {
        self.shared.store().current_bytes(file_id)
    }

    /// A webhook as ImageKit would send it (Standard Webhooks headers,
    /// signed with [`EmulatorHandle::webhook_secret`]): the headers and the
    /// body `{id, type, created_at, data}`.
    #[must_use]
    pub fn signed_webhook(&self, event_type: &str, data: Value) -> (HeaderMap, Vec<u8>) {
        let now = self.shared.now();
        let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
        let body = json!({"id": id, "type": event_type, "created_at": iso8601(now), "data": data})
            .to_string()
            .into_bytes();
        let ts = crate::client::unix_secs(now);
        let verifier = WebhookVerifier::new(self.shared.webhook_secret.clone())
            .unwrap_or_else(|_| unreachable!("the secret is not empty"));
        let mut h = HeaderMap::new();
        let put = |h: &mut HeaderMap, k: &'static str, v: String| {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        };
        put(&mut h, "webhook-id", id.clone());
        put(&mut h, "webhook-timestamp", ts.to_string());
        put(&mut h, "webhook-signature", verifier.sign_standard(&id, ts, &body));
        (h, body)
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A TCP stream whose writes fail once its connection is "killed", so the
/// server closes it without answering.
struct KillableStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(std::io::ErrorKind::ConnectionAborted.into()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(std::io::ErrorKind::ConnectionAborted.into()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(std::io::ErrorKind::ConnectionAborted.into()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

struct KillListener(TcpListener);

impl Listener for KillListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((inner, addr)) => {
                    let _ = inner.set_nodelay(true);
                    return (KillableStream { inner, killed: Arc::default() }, addr);
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// The per-connection kill switch, handed to each request.
#[derive(Clone)]
struct Conn(Arc<AtomicBool>);

impl Connected<IncomingStream<'_, KillListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, KillListener>) -> Self {
        Conn(stream.io().killed.clone())
    }
}

/// A request, read whole.
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// The request's extensions (they carry the body-limit setting that
    /// extractors read).
    pub(crate) extensions: http::Extensions,
}

impl Req {
    /// Decoded query pairs.
    pub(crate) fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

async fn dispatch(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    // Base64 and multipart framing make a body larger than its file: a
    // body over twice the upload limit cannot hold an acceptable file.
    let body = read_body(body, shared.max_upload_bytes.saturating_mul(2).max(1 << 20)).await;
    let (body, body_size) = match body {
        BodyRead::Whole(b) => {
            let n = b.len();
            (Ok(b), n)
        }
        BodyRead::TooLarge(n) => (Err(true), n),
        BodyRead::Broken(n) => (Err(false), n),
    };
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let route = if path == "/api/v1/files/upload" || path == "/api/v2/files/upload" {
        Route::Upload
    } else if path.starts_with("/v1/") {
        Route::Api
    } else if path.starts_with("/cdn/") {
        Route::Cdn
    } else {
        Route::Other
    };
    let mut entry = LoggedRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        query: query.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                let v = if k == http::header::AUTHORIZATION {
                    "<redacted>".to_owned()
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                };
                (k.as_str().to_owned(), v)
            })
            .collect(),
        body_size,
        status: 0,
        fault: None,
    };
    let body = match body {
        Ok(b) => b,
        Err(too_large) => {
            // Answered before any fault is used up: the request never
            // reached a handler.
            let response = if !too_large {
                error(StatusCode::BAD_REQUEST, "The request body could not be read")
            } else if route == Route::Upload {
                // ImageKit answers an oversized upload with a 400 and this
                // message, as the upload handler does for a file just over
                // the limit.
                error(StatusCode::BAD_REQUEST, UPLOAD_TOO_LARGE)
            } else {
                error(StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large")
            };
            entry.status = response.status().as_u16();
            shared.push_log(entry);
            return response;
        }
    };
    let fault = {
        let mut faults = shared.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = faults.iter_mut().find(|f| f.matches(&parts.method, route, &path));
        let action = found.map(|f| {
            f.times -= 1;
            f.action.clone()
        });
        faults.retain(|f| f.times > 0);
        action
    };
    entry.fault = fault.as_ref().map(|f| format!("{f:?}"));
    let req = Req {
        method: parts.method,
        path,
        query,
        headers: parts.headers,
        body,
        extensions: parts.extensions,
    };

    let mut kill = false;
    let response = match fault {
        Some(FaultAction::Status(code)) => error_status(code),
        Some(FaultAction::RateLimited { reset }) => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            let h = r.headers_mut();
            h.insert("x-ratelimit-limit", HeaderValue::from_static("10"));
            h.insert("x-ratelimit-interval", HeaderValue::from_static("1000"));
            if let Ok(v) = HeaderValue::from_str(&reset.as_millis().to_string()) {
                h.insert("x-ratelimit-reset", v);
            }
            r
        }
        Some(FaultAction::StatusWithHeaders(code, headers)) => {
            let mut r = error_status(code);
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) =
                    (http::HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(&v))
                {
                    r.headers_mut().insert(k, v);
                }
            }
            r
        }
        Some(FaultAction::Drop) => {
            kill = true;
            error_status(500)
        }
        Some(FaultAction::Latency(d)) => {
            tokio::time::sleep(d).await;
            handle(&shared, route, req).await
        }
        Some(FaultAction::StatusAfterHandling(code)) => {
            let _ = handle(&shared, route, req).await;
            error_status(code)
        }
        Some(FaultAction::DropAfterHandling) => {
            let _ = handle(&shared, route, req).await;
            kill = true;
            error_status(500)
        }
        Some(FaultAction::Stall) => {
            shared.push_log(entry);
            return std::future::pending().await;
        }
        Some(FaultAction::StallAfterHandling) => {
            let _ = handle(&shared, route, req).await;
            shared.push_log(entry);
            return std::future::pending().await;
        }
        None => handle(&shared, route, req).await,
    };
    let mut response = response;
    let request_id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-ik-requestid", v);
    }
    if route == Route::Api && !response.headers().contains_key("x-ratelimit-limit") {
        let h = response.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("1000"));
        h.insert("x-ratelimit-interval", HeaderValue::from_static("1000"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("0"));
    }
    entry.status = if kill { 0 } else { response.status().as_u16() };
    shared.push_log(entry);
    if kill {
        conn.0.store(true, Ordering::SeqCst);
    }
    response
}

/// The answer to an upload over [`Emulator::max_upload_bytes`].
pub(crate) const UPLOAD_TOO_LARGE: &str = "File size exceeds the upload limit of your plan";

enum BodyRead {
    /// The whole body.
    Whole(Bytes),
    /// Longer than the limit: read to its end (so that the client, still
    /// sending, gets the answer instead of a reset) but not kept.
    TooLarge(usize),
    /// The connection broke after this many bytes.
    Broken(usize),
}

async fn read_body(body: Body, limit: usize) -> BodyRead {
    use futures_util::StreamExt as _;
    let mut stream = body.into_data_stream();
    let mut buf = bytes::BytesMut::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { return BodyRead::Broken(total) };
        total = total.saturating_add(chunk.len());
        if total <= limit {
            buf.extend_from_slice(&chunk);
        } else if !buf.is_empty() {
            buf = bytes::BytesMut::new();
        }
    }
    if total > limit { BodyRead::TooLarge(total) } else { BodyRead::Whole(buf.freeze()) }
}

async fn handle(shared: &Arc<Shared>, route: Route, req: Req) -> Response {
    match route {
        Route::Upload => upload::handle(shared, req).await,
        Route::Api => api::handle(shared, req).await,
        Route::Cdn => cdn::handle(shared, req).await,
        Route::Other => error(StatusCode::NOT_FOUND, "Not found"),
    }
}

/// An ImageKit-style error answer.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({"message": message, "help": HELP}))
}

fn error_status(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error(status, status.canonical_reason().unwrap_or("Injected fault"))
}

pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut r = Response::new(Body::from(value.to_string()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

pub(crate) fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

/// How a request authenticates with Basic auth.
pub(crate) enum BasicAuth {
    /// No `Authorization` header.
    Missing,
    /// The private key matches.
    Valid,
    /// Present but wrong.
    Invalid,
}

pub(crate) fn basic_auth(shared: &Shared, headers: &HeaderMap) -> BasicAuth {
    let Some(v) = headers.get(http::header::AUTHORIZATION) else { return BasicAuth::Missing };
    let Some(token) = v.to_str().ok().and_then(|s| s.strip_prefix("Basic ")) else {
        return BasicAuth::Invalid;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token.trim()) else {
        return BasicAuth::Invalid;
    };
    // `key:` (the official form), `key:anything`, or the bare key.
    let user = decoded.split(|b| *b == b':').next().unwrap_or_default();
    use subtle::ConstantTimeEq as _;
    if bool::from(user.ct_eq(shared.private_key.as_bytes())) {
        BasicAuth::Valid
    } else {
        BasicAuth::Invalid
    }
}

/// The 401/403 answers for a request without valid Basic auth.
pub(crate) fn auth_error(auth: &BasicAuth) -> Option<Response> {
    match auth {
        BasicAuth::Valid => None,
        BasicAuth::Missing => {
            Some(error(StatusCode::UNAUTHORIZED, "Your request does not contain private API key."))
        }
        BasicAuth::Invalid => {
            Some(error(StatusCode::FORBIDDEN, "Your account cannot be authenticated."))
        }
    }
}

/// `2024-01-31T12:34:56.789Z`.
pub(crate) fn iso8601(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, dd) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS[.fff]][Z]` (UTC), years
/// 0000–9999. The text comes from search queries, so every field is
/// range-checked and nothing can overflow or panic (`T00:00:1e30` is
/// refused, not handed to `Duration::from_secs_f64`).
pub(crate) fn parse_iso8601(s: &str) -> Option<SystemTime> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00:00:00"));
    let mut dp = date.split('-');
    let y: i64 = dp.next()?.parse().ok()?;
    let m: i64 = dp.next()?.parse().ok()?;
    let d: i64 = dp.next()?.parse().ok()?;
    if dp.next().is_some() || !(0..=9999).contains(&y) {
        return None;
    }
    let mut tp = time.split(':');
    let h: i64 = tp.next()?.parse().ok()?;
    let mi: i64 = tp.next().unwrap_or("0").parse().ok()?;
    let sec: f64 = tp.next().unwrap_or("0").parse().ok()?;
    // 60 admits a leap second.
    if tp.next().is_some() || !(0..=23).contains(&h) || !(0..=59).contains(&mi) {
        return None;
    }
    if !(0.0..61.0).contains(&sec) {
        return None;
    }
    let days = crate::client::days_from_civil(y, m, d)?;
    let total = days.checked_mul(86_400)?.checked_add(h * 3600 + mi * 60)?;
    let total = u64::try_from(total).ok()?;
    SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(total))?
        .checked_add(Duration::try_from_secs_f64(sec).ok()?)
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trip() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(iso8601(t), "2023-11-14T22:13:20.123Z");
        assert_eq!(parse_iso8601("2023-11-14T22:13:20.123Z"), Some(t));
        assert_eq!(
            parse_iso8601("2020-02-29"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_582_934_400))
        );
        assert_eq!(parse_iso8601("2020-13-01"), None);
    }

    #[test]
    fn hostile_dates_are_refused_without_panicking() {
        // Each reached `Duration::from_secs_f64` or overflowed an `i64`.
        for bad in [
            "2024-01-01T00:00:1e30",
            "2024-01-01T00:00:-1",
            "2024-01-01T00:00:NaN",
            "2024-01-01T00:00:inf",
            "2024-01-01T9223372036854775807:00",
            "2024-01-01T00:9223372036854775807",
            "2024-01-01T24:00",
            "9223372036854775807-01-01",
            "-9223372036854775808-01-01",
            "10000-01-01",
            "2024-01-01T00:00:00:00",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
        assert_eq!(
            parse_iso8601("2024-01-01T00:00:60"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_260))
        );
        assert!(parse_iso8601("9999-12-31T23:59:59.999Z").is_some());
        assert_eq!(parse_iso8601("1969-12-31"), None, "before the epoch");
    }

    #[test]
    fn faults_match() {
        let f = Fault::status(500)
            .on(FaultRoute::PathPrefix("/v1/files".into()))
            .method(Method::DELETE);
        assert!(f.matches(&Method::DELETE, Route::Api, "/v1/files/abc"));
        assert!(!f.matches(&Method::GET, Route::Api, "/v1/files/abc"));
        assert!(!f.matches(&Method::DELETE, Route::Api, "/v1/folder"));
        assert!(!Fault::status(500).times(0).matches(&Method::GET, Route::Cdn, "/cdn/x"));
    }
}
