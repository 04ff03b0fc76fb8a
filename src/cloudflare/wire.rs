//! Cloudflare API objects as ocfail reads them. Parsing is tolerant: unknown
//! fields are ignored, `null` reads as "not set", and both documented shapes
//! of pool health are accepted (`health.rs`).

mod health;

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

pub use health::{UNLABELLED_LOCATION, parse_rtt_ms};

/// The v4 envelope every answer comes in (docs/cloudflare-api.md). Only `success`
/// decides; the other keys may be missing on odd answers (proxies, 5xx
/// pages that happen to be JSON), so all of them default.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Envelope {
    /// `false` on failure, whatever the HTTP status says.
    pub success: bool,
    /// Why it failed.
    #[serde(deserialize_with = "nullable")]
    pub errors: Vec<ApiMessage>,
    /// Informational messages (e.g. "This API Token is valid and active").
    #[serde(deserialize_with = "nullable")]
    pub messages: Vec<ApiMessage>,
    /// The object, list or `null`; decoded by the caller into its type.
    pub result: Value,
    /// Paging of list answers.
    pub result_info: Option<ResultInfo>,
}

/// One `errors[]` or `messages[]` item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ApiMessage {
    /// Cloudflare's code (≥ 1000 on errors; 0 when missing).
    pub code: u32,
    /// Its text.
    #[serde(deserialize_with = "nullable")]
    pub message: String,
    /// Underlying errors, e.g. 6111 under 6003 "Invalid request headers".
    #[serde(deserialize_with = "nullable")]
    pub error_chain: Vec<ApiMessage>,
}

/// `result_info` of list answers. The schema has no `total_pages`, live
/// answers do: every field is optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ResultInfo {
    /// This page's number (from 1).
    pub page: Option<u32>,
    /// Page size the server used.
    pub per_page: Option<u32>,
    /// Items on this page.
    pub count: Option<u32>,
    /// Items on all pages.
    pub total_count: Option<u32>,
    /// Pages in all.
    pub total_pages: Option<u32>,
}

/// `{pools: {id: name}, preview_id}`: the answer to a preview POST.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PreviewStarted {
    /// Pools the preview covers, id → name.
    #[serde(deserialize_with = "nullable")]
    pub pools: BTreeMap<String, String>,
    /// Where the result will be: `GET …/load_balancers/preview/{id}`.
    #[serde(deserialize_with = "nullable")]
    pub preview_id: String,
}

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
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// Its hostname.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// `false`: no pool is used at all.
    pub enabled: Option<bool>,
    /// Pool ids in failover order.
    #[serde(deserialize_with = "nullable")]
    pub default_pools: Vec<String>,
    /// Used when every other pool is unhealthy or disabled.
    #[serde(deserialize_with = "nullable")]
    pub fallback_pool: String,
    /// `off`, `""`, `geo`, `random`, `dynamic_latency`, …
    #[serde(deserialize_with = "nullable")]
    pub steering_policy: String,
    /// Geo steering by Cloudflare region.
    #[serde(deserialize_with = "nullable")]
    pub region_pools: BTreeMap<String, Vec<String>>,
    /// Geo steering by country.
    #[serde(deserialize_with = "nullable")]
    pub country_pools: BTreeMap<String, Vec<String>>,
    /// Geo steering by PoP.
    #[serde(deserialize_with = "nullable")]
    pub pop_pools: BTreeMap<String, Vec<String>>,
    /// Zero-downtime failover settings (`load-balancing_adaptive_routing`);
    /// `None` when absent or `null`. Read it through
    /// [`LoadBalancer::failover_across_pools`], which applies the default.
    pub adaptive_routing: Option<AdaptiveRouting>,
}

impl LoadBalancer {
    /// Whether a request whose origin failed with 521, 522, 523, 525 or 526
    /// may be retried on the next pool when its own pool has no other
    /// healthy origin. Absent (at either level) means `false`, the schema's
    /// default.
    pub fn failover_across_pools(&self) -> bool {
        self.adaptive_routing
            .and_then(|a| a.failover_across_pools)
            .unwrap_or(false)
    }
}

/// The edge's status codes that trigger zero-downtime failover: one retry
/// on another healthy origin of the same pool, or (with
/// `failover_across_pools`) of the next pool. "No other error codes will
/// trigger a zero-downtime failover operation"
/// (developers.cloudflare.com/load-balancing/understand-basics/adaptive-routing/;
/// the 2024 OpenAPI description and older docs list only 521, 522 and 523).
/// An ingress's 503 (no pod left) is not among them.
pub const ZERO_DOWNTIME_FAILOVER_STATUSES: [u16; 5] = [521, 522, 523, 525, 526];

/// Whether the edge retries a request answered with `status` (see
/// [`ZERO_DOWNTIME_FAILOVER_STATUSES`]).
pub fn zero_downtime_failover_retries(status: u16) -> bool {
    ZERO_DOWNTIME_FAILOVER_STATUSES.contains(&status)
}

/// A load balancer's `adaptive_routing`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AdaptiveRouting {
    /// Extends zero-downtime failover to the next pool; `None` when absent
    /// or `null` (Cloudflare's default is `false`).
    pub failover_across_pools: Option<bool>,
}

/// An origin pool.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Pool {
    /// Its id.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// Its name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Disabled pools get no traffic and no health checks. Missing means
    /// enabled, Cloudflare's default.
    #[serde(default = "yes", deserialize_with = "nullable_true")]
    pub enabled: bool,
    /// Not in the schema but returned by the API.
    pub healthy: Option<bool>,
    /// Unhealthy when fewer healthy origins than this.
    pub minimum_origins: Option<u32>,
    /// The monitor id; `None` (or `""`): health is not considered.
    #[serde(deserialize_with = "non_empty")]
    pub monitor: Option<String>,
    /// The origins.
    #[serde(deserialize_with = "nullable")]
    pub origins: Vec<Origin>,
    /// Check regions; `None` means all data centres.
    pub check_regions: Option<Vec<String>>,
}

/// An origin of a pool.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Origin {
    /// Label.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Address or hostname.
    #[serde(deserialize_with = "nullable")]
    pub address: String,
    /// Disabled origins get no traffic and no checks. Missing means enabled.
    #[serde(default = "yes", deserialize_with = "nullable_true")]
    pub enabled: bool,
    /// Not in the schema but returned by the API.
    pub healthy: Option<bool>,
    /// Relative weight.
    pub weight: Option<f64>,
}

/// A health monitor. Serialized, it is the body of a preview request: the
/// editable fields only (no `id`), empty strings left out so a TCP monitor
/// does not send an HTTP path.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Monitor {
    /// Its id.
    #[serde(
        skip_serializing_if = "String::is_empty",
        deserialize_with = "nullable"
    )]
    pub id: String,
    /// `http`, `https`, `tcp`, `udp_icmp`, `icmp_ping`, `smtp`.
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    /// HTTP method.
    #[serde(
        skip_serializing_if = "String::is_empty",
        deserialize_with = "nullable"
    )]
    pub method: String,
    /// HTTP path.
    #[serde(
        skip_serializing_if = "String::is_empty",
        deserialize_with = "nullable"
    )]
    pub path: String,
    /// Port; 0 = protocol default.
    #[serde(deserialize_with = "nullable")]
    pub port: u16,
    /// e.g. `2xx`.
    #[serde(
        skip_serializing_if = "String::is_empty",
        deserialize_with = "nullable"
    )]
    pub expected_codes: String,
    /// Body substring, empty for none.
    #[serde(
        skip_serializing_if = "String::is_empty",
        deserialize_with = "nullable"
    )]
    pub expected_body: String,
    /// Request headers, e.g. `{"Host": ["api.example.com"]}`.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "nullable"
    )]
    pub header: BTreeMap<String, Vec<String>>,
    /// Follow 3xx answers instead of judging them.
    #[serde(deserialize_with = "nullable")]
    pub follow_redirects: bool,
    /// Skip TLS certificate checks.
    #[serde(deserialize_with = "nullable")]
    pub allow_insecure: bool,
    /// Seconds between checks.
    #[serde(deserialize_with = "nullable")]
    pub interval: u64,
    /// Seconds per probe.
    #[serde(deserialize_with = "nullable")]
    pub timeout: u64,
    /// Immediate retries of a timed-out probe.
    #[serde(deserialize_with = "nullable")]
    pub retries: u64,
    /// Passes needed to turn healthy.
    #[serde(deserialize_with = "nullable")]
    pub consecutive_up: u64,
    /// Failures needed to turn unhealthy.
    #[serde(deserialize_with = "nullable")]
    pub consecutive_down: u64,
    /// Free text.
    #[serde(
        skip_serializing_if = "String::is_empty",
        deserialize_with = "nullable"
    )]
    pub description: String,
}

impl Monitor {
    /// A monitor with Cloudflare's documented defaults (interval 60 s,
    /// timeout 5 s, 2 retries, consecutive up/down 0): what a budget assumes
    /// when no real monitor can be read.
    pub fn cloudflare_default() -> Monitor {
        Monitor {
            kind: "http".to_owned(),
            method: "GET".to_owned(),
            path: "/".to_owned(),
            expected_codes: "200".to_owned(),
            interval: 60,
            timeout: 5,
            retries: 2,
            ..Monitor::default()
        }
    }
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

/// `GET …/pools/{id}/health`. Deserializes from either documented shape
/// (see `health.rs`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
pub struct PoolHealth {
    /// The pool.
    pub pool_id: String,
    /// By location label (e.g. `Amsterdam, NL`; [`UNLABELLED_LOCATION`]
    /// when the answer names no location).
    pub locations: BTreeMap<String, LocationHealth>,
}

/// A preview's result: per pool id, as one location view.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
pub struct PreviewResult {
    /// By pool id.
    pub pools: BTreeMap<String, LocationHealth>,
}

fn yes() -> bool {
    true
}

/// A field that may be `null`: reads as its default, as a missing field does.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `enabled: null` means what a missing `enabled` means: enabled.
fn nullable_true<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(true))
}

/// An optional id where `""` means none (`"monitor": ""` on pools without one).
fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_tolerates_missing_and_null_keys() {
        let e: Envelope = serde_json::from_value(json!({"success": true, "result": []})).unwrap();
        assert!(e.success && e.errors.is_empty() && e.result_info.is_none());
        let e: Envelope = serde_json::from_value(json!({
            "success": false, "errors": [{"code": 6003, "message": "Invalid request headers",
                "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}]}],
            "messages": null, "result": null,
            "result_info": {"page": 1, "per_page": 20, "count": 1, "total_count": 1}
        }))
        .unwrap();
        assert_eq!(e.errors[0].error_chain[0].code, 6111);
        assert_eq!(e.result_info.unwrap().total_pages, None);
    }

    #[test]
    fn pool_defaults_follow_cloudflare() {
        let p: Pool = serde_json::from_value(json!({
            "id": "p1", "name": "a", "monitor": "", "check_regions": null,
            "origins": [{"name": "o", "address": "10.0.0.1", "enabled": null, "weight": 1}]
        }))
        .unwrap();
        assert!(p.enabled, "a missing `enabled` means enabled");
        assert!(p.origins[0].enabled);
        assert_eq!(p.monitor, None);
        assert_eq!(p.check_regions, None);
        assert_eq!(p.origins[0].weight, Some(1.0));
    }

    #[test]
    fn load_balancer_tolerates_nulls() {
        let lb: LoadBalancer = serde_json::from_value(json!({
            "id": "l", "name": "api.example.com", "default_pools": ["a", "b"],
            "fallback_pool": "b", "steering_policy": "", "region_pools": null
        }))
        .unwrap();
        assert_eq!(lb.default_pools, ["a", "b"]);
        assert!(lb.region_pools.is_empty());
        assert_eq!(lb.enabled, None);
    }

    #[test]
    fn adaptive_routing_tolerates_absence_and_null() {
        let read = |v: serde_json::Value| serde_json::from_value::<LoadBalancer>(v).unwrap();
        for (v, across) in [
            (json!({}), false),
            (json!({"adaptive_routing": null}), false),
            (json!({"adaptive_routing": {}}), false),
            (
                json!({"adaptive_routing": {"failover_across_pools": null}}),
                false,
            ),
            (
                json!({"adaptive_routing": {"failover_across_pools": false}}),
                false,
            ),
            (
                json!({"adaptive_routing": {"failover_across_pools": true}}),
                true,
            ),
        ] {
            assert_eq!(read(v.clone()).failover_across_pools(), across, "{v}");
        }
        let lb = read(json!({"adaptive_routing": {"failover_across_pools": true, "new": 1}}));
        assert_eq!(
            lb.adaptive_routing,
            Some(AdaptiveRouting {
                failover_across_pools: Some(true)
            })
        );
        assert_eq!(read(json!({})).adaptive_routing, None);
    }

    #[test]
    fn only_unreachable_origin_codes_are_retried() {
        for code in [521, 522, 523, 525, 526] {
            assert!(zero_downtime_failover_retries(code), "{code}");
        }
        // 524 is a timeout after the connection was made; 503 is an
        // ingress with no pod left; 530 is Cloudflare's own "no pool".
        for code in [200, 404, 500, 502, 503, 504, 520, 524, 530] {
            assert!(!zero_downtime_failover_retries(code), "{code}");
        }
    }

    #[test]
    fn monitor_body_has_only_editable_fields() {
        let m: Monitor = serde_json::from_value(json!({
            "id": "m", "type": "tcp", "port": null, "interval": 60, "timeout": 5,
            "retries": 2, "header": {"Host": ["a.example.com"]}, "created_on": "2024-01-01T00:00:00Z"
        }))
        .unwrap();
        let body = serde_json::to_value(Monitor {
            id: String::new(),
            ..m
        })
        .unwrap();
        assert_eq!(body["type"], "tcp");
        assert!(body.get("id").is_none() && body.get("path").is_none());
        assert_eq!(body["header"]["Host"][0], "a.example.com");
        assert_eq!(body["port"], 0);
    }
}
