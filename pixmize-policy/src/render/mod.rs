//! The policy page, generated from the data: one [`Page`] model, written out
//! as [Markdown](markdown) or [HTML](html). Every clause has an anchor
//! ([`ClauseRef`]), so decisions, diffs and validation issues link straight
//! to the sentence they rest on.
//!
//! ```
//! use pixmize_policy::{Policy, render};
//! let md = render::markdown(Policy::pixmize());
//! assert!(md.contains(r#"<a id="activity-cloud_processing"></a>"#));
//! let html = render::html(Policy::pixmize());
//! assert!(html.contains(r#"id="activity-cloud_processing""#));
//! ```

mod html;
mod markdown;

use crate::Policy;
use crate::key::KeyKind;
use crate::model::{
    Activity, Channel, ClauseRef, ConsentRequirement, Document, LegalBasis, Location, Recipient,
    Retention, clause,
};
use crate::retention::describe_days;

pub use html::html;
pub use markdown::markdown;

/// A piece of inline text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// Emphasised text.
    Strong(String),
    /// A taxonomy key or other literal.
    Code(String),
    /// A link.
    Link {
        /// The link text.
        text: String,
        /// The target (a URL or `#anchor`).
        href: String,
    },
}

/// A block of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Block {
    /// A paragraph.
    Para(Vec<Inline>),
    /// A bulleted list; each item is a run of inlines.
    List(Vec<Vec<Inline>>),
    /// A table with a header row.
    Table {
        /// Column titles.
        head: Vec<String>,
        /// Rows of cells.
        rows: Vec<Vec<Vec<Inline>>>,
    },
}

/// One clause of the page, with its anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The anchor.
    pub clause: ClauseRef,
    /// Heading level: 2 for sections, 3 for sub-clauses.
    pub level: u8,
    /// The heading.
    pub title: String,
    /// The content.
    pub blocks: Vec<Block>,
}

/// The whole policy page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The page title.
    pub title: String,
    /// Version and effective date, one line.
    pub subtitle: String,
    /// The language (BCP 47).
    pub language: String,
    /// The sections in order.
    pub sections: Vec<Section>,
}

fn t(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

fn strong(s: impl Into<String>) -> Inline {
    Inline::Strong(s.into())
}

fn code(s: impl Into<String>) -> Inline {
    Inline::Code(s.into())
}

fn link(text: impl Into<String>, href: impl Into<String>) -> Inline {
    Inline::Link { text: text.into(), href: href.into() }
}

fn para(inlines: Vec<Inline>) -> Block {
    Block::Para(inlines)
}

fn section(clause: &str, level: u8, title: impl Into<String>, blocks: Vec<Block>) -> Section {
    Section { clause: ClauseRef::new(clause), level, title: title.into(), blocks }
}

/// Joins words as "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn recipient_name<'a>(doc: &'a Document, id: &'a str) -> &'a str {
    doc.recipients.iter().find(|r| r.id == id).map_or(id, |r| r.name.as_str())
}

fn countries(r: &Recipient) -> String {
    join_and(&r.countries.iter().map(|c| c.name().to_owned()).collect::<Vec<_>>())
}

/// "on your device" / "at ImageKit (India and the United States)".
fn where_phrase(doc: &Document, a: &Activity) -> String {
    match &a.location {
        Location::Device => "on your device; nothing is uploaded".to_owned(),
        Location::Recipient(id) => match doc.recipients.iter().find(|r| r.id == *id) {
            Some(r) => format!("at {} ({})", r.name, countries(r)),
            None => format!("at {id}"),
        },
    }
}

fn retention_phrase(a: &Activity) -> String {
    match (a.retention, &a.location) {
        (Some(Retention::Ephemeral), Location::Device) => {
            "kept only while you work on it".to_owned()
        }
        (Some(Retention::Ephemeral), Location::Recipient(_)) => {
            "deleted immediately after processing".to_owned()
        }
        (Some(Retention::Days { days }), _) => format!("kept for {}", describe_days(days)),
        (Some(r), _) => format!("kept {}", r.describe()),
        (None, _) => "retention not stated".to_owned(),
    }
}

fn consent_phrase(doc: &Document, a: &Activity) -> Option<String> {
    let label = |id: &str| {
        doc.preferences.iter().find(|p| p.id == id).map_or(id.to_owned(), |p| p.label.clone())
    };
    match &a.consent {
        ConsentRequirement::NotRequired => None,
        ConsentRequirement::OptIn { preference } => Some(format!(
            "only if you choose it: off until you switch on “{}”",
            label(preference.as_str())
        )),
        ConsentRequirement::OptOut { preference } => Some(format!(
            "you can switch it off at any time (“{}”), and Global Privacy Control switches it off",
            label(preference.as_str())
        )),
    }
}

fn key_list(policy: &Policy, kind: KeyKind, keys: &[crate::Key]) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(t(if i + 1 == keys.len() { " and " } else { ", " }));
        }
        out.push(t(format!("{} (", policy.taxonomy().name_of(kind, k))));
        out.push(code(k.as_str()));
        out.push(t(")"));
    }
    out
}

fn activity_section(policy: &Policy, a: &Activity) -> Section {
    let doc = policy.document();
    let mut items: Vec<Vec<Inline>> = Vec::new();
    let mut what = vec![strong("What: ")];
    what.extend(key_list(policy, KeyKind::DataCategory, &a.data_categories));
    items.push(what);
    items.push(vec![
        strong("Why: "),
        t(format!("{} (", policy.taxonomy().name_of(KeyKind::DataUse, &a.purpose))),
        code(a.purpose.as_str()),
        t(")"),
    ]);
    let mut whose = vec![strong("Whose: ")];
    whose.extend(key_list(policy, KeyKind::DataSubject, &a.data_subjects));
    items.push(whose);
    let mut where_ = vec![strong("Where: ")];
    match &a.location {
        Location::Device => where_.push(t("on your device; nothing is uploaded")),
        Location::Recipient(id) => {
            where_.push(t("at "));
            where_.push(link(recipient_name(doc, id.as_str()), format!("#{}", clause::RECIPIENTS)));
            if let Some(r) = doc.recipients.iter().find(|r| r.id == *id) {
                where_.push(t(format!(" ({})", countries(r))));
            }
        }
    }
    let others: Vec<String> = a
        .recipients
        .iter()
        .filter(|r| a.location_recipient() != Some(*r))
        .map(|r| recipient_name(doc, r.as_str()).to_owned())
        .collect();
    if !others.is_empty() {
        where_.push(t(format!("; also received by {}", join_and(&others))));
    }
    items.push(where_);
    items.push(vec![strong("How long: "), t(retention_phrase(a))]);
    let mut basis = vec![strong("Legal basis: "), t(a.legal_basis.label())];
    if let (LegalBasis::LegitimateInterest, Some(li)) = (a.legal_basis, &a.legitimate_interest) {
        basis.push(t(format!(": {li}")));
    }
    items.push(basis);
    if let Some(c) = consent_phrase(doc, a) {
        items.push(vec![
            strong("Your choice: "),
            t(c),
            t(" ("),
            link("your choices", format!("#{}", clause::CHOICES)),
            t(")"),
        ]);
    }
    if !a.obligations.is_empty() {
        let o: Vec<String> = a.obligations.iter().map(|o| o.describe()).collect();
        items.push(vec![strong("Every time: "), t(join_and(&o))]);
    }
    if !a.measures.is_empty() {
        let m: Vec<String> = a.measures.iter().map(|m| m.label().to_owned()).collect();
        items.push(vec![strong("Safeguards: "), t(join_and(&m))]);
    }
    if a.required {
        items.push(vec![strong("Needed: "), t("the service cannot work without it")]);
    }
    section(
        a.clause().as_str(),
        3,
        a.title.clone(),
        vec![para(vec![t(a.description.clone())]), Block::List(items)],
    )
}

/// Builds the page model from a policy.
#[must_use]
pub fn page(policy: &Policy) -> Page {
    let doc = policy.document();
    let mut sections = Vec::new();

    // Summary.
    sections.push(section(
        clause::PROMISES,
        2,
        "In short",
        vec![para(vec![t(doc.summary.trim())]), Block::List(promises(policy))],
    ));

    // Controller and complaints.
    let c = &doc.controller;
    let mut who = vec![
        vec![strong("Controller: "), t(format!("{}, {}", c.legal_name, c.address))],
        vec![
            strong("Contact: "),
            link(c.email.clone(), format!("mailto:{}", c.email)),
            t(", "),
            link(c.url.clone(), c.url.clone()),
        ],
    ];
    if let Some(dpo) = &doc.dpo {
        who.push(vec![
            strong("Data protection officer: "),
            t(format!("{}, ", dpo.name)),
            link(dpo.email.clone(), format!("mailto:{}", dpo.email)),
        ]);
    }
    sections.push(section(
        clause::CONTROLLER,
        2,
        "Who is responsible",
        vec![
            para(vec![t(format!(
                "{} is responsible for your personal data (the controller).",
                c.name
            ))]),
            Block::List(who),
        ],
    ));

    // Activities.
    sections.push(section(
        clause::ACTIVITIES,
        2,
        "What we process, why, where and for how long",
        vec![para(vec![t(
            "Each item below is one processing activity. Data categories use the fideslang taxonomy keys shown in code style.",
        )])],
    ));
    for a in &doc.activities {
        sections.push(activity_section(policy, a));
    }

    // Recipients.
    let rows = doc
        .recipients
        .iter()
        .map(|r| {
            let mut links = vec![link("privacy policy", r.privacy_url.clone())];
            if let Some(dpa) = &r.dpa_url {
                links.push(t(", "));
                links.push(link("data processing terms", dpa.clone()));
            }
            let safeguard = match r.transfer_mechanism {
                Some(m) => m.label().to_owned(),
                None => "none needed (EEA)".to_owned(),
            };
            vec![
                vec![link(r.name.clone(), r.url.clone()), t(format!(" ({})", r.legal_name))],
                vec![t(r.role.label())],
                vec![t(r.service.clone())],
                vec![t(countries(r))],
                vec![t(safeguard)],
                links,
            ]
        })
        .collect();
    sections.push(section(
        clause::RECIPIENTS,
        2,
        "Who receives data",
        vec![
            para(vec![t(
                "These companies process data for us, only on our instructions and under a data processing agreement. Where they are outside the European Economic Area, the safeguard named below protects the transfer; ask us for a copy.",
            )]),
            Block::Table {
                head: ["Recipient", "Role", "What they do", "Countries", "Transfer safeguard", "Links"].map(String::from).to_vec(),
                rows,
            },
        ],
    ));

    // Prohibitions.
    sections.push(section(
        clause::PROHIBITIONS,
        2,
        "What we never do",
        vec![para(vec![t("These promises override everything else in this policy.")])],
    ));
    for p in &doc.prohibitions {
        sections.push(section(
            p.clause().as_str(),
            3,
            p.title.clone(),
            vec![para(vec![t(p.description.clone())])],
        ));
    }

    if let Some(s) = analytics_section(policy) {
        sections.push(s);
    }
    sections.push(cookies_section(policy));
    sections.push(choices_section(doc));

    // Rights.
    sections.push(section(
        clause::RIGHTS,
        2,
        "Your rights",
        vec![para(vec![t(
            "You can use these rights at any time and free of charge. We answer within the time shown, at the latest within one month (GDPR Art. 12(3)).",
        )])],
    ));
    for r in &doc.rights {
        let mut title = r.right.title().to_owned();
        if let Some(art) = r.right.article() {
            title.push_str(&format!(" (GDPR {art})"));
        }
        let channels: Vec<String> =
            r.channels.iter().map(|c| Channel::label(*c).to_owned()).collect();
        let deadline = match r.deadline_days {
            _ if r.right == crate::Right::Complaint => String::new(),
            0 => " Takes effect at once.".to_owned(),
            d => format!(" Done within {}.", describe_days(u32::from(d))),
        };
        let mut body = vec![t(format!("{} ", r.how))];
        if r.right == crate::Right::Complaint {
            let a = &doc.supervisory_authority;
            body.push(t("Our supervisory authority is "));
            body.push(link(a.name.clone(), a.url.clone()));
            body.push(t(". "));
        }
        body.push(t(format!("How: {}.{deadline}", join_and(&channels))));
        sections.push(section(r.clause().as_str(), 3, title, vec![para(body)]));
    }

    // Complaints, changes, deny by default.
    let a = &doc.supervisory_authority;
    sections.push(section(
        clause::COMPLAINTS,
        2,
        "Complaints",
        vec![para(vec![
            t("If you think we handle your data wrongly, you can complain to a supervisory authority. Ours is "),
            link(a.name.clone(), a.url.clone()),
            t(format!(" ({})", a.country.name())),
            t("."),
        ])],
    ));
    sections.push(section(
        clause::CHANGES,
        2,
        "Changes to this policy",
        vec![para(vec![t(format!(
            "{} Material changes are announced at least {} days before they take effect. This is version {}, effective {}.",
            doc.changes.how, doc.changes.advance_days, doc.version, doc.effective
        ))])],
    ));
    sections.push(section(
        clause::NOT_LISTED,
        2,
        "Anything else",
        vec![
            para(vec![t(
                "We do not process personal data in any way this policy does not list. The app checks this policy before any image leaves your device, and refuses anything it does not allow.",
            )]),
            para(vec![t(format!(
                "Data categories, purposes and subjects use the fideslang {} taxonomy (© Ethyca, CC BY 4.0).",
                crate::FIDESLANG_VERSION
            ))]),
        ],
    ));

    Page {
        title: doc.title.clone(),
        subtitle: format!("Version {} · effective {}", doc.version, doc.effective),
        language: doc.language.clone(),
        sections,
    }
}

/// The short list of promises, generated from the activities, cookies and
/// prohibitions.
fn promises(policy: &Policy) -> Vec<Vec<Inline>> {
    let doc = policy.document();
    let mut out = Vec::new();
    for a in &doc.activities {
        let mut line = vec![
            link(a.title.clone(), a.clause().href()),
            t(format!(": {}, {}", where_phrase(doc, a), retention_phrase(a))),
        ];
        if let Some(c) = consent_phrase(doc, a) {
            line.push(t(format!("; {c}")));
        }
        if a.obligations.contains(&crate::Obligation::StripMetadata) {
            line.push(t("; image metadata is removed before upload"));
        }
        line.push(t("."));
        out.push(line);
    }
    out.push(vec![
        link("Cookies", format!("#{}", clause::COOKIES)),
        t(format!(": {}", cookie_promise(doc))),
    ]);
    for p in &doc.prohibitions {
        out.push(vec![link(p.title.clone(), p.clause().href()), t(".")]);
    }
    out
}

fn cookie_promise(doc: &Document) -> String {
    let marketing = doc.cookies.iter().any(|c| {
        doc.activities
            .iter()
            .find(|a| a.id == c.activity)
            .is_some_and(|a| a.purpose.as_str().starts_with("marketing"))
    });
    let optional = doc.cookies.iter().any(|c| c.optional);
    let third = doc.cookies.iter().any(|c| c.third_party);
    let mut s = if doc.cookies.is_empty() {
        "this policy declares no cookies".to_owned()
    } else if optional {
        "we use essential cookies, and optional cookies only with your choice".to_owned()
    } else {
        "we use only essential cookies".to_owned()
    };
    if !marketing {
        s.push_str("; no advertising cookies");
    }
    if !third {
        s.push_str("; no third-party cookies");
    }
    s.push('.');
    s
}

fn analytics_section(policy: &Policy) -> Option<Section> {
    let doc = policy.document();
    let promise = doc.analytics.as_ref()?;
    let activity = policy.activity(promise.activity.as_str());
    let mut blocks = vec![para(vec![t(promise.description.clone())])];
    let events: Vec<Vec<Inline>> = promise
        .events
        .iter()
        .map(|e| {
            let mut line = vec![code(e.name.clone()), t(format!(": {}", e.description))];
            if !e.properties.is_empty() {
                line.push(t(" Recorded with: "));
                for (i, (k, rule)) in e.properties.iter().enumerate() {
                    if i > 0 {
                        line.push(t(", "));
                    }
                    line.push(code(k.clone()));
                    let how = match rule {
                        crate::PropertyRule::UrlPath => {
                            " (the page path only, without any ids or query)".to_owned()
                        }
                        crate::PropertyRule::Text => {
                            " (a short label; ids, emails and addresses removed)".to_owned()
                        }
                        crate::PropertyRule::OneOf { values } => {
                            format!(" (one of {})", values.join(", "))
                        }
                    };
                    line.push(t(how));
                }
                line.push(t("."));
            }
            line
        })
        .collect();
    blocks.push(para(vec![t("What is counted:")]));
    blocks.push(Block::List(events));
    let mut kept = Vec::new();
    if promise.keep_country {
        kept.push("the country (never a region, city or IP address)".to_owned());
    }
    if promise.keep_browser {
        kept.push("the browser family and major version".to_owned());
    }
    if promise.keep_device_type {
        kept.push("the device type (desktop, mobile or tablet)".to_owned());
    }
    kept.push("the hour it happened (not the exact time)".to_owned());
    blocks.push(para(vec![t(format!("With each event we keep only {}.", join_and(&kept)))]));
    blocks.push(para(vec![t(
        "We never record your IP address, email address, account id, session or device identifiers, or anything you type into the app, and no identifier links one visit to the next.",
    )]));
    if let Some(a) = activity {
        let mut line = vec![t(format!("The statistics are {}. ", retention_phrase(a)))];
        if let Some(c) = consent_phrase(doc, a) {
            line.push(t(format!("{}{}. ", c[..1].to_uppercase(), &c[1..])));
        }
        line.push(t("Details: "));
        line.push(link(a.title.clone(), a.clause().href()));
        line.push(t("."));
        blocks.push(para(line));
    }
    Some(section(clause::ANALYTICS, 2, "Anonymous usage statistics", blocks))
}

fn cookies_section(policy: &Policy) -> Section {
    let doc = policy.document();
    let mut blocks = vec![para(vec![t(format!("In short: {}", cookie_promise(doc)))])];
    if !doc.cookies.is_empty() {
        let rows = doc
            .cookies
            .iter()
            .map(|c| {
                let lifetime = match c.max_age_s {
                    None => "session".to_owned(),
                    Some(s) if s % 86_400 == 0 => {
                        describe_days(u32::try_from(s / 86_400).unwrap_or(u32::MAX))
                    }
                    Some(s) if s % 3600 == 0 => format!("{} hours", s / 3600),
                    Some(s) => format!("{s} seconds"),
                };
                let kind = match (c.optional, c.third_party) {
                    (false, false) => "essential, first-party",
                    (false, true) => "essential, third-party",
                    (true, false) => "optional, first-party",
                    (true, true) => "optional, third-party",
                };
                let mut flags = Vec::new();
                if c.secure {
                    flags.push("Secure");
                }
                if c.http_only {
                    flags.push("HttpOnly");
                }
                vec![
                    vec![code(c.name.clone())],
                    vec![t(c.domain.clone())],
                    vec![t(lifetime)],
                    vec![t(kind)],
                    vec![t(if flags.is_empty() { "none".to_owned() } else { flags.join(", ") })],
                    vec![
                        t(format!("{} ", c.purpose)),
                        link("Details", format!("#activity-{}", c.activity)),
                    ],
                ]
            })
            .collect();
        blocks.push(Block::Table {
            head: ["Cookie", "Domain", "Lifetime", "Kind", "Flags", "Purpose"]
                .map(String::from)
                .to_vec(),
            rows,
        });
    }
    let local: Vec<Vec<Inline>> = doc
        .activities
        .iter()
        .filter(|a| a.location == Location::Device)
        .flat_map(|a| {
            a.stores.iter().filter_map(move |s| s.strip_prefix("localStorage:")).map(move |key| {
                vec![
                    code(key.to_owned()),
                    t(" in local storage on your device, for "),
                    link(a.title.clone(), a.clause().href()),
                ]
            })
        })
        .collect();
    if !local.is_empty() {
        blocks.push(para(vec![t(
            "The app also keeps these entries in your browser's local storage. They stay on your device and are never sent to us:",
        )]));
        blocks.push(Block::List(local));
    }
    section(clause::COOKIES, 2, "Cookies and storage on your device", blocks)
}

fn choices_section(doc: &Document) -> Section {
    let items: Vec<Vec<Inline>> = doc
        .preferences
        .iter()
        .map(|p| {
            let default = if p.default_on {
                "On unless you switch it off."
            } else {
                "Off until you switch it on."
            };
            let used: Vec<Inline> = doc
                .activities
                .iter()
                .filter(|a| a.preference() == Some(&p.id))
                .flat_map(|a| [t(" Applies to "), link(a.title.clone(), a.clause().href()), t(".")])
                .collect();
            let mut line = vec![
                strong(p.label.clone()),
                t(format!(": {} {default} Change it: {}", p.description, p.how_to_change)),
            ];
            line.extend(used);
            line
        })
        .collect();
    let mut blocks = vec![para(vec![t(
        "Where processing depends on your choice, you decide, and you can change your mind at any time; withdrawing consent does not affect what was done before.",
    )])];
    if !items.is_empty() {
        blocks.push(Block::List(items));
    }
    section(clause::CHOICES, 2, "Your choices", blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_and_reads_naturally() {
        assert_eq!(join_and(&[]), "");
        assert_eq!(join_and(&["a".into()]), "a");
        assert_eq!(join_and(&["a".into(), "b".into(), "c".into()]), "a, b and c");
    }
}
