//! The end of a rollout: switching promoted regions back (`rollback-all`,
//! Ctrl-C, a lost lock) in reverse order, or committing them: the previous
//! colour scaled to 0 in every region first, then a summary
//! (`ocfail.dev/last-rollout`) on every Service, and only then every record
//! removed. A crash before the summaries finds every region recorded and
//! no summary: `ocfail restore` rolls the fleet back alike. A crash after
//! finds a summary: restore keeps the fleet promoted alike, removing the
//! records left, and says the run had finished.

use tokio::time::Instant;

use futures_util::future::join_all;

use crate::facts::Step;
use crate::facts::restore::RestoreFact;
use crate::facts::rollout::{RolledBack, RolloutFact};
use crate::facts::{Finding, Verdict};
use crate::kube::Workloads;
use crate::ops::describe;
use crate::ops::ready::retry;
use crate::ops::restore::rollout::undo;
use crate::ops::snapshot::{LAST_ROLLOUT_ANNOTATION, ROLLOUT_ANNOTATION};

use super::region::{Ctx, stopped};
use crate::ops::supervise::Supervisor;

use super::{Slot, Status};

/// Switches `promoted` back, latest first. Returns `false` when a second
/// Ctrl-C stopped it (records are left).
pub(super) async fn roll_back<W: Workloads>(
    ctx: &Ctx<'_>,
    sup: &mut Supervisor<'_>,
    slots: &mut [Slot<W>],
    promoted: &[usize],
    why: &RolledBack,
) -> bool {
    for (n, &i) in promoted.iter().enumerate().rev() {
        let slot = &slots[i];
        let Some(rec) = slot.run.as_ref().and_then(|r| r.record.clone()) else {
            continue;
        };
        let name = slot.state.region.name.to_string();
        ctx.phase(
            &name,
            Step::RollingBack {
                colour: rec.from_color.clone(),
            },
        );
        let undone = sup
            .drive(undo(
                &slot.client,
                &slot.state.region,
                &rec,
                ctx.restore,
                ctx.abort,
                ctx.recovery,
            ))
            .await;
        let slot = &mut slots[i];
        let run = slot.run.get_or_insert_with(Default::default);
        match undone {
            Some((true, checks)) => {
                run.checks.extend(
                    checks
                        .into_iter()
                        .map(|c| c.scoped(crate::facts::Scope::Rollback)),
                );
                run.record = None;
                slot.status = Status::RolledBack(why.clone());
            }
            Some((false, checks)) => {
                run.checks.extend(checks);
                slot.status = Status::RestoreIncomplete;
            }
            None => {
                run.checks.push(stopped(ctx.recovery, &name));
                slot.status = Status::RestoreIncomplete;
                for &j in &promoted[..n] {
                    slots[j].status = Status::RestoreIncomplete;
                }
                return false;
            }
        }
    }
    true
}

/// Makes the promotions final: the previous colour to 0 (unless `keep`),
/// then the records removed. Returns `false` when a second Ctrl-C stopped
/// it.
pub(super) async fn commit<W: Workloads>(
    ctx: &Ctx<'_>,
    sup: &mut Supervisor<'_>,
    slots: &mut [Slot<W>],
    promoted: &[usize],
    keep: bool,
) -> bool {
    let until = crate::durations::deadline(Instant::now(), ctx.restore.retry_for);
    let finished = async {
        if !keep {
            scale_down(ctx, sup, slots, promoted, until).await?;
        }
        let summarised = write_summaries(ctx, sup, slots, promoted, keep, until).await?;
        remove_records(ctx, sup, slots, promoted, summarised, until).await
    };
    finished.await.is_some()
}

/// The previous colour of every promoted region to 0 replicas. `None` when
/// a second Ctrl-C stopped it.
async fn scale_down<W: Workloads>(
    ctx: &Ctx<'_>,
    sup: &mut Supervisor<'_>,
    slots: &mut [Slot<W>],
    promoted: &[usize],
    until: Instant,
) -> Option<()> {
    let poll = ctx.restore.poll;
    let work = join_all(promoted.iter().map(|&i| {
        let slot = &slots[i];
        let previous = slot.state.deployment(&slot.state.live_color);
        ctx.phase(
            slot.state.region.name.as_str(),
            Step::ScalingDown {
                deployment: previous.clone(),
            },
        );
        async move {
            let r = retry(until, poll, || slot.client.scale(&previous, 0)).await;
            (previous, r)
        }
    }));
    let results = sup.drive(work).await?;
    for (&i, (previous, r)) in promoted.iter().zip(results) {
        let k = &slots[i].state.region;
        let check = match r {
            Ok(()) => Finding::new(
                Verdict::Pass,
                RolloutFact::ScaledDown {
                    deployment: previous,
                },
            ),
            // The new version is live and verified; a warm old colour
            // only costs capacity, so this is a warning, not a failure.
            Err(e) => Finding::new(
                Verdict::Warn,
                RolloutFact::NotScaledDown {
                    command: ctx
                        .recovery
                        .kubectl(k, &format!("scale deployment/{previous} --replicas=0")),
                    deployment: previous,
                    problem: describe::kube_problem(&e),
                },
            ),
        };
        push(&mut slots[i], check);
    }
    Some(())
}

/// Every summary before any record goes: once one region's record is
/// removed, a crash must not have `ocfail restore` undo the others (it
/// finishes a run whose summary it finds instead). Returns whether any
/// region has its summary; `None` when a second Ctrl-C stopped it.
async fn write_summaries<W: Workloads>(
    ctx: &Ctx<'_>,
    sup: &mut Supervisor<'_>,
    slots: &mut [Slot<W>],
    promoted: &[usize],
    keep: bool,
    until: Instant,
) -> Option<bool> {
    let poll = ctx.restore.poll;
    let at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let work = join_all(promoted.iter().map(|&i| {
        let slot = &slots[i];
        let summary = summary(ctx, slot, keep, &at);
        async move {
            retry(until, poll, || {
                slot.client.annotate_service(
                    &slot.state.region.service,
                    LAST_ROLLOUT_ANNOTATION,
                    Some(&summary),
                )
            })
            .await
        }
    }));
    let results = sup.drive(work).await?;
    let summarised = results.iter().any(Result::is_ok);
    for (&i, r) in promoted.iter().zip(results) {
        if let Err(e) = r {
            // Only a crash in the next few writes would miss it, and then
            // only if no region has its summary.
            let service = slots[i].state.region.service.clone();
            push(
                &mut slots[i],
                Finding::new(
                    Verdict::Warn,
                    RolloutFact::SummaryNotWritten {
                        annotation: LAST_ROLLOUT_ANNOTATION,
                        service,
                        problem: describe::kube_problem(&e),
                    },
                ),
            );
        }
    }
    Some(summarised)
}

/// Every promoted region's record removed; one that stays leaves the
/// region to `ocfail restore` (which keeps it promoted when `summarised`).
/// `None` when a second Ctrl-C stopped it.
async fn remove_records<W: Workloads>(
    ctx: &Ctx<'_>,
    sup: &mut Supervisor<'_>,
    slots: &mut [Slot<W>],
    promoted: &[usize],
    summarised: bool,
    until: Instant,
) -> Option<()> {
    let poll = ctx.restore.poll;
    let work = join_all(promoted.iter().map(|&i| {
        let slot = &slots[i];
        async move {
            retry(until, poll, || {
                slot.client
                    .annotate_service(&slot.state.region.service, ROLLOUT_ANNOTATION, None)
            })
            .await
        }
    }));
    let results = sup.drive(work).await?;
    for (&i, r) in promoted.iter().zip(results) {
        let k = slots[i].state.region.clone();
        match r {
            Ok(()) => {
                push(
                    &mut slots[i],
                    Finding::new(
                        Verdict::Pass,
                        RestoreFact::RolloutRecordRemoved {
                            annotation: ROLLOUT_ANNOTATION,
                            service: k.service.clone(),
                        },
                    ),
                );
                if let Some(run) = slots[i].run.as_mut() {
                    run.record = None;
                }
            }
            Err(e) => {
                let restore = summarised
                    .then(|| ctx.recovery.ocfail(&format!("restore --region {}", k.name)));
                let command = ctx.recovery.kubectl(
                    &k,
                    &format!("annotate service/{} {ROLLOUT_ANNOTATION}-", k.service),
                );
                push(
                    &mut slots[i],
                    Finding::new(
                        Verdict::Error,
                        RolloutFact::RecordLeft {
                            problem: describe::kube_problem(&e),
                            restore,
                            command,
                        },
                    ),
                );
                slots[i].status = Status::RestoreIncomplete;
            }
        }
    }
    Some(())
}

/// The `ocfail.dev/last-rollout` summary of a promoted region.
fn summary<W>(ctx: &Ctx<'_>, slot: &Slot<W>, kept_previous: bool, at: &str) -> String {
    let s = &slot.state;
    serde_json::json!({
        "runId": ctx.run_id,
        "kind": ctx.kind,
        "image": slot.image,
        "fromColor": s.live_color,
        "toColor": s.idle_color,
        "keptPrevious": kept_previous,
        "at": at,
    })
    .to_string()
}

fn push<W>(slot: &mut Slot<W>, check: Finding) {
    slot.run
        .get_or_insert_with(Default::default)
        .checks
        .push(check);
}
