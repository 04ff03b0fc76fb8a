//! Undoing a rollout (or rollback) from its `ocfail.dev/rollout` record on
//! the live Service: used by the rollout itself when a region fails or is
//! interrupted, and by `ocfail restore` after a crash.
//!
//! The order is what keeps users served: the old colour is made warm first
//! (scaled back up if a finished rollout had already scaled it down), the
//! Service is switched back only once it is ready, and only then is the
//! promoted colour put back to its old image and replicas. Every step
//! compares before it writes, so running the undo twice changes nothing.

use tokio::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::facts::restore::{Manual, Record, RestoreCheck, RestoreFact, RestoreSummary};
use crate::facts::{Finding, RegionFindings, Verdict};
use crate::kube::{COLOR_LABEL, KubeError, Workloads};
use crate::manifest::Region;
use crate::ops::describe;
use crate::ops::ready;
use crate::ops::record::RolloutRecord;
use crate::ops::recovery::Recovery;
use crate::ops::snapshot::ROLLOUT_ANNOTATION;

use super::{Outcome, RestoreOptions};
use crate::ops::ready::retry;

/// The exact commands that finish the undo by hand.
pub fn manual(recovery: &Recovery, region: &Region, rec: &RolloutRecord) -> Manual {
    let k = recovery.kubectl(region, "");
    let k = k.trim_end();
    let from = format!("{}-{}", region.deployment, rec.from_color);
    let to = format!("{}-{}", region.deployment, rec.to_color);
    let mut commands = vec![
        format!("{k} scale deployment/{from} --replicas={}", rec.replicas),
        format!("{k} rollout status deployment/{from}"),
        format!(
            "{k} patch service/{} -p '{{\"spec\":{{\"selector\":{{\"{COLOR_LABEL}\":\"{}\"}}}}}}'",
            region.service, rec.from_color
        ),
    ];
    if let Some(p) = &rec.preview_color {
        commands.push(format!(
            "{k} patch service/{}-preview -p '{{\"spec\":{{\"selector\":{{\"{COLOR_LABEL}\":\"{p}\"}}}}}}'",
            region.service
        ));
    }
    commands.push(format!(
        "{k} set image deployment/{to} '*={}'",
        rec.idle_image
    ));
    commands.push(format!(
        "{k} scale deployment/{to} --replicas={}",
        rec.idle_replicas
    ));
    commands.push(format!(
        "{k} annotate service/{} {ROLLOUT_ANNOTATION}-",
        region.service
    ));
    Manual {
        commands,
        pool: None,
    }
}

/// Puts `region` back as `rec` says it was. Returns whether everything was
/// put back, and a check per step. `cancel` (a second Ctrl-C) stops waiting
/// and leaves the record for `ocfail restore`.
pub async fn undo<W: Workloads>(
    w: &W,
    region: &Region,
    rec: &RolloutRecord,
    opts: RestoreOptions,
    cancel: &CancellationToken,
    recovery: &Recovery,
) -> (bool, Vec<Finding>) {
    let u = Undo {
        w,
        region,
        rec,
        opts,
        cancel,
        until: crate::durations::deadline(Instant::now(), opts.retry_for),
    };
    let mut checks = Vec::new();
    let done = async {
        u.switch_back(&mut checks).await?;
        u.preview_back(&mut checks).await?;
        u.idle_back(&mut checks).await?;
        u.remove_record(&mut checks).await
    }
    .await;
    match done {
        Ok(()) => (true, checks),
        Err(failed) => {
            checks.push(Finding::new(Verdict::Error, failed));
            checks.push(Finding::new(
                Verdict::Error,
                RestoreFact::Manual(manual(recovery, region, rec)),
            ));
            (false, checks)
        }
    }
}

/// The steps of one region's undo, in order. Each adds its check when it
/// changed something, and returns what stopped it.
struct Undo<'a, W> {
    w: &'a W,
    region: &'a Region,
    rec: &'a RolloutRecord,
    opts: RestoreOptions,
    cancel: &'a CancellationToken,
    /// The deadline for retrying API errors.
    until: Instant,
}

fn api(check: RestoreCheck, e: &KubeError) -> RestoreFact {
    RestoreFact::Api {
        check,
        problem: describe::kube_problem(e),
    }
}

impl<W: Workloads> Undo<'_, W> {
    /// 1. The live Service back on the old colour, once that colour is warm.
    async fn switch_back(&self, checks: &mut Vec<Finding>) -> Result<(), RestoreFact> {
        let (w, region, rec, until, poll) =
            (self.w, self.region, self.rec, self.until, self.opts.poll);
        let svc = match retry(until, poll, || w.service(&region.service)).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return Err(RestoreFact::ServiceMissing {
                    service: region.service.clone(),
                });
            }
            Err(e) => return Err(api(RestoreCheck::SwitchBack, &e)),
        };
        if svc.color() == Some(rec.from_color.as_str()) {
            return Ok(());
        }
        self.warm_up(checks).await?;
        retry(until, poll, || {
            w.set_selector(&region.service, COLOR_LABEL, &rec.from_color)
        })
        .await
        .map_err(|e| api(RestoreCheck::SwitchBack, &e))?;
        checks.push(Finding::new(
            Verdict::Pass,
            RestoreFact::SwitchedBack {
                service: region.service.clone(),
                colour: rec.from_color.clone(),
                image: rec.previous_image.clone(),
            },
        ));
        Ok(())
    }

    /// The old colour scaled back up and ready, unless it still is warm.
    async fn warm_up(&self, checks: &mut Vec<Finding>) -> Result<(), RestoreFact> {
        let (w, rec, until, poll) = (self.w, self.rec, self.until, self.opts.poll);
        let from = format!("{}-{}", self.region.deployment, rec.from_color);
        let warm = match retry(until, poll, || w.deployment(&from)).await {
            Ok(Some(d)) => d.replicas > 0 && d.ready > 0,
            Ok(None) => return Err(RestoreFact::DeploymentMissing { deployment: from }),
            Err(e) => return Err(api(RestoreCheck::SwitchBack, &e)),
        };
        if warm {
            return Ok(());
        }
        retry(until, poll, || w.scale(&from, rec.replicas))
            .await
            .map_err(|e| api(RestoreCheck::ScaleUp, &e))?;
        let started = Instant::now();
        let timeout = self.opts.ready_timeout;
        let deadline = crate::durations::deadline(started, timeout);
        match ready::wait(w, &from, rec.replicas, deadline, poll, self.cancel).await {
            Ok(_) => {
                checks.push(Finding::new(
                    Verdict::Pass,
                    RestoreFact::Warmed {
                        deployment: from,
                        replicas: rec.replicas,
                        after: started.elapsed(),
                    },
                ));
                Ok(())
            }
            Err(e) => Err(RestoreFact::NotWarm(e.fact(&from, rec.replicas, timeout))),
        }
    }

    /// 2. The preview Service back on the colour it selected.
    async fn preview_back(&self, checks: &mut Vec<Finding>) -> Result<(), RestoreFact> {
        let (w, until, poll) = (self.w, self.until, self.opts.poll);
        let Some(colour) = &self.rec.preview_color else {
            return Ok(());
        };
        let preview = format!("{}-preview", self.region.service);
        match retry(until, poll, || w.service(&preview)).await {
            Ok(Some(p)) if p.color() == Some(colour.as_str()) => Ok(()),
            Ok(Some(_)) => {
                retry(until, poll, || {
                    w.set_selector(&preview, COLOR_LABEL, colour)
                })
                .await
                .map_err(|e| api(RestoreCheck::Preview, &e))?;
                checks.push(Finding::new(
                    Verdict::Pass,
                    RestoreFact::PreviewBack {
                        service: preview,
                        colour: colour.clone(),
                    },
                ));
                Ok(())
            }
            // A preview Service that is gone has nothing to put back.
            Ok(None) => Ok(()),
            Err(e) => Err(api(RestoreCheck::Preview, &e)),
        }
    }

    /// 3. The promoted colour back to its old image and replicas.
    async fn idle_back(&self, checks: &mut Vec<Finding>) -> Result<(), RestoreFact> {
        let (w, rec, until, poll) = (self.w, self.rec, self.until, self.opts.poll);
        let to = format!("{}-{}", self.region.deployment, rec.to_color);
        match retry(until, poll, || w.deployment(&to)).await {
            Ok(Some(d)) if d.image == rec.idle_image && d.replicas == rec.idle_replicas => Ok(()),
            Ok(Some(d)) => {
                retry(until, poll, || {
                    w.set_image(&to, &rec.idle_image, rec.idle_replicas)
                })
                .await
                .map_err(|e| api(RestoreCheck::Idle, &e))?;
                checks.push(Finding::new(
                    Verdict::Pass,
                    RestoreFact::IdleBack {
                        deployment: to,
                        from_replicas: d.replicas,
                        from_image: d.image,
                        to_replicas: rec.idle_replicas,
                        to_image: rec.idle_image.clone(),
                    },
                ));
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(api(RestoreCheck::Idle, &e)),
        }
    }

    /// 4. The record goes last: until here, a crash leaves it for restore.
    async fn remove_record(&self, checks: &mut Vec<Finding>) -> Result<(), RestoreFact> {
        let service = &self.region.service;
        retry(self.until, self.opts.poll, || {
            self.w.annotate_service(service, ROLLOUT_ANNOTATION, None)
        })
        .await
        .map_err(|e| api(RestoreCheck::Record, &e))?;
        checks.push(Finding::new(
            Verdict::Pass,
            RestoreFact::RolloutRecordRemoved {
                annotation: ROLLOUT_ANNOTATION,
                service: service.clone(),
            },
        ));
        Ok(())
    }
}

/// `ocfail restore` for one region's rollout record: undone, unless its
/// run is in `committed` (its `ocfail.dev/last-rollout` is written in some
/// region), which means it had promoted every region it changed and was
/// removing its records: then the record is removed and the region kept
/// promoted, like the regions whose records that run had already removed.
pub async fn region<W: Workloads>(
    w: &W,
    region: &Region,
    opts: RestoreOptions,
    recovery: &Recovery,
    committed: &[String],
) -> (Outcome, RegionFindings) {
    let name = region.name.to_string();
    let until = crate::durations::deadline(Instant::now(), opts.retry_for);
    let svc = match retry(until, opts.poll, || w.service(&region.service)).await {
        Ok(s) => s,
        Err(e) => {
            let check = Finding::new(
                Verdict::Error,
                RestoreFact::Unreadable(describe::kube_problem(&e)),
            );
            return (
                Outcome::Incomplete,
                RegionFindings::from_checks(name, RestoreSummary::Unreadable, vec![check]),
            );
        }
    };
    let live_color = svc.as_ref().and_then(|s| s.color().map(str::to_owned));
    let Some(raw) = svc.and_then(|s| s.annotations.get(ROLLOUT_ANNOTATION).cloned()) else {
        let check = Finding::new(Verdict::Pass, RestoreFact::NothingToRestore);
        return (
            Outcome::Clean,
            RegionFindings::from_checks(name, RestoreSummary::Clean, vec![check]),
        );
    };
    let rec = match RolloutRecord::parse(&raw) {
        Ok(r) => r,
        Err(e) => {
            let check = Finding::new(
                Verdict::Error,
                RestoreFact::RecordUnreadable {
                    record: Record::Rollout,
                    annotation: ROLLOUT_ANNOTATION,
                    object: region.service.clone(),
                    error: e.to_string(),
                },
            );
            return (
                Outcome::Incomplete,
                RegionFindings::from_checks(name, RestoreSummary::Incomplete, vec![check]),
            );
        }
    };
    // A region that is not on the promoted colour (switched back by hand)
    // is undone all the same: the undo is what makes it whole.
    if committed.contains(&rec.run_id) && live_color.as_deref() == Some(rec.to_color.as_str()) {
        return finish(w, region, &rec, until, opts).await;
    }
    let (done, checks) = undo(w, region, &rec, opts, &CancellationToken::new(), recovery).await;
    if done {
        let summary = RestoreSummary::Undone {
            kind: rec.kind.clone(),
            run: rec.run_id.clone(),
            image: rec.previous_image.clone(),
        };
        (
            Outcome::Restored,
            RegionFindings::from_checks(name, summary, checks),
        )
    } else {
        (
            Outcome::Incomplete,
            RegionFindings::from_checks(name, RestoreSummary::Incomplete, checks),
        )
    }
}

/// Finishes the commit of a rollout cut short while removing its records:
/// the region stays promoted (as every region whose record that run had
/// already removed), and only its record goes.
async fn finish<W: Workloads>(
    w: &W,
    region: &Region,
    rec: &RolloutRecord,
    until: Instant,
    opts: RestoreOptions,
) -> (Outcome, RegionFindings) {
    let name = region.name.to_string();
    let kept = Finding::new(
        Verdict::Pass,
        RestoreFact::Committed {
            run: rec.run_id.clone(),
            image: rec.image.clone(),
            colour: rec.to_color.clone(),
        },
    );
    match retry(until, opts.poll, || {
        w.annotate_service(&region.service, ROLLOUT_ANNOTATION, None)
    })
    .await
    {
        Ok(()) => {
            let removed = Finding::new(
                Verdict::Pass,
                RestoreFact::RolloutRecordRemoved {
                    annotation: ROLLOUT_ANNOTATION,
                    service: region.service.clone(),
                },
            );
            let summary = RestoreSummary::Kept {
                kind: rec.kind.clone(),
                run: rec.run_id.clone(),
                image: rec.image.clone(),
            };
            (
                Outcome::Restored,
                RegionFindings::from_checks(name, summary, vec![kept, removed]),
            )
        }
        Err(e) => {
            let failed = Finding::new(
                Verdict::Error,
                RestoreFact::Api {
                    check: RestoreCheck::Record,
                    problem: describe::kube_problem(&e),
                },
            );
            (
                Outcome::Incomplete,
                RegionFindings::from_checks(name, RestoreSummary::RecordLeft, vec![kept, failed]),
            )
        }
    }
}
