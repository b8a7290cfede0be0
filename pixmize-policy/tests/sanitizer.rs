//! The analytics sanitiser: property tests that no IP address, email or id
//! from the input survives, plus the consent gate.

use pixmize_policy::analytics::{Dropped, RawEvent, SanitizedEvent};
use pixmize_policy::{ConsentSnapshot, ConsentStatus, IssueKind, Policy, PropertyRule};
use proptest::prelude::*;
use time::OffsetDateTime;

/// Sanitises through the embedded policy for a user who has not objected
/// (statistics are opt-out): the only way to get a `SanitizedEvent`.
fn sanitize(raw: &RawEvent) -> Result<SanitizedEvent, Dropped> {
    Policy::pixmize().sanitize_event(raw, &ConsentSnapshot::new())
}

/// Identifiers that must never survive.
fn identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        proptest::collection::vec(any::<u16>(), 8).prop_map(|g| g
            .iter()
            .map(|x| format!("{x:x}"))
            .collect::<Vec<_>>()
            .join(":")),
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| format!("{a:x}::{b:x}")),
        "[a-z0-9._+-]{1,12}@[a-z0-9-]{1,10}\\.[a-z]{2,6}",
        ("(user|sess|org|client)_", "[A-Za-z0-9]{27}").prop_map(|(p, id)| format!("{p}{id}")),
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[A-Za-z0-9_-]{10,30}\\.[A-Za-z0-9_-]{10,30}\\.[A-Za-z0-9_-]{10,30}",
        "\\+?[0-9]{7,12}",
    ]
}

fn time() -> impl Strategy<Value = OffsetDateTime> {
    (0i64..4_000_000_000).prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_identifier_survives(
        id in identifier(),
        before in "\\PC{0,16}",
        after in "\\PC{0,16}",
        t in time(),
        ua in "\\PC{0,40}",
        country in "\\PC{0,4}",
    ) {
        let mut raw = RawEvent::new("feature_used", t);
        raw.properties.insert("feature".into(), format!("{before}{id}{after}"));
        raw.properties.insert("processing_method".into(), id.clone());
        raw.properties.insert("ip".into(), id.clone());
        raw.properties.insert("user_id".into(), id.clone());
        raw.user_agent = Some(format!("{ua}{id}"));
        raw.country = Some(country);
        let event = sanitize(&raw).unwrap();
        let json = serde_json::to_string(&event).unwrap();
        prop_assert!(!json.contains(&id), "{id:?} survived in {json}");
        for key in event.properties().keys() {
            prop_assert!(key == "feature" || key == "processing_method", "unexpected key {key}");
        }
        prop_assert!(event.country().is_none_or(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())));
        prop_assert_eq!(event.hour().minute(), 0);
        prop_assert_eq!(event.hour().second(), 0);
        prop_assert!(event.hour() <= t && t - event.hour() < time::Duration::HOUR);
        prop_assert!(event.property("feature").is_none_or(|f| f.chars().count() <= 64));
    }

    #[test]
    fn urls_keep_only_a_clean_path(id in identifier(), seg in "[a-z]{1,8}", t in time()) {
        let mut raw = RawEvent::new("page_view", t);
        raw.properties.insert("path".into(), format!("https://{id}@pixmize.example/{seg}/{id}/edit?email={id}#{id}"));
        let event = sanitize(&raw).unwrap();
        let path = event.property("path").unwrap();
        prop_assert!(!path.contains(&id), "{id:?} survived in {path}");
        prop_assert_eq!(path, format!("/{seg}/:id/edit"));
    }

    #[test]
    fn sanitising_never_panics(name in "\\PC{0,12}", props in proptest::collection::btree_map("\\PC{0,8}", "\\PC{0,80}", 0..6), t in time()) {
        let mut raw = RawEvent::new(name, t);
        raw.properties = props;
        let _ = sanitize(&raw);
    }
}

#[test]
fn a_url_without_a_scheme_loses_its_host() {
    for (input, want) in [
        ("pixmize.example/edit", "/edit"),
        ("www.pixmize.example/editor?email=ada@example.com", "/editor"),
        ("ada@pixmize.example/edit", "/edit"),
        ("localhost:3000/edit/", "/edit"),
        ("editor/tools", "/editor/tools"),
    ] {
        let mut raw = RawEvent::new("page_view", OffsetDateTime::UNIX_EPOCH);
        raw.properties.insert("path".into(), input.into());
        assert_eq!(sanitize(&raw).unwrap().property("path"), Some(want), "{input:?}");
    }
}

#[test]
fn unknown_events_are_dropped_without_echoing_them() {
    let raw = RawEvent::new("ada@example.com", OffsetDateTime::UNIX_EPOCH);
    let err = sanitize(&raw).unwrap_err();
    assert_eq!(err, Dropped::UnknownEvent);
    assert!(!err.to_string().contains("ada@example.com"));
}

#[test]
fn one_of_properties_keep_only_allowed_values() {
    let mut raw = RawEvent::new("feature_used", OffsetDateTime::UNIX_EPOCH);
    raw.properties.insert("processing_method".into(), "cloud".into());
    raw.properties.insert("feature".into(), "background removal".into());
    let e = sanitize(&raw).unwrap();
    assert_eq!(e.property("processing_method"), Some("cloud"));
    assert_eq!(e.property("feature"), Some("background removal"));
    raw.properties.insert("processing_method".into(), "elsewhere".into());
    assert_eq!(sanitize(&raw).unwrap().property("processing_method"), None);
}

#[test]
fn statistics_respect_the_users_objection_and_gpc() {
    let policy = Policy::pixmize();
    let raw = RawEvent::new("page_view", OffsetDateTime::UNIX_EPOCH);
    assert!(policy.sanitize_event(&raw, &ConsentSnapshot::new()).is_ok());
    let mut off = ConsentSnapshot::new();
    off.set("usage_statistics", ConsentStatus::Withdrawn);
    assert!(matches!(policy.sanitize_event(&raw, &off), Err(Dropped::Denied(_))));
    let mut gpc = ConsentSnapshot::new();
    gpc.with_gpc(true);
    assert!(matches!(policy.sanitize_event(&raw, &gpc), Err(Dropped::Denied(_))));
}

#[test]
fn one_of_values_are_checked_when_the_policy_is_built() {
    let with_values = |values: &[&str]| {
        let mut doc = Policy::pixmize().document().clone();
        let promise = doc.analytics.as_mut().unwrap();
        let event = promise.events.iter_mut().find(|e| e.name == "page_view").unwrap();
        event.properties.insert(
            "plan".into(),
            PropertyRule::OneOf { values: values.iter().map(|v| (*v).to_owned()).collect() },
        );
        Policy::from_document(doc)
    };
    // An email, an IP address, a Clerk user id, a value longer than
    // `max_text_len` (64): the promise with them never becomes a policy, so
    // it can never sanitise an event.
    let long = "x".repeat(65);
    for bad in ["ada@example.com", "192.168.1.20", "user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr", &long] {
        let err = with_values(&["free", bad]).unwrap_err();
        assert!(
            matches!(err.issues(), [i] if i.at == "analytics.events[page_view].properties.plan"
                && matches!(&i.kind, IssueKind::UnsafeAnalyticsValue { event, property, value }
                    if event == "page_view" && property == "plan" && value == bad)),
            "{bad}: {err}"
        );
    }
    // Safe values pass, and are kept through the policy.
    let policy = with_values(&["free", "pro"]).unwrap();
    let mut raw = RawEvent::new("page_view", OffsetDateTime::UNIX_EPOCH);
    raw.properties.insert("plan".into(), "pro".into());
    let event = policy.sanitize_event(&raw, &ConsentSnapshot::new()).unwrap();
    assert_eq!(event.property("plan"), Some("pro"));
}
