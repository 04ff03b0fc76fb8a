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
use crate::kube::{COLOR_LABEL, Workloads};
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
    let until = crate::durations::deadline(Instant::now(), opts.retry_for);
    let poll = opts.poll;
    let from = format!("{}-{}", region.deployment, rec.from_color);
    let to = format!("{}-{}", region.deployment, rec.to_color);
    let preview = format!("{}-preview", region.service);
    let mut checks = Vec::new();
    let fail = |mut checks: Vec<Finding>, failed: RestoreFact| {
        checks.push(Finding::new(Verdict::Error, failed));
        checks.push(Finding::new(
            Verdict::Error,
            RestoreFact::Manual(manual(recovery, region, rec)),
        ));
        (false, checks)
    };
    let api = |check, e: &crate::kube::KubeError| RestoreFact::Api {
        check,
        problem: describe::kube_problem(e),
    };

    // 1. The live Service back on the old colour, once that colour is warm.
    let svc = match retry(until, poll, || w.service(&region.service)).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return fail(
                checks,
                RestoreFact::ServiceMissing {
                    service: region.service.clone(),
                },
            );
        }
        Err(e) => return fail(checks, api(RestoreCheck::SwitchBack, &e)),
    };
    if svc.color() != Some(rec.from_color.as_str()) {
        let warm = match retry(until, poll, || w.deployment(&from)).await {
            Ok(Some(d)) => d.replicas > 0 && d.ready > 0,
            Ok(None) => {
                return fail(
                    checks,
                    RestoreFact::DeploymentMissing {
                        deployment: from.clone(),
                    },
                );
            }
            Err(e) => return fail(checks, api(RestoreCheck::SwitchBack, &e)),
        };
        if !warm {
            if let Err(e) = retry(until, poll, || w.scale(&from, rec.replicas)).await {
                return fail(checks, api(RestoreCheck::ScaleUp, &e));
            }
            let started = Instant::now();
            let deadline = crate::durations::deadline(started, opts.ready_timeout);
            match ready::wait(w, &from, rec.replicas, deadline, poll, cancel).await {
                Ok(_) => checks.push(Finding::new(
                    Verdict::Pass,
                    RestoreFact::Warmed {
                        deployment: from.clone(),
                        replicas: rec.replicas,
                        after: started.elapsed(),
                    },
                )),
                Err(e) => {
                    let why = e.fact(&from, rec.replicas, opts.ready_timeout);
                    return fail(checks, RestoreFact::NotWarm(why));
                }
            }
        }
        if let Err(e) = retry(until, poll, || {
            w.set_selector(&region.service, COLOR_LABEL, &rec.from_color)
        })
        .await
        {
            return fail(checks, api(RestoreCheck::SwitchBack, &e));
        }
        checks.push(Finding::new(
            Verdict::Pass,
            RestoreFact::SwitchedBack {
                service: region.service.clone(),
                colour: rec.from_color.clone(),
                image: rec.previous_image.clone(),
            },
        ));
    }

    // 2. The preview Service back on the colour it selected.
    if let Some(colour) = &rec.preview_color {
        match retry(until, poll, || w.service(&preview)).await {
            Ok(Some(p)) if p.color() == Some(colour.as_str()) => {}
            Ok(Some(_)) => {
                if let Err(e) = retry(until, poll, || {
                    w.set_selector(&preview, COLOR_LABEL, colour)
                })
                .await
                {
                    return fail(checks, api(RestoreCheck::Preview, &e));
                }
                checks.push(Finding::new(
                    Verdict::Pass,
                    RestoreFact::PreviewBack {
                        service: preview.clone(),
                        colour: colour.clone(),
                    },
                ));
            }
            // A preview Service that is gone has nothing to put back.
            Ok(None) => {}
            Err(e) => return fail(checks, api(RestoreCheck::Preview, &e)),
        }
    }

    // 3. The promoted colour back to its old image and replicas.
    match retry(until, poll, || w.deployment(&to)).await {
        Ok(Some(d)) if d.image == rec.idle_image && d.replicas == rec.idle_replicas => {}
        Ok(Some(d)) => {
            if let Err(e) = retry(until, poll, || {
                w.set_image(&to, &rec.idle_image, rec.idle_replicas)
            })
            .await
            {
                return fail(checks, api(RestoreCheck::Idle, &e));
            }
            checks.push(Finding::new(
                Verdict::Pass,
                RestoreFact::IdleBack {
                    deployment: to.clone(),
                    from_replicas: d.replicas,
                    from_image: d.image,
                    to_replicas: rec.idle_replicas,
                    to_image: rec.idle_image.clone(),
                },
            ));
        }
        Ok(None) => {}
        Err(e) => return fail(checks, api(RestoreCheck::Idle, &e)),
    }

    // 4. The record goes last: until here, a crash leaves it for restore.
    if let Err(e) = retry(until, poll, || {
        w.annotate_service(&region.service, ROLLOUT_ANNOTATION, None)
    })
    .await
    {
        return fail(checks, api(RestoreCheck::Record, &e));
    }
    checks.push(Finding::new(
        Verdict::Pass,
        RestoreFact::RolloutRecordRemoved {
            service: region.service.clone(),
        },
    ));
    (true, checks)
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
