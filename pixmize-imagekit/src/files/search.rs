//! A typed builder for ImageKit's search-query language (`searchQuery` of
//! `GET /v1/files`): comparisons on fields joined with `AND`/`OR`, strings in
//! double quotes, numbers and booleans bare, metadata field names quoted.
//!
//! ```
//! use pixmize_imagekit::search::Field;
//! let q = Field::size().lt("1mb").and(Field::width().gt(500))
//!     .or(Field::tags().is_in(["summer-sale", "banner"]));
//! assert_eq!(
//!     q.to_string(),
//!     r#"(size < "1mb" AND width > 500) OR tags IN ["summer-sale", "banner"]"#
//! );
//! ```

use std::fmt;

/// A field to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field(String);

impl Field {
    /// A field by its name as ImageKit writes it; names with a `.` are
    /// quoted when printed.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Field {
        Field(name.into())
    }

    /// `name`: `=` is exact, [`Field::starts_with`] is a prefix match.
    #[must_use]
    pub fn name() -> Field {
        Field::new("name")
    }

    /// `tags`.
    #[must_use]
    pub fn tags() -> Field {
        Field::new("tags")
    }

    /// `type` (`file`, `file-version`, `folder`).
    #[must_use]
    pub fn kind() -> Field {
        Field::new("type")
    }

    /// `createdAt` (an ISO date or a relative `"7d"`, `"2h"`…).
    #[must_use]
    pub fn created_at() -> Field {
        Field::new("createdAt")
    }

    /// `updatedAt`.
    #[must_use]
    pub fn updated_at() -> Field {
        Field::new("updatedAt")
    }

    /// `height`.
    #[must_use]
    pub fn height() -> Field {
        Field::new("height")
    }

    /// `width`.
    #[must_use]
    pub fn width() -> Field {
        Field::new("width")
    }

    /// `size` (bytes, or a string such as `"1mb"`).
    #[must_use]
    pub fn size() -> Field {
        Field::new("size")
    }

    /// `format` (`jpg`, `png`…).
    #[must_use]
    pub fn format() -> Field {
        Field::new("format")
    }

    /// `private`.
    #[must_use]
    pub fn private() -> Field {
        Field::new("private")
    }

    /// `published`.
    #[must_use]
    pub fn published() -> Field {
        Field::new("published")
    }

    /// `transparency`.
    #[must_use]
    pub fn transparency() -> Field {
        Field::new("transparency")
    }

    /// `"customMetadata.<key>"`.
    #[must_use]
    pub fn custom_metadata(key: &str) -> Field {
        Field::new(format!("customMetadata.{key}"))
    }

    /// `"embeddedMetadata.<key>"`.
    #[must_use]
    pub fn embedded_metadata(key: &str) -> Field {
        Field::new(format!("embeddedMetadata.{key}"))
    }

    /// The name as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn cmp(self, op: &str, value: impl Into<SearchValue>) -> SearchQuery {
        SearchQuery(Node::Cmp(format!("{self} {op} {}", value.into())))
    }

    /// `field = value`.
    #[must_use]
    pub fn eq(self, value: impl Into<SearchValue>) -> SearchQuery {
        self.cmp("=", value)
    }

    /// `field NOT = value`.
    #[must_use]
    pub fn ne(self, value: impl Into<SearchValue>) -> SearchQuery {
        self.cmp("NOT =", value)
    }

    /// `field : value` (begins with; within subfolders for paths).
    #[must_use]
    pub fn starts_with(self, value: impl Into<SearchValue>) -> SearchQuery {
        self.cmp(":", value)
    }

    /// `field < value`.
    #[must_use]
    pub fn lt(self, value: impl Into<SearchValue>) -> SearchQuery {
        self.cmp("<", value)
    }

    /// `field <= value`.
    #[must_use]
    pub fn lte(self, value: impl Into<SearchValue>) -> SearchQuery {
        self.cmp("<=", value)
    }

    /// `field > value`.
    #[must_use]
    pub fn gt(self, value: impl Into<SearchValue>) -> SearchQuery {
        self.cmp(">", value)
    }

    /// `field >= value`.
    #[must_use]
    pub fn gte(self, value: impl Into<SearchValue>) -> SearchQuery {
        self.cmp(">=", value)
    }

    /// `field HAS value` (case-insensitive full text).
    #[must_use]
    pub fn has(self, value: impl Into<SearchValue>) -> SearchQuery {
        self.cmp("HAS", value)
    }

    /// `field IN [a, b]`.
    #[must_use]
    pub fn is_in<I, V>(self, values: I) -> SearchQuery
    where
        I: IntoIterator<Item = V>,
        V: Into<SearchValue>,
    {
        SearchQuery(Node::Cmp(format!("{self} IN {}", list(values))))
    }

    /// `field NOT IN [a, b]`.
    #[must_use]
    pub fn not_in<I, V>(self, values: I) -> SearchQuery
    where
        I: IntoIterator<Item = V>,
        V: Into<SearchValue>,
    {
        SearchQuery(Node::Cmp(format!("{self} NOT IN {}", list(values))))
    }

    /// `field EXISTS`.
    #[must_use]
    pub fn exists(self) -> SearchQuery {
        SearchQuery(Node::Cmp(format!("{self} EXISTS")))
    }

    /// `field NOT EXISTS`.
    #[must_use]
    pub fn not_exists(self) -> SearchQuery {
        SearchQuery(Node::Cmp(format!("{self} NOT EXISTS")))
    }
}

fn list<I, V>(values: I) -> String
where
    I: IntoIterator<Item = V>,
    V: Into<SearchValue>,
{
    let items: Vec<String> = values.into_iter().map(|v| v.into().to_string()).collect();
    format!("[{}]", items.join(", "))
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bare =
            !self.0.is_empty() && self.0.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if bare { f.write_str(&self.0) } else { write_quoted(f, &self.0) }
    }
}

/// A value in a comparison: a string (quoted), a number or a boolean.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchValue {
    /// `"text"`.
    Str(String),
    /// A number, as written.
    Num(String),
    /// `true` / `false`.
    Bool(bool),
}

impl fmt::Display for SearchValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchValue::Str(s) => write_quoted(f, s),
            SearchValue::Num(n) => f.write_str(n),
            SearchValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl From<&str> for SearchValue {
    fn from(s: &str) -> Self {
        SearchValue::Str(s.to_owned())
    }
}

impl From<String> for SearchValue {
    fn from(s: String) -> Self {
        SearchValue::Str(s)
    }
}

impl From<&String> for SearchValue {
    fn from(s: &String) -> Self {
        SearchValue::Str(s.clone())
    }
}

impl From<bool> for SearchValue {
    fn from(b: bool) -> Self {
        SearchValue::Bool(b)
    }
}

macro_rules! num_from {
    ($($t:ty),*) => {$(
        impl From<$t> for SearchValue {
            fn from(n: $t) -> Self { SearchValue::Num(n.to_string()) }
        }
    )*};
}
num_from!(i32, i64, u32, u64, usize);

impl From<f64> for SearchValue {
    fn from(n: f64) -> Self {
        if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
            SearchValue::Num(format!("{}", n as i64))
        } else {
            SearchValue::Num(n.to_string())
        }
    }
}

/// A search query; print it with `Display` (it is what goes into
/// `searchQuery`).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery(Node);

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Cmp(String),
    And(Vec<Node>),
    Or(Vec<Node>),
}

impl SearchQuery {
    /// A query written by hand (used verbatim, parenthesized when combined).
    #[must_use]
    pub fn raw(query: impl Into<String>) -> SearchQuery {
        SearchQuery(Node::Cmp(format!("({})", query.into())))
    }

    /// `self AND other`.
    #[must_use]
    pub fn and(self, other: SearchQuery) -> SearchQuery {
        let mut items = match self.0 {
            Node::And(v) => v,
            n => vec![n],
        };
        items.push(other.0);
        SearchQuery(Node::And(items))
    }

    /// `self OR other`.
    #[must_use]
    pub fn or(self, other: SearchQuery) -> SearchQuery {
        let mut items = match self.0 {
            Node::Or(v) => v,
            n => vec![n],
        };
        items.push(other.0);
        SearchQuery(Node::Or(items))
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (items, sep) = match self {
            Node::Cmp(s) => return f.write_str(s),
            Node::And(v) => (v, " AND "),
            Node::Or(v) => (v, " OR "),
        };
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(sep)?;
            }
            match item {
                Node::Cmp(_) => write!(f, "{item}")?,
                _ => write!(f, "({item})")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for SearchQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            // A lone raw query needs no parentheses.
            Node::Cmp(s) if s.starts_with('(') && s.ends_with(')') => {
                f.write_str(&s[1..s.len() - 1])
            }
            n => write!(f, "{n}"),
        }
    }
}

impl From<SearchQuery> for String {
    fn from(q: SearchQuery) -> String {
        q.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing() {
        let cases: Vec<(SearchQuery, &str)> = vec![
            (Field::name().eq("a.jpg"), r#"name = "a.jpg""#),
            (Field::name().starts_with("red"), r#"name : "red""#),
            (Field::name().ne("x"), r#"name NOT = "x""#),
            (Field::tags().not_in(["a", "b"]), r#"tags NOT IN ["a", "b"]"#),
            (Field::private().eq(true), "private = true"),
            (Field::width().gte(1.5), "width >= 1.5"),
            (Field::height().lte(300.0), "height <= 300"),
            (Field::created_at().gt("7d"), r#"createdAt > "7d""#),
            (Field::custom_metadata("brand").eq("Nike"), r#""customMetadata.brand" = "Nike""#),
            (Field::embedded_metadata("Make").exists(), r#""embeddedMetadata.Make" EXISTS"#),
            (Field::name().eq(r#"say "hi"\"#), r#"name = "say \"hi\"\\""#),
            (
                Field::format()
                    .eq("png")
                    .or(Field::format().eq("jpg"))
                    .and(Field::size().lt("2mb")),
                r#"(format = "png" OR format = "jpg") AND size < "2mb""#,
            ),
            (SearchQuery::raw(r#"name = "a""#), r#"name = "a""#),
            (SearchQuery::raw("a = 1").and(Field::width().gt(2)), "(a = 1) AND width > 2"),
        ];
        for (q, want) in cases {
            assert_eq!(q.to_string(), want);
        }
    }
}
