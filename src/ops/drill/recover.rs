//! Step 7 of the drill: put back what it changed, on every path, then wait
//! for the pool and the traffic to come back.

use std::time::{Duration, Instant};

use crate::cloudflare::Pools;
use crate::report::model::{Check, Verdict};
use crate::signal::SignalHandler;

use super::super::connect::Connected;
use super::super::restore::{self, RestoreOptions};
use super::observe::Clock;
use super::prepare::Prepared;
use super::{Progress, ms, poll_interval};

/// How putting things back went.
pub(super) struct Recovered {
    /// `restore …` checks, and the HPAs'.
    pub checks: Vec<Check>,
    /// From the restore until the pool was healthy and, if the region served
    /// before, it answered traffic again.
    pub recovered_after: Option<Duration>,
    /// The record is still on the cluster: `ocfail restore` must finish.
    pub incomplete: bool,
}

/// Restores from the drill's record, then waits for recovery within the
/// budget. A second Ctrl-C stops waiting and leaves the record.
pub(super) async fn restore_and_recover(
    c: &Connected,
    p: &Prepared,
    clock: &Clock<'_>,
    signals: &mut SignalHandler,
    progress: Progress<'_>,
) -> Recovered {
    progress(&p.name, "restoring");
    let t_restore = clock.origin.elapsed();
    let opts = RestoreOptions {
        ready_timeout: c.fleet.rollout.ready_timeout,
        ..RestoreOptions::default()
    };
    let restored = tokio::select! {
        r = restore::put_back(&p.w, Some(p.cf.as_ref()), &p.region, opts) => Some(r),
        _ = signals.recv() => None,
    };
    let done = match restored {
        None => {
            let left = Check::new(
                "restore",
                Verdict::Error,
                format!(
                    "stopped waiting on a second Ctrl-C; the record is left: run `ocfail restore --region {}`",
                    p.name
                ),
            );
            return Recovered {
                checks: vec![left],
                recovered_after: None,
                incomplete: true,
            };
        }
        Some(done) if done.outcome == restore::Outcome::Incomplete => {
            return Recovered {
                checks: done.report.checks,
                recovered_after: None,
                incomplete: true,
            };
        }
        Some(done) => done,
    };
    let named = |mut c: Check| {
        c.name = format!("restore {}", c.name);
        c
    };
    let mut checks: Vec<Check> = done.report.checks.into_iter().map(named).collect();
    progress(&p.name, "waiting for recovery");
    let deadline = crate::durations::deadline(Instant::now(), p.budget.recover);
    let poll = poll_interval(c);
    let mut recovered_after = None;
    loop {
        let healthy = matches!(p.cf.pool(&p.pool.id).await, Ok(pool) if pool.healthy == Some(true) && pool.enabled);
        // Traffic only has to come back if the region was serving before the drill.
        let back = match clock.traffic {
            Some(g) if p.was_serving => g.first_success_from(&p.name, ms(t_restore)).is_some(),
            _ => true,
        };
        if healthy && back {
            recovered_after = Some(clock.origin.elapsed().saturating_sub(t_restore));
            break;
        }
        if Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(poll).await;
    }
    // After recovery, so an HPA sync's wait does not count against it.
    let hpas = restore::confirm_hpas(&p.w, &p.region, &done.scaled_up, opts).await;
    checks.extend(hpas.into_iter().map(named));
    Recovered {
        checks,
        recovered_after,
        incomplete: false,
    }
}
