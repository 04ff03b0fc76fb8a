//! The lock a crashed run leaves behind: which runs `ocfail restore` may
//! release the Lease of, and what it says about one it must leave.
//!
//! A run is known to have ended when this restore puts back its record (it
//! crashed mid-drill) or when its `ocfail.dev/last-drill` is written (it had
//! put everything back and died waiting for recovery or releasing the
//! lock), or, for a rollout, its `ocfail.dev/last-rollout` (it had promoted
//! every region and died removing its records or releasing the lock). A
//! lease of any other run is left alone: nothing tells a dead run from one
//! between taking the lock and writing its record; its lease expires by
//! itself.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::facts::lock::{LockFact, RunEnded};
use crate::facts::{Finding, Verdict};
use crate::kube::{KubeError, LeaseState, Workloads};
use crate::manifest::Region;
use crate::ops::describe;
use crate::ops::lock::{self, Holder};
use crate::ops::process::ProcessId;
use crate::ops::ready::retry;
use crate::ops::record::{DrillRecord, RolloutRecord};
use crate::ops::snapshot::{
    DRILL_ANNOTATION, LAST_DRILL_ANNOTATION, LAST_ROLLOUT_ANNOTATION, LOCK_LEASE,
    ROLLOUT_ANNOTATION,
};

/// The runs whose leases `ocfail restore` may delete at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndedRuns {
    /// Runs whose records this restore puts back: they crashed mid-drill.
    pub recorded: Vec<String>,
    /// Runs whose `ocfail.dev/last-drill` is written: everything was back
    /// when they stopped, and only their lease outlived them.
    pub finished: Vec<String>,
    /// Rollouts whose `ocfail.dev/last-rollout` is written: every region
    /// they changed stays promoted, and only their lease outlived them.
    pub committed: Vec<String>,
}

/// The runs one region's records and summaries name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Runs with a record left: a drill's on a Deployment, a rollout's on
    /// the Service.
    pub recorded: Vec<String>,
    /// The process each recorded run wrote into its record, when it did.
    pub processes: Vec<(String, ProcessId)>,
    /// The lock Lease, as read with the records.
    pub lease: Option<LeaseState>,
    /// Drills whose `ocfail.dev/last-drill` summary is written: they had put
    /// everything back (themselves, or through `ocfail restore`).
    pub finished: Vec<String>,
    /// Rollouts whose `ocfail.dev/last-rollout` summary is written: they had
    /// promoted every region and were removing their records.
    pub committed: Vec<String>,
}

/// Reads a region's two Deployments and its Service once each, retrying
/// transient errors until `until`. An error means the region could not be
/// read at all: nothing is known of its records.
pub async fn scan<W: Workloads>(
    w: &W,
    region: &Region,
    until: Instant,
    poll: Duration,
) -> Result<Scan, KubeError> {
    let mut found = Scan::default();
    for colour in ["blue", "green"] {
        let name = format!("{}-{colour}", region.deployment);
        let Some(d) = retry(until, poll, || w.deployment(&name)).await? else {
            continue;
        };
        if let Some(r) = d.annotations.get(DRILL_ANNOTATION)
            && let Ok(r) = DrillRecord::parse(r)
        {
            if let Some(p) = r.process {
                found.processes.push((r.run_id.clone(), p));
            }
            found.recorded.push(r.run_id);
        }
        if let Some(raw) = d.annotations.get(LAST_DRILL_ANNOTATION) {
            let summary: Option<serde_json::Value> = serde_json::from_str(raw).ok();
            found
                .finished
                .extend(summary.and_then(|s| s["runId"].as_str().map(str::to_owned)));
        }
    }
    let service = retry(until, poll, || w.service(&region.service)).await?;
    if let Some(raw) = service
        .as_ref()
        .and_then(|s| s.annotations.get(LAST_ROLLOUT_ANNOTATION))
    {
        let summary: Option<serde_json::Value> = serde_json::from_str(raw).ok();
        found
            .committed
            .extend(summary.and_then(|s| s["runId"].as_str().map(str::to_owned)));
    }
    if let Some(raw) = service.and_then(|s| s.annotations.get(ROLLOUT_ANNOTATION).cloned())
        && let Ok(r) = RolloutRecord::parse(&raw)
    {
        if let Some(p) = r.process {
            found.processes.push((r.run_id.clone(), p));
        }
        found.recorded.push(r.run_id);
    }
    found.lease = retry(until, poll, || w.lease(LOCK_LEASE)).await?;
    Ok(found)
}

/// What to do with the lock Lease found after restoring a region.
#[derive(Debug, PartialEq)]
enum Leftover {
    /// Delete it: run `run` has ended, as `ended` says.
    Release { run: String, ended: RunEnded },
    /// Leave it, and say so.
    Explain(Finding),
    /// Not an ocfail lease (or not held): `ocfail status` shows it.
    Ignore,
}

fn leftover(lease: &LeaseState, ended: &EndedRuns, now: SystemTime) -> Leftover {
    let Some(holder) = lease.holder.as_deref().filter(|h| !h.is_empty()) else {
        return Leftover::Ignore;
    };
    let Some(run) = Holder::parse(holder).run_id().map(str::to_owned) else {
        return Leftover::Ignore;
    };
    let how = if ended.recorded.contains(&run) {
        Some(RunEnded::Crashed)
    } else if ended.finished.contains(&run) {
        Some(RunEnded::PutBack)
    } else if ended.committed.contains(&run) {
        Some(RunEnded::Committed)
    } else {
        None
    };
    if let Some(ended) = how {
        return Leftover::Release { run, ended };
    }
    // No record does not mean no change: a run has none before its first
    // change, and none once it has put back or finished what it changed.
    let (name, holder) = (LOCK_LEASE.to_owned(), holder.to_owned());
    Leftover::Explain(match lock::expires_in(lease, now) {
        Some(left) => Finding::new(
            Verdict::Warn,
            LockFact::HeldByOther {
                lease: name,
                holder,
                left,
            },
        ),
        None => Finding::new(
            Verdict::Pass,
            LockFact::ExpiredLeft {
                lease: name,
                holder,
            },
        ),
    })
}

/// Deletes the lock Lease in a region when a run that has ended holds it
/// (see [`EndedRuns`]), so the next drill need not wait for it to expire;
/// explains a lease of any other ocfail run, which is left. Returns a check
/// when there was an ocfail lease.
pub async fn release_crashed_lock<W: Workloads>(w: &W, ended: &EndedRuns) -> Option<Finding> {
    let lease = w.lease(LOCK_LEASE).await.ok()??;
    let (run, ended) = match leftover(&lease, ended, SystemTime::now()) {
        Leftover::Release { run, ended } => (run, ended),
        Leftover::Explain(check) => return Some(check),
        Leftover::Ignore => return None,
    };
    Some(
        match w
            .delete_lease(&lease.name, lease.resource_version.as_deref())
            .await
        {
            Ok(()) => Finding::new(Verdict::Pass, LockFact::Released { run, ended }),
            Err(e) => Finding::new(
                Verdict::Warn,
                LockFact::ReleaseFailed {
                    run,
                    problem: describe::kube_problem(&e),
                },
            ),
        },
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn lease(holder: &str, renewed_ago: Duration) -> LeaseState {
        LeaseState {
            name: LOCK_LEASE.to_owned(),
            holder: Some(holder.to_owned()),
            duration_seconds: Some(30),
            renew_time: Some(
                humantime::format_rfc3339_micros(SystemTime::now() - renewed_ago).to_string(),
            ),
            resource_version: Some("7".to_owned()),
        }
    }

    fn ended(recorded: &[&str], finished: &[&str]) -> EndedRuns {
        EndedRuns {
            recorded: recorded.iter().map(|s| (*s).to_owned()).collect(),
            finished: finished.iter().map(|s| (*s).to_owned()).collect(),
            committed: Vec::new(),
        }
    }

    #[test]
    fn a_committed_rollouts_lease_is_released_saying_it_had_finished() {
        let l = lease("ocfail/rollout/bob@ci/r4", Duration::from_secs(1));
        let ended = EndedRuns {
            committed: vec!["r4".to_owned()],
            ..EndedRuns::default()
        };
        let Leftover::Release { run, ended } = leftover(&l, &ended, SystemTime::now()) else {
            panic!("not released");
        };
        assert_eq!((run.as_str(), ended), ("r4", RunEnded::Committed));
        // Without the summary it is not known to have ended, and its lease
        // is not said to have "changed nothing": it may have changed much.
        let Leftover::Explain(check) = leftover(&l, &EndedRuns::default(), SystemTime::now())
        else {
            panic!("not explained");
        };
        assert!(
            !crate::report::words::detail(&check).contains("changed nothing"),
            "{}",
            crate::report::words::detail(&check)
        );
    }

    const HOLDER: &str = "ocfail/drill/bob@ci/r1";

    #[test]
    fn a_recorded_or_finished_runs_lease_is_released() {
        let l = lease(HOLDER, Duration::from_secs(1));
        let now = SystemTime::now();
        assert!(matches!(
            leftover(&l, &ended(&["r1"], &[]), now),
            Leftover::Release { run, ended: RunEnded::Crashed } if run == "r1"
        ));
        assert!(matches!(
            leftover(&l, &ended(&[], &["r0", "r1"]), now),
            Leftover::Release { run, ended: RunEnded::PutBack } if run == "r1"
        ));
    }

    #[test]
    fn another_runs_live_lease_is_left_and_explained() {
        let l = lease(HOLDER, Duration::from_secs(5));
        let Leftover::Explain(check) = leftover(&l, &ended(&["r2"], &["r3"]), SystemTime::now())
        else {
            panic!("not explained");
        };
        assert_eq!(check.verdict, Verdict::Warn);
        assert!(
            crate::report::words::detail(&check).contains(HOLDER),
            "{}",
            crate::report::words::detail(&check)
        );
        assert!(
            crate::report::words::detail(&check).contains("left no record"),
            "{}",
            crate::report::words::detail(&check)
        );
        assert!(
            crate::report::words::detail(&check).contains("for up to 25s more"),
            "{}",
            crate::report::words::detail(&check)
        );
    }

    #[test]
    fn an_expired_lease_is_left_as_free() {
        let l = lease(HOLDER, Duration::from_secs(60));
        let Leftover::Explain(check) = leftover(&l, &EndedRuns::default(), SystemTime::now())
        else {
            panic!("not explained");
        };
        assert_eq!(check.verdict, Verdict::Pass);
        assert!(
            crate::report::words::detail(&check).contains("expired"),
            "{}",
            crate::report::words::detail(&check)
        );
    }

    #[test]
    fn leases_not_written_by_ocfail_are_not_its_business() {
        let now = SystemTime::now();
        let everyone = ended(&["r1"], &["r1"]);
        assert_eq!(
            leftover(&lease("kube-controller", Duration::ZERO), &everyone, now),
            Leftover::Ignore
        );
        assert_eq!(
            leftover(&lease("", Duration::ZERO), &everyone, now),
            Leftover::Ignore
        );
    }
}
