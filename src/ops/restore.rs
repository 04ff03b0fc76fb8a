//! `ocfail restore`: puts back whatever an interrupted drill recorded in
//! its `ocfail.dev/drill` annotation (docs/drills.md step 7), or an
//! interrupted rollout in its `ocfail.dev/rollout` one ([`rollout`]). Idempotent:
//! running it again finds nothing to restore. Transient API errors are retried
//! until a deadline; whatever is still not restored is said exactly, with
//! the manual commands. After a scale-to-zero is undone, the HPAs of the
//! Deployment are confirmed active again (`hpa.rs`).

mod hpa;

use std::time::Duration;

use tokio::time::Instant;

use crate::cloudflare::Pools;
use crate::facts::{Finding, RegionFindings, Verdict};
use crate::kube::{DeploymentState, Workloads};
use crate::manifest::{DrillMethod, Region};

use super::describe;
use super::record::DrillRecord;
use super::recovery::Recovery;
use super::snapshot::{DRILL_ANNOTATION, LAST_DRILL_ANNOTATION};

use super::ready::retry;

mod fleet;
mod leases;
pub mod rollout;
#[cfg(test)]
mod tests;

pub use self::fleet::fleet;
pub use self::leases::{EndedRuns, Scan, release_crashed_lock, scan};

/// Deadlines for one region's restore.
#[derive(Clone, Copy, Debug)]
pub struct RestoreOptions {
    /// How long to wait for the restored Deployment to be ready.
    pub ready_timeout: Duration,
    /// How long to keep retrying API errors such as 503 bursts, and to wait
    /// for HPAs to be active again (Kubernetes syncs them every 15 s).
    pub retry_for: Duration,
    /// Pause between polls and retries.
    pub poll: Duration,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            ready_timeout: Duration::from_secs(300),
            retry_for: Duration::from_secs(60),
            poll: Duration::from_millis(250),
        }
    }
}

/// What restoring one region came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// No record: nothing to do.
    Clean,
    /// Everything recorded was put back.
    Restored,
    /// Something is left; the detail says exactly what and how to finish by hand.
    Incomplete,
}

fn manual(recovery: &Recovery, region: &Region, deployment: &str, record: &DrillRecord) -> String {
    let mut s = format!(
        "{} && {}",
        recovery.kubectl(
            region,
            &format!(
                "scale deployment/{deployment} --replicas={}",
                record.replicas
            )
        ),
        recovery.kubectl(
            region,
            &format!("annotate deployment/{deployment} {DRILL_ANNOTATION}-")
        ),
    );
    if record.method() == Some(DrillMethod::DisablePool) {
        s.push_str(&format!(
            "; and set pool {} enabled={} in Cloudflare",
            record.pool_id.as_deref().unwrap_or(&region.pool),
            record.pool_enabled.unwrap_or(true)
        ));
    }
    s
}

/// What [`put_back`] did in one region.
#[derive(Clone, Debug)]
pub struct PutBack {
    /// Whether everything recorded was put back.
    pub outcome: Outcome,
    /// The checks so far.
    pub report: RegionFindings,
    /// The Deployments restored from a scale to zero, whose HPAs
    /// [`confirm_hpas`] should see active again.
    pub scaled_up: Vec<String>,
}

/// Restores one region from its drill annotation, then confirms that the
/// HPAs of every Deployment it scaled back up are active again (check `hpa`).
pub async fn region<W: Workloads, P: Pools>(
    w: &W,
    cf: Option<&P>,
    region: &Region,
    opts: RestoreOptions,
    recovery: &Recovery,
) -> (Outcome, RegionFindings) {
    let mut done = put_back(w, cf, region, opts, recovery).await;
    let hpas = confirm_hpas(w, region, &done.scaled_up, opts, recovery).await;
    done.report.verdict = done
        .report
        .verdict
        .max(Verdict::worst(hpas.iter().map(|c| c.verdict)));
    done.report.checks.extend(hpas);
    (done.outcome, done.report)
}

/// The `hpa` checks for the HPAs that target `deployments` (see `hpa.rs`),
/// waiting at most `opts.retry_for`. A drill calls this after watching
/// recovery, so waiting for an HPA sync does not delay `recoveredAfterMs`.
pub async fn confirm_hpas<W: Workloads>(
    w: &W,
    region: &Region,
    deployments: &[String],
    opts: RestoreOptions,
    recovery: &Recovery,
) -> Vec<Finding> {
    let until = crate::durations::deadline(tokio::time::Instant::now(), opts.retry_for);
    hpa::confirm_active(w, region, deployments, until, opts.poll, recovery).await
}

/// Restores one region from its drill annotation: the pool, the replicas
/// (waiting until ready) and the record. No HPA checks: see [`region`].
pub async fn put_back<W: Workloads, P: Pools>(
    w: &W,
    cf: Option<&P>,
    region: &Region,
    opts: RestoreOptions,
    recovery: &Recovery,
) -> PutBack {
    let name = region.name.to_string();
    let done = |outcome, report| PutBack {
        outcome,
        report,
        scaled_up: Vec::new(),
    };
    let until = crate::durations::deadline(Instant::now(), opts.retry_for);
    let colours = [
        format!("{}-blue", region.deployment),
        format!("{}-green", region.deployment),
    ];
    let mut annotated: Vec<DeploymentState> = Vec::new();
    for d in &colours {
        match retry(until, opts.poll, || w.deployment(d)).await {
            Ok(Some(dep)) if dep.annotations.contains_key(DRILL_ANNOTATION) => annotated.push(dep),
            Ok(_) => {}
            Err(e) => {
                let check = Finding::text("read", Verdict::Error, describe::kube(&e));
                return done(
                    Outcome::Incomplete,
                    RegionFindings::from_checks(name, "could not read the region", vec![check]),
                );
            }
        }
    }
    if annotated.is_empty() {
        let check = Finding::text("restore", Verdict::Pass, "nothing to restore");
        return done(
            Outcome::Clean,
            RegionFindings::from_checks(name, "nothing to restore", vec![check]),
        );
    }
    let mut checks = Vec::new();
    let mut scaled_up = Vec::new();
    let mut complete = true;
    for dep in annotated {
        let raw = dep
            .annotations
            .get(DRILL_ANNOTATION)
            .cloned()
            .unwrap_or_default();
        let record = match DrillRecord::parse(&raw) {
            Ok(r) => r,
            Err(e) => {
                complete = false;
                checks.push(Finding::text(
                    "record",
                    Verdict::Error,
                    format!(
                        "{} on deployment {} is unreadable ({e}); restore by hand, then remove it",
                        DRILL_ANNOTATION, dep.name
                    ),
                ));
                continue;
            }
        };
        let started = Instant::now();
        let mut step_ok = true;
        if record.method() == Some(DrillMethod::DisablePool) {
            match (cf, record.pool_id.as_deref()) {
                (Some(cf), Some(pool)) => {
                    let wanted = record.pool_enabled.unwrap_or(true);
                    // A drill that died (or was refused a write) before it
                    // disabled the pool left nothing to undo: no write, so a
                    // token without write access can still finish the restore.
                    let already = matches!(cf.pool(pool).await, Ok(p) if p.enabled == wanted);
                    let put_back = if already {
                        Ok(format!("pool {pool} was never changed (enabled={wanted})"))
                    } else {
                        cf.set_pool_enabled(pool, wanted)
                            .await
                            .map(|_| format!("pool {pool} enabled={wanted} again"))
                    };
                    match put_back {
                        Ok(done) => checks.push(Finding::text("pool", Verdict::Pass, done)),
                        Err(e) => {
                            step_ok = false;
                            checks.push(Finding::text("pool", Verdict::Error, describe::cf(&e)));
                        }
                    }
                }
                _ => {
                    step_ok = false;
                    checks.push(Finding::text(
                        "pool",
                        Verdict::Error,
                        "the pool must be re-enabled but Cloudflare is not reachable",
                    ));
                }
            }
        }
        if step_ok && dep.replicas != record.replicas {
            match retry(until, opts.poll, || w.scale(&dep.name, record.replicas)).await {
                Ok(()) => checks.push(Finding::text(
                    "scale",
                    Verdict::Pass,
                    format!(
                        "scaled {} from {} back to {}",
                        dep.name, dep.replicas, record.replicas
                    ),
                )),
                Err(e) => {
                    step_ok = false;
                    checks.push(Finding::text("scale", Verdict::Error, describe::kube(&e)));
                }
            }
        }
        if step_ok {
            let ready_until = crate::durations::deadline(Instant::now(), opts.ready_timeout);
            loop {
                let state = retry(until.max(ready_until), opts.poll, || {
                    w.deployment(&dep.name)
                })
                .await;
                match state {
                    Ok(Some(d))
                        if d.ready >= record.replicas && d.observed_generation >= d.generation =>
                    {
                        checks.push(Finding::text(
                            "ready",
                            Verdict::Pass,
                            format!(
                                "{}/{} ready after {}ms",
                                d.ready,
                                record.replicas,
                                started.elapsed().as_millis()
                            ),
                        ));
                        break;
                    }
                    Ok(d) if Instant::now() < ready_until => {
                        let _ = d;
                        tokio::time::sleep(opts.poll).await;
                    }
                    Ok(d) => {
                        step_ok = false;
                        let ready = d.map_or(0, |d| d.ready);
                        checks.push(Finding::text(
                            "ready",
                            Verdict::Error,
                            format!(
                                "only {ready}/{} ready after {}s",
                                record.replicas,
                                opts.ready_timeout.as_secs()
                            ),
                        ));
                        break;
                    }
                    Err(e) => {
                        step_ok = false;
                        checks.push(Finding::text("ready", Verdict::Error, describe::kube(&e)));
                        break;
                    }
                }
            }
        }
        if step_ok {
            let summary = serde_json::json!({
                "runId": record.run_id,
                "result": "restored by ocfail restore after an interrupted drill",
                "at": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            })
            .to_string();
            // The summary first: a run killed between the two writes then still
            // has its record (restore redoes it all, idempotently), and a run
            // without a record but with its summary is known to have ended, so
            // `ocfail restore` may release its lock.
            let noted = retry(until, opts.poll, || {
                w.annotate_deployment(&dep.name, LAST_DRILL_ANNOTATION, Some(&summary))
            })
            .await;
            let removed = match noted {
                Ok(()) => {
                    retry(until, opts.poll, || {
                        w.annotate_deployment(&dep.name, DRILL_ANNOTATION, None)
                    })
                    .await
                }
                Err(e) => Err(e),
            };
            match removed {
                Ok(()) => checks.push(Finding::text(
                    "record",
                    Verdict::Pass,
                    format!("removed {DRILL_ANNOTATION} from {}", dep.name),
                )),
                Err(e) => {
                    step_ok = false;
                    checks.push(Finding::text("record", Verdict::Error, describe::kube(&e)));
                }
            }
        }
        if step_ok && record.method() != Some(DrillMethod::DisablePool) {
            scaled_up.push(dep.name.clone());
        }
        if !step_ok {
            complete = false;
            checks.push(Finding::text(
                "manual",
                Verdict::Error,
                format!(
                    "finish by hand: {}",
                    manual(recovery, region, &dep.name, &record)
                ),
            ));
        }
    }
    let (outcome, summary) = if complete {
        (Outcome::Restored, "restored")
    } else {
        (
            Outcome::Incomplete,
            "restore incomplete: see the manual steps",
        )
    };
    PutBack {
        outcome,
        report: RegionFindings::from_checks(name, summary, checks),
        scaled_up,
    }
}
