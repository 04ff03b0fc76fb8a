//! The longest durations ocfail accepts, and arithmetic on time that cannot
//! panic.
//!
//! humantime parses anything that fits a `u64` of seconds (`300000000000y`),
//! and `Instant + Duration` panics when the sum does not fit the clock. A
//! panic after a region was taken down leaves it down, so durations are
//! bounded where they are parsed (the manifest and the flags share the
//! [`Limit`]s below), and every deadline is computed with [`deadline`],
//! which saturates instead, for values that are not parsed by us (a
//! Cloudflare monitor's timings, a lease's duration).

use std::time::{Duration, Instant, SystemTime};

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// How long one kind of duration may be, and a good value to suggest when
/// one is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The longest value accepted.
    pub max: Duration,
    /// A typical value, shown in messages as "e.g. …".
    pub example: &'static str,
}

impl Limit {
    /// `d` when it is at most [`Limit::max`]; otherwise a message such as
    /// "must be at most 1day (e.g. 10m)", for the caller to place.
    pub fn check(self, d: Duration) -> Result<Duration, String> {
        if d <= self.max {
            Ok(d)
        } else {
            Err(format!(
                "must be at most {} (e.g. {})",
                humantime::format_duration(self.max),
                self.example
            ))
        }
    }
}

/// `drill.hold` and `drill --hold`: a week. Longer is an outage, not a drill.
pub const HOLD: Limit = Limit {
    max: Duration::from_secs(7 * DAY),
    example: "5m",
};

/// Deadlines for something to happen: `drill.failoverTimeout`,
/// `drill.recoverTimeout`, `rollout.readyTimeout`, `rollout.verifyFor` and
/// `restore --timeout`: a day. An `auto` drill deadline is capped here too.
pub const DEADLINE: Limit = Limit {
    max: Duration::from_secs(DAY),
    example: "10m",
};

/// One request: `traffic.timeout`, `--request-timeout` and the simulator's
/// latencies and monitor timeout: an hour.
pub const REQUEST_TIMEOUT: Limit = Limit {
    max: Duration::from_secs(HOUR),
    example: "10s",
};

/// Time between refreshes or checks: `status --interval`, `exporter
/// --interval`, `monitoring render --interval` and the simulator's monitor
/// interval: an hour.
pub const INTERVAL: Limit = Limit {
    max: Duration::from_secs(HOUR),
    example: "15s",
};

/// `practice.every`: a leap year, so "once a year" fits. Its minimum,
/// [`PRACTICE_EVERY_MIN`], is checked where it is parsed.
pub const PRACTICE_EVERY: Limit = Limit {
    max: Duration::from_secs(366 * DAY),
    example: "7d",
};

/// The shortest `practice.every`: an hour. A drill takes minutes and
/// moves real traffic; more often than hourly is a load test, not practice.
pub const PRACTICE_EVERY_MIN: Duration = Duration::from_secs(HOUR);

/// `notify[].timeout`: one try of a notification, a minute. A receiver
/// slower than that is down, and every try is time added to the end of a
/// run. Its minimum, [`NOTIFY_TIMEOUT_MIN`], is checked where it is parsed.
pub const NOTIFY_TIMEOUT: Limit = Limit {
    max: Duration::from_secs(MINUTE),
    example: "5s",
};

/// The shortest `notify[].timeout`: 100 ms, less than which no receiver
/// off this machine can answer.
pub const NOTIFY_TIMEOUT_MIN: Duration = Duration::from_millis(100);

/// The furthest [`deadline`] reaches: 30 years, the same cap tokio puts on
/// `sleep`, so a saturated deadline and a sleep until it agree. It fits
/// every platform's clock (tokio notes that 100 years overflows FreeBSD's)
/// and is far beyond any duration a [`Limit`] admits.
pub const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * DAY);

/// A point in time that can be moved forward without panicking.
pub trait TimePoint: Copy {
    /// `self + d`, or `None` when that does not fit the clock.
    fn checked_add(&self, d: Duration) -> Option<Self>;
}

impl TimePoint for Instant {
    fn checked_add(&self, d: Duration) -> Option<Self> {
        Instant::checked_add(self, d)
    }
}

impl TimePoint for tokio::time::Instant {
    fn checked_add(&self, d: Duration) -> Option<Self> {
        tokio::time::Instant::checked_add(self, d)
    }
}

impl TimePoint for SystemTime {
    fn checked_add(&self, d: Duration) -> Option<Self> {
        SystemTime::checked_add(self, d)
    }
}

/// `from + d`, saturating at [`FAR_FUTURE`] from `from` (or the furthest
/// point short of it the clock can hold) instead of panicking.
///
/// Use this for every deadline: `Instant + Duration` panics on overflow,
/// and a deadline that saturates only means "wait as long as the clock
/// allows", which the bounded inputs never reach.
pub fn deadline<T: TimePoint>(from: T, d: Duration) -> T {
    let mut step = d.min(FAR_FUTURE);
    // Halving finds a point the clock can hold in at most ~90 steps; on
    // the platforms we build for the first one already fits.
    while !step.is_zero() {
        if let Some(t) = from.checked_add(step) {
            return t;
        }
        step /= 2;
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_adds_ordinary_durations_exactly() {
        let now = Instant::now();
        assert_eq!(
            deadline(now, Duration::from_secs(30)),
            now + Duration::from_secs(30)
        );
        assert_eq!(deadline(now, Duration::ZERO), now);
        let epoch = SystemTime::UNIX_EPOCH;
        assert_eq!(
            deadline(epoch, Duration::from_millis(1)),
            epoch + Duration::from_millis(1)
        );
    }

    #[test]
    fn deadline_saturates_at_extreme_values() {
        let now = Instant::now();
        for huge in [
            Duration::MAX,
            Duration::from_secs(u64::MAX),
            // `300000000000y` as humantime reads it.
            Duration::from_secs(300_000_000_000 * 31_557_600),
            FAR_FUTURE + Duration::from_nanos(1),
        ] {
            assert_eq!(deadline(now, huge), now + FAR_FUTURE, "{huge:?}");
            let sys = SystemTime::now();
            assert_eq!(deadline(sys, huge), sys + FAR_FUTURE, "{huge:?}");
        }
        // Saturating twice stays put rather than overflowing.
        let far = deadline(deadline(now, Duration::MAX), Duration::MAX);
        assert!(far > now + FAR_FUTURE);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn deadline_never_goes_back_at_the_end_of_the_clock() {
        // Linux holds SystemTimes up to i64::MAX seconds and 999999999 ns:
        // under two seconds of room are left here.
        let end = SystemTime::UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 - 1);
        let d = deadline(end, Duration::MAX);
        assert!(d.duration_since(end).unwrap() <= Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_saturates_tokio_instants_and_sleeps_accept_them() {
        let now = tokio::time::Instant::now();
        let far = deadline(now, Duration::MAX);
        assert_eq!(far, now + FAR_FUTURE);
        // A select on a saturated deadline must not panic while it waits.
        let done =
            tokio::time::timeout(Duration::from_secs(1), tokio::time::sleep_until(far)).await;
        assert!(done.is_err());
    }

    #[test]
    fn limits_accept_their_maximum_and_refuse_beyond_it() {
        for limit in [
            HOLD,
            DEADLINE,
            REQUEST_TIMEOUT,
            INTERVAL,
            PRACTICE_EVERY,
            NOTIFY_TIMEOUT,
        ] {
            assert_eq!(limit.check(limit.max), Ok(limit.max));
            let e = limit
                .check(limit.max + Duration::from_nanos(1))
                .unwrap_err();
            assert!(e.contains("at most") && e.contains("e.g."), "{e}");
            // The example is itself accepted.
            let example = humantime::parse_duration(limit.example).unwrap();
            assert!(!example.is_zero() && limit.check(example).is_ok());
        }
        assert_eq!(
            HOLD.check(Duration::from_secs(8 * DAY)).unwrap_err(),
            "must be at most 7days (e.g. 5m)"
        );
    }
}
