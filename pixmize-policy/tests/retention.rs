//! Retention with an injected clock: deadlines, expiry and the sweep.

mod support;

use pixmize_policy::retention::{FixedClock, Lifecycle, MAX_DAYS, PurgeReason, Stored, sweep};
use pixmize_policy::{IssueKind, Policy, Retention};
use time::macros::datetime;

#[test]
fn sweep_splits_keep_and_purge_by_the_policy() {
    let policy = Policy::pixmize();
    let now = datetime!(2027-03-01 00:00 UTC);
    let items = vec![
        // Logs: 30 days.
        Stored::new("log-old", "hosting_logs", datetime!(2027-01-01 00:00 UTC)),
        Stored::new("log-edge", "hosting_logs", datetime!(2027-01-30 00:00 UTC)), // deadline == now -> purge
        Stored::new("log-new", "hosting_logs", datetime!(2027-02-15 00:00 UTC)),
        // Statistics: 730 days.
        Stored::new("stat-1", "usage_statistics", datetime!(2025-03-02 00:00 UTC)),
        Stored::new("stat-2", "usage_statistics", datetime!(2025-02-28 00:00 UTC)),
        // Uploads are ephemeral: anything still there is overdue.
        Stored::new("upload", "cloud_processing", datetime!(2027-02-28 23:59 UTC)),
        // Accounts: until deletion + 30 days.
        Stored::new("account-live", "account", datetime!(2020-01-01 00:00 UTC)),
        Stored::new("account-grace", "account", datetime!(2020-01-01 00:00 UTC)).with_events(
            Lifecycle {
                account_deleted: Some(datetime!(2027-02-15 00:00 UTC)),
                ..Lifecycle::default()
            },
        ),
        Stored::new("account-gone", "account", datetime!(2020-01-01 00:00 UTC)).with_events(
            Lifecycle {
                account_deleted: Some(datetime!(2027-01-01 00:00 UTC)),
                ..Lifecycle::default()
            },
        ),
        // Local preferences: until the user deletes them.
        Stored::new("theme", "preferences", datetime!(2019-01-01 00:00 UTC)),
        // Nothing declares this store: purge.
        Stored::new("mystery", "fingerprints", datetime!(2027-02-28 00:00 UTC)),
    ];
    let swept = sweep(policy, items, &FixedClock(now));
    let keep: Vec<&str> = swept.keep.iter().map(|s| s.item).collect();
    let purge: Vec<&str> = swept.purge.iter().map(|(s, _)| s.item).collect();
    assert_eq!(keep, ["log-new", "stat-1", "account-live", "account-grace", "theme"]);
    assert_eq!(purge, ["log-old", "log-edge", "stat-2", "upload", "account-gone", "mystery"]);
    let reason =
        |name: &str| swept.purge.iter().find(|(s, _)| s.item == name).map(|(_, r)| *r).unwrap();
    assert_eq!(
        reason("log-old"),
        PurgeReason::Expired { deadline: datetime!(2027-01-31 00:00 UTC) }
    );
    assert_eq!(
        reason("account-gone"),
        PurgeReason::Expired { deadline: datetime!(2027-01-31 00:00 UTC) }
    );
    assert_eq!(reason("mystery"), PurgeReason::Undeclared);
}

#[test]
fn stores_map_to_activities() {
    let policy = Policy::pixmize();
    assert_eq!(
        policy.activity_for_store("localStorage:pixmize.theme").map(|a| a.id.as_str()),
        Some("preferences")
    );
    assert_eq!(
        policy.activity_for_store("imagekit:/pixmize/uploads").map(|a| a.id.as_str()),
        Some("cloud_processing")
    );
    assert!(policy.activity_for_store("localStorage:tracking").is_none());
}

#[test]
fn retention_is_bounded_by_validation() {
    // The bound itself is accepted ...
    let at_bound = support::pixmize_with(&[("days = 730", "days = 36500")]);
    assert_eq!(
        at_bound.activity("usage_statistics").unwrap().retention,
        Some(Retention::Days { days: MAX_DAYS })
    );
    // ... one day more is not, nor an overflowing grace period.
    for (edit, days) in [
        (("days = 730", "days = 36501"), 36_501),
        (("grace_days = 30", "grace_days = 4294967295"), u32::MAX),
    ] {
        let err = Policy::from_toml(&support::pixmize_toml_with(&[edit])).unwrap_err();
        assert!(
            matches!(err.issues(), [i] if i.kind == IssueKind::RetentionTooLong { days, max: MAX_DAYS }),
            "{err}"
        );
    }
}

#[test]
fn a_deadline_past_the_calendar_purges_instead_of_keeping_for_ever() {
    let policy = Policy::pixmize();
    let now = datetime!(2027-03-01 00:00 UTC);
    let deleted_late = Lifecycle {
        account_deleted: Some(datetime!(9999-12-30 00:00 UTC)),
        ..Lifecycle::default()
    };
    let items = vec![
        // A corrupt creation time: 730 days after it is past year 9999.
        Stored::new("stat-corrupt", "usage_statistics", datetime!(9999-06-01 00:00 UTC)),
        // Created in the future but still representable: kept until its deadline.
        Stored::new("stat-future", "usage_statistics", datetime!(9000-01-01 00:00 UTC)),
        // The 30-day grace after a corrupt deletion time overflows too.
        Stored::new("account-corrupt", "account", datetime!(2020-01-01 00:00 UTC))
            .with_events(deleted_late),
    ];
    let swept = sweep(policy, items, &FixedClock(now));
    let keep: Vec<&str> = swept.keep.iter().map(|s| s.item).collect();
    assert_eq!(keep, ["stat-future"]);
    let purge: Vec<(&str, PurgeReason)> = swept.purge.iter().map(|(s, r)| (s.item, *r)).collect();
    assert_eq!(
        purge,
        [
            ("stat-corrupt", PurgeReason::DeadlineOutOfRange),
            ("account-corrupt", PurgeReason::DeadlineOutOfRange)
        ]
    );
    // The public deadline saturates rather than reading as "no deadline".
    let last = datetime!(9999-12-31 23:59:59.999_999_999 UTC);
    assert_eq!(Retention::Days { days: 730 }.deadline(datetime!(9999-06-01 00:00 UTC)), Some(last));
}
