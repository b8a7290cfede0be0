//! Finding the session token in a request, the way Clerk's backend SDK does
//! (`authenticateContext.ts` and `request.ts` in `@clerk/backend`):
//! the `Authorization` header first, then the `__session` cookie.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};
use sha1::{Digest as _, Sha1};

use crate::error::VerifyError;

/// The name of Clerk's session cookie. Multi-app setups add a suffix:
/// `__session_<suffix>` (see [`cookie_suffix`]).
pub const SESSION_COOKIE: &str = "__session";

/// The `cat` header value of a session token.
pub(crate) const CAT_SESSION: &str = "cl_B7d4PD111AAA";
/// The `cat` header value Clerk uses for "no category check".
pub(crate) const CAT_IGNORE: &str = "cl_I7d4PD111III";

/// Opaque machine-token prefixes (M2M, OAuth access token, API key) from
/// `tokens/machine.ts` in `@clerk/backend`.
const MACHINE_TOKEN_PREFIXES: [&str; 3] = ["mt_", "oat_", "ak_"];

/// Where a session token was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenCarrier {
    /// The `Authorization` header (cross-origin requests).
    Header,
    /// The `__session` cookie (same-origin requests).
    Cookie,
}

impl TokenCarrier {
    /// `"header"` or `"cookie"`, as Clerk prints it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Cookie => "cookie",
        }
    }
}

impl fmt::Display for TokenCarrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A session token taken from a request, not yet verified.
///
/// Its `Debug` output hides the token: a bearer token is a credential.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    value: String,
    carrier: TokenCarrier,
}

impl SessionToken {
    /// Wraps a token found elsewhere (a WebSocket message, a query string).
    #[must_use]
    pub fn new(value: impl Into<String>, carrier: TokenCarrier) -> Self {
        Self { value: value.into(), carrier }
    }

    /// The compact JWT.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Where the token was found.
    #[must_use]
    pub fn carrier(&self) -> TokenCarrier {
        self.carrier
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("value", &"<redacted>")
            .field("carrier", &self.carrier)
            .finish()
    }
}

/// Finds the session token in request headers.
///
/// Order, as in Clerk's `authenticateRequest`:
/// 1. `Authorization`: `Bearer <token>` (scheme case-insensitive), or a
///    bare value without a space, which is taken as the token. Any other
///    scheme (`Basic …`) counts as no header token.
/// 2. Only when the header has no token: the session cookie. With a suffix
///    configured, `__session_<suffix>` is preferred and `__session` is the
///    fallback; without one, `__session` is used, else the only
///    `__session_*` cookie if there is exactly one.
///
/// Machine tokens (`mt_`, `oat_`, `ak_` prefixes, OAuth JWTs with
/// `typ: at+jwt`) and JWTs whose `cat` header is not the session category
/// are rejected with [`VerifyError::TokenTypeMismatch`]; a cookie never
/// carries a machine token either. The header peek used for this is not a
/// verification: always pass the token to
/// [`SessionVerifier`](crate::SessionVerifier).
///
/// ```
/// use http::HeaderMap;
/// use pixmize_auth::{TokenCarrier, TokenExtractor};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("cookie", "theme=dark; __session=eyJ.a.b".parse()?);
/// let token = TokenExtractor::new().extract(&headers)?;
/// assert_eq!(token.carrier(), TokenCarrier::Cookie);
/// assert_eq!(token.as_str(), "eyJ.a.b");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenExtractor {
    cookie_suffix: Option<String>,
}

impl TokenExtractor {
    /// An extractor for `__session` (and a single suffixed session cookie).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An extractor that prefers `__session_<suffix>`.
    #[must_use]
    pub fn with_cookie_suffix(suffix: impl Into<String>) -> Self {
        Self { cookie_suffix: Some(suffix.into()) }
    }

    /// An extractor that prefers the suffixed cookie Clerk sets for this
    /// publishable key (see [`cookie_suffix`]).
    #[must_use]
    pub fn for_publishable_key(publishable_key: &str) -> Self {
        Self::with_cookie_suffix(cookie_suffix(publishable_key))
    }

    /// Finds the token.
    ///
    /// # Errors
    /// [`VerifyError::MissingToken`] when there is none;
    /// [`VerifyError::TokenTypeMismatch`] for machine tokens and non-session
    /// JWTs.
    pub fn extract(&self, headers: &HeaderMap) -> Result<SessionToken, VerifyError> {
        if let Some(token) = header_token(headers) {
            check_token_type(token, TokenCarrier::Header)?;
            return Ok(SessionToken::new(token, TokenCarrier::Header));
        }
        if let Some(token) = self.cookie_token(headers) {
            check_token_type(&token, TokenCarrier::Cookie)?;
            return Ok(SessionToken::new(token, TokenCarrier::Cookie));
        }
        Err(VerifyError::MissingToken)
    }

    fn cookie_token(&self, headers: &HeaderMap) -> Option<String> {
        let mut plain = None;
        let mut preferred = None;
        let mut suffixed = Vec::new();
        for (name, value) in cookies(headers) {
            if value.is_empty() {
                continue;
            }
            if name == SESSION_COOKIE {
                plain.get_or_insert(value);
            } else if let Some(suffix) = name.strip_prefix("__session_") {
                if self.cookie_suffix.as_deref() == Some(suffix) {
                    preferred.get_or_insert(value);
                } else {
                    suffixed.push(value);
                }
            }
        }
        let fallback =
            if self.cookie_suffix.is_none() && suffixed.len() == 1 { suffixed.pop() } else { None };
        preferred.or(plain).or(fallback).map(str::to_owned)
    }
}

/// The cookie suffix Clerk derives from a publishable key: the first 8
/// characters of the URL-safe base64 SHA-1 of the key
/// (`getCookieSuffix` in `@clerk/shared/keys`).
///
/// ```
/// let suffix = pixmize_auth::cookie_suffix("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k");
/// assert_eq!(suffix.len(), 8);
/// ```
#[must_use]
pub fn cookie_suffix(publishable_key: &str) -> String {
    let digest = Sha1::digest(publishable_key.as_bytes());
    let b64 = STANDARD.encode(digest).replace('+', "-").replace('/', "_");
    b64.chars().take(8).collect()
}

/// The token in the `Authorization` header, split once on a space like
/// Clerk's SDK does.
fn header_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => {
            let token = rest.trim();
            (!token.is_empty()).then_some(token)
        }
        Some(_) => None,
        // "Bearer" alone (its space trimmed) carries no token.
        None => (!value.is_empty() && !value.eq_ignore_ascii_case("bearer")).then_some(value),
    }
}

/// All `name=value` pairs of all `Cookie` headers; surrounding quotes of
/// a value are removed.
fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            let value = value.trim();
            let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
            Some((name.trim(), value))
        })
}

/// Rejects machine tokens and non-session JWTs.
fn check_token_type(token: &str, _carrier: TokenCarrier) -> Result<(), VerifyError> {
    if MACHINE_TOKEN_PREFIXES.iter().any(|p| token.starts_with(p)) {
        return Err(VerifyError::TokenTypeMismatch);
    }
    if let Some(header) = JwtHeader::peek(token) {
        header.check_category()?;
    }
    Ok(())
}

/// The JOSE header fields this crate looks at. Unknown fields are ignored
/// (Clerk's docs: "ignore unknown header params").
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(crate) struct JwtHeader {
    #[serde(default)]
    pub(crate) alg: Option<String>,
    #[serde(default)]
    pub(crate) kid: Option<String>,
    #[serde(default)]
    pub(crate) typ: Option<String>,
    #[serde(default)]
    pub(crate) cat: Option<String>,
}

impl JwtHeader {
    /// Decodes the header of a compact JWT without verifying anything.
    pub(crate) fn peek(token: &str) -> Option<Self> {
        let (header, _) = token.split_once('.')?;
        let bytes = URL_SAFE_NO_PAD.decode(header).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Session tokens have no `cat`, the session `cat` or the "ignore"
    /// `cat`; OAuth JWTs (RFC 9068) have `typ: at+jwt`.
    pub(crate) fn check_category(&self) -> Result<(), VerifyError> {
        if let Some(typ) = &self.typ {
            let typ = typ.to_ascii_lowercase();
            if typ == "at+jwt" || typ == "application/at+jwt" {
                return Err(VerifyError::TokenTypeMismatch);
            }
        }
        match self.cat.as_deref() {
            None | Some(CAT_SESSION | CAT_IGNORE) => Ok(()),
            Some(_) => Err(VerifyError::TokenTypeMismatch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn jwt_with_header(json: &str) -> String {
        format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(json))
    }

    #[test]
    fn header_forms() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Bearer abc.def.ghi", Some("abc.def.ghi")),
            ("bearer abc.def.ghi", Some("abc.def.ghi")),
            ("abc.def.ghi", Some("abc.def.ghi")),
            ("Basic dXNlcjpwYXNz", None),
            ("Bearer ", None),
            ("", None),
        ];
        for (value, want) in cases {
            let map = headers(&[("authorization", value)]);
            assert_eq!(header_token(&map), *want, "{value:?}");
        }
    }

    #[test]
    fn header_wins_over_cookie() {
        let map = headers(&[("authorization", "Bearer h.h.h"), ("cookie", "__session=c.c.c")]);
        let token = TokenExtractor::new().extract(&map).unwrap();
        assert_eq!((token.as_str(), token.carrier()), ("h.h.h", TokenCarrier::Header));
    }

    #[test]
    fn other_scheme_falls_back_to_cookie() {
        let map = headers(&[("authorization", "Basic x"), ("cookie", "a=1; __session=c.c.c")]);
        let token = TokenExtractor::new().extract(&map).unwrap();
        assert_eq!((token.as_str(), token.carrier()), ("c.c.c", TokenCarrier::Cookie));
    }

    #[test]
    fn suffixed_cookies() {
        let map = headers(&[("cookie", "__session=plain.t.t; __session_abcd1234=suffixed.t.t")]);
        let with = TokenExtractor::with_cookie_suffix("abcd1234").extract(&map).unwrap();
        assert_eq!(with.as_str(), "suffixed.t.t");
        let without = TokenExtractor::new().extract(&map).unwrap();
        assert_eq!(without.as_str(), "plain.t.t");
        let other = TokenExtractor::with_cookie_suffix("zzzz9999").extract(&map).unwrap();
        assert_eq!(other.as_str(), "plain.t.t");

        let only_suffixed = headers(&[("cookie", "__session_abcd1234=s.t.t")]);
        assert_eq!(TokenExtractor::new().extract(&only_suffixed).unwrap().as_str(), "s.t.t");
        let two = headers(&[("cookie", "__session_a=s.t.t; __session_b=u.t.t")]);
        assert!(matches!(TokenExtractor::new().extract(&two), Err(VerifyError::MissingToken)));
    }

    #[test]
    fn cookie_suffix_matches_clerk_algorithm() {
        // SHA-1("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k") computed with Python's
        // hashlib, base64, '+'/'/' replaced, first 8 characters.
        assert_eq!(cookie_suffix("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k"), EXPECTED_SUFFIX);
    }
    const EXPECTED_SUFFIX: &str = include_str!("../tests/fixtures/cookie_suffix.txt");

    #[test]
    fn missing_token() {
        let map = headers(&[("cookie", "theme=dark")]);
        assert!(matches!(TokenExtractor::new().extract(&map), Err(VerifyError::MissingToken)));
        let empty = headers(&[("cookie", "__session=")]);
        assert!(matches!(TokenExtractor::new().extract(&empty), Err(VerifyError::MissingToken)));
    }

    #[test]
    fn machine_tokens_are_rejected() {
        for token in ["mt_123", "oat_abc", "ak_live"] {
            let map = headers(&[("authorization", &format!("Bearer {token}"))]);
            assert!(
                matches!(TokenExtractor::new().extract(&map), Err(VerifyError::TokenTypeMismatch)),
                "{token}"
            );
        }
        let cookie = headers(&[("cookie", "__session=mt_123")]);
        assert!(matches!(
            TokenExtractor::new().extract(&cookie),
            Err(VerifyError::TokenTypeMismatch)
        ));
    }

    #[test]
    fn categories() {
        let cases: &[(&str, bool)] = &[
            (r#"{"alg":"RS256"}"#, true),
            (r#"{"alg":"RS256","cat":"cl_B7d4PD111AAA"}"#, true),
            (r#"{"alg":"RS256","cat":"cl_I7d4PD111III"}"#, true),
            (r#"{"alg":"RS256","cat":"cl_B7d4PD222AAA"}"#, false),
            (r#"{"alg":"RS256","cat":"cl_B7d4PD333AAA"}"#, false),
            (r#"{"alg":"RS256","cat":"something-else"}"#, false),
            (r#"{"alg":"RS256","typ":"at+jwt"}"#, false),
            (r#"{"alg":"RS256","typ":"application/at+jwt"}"#, false),
        ];
        for (header, ok) in cases {
            let map = headers(&[("authorization", &format!("Bearer {}", jwt_with_header(header)))]);
            assert_eq!(TokenExtractor::new().extract(&map).is_ok(), *ok, "{header}");
        }
    }

    #[test]
    fn debug_hides_token() {
        let token = SessionToken::new("secret.token.value", TokenCarrier::Header);
        let debug = format!("{token:?}");
        assert!(!debug.contains("secret"), "{debug}");
    }
}
