//! How a simulator behaves: timings, seeded state, and ports.

use std::time::Duration;

/// Settings for [`Sim::start`](super::Sim::start).
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// How long a Deployment's status takes to reach its spec after a change.
    pub rollout_delay: Duration,
    /// How often the controller loop runs.
    pub controller_tick: Duration,
    /// The monitor's check interval. The API shows it in whole seconds
    /// (rounded up, at least 1), as Cloudflare does; tests use less.
    pub monitor_interval: Duration,
    /// The monitor's probe timeout.
    pub monitor_timeout: Duration,
    /// Immediate retries of a timed-out probe.
    pub monitor_retries: u32,
    /// Failed checks in a row before an origin turns unhealthy.
    pub consecutive_down: u32,
    /// Passed checks in a row before an origin turns healthy.
    pub consecutive_up: u32,
    /// The seeded load balancer's `adaptive_routing.failover_across_pools`
    /// (Cloudflare's default is off).
    pub failover_across_pools: bool,
    /// Ready replicas of each live Deployment at start.
    pub initial_replicas: i32,
    /// The image both colours run at start.
    pub initial_image: String,
    /// Fixed ports; `None` lets the OS choose.
    pub ports: Ports,
}

/// Fixed ports for the listeners; `None` means "any free port".
#[derive(Clone, Debug, Default)]
pub struct Ports {
    /// The first region's Kubernetes API; later regions use the following ports.
    pub kube_base: Option<u16>,
    /// Cloudflare's v4 API.
    pub cloudflare: Option<u16>,
    /// The LB hostname's traffic endpoint.
    pub lb: Option<u16>,
    /// The `/_sim/` admin API.
    pub admin: Option<u16>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            rollout_delay: Duration::from_millis(500),
            controller_tick: Duration::from_millis(50),
            monitor_interval: Duration::from_secs(1),
            monitor_timeout: Duration::from_secs(1),
            monitor_retries: 1,
            consecutive_down: 2,
            consecutive_up: 2,
            failover_across_pools: false,
            initial_replicas: 3,
            initial_image: "registry.example.com/openclaw-api:1.4.1".to_owned(),
            ports: Ports::default(),
        }
    }
}

impl SimOptions {
    /// Settings for tests: everything ten times faster than the defaults.
    pub fn fast() -> Self {
        SimOptions {
            rollout_delay: Duration::from_millis(100),
            controller_tick: Duration::from_millis(20),
            monitor_interval: Duration::from_millis(100),
            monitor_timeout: Duration::from_millis(100),
            // One failed check marks an origin down: the failover window (and
            // the requests lost in it) stays well under a short drill's
            // error budget, even on a loaded machine.
            consecutive_down: 1,
            ..SimOptions::default()
        }
    }

    /// The monitor interval as the API shows it: whole seconds, at least 1.
    pub fn api_interval_secs(&self) -> u64 {
        self.monitor_interval.as_secs_f64().ceil().max(1.0) as u64
    }

    /// The monitor timeout as the API shows it: whole seconds, at least 1.
    pub fn api_timeout_secs(&self) -> u64 {
        self.monitor_timeout.as_secs_f64().ceil().max(1.0) as u64
    }
}
