//! The time source of a [`SessionVerifier`](crate::SessionVerifier).

use std::time::SystemTime;

/// Where a [`SessionVerifier`](crate::SessionVerifier) reads the current
/// time: for `exp`, `nbf` and `iat`, and for the age of its cached keys.
///
/// Set one with
/// [`SessionVerifierBuilder::clock`](crate::SessionVerifierBuilder::clock);
/// every path that does not take a time (`verify`, `authenticate`, the axum
/// layer and extractor) then uses it. The default is [`SystemClock`]. Any
/// `Fn() -> SystemTime + Send + Sync` is a clock, which suits tests and
/// replays:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use pixmize_auth::Clock;
///
/// let seconds = Arc::new(AtomicU64::new(1_666_648_250));
/// let shared = Arc::clone(&seconds);
/// let clock: Arc<dyn Clock> =
///     Arc::new(move || UNIX_EPOCH + Duration::from_secs(shared.load(Ordering::SeqCst)));
/// seconds.fetch_add(60, Ordering::SeqCst);
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_666_648_310));
/// ```
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F> Clock for F
where
    F: Fn() -> SystemTime + Send + Sync,
{
    fn now(&self) -> SystemTime {
        self()
    }
}

/// The operating system's clock ([`SystemTime::now`]), the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}
