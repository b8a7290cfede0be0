//! CDN cache purge: `POST /v1/files/purge` and
//! `GET /v1/files/purge/{requestId}`.
//!
//! Deleting a file does not purge the CDN: a URL that was fetched before
//! may still be served from the cache until it is purged.

use http::Method;
use serde::Deserialize;
use serde_json::json;

use crate::client::{ImageKit, RetryMode};
use crate::error::{Error, Result};
use crate::files::{JobStatus, PurgeRequestId};

impl ImageKit {
    /// Purges a URL from the CDN cache (a trailing `*` purges every URL
    /// with that prefix, where the account allows it).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a URL that is not `http(s)`; API
    /// errors.
    pub async fn purge_cache(&self, url: &str) -> Result<PurgeRequestId> {
        const OP: &str = "purge_cache";
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct R {
            request_id: PurgeRequestId,
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Error::invalid(OP, "the URL must be a full http(s) URL"));
        }
        let api = self.api_url(OP, &["v1", "files", "purge"])?;
        Ok(self
            .api_json::<R>(OP, RetryMode::Idempotent, Method::POST, api, Some(json!({"url": url})))
            .await?
            .request_id)
    }

    /// The state of a purge request.
    ///
    /// # Errors
    /// API errors.
    pub async fn purge_status(&self, request_id: impl AsRef<str>) -> Result<JobStatus> {
        const OP: &str = "purge_status";
        #[derive(Deserialize)]
        struct R {
            status: JobStatus,
        }
        let api = self.api_url(OP, &["v1", "files", "purge", request_id.as_ref()])?;
        Ok(self.api_json::<R>(OP, RetryMode::Idempotent, Method::GET, api, None).await?.status)
    }
}
