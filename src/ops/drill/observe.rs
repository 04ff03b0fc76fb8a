//! Steps 4–6 of the drill: inject the outage, watch the pool turn unhealthy
//! and the traffic move, then hold while the other regions carry it.

use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;

use crate::cloudflare::Pools;
use crate::kube::Workloads;
use crate::manifest::DrillMethod;
use crate::report::model::{Check, Verdict};
use crate::signal::SignalHandler;

use super::super::connect::Connected;
use super::super::describe;
use super::super::traffic::TrafficGenerator;
use super::prepare::Prepared;
use super::{DrillOptions, Progress, Stop, ms, poll_interval, wait};

/// What the drill saw between the record and the restore.
#[derive(Default)]
pub(super) struct Observed {
    /// `inject` (or the failed `record`).
    pub checks: Vec<Check>,
    /// The outage was injected (the record was written first).
    pub injected: bool,
    /// Why waiting ended early, if it did.
    pub stop: Option<Stop>,
    /// From the injection until the drill saw the pool unhealthy.
    pub unhealthy_after: Option<Duration>,
    /// From the injection until the expected region answered traffic.
    pub shifted_after: Option<Duration>,
    /// When the drill saw the pool unhealthy (for the detection-lag benchmark).
    pub noticed_at: Option<SystemTime>,
}

impl Observed {
    /// Nothing was injected: `check` says why.
    pub fn nothing(check: Check) -> Self {
        Observed {
            checks: vec![check],
            ..Observed::default()
        }
    }
}

/// The drill's clock and its synthetic traffic, shared by the steps.
pub(super) struct Clock<'a> {
    /// When the drill started changing things; every timing counts from here.
    pub origin: Instant,
    /// Traffic through the LB, when the manifest configures it.
    pub traffic: Option<&'a TrafficGenerator>,
}

/// Steps 4–6: inject, wait for failover within the budget, hold.
pub(super) async fn inject_and_watch(
    c: &Connected,
    opts: &DrillOptions,
    p: &Prepared,
    clock: &Clock<'_>,
    signals: &mut SignalHandler,
    lost: &CancellationToken,
    progress: Progress<'_>,
) -> Observed {
    progress(&p.name, "injecting the outage");
    let t_inject = clock.origin.elapsed();
    let injected = match opts.method {
        DrillMethod::ScaleToZero => {
            p.w.scale(&p.live.name, 0)
                .await
                .map(|()| format!("scaled {} from {} to 0", p.live.name, p.live.replicas))
                .map_err(|e| describe::kube(&e))
        }
        DrillMethod::DisablePool => {
            p.cf.set_pool_enabled(&p.pool.id, false)
                .await
                .map(|_| format!("disabled pool {}", p.pool.name))
                .map_err(|e| describe::cf(&e))
        }
    };
    let mut seen = match injected {
        Err(e) => return Observed::nothing(Check::new("inject", Verdict::Error, e)),
        Ok(done) => Observed {
            injected: true,
            ..Observed::nothing(Check::new("inject", Verdict::Pass, done))
        },
    };

    // Step 5: observe failover.
    progress(&p.name, "waiting for failover");
    let deadline = crate::durations::deadline(Instant::now(), p.budget.failover);
    let poll = poll_interval(c);
    loop {
        if seen.unhealthy_after.is_none() && pool_is_gone(opts, p).await {
            seen.unhealthy_after = Some(clock.origin.elapsed().saturating_sub(t_inject));
            seen.noticed_at = Some(SystemTime::now());
        }
        if seen.unhealthy_after.is_some() {
            // Without traffic (or a region expected to take it) the pool's
            // health is all there is to go by.
            seen.shifted_after = match (clock.traffic, &p.receiver) {
                (Some(g), Some(r)) => g
                    .first_success_from(r, ms(t_inject))
                    .map(|at| Duration::from_millis(at.saturating_sub(ms(t_inject)))),
                _ => seen.unhealthy_after,
            };
        }
        if seen.shifted_after.is_some() || Instant::now() >= deadline {
            break;
        }
        if let Some(s) = wait(poll, signals, lost).await {
            seen.stop = Some(s);
            return seen;
        }
    }

    // Step 6: hold, watching the others.
    if seen.shifted_after.is_some() {
        progress(&p.name, "holding");
        let hold_until = crate::durations::deadline(Instant::now(), opts.hold);
        while Instant::now() < hold_until {
            let left = hold_until.saturating_duration_since(Instant::now());
            if let Some(s) =
                wait(poll.min(left).max(Duration::from_millis(10)), signals, lost).await
            {
                seen.stop = Some(s);
                break;
            }
        }
    }
    seen
}

/// Whether the drilled pool no longer takes traffic: a disabled pool at
/// once, a scaled-down one when Cloudflare reports it unhealthy.
async fn pool_is_gone(opts: &DrillOptions, p: &Prepared) -> bool {
    match opts.method {
        DrillMethod::DisablePool => true,
        DrillMethod::ScaleToZero => {
            matches!(p.cf.pool(&p.pool.id).await, Ok(pool) if pool.healthy == Some(false))
        }
    }
}
