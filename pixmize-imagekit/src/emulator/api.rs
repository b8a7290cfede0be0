//! The media API (`/v1/…`).

use std::sync::Arc;

use axum::response::Response;
use http::{Method, StatusCode};
use percent_encoding::percent_decode_str;
use pixmize_core::{Job, LocalProcessor};
use serde_json::{Map, Value, json};

use super::store::{FieldRec, Job as JobRec, Store, StoredFile, normalize_folder, split_path};
use super::{Req, Shared, auth_error, basic_auth, empty, error, iso8601, json_response, query};

type Reply = Result<Response, Response>;

fn bad(msg: impl AsRef<str>) -> Response {
    error(StatusCode::BAD_REQUEST, msg.as_ref())
}

fn not_found(msg: &str) -> Response {
    error(StatusCode::NOT_FOUND, msg)
}

fn ok(v: &Value) -> Response {
    json_response(StatusCode::OK, v)
}

pub(super) async fn handle(shared: &Arc<Shared>, req: Req) -> Response {
    if let Some(r) = auth_error(&basic_auth(shared, &req.headers)) {
        return r;
    }
    match route(shared, &req).await {
        Ok(r) | Err(r) => r,
    }
}

fn body(req: &Req) -> Result<Value, Response> {
    if req.body.is_empty() {
        return Ok(json!({}));
    }
    let ct =
        req.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(bad("The request body must be JSON (Content-Type: application/json)"));
    }
    serde_json::from_slice(&req.body).map_err(|_| bad("The request body is not valid JSON"))
}

fn str_field<'a>(b: &'a Value, k: &str) -> Result<&'a str, Response> {
    b.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad(format!("Missing parameter {k}")))
}

fn bool_field(b: &Value, k: &str, default: bool) -> Result<bool, Response> {
    match b.get(k) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(v)) => Ok(*v),
        Some(_) => Err(bad(format!("{k} should be a boolean"))),
    }
}

fn str_list(b: &Value, k: &str) -> Result<Vec<String>, Response> {
    match b.get(k) {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(format!("{k} must be an array of strings")))
            })
            .collect(),
        _ => Err(bad(format!("{k} must be a non-empty array"))),
    }
}

async fn route(shared: &Arc<Shared>, req: &Req) -> Reply {
    let segs: Vec<String> = req
        .path
        .split('/')
        .skip(1)
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = &req.method;
    let endpoint = shared.url_endpoint();
    match (m.clone(), s.as_slice()) {
        (Method::GET, ["v1", "files"]) => list(shared, req),
        (Method::POST, ["v1", "files", "batch", "deleteByFileIds"]) => bulk_delete(shared, req),
        (Method::POST, ["v1", "files", "copy"]) => copy_file(shared, req),
        (Method::POST, ["v1", "files", "move"]) => move_file(shared, req),
        (Method::PUT, ["v1", "files", "rename"]) => rename_file(shared, req),
        (Method::POST, ["v1", "files", op @ ("addTags" | "removeTags" | "removeAITags")]) => {
            bulk_tags(shared, req, op)
        }
        (Method::POST, ["v1", "files", "purge"]) => purge(shared, req),
        (Method::GET, ["v1", "files", "purge", id]) => purge_status(shared, id),
        (Method::GET, ["v1", "files", id, "details"]) => {
            let store = shared.store();
            let f = store
                .files
                .get(*id)
                .ok_or_else(|| not_found("The requested file does not exist."))?;
            Ok(ok(&f.details(&endpoint, None)))
        }
        (Method::PATCH, ["v1", "files", id, "details"]) => update(shared, req, id),
        (Method::DELETE, ["v1", "files", id]) => {
            let mut store = shared.store();
            store
                .files
                .remove(*id)
                .ok_or_else(|| not_found("The requested file does not exist."))?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        (Method::GET, ["v1", "files", id, "versions"]) => {
            let store = shared.store();
            let f = store
                .files
                .get(*id)
                .ok_or_else(|| not_found("The requested file does not exist."))?;
            let all: Vec<Value> =
                (0..f.versions.len()).map(|i| f.details(&endpoint, Some(i))).collect();
            Ok(ok(&Value::Array(all)))
        }
        (Method::GET, ["v1", "files", id, "versions", vid]) => {
            let store = shared.store();
            let f = store
                .files
                .get(*id)
                .ok_or_else(|| not_found("The requested file does not exist."))?;
            let i = f
                .versions
                .iter()
                .position(|v| v.id == *vid)
                .ok_or_else(|| not_found("The requested version does not exist."))?;
            Ok(ok(&f.details(&endpoint, Some(i))))
        }
        (Method::DELETE, ["v1", "files", id, "versions", vid]) => {
            let mut store = shared.store();
            let f = store
                .files
                .get_mut(*id)
                .ok_or_else(|| not_found("The requested file does not exist."))?;
            let i = f
                .versions
                .iter()
                .position(|v| v.id == *vid)
                .ok_or_else(|| not_found("The requested version does not exist."))?;
            if i == f.current {
                return Err(bad("The current version of a file cannot be deleted"));
            }
            f.versions.remove(i);
            if f.current > i {
                f.current -= 1;
            }
            Ok(empty(StatusCode::NO_CONTENT))
        }
        (Method::PUT, ["v1", "files", id, "versions", vid, "restore"]) => {
            let mut store = shared.store();
            let vid_new = store.new_id();
            let now = shared.now();
            let f = store
                .files
                .get_mut(*id)
                .ok_or_else(|| not_found("The requested file does not exist."))?;
            let i = f
                .versions
                .iter()
                .position(|v| v.id == *vid)
                .ok_or_else(|| not_found("The requested version does not exist."))?;
            let mut v = f.versions[i].clone();
            v.id = vid_new;
            v.created = now;
            f.versions.push(v);
            f.current = f.versions.len() - 1;
            f.updated = now;
            Ok(ok(&f.details(&endpoint, None)))
        }
        (Method::GET, ["v1", "files", id, "metadata"]) => {
            let bytes = {
                let store = shared.store();
                let f = store
                    .files
                    .get(*id)
                    .ok_or_else(|| not_found("The requested file does not exist."))?;
                f.version().bytes.clone()
            };
            metadata(bytes.to_vec()).await
        }
        (Method::GET, ["v1", "metadata"]) => {
            let url = req.query_param("url").ok_or_else(|| bad("Missing parameter url"))?;
            let rel = url
                .strip_prefix(endpoint.as_str())
                .ok_or_else(|| bad("The URL does not belong to this account"))?;
            let path = format!(
                "/{}",
                percent_decode_str(rel.split('?').next().unwrap_or_default()).decode_utf8_lossy()
            );
            let bytes = shared.store().by_path(&path).map(|f| f.version().bytes.clone());
            let bytes = bytes.ok_or_else(|| not_found("The requested file does not exist."))?;
            metadata(bytes.to_vec()).await
        }
        (Method::POST, ["v1", "folder"]) => {
            let b = body(req)?;
            let name = str_field(&b, "folderName")?;
            if name.contains('/') {
                return Err(bad("folderName cannot contain `/`"));
            }
            let parent =
                normalize_folder(b.get("parentFolderPath").and_then(Value::as_str).unwrap_or("/"));
            let now = shared.now();
            shared.store().ensure_folder(&format!("{parent}{name}"), now);
            Ok(json_response(StatusCode::CREATED, &json!({})))
        }
        (Method::DELETE, ["v1", "folder"]) => {
            let b = body(req)?;
            let folder = normalize_folder(str_field(&b, "folderPath")?);
            let mut store = shared.store();
            if !store.folders.contains_key(&folder) {
                return Err(not_found("No folder found with the requested folderPath."));
            }
            store.folders.retain(|k, _| !k.starts_with(&folder));
            store.files.retain(|_, f| !f.folder.starts_with(&folder));
            Ok(empty(StatusCode::NO_CONTENT))
        }
        (Method::POST, ["v1", "bulkJobs", op @ ("copyFolder" | "moveFolder" | "renameFolder")]) => {
            folder_job(shared, req, op)
        }
        (Method::GET, ["v1", "bulkJobs", id]) => {
            let mut store = shared.store();
            let job = store
                .jobs
                .get_mut(*id)
                .ok_or_else(|| not_found("The requested job does not exist."))?;
            job.polls += 1;
            let status = if job.polls == 1 { "Pending" } else { "Completed" };
            let mut out = json!({"jobId": id, "type": job.kind, "status": status});
            if let Some(p) = &job.purge_request_id {
                out["purgeRequestId"] = json!(p);
            }
            Ok(ok(&out))
        }
        (Method::GET, ["v1", "customMetadataFields"]) => {
            let include_deleted = req.query_param("includeDeleted").as_deref() == Some("true");
            let store = shared.store();
            let list: Vec<Value> = store
                .fields
                .iter()
                .filter(|f| include_deleted || !f.deleted)
                .map(FieldRec::json)
                .collect();
            Ok(ok(&Value::Array(list)))
        }
        (Method::POST, ["v1", "customMetadataFields"]) => create_field(shared, req),
        (Method::PATCH, ["v1", "customMetadataFields", id]) => {
            let b = body(req)?;
            let mut store = shared.store();
            let f = store
                .fields
                .iter_mut()
                .find(|f| f.id == *id && !f.deleted)
                .ok_or_else(|| not_found("No such custom metadata field"))?;
            if b.get("label").is_none() && b.get("schema").is_none() {
                return Err(bad("Give label or schema"));
            }
            if let Some(l) = b.get("label").and_then(Value::as_str) {
                f.label = l.to_owned();
            }
            if let Some(s) = b.get("schema").and_then(Value::as_object) {
                if s.contains_key("type") {
                    return Err(bad("The type of a custom metadata field cannot be changed"));
                }
                if let Some(obj) = f.schema.as_object_mut() {
                    for (k, v) in s {
                        obj.insert(k.clone(), v.clone());
                    }
                }
            }
            Ok(ok(&f.json()))
        }
        (Method::DELETE, ["v1", "customMetadataFields", id]) => {
            let mut store = shared.store();
            let f = store
                .fields
                .iter_mut()
                .find(|f| f.id == *id && !f.deleted)
                .ok_or_else(|| not_found("No such custom metadata field"))?;
            f.deleted = true;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        (Method::GET, ["v1", "accounts", "usage"]) => {
            let start =
                req.query_param("startDate").ok_or_else(|| bad("Missing parameter startDate"))?;
            let end = req.query_param("endDate").ok_or_else(|| bad("Missing parameter endDate"))?;
            if super::parse_iso8601(&start).is_none() || super::parse_iso8601(&end).is_none() {
                return Err(bad("startDate and endDate must be YYYY-MM-DD"));
            }
            let store = shared.store();
            let storage: u64 = store
                .files
                .values()
                .flat_map(|f| f.versions.iter())
                .map(|v| v.bytes.len() as u64)
                .sum();
            Ok(ok(&json!({
                "bandwidthBytes": store.usage_bandwidth,
                "mediaLibraryStorageBytes": storage,
                "videoProcessingUnitsCount": 0,
                "extensionUnitsCount": 0,
                "originalCacheStorageBytes": 0,
            })))
        }
        (_, segs) => match resource_route(segs) {
            Some((kind, id)) => resources(shared, req, kind, id),
            None => Err(not_found("No such API endpoint")),
        },
    }
}

/// The account resource families: (name, path prefix, update method).
const RESOURCES: &[(&str, &[&str], Method)] = &[
    ("saved-extensions", &["v1", "saved-extensions"], Method::PATCH),
    ("origins", &["v1", "accounts", "origins"], Method::PUT),
    ("url-endpoints", &["v1", "accounts", "url-endpoints"], Method::PUT),
    ("named-transformations", &["v1", "named-transformations"], Method::PATCH),
];

fn resource_route<'a>(s: &[&'a str]) -> Option<(&'static str, Option<&'a str>)> {
    RESOURCES.iter().find_map(|(kind, prefix, _)| {
        let rest = s.strip_prefix(*prefix)?;
        match rest {
            [] => Some((*kind, None)),
            [id] => Some((*kind, Some(*id))),
            _ => None,
        }
    })
}

fn validate_resource(
    kind: &str,
    b: &Map<String, Value>,
    store: &Store,
    own_id: Option<&str>,
) -> Result<(), Response> {
    let text = |k: &str| b.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    match kind {
        "named-transformations" => {
            let name = text("name").ok_or_else(|| bad("Missing parameter name"))?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad("name may only contain letters, digits and `_`"));
            }
            let tr =
                text("transformation").ok_or_else(|| bad("Missing parameter transformation"))?;
            let tr = tr.strip_prefix("tr:").unwrap_or(tr);
            let t: pixmize_core::Transformation =
                tr.parse().map_err(|e| bad(format!("Invalid transformation: {e}")))?;
            if t.steps().iter().any(|s| s.params().is_some_and(|p| p.named.is_some())) {
                return Err(bad("A named transformation cannot use another one"));
            }
            let taken = store.resources.get(kind).into_iter().flatten().any(|o| {
                o.get("name").and_then(Value::as_str) == Some(name)
                    && o.get("id").and_then(Value::as_str) != own_id
            });
            if taken {
                return Err(error(
                    StatusCode::CONFLICT,
                    "A named transformation with this name already exists",
                ));
            }
        }
        "saved-extensions" => {
            text("name").ok_or_else(|| bad("Missing parameter name"))?;
            b.get("config")
                .filter(|c| c.is_object())
                .ok_or_else(|| bad("Missing parameter config"))?;
        }
        "origins" => {
            text("type").ok_or_else(|| bad("Missing parameter type"))?;
            text("name").ok_or_else(|| bad("Missing parameter name"))?;
        }
        _ => {
            text("description").ok_or_else(|| bad("Missing parameter description"))?;
        }
    }
    Ok(())
}

fn resources(shared: &Arc<Shared>, req: &Req, kind: &'static str, id: Option<&str>) -> Reply {
    let update_method = RESOURCES
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, _, m)| m.clone())
        .unwrap_or(Method::PATCH);
    let mut store = shared.store();
    let find = |store: &Store, id: &str| {
        store
            .resources
            .get(kind)
            .and_then(|v| v.iter().position(|o| o.get("id").and_then(Value::as_str) == Some(id)))
    };
    match (&req.method, id) {
        (&Method::GET, None) => {
            Ok(ok(&Value::Array(store.resources.get(kind).cloned().unwrap_or_default())))
        }
        (&Method::POST, None) => {
            let b = body(req)?;
            let obj = b.as_object().ok_or_else(|| bad("The body must be a JSON object"))?.clone();
            validate_resource(kind, &obj, &store, None)?;
            let mut obj = obj;
            let new_id = store.new_id();
            obj.insert("id".into(), json!(new_id));
            if kind == "named-transformations" {
                obj.entry("enabled").or_insert(json!(true));
            }
            let v = Value::Object(obj);
            store.resources.entry(kind).or_default().push(v.clone());
            Ok(json_response(StatusCode::CREATED, &v))
        }
        (&Method::GET, Some(id)) => {
            let i = find(&store, id).ok_or_else(|| not_found("No such resource"))?;
            Ok(ok(&store.resources[kind][i]))
        }
        (m, Some(id)) if *m == update_method => {
            let b = body(req)?;
            let patch = b.as_object().ok_or_else(|| bad("The body must be a JSON object"))?;
            let i = find(&store, id).ok_or_else(|| not_found("No such resource"))?;
            let mut merged = if *m == Method::PUT {
                Map::new()
            } else {
                store.resources[kind][i].as_object().cloned().unwrap_or_default()
            };
            for (k, v) in patch {
                merged.insert(k.clone(), v.clone());
            }
            merged.insert("id".into(), json!(id));
            validate_resource(kind, &merged, &store, Some(id))?;
            let v = Value::Object(merged);
            if let Some(list) = store.resources.get_mut(kind) {
                list[i] = v.clone();
            }
            Ok(ok(&v))
        }
        (&Method::DELETE, Some(id)) => {
            let i = find(&store, id).ok_or_else(|| not_found("No such resource"))?;
            if let Some(list) = store.resources.get_mut(kind) {
                list.remove(i);
            }
            Ok(empty(StatusCode::NO_CONTENT))
        }
        _ => Err(error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")),
    }
}

fn list(shared: &Arc<Shared>, req: &Req) -> Reply {
    let q = req.query_pairs();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let limit: usize = match get("limit") {
        None => 1000,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(bad("limit must be between 1 and 1000")),
        },
    };
    let skip: usize = match get("skip") {
        None => 0,
        Some(s) => s.parse().map_err(|_| bad("skip must be a non-negative integer"))?,
    };
    let kind = get("type").unwrap_or("file");
    if !matches!(kind, "file" | "file-version" | "folder" | "all") {
        return Err(bad("type must be file, file-version, folder or all"));
    }
    let file_type = get("fileType").unwrap_or("all");
    if !matches!(file_type, "all" | "image" | "non-image") {
        return Err(bad("fileType must be all, image or non-image"));
    }
    let sort = get("sort").unwrap_or("ASC_CREATED");
    let search = match get("searchQuery") {
        Some(s) if !s.trim().is_empty() => {
            Some(query::parse(s).map_err(|e| bad(format!("Your searchQuery is invalid: {e}")))?)
        }
        _ => None,
    };
    let path = get("path").map(normalize_folder);
    let tags: Vec<&str> =
        get("tags").map(|t| t.split(',').map(str::trim).collect()).unwrap_or_default();
    let name = get("name");
    let now = shared.now();
    let endpoint = shared.url_endpoint();
    let store = shared.store();

    let mut entries: Vec<(Value, &StoredFile)> = Vec::new();
    let mut folders: Vec<Value> = Vec::new();
    if matches!(kind, "folder" | "all") {
        for (p, f) in &store.folders {
            let (parent, fname) = split_path(p.trim_end_matches('/'));
            if path.as_ref().is_some_and(|want| parent != *want) {
                continue;
            }
            folders.push(json!({"type": "folder", "folderId": f.id, "name": fname,
                "folderPath": p.trim_end_matches('/'), "createdAt": iso8601(f.created), "updatedAt": iso8601(f.created)}));
        }
    }
    if kind != "folder" {
        for f in store.files.values() {
            if path.as_ref().is_some_and(|want| f.folder != *want) {
                continue;
            }
            let matches = match &search {
                Some(e) => query::eval(e, f, now),
                None => {
                    (tags.is_empty() || tags.iter().any(|t| f.tags.iter().any(|ft| ft == t)))
                        && name.is_none_or(|n| f.name == n)
                }
            };
            let is_image = f.version().is_image();
            let type_ok = match file_type {
                "image" => is_image,
                "non-image" => !is_image,
                _ => true,
            };
            if !matches || !type_ok {
                continue;
            }
            if kind == "file-version" {
                for i in (0..f.versions.len()).filter(|i| *i != f.current) {
                    entries.push((f.details(&endpoint, Some(i)), f));
                }
            } else {
                entries.push((f.details(&endpoint, None), f));
            }
        }
    }
    let key = |v: &Value, f: &StoredFile, field: &str| -> (f64, String) {
        match field {
            "NAME" => (0.0, f.name.clone()),
            "UPDATED" => (0.0, v["updatedAt"].as_str().unwrap_or_default().to_owned()),
            "HEIGHT" => (v["height"].as_f64().unwrap_or(0.0), String::new()),
            "WIDTH" => (v["width"].as_f64().unwrap_or(0.0), String::new()),
            "SIZE" => (v["size"].as_f64().unwrap_or(0.0), String::new()),
            _ => (f.seq as f64, String::new()),
        }
    };
    let (dir, field) = sort.split_once('_').ok_or_else(|| bad("Invalid sort"))?;
    if !matches!(dir, "ASC" | "DESC")
        || !matches!(
            field,
            "NAME" | "CREATED" | "UPDATED" | "HEIGHT" | "WIDTH" | "SIZE" | "RELEVANCE"
        )
    {
        return Err(bad("Invalid sort"));
    }
    entries.sort_by(|(va, fa), (vb, fb)| {
        let (a, b) = (key(va, fa, field), key(vb, fb, field));
        a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal).then(fa.seq.cmp(&fb.seq))
    });
    if dir == "DESC" {
        entries.reverse();
    }
    let all: Vec<Value> = folders
        .into_iter()
        .chain(entries.into_iter().map(|(v, _)| v))
        .skip(skip)
        .take(limit)
        .collect();
    Ok(ok(&Value::Array(all)))
}

fn update(shared: &Arc<Shared>, req: &Req, id: &str) -> Reply {
    let b = body(req)?;
    let obj = b.as_object().ok_or_else(|| bad("The body must be a JSON object"))?;
    const KEYS: &[&str] = &[
        "removeAITags",
        "webhookUrl",
        "extensions",
        "tags",
        "customCoordinates",
        "customMetadata",
        "description",
        "publish",
    ];
    if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(bad(format!("Unknown parameter `{k}`")));
    }
    if obj.contains_key("publish") && obj.len() > 1 {
        return Err(bad("publish cannot be combined with other updates"));
    }
    let now = shared.now();
    let endpoint = shared.url_endpoint();
    let mut store = shared.store();
    if let Some(m) = obj.get("customMetadata").and_then(Value::as_object)
        && let Some(k) =
            m.iter().find(|(k, v)| !v.is_null() && !store.field_exists(k)).map(|(k, _)| k.clone())
    {
        return Err(bad(format!("Custom metadata field `{k}` does not exist")));
    }
    let f =
        store.files.get_mut(id).ok_or_else(|| not_found("The requested file does not exist."))?;
    if let Some(p) = obj.get("publish") {
        f.is_published = p
            .get("isPublished")
            .and_then(Value::as_bool)
            .ok_or_else(|| bad("publish.isPublished is required"))?;
        f.updated = now;
        return Ok(ok(&f.details(&endpoint, None)));
    }
    match obj.get("tags") {
        None => {}
        Some(Value::Null) => f.tags.clear(),
        Some(Value::Array(a)) => {
            f.tags = a.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        }
        Some(_) => return Err(bad("tags must be an array or null")),
    }
    match obj.get("customCoordinates") {
        None => {}
        Some(Value::Null) => f.custom_coordinates = None,
        Some(Value::String(s)) => f.custom_coordinates = Some(s.clone()),
        Some(_) => return Err(bad("customCoordinates must be a string or null")),
    }
    if let Some(m) = obj.get("customMetadata").and_then(Value::as_object) {
        for (k, v) in m {
            if v.is_null() {
                f.custom_metadata.remove(k);
            } else {
                f.custom_metadata.insert(k.clone(), v.clone());
            }
        }
    }
    match obj.get("removeAITags") {
        None => {}
        Some(Value::String(s)) if s == "all" => f.ai_tags.clear(),
        Some(Value::Array(a)) => {
            let names: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            f.ai_tags.retain(|t| {
                !t.get("name").and_then(Value::as_str).is_some_and(|n| names.contains(&n))
            });
        }
        Some(_) => return Err(bad("removeAITags must be \"all\" or an array")),
    }
    if let Some(d) = obj.get("description").and_then(Value::as_str) {
        f.description = Some(d.to_owned());
    }
    if let Some(Value::Array(e)) = obj.get("extensions") {
        for x in e {
            if let Some(n) = x.get("name").and_then(Value::as_str) {
                f.extension_status.insert(n.to_owned(), json!("success"));
            }
        }
    }
    f.updated = now;
    Ok(ok(&f.details(&endpoint, None)))
}

fn bulk_delete(shared: &Arc<Shared>, req: &Req) -> Reply {
    let b = body(req)?;
    let ids = str_list(&b, "fileIds")?;
    let mut store = shared.store();
    let missing: Vec<&String> =
        ids.iter().filter(|id| !store.files.contains_key(id.as_str())).collect();
    if missing.len() == ids.len() {
        return Ok(json_response(
            StatusCode::NOT_FOUND,
            &json!({"message": "The requested file(s) does not exist.", "help": super::HELP, "missingFileIds": missing}),
        ));
    }
    let errors: Vec<Value> = missing
        .iter()
        .map(|id| json!({"fileId": id, "error": "The file does not exist"}))
        .collect();
    let mut deleted = Vec::new();
    for id in &ids {
        if store.files.remove(id.as_str()).is_some() {
            deleted.push(id.clone());
        }
    }
    if errors.is_empty() {
        Ok(ok(&json!({"successfullyDeletedFileIds": deleted})))
    } else {
        Ok(json_response(
            StatusCode::MULTI_STATUS,
            &json!({"successfullyDeletedFileIds": deleted, "errors": errors}),
        ))
    }
}

fn copy_file(shared: &Arc<Shared>, req: &Req) -> Reply {
    let b = body(req)?;
    let src = str_field(&b, "sourceFilePath")?;
    let dest = normalize_folder(str_field(&b, "destinationPath")?);
    let include_versions = bool_field(&b, "includeFileVersions", false)?;
    let now = shared.now();
    let mut store = shared.store();
    let f = store.by_path(src).cloned().ok_or_else(|| not_found("No file found with filePath"))?;
    place_copy(&mut store, f, &dest, include_versions, now);
    Ok(empty(StatusCode::NO_CONTENT))
}

/// Copies `f` into `dest` (overwriting a file of the same name with a new
/// version).
fn place_copy(
    store: &mut Store,
    mut f: StoredFile,
    dest: &str,
    include_versions: bool,
    now: std::time::SystemTime,
) {
    store.ensure_folder(dest, now);
    let target = format!("{dest}{}", f.name);
    if !include_versions {
        let v = f.version().clone();
        f.versions = vec![v];
        f.current = 0;
    }
    for v in &mut f.versions {
        v.id = store.new_id();
    }
    if let Some(existing) = store.id_by_path(&target)
        && let Some(e) = store.files.get_mut(&existing)
    {
        e.versions.push(f.version().clone());
        e.current = e.versions.len() - 1;
        e.updated = now;
        return;
    }
    f.id = store.new_id();
    f.folder = dest.to_owned();
    f.created = now;
    f.updated = now;
    f.seq = store.seq();
    store.files.insert(f.id.clone(), f);
}

fn move_file(shared: &Arc<Shared>, req: &Req) -> Reply {
    let b = body(req)?;
    let src = str_field(&b, "sourceFilePath")?;
    let dest = normalize_folder(str_field(&b, "destinationPath")?);
    let now = shared.now();
    let mut store = shared.store();
    let id = store.id_by_path(src).ok_or_else(|| not_found("No file found with filePath"))?;
    let name = store.files.get(&id).map(|f| f.name.clone()).unwrap_or_default();
    if store.id_by_path(&format!("{dest}{name}")).is_some_and(|other| other != id) {
        return Err(error(
            StatusCode::CONFLICT,
            "A file with the same name already exists at the destination.",
        ));
    }
    store.ensure_folder(&dest, now);
    if let Some(f) = store.files.get_mut(&id) {
        f.folder = dest;
        f.updated = now;
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

fn rename_file(shared: &Arc<Shared>, req: &Req) -> Reply {
    let b = body(req)?;
    let path = str_field(&b, "filePath")?;
    let new_name = str_field(&b, "newFileName")?;
    if new_name.contains('/') {
        return Err(bad("newFileName cannot contain `/`"));
    }
    let purge = bool_field(&b, "purgeCache", false)?;
    let now = shared.now();
    let mut store = shared.store();
    let id = store.id_by_path(path).ok_or_else(|| not_found("No file found with filePath"))?;
    let folder = store.files.get(&id).map(|f| f.folder.clone()).unwrap_or_default();
    if store.id_by_path(&format!("{folder}{new_name}")).is_some() {
        return Err(error(
            StatusCode::CONFLICT,
            "File with the new name already exists in the same folder.",
        ));
    }
    if let Some(f) = store.files.get_mut(&id) {
        f.name = new_name.to_owned();
        f.updated = now;
    }
    if purge {
        let rid = store.new_id();
        let prefix = format!("/cdn{path}");
        store.cache.retain(|k, _| !k.contains(&prefix));
        store.purges.insert(rid.clone(), 0);
        return Ok(ok(&json!({"purgeRequestId": rid})));
    }
    Ok(ok(&json!({})))
}

fn bulk_tags(shared: &Arc<Shared>, req: &Req, op: &str) -> Reply {
    let b = body(req)?;
    let ids = str_list(&b, "fileIds")?;
    let tags = str_list(&b, if op == "removeAITags" { "AITags" } else { "tags" })?;
    let now = shared.now();
    let mut store = shared.store();
    let mut updated = Vec::new();
    let mut errors = Vec::new();
    for id in &ids {
        match store.files.get_mut(id.as_str()) {
            None => errors.push(json!({"fileId": id, "error": "The file does not exist"})),
            Some(f) => {
                match op {
                    "addTags" => {
                        for t in &tags {
                            if !f.tags.contains(t) {
                                f.tags.push(t.clone());
                            }
                        }
                    }
                    "removeTags" => f.tags.retain(|t| !tags.contains(t)),
                    _ => f.ai_tags.retain(|t| {
                        !t.get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| tags.iter().any(|x| x == n))
                    }),
                }
                f.updated = now;
                updated.push(id.clone());
            }
        }
    }
    if updated.is_empty() {
        return Ok(json_response(
            StatusCode::NOT_FOUND,
            &json!({"message": "The requested file(s) does not exist.", "help": super::HELP, "missingFileIds": ids}),
        ));
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::MULTI_STATUS };
    let mut out = json!({"successfullyUpdatedFileIds": updated});
    if !errors.is_empty() {
        out["errors"] = Value::Array(errors);
    }
    Ok(json_response(status, &out))
}

fn purge(shared: &Arc<Shared>, req: &Req) -> Reply {
    let b = body(req)?;
    let url = str_field(&b, "url")?;
    let endpoint = shared.url_endpoint();
    let rel = url
        .strip_prefix(endpoint.as_str())
        .ok_or_else(|| bad("The URL does not belong to one of your URL endpoints"))?;
    let (prefix, wildcard) = match rel.strip_suffix('*') {
        Some(p) => (p, true),
        None => (rel, false),
    };
    let key = format!("/cdn/{prefix}");
    let mut store = shared.store();
    store.cache.retain(|k, _| if wildcard { !k.starts_with(&key) } else { *k != key });
    let rid = store.new_id();
    store.purges.insert(rid.clone(), 0);
    Ok(json_response(StatusCode::CREATED, &json!({"requestId": rid})))
}

fn purge_status(shared: &Arc<Shared>, id: &str) -> Reply {
    let mut store = shared.store();
    let polls =
        store.purges.get_mut(id).ok_or_else(|| not_found("No purge request with this id"))?;
    *polls += 1;
    Ok(ok(&json!({"status": if *polls == 1 { "Pending" } else { "Completed" }})))
}

fn folder_job(shared: &Arc<Shared>, req: &Req, op: &str) -> Reply {
    let b = body(req)?;
    let now = shared.now();
    let mut store = shared.store();
    let (kind, purge) = match op {
        "copyFolder" | "moveFolder" => {
            let src = normalize_folder(str_field(&b, "sourceFolderPath")?);
            let dest = normalize_folder(str_field(&b, "destinationPath")?);
            if !store.folders.contains_key(&src) {
                return Err(not_found("No folder found with the requested sourceFolderPath."));
            }
            let name = src.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
            let target = format!("{dest}{name}/");
            let files: Vec<StoredFile> =
                store.files.values().filter(|f| f.folder.starts_with(&src)).cloned().collect();
            let include = bool_field(&b, "includeVersions", false)?;
            for f in files {
                let new_folder = format!("{target}{}", &f.folder[src.len()..]);
                if op == "moveFolder" {
                    if let Some(m) = store.files.get_mut(&f.id) {
                        m.folder = new_folder.clone();
                    }
                    store.ensure_folder(&new_folder, now);
                } else {
                    place_copy(&mut store, f, &new_folder, include, now);
                }
            }
            store.ensure_folder(&target, now);
            if op == "moveFolder" {
                store.folders.retain(|k, _| !k.starts_with(&src));
            }
            (if op == "copyFolder" { "COPY_FOLDER" } else { "MOVE_FOLDER" }, None)
        }
        _ => {
            let src = normalize_folder(str_field(&b, "folderPath")?);
            let new_name = str_field(&b, "newFolderName")?;
            if !store.folders.contains_key(&src) {
                return Err(not_found("No folder found with the requested folderPath."));
            }
            let (parent, _) = split_path(src.trim_end_matches('/'));
            let target = format!("{parent}{new_name}/");
            for f in store.files.values_mut().filter(|f| f.folder.starts_with(&src)) {
                f.folder = format!("{target}{}", &f.folder[src.len()..]);
            }
            let moved: Vec<String> =
                store.folders.keys().filter(|k| k.starts_with(&src)).cloned().collect();
            for k in moved {
                if let Some(v) = store.folders.remove(&k) {
                    store.folders.insert(format!("{target}{}", &k[src.len()..]), v);
                }
            }
            let purge = bool_field(&b, "purgeCache", false)?.then(|| store.new_id());
            if let Some(p) = &purge {
                store.purges.insert(p.clone(), 0);
            }
            ("RENAME_FOLDER", purge)
        }
    };
    let id = store.new_id();
    store.jobs.insert(id.clone(), JobRec { kind, polls: 0, purge_request_id: purge });
    Ok(ok(&json!({"jobId": id})))
}

fn create_field(shared: &Arc<Shared>, req: &Req) -> Reply {
    let b = body(req)?;
    let name = str_field(&b, "name")?.to_owned();
    let label = str_field(&b, "label")?.to_owned();
    let schema = b
        .get("schema")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("Missing parameter schema"))?;
    let kind = schema
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("Missing parameter schema.type"))?;
    if !matches!(
        kind,
        "Text" | "Textarea" | "Number" | "Date" | "Boolean" | "SingleSelect" | "MultiSelect"
    ) {
        return Err(bad("Invalid schema.type"));
    }
    if kind.ends_with("Select") && !schema.get("selectOptions").is_some_and(Value::is_array) {
        return Err(bad("selectOptions is required for select fields"));
    }
    let mut store = shared.store();
    if store.fields.iter().any(|f| !f.deleted && (f.name == name || f.label == label)) {
        return Err(bad("A custom metadata field with this name or label already exists"));
    }
    let id = store.new_id();
    let rec = FieldRec { id, name, label, schema: Value::Object(schema.clone()), deleted: false };
    let out = rec.json();
    store.fields.push(rec);
    Ok(json_response(StatusCode::CREATED, &out))
}

async fn metadata(bytes: Vec<u8>) -> Reply {
    let out = tokio::task::spawn_blocking(move || metadata_of(&bytes))
        .await
        .map_err(|_| bad("metadata failed"))?;
    out.map(|v| ok(&v)).ok_or_else(|| bad("The file is not an image"))
}

/// Metadata as ImageKit reports it; `pHash` is an average hash of an 8×8
/// grey thumbnail (a perceptual hash, though not ImageKit's exact one).
fn metadata_of(bytes: &[u8]) -> Option<Value> {
    use pixmize_core::codec::{self, DecodeOptions, Limits};
    let info = codec::probe(bytes, &Limits::default()).ok()?;
    let thumb = LocalProcessor::new()
        .process_sync(Job::new(bytes.to_vec(), "w-8,h-8,c-force,e-grayscale,f-png".parse().ok()?))
        .ok()?;
    let grey =
        codec::decode(&thumb.bytes, &DecodeOptions::default()).ok()?.image.to_luma8().into_raw();
    let mean = grey.iter().map(|p| u32::from(*p)).sum::<u32>() as f64 / grey.len().max(1) as f64;
    let hash = grey
        .iter()
        .take(64)
        .enumerate()
        .fold(0u64, |h, (i, p)| if f64::from(*p) > mean { h | (1 << (63 - i)) } else { h });
    let has_alpha = matches!(
        info.format,
        codec::ImageFormat::Png | codec::ImageFormat::Webp | codec::ImageFormat::Gif
    );
    let mut m = Map::new();
    m.insert("height".into(), json!(info.height));
    m.insert("width".into(), json!(info.width));
    m.insert("size".into(), json!(bytes.len()));
    m.insert("format".into(), json!(info.format.extension()));
    m.insert("hasColorProfile".into(), json!(false));
    m.insert("quality".into(), json!(0));
    m.insert("density".into(), json!(72));
    m.insert("hasTransparency".into(), json!(has_alpha));
    m.insert("pHash".into(), json!(format!("{hash:016x}")));
    m.insert("exif".into(), json!({}));
    Some(Value::Object(m))
}
