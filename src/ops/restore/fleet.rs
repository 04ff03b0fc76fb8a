//! `ocfail restore` over the fleet: finds the runs whose records are left,
//! takes the fleet lock (taking over those runs' own leases at once, as
//! DESIGN.md §6.1 step 0 allows), restores every chosen region concurrently,
//! and releases the locks of runs that have nothing left to restore.
//!
//! A region that is not recorded needs no lock: reading it changes nothing,
//! so `ocfail restore` on a clean fleet never waits for another run.

use std::time::Instant;

use futures_util::future::join_all;

use crate::exit_code;
use crate::kube::KubeRegion;
use crate::manifest::Region;
use crate::ops::connect::Connected;
use crate::ops::describe;
use crate::ops::lock::{self, Holder, LockError, LockOptions};
use crate::ops::run::Findings;
use crate::report::model::{Check, RegionReport, Verdict};

use super::{EndedRuns, Outcome, RestoreOptions, Scan, region, release_crashed_lock, scan};

/// Restores every region (or only `only`) of `c`'s fleet. `run_id` is this
/// restore's own run, written into the leases it takes.
pub async fn fleet(
    c: &Connected,
    only: Option<&str>,
    opts: RestoreOptions,
    run_id: &str,
) -> Findings {
    // One read of every region, at once: the runs recorded and finished.
    // A region that cannot be read within `retry_for` is reported as such
    // and left out of everything after, so a dead API costs one deadline,
    // not one per call.
    let until = Instant::now() + opts.retry_for;
    let scans: Vec<Scanned> = join_all(c.regions.iter().map(|(r, k)| async move {
        let read = match k {
            Ok(k) => scan(k, r, until, opts.poll)
                .await
                .map(|s| (k, s))
                .map_err(|e| describe::kube(&e)),
            Err(e) => Err(describe::kube(e)),
        };
        (r, read)
    }))
    .await;
    let is_chosen = |r: &Region| only.is_none_or(|want| r.name.as_str() == want);
    let readable = |chosen_only: bool| {
        scans
            .iter()
            .filter(move |(r, _)| !chosen_only || is_chosen(r))
            .filter_map(|(r, read)| read.as_ref().ok().map(|(k, s)| (*r, *k, s)))
    };
    let runs = sorted(readable(true).flat_map(|(_, _, s)| s.recorded.clone()));
    // Drills that had put everything back (their summary is written) but
    // died before releasing the lock: their leases may be taken over too.
    let finished = sorted(readable(false).flat_map(|(_, _, s)| s.finished.clone()));
    let mut notes = Vec::new();

    // The lock, only when there is something to restore.
    let mut held = None;
    if !runs.is_empty() {
        let options = LockOptions {
            take_over_runs: runs.iter().chain(&finished).cloned().collect(),
            ..LockOptions::default()
        };
        let lockable: Vec<KubeRegion> = readable(true).map(|(_, k, _)| k.clone()).collect();
        match lock::acquire(&lockable, &Holder::new("restore", run_id), &options).await {
            Ok(l) => {
                notes.push(format!(
                    "held the fleet lock while restoring, taking over any lease of run {}",
                    runs.join(", ")
                ));
                held = Some(l);
            }
            Err(e @ LockError::Held { .. }) => return refused(&scans, is_chosen, &e),
            // The lock keeps a drill from starting meanwhile (and a drill
            // would refuse anyway while records are left); restoring matters
            // more than the lock, so an API error here does not stop it.
            Err(e) => notes.push(format!(
                "could not take the lock ({e}); restoring without it"
            )),
        }
    }

    let cf = c.cloudflare.as_ref().ok().map(|c| c.as_ref());
    let work = scans
        .iter()
        .filter(|(r, _)| is_chosen(r))
        .map(|(r, read)| async move {
            let w = match read {
                Ok((w, _)) => *w,
                Err(why) => {
                    let check = Check::new("read", Verdict::Error, why.clone());
                    return RegionReport::from_checks(
                        r.name.as_str(),
                        "could not read the region",
                        vec![check],
                    );
                }
            };
            // A region holds at most one operation's record, but both
            // kinds are looked for: a crash can leave either.
            let drill = region(w, cf, r, opts).await;
            if unreadable(&drill.1) {
                // The same API would fail the rollout half the same way.
                return drill.1;
            }
            let rollout = super::rollout::region(w, r, opts).await;
            merge(drill, rollout)
        });
    let mut regions = join_all(work).await;

    if let Some(l) = held
        && let Err(e) = l.release().await
    {
        lock::report_unreleased(&mut regions, &e, &c.fleet);
    }
    // A run with no records left anywhere has nothing more to restore, and
    // neither has one whose summary is written: their leases (in the
    // regions this restore did not lock, or all of them when nothing was
    // recorded) can go now instead of blocking the next drill until they
    // expire. Any other run's lease is explained and left. One read each
    // (no retries): a region that fails it keeps every run's lease.
    let rescans = join_all(
        readable(false)
            .map(|(r, k, _)| async move { (r, k, scan(k, r, Instant::now(), opts.poll).await) }),
    )
    .await;
    let reread = rescans.iter().all(|(_, _, s)| s.is_ok());
    let left = sorted(
        rescans
            .iter()
            .filter_map(|(_, _, s)| s.as_ref().ok())
            .flat_map(|s| s.recorded.clone()),
    );
    let ended = EndedRuns {
        recorded: runs
            .into_iter()
            .filter(|r| reread && !left.contains(r))
            .collect(),
        finished: sorted(
            rescans
                .iter()
                .filter_map(|(_, _, s)| s.as_ref().ok())
                .flat_map(|s| s.finished.clone()),
        ),
    };
    for (r, w, _) in &rescans {
        if let Some(check) = release_crashed_lock(*w, &ended).await {
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

/// A region and what reading it found: its client and runs, or why not.
type Scanned<'a> = (&'a Region, Result<(&'a KubeRegion, Scan), String>);

fn sorted(runs: impl Iterator<Item = String>) -> Vec<String> {
    let mut runs: Vec<String> = runs.collect();
    runs.sort();
    runs.dedup();
    runs
}

/// The region could not even be read: nothing is known of its records.
fn unreadable(report: &RegionReport) -> bool {
    report
        .checks
        .iter()
        .any(|c| c.name == "read" && c.verdict == Verdict::Error)
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
fn refused(scans: &[Scanned<'_>], is_chosen: impl Fn(&Region) -> bool, e: &LockError) -> Findings {
    let why = e.line();
    Findings {
        traffic: None,
        regions: scans
            .iter()
            .filter(|(r, _)| is_chosen(r))
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
