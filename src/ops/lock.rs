//! The fleet-wide lock (docs/drills.md step 0): Lease `ocfail-lock` in every
//! region's namespace, taken in manifest order, renewed in the background
//! and released in reverse order.
//!
//! Taking the leases in one fixed order means two runs that race meet in
//! the first region and one of them backs off, instead of each holding half
//! the fleet. Every write carries the resourceVersion it was based on, so
//! the API server decides a race, never this process. Release happens
//! explicitly ([`FleetLock::release`]), not in `Drop`: there is no async
//! drop, and a crashed run's leases simply expire (or are taken over by
//! `ocfail restore`, see [`LockOptions::take_over_runs`]).

mod error;
mod holder;
mod release;
mod renew;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use self::error::{LockError, LostReason, Unreleased};
pub use self::holder::Holder;
pub use self::release::{report_unreleased, unreleased_checks};

use crate::kube::permissions::{DELETE_LEASES, GET_LEASES, Permission};
use crate::kube::{KubeError, KubeErrorKind, LeaseSpec, LeaseState, Workloads};
use crate::ops::snapshot::LOCK_LEASE;

/// How the lock is taken and kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockOptions {
    /// `spec.leaseDurationSeconds`: how long a lease stays live without a
    /// renewal (30 s).
    pub duration: Duration,
    /// How often the background task renews (10 s): a third of the duration,
    /// so two renewals can fail before anyone else may take the lease.
    pub renew_interval: Duration,
    /// `ocfail restore` restoring runs `R…`: a live lease whose holder's run
    /// id is one of them may be taken at once, because that run crashed (or
    /// is stuck) and is what this one repairs.
    pub take_over_runs: Vec<String>,
}

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions {
            duration: Duration::from_secs(30),
            renew_interval: Duration::from_secs(10),
            take_over_runs: Vec::new(),
        }
    }
}

/// One region's lease as this run holds it.
#[derive(Clone, Debug)]
struct Held {
    /// The lease as last written (its resourceVersion is the precondition
    /// of the next write).
    lease: LeaseState,
    /// `spec.acquireTime`, kept across renewals.
    acquired_at: String,
}

/// State shared between the [`FleetLock`] and its renewal task. A std mutex:
/// it is never held across an `.await`.
#[derive(Debug, Default)]
struct Shared {
    held: Mutex<Vec<Held>>,
    lost: Mutex<Option<LockError>>,
}

impl Shared {
    fn held(&self) -> Vec<Held> {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_lease(&self, index: usize, lease: LeaseState) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = held.get_mut(index) {
            h.lease = lease;
        }
    }
}

/// The lock over every region, held until [`FleetLock::release`].
#[derive(Debug)]
pub struct FleetLock<W> {
    regions: Vec<W>,
    holder: Holder,
    shared: Arc<Shared>,
    stop: CancellationToken,
    lost: CancellationToken,
    renewal: Option<JoinHandle<()>>,
}

/// Takes Lease [`LOCK_LEASE`] in every region, in slice (manifest) order,
/// and starts renewing them. On any refusal the leases this call took are
/// released again (in reverse order) before the error is returned.
pub async fn acquire<W>(
    regions: &[W],
    holder: &Holder,
    options: &LockOptions,
) -> Result<FleetLock<W>, LockError>
where
    W: Workloads + Clone + 'static,
{
    let mut lock = FleetLock {
        regions: Vec::with_capacity(regions.len()),
        holder: holder.clone(),
        shared: Arc::new(Shared::default()),
        stop: CancellationToken::new(),
        lost: CancellationToken::new(),
        renewal: None,
    };
    for w in regions {
        match take(w, holder, options).await {
            Ok(held) => {
                lock.regions.push(w.clone());
                lock.shared
                    .held
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(held);
            }
            Err(e) => {
                if let Err(left) = lock.release().await {
                    // The refusal is what the user must see; the leases left
                    // behind expire within one duration.
                    tracing::warn!(error = %left, "could not release the lock after a refusal");
                }
                return Err(e);
            }
        }
    }
    lock.renewal = Some(tokio::spawn(renew::renew_loop(
        lock.regions.clone(),
        holder.clone(),
        options.clone(),
        lock.shared.clone(),
        lock.stop.clone(),
        lock.lost.clone(),
    )));
    Ok(lock)
}

impl<W: Workloads + Clone + 'static> FleetLock<W> {
    /// Who holds it.
    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    /// Cancelled when the lock is lost (taken by someone else, or not
    /// renewed for a whole lease duration); a drill `select!`s on it to
    /// abort and restore.
    pub fn lost(&self) -> CancellationToken {
        self.lost.clone()
    }

    /// Why the lock was lost, once [`FleetLock::lost`] has fired.
    pub fn lost_cause(&self) -> Option<LockError> {
        self.shared
            .lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The leases as last written, in region order (for reports and tests).
    pub fn leases(&self) -> Vec<LeaseState> {
        self.shared.held().into_iter().map(|h| h.lease).collect()
    }

    /// Stops renewing and deletes every lease this run still holds, in
    /// reverse order, each only at the resourceVersion last written. A lease
    /// someone else has taken meanwhile is left alone. Every call is bounded
    /// by the client's timeout; every lease left behind is named in
    /// [`LockError::NotReleased`] with the call that failed and the API's
    /// answer ([`unreleased_checks`] turns it into report checks).
    pub async fn release(mut self) -> Result<(), LockError> {
        self.stop.cancel();
        if let Some(task) = self.renewal.take() {
            // The task only stops between rounds, so no write of its own is
            // in flight once it has ended; a panic in it changes nothing here.
            let _ = task.await;
        }
        let held = self.shared.held();
        let mut unreleased = Vec::new();
        for (w, h) in self.regions.iter().zip(held.iter()).rev() {
            if let Err((permission, source)) = delete_ours(w, &self.holder, &h.lease).await {
                unreleased.push(Unreleased {
                    region: w.region().to_owned(),
                    lease: LOCK_LEASE.to_owned(),
                    permission,
                    source,
                });
            }
        }
        if unreleased.is_empty() {
            Ok(())
        } else {
            Err(LockError::NotReleased {
                unreleased,
                holder: self.holder.to_string(),
            })
        }
    }
}

/// Dropping the lock without [`FleetLock::release`] (an error path that
/// forgot it, a panic) stops the renewal, so the leases expire within one
/// duration instead of being renewed by an orphaned task forever. It does
/// not delete them: that needs async calls, which `Drop` cannot make.
impl<W> Drop for FleetLock<W> {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Takes the lease in one region, or says who holds it.
async fn take<W: Workloads>(
    w: &W,
    holder: &Holder,
    options: &LockOptions,
) -> Result<Held, LockError> {
    let kube = |source: KubeError| LockError::Kube {
        region: w.region().to_owned(),
        holder: holder.to_string(),
        source,
    };
    let now = micro_time(SystemTime::now());
    let spec = LeaseSpec {
        name: LOCK_LEASE.to_owned(),
        holder: holder.to_string(),
        duration_seconds: duration_seconds(options.duration),
        acquire_time: now.clone(),
        renew_time: now.clone(),
    };
    let written = match w.lease(LOCK_LEASE).await.map_err(kube)? {
        None => w.create_lease(&spec).await,
        Some(current) => {
            if let Some(held) = held_by_other(w.region(), &current, holder, options) {
                return Err(held);
            }
            w.replace_lease(&current, &spec).await
        }
    };
    match written {
        Ok(lease) => Ok(Held {
            lease,
            acquired_at: now,
        }),
        // Another run created or replaced it between our read and write.
        Err(e) if e.kind == KubeErrorKind::Conflict => Err(raced(w, options).await),
        Err(e) => Err(kube(e)),
    }
}

/// The refusal after losing a race: whoever wrote first, as far as a fresh
/// read tells.
async fn raced<W: Workloads>(w: &W, options: &LockOptions) -> LockError {
    let current = w.lease(LOCK_LEASE).await.ok().flatten();
    let other = current.as_ref().and_then(|l| l.holder.clone());
    LockError::Held {
        region: w.region().to_owned(),
        holder: other.unwrap_or_else(|| "another ocfail run".to_owned()),
        expires_in: current
            .as_ref()
            .and_then(|l| expires_in(l, SystemTime::now()))
            .unwrap_or(options.duration),
    }
}

/// [`LockError::Held`] when `current` is live and belongs to someone this
/// run may not take it from.
fn held_by_other(
    region: &str,
    current: &LeaseState,
    holder: &Holder,
    options: &LockOptions,
) -> Option<LockError> {
    let other = current.holder.as_deref().filter(|h| !h.is_empty())?;
    if other == holder.as_str() {
        return None;
    }
    let left = expires_in(current, SystemTime::now())?;
    if Holder::parse(other)
        .run_id()
        .is_some_and(|run| options.take_over_runs.iter().any(|r| r == run))
    {
        return None;
    }
    Some(LockError::Held {
        region: region.to_owned(),
        holder: other.to_owned(),
        expires_in: left,
    })
}

/// How long `lease` stays live after `now`; `None` when it has expired.
/// A lease without a renew time or duration counts as live for a full
/// default duration, as `ocfail status` shows it: ocfail always writes
/// both, so such a lease was written by hand and is not ours to break.
pub fn expires_in(lease: &LeaseState, now: SystemTime) -> Option<Duration> {
    let renewed = lease
        .renew_time
        .as_deref()
        .and_then(|t| humantime::parse_rfc3339_weak(t).ok());
    let (Some(at), Some(secs)) = (renewed, lease.duration_seconds) else {
        return Some(LockOptions::default().duration);
    };
    let until = crate::durations::deadline(
        at,
        Duration::from_secs(u64::try_from(secs.max(0)).unwrap_or_default()),
    );
    until.duration_since(now).ok().filter(|d| !d.is_zero())
}

/// How long ago `lease` was last renewed (`None`: no readable renew time,
/// or one in the future by this machine's clock).
pub fn renewed_ago(lease: &LeaseState, now: SystemTime) -> Option<Duration> {
    let at = humantime::parse_rfc3339_weak(lease.renew_time.as_deref()?).ok()?;
    now.duration_since(at).ok()
}

/// Deletes the lease if it is still ours. A Conflict means it changed since
/// our last write: either a write of ours landed after its answer was lost
/// (then delete at the version read back) or someone else took it (then it
/// is not ours to delete). A failure comes with the permission the failed
/// call needs.
async fn delete_ours<W: Workloads>(
    w: &W,
    holder: &Holder,
    lease: &LeaseState,
) -> Result<(), (Permission, KubeError)> {
    let deleted = |rv: Option<String>| async move {
        w.delete_lease(LOCK_LEASE, rv.as_deref())
            .await
            .map_err(|e| (DELETE_LEASES, e))
    };
    match deleted(lease.resource_version.clone()).await {
        Err((_, e)) if e.kind == KubeErrorKind::Conflict => {
            match w.lease(LOCK_LEASE).await.map_err(|e| (GET_LEASES, e))? {
                Some(now) if now.holder.as_deref() == Some(holder.as_str()) => {
                    deleted(now.resource_version).await
                }
                _ => Ok(()),
            }
        }
        other => other,
    }
}

/// RFC 3339 with microseconds, the Lease's `MicroTime` wire format.
fn micro_time(t: SystemTime) -> String {
    humantime::format_rfc3339_micros(t).to_string()
}

/// The duration in whole seconds, at least 1 (the API server rejects 0).
fn duration_seconds(d: Duration) -> i32 {
    i32::try_from(d.as_secs().max(1)).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests;
