//! `ocfail drill --region R`: the outage drill of docs/drills.md — steady
//! state, safety rules, lock, record, inject, observe failover, hold,
//! restore (always), steady state after, verdicts.
//!
//! Every change is recorded on the cluster (`ocfail.dev/drill`) before it is
//! made, so an interrupted drill can be finished by `ocfail restore`. Every
//! step runs under the [`Supervisor`], whose policy decides what a signal
//! or a lost lock means at that moment: before the injection nothing is
//! changed; after it, everything is put back; during the restore only a
//! second signal stops it, leaving the exact restore command.

use std::time::{Duration, SystemTime};

use crate::cloudflare::Pools;
use crate::exit_code;
use crate::facts::drill::{
    DrillFact, DrillNote, DrillSummary, Inject, Refusal, Stop, Timings, Unreadable,
};
use crate::facts::{Finding, Findings, Note, RegionFindings, Step, TrafficSummary, Verdict};
use crate::kube::Workloads;
use crate::manifest::{DrillMethod, Fleet, Timeout};

use super::clients::Clients;
use super::describe::kube_problem;
use super::lock::{self, FleetLock, Holder, LockOptions};
use super::process::ProcessId;
use super::record::{DrillRecord, method_name};
use super::safety::Rule;
use super::snapshot::{self, DRILL_ANNOTATION, LAST_DRILL_ANNOTATION};
use super::supervise::{StopReason, Supervisor};
use super::traffic::phases::{self, Moments, Split};
use super::traffic::{TrafficGenerator, summarize};

mod explain;
mod guarded;
mod observe;
mod prepare;
mod recover;
mod verdict;

#[cfg(test)]
mod tests;

pub use super::supervise::Progress;

use self::observe::{Clock, Observed};
use self::prepare::Prepared;
use self::recover::Recovered;
use self::verdict::Ended;

/// What to drill and how.
#[derive(Clone, Debug)]
pub struct DrillOptions {
    /// The region to take down.
    pub region: String,
    /// How long to keep it down once failover is confirmed.
    pub hold: Duration,
    /// How the outage is injected.
    pub method: DrillMethod,
    /// Only check and print the plan.
    pub dry_run: bool,
    /// Rules passed with `--override RULE --reason TEXT`.
    pub overrides: Vec<(Rule, String)>,
    /// Guards and blocking alerts passed with `--override guard:<name>
    /// --reason TEXT`: `(name, reason)`.
    pub guard_overrides: Vec<(String, String)>,
    /// This run's id.
    pub run_id: String,
}

/// The drill's result for the report.
#[derive(Clone, Debug, Default)]
pub struct DrillOutcome {
    /// Per region, the traffic and the exit code that outranks the verdicts'.
    pub findings: Findings,
    /// When the drill saw the pool turn unhealthy (for the detection-lag benchmark).
    pub unhealthy_noticed_at: Option<SystemTime>,
    /// Cloudflare requests this drill made (budget accounting).
    pub cloudflare_requests: u64,
}

pub(super) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// An outcome that changed nothing: one report for `region` with `checks`.
fn unchanged(
    region: &str,
    summary: DrillSummary,
    checks: Vec<Finding>,
    notes: Vec<Note>,
    code: u8,
) -> DrillOutcome {
    DrillOutcome {
        findings: Findings {
            regions: vec![RegionFindings::from_checks(region, summary, checks)],
            notes,
            traffic: None,
            exit_code: Some(code),
        },
        unhealthy_noticed_at: None,
        cloudflare_requests: 0,
    }
}

fn refused(region: &str, why: Vec<Refusal>, notes: Vec<Note>) -> DrillOutcome {
    let checks = why
        .into_iter()
        .map(|w| Finding::new(Verdict::Fail, DrillFact::Refused(w)))
        .collect();
    unchanged(
        region,
        DrillSummary::Refused,
        checks,
        notes,
        exit_code::REFUSED,
    )
}

/// Something could not be read before anything changed: "could not check"
/// (exit 3), with what could not be read.
fn unavailable_before(region: &str, why: Vec<Unreadable>) -> DrillOutcome {
    let checks = why
        .into_iter()
        .map(|w| Finding::new(Verdict::Error, DrillFact::Unreadable(w)))
        .collect();
    unchanged(
        region,
        DrillSummary::CouldNotCheck,
        checks,
        Vec::new(),
        exit_code::UNAVAILABLE,
    )
}

/// The lock could not be taken for an API error: nothing was changed, and
/// the exit code says "could not check" (3), not "refused" (5).
fn unavailable(region: &str, e: &lock::LockError, notes: Vec<Note>) -> DrillOutcome {
    let failed = DrillFact::LockUnavailable { error: e.line() };
    unchanged(
        region,
        DrillSummary::LockUnavailable,
        vec![Finding::new(Verdict::Error, failed)],
        notes,
        e.exit_code(),
    )
}

/// Stopped before anything changed: exit 130, nothing to put back.
fn stopped_before(region: &str, reason: Option<StopReason>, notes: Vec<Note>) -> DrillOutcome {
    let stopped = DrillFact::StoppedBefore {
        stop: reason.map(Stop::from),
    };
    unchanged(
        region,
        DrillSummary::StoppedBefore,
        vec![Finding::new(Verdict::Skipped, stopped)],
        notes,
        exit_code::INTERRUPTED,
    )
}

impl From<StopReason> for Stop {
    fn from(r: StopReason) -> Self {
        match r {
            StopReason::Signal(s) => Stop::Signal(s),
            StopReason::LockLost => Stop::LockLost,
        }
    }
}

/// Runs the drill under `sup`, which owns the signals and the progress display.
pub async fn run<W, P>(
    c: &Clients<W, P>,
    opts: &DrillOptions,
    sup: &mut Supervisor<'_>,
) -> DrillOutcome
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    let fleet = &c.fleet;
    let phases = sup.phases();
    // Steps 1–2 only read: a signal here stops them where they are.
    let mut p = match sup.stoppable(prepare::prepare(c, opts, &phases)).await {
        None => return stopped_before(&opts.region, sup.reason(), Vec::new()),
        Some(Err(refusal)) => return *refusal,
        Some(Ok(p)) => p,
    };
    if opts.dry_run {
        return prepare::dry_run(fleet, opts, p);
    }
    let mut notes = std::mem::take(&mut p.notes);
    let holder = Holder::new("drill", &opts.run_id);
    let fleet_lock =
        match take_lock(fleet, c.recovery.in_cluster, &p, &holder, sup, &mut notes).await {
            Ok(l) => l,
            Err(out) => return *out,
        };
    sup.watch_lock(fleet_lock.lost());

    // Step 3: record before acting; steps 4–6 only once it is on the cluster.
    let origin = tokio::time::Instant::now();
    let traffic_gen = fleet
        .traffic
        .as_ref()
        .and_then(|t| TrafficGenerator::start(t, origin.into_std()).ok());
    let clock = Clock {
        origin,
        traffic: traffic_gen.as_ref(),
    };
    let seen = record_and_inject(c, opts, &p, &holder, &clock, sup).await;

    // Step 7: restore, always.
    let back = recover::restore_and_recover(c, &p, &clock, sup).await;
    // The `after` phase needs enough requests to be judged: keep sending a
    // little longer once the region is back.
    if let (Some(t), Some(_)) = (&fleet.traffic, back.recovered_after) {
        sup.phase(&p.name, Step::WatchingAfterRecovery);
        let _ = sup.sleep(after_window(t.rps)).await;
    }
    // Then Prometheus: the `after` guards and the expected alerts.
    let mut later = Vec::new();
    if let (Some(g), Some(at)) = (&p.guarded, seen.injected_wall)
        && !sup.stopping()
        && !back.incomplete
    {
        sup.phase(&p.name, Step::CheckingGuards);
        let back_for = back.recovered_after.map(|r| {
            let recovered = back.restored_at.saturating_add(r);
            origin.elapsed().saturating_sub(recovered)
        });
        later = guarded::after(fleet, g, at, back_for, sup).await;
    }
    let max_outage = match fleet.drill.max_outage {
        Timeout::Auto => p.budget.failover,
        Timeout::Fixed(d) => d,
    };
    let (traffic, split) = match traffic_gen {
        Some(g) => {
            let (summary, split) = by_phase(g, &seen, &back, &p, max_outage, &mut notes).await;
            (Some(summary), split)
        }
        None => (None, None),
    };
    let released = sup.drive(fleet_lock.release()).await;
    notes.extend(release_notes(released.as_ref()));
    let stop = sup.reason();
    let exit_code = stopped_code(stop, back.incomplete, &mut notes);

    // Step 8: verdicts.
    let ended = Ended {
        timings: Timings {
            unhealthy: seen.unhealthy_after,
            shifted: seen.shifted_after,
            recovered: back.recovered_after,
        },
        budget: p.budget,
        split: split.as_ref(),
        max_outage,
        injected: seen.injected,
        stopped: stop
            .map(Stop::from)
            .or(seen.guard_breached.then_some(Stop::GuardBreached)),
        restore_incomplete: back.incomplete,
        blind: seen.blind.clone(),
        recovery_blind: back.blind.clone(),
        restore_command: restore_command(c, &p.name),
    };
    let mut checks = p
        .guarded
        .as_ref()
        .map(|g| g.before.clone())
        .unwrap_or_default();
    checks.extend(seen.checks);
    checks.extend(back.checks);
    checks.extend(later);
    let mut regions = judge(c, opts, &p, checks, &ended, traffic.as_ref(), sup).await;
    if let Some(Err(e)) = &released {
        lock::report_unreleased(&mut regions, e, fleet, c.recovery.in_cluster);
    }
    DrillOutcome {
        findings: Findings {
            regions,
            notes,
            traffic,
            exit_code,
        },
        unhealthy_noticed_at: seen.noticed_at,
        cloudflare_requests: p.cf.requests_sent().saturating_sub(p.requests_before),
    }
}

/// Step 0: the lock (after the read-only checks, so a refusal holds
/// nothing). Taking it runs to its end: dropped half-way, it would leave
/// leases for 30 s; a signal meanwhile releases it and changes nothing.
async fn take_lock<W, P>(
    fleet: &Fleet,
    in_cluster: bool,
    p: &Prepared<W, P>,
    holder: &Holder,
    sup: &mut Supervisor<'_>,
    notes: &mut Vec<Note>,
) -> Result<FleetLock<W>, Box<DrillOutcome>>
where
    W: Workloads + Clone + 'static,
{
    let name = &p.name;
    sup.phase(name, Step::TakingLock);
    let fleet_lock = match sup
        .drive(lock::acquire(&p.clients, holder, &LockOptions::default()))
        .await
    {
        None => {
            notes.push(DrillNote::LockMayBeLeft.into());
            return Err(Box::new(stopped_before(
                name,
                sup.reason(),
                std::mem::take(notes),
            )));
        }
        Some(Err(e)) if e.exit_code() == exit_code::REFUSED => {
            let held = Refusal::Locked { error: e.line() };
            return Err(Box::new(refused(name, vec![held], std::mem::take(notes))));
        }
        Some(Err(e)) => return Err(Box::new(unavailable(name, &e, std::mem::take(notes)))),
        Some(Ok(l)) => l,
    };
    if !sup.stopping() {
        return Ok(fleet_lock);
    }
    let released = sup.drive(fleet_lock.release()).await;
    notes.extend(release_notes(released.as_ref()));
    let mut out = stopped_before(name, sup.reason(), std::mem::take(notes));
    if let Some(Err(e)) = &released {
        lock::report_unreleased(&mut out.findings.regions, e, fleet, in_cluster);
    }
    Err(Box::new(out))
}

/// Step 3, the record, then steps 4–6 once it is on the cluster.
async fn record_and_inject<W, P>(
    c: &Clients<W, P>,
    opts: &DrillOptions,
    p: &Prepared<W, P>,
    holder: &Holder,
    clock: &Clock<'_>,
    sup: &mut Supervisor<'_>,
) -> Observed
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    sup.phase(&p.name, Step::Recording);
    let record = record(opts, p, holder);
    let written = sup
        .drive(p.w.annotate_deployment(&p.live.name, DRILL_ANNOTATION, Some(&record.to_json())))
        .await;
    match written {
        // Abandoned mid-write: the record may be there; restore says.
        None => Observed::abandoned(),
        Some(Err(e)) => Observed::nothing(Finding::new(
            Verdict::Error,
            DrillFact::RecordFailed(kube_problem(&e)),
        )),
        Some(Ok(())) if sup.stopping() => Observed::nothing(Finding::new(
            Verdict::Skipped,
            DrillFact::Inject(Inject::Skipped {
                stop: sup.reason().map(Stop::from),
            }),
        )),
        Some(Ok(())) => observe::inject_and_watch(c, opts, p, clock, sup).await,
    }
}

/// The traffic's summary and, once the outage was injected, its phases:
/// the outage window, and a note on why users saw errors in it.
async fn by_phase<W, P>(
    g: TrafficGenerator,
    seen: &Observed,
    back: &Recovered,
    p: &Prepared<W, P>,
    max_outage: Duration,
    notes: &mut Vec<Note>,
) -> (TrafficSummary, Option<Split>) {
    let samples = g.stop_samples().await;
    let mut summary = summarize(&samples);
    let split = seen.injected_at.map(|at| {
        let moments = Moments {
            injected_ms: ms(at),
            restored_ms: Some(ms(back.restored_at)),
            recovered_ms: back
                .recovered_after
                .map(|r| ms(back.restored_at.saturating_add(r))),
        };
        phases::split(&samples, &p.name, &moments, ms(max_outage))
    });
    if let Some(s) = &split {
        summary.phases.clone_from(&s.phases);
        summary.outage_window.clone_from(&s.window);
        if let (Some(w), Some(outage)) = (&s.window, s.phase(phases::Phase::Outage)) {
            notes.extend(explain::why_users_saw_errors(outage, w, p.across_pools).map(Note::from));
        }
    }
    (summary, split)
}

/// The exit code that outranks the verdicts' when the drill did not run to
/// its end (the restore left, a signal), with a note on what happened.
fn stopped_code(
    stop: Option<StopReason>,
    restore_incomplete: bool,
    notes: &mut Vec<Note>,
) -> Option<u8> {
    let left = restore_incomplete.then_some(exit_code::RESTORE_INCOMPLETE);
    match stop {
        Some(StopReason::Signal(signal)) if left.is_none() => {
            notes.push(DrillNote::Interrupted { signal }.into());
            Some(exit_code::INTERRUPTED)
        }
        Some(StopReason::LockLost) => {
            notes.push(DrillNote::LockLost.into());
            left
        }
        _ => left,
    }
}

/// Step 8: the drilled region's verdict and report, its `last-drill`
/// annotation, and every other region as seen afterwards.
async fn judge<W, P>(
    c: &Clients<W, P>,
    opts: &DrillOptions,
    p: &Prepared<W, P>,
    checks: Vec<Finding>,
    ended: &Ended<'_>,
    traffic: Option<&TrafficSummary>,
    sup: &mut Supervisor<'_>,
) -> Vec<RegionFindings>
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    let fleet = &c.fleet;
    let verdict = match verdict::of(fleet, ended) {
        // The lock's renewals failed until it expired: the API could not
        // be kept in sight, which is "could not check", not "no data".
        Verdict::Inconclusive if ended.stopped == Some(Stop::LockLost) => Verdict::Error,
        v => v,
    };
    let drilled = verdict::drilled(fleet, &p.name, verdict, checks, ended);
    if !ended.restore_incomplete && !sup.abandoned() {
        let summary = verdict::last_drill(&opts.run_id, verdict, ended.timings);
        // The drill is over either way; status merely shows no last result.
        let _ = sup
            .drive(p.w.annotate_deployment(&p.live.name, LAST_DRILL_ANNOTATION, Some(&summary)))
            .await;
    }
    let after = sup
        .drive(snapshot::fleet(
            fleet,
            c.regions.clone(),
            Ok(p.cf.clone()),
            64,
        ))
        .await;
    verdict::fleet_reports(
        fleet,
        after.as_ref(),
        drilled,
        p.receiver.as_deref(),
        ended.timings.shifted.is_some(),
        traffic,
    )
}

/// The command that finishes this drill's restore of `region`.
fn restore_command<W, P>(c: &Clients<W, P>, region: &str) -> String {
    c.recovery.ocfail(&format!("restore --region {region}"))
}

/// Notes for a lock release: only when a second signal stopped it (a
/// failed release is a `lock` warn check, see [`lock::report_unreleased`]).
fn release_notes(released: Option<&Result<(), lock::LockError>>) -> Option<Note> {
    match released {
        Some(_) => None,
        None => Some(DrillNote::StoppedReleasingLock.into()),
    }
}

/// The `ocfail.dev/drill` record: what restore needs to put back.
fn record<W, P>(opts: &DrillOptions, p: &Prepared<W, P>, holder: &Holder) -> DrillRecord {
    let disables = opts.method == DrillMethod::DisablePool;
    DrillRecord {
        run_id: opts.run_id.clone(),
        replicas: p.live.replicas,
        method: method_name(opts.method).to_owned(),
        started_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        by: holder
            .as_str()
            .rsplit('/')
            .nth(1)
            .unwrap_or("unknown")
            .to_owned(),
        pool_enabled: disables.then_some(p.pool.enabled),
        pool_id: disables.then(|| p.pool.id.clone()),
        process: ProcessId::current(),
    }
}

/// How long traffic keeps going after recovery: enough requests at `rps`
/// to judge the `after` phase, at most 30 s.
fn after_window(rps: f64) -> Duration {
    // A quarter more than needed: the pacer's first tick and the stop
    // both cost a request or so.
    let wanted = 1.25 * verdict::MIN_REQUESTS as f64 / rps.max(0.01);
    Duration::from_secs_f64(wanted.clamp(0.0, 30.0))
}
