//! Golden parse cases from `tests/fixtures/transform/cases.txt`.
//!
//! Each case is one line, `input => expected`, where `expected` is the
//! canonical form (`Display`) of the parsed transformation, or
//! `ERR <kind>@<offset> step=<step>[ key=<key>]` for an error: its
//! [`ParseErrorKind::name`], byte offset, [`ParseError::step`] (the
//! top-level step, from 0) and [`ParseError::key`] as written, left out
//! when the error names no key (the key is last, so it may hold spaces).
//! Every part is compared, so an error case pins all four. Lines starting
//! with `#` and blank lines are comments.
//!
//! A side that is empty, starts with `"` or `#`, has surrounding whitespace,
//! contains ` => ` or a control character is written as a quoted string with
//! the escapes `\\`, `\"`, `\n`, `\r`, `\t` and `\u{…}`; `""` is the empty
//! string.
//!
//! `PIXMIZE_BLESS=1 cargo test -p pixmize-core --test transform_cases`
//! rewrites the expected side of every case from the current parser, keeping
//! inputs and comments (a line holding only an input gets its expectation).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use pixmize_core::transform::{
    Anchor, BlendMode, Crop, CropMode, Flip, Format, GradientSide, Layer, TextAlign, Typography,
};
use pixmize_core::{Params, ParseError, Transformation};

const SEP: &str = " => ";

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transform/cases.txt")
}

/// An expected error: what an `ERR …` expectation pins.
#[derive(Debug, PartialEq, Eq)]
struct ErrorCase {
    kind: String,
    offset: usize,
    step: usize,
    key: Option<String>,
}

impl ErrorCase {
    fn of(e: &ParseError) -> ErrorCase {
        ErrorCase {
            kind: e.kind().name().to_owned(),
            offset: e.offset(),
            step: e.step(),
            key: e.key().map(str::to_owned),
        }
    }

    /// Reads `<kind>@<offset> step=<step>[ key=<key>]` (after `ERR `).
    fn parse(s: &str) -> Result<ErrorCase, String> {
        let bad =
            || format!("expected `ERR <kind>@<offset> step=<n>[ key=<key>]`, found `ERR {s}`");
        let (kind, rest) = s.split_once('@').ok_or_else(bad)?;
        let (offset, rest) = rest.split_once(" step=").ok_or_else(bad)?;
        let (step, key) = match rest.split_once(" key=") {
            Some((step, key)) => (step, Some(key.to_owned())),
            None => (rest, None),
        };
        let number = |n: &str| n.parse::<usize>().map_err(|_| bad());
        let case =
            ErrorCase { kind: kind.to_owned(), offset: number(offset)?, step: number(step)?, key };
        if case.to_string() != format!("ERR {s}") {
            return Err(bad());
        }
        Ok(case)
    }
}

impl std::fmt::Display for ErrorCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ERR {}@{} step={}", self.kind, self.offset, self.step)?;
        match &self.key {
            Some(key) => write!(f, " key={key}"),
            None => Ok(()),
        }
    }
}

/// What the parser makes of `input`, in the golden file's notation.
fn outcome(input: &str) -> String {
    match input.parse::<Transformation>() {
        Ok(t) => t.to_string(),
        Err(e) => ErrorCase::of(&e).to_string(),
    }
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.starts_with('"')
        || s.starts_with('#')
        || s.trim() != s
        || s.contains(SEP)
        || s.chars().any(char::is_control)
}

fn quote(s: &str) -> String {
    if !needs_quotes(s) {
        return s.to_owned();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Reads a quoted string at the start of `s`; returns it and the rest.
fn unquote(s: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('u') => {
                    let hex: String = chars
                        .by_ref()
                        .map(|(_, c)| c)
                        .skip_while(|c| *c == '{')
                        .take_while(|c| *c != '}')
                        .collect();
                    let c = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("bad escape \\u{{{hex}}}"))?;
                    out.push(c);
                }
                other => return Err(format!("bad escape \\{other:?}")),
            },
            c => out.push(c),
        }
    }
    Err("unterminated quoted string".to_owned())
}

/// One side of a case: quoted, or the text up to the separator.
fn side(s: &str) -> Result<(String, &str), String> {
    if s.starts_with('"') { unquote(s) } else { Ok((s.to_owned(), "")) }
}

#[derive(Debug)]
enum Line {
    Comment,
    Case { input: String, expected: Option<String> },
}

fn parse_line(line: &str) -> Result<Line, String> {
    if line.trim().is_empty() || line.starts_with('#') {
        return Ok(Line::Comment);
    }
    let (input, rest) = if line.starts_with('"') {
        let (input, rest) = unquote(line)?;
        (input, rest.to_owned())
    } else {
        match line.split_once(SEP) {
            Some((i, e)) => (i.to_owned(), format!("{SEP}{e}")),
            None => (line.to_owned(), String::new()),
        }
    };
    if rest.is_empty() {
        return Ok(Line::Case { input, expected: None });
    }
    let Some(expected) = rest.strip_prefix(SEP) else {
        return Err(format!("expected `{SEP}` after the input, found {rest:?}"));
    };
    let (expected, tail) = side(expected)?;
    if !tail.is_empty() {
        return Err(format!("unexpected text after the expectation: {tail:?}"));
    }
    Ok(Line::Case { input, expected: Some(expected) })
}

/// Checks what holds for every input, whatever the golden file says.
fn check_invariants(input: &str) -> Result<(), String> {
    match input.parse::<Transformation>() {
        Ok(t) => {
            let printed = t.to_string();
            let again: Transformation = printed
                .parse()
                .map_err(|e| format!("the canonical form {printed:?} does not parse: {e}"))?;
            if again != t {
                return Err(format!("{printed:?} parses to a different value"));
            }
            if again.to_string() != printed {
                return Err(format!("printing {printed:?} is not idempotent"));
            }
        }
        Err(e) => {
            if e.offset() > input.len() || !input.is_char_boundary(e.offset()) {
                return Err(format!("offset {} is not a boundary of the input", e.offset()));
            }
            if !e.to_string().contains(&format!("at byte {}", e.offset())) {
                return Err(format!("the message does not name the offset: {e}"));
            }
            if e.step() > input.matches(':').count() {
                return Err(format!("step {} is beyond the input's steps", e.step()));
            }
            if let Some(key) = e.key().filter(|k| !input.contains(k)) {
                return Err(format!("the key {key:?} is not in the input"));
            }
        }
    }
    Ok(())
}

/// Every error kind the parser has; each must appear in the golden file.
const KINDS: &[&str] = &[
    "empty-step",
    "empty-param",
    "unknown-param",
    "video-only",
    "missing-value",
    "unexpected-value",
    "invalid-value",
    "out-of-range",
    "duplicate-param",
    "layer-param-outside-layer",
    "layer-param-not-in-first-step",
    "missing-layer-input",
    "conflicting-layer-input",
    "unterminated-layer",
    "unexpected-layer-end",
    "layer-too-deep",
    "unterminated-conditional",
    "unexpected-else",
    "unexpected-if-end",
    "conditional-not-alone",
    "nested-conditional",
    "empty-branch",
    "invalid-condition",
];

/// `key-value` items that the canonical outputs must cover: every keyword
/// of every enum, under each key that takes it.
fn required_items() -> Vec<String> {
    fn all<T: Copy>(key: &str, values: &[T], name: impl Fn(T) -> &'static str) -> Vec<String> {
        values.iter().map(|v| format!("{key}-{}", name(*v))).collect()
    }
    let mut items = Vec::new();
    items.extend(all("c", Crop::ALL, Crop::as_str));
    items.extend(all("cm", CropMode::ALL, CropMode::as_str));
    for key in ["fo", "lfo", "lap"] {
        items.extend(all(key, Anchor::ALL, Anchor::as_str));
    }
    items.extend(all("f", Format::ALL, Format::as_str));
    items.extend(all("fl", Flip::ALL, Flip::as_str));
    items.extend(all("lm", BlendMode::ALL, BlendMode::as_str));
    items.extend(all("ia", TextAlign::ALL, TextAlign::as_str));
    items.extend(all("tg", Typography::ALL, Typography::as_str));
    items.extend(all("e-gradient-ld", GradientSide::ALL, GradientSide::as_str));
    items
}

/// Whether `item` occurs in `text` as a whole item or option: followed by
/// the end, a separator, or the next `e-gradient` option.
fn has_item(text: &str, item: &str) -> bool {
    text.match_indices(item).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = &text[at + item.len()..];
        matches!(before, None | Some(',' | ':'))
            && (after.is_empty()
                || after.starts_with([',', ':'])
                || ["_from-", "_to-", "_sp-"].iter().any(|o| after.starts_with(o)))
    })
}

/// The keys set anywhere in `t`, its layers and its branches.
fn keys_used(t: &Transformation, out: &mut BTreeSet<&'static str>) {
    for step in t.steps() {
        match step {
            pixmize_core::Step::Params(p) => params_keys(p, out),
            pixmize_core::Step::If(c) => {
                keys_used(c.then(), out);
                if let Some(o) = c.otherwise() {
                    keys_used(o, out);
                }
            }
            _ => {}
        }
    }
}

fn params_keys(p: &Params, out: &mut BTreeSet<&'static str>) {
    out.extend(p.keys());
    for layer in &p.layers {
        out.extend(layer.keys());
        keys_used(layer.transformation(), out);
    }
}

#[test]
fn golden_parse_cases() {
    let path = fixture();
    let text = std::fs::read_to_string(&path).expect("the golden file exists");
    let bless = std::env::var_os("PIXMIZE_BLESS").is_some();
    let mut blessed = String::new();
    let mut failures = Vec::new();
    let (mut cases, mut errors) = (0, 0);
    let mut kinds = BTreeSet::new();
    let mut keys = BTreeSet::new();
    let mut canonical = String::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let parsed = match parse_line(line) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("line {n}: malformed: {e}\n  {line}"));
                blessed.push_str(line);
                blessed.push('\n');
                continue;
            }
        };
        let Line::Case { input, expected } = parsed else {
            blessed.push_str(line);
            blessed.push('\n');
            continue;
        };
        cases += 1;
        let actual = outcome(&input);
        if let Some(kind) = actual.strip_prefix("ERR ") {
            errors += 1;
            kinds.insert(kind.split('@').next().unwrap_or_default().to_owned());
        } else if let Ok(t) = input.parse::<Transformation>() {
            keys_used(&t, &mut keys);
            canonical.push_str(&actual);
            canonical.push(',');
        }
        let _ = writeln!(blessed, "{}{SEP}{}", quote(&input), quote(&actual));
        if let Err(e) = check_invariants(&input) {
            failures.push(format!("line {n}: {e}\n  input: {}", quote(&input)));
        }
        // An error expectation must pin kind, offset, step and key.
        let pinned = expected.as_deref().and_then(|e| e.strip_prefix("ERR ")).filter(|_| !bless);
        if let Some(Err(e)) = pinned.map(ErrorCase::parse) {
            failures.push(format!("line {n}: malformed: {e}"));
            continue;
        }
        match expected {
            Some(expected) if expected == actual => {}
            Some(expected) if !bless => failures.push(format!(
                "line {n}: input {}\n  expected {}\n  actual   {}",
                quote(&input),
                quote(&expected),
                quote(&actual)
            )),
            None if !bless => {
                failures.push(format!("line {n}: no expectation for {}", quote(&input)));
            }
            _ => {}
        }
    }
    if bless {
        std::fs::write(&path, blessed).expect("write the golden file");
    }
    assert!(failures.is_empty(), "{} failing cases:\n{}", failures.len(), failures.join("\n"));

    // The file covers the language.
    assert!(cases >= 170, "at least 170 cases, found {cases}");
    assert!(errors >= 40, "at least 40 error cases, found {errors}");
    let missing: Vec<_> = KINDS.iter().filter(|k| !kinds.contains(**k)).collect();
    assert!(missing.is_empty(), "error kinds without a case: {missing:?}");
    let missing: Vec<_> =
        Params::KEYS.iter().chain(Layer::KEYS).filter(|k| !keys.contains(**k)).collect();
    assert!(missing.is_empty(), "keys without a successful case: {missing:?}");
    let missing: Vec<_> =
        required_items().into_iter().filter(|i| !has_item(&canonical, i)).collect();
    assert!(missing.is_empty(), "keywords without a successful case: {missing:?}");
}

#[test]
fn quoting_round_trips() {
    for s in ["", " w-1", "w-1 ", "a\tb\u{0}\u{7f}", "\"q\"", "# not a comment", "a => b", "é"] {
        let q = quote(s);
        let back = if q.starts_with('"') { unquote(&q).map(|(s, _)| s) } else { Ok(q.clone()) };
        assert_eq!(back.as_deref(), Ok(s), "{q}");
    }
}

#[test]
fn error_expectations_pin_every_part() {
    for ok in
        ["unknown-param@0 step=0 key=zz", "empty-step@6 step=1", "unknown-param@0 step=0 key= w"]
    {
        assert_eq!(ErrorCase::parse(ok).map(|c| c.to_string()), Ok(format!("ERR {ok}")));
    }
    for bad in
        ["unknown-param@0", "unknown-param@0 key=zz", "x@1 step=a", "x@01 step=0", "x@1 step=0 "]
    {
        assert!(ErrorCase::parse(bad).is_err(), "{bad}");
    }
}

/// With the `serde` feature, a transformation deserializes from its string
/// form, strictly.
#[cfg(feature = "serde")]
#[test]
fn serde_reads_the_string_form() {
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error, StrDeserializer};

    let de: StrDeserializer<'_, Error> = "h-200,w-300:rt-90".into_deserializer();
    let t = Transformation::deserialize(de).expect("a valid transformation");
    assert_eq!(t.to_string(), "w-300,h-200:rt-90");
    let de: StrDeserializer<'_, Error> = "w-300,w-0".into_deserializer();
    let err = Transformation::deserialize(de).expect_err("a repeated key");
    assert!(err.to_string().contains("at byte 6"), "{err}");
}

/// An unknown `fo-<object>` is an error whose reason says where the valid
/// names are, and suggests the one meant when only the spelling differs.
#[test]
fn unknown_object_names_say_where_the_names_are() {
    use pixmize_core::ParseErrorKind;
    use pixmize_core::transform::ObjectName;

    for (input, hint) in [
        ("fo-x1", None),
        ("fo-centre", None),
        ("w-10,fo-traffic_light", Some("trafficLight")),
        ("fo-TeddyBear", Some("teddyBear")),
    ] {
        let err = input.parse::<Transformation>().expect_err(input);
        assert_eq!(err.key(), Some("fo"), "{input}");
        let ParseErrorKind::InvalidValue { reason } = err.kind() else {
            panic!("{input}: {err}");
        };
        assert!(reason.contains("`ObjectName::ALL`"), "{input}: {reason}");
        assert!(reason.contains("https://imagekit.io/docs/image-resize-and-crop"), "{reason}");
        assert!(reason.contains("80 COCO classes"), "{reason}");
        let suggested = reason.split("did you mean `").nth(1).and_then(|r| r.split('`').next());
        assert_eq!(suggested, hint, "{input}: {reason}");
    }
    // Every listed name parses as an object focus and prints back.
    assert_eq!(ObjectName::ALL.len(), 80);
    for o in ObjectName::ALL {
        let input = format!("fo-{}", o.as_str());
        let t: Transformation = input.parse().expect("a listed object name");
        assert_eq!(t.to_string(), input);
        assert!(t.needs_cloud(), "{input} is ML focus");
    }
}
