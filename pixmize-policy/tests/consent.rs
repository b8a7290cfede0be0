//! Consent statuses and the ISO/IEC TS 27560-shaped record.

use pixmize_policy::{ConsentRecord, ConsentSnapshot, ConsentStatus, Policy};
use time::macros::datetime;

#[test]
fn statuses_parse_from_snake_case_and_dpv_names() {
    for s in ConsentStatus::ALL {
        assert_eq!(s.dpv().parse::<ConsentStatus>(), Ok(s));
        assert_eq!(s.dpv().trim_start_matches("dpv:").parse::<ConsentStatus>(), Ok(s));
        let snake = serde_json::to_value(s).unwrap();
        assert_eq!(snake.as_str().unwrap().parse::<ConsentStatus>(), Ok(s));
    }
    assert!("maybe".parse::<ConsentStatus>().is_err());
}

#[test]
fn snapshot_round_trips_through_json() {
    let policy = Policy::pixmize();
    let mut c = ConsentSnapshot::new();
    c.give(policy, "cloud_processing")
        .set("usage_statistics", ConsentStatus::Refused)
        .with_gpc(true);
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<ConsentSnapshot>(&json).unwrap(), c);
    assert_eq!(c.revision("cloud_processing"), 1);
}

#[test]
fn consent_record_has_the_27560_fields() {
    let policy = Policy::pixmize();
    let r = ConsentRecord::new(
        policy,
        "cloud_processing",
        ConsentStatus::Given,
        "rec-1",
        "subj-7f3a",
        datetime!(2026-11-22 10:00 UTC),
    )
    .unwrap();
    assert_eq!(r.notice_url, "https://pixmize.example/privacy#activity-cloud_processing");
    assert_eq!(r.state, "dpv:ConsentGiven");
    assert_eq!(r.storage_location, "imagekit");
    assert_eq!(r.event_time, "2026-11-22T10:00:00Z");
    assert_eq!(r.jurisdiction, "DE");
    assert_eq!(r.consent_revision, 1);
    assert!(r.withdrawal_method.contains("Settings → Processing"));
    // No record for activities without consent.
    assert!(
        ConsentRecord::new(
            policy,
            "account",
            ConsentStatus::Given,
            "r",
            "s",
            datetime!(2026-11-22 10:00 UTC)
        )
        .is_none()
    );
}
