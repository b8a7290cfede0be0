//! The emulator's in-memory media library.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::SystemTime;

use bytes::Bytes;
use pixmize_core::codec::{self, ImageFormat, Limits};
use serde_json::{Map, Value, json};

use super::{EmulatedFile, iso8601};

/// One version of a file.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) bytes: Bytes,
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    pub(crate) format: Option<ImageFormat>,
    pub(crate) has_alpha: bool,
    pub(crate) created: SystemTime,
}

impl Version {
    pub(crate) fn new(id: String, name: String, bytes: Bytes, created: SystemTime) -> Version {
        let info = codec::probe(&bytes, &Limits::default()).ok();
        let format = info.map(|i| i.format).or_else(|| codec::detect(&bytes));
        Version {
            id,
            name,
            width: info.map(|i| i.width),
            height: info.map(|i| i.height),
            has_alpha: matches!(
                format,
                Some(ImageFormat::Png | ImageFormat::Webp | ImageFormat::Gif)
            ),
            format,
            bytes,
            created,
        }
    }

    pub(crate) fn is_image(&self) -> bool {
        self.format.is_some()
    }

    pub(crate) fn format_name(&self) -> Option<&'static str> {
        self.format.map(ImageFormat::extension)
    }
}

/// A stored file.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub(crate) id: String,
    pub(crate) name: String,
    /// `/a/b/`.
    pub(crate) folder: String,
    /// Every version; `current` indexes the live one.
    pub(crate) versions: Vec<Version>,
    pub(crate) current: usize,
    pub(crate) tags: Vec<String>,
    pub(crate) ai_tags: Vec<Value>,
    pub(crate) is_private: bool,
    pub(crate) is_published: bool,
    pub(crate) custom_coordinates: Option<String>,
    pub(crate) custom_metadata: Map<String, Value>,
    pub(crate) description: Option<String>,
    pub(crate) extension_status: Map<String, Value>,
    pub(crate) created: SystemTime,
    pub(crate) updated: SystemTime,
    /// Insertion order, for stable sorting.
    pub(crate) seq: u64,
}

impl StoredFile {
    pub(crate) fn path(&self) -> String {
        format!("{}{}", self.folder, self.name)
    }

    pub(crate) fn version(&self) -> &Version {
        &self.versions[self.current.min(self.versions.len() - 1)]
    }

    /// The details JSON (`FileDetails`) of the current version or of
    /// version `v`.
    pub(crate) fn details(&self, endpoint: &str, v: Option<usize>) -> Value {
        let version = v.map_or_else(|| self.version(), |i| &self.versions[i]);
        let is_current = v.is_none_or(|i| i == self.current);
        let url = format!("{}{}", endpoint.trim_end_matches('/'), self.path());
        let mime = version.format.map_or("application/octet-stream", ImageFormat::mime_type);
        json!({
            "type": if is_current { "file" } else { "file-version" },
            "fileId": self.id,
            "name": self.name,
            "filePath": self.path(),
            "tags": if self.tags.is_empty() { Value::Null } else { json!(self.tags) },
            "AITags": if self.ai_tags.is_empty() { Value::Null } else { json!(self.ai_tags) },
            "versionInfo": {"id": version.id, "name": version.name},
            "isPrivateFile": self.is_private,
            "isPublished": self.is_published,
            "customCoordinates": self.custom_coordinates,
            "url": url,
            "thumbnail": if version.is_image() { json!(format!("{}{}?tr=n-ik_ml_thumbnail", endpoint.trim_end_matches('/'), self.path())) } else { Value::Null },
            "fileType": if version.is_image() { "image" } else { "non-image" },
            "mime": mime,
            "width": version.width,
            "height": version.height,
            "size": version.bytes.len(),
            "hasAlpha": version.has_alpha,
            "customMetadata": self.custom_metadata,
            "embeddedMetadata": {},
            "description": self.description,
            "createdAt": iso8601(self.created),
            "updatedAt": iso8601(if is_current { self.updated } else { version.created }),
        })
    }
}

/// A folder.
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    pub(crate) id: String,
    pub(crate) created: SystemTime,
}

/// A custom metadata field.
#[derive(Debug, Clone)]
pub(crate) struct FieldRec {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) label: String,
    pub(crate) schema: Value,
    pub(crate) deleted: bool,
}

impl FieldRec {
    pub(crate) fn json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "label": self.label, "schema": self.schema})
    }
}

/// A bulk job or a purge request: done at once, `Pending` on its first
/// status query.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) kind: &'static str,
    pub(crate) polls: u32,
    pub(crate) purge_request_id: Option<String>,
}

/// The whole library.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) files: BTreeMap<String, StoredFile>,
    /// `/a/b/` → folder (`/` is implicit).
    pub(crate) folders: BTreeMap<String, Folder>,
    pub(crate) fields: Vec<FieldRec>,
    pub(crate) jobs: HashMap<String, Job>,
    pub(crate) purges: HashMap<String, u32>,
    /// Delivery cache: request path + query → (body, content type).
    pub(crate) cache: HashMap<String, (Bytes, String)>,
    pub(crate) used_tokens: HashSet<String>,
    /// Account resources (saved extensions, origins, URL endpoints, named
    /// transformations) by family, in creation order.
    pub(crate) resources: HashMap<&'static str, Vec<Value>>,
    pub(crate) usage_bandwidth: u64,
    counter: u64,
}

impl Store {
    /// A new 24-hex-digit id (ImageKit ids look like MongoDB ObjectIds).
    pub(crate) fn new_id(&mut self) -> String {
        self.counter += 1;
        let r = uuid::Uuid::new_v4().as_u128() as u64 & 0xffff_ffff_ffff;
        format!("{:012x}{:012x}", self.counter, r)
    }

    pub(crate) fn seq(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    pub(crate) fn by_path(&self, path: &str) -> Option<&StoredFile> {
        self.files.values().find(|f| f.path() == path)
    }

    pub(crate) fn id_by_path(&self, path: &str) -> Option<String> {
        self.by_path(path).map(|f| f.id.clone())
    }

    /// Creates a folder and its parents.
    pub(crate) fn ensure_folder(&mut self, folder: &str, now: SystemTime) {
        let parts: Vec<&str> = folder.split('/').filter(|s| !s.is_empty()).collect();
        for i in 1..=parts.len() {
            let path = format!("/{}/", parts[..i].join("/"));
            if !self.folders.contains_key(&path) {
                let id = self.new_id();
                self.folders.insert(path, Folder { id, created: now });
            }
        }
    }

    pub(crate) fn emulated_files(&self) -> Vec<EmulatedFile> {
        self.files
            .values()
            .map(|f| EmulatedFile {
                file_id: f.id.clone(),
                file_path: f.path(),
                size: f.version().bytes.len(),
                is_private: f.is_private,
                versions: f.versions.len(),
                tags: f.tags.clone(),
            })
            .collect()
    }

    pub(crate) fn current_bytes(&self, id: &str) -> Option<Vec<u8>> {
        self.files.get(id).map(|f| f.version().bytes.to_vec())
    }

    /// The enabled named transformation `name`, as written.
    pub(crate) fn named_transformation(&self, name: &str) -> Option<String> {
        self.resources.get("named-transformations")?.iter().find_map(|t| {
            let enabled = t.get("enabled").and_then(Value::as_bool).unwrap_or(true);
            (enabled && t.get("name").and_then(Value::as_str) == Some(name)).then(|| {
                t.get("transformation").and_then(Value::as_str).unwrap_or_default().to_owned()
            })
        })
    }

    pub(crate) fn field_exists(&self, name: &str) -> bool {
        self.fields.iter().any(|f| !f.deleted && f.name == name)
    }
}

/// `/a/b/` form.
pub(crate) fn normalize_folder(folder: &str) -> String {
    crate::upload::normalize_folder(folder)
}

/// Splits `/a/b/c.jpg` into (`/a/b/`, `c.jpg`).
pub(crate) fn split_path(path: &str) -> (String, String) {
    let trimmed = path.trim_start_matches('/');
    match trimmed.rsplit_once('/') {
        Some((dir, name)) => (normalize_folder(dir), name.to_owned()),
        None => ("/".to_owned(), trimmed.to_owned()),
    }
}
