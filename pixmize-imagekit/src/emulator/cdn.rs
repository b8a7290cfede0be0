//! Delivery: `GET /cdn/[tr:…/]path[?tr=…][&ik-t=…&ik-s=…]`.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode};
use percent_encoding::percent_decode_str;
use pixmize_core::codec::{self, ImageFormat};
use pixmize_core::transform::{Focus, Params, Size, Step};
use pixmize_core::{Job, LocalProcessor, Transformation};
use subtle::ConstantTimeEq as _;

use super::{Req, Shared, error};
use crate::url::{NO_EXPIRY, url_signature};

/// Removes what only ImageKit can run; returns the rest and the keys
/// dropped. ML focus becomes the default (centre) focus, so the geometry
/// is kept.
pub(crate) fn strip_cloud_only(t: &Transformation) -> (Transformation, Vec<&'static str>) {
    let dropped: Vec<&'static str> = t.cloud_only().iter().map(|c| c.key).collect();
    let steps = t.steps().iter().filter_map(strip_step).collect();
    (steps, dropped)
}

fn strip_step(step: &Step) -> Option<Step> {
    match step {
        Step::Params(p) => {
            let p = strip_params(p);
            (!p.is_empty()).then_some(Step::Params(p))
        }
        Step::If(c) => {
            let then = strip_transformation(c.then());
            let mut out = pixmize_core::transform::Conditional::new(c.condition().clone(), then)?;
            if let Some(e) = c.otherwise() {
                out = out.with_else(strip_transformation(e))?;
            }
            Some(Step::If(out))
        }
        other => Some(other.clone()),
    }
}

fn strip_transformation(t: &Transformation) -> Transformation {
    t.steps().iter().filter_map(strip_step).collect()
}

fn strip_params(p: &Params) -> Params {
    let mut p = p.clone();
    p.bg_remove = false;
    p.remove_dot_bg = false;
    p.upscale = false;
    p.retouch = false;
    p.gen_variation = false;
    p.drop_shadow = None;
    p.change_bg = None;
    p.edit = None;
    if matches!(p.background, Some(pixmize_core::transform::Background::GenFill(_))) {
        p.background = None;
    }
    if p.focus.as_ref().is_some_and(Focus::is_cloud_only) {
        p.focus = None;
    }
    p.named = None;
    p.default_image = None;
    p.content_credentials = None;
    p.color_replace = None;
    p.colorize = None;
    p.distort = None;
    p.page = None;
    if matches!(p.width, Some(Size::Auto)) {
        p.width = None;
    }
    if matches!(p.height, Some(Size::Auto)) {
        p.height = None;
    }
    if matches!(p.dpr, Some(pixmize_core::transform::Dpr::Auto)) {
        p.dpr = None;
    }
    p.layers.clear();
    p
}

pub(super) async fn handle(shared: &Arc<Shared>, req: Req) -> Response {
    if req.method != http::Method::GET && req.method != http::Method::HEAD {
        return error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
    }
    // The path after the endpoint, as sent (percent-encoded).
    let rel = req.path.strip_prefix("/cdn/").unwrap_or_default().to_owned();
    // Query pairs as sent, in order; the signature covers them verbatim.
    let raw_pairs: Vec<&str> = req
        .query
        .as_deref()
        .map(|q| q.split('&').filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    let mut sig = None;
    let mut expiry = None;
    let mut kept = Vec::new();
    let mut query_tr = None;
    let mut attachment = false;
    for pair in &raw_pairs {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "ik-s" => sig = Some(v.to_owned()),
            "ik-t" => expiry = Some(v.to_owned()),
            _ => {
                if k == "tr" {
                    query_tr = Some(v.to_owned());
                }
                if k == "ik-attachment" && v == "true" {
                    attachment = true;
                }
                kept.push(*pair);
            }
        }
    }
    let mut signed = false;
    if let Some(sig) = &sig {
        let exp: u64 = match expiry.as_deref().map(str::parse) {
            None => NO_EXPIRY,
            Some(Ok(e)) => e,
            Some(Err(_)) => return error(StatusCode::UNAUTHORIZED, "Invalid signature"),
        };
        let mut url = format!("{}{rel}", shared.url_endpoint());
        if !kept.is_empty() {
            url.push('?');
            url.push_str(&kept.join("&"));
        }
        let expected = url_signature(&shared.private_key, &url, &shared.url_endpoint(), exp);
        if !bool::from(expected.as_bytes().ct_eq(sig.as_bytes())) {
            return error(StatusCode::UNAUTHORIZED, "Invalid signature");
        }
        if exp < crate::client::unix_secs(shared.now()) {
            return error(StatusCode::UNAUTHORIZED, "The signed URL has expired");
        }
        signed = true;
    } else if expiry.is_some() {
        return error(StatusCode::UNAUTHORIZED, "Missing signature");
    }

    // Cache (as a CDN: keyed by the URL, survives deletes until purged).
    let cache_key = match &req.query {
        Some(q) => format!("{}?{q}", req.path),
        None => req.path.clone(),
    };
    if let Some((body, ct)) = shared.store().cache.get(&cache_key).cloned() {
        return deliver(body.to_vec(), &ct, attachment, &[], "HIT");
    }

    // `tr:` path segment, then the file path.
    let (path_tr, file_rel) = match rel.split_once('/') {
        Some((first, rest)) if first.starts_with("tr:") => {
            (Some(first[3..].to_owned()), rest.to_owned())
        }
        _ => (None, rel.clone()),
    };
    let file_path = format!("/{}", percent_decode_str(&file_rel).decode_utf8_lossy());
    let (bytes, is_private, published) = {
        let store = shared.store();
        match store.by_path(&file_path) {
            Some(f) => (f.version().bytes.clone(), f.is_private, f.is_published),
            None => return error(StatusCode::NOT_FOUND, "File not found"),
        }
    };
    if !published {
        return error(StatusCode::NOT_FOUND, "File not found");
    }
    if is_private && !signed {
        return error(StatusCode::UNAUTHORIZED, "This file is private: a signed URL is required");
    }

    let mut chain = Vec::new();
    for tr in [path_tr, query_tr].into_iter().flatten() {
        match parse_tr(&tr) {
            Ok(t) => chain.extend(t.into_steps()),
            Err(e) => {
                return error(StatusCode::BAD_REQUEST, &format!("Invalid transformation: {e}"));
            }
        }
    }
    let t: Transformation = match expand_named(shared, chain) {
        Ok(steps) => steps.into_iter().collect(),
        Err(name) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Named transformation `{name}` does not exist"),
            );
        }
    };
    let is_original =
        t.steps().iter().any(|s| s.params().is_some_and(|p| p.original == Some(true)));
    let format = codec::detect(&bytes);
    let (body, content_type, dropped) = if t.is_empty() || is_original || format.is_none() {
        let ct = format.map_or("application/octet-stream", ImageFormat::mime_type).to_owned();
        (bytes.to_vec(), ct, Vec::new())
    } else {
        let (stripped, dropped) = strip_cloud_only(&t);
        let accept = req
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map(codec::accepted_formats)
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| vec![ImageFormat::Jpeg, ImageFormat::Png]);
        let input = bytes.to_vec();
        let job = Job::new(input, stripped).accept(accept);
        let out =
            tokio::task::spawn_blocking(move || LocalProcessor::new().process_sync(job)).await;
        match out {
            Ok(Ok(p)) => (p.bytes, p.format.mime_type().to_owned(), dropped),
            Ok(Err(e)) => {
                return error(StatusCode::BAD_REQUEST, &format!("Transformation failed: {e}"));
            }
            Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "Transformation failed"),
        }
    };
    {
        let mut store = shared.store();
        store.usage_bandwidth += body.len() as u64;
        store.cache.insert(cache_key, (body.clone().into(), content_type.clone()));
    }
    deliver(body, &content_type, attachment, &dropped, "MISS")
}

/// Replaces `n-<name>` by the named transformation's steps (first), then
/// the rest of that step.
fn expand_named(shared: &Shared, chain: Vec<Step>) -> Result<Vec<Step>, String> {
    let mut out = Vec::new();
    for step in chain {
        let Some(name) =
            step.params().and_then(|p| p.named.as_ref()).map(|n| n.as_str().to_owned())
        else {
            out.push(step);
            continue;
        };
        let tr = shared.store().named_transformation(&name).ok_or_else(|| name.clone())?;
        let tr = tr.strip_prefix("tr:").unwrap_or(&tr).to_owned();
        let named: Transformation = tr.parse().map_err(|_| name.clone())?;
        out.extend(named.into_steps());
        if let Step::Params(p) = step {
            let mut rest = p;
            rest.named = None;
            if !rest.is_empty() {
                out.push(Step::Params(rest));
            }
        }
    }
    Ok(out)
}

/// Parses a `tr` value as sent; retries percent-decoded (some SDKs encode
/// `,` and `:`).
fn parse_tr(tr: &str) -> Result<Transformation, pixmize_core::ParseError> {
    match tr.parse::<Transformation>() {
        Ok(t) => Ok(t),
        Err(e) => {
            let decoded = percent_decode_str(tr).decode_utf8_lossy();
            if decoded != tr { decoded.parse() } else { Err(e) }
        }
    }
}

fn deliver(
    body: Vec<u8>,
    content_type: &str,
    attachment: bool,
    dropped: &[&str],
    cache: &'static str,
) -> Response {
    let len = body.len();
    let mut r = Response::new(Body::from(body));
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(http::header::CONTENT_TYPE, v);
    }
    h.insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert("x-emulator-cache", HeaderValue::from_static(cache));
    if attachment {
        h.insert(http::header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    if !dropped.is_empty()
        && let Ok(v) = HeaderValue::from_str(&dropped.join(","))
    {
        h.insert("x-emulator-dropped", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_ai_and_keeps_geometry() {
        let cases = [
            ("w-300,h-200,e-bgremove", "w-300,h-200", vec!["e-bgremove"]),
            ("w-300,h-200,fo-face", "w-300,h-200", vec!["fo"]),
            ("w-300,fo-top", "w-300,fo-top", vec![]),
            ("e-upscale:w-100", "w-100", vec!["e-upscale"]),
            ("w-100,l-text,i-Hi,l-end", "w-100", vec!["l"]),
        ];
        for (input, want, keys) in cases {
            let t: Transformation = input.parse().unwrap();
            let (s, dropped) = strip_cloud_only(&t);
            assert_eq!(s.to_string(), want, "{input}");
            assert_eq!(dropped, keys, "{input}");
        }
    }
}
