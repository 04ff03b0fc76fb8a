//! The zone load balancer object (`load-balancing_load-balancer`,
//! docs/cloudflare-api.md) with its schema defaults and validation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A zone load balancer (`load-balancing_load-balancer`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadBalancer {
    /// Server-assigned id.
    pub id: String,
    /// Creation time.
    pub created_on: String,
    /// Last change.
    pub modified_on: String,
    /// The LB hostname.
    pub name: String,
    /// Free text.
    pub description: String,
    /// A disabled LB sends traffic nowhere.
    pub enabled: bool,
    /// Orange-clouded.
    pub proxied: bool,
    /// DNS TTL (DNS-only LBs).
    pub ttl: i64,
    /// `off`, `geo`, `random`, …, or `""`.
    pub steering_policy: String,
    /// `none`, `cookie`, `ip_cookie`, `header`, or `""`.
    pub session_affinity: String,
    /// Session affinity settings.
    pub session_affinity_attributes: Value,
    /// Pool ids in failover order.
    pub default_pools: Vec<String>,
    /// Pool used when every other pool is unhealthy.
    pub fallback_pool: String,
    /// Region code → pool ids.
    pub region_pools: BTreeMap<String, Vec<String>>,
    /// Country code → pool ids.
    pub country_pools: BTreeMap<String, Vec<String>>,
    /// PoP code → pool ids.
    pub pop_pools: BTreeMap<String, Vec<String>>,
    /// Zero-downtime failover settings; the LB listener acts on them.
    pub adaptive_routing: AdaptiveRouting,
    /// DNS-only location strategy.
    pub location_strategy: Value,
    /// Weights for `random` and `least_*` steering.
    pub random_steering: Value,
    /// Beta rules.
    pub rules: Vec<Value>,
}

impl Default for LoadBalancer {
    fn default() -> Self {
        LoadBalancer {
            id: String::new(),
            created_on: String::new(),
            modified_on: String::new(),
            name: String::new(),
            description: String::new(),
            enabled: true,
            proxied: false,
            ttl: 30,
            steering_policy: String::new(),
            session_affinity: String::new(),
            session_affinity_attributes: json!({"samesite": "Auto", "secure": "Auto", "zero_downtime_failover": "none", "drain_duration": 0}),
            default_pools: Vec::new(),
            fallback_pool: String::new(),
            region_pools: BTreeMap::new(),
            country_pools: BTreeMap::new(),
            pop_pools: BTreeMap::new(),
            adaptive_routing: AdaptiveRouting::default(),
            location_strategy: json!({"mode": "pop", "prefer_ecs": "proximity"}),
            random_steering: json!({"default_weight": 1, "pool_weights": {}}),
            rules: Vec::new(),
        }
    }
}

/// `adaptive_routing` (`load-balancing_adaptive_routing`): one flag, which
/// the simulated edge obeys (`sim/lb.rs`). Always rendered in full, as the
/// other nested defaults are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdaptiveRouting {
    /// A request whose origin failed with 521–526 (not 524) may be retried
    /// on an origin of the next pool when its own pool has no other healthy
    /// origin. The schema's default is `false`; `null` reads as absent, as
    /// `null` does for the LB's top-level keys.
    #[serde(deserialize_with = "false_if_null")]
    pub failover_across_pools: bool,
}

fn false_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

const STEERING: [&str; 8] = [
    "off",
    "geo",
    "random",
    "dynamic_latency",
    "proximity",
    "least_outstanding_requests",
    "least_connections",
    "",
];
const AFFINITY: [&str; 5] = ["none", "cookie", "ip_cookie", "header", ""];

impl LoadBalancer {
    /// The problems that make Cloudflare refuse this LB (pool existence is
    /// checked by the caller).
    pub fn validate(&self) -> Result<(), String> {
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*')
        };
        if !self.name.contains('.') || !self.name.split('.').all(label_ok) {
            return Err(format!("invalid hostname: {}", self.name));
        }
        if self.default_pools.is_empty() {
            return Err("default_pools must not be empty".to_owned());
        }
        if self.fallback_pool.is_empty() {
            return Err("fallback_pool is required".to_owned());
        }
        if !STEERING.contains(&self.steering_policy.as_str()) {
            return Err(format!(
                "invalid steering_policy \"{}\"",
                self.steering_policy
            ));
        }
        if !AFFINITY.contains(&self.session_affinity.as_str()) {
            return Err(format!(
                "invalid session_affinity \"{}\"",
                self.session_affinity
            ));
        }
        Ok(())
    }

    /// Every pool id the LB refers to.
    pub fn pool_refs(&self) -> impl Iterator<Item = &String> {
        self.default_pools
            .iter()
            .chain(std::iter::once(&self.fallback_pool))
            .chain(self.region_pools.values().flatten())
            .chain(self.country_pools.values().flatten())
            .chain(self.pop_pools.values().flatten())
    }

    /// Whether any geo mapping is set (then `""` steering means `geo`).
    pub fn has_geo_pools(&self) -> bool {
        [&self.region_pools, &self.country_pools, &self.pop_pools]
            .iter()
            .any(|m| m.values().any(|v| !v.is_empty()))
    }

    /// `random_steering` weight of `pool_id`.
    pub fn pool_weight(&self, pool_id: &str) -> f64 {
        let rs = &self.random_steering;
        rs.get("pool_weights")
            .and_then(|w| w.get(pool_id))
            .or_else(|| rs.get("default_weight"))
            .and_then(Value::as_f64)
            .unwrap_or(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lb(v: Value) -> Result<LoadBalancer, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn adaptive_routing_defaults_to_no_failover_across_pools() {
        assert!(
            !LoadBalancer::default()
                .adaptive_routing
                .failover_across_pools
        );
        let rendered = serde_json::to_value(LoadBalancer::default()).unwrap();
        assert_eq!(
            rendered["adaptive_routing"],
            json!({"failover_across_pools": false})
        );
        for absent in [
            json!({}),
            json!({"adaptive_routing": {}}),
            json!({"adaptive_routing": {"failover_across_pools": null}}),
        ] {
            assert!(!lb(absent).unwrap().adaptive_routing.failover_across_pools);
        }
        let on = lb(json!({"adaptive_routing": {"failover_across_pools": true}})).unwrap();
        assert!(on.adaptive_routing.failover_across_pools);
        // A wrong type is a validation failure (400/1002), not a silent false.
        assert!(lb(json!({"adaptive_routing": {"failover_across_pools": "yes"}})).is_err());
        assert!(lb(json!({"adaptive_routing": true})).is_err());
    }
}
