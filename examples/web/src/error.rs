//! The error of the bindings: the engine's typed error flattened into what a
//! page shows (kind, parameter, byte offset, step, reason), and its
//! JavaScript form.

use std::fmt;

use pixmize_core::geometry::PlanError;
use pixmize_core::{CloudOnly, ParseError};

use crate::span;

/// What went wrong, as a stable name for pages to switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The transformation string is not valid (`"parse"`).
    Parse,
    /// A parameter or format this build cannot run on the device
    /// (`"unsupported"`), such as AI effects or lossy WebP output.
    Unsupported,
    /// A step cannot be applied to this image (`"plan"`).
    Plan,
    /// An engine limit was exceeded (`"limit"`).
    Limit,
    /// The bytes are not an image format this build reads (`"format"`).
    UnknownFormat,
    /// The image could not be decoded (`"decode"`).
    Decode,
    /// The image could not be encoded (`"encode"`).
    Encode,
    /// The accept list for `f-auto` names something that is not an image
    /// format (`"accept"`).
    Accept,
    /// Anything else the engine reports (`"engine"`).
    Engine,
}

impl ErrorKind {
    /// The name used in JavaScript (`err.kind`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Parse => "parse",
            Self::Unsupported => "unsupported",
            Self::Plan => "plan",
            Self::Limit => "limit",
            Self::UnknownFormat => "format",
            Self::Decode => "decode",
            Self::Encode => "encode",
            Self::Accept => "accept",
            Self::Engine => "engine",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed call: the engine's error with the parameter, byte offset and
/// step it concerns, when known. In JavaScript it is thrown as an `Error`
/// named `PixmizeError` carrying the same fields (see [`Error::to_js`]).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(Box<Inner>);

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct Inner {
    kind: ErrorKind,
    key: Option<String>,
    offset: Option<usize>,
    step: Option<usize>,
    reason: String,
    message: String,
    #[source]
    source: Option<pixmize_core::Error>,
}

impl Error {
    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The parameter's key as written (`q`, `f`, `e-bgremove`), when the
    /// error is about one parameter.
    #[must_use]
    pub fn key(&self) -> Option<&str> {
        self.0.key.as_deref()
    }

    /// Byte offset in the transformation string of the problem (parse
    /// errors) or of the parameter that cannot run here (unsupported).
    #[must_use]
    pub fn offset(&self) -> Option<usize> {
        self.0.offset
    }

    /// Index (from 0) of the top-level step concerned, when known.
    #[must_use]
    pub fn step(&self) -> Option<usize> {
        self.0.step
    }

    /// Why, without the location: "value out of range (expected 1 to 100)".
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.0.reason
    }

    /// The message with every cause appended, for people to read.
    #[must_use]
    pub fn full_message(&self) -> String {
        let mut out = self.0.message.clone();
        // `message` is the engine error's own text; add its causes.
        let mut cause = self.0.source.as_ref().and_then(std::error::Error::source);
        while let Some(c) = cause {
            out.push_str(": ");
            out.push_str(&c.to_string());
            cause = c.source();
        }
        out
    }

    /// An `f-auto` accept entry that is not an image format.
    pub(crate) fn accept(entry: &str) -> Error {
        let reason = format!(
            "`{entry}` is not an image format (expected jpeg, png, webp, avif, gif or a MIME type)"
        );
        Error(Box::new(Inner {
            kind: ErrorKind::Accept,
            key: None,
            offset: None,
            step: None,
            message: format!("invalid accept list: {reason}"),
            reason,
            source: None,
        }))
    }

    /// A parameter that needs the cloud (or a codec this build lacks),
    /// located in `transformation`.
    pub(crate) fn cloud_only(transformation: &str, missing: &CloudOnly) -> Error {
        Error(Box::new(Inner {
            kind: ErrorKind::Unsupported,
            key: Some(missing.key.to_owned()),
            offset: span::locate(transformation, missing.step, missing.key),
            step: Some(missing.step),
            reason: missing.reason.to_owned(),
            message: format!(
                "cannot run on this device: parameter `{}` (step {}): {}",
                missing.key,
                missing.step + 1,
                missing.reason
            ),
            source: None,
        }))
    }

    /// Converts to the JavaScript exception: an `Error` whose `name` is
    /// `PixmizeError` and whose own properties are `kind`, `key`, `offset`,
    /// `step` (from 0) and `reason` (`null` when unknown).
    #[must_use]
    pub fn to_js(&self) -> wasm_bindgen::JsValue {
        use wasm_bindgen::JsValue;
        let err = js_sys::Error::new(&self.full_message());
        err.set_name("PixmizeError");
        let num = |n: Option<usize>| n.map_or(JsValue::NULL, |n| JsValue::from(n as f64));
        let fields: [(&str, JsValue); 5] = [
            ("kind", self.kind().as_str().into()),
            ("key", self.key().map_or(JsValue::NULL, JsValue::from)),
            ("offset", num(self.offset())),
            ("step", num(self.step())),
            ("reason", self.reason().into()),
        ];
        for (name, value) in fields {
            // Setting a property on a fresh Error object cannot fail.
            let _ = js_sys::Reflect::set(&err, &name.into(), &value);
        }
        err.into()
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        Error(Box::new(Inner {
            kind: ErrorKind::Parse,
            key: e.key().map(str::to_owned),
            offset: Some(e.offset()),
            step: Some(e.step()),
            reason: e.kind().to_string(),
            message: e.to_string(),
            source: None,
        }))
    }
}

impl From<pixmize_core::Error> for Error {
    fn from(e: pixmize_core::Error) -> Error {
        use pixmize_core::Error as E;
        let (kind, key) = match &e {
            E::Parse(p) => return Error::from(p.clone()),
            E::Plan(p) => (ErrorKind::Plan, plan_key(p)),
            E::UnknownFormat => (ErrorKind::UnknownFormat, None),
            E::Decode { .. } => (ErrorKind::Decode, None),
            E::Encode { .. } => (ErrorKind::Encode, None),
            E::Limit(_) => (ErrorKind::Limit, None),
            E::Unsupported(pixmize_core::Unsupported::Param { key, .. }) => {
                (ErrorKind::Unsupported, Some((*key).to_owned()))
            }
            E::Unsupported(_) => (ErrorKind::Unsupported, None),
            _ => (ErrorKind::Engine, None),
        };
        let reason = match &e {
            E::Unsupported(pixmize_core::Unsupported::Param { reason, .. }) => (*reason).to_owned(),
            other => {
                let mut r = other.to_string();
                let mut cause = std::error::Error::source(other);
                while let Some(c) = cause {
                    r.push_str(": ");
                    r.push_str(&c.to_string());
                    cause = c.source();
                }
                r
            }
        };
        Error(Box::new(Inner {
            kind,
            key,
            offset: None,
            step: None,
            reason,
            message: e.to_string(),
            source: Some(e),
        }))
    }
}

fn plan_key(e: &PlanError) -> Option<String> {
    match e {
        PlanError::Expression { key, .. } | PlanError::InvalidValue { key, .. } => {
            Some((*key).to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_names() {
        use ErrorKind::*;
        let all = [Parse, Unsupported, Plan, Limit, UnknownFormat, Decode, Encode, Accept, Engine];
        let mut names: Vec<_> = all.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn parse_errors_keep_every_field() {
        let e = Error::from("w-300,q-101".parse::<pixmize_core::Transformation>().unwrap_err());
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert_eq!((e.key(), e.offset(), e.step()), (Some("q"), Some(8), Some(0)));
        assert_eq!(e.reason(), "value out of range (expected 1 to 100)");
        assert_eq!(
            e.to_string(),
            "invalid transformation at byte 8 (step 1, `q`): value out of range (expected 1 to 100)"
        );
        assert_eq!(e.full_message(), e.to_string(), "a parse error has no further cause");
    }
}
