//! Validation: every rule a [`Document`] must follow, all problems at once.

use std::collections::{BTreeMap, BTreeSet};

use crate::analytics::is_safe_value;
use crate::error::{Issue, IssueKind};
use crate::key::{Key, KeyKind, Taxonomy};
use crate::model::{
    ClauseRef, ConsentRequirement, Document, LegalBasis, Location, Obligation, PropertyRule,
    Retention, Right, TransferMechanism, clause,
};
use crate::retention::MAX_DAYS;

struct Sink(Vec<Issue>);

impl Sink {
    fn push(&mut self, at: impl Into<String>, clause: Option<ClauseRef>, kind: IssueKind) {
        self.0.push(Issue { at: at.into(), clause, kind });
    }
}

fn valid_id(id: &str) -> bool {
    id.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Parses `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format).ok()
}

/// Checks `doc` and builds its taxonomy (fideslang snapshot plus the
/// document's extensions).
pub(crate) fn validate(doc: &Document) -> Result<Taxonomy, Vec<Issue>> {
    let mut out = Sink(Vec::new());
    let taxonomy = build_taxonomy(doc, &mut out);

    // Top level.
    for (field, value) in [
        ("version", &doc.version),
        ("title", &doc.title),
        ("language", &doc.language),
        ("url", &doc.url),
        ("summary", &doc.summary),
        ("controller.name", &doc.controller.name),
        ("controller.legal_name", &doc.controller.legal_name),
        ("controller.email", &doc.controller.email),
        ("supervisory_authority.name", &doc.supervisory_authority.name),
        ("changes.how", &doc.changes.how),
    ] {
        if value.trim().is_empty() {
            out.push(field, None, IssueKind::Empty);
        }
    }
    if parse_date(&doc.effective).is_none() {
        out.push("effective", None, IssueKind::InvalidDate { value: doc.effective.clone() });
    }
    for (field, code) in [
        ("controller.country", &doc.controller.country),
        ("supervisory_authority.country", &doc.supervisory_authority.country),
    ] {
        if !code.is_valid() {
            out.push(
                field,
                Some(ClauseRef::new(clause::CONTROLLER)),
                IssueKind::UnknownCountry { code: code.0.clone() },
            );
        }
    }

    check_recipients(doc, &mut out);
    let used_prefs = check_activities(doc, &taxonomy, &mut out);
    check_preferences(doc, &used_prefs, &mut out);
    check_prohibitions(doc, &taxonomy, &mut out);
    check_cookies(doc, &mut out);
    check_rights(doc, &mut out);
    check_analytics(doc, &mut out);

    if out.0.is_empty() { Ok(taxonomy) } else { Err(out.0) }
}

fn build_taxonomy(doc: &Document, out: &mut Sink) -> Taxonomy {
    let mut taxonomy = Taxonomy::fideslang();
    // Extensions may build on one another, so add parents first.
    let mut exts: Vec<_> = doc.extensions.iter().enumerate().collect();
    exts.sort_by_key(|(_, e)| e.key.depth());
    for (i, ext) in exts {
        if let Err(e) = Key::new(ext.key.as_str()) {
            out.push(format!("extensions[{i}].key"), None, IssueKind::InvalidKey(e));
            continue;
        }
        if let Err(e) = taxonomy.extend(ext.kind, ext.key.clone(), ext.name.clone()) {
            out.push(format!("extensions[{i}]"), None, IssueKind::BadExtension(e));
        }
    }
    taxonomy
}

fn check_ids<'a>(section: &str, ids: impl Iterator<Item = &'a str>, out: &mut Sink) {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !valid_id(id) {
            out.push(format!("{section}[{id}]"), None, IssueKind::InvalidId { id: id.to_owned() });
        }
        if !seen.insert(id) {
            out.push(
                format!("{section}[{id}]"),
                None,
                IssueKind::DuplicateId { id: id.to_owned() },
            );
        }
    }
}

fn check_recipients(doc: &Document, out: &mut Sink) {
    check_ids("recipients", doc.recipients.iter().map(|r| r.id.as_str()), out);
    for r in &doc.recipients {
        let at = format!("recipients[{}]", r.id);
        let here = Some(ClauseRef::new(clause::RECIPIENTS));
        for (field, value) in [
            ("name", &r.name),
            ("legal_name", &r.legal_name),
            ("service", &r.service),
            ("privacy_url", &r.privacy_url),
        ] {
            if value.trim().is_empty() {
                out.push(format!("{at}.{field}"), here.clone(), IssueKind::Empty);
            }
        }
        if r.countries.is_empty() {
            out.push(format!("{at}.countries"), here.clone(), IssueKind::Empty);
        }
        for c in &r.countries {
            if !c.is_valid() {
                out.push(
                    format!("{at}.countries"),
                    here.clone(),
                    IssueKind::UnknownCountry { code: c.0.clone() },
                );
                continue;
            }
            if c.is_eea() {
                continue;
            }
            match r.transfer_mechanism {
                None => out.push(
                    format!("{at}.transfer_mechanism"),
                    here.clone(),
                    IssueKind::MissingTransferMechanism { country: c.0.clone() },
                ),
                Some(TransferMechanism::Adequacy) if !crate::country::is_adequate(&c.0) => {
                    out.push(
                        format!("{at}.transfer_mechanism"),
                        here.clone(),
                        IssueKind::NotAdequate { country: c.0.clone() },
                    );
                }
                Some(TransferMechanism::Dpf)
                    if c.0 != "US" && !crate::country::is_adequate(&c.0) =>
                {
                    out.push(
                        format!("{at}.transfer_mechanism"),
                        here.clone(),
                        IssueKind::NotAdequate { country: c.0.clone() },
                    );
                }
                Some(_) => {}
            }
        }
        let used = doc.activities.iter().any(|a| a.all_recipients().any(|x| *x == r.id));
        if !used {
            out.push(at, here, IssueKind::UnusedRecipient { id: r.id.0.clone() });
        }
    }
}

fn check_key(
    kind: KeyKind,
    key: &Key,
    at: &str,
    clause: &ClauseRef,
    taxonomy: &Taxonomy,
    out: &mut Sink,
) {
    // Keys are read unchecked (see `Key`), so the syntax is checked here,
    // next to every other problem, before the taxonomy lookup.
    if let Err(e) = Key::new(key.as_str()) {
        out.push(at, Some(clause.clone()), IssueKind::InvalidKey(e));
    } else if !taxonomy.contains(kind, key) {
        out.push(at, Some(clause.clone()), IssueKind::UnknownKey { kind, key: key.clone() });
    }
}

fn check_activities(doc: &Document, taxonomy: &Taxonomy, out: &mut Sink) -> BTreeSet<String> {
    check_ids("activities", doc.activities.iter().map(|a| a.id.as_str()), out);
    let recipient_ids: BTreeSet<&str> = doc.recipients.iter().map(|r| r.id.as_str()).collect();
    let prefs: BTreeMap<&str, bool> =
        doc.preferences.iter().map(|p| (p.id.as_str(), p.default_on)).collect();
    let mut used_prefs = BTreeSet::new();
    let mut stores: BTreeSet<&str> = BTreeSet::new();
    for a in &doc.activities {
        let at = format!("activities[{}]", a.id);
        let cl = a.clause();
        let here = Some(cl.clone());
        for (field, value) in [("title", &a.title), ("description", &a.description)] {
            if value.trim().is_empty() {
                out.push(format!("{at}.{field}"), here.clone(), IssueKind::Empty);
            }
        }
        if a.data_categories.is_empty() {
            out.push(format!("{at}.data_categories"), here.clone(), IssueKind::Empty);
        }
        if a.data_subjects.is_empty() {
            out.push(format!("{at}.data_subjects"), here.clone(), IssueKind::Empty);
        }
        for k in &a.data_categories {
            check_key(
                KeyKind::DataCategory,
                k,
                &format!("{at}.data_categories"),
                &cl,
                taxonomy,
                out,
            );
        }
        check_key(KeyKind::DataUse, &a.purpose, &format!("{at}.purpose"), &cl, taxonomy, out);
        for k in &a.data_subjects {
            check_key(KeyKind::DataSubject, k, &format!("{at}.data_subjects"), &cl, taxonomy, out);
        }
        for r in a.all_recipients() {
            if !recipient_ids.contains(r.as_str()) {
                out.push(
                    format!("{at}.recipients"),
                    here.clone(),
                    IssueKind::UnknownRecipient { id: r.0.clone() },
                );
            }
        }
        match a.retention {
            None => out.push(format!("{at}.retention"), here.clone(), IssueKind::MissingRetention),
            Some(
                Retention::Days { days: n } | Retention::UntilAccountDeletion { grace_days: n },
            ) if n > MAX_DAYS => out.push(
                format!("{at}.retention"),
                here.clone(),
                IssueKind::RetentionTooLong { days: n, max: MAX_DAYS },
            ),
            Some(_) => {}
        }
        // A device activity's `recipients` would let `decide()` allow
        // uploads to them under a clause that says the data stays on the
        // device.
        if a.location == Location::Device {
            for r in &a.recipients {
                out.push(
                    format!("{at}.recipients"),
                    here.clone(),
                    IssueKind::RecipientOnDevice { id: r.0.clone() },
                );
            }
        }
        if a.legal_basis == LegalBasis::LegitimateInterest
            && a.legitimate_interest.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            out.push(
                format!("{at}.legitimate_interest"),
                here.clone(),
                IssueKind::MissingLegitimateInterest,
            );
        }
        match &a.consent {
            ConsentRequirement::NotRequired if a.legal_basis == LegalBasis::Consent => {
                out.push(
                    format!("{at}.consent"),
                    here.clone(),
                    IssueKind::ConsentWithoutPreference,
                );
            }
            ConsentRequirement::NotRequired => {}
            ConsentRequirement::OptIn { preference }
            | ConsentRequirement::OptOut { preference } => {
                used_prefs.insert(preference.0.clone());
                match prefs.get(preference.as_str()) {
                    None => out.push(
                        format!("{at}.consent.preference"),
                        here.clone(),
                        IssueKind::UnknownPreference { id: preference.0.clone() },
                    ),
                    Some(true) if matches!(a.consent, ConsentRequirement::OptIn { .. }) => out
                        .push(
                            format!("preferences[{preference}].default_on"),
                            here.clone(),
                            IssueKind::OptInDefaultOn { id: preference.0.clone() },
                        ),
                    Some(_) => {}
                }
                if a.legal_basis == LegalBasis::Consent
                    && matches!(a.consent, ConsentRequirement::OptOut { .. })
                {
                    out.push(format!("{at}.consent"), here.clone(), IssueKind::ConsentMustBeOptIn);
                }
            }
        }
        if a.location == Location::Device {
            for o in &a.obligations {
                let name = match o {
                    Obligation::DeleteAfterProcessing => Some("delete_after_processing"),
                    Obligation::DeleteWithin { .. } => Some("delete_within"),
                    Obligation::StripMetadata => None,
                };
                if let Some(obligation) = name {
                    out.push(
                        format!("{at}.obligations"),
                        here.clone(),
                        IssueKind::ObligationOnDevice { obligation },
                    );
                }
            }
        } else if a.retention == Some(Retention::Ephemeral)
            && !a.obligations.iter().any(|o| {
                matches!(o, Obligation::DeleteAfterProcessing | Obligation::DeleteWithin { .. })
            })
        {
            out.push(
                format!("{at}.obligations"),
                here.clone(),
                IssueKind::EphemeralWithoutDeletion,
            );
        }
        for s in &a.stores {
            if !stores.insert(s) {
                out.push(
                    format!("{at}.stores"),
                    here.clone(),
                    IssueKind::StoreClaimedTwice { store: s.clone() },
                );
            }
        }
    }
    used_prefs
}

fn check_preferences(doc: &Document, used: &BTreeSet<String>, out: &mut Sink) {
    check_ids("preferences", doc.preferences.iter().map(|p| p.id.as_str()), out);
    for p in &doc.preferences {
        let at = format!("preferences[{}]", p.id);
        let here = Some(ClauseRef::new(clause::CHOICES));
        for (field, value) in [
            ("label", &p.label),
            ("description", &p.description),
            ("how_to_change", &p.how_to_change),
        ] {
            if value.trim().is_empty() {
                out.push(format!("{at}.{field}"), here.clone(), IssueKind::Empty);
            }
        }
        if !used.contains(p.id.as_str()) {
            out.push(at, here, IssueKind::UnusedPreference { id: p.id.0.clone() });
        }
    }
}

fn check_prohibitions(doc: &Document, taxonomy: &Taxonomy, out: &mut Sink) {
    check_ids("prohibitions", doc.prohibitions.iter().map(|p| p.id.as_str()), out);
    let recipient_ids: BTreeSet<&str> = doc.recipients.iter().map(|r| r.id.as_str()).collect();
    for p in &doc.prohibitions {
        let at = format!("prohibitions[{}]", p.id);
        let cl = p.clause();
        for k in &p.categories.values {
            check_key(KeyKind::DataCategory, k, &format!("{at}.categories"), &cl, taxonomy, out);
        }
        for k in &p.purposes.values {
            check_key(KeyKind::DataUse, k, &format!("{at}.purposes"), &cl, taxonomy, out);
        }
        for k in p.subjects.iter().flat_map(|s| &s.values) {
            check_key(KeyKind::DataSubject, k, &format!("{at}.subjects"), &cl, taxonomy, out);
        }
        if let crate::model::Scope::Recipients(ids) = &p.scope {
            for r in ids {
                if !recipient_ids.contains(r.as_str()) {
                    out.push(
                        format!("{at}.scope"),
                        Some(cl.clone()),
                        IssueKind::UnknownRecipient { id: r.0.clone() },
                    );
                }
            }
        }
        // Fides-style evaluation, at load time: no activity may do what a
        // prohibition forbids.
        for a in &doc.activities {
            if crate::decide::prohibition_catches(
                p,
                &a.data_categories,
                std::slice::from_ref(&a.purpose),
                &a.data_subjects,
                &a.location,
            ) || a.recipients.iter().any(|r| {
                crate::decide::prohibition_catches(
                    p,
                    &a.data_categories,
                    std::slice::from_ref(&a.purpose),
                    &a.data_subjects,
                    &Location::Recipient(r.clone()),
                )
            }) {
                out.push(
                    format!("activities[{}]", a.id),
                    Some(cl.clone()),
                    IssueKind::Prohibited { prohibition: p.id.0.clone() },
                );
            }
        }
    }
}

fn check_cookies(doc: &Document, out: &mut Sink) {
    for c in &doc.cookies {
        let at = format!("cookies[{}]", c.name);
        let here = Some(ClauseRef::new(clause::COOKIES));
        if c.name.trim().is_empty() || c.domain.trim().is_empty() {
            out.push(at.clone(), here.clone(), IssueKind::Empty);
        }
        match doc.activities.iter().find(|a| a.id == c.activity) {
            None => out.push(
                format!("{at}.activity"),
                here,
                IssueKind::CookieWithoutActivity {
                    cookie: c.name.clone(),
                    activity: c.activity.0.clone(),
                },
            ),
            Some(a) if c.optional && a.consent == ConsentRequirement::NotRequired => {
                out.push(
                    at,
                    here,
                    IssueKind::OptionalCookieWithoutChoice { cookie: c.name.clone() },
                );
            }
            Some(_) => {}
        }
    }
}

fn check_rights(doc: &Document, out: &mut Sink) {
    let mut seen = BTreeSet::new();
    for r in &doc.rights {
        let at = format!("rights[{}]", r.right.slug());
        let here = Some(r.clause());
        if !seen.insert(r.right) {
            out.push(at.clone(), here.clone(), IssueKind::DuplicateRight { right: r.right });
        }
        if r.how.trim().is_empty() {
            out.push(format!("{at}.how"), here.clone(), IssueKind::Empty);
        }
        if r.channels.is_empty() {
            out.push(format!("{at}.channels"), here.clone(), IssueKind::NoChannel);
        }
        if r.deadline_days > 90 {
            out.push(
                format!("{at}.deadline_days"),
                here,
                IssueKind::DeadlineTooLong { days: r.deadline_days },
            );
        }
    }
    // GDPR Art. 13(2)(b)-(d) rights every notice must state: access,
    // rectification, erasure, restriction (Art. 18), objection and
    // portability (13(2)(b)); withdrawing consent (13(2)(c)); complaint
    // (13(2)(d)).
    let mut required = vec![
        Right::Access,
        Right::Rectification,
        Right::Erasure,
        Right::Restriction,
        Right::Portability,
        Right::Object,
        Right::Complaint,
    ];
    if doc.activities.iter().any(|a| a.legal_basis == LegalBasis::Consent) {
        required.push(Right::WithdrawConsent);
    }
    for right in required {
        // "Choose processing" is how Pixmize-style products withdraw consent.
        let stated = seen.contains(&right)
            || (right == Right::WithdrawConsent && seen.contains(&Right::ChooseProcessing));
        if !stated {
            out.push(
                "rights",
                Some(ClauseRef::new(clause::RIGHTS)),
                IssueKind::MissingRight { right },
            );
        }
    }
}

fn check_analytics(doc: &Document, out: &mut Sink) {
    let Some(promise) = &doc.analytics else { return };
    let here = Some(ClauseRef::new(clause::ANALYTICS));
    if !doc.activities.iter().any(|a| a.id == promise.activity) {
        out.push(
            "analytics.activity",
            here.clone(),
            IssueKind::UnknownAnalyticsActivity { id: promise.activity.0.clone() },
        );
    }
    let max = usize::from(promise.max_text_len);
    let mut seen = BTreeSet::new();
    for e in &promise.events {
        if !seen.insert(e.name.as_str()) {
            out.push(
                format!("analytics.events[{}]", e.name),
                here.clone(),
                IssueKind::DuplicateEvent { name: e.name.clone() },
            );
        }
        for (property, rule) in &e.properties {
            let PropertyRule::OneOf { values } = rule else { continue };
            for value in values.iter().filter(|v| !is_safe_value(v, max)) {
                out.push(
                    format!("analytics.events[{}].properties.{property}", e.name),
                    here.clone(),
                    IssueKind::UnsafeAnalyticsValue {
                        event: e.name.clone(),
                        property: property.clone(),
                        value: value.clone(),
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{ExtensionError, KeyError};
    use crate::{PIXMIZE_TOML, Policy};

    #[test]
    fn ids_and_dates() {
        assert!(valid_id("cloud_processing") && valid_id("a-1"));
        assert!(!valid_id("") && !valid_id("_x") && !valid_id("Cloud") && !valid_id("a b"));
        assert!(parse_date("2026-11-22").is_some());
        assert!(parse_date("2026-13-01").is_none() && parse_date("22.11.2026").is_none());
    }

    /// The variant's name. The match is exhaustive, so a new kind does not
    /// compile until it is named here; name it in [`KINDS`] and give it a
    /// case in [`cases`] too.
    fn kind_name(kind: &IssueKind) -> &'static str {
        match kind {
            IssueKind::Empty => "Empty",
            IssueKind::InvalidDate { .. } => "InvalidDate",
            IssueKind::InvalidId { .. } => "InvalidId",
            IssueKind::DuplicateId { .. } => "DuplicateId",
            IssueKind::InvalidKey(_) => "InvalidKey",
            IssueKind::UnknownKey { .. } => "UnknownKey",
            IssueKind::BadExtension(_) => "BadExtension",
            IssueKind::UnknownRecipient { .. } => "UnknownRecipient",
            IssueKind::UnusedRecipient { .. } => "UnusedRecipient",
            IssueKind::UnknownCountry { .. } => "UnknownCountry",
            IssueKind::MissingTransferMechanism { .. } => "MissingTransferMechanism",
            IssueKind::NotAdequate { .. } => "NotAdequate",
            IssueKind::MissingRetention => "MissingRetention",
            IssueKind::RetentionTooLong { .. } => "RetentionTooLong",
            IssueKind::RecipientOnDevice { .. } => "RecipientOnDevice",
            IssueKind::ConsentWithoutPreference => "ConsentWithoutPreference",
            IssueKind::ConsentMustBeOptIn => "ConsentMustBeOptIn",
            IssueKind::UnknownPreference { .. } => "UnknownPreference",
            IssueKind::OptInDefaultOn { .. } => "OptInDefaultOn",
            IssueKind::UnusedPreference { .. } => "UnusedPreference",
            IssueKind::MissingLegitimateInterest => "MissingLegitimateInterest",
            IssueKind::ObligationOnDevice { .. } => "ObligationOnDevice",
            IssueKind::EphemeralWithoutDeletion => "EphemeralWithoutDeletion",
            IssueKind::Prohibited { .. } => "Prohibited",
            IssueKind::CookieWithoutActivity { .. } => "CookieWithoutActivity",
            IssueKind::OptionalCookieWithoutChoice { .. } => "OptionalCookieWithoutChoice",
            IssueKind::DuplicateRight { .. } => "DuplicateRight",
            IssueKind::MissingRight { .. } => "MissingRight",
            IssueKind::DeadlineTooLong { .. } => "DeadlineTooLong",
            IssueKind::NoChannel => "NoChannel",
            IssueKind::UnknownAnalyticsActivity { .. } => "UnknownAnalyticsActivity",
            IssueKind::UnsafeAnalyticsValue { .. } => "UnsafeAnalyticsValue",
            IssueKind::DuplicateEvent { .. } => "DuplicateEvent",
            IssueKind::StoreClaimedTwice { .. } => "StoreClaimedTwice",
        }
    }

    /// Every kind, as [`kind_name`] names it.
    const KINDS: [&str; 34] = [
        "Empty",
        "InvalidDate",
        "InvalidId",
        "DuplicateId",
        "InvalidKey",
        "UnknownKey",
        "BadExtension",
        "UnknownRecipient",
        "UnusedRecipient",
        "UnknownCountry",
        "MissingTransferMechanism",
        "NotAdequate",
        "MissingRetention",
        "RetentionTooLong",
        "RecipientOnDevice",
        "ConsentWithoutPreference",
        "ConsentMustBeOptIn",
        "UnknownPreference",
        "OptInDefaultOn",
        "UnusedPreference",
        "MissingLegitimateInterest",
        "ObligationOnDevice",
        "EphemeralWithoutDeletion",
        "Prohibited",
        "CookieWithoutActivity",
        "OptionalCookieWithoutChoice",
        "DuplicateRight",
        "MissingRight",
        "DeadlineTooLong",
        "NoChannel",
        "UnknownAnalyticsActivity",
        "UnsafeAnalyticsValue",
        "DuplicateEvent",
        "StoreClaimedTwice",
    ];

    /// One mutation of the valid Pixmize policy and exactly the issues it
    /// must cause, as `(at, kind)`.
    struct Case {
        label: &'static str,
        edits: &'static [(&'static str, &'static str)],
        want: Vec<(&'static str, IssueKind)>,
    }

    fn s(v: &str) -> String {
        v.to_owned()
    }

    fn key(v: &str) -> Key {
        Key::new(v).unwrap()
    }

    #[allow(clippy::too_many_lines)] // one table
    fn cases() -> Vec<Case> {
        use IssueKind as K;
        vec![
            Case {
                label: "Empty",
                edits: &[("title = \"Pixmize privacy policy\"", "title = \" \"")],
                want: vec![("title", K::Empty)],
            },
            Case {
                label: "InvalidDate",
                edits: &[("effective = \"2026-11-22\"", "effective = \"22.11.2026\"")],
                want: vec![("effective", K::InvalidDate { value: s("22.11.2026") })],
            },
            Case {
                label: "InvalidId",
                edits: &[("id = \"no_selling\"", "id = \"No_Selling\"")],
                want: vec![("prohibitions[No_Selling]", K::InvalidId { id: s("No_Selling") })],
            },
            Case {
                label: "DuplicateId",
                edits: &[("id = \"no_selling\"", "id = \"no_advertising\"")],
                want: vec![(
                    "prohibitions[no_advertising]",
                    K::DuplicateId { id: s("no_advertising") },
                )],
            },
            Case {
                label: "UnknownKey",
                edits: &[(
                    "purpose = \"essential.service.payment_processing\"",
                    "purpose = \"essential.service.payments\"",
                )],
                want: vec![(
                    "activities[subscription].purpose",
                    K::UnknownKey {
                        kind: KeyKind::DataUse,
                        key: key("essential.service.payments"),
                    },
                )],
            },
            Case {
                label: "InvalidKey",
                edits: &[(
                    "\"user.name\", \"user.account.username\"",
                    "\"User.Name\", \"user.account.username\"",
                )],
                want: vec![(
                    "activities[account].data_categories",
                    K::InvalidKey(KeyError {
                        key: s("User.Name"),
                        reason: "only a-z, 0-9, `_` and `.` are allowed",
                    }),
                )],
            },
            Case {
                label: "InvalidKey/prohibition",
                edits: &[("\"personalize.profiling\", ", "\"personalize..profiling\", ")],
                want: vec![(
                    "prohibitions[no_profiling].purposes",
                    K::InvalidKey(KeyError {
                        key: s("personalize..profiling"),
                        reason: "a segment is empty",
                    }),
                )],
            },
            Case {
                label: "BadExtension",
                edits: &[(
                    "# Recipients.",
                    "[[extensions]]\nkind = \"data_category\"\nkey = \"user.gadget.serial\"\nname = \"Gadget serial\"\ndescription = \"A serial number.\"\n\n# Recipients.",
                )],
                want: vec![(
                    "extensions[4]",
                    K::BadExtension(ExtensionError::MissingParent {
                        kind: KeyKind::DataCategory,
                        key: key("user.gadget.serial"),
                        parent: key("user.gadget"),
                    }),
                )],
            },
            Case {
                label: "UnknownRecipient",
                edits: &[(
                    "location = { recipient = \"cdn\" }",
                    "location = { recipient = \"cdn\" }\nrecipients = [\"nowhere\"]",
                )],
                want: vec![(
                    "activities[cdn_logs].recipients",
                    K::UnknownRecipient { id: s("nowhere") },
                )],
            },
            Case {
                label: "UnknownRecipient/scope",
                edits: &[(
                    "purposes = { matches = \"any\", values = [\"train_ai_system\"] }",
                    "purposes = { matches = \"any\", values = [\"train_ai_system\"] }\nscope = { recipients = [\"nowhere\"] }",
                )],
                want: vec![(
                    "prohibitions[no_ai_training].scope",
                    K::UnknownRecipient { id: s("nowhere") },
                )],
            },
            Case {
                label: "UnusedRecipient",
                edits: &[(
                    "[[preferences]]\nid = \"cloud_processing\"",
                    "[[recipients]]\nid = \"sentry\"\nname = \"Sentry\"\nlegal_name = \"Functional Software GmbH\"\nrole = \"processor\"\nservice = \"Error reports.\"\ncountries = [\"DE\"]\nurl = \"https://sentry.io\"\nprivacy_url = \"https://sentry.io/privacy/\"\n\n[[preferences]]\nid = \"cloud_processing\"",
                )],
                want: vec![("recipients[sentry]", K::UnusedRecipient { id: s("sentry") })],
            },
            Case {
                label: "UnknownCountry",
                edits: &[("countries = [\"IN\", \"US\"]", "countries = [\"IN\", \"XX\"]")],
                want: vec![("recipients[imagekit].countries", K::UnknownCountry { code: s("XX") })],
            },
            Case {
                label: "MissingTransferMechanism",
                edits: &[(
                    "countries = [\"US\"]\ntransfer_mechanism = \"sccs\"\nurl = \"https://clerk.com\"",
                    "countries = [\"US\"]\nurl = \"https://clerk.com\"",
                )],
                want: vec![(
                    "recipients[clerk].transfer_mechanism",
                    K::MissingTransferMechanism { country: s("US") },
                )],
            },
            Case {
                label: "NotAdequate",
                edits: &[(
                    "transfer_mechanism = \"sccs\"\nurl = \"https://clerk.com\"",
                    "transfer_mechanism = \"adequacy\"\nurl = \"https://clerk.com\"",
                )],
                want: vec![(
                    "recipients[clerk].transfer_mechanism",
                    K::NotAdequate { country: s("US") },
                )],
            },
            Case {
                label: "NotAdequate/dpf",
                edits: &[(
                    "transfer_mechanism = \"sccs\"\nurl = \"https://imagekit.io\"",
                    "transfer_mechanism = \"dpf\"\nurl = \"https://imagekit.io\"",
                )],
                // The Data Privacy Framework covers the US, not India.
                want: vec![(
                    "recipients[imagekit].transfer_mechanism",
                    K::NotAdequate { country: s("IN") },
                )],
            },
            Case {
                label: "MissingRetention",
                edits: &[(
                    "retention = { kind = \"days\", days = 30 }\nsource = \"observed\"\nmeasures = [\"encryption_in_transit\"]\n",
                    "source = \"observed\"\nmeasures = [\"encryption_in_transit\"]\n",
                )],
                want: vec![("activities[cdn_logs].retention", K::MissingRetention)],
            },
            Case {
                label: "RetentionTooLong",
                edits: &[("days = 730", "days = 36501")],
                want: vec![(
                    "activities[usage_statistics].retention",
                    K::RetentionTooLong { days: 36_501, max: MAX_DAYS },
                )],
            },
            Case {
                label: "RetentionTooLong/grace",
                edits: &[("grace_days = 30", "grace_days = 4294967295")],
                want: vec![(
                    "activities[account].retention",
                    K::RetentionTooLong { days: u32::MAX, max: MAX_DAYS },
                )],
            },
            Case {
                label: "RecipientOnDevice",
                edits: &[(
                    "location = \"device\"",
                    "location = \"device\"\nrecipients = [\"imagekit\"]",
                )],
                want: vec![(
                    "activities[device_processing].recipients",
                    K::RecipientOnDevice { id: s("imagekit") },
                )],
            },
            Case {
                label: "ConsentWithoutPreference",
                edits: &[(
                    "consent = { kind = \"opt_in\", preference = \"cloud_processing\" }\n",
                    "",
                )],
                want: vec![
                    ("activities[cloud_processing].consent", K::ConsentWithoutPreference),
                    (
                        "preferences[cloud_processing]",
                        K::UnusedPreference { id: s("cloud_processing") },
                    ),
                ],
            },
            Case {
                label: "ConsentMustBeOptIn",
                edits: &[(
                    "consent = { kind = \"opt_in\", preference = \"cloud_processing\" }",
                    "consent = { kind = \"opt_out\", preference = \"cloud_processing\" }",
                )],
                want: vec![("activities[cloud_processing].consent", K::ConsentMustBeOptIn)],
            },
            Case {
                label: "UnknownPreference",
                edits: &[(
                    "consent = { kind = \"opt_in\", preference = \"cloud_processing\" }",
                    "consent = { kind = \"opt_in\", preference = \"cloud\" }",
                )],
                want: vec![
                    (
                        "activities[cloud_processing].consent.preference",
                        K::UnknownPreference { id: s("cloud") },
                    ),
                    (
                        "preferences[cloud_processing]",
                        K::UnusedPreference { id: s("cloud_processing") },
                    ),
                ],
            },
            Case {
                label: "OptInDefaultOn",
                edits: &[("default_on = false", "default_on = true")],
                want: vec![(
                    "preferences[cloud_processing].default_on",
                    K::OptInDefaultOn { id: s("cloud_processing") },
                )],
            },
            Case {
                label: "UnusedPreference",
                edits: &[(
                    "# Activities:",
                    "[[preferences]]\nid = \"newsletter\"\nlabel = \"Newsletter\"\ndescription = \"Monthly news by email.\"\nhow_to_change = \"Settings → Email.\"\n\n# Activities:",
                )],
                want: vec![(
                    "preferences[newsletter]",
                    K::UnusedPreference { id: s("newsletter") },
                )],
            },
            Case {
                label: "MissingLegitimateInterest",
                edits: &[(
                    "legitimate_interest = \"Delivering the app quickly and protecting it from abuse.\"\n",
                    "",
                )],
                want: vec![(
                    "activities[cdn_logs].legitimate_interest",
                    K::MissingLegitimateInterest,
                )],
            },
            Case {
                label: "ObligationOnDevice",
                edits: &[(
                    "measures = [\"data_minimisation\"]\n",
                    "measures = [\"data_minimisation\"]\nobligations = [{ kind = \"strip_metadata\" }, { kind = \"delete_within\", hours = 1 }]\n",
                )],
                want: vec![(
                    "activities[device_processing].obligations",
                    K::ObligationOnDevice { obligation: "delete_within" },
                )],
            },
            Case {
                label: "EphemeralWithoutDeletion",
                edits: &[(
                    "obligations = [{ kind = \"strip_metadata\" }, { kind = \"delete_after_processing\" }]",
                    "obligations = [{ kind = \"strip_metadata\" }]",
                )],
                want: vec![(
                    "activities[cloud_processing].obligations",
                    K::EphemeralWithoutDeletion,
                )],
            },
            Case {
                label: "Prohibited",
                edits: &[(
                    "purpose = \"analytics.reporting.system\"",
                    "purpose = \"marketing.advertising\"",
                )],
                want: vec![(
                    "activities[usage_statistics]",
                    K::Prohibited { prohibition: s("no_advertising") },
                )],
            },
            Case {
                label: "CookieWithoutActivity",
                edits: &[(
                    "activity = \"account\"\npurpose = \"Short-lived",
                    "activity = \"login\"\npurpose = \"Short-lived",
                )],
                want: vec![(
                    "cookies[__session].activity",
                    K::CookieWithoutActivity { cookie: s("__session"), activity: s("login") },
                )],
            },
            Case {
                label: "OptionalCookieWithoutChoice",
                edits: &[(
                    "max_age_s = 604800\nthird_party = false\noptional = false\nhttp_only = false",
                    "max_age_s = 604800\nthird_party = false\noptional = true\nhttp_only = false",
                )],
                want: vec![(
                    "cookies[__client_uat]",
                    K::OptionalCookieWithoutChoice { cookie: s("__client_uat") },
                )],
            },
            Case {
                label: "DuplicateRight",
                edits: &[("right = \"ask_what_was_collected\"", "right = \"contact\"")],
                want: vec![("rights[contact]", K::DuplicateRight { right: Right::Contact })],
            },
            Case {
                // GDPR Art. 13(2)(b) names restriction (Art. 18) among the
                // rights every notice must state.
                label: "MissingRight",
                edits: &[("right = \"restriction\"", "right = \"withdraw_consent\"")],
                want: vec![("rights", K::MissingRight { right: Right::Restriction })],
            },
            Case {
                label: "DeadlineTooLong",
                edits: &[("deadline_days = 30", "deadline_days = 91")],
                want: vec![("rights[access].deadline_days", K::DeadlineTooLong { days: 91 })],
            },
            Case {
                label: "NoChannel",
                edits: &[("channels = [\"authority\"]", "channels = []")],
                want: vec![("rights[complaint].channels", K::NoChannel)],
            },
            Case {
                label: "UnknownAnalyticsActivity",
                edits: &[(
                    "[analytics]\nactivity = \"usage_statistics\"",
                    "[analytics]\nactivity = \"stats\"",
                )],
                want: vec![("analytics.activity", K::UnknownAnalyticsActivity { id: s("stats") })],
            },
            Case {
                label: "UnsafeAnalyticsValue",
                edits: &[(
                    "values = [\"device\", \"cloud\"]",
                    "values = [\"device\", \"ada@example.com\", \"10.0.0.1\", \"cloud\"]",
                )],
                want: ["ada@example.com", "10.0.0.1"]
                    .into_iter()
                    .map(|v| {
                        (
                            "analytics.events[feature_used].properties.processing_method",
                            K::UnsafeAnalyticsValue {
                                event: s("feature_used"),
                                property: s("processing_method"),
                                value: s(v),
                            },
                        )
                    })
                    .collect(),
            },
            Case {
                label: "DuplicateEvent",
                edits: &[("name = \"page_view\"", "name = \"feature_used\"")],
                want: vec![(
                    "analytics.events[feature_used]",
                    K::DuplicateEvent { name: s("feature_used") },
                )],
            },
            Case {
                label: "StoreClaimedTwice",
                edits: &[("stores = [\"cdn:access-logs\"]", "stores = [\"vercel:request-logs\"]")],
                want: vec![(
                    "activities[cdn_logs].stores",
                    K::StoreClaimedTwice { store: s("vercel:request-logs") },
                )],
            },
        ]
    }

    fn apply(text: &str, edits: &[(&str, &str)], label: &str) -> String {
        let mut text = text.to_owned();
        for (from, to) in edits {
            assert!(text.contains(from), "{label}: fixture edit not found: {from:?}");
            text = text.replacen(from, to, 1);
        }
        text
    }

    fn issues_of(text: &str, label: &str) -> Vec<(String, IssueKind)> {
        match Policy::from_toml(text) {
            Ok(_) => panic!("{label}: the edited policy validated"),
            Err(crate::Error::Invalid(issues)) => {
                issues.into_iter().map(|i| (i.at, i.kind)).collect()
            }
            Err(e) => panic!("{label}: expected Error::Invalid, got {e:?}"),
        }
    }

    fn owned(want: &[(&str, IssueKind)]) -> Vec<(String, IssueKind)> {
        want.iter().map(|(at, k)| ((*at).to_owned(), k.clone())).collect()
    }

    /// One mutation per issue kind; each must produce exactly the issues
    /// listed (path and kind), and nothing else.
    #[test]
    fn every_issue_kind_is_detected_at_its_path() {
        assert!(Policy::from_toml(PIXMIZE_TOML).is_ok(), "the base policy is valid");
        let mut covered = BTreeSet::new();
        for case in cases() {
            let text = apply(PIXMIZE_TOML, case.edits, case.label);
            let got = issues_of(&text, case.label);
            assert_eq!(got, owned(&case.want), "{}", case.label);
            covered.extend(case.want.iter().map(|(_, k)| kind_name(k)));
        }
        let all: BTreeSet<&str> = KINDS.into_iter().collect();
        let missing: Vec<_> = all.difference(&covered).collect();
        assert!(missing.is_empty(), "issue kinds without a case: {missing:?}");
    }

    /// Many problems in one document are all reported, none hiding another.
    #[test]
    fn independent_problems_are_all_listed_together() {
        // Cases that edit the same line as another case, or whose problem
        // would hide another's (a removed consent hides `OptInDefaultOn`).
        const SKIP: [&str; 5] = [
            "DuplicateId",
            "NotAdequate",
            "ConsentWithoutPreference",
            "ConsentMustBeOptIn",
            "UnknownPreference",
        ];
        let mut text = PIXMIZE_TOML.to_owned();
        let mut want = Vec::new();
        let mut combined = 0;
        for case in cases().into_iter().filter(|c| !SKIP.contains(&c.label)) {
            text = apply(&text, case.edits, case.label);
            want.extend(owned(&case.want));
            combined += 1;
        }
        let mut got = issues_of(&text, "combined");
        let key = |(at, k): &(String, IssueKind)| format!("{at} {k:?}");
        got.sort_by_key(key);
        want.sort_by_key(key);
        assert_eq!(got, want);
        assert_eq!(combined, cases().len() - SKIP.len());
        assert!(want.len() >= 30, "only {} problems combined", want.len());
        // The error's message names every one of them.
        let err = Policy::from_toml(&text).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("policy is invalid: {} problems: ", want.len())), "{msg}");
        for (at, kind) in &want {
            assert!(msg.contains(&format!("{at}: {kind}")), "message lacks {at}: {kind}");
        }
    }
}
