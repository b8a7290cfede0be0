//! Account-level resources: saved extensions, origins, URL endpoints and
//! named transformations. Each has a typed, tolerant model
//! ([`SavedExtension`], [`Origin`], [`UrlEndpoint`],
//! [`NamedTransformation`]: the common fields typed, everything else kept
//! in `extra`) used with [`ImageKit::list_resources_typed`] and friends;
//! the untyped [`ImageKit::list_resources`] family reads and writes
//! [`serde_json::Value`] for shapes newer than this crate.

use std::fmt;

use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::files::{nullable, string_enum};

use crate::client::{ImageKit, RetryMode};
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

/// A typed account resource; see [`ImageKit::list_resources_typed`].
pub trait AccountModel: Serialize + DeserializeOwned {
    /// The family it belongs to.
    const RESOURCE: AccountResource;
}

/// A saved extension (`/v1/saved-extensions`): an upload extension stored
/// under a name, used with [`Extension::saved`](crate::Extension::saved).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SavedExtension {
    /// The id (set by ImageKit; leave `None` to create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// The description.
    #[serde(deserialize_with = "nullable")]
    pub description: String,
    /// The extension, such as `{"name": "remove-bg", "options": {…}}`.
    pub config: Value,
    /// Creation time (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last update (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SavedExtension {
    /// A saved extension to create.
    #[must_use]
    pub fn new(name: impl Into<String>, description: impl Into<String>, config: Value) -> Self {
        SavedExtension {
            name: name.into(),
            description: description.into(),
            config,
            ..SavedExtension::default()
        }
    }
}

impl AccountModel for SavedExtension {
    const RESOURCE: AccountResource = AccountResource::SavedExtensions;
}

string_enum! {
    /// The kind of an origin (`WEB_FOLDER` when missing).
    #[derive(Default)]
    pub enum OriginType {
        /// Amazon S3.
        S3 = "S3",
        /// An S3-compatible store.
        S3Compatible = "S3_COMPATIBLE",
        /// A Cloudinary backup bucket.
        CloudinaryBackup = "CLOUDINARY_BACKUP",
        /// A web server folder.
        #[default]
        WebFolder = "WEB_FOLDER",
        /// Any public URL (web proxy).
        WebProxy = "WEB_PROXY",
        /// Google Cloud Storage.
        Gcs = "GCS",
        /// Azure Blob Storage.
        AzureBlob = "AZURE_BLOB",
        /// Akeneo PIM.
        AkeneoPim = "AKENEO_PIM",
    }
}

/// An origin (`/v1/accounts/origins`): where ImageKit fetches originals.
/// The type-specific fields (`bucket`, `prefix`, `baseUrl`, `accessKey`,
/// `secretKey`…) are in `extra`; `Debug` hides every one whose name
/// mentions a key, secret, password or token.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Origin {
    /// The id (set by ImageKit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The kind.
    #[serde(rename = "type")]
    pub kind: OriginType,
    /// The display name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Whether to send a canonical header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_canonical_header: Option<bool>,
    /// Base URL of the canonical header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url_for_canonical_header: Option<String>,
    /// The type-specific fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Origin {
    /// An origin to create; add its type-specific fields to `extra`.
    #[must_use]
    pub fn new(kind: OriginType, name: impl Into<String>) -> Origin {
        Origin { kind, name: name.into(), ..Origin::default() }
    }

    /// Adds a type-specific field (`bucket`, `baseUrl`…).
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Origin {
        self.extra.insert(key.into(), value.into());
        self
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |k: &str| {
            let k = k.to_ascii_lowercase();
            ["key", "secret", "password", "token", "credential"].iter().any(|w| k.contains(w))
        };
        let extra: Map<String, Value> = self
            .extra
            .iter()
            .map(|(k, v)| {
                (k.clone(), if secret(k) { Value::String("<redacted>".into()) } else { v.clone() })
            })
            .collect();
        f.debug_struct("Origin")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("include_canonical_header", &self.include_canonical_header)
            .field("base_url_for_canonical_header", &self.base_url_for_canonical_header)
            .field("extra", &extra)
            .finish()
    }
}

impl AccountModel for Origin {
    const RESOURCE: AccountResource = AccountResource::Origins;
}

/// A URL endpoint (`/v1/accounts/url-endpoints`): a URL prefix served
/// from a list of origins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct UrlEndpoint {
    /// The id (set by ImageKit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The description.
    #[serde(deserialize_with = "nullable")]
    pub description: String,
    /// The path prefix after the account's URL, such as `products`.
    #[serde(deserialize_with = "nullable")]
    pub url_prefix: String,
    /// Origin ids, tried in order.
    #[serde(deserialize_with = "nullable")]
    pub origins: Vec<String>,
    /// A URL rewriter (`{"type": "CLOUDINARY" | "IMGIX" | "AKAMAI", …}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_rewriter: Option<Value>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UrlEndpoint {
    /// A URL endpoint to create.
    #[must_use]
    pub fn new(description: impl Into<String>, url_prefix: impl Into<String>) -> UrlEndpoint {
        UrlEndpoint {
            description: description.into(),
            url_prefix: url_prefix.into(),
            ..UrlEndpoint::default()
        }
    }
}

impl AccountModel for UrlEndpoint {
    const RESOURCE: AccountResource = AccountResource::UrlEndpoints;
}

/// A named transformation (`/v1/named-transformations`), used in URLs as
/// `n-<name>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct NamedTransformation {
    /// The id (set by ImageKit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The name (letters, digits, `_`).
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// The transformation string.
    #[serde(deserialize_with = "nullable")]
    pub transformation: String,
    /// Whether URLs may use it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NamedTransformation {
    /// A named transformation to create.
    #[must_use]
    pub fn new(name: impl Into<String>, transformation: impl Into<String>) -> Self {
        NamedTransformation {
            name: name.into(),
            transformation: transformation.into(),
            ..NamedTransformation::default()
        }
    }
}

impl AccountModel for NamedTransformation {
    const RESOURCE: AccountResource = AccountResource::NamedTransformations;
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
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// Gets one resource by id.
    ///
    /// # Errors
    /// API errors.
    pub async fn get_resource(&self, kind: AccountResource, id: &str) -> Result<Value> {
        const OP: &str = "get_resource";
        let url = kind.url(self, OP, Some(id))?;
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// Creates a resource; ImageKit answers with it, id included. Retried
    /// only when nothing was processed (a lost answer could otherwise
    /// create it twice).
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
        self.api_json(OP, RetryMode::NotSentOnly, Method::POST, url, Some(body)).await
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
        self.api_json(OP, RetryMode::Idempotent, kind.update_method(), url, Some(body)).await
    }

    /// Deletes a resource.
    ///
    /// # Errors
    /// API errors.
    pub async fn delete_resource(&self, kind: AccountResource, id: &str) -> Result<()> {
        const OP: &str = "delete_resource";
        let url = kind.url(self, OP, Some(id))?;
        self.api_delete(OP, Method::DELETE, url, None).await
    }
}

impl ImageKit {
    /// Lists a typed resource family.
    ///
    /// ```no_run
    /// use pixmize_imagekit::{Origin, UrlEndpoint};
    /// # async fn run(ik: pixmize_imagekit::ImageKit) -> pixmize_imagekit::Result<()> {
    /// for e in ik.list_resources_typed::<UrlEndpoint>().await? {
    ///     println!("/{} from {:?}", e.url_prefix, e.origins);
    /// }
    /// let origins: Vec<Origin> = ik.list_resources_typed().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// API errors; [`Error::Decode`] when an item is not an object.
    pub async fn list_resources_typed<T: AccountModel>(&self) -> Result<Vec<T>> {
        const OP: &str = "list_resources";
        let url = T::RESOURCE.url(self, OP, None)?;
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// Gets one typed resource by id.
    ///
    /// # Errors
    /// API errors.
    pub async fn get_resource_typed<T: AccountModel>(&self, id: &str) -> Result<T> {
        const OP: &str = "get_resource";
        let url = T::RESOURCE.url(self, OP, Some(id))?;
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// Creates a typed resource; ImageKit answers with it, id included.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `value` does not serialize to an
    /// object; API errors.
    pub async fn create_resource_typed<T: AccountModel>(&self, value: &T) -> Result<T> {
        const OP: &str = "create_resource";
        let body = to_object(OP, value)?;
        let url = T::RESOURCE.url(self, OP, None)?;
        self.api_json(OP, RetryMode::NotSentOnly, Method::POST, url, Some(body)).await
    }

    /// Updates a typed resource (see [`AccountResource::update_method`]:
    /// origins and URL endpoints are replaced whole). The `id` field of
    /// `value` is not sent.
    ///
    /// # Errors
    /// As [`ImageKit::create_resource_typed`].
    pub async fn update_resource_typed<T: AccountModel>(&self, id: &str, value: &T) -> Result<T> {
        const OP: &str = "update_resource";
        let mut body = to_object(OP, value)?;
        if let Some(o) = body.as_object_mut() {
            o.remove("id");
        }
        let url = T::RESOURCE.url(self, OP, Some(id))?;
        self.api_json(OP, RetryMode::Idempotent, T::RESOURCE.update_method(), url, Some(body)).await
    }
}

fn to_object<T: Serialize>(op: &'static str, value: &T) -> Result<Value> {
    match serde_json::to_value(value) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(Error::invalid(op, "the value must serialize to a JSON object")),
        Err(e) => Err(Error::invalid(op, format!("could not serialize the value: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn models_are_tolerant_and_round_trip() {
        let o: Origin = serde_json::from_value(json!({
            "id": "o1", "type": "S3", "name": "bucket", "bucket": "b", "prefix": null,
            "accessKey": "AKIA", "secretKey": "s3cr3t", "includeCanonicalHeader": false
        }))
        .unwrap();
        assert_eq!((o.kind.clone(), o.name.as_str()), (OriginType::S3, "bucket"));
        assert_eq!(o.extra["bucket"], "b");
        let dbg = format!("{o:?}");
        assert!(!dbg.contains("s3cr3t") && !dbg.contains("AKIA"), "{dbg}");
        assert!(dbg.contains("bucket"));
        let back = serde_json::to_value(&o).unwrap();
        assert_eq!(back["type"], "S3");
        assert_eq!(back["secretKey"], "s3cr3t", "the wire form keeps every field");
        let unknown: Origin = serde_json::from_value(json!({"type": "FTP", "name": null})).unwrap();
        assert_eq!(unknown.kind, OriginType::Other("FTP".into()));

        let e: UrlEndpoint = serde_json::from_value(json!({
            "id": "e1", "description": "d", "urlPrefix": "p", "origins": null,
            "urlRewriter": {"type": "IMGIX"}
        }))
        .unwrap();
        assert!(e.origins.is_empty());
        assert_eq!(e.url_rewriter.unwrap()["type"], "IMGIX");

        let s = SavedExtension::new("bg", "x", json!({"name": "remove-bg"}));
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"name": "bg", "description": "x", "config": {"name": "remove-bg"}})
        );
    }
}
