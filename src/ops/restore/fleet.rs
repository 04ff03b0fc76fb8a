//! `ocfail restore` over the fleet: finds the runs whose records are left,
//! takes the fleet lock (taking over those runs' own leases at once, as
//! DESIGN.md §6.1 step 0 allows), restores every chosen region concurrently,
//! and releases the locks of runs that have nothing left to restore.
//!
//! A region that is not recorded needs no lock: reading it changes nothing,
//! so `ocfail restore` on a clean fleet never waits for another run.

use futures_util::future::join_all;

use crate::exit_code;
use crate::kube::{KubeError, KubeRegion};
use crate::manifest::Region;
use crate::ops::connect::Connected;
use crate::ops::describe;
use crate::ops::lock::{self, Holder, LockError, LockOptions};
use crate::ops::run::Findings;
use crate::report::model::{Check, RegionReport, Verdict};

use super::{
    EndedRuns, Outcome, RestoreOptions, finished_runs, recorded_runs, region, release_crashed_lock,
};

/// Restores every region (or only `only`) of `c`'s fleet. `run_id` is this
/// restore's own run, written into the leases it takes.
pub async fn fleet(
    c: &Connected,
    only: Option<&str>,
    opts: RestoreOptions,
    run_id: &str,
) -> Findings {
    let chosen: Vec<&(Region, Result<KubeRegion, KubeError>)> = c
        .regions
        .iter()
        .filter(|(r, _)| only.is_none_or(|want| r.name.as_str() == want))
        .collect();
    let reachable: Vec<KubeRegion> = chosen
        .iter()
        .filter_map(|(_, k)| k.as_ref().ok().cloned())
        .collect();
    let everywhere: Vec<_> = c.regions.iter().collect();
    let runs = runs_recorded(&chosen).await;
    // Drills that had put everything back (their summary is written) but
    // died before releasing the lock: their leases may be taken over too.
    let finished = runs_finished(&everywhere).await;
    let mut notes = Vec::new();

    // The lock, only when there is something to restore.
    let mut held = None;
    if !runs.is_empty() {
        let options = LockOptions {
            take_over_runs: runs.iter().chain(&finished).cloned().collect(),
            ..LockOptions::default()
        };
        match lock::acquire(&reachable, &Holder::new("restore", run_id), &options).await {
            Ok(l) => {
                notes.push(format!(
                    "held the fleet lock while restoring, taking over any lease of run {}",
                    runs.join(", ")
                ));
                held = Some(l);
            }
            Err(e @ LockError::Held { .. }) => return refused(&chosen, &e),
            // The lock keeps a drill from starting meanwhile (and a drill
            // would refuse anyway while records are left); restoring matters
            // more than the lock, so an API error here does not stop it.
            Err(e) => notes.push(format!(
                "could not take the lock ({e}); restoring without it"
            )),
        }
    }

    let cf = c.cloudflare.as_ref().ok().map(|c| c.as_ref());
    let work = chosen.iter().map(|(r, client)| async move {
        match client {
            Ok(w) => {
                // A region holds at most one operation's record, but both
                // kinds are looked for: a crash can leave either.
                let drill = region(w, cf, r, opts).await;
                let rollout = super::rollout::region(w, r, opts).await;
                merge(drill, rollout)
            }
            Err(e) => RegionReport::from_checks(
                r.name.as_str(),
                "could not reach the region",
                vec![Check::new("read", Verdict::Error, describe::kube(e))],
            ),
        }
    });
    let mut regions = join_all(work).await;

    if let Some(l) = held
        && let Err(e) = l.release().await
    {
        notes.push(format!("lock: {e}"));
    }
    // A run with no records left anywhere has nothing more to restore, and
    // neither has one whose summary is written: their leases (in the
    // regions this restore did not lock, or all of them when nothing was
    // recorded) can go now instead of blocking the next drill until they
    // expire. Any other run's lease is explained and left.
    let left = runs_recorded(&everywhere).await;
    let ended = EndedRuns {
        recorded: runs.into_iter().filter(|r| !left.contains(r)).collect(),
        finished: runs_finished(&everywhere).await,
    };
    for (r, client) in &c.regions {
        let Ok(w) = client else { continue };
        if let Some(check) = release_crashed_lock(w, &ended).await {
            match regions.iter_mut().find(|rep| rep.region == r.name.as_str()) {
                Some(rep) => {
                    rep.verdict = rep.verdict.max(check.verdict);
                    rep.checks.push(check);
                }
                None => notes.push(format!("{}: {}", r.name, check.detail)),
            }
        }
    }
    let exit_code = regions
        .iter()
        .any(|r| r.verdict >= Verdict::Error)
        .then_some(exit_code::RESTORE_INCOMPLETE);
    Findings {
        regions,
        notes,
        traffic: None,
        exit_code,
    }
}

/// The run ids recorded in `regions` (the reachable ones), deduplicated.
async fn runs_recorded(regions: &[&(Region, Result<KubeRegion, KubeError>)]) -> Vec<String> {
    let found = join_all(regions.iter().filter_map(|(r, k)| {
        k.as_ref().ok().map(|k| async move {
            let mut runs = recorded_runs(k, r).await;
            runs.extend(super::rollout::recorded_runs(k, r).await);
            runs
        })
    }))
    .await;
    let mut runs: Vec<String> = found.into_iter().flatten().collect();
    runs.sort();
    runs.dedup();
    runs
}

/// The run ids of the drills summarised (`ocfail.dev/last-drill`) in `regions`.
async fn runs_finished(regions: &[&(Region, Result<KubeRegion, KubeError>)]) -> Vec<String> {
    let found = join_all(
        regions
            .iter()
            .filter_map(|(r, k)| k.as_ref().ok().map(|k| finished_runs(k, r))),
    )
    .await;
    let mut runs: Vec<String> = found.into_iter().flatten().collect();
    runs.sort();
    runs.dedup();
    runs
}

/// One report from a region's drill and rollout restores: a clean half
/// adds nothing but its "nothing to restore" when both are clean.
fn merge(drill: (Outcome, RegionReport), rollout: (Outcome, RegionReport)) -> RegionReport {
    match (drill, rollout) {
        ((Outcome::Clean, report), (Outcome::Clean, _)) => report,
        ((Outcome::Clean, _), (_, report)) | ((_, report), (Outcome::Clean, _)) => report,
        ((_, mut a), (_, b)) => {
            a.summary = format!("{}; {}", a.summary, b.summary);
            a.verdict = a.verdict.max(b.verdict);
            a.checks.extend(b.checks);
            a
        }
    }
}

/// Every chosen region refused: another live run holds the lock.
fn refused(chosen: &[&(Region, Result<KubeRegion, KubeError>)], e: &LockError) -> Findings {
    let why = e.line();
    Findings {
        traffic: None,
        regions: chosen
            .iter()
            .map(|(r, _)| {
                RegionReport::from_checks(
                    r.name.as_str(),
                    "refused: nothing was changed",
                    vec![Check::new("lock", Verdict::Fail, why.clone())],
                )
            })
            .collect(),
        notes: vec![
            "another run holds the lock and is not one whose records are left; wait for it to finish"
                .to_owned(),
        ],
        exit_code: Some(exit_code::REFUSED),
    }
}
