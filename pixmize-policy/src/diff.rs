//! Typed policy changes: [`diff`] classes every change as material, notify,
//! favourable or editorial (the research's §5 table, after WP29's
//! transparency guidelines), and [`check_release`] fails when a material
//! change ships without a new version and new consent revisions.
//!
//! ```
//! use pixmize_policy::diff::{Severity, check_release, diff};
//! use pixmize_policy::{PIXMIZE_TOML, Policy};
//!
//! let old = Policy::from_toml(PIXMIZE_TOML)?;
//! // Keep the statistics for 3 years instead of 2, without bumping anything.
//! let new = Policy::from_toml(&PIXMIZE_TOML.replace("days = 730", "days = 1095"))?;
//! let changes = diff(&old, &new);
//! assert_eq!(changes[0].severity, Severity::Material);
//! assert!(check_release(&old, &new).is_err());
//! # Ok::<(), pixmize_policy::Error>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::Policy;
use crate::key::Key;
use crate::model::{
    Activity, ActivityId, ClauseRef, ConsentRequirement, Cookie, Document, LegalBasis, Location,
    Prohibition, PropertyRule, Recipient, Retention, RightDecl, clause,
};

/// How a change affects the people the policy is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Wording, titles, links, ordering, bookkeeping.
    Editorial,
    /// Better for users: less data, shorter retention, more rights or control.
    Favourable,
    /// Users must be told, but nothing is reduced (e.g. a new contact).
    Notify,
    /// Reduces users' protection or widens processing: needs a new version,
    /// advance notice, and renewed consent where consent is involved.
    Material,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Editorial => "editorial",
            Severity::Favourable => "favourable",
            Severity::Notify => "notify",
            Severity::Material => "material",
        })
    }
}

/// One change between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Its class.
    pub severity: Severity,
    /// Where in the document, e.g. `activities[cloud_processing].retention`.
    pub path: String,
    /// The clause of the new (or, for removals, old) page.
    pub clause: ClauseRef,
    /// What changed, in words.
    pub what: String,
    /// The activities the change affects (for consent revisions).
    pub activities: Vec<ActivityId>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {} ({})", self.severity, self.path, self.what, self.clause)
    }
}

struct Out(Vec<Change>);

impl Out {
    fn push(
        &mut self,
        severity: Severity,
        path: impl Into<String>,
        clause: ClauseRef,
        what: impl Into<String>,
        activities: Vec<ActivityId>,
    ) {
        self.0.push(Change { severity, path: path.into(), clause, what: what.into(), activities });
    }
}

fn cl(s: &str) -> ClauseRef {
    ClauseRef::new(s)
}

/// Every change from `old` to `new`, most severe first.
#[must_use]
pub fn diff(old: &Policy, new: &Policy) -> Vec<Change> {
    let (o, n) = (old.document(), new.document());
    let mut out = Out(Vec::new());

    for (field, a, b) in [
        ("title", &o.title, &n.title),
        ("summary", &o.summary, &n.summary),
        ("language", &o.language, &n.language),
        ("url", &o.url, &n.url),
        ("version", &o.version, &n.version),
        ("effective", &o.effective, &n.effective),
    ] {
        if a != b {
            out.push(
                Severity::Editorial,
                field,
                cl(clause::CHANGES),
                format!("{field} changed from `{a}` to `{b}`"),
                vec![],
            );
        }
    }
    if o.controller != n.controller {
        out.push(
            Severity::Notify,
            "controller",
            cl(clause::CONTROLLER),
            "controller details changed",
            vec![],
        );
    }
    if o.dpo != n.dpo {
        out.push(
            Severity::Notify,
            "dpo",
            cl(clause::CONTROLLER),
            "data protection officer changed",
            vec![],
        );
    }
    if o.supervisory_authority != n.supervisory_authority {
        out.push(
            Severity::Notify,
            "supervisory_authority",
            cl(clause::COMPLAINTS),
            "supervisory authority changed",
            vec![],
        );
    }
    if o.changes.advance_days > n.changes.advance_days {
        out.push(
            Severity::Material,
            "changes.advance_days",
            cl(clause::CHANGES),
            "less advance notice of changes",
            vec![],
        );
    } else if o.changes.advance_days < n.changes.advance_days {
        out.push(
            Severity::Favourable,
            "changes.advance_days",
            cl(clause::CHANGES),
            "more advance notice of changes",
            vec![],
        );
    }
    if o.changes.how != n.changes.how {
        out.push(
            Severity::Editorial,
            "changes.how",
            cl(clause::CHANGES),
            "wording of how changes are announced",
            vec![],
        );
    }
    if o.extensions != n.extensions {
        out.push(
            Severity::Editorial,
            "extensions",
            cl(clause::NOT_LISTED),
            "taxonomy extensions changed",
            vec![],
        );
    }

    recipients(o, n, &mut out);
    preferences(o, n, &mut out);
    for a in &n.activities {
        match o.activities.iter().find(|x| x.id == a.id) {
            None => out.push(
                Severity::Material,
                format!("activities[{}]", a.id),
                a.clause(),
                format!("new processing activity `{}`", a.title),
                vec![a.id.clone()],
            ),
            Some(old_a) => activity(old_a, a, n, &mut out),
        }
    }
    for a in o.activities.iter().filter(|a| !n.activities.iter().any(|x| x.id == a.id)) {
        out.push(
            Severity::Favourable,
            format!("activities[{}]", a.id),
            a.clause(),
            format!("activity `{}` removed", a.title),
            vec![],
        );
    }
    prohibitions(o, n, &mut out);
    cookies(o, n, &mut out);
    rights(o, n, &mut out);
    analytics(o, n, &mut out);

    out.0.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.path.cmp(&b.path)));
    out.0
}

fn users_of(doc: &Document, pred: impl Fn(&Activity) -> bool) -> Vec<ActivityId> {
    doc.activities.iter().filter(|a| pred(a)).map(|a| a.id.clone()).collect()
}

fn recipients(o: &Document, n: &Document, out: &mut Out) {
    let here = || cl(clause::RECIPIENTS);
    for r in &n.recipients {
        let path = format!("recipients[{}]", r.id);
        let users = users_of(n, |a| a.all_recipients().any(|x| *x == r.id));
        let Some(old) = o.recipients.iter().find(|x| x.id == r.id) else {
            out.push(Severity::Material, path, here(), format!("new recipient {}", r.name), users);
            continue;
        };
        recipient(old, r, &path, &users, out);
    }
    for r in o.recipients.iter().filter(|r| !n.recipients.iter().any(|x| x.id == r.id)) {
        out.push(
            Severity::Favourable,
            format!("recipients[{}]", r.id),
            here(),
            format!("recipient {} removed", r.name),
            vec![],
        );
    }
}

fn recipient(old: &Recipient, r: &Recipient, path: &str, users: &[ActivityId], out: &mut Out) {
    let here = || cl(clause::RECIPIENTS);
    if old.role != r.role {
        let sev = match (old.role.is_processor(), r.role.is_processor()) {
            (true, false) => Severity::Material,
            (false, true) => Severity::Favourable,
            _ => Severity::Notify,
        };
        out.push(
            sev,
            format!("{path}.role"),
            here(),
            format!("{} is now a {} (was {})", r.name, r.role.label(), old.role.label()),
            users.to_vec(),
        );
    }
    for c in r.countries.iter().filter(|c| !old.countries.contains(c)) {
        out.push(
            Severity::Material,
            format!("{path}.countries"),
            here(),
            format!("{} now processes data in {}", r.name, c.name()),
            users.to_vec(),
        );
    }
    for c in old.countries.iter().filter(|c| !r.countries.contains(c)) {
        out.push(
            Severity::Favourable,
            format!("{path}.countries"),
            here(),
            format!("{} no longer processes data in {}", r.name, c.name()),
            vec![],
        );
    }
    let strength =
        |m: Option<crate::TransferMechanism>| m.map_or(0, crate::TransferMechanism::strength);
    let (a, b) = (strength(old.transfer_mechanism), strength(r.transfer_mechanism));
    let needs = r.countries.iter().any(|c| !c.is_eea());
    if b < a && needs {
        out.push(
            Severity::Material,
            format!("{path}.transfer_mechanism"),
            here(),
            format!("weaker transfer safeguard for {}", r.name),
            users.to_vec(),
        );
    } else if b > a {
        out.push(
            Severity::Favourable,
            format!("{path}.transfer_mechanism"),
            here(),
            format!("stronger transfer safeguard for {}", r.name),
            vec![],
        );
    } else if old.transfer_mechanism != r.transfer_mechanism {
        out.push(
            Severity::Notify,
            format!("{path}.transfer_mechanism"),
            here(),
            format!("transfer safeguard for {} changed", r.name),
            vec![],
        );
    }
    if old.legal_name != r.legal_name {
        out.push(
            Severity::Notify,
            format!("{path}.legal_name"),
            here(),
            format!("{} is now {}", old.legal_name, r.legal_name),
            vec![],
        );
    }
    if (&old.name, &old.service, &old.url, &old.privacy_url, &old.dpa_url)
        != (&r.name, &r.service, &r.url, &r.privacy_url, &r.dpa_url)
    {
        out.push(
            Severity::Editorial,
            path.to_owned(),
            here(),
            format!("description or links of {} changed", r.name),
            vec![],
        );
    }
}

fn preferences(o: &Document, n: &Document, out: &mut Out) {
    let here = || cl(clause::CHOICES);
    for p in &n.preferences {
        let path = format!("preferences[{}]", p.id);
        let users = users_of(n, |a| a.preference() == Some(&p.id));
        match o.preferences.iter().find(|x| x.id == p.id) {
            None => out.push(
                Severity::Favourable,
                path,
                here(),
                format!("new choice “{}”", p.label),
                vec![],
            ),
            Some(old) => {
                if !old.default_on && p.default_on {
                    out.push(
                        Severity::Material,
                        format!("{path}.default_on"),
                        here(),
                        format!("“{}” is now on by default", p.label),
                        users,
                    );
                } else if old.default_on && !p.default_on {
                    out.push(
                        Severity::Favourable,
                        format!("{path}.default_on"),
                        here(),
                        format!("“{}” is now off by default", p.label),
                        vec![],
                    );
                }
                if (&old.label, &old.description, &old.how_to_change)
                    != (&p.label, &p.description, &p.how_to_change)
                {
                    out.push(
                        Severity::Editorial,
                        path,
                        here(),
                        format!("wording of “{}”", p.label),
                        vec![],
                    );
                }
            }
        }
    }
    for p in o.preferences.iter().filter(|p| !n.preferences.iter().any(|x| x.id == p.id)) {
        out.push(
            Severity::Material,
            format!("preferences[{}]", p.id),
            here(),
            format!("choice “{}” removed", p.label),
            vec![],
        );
    }
}

/// Keys in `new` not covered by any key in `old`.
fn uncovered<'a>(new: &'a [Key], old: &[Key]) -> Vec<&'a Key> {
    new.iter().filter(|k| !old.iter().any(|o| o.covers(k))).collect()
}

fn consent_strength(c: &ConsentRequirement) -> u8 {
    match c {
        ConsentRequirement::NotRequired => 0,
        ConsentRequirement::OptOut { .. } => 1,
        ConsentRequirement::OptIn { .. } => 2,
    }
}

/// Compares retentions: `Some(true)` when `new` keeps data longer.
fn longer(old: Option<Retention>, new: Option<Retention>) -> Option<bool> {
    fn rank(r: Option<Retention>) -> (u8, u32) {
        match r {
            Some(r) => match (r.bound_days(), r) {
                (Some(d), _) => (0, d),
                (None, Retention::UntilAccountDeletion { grace_days }) => (1, grace_days),
                _ => (1, u32::MAX),
            },
            None => (2, 0),
        }
    }
    let (a, b) = (rank(old), rank(new));
    (a != b).then_some(b > a)
}

fn activity(o: &Activity, a: &Activity, n: &Document, out: &mut Out) {
    let p = format!("activities[{}]", a.id);
    let me = || vec![a.id.clone()];
    let c = a.clause();
    for k in uncovered(&a.data_categories, &o.data_categories) {
        out.push(
            Severity::Material,
            format!("{p}.data_categories"),
            c.clone(),
            format!("now also processes `{k}`"),
            me(),
        );
    }
    for k in uncovered(&o.data_categories, &a.data_categories) {
        out.push(
            Severity::Favourable,
            format!("{p}.data_categories"),
            c.clone(),
            format!("no longer processes `{k}`"),
            vec![],
        );
    }
    if !o.purpose.covers(&a.purpose) {
        out.push(
            Severity::Material,
            format!("{p}.purpose"),
            c.clone(),
            format!("purpose changed from `{}` to `{}`", o.purpose, a.purpose),
            me(),
        );
    } else if o.purpose != a.purpose {
        out.push(
            Severity::Favourable,
            format!("{p}.purpose"),
            c.clone(),
            format!("purpose narrowed to `{}`", a.purpose),
            vec![],
        );
    }
    for k in uncovered(&a.data_subjects, &o.data_subjects) {
        out.push(
            Severity::Material,
            format!("{p}.data_subjects"),
            c.clone(),
            format!("now also concerns `{k}`"),
            me(),
        );
    }
    for k in uncovered(&o.data_subjects, &a.data_subjects) {
        out.push(
            Severity::Favourable,
            format!("{p}.data_subjects"),
            c.clone(),
            format!("no longer concerns `{k}`"),
            vec![],
        );
    }
    if o.legal_basis != a.legal_basis {
        let sev = match (o.legal_basis, a.legal_basis) {
            (LegalBasis::Consent, _) => Severity::Material,
            (_, LegalBasis::Consent) => Severity::Favourable,
            _ => Severity::Notify,
        };
        out.push(
            sev,
            format!("{p}.legal_basis"),
            c.clone(),
            format!("legal basis is now {}", a.legal_basis.label()),
            me(),
        );
    }
    if o.legitimate_interest != a.legitimate_interest {
        out.push(
            Severity::Notify,
            format!("{p}.legitimate_interest"),
            c.clone(),
            "legitimate interest restated",
            vec![],
        );
    }
    if o.location != a.location {
        let sev = match (&o.location, &a.location) {
            (Location::Recipient(_), Location::Device) => Severity::Favourable,
            _ => Severity::Material,
        };
        let name = |l: &Location| match l {
            Location::Device => "the device".to_owned(),
            Location::Recipient(r) => {
                n.recipients.iter().find(|x| x.id == *r).map_or(r.0.clone(), |x| x.name.clone())
            }
        };
        out.push(
            sev,
            format!("{p}.location"),
            c.clone(),
            format!("moved from {} to {}", name(&o.location), name(&a.location)),
            me(),
        );
    }
    for r in a.recipients.iter().filter(|r| !o.recipients.contains(r)) {
        out.push(
            Severity::Material,
            format!("{p}.recipients"),
            c.clone(),
            format!("now also shared with `{r}`"),
            me(),
        );
    }
    for r in o.recipients.iter().filter(|r| !a.recipients.contains(r)) {
        out.push(
            Severity::Favourable,
            format!("{p}.recipients"),
            c.clone(),
            format!("no longer shared with `{r}`"),
            vec![],
        );
    }
    match longer(o.retention, a.retention) {
        Some(true) => {
            out.push(Severity::Material, format!("{p}.retention"), c.clone(), "kept longer", me())
        }
        Some(false) => out.push(
            Severity::Favourable,
            format!("{p}.retention"),
            c.clone(),
            "kept for less time",
            vec![],
        ),
        None if o.retention != a.retention => out.push(
            Severity::Notify,
            format!("{p}.retention"),
            c.clone(),
            "retention restated",
            vec![],
        ),
        None => {}
    }
    if o.consent != a.consent {
        let (x, y) = (consent_strength(&o.consent), consent_strength(&a.consent));
        let sev = match y.cmp(&x) {
            std::cmp::Ordering::Less => Severity::Material,
            std::cmp::Ordering::Greater => Severity::Favourable,
            std::cmp::Ordering::Equal => Severity::Notify,
        };
        out.push(sev, format!("{p}.consent"), c.clone(), "consent requirement changed", me());
    }
    if o.consent_revision != a.consent_revision {
        out.push(
            Severity::Editorial,
            format!("{p}.consent_revision"),
            c.clone(),
            format!("consent revision {} → {}", o.consent_revision, a.consent_revision),
            vec![],
        );
    }
    if o.required != a.required || o.source != a.source {
        out.push(
            Severity::Notify,
            p.clone(),
            c.clone(),
            "whether the data is required, or where it comes from, changed",
            vec![],
        );
    }
    if !o.automated_decisions && a.automated_decisions {
        out.push(
            Severity::Material,
            format!("{p}.automated_decisions"),
            c.clone(),
            "now makes automated decisions",
            me(),
        );
    } else if o.automated_decisions && !a.automated_decisions {
        out.push(
            Severity::Favourable,
            format!("{p}.automated_decisions"),
            c.clone(),
            "no longer makes automated decisions",
            vec![],
        );
    }
    for m in o.measures.iter().filter(|m| !a.measures.contains(m)) {
        out.push(
            Severity::Material,
            format!("{p}.measures"),
            c.clone(),
            format!("safeguard removed: {}", m.label()),
            me(),
        );
    }
    for m in a.measures.iter().filter(|m| !o.measures.contains(m)) {
        out.push(
            Severity::Favourable,
            format!("{p}.measures"),
            c.clone(),
            format!("safeguard added: {}", m.label()),
            vec![],
        );
    }
    for ob in o.obligations.iter().filter(|x| !a.obligations.contains(x)) {
        out.push(
            Severity::Material,
            format!("{p}.obligations"),
            c.clone(),
            format!("no longer promised: {}", ob.describe()),
            me(),
        );
    }
    for ob in a.obligations.iter().filter(|x| !o.obligations.contains(x)) {
        out.push(
            Severity::Favourable,
            format!("{p}.obligations"),
            c.clone(),
            format!("now promised: {}", ob.describe()),
            vec![],
        );
    }
    if (&o.title, &o.description, &o.stores) != (&a.title, &a.description, &a.stores) {
        out.push(Severity::Editorial, p, c, "title, description or stores changed", vec![]);
    }
}

/// Whether prohibition `new` forbids at least everything `old` did.
fn at_least_as_strict(old: &Prohibition, new: &Prohibition) -> bool {
    let covers = |o: &crate::KeyRule, n: &crate::KeyRule| {
        o.matches == n.matches && o.values.iter().all(|v| n.values.iter().any(|w| w.covers(v)))
    };
    let scope = match (&old.scope, &new.scope) {
        (_, crate::Scope::Everywhere) => true,
        (crate::Scope::OffDevice | crate::Scope::Recipients(_), crate::Scope::OffDevice) => true,
        (crate::Scope::Recipients(a), crate::Scope::Recipients(b)) => {
            a.iter().all(|r| b.contains(r))
        }
        _ => false,
    };
    let subjects = match (&old.subjects, &new.subjects) {
        (_, None) => true,
        (Some(o), Some(n)) => covers(o, n),
        (None, Some(_)) => false,
    };
    covers(&old.categories, &new.categories)
        && covers(&old.purposes, &new.purposes)
        && scope
        && subjects
}

fn prohibitions(o: &Document, n: &Document, out: &mut Out) {
    for p in &n.prohibitions {
        let path = format!("prohibitions[{}]", p.id);
        match o.prohibitions.iter().find(|x| x.id == p.id) {
            None => out.push(
                Severity::Favourable,
                path,
                p.clause(),
                format!("new promise: {}", p.title),
                vec![],
            ),
            Some(old) => {
                let rule_changed = (&old.categories, &old.purposes, &old.subjects, &old.scope)
                    != (&p.categories, &p.purposes, &p.subjects, &p.scope);
                if rule_changed {
                    let sev = if at_least_as_strict(old, p) {
                        Severity::Favourable
                    } else {
                        Severity::Material
                    };
                    out.push(
                        sev,
                        path.clone(),
                        p.clause(),
                        format!("promise “{}” changed", p.title),
                        vec![],
                    );
                }
                if (&old.title, &old.description) != (&p.title, &p.description) {
                    out.push(Severity::Editorial, path, p.clause(), "wording of a promise", vec![]);
                }
            }
        }
    }
    for p in o.prohibitions.iter().filter(|p| !n.prohibitions.iter().any(|x| x.id == p.id)) {
        out.push(
            Severity::Material,
            format!("prohibitions[{}]", p.id),
            p.clause(),
            format!("promise withdrawn: {}", p.title),
            vec![],
        );
    }
}

fn cookies(o: &Document, n: &Document, out: &mut Out) {
    let here = || cl(clause::COOKIES);
    let same = |a: &Cookie, b: &Cookie| a.name == b.name && a.domain == b.domain;
    let age = |c: &Cookie| c.max_age_s.unwrap_or(0);
    for c in &n.cookies {
        let path = format!("cookies[{}]", c.name);
        let users = vec![c.activity.clone()];
        let Some(old) = o.cookies.iter().find(|x| same(x, c)) else {
            let sev =
                if c.optional || c.third_party { Severity::Material } else { Severity::Notify };
            out.push(sev, path, here(), format!("new cookie `{}`", c.name), users);
            continue;
        };
        if age(c) > age(old) {
            out.push(
                Severity::Material,
                format!("{path}.max_age_s"),
                here(),
                format!("cookie `{}` lives longer", c.name),
                users.clone(),
            );
        } else if age(c) < age(old) {
            out.push(
                Severity::Favourable,
                format!("{path}.max_age_s"),
                here(),
                format!("cookie `{}` lives shorter", c.name),
                vec![],
            );
        }
        let weaker = (!old.third_party && c.third_party)
            || (old.optional && !c.optional)
            || (old.http_only && !c.http_only)
            || (old.secure && !c.secure);
        let stronger = (old.third_party && !c.third_party)
            || (!old.optional && c.optional)
            || (!old.http_only && c.http_only)
            || (!old.secure && c.secure);
        if weaker {
            out.push(
                Severity::Material,
                path.clone(),
                here(),
                format!("cookie `{}` is less protective", c.name),
                users.clone(),
            );
        } else if stronger {
            out.push(
                Severity::Favourable,
                path.clone(),
                here(),
                format!("cookie `{}` is more protective", c.name),
                vec![],
            );
        }
        if old.activity != c.activity {
            out.push(
                Severity::Notify,
                format!("{path}.activity"),
                here(),
                format!("cookie `{}` now serves `{}`", c.name, c.activity),
                users,
            );
        }
        if old.purpose != c.purpose {
            out.push(
                Severity::Editorial,
                format!("{path}.purpose"),
                here(),
                format!("wording for cookie `{}`", c.name),
                vec![],
            );
        }
    }
    for c in o.cookies.iter().filter(|c| !n.cookies.iter().any(|x| same(x, c))) {
        out.push(
            Severity::Favourable,
            format!("cookies[{}]", c.name),
            here(),
            format!("cookie `{}` removed", c.name),
            vec![],
        );
    }
}

fn rights(o: &Document, n: &Document, out: &mut Out) {
    for r in &n.rights {
        let path = format!("rights[{}]", r.right.slug());
        let Some(old) = o.rights.iter().find(|x| x.right == r.right) else {
            out.push(
                Severity::Favourable,
                path,
                r.clause(),
                format!("new right: {}", r.right.title()),
                vec![],
            );
            continue;
        };
        right(old, r, &path, out);
    }
    for r in o.rights.iter().filter(|r| !n.rights.iter().any(|x| x.right == r.right)) {
        out.push(
            Severity::Material,
            format!("rights[{}]", r.right.slug()),
            r.clause(),
            format!("right removed: {}", r.right.title()),
            vec![],
        );
    }
}

fn right(old: &RightDecl, r: &RightDecl, path: &str, out: &mut Out) {
    if r.deadline_days > old.deadline_days {
        out.push(
            Severity::Material,
            format!("{path}.deadline_days"),
            r.clause(),
            format!("{} takes longer", r.right.title()),
            vec![],
        );
    } else if r.deadline_days < old.deadline_days {
        out.push(
            Severity::Favourable,
            format!("{path}.deadline_days"),
            r.clause(),
            format!("{} is faster", r.right.title()),
            vec![],
        );
    }
    for ch in old.channels.iter().filter(|c| !r.channels.contains(c)) {
        out.push(
            Severity::Material,
            format!("{path}.channels"),
            r.clause(),
            format!("{} no longer possible {}", r.right.title(), ch.label()),
            vec![],
        );
    }
    for ch in r.channels.iter().filter(|c| !old.channels.contains(c)) {
        out.push(
            Severity::Favourable,
            format!("{path}.channels"),
            r.clause(),
            format!("{} now also possible {}", r.right.title(), ch.label()),
            vec![],
        );
    }
    if old.how != r.how {
        out.push(
            Severity::Editorial,
            format!("{path}.how"),
            r.clause(),
            format!("wording of {}", r.right.title()),
            vec![],
        );
    }
}

fn analytics(o: &Document, n: &Document, out: &mut Out) {
    let here = || cl(clause::ANALYTICS);
    let (old, new) = match (&o.analytics, &n.analytics) {
        (None, None) => return,
        (None, Some(p)) => {
            out.push(
                Severity::Material,
                "analytics",
                here(),
                "usage statistics introduced",
                vec![p.activity.clone()],
            );
            return;
        }
        (Some(_), None) => {
            out.push(Severity::Favourable, "analytics", here(), "usage statistics dropped", vec![]);
            return;
        }
        (Some(a), Some(b)) => (a, b),
    };
    let users = vec![new.activity.clone()];
    for (field, a, b) in [
        ("keep_country", old.keep_country, new.keep_country),
        ("keep_browser", old.keep_browser, new.keep_browser),
        ("keep_device_type", old.keep_device_type, new.keep_device_type),
    ] {
        if !a && b {
            out.push(
                Severity::Material,
                format!("analytics.{field}"),
                here(),
                format!("statistics now {field}"),
                users.clone(),
            );
        } else if a && !b {
            out.push(
                Severity::Favourable,
                format!("analytics.{field}"),
                here(),
                format!("statistics no longer {field}"),
                vec![],
            );
        }
    }
    // A longer limit keeps more of what users type: anonymisation weakened.
    if new.max_text_len > old.max_text_len {
        out.push(
            Severity::Material,
            "analytics.max_text_len",
            here(),
            format!(
                "text values kept up to {} characters, not {}",
                new.max_text_len, old.max_text_len
            ),
            users.clone(),
        );
    } else if new.max_text_len < old.max_text_len {
        out.push(
            Severity::Favourable,
            "analytics.max_text_len",
            here(),
            format!("text values cut to {} characters, not {}", new.max_text_len, old.max_text_len),
            vec![],
        );
    }
    if old.activity != new.activity {
        out.push(
            Severity::Notify,
            "analytics.activity",
            here(),
            "statistics moved to another activity",
            users.clone(),
        );
    }
    if old.description != new.description {
        out.push(
            Severity::Editorial,
            "analytics.description",
            here(),
            "wording of the statistics promise",
            vec![],
        );
    }
    for e in &new.events {
        let path = format!("analytics.events[{}]", e.name);
        let Some(oe) = old.events.iter().find(|x| x.name == e.name) else {
            out.push(
                Severity::Material,
                path,
                here(),
                format!("new event `{}`", e.name),
                users.clone(),
            );
            continue;
        };
        let keys: BTreeSet<&String> = e.properties.keys().chain(oe.properties.keys()).collect();
        for k in keys {
            match (oe.properties.get(k), e.properties.get(k)) {
                (None, Some(_)) => out.push(
                    Severity::Material,
                    path.clone(),
                    here(),
                    format!("event `{}` now records `{k}`", e.name),
                    users.clone(),
                ),
                (Some(_), None) => out.push(
                    Severity::Favourable,
                    path.clone(),
                    here(),
                    format!("event `{}` no longer records `{k}`", e.name),
                    vec![],
                ),
                (Some(a), Some(b)) if a != b => {
                    let sev = if widens(a, b) { Severity::Material } else { Severity::Favourable };
                    out.push(
                        sev,
                        path.clone(),
                        here(),
                        format!("event `{}` records `{k}` differently", e.name),
                        users.clone(),
                    );
                }
                _ => {}
            }
        }
        if oe.description != e.description {
            out.push(
                Severity::Editorial,
                path,
                here(),
                format!("wording of event `{}`", e.name),
                vec![],
            );
        }
    }
    for e in old.events.iter().filter(|e| !new.events.iter().any(|x| x.name == e.name)) {
        out.push(
            Severity::Favourable,
            format!("analytics.events[{}]", e.name),
            here(),
            format!("event `{}` dropped", e.name),
            vec![],
        );
    }
}

/// How much of a value a property rule lets through: a fixed set of values
/// (`one_of`), then any path (`url_path`), then scrubbed free text (`text`).
fn breadth(rule: &PropertyRule) -> u8 {
    match rule {
        PropertyRule::OneOf { .. } => 0,
        PropertyRule::UrlPath => 1,
        PropertyRule::Text => 2,
    }
}

/// Whether `new` records values that `old` did not: a broader rule, or a
/// fixed set with a value added.
fn widens(old: &PropertyRule, new: &PropertyRule) -> bool {
    match (old, new) {
        (PropertyRule::OneOf { values: x }, PropertyRule::OneOf { values: y }) => {
            y.iter().any(|v| !x.contains(v))
        }
        _ => breadth(new) > breadth(old),
    }
}

/// Why a new version may not be released.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseProblem {
    /// Material or notify changes with the same `version`.
    #[error("material or notify changes need a new version (still `{version}`)")]
    VersionNotBumped {
        /// The unchanged version.
        version: String,
    },
    /// Material changes without a later `effective` date.
    #[error("material changes need a later effective date (still {effective})")]
    EffectiveNotAdvanced {
        /// The new effective date.
        effective: String,
    },
    /// A material change touches an opt-in activity whose consent revision stayed.
    #[error(
        "activity `{activity}` has a material change ({because}) but its consent_revision is still {revision}"
    )]
    ConsentRevisionNotBumped {
        /// The activity.
        activity: ActivityId,
        /// Its unchanged revision.
        revision: u32,
        /// The change's path.
        because: String,
    },
}

/// The outcome of a failed [`check_release`]: the problems, and every change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the policy change cannot be released: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ReleaseError {
    /// What must be fixed.
    pub problems: Vec<ReleaseProblem>,
    /// Every change found.
    pub changes: Vec<Change>,
}

/// The CI guard: compares the last released policy with the current one.
/// Material or notify changes need a new `version`; material changes also
/// need a later `effective` date and, for every opt-in activity they touch,
/// a higher `consent_revision` (so [`Policy::decide`] asks those users again,
/// and only those).
///
/// # Errors
/// [`ReleaseError`] listing every problem.
pub fn check_release(old: &Policy, new: &Policy) -> Result<Vec<Change>, ReleaseError> {
    let changes = diff(old, new);
    let (o, n) = (old.document(), new.document());
    let mut problems = Vec::new();
    let material = changes.iter().any(|c| c.severity == Severity::Material);
    let notify = changes.iter().any(|c| c.severity >= Severity::Notify);
    if notify && o.version == n.version {
        problems.push(ReleaseProblem::VersionNotBumped { version: n.version.clone() });
    }
    if material && new.effective() <= old.effective() {
        problems.push(ReleaseProblem::EffectiveNotAdvanced { effective: n.effective.clone() });
    }
    let mut flagged = BTreeSet::new();
    for c in changes.iter().filter(|c| c.severity == Severity::Material) {
        for id in &c.activities {
            let (Some(oa), Some(na)) = (old.activity(id.as_str()), new.activity(id.as_str()))
            else {
                continue;
            };
            let opt_in = matches!(na.consent, ConsentRequirement::OptIn { .. });
            if opt_in && na.consent_revision <= oa.consent_revision && flagged.insert(id.clone()) {
                problems.push(ReleaseProblem::ConsentRevisionNotBumped {
                    activity: id.clone(),
                    revision: na.consent_revision,
                    because: c.path.clone(),
                });
            }
        }
    }
    if problems.is_empty() { Ok(changes) } else { Err(ReleaseError { problems, changes }) }
}
