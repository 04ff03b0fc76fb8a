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
pub fn manual(recovery: &Recovery, region: &Region, rec: &RolloutRecord) -> String {
    let k = recovery.kubectl(region, "");
    let k = k.trim_end();
    let from = format!("{}-{}", region.deployment, rec.from_color);
    let to = format!("{}-{}", region.deployment, rec.to_color);
    let mut steps = vec![
        format!("{k} scale deployment/{from} --replicas={}", rec.replicas),
        format!("{k} rollout status deployment/{from}"),
        format!(
            "{k} patch service/{} -p '{{\"spec\":{{\"selector\":{{\"{COLOR_LABEL}\":\"{}\"}}}}}}'",
            region.service, rec.from_color
        ),
    ];
    if let Some(p) = &rec.preview_color {
        steps.push(format!(
            "{k} patch service/{}-preview -p '{{\"spec\":{{\"selector\":{{\"{COLOR_LABEL}\":\"{p}\"}}}}}}'",
            region.service
        ));
    }
    steps.push(format!(
        "{k} set image deployment/{to} '*={}'",
        rec.idle_image
    ));
    steps.push(format!(
        "{k} scale deployment/{to} --replicas={}",
        rec.idle_replicas
    ));
    steps.push(format!(
        "{k} annotate service/{} {ROLLOUT_ANNOTATION}-",
        region.service
    ));
    steps.join(" && ")
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
    let fail = |mut checks: Vec<Finding>, name: &str, detail: String| {
        checks.push(Finding::text(name, Verdict::Error, detail));
        checks.push(Finding::text(
            "manual",
            Verdict::Error,
            format!("finish by hand: {}", manual(recovery, region, rec)),
        ));
        (false, checks)
    };

    // 1. The live Service back on the old colour, once that colour is warm.
    let svc = match retry(until, poll, || w.service(&region.service)).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return fail(
                checks,
                "switch-back",
                format!("service {} does not exist", region.service),
            );
        }
        Err(e) => return fail(checks, "switch-back", describe::kube(&e)),
    };
    if svc.color() != Some(rec.from_color.as_str()) {
        let warm = match retry(until, poll, || w.deployment(&from)).await {
            Ok(Some(d)) => d.replicas > 0 && d.ready > 0,
            Ok(None) => {
                return fail(
                    checks,
                    "switch-back",
                    format!("deployment {from} does not exist"),
                );
            }
            Err(e) => return fail(checks, "switch-back", describe::kube(&e)),
        };
        if !warm {
            if let Err(e) = retry(until, poll, || w.scale(&from, rec.replicas)).await {
                return fail(checks, "scale-up", describe::kube(&e));
            }
            let started = Instant::now();
            let deadline = crate::durations::deadline(started, opts.ready_timeout);
            match ready::wait(w, &from, rec.replicas, deadline, poll, cancel).await {
                Ok(_) => checks.push(Finding::text(
                    "scale-up",
                    Verdict::Pass,
                    format!(
                        "{from} was scaled down; back to {} ready replicas after {}ms",
                        rec.replicas,
                        started.elapsed().as_millis()
                    ),
                )),
                Err(e) => {
                    let detail = e.describe(&from, rec.replicas, opts.ready_timeout);
                    return fail(checks, "scale-up", detail);
                }
            }
        }
        if let Err(e) = retry(until, poll, || {
            w.set_selector(&region.service, COLOR_LABEL, &rec.from_color)
        })
        .await
        {
            return fail(checks, "switch-back", describe::kube(&e));
        }
        checks.push(Finding::text(
            "switch-back",
            Verdict::Pass,
            format!(
                "service {} back on {} ({})",
                region.service, rec.from_color, rec.previous_image
            ),
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
                    return fail(checks, "preview", describe::kube(&e));
                }
                checks.push(Finding::text(
                    "preview",
                    Verdict::Pass,
                    format!("service {preview} back on {colour}"),
                ));
            }
            // A preview Service that is gone has nothing to put back.
            Ok(None) => {}
            Err(e) => return fail(checks, "preview", describe::kube(&e)),
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
                return fail(checks, "idle", describe::kube(&e));
            }
            checks.push(Finding::text(
                "idle",
                Verdict::Pass,
                format!(
                    "{to} back from {} × {} to {} × {}",
                    d.replicas, d.image, rec.idle_replicas, rec.idle_image
                ),
            ));
        }
        Ok(None) => {}
        Err(e) => return fail(checks, "idle", describe::kube(&e)),
    }

    // 4. The record goes last: until here, a crash leaves it for restore.
    if let Err(e) = retry(until, poll, || {
        w.annotate_service(&region.service, ROLLOUT_ANNOTATION, None)
    })
    .await
    {
        return fail(checks, "record", describe::kube(&e));
    }
    checks.push(Finding::text(
        "record",
        Verdict::Pass,
        format!(
            "removed {ROLLOUT_ANNOTATION} from service {}",
            region.service
        ),
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
            let check = Finding::text("read", Verdict::Error, describe::kube(&e));
            return (
                Outcome::Incomplete,
                RegionFindings::from_checks(name, "could not read the region", vec![check]),
            );
        }
    };
    let live_color = svc.as_ref().and_then(|s| s.color().map(str::to_owned));
    let Some(raw) = svc.and_then(|s| s.annotations.get(ROLLOUT_ANNOTATION).cloned()) else {
        let check = Finding::text("restore", Verdict::Pass, "nothing to restore");
        return (
            Outcome::Clean,
            RegionFindings::from_checks(name, "nothing to restore", vec![check]),
        );
    };
    let rec = match RolloutRecord::parse(&raw) {
        Ok(r) => r,
        Err(e) => {
            let check = Finding::text(
                "record",
                Verdict::Error,
                format!(
                    "{ROLLOUT_ANNOTATION} on service {} is unreadable ({e}); restore by hand, then remove it",
                    region.service
                ),
            );
            return (
                Outcome::Incomplete,
                RegionFindings::from_checks(
                    name,
                    "restore incomplete: see the manual steps",
                    vec![check],
                ),
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
        let summary = format!(
            "restored: {} of run {} undone, {} live again",
            rec.kind, rec.run_id, rec.previous_image
        );
        (
            Outcome::Restored,
            RegionFindings::from_checks(name, summary, checks),
        )
    } else {
        (
            Outcome::Incomplete,
            RegionFindings::from_checks(name, "restore incomplete: see the manual steps", checks),
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
    let kept = Finding::text(
        "commit",
        Verdict::Pass,
        format!(
            "run {} had promoted every region it changed and was removing its records when it \
             stopped: {} stays live on {} here, as in the regions it had finished",
            rec.run_id, rec.image, rec.to_color
        ),
    );
    match retry(until, opts.poll, || {
        w.annotate_service(&region.service, ROLLOUT_ANNOTATION, None)
    })
    .await
    {
        Ok(()) => {
            let removed = Finding::text(
                "record",
                Verdict::Pass,
                format!(
                    "removed {ROLLOUT_ANNOTATION} from service {}",
                    region.service
                ),
            );
            let summary = format!(
                "finished: {} of run {} kept, {} live",
                rec.kind, rec.run_id, rec.image
            );
            (
                Outcome::Restored,
                RegionFindings::from_checks(name, summary, vec![kept, removed]),
            )
        }
        Err(e) => {
            let failed = Finding::text("record", Verdict::Error, describe::kube(&e));
            (
                Outcome::Incomplete,
                RegionFindings::from_checks(
                    name,
                    "restore incomplete: the record could not be removed",
                    vec![kept, failed],
                ),
            )
        }
    }
}
