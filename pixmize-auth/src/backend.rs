//! A small client for Clerk's Backend API: the user and billing calls an
//! image app needs.
//!
//! Endpoints and shapes follow `@clerk/backend` (`api/endpoints/UserApi.ts`,
//! `BillingApi.ts`, `api/resources/JSON.ts`) and Clerk's API docs. Models
//! are tolerant: unknown fields are ignored, `null` reads as the default,
//! and enum-like strings stay strings, so a new Clerk field never breaks
//! deserialization (the failure of clerk-rs#13).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};
use secrecy::{ExposeSecret as _, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::error::{ApiErrorDetail, BackendError, ConfigError, JsonError};
use crate::verify::{DEFAULT_API_URL, DEFAULT_API_VERSION, parse_http_url};

/// JSON `null` or a missing field reads as `T::default()`.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A Clerk user (`object: "user"`). Times are Unix **milliseconds**.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct User {
    /// `user_…`.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// Username, when usernames are enabled.
    pub username: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Profile image URL.
    pub image_url: Option<String>,
    /// Whether the user uploaded an image.
    #[serde(deserialize_with = "nullable")]
    pub has_image: bool,
    /// Id of the primary email address.
    pub primary_email_address_id: Option<String>,
    /// Id of the primary phone number.
    pub primary_phone_number_id: Option<String>,
    /// Email addresses.
    #[serde(deserialize_with = "nullable")]
    pub email_addresses: Vec<EmailAddress>,
    /// Phone numbers, as Clerk sends them.
    #[serde(deserialize_with = "nullable")]
    pub phone_numbers: Vec<Value>,
    /// OAuth accounts, as Clerk sends them.
    #[serde(deserialize_with = "nullable")]
    pub external_accounts: Vec<Value>,
    /// Readable by the frontend, writable by the backend.
    #[serde(deserialize_with = "nullable")]
    pub public_metadata: Map<String, Value>,
    /// Backend only.
    #[serde(deserialize_with = "nullable")]
    pub private_metadata: Map<String, Value>,
    /// Writable by the frontend: never trust it.
    #[serde(deserialize_with = "nullable")]
    pub unsafe_metadata: Map<String, Value>,
    /// Your own id for the user.
    pub external_id: Option<String>,
    /// Whether the user is banned.
    #[serde(deserialize_with = "nullable")]
    pub banned: bool,
    /// Whether the user is locked out.
    #[serde(deserialize_with = "nullable")]
    pub locked: bool,
    /// Whether a password is set.
    #[serde(deserialize_with = "nullable")]
    pub password_enabled: bool,
    /// Whether two-factor authentication is on.
    #[serde(deserialize_with = "nullable")]
    pub two_factor_enabled: bool,
    /// Whether the user may delete their account.
    #[serde(deserialize_with = "nullable")]
    pub delete_self_enabled: bool,
    /// Preferred locale.
    pub locale: Option<String>,
    /// Creation time (ms).
    #[serde(deserialize_with = "nullable")]
    pub created_at: i64,
    /// Last update (ms).
    #[serde(deserialize_with = "nullable")]
    pub updated_at: i64,
    /// Last sign-in (ms).
    pub last_sign_in_at: Option<i64>,
    /// Last activity (ms).
    pub last_active_at: Option<i64>,
}

impl User {
    /// The primary email address, if any.
    #[must_use]
    pub fn primary_email(&self) -> Option<&str> {
        let id = self.primary_email_address_id.as_deref()?;
        self.email_addresses.iter().find(|e| e.id == id).map(|e| e.email_address.as_str())
    }
}

/// An email address of a user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct EmailAddress {
    /// `idn_…`.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// The address.
    #[serde(deserialize_with = "nullable")]
    pub email_address: String,
    /// Verification state, when any.
    pub verification: Option<Verification>,
}

/// The verification state of an identifier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Verification {
    /// `verified`, `unverified`, … (kept as text: Clerk adds values).
    pub status: Option<String>,
    /// `email_code`, `oauth_google`, … (kept as text).
    pub strategy: Option<String>,
}

/// The answer to a delete (`{object, id, deleted}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DeletedObject {
    /// The deleted object's id.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// The object kind, such as `"user"`.
    pub object: Option<String>,
    /// Whether it is deleted.
    #[serde(deserialize_with = "nullable")]
    pub deleted: bool,
    /// The external id, when the user had one.
    pub external_id: Option<String>,
}

/// A billing subscription of a user or organization (Clerk Billing).
/// Billing is newer than the rest of the API, so every field is optional
/// and unknown fields are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BillingSubscription {
    /// Subscription id.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// `active`, `past_due`, … (kept as text).
    pub status: Option<String>,
    /// The payer's id.
    pub payer_id: Option<String>,
    /// Creation time (ms).
    pub created_at: Option<i64>,
    /// Last update (ms).
    pub updated_at: Option<i64>,
    /// When it became active (ms).
    pub active_at: Option<i64>,
    /// When it became past due (ms).
    pub past_due_at: Option<i64>,
    /// The items: one per plan and period.
    #[serde(deserialize_with = "nullable")]
    pub subscription_items: Vec<SubscriptionItem>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BillingSubscription {
    /// Slugs of the plans of active items.
    #[must_use]
    pub fn active_plan_slugs(&self) -> Vec<&str> {
        self.subscription_items
            .iter()
            .filter(|i| i.status.as_deref() == Some("active"))
            .filter_map(|i| i.plan.as_ref()?.slug.as_deref())
            .collect()
    }
}

/// One item of a subscription.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SubscriptionItem {
    /// Item id.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// `active`, `upcoming`, `canceled`, `ended`, … (kept as text).
    pub status: Option<String>,
    /// The plan.
    pub plan: Option<BillingPlan>,
    /// `month` or `annual` (kept as text).
    pub plan_period: Option<String>,
    /// Period start (ms).
    pub period_start: Option<i64>,
    /// Period end (ms).
    pub period_end: Option<i64>,
    /// When it was canceled (ms).
    pub canceled_at: Option<i64>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A billing plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BillingPlan {
    /// Plan id.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// The slug used in the `pla` claim.
    pub slug: Option<String>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A metadata update. `None` leaves a field out of the request.
///
/// With [`BackendClient::merge_metadata`] (PATCH) objects are deep-merged
/// and a key set to `null` is removed. With
/// [`BackendClient::replace_metadata`] (PUT) each given field is replaced
/// whole, and `{}` clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct MetadataUpdate {
    /// `public_metadata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_metadata: Option<Value>,
    /// `private_metadata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_metadata: Option<Value>,
    /// `unsafe_metadata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsafe_metadata: Option<Value>,
}

impl MetadataUpdate {
    /// An update of `public_metadata` only.
    #[must_use]
    pub fn public(value: Value) -> Self {
        Self { public_metadata: Some(value), ..Self::default() }
    }

    /// An update of `private_metadata` only.
    #[must_use]
    pub fn private(value: Value) -> Self {
        Self { private_metadata: Some(value), ..Self::default() }
    }
}

/// Filters and paging for [`BackendClient::list_users`] and
/// [`BackendClient::count_users`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserQuery {
    /// Page size, 1 to 500 (Clerk's default is 10).
    pub limit: Option<u32>,
    /// Users to skip.
    pub offset: Option<u32>,
    /// Sort order such as `-created_at` (Clerk's default).
    pub order_by: Option<String>,
    /// Only these email addresses.
    pub email_address: Vec<String>,
    /// Only these user ids.
    pub user_id: Vec<String>,
    /// Only these external ids.
    pub external_id: Vec<String>,
    /// Free-text search.
    pub query: Option<String>,
}

impl UserQuery {
    /// A page of `limit` users from `offset`.
    #[must_use]
    pub fn page(limit: u32, offset: u32) -> Self {
        Self { limit: Some(limit), offset: Some(offset), ..Self::default() }
    }

    fn apply(&self, url: &mut Url, paging: bool) {
        let mut q = url.query_pairs_mut();
        if paging {
            if let Some(limit) = self.limit {
                q.append_pair("limit", &limit.to_string());
            }
            if let Some(offset) = self.offset {
                q.append_pair("offset", &offset.to_string());
            }
            if let Some(order) = &self.order_by {
                q.append_pair("order_by", order);
            }
        }
        for (key, values) in [
            ("email_address", &self.email_address),
            ("user_id", &self.user_id),
            ("external_id", &self.external_id),
        ] {
            for value in values {
                q.append_pair(key, value);
            }
        }
        if let Some(query) = &self.query {
            q.append_pair("query", query);
        }
    }
}

/// One page of users.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct UsersPage {
    /// The users of this page.
    pub users: Vec<User>,
    /// The query for the next page, `None` when this page was not full.
    pub next: Option<UserQuery>,
}

/// A Clerk Backend API client.
///
/// Sends `Authorization: Bearer <secret key>`, a pinned
/// `Clerk-API-Version`, and retries 429 (waiting `Retry-After` when it is
/// short enough), 5xx and transport errors a bounded number of times. Cheap
/// to clone; its `Debug` output hides the secret key.
///
/// # Retries and writes
/// Every method is retried, writes included, on purpose: each write this
/// client sends is idempotent, so repeating one whose answer was lost (a
/// timeout, a 5xx after the change was made) cannot change the result.
/// `PUT …/metadata` and `DELETE` are idempotent by definition, and
/// `PATCH …/metadata` sends a deep merge of fixed values, so applying it
/// twice leaves what applying it once does. A 429 means the request was
/// not processed, so it is always safe to repeat. One visible effect:
/// [`BackendClient::delete_user`] retried after its first attempt deleted
/// the user answers 404; see its docs. Use
/// [`BackendClientBuilder::max_retries`]`(0)` to turn retries off.
///
/// ```no_run
/// use pixmize_auth::{BackendClient, MetadataUpdate};
///
/// # async fn run() -> Result<(), pixmize_auth::Error> {
/// let clerk = BackendClient::builder()
///     .secret_key(std::env::var("CLERK_SECRET_KEY").unwrap_or_default())
///     .build()?;
/// let user = clerk.get_user("user_123").await?;
/// clerk.merge_metadata(&user.id, &MetadataUpdate::public(serde_json::json!({"onboarded": true}))).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct BackendClient {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    http: reqwest::Client,
    base: Url,
    secret: SecretString,
    api_version: String,
    max_retries: u32,
    max_retry_wait: Duration,
    retry_backoff: Duration,
}

impl fmt::Debug for BackendClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendClient")
            .field("base_url", &self.inner.base.as_str())
            .field("secret_key", &"<redacted>")
            .field("api_version", &self.inner.api_version)
            .field("max_retries", &self.inner.max_retries)
            .finish_non_exhaustive()
    }
}

/// Builds a [`BackendClient`].
#[must_use]
pub struct BackendClientBuilder {
    secret_key: Option<SecretString>,
    base_url: Option<String>,
    api_version: String,
    timeout: Duration,
    max_retries: u32,
    max_retry_wait: Duration,
    retry_backoff: Duration,
    http: Option<reqwest::Client>,
}

impl Default for BackendClientBuilder {
    fn default() -> Self {
        Self {
            secret_key: None,
            base_url: None,
            api_version: DEFAULT_API_VERSION.to_owned(),
            timeout: Duration::from_secs(10),
            max_retries: 2,
            max_retry_wait: Duration::from_secs(10),
            retry_backoff: Duration::from_millis(250),
            http: None,
        }
    }
}

impl fmt::Debug for BackendClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendClientBuilder")
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

impl BackendClientBuilder {
    /// The secret key (`sk_test_…`/`sk_live_…`). Required.
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = Some(SecretString::from(secret_key.into()));
        self
    }

    /// The API base URL (default `https://api.clerk.com/v1/`); tests point
    /// it at a local server.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The `Clerk-API-Version` header (default [`DEFAULT_API_VERSION`]).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// Timeout of one request (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries after a 429, a 5xx or a transport error (default 2).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The longest `Retry-After` the client waits for before giving up
    /// with [`BackendError::RateLimited`] (default 10 s).
    pub fn max_retry_wait(mut self, wait: Duration) -> Self {
        self.max_retry_wait = wait;
        self
    }

    /// The first retry delay when the server gives no `Retry-After`
    /// (default 250 ms, doubling).
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// Uses this HTTP client.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ConfigError::InvalidSecretKey`] without a well-formed secret key,
    /// [`ConfigError::InvalidUrl`] for a bad base URL.
    pub fn build(self) -> Result<BackendClient, ConfigError> {
        let secret = self.secret_key.ok_or(ConfigError::InvalidSecretKey)?;
        check_secret_key(&secret)?;
        if self.timeout.is_zero() {
            return Err(ConfigError::Invalid("timeout must be positive"));
        }
        let base = base_url(self.base_url.as_deref())?;
        let http = match self.http {
            Some(http) => http,
            None => http_client(self.timeout)?,
        };
        Ok(BackendClient {
            inner: Arc::new(ClientInner {
                http,
                base,
                secret,
                api_version: self.api_version,
                max_retries: self.max_retries,
                max_retry_wait: self.max_retry_wait,
                retry_backoff: self.retry_backoff,
            }),
        })
    }
}

impl BackendClient {
    /// Starts a builder.
    pub fn builder() -> BackendClientBuilder {
        BackendClientBuilder::default()
    }

    /// `GET /users/{user_id}`.
    ///
    /// # Errors
    /// [`BackendError`]; [`BackendError::is_not_found`] for an unknown user;
    /// [`BackendError::InvalidArgument`], before any request, for an id that
    /// is empty, `.`, `..` or holds a tab or line break (the same holds for
    /// every method that takes an id).
    pub async fn get_user(&self, user_id: &str) -> Result<User, BackendError> {
        let url = self.url("get_user", &["users", user_id])?;
        self.call("get_user", Method::GET, url, None).await
    }

    /// `GET /users`: one page. Follow [`UsersPage::next`] for the rest.
    ///
    /// # Errors
    /// [`BackendError`]; [`BackendError::InvalidArgument`] for a limit
    /// outside 1..=500.
    pub async fn list_users(&self, query: &UserQuery) -> Result<UsersPage, BackendError> {
        const ENDPOINT: &str = "list_users";
        if query.limit.is_some_and(|l| !(1..=500).contains(&l)) {
            return Err(BackendError::InvalidArgument {
                endpoint: ENDPOINT,
                reason: "limit must be between 1 and 500",
            });
        }
        let mut url = self.url(ENDPOINT, &["users"])?;
        query.apply(&mut url, true);
        let users: Vec<User> = self.call(ENDPOINT, Method::GET, url, None).await?;
        let limit = query.limit.unwrap_or(10);
        let full = u32::try_from(users.len()).is_ok_and(|n| n >= limit);
        let next = full.then(|| {
            let mut next = query.clone();
            next.offset = Some(query.offset.unwrap_or(0).saturating_add(limit));
            next
        });
        Ok(UsersPage { users, next })
    }

    /// `GET /users/count` with the same filters (paging is ignored).
    ///
    /// # Errors
    /// [`BackendError`].
    pub async fn count_users(&self, query: &UserQuery) -> Result<u64, BackendError> {
        #[derive(Deserialize)]
        struct Count {
            total_count: u64,
        }
        let mut url = self.url("count_users", &["users", "count"])?;
        query.apply(&mut url, false);
        let count: Count = self.call("count_users", Method::GET, url, None).await?;
        Ok(count.total_count)
    }

    /// `DELETE /users/{user_id}`.
    ///
    /// # Errors
    /// [`BackendError`]. A 404 ([`BackendError::is_not_found`]) means the
    /// user does not exist, which includes the case where a retry follows a
    /// first attempt that deleted the user but whose answer was lost: treat
    /// it as "already deleted".
    pub async fn delete_user(&self, user_id: &str) -> Result<DeletedObject, BackendError> {
        let url = self.url("delete_user", &["users", user_id])?;
        self.call("delete_user", Method::DELETE, url, None).await
    }

    /// `PATCH /users/{user_id}/metadata`: deep merge; a key set to `null`
    /// is removed. Clerk limits metadata updates to 10 per 10 s per user.
    ///
    /// # Errors
    /// [`BackendError`].
    pub async fn merge_metadata(
        &self,
        user_id: &str,
        update: &MetadataUpdate,
    ) -> Result<User, BackendError> {
        let url = self.url("merge_metadata", &["users", user_id, "metadata"])?;
        self.call("merge_metadata", Method::PATCH, url, Some(update)).await
    }

    /// `PUT /users/{user_id}/metadata`: each given field is replaced whole.
    ///
    /// # Errors
    /// [`BackendError`].
    pub async fn replace_metadata(
        &self,
        user_id: &str,
        update: &MetadataUpdate,
    ) -> Result<User, BackendError> {
        let url = self.url("replace_metadata", &["users", user_id, "metadata"])?;
        self.call("replace_metadata", Method::PUT, url, Some(update)).await
    }

    /// `GET /users/{user_id}/billing/subscription`.
    ///
    /// # Errors
    /// [`BackendError`]; a 404 when the user has no subscription.
    pub async fn user_billing_subscription(
        &self,
        user_id: &str,
    ) -> Result<BillingSubscription, BackendError> {
        let url =
            self.url("user_billing_subscription", &["users", user_id, "billing", "subscription"])?;
        self.call("user_billing_subscription", Method::GET, url, None).await
    }

    fn url(&self, endpoint: &'static str, segments: &[&str]) -> Result<Url, BackendError> {
        for segment in segments {
            if let Some(reason) = unusable_segment(segment) {
                return Err(BackendError::InvalidArgument { endpoint, reason });
            }
        }
        let mut url = self.inner.base.clone();
        url.path_segments_mut()
            .map_err(|()| BackendError::InvalidArgument { endpoint, reason: "bad base URL" })?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        method: Method,
        url: Url,
        body: Option<&MetadataUpdate>,
    ) -> Result<T, BackendError> {
        let bytes = self.send(endpoint, method, url, body).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| BackendError::Decode { endpoint, source: JsonError::from_serde(&e) })
    }

    async fn send(
        &self,
        endpoint: &'static str,
        method: Method,
        url: Url,
        body: Option<&MetadataUpdate>,
    ) -> Result<bytes::Bytes, BackendError> {
        let inner = &self.inner;
        let mut backoff = inner.retry_backoff;
        let mut retries_left = inner.max_retries;
        loop {
            let mut request = inner
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(inner.secret.expose_secret())
                .header("Clerk-API-Version", &inner.api_version)
                .header(http::header::USER_AGENT, crate::USER_AGENT)
                .header(http::header::ACCEPT, "application/json");
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(e) if retries_left > 0 => {
                    tracing::debug!(endpoint, error = %e.without_url(), "retrying Clerk request");
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                    retries_left -= 1;
                    continue;
                }
                Err(e) => {
                    return Err(BackendError::Transport {
                        endpoint,
                        source: e.without_url().into(),
                    });
                }
            };
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = match response.bytes().await {
                Ok(bytes) => bytes,
                Err(e) => {
                    return Err(BackendError::Transport {
                        endpoint,
                        source: e.without_url().into(),
                    });
                }
            };
            if status.is_success() {
                return Ok(bytes);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after(&headers);
                let allowed = wait.unwrap_or(backoff) <= inner.max_retry_wait;
                if retries_left > 0 && allowed {
                    tokio::time::sleep(wait.unwrap_or(backoff)).await;
                    backoff = backoff.saturating_mul(2);
                    retries_left -= 1;
                    continue;
                }
                let clerk_trace_id = parse_error_body(&bytes).1.or_else(|| cf_ray(&headers));
                return Err(BackendError::RateLimited {
                    endpoint,
                    retry_after: wait,
                    clerk_trace_id,
                });
            }
            if status.is_server_error() && retries_left > 0 {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
                retries_left -= 1;
                continue;
            }
            let (errors, trace) = parse_error_body(&bytes);
            return Err(BackendError::Api {
                endpoint,
                status,
                errors,
                clerk_trace_id: trace.or_else(|| cf_ray(&headers)),
            });
        }
    }
}

/// Why `segment` cannot be one path segment as given, if it cannot. The
/// `url` crate skips `.` and `..` pushed as segments and strips tabs and
/// line breaks (so `".\n."` becomes `..`), which would send a request for
/// another path: `get_user("..")` would list users, `delete_user("..")`
/// would call `DELETE /users`.
fn unusable_segment(segment: &str) -> Option<&'static str> {
    if segment.is_empty() {
        Some("an id is empty")
    } else if segment.contains(['\t', '\n', '\r']) {
        Some("an id contains a tab or line break")
    } else if matches!(segment, "." | "..") {
        Some("an id is `.` or `..`")
    } else {
        None
    }
}

fn parse_error_body(bytes: &[u8]) -> (Vec<ApiErrorDetail>, Option<String>) {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Body {
        #[serde(deserialize_with = "nullable")]
        errors: Vec<ApiErrorDetail>,
        clerk_trace_id: Option<String>,
    }
    let body: Body = serde_json::from_slice(bytes).unwrap_or_default();
    (body.errors, body.clerk_trace_id)
}

fn cf_ray(headers: &HeaderMap) -> Option<String> {
    headers.get("cf-ray").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// `Retry-After` as integer seconds (Clerk sends seconds).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Checks the shape of a secret key without printing it.
pub(crate) fn check_secret_key(secret: &SecretString) -> Result<(), ConfigError> {
    let s = secret.expose_secret();
    let ok = (s.starts_with("sk_test_") || s.starts_with("sk_live_"))
        && s.len() > "sk_test_".len()
        && !s.chars().any(char::is_whitespace);
    if ok { Ok(()) } else { Err(ConfigError::InvalidSecretKey) }
}

/// The Backend API base URL, ending in `/` so that `join` keeps `/v1`.
pub(crate) fn base_url(url: Option<&str>) -> Result<Url, ConfigError> {
    let mut url = parse_http_url(url.unwrap_or(DEFAULT_API_URL), "api_url")?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The crate's HTTP client: rustls, timeouts.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .build()
        .map_err(|e| ConfigError::HttpClient { source: e.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_keeps_version_segment() {
        let url = base_url(Some("http://127.0.0.1:9/v1")).unwrap();
        assert_eq!(url.join("jwks").unwrap().as_str(), "http://127.0.0.1:9/v1/jwks");
        let url = base_url(None).unwrap();
        assert_eq!(url.join("jwks").unwrap().as_str(), "https://api.clerk.com/v1/jwks");
    }

    #[test]
    fn ids_are_path_segments() {
        let client = BackendClient::builder()
            .secret_key("sk_test_x")
            .base_url("http://127.0.0.1:9/v1")
            .build()
            .unwrap();
        let url = client.url("get_user", &["users", "../admin?x=1"]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/v1/users/..%2Fadmin%3Fx=1");
        for bad in ["", ".", "..", ".\t.", "\n", "user_\r1"] {
            assert!(
                matches!(
                    client.url("get_user", &["users", bad]),
                    Err(BackendError::InvalidArgument { .. })
                ),
                "{bad:?}"
            );
        }
        // Lookalikes stay inside their segment: `%` is escaped, so no
        // `%2e%2e` reaches the server as a dot segment.
        for (id, path) in [
            ("...", "/v1/users/..."),
            ("%2e%2e", "/v1/users/%252e%252e"),
            (".%2E", "/v1/users/.%252E"),
            (" ..", "/v1/users/%20.."),
        ] {
            assert_eq!(client.url("get_user", &["users", id]).unwrap().path(), path, "{id:?}");
        }
    }

    #[test]
    fn user_json_is_tolerant() {
        let json = serde_json::json!({
            "id": "user_1", "object": "user", "first_name": null, "public_metadata": null,
            "email_addresses": [{"id": "idn_1", "email_address": "a@example.com",
                "verification": {"status": "verified", "strategy": "brand_new_strategy"}}],
            "primary_email_address_id": "idn_1", "banned": null, "created_at": 1700000000000_i64,
            "a_field_from_the_future": {"x": 1},
        });
        let user: User = serde_json::from_value(json).unwrap();
        assert_eq!(user.primary_email(), Some("a@example.com"));
        assert!(user.public_metadata.is_empty() && !user.banned);
        assert_eq!(user.created_at, 1_700_000_000_000);
    }

    #[test]
    fn secret_key_shapes() {
        for (key, ok) in [
            ("sk_test_abc", true),
            ("sk_live_abc", true),
            ("sk_test_", false),
            ("pk_test_abc", false),
            ("sk_test_a b", false),
        ] {
            assert_eq!(check_secret_key(&SecretString::from(key)).is_ok(), ok, "{key}");
        }
    }
}
