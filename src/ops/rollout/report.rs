//! The rollout's report: one [`RegionFindings`] per selected region, with
//! its status, colours, images and timings, and the outcomes of runs that
//! stopped before changing anything.

use crate::exit_code;
use crate::facts::api::ApiProblem;
use crate::facts::lock::LockFact;
use crate::facts::restore::NothingChanged;
use crate::facts::rollout::{
    Change, NotStarted, ReadProblem, Refusal, RolloutFact, RolloutNote, RolloutSummary,
};
use crate::facts::{Finding, RegionFindings, RolloutFacts, TrafficSummary, Verdict};
use crate::kube::image_tag;
use crate::manifest::Region;

use super::super::recovery::Recovery;
use super::super::supervise::StopReason;
use super::{Slot, Status};
use crate::facts::{Findings, Note};

/// Nothing was changed: a region could not be read.
pub(super) fn unreachable(selected: &[&Region], bad: &Region, why: ReadProblem) -> Findings {
    let unread = || {
        RegionFindings::from_checks(
            bad.name.as_str(),
            RolloutSummary::Unreadable,
            vec![Finding::new(
                Verdict::Error,
                RolloutFact::Unreadable(why.clone()),
            )],
        )
    };
    let regions = selected
        .iter()
        .map(|r| {
            if r.name == bad.name {
                unread()
            } else {
                RegionFindings::from_checks(
                    r.name.as_str(),
                    RolloutSummary::NotStarted(NotStarted::NotStarted),
                    vec![Finding::new(
                        Verdict::Skipped,
                        RolloutFact::OtherUnreadable {
                            region: bad.name.to_string(),
                        },
                    )],
                )
            }
        })
        .collect::<Vec<_>>();
    let mut notes: Vec<Note> = vec![
        RolloutNote::Unreadable {
            region: bad.name.to_string(),
            problem: why.clone(),
        }
        .into(),
    ];
    if !selected.iter().any(|r| r.name == bad.name) {
        notes.push(
            RolloutNote::NeededForLock {
                region: bad.name.to_string(),
            }
            .into(),
        );
    }
    Findings {
        regions: if regions.is_empty() {
            vec![unread()]
        } else {
            regions
        },
        notes,
        traffic: None,
        exit_code: None,
    }
}

/// Nothing was changed: a record or another run's lock is in the way.
pub(super) fn refused(selected: &[&Region], why: Refusal) -> Findings {
    let check = Finding::new(Verdict::Fail, RolloutFact::Refused(why.clone()));
    let note = RolloutNote::Refused(why).into();
    nothing_changed(
        selected,
        NothingChanged::Refused,
        &check,
        note,
        Some(exit_code::REFUSED),
    )
}

/// Nothing was changed: the API failed while the lock was taken (exit 3,
/// could not check; a lock held by another run is [`refused`]).
pub(super) fn lock_failed(selected: &[&Region], why: ApiProblem) -> Findings {
    let fact = LockFact::NotTaken(why);
    let check = Finding::new(Verdict::Error, fact.clone());
    nothing_changed(selected, NothingChanged::NoLock, &check, fact.into(), None)
}

/// Nothing was changed: a signal arrived before the lock was taken (exit 130).
pub(super) fn stopped_before(selected: &[&Region], reason: Option<StopReason>) -> Findings {
    let signal = match reason {
        Some(StopReason::Signal(s)) => Some(s.name()),
        _ => None,
    };
    let check = Finding::new(Verdict::Skipped, RolloutFact::Stopped { signal });
    let note = RolloutNote::Stopped { signal }.into();
    nothing_changed(
        selected,
        NothingChanged::Stopped,
        &check,
        note,
        Some(exit_code::INTERRUPTED),
    )
}

/// Every selected region with `check`, summed up as `why`; `note` says it
/// once for the fleet.
fn nothing_changed(
    selected: &[&Region],
    why: NothingChanged,
    check: &Finding,
    note: Note,
    exit_code: Option<u8>,
) -> Findings {
    Findings {
        regions: selected
            .iter()
            .map(|r| {
                RegionFindings::from_checks(
                    r.name.as_str(),
                    RolloutSummary::NothingChanged(why),
                    vec![check.clone()],
                )
            })
            .collect(),
        notes: vec![note],
        traffic: None,
        exit_code,
    }
}

/// The per-region reports.
pub(super) fn outcome<W>(
    recovery: &Recovery,
    slots: Vec<Slot<W>>,
    notes: Vec<Note>,
    traffic: Option<TrafficSummary>,
    exit_code: Option<u8>,
) -> Findings {
    let regions = slots.into_iter().map(|s| report(recovery, s)).collect();
    Findings {
        regions,
        notes,
        traffic,
        exit_code,
    }
}

fn report<W>(recovery: &Recovery, slot: Slot<W>) -> RegionFindings {
    let s = &slot.state;
    let (from, to) = (s.live_color.clone(), s.idle_color.clone());
    let change = Change {
        before: image_tag(&s.live.image).to_owned(),
        after: image_tag(&slot.image).to_owned(),
        from: from.clone(),
        to: to.clone(),
    };
    let mut checks = slot.pre.clone();
    checks.extend(
        slot.run
            .as_ref()
            .map(|r| r.checks.clone())
            .unwrap_or_default(),
    );
    checks.extend(slot.post.iter().cloned());
    let timings = slot
        .run
        .as_ref()
        .map(|r| r.timings.clone())
        .unwrap_or_default();
    let (status, verdict, summary, live_after) = ending(recovery, &slot, change, &mut checks);
    let mut r = RegionFindings::from_checks(s.region.name.as_str(), summary, checks);
    // A failed `after` guard (or an overridden `before` one) counts too.
    r.verdict = Verdict::worst(
        std::iter::once(verdict).chain(slot.pre.iter().chain(&slot.post).map(|f| f.verdict)),
    );
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

/// Where the region ended: its `rollout.status`, verdict, line and live
/// image after the run; adds the check that says why when no step did.
fn ending<'s, W>(
    recovery: &Recovery,
    slot: &'s Slot<W>,
    change: Change,
    checks: &mut Vec<Finding>,
) -> (&'static str, Verdict, RolloutSummary, &'s String) {
    let s = &slot.state;
    let from = &change.from;
    match &slot.status {
        Status::AlreadyLive => {
            checks.push(Finding::new(
                Verdict::Pass,
                RolloutFact::AlreadyLive {
                    deployment: s.deployment(from),
                    image: slot.image.clone(),
                },
            ));
            (
                "already-live",
                Verdict::Pass,
                RolloutSummary::AlreadyLive {
                    colour: from.clone(),
                    tag: change.before,
                },
                &s.live.image,
            )
        }
        Status::NothingToRollBack => {
            checks.push(Finding::new(
                Verdict::Skipped,
                RolloutFact::NothingToRollBack {
                    image: s.live.image.clone(),
                },
            ));
            (
                "not-started",
                Verdict::Skipped,
                RolloutSummary::NothingToRollBack,
                &s.live.image,
            )
        }
        Status::Planned(plan) => {
            checks.extend(plan.iter().cloned());
            (
                "not-started",
                Verdict::Pass,
                RolloutSummary::Planned(change),
                &s.live.image,
            )
        }
        Status::Promoted => (
            "promoted",
            Verdict::Pass,
            RolloutSummary::Promoted(change),
            &slot.image,
        ),
        Status::Halted => (
            "promoted",
            Verdict::Pass,
            RolloutSummary::Halted(change),
            &slot.image,
        ),
        Status::Failed => {
            // The step that stopped the region: a failed check (the new
            // version was seen not to work) or an API error (it could not
            // be checked), which decides the region's verdict and so the
            // exit code, 1 or 3, as for every command.
            // An analysis that could not measure stops a region too
            // (inconclusive, exit 4), when nothing worse did.
            let stopped = checks
                .iter()
                .find(|c| c.verdict >= Verdict::Error)
                .or_else(|| checks.iter().find(|c| c.verdict == Verdict::Inconclusive));
            let verdict = stopped.map_or(Verdict::Fail, |c| c.verdict);
            let summary = RolloutSummary::Failed {
                change,
                stopped: stopped.cloned().map(Box::new),
            };
            ("failed", verdict, summary, &s.live.image)
        }
        Status::RolledBack(why) => (
            "rolled-back",
            Verdict::Warn,
            RolloutSummary::RolledBack {
                change,
                why: why.clone(),
            },
            &s.live.image,
        ),
        Status::LockLost(why) => (
            "rolled-back",
            Verdict::Error,
            RolloutSummary::LockLost {
                change,
                why: why.clone(),
            },
            &s.live.image,
        ),
        Status::NotStarted(why) => {
            checks.push(Finding::new(
                Verdict::Skipped,
                RolloutFact::NotStarted(why.clone()),
            ));
            (
                "not-started",
                Verdict::Skipped,
                RolloutSummary::NotStarted(why.clone()),
                &s.live.image,
            )
        }
        Status::RestoreIncomplete => (
            "restore-incomplete",
            Verdict::Error,
            RolloutSummary::RestoreIncomplete {
                restore: recovery.ocfail(&format!("restore --region {}", s.region.name)),
            },
            &slot.image,
        ),
    }
}
