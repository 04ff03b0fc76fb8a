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
use crate::facts::Step;
use crate::facts::{Finding, Note, RegionFindings, Verdict};
use crate::kube::Workloads;
use crate::manifest::{DrillMethod, Timeout};

use super::clients::Clients;
use super::lock::{self, Holder, LockOptions};
use super::process::ProcessId;
use super::record::{DrillRecord, method_name};
use super::safety::{self, Rule};
use super::snapshot::{self, DRILL_ANNOTATION, LAST_DRILL_ANNOTATION};
use super::supervise::{StopReason, Supervisor};
use super::traffic::phases::{self, Moments};
use super::traffic::{TrafficGenerator, summarize};
use crate::facts::Findings;

mod explain;
mod observe;
mod prepare;
mod recover;
mod verdict;

#[cfg(test)]
mod tests;

pub use super::supervise::Progress;

use self::observe::{Clock, Observed};
use self::prepare::Prepared;
use self::verdict::{Ended, Timings};

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
    summary: &str,
    checks: Vec<Finding>,
    notes: Vec<String>,
    code: u8,
) -> DrillOutcome {
    DrillOutcome {
        findings: Findings {
            regions: vec![RegionFindings::from_checks(region, summary, checks)],
            notes: Note::texts(notes),
            traffic: None,
            exit_code: Some(code),
        },
        unhealthy_noticed_at: None,
        cloudflare_requests: 0,
    }
}

fn refused(region: &str, why: Vec<String>, notes: Vec<String>) -> DrillOutcome {
    let checks = why
        .into_iter()
        .map(|w| Finding::text("refused", Verdict::Fail, w))
        .collect();
    unchanged(
        region,
        "refused: nothing was changed",
        checks,
        notes,
        exit_code::REFUSED,
    )
}

/// Something could not be read before anything changed: "could not check"
/// (exit 3), with what could not be read.
fn unavailable_before(region: &str, why: Vec<String>) -> DrillOutcome {
    let checks = why
        .into_iter()
        .map(|w| Finding::text("read", Verdict::Error, w))
        .collect();
    unchanged(
        region,
        "could not check: nothing was changed",
        checks,
        Vec::new(),
        exit_code::UNAVAILABLE,
    )
}

/// The lock could not be taken for an API error: nothing was changed, and
/// the exit code says "could not check" (3), not "refused" (5).
fn unavailable(region: &str, e: &lock::LockError, notes: Vec<String>) -> DrillOutcome {
    unchanged(
        region,
        "could not take the lock: nothing was changed",
        vec![Finding::text("lock", Verdict::Error, e.line())],
        notes,
        e.exit_code(),
    )
}

/// Stopped before anything changed: exit 130, nothing to put back.
fn stopped_before(region: &str, reason: Option<StopReason>, notes: Vec<String>) -> DrillOutcome {
    let why = stop_words(reason);
    unchanged(
        region,
        "stopped before the outage: nothing was changed",
        vec![Finding::text(
            "stopped",
            Verdict::Skipped,
            format!("{why} before the outage was injected; nothing was changed"),
        )],
        notes,
        exit_code::INTERRUPTED,
    )
}

/// How a stop reason reads in a report.
fn stop_words(reason: Option<StopReason>) -> String {
    match reason {
        Some(StopReason::Signal(s)) => format!("stopped by {}", s.name()),
        Some(StopReason::LockLost) => "stopped: the fleet lock was lost".to_owned(),
        None => "stopped".to_owned(),
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
    let name = p.name.clone();

    // Step 0: the lock (after the read-only checks, so a refusal holds
    // nothing). Taking it runs to its end: dropped half-way, it would leave
    // leases for 30 s; a signal meanwhile releases it and changes nothing.
    sup.phase(&name, Step::TakingLock);
    let holder = Holder::new("drill", &opts.run_id);
    let fleet_lock = match sup
        .drive(lock::acquire(&p.clients, &holder, &LockOptions::default()))
        .await
    {
        None => {
            notes.push("the lock may be left for up to 30 s (it expires by itself)".to_owned());
            return stopped_before(&name, sup.reason(), notes);
        }
        Some(Err(e)) if e.exit_code() == exit_code::REFUSED => {
            return refused(&name, vec![e.line()], notes);
        }
        Some(Err(e)) => return unavailable(&name, &e, notes),
        Some(Ok(l)) => l,
    };
    if sup.stopping() {
        let released = sup.drive(fleet_lock.release()).await;
        notes.extend(release_notes(released.as_ref()));
        let mut out = stopped_before(&name, sup.reason(), notes);
        if let Some(Err(e)) = &released {
            lock::report_unreleased(&mut out.findings.regions, e, fleet);
        }
        return out;
    }
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
    sup.phase(&name, Step::Recording);
    let record = record(opts, &p, &holder);
    let written = sup
        .drive(p.w.annotate_deployment(&p.live.name, DRILL_ANNOTATION, Some(&record.to_json())))
        .await;
    let seen = match written {
        // Abandoned mid-write: the record may be there; restore says.
        None => Observed::abandoned(),
        Some(Err(e)) => {
            Observed::nothing(Finding::text("record", Verdict::Error, describe_kube(&e)))
        }
        Some(Ok(())) if sup.stopping() => Observed::nothing(Finding::text(
            "inject",
            Verdict::Skipped,
            format!(
                "{} before the outage was injected",
                stop_words(sup.reason())
            ),
        )),
        Some(Ok(())) => observe::inject_and_watch(c, opts, &p, &clock, sup).await,
    };

    // Step 7: restore, always.
    let back = recover::restore_and_recover(c, &p, &clock, sup).await;
    // The `after` phase needs enough requests to be judged: keep sending a
    // little longer once the region is back.
    if let (Some(t), Some(_)) = (&fleet.traffic, back.recovered_after) {
        sup.phase(&name, Step::WatchingAfterRecovery);
        let _ = sup.sleep(after_window(t.rps)).await;
    }
    let max_outage = match fleet.drill.max_outage {
        Timeout::Auto => p.budget.failover,
        Timeout::Fixed(d) => d,
    };
    let (traffic, split) = match (traffic_gen, seen.injected_at) {
        (Some(g), injected_at) => {
            let samples = g.stop_samples().await;
            let mut summary = summarize(&samples);
            let split = injected_at.map(|at| {
                let moments = Moments {
                    injected_ms: ms(at),
                    restored_ms: Some(ms(back.restored_at)),
                    recovered_ms: back
                        .recovered_after
                        .map(|r| ms(back.restored_at.saturating_add(r))),
                };
                phases::split(&samples, &name, &moments, ms(max_outage))
            });
            if let Some(s) = &split {
                summary.phases.clone_from(&s.phases);
                summary.outage_window.clone_from(&s.window);
                if let (Some(w), Some(outage)) = (&s.window, s.phase(phases::Phase::Outage)) {
                    notes.extend(explain::why_users_saw_errors(outage, w, p.across_pools));
                }
            }
            (Some(summary), split)
        }
        (None, _) => (None, None),
    };
    let released = sup.drive(fleet_lock.release()).await;
    notes.extend(release_notes(released.as_ref()));
    let stop = sup.reason();
    let mut exit_override = back.incomplete.then_some(exit_code::RESTORE_INCOMPLETE);
    match stop {
        Some(StopReason::Signal(_)) if exit_override.is_none() => {
            exit_override = Some(exit_code::INTERRUPTED);
            notes.push(format!(
                "{}: everything was restored",
                stop_words(stop).replace("stopped by", "interrupted by")
            ));
        }
        Some(StopReason::LockLost) => notes.push(
            "the lock was lost mid-drill (its renewals failed); the drill was stopped and restored"
                .to_owned(),
        ),
        _ => {}
    }

    // Step 8: verdicts.
    let timings = Timings {
        unhealthy: seen.unhealthy_after,
        shifted: seen.shifted_after,
        recovered: back.recovered_after,
    };
    let ended = Ended {
        timings,
        budget: p.budget,
        split: split.as_ref(),
        max_outage,
        injected: seen.injected,
        stopped: stop.map(|s| stop_words(Some(s))),
        restore_incomplete: back.incomplete,
        blind: seen.blind.clone(),
        recovery_blind: back.blind.clone(),
        restore_command: c.recovery.ocfail(&format!("restore --region {name}")),
    };
    let verdict = match verdict::of(fleet, &ended) {
        // The lock's renewals failed until it expired: the API could not
        // be kept in sight, which is "could not check", not "no data".
        Verdict::Inconclusive if stop == Some(StopReason::LockLost) => Verdict::Error,
        v => v,
    };
    let mut checks = seen.checks;
    checks.extend(back.checks);
    let drilled = verdict::drilled(fleet, &name, verdict, checks, &ended);
    if !back.incomplete && !sup.abandoned() {
        let summary = verdict::last_drill(&opts.run_id, verdict, timings);
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
    let mut regions = verdict::fleet_reports(
        fleet,
        after.as_ref(),
        drilled,
        p.receiver.as_deref(),
        timings.shifted.is_some(),
        traffic.as_ref(),
    );
    if let Some(Err(e)) = &released {
        lock::report_unreleased(&mut regions, e, fleet);
    }
    DrillOutcome {
        findings: Findings {
            regions,
            notes: Note::texts(notes),
            traffic,
            exit_code: exit_override,
        },
        unhealthy_noticed_at: seen.noticed_at,
        cloudflare_requests: p.cf.requests_sent().saturating_sub(p.requests_before),
    }
}

fn describe_kube(e: &crate::kube::KubeError) -> String {
    super::describe::kube(e)
}

/// Notes for a lock release: only when a second signal stopped it (a
/// failed release is a `lock` warn check, see [`lock::report_unreleased`]).
fn release_notes(released: Option<&Result<(), lock::LockError>>) -> Vec<String> {
    match released {
        Some(_) => Vec::new(),
        None => {
            vec!["stopped while releasing the lock: it expires by itself within 30 s".to_owned()]
        }
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

/// A refusal by a rule, with how to pass it.
fn blocking_line(v: &safety::Violation) -> String {
    format!(
        "{}: {} (override only with --override {} --reason TEXT)",
        v.rule, v.message, v.rule
    )
}

/// How long traffic keeps going after recovery: enough requests at `rps`
/// to judge the `after` phase, at most 30 s.
fn after_window(rps: f64) -> Duration {
    // A quarter more than needed: the pacer's first tick and the stop
    // both cost a request or so.
    let wanted = 1.25 * verdict::MIN_REQUESTS as f64 / rps.max(0.01);
    Duration::from_secs_f64(wanted.clamp(0.0, 30.0))
}

fn fmt_ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}
