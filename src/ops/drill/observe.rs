//! Steps 4–6 of the drill: inject the outage, watch the pool turn unhealthy
//! and the traffic move, then hold while the other regions carry it.
//!
//! Every Cloudflare read is bounded by the failover deadline, not only by
//! its request timeout: a hanging API, 5xx bursts or a 429 asking to come
//! back in five minutes must not keep a region down past its budget. When
//! the deadline passes without Cloudflare having been readable, the drill
//! could not check (`blind`), which is not a failed failover.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::cloudflare::Pools;
use crate::facts::api::ApiProblem;
use crate::facts::drill::{DrillFact, Inject};
use crate::facts::{Finding, Step, Verdict};
use crate::kube::Workloads;
use crate::manifest::DrillMethod;

use super::super::clients::Clients;
use super::super::describe::{cf_problem, kube_problem};
use super::super::guards::Watch;
use super::super::supervise::{StopReason, Supervisor};
use super::super::traffic::TrafficGenerator;
use super::guarded;
use super::prepare::Prepared;
use super::{DrillOptions, ms};

/// What the drill saw between the record and the restore.
#[derive(Default)]
pub(super) struct Observed {
    /// `inject` (or the failed `record`).
    pub checks: Vec<Finding>,
    /// The outage was injected (the record was written first), or may have
    /// been (the write was abandoned).
    pub injected: bool,
    /// Why waiting ended early, if it did.
    pub stop: Option<StopReason>,
    /// From the injection until the drill saw the pool unhealthy.
    pub unhealthy_after: Option<Duration>,
    /// From the injection until the expected region answered traffic.
    pub shifted_after: Option<Duration>,
    /// When the drill saw the pool unhealthy (for the detection-lag benchmark).
    pub noticed_at: Option<SystemTime>,
    /// Cloudflare could not be read when it mattered: why.
    pub blind: Option<ApiProblem>,
    /// When the outage was injected, on the drill's clock.
    pub injected_at: Option<Duration>,
    /// When the outage was injected, on the wall clock (Prometheus' time).
    pub injected_wall: Option<SystemTime>,
    /// A `during` guard breached, which ended the wait or the hold.
    pub guard_breached: bool,
}

impl Observed {
    /// Nothing was injected: `check` says why.
    pub fn nothing(check: Finding) -> Self {
        Observed {
            checks: vec![check],
            ..Observed::default()
        }
    }

    /// A second signal abandoned the run while it was writing: whether the
    /// write landed is unknown, so it counts as done.
    pub fn abandoned() -> Self {
        Observed {
            injected: true,
            ..Observed::default()
        }
    }
}

/// The drill's clock and its synthetic traffic, shared by the steps.
pub(super) struct Clock<'a> {
    /// When the drill started changing things; every timing counts from
    /// here (Tokio's clock, so tests under a paused clock measure it too).
    pub origin: Instant,
    /// Traffic through the LB, when the manifest configures it.
    pub traffic: Option<&'a TrafficGenerator>,
}

/// Steps 4–6: inject, wait for failover within the budget, hold.
pub(super) async fn inject_and_watch<W, P>(
    c: &Clients<W, P>,
    opts: &DrillOptions,
    p: &Prepared<W, P>,
    clock: &Clock<'_>,
    sup: &mut Supervisor<'_>,
) -> Observed
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    sup.phase(&p.name, Step::Injecting);
    let t_inject = clock.origin.elapsed();
    let inject = async {
        match opts.method {
            DrillMethod::ScaleToZero => {
                p.w.scale(&p.live.name, 0)
                    .await
                    .map(|()| Inject::Scaled {
                        deployment: p.live.name.clone(),
                        from: p.live.replicas,
                    })
                    .map_err(|e| kube_problem(&e))
            }
            DrillMethod::DisablePool => {
                p.cf.set_pool_enabled(&p.pool.id, false)
                    .await
                    .map(|_| Inject::Disabled {
                        pool: p.pool.name.clone(),
                    })
                    .map_err(|e| cf_problem(&e))
            }
        }
    };
    let injected = |verdict, i| Finding::new(verdict, DrillFact::Inject(i));
    // A write in flight runs to its end: dropped, nobody would know
    // whether it landed.
    let mut seen = match sup.drive(inject).await {
        None => return Observed::abandoned(),
        Some(Err(e)) => return Observed::nothing(injected(Verdict::Error, Inject::Failed(e))),
        Some(Ok(done)) => Observed {
            injected: true,
            injected_at: Some(t_inject),
            injected_wall: Some(SystemTime::now()),
            ..Observed::nothing(injected(Verdict::Pass, done))
        },
    };
    if sup.stopping() {
        seen.stop = sup.reason();
        return seen;
    }
    // From here until the restore, the `during` guards are watched; a
    // breach ends the wait or the hold like a stop, but the restore and
    // the wait for recovery still run in full.
    let watch = guarded::watch(&c.fleet, p.guarded.as_ref());
    let breached = watch.as_ref().map(Watch::breached);
    failover_and_hold(
        c,
        opts,
        p,
        clock,
        t_inject,
        &mut seen,
        breached.as_ref(),
        sup,
    )
    .await;
    if let Some(w) = watch {
        seen.checks.extend(w.stop().await);
    }
    seen.guard_breached = breached.is_some_and(|b| b.is_cancelled());
    seen
}

/// Steps 5–6: the failover within its budget, then the hold.
#[allow(clippy::too_many_arguments)]
async fn failover_and_hold<W, P>(
    c: &Clients<W, P>,
    opts: &DrillOptions,
    p: &Prepared<W, P>,
    clock: &Clock<'_>,
    t_inject: Duration,
    seen: &mut Observed,
    breached: Option<&CancellationToken>,
    sup: &mut Supervisor<'_>,
) where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    // Step 5: observe failover, within the budget whatever Cloudflare does.
    if !wait_for_failover(c, opts, p, clock, t_inject, seen, breached, sup).await {
        seen.stop = sup.reason();
        return;
    }
    if breached.is_some_and(CancellationToken::is_cancelled) {
        return;
    }
    // Step 6: hold, watching the others.
    if seen.shifted_after.is_some() {
        sup.phase(&p.name, Step::Holding);
        if !guarded::pause(sup, opts.hold, breached).await {
            seen.stop = sup.reason();
        }
    }
}

/// Step 5: polls until the pool is seen down and traffic moved, or the
/// failover budget runs out, or a `during` guard breaches; `false` when
/// the run is stopping.
#[allow(clippy::too_many_arguments)]
async fn wait_for_failover<W, P>(
    c: &Clients<W, P>,
    opts: &DrillOptions,
    p: &Prepared<W, P>,
    clock: &Clock<'_>,
    t_inject: Duration,
    seen: &mut Observed,
    breached: Option<&CancellationToken>,
    sup: &mut Supervisor<'_>,
) -> bool
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    sup.phase(&p.name, Step::WaitingForFailover);
    let until = crate::durations::deadline(Instant::now(), p.budget.failover);
    let mut blind: Option<ApiProblem> = None;
    loop {
        if seen.unhealthy_after.is_none() {
            let polled = sup
                .stoppable(tokio::time::timeout_at(until, pool_is_gone(opts, p)))
                .await;
            match polled {
                None => return false,
                // The deadline cut a poll short: what the last answers
                // said (or failed to say) stands.
                Some(Err(_)) => break,
                Some(Ok(Ok(Some(at)))) => {
                    // As of the request that saw it, not its answer: waiting
                    // out a 429 or a retry does not stretch the time.
                    let since_origin = at.saturating_duration_since(clock.origin);
                    seen.unhealthy_after = Some(since_origin.saturating_sub(t_inject));
                    seen.noticed_at = Some(SystemTime::now());
                    blind = None;
                }
                Some(Ok(Ok(None))) => blind = None,
                Some(Ok(Err(e))) => blind = Some(cf_problem(&e)),
            }
        }
        // Traffic tells of the move whatever Cloudflare's API says; without
        // traffic (or a region expected to take it) the pool's health is
        // all there is to go by.
        seen.shifted_after = match (clock.traffic, &p.receiver) {
            (Some(g), Some(r)) => g
                .first_success_from(r, ms(t_inject))
                .map(|at| Duration::from_millis(at.saturating_sub(ms(t_inject)))),
            _ => seen.unhealthy_after,
        };
        let now = Instant::now();
        // Moved, and the pool seen down, or Cloudflare out of sight (then
        // waiting longer would only keep the region down).
        let done =
            seen.shifted_after.is_some() && (seen.unhealthy_after.is_some() || blind.is_some());
        if done || now >= until || breached.is_some_and(CancellationToken::is_cancelled) {
            break;
        }
        if !guarded::pause(sup, c.poll.min(until - now), breached).await {
            return false;
        }
    }
    if seen.unhealthy_after.is_none() {
        seen.blind = blind;
    }
    true
}

/// When the drilled pool was seen no longer taking traffic (`None`: it
/// still does): a disabled pool at once, a scaled-down one when Cloudflare
/// reports it unhealthy.
async fn pool_is_gone<W, P: Pools>(
    opts: &DrillOptions,
    p: &Prepared<W, P>,
) -> Result<Option<Instant>, crate::cloudflare::CfError> {
    match opts.method {
        DrillMethod::DisablePool => Ok(Some(Instant::now())),
        DrillMethod::ScaleToZero => {
            let (pool, at) = p.cf.pool_as_of(&p.pool.id).await?;
            Ok((pool.healthy == Some(false)).then_some(at))
        }
    }
}
