//! Decision tables for `Policy::decide`: deny by default, prohibitions beat
//! permits, dotted keys, DPV consent statuses, stale consent, clauses.

mod support;

use pixmize_policy::{
    ConsentSnapshot, ConsentStatus, Decision, Deletion, Key, KeyRule, MatchMode, Obligation,
    Policy, Prohibition, Query, Reason, RecipientId, Retention, Scope, render,
};

const IMAGE_PROCESSING: &str = "essential.service.image_processing";

fn cloud_query() -> Query {
    Query::to("imagekit", IMAGE_PROCESSING).data("user.content.private").data("user.unique_id")
}

fn consented(policy: &Policy) -> ConsentSnapshot {
    let mut c = ConsentSnapshot::new();
    c.give(policy, "cloud_processing");
    c
}

fn deny_reasons(d: Decision) -> Vec<Reason> {
    match d {
        Decision::Allow(a) => panic!("expected a denial, got {a:?}"),
        Decision::Deny(d) => d.reasons().to_vec(),
    }
}

#[test]
fn the_router_question_reads_naturally_and_carries_obligations() {
    let policy = Policy::pixmize();
    let allow = policy.decide(&cloud_query(), &consented(policy)).into_result().unwrap();
    assert_eq!(allow.activity().as_str(), "cloud_processing");
    assert_eq!(allow.clause().as_str(), "activity-cloud_processing");
    assert_eq!(allow.recipient().map(|r| r.as_str()), Some("imagekit"));
    assert_eq!(allow.obligations(), [Obligation::StripMetadata, Obligation::DeleteAfterProcessing]);
    assert!(allow.must_strip_metadata());
    assert_eq!(allow.deletion(), Some(Deletion::AfterProcessing));
    assert_eq!(allow.retention(), Retention::Ephemeral);
    assert_eq!(allow.policy_version(), policy.version());
}

#[test]
fn deny_by_default_without_consent_names_the_activity_clause() {
    let policy = Policy::pixmize();
    let reasons = deny_reasons(policy.decide(&cloud_query(), &ConsentSnapshot::new()));
    assert!(
        matches!(
            &reasons[..],
            [Reason::ConsentRequired { activity, preference, status: None, clause }]
                if activity.as_str() == "cloud_processing" && preference.as_str() == "cloud_processing"
                    && clause.as_str() == "activity-cloud_processing"
        ),
        "{reasons:?}"
    );
}

#[test]
fn only_given_or_renewed_consent_counts() {
    let policy = Policy::pixmize();
    for status in ConsentStatus::ALL {
        let mut consent = consented(policy); // revisions recorded
        consent.set("cloud_processing", status);
        let allowed = policy.decide(&cloud_query(), &consent).is_allowed();
        let want = matches!(status, ConsentStatus::Given | ConsentStatus::RenewedGiven);
        assert_eq!(allowed, want, "{status:?}");
        assert_eq!(status.is_valid_for_processing(), want, "{status:?}");
    }
}

#[test]
fn stale_consent_is_detected_by_activity_revision() {
    let v1 = Policy::pixmize();
    let consent = consented(v1);
    // A new version re-asks for cloud processing (revision 1 -> 2).
    let v2 = support::pixmize_with(&[(
        "consent = { kind = \"opt_in\", preference = \"cloud_processing\" }\nconsent_revision = 1",
        "consent = { kind = \"opt_in\", preference = \"cloud_processing\" }\nconsent_revision = 2",
    )]);
    let reasons = deny_reasons(v2.decide(&cloud_query(), &consent));
    assert!(
        matches!(&reasons[..], [Reason::ConsentStale { have: 1, need: 2, activity, .. }] if activity.as_str() == "cloud_processing"),
        "{reasons:?}"
    );
    // Untouched activities keep their consent: statistics (opt-out) still flow.
    let stats =
        Query::to("vercel", "analytics.reporting.system").data("user.behavior.product_interaction");
    assert!(v2.decide(&stats, &consent).is_allowed());
    // Giving consent again renews it.
    let mut renewed = consent;
    renewed.give(&v2, "cloud_processing");
    assert_eq!(renewed.status("cloud_processing"), Some(ConsentStatus::RenewedGiven));
    assert!(v2.decide(&cloud_query(), &renewed).is_allowed());
}

#[test]
fn opt_out_statistics_stop_on_objection_or_gpc() {
    let policy = Policy::pixmize();
    let q = Query::to("vercel", "analytics.reporting.system")
        .data("user.behavior.product_interaction")
        .data("user.location.imprecise");
    assert!(policy.decide(&q, &ConsentSnapshot::new()).is_allowed());
    for status in ConsentStatus::ALL {
        let mut c = ConsentSnapshot::new();
        c.set("usage_statistics", status);
        let objected = matches!(
            status,
            ConsentStatus::Refused | ConsentStatus::Withdrawn | ConsentStatus::Revoked
        );
        assert_eq!(policy.decide(&q, &c).is_allowed(), !objected, "{status:?}");
    }
    let mut gpc = ConsentSnapshot::new();
    gpc.with_gpc(true);
    assert!(matches!(
        &deny_reasons(policy.decide(&q, &gpc))[..],
        [Reason::GlobalPrivacyControl { .. }]
    ));
}

/// Key coverage in decisions: each case is (query, allowed?, deciding clause).
#[test]
fn decision_table_flat_and_nested_keys() {
    let policy = Policy::pixmize();
    let consent = consented(policy);
    #[rustfmt::skip]
    let cases: Vec<(Query, bool, &str)> = vec![
        // Flat: exactly the declared keys.
        (Query::on_device(IMAGE_PROCESSING).data("user.content.private"), true, "activity-device_processing"),
        (Query::to("clerk", "essential.service.authentication").data("user.contact.email"), true, "activity-account"),
        // Nested: `user.name` declared, `user.name.first` asked.
        (Query::to("clerk", "essential.service.authentication").data("user.name.first"), true, "activity-account"),
        // The activity declares the narrower purpose, so the broader `essential.service` is not covered.
        (Query::to("imagekit", "essential.service").data("user.content.private"), false, "not-listed"),
        // A child key does not cover its parent: `user.content` is broader than declared.
        (Query::to("imagekit", IMAGE_PROCESSING).data("user.content"), false, "not-listed"),
        // Right data, wrong recipient.
        (Query::to("clerk", IMAGE_PROCESSING).data("user.content.private"), false, "not-listed"),
        // An undeclared recipient.
        (Query::to("somewhere", IMAGE_PROCESSING).data("user.content.private"), false, "not-listed"),
        // Prohibited purposes, flat and nested.
        (Query::to("imagekit", "train_ai_system").data("user.content.private"), false, "never-no_ai_training"),
        (Query::to("vercel", "marketing.advertising.first_party.targeted").data("user.device.ip_address"), false, "never-no_advertising"),
        (Query::to("vercel", "analytics.reporting.system").data("user.content.self_image"), false, "never-no_image_analytics"),
        // Subjects: declared `customer` covers the query; `employee` is not declared.
        (Query::to("clerk", "essential.service.authentication").data("user.contact.email").subject("customer"), true, "activity-account"),
        (Query::to("clerk", "essential.service.authentication").data("user.contact.email").subject("employee"), false, "not-listed"),
        // Unknown and malformed keys are refused.
        (Query::on_device(IMAGE_PROCESSING).data("user.content.secret"), false, "not-listed"),
        (Query::on_device("Essential").data("user.content.private"), false, "not-listed"),
        // No data at all.
        (Query::on_device(IMAGE_PROCESSING), false, "not-listed"),
    ];
    let page = render::markdown(policy);
    for (q, allowed, clause) in cases {
        let d = policy.decide(&q, &consent);
        assert_eq!(d.is_allowed(), allowed, "{q:?} -> {d:?}");
        assert_eq!(d.clause().as_str(), clause, "{q:?} -> {d:?}");
        // Every clause an answer names is an anchor on the rendered page.
        assert!(page.contains(&format!("<a id=\"{clause}\"></a>")), "{clause} is not on the page");
    }
}

#[test]
fn a_prohibition_beats_a_permitting_activity() {
    // Widen the cloud activity to all of `user`: validation accepts it (no
    // prohibition catches the declared keys), and the activity now covers
    // precise location too, which a prohibition forbids off the device.
    let policy = support::pixmize_with(&[(
        "data_categories = [\"user.content.private\", \"user.unique_id\"]",
        "data_categories = [\"user\"]",
    )]);
    let consent = consented(&policy);
    assert!(policy.decide(&cloud_query(), &consent).is_allowed());
    let gps = Query::to("imagekit", IMAGE_PROCESSING)
        .data("user.content.private")
        .data("user.location.precise");
    let reasons = deny_reasons(policy.decide(&gps, &consent));
    assert!(
        matches!(&reasons[..], [Reason::Prohibited { prohibition, clause }]
            if prohibition.as_str() == "no_precise_location" && clause.as_str() == "never-no_precise_location"),
        "{reasons:?}"
    );
    // On the device the same data is fine (the prohibition is off-device only).
    let local = Query::on_device(IMAGE_PROCESSING).data("user.content.private");
    assert!(policy.decide(&local, &consent).is_allowed());
}

#[test]
fn not_declared_lists_the_uncovered_categories() {
    let policy = Policy::pixmize();
    let q = Query::to("imagekit", IMAGE_PROCESSING)
        .data("user.content.private")
        .data("user.contact.email");
    let reasons = deny_reasons(policy.decide(&q, &consented(policy)));
    match &reasons[..] {
        [Reason::NotDeclared { uncovered, .. }] => assert_eq!(
            uncovered.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["user.contact.email"]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deny_display_names_clause_and_reason() {
    let policy = Policy::pixmize();
    let d = policy.decide(&cloud_query(), &ConsentSnapshot::new()).into_result().unwrap_err();
    let text = d.to_string();
    assert!(text.starts_with("denied by policy clause #activity-cloud_processing"), "{text}");
    assert!(text.contains("needs consent `cloud_processing`"), "{text}");
}

#[test]
fn an_allow_carries_delete_within_hours() {
    // ImageKit keeps uploads for a bounded time instead of deleting them
    // right after processing.
    let policy = support::pixmize_with(&[(
        "obligations = [{ kind = \"strip_metadata\" }, { kind = \"delete_after_processing\" }]",
        "obligations = [{ kind = \"strip_metadata\" }, { kind = \"delete_within\", hours = 48 }, { kind = \"delete_within\", hours = 24 }]",
    )]);
    let allow = policy.decide(&cloud_query(), &consented(&policy)).into_result().unwrap();
    assert_eq!(
        allow.obligations(),
        [
            Obligation::StripMetadata,
            Obligation::DeleteWithin { hours: 48 },
            Obligation::DeleteWithin { hours: 24 }
        ]
    );
    // The strictest bound is the one the caller must meet.
    assert_eq!(allow.deletion(), Some(Deletion::WithinHours(24)));
    assert!(allow.must_strip_metadata());
    assert!(
        render::markdown(&policy).contains("the upload is deleted at most 24 hours after upload"),
        "the page states the bound"
    );

    // Deleting right after processing is stricter than any number of hours.
    let both = support::pixmize_with(&[(
        "obligations = [{ kind = \"strip_metadata\" }, { kind = \"delete_after_processing\" }]",
        "obligations = [{ kind = \"delete_within\", hours = 1 }, { kind = \"delete_after_processing\" }]",
    )]);
    let allow = both.decide(&cloud_query(), &consented(&both)).into_result().unwrap();
    assert_eq!(allow.deletion(), Some(Deletion::AfterProcessing));
    assert!(!allow.must_strip_metadata());

    // Nothing to delete for data that stays on the device.
    let local = Query::on_device(IMAGE_PROCESSING).data("user.content.private");
    let allow = policy.decide(&local, &ConsentSnapshot::new()).into_result().unwrap();
    assert_eq!(allow.deletion(), None);
}

fn key(s: &str) -> Key {
    s.parse().unwrap()
}

fn keys(list: &[&str]) -> Vec<Key> {
    list.iter().map(|s| key(s)).collect()
}

fn rule(matches: MatchMode, values: &[&str]) -> KeyRule {
    KeyRule { matches, values: keys(values) }
}

/// A prohibition `rule` on image processing (`purposes`) with the given
/// category, subject and scope rules.
fn prohibition(
    categories: KeyRule,
    purposes: &[&str],
    subjects: Option<KeyRule>,
    scope: Scope,
) -> Prohibition {
    Prohibition {
        id: "rule".into(),
        title: "Rule under test".to_owned(),
        description: "A prohibition built by the test.".to_owned(),
        categories,
        purposes: rule(MatchMode::Any, purposes),
        subjects,
        scope,
    }
}

/// The Pixmize policy with `p` as its only prohibition. Both image
/// activities declare the broad purpose `essential`, so no prohibition on
/// image processing catches them when the policy is validated (that compares
/// declared keys); `decide()` meets the prohibition only for the narrower
/// purpose a query asks about. The cloud activity declares `categories`,
/// the subjects `customer`, `visitor` and `anonymous_user`, and also sends
/// to `also_to`.
fn policy_with(p: Prohibition, categories: &[&str], also_to: &[&str]) -> Policy {
    let mut doc = Policy::pixmize().document().clone();
    doc.prohibitions = vec![p];
    for a in &mut doc.activities {
        match a.id.as_str() {
            "cloud_processing" => {
                a.data_categories = keys(categories);
                a.purpose = key("essential");
                a.data_subjects = keys(&["customer", "visitor", "anonymous_user"]);
                a.recipients = also_to.iter().map(|r| RecipientId::from(*r)).collect();
            }
            "device_processing" => a.purpose = key("essential"),
            _ => {}
        }
    }
    Policy::from_document(doc).unwrap_or_else(|e| panic!("test policy does not validate: {e}"))
}

fn at_imagekit() -> Scope {
    Scope::Recipients(vec![RecipientId::from("imagekit")])
}

/// Asserts `decision` is a denial by the prohibition under test, or a permit
/// by `activity`.
fn assert_decided(decision: &Decision, prohibited: bool, activity: &str, case: &str) {
    if prohibited {
        let reasons = match decision {
            Decision::Deny(d) => d.reasons(),
            Decision::Allow(a) => panic!("{case}: expected the prohibition, got {a:?}"),
        };
        assert!(
            matches!(reasons, [Reason::Prohibited { prohibition, clause }]
                if prohibition.as_str() == "rule" && clause.as_str() == "never-rule"),
            "{case}: {reasons:?}"
        );
    } else {
        let allow = decision.allow().unwrap_or_else(|| panic!("{case}: denied: {decision:?}"));
        assert_eq!(allow.activity().as_str(), activity, "{case}");
        assert_eq!(decision.clause().as_str(), format!("activity-{activity}"), "{case}");
    }
}

/// (mode, rule values, query categories, prohibited?).
type ModeCase = (MatchMode, &'static [&'static str], &'static [&'static str], bool);

/// Fides `test_evaluate.py` tables, through `decide()`: each match mode ×
/// flat and nested keys × caught or not, for the category rule, the purpose
/// rule (flat: the query's purpose; nested: its parent) and the permitting
/// activity (flat: it declares exactly the queried keys; nested: it declares
/// `user`). Not caught means the activity permits the flow.
#[test]
fn decision_table_match_modes_flat_and_nested() {
    #[rustfmt::skip]
    let cases: &[ModeCase] = &[
        // ANY: caught when any queried key is covered.
        (MatchMode::Any, &["user.contact.email"], &["user.contact.email", "user.name"], true),      // flat
        (MatchMode::Any, &["user.contact.email"], &["user.name"], false),
        (MatchMode::Any, &["user.contact"], &["user.contact.email"], true),                         // nested
        (MatchMode::Any, &["user.contact.email"], &["user.contact"], false),                        // a child does not cover its parent
        // ALL: caught only when every queried key is covered.
        (MatchMode::All, &["user.contact.email", "user.name"], &["user.contact.email", "user.name"], true),
        (MatchMode::All, &["user.contact.email"], &["user.contact.email", "user.name"], false),
        (MatchMode::All, &["user"], &["user.contact.email", "user.name.first"], true),
        (MatchMode::All, &["user.contact"], &["user.contact.email", "user.name.first"], false),
        // NONE: caught only when no queried key is covered.
        (MatchMode::None, &["user.contact.email"], &["user.name"], true),
        (MatchMode::None, &["user.contact.email"], &["user.contact.email", "user.name"], false),
        (MatchMode::None, &["user.contact"], &["user.name.first"], true),
        (MatchMode::None, &["user.contact"], &["user.contact.phone_number", "user.name"], false),
        // OTHER (an allow-list): caught when any queried key is not covered.
        (MatchMode::Other, &["user.contact.email"], &["user.contact.email", "user.name"], true),
        (MatchMode::Other, &["user.contact.email", "user.name"], &["user.contact.email", "user.name"], false),
        (MatchMode::Other, &["user.contact"], &["user.contact.email", "user.location.precise"], true),
        (MatchMode::Other, &["user"], &["user.contact.email", "user.location.precise"], false),
    ];
    for (mode, values, query_keys, prohibited) in cases {
        for purpose in [IMAGE_PROCESSING, "essential.service"] {
            for declared in [*query_keys, &["user"][..]] {
                let case = format!(
                    "{mode:?} {values:?} vs {query_keys:?}, purpose rule {purpose}, activity declares {declared:?}"
                );
                // Scoped to ImageKit: the nested purpose rule `essential.service`
                // would otherwise also catch the account activity at Clerk.
                let p = prohibition(rule(*mode, values), &[purpose], None, at_imagekit());
                let policy = policy_with(p, declared, &[]);
                let mut q = Query::to("imagekit", IMAGE_PROCESSING);
                for k in *query_keys {
                    q = q.data(*k);
                }
                let d = policy.decide(&q, &consented(&policy));
                assert_decided(&d, *prohibited, "cloud_processing", &case);
            }
        }
    }
    // The purpose rule decides too: a rule on another purpose never catches.
    let p = prohibition(rule(MatchMode::Any, &["user"]), &["train_ai_system"], None, at_imagekit());
    let policy = policy_with(p, &["user"], &[]);
    let q = Query::to("imagekit", IMAGE_PROCESSING).data("user.contact.email");
    assert_decided(&policy.decide(&q, &consented(&policy)), false, "cloud_processing", "purpose");
}

/// (subject rule, query subjects, prohibited?).
type SubjectCase = (MatchMode, &'static [&'static str], &'static [&'static str], bool);

/// A prohibition's `subjects` rule, in each mode, flat and nested. A query
/// without subjects is assumed to concern them.
#[test]
fn decision_table_prohibition_subjects() {
    #[rustfmt::skip]
    let cases: &[SubjectCase] = &[
        (MatchMode::Any, &["customer"], &["customer"], true),                  // flat
        (MatchMode::Any, &["customer"], &["anonymous_user"], false),
        (MatchMode::Any, &["visitor"], &["visitor.online"], true),             // nested
        (MatchMode::Any, &["visitor.online"], &["visitor"], false),
        (MatchMode::Any, &["customer"], &[], true),                            // no subject given
        (MatchMode::All, &["customer", "visitor"], &["customer", "visitor.online"], true),
        (MatchMode::All, &["customer"], &["customer", "anonymous_user"], false),
        (MatchMode::None, &["customer"], &["anonymous_user"], true),
        (MatchMode::None, &["customer"], &["customer"], false),
        (MatchMode::Other, &["anonymous_user"], &["customer"], true),
        (MatchMode::Other, &["anonymous_user", "visitor"], &["visitor.online"], false),
    ];
    for (mode, values, subjects, prohibited) in cases {
        let case = format!("subjects {mode:?} {values:?} vs {subjects:?}");
        let p = prohibition(
            rule(MatchMode::Any, &["user"]),
            &[IMAGE_PROCESSING],
            Some(rule(*mode, values)),
            at_imagekit(),
        );
        let policy = policy_with(p, &["user.content.private"], &[]);
        let mut q = Query::to("imagekit", IMAGE_PROCESSING).data("user.content.private");
        for s in *subjects {
            q = q.subject(*s);
        }
        assert_decided(
            &policy.decide(&q, &consented(&policy)),
            *prohibited,
            "cloud_processing",
            &case,
        );
    }
}

/// Where a prohibition applies: each scope against the device, the cloud
/// activity's location (`imagekit`) and its further recipient (`vercel`).
/// Outside the scope the image activities permit the flow.
#[test]
fn decision_table_prohibition_scope() {
    #[rustfmt::skip]
    let cases: Vec<(Scope, [bool; 3])> = vec![
        //                                          device  imagekit vercel
        (Scope::Everywhere,                         [true,  true,    true]),
        (Scope::OffDevice,                          [false, true,    true]),
        (at_imagekit(),                             [false, true,    false]),
        (Scope::Recipients(vec!["vercel".into()]),  [false, false,   true]),
        (Scope::Recipients(vec!["clerk".into()]),   [false, false,   false]),
    ];
    for (scope, want) in cases {
        let p = prohibition(
            rule(MatchMode::Any, &["user.content"]),
            &[IMAGE_PROCESSING],
            None,
            scope.clone(),
        );
        let policy = policy_with(p, &["user.content.private", "user.unique_id"], &["vercel"]);
        let consent = consented(&policy);
        let targets = [
            (Query::on_device(IMAGE_PROCESSING), "device_processing"),
            (Query::to("imagekit", IMAGE_PROCESSING), "cloud_processing"),
            (Query::to("vercel", IMAGE_PROCESSING), "cloud_processing"),
        ];
        for ((q, activity), prohibited) in targets.into_iter().zip(want) {
            let q = q.data("user.content.private");
            let case = format!("{scope:?} at {:?}", q.recipient());
            assert_decided(&policy.decide(&q, &consent), prohibited, activity, &case);
        }
    }
}

/// Measures the cost of one decision: run with
/// `cargo test -p pixmize-policy --release --test decide -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn measure_decide() {
    let policy = Policy::pixmize();
    let consent = consented(policy);
    let query = cloud_query();
    let n = 200_000u32;
    let start = std::time::Instant::now();
    let mut allowed = 0u32;
    for _ in 0..n {
        allowed += u32::from(
            std::hint::black_box(policy.decide(std::hint::black_box(&query), &consent))
                .is_allowed(),
        );
    }
    let per = start.elapsed() / n;
    assert_eq!(allowed, n);
    println!("decide(): {per:?} per decision over {n} decisions");
}
