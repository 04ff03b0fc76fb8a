//! [`LockError`]: why the fleet lock could not be taken, kept or released,
//! with the region, the holder and what to do next.

use std::time::Duration;

use super::Holder;
use crate::facts::api::ApiProblem;
use crate::kube::KubeError;
use crate::kube::permissions::Permission;
use crate::ops::snapshot::LOCK_LEASE;

/// Why the lock could not be taken, kept or released.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// A live lease belongs to another run.
    #[error("take the lock in {region}: it is held by {holder} for another {}s", expires_in.as_secs())]
    Held {
        /// Where.
        region: String,
        /// The other run's holder identity.
        holder: String,
        /// Until the lease expires if its holder stops renewing.
        expires_in: Duration,
    },
    /// The Kubernetes API refused or failed a lease call while taking it.
    #[error("take the lock in {region} as {holder}")]
    Kube {
        /// Where.
        region: String,
        /// Who tried.
        holder: String,
        /// What the API said.
        #[source]
        source: KubeError,
    },
    /// The lease was taken by someone else, deleted, or could not be renewed
    /// for a whole lease duration, so another run may now hold it.
    #[error("keep the lock in {region} as {holder}: {reason}")]
    Lost {
        /// Where.
        region: String,
        /// Who held it.
        holder: String,
        /// What happened to the lease.
        reason: LostReason,
        /// The last renewal failure, when renewals failed.
        #[source]
        source: Option<KubeError>,
    },
    /// Some leases could not be deleted; they expire on their own.
    #[error("release the lock in {}", unreleased.iter().map(|u| u.to_string()).collect::<Vec<_>>().join("; "))]
    NotReleased {
        /// Every lease left behind, in the order the release tried them.
        unreleased: Vec<Unreleased>,
        /// Who held them.
        holder: String,
    },
}

/// One lease the release left behind: where, the call that failed (its
/// RBAC verb and resource) and the API's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreleased {
    /// The region.
    pub region: String,
    /// The lease's name.
    pub lease: String,
    /// The permission the failed call needs: `delete leases`, or `get
    /// leases` when a conflict made the release read the lease again.
    pub permission: Permission,
    /// What the API said (status, reason and message when it answered).
    pub source: KubeError,
}

impl std::fmt::Display for Unreleased {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.source;
        write!(
            f,
            "{}: {} {} {}: {}",
            self.region, self.permission.verb, self.permission.resource, self.lease, s.message
        )?;
        if let Some(code) = s.status {
            write!(f, " (HTTP {code}")?;
            if let Some(r) = &s.reason {
                write!(f, " {r}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// What happened to a lease this run held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LostReason {
    /// Another holder wrote it (after it expired, or by a take-over).
    TakenBy(String),
    /// Someone deleted it.
    Deleted,
    /// Renewals failed for a whole lease duration.
    NotRenewed,
}

impl std::fmt::Display for LostReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LostReason::TakenBy(other) => write!(f, "{other} took it"),
            LostReason::Deleted => f.write_str("its lease was deleted"),
            LostReason::NotRenewed => f.write_str("it could not be renewed before it expired"),
        }
    }
}

impl LockError {
    /// The exit code of a run that could not take the lock: refused (5)
    /// when another run holds it, could not check (3) when the API failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            LockError::Held { .. } => crate::exit_code::REFUSED,
            _ => crate::exit_code::UNAVAILABLE,
        }
    }

    /// The error, its cause and what to do next, as one report line.
    pub fn line(&self) -> String {
        let ApiProblem { mut message, hint } = self.problem();
        if let Some(h) = hint {
            message.push_str("; hint: ");
            message.push_str(&h);
        }
        message
    }

    /// The error with its causes, and its hint, as a report carries them
    /// (`report::words::problem` joins them as [`LockError::line`] does).
    pub fn problem(&self) -> ApiProblem {
        let mut message = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        ApiProblem {
            message,
            hint: self.hint(),
        }
    }

    /// The region concerned (the first one for [`LockError::NotReleased`]).
    pub fn region(&self) -> &str {
        match self {
            LockError::Held { region, .. }
            | LockError::Kube { region, .. }
            | LockError::Lost { region, .. } => region,
            LockError::NotReleased { unreleased, .. } => {
                unreleased.first().map_or("", |u| u.region.as_str())
            }
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Option<String> {
        match self {
            LockError::Held {
                holder, expires_in, ..
            } => Some(format!(
                "another ocfail run is changing the fleet; wait until its lock expires in {}s, \
                 or if that run crashed: `ocfail restore`{}",
                expires_in.as_secs(),
                Holder::parse(holder)
                    .run_id()
                    .map(|r| format!(" (it restores run {r} and takes its lock over)"))
                    .unwrap_or_default()
            )),
            LockError::Kube { source, .. } => source.hint.clone(),
            LockError::Lost { .. } => Some(
                "another run may be changing the fleet now; check with `ocfail status`".to_owned(),
            ),
            LockError::NotReleased { .. } => Some(format!(
                "the leases expire on their own within {}s; to free them now: \
                 `kubectl delete lease {LOCK_LEASE}` in each region's namespace",
                super::LockOptions::default().duration.as_secs()
            )),
        }
    }
}
