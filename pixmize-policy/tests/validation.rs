//! Validation lists every problem at once, with a typed error.

mod support;

use pixmize_policy::{Error, IssueKind, KeyKind, Policy, Right};

#[test]
fn every_problem_is_listed_at_once() {
    let text = support::pixmize_toml_with(&[
        // Unknown recipient.
        (
            "location = { recipient = \"clerk\" }\nretention = { kind = \"until_account_deletion\", grace_days = 30 }\nrequired = true\nsource = \"user\"\nmeasures = [\"encryption_in_transit\", \"encryption_at_rest\", \"access_control\"]\nstores = [\"clerk:users\"]",
            "location = { recipient = \"auth0\" }\nretention = { kind = \"until_account_deletion\", grace_days = 30 }\nrequired = true\nsource = \"user\"\nmeasures = [\"encryption_in_transit\", \"encryption_at_rest\", \"access_control\"]\nstores = [\"clerk:users\"]",
        ),
        // Activity without retention.
        (
            "retention = { kind = \"days\", days = 30 }\nsource = \"observed\"\nmeasures = [\"encryption_in_transit\"]\nstores = [\"cdn:access-logs\"]",
            "source = \"observed\"\nmeasures = [\"encryption_in_transit\"]\nstores = [\"cdn:access-logs\"]",
        ),
        // Consent-based activity without a preference.
        ("consent = { kind = \"opt_in\", preference = \"cloud_processing\" }\n", ""),
        // Unknown key.
        (
            "purpose = \"essential.service.payment_processing\"",
            "purpose = \"essential.service.payments\"",
        ),
        // Cookie tied to no activity.
        (
            "activity = \"account\"\npurpose = \"Short-lived",
            "activity = \"login\"\npurpose = \"Short-lived",
        ),
        // Extension whose parent does not exist.
        ("key = \"user.device.user_agent\"", "key = \"user.gadget.user_agent\""),
        // A non-EEA country without a transfer mechanism.
        (
            "countries = [\"US\"]\ntransfer_mechanism = \"sccs\"\nurl = \"https://clerk.com\"",
            "countries = [\"US\"]\nurl = \"https://clerk.com\"",
        ),
        // An invalid country code and an invalid date.
        ("countries = [\"IN\", \"US\"]", "countries = [\"IN\", \"XX\"]"),
        ("effective = \"2026-11-22\"", "effective = \"22.11.2026\""),
        // A required right removed.
        ("right = \"portability\"", "right = \"withdraw_consent\""),
        // A prohibited activity: statistics for advertising.
        (
            "purpose = \"analytics.reporting.system\"",
            "purpose = \"analytics.reporting.ad_performance\"\n# marketing below",
        ),
    ]);
    let text = text.replace(
        "[[prohibitions]]\nid = \"no_advertising\"",
        "[[prohibitions]]\nid = \"no_ad_analytics\"\ntitle = \"t\"\ndescription = \"d\"\ncategories = { values = [\"user\"] }\npurposes = { values = [\"analytics.reporting.ad_performance\"] }\n\n[[prohibitions]]\nid = \"no_advertising\"",
    );
    let err = Policy::from_toml(&text).unwrap_err();
    let Error::Invalid(issues) = &err else { panic!("expected Invalid, got {err:?}") };
    let kinds: Vec<&IssueKind> = issues.iter().map(|i| &i.kind).collect();
    let has = |pred: &dyn Fn(&IssueKind) -> bool, what: &str| {
        assert!(kinds.iter().any(|k| pred(k)), "missing {what} in {issues:#?}")
    };
    has(&|k| matches!(k, IssueKind::UnknownRecipient { id } if id == "auth0"), "unknown recipient");
    has(&|k| matches!(k, IssueKind::MissingRetention), "missing retention");
    has(&|k| matches!(k, IssueKind::ConsentWithoutPreference), "consent without preference");
    has(
        &|k| matches!(k, IssueKind::UnknownKey { kind: KeyKind::DataUse, key } if key.as_str() == "essential.service.payments"),
        "unknown key",
    );
    has(
        &|k| matches!(k, IssueKind::CookieWithoutActivity { cookie, activity } if cookie == "__session" && activity == "login"),
        "cookie without activity",
    );
    has(&|k| matches!(k, IssueKind::BadExtension(_)), "bad extension");
    has(
        &|k| matches!(k, IssueKind::MissingTransferMechanism { country } if country == "US"),
        "transfer mechanism",
    );
    has(&|k| matches!(k, IssueKind::UnknownCountry { code } if code == "XX"), "unknown country");
    has(&|k| matches!(k, IssueKind::InvalidDate { .. }), "invalid date");
    has(&|k| matches!(k, IssueKind::MissingRight { right: Right::Portability }), "missing right");
    has(
        &|k| matches!(k, IssueKind::Prohibited { prohibition } if prohibition == "no_ad_analytics"),
        "prohibited activity",
    );
    has(
        &|k| matches!(k, IssueKind::UnusedPreference { id } if id == "cloud_processing"),
        "unused preference",
    );
    // The extension failure also makes its key unknown where it is used.
    has(
        &|k| matches!(k, IssueKind::UnknownKey { key, .. } if key.as_str() == "user.device.user_agent"),
        "key of the failed extension",
    );
    assert!(issues.len() >= 13, "{issues:#?}");
    // The error lists every issue in its message, and issues name their clause.
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("policy is invalid: {} problems: ", issues.len())), "{msg}");
    assert!(msg.contains("activities[cdn_logs].retention: activity has no retention"), "{msg}");
    let cookie =
        issues.iter().find(|i| matches!(i.kind, IssueKind::CookieWithoutActivity { .. })).unwrap();
    assert_eq!(cookie.clause.as_ref().map(|c| c.as_str()), Some("cookies"));
}

#[test]
fn optin_must_default_off_and_li_needs_an_interest() {
    let text = support::pixmize_toml_with(&[
        ("default_on = false", "default_on = true"),
        (
            "legitimate_interest = \"Delivering the app quickly and protecting it from abuse.\"\n",
            "",
        ),
    ]);
    let err = Policy::from_toml(&text).unwrap_err();
    let issues = err.issues();
    assert!(
        issues.iter().any(
            |i| matches!(&i.kind, IssueKind::OptInDefaultOn { id } if id == "cloud_processing")
        ),
        "{issues:#?}"
    );
    assert!(
        issues.iter().any(|i| i.kind == IssueKind::MissingLegitimateInterest
            && i.at == "activities[cdn_logs].legitimate_interest"),
        "{issues:#?}"
    );
    assert_eq!(issues.len(), 2, "{issues:#?}");
}

#[test]
fn ephemeral_uploads_need_a_delete_obligation() {
    let text = support::pixmize_toml_with(&[(
        "obligations = [{ kind = \"strip_metadata\" }, { kind = \"delete_after_processing\" }]",
        "obligations = [{ kind = \"strip_metadata\" }]",
    )]);
    let issues = Policy::from_toml(&text).unwrap_err().issues().to_vec();
    assert!(
        matches!(&issues[..], [i] if i.kind == IssueKind::EphemeralWithoutDeletion),
        "{issues:#?}"
    );
}

#[test]
fn format_version_and_syntax_errors_are_typed() {
    let v2 = support::pixmize_toml_with(&[("format = 1", "format = 2")]);
    assert!(matches!(
        Policy::from_toml(&v2),
        Err(Error::UnsupportedVersion { found: 2, supported: 1 })
    ));
    let missing = support::pixmize_toml_with(&[("format = 1\n", "")]);
    assert!(matches!(Policy::from_toml(&missing), Err(Error::UnsupportedVersion { found: 0, .. })));
    let broken = support::pixmize_toml_with(&[("title = \"Pixmize privacy policy\"", "title = ")]);
    let err = Policy::from_toml(&broken).unwrap_err();
    assert!(matches!(err, Error::Toml { .. }), "{err:?}");
    assert_eq!(err.to_string(), "policy is not valid TOML");
    assert!(
        std::error::Error::source(&err).is_some_and(|s| s.to_string().contains("line")),
        "the cause names the line"
    );
    let unknown_field = support::pixmize_toml_with(&[(
        "advance_days = 30",
        "advance_days = 30\nsecret_sauce = true",
    )]);
    assert!(matches!(Policy::from_toml(&unknown_field), Err(Error::Toml { .. })));
    assert!(matches!(Policy::from_json("{"), Err(Error::Json { .. })));
    assert!(matches!(Policy::load("/nonexistent/policy.toml"), Err(Error::Io { .. })));
}

#[test]
fn shipped_policies_validate() {
    for (name, text) in
        [("pixmize", pixmize_policy::PIXMIZE_TOML), ("imagekit", pixmize_policy::IMAGEKIT_TOML)]
    {
        if let Err(e) = Policy::from_toml(text) {
            panic!("{name}: {e}");
        }
    }
    let p = Policy::load(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/imagekit.toml")).unwrap();
    assert_eq!(p.document().controller.legal_name, "ImageKit Private Limited");
}

#[test]
fn a_device_activity_cannot_name_recipients() {
    // Were this accepted, `decide()` would allow uploads to ImageKit under
    // a clause that promises the images stay on the device.
    let mut doc = Policy::pixmize().document().clone();
    let device = doc.activities.iter_mut().find(|a| a.id == "device_processing").unwrap();
    device.recipients = vec!["imagekit".into(), "vercel".into()];
    let err = Policy::from_document(doc).unwrap_err();
    let got: Vec<(&str, &IssueKind)> =
        err.issues().iter().map(|i| (i.at.as_str(), &i.kind)).collect();
    assert_eq!(
        got,
        [
            (
                "activities[device_processing].recipients",
                &IssueKind::RecipientOnDevice { id: "imagekit".to_owned() }
            ),
            (
                "activities[device_processing].recipients",
                &IssueKind::RecipientOnDevice { id: "vercel".to_owned() }
            ),
        ]
    );
    assert_eq!(
        err.issues()[0].clause.as_ref().map(|c| c.as_str()),
        Some("activity-device_processing")
    );
}

#[test]
fn restriction_is_a_required_right() {
    // GDPR Art. 13(2)(b): access, rectification, erasure, restriction,
    // objection, portability.
    let text =
        support::pixmize_toml_with(&[("right = \"restriction\"", "right = \"withdraw_consent\"")]);
    let err = Policy::from_toml(&text).unwrap_err();
    assert!(
        matches!(err.issues(), [i] if i.kind == IssueKind::MissingRight { right: Right::Restriction }),
        "{err}"
    );
    assert!(
        Policy::pixmize().document().rights.iter().any(|r| r.right == Right::Restriction),
        "the published policy states the right"
    );
}
