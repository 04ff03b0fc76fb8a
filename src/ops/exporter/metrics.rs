//! The exporter's metric families (prometheus-client) and the names the
//! generated alert rules and dashboard may use. Every family is labelled by
//! `region` (and `pool`, `check_region`, `color` where they apply).
//!
//! Info-style facts (the live image, the last drill's and the last
//! practice's verdict) are gauges set to 1 whose labels carry the fact;
//! when the fact changes the old series is removed, so a query never sees
//! two live images at once.

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A label set: `(name, value)` pairs in a fixed order.
pub type Labels = Vec<(&'static str, String)>;

/// A gauge holding an `f64`.
pub type FGauge = Gauge<f64, AtomicU64>;

/// A family of `f64` gauges.
pub type Gauges = Family<Labels, FGauge>;

fn probe_histogram() -> Histogram {
    // 5 ms to ~10 s: a healthy probe is milliseconds, a timeout is seconds.
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

/// Every metric the exporter serves, by name (without the `_total`
/// suffix prometheus-client adds to counters).
pub const NAMES: &[&str] = &[
    "ocfail_region_up",
    "ocfail_region_last_success_timestamp_seconds",
    "ocfail_deployment_replicas_desired",
    "ocfail_deployment_replicas_ready",
    "ocfail_live_info",
    "ocfail_pool_enabled",
    "ocfail_pool_healthy",
    "ocfail_origin_healthy",
    "ocfail_origin_rtt_seconds",
    "ocfail_lb_selected",
    "ocfail_probe_success",
    "ocfail_probe_duration_seconds",
    "ocfail_operation_in_progress",
    "ocfail_last_drill_info",
    "ocfail_last_drill_timestamp_seconds",
    "ocfail_practice_every_seconds",
    "ocfail_practice_last_timestamp_seconds",
    "ocfail_practice_last_info",
    "ocfail_fleet_survives_region_loss",
    "ocfail_exporter_api_requests_total",
    "ocfail_exporter_api_errors_total",
    "ocfail_exporter_refresh_duration_seconds",
    "ocfail_exporter_last_refresh_timestamp_seconds",
];

/// The families, registered in one [`Registry`].
pub struct Metrics {
    /// The registry `/metrics` encodes.
    pub registry: Registry,
    /// 1 when the region's Kubernetes API answered the last refresh; 0 keeps
    /// its other series at their last values (stale, not gone).
    pub region_up: Gauges,
    /// When the region's API last answered.
    pub region_last_success: Gauges,
    /// `spec.replicas` per colour.
    pub replicas_desired: Gauges,
    /// Ready replicas per colour.
    pub replicas_ready: Gauges,
    /// 1, labelled with the live colour and image.
    pub live_info: Gauges,
    /// The region's pool is enabled.
    pub pool_enabled: Gauges,
    /// Cloudflare says the pool is healthy.
    pub pool_healthy: Gauges,
    /// The origin is healthy as seen from a check region.
    pub origin_healthy: Gauges,
    /// The origin's round trip from a check region.
    pub origin_rtt: Gauges,
    /// 1 for the pool(s) the load balancer sends traffic to now.
    pub lb_selected: Gauges,
    /// The direct probe answered 2xx/3xx.
    pub probe_success: Gauges,
    /// Direct probe latency.
    pub probe_duration: Family<Labels, Histogram, fn() -> Histogram>,
    /// 1 while a drill or rollout record is on the region.
    pub operation: Gauges,
    /// 1, labelled with the last drill's verdict.
    pub last_drill: Gauges,
    /// When the last drill ended.
    pub last_drill_at: Gauges,
    /// `practice.every` per practised region, so alerts need no constant.
    pub practice_every: Gauges,
    /// When the region's last practice started; absent while it has
    /// never been practised.
    pub practice_last_at: Gauges,
    /// 1, labelled with the verdict of the region's last practice.
    pub practice_last: Gauges,
    /// 1 when the fleet still survives losing any one region.
    pub survives: FGauge,
    /// Requests the exporter made, by API.
    pub api_requests: Family<Labels, Counter>,
    /// Requests that failed, by API and region.
    pub api_errors: Family<Labels, Counter>,
    /// How long the last refresh took.
    pub refresh_duration: FGauge,
    /// When the last refresh finished.
    pub last_refresh: FGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every family, registered.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let mut gauge = |name: &str, help: &str| {
            let g = Gauges::default();
            registry.register(name, help, g.clone());
            g
        };
        let region_up = gauge(
            "ocfail_region_up",
            "1 when the region's Kubernetes API answered the last refresh (0: its other series are stale)",
        );
        let region_last_success = gauge(
            "ocfail_region_last_success_timestamp_seconds",
            "When the region's Kubernetes API last answered (Unix seconds)",
        );
        let replicas_desired = gauge(
            "ocfail_deployment_replicas_desired",
            "spec.replicas of the colour's Deployment",
        );
        let replicas_ready = gauge(
            "ocfail_deployment_replicas_ready",
            "Ready replicas of the colour's Deployment",
        );
        let live_info = gauge(
            "ocfail_live_info",
            "1, labelled with the colour the live Service selects and its image",
        );
        let pool_enabled = gauge(
            "ocfail_pool_enabled",
            "1 when the region's Cloudflare pool is enabled",
        );
        let pool_healthy = gauge(
            "ocfail_pool_healthy",
            "1 when Cloudflare considers the region's pool healthy",
        );
        let origin_healthy = gauge(
            "ocfail_origin_healthy",
            "1 when the origin is healthy as seen from the check region",
        );
        let origin_rtt = gauge(
            "ocfail_origin_rtt_seconds",
            "The origin's round trip as seen from the check region",
        );
        let lb_selected = gauge(
            "ocfail_lb_selected",
            "1 for the pool the load balancer sends traffic to now",
        );
        let probe_success = gauge(
            "ocfail_probe_success",
            "1 when the region's direct probe answered 2xx or 3xx",
        );
        let operation = gauge(
            "ocfail_operation_in_progress",
            "1 while a drill or rollout record is on the region (restore it if no run is active)",
        );
        let last_drill = gauge(
            "ocfail_last_drill_info",
            "1, labelled with the verdict of the region's last drill",
        );
        let last_drill_at = gauge(
            "ocfail_last_drill_timestamp_seconds",
            "When the region's last drill ended (Unix seconds)",
        );
        let practice_every = gauge(
            "ocfail_practice_every_seconds",
            "practice.every of the manifest, for each practised region",
        );
        let practice_last_at = gauge(
            "ocfail_practice_last_timestamp_seconds",
            "When the region's last practice drill started (Unix seconds; absent: never practised)",
        );
        let practice_last = gauge(
            "ocfail_practice_last_info",
            "1, labelled with the verdict of the region's last practice drill (pass, warn or fail)",
        );
        let mut plain = |name: &str, help: &str| {
            let g = FGauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let survives = plain(
            "ocfail_fleet_survives_region_loss",
            "1 when the fleet still serves after losing any one more region",
        );
        let refresh_duration = plain(
            "ocfail_exporter_refresh_duration_seconds",
            "How long the exporter's last refresh took",
        );
        let last_refresh = plain(
            "ocfail_exporter_last_refresh_timestamp_seconds",
            "When the exporter's last refresh finished (Unix seconds)",
        );
        let probe_duration: Family<Labels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(probe_histogram);
        registry.register(
            "ocfail_probe_duration_seconds",
            "Direct probe latency",
            probe_duration.clone(),
        );
        let api_requests = Family::<Labels, Counter>::default();
        registry.register(
            "ocfail_exporter_api_requests",
            "Requests the exporter sent, by API",
            api_requests.clone(),
        );
        let api_errors = Family::<Labels, Counter>::default();
        registry.register(
            "ocfail_exporter_api_errors",
            "Requests of the exporter that failed, by API and region",
            api_errors.clone(),
        );
        Metrics {
            registry,
            region_up,
            region_last_success,
            replicas_desired,
            replicas_ready,
            live_info,
            pool_enabled,
            pool_healthy,
            origin_healthy,
            origin_rtt,
            lb_selected,
            probe_success,
            probe_duration,
            operation,
            last_drill,
            last_drill_at,
            practice_every,
            practice_last_at,
            practice_last,
            survives,
            api_requests,
            api_errors,
            refresh_duration,
            last_refresh,
        }
    }

    /// The text exposition (OpenMetrics, which Prometheus scrapes natively).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

pub use crate::exposition::to_classic;

/// `[("region", r)]`.
pub fn region(r: &str) -> Labels {
    vec![("region", r.to_owned())]
}

/// Sets `g{labels}` to `v`.
pub fn set(g: &Gauges, labels: &Labels, v: f64) {
    g.get_or_create(labels).set(v);
}

/// 1.0 or 0.0.
pub fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_registered_under_its_documented_name() {
        let m = Metrics::new();
        let l = region("us-east-1");
        for g in [
            &m.region_up,
            &m.region_last_success,
            &m.replicas_desired,
            &m.replicas_ready,
            &m.live_info,
            &m.pool_enabled,
            &m.pool_healthy,
            &m.origin_healthy,
            &m.origin_rtt,
            &m.lb_selected,
            &m.probe_success,
            &m.operation,
            &m.last_drill,
            &m.last_drill_at,
            &m.practice_every,
            &m.practice_last_at,
            &m.practice_last,
        ] {
            set(g, &l, 1.0);
        }
        m.probe_duration.get_or_create(&l).observe(0.01);
        m.api_requests
            .get_or_create(&vec![("api", "kubernetes".to_owned())])
            .inc();
        m.api_errors.get_or_create(&l).inc();
        let text = m.encode();
        for name in NAMES {
            assert!(
                text.contains(&format!("# TYPE {} ", name.trim_end_matches("_total"))),
                "{name} not registered:\n{text}"
            );
        }
        assert!(
            text.contains("ocfail_region_up{region=\"us-east-1\"} 1"),
            "{text}"
        );
        assert!(text.contains("ocfail_exporter_api_requests_total{api=\"kubernetes\"} 1"));
        let classic = to_classic(&text);
        assert!(classic.contains("# TYPE ocfail_exporter_api_requests_total counter\n"));
        assert!(classic.contains("# HELP ocfail_exporter_api_requests_total Requests"));
        assert!(classic.contains("# TYPE ocfail_region_up gauge\n"));
        assert!(!classic.contains("# EOF"));
    }
}
