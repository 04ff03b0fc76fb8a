//! `ocfail drill --region R`: the outage drill of DESIGN.md §6.1 — lock,
//! steady state, safety rules, record, inject, observe failover, hold,
//! restore (always), steady state after, verdicts.
//!
//! Every change is recorded on the cluster (`ocfail.dev/drill`) before it is
//! made, so an interrupted drill can be finished by `ocfail restore`. The
//! first Ctrl-C (or SIGTERM, or a lost lock, or a missed deadline) goes
//! straight to restore; a second Ctrl-C stops waiting and leaves the record.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::cloudflare::CloudflareClient;
use crate::exit_code;
use crate::kube::Workloads;
use crate::manifest::DrillMethod;
use crate::report::model::{Check, RegionReport, Verdict};
use crate::signal::SignalHandler;

use super::connect::Connected;
use super::describe;
use super::lock::{self, Holder, LockOptions};
use super::record::{DrillRecord, method_name};
use super::run::Findings;
use super::safety::{self, Rule};
use super::snapshot::{self, DRILL_ANNOTATION, LAST_DRILL_ANNOTATION};
use super::traffic::TrafficGenerator;

mod observe;
mod prepare;
mod recover;
mod verdict;

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

/// Something to tell the user while the drill runs.
pub type Progress<'a> = &'a mut (dyn FnMut(&str, &str) + Send);

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn refused(region: &str, why: Vec<String>, notes: Vec<String>) -> DrillOutcome {
    let checks = why
        .into_iter()
        .map(|w| Check::new("refused", Verdict::Fail, w))
        .collect();
    DrillOutcome {
        findings: Findings {
            regions: vec![RegionReport::from_checks(
                region,
                "refused: nothing was changed",
                checks,
            )],
            notes,
            traffic: None,
            exit_code: Some(exit_code::REFUSED),
        },
        unhealthy_noticed_at: None,
        cloudflare_requests: 0,
    }
}

/// The lock could not be taken for an API error: nothing was changed, and
/// the exit code says "could not check" (3), not "refused" (5).
fn unavailable(region: &str, e: &lock::LockError, notes: Vec<String>) -> DrillOutcome {
    DrillOutcome {
        findings: Findings {
            regions: vec![RegionReport::from_checks(
                region,
                "could not take the lock: nothing was changed",
                vec![Check::new("lock", Verdict::Error, e.line())],
            )],
            notes,
            traffic: None,
            exit_code: Some(e.exit_code()),
        },
        unhealthy_noticed_at: None,
        cloudflare_requests: 0,
    }
}

/// Why waiting stopped early.
enum Stop {
    Interrupted,
    LockLost,
}

/// Runs the drill. `signals` delivers Ctrl-C; `progress(region, phase)` is
/// called at each step.
pub async fn run(
    c: &Connected,
    opts: &DrillOptions,
    signals: &mut SignalHandler,
    progress: Progress<'_>,
) -> DrillOutcome {
    let fleet = &c.fleet;
    let mut p = match prepare::prepare(c, opts, progress).await {
        Ok(p) => p,
        Err(refusal) => return *refusal,
    };
    if opts.dry_run {
        return prepare::dry_run(fleet, opts, p);
    }
    let mut notes = std::mem::take(&mut p.notes);
    let name = p.name.clone();

    // Step 0: the lock (after the read-only checks, so a refusal holds nothing).
    progress(&name, "taking the lock");
    let holder = Holder::new("drill", &opts.run_id);
    let fleet_lock = match lock::acquire(&p.clients, &holder, &LockOptions::default()).await {
        Ok(l) => l,
        Err(e) if e.exit_code() == exit_code::REFUSED => {
            return refused(&name, vec![e.line()], notes);
        }
        Err(e) => return unavailable(&name, &e, notes),
    };
    let lost = fleet_lock.lost();

    // Step 3: record before acting; steps 4–6 only once it is on the cluster.
    let origin = Instant::now();
    let traffic_gen = fleet
        .traffic
        .as_ref()
        .and_then(|t| TrafficGenerator::start(t, origin).ok());
    let clock = Clock {
        origin,
        traffic: traffic_gen.as_ref(),
    };
    progress(&name, "recording state");
    let record = record(opts, &p, &holder);
    let seen = match p
        .w
        .annotate_deployment(&p.live.name, DRILL_ANNOTATION, Some(&record.to_json()))
        .await
    {
        Err(e) => Observed::nothing(Check::new("record", Verdict::Error, describe::kube(&e))),
        Ok(_) => observe::inject_and_watch(c, opts, &p, &clock, signals, &lost, progress).await,
    };

    // Step 7: restore, always.
    let back = recover::restore_and_recover(c, &p, &clock, signals, progress).await;
    let traffic = match traffic_gen {
        Some(g) => Some(g.stop().await),
        None => None,
    };
    let released = fleet_lock.release().await;
    let mut exit_override = back.incomplete.then_some(exit_code::RESTORE_INCOMPLETE);
    if matches!(seen.stop, Some(Stop::Interrupted)) && exit_override.is_none() {
        exit_override = Some(exit_code::INTERRUPTED);
        notes.push("interrupted: everything was restored".to_owned());
    }
    if matches!(seen.stop, Some(Stop::LockLost)) {
        notes.push("the lock was lost mid-drill; the drill was stopped and restored".to_owned());
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
        traffic: traffic.as_ref(),
        injected: seen.injected,
        stopped: seen.stop.is_some(),
        restore_incomplete: back.incomplete,
    };
    let verdict = verdict::of(fleet, &ended);
    let mut checks = seen.checks;
    checks.extend(back.checks);
    let drilled = verdict::drilled(fleet, &name, verdict, checks, &ended);
    if !back.incomplete {
        let summary = verdict::last_drill(&opts.run_id, verdict, timings);
        // The drill is over either way; status merely shows no last result.
        let _ =
            p.w.annotate_deployment(&p.live.name, LAST_DRILL_ANNOTATION, Some(&summary))
                .await;
    }
    let after = snapshot::fleet(fleet, c.regions.clone(), Ok(p.cf.clone()), 64).await;
    let mut regions = verdict::fleet_reports(
        &after,
        drilled,
        p.receiver.as_deref(),
        timings.shifted.is_some(),
        traffic.as_ref(),
    );
    if let Err(e) = &released {
        lock::report_unreleased(&mut regions, e, fleet);
    }
    DrillOutcome {
        findings: Findings {
            regions,
            notes,
            traffic,
            exit_code: exit_override,
        },
        unhealthy_noticed_at: seen.noticed_at,
        cloudflare_requests: p.cf.requests_sent().saturating_sub(p.requests_before),
    }
}

/// The `ocfail.dev/drill` record: what restore needs to put back.
fn record(opts: &DrillOptions, p: &Prepared, holder: &Holder) -> DrillRecord {
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
    }
}

/// A refusal by a rule, with how to pass it.
fn blocking_line(v: &safety::Violation) -> String {
    format!(
        "{}: {} (override only with --override {} --reason TEXT)",
        v.rule, v.message, v.rule
    )
}

fn fmt_ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// How often to poll Cloudflare: within the request budget, never busier than 4/s.
fn poll_interval(c: &Connected) -> Duration {
    let rps = c
        .cloudflare
        .as_ref()
        .map_or(2.0, |cf: &Arc<CloudflareClient>| {
            cf.options().requests_per_second
        });
    Duration::from_secs_f64((1.0 / rps.max(0.1)).max(0.25))
}

/// Sleeps `d` unless interrupted or the lock is lost first.
async fn wait(
    d: Duration,
    signals: &mut SignalHandler,
    lost: &tokio_util::sync::CancellationToken,
) -> Option<Stop> {
    tokio::select! {
        () = tokio::time::sleep(d) => None,
        _ = signals.recv() => Some(Stop::Interrupted),
        () = lost.cancelled() => Some(Stop::LockLost),
    }
}
