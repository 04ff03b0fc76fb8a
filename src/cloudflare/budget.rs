//! The process-wide request budget: a token bucket that hands out one grant
//! per HTTP attempt to every clone of a client.
//!
//! A rested budget lets [`DEFAULT_BURST`] requests go at once, so a command
//! that needs a couple of independent requests (`status`: the load balancer
//! and the pool list) costs one round trip instead of waiting a spacing
//! between them; after the burst, grants come `1 / rate` apart. Three limits
//! hold together, over the instants `acquire` returns:
//!
//! - the bucket: at most `burst + W × rate` grants in any window of length W;
//! - the rate over any minute: at most `max(1, ⌊60 × rate⌋)` grants in any
//!   60 s, so the burst never adds to a minute's share;
//! - Cloudflare's limit: at most [`CLOUDFLARE_PER_FIVE_MINUTES`] (or the
//!   configured cap) in any 5 minutes (docs/cloudflare-api.md), whatever the rate.
//!
//! Written by hand rather than with `governor`: governor's async waits use
//! its own clock and timer, which `#[tokio::test(start_paused = true)]`
//! cannot drive, and it has no sliding windows to hold the per-minute and
//! per-5-minutes caps next to a burst. The arithmetic lives in [`Pacer`], a
//! pure model the tests drive with made-up instants.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::durations::deadline;

/// Cloudflare's API limit: requests per 5 minutes per token.
pub const CLOUDFLARE_PER_FIVE_MINUTES: u32 = 1200;
/// Requests a rested budget lets go at once: enough for `status`'s two with
/// room to spare, far too few to matter against Cloudflare's limit.
pub const DEFAULT_BURST: u32 = 4;

const MINUTE: Duration = Duration::from_secs(60);
const FIVE_MINUTES: Duration = Duration::from_secs(300);

/// What a [`RequestBudget`] allows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Sustained requests per second; also caps any minute at
    /// `max(1, ⌊60 × rate⌋)`.
    pub requests_per_second: f64,
    /// Requests a rested budget lets go at once (at least 1).
    pub burst: u32,
    /// Most requests in any 5 minutes (at least 1).
    pub per_five_minutes: u32,
}

impl Limits {
    /// `requests_per_second` with the default burst and Cloudflare's cap.
    pub fn new(requests_per_second: f64) -> Self {
        Limits {
            requests_per_second,
            burst: DEFAULT_BURST,
            per_five_minutes: CLOUDFLARE_PER_FIVE_MINUTES,
        }
    }
}

/// The bucket and windows as plain arithmetic on instants: which instant a
/// request may go at, and booking one that went. [`RequestBudget`] wraps it
/// with a clock and a queue.
#[derive(Clone, Debug)]
pub struct Pacer {
    /// Between two grants once the burst is spent: `1 / rate`.
    interval: Duration,
    /// How far the bucket's schedule may run ahead of now: `(burst - 1)`
    /// intervals, which is what lets `burst` grants go at once.
    tolerance: Duration,
    per_minute: usize,
    per_five_minutes: usize,
    /// GCRA's theoretical arrival time: when the bucket would be full again.
    /// `None` before the first grant.
    tat: Option<Instant>,
    /// Grants of the last 5 minutes, oldest first, at most
    /// `per_five_minutes` of them: all the windows need.
    granted: VecDeque<Instant>,
    /// No grant before this (a 429's `Retry-After`).
    not_before: Option<Instant>,
}

impl Pacer {
    /// A pacer for `limits`; `None` unless the rate is finite and > 0 and
    /// the burst and the cap are at least 1.
    pub fn new(limits: Limits) -> Option<Self> {
        let Limits {
            requests_per_second: rate,
            burst,
            per_five_minutes,
        } = limits;
        if !rate.is_finite() || rate <= 0.0 || burst == 0 || per_five_minutes == 0 {
            return None;
        }
        let per_five_minutes = usize::try_from(per_five_minutes).unwrap_or(usize::MAX);
        // `as` saturates a float; a minute's share never exceeds the 5
        // minutes' cap, which also bounds what `granted` keeps.
        let per_minute = ((60.0 * rate).floor() as usize).clamp(1, per_five_minutes);
        // A burst beyond a minute's share could never be used. Capping it
        // there also keeps `tolerance` under a minute (`burst ≤ 60 × rate`),
        // so the bucket's schedule never saturates the clock: a saturated
        // one, minus a tolerance, would read as a full bucket. Only a burst
        // of 1 meets an interval that long, and it subtracts nothing.
        let burst = burst.min(u32::try_from(per_minute).unwrap_or(u32::MAX));
        let interval = Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::MAX);
        Some(Pacer {
            interval,
            tolerance: interval.saturating_mul(burst - 1),
            per_minute,
            per_five_minutes,
            tat: None,
            granted: VecDeque::new(),
            not_before: None,
        })
    }

    /// Time between two grants once the burst is spent.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Most grants in any 60 s.
    pub fn per_minute(&self) -> usize {
        self.per_minute
    }

    /// Most grants in any 5 minutes.
    pub fn per_five_minutes(&self) -> usize {
        self.per_five_minutes
    }

    /// The earliest instant at or after `now` a request may go at.
    pub fn earliest(&self, now: Instant) -> Instant {
        let mut at = now;
        if let Some(nb) = self.not_before {
            at = at.max(nb);
        }
        // The bucket: `tat - tolerance`. `tat` is never saturated when there
        // is a tolerance (see `new`), so one before the clock's origin is
        // simply in the past.
        if let Some(ready) = self.tat.and_then(|t| t.checked_sub(self.tolerance)) {
            at = at.max(ready);
        }
        // A window of length W admits a grant at `s` while fewer than `cap`
        // grants fall in (s - W, s]: no sooner than W after the cap-th latest.
        for (cap, window) in [
            (self.per_minute, MINUTE),
            (self.per_five_minutes, FIVE_MINUTES),
        ] {
            if let Some(i) = self.granted.len().checked_sub(cap) {
                at = at.max(deadline(self.granted[i], window));
            }
        }
        at
    }

    /// Books a grant at `at`, which should be no earlier than
    /// [`Pacer::earliest`] said (nor than the previous grant).
    pub fn take(&mut self, at: Instant) {
        let start = self.tat.map_or(at, |t| t.max(at));
        self.tat = Some(deadline(start, self.interval));
        self.granted.push_back(at);
        while let Some(&oldest) = self.granted.front() {
            if self.granted.len() > self.per_five_minutes || deadline(oldest, FIVE_MINUTES) <= at {
                self.granted.pop_front();
            } else {
                break;
            }
        }
    }

    /// No grant before `until`; an earlier `until` than one already set
    /// changes nothing.
    pub fn defer(&mut self, until: Instant) {
        self.not_before = Some(self.not_before.map_or(until, |n| n.max(until)));
    }
}

/// Hands out request grants as [`Pacer`] allows. Share it with an `Arc`.
#[derive(Debug)]
pub struct RequestBudget {
    pacer: Mutex<Pacer>,
    /// Waiters queue here and are granted in arrival order (tokio's mutex is
    /// fair); only the head sleeps on the clock.
    turn: tokio::sync::Mutex<()>,
}

impl RequestBudget {
    /// A budget of `requests_per_second` with [`DEFAULT_BURST`] and
    /// Cloudflare's 5-minute cap; `None` unless the rate is finite and > 0.
    pub fn new(requests_per_second: f64) -> Option<Self> {
        Self::with_limits(Limits::new(requests_per_second))
    }

    /// A budget of `limits`; `None` when [`Pacer::new`] refuses them.
    pub fn with_limits(limits: Limits) -> Option<Self> {
        Some(RequestBudget {
            pacer: Mutex::new(Pacer::new(limits)?),
            turn: tokio::sync::Mutex::new(()),
        })
    }

    /// Time between two grants once the burst is spent.
    pub fn spacing(&self) -> Duration {
        self.pacer().interval()
    }

    /// The lock is never held across a wait, so a std mutex is enough; a
    /// poisoned one still holds valid instants.
    fn pacer(&self) -> MutexGuard<'_, Pacer> {
        self.pacer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Grants nothing before `wait` from now: a 429's `Retry-After` holds
    /// back every clone of the client, callers already waiting included,
    /// not just the caller that got it.
    pub fn defer(&self, wait: Duration) {
        let until = deadline(Instant::now(), wait);
        self.pacer().defer(until);
    }

    /// Waits until a request may go, and books it. A caller dropped while
    /// waiting books nothing.
    pub async fn acquire(&self) {
        let _turn = self.turn.lock().await;
        loop {
            let now = Instant::now();
            let at = {
                let mut pacer = self.pacer();
                let at = pacer.earliest(now);
                if at <= now {
                    pacer.take(now);
                    return;
                }
                at
            };
            // Looked at again on waking: a `defer` meanwhile moves it on.
            tokio::time::sleep_until(at).await;
        }
    }
}

#[cfg(test)]
mod tests;
