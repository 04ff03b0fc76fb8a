//! Cloudflare API objects as ocfail reads them. Parsing is tolerant: unknown
//! fields are ignored, and both documented shapes of pool health are accepted.
//!
//! (Skeleton types: the client work of issue 4 completes the serde details.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /user/tokens/verify` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TokenStatus {
    /// Token id.
    pub id: String,
    /// `active`, `disabled` or `expired`.
    pub status: String,
}

/// A zone load balancer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LoadBalancer {
    /// Its id.
    pub id: String,
    /// Its hostname.
    pub name: String,
    /// `false`: no pool is used at all.
    pub enabled: Option<bool>,
    /// Pool ids in failover order.
    pub default_pools: Vec<String>,
    /// Used when every other pool is unhealthy or disabled.
    pub fallback_pool: String,
    /// `off`, `""`, `geo`, `random`, `dynamic_latency`, …
    pub steering_policy: String,
    /// Geo steering by Cloudflare region.
    pub region_pools: BTreeMap<String, Vec<String>>,
    /// Geo steering by country.
    pub country_pools: BTreeMap<String, Vec<String>>,
    /// Geo steering by PoP.
    pub pop_pools: BTreeMap<String, Vec<String>>,
}

/// An origin pool.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Pool {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Disabled pools get no traffic and no health checks.
    pub enabled: bool,
    /// Not in the schema but returned by the API.
    pub healthy: Option<bool>,
    /// Unhealthy when fewer healthy origins than this.
    pub minimum_origins: Option<u32>,
    /// The monitor id; `None`: health is not considered.
    pub monitor: Option<String>,
    /// The origins.
    pub origins: Vec<Origin>,
    /// Check regions; `None` means all data centres.
    pub check_regions: Option<Vec<String>>,
}

/// An origin of a pool.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Origin {
    /// Label.
    pub name: String,
    /// Address or hostname.
    pub address: String,
    /// Disabled origins get no traffic and no checks.
    pub enabled: bool,
    /// Not in the schema but returned by the API.
    pub healthy: Option<bool>,
    /// Relative weight.
    pub weight: Option<f64>,
}

/// A health monitor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Monitor {
    /// Its id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// `http`, `https`, `tcp`, `udp_icmp`, `icmp_ping`, `smtp`.
    #[serde(rename = "type")]
    pub kind: String,
    /// HTTP method.
    pub method: String,
    /// HTTP path.
    pub path: String,
    /// Port; 0 = protocol default.
    pub port: u16,
    /// e.g. `2xx`.
    pub expected_codes: String,
    /// Body substring, empty for none.
    pub expected_body: String,
    /// Seconds between checks.
    pub interval: u64,
    /// Seconds per probe.
    pub timeout: u64,
    /// Immediate retries of a timed-out probe.
    pub retries: u64,
    /// Passes needed to turn healthy.
    pub consecutive_up: u64,
    /// Failures needed to turn unhealthy.
    pub consecutive_down: u64,
    /// Free text.
    pub description: String,
}

/// One origin's health as one location saw it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OriginHealth {
    /// The origin's address (the key Cloudflare uses).
    pub address: String,
    /// Healthy?
    pub healthy: bool,
    /// Round trip in milliseconds, when reported.
    pub rtt_ms: Option<f64>,
    /// e.g. `No failures`, `Response code mismatch error`.
    pub failure_reason: String,
    /// The probe's HTTP status, when there was one.
    pub response_code: Option<u16>,
}

/// One location's view of a pool.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocationHealth {
    /// The pool is healthy from here.
    pub healthy: bool,
    /// Per origin.
    pub origins: Vec<OriginHealth>,
}

/// `GET …/pools/{id}/health`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolHealth {
    /// The pool.
    pub pool_id: String,
    /// By location label (e.g. `Amsterdam, NL`).
    pub locations: BTreeMap<String, LocationHealth>,
}

/// A preview's result: per pool id, as one location view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PreviewResult {
    /// By pool id.
    pub pools: BTreeMap<String, LocationHealth>,
}
