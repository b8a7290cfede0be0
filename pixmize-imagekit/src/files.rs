//! The media API (`https://api.imagekit.io/v1/…`): list and search (with
//! an auto-paginating stream), details, update, delete, bulk delete, copy,
//! move, rename, versions, metadata, bulk tags, folders and bulk jobs,
//! custom metadata fields, and account usage.
//!
//! Models are tolerant: every field is optional or defaulted, `null` reads
//! as empty, numbers may come as floats or strings, enum-like values keep
//! unknown strings in an `Other` variant, and unknown fields are kept in
//! `extra`. A new field or value from ImageKit never breaks a call.

pub mod search;

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;

use futures_core::Stream;
use http::{Method, StatusCode};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{ImageKit, Response, RetryMode};
use crate::error::{Error, Result};
use crate::files::search::SearchQuery;

/// JSON `null` or a missing field reads as `T::default()`.
pub(crate) fn nullable<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A count that may arrive as an integer, a float or a numeric string;
/// anything else reads as `None`.
pub(crate) fn lenient_u64<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => {
            n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        }
        Some(Value::String(s)) => {
            s.trim().parse::<f64>().ok().filter(|f| *f >= 0.0).map(|f| f as u64)
        }
        _ => None,
    })
}

/// A number that may arrive as a number or a numeric string.
pub(crate) fn lenient_f64<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<f64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    })
}

/// Declares an enum of known wire strings plus `Other(String)`.
macro_rules! string_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $v,)+
            /// A value this crate does not know yet, as sent.
            Other(String),
        }

        impl $name {
            /// The wire string.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self { $($name::$v => $s,)+ $name::Other(s) => s }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
                Ok(match s { $($s => $name::$v,)+ other => $name::Other(other.to_owned()) })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                Ok(match <::serde_json::Value as ::serde::Deserialize>::deserialize(d)? {
                    ::serde_json::Value::String(s) => {
                        s.parse().unwrap_or_else(|e: ::std::convert::Infallible| match e {})
                    }
                    other => $name::Other(other.to_string()),
                })
            }
        }
    };
}
pub(crate) use string_enum;

/// Declares a string id newtype.
macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type! {
    /// A file id (`fileId`).
    FileId
}
id_type! {
    /// A file version id (`versionInfo.id`).
    VersionId
}
id_type! {
    /// A bulk job id (`jobId`).
    JobId
}
id_type! {
    /// A cache purge request id (`requestId` / `purgeRequestId`).
    PurgeRequestId
}

string_enum! {
    /// What a listed asset is (`type`).
    pub enum AssetKind {
        /// `file`.
        File = "file",
        /// `file-version`.
        FileVersion = "file-version",
        /// `folder`.
        Folder = "folder",
    }
}

string_enum! {
    /// `fileType` of a file.
    pub enum FileType {
        /// `image`.
        Image = "image",
        /// `non-image`.
        NonImage = "non-image",
    }
}

string_enum! {
    /// `type` filter of a listing.
    pub enum ListType {
        /// Files only (the default).
        File = "file",
        /// File versions.
        FileVersion = "file-version",
        /// Folders.
        Folder = "folder",
        /// Files and folders.
        All = "all",
    }
}

string_enum! {
    /// `fileType` filter of a listing.
    pub enum FileTypeFilter {
        /// Every file.
        All = "all",
        /// Images.
        Image = "image",
        /// Everything else.
        NonImage = "non-image",
    }
}

string_enum! {
    /// Sort order of a listing.
    pub enum Sort {
        /// By name, ascending.
        AscName = "ASC_NAME",
        /// By name, descending.
        DescName = "DESC_NAME",
        /// By creation, ascending (the default).
        AscCreated = "ASC_CREATED",
        /// By creation, descending.
        DescCreated = "DESC_CREATED",
        /// By update, ascending.
        AscUpdated = "ASC_UPDATED",
        /// By update, descending.
        DescUpdated = "DESC_UPDATED",
        /// By height, ascending.
        AscHeight = "ASC_HEIGHT",
        /// By height, descending.
        DescHeight = "DESC_HEIGHT",
        /// By width, ascending.
        AscWidth = "ASC_WIDTH",
        /// By width, descending.
        DescWidth = "DESC_WIDTH",
        /// By size, ascending.
        AscSize = "ASC_SIZE",
        /// By size, descending.
        DescSize = "DESC_SIZE",
        /// By relevance, ascending.
        AscRelevance = "ASC_RELEVANCE",
        /// By relevance, descending.
        DescRelevance = "DESC_RELEVANCE",
    }
}

string_enum! {
    /// State of a purge request or a bulk job.
    pub enum JobStatus {
        /// Still running.
        Pending = "Pending",
        /// Done.
        Completed = "Completed",
    }
}

string_enum! {
    /// Kind of a bulk job.
    pub enum BulkJobType {
        /// Folder copy.
        CopyFolder = "COPY_FOLDER",
        /// Folder move.
        MoveFolder = "MOVE_FOLDER",
        /// Folder rename.
        RenameFolder = "RENAME_FOLDER",
    }
}

string_enum! {
    /// Type of a custom metadata field.
    pub enum FieldType {
        /// Single-line text.
        Text = "Text",
        /// Multi-line text.
        Textarea = "Textarea",
        /// Number.
        Number = "Number",
        /// Date (ISO 8601).
        Date = "Date",
        /// Boolean.
        Boolean = "Boolean",
        /// One of `selectOptions`.
        SingleSelect = "SingleSelect",
        /// Several of `selectOptions`.
        MultiSelect = "MultiSelect",
    }
}

/// `versionInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VersionInfo {
    /// The version id.
    #[serde(deserialize_with = "nullable")]
    pub id: VersionId,
    /// The version name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
}

/// An AI tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AiTag {
    /// The tag.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Confidence, 0–100.
    #[serde(deserialize_with = "lenient_f64")]
    pub confidence: Option<f64>,
    /// Which extension made it.
    pub source: Option<String>,
}

/// A file (or file version) of the media library.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct FileDetails {
    /// The file id.
    #[serde(deserialize_with = "nullable")]
    pub file_id: FileId,
    /// `file` or `file-version`.
    #[serde(rename = "type")]
    pub kind: Option<AssetKind>,
    /// The name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// The path, such as `/pets/cat.jpg`.
    #[serde(deserialize_with = "nullable")]
    pub file_path: String,
    /// Tags.
    #[serde(deserialize_with = "nullable")]
    pub tags: Vec<String>,
    /// AI tags.
    #[serde(rename = "AITags", deserialize_with = "nullable")]
    pub ai_tags: Vec<AiTag>,
    /// The version.
    pub version_info: Option<VersionInfo>,
    /// Whether the file is private (needs signed URLs).
    pub is_private_file: Option<bool>,
    /// Whether the file is published.
    pub is_published: Option<bool>,
    /// Custom coordinates `x,y,width,height`.
    pub custom_coordinates: Option<String>,
    /// The delivery URL.
    #[serde(deserialize_with = "nullable")]
    pub url: String,
    /// A thumbnail URL.
    pub thumbnail: Option<String>,
    /// `image` or `non-image`.
    pub file_type: Option<FileType>,
    /// MIME type.
    pub mime: Option<String>,
    /// Width in pixels.
    #[serde(deserialize_with = "lenient_u64")]
    pub width: Option<u64>,
    /// Height in pixels.
    #[serde(deserialize_with = "lenient_u64")]
    pub height: Option<u64>,
    /// Size in bytes.
    #[serde(deserialize_with = "lenient_u64")]
    pub size: Option<u64>,
    /// Whether the image has an alpha channel.
    pub has_alpha: Option<bool>,
    /// Custom metadata.
    #[serde(deserialize_with = "nullable")]
    pub custom_metadata: Map<String, Value>,
    /// Embedded metadata.
    #[serde(deserialize_with = "nullable")]
    pub embedded_metadata: Map<String, Value>,
    /// Description.
    pub description: Option<String>,
    /// Creation time (ISO 8601).
    pub created_at: Option<String>,
    /// Last update (ISO 8601).
    pub updated_at: Option<String>,
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
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A folder of the media library.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct FolderDetails {
    /// The folder id.
    #[serde(deserialize_with = "nullable")]
    pub folder_id: String,
    /// The name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// The path, such as `/pets/cats`.
    #[serde(deserialize_with = "nullable")]
    pub folder_path: String,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update.
    pub updated_at: Option<String>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An entry of a listing: a file or a folder (told apart by `type`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Asset {
    /// A file or a file version.
    File(Box<FileDetails>),
    /// A folder.
    Folder(FolderDetails),
    /// An entry of a type this crate does not know, as sent.
    Other(Value),
}

impl Asset {
    /// The file, if this is one.
    #[must_use]
    pub fn as_file(&self) -> Option<&FileDetails> {
        match self {
            Asset::File(f) => Some(f),
            _ => None,
        }
    }

    /// The folder, if this is one.
    #[must_use]
    pub fn as_folder(&self) -> Option<&FolderDetails> {
        match self {
            Asset::Folder(f) => Some(f),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Asset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let kind = v.get("type").and_then(Value::as_str).map(str::to_owned);
        Ok(match kind.as_deref() {
            Some("folder") => match serde_json::from_value(v.clone()) {
                Ok(f) => Asset::Folder(f),
                Err(_) => Asset::Other(v),
            },
            None | Some("file" | "file-version") => match serde_json::from_value(v.clone()) {
                Ok(f) => Asset::File(Box::new(f)),
                Err(_) => Asset::Other(v),
            },
            Some(_) => Asset::Other(v),
        })
    }
}

/// Filters and paging of [`ImageKit::list_files`] and
/// [`ImageKit::list_all`].
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListQuery {
    /// `type`.
    pub kind: Option<ListType>,
    /// `sort`.
    pub sort: Option<Sort>,
    /// `path`: only under this folder.
    pub path: Option<String>,
    /// `searchQuery`.
    pub search_query: Option<String>,
    /// `fileType`.
    pub file_type: Option<FileTypeFilter>,
    /// `tags` (legacy filter, ignored with a search query).
    pub tags: Vec<String>,
    /// `name` (legacy filter, ignored with a search query).
    pub name: Option<String>,
    /// `limit`, 1–1000 (ImageKit's default 1000).
    pub limit: Option<u32>,
    /// `skip`.
    pub skip: Option<u32>,
}

impl ListQuery {
    /// No filters.
    #[must_use]
    pub fn new() -> ListQuery {
        ListQuery::default()
    }

    /// Sets `type`.
    #[must_use]
    pub fn kind(mut self, kind: ListType) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Sets `sort`.
    #[must_use]
    pub fn sort(mut self, sort: Sort) -> Self {
        self.sort = Some(sort);
        self
    }

    /// Sets `path`.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets `searchQuery` from the typed builder or a string.
    #[must_use]
    pub fn search(mut self, query: impl Into<SearchQueryText>) -> Self {
        self.search_query = Some(query.into().0);
        self
    }

    /// Sets `fileType`.
    #[must_use]
    pub fn file_type(mut self, file_type: FileTypeFilter) -> Self {
        self.file_type = Some(file_type);
        self
    }

    /// Sets `limit` (1–1000).
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets `skip`.
    #[must_use]
    pub fn skip(mut self, skip: u32) -> Self {
        self.skip = Some(skip);
        self
    }

    fn apply(&self, url: &mut url::Url) {
        let mut q = url.query_pairs_mut();
        if let Some(v) = &self.kind {
            q.append_pair("type", v.as_str());
        }
        if let Some(v) = &self.sort {
            q.append_pair("sort", v.as_str());
        }
        if let Some(v) = &self.path {
            q.append_pair("path", v);
        }
        if let Some(v) = &self.search_query {
            q.append_pair("searchQuery", v);
        }
        if let Some(v) = &self.file_type {
            q.append_pair("fileType", v.as_str());
        }
        if !self.tags.is_empty() {
            q.append_pair("tags", &self.tags.join(","));
        }
        if let Some(v) = &self.name {
            q.append_pair("name", v);
        }
        if let Some(v) = self.limit {
            q.append_pair("limit", &v.to_string());
        }
        if let Some(v) = self.skip {
            q.append_pair("skip", &v.to_string());
        }
    }
}

/// A search query as text: from a [`SearchQuery`] or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQueryText(pub String);

impl From<SearchQuery> for SearchQueryText {
    fn from(q: SearchQuery) -> Self {
        SearchQueryText(q.to_string())
    }
}

impl From<&str> for SearchQueryText {
    fn from(q: &str) -> Self {
        SearchQueryText(q.to_owned())
    }
}

impl From<String> for SearchQueryText {
    fn from(q: String) -> Self {
        SearchQueryText(q)
    }
}

/// The stream of [`ImageKit::list_all`].
pub type AssetStream = Pin<Box<dyn Stream<Item = Result<Asset>> + Send>>;

/// A change of a file's details (`PATCH /v1/files/{id}/details`). `None`
/// leaves a field alone; `Some(None)` (for tags and coordinates) unsets it.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct FileUpdate {
    /// AI tags to remove.
    pub remove_ai_tags: Option<RemoveAiTags>,
    /// `webhookUrl` for extension results.
    pub webhook_url: Option<String>,
    /// Extensions to run.
    pub extensions: Option<Vec<crate::upload::Extension>>,
    /// New tags (`Some(None)` removes them all).
    pub tags: Option<Option<Vec<String>>>,
    /// New custom coordinates (`Some(None)` removes them).
    pub custom_coordinates: Option<Option<String>>,
    /// Custom metadata to merge; a key set to `null` is removed.
    pub custom_metadata: Option<Map<String, Value>>,
    /// New description.
    pub description: Option<String>,
}

/// Which AI tags to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemoveAiTags {
    /// Every AI tag (`"all"`).
    All,
    /// These.
    Some(Vec<String>),
}

impl FileUpdate {
    /// No change.
    #[must_use]
    pub fn new() -> FileUpdate {
        FileUpdate::default()
    }

    /// Replaces the tags.
    #[must_use]
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = Some(Some(tags.into_iter().map(Into::into).collect()));
        self
    }

    /// Removes every tag (`"tags": null`).
    #[must_use]
    pub fn clear_tags(mut self) -> Self {
        self.tags = Some(None);
        self
    }

    /// Sets the custom coordinates (`x,y,width,height`).
    #[must_use]
    pub fn custom_coordinates(mut self, c: impl Into<String>) -> Self {
        self.custom_coordinates = Some(Some(c.into()));
        self
    }

    /// Removes the custom coordinates.
    #[must_use]
    pub fn clear_custom_coordinates(mut self) -> Self {
        self.custom_coordinates = Some(None);
        self
    }

    /// Sets (or, with `null`, removes) a custom metadata key.
    #[must_use]
    pub fn custom_metadata(mut self, key: impl Into<String>, value: Value) -> Self {
        self.custom_metadata.get_or_insert_with(Map::new).insert(key.into(), value);
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    /// Removes AI tags.
    #[must_use]
    pub fn remove_ai_tags(mut self, which: RemoveAiTags) -> Self {
        self.remove_ai_tags = Some(which);
        self
    }

    /// Runs extensions.
    #[must_use]
    pub fn extensions(mut self, e: impl IntoIterator<Item = crate::upload::Extension>) -> Self {
        self.extensions = Some(e.into_iter().collect());
        self
    }

    /// Sets the `webhookUrl` for extension results.
    #[must_use]
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        match &self.remove_ai_tags {
            Some(RemoveAiTags::All) => {
                m.insert("removeAITags".into(), "all".into());
            }
            Some(RemoveAiTags::Some(t)) => {
                m.insert("removeAITags".into(), json!(t));
            }
            None => {}
        }
        if let Some(v) = &self.webhook_url {
            m.insert("webhookUrl".into(), json!(v));
        }
        if let Some(v) = &self.extensions {
            m.insert("extensions".into(), json!(v));
        }
        if let Some(v) = &self.tags {
            m.insert("tags".into(), json!(v));
        }
        if let Some(v) = &self.custom_coordinates {
            m.insert("customCoordinates".into(), json!(v));
        }
        if let Some(v) = &self.custom_metadata {
            m.insert("customMetadata".into(), Value::Object(v.clone()));
        }
        if let Some(v) = &self.description {
            m.insert("description".into(), json!(v));
        }
        Value::Object(m)
    }
}

/// One failed item of a bulk operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct BulkItemError {
    /// The file id.
    #[serde(deserialize_with = "nullable")]
    pub file_id: FileId,
    /// Why it failed.
    #[serde(deserialize_with = "nullable")]
    pub error: String,
}

/// The answer to a bulk delete: 200, or 207 when some ids failed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct BulkDeleteResult {
    /// Deleted ids.
    #[serde(deserialize_with = "nullable")]
    pub successfully_deleted_file_ids: Vec<FileId>,
    /// Failed ids (207).
    #[serde(deserialize_with = "nullable")]
    pub errors: Vec<BulkItemError>,
    /// Whether ImageKit answered 207 (partial success).
    #[serde(skip)]
    pub partial: bool,
}

/// The answer to a bulk tag change: 200, or 207 when some ids failed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct BulkUpdateResult {
    /// Updated ids.
    #[serde(deserialize_with = "nullable")]
    pub successfully_updated_file_ids: Vec<FileId>,
    /// Failed ids (207).
    #[serde(deserialize_with = "nullable")]
    pub errors: Vec<BulkItemError>,
    /// Whether ImageKit answered 207.
    #[serde(skip)]
    pub partial: bool,
}

/// The answer to a rename.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RenameResult {
    /// The purge request, when `purge_cache` was set.
    pub purge_request_id: Option<PurgeRequestId>,
    /// A 207: the file was renamed but the purge failed (ImageKit's
    /// `message`).
    pub purge_failed: Option<String>,
}

/// Image metadata (`GET /v1/files/{id}/metadata`, `GET /v1/metadata`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ImageMetadata {
    /// Height.
    #[serde(deserialize_with = "lenient_u64")]
    pub height: Option<u64>,
    /// Width.
    #[serde(deserialize_with = "lenient_u64")]
    pub width: Option<u64>,
    /// Size in bytes.
    #[serde(deserialize_with = "lenient_u64")]
    pub size: Option<u64>,
    /// Format (`jpg`, `png`…).
    pub format: Option<String>,
    /// Whether it has an ICC profile.
    pub has_color_profile: Option<bool>,
    /// JPEG quality estimate.
    #[serde(deserialize_with = "lenient_u64")]
    pub quality: Option<u64>,
    /// Density (DPI).
    #[serde(deserialize_with = "lenient_u64")]
    pub density: Option<u64>,
    /// Whether it has transparency.
    pub has_transparency: Option<bool>,
    /// Perceptual hash (hex).
    pub p_hash: Option<String>,
    /// EXIF data.
    pub exif: Option<Value>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A bulk job (`GET /v1/bulkJobs/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BulkJob {
    /// The job id.
    #[serde(default, deserialize_with = "nullable")]
    pub job_id: JobId,
    /// The kind.
    #[serde(rename = "type", default)]
    pub kind: Option<BulkJobType>,
    /// The state.
    #[serde(default)]
    pub status: Option<JobStatus>,
    /// The purge request of a rename with `purgeCache`.
    #[serde(default)]
    pub purge_request_id: Option<PurgeRequestId>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The schema of a custom metadata field.
///
/// The default (also what a field sent without `schema` reads as) has no
/// type: `kind` is `None`, which is not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FieldSchema {
    /// The type; `None` when ImageKit sent none.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FieldType>,
    /// Options of select types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_options: Option<Vec<Value>>,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<Value>,
    /// Whether a value is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_value_required: Option<bool>,
    /// Minimum (Number, Date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<Value>,
    /// Maximum (Number, Date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<Value>,
    /// Minimum length (Text, Textarea).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// Maximum length (Text, Textarea).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FieldSchema {
    /// A schema of `kind` with no constraints.
    #[must_use]
    pub fn new(kind: FieldType) -> FieldSchema {
        FieldSchema { kind: Some(kind), ..FieldSchema::default() }
    }
}

/// A custom metadata field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CustomMetadataField {
    /// The id.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    /// The API name (used in `customMetadata`).
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// The label shown in the dashboard.
    #[serde(default, deserialize_with = "nullable")]
    pub label: String,
    /// The schema ([`FieldSchema::default`] when ImageKit sent none).
    #[serde(default, deserialize_with = "nullable")]
    pub schema: FieldSchema,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Account usage over a date range (`GET /v1/accounts/usage`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Usage {
    /// Bandwidth in bytes.
    #[serde(deserialize_with = "lenient_u64")]
    pub bandwidth_bytes: Option<u64>,
    /// Media library storage in bytes.
    #[serde(deserialize_with = "lenient_u64")]
    pub media_library_storage_bytes: Option<u64>,
    /// Video processing units.
    #[serde(deserialize_with = "lenient_u64")]
    pub video_processing_units_count: Option<u64>,
    /// Extension units.
    #[serde(deserialize_with = "lenient_u64")]
    pub extension_units_count: Option<u64>,
    /// Original cache storage in bytes.
    #[serde(deserialize_with = "lenient_u64")]
    pub original_cache_storage_bytes: Option<u64>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ImageKit {
    /// `GET /v1/files`: one page of files and/or folders.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a limit outside 1–1000; API errors.
    pub async fn list_files(&self, query: &ListQuery) -> Result<Vec<Asset>> {
        const OP: &str = "list_files";
        if query.limit.is_some_and(|l| !(1..=1000).contains(&l)) {
            return Err(Error::invalid(OP, "limit must be 1 to 1000"));
        }
        let mut url = self.api_url(OP, &["v1", "files"])?;
        query.apply(&mut url);
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// [`ImageKit::list_files`] with the status, request id and rate-limit
    /// headers of its answer (the official Node SDK's `withResponse()`).
    ///
    /// ```no_run
    /// # async fn run(ik: pixmize_imagekit::ImageKit) -> pixmize_imagekit::Result<()> {
    /// let page = ik.list_files_with_response(&Default::default()).await?;
    /// if let Some(limit) = page.meta.rate_limit.and_then(|r| r.limit) {
    ///     println!("{} files; {limit} requests per interval", page.value.len());
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`ImageKit::list_files`].
    pub async fn list_files_with_response(
        &self,
        query: &ListQuery,
    ) -> Result<Response<Vec<Asset>>> {
        Response::of("list_files", self.list_files(query)).await
    }

    /// Every asset matching `query`, fetched page by page (`limit`, default
    /// 1000, with a growing `skip`) as the stream is read. The stream ends
    /// after a short page, or after the first error (which it yields).
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt as _;
    /// use pixmize_imagekit::{ListQuery, search::Field};
    /// # async fn run(ik: pixmize_imagekit::ImageKit) -> pixmize_imagekit::Result<()> {
    /// let big: Vec<_> = ik
    ///     .list_all(ListQuery::new().search(Field::size().gt("5mb")).limit(100))
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn list_all(&self, query: ListQuery) -> AssetStream {
        struct State {
            client: ImageKit,
            query: ListQuery,
            skip: u32,
            page: u32,
            buf: VecDeque<Asset>,
            done: bool,
        }
        let page = query.limit.unwrap_or(1000).clamp(1, 1000);
        let state = State {
            client: self.clone(),
            skip: query.skip.unwrap_or(0),
            query,
            page,
            buf: VecDeque::new(),
            done: false,
        };
        Box::pin(futures_util::stream::unfold(state, |mut s| async move {
            loop {
                if let Some(item) = s.buf.pop_front() {
                    return Some((Ok(item), s));
                }
                if s.done {
                    return None;
                }
                let mut q = s.query.clone();
                q.limit = Some(s.page);
                q.skip = Some(s.skip);
                match s.client.list_files(&q).await {
                    Ok(items) => {
                        let n = u32::try_from(items.len()).unwrap_or(u32::MAX);
                        s.done = n < s.page;
                        s.skip = s.skip.saturating_add(n);
                        s.buf.extend(items);
                        if n == 0 {
                            return None;
                        }
                    }
                    Err(e) => {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                }
            }
        }))
    }

    /// `GET /v1/files/{id}/details`.
    ///
    /// # Errors
    /// API errors; [`Error::is_not_found`] for an unknown id.
    pub async fn file_details(&self, file_id: impl AsRef<str>) -> Result<FileDetails> {
        const OP: &str = "file_details";
        let url = self.api_url(OP, &["v1", "files", file_id.as_ref(), "details"])?;
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// [`ImageKit::file_details`] with the status, request id and
    /// rate-limit headers of its answer.
    ///
    /// # Errors
    /// As [`ImageKit::file_details`].
    pub async fn file_details_with_response(
        &self,
        file_id: impl AsRef<str>,
    ) -> Result<Response<FileDetails>> {
        Response::of("file_details", self.file_details(file_id)).await
    }

    /// `PATCH /v1/files/{id}/details` with tags, metadata, coordinates,
    /// description, extensions or AI-tag removal.
    ///
    /// # Errors
    /// API errors.
    pub async fn update_file(
        &self,
        file_id: impl AsRef<str>,
        update: &FileUpdate,
    ) -> Result<FileDetails> {
        const OP: &str = "update_file";
        let url = self.api_url(OP, &["v1", "files", file_id.as_ref(), "details"])?;
        self.api_json(OP, RetryMode::Idempotent, Method::PATCH, url, Some(update.to_json())).await
    }

    /// `PATCH /v1/files/{id}/details` with `{publish: {isPublished,
    /// includeFileVersions}}`.
    ///
    /// # Errors
    /// API errors.
    pub async fn publish_file(
        &self,
        file_id: impl AsRef<str>,
        is_published: bool,
        include_file_versions: bool,
    ) -> Result<FileDetails> {
        const OP: &str = "publish_file";
        let url = self.api_url(OP, &["v1", "files", file_id.as_ref(), "details"])?;
        let body = json!({"publish": {"isPublished": is_published, "includeFileVersions": include_file_versions}});
        self.api_json(OP, RetryMode::Idempotent, Method::PATCH, url, Some(body)).await
    }

    /// `DELETE /v1/files/{id}` (does not purge the CDN cache). Retried on
    /// every retryable failure; a 404 answered to a retry after a lost
    /// answer is a success.
    ///
    /// # Errors
    /// API errors.
    pub async fn delete_file(&self, file_id: impl AsRef<str>) -> Result<()> {
        const OP: &str = "delete_file";
        let url = self.api_url(OP, &["v1", "files", file_id.as_ref()])?;
        self.api_delete(OP, Method::DELETE, url, None).await
    }

    /// `POST /v1/files/batch/deleteByFileIds`. A 207 (some ids failed) is a
    /// success with [`BulkDeleteResult::partial`] set; a 404 lists the
    /// missing ids in [`crate::ApiError::missing_file_ids`].
    ///
    /// # Errors
    /// API errors; [`Error::InvalidArgument`] for an empty list.
    pub async fn delete_files<I, S>(&self, file_ids: I) -> Result<BulkDeleteResult>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        const OP: &str = "delete_files";
        let ids: Vec<String> = file_ids.into_iter().map(|s| s.as_ref().to_owned()).collect();
        if ids.is_empty() || ids.iter().any(String::is_empty) {
            return Err(Error::invalid(OP, "give at least one non-empty file id"));
        }
        let url = self.api_url(OP, &["v1", "files", "batch", "deleteByFileIds"])?;
        let raw = self
            .api(OP, RetryMode::Idempotent, Method::POST, url, Some(json!({"fileIds": ids})))
            .await?;
        let mut out: BulkDeleteResult = raw.json(OP)?;
        out.partial = raw.status == StatusCode::MULTI_STATUS;
        Ok(out)
    }

    /// `POST /v1/files/copy`. Retried only when nothing was processed
    /// (connection refused, 429): a second copy would add a version (see
    /// [`RetryPolicy`](crate::RetryPolicy)).
    ///
    /// # Errors
    /// API errors.
    pub async fn copy_file(
        &self,
        source_file_path: &str,
        destination_path: &str,
        include_file_versions: bool,
    ) -> Result<()> {
        const OP: &str = "copy_file";
        let url = self.api_url(OP, &["v1", "files", "copy"])?;
        let body = json!({"sourceFilePath": source_file_path, "destinationPath": destination_path,
            "includeFileVersions": include_file_versions});
        self.api(OP, RetryMode::NotSentOnly, Method::POST, url, Some(body)).await.map(drop)
    }

    /// `POST /v1/files/move`. Retried only when nothing was processed.
    ///
    /// # Errors
    /// API errors.
    pub async fn move_file(&self, source_file_path: &str, destination_path: &str) -> Result<()> {
        const OP: &str = "move_file";
        let url = self.api_url(OP, &["v1", "files", "move"])?;
        let body = json!({"sourceFilePath": source_file_path, "destinationPath": destination_path});
        self.api(OP, RetryMode::NotSentOnly, Method::POST, url, Some(body)).await.map(drop)
    }

    /// `PUT /v1/files/rename`. A 207 (renamed, purge failed) is a success
    /// with [`RenameResult::purge_failed`] set. Retried only when nothing
    /// was processed (a retry after a lost answer would meet a 404 or 409).
    ///
    /// # Errors
    /// API errors (409 when the new name exists).
    pub async fn rename_file(
        &self,
        file_path: &str,
        new_file_name: &str,
        purge_cache: bool,
    ) -> Result<RenameResult> {
        const OP: &str = "rename_file";
        let url = self.api_url(OP, &["v1", "files", "rename"])?;
        let body =
            json!({"filePath": file_path, "newFileName": new_file_name, "purgeCache": purge_cache});
        let raw = self.api(OP, RetryMode::NotSentOnly, Method::PUT, url, Some(body)).await?;
        let v: Value = raw.json(OP)?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(RenameResult {
            purge_request_id: text("purgeRequestId").map(PurgeRequestId),
            purge_failed: (raw.status == StatusCode::MULTI_STATUS)
                .then(|| text("message").unwrap_or_else(|| "purge failed".into())),
        })
    }

    /// `GET /v1/files/{id}/versions`.
    ///
    /// # Errors
    /// API errors.
    pub async fn file_versions(&self, file_id: impl AsRef<str>) -> Result<Vec<FileDetails>> {
        const OP: &str = "file_versions";
        let url = self.api_url(OP, &["v1", "files", file_id.as_ref(), "versions"])?;
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// `GET /v1/files/{id}/versions/{versionId}`.
    ///
    /// # Errors
    /// API errors.
    pub async fn file_version(
        &self,
        file_id: impl AsRef<str>,
        version_id: impl AsRef<str>,
    ) -> Result<FileDetails> {
        const OP: &str = "file_version";
        let url =
            self.api_url(OP, &["v1", "files", file_id.as_ref(), "versions", version_id.as_ref()])?;
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// `DELETE /v1/files/{id}/versions/{versionId}` (not the current one).
    ///
    /// # Errors
    /// API errors.
    pub async fn delete_file_version(
        &self,
        file_id: impl AsRef<str>,
        version_id: impl AsRef<str>,
    ) -> Result<()> {
        const OP: &str = "delete_file_version";
        let url =
            self.api_url(OP, &["v1", "files", file_id.as_ref(), "versions", version_id.as_ref()])?;
        self.api_delete(OP, Method::DELETE, url, None).await
    }

    /// `PUT /v1/files/{id}/versions/{versionId}/restore`.
    ///
    /// # Errors
    /// API errors.
    pub async fn restore_file_version(
        &self,
        file_id: impl AsRef<str>,
        version_id: impl AsRef<str>,
    ) -> Result<FileDetails> {
        const OP: &str = "restore_file_version";
        let url = self.api_url(
            OP,
            &["v1", "files", file_id.as_ref(), "versions", version_id.as_ref(), "restore"],
        )?;
        self.api_json(OP, RetryMode::Idempotent, Method::PUT, url, None).await
    }

    /// `GET /v1/files/{id}/metadata`.
    ///
    /// # Errors
    /// API errors.
    pub async fn file_metadata(&self, file_id: impl AsRef<str>) -> Result<ImageMetadata> {
        const OP: &str = "file_metadata";
        let url = self.api_url(OP, &["v1", "files", file_id.as_ref(), "metadata"])?;
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// `GET /v1/metadata?url=…`: metadata of any image URL served through
    /// the account's URL endpoints.
    ///
    /// # Errors
    /// API errors.
    pub async fn remote_metadata(&self, image_url: &str) -> Result<ImageMetadata> {
        const OP: &str = "remote_metadata";
        let mut url = self.api_url(OP, &["v1", "metadata"])?;
        url.query_pairs_mut().append_pair("url", image_url);
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    async fn bulk_tags(
        &self,
        op: &'static str,
        path: &'static str,
        body: Value,
    ) -> Result<BulkUpdateResult> {
        let url = self.api_url(op, &["v1", "files", path])?;
        let raw = self.api(op, RetryMode::Idempotent, Method::POST, url, Some(body)).await?;
        let mut out: BulkUpdateResult = raw.json(op)?;
        out.partial = raw.status == StatusCode::MULTI_STATUS;
        Ok(out)
    }

    /// `POST /v1/files/addTags`.
    ///
    /// # Errors
    /// API errors.
    pub async fn add_tags(&self, file_ids: &[&str], tags: &[&str]) -> Result<BulkUpdateResult> {
        self.bulk_tags("add_tags", "addTags", json!({"fileIds": file_ids, "tags": tags})).await
    }

    /// `POST /v1/files/removeTags`.
    ///
    /// # Errors
    /// API errors.
    pub async fn remove_tags(&self, file_ids: &[&str], tags: &[&str]) -> Result<BulkUpdateResult> {
        self.bulk_tags("remove_tags", "removeTags", json!({"fileIds": file_ids, "tags": tags}))
            .await
    }

    /// `POST /v1/files/removeAITags`.
    ///
    /// # Errors
    /// API errors.
    pub async fn remove_ai_tags(
        &self,
        file_ids: &[&str],
        ai_tags: &[&str],
    ) -> Result<BulkUpdateResult> {
        self.bulk_tags(
            "remove_ai_tags",
            "removeAITags",
            json!({"fileIds": file_ids, "AITags": ai_tags}),
        )
        .await
    }

    /// `POST /v1/folder`. Retried on every retryable failure; a 409 ("it
    /// exists") answered to a retry after a lost answer is a success.
    ///
    /// # Errors
    /// API errors.
    pub async fn create_folder(&self, folder_name: &str, parent_folder_path: &str) -> Result<()> {
        const OP: &str = "create_folder";
        let url = self.api_url(OP, &["v1", "folder"])?;
        let body = json!({"folderName": folder_name, "parentFolderPath": parent_folder_path});
        match self.api(OP, RetryMode::Create, Method::POST, url, Some(body)).await {
            Ok(_) => Ok(()),
            // The attempt whose answer was lost created it.
            Err(Error::Api(e)) if e.status == StatusCode::CONFLICT && e.after_uncertain_attempt => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// `DELETE /v1/folder` (with every file in it). Retried as
    /// [`ImageKit::delete_file`] is.
    ///
    /// # Errors
    /// API errors.
    pub async fn delete_folder(&self, folder_path: &str) -> Result<()> {
        const OP: &str = "delete_folder";
        let url = self.api_url(OP, &["v1", "folder"])?;
        self.api_delete(OP, Method::DELETE, url, Some(json!({"folderPath": folder_path}))).await
    }

    async fn job(&self, op: &'static str, path: &'static str, body: Value) -> Result<JobId> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct J {
            job_id: JobId,
        }
        let url = self.api_url(op, &["v1", "bulkJobs", path])?;
        Ok(self
            .api_json::<J>(op, RetryMode::NotSentOnly, Method::POST, url, Some(body))
            .await?
            .job_id)
    }

    /// `POST /v1/bulkJobs/copyFolder`: starts a job. Retried only when
    /// nothing was processed, so a lost answer never starts a second job;
    /// the error then is retryable and the caller checks before trying
    /// again.
    ///
    /// # Errors
    /// API errors (423 when the folder is locked by another job).
    pub async fn copy_folder(
        &self,
        source_folder_path: &str,
        destination_path: &str,
        include_versions: bool,
    ) -> Result<JobId> {
        self.job(
            "copy_folder",
            "copyFolder",
            json!({"sourceFolderPath": source_folder_path, "destinationPath": destination_path,
                "includeVersions": include_versions}),
        )
        .await
    }

    /// `POST /v1/bulkJobs/moveFolder`: starts a job. Retried only when
    /// nothing was processed.
    ///
    /// # Errors
    /// API errors.
    pub async fn move_folder(
        &self,
        source_folder_path: &str,
        destination_path: &str,
    ) -> Result<JobId> {
        self.job(
            "move_folder",
            "moveFolder",
            json!({"sourceFolderPath": source_folder_path, "destinationPath": destination_path}),
        )
        .await
    }

    /// `POST /v1/bulkJobs/renameFolder`: starts a job. Retried only when
    /// nothing was processed.
    ///
    /// # Errors
    /// API errors.
    pub async fn rename_folder(
        &self,
        folder_path: &str,
        new_folder_name: &str,
        purge_cache: bool,
    ) -> Result<JobId> {
        self.job(
            "rename_folder",
            "renameFolder",
            json!({"folderPath": folder_path, "newFolderName": new_folder_name, "purgeCache": purge_cache}),
        )
        .await
    }

    /// `GET /v1/bulkJobs/{jobId}`.
    ///
    /// # Errors
    /// API errors.
    pub async fn bulk_job_status(&self, job_id: impl AsRef<str>) -> Result<BulkJob> {
        const OP: &str = "bulk_job_status";
        let url = self.api_url(OP, &["v1", "bulkJobs", job_id.as_ref()])?;
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// `GET /v1/customMetadataFields`.
    ///
    /// # Errors
    /// API errors.
    pub async fn list_custom_metadata_fields(
        &self,
        include_deleted: bool,
        folder_path: Option<&str>,
    ) -> Result<Vec<CustomMetadataField>> {
        const OP: &str = "list_custom_metadata_fields";
        let mut url = self.api_url(OP, &["v1", "customMetadataFields"])?;
        if include_deleted {
            url.query_pairs_mut().append_pair("includeDeleted", "true");
        }
        if let Some(p) = folder_path {
            url.query_pairs_mut().append_pair("folderPath", p);
        }
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }

    /// `POST /v1/customMetadataFields`. Retried on every retryable
    /// failure; when a retry after a lost answer is refused (the field
    /// exists), the field with this name, label and type is looked up and
    /// returned.
    ///
    /// # Errors
    /// API errors.
    pub async fn create_custom_metadata_field(
        &self,
        name: &str,
        label: &str,
        schema: &FieldSchema,
    ) -> Result<CustomMetadataField> {
        const OP: &str = "create_custom_metadata_field";
        let url = self.api_url(OP, &["v1", "customMetadataFields"])?;
        let body = json!({"name": name, "label": label, "schema": schema});
        match self.api_json(OP, RetryMode::Create, Method::POST, url, Some(body)).await {
            Err(Error::Api(e))
                if e.after_uncertain_attempt
                    && matches!(e.status, StatusCode::BAD_REQUEST | StatusCode::CONFLICT) =>
            {
                // "Already exists"? Then the attempt whose answer was lost
                // created it: find it.
                let fields = self.list_custom_metadata_fields(false, None).await?;
                fields
                    .into_iter()
                    .find(|f| f.name == name && f.label == label && f.schema.kind == schema.kind)
                    .ok_or(Error::Api(e))
            }
            other => other,
        }
    }

    /// `PATCH /v1/customMetadataFields/{id}`: a new label and/or schema
    /// (the type cannot change).
    ///
    /// # Errors
    /// API errors.
    pub async fn update_custom_metadata_field(
        &self,
        id: &str,
        label: Option<&str>,
        schema: Option<&FieldSchema>,
    ) -> Result<CustomMetadataField> {
        const OP: &str = "update_custom_metadata_field";
        let url = self.api_url(OP, &["v1", "customMetadataFields", id])?;
        let mut body = Map::new();
        if let Some(l) = label {
            body.insert("label".into(), json!(l));
        }
        if let Some(s) = schema {
            let mut s = serde_json::to_value(s).unwrap_or(Value::Null);
            if let Some(o) = s.as_object_mut() {
                o.remove("type");
            }
            body.insert("schema".into(), s);
        }
        self.api_json(OP, RetryMode::Idempotent, Method::PATCH, url, Some(Value::Object(body)))
            .await
    }

    /// `DELETE /v1/customMetadataFields/{id}`.
    ///
    /// # Errors
    /// API errors.
    pub async fn delete_custom_metadata_field(&self, id: &str) -> Result<()> {
        const OP: &str = "delete_custom_metadata_field";
        let url = self.api_url(OP, &["v1", "customMetadataFields", id])?;
        self.api_delete(OP, Method::DELETE, url, None).await
    }

    /// `GET /v1/accounts/usage?startDate&endDate` (dates `YYYY-MM-DD`).
    ///
    /// # Errors
    /// API errors.
    pub async fn usage(&self, start_date: &str, end_date: &str) -> Result<Usage> {
        const OP: &str = "usage";
        let mut url = self.api_url(OP, &["v1", "accounts", "usage"])?;
        url.query_pairs_mut().append_pair("startDate", start_date).append_pair("endDate", end_date);
        self.api_json(OP, RetryMode::Idempotent, Method::GET, url, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_models() {
        let v = json!([
            {"type": "file", "fileId": "f1", "name": "a.jpg", "filePath": "/a.jpg", "tags": null,
             "AITags": [{"name": "cat", "confidence": "97.5", "source": "google"}],
             "fileType": "hologram", "width": 300.0, "height": "200", "size": null,
             "brandNewField": {"x": 1}},
            {"type": "folder", "folderId": "d1", "name": "pets", "folderPath": "/pets"},
            {"type": "collection", "id": "c1"},
            {"fileId": "f2", "type": "file-version", "versionInfo": {"id": "v2", "name": null}}
        ]);
        let items: Vec<Asset> = serde_json::from_value(v).unwrap();
        let f = items[0].as_file().unwrap();
        assert_eq!(f.file_id, "f1");
        assert!(f.tags.is_empty());
        assert_eq!(f.ai_tags[0].confidence, Some(97.5));
        assert_eq!(f.file_type, Some(FileType::Other("hologram".into())));
        assert_eq!((f.width, f.height, f.size), (Some(300), Some(200), None));
        assert!(f.extra.contains_key("brandNewField"));
        assert_eq!(items[1].as_folder().unwrap().folder_path, "/pets");
        assert!(matches!(items[2], Asset::Other(_)));
        let v2 = items[3].as_file().unwrap();
        assert_eq!(v2.kind, Some(AssetKind::FileVersion));
        assert_eq!(v2.version_info.as_ref().unwrap().id, VersionId::from("v2"));
    }

    /// A field without `schema`, or a schema without `type`, does not fail
    /// the whole list.
    #[test]
    fn custom_metadata_fields_without_schema_or_type() {
        let v = json!([
            {"id": "c1", "name": "brand", "label": "Brand"},
            {"id": "c2", "name": "price", "label": "Price", "schema": {"minValue": 0}},
            {"id": "c3", "name": "note", "label": "Note", "schema": null},
            {"id": "c4", "name": "sku", "label": "SKU", "schema": {"type": "Text", "maxLength": 9}}
        ]);
        let fields: Vec<CustomMetadataField> = serde_json::from_value(v).unwrap();
        let kinds: Vec<Option<&FieldType>> =
            fields.iter().map(|f| f.schema.kind.as_ref()).collect();
        assert_eq!(kinds, [None, None, None, Some(&FieldType::Text)]);
        assert_eq!(fields[0].schema, FieldSchema::default());
        assert_eq!(fields[1].schema.min_value, Some(json!(0)));
        assert_eq!(fields[3].schema.max_length, Some(9));
        // No type is not sent as `"type": ""`.
        assert_eq!(serde_json::to_value(&fields[1].schema).unwrap(), json!({"minValue": 0}));
        assert_eq!(
            serde_json::to_value(&fields[3].schema).unwrap(),
            json!({"type": "Text", "maxLength": 9})
        );
    }

    #[test]
    fn update_body() {
        let u = FileUpdate {
            tags: Some(None),
            custom_coordinates: Some(Some("1,2,3,4".into())),
            remove_ai_tags: Some(RemoveAiTags::All),
            ..FileUpdate::default()
        };
        assert_eq!(
            u.to_json(),
            json!({"tags": null, "customCoordinates": "1,2,3,4", "removeAITags": "all"})
        );
    }

    #[test]
    fn enums_round_trip() {
        assert_eq!("DESC_SIZE".parse::<Sort>().unwrap(), Sort::DescSize);
        let j: JobStatus = serde_json::from_value(json!("Queued")).unwrap();
        assert_eq!(j.as_str(), "Queued");
        assert_eq!(serde_json::to_value(FieldType::MultiSelect).unwrap(), json!("MultiSelect"));
    }
}
