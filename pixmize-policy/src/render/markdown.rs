//! The Markdown writer.

use std::fmt::Write as _;

use super::{Block, Inline, Page, page};
use crate::Policy;

/// Escapes characters Markdown would interpret in running text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '|' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn inlines(out: &mut String, items: &[Inline]) {
    for i in items {
        match i {
            Inline::Text(s) => out.push_str(&escape(s)),
            Inline::Strong(s) => {
                let _ = write!(out, "**{}**", escape(s.trim_end()));
                if s.ends_with(' ') {
                    out.push(' ');
                }
            }
            Inline::Code(s) => {
                let _ = write!(out, "`{}`", s.replace('`', "'"));
            }
            Inline::Link { text, href } => {
                let href = href.replace(['<', '>'], "");
                if href.contains(|c: char| c.is_whitespace() || c == '(' || c == ')') {
                    let _ = write!(out, "[{}](<{href}>)", escape(text));
                } else {
                    let _ = write!(out, "[{}]({href})", escape(text));
                }
            }
        }
    }
}

/// The policy page as Markdown, with an `<a id="…">` anchor before every
/// clause heading.
#[must_use]
pub fn markdown(policy: &Policy) -> String {
    write_page(&page(policy))
}

pub(crate) fn write_page(p: &Page) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n\n*{}*\n", escape(&p.title), escape(&p.subtitle));
    for s in &p.sections {
        let _ = writeln!(out, "<a id=\"{}\"></a>\n", s.clause.as_str());
        let _ = writeln!(out, "{} {}\n", "#".repeat(usize::from(s.level)), escape(&s.title));
        for b in &s.blocks {
            match b {
                Block::Para(items) => {
                    inlines(&mut out, items);
                    out.push_str("\n\n");
                }
                Block::List(items) => {
                    for item in items {
                        out.push_str("- ");
                        inlines(&mut out, item);
                        out.push('\n');
                    }
                    out.push('\n');
                }
                Block::Table { head, rows } => {
                    let _ = writeln!(
                        out,
                        "| {} |",
                        head.iter().map(|h| escape(h)).collect::<Vec<_>>().join(" | ")
                    );
                    let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
                    for row in rows {
                        out.push('|');
                        for cell in row {
                            out.push(' ');
                            inlines(&mut out, cell);
                            out.push_str(" |");
                        }
                        out.push('\n');
                    }
                    out.push('\n');
                }
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
