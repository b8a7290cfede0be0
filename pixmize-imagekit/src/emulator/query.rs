//! Parses and evaluates ImageKit's search-query language for the
//! emulator's `GET /v1/files?searchQuery=…`.
//!
//! Grammar: `or := and (OR and)*`, `and := atom (AND atom)*`,
//! `atom := ( or ) | field op value | field [NOT] EXISTS`, where op is one
//! of `= : < <= > >= IN HAS`, `NOT =`, `NOT IN`; fields are bare words or
//! quoted (`"customMetadata.brand"`); values are quoted strings, numbers,
//! `true`/`false` or `[…]` lists.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::parse_iso8601;
use super::store::StoredFile;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(f64),
    Op(&'static str),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Str(String),
    Num(f64),
    Bool(bool),
    List(Vec<Val>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Cmp { field: String, op: String, value: Val },
    Exists { field: String, negated: bool },
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        match ch {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            '[' => {
                out.push(Tok::LBracket);
                i += 1;
            }
            ']' => {
                out.push(Tok::RBracket);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '=' | ':' => {
                out.push(Tok::Op(if ch == '=' { "=" } else { ":" }));
                i += 1;
            }
            '<' | '>' => {
                let eq = c.get(i + 1) == Some(&'=');
                out.push(Tok::Op(match (ch, eq) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    (_, true) => ">=",
                    _ => ">",
                }));
                i += if eq { 2 } else { 1 };
            }
            '"' | '\'' => {
                let quote = ch;
                i += 1;
                let mut s = String::new();
                loop {
                    match c.get(i) {
                        None => return Err("unterminated string".into()),
                        Some('\\') => {
                            s.push(*c.get(i + 1).ok_or("unterminated escape")?);
                            i += 2;
                        }
                        Some(q) if *q == quote => {
                            i += 1;
                            break;
                        }
                        Some(x) => {
                            s.push(*x);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(s));
            }
            _ if ch.is_ascii_digit()
                || (ch == '-' && c.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let start = i;
                i += 1;
                while i < c.len() && (c[i].is_ascii_digit() || c[i] == '.') {
                    i += 1;
                }
                let text: String = c[start..i].iter().collect();
                out.push(Tok::Num(text.parse().map_err(|_| format!("bad number `{text}`"))?));
            }
            _ if ch.is_alphanumeric() || ch == '_' || ch == '.' => {
                let start = i;
                while i < c.len() && (c[i].is_alphanumeric() || matches!(c[i], '_' | '.' | '-')) {
                    i += 1;
                }
                out.push(Tok::Word(c[start..i].iter().collect()));
            }
            _ => return Err(format!("unexpected character `{ch}`")),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w == k)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.and()?];
        while self.keyword("OR") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Expr::Or(items) })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.atom()?];
        while self.keyword("AND") {
            self.pos += 1;
            items.push(self.atom()?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Expr::And(items) })
    }

    fn atom(&mut self) -> Result<Expr, String> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let e = self.or()?;
            if self.next() != Some(Tok::RParen) {
                return Err("missing `)`".into());
            }
            return Ok(e);
        }
        let field = match self.next() {
            Some(Tok::Word(w) | Tok::Str(w)) => w,
            other => return Err(format!("expected a field, found {other:?}")),
        };
        let op = match self.next() {
            Some(Tok::Op(o)) => o.to_owned(),
            Some(Tok::Word(w)) if w == "IN" || w == "HAS" => w,
            Some(Tok::Word(w)) if w == "EXISTS" => {
                return Ok(Expr::Exists { field, negated: false });
            }
            Some(Tok::Word(w)) if w == "NOT" => match self.next() {
                Some(Tok::Op("=")) => "NOT =".to_owned(),
                Some(Tok::Word(w)) if w == "IN" => "NOT IN".to_owned(),
                Some(Tok::Word(w)) if w == "EXISTS" => {
                    return Ok(Expr::Exists { field, negated: true });
                }
                other => return Err(format!("unexpected {other:?} after NOT")),
            },
            other => return Err(format!("expected an operator after `{field}`, found {other:?}")),
        };
        let value = self.value()?;
        if op.ends_with("IN") != matches!(value, Val::List(_)) {
            return Err(format!("`{op}` and its value do not fit"));
        }
        Ok(Expr::Cmp { field, op, value })
    }

    fn value(&mut self) -> Result<Val, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Val::Str(s)),
            Some(Tok::Num(n)) => Ok(Val::Num(n)),
            Some(Tok::Word(w)) if w == "true" => Ok(Val::Bool(true)),
            Some(Tok::Word(w)) if w == "false" => Ok(Val::Bool(false)),
            Some(Tok::LBracket) => {
                let mut items = Vec::new();
                if self.peek() == Some(&Tok::RBracket) {
                    self.pos += 1;
                    return Ok(Val::List(items));
                }
                loop {
                    items.push(self.value()?);
                    match self.next() {
                        Some(Tok::Comma) => {}
                        Some(Tok::RBracket) => return Ok(Val::List(items)),
                        other => return Err(format!("expected `,` or `]`, found {other:?}")),
                    }
                }
            }
            other => Err(format!("expected a value, found {other:?}")),
        }
    }
}

/// Parses a query.
pub(crate) fn parse(s: &str) -> Result<Expr, String> {
    let mut p = Parser { toks: lex(s)?, pos: 0 };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return Err(format!("unexpected {:?}", p.toks[p.pos]));
    }
    check_fields(&e)?;
    Ok(e)
}

const FIELDS: &[&str] = &[
    "name",
    "tags",
    "type",
    "createdAt",
    "updatedAt",
    "height",
    "width",
    "size",
    "format",
    "private",
    "published",
    "transparency",
    "filePath",
    "fileType",
    "description",
];

fn check_fields(e: &Expr) -> Result<(), String> {
    match e {
        Expr::Or(v) | Expr::And(v) => v.iter().try_for_each(check_fields),
        Expr::Cmp { field, value: Val::Str(v), .. }
            if (field == "createdAt" || field == "updatedAt")
                && parse_iso8601(v).is_none()
                && relative_secs(v).is_none() =>
        {
            Err(format!("invalid date `{v}` for `{field}`"))
        }
        Expr::Cmp { field, .. } | Expr::Exists { field, .. } => {
            if FIELDS.contains(&field.as_str())
                || field.starts_with("customMetadata.")
                || field.starts_with("embeddedMetadata.")
            {
                Ok(())
            } else {
                Err(format!("unknown field `{field}`"))
            }
        }
    }
}

/// A field's value on a file.
enum FieldVal {
    Str(String),
    Num(f64),
    Bool(bool),
    Time(SystemTime),
    List(Vec<String>),
    Json(Value),
    Missing,
}

fn field_of(f: &StoredFile, field: &str) -> FieldVal {
    let v = f.version();
    match field {
        "name" => FieldVal::Str(f.name.clone()),
        "filePath" => FieldVal::Str(f.path()),
        "description" => f.description.clone().map_or(FieldVal::Missing, FieldVal::Str),
        "tags" => FieldVal::List(f.tags.clone()),
        "type" => FieldVal::Str("file".into()),
        "fileType" => FieldVal::Str(if v.is_image() { "image" } else { "non-image" }.into()),
        "createdAt" => FieldVal::Time(f.created),
        "updatedAt" => FieldVal::Time(f.updated),
        "height" => v.height.map_or(FieldVal::Missing, |h| FieldVal::Num(f64::from(h))),
        "width" => v.width.map_or(FieldVal::Missing, |w| FieldVal::Num(f64::from(w))),
        "size" => FieldVal::Num(v.bytes.len() as f64),
        "format" => v.format_name().map_or(FieldVal::Missing, |s| FieldVal::Str(s.into())),
        "private" => FieldVal::Bool(f.is_private),
        "published" => FieldVal::Bool(f.is_published),
        "transparency" => FieldVal::Bool(v.has_alpha),
        _ => match field.strip_prefix("customMetadata.") {
            Some(k) => f.custom_metadata.get(k).cloned().map_or(FieldVal::Missing, FieldVal::Json),
            None => FieldVal::Missing,
        },
    }
}

/// `"1mb"`, `"500kb"`, `"2gb"`, or a plain number of bytes.
fn size_bytes(s: &str) -> Option<f64> {
    let s = s.trim().to_ascii_lowercase();
    let (num, mul) = if let Some(n) = s.strip_suffix("kb") {
        (n, 1024.0)
    } else if let Some(n) = s.strip_suffix("mb") {
        (n, 1024.0 * 1024.0)
    } else if let Some(n) = s.strip_suffix("gb") {
        (n, 1024.0 * 1024.0 * 1024.0)
    } else if let Some(n) = s.strip_suffix('b') {
        (n, 1.0)
    } else {
        (s.as_str(), 1.0)
    };
    num.trim().parse::<f64>().ok().map(|n| n * mul)
}

/// An ISO date or a relative `7d`/`2h`/`3w`/`1m`/`1y` (before now).
fn time_of(s: &str, now: SystemTime) -> Option<SystemTime> {
    if let Some(t) = parse_iso8601(s) {
        return Some(t);
    }
    now.checked_sub(Duration::from_secs(relative_secs(s)?))
}

/// The seconds of a relative `7d`/`2h`/`3w`/`1m`/`1y`, if it is one.
fn relative_secs(s: &str) -> Option<u64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.len().checked_sub(1)?);
    let n: u64 = n.trim().parse().ok()?;
    let secs = match unit {
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "m" => 30 * 86_400,
        "y" => 365 * 86_400,
        _ => return None,
    };
    n.checked_mul(secs)
}

fn cmp_num(a: f64, op: &str, b: f64) -> bool {
    match op {
        "=" | ":" => (a - b).abs() < f64::EPSILON,
        "NOT =" => (a - b).abs() >= f64::EPSILON,
        "<" => a < b,
        "<=" => a <= b,
        ">" => a > b,
        ">=" => a >= b,
        _ => false,
    }
}

fn cmp_str(a: &str, op: &str, b: &str) -> bool {
    match op {
        "=" => a == b,
        "NOT =" => a != b,
        ":" => a.starts_with(b),
        "HAS" => a.to_lowercase().contains(&b.to_lowercase()),
        "<" => a < b,
        "<=" => a <= b,
        ">" => a > b,
        ">=" => a >= b,
        _ => false,
    }
}

fn val_str(v: &Val) -> String {
    match v {
        Val::Str(s) => s.clone(),
        Val::Num(n) => n.to_string(),
        Val::Bool(b) => b.to_string(),
        Val::List(_) => String::new(),
    }
}

fn scalar_match(fv: &FieldVal, field: &str, op: &str, value: &Val, now: SystemTime) -> bool {
    match (fv, value) {
        (FieldVal::Missing, _) => op == "NOT =" || op == "NOT IN",
        (FieldVal::Num(a), Val::Num(b)) => cmp_num(*a, op, *b),
        (FieldVal::Num(a), Val::Str(s)) => {
            let b = if field == "size" { size_bytes(s) } else { s.parse().ok() };
            b.is_some_and(|b| cmp_num(*a, op, b))
        }
        (FieldVal::Str(a), v) => cmp_str(a, op, &val_str(v)),
        (FieldVal::Bool(a), Val::Bool(b)) => match op {
            "=" => a == b,
            "NOT =" => a != b,
            _ => false,
        },
        (FieldVal::Bool(a), Val::Str(s)) => match op {
            "=" => a.to_string() == *s,
            "NOT =" => a.to_string() != *s,
            _ => false,
        },
        (FieldVal::Time(t), Val::Str(s)) => time_of(s, now).is_some_and(|b| {
            let secs = |x: SystemTime| {
                x.duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
            };
            cmp_num(secs(*t), op, secs(b))
        }),
        (FieldVal::List(items), v) => {
            let b = val_str(v);
            match op {
                "=" | ":" => items.iter().any(|i| i == &b),
                "NOT =" => !items.iter().any(|i| i == &b),
                "HAS" => items.iter().any(|i| i.to_lowercase().contains(&b.to_lowercase())),
                _ => false,
            }
        }
        (FieldVal::Json(j), v) => match (j, v) {
            (Value::Number(n), Val::Num(b)) => n.as_f64().is_some_and(|a| cmp_num(a, op, *b)),
            (Value::String(a), v) => cmp_str(a, op, &val_str(v)),
            (Value::Bool(a), Val::Bool(b)) => (op == "=") == (a == b),
            (Value::Array(items), v) => {
                let b = val_str(v);
                let any = items
                    .iter()
                    .any(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned) == b);
                if op == "NOT =" { !any } else { any }
            }
            _ => false,
        },
        _ => false,
    }
}

/// Whether `f` matches `e`.
pub(crate) fn eval(e: &Expr, f: &StoredFile, now: SystemTime) -> bool {
    match e {
        Expr::Or(v) => v.iter().any(|x| eval(x, f, now)),
        Expr::And(v) => v.iter().all(|x| eval(x, f, now)),
        Expr::Exists { field, negated } => {
            let present = !matches!(field_of(f, field), FieldVal::Missing);
            present != *negated
        }
        Expr::Cmp { field, op, value } => {
            let fv = field_of(f, field);
            match (op.as_str(), value) {
                ("IN", Val::List(items)) => {
                    items.iter().any(|v| scalar_match(&fv, field, "=", v, now))
                }
                ("NOT IN", Val::List(items)) => {
                    !items.iter().any(|v| scalar_match(&fv, field, "=", v, now))
                }
                _ => scalar_match(&fv, field, op, value, now),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_docs_example() {
        let e = parse(r#"(size < "1mb" AND width > 500) OR (tags IN ["summer-sale","banner"])"#)
            .unwrap();
        let Expr::Or(items) = &e else { panic!("{e:?}") };
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[0], Expr::And(v) if v.len() == 2));
        assert!(parse(r#""customMetadata.brand" NOT IN ["a"] AND private = true"#).is_ok());
        assert!(parse(r#"name NOT EXISTS"#).is_ok());
        for bad in [
            "name =",
            "(name = \"a\"",
            "bogus = 1",
            "name IN \"a\"",
            "tags = [1]",
            "name = \"a\" foo",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_and_times() {
        assert_eq!(size_bytes("1mb"), Some(1_048_576.0));
        assert_eq!(size_bytes("500kb"), Some(512_000.0));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(time_of("1d", now), Some(SystemTime::UNIX_EPOCH + Duration::from_secs(913_600)));
        assert!(time_of("2020-01-01", now).is_some());
        assert_eq!(time_of("soon", now), None);
    }
}
