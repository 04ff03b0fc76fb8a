//! `ocfail restore` over the fleet: finds the runs whose records are left,
//! makes sure each is gone, takes the fleet lock (taking over those runs'
//! own leases at once, as docs/drills.md allows), restores every
//! chosen region concurrently, and releases the locks of runs that have
//! nothing left to restore.
//!
//! A run with records is not necessarily a crashed one: a drill holding an
//! outage has its record on the cluster too. Restore takes over only runs
//! that are provably gone: their summary is written, their process (named
//! in the record) is gone from this machine, or their lease has expired.
//! A run still renewing its lease, or whose process runs here, is live:
//! exit 5, naming it. From another machine, restore watches the lease for
//! up to its expiry (a live run renews it every 10 s).
//!
//! A region that is not recorded needs no lock: reading it changes nothing,
//! so `ocfail restore` on a clean fleet never waits for another run.

use std::time::SystemTime;

use futures_util::future::join_all;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::cloudflare::Pools;
use crate::exit_code;
use crate::facts::Findings;
use crate::facts::api::ApiProblem;
use crate::facts::lock::{Alive, LockFact};
use crate::facts::restore::{NothingChanged, RestoreFact, RestoreNote, RestoreSummary};
use crate::facts::{Fact, Finding, Note, RegionFindings, Verdict};
use crate::kube::{LeaseState, Workloads};
use crate::manifest::Region;
use crate::ops::clients::Clients;
use crate::ops::describe;
use crate::ops::lock::{self, FleetLock, Holder, LockError, LockOptions};
use crate::ops::process::Liveness;
use crate::ops::snapshot::LOCK_LEASE;

use super::{EndedRuns, Outcome, RestoreOptions, Scan, region, release_crashed_lock, scan};

/// Whether a recorded run still runs, as far as this restore can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
enum RunState {
    /// Provably gone: restore may take its leases over.
    Gone,
    /// Running: how we know, and its holder.
    Alive { why: Alive, holder: Option<String> },
    /// Nothing here proves either: its live leases, by region.
    Unknown(Vec<(String, LeaseState)>),
}

/// The live leases `run` holds, by region.
fn live_leases<'a>(
    run: &str,
    leases: impl Iterator<Item = (&'a str, &'a LeaseState)>,
    now: SystemTime,
) -> Vec<(String, LeaseState)> {
    leases
        .filter(|(_, l)| {
            l.holder
                .as_deref()
                .is_some_and(|h| Holder::parse(h).run_id() == Some(run))
        })
        .filter(|(_, l)| lock::expires_in(l, now).is_some())
        .map(|(r, l)| (r.to_owned(), l.clone()))
        .collect()
}

/// The holder the leases name, if any does.
fn holder_of(leases: &[(String, LeaseState)]) -> Option<String> {
    leases.iter().find_map(|(_, l)| l.holder.clone())
}

/// What the records and leases read say about `run`.
fn classify(run: &str, scans: &[(&Region, &Scan)], finished: &[String]) -> RunState {
    if finished.iter().any(|f| f == run) {
        return RunState::Gone;
    }
    let now = SystemTime::now();
    let leases = live_leases(
        run,
        scans
            .iter()
            .filter_map(|(r, s)| s.lease.as_ref().map(|l| (r.name.as_str(), l))),
        now,
    );
    if leases.is_empty() {
        return RunState::Gone;
    }
    let process = scans
        .iter()
        .flat_map(|(_, s)| s.processes.iter())
        .find(|(r, _)| r == run)
        .map(|(_, p)| p);
    match process.map(|p| (p, p.liveness())) {
        Some((_, Liveness::Gone)) => RunState::Gone,
        Some((p, Liveness::Alive)) => RunState::Alive {
            why: Alive::ProcessHere { pid: p.pid },
            holder: holder_of(&leases),
        },
        _ => RunState::Unknown(leases),
    }
}

/// Watches the leases of a run nothing proves gone or alive: a renewal
/// means it is alive; expiry, that it is gone. Bounded by `until` and `stop`.
async fn watch<W: Workloads>(
    leases: Vec<(String, LeaseState)>,
    clients: &[(&Region, &W)],
    until: Instant,
    stop: &CancellationToken,
) -> RunState {
    let holder = holder_of(&leases);
    loop {
        let now = SystemTime::now();
        let mut live = Vec::new();
        for (region, seen) in &leases {
            let Some((_, w)) = clients.iter().find(|(r, _)| r.name.as_str() == region) else {
                continue;
            };
            let Ok(current) = w.lease(LOCK_LEASE).await else {
                // Unreadable now: keep what was seen; it expires on its own.
                if lock::expires_in(seen, now).is_some() {
                    live.push(region.clone());
                }
                continue;
            };
            let Some(current) = current else { continue };
            let same_holder = current.holder == seen.holder;
            if same_holder && current.renew_time != seen.renew_time {
                return RunState::Alive {
                    why: Alive::Renewed {
                        region: region.clone(),
                    },
                    holder,
                };
            }
            if same_holder && lock::expires_in(&current, now).is_some() {
                live.push(region.clone());
            }
        }
        if live.is_empty() {
            return RunState::Gone;
        }
        if Instant::now() >= until {
            return RunState::Alive {
                why: Alive::DidNotExpire { regions: live },
                holder,
            };
        }
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            () = stop.cancelled() => return RunState::Unknown(Vec::new()),
        }
    }
}

/// Restores every region (or only `only`) of `c`'s fleet. `run_id` is this
/// restore's own run, written into the leases it takes; `stop` (a signal)
/// ends a wait for another run's lease, before anything changed.
pub async fn fleet<W, P>(
    c: &Clients<W, P>,
    only: Option<&str>,
    opts: RestoreOptions,
    run_id: &str,
    stop: &CancellationToken,
) -> Findings
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    // One read of every region, at once: the runs recorded and finished.
    // A region that cannot be read within `retry_for` is reported as such
    // and left out of everything after, so a dead API costs one deadline,
    // not one per call.
    let until = crate::durations::deadline(Instant::now(), opts.retry_for);
    let scans: Vec<Scanned<'_, W>> = join_all(c.regions.iter().map(|(r, k)| async move {
        let read = match k {
            Ok(k) => scan(k, r, until, opts.poll)
                .await
                .map(|s| (k, s))
                .map_err(|e| describe::kube_problem(&e)),
            Err(e) => Err(describe::kube_problem(e)),
        };
        (r, read)
    }))
    .await;
    let read = Read { scans, only };
    let runs = sorted(read.readable(true).flat_map(|(_, _, s)| s.recorded.clone()));
    // Drills that had put everything back (their summary is written) but
    // died before releasing the lock: their leases may be taken over too.
    let finished = sorted(
        read.readable(false)
            .flat_map(|(_, _, s)| s.finished.clone()),
    );
    // Rollouts that had begun removing their records (every region they
    // changed was promoted): a record of theirs is finished, not undone.
    let committed = sorted(
        read.readable(false)
            .flat_map(|(_, _, s)| s.committed.clone()),
    );
    let mut notes: Vec<Note> = Vec::new();

    if let Err(refused) = read
        .all_gone(&runs, &finished, until, stop, &mut notes)
        .await
    {
        return refused;
    }
    let held = match read.lock(&runs, &finished, run_id, &mut notes).await {
        Ok(held) => held,
        Err(refused) => return refused,
    };
    let mut regions = read.restore(c, opts, &committed).await;
    if let Some(l) = held
        && let Err(e) = l.release().await
    {
        lock::report_unreleased(&mut regions, &e, &c.fleet, c.recovery.in_cluster);
    }
    if !runs.is_empty() {
        notes.push(RestoreNote::CleanedUp { runs: runs.clone() }.into());
    }
    read.release_ended(runs, opts, &mut regions, &mut notes)
        .await;
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
type Scanned<'a, W> = (&'a Region, Result<(&'a W, Scan), ApiProblem>);

/// The first read of every region, and which regions are to be restored.
struct Read<'a, W> {
    scans: Vec<Scanned<'a, W>>,
    /// `--region`.
    only: Option<&'a str>,
}

impl<'a, W: Workloads + Clone + 'static> Read<'a, W> {
    fn is_chosen(&self, r: &Region) -> bool {
        self.only.is_none_or(|want| r.name.as_str() == want)
    }

    /// The regions read, with their clients and scans (only the chosen
    /// ones with `chosen_only`).
    fn readable(&self, chosen_only: bool) -> impl Iterator<Item = (&'a Region, &'a W, &Scan)> {
        self.scans
            .iter()
            .filter(move |(r, _)| !chosen_only || self.is_chosen(r))
            .filter_map(|(r, read)| read.as_ref().ok().map(|(k, s)| (*r, *k, s)))
    }

    /// Only runs that are gone are restored: `Err` refuses a live one (or
    /// says a signal stopped the watch of its lease).
    async fn all_gone(
        &self,
        runs: &[String],
        finished: &[String],
        until: Instant,
        stop: &CancellationToken,
        notes: &mut Vec<Note>,
    ) -> Result<(), Findings> {
        let all: Vec<(&Region, &Scan)> = self.readable(false).map(|(r, _, s)| (r, s)).collect();
        let clients: Vec<(&Region, &W)> = self.readable(false).map(|(r, k, _)| (r, k)).collect();
        for run in runs {
            let mut state = classify(run, &all, finished);
            if let RunState::Unknown(leases) = state {
                notes.push(RestoreNote::Watching { run: run.clone() }.into());
                state = watch(leases, &clients, until, stop).await;
                if stop.is_cancelled() {
                    // Stopped by a signal while watching another run's
                    // lease: nothing changed.
                    let line = LockFact::StoppedWatching { run: run.clone() };
                    return Err(self.nothing_changed(
                        NothingChanged::Stopped,
                        Finding::new(Verdict::Skipped, line.clone()),
                        line.into(),
                        exit_code::INTERRUPTED,
                    ));
                }
            }
            if let RunState::Alive { why, holder } = state {
                // Still running: refused, naming it (exit 5).
                let line = LockFact::LiveRun {
                    run: run.clone(),
                    holder,
                    why,
                };
                return Err(self.nothing_changed(
                    NothingChanged::Refused,
                    Finding::new(Verdict::Fail, line.clone()),
                    line.into(),
                    exit_code::REFUSED,
                ));
            }
        }
        Ok(())
    }

    /// The lock, only when there is something to restore, taking over the
    /// leases of `runs` and `finished`. `Err` when another live run holds
    /// it; an API error only costs the lock.
    async fn lock(
        &self,
        runs: &[String],
        finished: &[String],
        run_id: &str,
        notes: &mut Vec<Note>,
    ) -> Result<Option<FleetLock<W>>, Findings> {
        if runs.is_empty() {
            return Ok(None);
        }
        let options = LockOptions {
            take_over_runs: runs.iter().chain(finished).cloned().collect(),
            ..LockOptions::default()
        };
        let lockable: Vec<W> = self.readable(true).map(|(_, k, _)| k.clone()).collect();
        match lock::acquire(&lockable, &Holder::new("restore", run_id), &options).await {
            Ok(l) => {
                notes.push(
                    RestoreNote::HeldLock {
                        runs: runs.to_vec(),
                    }
                    .into(),
                );
                Ok(Some(l))
            }
            Err(e @ LockError::Held { .. }) => Err(self.nothing_changed(
                NothingChanged::Refused,
                Finding::new(Verdict::Fail, LockFact::NotTaken(e.problem())),
                RestoreNote::OtherRunHolds.into(),
                exit_code::REFUSED,
            )),
            // The lock keeps a drill from starting meanwhile (and a drill
            // would refuse anyway while records are left); restoring matters
            // more than the lock, so an API error here does not stop it.
            Err(e) => {
                notes.push(
                    RestoreNote::NoLock {
                        error: e.to_string(),
                    }
                    .into(),
                );
                Ok(None)
            }
        }
    }

    /// Restores every chosen region concurrently.
    async fn restore<P: Pools + 'static>(
        &self,
        c: &Clients<W, P>,
        opts: RestoreOptions,
        committed: &[String],
    ) -> Vec<RegionFindings> {
        let cf = c.cloudflare.as_ref().ok().map(|c| c.as_ref());
        let work =
            self.scans
                .iter()
                .filter(|(r, _)| self.is_chosen(r))
                .map(|(r, read)| async move {
                    let w = match read {
                        Ok((w, _)) => *w,
                        Err(why) => {
                            let check =
                                Finding::new(Verdict::Error, RestoreFact::Unreadable(why.clone()));
                            return RegionFindings::from_checks(
                                r.name.as_str(),
                                RestoreSummary::Unreadable,
                                vec![check],
                            );
                        }
                    };
                    // A region holds at most one operation's record, but both
                    // kinds are looked for: a crash can leave either.
                    let drill = region(w, cf, r, opts, &c.recovery).await;
                    if unreadable(&drill.1) {
                        // The same API would fail the rollout half the same way.
                        return drill.1;
                    }
                    let rollout = super::rollout::region(w, r, opts, &c.recovery, committed).await;
                    merge(drill, rollout)
                });
        join_all(work).await
    }

    /// A run with no records left anywhere has nothing more to restore, and
    /// neither has one whose summary is written: their leases (in the
    /// regions this restore did not lock, or all of them when nothing was
    /// recorded) can go now instead of blocking the next drill until they
    /// expire. Any other run's lease is explained and left. One read each
    /// (no retries): a region that fails it keeps every run's lease.
    async fn release_ended(
        &self,
        runs: Vec<String>,
        opts: RestoreOptions,
        regions: &mut [RegionFindings],
        notes: &mut Vec<Note>,
    ) {
        let rescans =
            join_all(self.readable(false).map(|(r, k, _)| async move {
                (r, k, scan(k, r, Instant::now(), opts.poll).await)
            }))
            .await;
        let reread = rescans.iter().all(|(_, _, s)| s.is_ok());
        let scanned = || rescans.iter().filter_map(|(_, _, s)| s.as_ref().ok());
        let left = sorted(scanned().flat_map(|s| s.recorded.clone()));
        let ended = EndedRuns {
            recorded: runs
                .into_iter()
                .filter(|r| reread && !left.contains(r))
                .collect(),
            finished: sorted(scanned().flat_map(|s| s.finished.clone())),
            committed: sorted(scanned().flat_map(|s| s.committed.clone())),
        };
        for (r, w, _) in &rescans {
            let Some(check) = release_crashed_lock(*w, &ended).await else {
                continue;
            };
            match regions.iter_mut().find(|rep| rep.region == r.name.as_str()) {
                Some(rep) => {
                    rep.verdict = rep.verdict.max(check.verdict);
                    rep.checks.push(check);
                }
                None => {
                    if let Fact::Lock(lease) = check.fact {
                        let region = r.name.to_string();
                        notes.push(RestoreNote::Lease { region, lease }.into());
                    }
                }
            }
        }
    }

    /// Every chosen region with `check`, summed up as `why`: nothing was
    /// changed; `note` says it once for the fleet.
    fn nothing_changed(
        &self,
        why: NothingChanged,
        check: Finding,
        note: Note,
        exit_code: u8,
    ) -> Findings {
        Findings {
            traffic: None,
            regions: self
                .scans
                .iter()
                .filter(|(r, _)| self.is_chosen(r))
                .map(|(r, _)| {
                    RegionFindings::from_checks(
                        r.name.as_str(),
                        RestoreSummary::NothingChanged(why),
                        vec![check.clone()],
                    )
                })
                .collect(),
            notes: vec![note],
            exit_code: Some(exit_code),
        }
    }
}

fn sorted(runs: impl Iterator<Item = String>) -> Vec<String> {
    let mut runs: Vec<String> = runs.collect();
    runs.sort();
    runs.dedup();
    runs
}

/// The region could not even be read: nothing is known of its records.
fn unreadable(report: &RegionFindings) -> bool {
    report
        .checks
        .iter()
        .any(|c| matches!(c.fact, Fact::Restore(RestoreFact::Unreadable(_))))
}

/// One report from a region's drill and rollout restores: a clean half
/// adds nothing but its "nothing to restore" when both are clean.
fn merge(drill: (Outcome, RegionFindings), rollout: (Outcome, RegionFindings)) -> RegionFindings {
    match (drill, rollout) {
        ((Outcome::Clean, report), (Outcome::Clean, _)) => report,
        ((Outcome::Clean, _), (_, report)) | ((_, report), (Outcome::Clean, _)) => report,
        ((_, mut a), (_, b)) => {
            a.summary = RestoreSummary::Both(Box::new(a.summary), Box::new(b.summary)).into();
            a.verdict = a.verdict.max(b.verdict);
            a.checks.extend(b.checks);
            a
        }
    }
}
