use std::sync::Arc;

use proptest::prelude::*;

use super::*;

fn limits(rate: f64, burst: u32, per_five_minutes: u32) -> Limits {
    Limits {
        requests_per_second: rate,
        burst,
        per_five_minutes,
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ---- the pure model ----------------------------------------------------------

#[test]
fn rejects_nonsense_limits() {
    for rate in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(RequestBudget::new(rate).is_none(), "{rate}");
    }
    assert!(Pacer::new(limits(2.0, 0, 1200)).is_none(), "no burst");
    assert!(Pacer::new(limits(2.0, 4, 0)).is_none(), "no cap");
    let b = RequestBudget::new(2.0).unwrap();
    assert_eq!(b.spacing(), ms(500));
}

#[test]
fn a_minute_holds_the_rate_and_never_more_than_five_minutes_do() {
    let per_minute = |rate| Pacer::new(Limits::new(rate)).unwrap().per_minute();
    assert_eq!(per_minute(2.0), 120);
    assert_eq!(per_minute(0.5), 30);
    // 1.5 a minute rounds down: never more than the rate…
    assert_eq!(per_minute(0.025), 1);
    // …but a budget always lets one request through.
    assert_eq!(per_minute(1e-6), 1);
    // 50/s would be 3000 a minute: Cloudflare's 1200 per 5 minutes rules.
    assert_eq!(per_minute(50.0), 1200);
    assert_eq!(per_minute(1e300), 1200);
    let p = Pacer::new(Limits::new(50.0)).unwrap();
    assert_eq!(p.per_five_minutes(), 1200);
}

#[test]
fn a_fresh_bucket_lets_the_burst_go_at_once_then_spaces() {
    let t0 = Instant::now();
    let mut p = Pacer::new(limits(2.0, 4, 1200)).unwrap();
    for _ in 0..4 {
        assert_eq!(p.earliest(t0), t0);
        p.take(t0);
    }
    assert_eq!(p.earliest(t0), t0 + ms(500), "the fifth waits one interval");
    p.take(t0 + ms(500));
    assert_eq!(p.earliest(t0 + ms(500)), t0 + ms(1000));
}

#[test]
fn a_burst_of_one_is_the_strict_pacer() {
    let t0 = Instant::now();
    let mut p = Pacer::new(limits(2.0, 1, 1200)).unwrap();
    p.take(t0);
    assert_eq!(p.earliest(t0), t0 + ms(500));
}

#[test]
fn a_rested_bucket_refills_one_request_per_interval_up_to_the_burst() {
    let t0 = Instant::now();
    let mut p = Pacer::new(limits(2.0, 4, 1200)).unwrap();
    for _ in 0..4 {
        p.take(t0);
    }
    // Two intervals of rest: two requests at once, not four.
    let t1 = t0 + ms(1000);
    for _ in 0..2 {
        assert_eq!(p.earliest(t1), t1);
        p.take(t1);
    }
    assert_eq!(p.earliest(t1), t1 + ms(500));
    // A long rest fills it to the burst and no further.
    let t2 = t1 + Duration::from_secs(3600);
    for _ in 0..4 {
        assert_eq!(p.earliest(t2), t2);
        p.take(t2);
    }
    assert_eq!(p.earliest(t2), t2 + ms(500));
}

#[test]
fn the_minute_cap_takes_back_what_the_burst_gave() {
    // 2/s with a burst of 4: the bucket alone would allow 123 requests in
    // the first minute; the 121st waits until the first ones are 60 s old.
    let t0 = Instant::now();
    let mut p = Pacer::new(limits(2.0, 4, 1200)).unwrap();
    let mut now = t0;
    for _ in 0..120 {
        now = p.earliest(now);
        p.take(now);
    }
    assert!(now < t0 + Duration::from_secs(60), "{:?}", now - t0);
    assert_eq!(p.earliest(now), t0 + Duration::from_secs(60));
}

#[test]
fn the_five_minute_cap_holds_whatever_the_rate() {
    let t0 = Instant::now();
    let mut p = Pacer::new(limits(1e6, 4, 1200)).unwrap();
    let mut now = t0;
    for _ in 0..1200 {
        now = p.earliest(now);
        p.take(now);
    }
    assert!(now < t0 + Duration::from_secs(1), "{:?}", now - t0);
    assert_eq!(p.earliest(now), t0 + Duration::from_secs(300));
}

#[test]
fn a_deferral_only_ever_moves_later() {
    let t0 = Instant::now();
    let mut p = Pacer::new(limits(100.0, 4, 1200)).unwrap();
    p.defer(t0 + Duration::from_secs(3));
    p.defer(t0 + Duration::from_secs(1));
    assert_eq!(p.earliest(t0), t0 + Duration::from_secs(3));
    assert_eq!(
        p.earliest(t0 + Duration::from_secs(4)),
        t0 + Duration::from_secs(4)
    );
}

#[test]
fn extreme_limits_never_panic() {
    let t0 = Instant::now();
    for rate in [1e-300, 1e-19, 1e-9, 1e300, f64::MAX, f64::MIN_POSITIVE] {
        for burst in [1, 4, u32::MAX] {
            for cap in [1, 1200, u32::MAX] {
                let mut p = Pacer::new(limits(rate, burst, cap)).unwrap();
                let mut now = t0;
                for _ in 0..5 {
                    now = p.earliest(now);
                    p.take(now);
                }
                p.defer(deadline(now, Duration::MAX));
                let _ = p.earliest(now);
            }
        }
    }
}

#[test]
fn a_very_low_rate_means_practically_never_not_a_full_bucket() {
    // With a burst, a schedule saturated at the clock's end and moved back
    // by the tolerance would read as full again after a minute.
    let t0 = Instant::now();
    let mut p = Pacer::new(limits(1e-19, 4, 1200)).unwrap();
    p.take(t0);
    let next = p.earliest(t0 + Duration::from_secs(3600));
    assert!(
        next >= t0 + Duration::from_secs(86_400 * 365),
        "{:?}",
        next - t0
    );
}

// ---- the property: random arrivals never break a window -----------------------

/// One thing happening `gap_ms` after the previous one.
#[derive(Clone, Debug)]
enum Event {
    Request {
        gap_ms: u64,
    },
    /// A 429 asking to wait `wait_ms`.
    Defer {
        gap_ms: u64,
        wait_ms: u64,
    },
}

fn gap() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => 0..50u64,
        3 => 0..3_000u64,
        1 => 0..400_000u64,
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        12 => gap().prop_map(|gap_ms| Event::Request { gap_ms }),
        1 => (gap(), 0..70_000u64).prop_map(|(gap_ms, wait_ms)| Event::Defer { gap_ms, wait_ms }),
    ]
}

fn limits_strategy() -> impl Strategy<Value = Limits> {
    (
        prop_oneof![0.01..1.0f64, 1.0..20.0f64, 20.0..5_000.0f64],
        1..10u32,
        prop_oneof![1..40u32, 40..400u32, Just(CLOUDFLARE_PER_FIVE_MINUTES)],
    )
        .prop_map(|(rate, burst, cap)| limits(rate, burst, cap))
}

/// Replays `events` as `RequestBudget::acquire` serves them: first come,
/// first served; a waiter looks again when a deferral lands while it waits.
/// Returns each request's arrival and grant, and each deferral's span.
fn replay(pacer: &mut Pacer, t0: Instant, events: &[Event]) -> Replay {
    let mut now = t0;
    let mut arrivals = Vec::new();
    let mut defers = Vec::new();
    for e in events {
        match *e {
            Event::Request { gap_ms } => {
                now += ms(gap_ms);
                arrivals.push(now);
            }
            Event::Defer { gap_ms, wait_ms } => {
                now += ms(gap_ms);
                defers.push((now, now + ms(wait_ms)));
            }
        }
    }
    let mut pending = defers.iter().copied().peekable();
    let mut grants: Vec<Instant> = Vec::new();
    for &arrived in &arrivals {
        let from = grants.last().map_or(arrived, |&g| g.max(arrived));
        let granted = loop {
            let at = pacer.earliest(from);
            match pending.peek() {
                Some(&(when, until)) if when <= at => {
                    pacer.defer(until);
                    pending.next();
                }
                _ => break at,
            }
        };
        pacer.take(granted);
        grants.push(granted);
    }
    Replay {
        arrivals,
        grants,
        defers,
    }
}

struct Replay {
    arrivals: Vec<Instant>,
    grants: Vec<Instant>,
    defers: Vec<(Instant, Instant)>,
}

/// Every window of `window` holds at most `cap` of `grants` (sorted):
/// the `cap`-th grant after any grant is at least `window` later.
fn window_holds(grants: &[Instant], cap: usize, window: Duration) -> Result<(), String> {
    for (i, pair) in grants.iter().zip(grants.iter().skip(cap)).enumerate() {
        if *pair.1 - *pair.0 < window {
            return Err(format!(
                "grants {i} and {} are {:?} apart: {} in under {window:?}",
                i + cap,
                *pair.1 - *pair.0,
                cap + 1
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_arrivals_never_break_a_window(
        limits in limits_strategy(),
        events in proptest::collection::vec(event(), 1..300),
    ) {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(limits).unwrap();
        let interval = pacer.interval();
        let per_minute = pacer.per_minute();
        let Replay { arrivals, grants, defers } = replay(&mut pacer, t0, &events);

        for (i, (&a, &g)) in arrivals.iter().zip(&grants).enumerate() {
            prop_assert!(g >= a, "request {i} granted before it arrived");
            if i > 0 {
                prop_assert!(g >= grants[i - 1], "grants out of order at {i}");
            }
        }
        // Any minute: the configured rate (a budget always allows one).
        prop_assert!(per_minute as f64 <= (60.0 * limits.requests_per_second).max(1.0));
        window_holds(&grants, per_minute, MINUTE).map_err(TestCaseError::fail)?;
        // Any 5 minutes: the cap.
        prop_assert!(pacer.per_five_minutes() <= limits.per_five_minutes as usize);
        window_holds(&grants, limits.per_five_minutes as usize, FIVE_MINUTES)
            .map_err(TestCaseError::fail)?;
        // The bucket: n grants span at least (n - burst) intervals.
        let burst = limits.burst as usize;
        for i in 0..grants.len() {
            for j in i..grants.len() {
                let beyond = u32::try_from((j - i + 1).saturating_sub(burst)).unwrap();
                prop_assert!(
                    grants[j] - grants[i] >= interval * beyond,
                    "grants {i}..={j} within {:?}, burst {burst}, interval {interval:?}",
                    grants[j] - grants[i]
                );
            }
        }
        // A 429's wait is honoured by everyone.
        for &(from, until) in &defers {
            prop_assert!(
                !grants.iter().any(|&g| g >= from && g < until),
                "a grant inside a deferral"
            );
        }
        // And the budget does not hold back a request after a long rest.
        for i in 1..grants.len() {
            let rested = arrivals[i] - grants[i - 1].min(arrivals[i]);
            let deferred = defers.iter().any(|&(_, until)| until > arrivals[i]);
            if rested >= FIVE_MINUTES.max(interval * limits.burst) && !deferred {
                prop_assert_eq!(grants[i], arrivals[i], "request {} waited after a rest", i);
            }
        }
    }
}

// ---- the async budget on a paused clock ---------------------------------------

#[tokio::test(start_paused = true)]
async fn the_burst_goes_at_once_and_n_requests_take_n_minus_burst_spacings() {
    let budget = RequestBudget::new(2.0).unwrap();
    let start = Instant::now();
    for _ in 0..DEFAULT_BURST {
        budget.acquire().await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO, "the burst is free at once");
    for _ in DEFAULT_BURST..10 {
        budget.acquire().await;
    }
    // (10 - 4) / 2 = 3 s of virtual time.
    let want = Duration::from_secs(3);
    assert!(start.elapsed() >= want, "{:?}", start.elapsed());
    assert!(start.elapsed() < want + ms(100), "{:?}", start.elapsed());
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
    // Four at once, then the other five 250 ms apart: the last 5 × 250 ms in.
    assert!(times[..4].iter().all(|t| t.is_zero()), "{times:?}");
    assert!(times[8] >= ms(1250), "{times:?}");
    for pair in times[3..].windows(2) {
        assert!(pair[1] - pair[0] >= ms(250), "{times:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn defer_holds_back_every_caller() {
    let budget = RequestBudget::new(100.0).unwrap();
    budget.acquire().await;
    let start = Instant::now();
    budget.defer(Duration::from_secs(3));
    // A shorter deferral never brings the next grant forward.
    budget.defer(Duration::from_secs(1));
    budget.acquire().await;
    assert!(
        start.elapsed() >= Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn defer_holds_back_a_caller_already_waiting() {
    let budget = Arc::new(RequestBudget::new(1.0).unwrap());
    for _ in 0..DEFAULT_BURST {
        budget.acquire().await;
    }
    let start = Instant::now();
    // Due in 1 s…
    let waiter = {
        let b = budget.clone();
        tokio::spawn(async move {
            b.acquire().await;
            start.elapsed()
        })
    };
    tokio::time::sleep(ms(100)).await;
    // …when another caller's 429 asks everyone to wait 5 s.
    budget.defer(Duration::from_secs(5));
    let waited = waiter.await.unwrap();
    assert!(waited >= Duration::from_millis(5100), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_dropped_waiter_books_nothing() {
    let budget = RequestBudget::new(1.0).unwrap();
    for _ in 0..DEFAULT_BURST {
        budget.acquire().await;
    }
    let gave_up = tokio::time::timeout(ms(100), budget.acquire()).await;
    assert!(gave_up.is_err());
    let start = Instant::now();
    budget.acquire().await;
    // The next grant was due 1 s after the burst, 900 ms from here: the
    // caller that gave up did not push it a second further.
    assert!(start.elapsed() < ms(950), "{:?}", start.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_long_run_holds_a_minute_and_five_minutes() {
    // 10/s would be 3000 per 5 minutes; the cap is 1200.
    let budget = RequestBudget::new(10.0).unwrap();
    let start = Instant::now();
    let mut grants = Vec::new();
    for _ in 0..1300 {
        budget.acquire().await;
        grants.push(Instant::now());
    }
    window_holds(&grants, 600, MINUTE).unwrap();
    window_holds(&grants, 1200, FIVE_MINUTES).unwrap();
    let first_after_cap = grants[1200] - start;
    assert!(first_after_cap >= FIVE_MINUTES, "{first_after_cap:?}");
}

#[tokio::test(start_paused = true)]
async fn grants_beyond_the_clock_saturate_instead_of_panicking() {
    let budget = RequestBudget::new(1e-19).unwrap();
    budget.acquire().await;
    let second = tokio::time::timeout(Duration::from_secs(3600), budget.acquire()).await;
    assert!(second.is_err(), "the second grant is (practically) never");
    budget.defer(Duration::MAX);
}
