//! The process-wide request budget: a pacer that hands out one slot per
//! HTTP attempt, at most `rate` per second, to every clone of a client.
//!
//! Written by hand rather than with `governor`: governor's async waits use
//! its own clock and timer, which `#[tokio::test(start_paused = true)]`
//! cannot drive, and a strict pacer (no burst) is a dozen lines. Strict
//! spacing keeps ocfail far under Cloudflare's 1200 requests per 5 minutes
//! (docs/cloudflare-api.md) however many regions ask at once.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Hands out request slots `1 / rate` seconds apart. Share it with an `Arc`.
#[derive(Debug)]
pub struct RequestBudget {
    spacing: Duration,
    /// The earliest instant the next slot may start; `None` before the first.
    next_free: Mutex<Option<Instant>>,
}

impl RequestBudget {
    /// A budget of `requests_per_second`; `None` unless it is finite and > 0.
    pub fn new(requests_per_second: f64) -> Option<Self> {
        if !requests_per_second.is_finite() || requests_per_second <= 0.0 {
            return None;
        }
        let spacing = Duration::try_from_secs_f64(1.0 / requests_per_second).ok()?;
        Some(RequestBudget {
            spacing,
            next_free: Mutex::new(None),
        })
    }

    /// Time between two slots.
    pub fn spacing(&self) -> Duration {
        self.spacing
    }

    /// Hands out no slot before `wait` from now: a 429's `Retry-After`
    /// holds back every clone of the client, not just the caller that got it.
    pub fn defer(&self, wait: Duration) {
        let until = crate::durations::deadline(Instant::now(), wait);
        let mut next = self
            .next_free
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *next = Some(next.map_or(until, |n| n.max(until)));
    }

    /// Waits for the next free slot. A caller dropped while waiting leaves
    /// its slot unused, which errs on the side of fewer requests.
    pub async fn acquire(&self) {
        let slot = {
            // The lock is held only to book the slot, never across a wait, so
            // a std mutex is enough; a poisoned one still holds a valid instant.
            let mut next = self
                .next_free
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(crate::durations::deadline(slot, self.spacing));
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn rejects_nonsense_rates() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(RequestBudget::new(rate).is_none(), "{rate}");
        }
        let b = RequestBudget::new(2.0).unwrap();
        assert_eq!(b.spacing(), Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn slots_beyond_the_clock_saturate_instead_of_panicking() {
        // A spacing of ~10^19 s, past what an instant can be moved by.
        let budget = RequestBudget::new(1e-19).unwrap();
        budget.acquire().await;
        let second = tokio::time::timeout(Duration::from_secs(3600), budget.acquire()).await;
        assert!(second.is_err(), "the second slot is (practically) never");
        budget.defer(Duration::MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn n_requests_take_n_minus_one_spacings() {
        let budget = RequestBudget::new(2.0).unwrap();
        let start = Instant::now();
        budget.acquire().await;
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the first slot is free at once"
        );
        for _ in 1..5 {
            budget.acquire().await;
        }
        // (N - 1) / rate = 4 / 2 = 2 s of virtual time.
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert!(
            start.elapsed() < Duration::from_millis(2100),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_budget() {
        let budget = Arc::new(RequestBudget::new(4.0).unwrap());
        let start = Instant::now();
        let tasks: Vec<_> = (0..9)
            .map(|_| {
                let b = budget.clone();
                tokio::spawn(async move {
                    b.acquire().await;
                    start.elapsed()
                })
            })
            .collect();
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap());
        }
        times.sort();
        // Nine slots at 4/s: the last one starts 8 × 250 ms after the first,
        // and no two share a slot.
        assert!(times[8] >= Duration::from_secs(2), "{times:?}");
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(250), "{times:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn defer_holds_back_every_caller() {
        let budget = RequestBudget::new(100.0).unwrap();
        budget.acquire().await;
        let start = Instant::now();
        budget.defer(Duration::from_secs(3));
        // A shorter deferral never brings the next slot forward.
        budget.defer(Duration::from_secs(1));
        budget.acquire().await;
        assert!(
            start.elapsed() >= Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_budget_does_not_bank_slots() {
        let budget = RequestBudget::new(1.0).unwrap();
        budget.acquire().await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        let start = Instant::now();
        budget.acquire().await;
        budget.acquire().await;
        // After idling, the first slot is immediate but the second still
        // waits a full spacing: no burst.
        assert!(start.elapsed() >= Duration::from_secs(1));
    }
}
