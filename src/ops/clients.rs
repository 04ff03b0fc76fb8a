//! [`Clients`]: what a command that changes the fleet talks to, generic over
//! the [`Workloads`] and [`Pools`] traits. Production runs pass the kube and
//! reqwest clients ([`super::connect::Connected`] derefs to them); unit tests
//! pass in-memory fakes under Tokio's paused clock, so every path through a
//! drill, a rollout or a restore (signals, API failures, exit codes) is
//! tested without a subprocess.

use std::sync::Arc;
use std::time::Duration;

use crate::cloudflare::{CfError, Pools};
use crate::kube::{KubeError, Workloads};
use crate::manifest::{Fleet, Region};
use crate::prometheus::PromError;
use crate::prometheus::client::PromClient;

use super::recovery::Recovery;

/// The clients of one run.
pub struct Clients<W, P> {
    /// The fleet as the clients see it (pointed at the simulator with `--sim`).
    pub fleet: Fleet,
    /// One client (or the reason there is none) per region, in manifest order.
    pub regions: Vec<(Region, Result<W, KubeError>)>,
    /// The Cloudflare client, or why there is none (e.g. no token).
    pub cloudflare: Result<Arc<P>, CfError>,
    /// Prometheus (and Alertmanager), when the manifest has a
    /// `prometheus:` section, or why there is no client.
    pub prometheus: Option<Result<Arc<PromClient>, PromError>>,
    /// How often drills poll Cloudflare: within its request budget, never
    /// busier than 4/s.
    pub poll: Duration,
    /// How to repeat this run's connection in a printed command (`-f`,
    /// `--kubeconfig`), so recovery commands can be pasted anywhere.
    pub recovery: Recovery,
}

impl<W: Workloads + Clone + 'static, P: Pools + 'static> Clients<W, P> {
    /// The region's client, if it has one.
    pub fn region(&self, name: &str) -> Option<&Result<W, KubeError>> {
        self.regions
            .iter()
            .find(|(r, _)| r.name.as_str() == name)
            .map(|(_, k)| k)
    }
}

/// The Cloudflare poll interval for a request budget of `rps` requests per
/// second: one request per budget slot, at most four a second.
pub fn poll_interval(rps: f64) -> Duration {
    let rps = if rps.is_finite() { rps.max(0.1) } else { 0.1 };
    Duration::from_secs_f64((1.0 / rps).max(0.25))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poll_follows_the_budget_and_is_never_busier_than_four_a_second() {
        assert_eq!(poll_interval(2.0), Duration::from_millis(500));
        assert_eq!(poll_interval(50.0), Duration::from_millis(250));
        assert_eq!(poll_interval(0.0), Duration::from_secs(10));
        assert_eq!(poll_interval(f64::NAN), Duration::from_secs(10));
    }
}
