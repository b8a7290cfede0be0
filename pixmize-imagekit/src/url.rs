//! Delivery URLs: transformations in the path (`/tr:w-300/`) or the query
//! (`?tr=w-300`), extra query parameters in insertion order, and signed
//! URLs (`ik-s`, `ik-t`), built exactly as ImageKit's Node SDK v7 builds
//! them (`buildSrc` in `src/resources/helper.ts`) so that every one of its
//! signing vectors is reproduced byte for byte.
//!
//! How a URL is built:
//! 1. A relative `src` is joined to the URL endpoint's path (after the
//!    optional `tr:` segment), runs of `/` collapse into one, and the path
//!    is percent-encoded the way a browser's `URL` does (non-ASCII as UTF-8
//!    `%XX`, `?` and `#` escaped). An absolute `src` (`http(s)://…`) is
//!    parsed as is and always takes the transformation in the query.
//! 2. Extra query parameters are appended in insertion order,
//!    form-encoded; then `tr=…` comes last, with `,` and `:` left readable.
//! 3. The transformation text (in the path or the query) is put in its wire
//!    form before anything is signed: non-ASCII as UTF-8 `%XX`, the
//!    characters a URL parser would escape in that position (`"`, `<`, `>`
//!    everywhere; `'` in the query; `` ` ``, `{`, `}`, `^` and `\` in the
//!    path) as `%XX`, and a `%` that does not start a `%XX` as `%25`; an
//!    existing `%XX` is kept. So `l-text,i-Imagekité,l-end` is sent (and
//!    signed) as `l-text,i-Imagekit%C3%A9,l-end`.
//! 4. Signing: `ik-s = hex(HMAC-SHA1(private key, url − endpoint + expiry))`
//!    over that exact wire string, where expiry is `9999999999` for a URL
//!    that never expires (then `ik-t` is omitted) or `now + expires_in`.

use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use pixmize_core::Transformation;
use secrecy::{ExposeSecret as _, SecretString};
use sha1::Sha1;
use url::Url;

use crate::client::{ImageKit, base_url, unix_secs};
use crate::error::{Error, Result};
use crate::responsive::{ResponsiveImageAttributes, ResponsiveOptions};

/// The expiry ImageKit assumes when a signed URL has no `ik-t`.
pub const NO_EXPIRY: u64 = 9_999_999_999;

const PLACEHOLDER: &str = "PLEASEREPLACEJUSTBEFORESIGN";
const OP: &str = "url";

/// Where the transformation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TransformationPosition {
    /// `…/photo.jpg?tr=w-300` (the default of the current official SDKs).
    #[default]
    Query,
    /// `…/tr:w-300/photo.jpg` (the default of the older SDKs). An absolute
    /// `src` still gets the query form, as in the official SDKs.
    Path,
}

/// Everything a delivery URL is made of. Build one with
/// [`ImageKit::url`], or fill the fields and call [`ImageKit::url_with`].
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct UrlOptions {
    /// A path in the media library (`photos/cat.jpg`, leading `/` optional)
    /// or an absolute `http(s)://` URL.
    pub src: String,
    /// Overrides the client's URL endpoint.
    pub url_endpoint: Option<String>,
    /// The typed transformation, printed in pixmize-core's canonical form.
    pub transformation: Transformation,
    /// Raw transformation steps appended after `transformation`, verbatim
    /// (for parameters ImageKit added after this crate was written, or to
    /// keep a caller's parameter order).
    pub raw_transformation: Vec<String>,
    /// Path or query position.
    pub position: TransformationPosition,
    /// Extra query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Whether to sign the URL.
    pub signed: bool,
    /// Lifetime of a signed URL (whole seconds, at least 1). Setting it
    /// signs the URL, as in the official SDKs.
    pub expires_in: Option<Duration>,
}

impl UrlOptions {
    /// Options for `src` with no transformation, unsigned.
    #[must_use]
    pub fn new(src: impl Into<String>) -> UrlOptions {
        UrlOptions { src: src.into(), ..UrlOptions::default() }
    }

    /// The `tr` value: the typed transformation, then the raw steps,
    /// joined by `:`; `None` when there is nothing (never an empty `tr`).
    #[must_use]
    pub fn tr(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.transformation.is_empty() {
            parts.push(self.transformation.to_string());
        }
        parts.extend(
            self.raw_transformation
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        (!parts.is_empty()).then(|| parts.join(":"))
    }
}

/// A URL under construction; see [`ImageKit::url`].
#[derive(Debug, Clone)]
#[must_use]
pub struct UrlBuilder<'a> {
    client: &'a ImageKit,
    options: UrlOptions,
}

impl UrlBuilder<'_> {
    /// Sets the typed transformation.
    pub fn transformation(mut self, t: &Transformation) -> Self {
        self.options.transformation = t.clone();
        self
    }

    /// Appends a raw transformation step (`w-300,h-200`, or several steps
    /// joined by `:`). Empty strings are ignored.
    pub fn raw_transformation(mut self, tr: impl Into<String>) -> Self {
        self.options.raw_transformation.push(tr.into());
        self
    }

    /// Puts the transformation in the path or the query.
    pub fn position(mut self, position: TransformationPosition) -> Self {
        self.options.position = position;
        self
    }

    /// Appends a query parameter (order is kept).
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.query.push((key.into(), value.into()));
        self
    }

    /// Signs the URL with no expiry.
    pub fn signed(mut self, signed: bool) -> Self {
        self.options.signed = signed;
        self
    }

    /// Signs the URL, valid for `lifetime` from the client's clock.
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.options.expires_in = Some(lifetime);
        self
    }

    /// Uses another URL endpoint for this URL.
    pub fn url_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.options.url_endpoint = Some(endpoint.into());
        self
    }

    /// The options so far.
    #[must_use]
    pub fn options(&self) -> &UrlOptions {
        &self.options
    }

    /// Builds the URL.
    ///
    /// # Errors
    /// See [`ImageKit::url_with`].
    pub fn build(&self) -> Result<String> {
        self.client.url_with(&self.options)
    }

    /// Responsive `<img>` attributes for this URL, as the official SDKs'
    /// `getResponsiveImageAttributes`: every candidate URL is this one with
    /// a last step `w-<width>,c-at_max` (never upscaled), signed as this
    /// builder signs. See [`ResponsiveOptions`] for how widths are picked.
    ///
    /// ```
    /// use pixmize_imagekit::{ImageKit, ResponsiveOptions};
    /// let ik = ImageKit::builder().url_endpoint("https://ik.imagekit.io/demo").build()?;
    /// let img = ik.url("sample.jpg").responsive(&ResponsiveOptions::new().width(400))?;
    /// assert_eq!(img.src, "https://ik.imagekit.io/demo/sample.jpg?tr=w-828,c-at_max");
    /// assert_eq!(
    ///     img.src_set.as_deref(),
    ///     Some("https://ik.imagekit.io/demo/sample.jpg?tr=w-640,c-at_max 1x, \
    ///           https://ik.imagekit.io/demo/sample.jpg?tr=w-828,c-at_max 2x")
    /// );
    /// assert_eq!((img.sizes, img.width), (None, Some(400)));
    /// # Ok::<(), pixmize_imagekit::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`ImageKit::url_with`]; [`Error::InvalidArgument`] without
    /// device breakpoints or with a zero breakpoint.
    pub fn responsive(&self, options: &ResponsiveOptions) -> Result<ResponsiveImageAttributes> {
        crate::responsive::attributes(self.client, &self.options, options, self.client.now())
    }

    /// Builds the URL as if the clock showed `now` (for expiring URLs).
    ///
    /// # Errors
    /// See [`ImageKit::url_with`].
    pub fn build_at(&self, now: SystemTime) -> Result<String> {
        self.client.url_at(&self.options, now)
    }
}

impl ImageKit {
    /// Starts a delivery URL for `src`: a media library path or an
    /// absolute URL.
    ///
    /// ```
    /// use pixmize_imagekit::{ImageKit, TransformationPosition};
    /// let ik = ImageKit::builder()
    ///     .private_key("dummy-key")
    ///     .url_endpoint("https://ik.imagekit.io/demo/")
    ///     .build()?;
    /// let t: pixmize_core::Transformation = "w-300,h-200".parse().unwrap();
    /// let url = ik
    ///     .url("sdk-testing-files/future-search.png")
    ///     .transformation(&t)
    ///     .position(TransformationPosition::Path)
    ///     .query("version", "2.0")
    ///     .signed(true)
    ///     .build()?;
    /// assert_eq!(
    ///     url,
    ///     "https://ik.imagekit.io/demo/tr:w-300,h-200/sdk-testing-files/future-search.png\
    ///      ?version=2.0&ik-s=dd1ee8f83d019bc59fd57a5fc4674a11eb8a3496"
    /// );
    /// # Ok::<(), pixmize_imagekit::Error>(())
    /// ```
    pub fn url(&self, src: impl Into<String>) -> UrlBuilder<'_> {
        UrlBuilder { client: self, options: UrlOptions::new(src) }
    }

    /// Builds a URL from options, at the client clock's time.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty or unparsable `src`, a raw
    /// transformation that would break the URL, or an expiry under one
    /// second; [`Error::Config`] without a URL endpoint (needed for a
    /// relative `src` and for signing) or, when signing, without a private
    /// key.
    pub fn url_with(&self, options: &UrlOptions) -> Result<String> {
        self.url_at(options, self.now())
    }

    /// Builds a URL from options as if the clock showed `now`.
    ///
    /// # Errors
    /// As [`ImageKit::url_with`].
    pub fn url_at(&self, options: &UrlOptions, now: SystemTime) -> Result<String> {
        let endpoint = match &options.url_endpoint {
            Some(e) => Some(base_url(e).map_err(|()| {
                Error::invalid(OP, "the URL endpoint override is not an http(s) URL")
            })?),
            None => self.inner.url_endpoint.clone(),
        };
        let key = if options.signed || options.expires_in.is_some() {
            Some(
                self.inner
                    .private_key
                    .as_ref()
                    .ok_or(Error::Config("signing a URL needs the private key"))?,
            )
        } else {
            None
        };
        build(options, endpoint.as_ref(), key, now)
    }

    /// Signs an already built URL (for instance one stored in a database),
    /// exactly as [`ImageKit::url`] signs. The URL must not carry `ik-s` or
    /// `ik-t` yet.
    ///
    /// The URL is signed (and returned) in the form an HTTP client sends
    /// it: non-ASCII characters and the like are percent-encoded first.
    ///
    /// # Errors
    /// [`Error::Config`] without a URL endpoint or private key;
    /// [`Error::InvalidArgument`] for a URL that does not parse or is
    /// already signed.
    pub fn sign_url(&self, url: &str, expires_in: Option<Duration>) -> Result<String> {
        let endpoint = self
            .inner
            .url_endpoint
            .as_ref()
            .ok_or(Error::Config("signing a URL needs the URL endpoint"))?;
        let key = self.private_key(OP)?;
        let (base, fragment) = split_fragment(url);
        if has_param(base, "ik-s") || has_param(base, "ik-t") {
            return Err(Error::invalid(OP, "the URL is already signed"));
        }
        // Signed as sent: an HTTP client sends the parsed form, with
        // non-ASCII and the like percent-encoded.
        let parsed = Url::parse(base).map_err(|e| Error::invalid(OP, format!("bad URL: {e}")))?;
        let base = parsed.as_str();
        let expiry = expiry(expires_in, self.now())?;
        Ok(format!("{}{fragment}", append_signature(base, endpoint.as_str(), key, expiry)))
    }
}

impl ImageKit {
    /// Downloads a delivery URL (for instance a signed, transformed URL)
    /// with the client's timeout and retries; no credentials are sent.
    /// `accept` is sent as the `Accept` header (it picks the format of
    /// `f-auto`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a URL that is not `http(s)`;
    /// [`Error::Api`] for an error status (401 for a bad or expired
    /// signature); [`Error::Transport`].
    pub async fn fetch(&self, url: &str, accept: Option<&str>) -> Result<Vec<u8>> {
        const FETCH: &str = "fetch";
        let parsed = Url::parse(url).map_err(|e| Error::invalid(FETCH, format!("bad URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::invalid(FETCH, "the URL must be http(s)"));
        }
        let timeout = self.inner.timeout;
        let raw = self
            .execute(FETCH, crate::client::RetryMode::Idempotent, |_| {
                let mut rb = self
                    .inner
                    .http
                    .get(parsed.clone())
                    .header(http::header::USER_AGENT, crate::client::UA)
                    .timeout(timeout);
                if let Some(a) = accept {
                    rb = rb.header(http::header::ACCEPT, a);
                }
                std::future::ready(Ok(rb))
            })
            .await?;
        Ok(raw.body.to_vec())
    }
}

/// Builds the URL string.
pub(crate) fn build(
    o: &UrlOptions,
    endpoint: Option<&Url>,
    key: Option<&SecretString>,
    now: SystemTime,
) -> Result<String> {
    let src = o.src.trim();
    if src.is_empty() {
        return Err(Error::invalid(OP, "the source path is empty"));
    }
    let lower = src.get(..8).unwrap_or(src).to_ascii_lowercase();
    let absolute = lower.starts_with("http://") || lower.starts_with("https://");
    let in_query = absolute || o.position == TransformationPosition::Query;
    let tr = match o.tr() {
        Some(tr) => {
            check_raw_tr(&tr, in_query)?;
            // Signed as sent: a client would escape these characters itself.
            Some(encode_tr(&tr, in_query))
        }
        None => None,
    };

    let mut url = if absolute {
        let u = Url::parse(src).map_err(|e| Error::invalid(OP, format!("bad source URL: {e}")))?;
        if u.host_str().is_none_or(str::is_empty) {
            return Err(Error::invalid(OP, "the source URL has no host"));
        }
        u
    } else {
        let endpoint = endpoint.ok_or(Error::Config("a relative source needs the URL endpoint"))?;
        let mut u = endpoint.clone();
        let mut parts = vec![endpoint.path().to_owned()];
        if tr.is_some() && !in_query {
            parts.push(format!("tr:{PLACEHOLDER}"));
        }
        parts.push(src.to_owned());
        u.set_path(&collapse_slashes(&parts.join("/")));
        u
    };
    let fragment = url.fragment().map(|f| format!("#{f}"));
    url.set_fragment(None);
    if url.query() == Some("") {
        url.set_query(None);
    }
    if !o.query.is_empty() {
        // As WHATWG `searchParams.append`: the existing query is re-serialized.
        let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        pairs.extend(o.query.iter().cloned());
        url.set_query(None);
        url.query_pairs_mut().extend_pairs(&pairs);
    }
    let mut out = url.as_str().to_owned();
    if let Some(tr) = &tr {
        if in_query {
            let sep = if url.query().is_some_and(|q| !q.is_empty()) { '&' } else { '?' };
            out.push(sep);
            out.push_str("tr=");
            out.push_str(tr);
        } else {
            out = out.replacen(PLACEHOLDER, tr, 1);
        }
    }
    if let Some(key) = key {
        let endpoint = endpoint.ok_or(Error::Config("signing a URL needs the URL endpoint"))?;
        let expiry = expiry(o.expires_in, now)?;
        out = append_signature(&out, endpoint.as_str(), key, expiry);
    }
    if let Some(f) = fragment {
        out.push_str(&f);
    }
    Ok(out)
}

fn expiry(expires_in: Option<Duration>, now: SystemTime) -> Result<u64> {
    match expires_in {
        None => Ok(NO_EXPIRY),
        Some(d) if d.as_secs() == 0 => {
            Err(Error::invalid(OP, "a signed URL must live at least one second"))
        }
        Some(d) => Ok(unix_secs(now).saturating_add(d.as_secs())),
    }
}

/// Appends `ik-t`/`ik-s` to `url` (which has no fragment).
fn append_signature(url: &str, endpoint: &str, key: &SecretString, expiry: u64) -> String {
    let sig = url_signature(key.expose_secret(), url, endpoint, expiry);
    let has_query = url.split_once('?').is_some_and(|(_, q)| !q.is_empty());
    let sep = if has_query { '&' } else { '?' };
    let mut out = url.trim_end_matches('?').to_owned();
    if expiry == NO_EXPIRY {
        out.push_str(&format!("{sep}ik-s={sig}"));
    } else {
        out.push_str(&format!("{sep}ik-t={expiry}&ik-s={sig}"));
    }
    out
}

/// `hex(HMAC-SHA1(key, url with the first occurrence of the endpoint
/// removed + expiry))`, the `ik-s` value. `endpoint` ends in `/`.
#[must_use]
pub fn url_signature(private_key: &str, url: &str, endpoint: &str, expiry: u64) -> String {
    let mut endpoint = endpoint.to_owned();
    if !endpoint.ends_with('/') {
        endpoint.push('/');
    }
    let to_sign = format!("{}{expiry}", url.replacen(&endpoint, "", 1));
    hmac_sha1_hex(private_key.as_bytes(), to_sign.as_bytes())
}

/// Lowercase hex of HMAC-SHA1.
pub(crate) fn hmac_sha1_hex(key: &[u8], msg: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

/// Runs of `/` become one (the official SDKs' `pathJoin`).
fn collapse_slashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

fn check_raw_tr(tr: &str, in_query: bool) -> Result<()> {
    if let Some(c) =
        tr.chars().find(|c| c.is_whitespace() || c.is_control() || matches!(c, '#' | '&' | '?'))
    {
        return Err(Error::invalid(
            OP,
            format!(
                "the transformation contains {c:?}; URL-encode text (`%20`) or use `ie-` base64"
            ),
        ));
    }
    if !in_query && tr.contains('/') {
        return Err(Error::invalid(
            OP,
            "a transformation in the path cannot contain `/` (use `@@`)",
        ));
    }
    Ok(())
}

/// Characters a URL parser escapes in a special-scheme query, besides the
/// controls, spaces and `#` that [`check_raw_tr`] rejects.
const QUERY_ESCAPED: &[u8] = b"\"'<>";
/// Characters a URL parser escapes in a path, besides the controls, spaces,
/// `#` and `?` that [`check_raw_tr`] rejects (`^` since url 2.5.9), and
/// `\`, which it would read as `/`.
const PATH_ESCAPED: &[u8] = b"\"<>\\^`{}";

/// The wire form of a `tr` text: what an HTTP client sends for it, so that
/// the string signed is the string sent. Non-ASCII bytes and the
/// characters the URL parser would escape in that position become `%XX`,
/// a `%` that does not start a `%XX` becomes `%25`, an existing `%XX` is
/// kept, and everything else (`,`, `:`, `@`…) is left as is.
fn encode_tr(tr: &str, in_query: bool) -> String {
    let escaped = if in_query { QUERY_ESCAPED } else { PATH_ESCAPED };
    let bytes = tr.as_bytes();
    let mut out = String::with_capacity(tr.len());
    for (i, &b) in bytes.iter().enumerate() {
        let keep = if b == b'%' {
            bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        } else {
            b.is_ascii() && !escaped.contains(&b)
        };
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn split_fragment(url: &str) -> (&str, &str) {
    match url.find('#') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    }
}

fn has_param(url: &str, name: &str) -> bool {
    url.split_once('?')
        .is_some_and(|(_, q)| q.split('&').any(|p| p.split_once('=').map_or(p, |(k, _)| k) == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse() {
        assert_eq!(collapse_slashes("/demo///a//b/"), "/demo/a/b/");
        assert_eq!(collapse_slashes("/"), "/");
    }

    #[test]
    fn tr_wire_form() {
        // (input, in the query, in the path)
        const CASES: &[(&str, &str, &str)] = &[
            ("w-300,h-200:rt-90", "w-300,h-200:rt-90", "w-300,h-200:rt-90"),
            ("i-é", "i-%C3%A9", "i-%C3%A9"),
            (
                "i-Every%20thing,ie-YQ%3D%3D",
                "i-Every%20thing,ie-YQ%3D%3D",
                "i-Every%20thing,ie-YQ%3D%3D",
            ),
            ("i-100%,x-%4", "i-100%25,x-%254", "i-100%25,x-%254"),
            ("i-\"<a>\"", "i-%22%3Ca%3E%22", "i-%22%3Ca%3E%22"),
            ("i-{'`^|}", "i-{%27`^|}", "i-%7B'%60%5E|%7D"),
            ("i-a\\b", "i-a\\b", "i-a%5Cb"),
            ("i-@@,pg-2-4,$!*()[]", "i-@@,pg-2-4,$!*()[]", "i-@@,pg-2-4,$!*()[]"),
        ];
        for (input, query, path) in CASES {
            assert_eq!(encode_tr(input, true), *query, "{input} in the query");
            assert_eq!(encode_tr(input, false), *path, "{input} in the path");
            // Encoding is idempotent: the wire form stays as it is.
            assert_eq!(encode_tr(query, true), *query, "{input} twice");
            assert_eq!(encode_tr(path, false), *path, "{input} twice");
            // The URL parser (what an HTTP client sends) leaves it as is.
            let url = format!("https://ik.imagekit.io/demo/tr:{path}/a.png?tr={query}");
            assert_eq!(Url::parse(&url).unwrap().as_str(), url, "{input}");
        }
    }

    #[test]
    fn params() {
        assert!(has_param("https://x/a?ik-s=1", "ik-s"));
        assert!(has_param("https://x/a?v=1&ik-t=2", "ik-t"));
        assert!(!has_param("https://x/a?xik-s=1", "ik-s"));
        assert!(!has_param("https://x/ik-s", "ik-s"));
    }
}
