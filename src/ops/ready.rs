//! Waiting for a Deployment to finish rolling out: the condition `kubectl
//! rollout status` waits for (docs/rollouts.md), polled with `get` inside a
//! deadline rather than watched, so a dropped watch can never hang a run.

use std::time::Duration;

use tokio::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::facts::rollout::{NotReady as NotReadyFact, NotReadyWhy};
use crate::kube::{DeploymentState, KubeError, KubeErrorKind, Workloads};

/// Why a Deployment did not become ready.
#[derive(Debug)]
pub enum NotReady {
    /// The deadline passed; the last state seen, when there was one.
    Timeout(Option<DeploymentState>),
    /// The Deployment does not exist.
    Missing,
    /// The API failed for good (or kept failing until the deadline).
    Api(KubeError),
    /// The wait was cancelled (Ctrl-C, a lost lock).
    Cancelled,
}

/// Whether `d` has finished rolling out to `replicas`: the controller has
/// seen the latest spec, and every replica is updated, ready and available.
pub fn is_complete(d: &DeploymentState, replicas: i32) -> bool {
    d.observed_generation >= d.generation
        && d.replicas == replicas
        && d.updated >= replicas
        && d.ready >= replicas
        && d.available >= replicas
}

/// API errors worth another try: the server or the network, not the request.
pub fn transient(e: &KubeError) -> bool {
    matches!(
        e.kind,
        KubeErrorKind::Api
            | KubeErrorKind::Timeout
            | KubeErrorKind::Unreachable
            | KubeErrorKind::Conflict
    )
}

/// Runs `call` until it succeeds, fails for good, or `until` passes,
/// `poll` apart: for the writes that put things back, which must get
/// through a burst of 503s.
pub async fn retry<T, F, Fut>(until: Instant, poll: Duration, mut call: F) -> Result<T, KubeError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, KubeError>>,
{
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if transient(&e) && crate::durations::deadline(Instant::now(), poll) < until => {
                tokio::time::sleep(poll).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Polls `deployment` every `poll` until it has rolled out to `replicas`,
/// `deadline` passes, or `cancel` fires. Transient API errors are retried
/// until the deadline.
pub async fn wait<W: Workloads>(
    w: &W,
    deployment: &str,
    replicas: i32,
    deadline: Instant,
    poll: Duration,
    cancel: &CancellationToken,
) -> Result<DeploymentState, NotReady> {
    let mut last = None;
    loop {
        match w.deployment(deployment).await {
            Ok(Some(d)) if is_complete(&d, replicas) => return Ok(d),
            Ok(Some(d)) => last = Some(d),
            Ok(None) => return Err(NotReady::Missing),
            Err(e) if !transient(&e) || Instant::now() >= deadline => {
                return Err(NotReady::Api(e));
            }
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            return Err(NotReady::Timeout(last));
        }
        let nap = poll.min(deadline.saturating_duration_since(Instant::now()));
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            () = cancel.cancelled() => return Err(NotReady::Cancelled),
        }
    }
}

impl NotReady {
    /// The fact of a wait for `deployment` to have `replicas` ready that
    /// ended so, after waiting up to `waited`.
    pub fn fact(&self, deployment: &str, replicas: i32, waited: Duration) -> NotReadyFact {
        let why = match self {
            NotReady::Timeout(Some(d)) => NotReadyWhy::Timeout {
                ready: d.ready,
                updated: d.updated,
                available: d.available,
            },
            NotReady::Timeout(None) => NotReadyWhy::Unreadable,
            NotReady::Missing => NotReadyWhy::Missing,
            NotReady::Api(e) => NotReadyWhy::Api(super::describe::kube_problem(e)),
            NotReady::Cancelled => NotReadyWhy::Cancelled,
        };
        NotReadyFact {
            deployment: deployment.to_owned(),
            replicas,
            waited,
            why,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_needs_the_latest_generation_and_every_replica() {
        let d = DeploymentState {
            replicas: 3,
            ready: 3,
            available: 3,
            updated: 3,
            generation: 2,
            observed_generation: 2,
            ..DeploymentState::default()
        };
        assert!(is_complete(&d, 3));
        assert!(!is_complete(&d, 4), "spec not yet at the wanted replicas");
        let stale = DeploymentState {
            observed_generation: 1,
            ..d.clone()
        };
        assert!(
            !is_complete(&stale, 3),
            "the controller has not seen the change"
        );
        let old_pods = DeploymentState {
            updated: 1,
            ..d.clone()
        };
        assert!(!is_complete(&old_pods, 3));
        let zero = DeploymentState {
            replicas: 0,
            ready: 0,
            available: 0,
            updated: 0,
            ..d
        };
        assert!(is_complete(&zero, 0));
    }
}
