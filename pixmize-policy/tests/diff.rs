//! `diff` classification cases (research §5 table) and the release check.

mod support;

use pixmize_policy::diff::{ReleaseProblem, Severity, check_release, diff};
use pixmize_policy::{PIXMIZE_TOML, Policy};

const BUMP: [(&str, &str); 2] = [
    ("version = \"2026-11\"", "version = \"2027-01\""),
    ("effective = \"2026-11-22\"", "effective = \"2027-01-15\""),
];
const CLOUD_REV: (&str, &str) = (
    "consent = { kind = \"opt_in\", preference = \"cloud_processing\" }\nconsent_revision = 1",
    "consent = { kind = \"opt_in\", preference = \"cloud_processing\" }\nconsent_revision = 2",
);

fn base() -> Policy {
    Policy::from_toml(PIXMIZE_TOML).unwrap()
}

#[test]
fn identical_policies_have_no_changes() {
    assert!(diff(&base(), &base()).is_empty());
    assert!(check_release(&base(), &base()).unwrap().is_empty());
}

/// Text edits to the policy, the class expected, and the paths expected.
type DiffCase = (&'static [(&'static str, &'static str)], Severity, &'static [&'static str]);

/// (edits, expected severity, expected paths) — a change of that class must
/// be found at every path, and it must be the most severe one.
#[test]
fn classification_table() {
    #[rustfmt::skip]
    let cases: &[DiffCase] = &[
        // New recipient (and an activity that uses it).
        (&[("[[recipients]]\nid = \"clerk\"", "[[recipients]]\nid = \"sentry\"\nname = \"Sentry\"\nlegal_name = \"Functional Software, Inc.\"\nrole = \"processor\"\nservice = \"Error reports.\"\ncountries = [\"US\"]\ntransfer_mechanism = \"sccs\"\nurl = \"https://sentry.io\"\nprivacy_url = \"https://sentry.io/privacy/\"\n\n[[recipients]]\nid = \"clerk\""),
           ("location = { recipient = \"cdn\" }", "location = { recipient = \"cdn\" }\nrecipients = [\"sentry\"]")],
         Severity::Material, &["recipients[sentry]", "activities[cdn_logs].recipients"]),
        // Recipient becomes an independent controller, or a third party.
        (&[("role = \"processor\"\nservice = \"Runs sign-in", "role = \"controller\"\nservice = \"Runs sign-in")], Severity::Material, &["recipients[clerk].role"]),
        (&[("role = \"processor\"\nservice = \"Runs sign-in", "role = \"third_party\"\nservice = \"Runs sign-in")], Severity::Material, &["recipients[clerk].role"]),
        // New country, weaker transfer mechanism.
        (&[("countries = [\"IN\", \"US\"]", "countries = [\"IN\", \"US\", \"SG\"]")], Severity::Material, &["recipients[imagekit].countries"]),
        (&[("countries = [\"IN\", \"US\"]\ntransfer_mechanism = \"sccs\"", "countries = [\"IN\", \"US\"]\ntransfer_mechanism = \"derogation\"")], Severity::Material, &["recipients[imagekit].transfer_mechanism"]),
        // More precise data: imprecise -> precise location would be prohibited off-device, so use the country -> city step.
        (&[("\"user.location.imprecise\"]", "\"user.location.imprecise\", \"user.contact.address.city\"]")], Severity::Material, &["activities[usage_statistics].data_categories"]),
        // Purpose widened to a parent key.
        (&[("purpose = \"analytics.reporting.system\"", "purpose = \"analytics.reporting\"")], Severity::Material, &["activities[usage_statistics].purpose"]),
        // Longer retention; bounded -> unbounded.
        (&[("days = 730", "days = 1095")], Severity::Material, &["activities[usage_statistics].retention"]),
        (&[("retention = { kind = \"days\", days = 30 }\nsource = \"observed\"\nmeasures = [\"encryption_in_transit\", \"access_control\"]", "retention = { kind = \"until_user_deletes\" }\nsource = \"observed\"\nmeasures = [\"encryption_in_transit\", \"access_control\"]")], Severity::Material, &["activities[hosting_logs].retention"]),
        // Opt-in -> opt-out (consent -> legitimate interest).
        (&[("legal_basis = \"consent\"\nlocation = { recipient = \"imagekit\" }", "legal_basis = \"legitimate_interest\"\nlegitimate_interest = \"x\"\nlocation = { recipient = \"imagekit\" }"),
           ("consent = { kind = \"opt_in\", preference = \"cloud_processing\" }", "consent = { kind = \"opt_out\", preference = \"cloud_processing\" }"),
           ("default_on = false", "default_on = true")],
         Severity::Material, &["activities[cloud_processing].consent"]),
        // Right removed or made harder.
        (&[("right = \"object\"\nhow = \"Switch off anonymous usage statistics under Settings → Privacy, or send Global Privacy Control; write to us to object to anything else.\"\nchannels = [\"in_app\", \"browser\", \"email\"]\ndeadline_days = 30",
            "right = \"object\"\nhow = \"Switch off anonymous usage statistics under Settings → Privacy, or send Global Privacy Control; write to us to object to anything else.\"\nchannels = [\"in_app\", \"browser\", \"email\"]\ndeadline_days = 60")], Severity::Material, &["rights[object].deadline_days"]),
        (&[("channels = [\"in_app\", \"email\"]\ndeadline_days = 30\n\n[[rights]]\nright = \"rectification\"", "channels = [\"in_app\"]\ndeadline_days = 30\n\n[[rights]]\nright = \"rectification\"")], Severity::Material, &["rights[access].channels"]),
        (&[("[[rights]]\nright = \"control_cookies\"\nhow = \"Block or delete cookies in your browser settings. We only use essential cookies for sign-in; without them you can still edit images on your device, signed out.\"\nchannels = [\"browser\"]\ndeadline_days = 0\n\n", "")], Severity::Material, &["rights[control_cookies]"]),
        // A choice removed (its activity no longer asks).
        (&[("[[preferences]]\nid = \"usage_statistics\"\nlabel = \"Anonymous usage statistics\"\ndescription = \"Count page views and feature use anonymously. Switch it off, or send Global Privacy Control, and nothing is counted.\"\ndefault_on = true\nhow_to_change = \"Settings → Privacy → Usage statistics, or your browser's Global Privacy Control.\"\n\n", ""),
           ("consent = { kind = \"opt_out\", preference = \"usage_statistics\" }\n", "")],
         Severity::Material, &["preferences[usage_statistics]", "activities[usage_statistics].consent"]),
        // An obligation dropped: metadata no longer stripped before upload.
        (&[("obligations = [{ kind = \"strip_metadata\" }, { kind = \"delete_after_processing\" }]", "obligations = [{ kind = \"delete_after_processing\" }]")], Severity::Material, &["activities[cloud_processing].obligations"]),
        // Device -> cloud.
        (&[("legal_basis = \"contract\"\nlocation = \"device\"\nretention = { kind = \"ephemeral\" }", "legal_basis = \"contract\"\nlocation = { recipient = \"vercel\" }\nretention = { kind = \"days\", days = 1 }")], Severity::Material, &["activities[device_processing].location"]),
        // Anonymisation weakened: a new statistics property.
        (&[("properties = { path = { kind = \"url_path\" } }", "properties = { path = { kind = \"url_path\" }, referrer = { kind = \"text\" } }")], Severity::Material, &["analytics.events[page_view]"]),
        // Anonymisation weakened: a fixed set of values becomes any path, a path becomes free text, longer text is kept.
        (&[("processing_method = { kind = \"one_of\", values = [\"device\", \"cloud\"] }", "processing_method = { kind = \"url_path\" }")], Severity::Material, &["analytics.events[feature_used]"]),
        (&[("path = { kind = \"url_path\" }", "path = { kind = \"text\" }")], Severity::Material, &["analytics.events[page_view]"]),
        (&[("max_text_len = 64", "max_text_len = 4000")], Severity::Material, &["analytics.max_text_len"]),
        // A new non-essential cookie; a longer cookie max-age.
        (&[("[[cookies]]\nname = \"__client_uat\"", "[[cookies]]\nname = \"_ab\"\ndomain = \"pixmize.example\"\nmax_age_s = 86400\nthird_party = false\noptional = true\nhttp_only = false\nsecure = true\nactivity = \"usage_statistics\"\npurpose = \"x\"\n\n[[cookies]]\nname = \"__client_uat\"")], Severity::Material, &["cookies[_ab]"]),
        (&[("max_age_s = 604800\nthird_party = false\noptional = false\nhttp_only = true", "max_age_s = 2592000\nthird_party = false\noptional = false\nhttp_only = true")], Severity::Material, &["cookies[__client].max_age_s"]),
        // A promise withdrawn.
        (&[("[[prohibitions]]\nid = \"no_image_analytics\"\ntitle = \"Your images are not analysed for statistics\"\ndescription = \"Usage statistics never contain your images or anything from them.\"\ncategories = { matches = \"any\", values = [\"user.content\"] }\npurposes = { matches = \"any\", values = [\"analytics\"] }\n", "")], Severity::Material, &["prohibitions[no_image_analytics]"]),
        // Notify: controller, DPO.
        (&[("email = \"dpo@pixmize.example\"", "email = \"privacy-officer@pixmize.example\"")], Severity::Notify, &["dpo"]),
        (&[("address = \"Example Street 1, 10115 Berlin, Germany\"", "address = \"Other Street 2, 10115 Berlin, Germany\"")], Severity::Notify, &["controller"]),
        // Favourable: shorter retention, removed recipient category, new right, stricter consent.
        (&[("days = 730", "days = 365")], Severity::Favourable, &["activities[usage_statistics].retention"]),
        (&[("data_categories = [\"user.device.ip_address\", \"user.device.user_agent\", \"system.operations\"]", "data_categories = [\"user.device.ip_address\", \"system.operations\"]")], Severity::Favourable, &["activities[hosting_logs].data_categories"]),
        (&[("[[rights]]\nright = \"complaint\"", "[[rights]]\nright = \"withdraw_consent\"\nhow = \"Switch it off where you switched it on.\"\nchannels = [\"in_app\"]\ndeadline_days = 0\n\n[[rights]]\nright = \"complaint\"")], Severity::Favourable, &["rights[withdraw_consent]"]),
        (&[("consent = { kind = \"opt_out\", preference = \"usage_statistics\" }", "consent = { kind = \"opt_in\", preference = \"usage_statistics\" }"), ("default_on = true", "default_on = false")], Severity::Favourable, &["activities[usage_statistics].consent"]),
        // Favourable: statistics narrowed to fixed values, shorter text.
        (&[("path = { kind = \"url_path\" }", "path = { kind = \"one_of\", values = [\"/\", \"/editor\"] }")], Severity::Favourable, &["analytics.events[page_view]"]),
        (&[("max_text_len = 64", "max_text_len = 32")], Severity::Favourable, &["analytics.max_text_len"]),
        // Editorial: titles, prose, links.
        (&[("title = \"Pixmize privacy policy\"", "title = \"Privacy at Pixmize\"")], Severity::Editorial, &["title"]),
        (&[("privacy_url = \"https://clerk.com/privacy\"", "privacy_url = \"https://clerk.com/legal/privacy\"")], Severity::Editorial, &["recipients[clerk]"]),
    ];
    for (edits, severity, paths) in cases {
        let new = support::pixmize_with(edits);
        let changes = diff(&base(), &new);
        for path in *paths {
            assert!(
                changes.iter().any(|c| c.severity == *severity && c.path == *path),
                "expected {severity} at {path} for {edits:?}, got:\n{}",
                changes.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
            );
        }
        assert_eq!(
            changes[0].severity, *severity,
            "most severe first, for {paths:?}: {changes:#?}"
        );
    }
}

#[test]
fn release_check_requires_version_effective_and_consent_revision() {
    // Material change to the cloud activity with nothing bumped.
    let edit = ("countries = [\"IN\", \"US\"]", "countries = [\"IN\", \"US\", \"SG\"]");
    let err = check_release(&base(), &support::pixmize_with(&[edit])).unwrap_err();
    assert!(
        err.problems.iter().any(|p| matches!(p, ReleaseProblem::VersionNotBumped { .. })),
        "{err}"
    );
    assert!(
        err.problems.iter().any(|p| matches!(p, ReleaseProblem::EffectiveNotAdvanced { .. })),
        "{err}"
    );
    assert!(
        err.problems.iter().any(|p| matches!(p, ReleaseProblem::ConsentRevisionNotBumped { activity, .. } if activity.as_str() == "cloud_processing")),
        "{err}"
    );
    // Version and date bumped, revision not: still fails, only on the revision.
    let err =
        check_release(&base(), &support::pixmize_with(&[edit, BUMP[0], BUMP[1]])).unwrap_err();
    assert!(
        matches!(&err.problems[..], [ReleaseProblem::ConsentRevisionNotBumped { .. }]),
        "{err}"
    );
    // Everything bumped: passes, and decide() re-asks only cloud processing.
    let changes =
        check_release(&base(), &support::pixmize_with(&[edit, BUMP[0], BUMP[1], CLOUD_REV]))
            .unwrap();
    assert_eq!(changes[0].severity, Severity::Material);
}

#[test]
fn material_change_to_an_opt_out_activity_needs_no_revision() {
    let edits = [("days = 730", "days = 1095"), BUMP[0], BUMP[1]];
    assert!(check_release(&base(), &support::pixmize_with(&edits)).is_ok());
}

#[test]
fn editorial_and_favourable_changes_ship_without_a_bump() {
    let new = support::pixmize_with(&[
        ("title = \"Pixmize privacy policy\"", "title = \"Privacy at Pixmize\""),
        ("days = 730", "days = 365"),
    ]);
    assert!(check_release(&base(), &new).is_ok());
    let notify = support::pixmize_with(&[(
        "email = \"dpo@pixmize.example\"",
        "email = \"officer@pixmize.example\"",
    )]);
    let err = check_release(&base(), &notify).unwrap_err();
    assert!(matches!(&err.problems[..], [ReleaseProblem::VersionNotBumped { .. }]), "{err}");
}

/// The CI guard: the policy in the tree may only differ from the last
/// released one (`policies/released/pixmize.toml`) in ways the release
/// check accepts. When a version is released, copy the policy there.
#[test]
fn current_policy_is_releasable_against_the_last_release() {
    let released =
        Policy::load(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/released/pixmize.toml"))
            .unwrap();
    if let Err(e) = check_release(&released, Policy::pixmize()) {
        panic!(
            "{e}\nchanges:\n{}",
            e.changes.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        );
    }
}
