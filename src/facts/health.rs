//! The facts of `health`, for `report/words` to put into words.

use std::time::Duration;

use super::api::ApiProblem;

/// What one check of `health` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum HealthFact {
    /// `pool-health`: the manifest's pool is not in the account.
    PoolNotFound {
        /// The pool as the manifest names it.
        pool: String,
    },
    /// `pool-health`: Cloudflare could not say (listing the pools or
    /// reading the pool's health failed).
    PoolProblem(ApiProblem),
    /// `pool-health`: the pool was found but its health was not read.
    PoolNotChecked,
    /// `pool-health`: the pool's state and how many check locations see
    /// it healthy.
    Pool(PoolSeen),
    /// `origin <name> @ <location>`: one origin as one check location sees
    /// it.
    Origin(OriginSeen),
    /// `monitor`: the pool's monitor and the timing budget it implies.
    Monitor {
        /// What the monitor does.
        monitor: MonitorSettings,
        /// The failover and recovery budget (docs/drills.md, "The timing budget").
        budget: Budget,
    },
    /// `monitor`: reading it failed.
    MonitorProblem(ApiProblem),
    /// `monitor`: the pool has none, so Cloudflare ignores its health.
    NoMonitor,
    /// `proxy-probe`: GET of the monitor's path through the API server's
    /// service proxy.
    ProxyProbe {
        /// The region's Service.
        service: String,
        /// HTTP status.
        status: u16,
        /// Round trip.
        latency_ms: u64,
    },
    /// `proxy-probe`: the API server could not be asked.
    ProxyProblem(ApiProblem),
    /// `probe`: GET of the region's direct probe URL.
    Probe {
        /// HTTP status.
        status: u16,
        /// Round trip.
        latency_ms: u64,
    },
    /// `probe`: no answer.
    ProbeFailed(ProbeFailure),
    /// `preview`: what previewing the monitor against the pool found.
    Preview(PreviewSeen),
}

impl From<HealthFact> for super::Fact {
    fn from(f: HealthFact) -> Self {
        super::Fact::Health(f)
    }
}

/// A pool's state from Cloudflare's health checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolState {
    /// Disabled: it gets no traffic and no checks.
    Disabled,
    /// Unhealthy.
    Unhealthy,
    /// Healthy, with some origins down.
    Degraded,
    /// Healthy.
    Healthy,
}

/// A pool's health as the check locations see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSeen {
    /// The pool's state.
    pub state: PoolState,
    /// Check locations that see it healthy.
    pub healthy_locations: usize,
    /// All check locations.
    pub locations: usize,
}

/// One origin from one check location.
#[derive(Clone, Debug, PartialEq)]
pub struct OriginSeen {
    /// The origin's name in the pool (its address when it has none).
    pub origin: String,
    /// The check location (a Cloudflare region code).
    pub location: String,
    /// Whether the location sees it healthy.
    pub healthy: bool,
    /// Why not, in Cloudflare's words.
    pub failure_reason: String,
    /// The HTTP status the check got.
    pub response_code: Option<u16>,
    /// The check's round trip.
    pub rtt_ms: Option<f64>,
}

/// What a monitor does, with Cloudflare's defaults filled in for what it
/// leaves empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorSettings {
    /// `http`, `https`, `tcp`, …
    pub kind: String,
    /// HTTP method.
    pub method: String,
    /// HTTP path (`/` when empty).
    pub path: String,
    /// Expected status codes (`200` when empty).
    pub expected_codes: String,
    /// Seconds between checks.
    pub interval_s: u64,
    /// Seconds per probe.
    pub timeout_s: u64,
    /// Immediate retries of a timed-out probe.
    pub retries: u64,
    /// Failures needed to turn unhealthy (at least 1).
    pub consecutive_down: u64,
    /// Passes needed to turn healthy (at least 1).
    pub consecutive_up: u64,
}

/// How long failover and recovery may take (docs/drills.md, "The timing budget").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Until traffic has left a region that went down.
    pub failover: Duration,
    /// Until traffic is back on a region that came back.
    pub recover: Duration,
}

/// Why a monitor cannot see a region with no ready pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MonitorBlind {
    /// An HTTP monitor whose expected codes include 503.
    AcceptsUnready {
        /// Its expected codes, as configured.
        expected_codes: String,
    },
    /// A monitor that is not HTTP: it sees only the ingress answer.
    NotHttp {
        /// Its type, e.g. `tcp`.
        kind: String,
    },
}

/// Why a direct probe got no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeFailure {
    /// The request timed out.
    TimedOut,
    /// No connection.
    CouldNotConnect,
    /// Any other failure of the request.
    RequestFailed,
    /// No HTTP client could be built.
    NoHttpClient,
}

/// What previewing the pool's monitor found (`--preview`).
#[derive(Clone, Debug, PartialEq)]
pub enum PreviewSeen {
    /// The pool has no monitor to preview.
    NoMonitor,
    /// The preview failed.
    Problem(ApiProblem),
    /// The preview said nothing about this pool.
    NoResult,
    /// The monitor cannot see the region go down.
    Blind(MonitorBlind),
    /// Healthy now, and it would notice: it requests `path` and expects
    /// `expected_codes`, which a Service with no ready pods does not answer.
    WouldNotice {
        /// The path requested (`/` when empty).
        path: String,
        /// The expected codes (`200` when empty).
        expected_codes: String,
    },
    /// The previewed monitor fails now.
    FailsNow {
        /// The failing origins' reasons, in Cloudflare's words.
        reasons: Vec<String>,
    },
}

/// A region's line in `health`'s table: the pool's state, then the proxy
/// probe's.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct HealthSummary {
    /// The pool, when it was looked up.
    pub pool: Option<PoolLine>,
    /// The proxy probe, when it ran.
    pub proxy: Option<ProxyLine>,
}

/// The pool's part of a region's line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolLine {
    /// The pool could not be found or listed.
    Unknown,
    /// Its health could not be read.
    HealthUnknown,
    /// Its state.
    State(PoolState),
}

/// The proxy probe's part of a region's line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyLine {
    /// It answered.
    Answered {
        /// HTTP status.
        status: u16,
        /// Round trip.
        latency_ms: u64,
    },
    /// The API server could not be asked.
    Error,
}

/// A fleet-wide remark of `health`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthNote {
    /// The timing budget from the first monitor read.
    Budget(Budget),
    /// The load balancer's zero-downtime failover setting
    /// (`adaptive_routing.failover_across_pools`).
    FailoverAcrossPools {
        /// The load balancer's name.
        load_balancer: String,
        /// Whether a request to an unreachable origin is retried on the
        /// next pool.
        on: bool,
    },
}

impl From<HealthSummary> for super::Summary {
    fn from(s: HealthSummary) -> Self {
        super::Summary::Health(s)
    }
}

impl From<HealthNote> for super::Note {
    fn from(n: HealthNote) -> Self {
        super::Note::Health(n)
    }
}
