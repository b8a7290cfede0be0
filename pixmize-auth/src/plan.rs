//! Plans and entitlements: what a user may do, from the plan (`pla`) and
//! feature (`fea`) claims of a verified session, and a monthly quota
//! counter for cloud work.
//!
//! The hybrid router asks two questions before it sends an image to the
//! cloud: *does the plan include cloud processing for an image this big*
//! ([`Entitlements`]) and *is there quota left this month*
//! ([`QuotaCounter`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::claims::SessionClaims;

/// What the app allows one user.
///
/// ```
/// use pixmize_auth::{Entitlements, PlanTable};
///
/// let table = PlanTable::default()
///     .with_plan("pro", Entitlements::new(true, 100, 2_000));
/// let anonymous = table.entitlements(None);
/// assert!(!anonymous.cloud_processing);
/// assert!(anonymous.allows_cloud(12_000_000).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Entitlements {
    /// Whether images may be processed in the cloud at all. When `false`,
    /// only on-device processing is offered.
    pub cloud_processing: bool,
    /// The largest image accepted, in megapixels (width × height /
    /// 1 000 000, rounded up). Applies to cloud processing; the local
    /// engine has its own limits.
    pub max_megapixels: u32,
    /// Cloud operations per calendar month (UTC). `0` means none.
    pub monthly_cloud_quota: u32,
}

/// Why an entitlement check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntitlementError {
    /// The plan does not include cloud processing.
    #[error("the plan does not include cloud processing")]
    CloudNotIncluded,
    /// The image is larger than the plan allows.
    #[error("the image has {megapixels} MP; the plan allows {max} MP")]
    TooLarge {
        /// The image's size, rounded up.
        megapixels: u64,
        /// The plan's limit.
        max: u32,
    },
}

impl Entitlements {
    /// Entitlements with these values.
    #[must_use]
    pub const fn new(
        cloud_processing: bool,
        max_megapixels: u32,
        monthly_cloud_quota: u32,
    ) -> Self {
        Self { cloud_processing, max_megapixels, monthly_cloud_quota }
    }

    /// Nothing: no cloud, no quota, no pixels.
    pub const NONE: Self = Self::new(false, 0, 0);

    /// Defaults for anonymous visitors: on-device only, images up to 25 MP.
    pub const ANONYMOUS: Self = Self::new(false, 25, 0);

    /// Defaults for signed-in users without a known plan: 50 cloud
    /// operations a month on images up to 25 MP.
    pub const FREE: Self = Self::new(true, 25, 50);

    /// The larger of each value (a grant on top of a plan).
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        Self {
            cloud_processing: self.cloud_processing || other.cloud_processing,
            max_megapixels: self.max_megapixels.max(other.max_megapixels),
            monthly_cloud_quota: self.monthly_cloud_quota.max(other.monthly_cloud_quota),
        }
    }

    /// Whether an image of `pixels` may go to the cloud (quota aside).
    ///
    /// # Errors
    /// [`EntitlementError`] naming the reason.
    pub fn allows_cloud(&self, pixels: u64) -> Result<(), EntitlementError> {
        if !self.cloud_processing || self.monthly_cloud_quota == 0 {
            return Err(EntitlementError::CloudNotIncluded);
        }
        let megapixels = pixels.div_ceil(1_000_000);
        if megapixels > u64::from(self.max_megapixels) {
            return Err(EntitlementError::TooLarge { megapixels, max: self.max_megapixels });
        }
        Ok(())
    }
}

/// Maps Clerk plans and features to [`Entitlements`].
///
/// - No session: [`PlanTable::anonymous`].
/// - A session: [`PlanTable::signed_in`] (free), raised by every plan in
///   `pla` found in the table and by every feature in `fea` found in the
///   table. Raising takes the larger of each value
///   ([`Entitlements::union`]), so the order of claims does not matter and
///   a grant never lowers anything. Plan and feature slugs match in any
///   scope (`u:` or `o:`): an organization's plan applies while that
///   organization is active.
/// - Unknown plans and features grant nothing extra (fail closed).
///
/// Pending sessions (`sts: pending`) get the signed-in defaults only.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct PlanTable {
    /// For requests without a verified session.
    pub anonymous: Entitlements,
    /// For verified sessions, before plans and features.
    pub signed_in: Entitlements,
    /// Plan slug → entitlements.
    pub plans: BTreeMap<String, Entitlements>,
    /// Feature slug → entitlements it grants on top.
    pub features: BTreeMap<String, Entitlements>,
}

impl Default for PlanTable {
    /// [`Entitlements::ANONYMOUS`] and [`Entitlements::FREE`], no plans.
    fn default() -> Self {
        Self {
            anonymous: Entitlements::ANONYMOUS,
            signed_in: Entitlements::FREE,
            plans: BTreeMap::new(),
            features: BTreeMap::new(),
        }
    }
}

impl PlanTable {
    /// Adds or replaces a plan.
    #[must_use]
    pub fn with_plan(mut self, slug: impl Into<String>, entitlements: Entitlements) -> Self {
        self.plans.insert(slug.into(), entitlements);
        self
    }

    /// Adds or replaces a feature grant.
    #[must_use]
    pub fn with_feature(mut self, slug: impl Into<String>, grant: Entitlements) -> Self {
        self.features.insert(slug.into(), grant);
        self
    }

    /// The entitlements for a verified session, or for an anonymous request
    /// when `claims` is `None`.
    #[must_use]
    pub fn entitlements(&self, claims: Option<&SessionClaims>) -> Entitlements {
        let Some(claims) = claims else { return self.anonymous };
        if claims.is_pending() {
            return self.signed_in;
        }
        let mut out = self.signed_in;
        for (_, slug) in claims.plans() {
            if let Some(plan) = self.plans.get(slug) {
                out = out.union(*plan);
            }
        }
        for (_, slug) in claims.features() {
            if let Some(grant) = self.features.get(slug) {
                out = out.union(*grant);
            }
        }
        out
    }
}

/// Quota left after a successful [`QuotaCounter::try_consume`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Remaining {
    /// Units used this month, including this call.
    pub used: u32,
    /// Units left this month.
    pub remaining: u32,
    /// When the month ends: the first second of the next UTC month.
    pub resets_at: i64,
}

/// A request that would exceed the monthly quota. Nothing was consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("monthly cloud quota exceeded: {used} of {limit} used, {requested} requested")]
#[non_exhaustive]
pub struct QuotaExceeded {
    /// Units used this month.
    pub used: u32,
    /// The monthly limit.
    pub limit: u32,
    /// Units asked for.
    pub requested: u32,
    /// When the month ends: the first second of the next UTC month.
    pub resets_at: i64,
}

/// Counts cloud usage per user and calendar month (UTC).
///
/// Async (through `async-trait`, so `Arc<dyn QuotaCounter>` works): the
/// hybrid router is async, and a production counter talks to a database or
/// Redis. `try_consume` must be atomic: check and add in one step, so two
/// concurrent requests cannot both take the last unit.
///
/// `limit` is passed on each call (from [`Entitlements::monthly_cloud_quota`]),
/// so a plan change applies at once. `now` is injected for tests.
#[async_trait::async_trait]
pub trait QuotaCounter: Send + Sync {
    /// Adds `amount` to `user`'s usage this month if that stays within
    /// `limit`.
    ///
    /// # Errors
    /// [`QuotaExceeded`] when it would not; nothing is consumed then.
    async fn try_consume(
        &self,
        user: &str,
        amount: u32,
        limit: u32,
        now: SystemTime,
    ) -> Result<Remaining, QuotaExceeded>;

    /// Gives back `amount` (a cloud job that failed), never below zero.
    async fn refund(&self, user: &str, amount: u32, now: SystemTime);

    /// `user`'s usage this month.
    async fn used(&self, user: &str, now: SystemTime) -> u32;
}

/// A [`QuotaCounter`] in memory: one entry per user for the current month
/// (an older month's entry is replaced), so memory grows with the number of
/// users, not with time. Counts are lost on restart; for several instances
/// use a shared store.
///
/// ```
/// use std::time::SystemTime;
/// use pixmize_auth::{MemoryQuota, QuotaCounter};
///
/// # async fn run() {
/// let quota = MemoryQuota::new();
/// let now = SystemTime::now();
/// assert_eq!(quota.try_consume("user_1", 2, 3, now).await.unwrap().remaining, 1);
/// assert!(quota.try_consume("user_1", 2, 3, now).await.is_err());
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MemoryQuota {
    usage: Mutex<HashMap<String, (i64, u32)>>,
}

impl MemoryQuota {
    /// An empty counter.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn with_entry<T>(&self, user: &str, now: SystemTime, f: impl FnOnce(&mut u32, i64) -> T) -> T {
        let (month, resets_at) = month_of(now);
        let mut usage = self.usage.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = usage.entry(user.to_owned()).or_insert((month, 0));
        if entry.0 != month {
            *entry = (month, 0);
        }
        f(&mut entry.1, resets_at)
    }
}

#[async_trait::async_trait]
impl QuotaCounter for MemoryQuota {
    async fn try_consume(
        &self,
        user: &str,
        amount: u32,
        limit: u32,
        now: SystemTime,
    ) -> Result<Remaining, QuotaExceeded> {
        self.with_entry(user, now, |used, resets_at| match used.checked_add(amount) {
            Some(total) if total <= limit => {
                *used = total;
                Ok(Remaining { used: total, remaining: limit - total, resets_at })
            }
            _ => Err(QuotaExceeded { used: *used, limit, requested: amount, resets_at }),
        })
    }

    async fn refund(&self, user: &str, amount: u32, now: SystemTime) {
        self.with_entry(user, now, |used, _| *used = used.saturating_sub(amount));
    }

    async fn used(&self, user: &str, now: SystemTime) -> u32 {
        self.with_entry(user, now, |used, _| *used)
    }
}

/// The UTC month of `now` as `year * 12 + month0`, and the Unix second at
/// which the next month starts.
pub(crate) fn month_of(now: SystemTime) -> (i64, i64) {
    let secs = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    };
    let (year, month) = civil_from_days(secs.div_euclid(86_400));
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    let resets_at = days_from_civil(next_year, next_month, 1).saturating_mul(86_400);
    (year * 12 + (month - 1), resets_at)
}

/// Year and month (1–12) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn months() {
        // (instant, expected "year-month", expected reset) from `date -u`.
        let cases: &[(u64, (i64, i64), i64)] = &[
            (0, (1970, 1), 2_678_400),                  // 1970-02-01
            (1_709_251_199, (2024, 2), 1_709_251_200),  // 2024-02-29T23:59:59
            (1_709_251_200, (2024, 3), 1_711_929_600),  // 2024-03-01
            (1_735_689_599, (2024, 12), 1_735_689_600), // 2024-12-31T23:59:59 → 2025-01-01
            (4_102_444_800, (2100, 1), 4_105_123_200),  // 2100-01-01 → 2100-02-01
        ];
        for (secs, (year, month), reset) in cases {
            let (key, resets_at) = month_of(at(*secs));
            assert_eq!(key, year * 12 + month - 1, "month of {secs}");
            assert_eq!(resets_at, *reset, "reset of {secs}");
        }
    }

    #[tokio::test]
    async fn quota_is_per_user_and_month() {
        let quota = MemoryQuota::new();
        let jan = at(1_704_067_200); // 2024-01-01
        let feb = at(1_706_745_600); // 2024-02-01
        let r = quota.try_consume("a", 3, 5, jan).await.unwrap();
        assert_eq!((r.used, r.remaining, r.resets_at), (3, 2, 1_706_745_600));
        let e = quota.try_consume("a", 3, 5, jan).await.unwrap_err();
        assert_eq!((e.used, e.limit, e.requested), (3, 5, 3));
        assert_eq!(quota.used("a", jan).await, 3, "a failed consume takes nothing");
        assert_eq!(quota.try_consume("b", 5, 5, jan).await.unwrap().remaining, 0);
        assert_eq!(quota.try_consume("a", 5, 5, feb).await.unwrap().used, 5, "new month");
        quota.refund("a", 9, feb).await;
        assert_eq!(quota.used("a", feb).await, 0);
        assert!(quota.try_consume("a", u32::MAX, u32::MAX, feb).await.is_ok());
        assert!(quota.try_consume("a", 1, u32::MAX, feb).await.is_err(), "no overflow");
    }

    #[test]
    fn allows_cloud() {
        let pro = Entitlements::new(true, 100, 10);
        assert!(pro.allows_cloud(100_000_000).is_ok());
        assert_eq!(
            pro.allows_cloud(100_000_001),
            Err(EntitlementError::TooLarge { megapixels: 101, max: 100 })
        );
        assert_eq!(
            Entitlements::ANONYMOUS.allows_cloud(1),
            Err(EntitlementError::CloudNotIncluded)
        );
        assert_eq!(
            Entitlements::new(true, 10, 0).allows_cloud(1),
            Err(EntitlementError::CloudNotIncluded)
        );
    }
}
