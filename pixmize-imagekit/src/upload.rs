//! Uploads (`POST /api/v1/files/upload`) and client-side upload
//! authentication (token, expire, signature; and the V2 JWT).
//!
//! # Retries never create duplicate files
//!
//! A retried upload is only safe when ImageKit cannot store the file twice.
//! With ImageKit's default `useUniqueFileName=true` every attempt that
//! reaches the server gets a new random name, so a retry after a lost
//! answer (a timeout, a dropped connection, a 502 from a proxy) would leave
//! two copies. This client therefore works as follows:
//!
//! * **Default (`use_unique_file_name` not set):** the client makes the name
//!   unique itself (`photo_k3J9xQ2mZt.jpg`, ten random characters, like
//!   ImageKit's own suffix) and sends `useUniqueFileName=false` and
//!   `overwriteFile=false`. Every attempt targets the same path and
//!   ImageKit refuses to overwrite, so at most one file exists whatever
//!   happens. When a retry is refused because the first attempt did store
//!   the file (the answer was lost), the client finds that file by its path
//!   and returns it, with [`UploadedFile::recovered`] set. Every retryable
//!   failure is retried.
//! * **`use_unique_file_name(false)`:** you chose the path; with
//!   `overwrite_file(false)` it behaves as above, with the default
//!   `overwriteFile=true` a retry replaces the same file (at worst one more
//!   version, never a second file). Every retryable failure is retried.
//! * **`use_unique_file_name(true)`:** ImageKit picks the name, so only
//!   failures where nothing was stored are retried: the connection could not
//!   be established, or a 429.
//! * A file from a one-shot [`FileSource::reader`] or
//!   [`FileSource::stream`] cannot be sent twice: it is never retried. Use
//!   [`FileSource::path`] (reopened for each attempt) for large files.
//! * With client-side authentication the token is single-use, so only
//!   connection failures are retried.

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use futures_core::Stream;
use hmac::{Hmac, Mac};
use http::header::{AUTHORIZATION, USER_AGENT};
use reqwest::multipart::{Form, Part};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;
use tokio::io::AsyncRead;

use crate::client::{ImageKit, RetryMode, UA, unix_secs};
use crate::error::{Error, Result};
use crate::files::search::Field;
use crate::files::{
    AiTag, Asset, FileDetails, FileId, FileType, ListQuery, VersionInfo, lenient_f64, lenient_u64,
    nullable,
};
use crate::url::hmac_sha1_hex;

const OP: &str = "upload";

type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send + Sync>>;

/// The file to upload.
pub struct FileSource(Source);

enum Source {
    Bytes(Bytes),
    Path(PathBuf),
    OneShot {
        body: Arc<Mutex<Option<ByteStream>>>,
        len: Option<u64>,
    },
    /// Kept as `Bytes` so that each attempt shares it instead of copying.
    Base64(Bytes),
    Url(String),
}

impl fmt::Debug for FileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Bytes(b) => write!(f, "FileSource::Bytes(<{} bytes>)", b.len()),
            Source::Path(p) => write!(f, "FileSource::Path({p:?})"),
            Source::OneShot { len, .. } => write!(f, "FileSource::Stream(len: {len:?})"),
            Source::Base64(s) => write!(f, "FileSource::Base64(<{} chars>)", s.len()),
            Source::Url(u) => write!(f, "FileSource::Url({u:?})"),
        }
    }
}

impl FileSource {
    /// Bytes in memory (sent without copying; retried freely).
    #[must_use]
    pub fn bytes(bytes: impl Into<Bytes>) -> FileSource {
        FileSource(Source::Bytes(bytes.into()))
    }

    /// A local file, streamed from disk in chunks (never held whole in
    /// memory) and reopened for each attempt.
    #[must_use]
    pub fn path(path: impl Into<PathBuf>) -> FileSource {
        FileSource(Source::Path(path.into()))
    }

    /// Any async reader, streamed in 64 KiB chunks. Sent once: never
    /// retried. `len` lets ImageKit see the size up front.
    #[must_use]
    pub fn reader(reader: impl AsyncRead + Send + Sync + 'static, len: Option<u64>) -> FileSource {
        let stream = futures_util::stream::unfold(Box::pin(reader), |mut r| async move {
            use tokio::io::AsyncReadExt as _;
            let mut buf = bytes::BytesMut::with_capacity(64 * 1024);
            match r.read_buf(&mut buf).await {
                Ok(0) => None,
                Ok(_) => Some((Ok(buf.freeze()), r)),
                Err(e) => Some((Err(e), r)),
            }
        });
        FileSource::stream(stream, len)
    }

    /// A stream of chunks. Sent once: never retried.
    #[must_use]
    pub fn stream(
        stream: impl Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
        len: Option<u64>,
    ) -> FileSource {
        FileSource(Source::OneShot { body: Arc::new(Mutex::new(Some(Box::pin(stream)))), len })
    }

    /// Base64 data, or a `data:` URI, sent as a text field. The string is
    /// taken over, not copied, and every attempt shares it.
    #[must_use]
    pub fn base64(data: impl Into<String>) -> FileSource {
        FileSource(Source::Base64(Bytes::from(data.into())))
    }

    /// A public `http(s)` URL that ImageKit downloads (it must answer
    /// within 8 s).
    #[must_use]
    pub fn url(url: impl Into<String>) -> FileSource {
        FileSource(Source::Url(url.into()))
    }

    fn one_shot(&self) -> bool {
        matches!(self.0, Source::OneShot { .. })
    }

    fn known_len(&self) -> Option<u64> {
        match &self.0 {
            Source::Bytes(b) => Some(b.len() as u64),
            Source::OneShot { len, .. } => *len,
            _ => None,
        }
    }
}

/// Fields that can be returned by an upload (`responseFields`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseField {
    /// `tags`.
    Tags,
    /// `customCoordinates`.
    CustomCoordinates,
    /// `isPrivateFile`.
    IsPrivateFile,
    /// `embeddedMetadata`.
    EmbeddedMetadata,
    /// `isPublished`.
    IsPublished,
    /// `customMetadata`.
    CustomMetadata,
    /// `metadata`.
    Metadata,
    /// `selectedFieldsSchema`.
    SelectedFieldsSchema,
}

impl ResponseField {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseField::Tags => "tags",
            ResponseField::CustomCoordinates => "customCoordinates",
            ResponseField::IsPrivateFile => "isPrivateFile",
            ResponseField::EmbeddedMetadata => "embeddedMetadata",
            ResponseField::IsPublished => "isPublished",
            ResponseField::CustomMetadata => "customMetadata",
            ResponseField::Metadata => "metadata",
            ResponseField::SelectedFieldsSchema => "selectedFieldsSchema",
        }
    }
}

/// An upload extension (`extensions` is a JSON array of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extension(pub Value);

impl Extension {
    /// `remove-bg` with its options (`{}` for the defaults).
    #[must_use]
    pub fn remove_bg(options: Value) -> Extension {
        Extension(serde_json::json!({"name": "remove-bg", "options": options}))
    }

    /// `google-auto-tagging` or `aws-auto-tagging`.
    #[must_use]
    pub fn auto_tagging(aws: bool, min_confidence: u8, max_tags: u32) -> Extension {
        let name = if aws { "aws-auto-tagging" } else { "google-auto-tagging" };
        Extension(
            serde_json::json!({"name": name, "minConfidence": min_confidence, "maxTags": max_tags}),
        )
    }

    /// `ai-auto-description`.
    #[must_use]
    pub fn ai_auto_description() -> Extension {
        Extension(serde_json::json!({"name": "ai-auto-description"}))
    }

    /// A saved extension by id.
    #[must_use]
    pub fn saved(id: &str) -> Extension {
        Extension(serde_json::json!({"name": "saved-extension", "id": id}))
    }
}

/// Pre- and post-transformations applied at upload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadTransformation {
    /// Applied before storing (`w-300,h-300,q-80`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre: Option<String>,
    /// Generated after storing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post: Vec<PostTransformation>,
}

impl UploadTransformation {
    /// A pre-transformation.
    #[must_use]
    pub fn pre(tr: impl Into<String>) -> UploadTransformation {
        UploadTransformation { pre: Some(tr.into()), post: Vec::new() }
    }

    /// Adds a post-transformation.
    #[must_use]
    pub fn then(mut self, post: PostTransformation) -> UploadTransformation {
        self.post.push(post);
        self
    }
}

/// One post-transformation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PostTransformation {
    /// `transformation`, `gif-to-video`, `thumbnail` or `abs`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The transformation string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `hls` or `dash` for `abs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

impl PostTransformation {
    /// `{type: "transformation", value}`.
    #[must_use]
    pub fn transformation(value: impl Into<String>) -> PostTransformation {
        PostTransformation {
            kind: "transformation".into(),
            value: Some(value.into()),
            protocol: None,
        }
    }

    /// `{type: "gif-to-video", value}`.
    #[must_use]
    pub fn gif_to_video(value: Option<String>) -> PostTransformation {
        PostTransformation { kind: "gif-to-video".into(), value, protocol: None }
    }

    /// `{type: "thumbnail", value}`.
    #[must_use]
    pub fn thumbnail(value: Option<String>) -> PostTransformation {
        PostTransformation { kind: "thumbnail".into(), value, protocol: None }
    }

    /// `{type: "abs", protocol: hls|dash, value}` (adaptive bitrate streaming).
    #[must_use]
    pub fn abs(dash: bool, value: impl Into<String>) -> PostTransformation {
        let protocol = if dash { "dash" } else { "hls" };
        PostTransformation {
            kind: "abs".into(),
            value: Some(value.into()),
            protocol: Some(protocol.into()),
        }
    }
}

/// An upload: the file, its name, and every option of ImageKit's upload
/// API. Unset options are not sent, so ImageKit's defaults apply (except
/// the naming, see the [module docs](crate::upload)).
///
/// ```
/// use pixmize_imagekit::{FileSource, ResponseField, UploadRequest};
/// let req = UploadRequest::new(FileSource::bytes(vec![1, 2, 3]), "cat.jpg")
///     .folder("/pets")
///     .tags(["cat", "cute"])
///     .is_private_file(true)
///     .response_fields([ResponseField::Tags]);
/// assert_eq!(req.file_name_str(), "cat.jpg");
/// ```
#[derive(Debug)]
#[must_use]
pub struct UploadRequest {
    file: FileSource,
    file_name: String,
    use_unique_file_name: Option<bool>,
    tags: Option<Vec<String>>,
    folder: Option<String>,
    is_private_file: Option<bool>,
    is_published: Option<bool>,
    custom_coordinates: Option<String>,
    response_fields: Vec<ResponseField>,
    extensions: Option<Vec<Extension>>,
    webhook_url: Option<String>,
    overwrite_file: Option<bool>,
    overwrite_ai_tags: Option<bool>,
    overwrite_tags: Option<bool>,
    overwrite_custom_metadata: Option<bool>,
    custom_metadata: Option<Map<String, Value>>,
    transformation: Option<UploadTransformation>,
    checks: Option<String>,
    description: Option<String>,
    client_auth: Option<AuthParams>,
    v2_token: Option<String>,
}

macro_rules! setters {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty ),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.$name = Some(value.into());
                self
            }
        )*
    };
}

impl UploadRequest {
    /// An upload of `file` named `file_name`.
    pub fn new(file: FileSource, file_name: impl Into<String>) -> UploadRequest {
        UploadRequest {
            file,
            file_name: file_name.into(),
            use_unique_file_name: None,
            tags: None,
            folder: None,
            is_private_file: None,
            is_published: None,
            custom_coordinates: None,
            response_fields: Vec::new(),
            extensions: None,
            webhook_url: None,
            overwrite_file: None,
            overwrite_ai_tags: None,
            overwrite_tags: None,
            overwrite_custom_metadata: None,
            custom_metadata: None,
            transformation: None,
            checks: None,
            description: None,
            client_auth: None,
            v2_token: None,
        }
    }

    /// The requested file name.
    #[must_use]
    pub fn file_name_str(&self) -> &str {
        &self.file_name
    }

    setters! {
        /// `useUniqueFileName`. Leave unset for duplicate-safe retries (the
        /// client then makes the name unique itself).
        use_unique_file_name: bool,
        /// `folder` (default `/`).
        folder: impl Into<String>,
        /// `isPrivateFile`.
        is_private_file: bool,
        /// `isPublished` (false uploads a draft).
        is_published: bool,
        /// `customCoordinates` as `x,y,width,height`.
        custom_coordinates: impl Into<String>,
        /// `webhookUrl` for extension and transformation events.
        webhook_url: impl Into<String>,
        /// `overwriteFile`.
        overwrite_file: bool,
        /// `overwriteAITags`.
        overwrite_ai_tags: bool,
        /// `overwriteTags`.
        overwrite_tags: bool,
        /// `overwriteCustomMetadata`.
        overwrite_custom_metadata: bool,
        /// `customMetadata` (the fields must exist, see
        /// [`ImageKit::create_custom_metadata_field`]).
        custom_metadata: Map<String, Value>,
        /// `transformation` (`pre` and `post`).
        transformation: UploadTransformation,
        /// `checks`: server-side checks such as `"file.size" < "1mb"`.
        checks: impl Into<String>,
        /// `description`.
        description: impl Into<String>,
    }

    /// `tags`.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// `responseFields`.
    pub fn response_fields(mut self, fields: impl IntoIterator<Item = ResponseField>) -> Self {
        self.response_fields = fields.into_iter().collect();
        self
    }

    /// `extensions`.
    pub fn extensions(mut self, extensions: impl IntoIterator<Item = Extension>) -> Self {
        self.extensions = Some(extensions.into_iter().collect());
        self
    }

    /// Authenticates this upload with client-side parameters (from
    /// [`ImageKit::auth_params`], made by a server) and the client's public
    /// key, instead of the private key.
    pub fn client_auth(mut self, params: AuthParams) -> Self {
        self.client_auth = Some(params);
        self
    }

    /// Authenticates this upload with an upload API V2 token (from
    /// [`ImageKit::upload_token_v2`], made by a server for exactly these
    /// fields) and sends it to `POST /api/v2/files/upload`. The fields are
    /// sent as given (no client-side unique naming), since the token
    /// covers them.
    pub fn v2_token(mut self, token: impl Into<String>) -> Self {
        self.v2_token = Some(token.into());
        self
    }

    fn validate(&self) -> Result<()> {
        let name = self.file_name.trim();
        if name.is_empty() || name.len() > 1024 {
            return Err(Error::invalid(OP, "the file name must be 1 to 1024 bytes"));
        }
        if name.contains('/') {
            return Err(Error::invalid(OP, "the file name cannot contain `/` (use `folder`)"));
        }
        if let Some(tags) = &self.tags {
            if tags.iter().any(|t| t.trim().is_empty() || t.contains([',', '%'])) {
                return Err(Error::invalid(OP, "tags must be non-empty, without `,` or `%`"));
            }
            if tags.join(",").len() > 500 {
                return Err(Error::invalid(OP, "tags are limited to 500 characters in all"));
            }
        }
        if let Some(folder) = &self.folder
            && folder.split('/').filter(|s| !s.is_empty()).count() > 50
        {
            return Err(Error::invalid(OP, "folders nest at most 50 levels"));
        }
        if let Some(c) = &self.custom_coordinates {
            let ok = c.split(',').count() == 4
                && c.split(',').all(|p| p.trim().parse::<f64>().is_ok_and(|v| v >= 0.0));
            if !ok {
                return Err(Error::invalid(OP, "customCoordinates must be `x,y,width,height`"));
            }
        }
        if let Some(u) = &self.webhook_url
            && !u.starts_with("https://")
            && !u.starts_with("http://")
        {
            return Err(Error::invalid(OP, "webhookUrl must be an http(s) URL"));
        }
        if let Source::Url(u) = &self.file.0
            && !u.starts_with("https://")
            && !u.starts_with("http://")
        {
            return Err(Error::invalid(OP, "a file URL must be http(s)"));
        }
        Ok(())
    }

    /// The text fields, in wire form (everything but `file` and auth).
    fn fields(
        &self,
        file_name: &str,
        unique: Option<bool>,
        overwrite: Option<bool>,
    ) -> Vec<(&'static str, String)> {
        let b = |v: bool| if v { "true".to_owned() } else { "false".to_owned() };
        let mut f = vec![("fileName", file_name.to_owned())];
        if let Some(v) = unique {
            f.push(("useUniqueFileName", b(v)));
        }
        if let Some(t) = &self.tags {
            f.push(("tags", t.join(",")));
        }
        if let Some(v) = &self.folder {
            f.push(("folder", v.clone()));
        }
        if let Some(v) = self.is_private_file {
            f.push(("isPrivateFile", b(v)));
        }
        if let Some(v) = self.is_published {
            f.push(("isPublished", b(v)));
        }
        if let Some(v) = &self.custom_coordinates {
            f.push(("customCoordinates", v.clone()));
        }
        if !self.response_fields.is_empty() {
            let list: Vec<_> = self.response_fields.iter().map(|r| r.as_str()).collect();
            f.push(("responseFields", list.join(",")));
        }
        if let Some(v) = &self.extensions {
            f.push(("extensions", serde_json::to_string(v).unwrap_or_default()));
        }
        if let Some(v) = &self.webhook_url {
            f.push(("webhookUrl", v.clone()));
        }
        if let Some(v) = overwrite {
            f.push(("overwriteFile", b(v)));
        }
        if let Some(v) = self.overwrite_ai_tags {
            f.push(("overwriteAITags", b(v)));
        }
        if let Some(v) = self.overwrite_tags {
            f.push(("overwriteTags", b(v)));
        }
        if let Some(v) = self.overwrite_custom_metadata {
            f.push(("overwriteCustomMetadata", b(v)));
        }
        if let Some(v) = &self.custom_metadata {
            f.push(("customMetadata", Value::Object(v.clone()).to_string()));
        }
        if let Some(v) = &self.transformation {
            f.push(("transformation", serde_json::to_string(v).unwrap_or_default()));
        }
        if let Some(v) = &self.checks {
            f.push(("checks", v.clone()));
        }
        if let Some(v) = &self.description {
            f.push(("description", v.clone()));
        }
        f
    }
}

/// The answer to an upload. Fields ImageKit only sends when asked for in
/// `responseFields` are `None`/empty otherwise; unknown fields are kept in
/// `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct UploadedFile {
    /// The file id.
    #[serde(deserialize_with = "nullable")]
    pub file_id: FileId,
    /// The stored name (after ImageKit's sanitizing).
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// The path in the media library, such as `/pets/cat_k3J9xQ2mZt.jpg`.
    #[serde(deserialize_with = "nullable")]
    pub file_path: String,
    /// The delivery URL.
    #[serde(deserialize_with = "nullable")]
    pub url: String,
    /// A small thumbnail URL (images).
    pub thumbnail_url: Option<String>,
    /// Height in pixels (images and videos).
    #[serde(deserialize_with = "lenient_u64")]
    pub height: Option<u64>,
    /// Width in pixels.
    #[serde(deserialize_with = "lenient_u64")]
    pub width: Option<u64>,
    /// Size in bytes.
    #[serde(deserialize_with = "lenient_u64")]
    pub size: Option<u64>,
    /// `image` or `non-image`.
    pub file_type: Option<FileType>,
    /// The version.
    pub version_info: Option<VersionInfo>,
    /// AI tags.
    #[serde(rename = "AITags", deserialize_with = "nullable")]
    pub ai_tags: Vec<AiTag>,
    /// Tags.
    #[serde(deserialize_with = "nullable")]
    pub tags: Vec<String>,
    /// Whether the file is private.
    pub is_private_file: Option<bool>,
    /// Whether the file is published.
    pub is_published: Option<bool>,
    /// Custom coordinates `x,y,width,height`.
    pub custom_coordinates: Option<String>,
    /// Custom metadata.
    #[serde(deserialize_with = "nullable")]
    pub custom_metadata: Map<String, Value>,
    /// Embedded metadata (EXIF, IPTC, XMP).
    #[serde(deserialize_with = "nullable")]
    pub embedded_metadata: Map<String, Value>,
    /// Legacy metadata.
    pub metadata: Option<Value>,
    /// Schemas of selected custom metadata fields.
    pub selected_fields_schema: Option<Value>,
    /// Extension states: `success`, `pending` or `failed`.
    #[serde(deserialize_with = "nullable")]
    pub extension_status: Map<String, Value>,
    /// Video bit rate (kbps).
    #[serde(deserialize_with = "lenient_u64")]
    pub bit_rate: Option<u64>,
    /// Video duration (s).
    #[serde(deserialize_with = "lenient_f64")]
    pub duration: Option<f64>,
    /// Audio codec.
    pub audio_codec: Option<String>,
    /// Video codec.
    pub video_codec: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Set by this client when a retry found the file stored by an earlier
    /// attempt whose answer was lost; the fields then come from the file's
    /// details.
    #[serde(skip)]
    pub recovered: bool,
    /// Every other field (such as `message` of a 202 for a queued
    /// pre-transformation).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UploadedFile {
    fn from_details(d: FileDetails) -> UploadedFile {
        UploadedFile {
            file_id: d.file_id,
            name: d.name,
            file_path: d.file_path,
            url: d.url,
            thumbnail_url: d.thumbnail,
            height: d.height,
            width: d.width,
            size: d.size,
            file_type: d.file_type,
            version_info: d.version_info,
            ai_tags: d.ai_tags,
            tags: d.tags,
            is_private_file: d.is_private_file,
            is_published: d.is_published,
            custom_coordinates: d.custom_coordinates,
            custom_metadata: d.custom_metadata,
            embedded_metadata: d.embedded_metadata,
            description: d.description,
            recovered: true,
            ..UploadedFile::default()
        }
    }
}

/// Client-side upload authentication (upload API V1): the browser sends
/// these with the public key instead of the private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthParams {
    /// A single-use token (a UUID v4 by default).
    pub token: String,
    /// Expiry, Unix seconds (less than one hour ahead).
    pub expire: u64,
    /// `hex(HMAC-SHA1(private key, token + expire))`.
    pub signature: String,
}

/// The default lifetime of [`AuthParams`] (30 minutes, as the official
/// SDKs).
pub const DEFAULT_AUTH_LIFETIME: Duration = Duration::from_secs(1800);

impl ImageKit {
    /// Client-side upload parameters: a fresh UUID token, expiring in 30
    /// minutes.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without a private key.
    pub fn auth_params(&self) -> Result<AuthParams> {
        self.auth_params_with(None, None)
    }

    /// Client-side upload parameters with a chosen token and/or expiry
    /// (Unix seconds). An empty token or a zero expiry gets the default, as
    /// in the official SDKs.
    ///
    /// ```
    /// # let ik = pixmize_imagekit::ImageKit::builder().private_key("private_key_test").build()?;
    /// # let ik = pixmize_imagekit::ImageKit::builder()
    /// #     .private_key("private_key_test")
    /// #     .clock(std::sync::Arc::new(pixmize_imagekit::ManualClock::at_unix(1582268000)))
    /// #     .build()?;
    /// let p = ik.auth_params_with(Some("your_token"), Some(1582269249))?;
    /// assert_eq!(p.signature, "e71bcd6031016b060d349d212e23e85c791decdd");
    /// # Ok::<(), pixmize_imagekit::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without a private key, or for an expiry
    /// in the past or more than one hour ahead (ImageKit would refuse it).
    pub fn auth_params_with(&self, token: Option<&str>, expire: Option<u64>) -> Result<AuthParams> {
        const OP: &str = "auth_params";
        let key = self.private_key(OP)?;
        let now = unix_secs(self.now());
        let token = match token.map(str::trim) {
            Some(t) if !t.is_empty() => t.to_owned(),
            _ => uuid::Uuid::new_v4().to_string(),
        };
        let expire = match expire {
            Some(e) if e != 0 => e,
            _ => now + DEFAULT_AUTH_LIFETIME.as_secs(),
        };
        if expire <= now {
            return Err(Error::invalid(OP, "expire is in the past"));
        }
        if expire > now + 3600 {
            return Err(Error::invalid(OP, "expire must be less than one hour ahead"));
        }
        let signature =
            hmac_sha1_hex(key.expose_secret().as_bytes(), format!("{token}{expire}").as_bytes());
        Ok(AuthParams { token, expire, signature })
    }

    /// A client-side upload token for the upload API V2 (beta): a JWT,
    /// `HS256` with the private key, `kid` = the public key, whose payload
    /// holds every field of `request` (as strings) plus `iat` and `exp`.
    /// The browser then sends the same fields plus `token` to
    /// `POST /api/v2/files/upload`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without a private or public key, or for a
    /// lifetime of zero or above one hour.
    pub fn upload_token_v2(&self, request: &UploadRequest, lifetime: Duration) -> Result<String> {
        const OP: &str = "upload_token_v2";
        let key = self.private_key(OP)?;
        let kid =
            self.public_key().ok_or_else(|| Error::invalid(OP, "the client has no public key"))?;
        if lifetime.is_zero() || lifetime > Duration::from_secs(3600) {
            return Err(Error::invalid(OP, "the lifetime must be 1 s to 1 h"));
        }
        request.validate()?;
        let iat = unix_secs(self.now());
        // Written by hand so that the key order is fixed (field order, then
        // `iat`, `exp`) whatever serde_json features are enabled.
        let q = |s: &str| Value::String(s.to_owned()).to_string();
        let mut items: Vec<String> = request
            .fields(&request.file_name, request.use_unique_file_name, request.overwrite_file)
            .into_iter()
            .map(|(k, v)| format!("{}:{}", q(k), q(&v)))
            .collect();
        items.push(format!("\"iat\":{iat}"));
        items.push(format!("\"exp\":{}", iat + lifetime.as_secs()));
        let header = format!("{{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":{}}}", q(kid));
        let payload = format!("{{{}}}", items.join(","));
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let signing_input = format!("{}.{}", b64.encode(header), b64.encode(payload));
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!());
        mac.update(signing_input.as_bytes());
        Ok(format!("{signing_input}.{}", b64.encode(mac.finalize().into_bytes())))
    }

    /// Uploads a file. See the [module docs](crate::upload) for how retries
    /// avoid duplicate files.
    ///
    /// ```no_run
    /// use pixmize_imagekit::{FileSource, ImageKit, UploadRequest};
    /// # async fn run(ik: ImageKit) -> pixmize_imagekit::Result<()> {
    /// let file = ik
    ///     .upload(UploadRequest::new(FileSource::path("cat.jpg"), "cat.jpg").folder("/pets"))
    ///     .await?;
    /// println!("{} at {}", file.file_id, file.url);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for bad options (nothing is sent);
    /// [`Error::Io`] when a local file cannot be read; [`Error::Api`] with
    /// ImageKit's message, help, status and request id; [`Error::Transport`]
    /// and [`Error::Decode`].
    pub async fn upload(&self, request: UploadRequest) -> Result<UploadedFile> {
        request.validate()?;
        if request.client_auth.is_some() && request.v2_token.is_some() {
            return Err(Error::invalid(OP, "use either client-side parameters or a V2 token"));
        }
        let auth = match (&request.client_auth, &request.v2_token) {
            (None, None) => Some(self.basic_auth(OP)?),
            (Some(_), _) => {
                if self.public_key().is_none() {
                    return Err(Error::invalid(OP, "client-side auth needs the public key"));
                }
                None
            }
            (None, Some(_)) => None,
        };
        // Naming and overwrite: see the module docs.
        let (file_name, unique, overwrite, mut mode) = match request.use_unique_file_name {
            // A V2 token covers the fields exactly as given.
            _ if request.v2_token.is_some() => (
                request.file_name.clone(),
                request.use_unique_file_name,
                request.overwrite_file,
                RetryMode::ConnectOnly,
            ),
            None => (
                unique_name(&request.file_name),
                Some(false),
                Some(request.overwrite_file.unwrap_or(false)),
                RetryMode::Idempotent,
            ),
            Some(false) => (
                request.file_name.clone(),
                Some(false),
                request.overwrite_file,
                RetryMode::Idempotent,
            ),
            Some(true) => (
                request.file_name.clone(),
                Some(true),
                request.overwrite_file,
                RetryMode::NotSentOnly,
            ),
        };
        if request.client_auth.is_some() {
            mode = RetryMode::ConnectOnly;
        }
        if request.file.one_shot() {
            mode = RetryMode::Never;
        }
        let fields = request.fields(&file_name, unique, overwrite);
        let mut url = self.inner.upload_base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Config("the upload base URL cannot have a path"))?
            .pop_if_empty()
            .extend([
                "api",
                if request.v2_token.is_some() { "v2" } else { "v1" },
                "files",
                "upload",
            ]);
        let timeout = self.inner.upload_timeout;
        let result = self
            .execute(OP, mode, |_attempt| {
                let url = url.clone();
                let fields = &fields;
                let auth = auth.clone();
                let request = &request;
                let file_name = &file_name;
                async move {
                    let mut form =
                        Form::new().part("file", file_part(&request.file, file_name).await?);
                    for (k, v) in fields {
                        form = form.text(*k, v.clone());
                    }
                    if let Some(t) = &request.v2_token {
                        form = form.text("token", t.clone());
                    }
                    if let Some(p) = &request.client_auth {
                        form = form
                            .text("publicKey", self.public_key().unwrap_or_default().to_owned())
                            .text("signature", p.signature.clone())
                            .text("expire", p.expire.to_string())
                            .text("token", p.token.clone());
                    }
                    let mut rb = self
                        .inner
                        .http
                        .post(url)
                        .header(USER_AGENT, UA)
                        .timeout(timeout)
                        .multipart(form);
                    if let Some(a) = auth {
                        rb = rb.header(AUTHORIZATION, a);
                    }
                    Ok(rb)
                }
            })
            .await;
        match result {
            Ok(raw) => raw.json(OP),
            Err(Error::Api(e))
                if e.status == http::StatusCode::BAD_REQUEST
                    && e.attempts > 1
                    && unique == Some(false)
                    && overwrite == Some(false) =>
            {
                // A retry was refused: did an earlier attempt store the file?
                match self.find_uploaded(&request, &file_name).await {
                    Ok(Some(found)) => {
                        tracing::debug!("upload recovered after a lost answer");
                        Ok(UploadedFile::from_details(found))
                    }
                    _ => Err(Error::Api(e)),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// [`ImageKit::upload`] with the status, request id and rate-limit
    /// headers of the answer the file came from (for an upload recovered
    /// after a lost answer, see [`UploadedFile::recovered`], the answer of
    /// the lookup that found it).
    ///
    /// ```no_run
    /// use pixmize_imagekit::{FileSource, ImageKit, UploadRequest};
    /// # async fn run(ik: ImageKit) -> pixmize_imagekit::Result<()> {
    /// let up = ik.upload_with_response(UploadRequest::new(FileSource::path("a.jpg"), "a.jpg")).await?;
    /// println!("{} (request {:?})", up.value.file_id, up.meta.request_id);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`ImageKit::upload`].
    pub async fn upload_with_response(
        &self,
        request: UploadRequest,
    ) -> Result<crate::Response<UploadedFile>> {
        crate::Response::of(OP, self.upload(request)).await
    }

    /// Looks for the file an earlier attempt of this upload may have stored.
    async fn find_uploaded(
        &self,
        request: &UploadRequest,
        file_name: &str,
    ) -> Result<Option<FileDetails>> {
        let folder = normalize_folder(request.folder.as_deref().unwrap_or("/"));
        let name = sanitize_file_name(file_name);
        let path = format!("{folder}{name}");
        let query =
            ListQuery::new().path(&folder).search(Field::name().eq(name.as_str())).limit(10);
        let found = self.list_files(&query).await?;
        Ok(found.into_iter().find_map(|a| match a {
            Asset::File(f) if f.file_path == path => {
                let size_matches = match request.file.known_len() {
                    Some(n) => f.size.is_none_or(|s| s == n),
                    None => true,
                };
                size_matches.then_some(*f)
            }
            _ => None,
        }))
    }
}

async fn file_part(file: &FileSource, file_name: &str) -> Result<Part> {
    let part = match &file.0 {
        Source::Bytes(b) => {
            let mime = pixmize_core::codec::detect(b)
                .map_or("application/octet-stream", |f| f.mime_type());
            Part::stream_with_length(b.clone(), b.len() as u64)
                .file_name(file_name.to_owned())
                .mime_str(mime)
        }
        Source::Path(p) => {
            let f = tokio::fs::File::open(p).await.map_err(Error::Io)?;
            let len = f.metadata().await.map_err(Error::Io)?.len();
            Part::stream_with_length(f, len)
                .file_name(file_name.to_owned())
                .mime_str(mime_from_name(file_name))
        }
        Source::OneShot { body, len } => {
            let stream = body
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .ok_or_else(|| Error::invalid(OP, "a one-shot stream can be sent only once"))?;
            let body = reqwest::Body::wrap_stream(stream);
            let part = match len {
                Some(n) => Part::stream_with_length(body, *n),
                None => Part::stream(body),
            };
            part.file_name(file_name.to_owned()).mime_str(mime_from_name(file_name))
        }
        // A part without a file name or type is a text field, as
        // `Part::text` makes, but shares the bytes instead of copying them.
        Source::Base64(b) => return Ok(Part::stream_with_length(b.clone(), b.len() as u64)),
        Source::Url(u) => return Ok(Part::text(u.clone())),
    };
    part.map_err(|_| Error::invalid(OP, "bad MIME type"))
}

fn mime_from_name(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// ImageKit's file-name rule: ASCII characters other than letters,
/// digits, `.`, `-` and `_`, and any whitespace or control character,
/// become `_`; other Unicode characters (letters and the marks that
/// compose them, as in `हिन्दी`) are kept.
#[must_use]
pub fn sanitize_file_name(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            let keep = if c.is_ascii() {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
            } else {
                !c.is_whitespace() && !c.is_control()
            };
            if keep { c } else { '_' }
        })
        .collect()
}

/// `/a/b/` form of a folder path.
pub(crate) fn normalize_folder(folder: &str) -> String {
    let inner: Vec<&str> = folder.split('/').filter(|s| !s.is_empty()).collect();
    if inner.is_empty() { "/".to_owned() } else { format!("/{}/", inner.join("/")) }
}

/// `stem_XXXXXXXXXX.ext`: ten random alphanumerics before the extension.
pub(crate) fn unique_name(name: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let clean = sanitize_file_name(name);
    let mut n = uuid::Uuid::new_v4().as_u128();
    let suffix: String = (0..10)
        .map(|_| {
            let c = ALPHABET[(n % ALPHABET.len() as u128) as usize] as char;
            n /= ALPHABET.len() as u128;
            c
        })
        .collect();
    match clean.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => {
            format!("{stem}_{suffix}.{ext}")
        }
        _ => format!("{clean}_{suffix}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_keep_the_extension() {
        let a = unique_name("my cat.JPG");
        assert!(a.starts_with("my_cat_") && a.ends_with(".JPG"), "{a}");
        assert_eq!(a.len(), "my_cat_".len() + 10 + 4);
        assert_ne!(unique_name("x.png"), unique_name("x.png"));
        let b = unique_name("README");
        assert!(b.starts_with("README_") && b.len() == 17, "{b}");
    }

    #[test]
    fn sanitizing() {
        assert_eq!(sanitize_file_name("a b&c.jpg"), "a_b_c.jpg");
        assert_eq!(sanitize_file_name("हिन्दी.png").chars().filter(|c| *c == '_').count(), 0);
        assert_eq!(normalize_folder(""), "/");
        assert_eq!(normalize_folder("a//b"), "/a/b/");
        assert_eq!(normalize_folder("/a/b/"), "/a/b/");
    }

    #[test]
    fn fields_are_wire_encoded() {
        let req = UploadRequest::new(FileSource::bytes(vec![0u8]), "a.jpg")
            .tags(["x", "y"])
            .is_private_file(true)
            .response_fields([ResponseField::Tags, ResponseField::IsPrivateFile])
            .transformation(
                UploadTransformation::pre("w-100").then(PostTransformation::thumbnail(None)),
            );
        let f = req.fields("a.jpg", Some(false), Some(false));
        let get = |k: &str| f.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("tags"), Some("x,y"));
        assert_eq!(get("isPrivateFile"), Some("true"));
        assert_eq!(get("responseFields"), Some("tags,isPrivateFile"));
        assert_eq!(get("overwriteFile"), Some("false"));
        assert_eq!(get("transformation"), Some(r#"{"pre":"w-100","post":[{"type":"thumbnail"}]}"#));
    }
}
