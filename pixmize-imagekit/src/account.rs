//! Account-level resources that ImageKit's API manages as plain JSON
//! objects: saved extensions, origins, URL endpoints and named
//! transformations. Their shapes are wide and still changing (several are
//! in beta), so they are read and written as [`serde_json::Value`], with
//! the client's auth, timeouts and retries.

use http::Method;
use serde_json::Value;

use crate::client::ImageKit;
use crate::error::{Error, Result};

/// An account resource family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccountResource {
    /// `/v1/saved-extensions`: `{name, description, config}`.
    SavedExtensions,
    /// `/v1/accounts/origins`: `{type: S3|GCS|WEB_FOLDER|…, name, …}`.
    Origins,
    /// `/v1/accounts/url-endpoints`: `{description, urlPrefix, origins, urlRewriter}`.
    UrlEndpoints,
    /// `/v1/named-transformations`: `{name, transformation, enabled}`.
    NamedTransformations,
}

impl AccountResource {
    /// The path segments under the API base.
    #[must_use]
    pub fn segments(self) -> &'static [&'static str] {
        match self {
            AccountResource::SavedExtensions => &["v1", "saved-extensions"],
            AccountResource::Origins => &["v1", "accounts", "origins"],
            AccountResource::UrlEndpoints => &["v1", "accounts", "url-endpoints"],
            AccountResource::NamedTransformations => &["v1", "named-transformations"],
        }
    }

    /// How an update is sent: `PUT` (the whole object) for origins and URL
    /// endpoints, `PATCH` (the given fields) for the others, as ImageKit's
    /// API does.
    #[must_use]
    pub fn update_method(self) -> Method {
        match self {
            AccountResource::Origins | AccountResource::UrlEndpoints => Method::PUT,
            AccountResource::SavedExtensions | AccountResource::NamedTransformations => {
                Method::PATCH
            }
        }
    }

    fn url(self, ik: &ImageKit, op: &'static str, id: Option<&str>) -> Result<url::Url> {
        let mut segments: Vec<&str> = self.segments().to_vec();
        if let Some(id) = id {
            segments.push(id);
        }
        ik.api_url(op, &segments)
    }
}

impl ImageKit {
    /// Lists the resources of a family.
    ///
    /// ```no_run
    /// use pixmize_imagekit::AccountResource;
    /// # async fn run(ik: pixmize_imagekit::ImageKit) -> pixmize_imagekit::Result<()> {
    /// for t in ik.list_resources(AccountResource::NamedTransformations).await? {
    ///     println!("n-{} = {}", t["name"], t["transformation"]);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// API errors.
    pub async fn list_resources(&self, kind: AccountResource) -> Result<Vec<Value>> {
        const OP: &str = "list_resources";
        let url = kind.url(self, OP, None)?;
        self.api_json(OP, Method::GET, url, None).await
    }

    /// Gets one resource by id.
    ///
    /// # Errors
    /// API errors.
    pub async fn get_resource(&self, kind: AccountResource, id: &str) -> Result<Value> {
        const OP: &str = "get_resource";
        let url = kind.url(self, OP, Some(id))?;
        self.api_json(OP, Method::GET, url, None).await
    }

    /// Creates a resource; ImageKit answers with it, id included.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `body` is not a JSON object; API
    /// errors.
    pub async fn create_resource(&self, kind: AccountResource, body: Value) -> Result<Value> {
        const OP: &str = "create_resource";
        if !body.is_object() {
            return Err(Error::invalid(OP, "the body must be a JSON object"));
        }
        let url = kind.url(self, OP, None)?;
        self.api_json(OP, Method::POST, url, Some(body)).await
    }

    /// Updates a resource (see [`AccountResource::update_method`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `body` is not a JSON object; API
    /// errors.
    pub async fn update_resource(
        &self,
        kind: AccountResource,
        id: &str,
        body: Value,
    ) -> Result<Value> {
        const OP: &str = "update_resource";
        if !body.is_object() {
            return Err(Error::invalid(OP, "the body must be a JSON object"));
        }
        let url = kind.url(self, OP, Some(id))?;
        self.api_json(OP, kind.update_method(), url, Some(body)).await
    }

    /// Deletes a resource.
    ///
    /// # Errors
    /// API errors.
    pub async fn delete_resource(&self, kind: AccountResource, id: &str) -> Result<()> {
        const OP: &str = "delete_resource";
        let url = kind.url(self, OP, Some(id))?;
        self.api(OP, Method::DELETE, url, None).await.map(drop)
    }
}
