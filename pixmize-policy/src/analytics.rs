//! The analytics sanitiser: the only way to build a [`SanitizedEvent`] is
//! [`Policy::sanitize_event`], which checks the user's choice and then
//! passes a [`RawEvent`] through the validated policy's [`AnalyticsPromise`],
//! so a sink that accepts only `SanitizedEvent` cannot store what the
//! promise rules out.
//!
//! What survives: the event name (if allow-listed), allow-listed properties
//! (URLs reduced to their path, id-like path segments replaced by `:id`,
//! text with IP addresses, emails, tokens and ids removed even inside
//! sentences, and `one_of` values that validation checked), the country as
//! an ISO 3166-1 alpha-2 code, the browser family and major version, the
//! device type, and the time bucketed to the hour. Nothing else — no IP, no
//! user id, no stable identifier.
//!
//! ```
//! use pixmize_policy::{ConsentSnapshot, Policy};
//! use pixmize_policy::analytics::RawEvent;
//! use time::macros::datetime;
//!
//! let policy = Policy::pixmize();
//! let mut raw = RawEvent::new("page_view", datetime!(2026-11-22 14:37:12 UTC));
//! raw.properties.insert("path".into(), "https://pixmize.example/edit/8f3a9c2e11d04b7f?token=x".into());
//! raw.properties.insert("email".into(), "ada@example.com".into());
//! raw.country = Some("de".into());
//! raw.user_agent = Some("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0".into());
//! // Statistics are opt-out: a user who has not objected is counted.
//! let event = policy.sanitize_event(&raw, &ConsentSnapshot::new())?;
//! assert_eq!(event.property("path"), Some("/edit/:id"));
//! assert_eq!(event.property("email"), None);
//! assert_eq!(event.country(), Some("DE"));
//! assert_eq!(event.browser().map(|b| b.to_string()).as_deref(), Some("Firefox 133"));
//! assert_eq!(event.hour(), datetime!(2026-11-22 14:00 UTC));
//! # Ok::<(), pixmize_policy::analytics::Dropped>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use time::{OffsetDateTime, Time, UtcOffset};

use crate::Policy;
use crate::consent::ConsentSnapshot;
use crate::decide::Deny;
use crate::model::{AnalyticsPromise, PropertyRule};

/// What a client or edge function reports, before sanitising. Anything may
/// be in it; nothing of it is kept unless the promise allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// The event name, e.g. `page_view`.
    pub name: String,
    /// Properties as sent.
    pub properties: BTreeMap<String, String>,
    /// The country, e.g. from an edge geo header (`x-vercel-ip-country`);
    /// the IP address itself is never passed in.
    pub country: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// When it happened.
    pub time: OffsetDateTime,
}

impl RawEvent {
    /// An event with no properties.
    #[must_use]
    pub fn new(name: impl Into<String>, time: OffsetDateTime) -> Self {
        Self {
            name: name.into(),
            properties: BTreeMap::new(),
            country: None,
            user_agent: None,
            time,
        }
    }
}

/// Why an event was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Dropped {
    /// The event name is not in the promise (the name is not echoed: it is caller input).
    #[error("event is not in the analytics promise")]
    UnknownEvent,
    /// The policy makes no analytics promise, so nothing may be recorded.
    #[error("the policy makes no analytics promise")]
    NoPromise,
    /// The user objected (switched statistics off or sent Global Privacy Control).
    #[error("usage statistics are off for this user")]
    Denied(Deny),
}

/// A browser family and major version, e.g. "Firefox 133".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Browser {
    /// The family: Chrome, Edge, Firefox, Opera, Safari, Samsung Internet, Bot or Other.
    pub family: &'static str,
    /// The major version, when known.
    pub major: Option<u16>,
}

impl fmt::Display for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.major {
            Some(m) => write!(f, "{} {m}", self.family),
            None => f.write_str(self.family),
        }
    }
}

/// A device type derived from the user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    /// A desktop or laptop browser.
    Desktop,
    /// A phone.
    Mobile,
    /// A tablet.
    Tablet,
}

/// An event that kept only what the analytics promise allows. It has
/// private fields, no public constructor and no `Deserialize`: only
/// [`Policy::sanitize_event`] builds one, from a validated [`Policy`].
///
/// A promise taken out of a document cannot sanitise on its own (the
/// method is private to this crate), so an unvalidated promise — say, one
/// whose `one_of` values are email addresses — never yields an event:
///
/// ```compile_fail,E0624
/// use pixmize_policy::analytics::RawEvent;
/// let promise = pixmize_policy::Policy::pixmize().document().analytics.clone().unwrap();
/// let event = promise.sanitize(&RawEvent::new("page_view", time::OffsetDateTime::UNIX_EPOCH));
/// ```
///
/// Nor can one be written down field by field, or deserialised:
///
/// ```compile_fail,E0451
/// let event = pixmize_policy::analytics::SanitizedEvent {
///     name: "page_view".into(),
///     properties: Default::default(),
///     country: None,
///     browser: None,
///     device: None,
///     hour: time::OffsetDateTime::UNIX_EPOCH,
/// };
/// ```
///
/// ```compile_fail,E0277
/// let event: pixmize_policy::analytics::SanitizedEvent =
///     serde_json::from_str(r#"{"name":"page_view","properties":{"email":"ada@example.com"}}"#).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SanitizedEvent {
    name: String,
    properties: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    browser: Option<Browser>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<DeviceType>,
    #[serde(with = "time::serde::rfc3339")]
    hour: OffsetDateTime,
}

impl SanitizedEvent {
    /// The event name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A kept property.
    #[must_use]
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }

    /// Every kept property.
    #[must_use]
    pub fn properties(&self) -> &BTreeMap<String, String> {
        &self.properties
    }

    /// The ISO 3166-1 alpha-2 country, if kept.
    #[must_use]
    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }

    /// The browser family and major version, if kept.
    #[must_use]
    pub fn browser(&self) -> Option<Browser> {
        self.browser
    }

    /// The device type, if kept.
    #[must_use]
    pub fn device(&self) -> Option<DeviceType> {
        self.device
    }

    /// The start of the UTC hour the event happened in.
    #[must_use]
    pub fn hour(&self) -> OffsetDateTime {
        self.hour
    }
}

impl AnalyticsPromise {
    /// Keeps from `raw` only what this promise allows. Private to the crate:
    /// only a validated policy's promise may build a [`SanitizedEvent`]
    /// (see [`Policy::sanitize_event`]).
    pub(crate) fn sanitize(&self, raw: &RawEvent) -> Result<SanitizedEvent, Dropped> {
        let rule = self.events.iter().find(|e| e.name == raw.name).ok_or(Dropped::UnknownEvent)?;
        let max = usize::from(self.max_text_len);
        let mut properties = BTreeMap::new();
        for (key, spec) in &rule.properties {
            let Some(value) = raw.properties.get(key) else { continue };
            let kept = match spec {
                PropertyRule::UrlPath => Some(url_path(value, max)),
                PropertyRule::Text => scrub_text(value, max),
                // Validation rejects PII-looking values; checking again here
                // keeps the event clean even if that rule were ever relaxed.
                PropertyRule::OneOf { values } => {
                    values.iter().find(|v| *v == value && is_safe_value(v, max)).cloned()
                }
            };
            if let Some(v) = kept {
                properties.insert(key.clone(), v);
            }
        }
        let ua = raw.user_agent.as_deref();
        Ok(SanitizedEvent {
            name: rule.name.clone(),
            properties,
            country: if self.keep_country {
                raw.country.as_deref().and_then(country)
            } else {
                None
            },
            browser: if self.keep_browser { ua.map(browser) } else { None },
            device: if self.keep_device_type { ua.map(device_type) } else { None },
            hour: hour_bucket(raw.time),
        })
    }
}

impl Policy {
    /// Records an analytics event for a user: checks the analytics
    /// activity's consent (opt-out, Global Privacy Control), then sanitises.
    ///
    /// # Errors
    /// [`Dropped::NoPromise`], [`Dropped::Denied`] when the user objected,
    /// or [`Dropped::UnknownEvent`].
    pub fn sanitize_event(
        &self,
        raw: &RawEvent,
        consent: &ConsentSnapshot,
    ) -> Result<SanitizedEvent, Dropped> {
        let promise = self.document().analytics.as_ref().ok_or(Dropped::NoPromise)?;
        let activity = self.activity(promise.activity.as_str()).ok_or(Dropped::NoPromise)?;
        let mut query = match activity.location_recipient() {
            Some(r) => crate::Query::to(r.as_str(), activity.purpose.as_str()),
            None => crate::Query::on_device(activity.purpose.as_str()),
        };
        for k in &activity.data_categories {
            query = query.data(k.as_str());
        }
        match self.decide(&query, consent) {
            crate::Decision::Allow(_) => promise.sanitize(raw),
            crate::Decision::Deny(d) => Err(Dropped::Denied(d)),
        }
    }
}

/// The start of the UTC hour of `t`.
fn hour_bucket(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    t.replace_time(Time::from_hms(t.hour(), 0, 0).unwrap_or(Time::MIDNIGHT))
}

/// An ISO 3166-1 alpha-2 code, upper-cased; `None` for anything else
/// (including the "XX"/"T1" placeholders CDNs send for unknown or Tor).
fn country(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    crate::country::is_iso_alpha2(&code).then_some(code)
}

/// Browser family and major version from a user agent. Order matters:
/// Edge and Opera also say "Chrome", Chrome also says "Safari".
fn browser(ua: &str) -> Browser {
    let lower = ua.to_ascii_lowercase();
    if ["bot", "crawler", "spider", "headless"].iter().any(|b| lower.contains(b)) {
        return Browser { family: "Bot", major: None };
    }
    const FAMILIES: [(&str, &str); 10] = [
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Version/", "Safari"),
    ];
    for (marker, family) in FAMILIES {
        if let Some(i) = ua.find(marker) {
            if family == "Safari" && !ua.contains("Safari/") {
                continue;
            }
            let rest = &ua[i + marker.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).take(5).collect();
            return Browser { family, major: digits.parse().ok() };
        }
    }
    Browser { family: "Other", major: None }
}

fn device_type(ua: &str) -> DeviceType {
    if ua.contains("iPad")
        || ua.contains("Tablet")
        || (ua.contains("Android") && !ua.contains("Mobile"))
    {
        DeviceType::Tablet
    } else if ua.contains("Mobi") || ua.contains("iPhone") || ua.contains("Android") {
        DeviceType::Mobile
    } else {
        DeviceType::Desktop
    }
}

/// Characters that can be part of an identifier-like run. Every character
/// of an IP address, an email address (common form), a JWT, a UUID or a
/// Clerk id is in this set, so such an identifier always lies inside one
/// run, and dropping the run drops all of it.
fn is_run_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '.' | '_' | '-' | '@' | ':' | '+' | '%' | '=' | '~' | '/' | '?' | '&' | '#')
}

/// Whether a run looks like an identifier or secret that must not survive.
fn is_identifier(run: &str) -> bool {
    let digits = run.bytes().filter(u8::is_ascii_digit).count();
    let letters = run.bytes().filter(u8::is_ascii_alphabetic).count();
    let longest_digits = run.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
    let percent_encoded = run
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    run.contains('@')                                  // email, user@host
        || percent_encoded                             // %40 = an encoded email, anything hidden
        || run.matches(':').count() >= 2               // IPv6, MAC
        || run.contains("://")                         // URL with possible credentials
        || (run.contains('.') && digits >= 4)          // IPv4, also inside text
        || longest_digits >= 5                         // phone numbers, numeric ids
        || run.len() >= 20                             // tokens, JWTs, UUIDs, Clerk ids
        || (run.len() >= 12 && digits >= 3 && letters >= 3) // random-looking ids
}

const REMOVED: &str = "[removed]";

/// Whether a fixed value (a `one_of` entry) passes the text scrubber
/// unchanged: no IP address, email, token or id-like run, no control
/// characters, no surrounding space, at most `max` characters.
pub(crate) fn is_safe_value(value: &str, max: usize) -> bool {
    scrub_text(value, max).as_deref() == Some(value)
}

/// Removes identifier-like runs from free text, then cuts it to `max`
/// characters. `None` when nothing useful is left.
pub(crate) fn scrub_text(text: &str, max: usize) -> Option<String> {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if !run.is_empty() {
            out.push_str(if is_identifier(run) { REMOVED } else { run });
            run.clear();
        }
    };
    for c in text.chars() {
        if is_run_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            // Control characters are dropped; other separators kept.
            if !c.is_control() {
                out.push(c);
            }
        }
    }
    flush(&mut run, &mut out);
    let cut: String = out.trim().chars().take(max).collect();
    let cut = cut.trim_end().to_owned();
    (!cut.is_empty() && cut != REMOVED).then_some(cut)
}

/// Reduces a URL to its path: no scheme, host, credentials, query or
/// fragment; id-like segments become `:id`.
///
/// A value without a scheme or leading `/` whose first segment (up to the
/// first `/`, or all of it) has a dot or a colon, as a host has and a
/// relative path's first segment does not (`pixmize.example/edit`,
/// `localhost:3000/edit`), is read as a URL without its scheme: the host is
/// dropped like any other.
pub(crate) fn url_path(value: &str, max: usize) -> String {
    let no_fragment = value.split('#').next().unwrap_or("");
    let no_query = no_fragment.split('?').next().unwrap_or("");
    let path = match no_query.find("://") {
        Some(i) => {
            let after = &no_query[i + 3..];
            after.find('/').map_or("/", |j| &after[j..])
        }
        None if no_query.starts_with("//") => {
            no_query[2..].find('/').map_or("/", |j| &no_query[2 + j..])
        }
        None if !no_query.starts_with('/') => {
            let (first, rest) = no_query.find('/').map_or((no_query, ""), |j| no_query.split_at(j));
            if first.contains(['.', ':']) { rest } else { no_query }
        }
        None => no_query,
    };
    let mut out = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        let id_like = !seg.chars().all(is_run_char)
            || is_identifier(seg)
            || seg.chars().all(|c| c.is_ascii_digit());
        out.push_str(if id_like { ":id" } else { seg });
    }
    if out.is_empty() {
        out.push('/');
    }
    out.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_scrubbing_table() {
        const CASES: &[(&str, Option<&str>)] = &[
            ("background removal", Some("background removal")),
            ("resize 1920x1080", Some("resize 1920x1080")),
            ("mail ada@example.com now", Some("mail [removed] now")),
            ("from 192.168.1.20,ok", Some("from [removed],ok")),
            ("v6 2001:db8::1 end", Some("v6 [removed] end")),
            ("user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr", None),
            ("tok eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl", Some("tok [removed]")),
            ("call +49 30 1234567", Some("call +49 30 [removed]")),
            ("see https://x.example/a?b=c", Some("see [removed]")),
            ("ada%40example.com", None),
            ("50% faster", Some("50% faster")),
            ("", None),
        ];
        for (input, want) in CASES {
            assert_eq!(scrub_text(input, 64).as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn url_path_table() {
        const CASES: &[(&str, &str)] = &[
            ("https://pixmize.example/editor?x=1#top", "/editor"),
            ("https://user:pw@pixmize.example/a/b", "/a/b"),
            ("/users/user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr/edit", "/users/:id/edit"),
            ("/images/12345", "/images/:id"),
            ("//cdn.example/app.js", "/app.js"),
            ("https://pixmize.example", "/"),
            ("/a/ada@example.com", "/a/:id"),
            ("/p/%E2%9C%93", "/p/:id"),
            // No scheme: a leading host-like segment is a host.
            ("pixmize.example/edit", "/edit"),
            ("www.pixmize.example/editor/tools?x=1", "/editor/tools"),
            ("user:pw@pixmize.example/a", "/a"),
            ("localhost:3000/edit", "/edit"),
            ("pixmize.example", "/"),
            // A relative path keeps its first segment.
            ("editor/tools", "/editor/tools"),
            ("editor", "/editor"),
        ];
        for (input, want) in CASES {
            assert_eq!(url_path(input, 64), *want, "input {input:?}");
        }
    }

    #[test]
    fn browsers() {
        const CASES: &[(&str, &str, DeviceType)] = &[
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
                "Edge 131",
                DeviceType::Desktop,
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari 17",
                DeviceType::Mobile,
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
                "Chrome 130",
                DeviceType::Tablet,
            ),
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Bot",
                DeviceType::Desktop,
            ),
            ("curl/8.5.0", "Other", DeviceType::Desktop),
        ];
        for (ua, want, dev) in CASES {
            assert_eq!(browser(ua).to_string(), *want, "{ua}");
            assert_eq!(device_type(ua), *dev, "{ua}");
        }
    }

    #[test]
    fn countries() {
        assert_eq!(country(" de "), Some("DE".to_owned()));
        assert_eq!(country("XX"), None);
        assert_eq!(country("T1"), None);
        assert_eq!(country("Berlin"), None);
    }
}
