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

use crate::cloudflare::{CloudflareClient, Pools};
use crate::exit_code;
use crate::kube::Workloads;
use crate::manifest::DrillMethod;
use crate::report::model::{Check, RegionReport, Verdict};
use crate::signal::SignalHandler;

use super::connect::Connected;
use super::describe;
use super::lock::{self, Holder, LockOptions};
use super::record::{DrillRecord, method_name};
use super::restore::{self, RestoreOptions};
use super::run::Findings;
use super::safety::{self, Rule};
use super::snapshot::{self, DRILL_ANNOTATION, LAST_DRILL_ANNOTATION};
use super::status::pool_facts;
use super::traffic::TrafficGenerator;

mod prepare;

use self::prepare::Prepared;

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
    let p = match prepare::prepare(c, opts, progress).await {
        Ok(p) => p,
        Err(refusal) => return *refusal,
    };
    if opts.dry_run {
        return prepare::dry_run(fleet, opts, p);
    }
    let Prepared {
        region,
        name,
        cf,
        clients,
        w,
        pool,
        live,
        budget,
        was_serving,
        receiver,
        mut notes,
        requests_before,
    } = p;
    let mut noticed_at = None;

    // Step 0: the lock (after the read-only checks, so a refusal holds nothing).
    progress(&name, "taking the lock");
    let holder = Holder::new("drill", &opts.run_id);
    let fleet_lock = match lock::acquire(&clients, &holder, &LockOptions::default()).await {
        Ok(l) => l,
        Err(e) => {
            let mut why = e.to_string();
            if let Some(h) = e.hint() {
                why.push_str("; hint: ");
                why.push_str(&h);
            }
            return refused(&name, vec![why], notes);
        }
    };
    let lost = fleet_lock.lost();

    // Step 3: record before acting.
    let origin = Instant::now();
    let traffic_gen = fleet
        .traffic
        .as_ref()
        .and_then(|t| TrafficGenerator::start(t, origin).ok());
    let record = DrillRecord {
        run_id: opts.run_id.clone(),
        replicas: live.replicas,
        method: method_name(opts.method).to_owned(),
        started_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        by: holder
            .as_str()
            .rsplit('/')
            .nth(1)
            .unwrap_or("unknown")
            .to_owned(),
        pool_enabled: (opts.method == DrillMethod::DisablePool).then_some(pool.enabled),
        pool_id: (opts.method == DrillMethod::DisablePool).then(|| pool.id.clone()),
    };
    let mut checks = Vec::new();
    let mut exit_override = None;
    progress(&name, "recording state");
    let recorded = w
        .annotate_deployment(&live.name, DRILL_ANNOTATION, Some(&record.to_json()))
        .await;
    let mut stop = None;
    let mut unhealthy_after = None;
    let mut shifted_after = None;
    if let Err(e) = recorded {
        checks.push(Check::new("record", Verdict::Error, describe::kube(&e)));
    } else {
        // Step 4: inject.
        progress(&name, "injecting the outage");
        let t_inject = origin.elapsed();
        let injected = match opts.method {
            DrillMethod::ScaleToZero => {
                w.scale(&live.name, 0).await.map_err(|e| describe::kube(&e))
            }
            DrillMethod::DisablePool => cf
                .set_pool_enabled(&pool.id, false)
                .await
                .map(|_| ())
                .map_err(|e| describe::cf(&e)),
        };
        match injected {
            Err(e) => checks.push(Check::new("inject", Verdict::Error, e)),
            Ok(()) => {
                checks.push(Check::new(
                    "inject",
                    Verdict::Pass,
                    match opts.method {
                        DrillMethod::ScaleToZero => {
                            format!("scaled {} from {} to 0", live.name, live.replicas)
                        }
                        DrillMethod::DisablePool => format!("disabled pool {}", pool.name),
                    },
                ));
                // Step 5: observe failover.
                progress(&name, "waiting for failover");
                let deadline = Instant::now() + budget.failover;
                let poll = poll_interval(c);
                loop {
                    if unhealthy_after.is_none() {
                        let gone = match opts.method {
                            DrillMethod::DisablePool => true,
                            DrillMethod::ScaleToZero => {
                                matches!(cf.pool(&pool.id).await, Ok(p) if p.healthy == Some(false))
                            }
                        };
                        if gone {
                            unhealthy_after = Some(origin.elapsed().saturating_sub(t_inject));
                            noticed_at = Some(SystemTime::now());
                        }
                    }
                    if unhealthy_after.is_some() {
                        match (&traffic_gen, &receiver) {
                            (Some(g), Some(r)) => {
                                if let Some(at) = g.first_success_from(r, ms(t_inject)) {
                                    shifted_after = Some(Duration::from_millis(
                                        at.saturating_sub(ms(t_inject)),
                                    ));
                                }
                            }
                            _ => shifted_after = unhealthy_after,
                        }
                    }
                    if shifted_after.is_some() || Instant::now() >= deadline {
                        break;
                    }
                    if let Some(s) = wait(poll, signals, &lost).await {
                        stop = Some(s);
                        break;
                    }
                }
                // Step 6: hold, watching the others.
                if stop.is_none() && shifted_after.is_some() {
                    progress(&name, "holding");
                    let hold_until = Instant::now() + opts.hold;
                    while Instant::now() < hold_until {
                        if let Some(s) = wait(
                            poll.min(hold_until.saturating_duration_since(Instant::now()))
                                .max(Duration::from_millis(10)),
                            signals,
                            &lost,
                        )
                        .await
                        {
                            stop = Some(s);
                            break;
                        }
                    }
                }
            }
        }
    }

    // Step 7: restore, always.
    progress(&name, "restoring");
    let t_restore = origin.elapsed();
    let restore_opts = RestoreOptions {
        ready_timeout: fleet.rollout.ready_timeout,
        ..RestoreOptions::default()
    };
    let restored = tokio::select! {
        r = restore::put_back(&w, Some(cf.as_ref()), &region, restore_opts) => Some(r),
        _ = signals.recv() => None,
    };
    let mut recovered_after = None;
    match restored {
        None => {
            checks.push(Check::new(
                "restore",
                Verdict::Error,
                format!("stopped waiting on a second Ctrl-C; the record is left: run `ocfail restore --region {name}`"),
            ));
            exit_override = Some(exit_code::RESTORE_INCOMPLETE);
        }
        Some(done) if done.outcome == restore::Outcome::Incomplete => {
            checks.extend(done.report.checks);
            exit_override = Some(exit_code::RESTORE_INCOMPLETE);
        }
        Some(done) => {
            let restore_check = |mut c: Check| {
                c.name = format!("restore {}", c.name);
                c
            };
            checks.extend(done.report.checks.into_iter().map(restore_check));
            progress(&name, "waiting for recovery");
            let deadline = Instant::now() + budget.recover;
            let poll = poll_interval(c);
            loop {
                let healthy = matches!(cf.pool(&pool.id).await, Ok(p) if p.healthy == Some(true) && p.enabled);
                // Traffic only has to come back if the region was serving before the drill.
                let back = match &traffic_gen {
                    Some(g) if was_serving => g.first_success_from(&name, ms(t_restore)).is_some(),
                    _ => true,
                };
                if healthy && back {
                    recovered_after = Some(origin.elapsed().saturating_sub(t_restore));
                    break;
                }
                if Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(poll).await;
            }
            // After recovery, so an HPA sync's wait does not count against it.
            let hpas = restore::confirm_hpas(&w, &region, &done.scaled_up, restore_opts).await;
            checks.extend(hpas.into_iter().map(restore_check));
        }
    }
    let traffic = match traffic_gen {
        Some(g) => Some(g.stop().await),
        None => None,
    };
    if let Err(e) = fleet_lock.release().await {
        notes.push(format!("lock: {e}"));
    }
    if matches!(stop, Some(Stop::Interrupted)) && exit_override.is_none() {
        exit_override = Some(exit_code::INTERRUPTED);
        notes.push("interrupted: everything was restored".to_owned());
    }
    if matches!(stop, Some(Stop::LockLost)) {
        notes.push("the lock was lost mid-drill; the drill was stopped and restored".to_owned());
    }

    // Step 8: verdicts.
    let max_error = fleet.drill.max_error_rate.fraction();
    let error_rate = traffic.as_ref().map_or(0.0, |t| t.error_rate);
    let verdict = if exit_override == Some(exit_code::RESTORE_INCOMPLETE) {
        Verdict::Error
    } else if unhealthy_after.is_none() {
        Verdict::Inconclusive
    } else if shifted_after.is_none_or(|s| s > budget.failover)
        || recovered_after.is_none_or(|r| r > budget.recover)
        || error_rate > max_error
        || stop.is_some()
    {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    let mut timing = |label: &str, d: Option<Duration>, budget: Duration| {
        checks.push(match d {
            Some(d) if d <= budget => Check::new(
                label,
                Verdict::Pass,
                format!(
                    "{} (budget {})",
                    fmt_ms(d),
                    humantime::format_duration(budget)
                ),
            ),
            Some(d) => Check::new(
                label,
                Verdict::Fail,
                format!(
                    "{} is over the budget of {}",
                    fmt_ms(d),
                    humantime::format_duration(budget)
                ),
            ),
            None => Check::new(
                label,
                if label == "unhealthy" {
                    Verdict::Inconclusive
                } else {
                    Verdict::Fail
                },
                format!("not observed within {}", humantime::format_duration(budget)),
            ),
        });
    };
    timing("unhealthy", unhealthy_after, budget.failover);
    timing("shifted", shifted_after, budget.failover);
    timing("recovered", recovered_after, budget.recover);
    if let Some(t) = &traffic {
        checks.push(Check::new(
            "traffic",
            if error_rate <= max_error {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            format!(
                "{} requests, error rate {:.2}% (max {}), p99 {:.0}ms",
                t.requests,
                error_rate * 100.0,
                fleet.drill.max_error_rate,
                t.p99_ms
            ),
        ));
    }
    let mut drilled_report = RegionReport::from_checks(
        &name,
        summary_line(verdict, unhealthy_after, shifted_after, recovered_after),
        checks,
    );
    // "Never went unhealthy" is inconclusive even though later timings then fail.
    if verdict == Verdict::Inconclusive || verdict == Verdict::Error {
        drilled_report.verdict = verdict;
    } else {
        drilled_report.verdict = drilled_report.verdict.max(verdict);
    }
    for (key, d) in [
        ("unhealthyAfterMs", unhealthy_after),
        ("shiftedAfterMs", shifted_after),
        ("recoveredAfterMs", recovered_after),
    ] {
        if let Some(d) = d {
            drilled_report.timings.insert(key.to_owned(), ms(d));
        }
    }
    drilled_report
        .timings
        .insert("budgetFailoverMs".to_owned(), ms(budget.failover));
    drilled_report
        .timings
        .insert("budgetRecoverMs".to_owned(), ms(budget.recover));
    let summary = serde_json::json!({
        "runId": opts.run_id,
        "verdict": verdict.as_str(),
        "unhealthyAfterMs": unhealthy_after.map(ms),
        "shiftedAfterMs": shifted_after.map(ms),
        "recoveredAfterMs": recovered_after.map(ms),
        "at": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
    })
    .to_string();
    if exit_override != Some(exit_code::RESTORE_INCOMPLETE) {
        let _ = w
            .annotate_deployment(&live.name, LAST_DRILL_ANNOTATION, Some(&summary))
            .await;
    }

    // The other regions: stayed healthy, and the receiver took traffic.
    let after = snapshot::fleet(fleet, c.regions.clone(), Ok(cf.clone()), 64).await;
    let mut regions = Vec::new();
    for r in &after.regions {
        if r.region.name.as_str() == name {
            regions.push(drilled_report.clone());
            continue;
        }
        let f = pool_facts(&after, r);
        let mut cs = vec![Check::new(
            "stayed-healthy",
            if f.can_serve() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            if f.can_serve() {
                "pool healthy and serving throughout".to_owned()
            } else {
                "pool or pods not healthy after the drill".to_owned()
            },
        )];
        if receiver.as_deref() == Some(r.region.name.as_str()) && shifted_after.is_none() {
            cs.push(Check::new(
                "took-traffic",
                Verdict::Skipped,
                format!("traffic never moved away from {name}"),
            ));
        } else if receiver.as_deref() == Some(r.region.name.as_str()) {
            let took = traffic.as_ref().map_or(0, |t| {
                t.by_region
                    .get(r.region.name.as_str())
                    .copied()
                    .unwrap_or(0)
            });
            cs.push(Check::new(
                "took-traffic",
                if traffic.is_none() || took > 0 {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                format!("answered {took} synthetic requests while {name} was down"),
            ));
        }
        let summary = if receiver.as_deref() == Some(r.region.name.as_str()) {
            "took the traffic"
        } else {
            "stayed healthy"
        };
        regions.push(RegionReport::from_checks(
            r.region.name.as_str(),
            summary,
            cs,
        ));
    }
    DrillOutcome {
        findings: Findings {
            regions,
            notes,
            traffic,
            exit_code: exit_override,
        },
        unhealthy_noticed_at: noticed_at,
        cloudflare_requests: cf.requests_sent().saturating_sub(requests_before),
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

fn summary_line(
    v: Verdict,
    unhealthy: Option<Duration>,
    shifted: Option<Duration>,
    recovered: Option<Duration>,
) -> String {
    let t = |d: Option<Duration>| d.map_or("—".to_owned(), fmt_ms);
    format!(
        "{v}: unhealthy after {}, traffic moved after {}, recovered after {}",
        t(unhealthy),
        t(shifted),
        t(recovered)
    )
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
