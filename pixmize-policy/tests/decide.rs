//! Decision tables for `Policy::decide`: deny by default, prohibitions beat
//! permits, dotted keys, DPV consent statuses, stale consent, clauses.

mod support;

use pixmize_policy::{
    ConsentSnapshot, ConsentStatus, Decision, Deletion, Obligation, Policy, Query, Reason,
    Retention, render,
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
