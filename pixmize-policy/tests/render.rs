//! The rendered pages: snapshots (insta), every promise of the published
//! policy stated, anchors per clause, and a self-contained HTML page.

use pixmize_policy::{IMAGEKIT_TOML, Policy, render};

/// Text of a rendered page with markup removed and whitespace collapsed,
/// so promises are checked as a reader sees them.
fn plain(markup: &str) -> String {
    // Drop Markdown link targets: `[text](target)` reads as `text`.
    let mut text = String::new();
    let mut rest = markup;
    while let Some(i) = rest.find("](") {
        text.push_str(&rest[..i]);
        rest = &rest[i + 2..];
        rest = rest.find(')').map_or("", |j| &rest[j + 1..]);
    }
    text.push_str(rest);
    let markup = text.as_str();
    let mut out = String::new();
    let mut in_tag = false;
    for c in markup.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            '*' | '`' | '\\' | '[' | ']' => {}
            c => out.push(c),
        }
    }
    let out = out.replace("&amp;", "&").replace("&#39;", "'").replace("&quot;", "\"");
    out.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Issue 6, item 2: every promise the product publishes, as phrases the
/// page must contain. Each entry is (promise, phrases that must all appear).
const PROMISES: &[(&str, &[&str])] = &[
    (
        "images processed on the device by default",
        &["by default your images are processed on your device", "nothing is uploaded"],
    ),
    (
        "cloud processing by ImageKit only for operations that need it",
        &["cloud processing by imagekit", "only for operations your device cannot run"],
    ),
    (
        "cloud processing only with the user's choice",
        &["only if you choose it: off until you switch on “allow cloud processing”"],
    ),
    (
        "uploads to ImageKit deleted after processing",
        &["the upload is deleted immediately after processing"],
    ),
    (
        "metadata stripped before upload",
        &["image metadata (exif, xmp, iptc, including gps location) is removed before upload"],
    ),
    (
        "accounts and authentication at Clerk",
        &["your account and sign-in: at clerk", "authentication"],
    ),
    ("subscription at Clerk", &["subscription: at clerk"]),
    ("usage data at Clerk", &["usage data for your plan: at clerk"]),
    ("hosting logs at Vercel", &["hosting logs at vercel: at vercel"]),
    (
        "CDN logs for static assets",
        &["cdn logs for static files", "delivers the app's static files"],
    ),
    ("anonymous usage statistics", &["anonymous usage statistics"]),
    (
        "statistics: page views, feature usage, browser, device type, country, processing method",
        &["page views and feature usage, with browser, device type, country and processing method"],
    ),
    (
        "statistics kept 2 years",
        &["anonymous usage statistics: at vercel (the united states), kept for 730 days (2 years)"],
    ),
    (
        "statistics keep the country, never an IP",
        &["the country (never a region, city or ip address)", "we never record your ip address"],
    ),
    (
        "preferences (theme, processing choice) in local storage on the device",
        &["your theme and processing choice", "local storage on your device"],
    ),
    ("only essential cookies", &["we use only essential cookies"]),
    ("no advertising cookies", &["no advertising cookies"]),
    ("right: access", &["see your data (gdpr art. 15)"]),
    ("right: update", &["update your data (gdpr art. 16)"]),
    (
        "right: delete the account and its data",
        &["delete your account and its data (gdpr art. 17)"],
    ),
    ("right: restrict processing", &["restrict processing (gdpr art. 18)"]),
    ("right: export", &["export your data (gdpr art. 20)"]),
    ("right: choose device or cloud processing", &["choose device or cloud processing"]),
    ("right: clear local storage", &["clear local storage"]),
    ("right: disable cookies", &["disable cookies"]),
    ("right: ask what was collected", &["ask what we collected"]),
    ("right: contact", &["contact us", "privacy@pixmize.example"]),
    (
        "no advertising, selling or AI training",
        &["no advertising", "no selling or sharing", "no ai training on your images"],
    ),
];

#[test]
fn the_rendered_page_states_every_promise() {
    let policy = Policy::pixmize();
    for (format, page) in
        [("markdown", plain(&render::markdown(policy))), ("html", plain(&render::html(policy)))]
    {
        for (promise, phrases) in PROMISES {
            for phrase in *phrases {
                assert!(
                    page.contains(phrase),
                    "{format} page does not state “{promise}”: missing {phrase:?}"
                );
            }
        }
    }
}

#[test]
fn every_clause_has_an_anchor() {
    let policy = Policy::pixmize();
    let md = render::markdown(policy);
    let html = render::html(policy);
    let doc = policy.document();
    let clauses = doc
        .activities
        .iter()
        .map(|a| a.clause())
        .chain(doc.prohibitions.iter().map(|p| p.clause()))
        .chain(doc.rights.iter().map(|r| r.clause()));
    for c in clauses {
        assert!(md.contains(&format!("<a id=\"{}\"></a>", c.as_str())), "markdown lacks {c}");
        assert!(html.contains(&format!("<section id=\"{}\">", c.as_str())), "html lacks {c}");
    }
    for fixed in [
        "promises",
        "controller",
        "recipients",
        "never",
        "analytics",
        "cookies",
        "choices",
        "rights",
        "complaints",
        "changes",
        "not-listed",
    ] {
        assert!(md.contains(&format!("<a id=\"{fixed}\"></a>")), "markdown lacks {fixed}");
        assert!(html.contains(&format!("<section id=\"{fixed}\">")), "html lacks {fixed}");
    }
    // In-page links all point at existing anchors.
    for target in md.split("](#").skip(1).map(|s| &s[..s.find(')').unwrap()]) {
        assert!(md.contains(&format!("<a id=\"{target}\"></a>")), "dangling link #{target}");
    }
}

#[test]
fn html_is_self_contained() {
    let html = render::html(Policy::pixmize());
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for forbidden in ["<script", "<link", "src=", "@import", "url(", "<iframe", "@font-face"] {
        assert!(!html.contains(forbidden), "html contains {forbidden}");
    }
    assert!(html.contains("<style>"), "inline styles only");
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("pixmize_markdown", render::markdown(Policy::pixmize()));
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!("pixmize_html", render::html(Policy::pixmize()));
}

#[test]
fn imagekit_markdown_snapshot() {
    insta::assert_snapshot!(
        "imagekit_markdown",
        render::markdown(&Policy::from_toml(IMAGEKIT_TOML).unwrap())
    );
}
