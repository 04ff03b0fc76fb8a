//! The timing budget of docs/drills.md: how long failover and recovery may
//! take, computed from the pool's monitor. Cloudflare publishes no formula,
//! so reports show the measured times next to these.

use std::time::Duration;

use crate::cloudflare::Monitor;
use crate::durations;
use crate::manifest::{Fleet, Timeout};

/// Deadlines for one region's drill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// How long the pool may take to turn unhealthy and traffic to move.
    pub failover: Duration,
    /// How long the region may take to come back and take traffic again.
    pub recover: Duration,
}

/// Slack for propagation and our own polling, added to both deadlines.
pub const SLACK: Duration = Duration::from_secs(30);

/// `interval × (max(consecutive_down,1) + 1) + timeout × (retries + 1) + 30s`,
/// at most [`durations::DEADLINE`].
///
/// The monitor's numbers come from Cloudflare at run time, unchecked by
/// `validate`, so every step saturates: an absurd monitor gives the longest
/// deadline a manifest could set, never a panic mid-drill.
pub fn failover(monitor: &Monitor) -> Duration {
    let interval = Duration::from_secs(monitor.interval);
    let checks = times(monitor.consecutive_down.max(1).saturating_add(1));
    let tries = times(monitor.retries.saturating_add(1));
    interval
        .saturating_mul(checks)
        .saturating_add(Duration::from_secs(monitor.timeout).saturating_mul(tries))
        .saturating_add(SLACK)
        .min(durations::DEADLINE.max)
}

/// `readyTimeout + interval × (max(consecutive_up,1) + 1) + 30s`, at most
/// [`durations::DEADLINE`], saturating as [`failover`] does.
pub fn recover(monitor: &Monitor, ready_timeout: Duration) -> Duration {
    let interval = Duration::from_secs(monitor.interval);
    let checks = times(monitor.consecutive_up.max(1).saturating_add(1));
    ready_timeout
        .saturating_add(interval.saturating_mul(checks))
        .saturating_add(SLACK)
        .min(durations::DEADLINE.max)
}

/// A count as a `Duration` multiplier, saturating.
fn times(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The budget for a fleet's drills: `auto` deadlines from `monitor`, fixed
/// ones from the manifest.
pub fn for_fleet(fleet: &Fleet, monitor: &Monitor) -> Budget {
    Budget {
        failover: match fleet.drill.failover_timeout {
            Timeout::Auto => failover(monitor),
            Timeout::Fixed(d) => d,
        },
        recover: match fleet.drill.recover_timeout {
            Timeout::Auto => recover(monitor, fleet.rollout.ready_timeout),
            Timeout::Fixed(d) => d,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monitor(interval: u64, timeout: u64, retries: u64, down: u64, up: u64) -> Monitor {
        Monitor {
            interval,
            timeout,
            retries,
            consecutive_down: down,
            consecutive_up: up,
            ..Monitor::default()
        }
    }

    #[test]
    fn failover_follows_the_design_formula() {
        // 60 × (3 + 1) + 5 × (2 + 1) + 30 = 285 s.
        assert_eq!(failover(&monitor(60, 5, 2, 3, 2)), Duration::from_secs(285));
        // consecutive_down 0 counts as 1: 15 × 2 + 5 × 1 + 30 = 65 s.
        assert_eq!(failover(&monitor(15, 5, 0, 0, 0)), Duration::from_secs(65));
    }

    #[test]
    fn recover_adds_the_ready_timeout() {
        // 300 + 60 × (2 + 1) + 30 = 510 s.
        assert_eq!(
            recover(&monitor(60, 5, 2, 3, 2), Duration::from_secs(300)),
            Duration::from_secs(510)
        );
    }

    #[test]
    fn cloudflare_defaults_give_the_documented_budgets() {
        // Cloudflare's defaults: interval 60 s, timeout 5 s, retries 2.
        for (down, want) in [(0, 165), (1, 165), (2, 225), (3, 285), (10, 705)] {
            assert_eq!(
                failover(&monitor(60, 5, 2, down, 1)),
                Duration::from_secs(want),
                "consecutive_down {down}"
            );
        }
        assert_eq!(
            for_fleet(
                &crate::manifest::seed_fleet(),
                &Monitor::cloudflare_default()
            )
            .failover,
            failover(&Monitor::cloudflare_default())
        );
    }

    #[test]
    fn absurd_monitors_saturate_at_the_longest_deadline() {
        let day = durations::DEADLINE.max;
        for m in [
            monitor(u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX),
            monitor(u64::MAX, 0, 0, 0, 0),
            monitor(1, 1, u64::MAX, u64::MAX, u64::MAX),
            monitor(100_000, 5, 2, 1, 1),
        ] {
            assert_eq!(failover(&m), day, "{m:?}");
            assert_eq!(recover(&m, Duration::from_secs(300)), day, "{m:?}");
            assert_eq!(recover(&m, Duration::MAX), day, "{m:?}");
        }
        // A huge probe timeout counts towards failover only.
        let m = monitor(1, u64::MAX, 0, 0, 0);
        assert_eq!(failover(&m), day);
        assert_eq!(
            recover(&m, Duration::from_secs(300)),
            Duration::from_secs(332)
        );
        // Just under the cap is kept exactly.
        let m = monitor(3600, 10, 5, 22, 22);
        assert_eq!(failover(&m), Duration::from_secs(3600 * 23 + 60 + 30));
    }

    #[test]
    fn fixed_timeouts_win_over_auto() {
        let mut fleet = crate::manifest::seed_fleet();
        fleet.drill.failover_timeout = Timeout::Fixed(Duration::from_secs(7));
        let b = for_fleet(&fleet, &monitor(60, 5, 2, 3, 2));
        assert_eq!(b.failover, Duration::from_secs(7));
        assert_eq!(b.recover, Duration::from_secs(60 + 180 + 30));
    }
}
