//! The simulated account's objects as the v4 API shows them (monitor, pool,
//! origin, load balancer), with the schema defaults of
//! docs/cloudflare-api.md, and the checks
//! that make a write fail with 400/1002 "…: validation failed".
//!
//! Nested settings Cloudflare only echoes (load shedding, session affinity
//! attributes, …) stay as JSON values: the simulator never acts on them.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

mod load_balancer;

pub use load_balancer::{AdaptiveRouting, LoadBalancer};

/// An RFC 3339 timestamp with fractional seconds, as Cloudflare writes them.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_micros(SystemTime::now()).to_string()
}

/// A new random 32-hex-digit id.
pub fn random_id() -> String {
    format!("{:032x}", fastrand::u128(..))
}

/// A 32-hex-digit id derived from `key`, so seeded ids survive restarts
/// (users paste them into scripts).
pub fn stable_id(kind: &str, key: &str) -> String {
    let fnv = |seed: u64| {
        let mut h = seed;
        for b in kind.bytes().chain([0]).chain(key.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x84222325_cbf29ce4)
    )
}

/// Whether `s` is 32 hex digits (account, zone and seeded object ids).
pub fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A health monitor (`load-balancing_monitor`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Monitor {
    /// Server-assigned id.
    pub id: String,
    /// Creation time.
    pub created_on: String,
    /// Last change.
    pub modified_on: String,
    /// `http`, `https`, `tcp`, … (only HTTP(S) probes mean anything here).
    #[serde(rename = "type")]
    pub kind: String,
    /// HTTP method of the probe.
    pub method: String,
    /// Probe path.
    pub path: String,
    /// 0 = the protocol's default port.
    pub port: i64,
    /// `"200"`, `"2xx"`, or a comma-separated list of those.
    pub expected_codes: String,
    /// Case-insensitive substring the body must contain (empty: not checked).
    pub expected_body: String,
    /// Extra probe headers.
    pub header: BTreeMap<String, Vec<String>>,
    /// Seconds between checks.
    pub interval: i64,
    /// Seconds before a probe times out.
    pub timeout: i64,
    /// Immediate retries after a timeout.
    pub retries: i64,
    /// Passes in a row before an origin turns healthy.
    pub consecutive_up: i64,
    /// Failures in a row before an origin turns unhealthy.
    pub consecutive_down: i64,
    /// Follow redirects.
    pub follow_redirects: bool,
    /// Skip TLS verification.
    pub allow_insecure: bool,
    /// Zone whose settings the probe emulates.
    pub probe_zone: String,
    /// Free text (monitors have no name).
    pub description: String,
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor {
            id: String::new(),
            created_on: String::new(),
            modified_on: String::new(),
            kind: "http".to_owned(),
            method: "GET".to_owned(),
            path: "/".to_owned(),
            port: 0,
            expected_codes: "200".to_owned(),
            expected_body: String::new(),
            header: BTreeMap::new(),
            interval: 60,
            timeout: 5,
            retries: 2,
            consecutive_up: 0,
            consecutive_down: 0,
            follow_redirects: false,
            allow_insecure: false,
            probe_zone: String::new(),
            description: String::new(),
        }
    }
}

const MONITOR_TYPES: [&str; 6] = ["http", "https", "tcp", "udp_icmp", "icmp_ping", "smtp"];

impl Monitor {
    /// The problems that make Cloudflare refuse this monitor.
    pub fn validate(&self) -> Result<(), String> {
        if !MONITOR_TYPES.contains(&self.kind.as_str()) {
            return Err(format!("invalid monitor type \"{}\"", self.kind));
        }
        if !(1..=3600).contains(&self.interval) {
            return Err(format!(
                "interval must be in range [1, 3600], got {}",
                self.interval
            ));
        }
        if !(1..=10).contains(&self.timeout) {
            return Err(format!(
                "timeout must be in range [1, 10], got {}",
                self.timeout
            ));
        }
        if !(0..=5).contains(&self.retries) {
            return Err(format!(
                "retries must be in range [0, 5], got {}",
                self.retries
            ));
        }
        if self.consecutive_up < 0 || self.consecutive_down < 0 {
            return Err("consecutive_up and consecutive_down must not be negative".to_owned());
        }
        if !(0..=65535).contains(&self.port) {
            return Err(format!("invalid port {}", self.port));
        }
        if matches!(self.kind.as_str(), "http" | "https") {
            if !self.path.starts_with('/') {
                return Err(format!("invalid path \"{}\"", self.path));
            }
            if ExpectedCodes::parse(&self.expected_codes).is_none() {
                return Err(format!(
                    "invalid expected_codes \"{}\"",
                    self.expected_codes
                ));
            }
        }
        Ok(())
    }

    /// Whether a probe answer passes: status in `expected_codes` and, when
    /// set, `expected_body` found (case-insensitively) in the first 10 KB.
    pub fn verdict(&self, status: u16, body: &[u8]) -> Result<(), &'static str> {
        let codes = ExpectedCodes::parse(&self.expected_codes).unwrap_or_default();
        if !codes.matches(status) {
            return Err("Response code mismatch error");
        }
        if !self.expected_body.is_empty() {
            let head = &body[..body.len().min(10 * 1024)];
            let text = String::from_utf8_lossy(head).to_lowercase();
            if !text.contains(&self.expected_body.to_lowercase()) {
                return Err("Response body mismatch error");
            }
        }
        Ok(())
    }
}

/// A parsed `expected_codes`: exact codes and `Nxx` classes.
#[derive(Debug, Default)]
struct ExpectedCodes {
    exact: Vec<u16>,
    classes: Vec<u16>,
}

impl ExpectedCodes {
    fn parse(s: &str) -> Option<Self> {
        let mut codes = ExpectedCodes::default();
        for part in s.split(',').map(str::trim) {
            let lower = part.to_ascii_lowercase();
            if let Some(class) = lower.strip_suffix("xx") {
                let class: u16 = class.parse().ok().filter(|c| (1..=5).contains(c))?;
                codes.classes.push(class);
            } else {
                let code: u16 = part.parse().ok().filter(|c| (100..=599).contains(c))?;
                codes.exact.push(code);
            }
        }
        Some(codes)
    }

    fn matches(&self, status: u16) -> bool {
        self.exact.contains(&status) || self.classes.contains(&(status / 100))
    }
}

/// One origin of a pool (`load-balancing_origin`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Origin {
    /// Human label.
    pub name: String,
    /// IP or hostname; in the simulator `<service>.<namespace>.<region>.sim.internal`.
    pub address: String,
    /// Disabled origins get no traffic and no checks.
    pub enabled: bool,
    /// Share of the pool's traffic (0..=1).
    pub weight: f64,
    /// `{"Host": [..]}` override.
    pub header: BTreeMap<String, Vec<String>>,
    /// For private addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_network_id: Option<String>,
    /// Set by the server while the origin is disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<String>,
}

impl Default for Origin {
    fn default() -> Self {
        Origin {
            name: String::new(),
            address: String::new(),
            enabled: true,
            weight: 1.0,
            header: BTreeMap::new(),
            virtual_network_id: None,
            disabled_at: None,
        }
    }
}

/// An origin pool (`load-balancing_pool`); `healthy` is added when rendered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pool {
    /// Server-assigned id.
    pub id: String,
    /// Creation time.
    pub created_on: String,
    /// Last change.
    pub modified_on: String,
    /// Alphanumerics, `-` and `_`.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Disabled pools get no traffic and no checks.
    pub enabled: bool,
    /// Healthy origins needed for the pool to be healthy.
    pub minimum_origins: i64,
    /// The monitor's id; none means health is ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor: Option<String>,
    /// The origins, replaced as a whole by PATCH.
    pub origins: Vec<Origin>,
    /// `{"policy": "random"}` and friends.
    pub origin_steering: Value,
    /// Check regions; `null` means every data centre.
    pub check_regions: Option<Vec<String>>,
    /// Deprecated notification address.
    pub notification_email: String,
    /// Notification filter, nullable.
    pub notification_filter: Option<Value>,
    /// For proximity steering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// For proximity steering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// Load shedding settings.
    pub load_shedding: Value,
    /// Set by the server while the pool is disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<String>,
}

impl Default for Pool {
    fn default() -> Self {
        Pool {
            id: String::new(),
            created_on: String::new(),
            modified_on: String::new(),
            name: String::new(),
            description: String::new(),
            enabled: true,
            minimum_origins: 1,
            monitor: None,
            origins: Vec::new(),
            origin_steering: json!({"policy": "random"}),
            check_regions: None,
            notification_email: String::new(),
            notification_filter: None,
            latitude: None,
            longitude: None,
            load_shedding: json!({"default_percent": 0, "default_policy": "random", "session_percent": 0, "session_policy": "hash"}),
            disabled_at: None,
        }
    }
}

/// The check regions Cloudflare knows (`ALL_REGIONS` is Enterprise only).
pub const CHECK_REGIONS: [&str; 13] = [
    "WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF", "SAS", "SEAS", "NEAS",
];

const ORIGIN_STEERING: [&str; 4] = [
    "random",
    "hash",
    "least_outstanding_requests",
    "least_connections",
];

impl Pool {
    /// The problems that make Cloudflare refuse this pool (monitor
    /// existence is checked by the caller, which knows the monitors).
    pub fn validate(&self) -> Result<(), String> {
        let name_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if self.name.is_empty() || !self.name.chars().all(name_ok) {
            return Err(format!(
                "invalid pool name \"{}\": only alphanumeric characters, hyphens, and underscores are allowed",
                self.name
            ));
        }
        if self.origins.is_empty() {
            return Err("the origin list length must be in range [1, 20]".to_owned());
        }
        for o in &self.origins {
            if o.address.is_empty() {
                return Err(format!("origin \"{}\" has no address", o.name));
            }
            if !(0.0..=1.0).contains(&o.weight) {
                return Err(format!(
                    "origin \"{}\": weight must be in range [0, 1]",
                    o.name
                ));
            }
        }
        if self.minimum_origins < 0 {
            return Err("minimum_origins must not be negative".to_owned());
        }
        for r in self.check_regions.iter().flatten() {
            if !CHECK_REGIONS.contains(&r.as_str()) && r != "ALL_REGIONS" {
                return Err(format!("invalid check region \"{r}\""));
            }
        }
        let policy = self.origin_steering.get("policy").and_then(Value::as_str);
        if !self.origin_steering.is_object()
            || policy.is_some_and(|p| !ORIGIN_STEERING.contains(&p))
        {
            return Err("invalid origin_steering".to_owned());
        }
        Ok(())
    }

    /// The check regions probes come from (`null`/`ALL_REGIONS`: all of them).
    pub fn probe_regions(&self) -> Vec<&'static str> {
        match &self.check_regions {
            Some(list) if !list.iter().any(|r| r == "ALL_REGIONS") => CHECK_REGIONS
                .iter()
                .copied()
                .filter(|c| list.iter().any(|r| r == c))
                .collect(),
            _ => CHECK_REGIONS.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_codes_accept_classes_and_lists() {
        let mut m = Monitor {
            expected_codes: "2xx".into(),
            ..Monitor::default()
        };
        assert!(m.verdict(204, b"").is_ok());
        assert_eq!(m.verdict(503, b""), Err("Response code mismatch error"));
        m.expected_codes = "200, 301".into();
        assert!(m.verdict(301, b"").is_ok());
        assert!(m.verdict(302, b"").is_err());
        m.expected_body = "OK".into();
        assert!(m.verdict(200, br#"{"status":"ok"}"#).is_ok());
        assert_eq!(m.verdict(200, b"nope"), Err("Response body mismatch error"));
        m.expected_codes = "2yy".into();
        assert!(m.validate().is_err());
    }

    #[test]
    fn ids_are_hex_and_stable() {
        let a = stable_id("pool", "openclaw-us-east-1");
        assert!(is_hex32(&a), "{a}");
        assert_eq!(a, stable_id("pool", "openclaw-us-east-1"));
        assert_ne!(a, stable_id("pool", "openclaw-eu-central-1"));
        assert!(is_hex32(&random_id()));
    }

    #[test]
    fn omitted_fields_take_schema_defaults() {
        let p: Pool =
            serde_json::from_value(json!({"name": "p", "origins": [{"address": "a"}]})).unwrap();
        assert!(p.enabled && p.origins[0].enabled);
        assert_eq!(p.minimum_origins, 1);
        assert_eq!(p.origins[0].weight, 1.0);
        let v = serde_json::to_value(&p).unwrap();
        assert!(v.get("disabled_at").is_none());
        assert_eq!(v["check_regions"], Value::Null);
        let lb = LoadBalancer::default();
        assert_eq!(lb.steering_policy, "");
        assert_eq!(lb.pool_weight("x"), 1.0);
    }
}
