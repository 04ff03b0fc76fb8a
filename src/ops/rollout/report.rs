//! The rollout's report: one [`RegionFindings`] per selected region, with
//! its status, colours, images and timings, and the outcomes of runs that
//! stopped before changing anything.

use crate::exit_code;
use crate::facts::{Finding, RegionFindings, RolloutFacts, TrafficSummary, Verdict};
use crate::kube::image_tag;
use crate::manifest::Region;

use super::super::recovery::Recovery;
use super::super::supervise::StopReason;
use super::{Slot, Status};
use crate::facts::{Findings, Note};

/// Nothing was changed: a region could not be read.
pub(super) fn unreachable(selected: &[&Region], bad: &Region, why: &str) -> Findings {
    let regions = selected
        .iter()
        .map(|r| {
            if r.name == bad.name {
                RegionFindings::from_checks(
                    r.name.as_str(),
                    "could not read the region: nothing was changed",
                    vec![Finding::text("read", Verdict::Error, why)],
                )
            } else {
                RegionFindings::from_checks(
                    r.name.as_str(),
                    "not started",
                    vec![Finding::text(
                        "read",
                        Verdict::Skipped,
                        format!("{} could not be read", bad.name),
                    )],
                )
            }
        })
        .collect::<Vec<_>>();
    // Kubernetes errors already name their region.
    let mut notes = vec![if why.starts_with(bad.name.as_str()) {
        why.to_owned()
    } else {
        format!("{}: {why}", bad.name)
    }];
    if !selected.iter().any(|r| r.name == bad.name) {
        notes.push(format!(
            "{} is not rolled out, but the lock and the record check need every region",
            bad.name
        ));
    }
    Findings {
        regions: if regions.is_empty() {
            vec![RegionFindings::from_checks(
                bad.name.as_str(),
                "could not read the region: nothing was changed",
                vec![Finding::text("read", Verdict::Error, why)],
            )]
        } else {
            regions
        },
        notes: Note::texts(notes),
        traffic: None,
        exit_code: None,
    }
}

/// Nothing was changed: a record or another run's lock is in the way.
pub(super) fn refused(selected: &[&Region], why: &str) -> Findings {
    let check = Finding::text("refused", Verdict::Fail, why);
    nothing_changed(selected, "refused", check, Some(exit_code::REFUSED))
}

/// Nothing was changed: the API failed while the lock was taken (exit 3,
/// could not check; a lock held by another run is [`refused`]).
pub(super) fn lock_failed(selected: &[&Region], why: &str) -> Findings {
    let check = Finding::text("lock", Verdict::Error, why);
    nothing_changed(selected, "could not take the lock", check, None)
}

/// Nothing was changed: a signal arrived before the lock was taken (exit 130).
pub(super) fn stopped_before(selected: &[&Region], reason: Option<StopReason>) -> Findings {
    let why = match reason {
        Some(StopReason::Signal(s)) => format!("stopped by {} before anything changed", s.name()),
        _ => "stopped before anything changed".to_owned(),
    };
    let check = Finding::text("stopped", Verdict::Skipped, why);
    nothing_changed(selected, "stopped", check, Some(exit_code::INTERRUPTED))
}

/// Every selected region with `check`, summed up as `what`.
fn nothing_changed(
    selected: &[&Region],
    what: &str,
    check: Finding,
    exit_code: Option<u8>,
) -> Findings {
    Findings {
        regions: selected
            .iter()
            .map(|r| {
                RegionFindings::from_checks(
                    r.name.as_str(),
                    format!("{what}: nothing was changed"),
                    vec![check.clone()],
                )
            })
            .collect(),
        notes: vec![check.text_detail().into()],
        traffic: None,
        exit_code,
    }
}

/// The per-region reports.
pub(super) fn outcome<W>(
    recovery: &Recovery,
    slots: Vec<Slot<W>>,
    notes: Vec<String>,
    traffic: Option<TrafficSummary>,
    exit_code: Option<u8>,
) -> Findings {
    let regions = slots.into_iter().map(|s| report(recovery, s)).collect();
    Findings {
        regions,
        notes: Note::texts(notes),
        traffic,
        exit_code,
    }
}

fn report<W>(recovery: &Recovery, slot: Slot<W>) -> RegionFindings {
    let s = &slot.state;
    let (from, to) = (s.live_color.clone(), s.idle_color.clone());
    let before = image_tag(&s.live.image).to_owned();
    let after_new = image_tag(&slot.image).to_owned();
    let mut checks = slot
        .run
        .as_ref()
        .map(|r| r.checks.clone())
        .unwrap_or_default();
    let timings = slot
        .run
        .as_ref()
        .map(|r| r.timings.clone())
        .unwrap_or_default();
    let (status, verdict, summary, live_after) = match &slot.status {
        Status::AlreadyLive => {
            checks.push(Finding::text(
                "already-live",
                Verdict::Pass,
                format!("{} already runs {}", s.deployment(&from), slot.image),
            ));
            (
                "already-live",
                Verdict::Pass,
                format!("already live: {before} on {from}"),
                &s.live.image,
            )
        }
        Status::NothingToRollBack => {
            checks.push(Finding::text(
                "rollback",
                Verdict::Skipped,
                format!(
                    "both colours run {}: there is no previous version to go back to",
                    s.live.image
                ),
            ));
            (
                "not-started",
                Verdict::Skipped,
                "nothing to roll back to".to_owned(),
                &s.live.image,
            )
        }
        Status::Planned(plan) => {
            checks.extend(plan.iter().cloned());
            (
                "not-started",
                Verdict::Pass,
                format!("plan: {before} → {after_new} ({from} → {to})"),
                &s.live.image,
            )
        }
        Status::Promoted => (
            "promoted",
            Verdict::Pass,
            format!("promoted: {before} → {after_new} ({from} → {to})"),
            &slot.image,
        ),
        Status::Halted => (
            "promoted",
            Verdict::Pass,
            format!(
                "promoted: {before} → {after_new} ({from} → {to}); left promoted by onFailure: halt, {from} kept warm for `ocfail rollback`"
            ),
            &slot.image,
        ),
        Status::Failed => {
            // The step that stopped the region: a failed check (the new
            // version was seen not to work) or an API error (it could not
            // be checked), which decides the region's verdict and so the
            // exit code, 1 or 3, as for every command.
            let stopped = checks.iter().find(|c| c.verdict >= Verdict::Error);
            let why = stopped
                .map(|c| format!("{}: {}", c.text_name(), c.text_detail()))
                .unwrap_or_default();
            let verdict = stopped.map_or(Verdict::Fail, |c| c.verdict);
            (
                "failed",
                verdict,
                format!("failed, switched back to {before} ({from}): {why}"),
                &s.live.image,
            )
        }
        Status::RolledBack(why) => (
            "rolled-back",
            Verdict::Warn,
            format!("rolled back to {before} ({from}): {why}"),
            &s.live.image,
        ),
        Status::LockLost(why) => (
            "rolled-back",
            Verdict::Error,
            format!(
                "rolled back to {before} ({from}): {why}; the fleet lock was lost, so the rollout could not go on"
            ),
            &s.live.image,
        ),
        Status::NotStarted(why) => {
            checks.push(Finding::text("start", Verdict::Skipped, why.clone()));
            ("not-started", Verdict::Skipped, why.clone(), &s.live.image)
        }
        Status::RestoreIncomplete => (
            "restore-incomplete",
            Verdict::Error,
            format!(
                "left mid-change: run `{}`",
                recovery.ocfail(&format!("restore --region {}", s.region.name))
            ),
            &slot.image,
        ),
    };
    let mut r = RegionFindings::from_checks(s.region.name.as_str(), summary, checks);
    r.verdict = verdict;
    r.timings = timings;
    r.rollout = Some(RolloutFacts {
        status: status.to_owned(),
        from_color: from,
        to_color: to,
        image_before: s.live.image.clone(),
        image_after: live_after.clone(),
    });
    r
}
