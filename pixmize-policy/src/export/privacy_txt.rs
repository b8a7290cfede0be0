//! privacy.txt (IETF draft-colwell-privacy-txt-01): `Field: Value` lines.

use std::fmt::Write as _;

use crate::Policy;
use crate::model::{Right, clause};

/// Escapes a field value: the draft separates sub-fields with `,`, and its
/// example escapes a comma inside a name as `\,`.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace(',', "\\,").replace(['\n', '\r'], " ")
}

/// The policy as a privacy.txt file (served at `/.well-known/privacy.txt`).
/// Session cookies get duration 0.
#[must_use]
pub fn privacy_txt(policy: &Policy) -> String {
    let doc = policy.document();
    let c = &doc.controller;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# privacy.txt for {}, generated from policy version {}",
        esc(&c.name),
        esc(&doc.version)
    );
    let _ = writeln!(out, "Entity: {},{}", esc(&c.legal_name), c.country);
    let _ = writeln!(out, "Privacy-policy: {}", doc.url);
    let _ = writeln!(out, "Contact: mailto:{}", c.email);
    if doc.rights.iter().any(|r| r.right == Right::Erasure) {
        let _ = writeln!(out, "Action-delete-account-and-data: mailto:{}", c.email);
        let _ = writeln!(out, "Action-delete-personal-data: mailto:{}", c.email);
    }
    if !doc.recipients.is_empty() {
        let _ = writeln!(out, "Action-shared-list: {}#{}", doc.url, clause::RECIPIENTS);
    }
    let banner = doc.cookies.iter().any(|c| c.optional);
    let _ = writeln!(
        out,
        "Banner: {},{}",
        banner,
        if banner { "non-specific-custom" } else { "none detected" }
    );
    for k in &doc.cookies {
        let _ = writeln!(
            out,
            "Cookie: {},{},{},{},{},{},{}",
            esc(&k.name),
            esc(&k.domain),
            k.max_age_s.unwrap_or(0),
            k.third_party,
            k.optional,
            k.http_only,
            k.secure
        );
    }
    out
}
