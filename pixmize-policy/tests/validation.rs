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
fn a_malformed_key_is_listed_with_the_other_problems() {
    // A key written wrongly, an extension key written wrongly, and an
    // activity without retention: all three are reported, none hides another.
    let text = support::pixmize_toml_with(&[
        ("purpose = \"essential.service.authentication\"", "purpose = \"Essential.Service\""),
        ("key = \"visitor.online\"", "key = \"visitor online\""),
        (
            "retention = { kind = \"days\", days = 30 }\nsource = \"observed\"\nmeasures = [\"encryption_in_transit\"]\nstores = [\"cdn:access-logs\"]",
            "source = \"observed\"\nmeasures = [\"encryption_in_transit\"]\nstores = [\"cdn:access-logs\"]",
        ),
    ]);
    let err = Policy::from_toml(&text).unwrap_err();
    let Error::Invalid(issues) = &err else { panic!("expected Invalid, got {err:?}") };
    let find = |at: &str| issues.iter().find(|i| i.at == at).map(|i| &i.kind);
    let Some(IssueKind::InvalidKey(bad)) = find("activities[account].purpose") else {
        panic!("no InvalidKey for the purpose in {issues:#?}")
    };
    assert_eq!(bad.key, "Essential.Service");
    assert!(
        matches!(find("extensions[3].key"), Some(IssueKind::InvalidKey(e)) if e.key == "visitor online"),
        "{issues:#?}"
    );
    assert_eq!(find("activities[cdn_logs].retention"), Some(&IssueKind::MissingRetention));
    // A malformed key is not also reported as unknown; the well-formed key
    // that no longer has its extension still is.
    assert!(
        !issues.iter().any(|i| matches!(&i.kind, IssueKind::UnknownKey { key, .. } if key.as_str().contains(['E', ' ']))),
        "{issues:#?}"
    );
    assert!(
        issues.iter().any(|i| matches!(&i.kind, IssueKind::UnknownKey { key, .. } if key.as_str() == "visitor.online")),
        "{issues:#?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("activities[account].purpose: invalid taxonomy key `Essential.Service`: only a-z, 0-9, `_` and `.` are allowed"),
        "{msg}"
    );
    // JSON is read the same way.
    let json =
        Policy::from_toml(pixmize_policy::PIXMIZE_TOML).unwrap().to_json().unwrap().replacen(
            "\"purpose\": \"essential.service.authentication\"",
            "\"purpose\": \"Essential.Service\"",
            1,
        );
    let err = Policy::from_json(&json).unwrap_err();
    assert!(
        matches!(err.issues(), [i] if i.at == "activities[account].purpose" && matches!(i.kind, IssueKind::InvalidKey(_))),
        "{err:?}"
    );
    // Outside a document, a key is still checked when it is read.
    assert!(serde_json::from_str::<pixmize_policy::Key>("\"User.Content\"").is_err());
    assert!(serde_json::from_str::<pixmize_policy::Key>("\"user.content\"").is_ok());
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
