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
use crate::facts::restore::{
    Manual, PoolSetting, Record, RestoreCheck, RestoreFact, RestoreSummary,
};
use crate::facts::{Finding, RegionFindings, Verdict};
use crate::kube::{DeploymentState, KubeError, Workloads};
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

/// What finishes one Deployment's restore by hand.
fn manual(recovery: &Recovery, region: &Region, deployment: &str, record: &DrillRecord) -> Manual {
    let commands = vec![
        recovery.kubectl(
            region,
            &format!(
                "scale deployment/{deployment} --replicas={}",
                record.replicas
            ),
        ),
        recovery.kubectl(
            region,
            &format!("annotate deployment/{deployment} {DRILL_ANNOTATION}-"),
        ),
    ];
    let pool = (record.method() == Some(DrillMethod::DisablePool)).then(|| PoolSetting {
        pool: record
            .pool_id
            .clone()
            .unwrap_or_else(|| region.pool.clone()),
        enabled: record.pool_enabled.unwrap_or(true),
    });
    Manual { commands, pool }
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
    let done = |outcome, summary: RestoreSummary, check: RestoreFact, verdict| PutBack {
        outcome,
        report: RegionFindings::from_checks(
            name.clone(),
            summary,
            vec![Finding::new(verdict, check)],
        ),
        scaled_up: Vec::new(),
    };
    let until = crate::durations::deadline(Instant::now(), opts.retry_for);
    let annotated = match annotated(w, region, until, opts.poll).await {
        Ok(a) => a,
        Err(e) => {
            return done(
                Outcome::Incomplete,
                RestoreSummary::Unreadable,
                RestoreFact::Unreadable(describe::kube_problem(&e)),
                Verdict::Error,
            );
        }
    };
    if annotated.is_empty() {
        return done(
            Outcome::Clean,
            RestoreSummary::Clean,
            RestoreFact::NothingToRestore,
            Verdict::Pass,
        );
    }
    let mut checks = Vec::new();
    let mut scaled_up = Vec::new();
    let mut complete = true;
    for dep in annotated {
        let steps = Steps {
            w,
            dep: &dep,
            opts,
            until,
        };
        match steps.restore(cf, region, recovery, &mut checks).await {
            Restored::ScaledUp => scaled_up.push(dep.name.clone()),
            Restored::PoolBack => {}
            Restored::Left => complete = false,
        }
    }
    let (outcome, summary) = if complete {
        (Outcome::Restored, RestoreSummary::Restored)
    } else {
        (Outcome::Incomplete, RestoreSummary::Incomplete)
    };
    PutBack {
        outcome,
        report: RegionFindings::from_checks(name, summary, checks),
        scaled_up,
    }
}

/// The region's Deployments that carry a drill record, read through
/// transient errors until `until`.
async fn annotated<W: Workloads>(
    w: &W,
    region: &Region,
    until: Instant,
    poll: Duration,
) -> Result<Vec<DeploymentState>, KubeError> {
    let mut annotated = Vec::new();
    for colour in ["blue", "green"] {
        let d = format!("{}-{colour}", region.deployment);
        if let Some(dep) = retry(until, poll, || w.deployment(&d)).await?
            && dep.annotations.contains_key(DRILL_ANNOTATION)
        {
            annotated.push(dep);
        }
    }
    Ok(annotated)
}

/// How one Deployment's restore ended.
enum Restored {
    /// Everything is back, and it was scaled up from zero: its HPAs are to
    /// be confirmed.
    ScaledUp,
    /// Everything is back after a disabled pool.
    PoolBack,
    /// Something is left (a `manual` check says what).
    Left,
}

/// The steps that put one recorded Deployment back. Each returns its check:
/// `Ok` when it went through, `Err` when the restore stops there.
struct Steps<'a, W> {
    w: &'a W,
    dep: &'a DeploymentState,
    opts: RestoreOptions,
    /// The deadline for retrying API errors.
    until: Instant,
}

impl<W: Workloads> Steps<'_, W> {
    /// The pool (for a pool drill), the replicas, readiness, then the
    /// record; on the first failure, the commands that finish by hand.
    async fn restore<P: Pools>(
        &self,
        cf: Option<&P>,
        region: &Region,
        recovery: &Recovery,
        checks: &mut Vec<Finding>,
    ) -> Restored {
        let dep = self.dep;
        let raw = dep
            .annotations
            .get(DRILL_ANNOTATION)
            .cloned()
            .unwrap_or_default();
        let record = match DrillRecord::parse(&raw) {
            Ok(r) => r,
            Err(e) => {
                checks.push(Finding::new(
                    Verdict::Error,
                    RestoreFact::RecordUnreadable {
                        record: Record::Drill,
                        annotation: DRILL_ANNOTATION,
                        object: dep.name.clone(),
                        error: e.to_string(),
                    },
                ));
                return Restored::Left;
            }
        };
        let started = Instant::now();
        let disabled_pool = record.method() == Some(DrillMethod::DisablePool);
        let mut ok = true;
        let mut step = |check: Result<Finding, Finding>| {
            let passed = check.is_ok();
            checks.push(check.unwrap_or_else(|c| c));
            passed
        };
        if disabled_pool {
            ok = step(pool(cf, &record).await);
        }
        if ok && dep.replicas != record.replicas {
            ok = step(self.scale(&record).await);
        }
        if ok {
            ok = step(self.ready(&record, started).await);
        }
        if ok {
            ok = step(self.remove_record(&record).await);
        }
        if !ok {
            checks.push(Finding::new(
                Verdict::Error,
                RestoreFact::Manual(manual(recovery, region, &dep.name, &record)),
            ));
            Restored::Left
        } else if disabled_pool {
            Restored::PoolBack
        } else {
            Restored::ScaledUp
        }
    }

    /// The recorded replicas.
    async fn scale(&self, record: &DrillRecord) -> Result<Finding, Finding> {
        let dep = self.dep;
        match retry(self.until, self.opts.poll, || {
            self.w.scale(&dep.name, record.replicas)
        })
        .await
        {
            Ok(()) => Ok(Finding::new(
                Verdict::Pass,
                RestoreFact::Scaled {
                    deployment: dep.name.clone(),
                    from: dep.replicas,
                    to: record.replicas,
                },
            )),
            Err(e) => Err(api(RestoreCheck::Scale, &e)),
        }
    }

    /// Waits until the recorded replicas are ready (the controller having
    /// seen the latest spec), up to the ready timeout.
    async fn ready(&self, record: &DrillRecord, started: Instant) -> Result<Finding, Finding> {
        let opts = self.opts;
        let ready_until = crate::durations::deadline(Instant::now(), opts.ready_timeout);
        loop {
            let state = retry(self.until.max(ready_until), opts.poll, || {
                self.w.deployment(&self.dep.name)
            })
            .await;
            match state {
                Ok(Some(d))
                    if d.ready >= record.replicas && d.observed_generation >= d.generation =>
                {
                    return Ok(Finding::new(
                        Verdict::Pass,
                        RestoreFact::Ready {
                            ready: d.ready,
                            replicas: record.replicas,
                            after: started.elapsed(),
                        },
                    ));
                }
                Ok(_) if Instant::now() < ready_until => tokio::time::sleep(opts.poll).await,
                Ok(d) => {
                    return Err(Finding::new(
                        Verdict::Error,
                        RestoreFact::NotReady {
                            ready: d.map_or(0, |d| d.ready),
                            replicas: record.replicas,
                            waited: opts.ready_timeout,
                        },
                    ));
                }
                Err(e) => return Err(api(RestoreCheck::Ready, &e)),
            }
        }
    }

    /// The summary, then the record.
    async fn remove_record(&self, record: &DrillRecord) -> Result<Finding, Finding> {
        let (w, dep, until, poll) = (self.w, self.dep, self.until, self.opts.poll);
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
        let noted = retry(until, poll, || {
            w.annotate_deployment(&dep.name, LAST_DRILL_ANNOTATION, Some(&summary))
        })
        .await;
        let removed = match noted {
            Ok(()) => {
                retry(until, poll, || {
                    w.annotate_deployment(&dep.name, DRILL_ANNOTATION, None)
                })
                .await
            }
            Err(e) => Err(e),
        };
        match removed {
            Ok(()) => Ok(Finding::new(
                Verdict::Pass,
                RestoreFact::DrillRecordRemoved {
                    annotation: DRILL_ANNOTATION,
                    deployment: dep.name.clone(),
                },
            )),
            Err(e) => Err(api(RestoreCheck::Record, &e)),
        }
    }
}

/// Sets the drill's pool back to its recorded `enabled`. A drill that died
/// (or was refused a write) before it disabled the pool left nothing to
/// undo: no write, so a token without write access can still finish the
/// restore.
async fn pool<P: Pools>(cf: Option<&P>, record: &DrillRecord) -> Result<Finding, Finding> {
    let (Some(cf), Some(pool)) = (cf, record.pool_id.as_deref()) else {
        return Err(Finding::new(Verdict::Error, RestoreFact::NoCloudflare));
    };
    let enabled = record.pool_enabled.unwrap_or(true);
    if matches!(cf.pool(pool).await, Ok(p) if p.enabled == enabled) {
        return Ok(Finding::new(
            Verdict::Pass,
            RestoreFact::PoolUnchanged {
                pool: pool.to_owned(),
                enabled,
            },
        ));
    }
    match cf.set_pool_enabled(pool, enabled).await {
        Ok(_) => Ok(Finding::new(
            Verdict::Pass,
            RestoreFact::PoolSetBack {
                pool: pool.to_owned(),
                enabled,
            },
        )),
        Err(e) => Err(Finding::new(
            Verdict::Error,
            RestoreFact::Api {
                check: RestoreCheck::Pool,
                problem: describe::cf_problem(&e),
            },
        )),
    }
}

/// The check of a step whose Kubernetes call failed.
fn api(check: RestoreCheck, e: &KubeError) -> Finding {
    Finding::new(
        Verdict::Error,
        RestoreFact::Api {
            check,
            problem: describe::kube_problem(e),
        },
    )
}
