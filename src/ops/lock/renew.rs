//! The background renewal: every renew interval each lease is replaced at
//! its last written version; a lease someone else wrote, or one that could
//! not be renewed for a whole duration, makes the lock lost.

use std::sync::{Arc, PoisonError};
use std::time::SystemTime;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{
    Held, Holder, LockError, LockOptions, LostReason, Shared, duration_seconds, micro_time,
};
use crate::kube::{KubeError, KubeErrorKind, LeaseSpec, LeaseState, Workloads};
use crate::ops::snapshot::LOCK_LEASE;

/// Renews every lease each interval until stopped or lost.
pub(super) async fn renew_loop<W: Workloads + Clone + 'static>(
    regions: Vec<W>,
    holder: Holder,
    options: LockOptions,
    shared: Arc<Shared>,
    stop: CancellationToken,
    lost: CancellationToken,
) {
    let mut last_ok = vec![Instant::now(); regions.len()];
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(options.renew_interval) => {}
        }
        // Regions are renewed concurrently so one slow API server (up to its
        // timeout) does not delay the others' renewals.
        let held = shared.held();
        let rounds = regions
            .iter()
            .zip(held.iter())
            .map(|(w, h)| renew_one(w, &holder, &options, h));
        let results = futures_util::future::join_all(rounds).await;
        for (i, result) in results.into_iter().enumerate() {
            let region = regions.get(i).map(|w| w.region().to_owned());
            let cause = match result {
                Ok(lease) => {
                    shared.set_lease(i, lease);
                    if let Some(t) = last_ok.get_mut(i) {
                        *t = Instant::now();
                    }
                    continue;
                }
                Err(Renewal::Gone(reason)) => Some(LockError::Lost {
                    region: region.unwrap_or_default(),
                    holder: holder.to_string(),
                    reason,
                    source: None,
                }),
                Err(Renewal::Failed(e)) => {
                    let expired = last_ok
                        .get(i)
                        .is_some_and(|t| t.elapsed() >= options.duration);
                    expired.then(|| LockError::Lost {
                        region: region.unwrap_or_default(),
                        holder: holder.to_string(),
                        reason: LostReason::NotRenewed,
                        source: Some(e),
                    })
                }
            };
            if let Some(cause) = cause {
                tracing::warn!(error = %cause, "lost the fleet lock");
                *shared.lost.lock().unwrap_or_else(PoisonError::into_inner) = Some(cause);
                lost.cancel();
                return;
            }
        }
    }
}

/// Why one renewal did not go through.
enum Renewal {
    /// Someone else holds the lease now, or it is gone.
    Gone(LostReason),
    /// The call failed; the lease may still be ours.
    Failed(KubeError),
}

/// Renews one lease at its last written version. On a Conflict the lease is
/// read again: still ours (a write of ours landed after its answer was
/// lost) means renew at the version read; anyone else's means it is lost.
async fn renew_one<W: Workloads>(
    w: &W,
    holder: &Holder,
    options: &LockOptions,
    held: &Held,
) -> Result<LeaseState, Renewal> {
    let spec = LeaseSpec {
        name: LOCK_LEASE.to_owned(),
        holder: holder.to_string(),
        duration_seconds: duration_seconds(options.duration),
        acquire_time: held.acquired_at.clone(),
        renew_time: micro_time(SystemTime::now()),
    };
    match w.replace_lease(&held.lease, &spec).await {
        Err(e) if e.kind == KubeErrorKind::Conflict => {
            match w.lease(LOCK_LEASE).await.map_err(Renewal::Failed)? {
                Some(now) if now.holder.as_deref() == Some(holder.as_str()) => {
                    w.replace_lease(&now, &spec).await.map_err(Renewal::Failed)
                }
                Some(now) => Err(Renewal::Gone(LostReason::TakenBy(
                    now.holder.unwrap_or_else(|| "nobody".to_owned()),
                ))),
                None => Err(Renewal::Gone(LostReason::Deleted)),
            }
        }
        // Deleted by hand: recreating it would hide that someone broke the
        // lock on purpose.
        Err(e) if e.kind == KubeErrorKind::NotFound => Err(Renewal::Gone(LostReason::Deleted)),
        other => other.map_err(Renewal::Failed),
    }
}
