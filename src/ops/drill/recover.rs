//! Step 7 of the drill: put back what it changed, on every path, then wait
//! for the pool and the traffic to come back.
//!
//! The restore runs to its end through a first signal (the signal only
//! means "exit 130 once everything is back"); a second one abandons it and
//! leaves the record with the exact command to finish. Waiting for recovery
//! changes nothing, so any stop ends the wait at once.

use std::time::Duration;

use tokio::time::Instant;

use crate::cloudflare::Pools;
use crate::facts::api::ApiProblem;
use crate::facts::drill::DrillFact;
use crate::facts::{Finding, Scope, Step, Verdict};
use crate::kube::Workloads;

use super::super::clients::Clients;
use super::super::describe::cf_problem;
use super::super::restore::{self, RestoreOptions};
use super::super::supervise::Supervisor;
use super::ms;
use super::observe::Clock;
use super::prepare::Prepared;

/// How putting things back went.
pub(super) struct Recovered {
    /// `restore …` checks, and the HPAs'.
    pub checks: Vec<Finding>,
    /// From the restore until the pool was healthy and, if the region served
    /// before, it answered traffic again.
    pub recovered_after: Option<Duration>,
    /// The record is still on the cluster: `ocfail restore` must finish.
    pub incomplete: bool,
    /// Cloudflare could not be read while waiting for recovery: why.
    pub blind: Option<ApiProblem>,
    /// When the restore began, on the drill's clock.
    pub restored_at: Duration,
}

/// Restores from the drill's record, then waits for recovery within the
/// budget (unless the run is stopping: then the restore is all).
pub(super) async fn restore_and_recover<W, P>(
    c: &Clients<W, P>,
    p: &Prepared<W, P>,
    clock: &Clock<'_>,
    sup: &mut Supervisor<'_>,
) -> Recovered
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    sup.phase(&p.name, Step::Restoring);
    let t_restore = clock.origin.elapsed();
    let opts = RestoreOptions {
        ready_timeout: c.fleet.rollout.ready_timeout,
        ..RestoreOptions::default()
    };
    let restored = sup
        .drive(restore::put_back(
            &p.w,
            Some(p.cf.as_ref()),
            &p.region,
            opts,
            &c.recovery,
        ))
        .await;
    let done = match restored {
        None => {
            let left = DrillFact::RestoreLeft {
                command: super::restore_command(c, &p.name),
            };
            return Recovered {
                checks: vec![Finding::new(Verdict::Error, left)],
                recovered_after: None,
                incomplete: true,
                blind: None,
                restored_at: t_restore,
            };
        }
        Some(done) if done.outcome == restore::Outcome::Incomplete => {
            return Recovered {
                checks: done.report.checks,
                recovered_after: None,
                incomplete: true,
                blind: None,
                restored_at: t_restore,
            };
        }
        Some(done) => done,
    };
    let named = |c: Finding| c.scoped(Scope::Restore);
    let mut checks: Vec<Finding> = done.report.checks.into_iter().map(named).collect();
    if sup.stopping() {
        // Everything is back; watching it come back is for a drill that
        // runs to its end.
        return Recovered {
            checks,
            recovered_after: None,
            incomplete: false,
            blind: None,
            restored_at: t_restore,
        };
    }
    let (recovered_after, blind) = wait_for_recovery(c, p, clock, t_restore, sup).await;
    // After recovery, so an HPA sync's wait does not count against it.
    if let Some(hpas) = sup
        .stoppable(restore::confirm_hpas(
            &p.w,
            &p.region,
            &done.scaled_up,
            opts,
            &c.recovery,
        ))
        .await
    {
        checks.extend(hpas.into_iter().map(named));
    }
    Recovered {
        checks,
        recovered_after,
        incomplete: false,
        blind,
        restored_at: t_restore,
    }
}

/// Waits within the recovery budget for the pool to be healthy and, if the
/// region served before, to answer traffic again: how long that took from
/// `t_restore`, or why Cloudflare could not tell. Any stop ends the wait.
async fn wait_for_recovery<W, P>(
    c: &Clients<W, P>,
    p: &Prepared<W, P>,
    clock: &Clock<'_>,
    t_restore: Duration,
    sup: &mut Supervisor<'_>,
) -> (Option<Duration>, Option<ApiProblem>)
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    sup.phase(&p.name, Step::WaitingForRecovery);
    let until = crate::durations::deadline(Instant::now(), p.budget.recover);
    let mut blind = None;
    loop {
        let polled = sup
            .stoppable(tokio::time::timeout_at(until, p.cf.pool(&p.pool.id)))
            .await;
        let healthy = match polled {
            None | Some(Err(_)) => break,
            Some(Ok(Err(e))) => {
                blind = Some(cf_problem(&e));
                false
            }
            Some(Ok(Ok(pool))) => {
                blind = None;
                pool.healthy == Some(true) && pool.enabled
            }
        };
        // Traffic only has to come back if the region was serving before the drill.
        let back = match clock.traffic {
            Some(g) if p.was_serving => g.first_success_from(&p.name, ms(t_restore)).is_some(),
            _ => true,
        };
        if healthy && back {
            return (Some(clock.origin.elapsed().saturating_sub(t_restore)), None);
        }
        let now = Instant::now();
        if now >= until || !sup.sleep(c.poll.min(until - now)).await {
            break;
        }
    }
    (None, blind)
}
