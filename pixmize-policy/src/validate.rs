//! Validation: every rule a [`Document`] must follow, all problems at once.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Issue, IssueKind};
use crate::key::{Key, KeyKind, Taxonomy};
use crate::model::{
    ClauseRef, ConsentRequirement, Document, LegalBasis, Location, Obligation, Retention, Right,
    TransferMechanism, clause,
};

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
    if !taxonomy.contains(kind, key) {
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
        if a.retention.is_none() {
            out.push(format!("{at}.retention"), here.clone(), IssueKind::MissingRetention);
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
    // GDPR Art. 13(2)(b)-(d) rights every notice must state.
    let mut required = vec![
        Right::Access,
        Right::Rectification,
        Right::Erasure,
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
    let mut seen = BTreeSet::new();
    for e in &promise.events {
        if !seen.insert(e.name.as_str()) {
            out.push(
                format!("analytics.events[{}]", e.name),
                here.clone(),
                IssueKind::DuplicateEvent { name: e.name.clone() },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_dates() {
        assert!(valid_id("cloud_processing") && valid_id("a-1"));
        assert!(!valid_id("") && !valid_id("_x") && !valid_id("Cloud") && !valid_id("a b"));
        assert!(parse_date("2026-11-22").is_some());
        assert!(parse_date("2026-13-01").is_none() && parse_date("22.11.2026").is_none());
    }
}
