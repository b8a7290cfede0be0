//! `POST /api/v1/files/upload`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{FromRequest, Multipart};
use axum::response::Response;
use base64::Engine as _;
use bytes::Bytes;
use http::StatusCode;
use pixmize_core::{Job, LocalProcessor, Transformation};
use serde_json::{Map, Value, json};

use super::store::{StoredFile, Version};
use super::{BasicAuth, Req, Shared, basic_auth, error, json_response};
use crate::upload::{normalize_folder, sanitize_file_name};

const FIELDS: &[&str] = &[
    "file",
    "fileName",
    "useUniqueFileName",
    "tags",
    "folder",
    "isPrivateFile",
    "isPublished",
    "customCoordinates",
    "responseFields",
    "extensions",
    "webhookUrl",
    "overwriteFile",
    "overwriteAITags",
    "overwriteTags",
    "overwriteCustomMetadata",
    "customMetadata",
    "transformation",
    "checks",
    "description",
    "publicKey",
    "signature",
    "expire",
    "token",
];

const RESPONSE_FIELDS: &[&str] = &[
    "tags",
    "customCoordinates",
    "isPrivateFile",
    "embeddedMetadata",
    "isPublished",
    "customMetadata",
    "metadata",
    "selectedFieldsSchema",
];

type Reply = Result<Response, Response>;

fn bad(msg: impl AsRef<str>) -> Response {
    error(StatusCode::BAD_REQUEST, msg.as_ref())
}

pub(super) async fn handle(shared: &Arc<Shared>, req: Req) -> Response {
    match run(shared, req).await {
        Ok(r) | Err(r) => r,
    }
}

async fn run(shared: &Arc<Shared>, req: Req) -> Reply {
    if req.method != http::Method::POST {
        return Err(error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"));
    }
    let auth = basic_auth(shared, &req.headers);
    let (text, file) = read_form(&req).await?;
    if req.path == "/api/v2/files/upload" {
        if !matches!(auth, BasicAuth::Missing) {
            return Err(bad("Your request contains both a token and basic auth"));
        }
        check_v2_token(shared, &text)?;
    } else {
        check_v1_auth(shared, &auth, &text)?;
    }
    upload(shared, text, file).await
}

fn check_v1_auth(
    shared: &Shared,
    auth: &BasicAuth,
    text: &BTreeMap<String, String>,
) -> Result<(), Response> {
    let client_auth =
        ["signature", "token", "expire", "publicKey"].iter().any(|k| text.contains_key(*k));
    match (auth, client_auth) {
        (BasicAuth::Missing, false) => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "Your request does not contain private API key.",
            ));
        }
        (BasicAuth::Valid | BasicAuth::Invalid, true) => {
            return Err(bad("Your request contains both signature and basic auth parameter"));
        }
        (BasicAuth::Invalid, false) => {
            return Err(error(StatusCode::FORBIDDEN, "Your account cannot be authenticated."));
        }
        (BasicAuth::Missing, true) => check_client_auth(shared, text)?,
        (BasicAuth::Valid, false) => {}
    }
    Ok(())
}

/// Upload API V2: `token` is an HS256 JWT by the private key, `kid` = the
/// public key, whose payload holds every other field as a string plus
/// `iat` and `exp` (at most one hour apart).
fn check_v2_token(shared: &Shared, text: &BTreeMap<String, String>) -> Result<(), Response> {
    use hmac::{Hmac, Mac};
    let token =
        text.get("token").ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Missing token"))?;
    let invalid = || error(StatusCode::UNAUTHORIZED, "Invalid token");
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, sig] = parts.as_slice() else { return Err(invalid()) };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: Value =
        serde_json::from_slice(&b64.decode(h).map_err(|_| invalid())?).map_err(|_| invalid())?;
    if header["alg"] != "HS256" || header["kid"] != shared.public_key.as_str() {
        return Err(invalid());
    }
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(shared.private_key.as_bytes())
        .map_err(|_| invalid())?;
    mac.update(format!("{h}.{p}").as_bytes());
    mac.verify_slice(&b64.decode(sig).map_err(|_| invalid())?).map_err(|_| invalid())?;
    let payload: Map<String, Value> =
        serde_json::from_slice(&b64.decode(p).map_err(|_| invalid())?).map_err(|_| invalid())?;
    let (iat, exp) =
        (payload.get("iat").and_then(Value::as_u64), payload.get("exp").and_then(Value::as_u64));
    let (Some(iat), Some(exp)) = (iat, exp) else {
        return Err(bad("The token needs integer iat and exp"));
    };
    if exp <= iat || exp - iat > 3600 {
        return Err(bad("The token must expire within one hour of iat"));
    }
    if exp <= crate::client::unix_secs(shared.now()) {
        return Err(error(StatusCode::UNAUTHORIZED, "The token has expired"));
    }
    let claimed: BTreeMap<&str, &str> = payload
        .iter()
        .filter(|(k, _)| *k != "iat" && *k != "exp")
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("\u{0}")))
        .collect();
    let sent: BTreeMap<&str, &str> =
        text.iter().filter(|(k, _)| *k != "token").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if claimed != sent {
        return Err(bad("The upload fields do not match the token"));
    }
    Ok(())
}

async fn upload(
    shared: &Arc<Shared>,
    text: BTreeMap<String, String>,
    file: Option<FilePart>,
) -> Reply {
    let bool_field = |k: &str, default: bool| -> Result<bool, Response> {
        match text.get(k).map(String::as_str) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => {
                Err(bad(format!("Invalid value for {k}. It should be either true or false.")))
            }
        }
    };
    let use_unique = bool_field("useUniqueFileName", true)?;
    let is_private = bool_field("isPrivateFile", false)?;
    let is_published = bool_field("isPublished", true)?;
    let overwrite_file = bool_field("overwriteFile", true)?;
    let overwrite_tags = bool_field("overwriteTags", true)?;
    let overwrite_ai_tags = bool_field("overwriteAITags", true)?;
    let overwrite_cm = bool_field("overwriteCustomMetadata", true)?;

    let file_name = text.get("fileName").map(|s| s.trim().to_owned()).unwrap_or_default();
    if file_name.is_empty() {
        return Err(bad("Missing fileName parameter for upload"));
    }
    let Some(file) = file else { return Err(bad("Missing file parameter for upload")) };

    let tags: Vec<String> = match text.get("tags") {
        None => Vec::new(),
        Some(t) => {
            if t.len() > 500 || t.contains('%') {
                return Err(bad("Invalid tags: at most 500 characters, and `%` is not allowed."));
            }
            t.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
        }
    };
    let folder = normalize_folder(text.get("folder").map_or("/", String::as_str));
    if folder.split('/').filter(|s| !s.is_empty()).count() > 50 {
        return Err(bad("Folders can be nested at most 50 levels"));
    }
    let custom_coordinates = match text.get("customCoordinates") {
        None => None,
        Some(c)
            if c.split(',').count() == 4
                && c.split(',').all(|p| p.trim().parse::<f64>().is_ok()) =>
        {
            Some(c.clone())
        }
        Some(_) => {
            return Err(bad(
                "Invalid customCoordinates. It should be in the format x,y,width,height.",
            ));
        }
    };
    let response_fields: Vec<String> = match text.get("responseFields") {
        None => Vec::new(),
        Some(r) => {
            let list: Vec<String> =
                r.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
            if let Some(badf) = list.iter().find(|f| !RESPONSE_FIELDS.contains(&f.as_str())) {
                return Err(bad(format!("Invalid responseFields value `{badf}`")));
            }
            list
        }
    };
    let extensions: Vec<Value> = match text.get("extensions") {
        None => Vec::new(),
        Some(e) => match serde_json::from_str::<Value>(e) {
            Ok(Value::Array(a))
                if a.iter().all(|x| x.get("name").and_then(Value::as_str).is_some()) =>
            {
                a
            }
            _ => {
                return Err(bad(
                    "Invalid extensions parameter. It should be a JSON array of extensions.",
                ));
            }
        },
    };
    if let Some(u) = text.get("webhookUrl")
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        return Err(bad("Invalid webhookUrl"));
    }
    let custom_metadata: Option<Map<String, Value>> = match text.get("customMetadata") {
        None => None,
        Some(c) => match serde_json::from_str::<Value>(c) {
            Ok(Value::Object(m)) => Some(m),
            _ => return Err(bad("Invalid customMetadata. It should be a JSON object.")),
        },
    };
    if let Some(m) = &custom_metadata {
        let store = shared.store();
        if let Some(k) = m.keys().find(|k| !store.field_exists(k)) {
            return Err(bad(format!("Custom metadata field `{k}` does not exist")));
        }
    }
    let pre: Option<Transformation> = match text.get("transformation") {
        None => None,
        Some(t) => {
            let v: Value = serde_json::from_str(t)
                .map_err(|_| bad("Invalid transformation parameter. It should be JSON."))?;
            if let Some(post) = v.get("post") {
                let ok = post.as_array().is_some_and(|a| {
                    a.iter().all(|p| {
                        matches!(
                            p.get("type").and_then(Value::as_str),
                            Some("transformation" | "gif-to-video" | "thumbnail" | "abs")
                        )
                    })
                });
                if !ok {
                    return Err(bad("Invalid post transformation"));
                }
            }
            match v.get("pre").and_then(Value::as_str) {
                None => None,
                Some(p) => {
                    Some(p.parse().map_err(|e| bad(format!("Invalid pre transformation: {e}")))?)
                }
            }
        }
    };

    // The file itself.
    let mut bytes: Bytes = match file {
        FilePart::Binary(b) => b,
        FilePart::Text(t) => file_from_text(shared, &t).await?,
    };
    if bytes.is_empty() {
        return Err(bad("The file is empty"));
    }
    if bytes.len() > shared.max_upload_bytes {
        return Err(bad(super::UPLOAD_TOO_LARGE));
    }
    if let Some(t) = pre {
        let stripped = super::cdn::strip_cloud_only(&t).0;
        let input = bytes.to_vec();
        let out = tokio::task::spawn_blocking(move || {
            LocalProcessor::new().process_sync(Job::new(input, stripped))
        })
        .await
        .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "pre-transformation failed"))?
        .map_err(|e| bad(format!("Pre-transformation failed: {e}")))?;
        bytes = Bytes::from(out.bytes);
    }

    // Naming and storing.
    let mut name = sanitize_file_name(&file_name);
    let now = shared.now();
    let endpoint = shared.url_endpoint();
    let mut store = shared.store();
    if use_unique {
        let suffix: String = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        name = match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => format!("{stem}_{suffix}.{ext}"),
            _ => format!("{name}_{suffix}"),
        };
    }
    let path = format!("{folder}{name}");
    let ext_status: Map<String, Value> = extensions
        .iter()
        .filter_map(|e| e.get("name").and_then(Value::as_str))
        .map(|n| (n.to_owned(), json!("success")))
        .collect();
    store.ensure_folder(&folder, now);
    let existing = store.id_by_path(&path);
    let id = match existing {
        Some(id) => {
            if !overwrite_file {
                return Err(bad(
                    "A file with the same name already exists at the exact location. We could not overwrite it because both overwriteFile and useUniqueFileName are set to false.",
                ));
            }
            let vid = store.new_id();
            let f = store.files.get_mut(&id).ok_or_else(|| bad("file vanished"))?;
            f.versions.push(Version::new(vid, name, bytes, now));
            f.current = f.versions.len() - 1;
            if overwrite_tags || !tags.is_empty() {
                f.tags = tags;
            }
            if overwrite_ai_tags {
                f.ai_tags.clear();
            }
            if let Some(m) = custom_metadata {
                if overwrite_cm {
                    f.custom_metadata = m;
                } else {
                    f.custom_metadata.extend(m);
                }
            } else if overwrite_cm {
                f.custom_metadata.clear();
            }
            f.is_private = is_private;
            f.is_published = is_published;
            f.custom_coordinates = custom_coordinates;
            if let Some(d) = text.get("description") {
                f.description = Some(d.clone());
            }
            f.extension_status = ext_status;
            f.updated = now;
            id
        }
        None => {
            let id = store.new_id();
            let vid = store.new_id();
            let seq = store.seq();
            let f = StoredFile {
                id: id.clone(),
                name: name.clone(),
                folder: folder.clone(),
                versions: vec![Version::new(vid, name, bytes, now)],
                current: 0,
                tags,
                ai_tags: Vec::new(),
                is_private,
                is_published,
                custom_coordinates,
                custom_metadata: custom_metadata.unwrap_or_default(),
                description: text.get("description").cloned(),
                extension_status: ext_status,
                created: now,
                updated: now,
                seq,
            };
            store.files.insert(id.clone(), f);
            id
        }
    };
    let f = store.files.get(&id).ok_or_else(|| bad("file vanished"))?;
    let d = f.details(&endpoint, None);
    let v = f.version();
    let mut out = json!({
        "fileId": f.id,
        "name": f.name,
        "filePath": f.path(),
        "url": d["url"],
        "thumbnailUrl": d["thumbnail"],
        "height": v.height,
        "width": v.width,
        "size": v.bytes.len(),
        "fileType": d["fileType"],
        "versionInfo": d["versionInfo"],
        "AITags": Value::Null,
    });
    if let Some(o) = out.as_object_mut() {
        for rf in &response_fields {
            let value = match rf.as_str() {
                "tags" => d["tags"].clone(),
                "customCoordinates" => d["customCoordinates"].clone(),
                "isPrivateFile" => d["isPrivateFile"].clone(),
                "isPublished" => d["isPublished"].clone(),
                "customMetadata" => d["customMetadata"].clone(),
                "embeddedMetadata" => json!({}),
                "metadata" => json!({"height": v.height, "width": v.width, "size": v.bytes.len(),
                    "format": v.format_name(), "hasTransparency": v.has_alpha}),
                _ => json!({}),
            };
            o.insert(rf.clone(), value);
        }
        if !f.extension_status.is_empty() {
            o.insert("extensionStatus".into(), Value::Object(f.extension_status.clone()));
        }
        if let Some(desc) = &f.description {
            o.insert("description".into(), json!(desc));
        }
    }
    Ok(json_response(StatusCode::OK, &out))
}

enum FilePart {
    Binary(Bytes),
    Text(String),
}

async fn read_form(req: &Req) -> Result<(BTreeMap<String, String>, Option<FilePart>), Response> {
    let ct =
        req.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("multipart/form-data") {
        return Err(bad("The request must be multipart/form-data"));
    }
    let mut r = axum::extract::Request::new(axum::body::Body::from(req.body.clone()));
    *r.extensions_mut() = req.extensions.clone();
    if let Ok(v) = http::HeaderValue::from_str(ct) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    let mut mp =
        Multipart::from_request(r, &()).await.map_err(|_| bad("Malformed multipart body"))?;
    let mut text = BTreeMap::new();
    let mut file = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(bad("Malformed multipart body")),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if !FIELDS.contains(&name.as_str()) {
            return Err(bad(format!(
                "Unknown upload parameter `{name}` (the emulator refuses unknown fields)"
            )));
        }
        if name == "file" {
            if file.is_some() {
                return Err(bad("`file` is given twice"));
            }
            let binary = field.file_name().is_some();
            let data = field.bytes().await.map_err(|_| bad("Malformed multipart body"))?;
            file = Some(if binary {
                FilePart::Binary(data)
            } else {
                FilePart::Text(
                    String::from_utf8(data.to_vec()).map_err(|_| bad("Invalid file parameter"))?,
                )
            });
        } else {
            let value = field.text().await.map_err(|_| bad("Malformed multipart body"))?;
            if text.insert(name.clone(), value).is_some() {
                return Err(bad(format!("`{name}` is given twice")));
            }
        }
    }
    Ok((text, file))
}

fn check_client_auth(shared: &Shared, text: &BTreeMap<String, String>) -> Result<(), Response> {
    let get = |k: &str| text.get(k).map(String::as_str).unwrap_or_default();
    let (public_key, signature, expire, token) =
        (get("publicKey"), get("signature"), get("expire"), get("token"));
    if public_key.is_empty() || signature.is_empty() || expire.is_empty() || token.is_empty() {
        return Err(bad("Missing publicKey, signature, expire or token for client-side upload"));
    }
    if public_key != shared.public_key {
        return Err(error(StatusCode::FORBIDDEN, "Your account cannot be authenticated."));
    }
    let now = crate::client::unix_secs(shared.now());
    let exp: u64 = expire.parse().map_err(|_| bad("The expire parameter is invalid"))?;
    if exp <= now {
        return Err(bad("The expire parameter has expired"));
    }
    if exp > now + 3600 {
        return Err(bad("The expire parameter must be less than 1 hour into the future"));
    }
    let mut store = shared.store();
    if !store.used_tokens.insert(token.to_owned()) {
        return Err(bad("The token has been used before"));
    }
    let expected = crate::url::hmac_sha1_hex(
        shared.private_key.as_bytes(),
        format!("{token}{expire}").as_bytes(),
    );
    use subtle::ConstantTimeEq as _;
    if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        return Err(bad("Invalid signature"));
    }
    Ok(())
}

async fn file_from_text(shared: &Shared, t: &str) -> Result<Bytes, Response> {
    let t = t.trim();
    if t.starts_with("http://") || t.starts_with("https://") {
        let resp = shared
            .http
            .get(t)
            .send()
            .await
            .map_err(|_| bad("Failed to fetch the file from the URL"))?;
        if !resp.status().is_success() {
            return Err(bad("Failed to fetch the file from the URL"));
        }
        return resp.bytes().await.map_err(|_| bad("Failed to fetch the file from the URL"));
    }
    let data = match t.strip_prefix("data:") {
        Some(rest) => {
            rest.split_once(";base64,").map(|(_, d)| d).ok_or_else(|| bad("Invalid data URI"))?
        }
        None => t,
    };
    let clean: String = data.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map(Bytes::from)
        .map_err(|_| bad("Invalid file parameter: not a URL and not base64"))
}
