//! The HTML writer: one self-contained document (inline CSS, no scripts,
//! fonts or external resources), so it can be embedded anywhere.

use std::fmt::Write as _;

use super::{Block, Inline, Page, page};
use crate::Policy;

const STYLE: &str = "body{font:16px/1.55 system-ui,-apple-system,\"Segoe UI\",sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;background:#fff}\
h1{font-size:1.9rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}h3{margin-top:1.6rem}\
a{color:#0b57d0}a.anchor{color:#999;text-decoration:none;margin-left:.4rem;font-weight:normal}\
code{font:.9em ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f3f3;padding:.05rem .25rem;border-radius:3px}\
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{background:#f6f6f6}.subtitle{color:#555;margin-top:0}\
@media (prefers-color-scheme:dark){body{background:#121212;color:#e6e6e6}a{color:#8ab4f8}code{background:#2a2a2a}th{background:#1e1e1e}th,td,h2{border-color:#333}}";

/// Escapes text for HTML element content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only `http(s):`, `mailto:` and in-page links are written as links;
/// anything else (e.g. `javascript:`) is rendered as text.
fn safe_href(href: &str) -> bool {
    let lower = href.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || lower.starts_with('#')
}

fn inlines(out: &mut String, items: &[Inline]) {
    for i in items {
        match i {
            Inline::Text(s) => out.push_str(&escape(s)),
            Inline::Strong(s) => {
                let _ = write!(out, "<strong>{}</strong>", escape(s));
            }
            Inline::Code(s) => {
                let _ = write!(out, "<code>{}</code>", escape(s));
            }
            Inline::Link { text, href } if safe_href(href) => {
                let _ = write!(out, "<a href=\"{}\">{}</a>", escape(href.trim()), escape(text));
            }
            Inline::Link { text, .. } => out.push_str(&escape(text)),
        }
    }
}

/// The policy page as a complete, self-contained HTML document; every
/// clause is a `<section id="…">` with a self-link.
#[must_use]
pub fn html(policy: &Policy) -> String {
    write_page(&page(policy))
}

pub(crate) fn write_page(p: &Page) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n",
        escape(&p.language),
        escape(&p.title),
        escape(&p.title),
        escape(&p.subtitle)
    );
    for s in &p.sections {
        let id = escape(s.clause.as_str());
        let level = s.level.clamp(2, 6);
        let _ = writeln!(out, "<section id=\"{id}\">");
        let _ = writeln!(
            out,
            "<h{level}>{}<a class=\"anchor\" href=\"#{id}\" aria-label=\"Link to this clause\">#</a></h{level}>",
            escape(&s.title)
        );
        for b in &s.blocks {
            match b {
                Block::Para(items) => {
                    out.push_str("<p>");
                    inlines(&mut out, items);
                    out.push_str("</p>\n");
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        out.push_str("<li>");
                        inlines(&mut out, item);
                        out.push_str("</li>\n");
                    }
                    out.push_str("</ul>\n");
                }
                Block::Table { head, rows } => {
                    out.push_str("<table>\n<thead><tr>");
                    for h in head {
                        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
                    }
                    out.push_str("</tr></thead>\n<tbody>\n");
                    for row in rows {
                        out.push_str("<tr>");
                        for cell in row {
                            out.push_str("<td>");
                            inlines(&mut out, cell);
                            out.push_str("</td>");
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</tbody>\n</table>\n");
                }
            }
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_refuses_script_links() {
        assert_eq!(escape("<a href=\"x\">'&"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
        let mut out = String::new();
        inlines(&mut out, &[Inline::Link { text: "x".into(), href: "javascript:alert(1)".into() }]);
        assert_eq!(out, "x");
    }
}
