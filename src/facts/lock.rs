//! The facts of the fleet lock, for `report/words` to put into words: a
//! lock that could not be taken or was left behind, and what `ocfail
//! restore` found of other runs' leases.

use std::time::Duration;

use super::api::ApiProblem;

/// What one `lock` check saw (also a fleet-wide note, see
/// [`super::Note::Lock`]).
#[derive(Clone, Debug, PartialEq)]
pub enum LockFact {
    /// The lock could not be taken: another run holds it, or the API
    /// failed. The error with its causes, and its hint.
    NotTaken(ApiProblem),
    /// A lease the release left behind.
    NotReleased(Box<LeftLease>),
    /// A second signal stopped the release: the leases expire by themselves.
    ReleaseStopped {
        /// The lease duration they expire within.
        expires_within: Duration,
    },
    /// `restore`: a run whose records are left is still running.
    LiveRun {
        /// Its run id.
        run: String,
        /// Its holder identity, when a lease names it.
        holder: Option<String>,
        /// How restore knows.
        why: Alive,
    },
    /// `restore`: a signal came while it watched a run's lease.
    StoppedWatching {
        /// The run watched.
        run: String,
    },
    /// `restore`: the lease of a run that has ended was deleted.
    Released {
        /// The run.
        run: String,
        /// How it is known to have ended.
        ended: RunEnded,
    },
    /// `restore`: the lease of a run that has ended could not be deleted.
    ReleaseFailed {
        /// The run.
        run: String,
        /// The API's error.
        problem: ApiProblem,
    },
    /// `restore`: a live lease of a run with no record, left alone.
    HeldByOther {
        /// The Lease's name.
        lease: String,
        /// Its holder.
        holder: String,
        /// How long it stays live at most.
        left: Duration,
    },
    /// `restore`: an expired lease of a run with no record, left alone.
    ExpiredLeft {
        /// The Lease's name.
        lease: String,
        /// Its holder.
        holder: String,
    },
}

impl From<LockFact> for super::Fact {
    fn from(f: LockFact) -> Self {
        super::Fact::Lock(f)
    }
}

impl From<LockFact> for super::Note {
    fn from(f: LockFact) -> Self {
        super::Note::Lock(f)
    }
}

/// One lease a release left behind: the call that failed, the API's answer
/// and the command that deletes it by hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftLease {
    /// The region.
    pub region: String,
    /// The RBAC verb of the call that failed (`delete`, or `get` when a
    /// conflict made the release read the lease again).
    pub verb: &'static str,
    /// Its resource (`leases`).
    pub resource: &'static str,
    /// The lease's name.
    pub lease: String,
    /// The region's namespace, when the manifest names the region.
    pub namespace: Option<String>,
    /// The API's message.
    pub message: String,
    /// Its HTTP status, when it answered.
    pub status: Option<u16>,
    /// Its `Status.reason`, when it gave one.
    pub reason: Option<String>,
    /// How long the lease stays at most.
    pub expires_within: Duration,
    /// `kubectl … delete lease …`, when the manifest names the region.
    pub delete: Option<String>,
    /// What to do about a refusal (401/403 only).
    pub hint: Option<String>,
}

/// How `restore` knows a run is still running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Alive {
    /// Its process runs on this machine.
    ProcessHere {
        /// The process id.
        pid: u32,
    },
    /// It renewed its lease while restore watched.
    Renewed {
        /// Where.
        region: String,
    },
    /// Its leases outlived restore's `--timeout`.
    DidNotExpire {
        /// The regions whose lease is still live.
        regions: Vec<String>,
    },
}

/// How a run whose lease `restore` deletes is known to have ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnded {
    /// Its record is what restore put back: it crashed.
    Crashed,
    /// Its drill summary is written: it had put everything back.
    PutBack,
    /// Its rollout summary is written: it had finished its rollout.
    Committed,
}

/// A region's line when all it has is the lock's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockSummary {
    /// Only a lease left behind is reported for the region.
    LeftBehind,
}

impl From<LockSummary> for super::Summary {
    fn from(s: LockSummary) -> Self {
        super::Summary::Lock(s)
    }
}
