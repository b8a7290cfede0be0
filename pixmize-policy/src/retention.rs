//! Retention: deadlines and expiry with an injected clock, and a sweep that
//! splits stored items into keep and purge.
//!
//! ```
//! use pixmize_policy::retention::{FixedClock, Lifecycle, Stored, sweep};
//! use pixmize_policy::{Policy, Retention};
//! use time::macros::datetime;
//!
//! let policy = Policy::pixmize();
//! let created = datetime!(2026-01-01 00:00 UTC);
//! assert_eq!(Retention::Days { days: 30 }.deadline(created), Some(datetime!(2026-01-31 00:00 UTC)));
//!
//! let items = vec![
//!     Stored::new("log-1", "hosting_logs", created),
//!     Stored::new("log-2", "hosting_logs", datetime!(2026-02-01 00:00 UTC)),
//! ];
//! let swept = sweep(policy, items, &FixedClock(datetime!(2026-02-05 00:00 UTC)));
//! assert_eq!(swept.keep.len(), 1);
//! assert_eq!(swept.purge[0].0.item, "log-1");
//! ```

use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use crate::Policy;
use crate::model::{ActivityId, Retention};

/// The longest retention, in days, that validation accepts for
/// [`Retention::Days`] and for the grace period of
/// [`Retention::UntilAccountDeletion`]: 100 years. Longer periods are
/// indistinguishable from "forever" for the people concerned, and bounding
/// them keeps every deadline computed from a real timestamp representable.
pub const MAX_DAYS: u32 = 36_500;

/// The last instant `time` can represent (the end of year 9999, UTC).
const LAST: OffsetDateTime = PrimitiveDateTime::MAX.assume_utc();

/// A deadline as computed, keeping "no fixed deadline yet" apart from
/// "beyond the last representable instant".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// Event-based retention whose event has not happened.
    Open,
    /// Due at this instant.
    At(OffsetDateTime),
    /// `start + days` is past [`LAST`].
    OutOfRange,
}

impl Due {
    fn after(start: OffsetDateTime, days: u32) -> Due {
        start.checked_add(Duration::days(i64::from(days))).map_or(Due::OutOfRange, Due::At)
    }

    /// The public view: out-of-range deadlines saturate at [`LAST`] rather
    /// than read as "no deadline".
    fn saturated(self) -> Option<OffsetDateTime> {
        match self {
            Due::Open => None,
            Due::At(t) => Some(t),
            Due::OutOfRange => Some(LAST),
        }
    }
}

/// A source of "now", injected so that tests never depend on the wall clock.
pub trait Clock {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

/// A clock stopped at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// The system clock (UTC). Not available on `wasm32-unknown-unknown`, where
/// the caller supplies the time (e.g. from `Date.now()`).
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

impl Retention {
    /// The fixed deadline for data created at `created`: `created` itself
    /// for [`Ephemeral`](Retention::Ephemeral) (it should already be gone),
    /// `created + days` for [`Days`](Retention::Days), and `None` for
    /// retentions that end on an event (session end, account deletion, the
    /// user deleting it).
    ///
    /// A deadline past the last instant `time` can represent (year 9999)
    /// saturates to that instant; it never turns into `None`, which would
    /// read as "no fixed deadline".
    #[must_use]
    pub fn deadline(self, created: OffsetDateTime) -> Option<OffsetDateTime> {
        self.due(created, &Lifecycle::default()).saturated()
    }

    /// The deadline once the lifecycle events are known: the fixed deadline,
    /// or the event's time (plus the grace period for account deletion).
    /// Saturates as [`deadline`](Self::deadline) does.
    #[must_use]
    pub fn deadline_with(
        self,
        created: OffsetDateTime,
        events: &Lifecycle,
    ) -> Option<OffsetDateTime> {
        self.due(created, events).saturated()
    }

    fn due(self, created: OffsetDateTime, events: &Lifecycle) -> Due {
        let event = |t: Option<OffsetDateTime>| t.map_or(Due::Open, Due::At);
        match self {
            Retention::Ephemeral => Due::At(created),
            Retention::Days { days } => Due::after(created, days),
            Retention::Session => event(events.session_ended),
            Retention::UntilAccountDeletion { grace_days } => {
                events.account_deleted.map_or(Due::Open, |t| Due::after(t, grace_days))
            }
            Retention::UntilUserDeletes => event(events.user_deleted),
        }
    }

    /// Whether data created at `created` must be gone at `now`.
    #[must_use]
    pub fn is_expired(self, created: OffsetDateTime, now: OffsetDateTime) -> bool {
        self.is_expired_with(created, &Lifecycle::default(), now)
    }

    /// As [`is_expired`](Self::is_expired), taking lifecycle events into account.
    #[must_use]
    pub fn is_expired_with(
        self,
        created: OffsetDateTime,
        events: &Lifecycle,
        now: OffsetDateTime,
    ) -> bool {
        self.deadline_with(created, events).is_some_and(|d| now >= d)
    }

    /// A human description: "730 days (2 years)", "until you delete your account".
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Retention::Ephemeral => "not stored: deleted immediately after processing".to_owned(),
            Retention::Session => "until you close the browser session".to_owned(),
            Retention::Days { days } => describe_days(days),
            Retention::UntilAccountDeletion { grace_days: 0 } => {
                "until you delete your account".to_owned()
            }
            Retention::UntilAccountDeletion { grace_days } => {
                format!(
                    "until you delete your account, then removed within {}",
                    describe_days(grace_days)
                )
            }
            Retention::UntilUserDeletes => "until you delete it".to_owned(),
        }
    }

    /// An upper bound in days for comparing retentions; `None` when unbounded.
    #[must_use]
    pub fn bound_days(self) -> Option<u32> {
        match self {
            Retention::Ephemeral => Some(0),
            Retention::Session => Some(1),
            Retention::Days { days } => Some(days),
            Retention::UntilAccountDeletion { .. } | Retention::UntilUserDeletes => None,
        }
    }
}

pub(crate) fn describe_days(days: u32) -> String {
    match days {
        1 => "1 day".to_owned(),
        d if d >= 365 && d % 365 == 0 && d / 365 == 1 => format!("{d} days (1 year)"),
        d if d >= 365 && d % 365 == 0 => format!("{d} days ({} years)", d / 365),
        d => format!("{d} days"),
    }
}

/// Events that end event-based retentions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// When the browser session ended.
    pub session_ended: Option<OffsetDateTime>,
    /// When the user asked to delete the account.
    pub account_deleted: Option<OffsetDateTime>,
    /// When the user deleted the item.
    pub user_deleted: Option<OffsetDateTime>,
}

/// An item in some store, with the activity whose retention governs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<T> {
    /// The caller's handle (a file id, a key, a log line).
    pub item: T,
    /// The activity it was collected under.
    pub activity: ActivityId,
    /// When it was created.
    pub created: OffsetDateTime,
    /// Lifecycle events known for it.
    pub events: Lifecycle,
}

impl<T> Stored<T> {
    /// An item with no lifecycle events yet.
    pub fn new(item: T, activity: &str, created: OffsetDateTime) -> Self {
        Self { item, activity: ActivityId::from(activity), created, events: Lifecycle::default() }
    }

    /// Sets lifecycle events.
    #[must_use]
    pub fn with_events(mut self, events: Lifecycle) -> Self {
        self.events = events;
        self
    }
}

/// Why an item is purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PurgeReason {
    /// Its retention ended at this time.
    Expired {
        /// The deadline that passed.
        deadline: OffsetDateTime,
    },
    /// Its activity is not in the policy, so nothing allows keeping it.
    Undeclared,
    /// Its deadline lies past the last instant `time` can represent (year
    /// 9999). Under a validated policy (retention at most [`MAX_DAYS`]) only
    /// a corrupt timestamp causes this, and a deadline that cannot be
    /// computed bounds nothing, so the item is not kept.
    DeadlineOutOfRange,
}

/// The result of a [`sweep`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep<T> {
    /// Items that may stay.
    pub keep: Vec<Stored<T>>,
    /// Items to delete now, with the reason.
    pub purge: Vec<(Stored<T>, PurgeReason)>,
}

/// Splits `items` into those that may be kept and those that must be purged
/// at `clock.now()`. Nothing is kept without a clause that bounds it: items
/// of an activity the policy does not declare are purged
/// ([`PurgeReason::Undeclared`]), and so are items whose deadline overflows
/// the calendar ([`PurgeReason::DeadlineOutOfRange`]) instead of being kept
/// for ever.
pub fn sweep<T>(
    policy: &Policy,
    items: impl IntoIterator<Item = Stored<T>>,
    clock: &impl Clock,
) -> Sweep<T> {
    let now = clock.now();
    let mut out = Sweep { keep: Vec::new(), purge: Vec::new() };
    for s in items {
        let retention = policy.activity(s.activity.as_str()).and_then(|a| a.retention);
        match retention {
            None => out.purge.push((s, PurgeReason::Undeclared)),
            Some(r) => match r.due(s.created, &s.events) {
                Due::At(deadline) if now >= deadline => {
                    out.purge.push((s, PurgeReason::Expired { deadline }));
                }
                Due::OutOfRange => out.purge.push((s, PurgeReason::DeadlineOutOfRange)),
                Due::At(_) | Due::Open => out.keep.push(s),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn days_are_described_in_years_when_whole() {
        assert_eq!(describe_days(730), "730 days (2 years)");
        assert_eq!(describe_days(365), "365 days (1 year)");
        assert_eq!(describe_days(30), "30 days");
        assert_eq!(describe_days(1), "1 day");
    }

    #[test]
    fn deadlines() {
        let t = datetime!(2026-03-01 12:00 UTC);
        assert_eq!(Retention::Ephemeral.deadline(t), Some(t));
        assert_eq!(
            Retention::Days { days: 730 }.deadline(t),
            Some(datetime!(2028-02-29 12:00 UTC))
        );
        assert_eq!(Retention::Session.deadline(t), None);
        assert_eq!(Retention::UntilUserDeletes.deadline(t), None);
        let ev = Lifecycle { account_deleted: Some(t), ..Lifecycle::default() };
        assert_eq!(
            Retention::UntilAccountDeletion { grace_days: 30 }.deadline_with(t, &ev),
            Some(datetime!(2026-03-31 12:00 UTC))
        );
        assert!(Retention::Days { days: 1 }.is_expired(t, datetime!(2026-03-02 12:00 UTC)));
        assert!(!Retention::Days { days: 1 }.is_expired(t, datetime!(2026-03-02 11:59:59 UTC)));
        assert!(!Retention::UntilUserDeletes.is_expired(t, datetime!(2100-01-01 00:00 UTC)));
    }

    #[test]
    fn overflowing_deadlines_saturate_instead_of_vanishing() {
        let t = datetime!(2026-03-01 12:00 UTC);
        let huge = Retention::Days { days: u32::MAX };
        // u32::MAX days is about 11.7 million years: past year 9999.
        assert_eq!(huge.due(t, &Lifecycle::default()), Due::OutOfRange);
        assert_eq!(huge.deadline(t), Some(LAST));
        assert_eq!(LAST, datetime!(9999-12-31 23:59:59.999_999_999 UTC));
        assert!(!huge.is_expired(t, datetime!(9999-12-31 00:00 UTC)));
        assert!(huge.is_expired(t, LAST));
        let grace = Retention::UntilAccountDeletion { grace_days: u32::MAX };
        let ev = Lifecycle { account_deleted: Some(t), ..Lifecycle::default() };
        assert_eq!(grace.deadline_with(t, &ev), Some(LAST));
        assert_eq!(grace.deadline_with(t, &Lifecycle::default()), None, "not deleted yet");
        // The bound itself stays far inside the calendar for real timestamps.
        assert_eq!(
            Retention::Days { days: MAX_DAYS }.deadline(t),
            Some(datetime!(2126-02-05 12:00 UTC))
        );
    }
}
