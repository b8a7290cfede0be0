//! axum integration: a tower layer that verifies the session of every
//! request, and an extractor for handlers.
//!
//! Rejections answer `401` or `503` with a JSON body that names only the
//! class of failure (`{"error":"unauthorized"}`,
//! `{"error":"service_unavailable"}`), never the reason, the token or a
//! key. The reason is logged at `debug` level through `tracing`.
//!
//! ```
//! use axum::{Router, routing::get};
//! use pixmize_auth::{SessionVerifier, VerifiedSession, axum::ClerkLayer};
//!
//! async fn me(session: VerifiedSession) -> String {
//!     session.user_id().to_owned()
//! }
//!
//! # fn build() -> Result<Router, pixmize_auth::ConfigError> {
//! let verifier = SessionVerifier::builder()
//!     .jwt_key(include_str!("../tests/fixtures/clerk_fixture.pub.pem"))
//!     .issuer("https://clerk.example.com")
//!     .build()?;
//! // Every route below the layer requires a valid session.
//! let app: Router = Router::new().route("/me", get(me)).layer(ClerkLayer::require(verifier));
//! # Ok(app) }
//! # build().unwrap();
//! ```
//!
//! Without the layer, put the verifier in the request extensions
//! (`.layer(axum::Extension(verifier))`) and the extractors verify on
//! demand; `Option<VerifiedSession>` yields `None` when the request has no
//! token (and still rejects a bad one).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, Request, StatusCode, header};

use crate::error::VerifyError;
use crate::verify::{SessionVerifier, VerifiedSession};

/// A rejected request: a status and a JSON body that leak nothing.
#[derive(Debug)]
pub struct AuthRejection {
    status: StatusCode,
    error: Option<VerifyError>,
}

impl AuthRejection {
    /// The HTTP status (401, 503, or 500 when no verifier is configured).
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Why the session was rejected, for logging or custom responses.
    /// `None` when no verifier was configured.
    #[must_use]
    pub fn verify_error(&self) -> Option<&VerifyError> {
        self.error.as_ref()
    }

    fn misconfigured() -> Self {
        tracing::error!(
            "no SessionVerifier in the request extensions: add ClerkLayer or Extension(verifier)"
        );
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, error: None }
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error {
            Some(e) => write!(f, "request rejected ({}): {e}", self.status),
            None => write!(f, "request rejected ({}): no session verifier configured", self.status),
        }
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.as_ref().map(|e| e as _)
    }
}

impl From<VerifyError> for AuthRejection {
    fn from(error: VerifyError) -> Self {
        tracing::debug!(reason = error.reason(), "session rejected");
        Self { status: error.status(), error: Some(error) }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let code = match self.status {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::SERVICE_UNAVAILABLE => "service_unavailable",
            _ => "internal_error",
        };
        let mut response = Response::new(Body::from(format!(r#"{{"error":"{code}"}}"#)));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

impl<S: Send + Sync> FromRequestParts<S> for VerifiedSession {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(session) = parts.extensions.get::<VerifiedSession>() {
            return Ok(session.clone());
        }
        let verifier = parts
            .extensions
            .get::<SessionVerifier>()
            .cloned()
            .ok_or_else(AuthRejection::misconfigured)?;
        let session = verifier.authenticate(&parts.headers).await?;
        parts.extensions.insert(session.clone());
        Ok(session)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for VerifiedSession {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Self as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(session) => Ok(Some(session)),
            Err(r) if matches!(r.error, Some(VerifyError::MissingToken)) => Ok(None),
            Err(r) => Err(r),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Require,
    Optional,
}

/// A tower layer that verifies each request's session and stores the
/// [`VerifiedSession`] (and the verifier) in the request extensions.
///
/// [`ClerkLayer::require`] rejects requests without a valid session;
/// [`ClerkLayer::optional`] lets requests without a token through
/// (anonymous) and still rejects invalid tokens. Restrict it to some routes
/// with axum's `Router::route_layer` or a nested router, not by matching
/// path strings.
#[derive(Debug, Clone)]
pub struct ClerkLayer {
    verifier: SessionVerifier,
    mode: Mode,
}

impl ClerkLayer {
    /// Every request must carry a valid session.
    #[must_use]
    pub fn require(verifier: SessionVerifier) -> Self {
        Self { verifier, mode: Mode::Require }
    }

    /// Requests without a token pass as anonymous; bad tokens are rejected.
    #[must_use]
    pub fn optional(verifier: SessionVerifier) -> Self {
        Self { verifier, mode: Mode::Optional }
    }
}

impl<S> tower::Layer<S> for ClerkLayer {
    type Service = ClerkService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClerkService { inner, verifier: self.verifier.clone(), mode: self.mode }
    }
}

/// The service made by [`ClerkLayer`].
#[derive(Debug, Clone)]
pub struct ClerkService<S> {
    inner: S,
    verifier: SessionVerifier,
    mode: Mode,
}

impl<S, B> tower::Service<Request<B>> for ClerkService<S>
where
    S: tower::Service<Request<B>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone is not ready yet; use the ready one and keep the clone.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        let mode = self.mode;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match verifier.authenticate(&parts.headers).await {
                Ok(session) => {
                    parts.extensions.insert(session);
                }
                Err(VerifyError::MissingToken) if mode == Mode::Optional => {}
                Err(e) => return Ok(AuthRejection::from(e).into_response()),
            }
            parts.extensions.insert(verifier);
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}
