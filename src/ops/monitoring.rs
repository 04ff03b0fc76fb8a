//! `ocfail monitoring render --out DIR`: the Prometheus scrape config, the
//! alert rules and the Grafana dashboard for the exporter's metrics, all
//! derived from the fleet manifest (the seed guide's §5.1 dashboards and
//! alerts, agreeing with the drills on what "down" means).
//!
//! A region is *serving* when its pool is enabled and healthy and its live
//! colour has ready pods: the same three facts `ocfail status` and the drill
//! steady state check. The rules record that per region once and alert on
//! it; the dashboard draws it.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::cloudflare::Monitor;
use crate::manifest::{Fleet, Timeout};

use super::budget;

pub mod practice;

/// The three files, as text.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    /// `prometheus-scrape.yaml`.
    pub scrape: String,
    /// `alert-rules.yaml`.
    pub rules: String,
    /// `grafana-dashboard.json`.
    pub dashboard: String,
}

/// The file names [`Rendered`] is written as.
pub const FILES: [&str; 3] = [
    "prometheus-scrape.yaml",
    "alert-rules.yaml",
    "grafana-dashboard.json",
];

/// A Prometheus rule file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleFile {
    /// One group per fleet.
    pub groups: Vec<RuleGroup>,
}

/// A rule group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleGroup {
    /// `ocfail-<fleet>`.
    pub name: String,
    /// Recording rules first, then alerts.
    pub rules: Vec<Rule>,
}

/// A recording or alerting rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    /// The recorded series' name (recording rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The alert's name (alerting rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// PromQL.
    pub expr: String,
    /// How long the condition must hold.
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// `severity`, `fleet`.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "pairs")]
    pub labels: Vec<(String, String)>,
    /// `summary`, `description`.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "pairs")]
    pub annotations: Vec<(String, String)>,
}

fn pairs<S: serde::Serializer>(v: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, val) in v {
        m.serialize_entry(k, val)?;
    }
    m.end()
}

/// The series a region is serving by (1) or not (0).
pub const SERVING: &str = "ocfail:region_serving";
/// The live colour's ready replicas per region.
pub const LIVE_READY: &str = "ocfail:region_live_ready_replicas";

const LIVE_READY_EXPR: &str = "sum by (region) (ocfail_deployment_replicas_ready * on (region, color) group_left () ocfail_live_info)";

/// How long a region may look down before it is an alert: the failover
/// budget of docs/drills.md (the manifest's fixed `failoverTimeout`, or the
/// formula over Cloudflare's default monitor when it is `auto`, since the
/// render reads no API).
pub fn down_for(fleet: &Fleet) -> Duration {
    match fleet.drill.failover_timeout {
        Timeout::Fixed(d) => d,
        Timeout::Auto => budget::for_fleet(fleet, &Monitor::cloudflare_default()).failover,
    }
}

/// The `for:` of the rendered `OcfailRegionDown` rule:
/// `prometheus.regionDownFor` when the manifest sets it, else the failover
/// budget ([`down_for`]). A drill's expected alert can only be seen pending
/// or firing when this is shorter than its hold.
pub fn region_down_for(fleet: &Fleet) -> Duration {
    fleet
        .prometheus
        .as_ref()
        .and_then(|p| p.region_down_for)
        .unwrap_or_else(|| down_for(fleet))
}

/// Prometheus' duration syntax (`2m5s`, `14d`): whole seconds, largest
/// units first.
fn prom_duration(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    let (days, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let mut out = String::new();
    if days > 0 {
        out.push_str(&format!("{days}d"));
    }
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The rule file.
pub fn rules(fleet: &Fleet) -> RuleFile {
    let name = &fleet.metadata.name;
    let down = prom_duration(down_for(fleet));
    let region_down = prom_duration(region_down_for(fleet));
    let record = |record: &str, expr: String| Rule {
        record: Some(record.to_owned()),
        alert: None,
        expr,
        for_: None,
        labels: Vec::new(),
        annotations: Vec::new(),
    };
    let alert = |alert: &str,
                 expr: String,
                 for_: &str,
                 severity: &str,
                 summary: &str,
                 description: &str| Rule {
        record: None,
        alert: Some(alert.to_owned()),
        expr,
        for_: Some(for_.to_owned()),
        labels: kv(&[("severity", severity), ("fleet", name)]),
        annotations: kv(&[("summary", summary), ("description", description)]),
    };
    let mut rules = vec![
        record(LIVE_READY, LIVE_READY_EXPR.to_owned()),
        record(
            SERVING,
            format!(
                "min by (region) (ocfail_pool_healthy * on (region, pool) ocfail_pool_enabled) \
                         * on (region) clamp_max({LIVE_READY}, 1)"
            ),
        ),
        alert(
            "OcfailRegionDown",
            format!("{SERVING} == 0"),
            &region_down,
            "warning",
            "{{ $labels.region }} cannot serve",
            "The region's pool is unhealthy or disabled, or its live colour has no ready pods, \
                     for longer than its `for:` (the failover budget unless `prometheus.regionDownFor` \
                     sets it). Traffic should be on another region: \
                     check `ocfail status` and `ocfail health`.",
        ),
        alert(
            "OcfailFleetDown",
            format!("max({SERVING}) == 0"),
            "1m",
            "critical",
            "no region of the fleet can serve",
            "Every region's pool is down or has no ready pods: users get errors. \
                     Run `ocfail status`; restore any drill or rollout left with `ocfail restore`.",
        ),
        alert(
            "OcfailCannotLoseAnotherRegion",
            "ocfail_fleet_survives_region_loss == 0".to_owned(),
            &down,
            "warning",
            "the fleet would not survive losing one more region",
            "One more region down and nothing serves. Fix the unhealthy regions before any drill \
                     or rollout (`ocfail status` says which).",
        ),
        alert(
            "OcfailRegionStale",
            "ocfail_region_up == 0".to_owned(),
            "5m",
            "warning",
            "ocfail cannot read {{ $labels.region }}'s Kubernetes API",
            "Its metrics keep their last values. Finding the exporter's kubeconfig context and \
                     credentials (`ocfail validate --live`).",
        ),
        alert(
            "OcfailDrillInProgress",
            "max by (region) (ocfail_operation_in_progress{operation=\"drill\"}) == 1".to_owned(),
            "0s",
            "info",
            "an outage drill is running on {{ $labels.region }}",
            "Expected downtime: inhibit OcfailRegionDown for this region while it fires \
                     (see the inhibit_rules hint at the top of this file). If no drill is running, \
                     the record is left over: `ocfail restore --region {{ $labels.region }}`.",
        ),
    ];
    rules.extend(practice::alerts(fleet));
    RuleFile {
        groups: vec![RuleGroup {
            name: format!("ocfail-{name}"),
            rules,
        }],
    }
}

/// Every PromQL expression the generated files use, with where it is.
pub fn expressions(fleet: &Fleet) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = rules(fleet)
        .groups
        .into_iter()
        .flat_map(|g| g.rules)
        .map(|r| {
            let name = r.record.or(r.alert).unwrap_or_default();
            (format!("alert-rules.yaml: {name}"), r.expr)
        })
        .collect();
    for (title, expr) in panels().into_iter().flat_map(|p| {
        let title = p.title;
        p.exprs.into_iter().map(move |(e, _)| (title, e))
    }) {
        out.push((format!("grafana-dashboard.json: {title}"), expr));
    }
    for (title, expr) in annotation_queries() {
        out.push((
            format!("grafana-dashboard.json: annotation {title}"),
            expr.to_owned(),
        ));
    }
    out
}

/// The recording rules' names (the only non-exporter series expressions use).
pub fn recorded() -> [&'static str; 2] {
    [LIVE_READY, SERVING]
}

/// One dashboard panel.
struct Panel {
    title: &'static str,
    kind: &'static str,
    unit: &'static str,
    /// `(expr, legend)`.
    exprs: Vec<(String, &'static str)>,
}

const REGION: &str = "region=~\"$region\"";

fn panels() -> Vec<Panel> {
    let p = |title, kind, unit, exprs: Vec<(String, &'static str)>| Panel {
        title,
        kind,
        unit,
        exprs,
    };
    vec![
        p(
            "Serving region (the pool the load balancer uses)",
            "timeseries",
            "none",
            vec![(format!("ocfail_lb_selected{{{REGION}}} == 1"), "{{region}}")],
        ),
        p(
            "Can serve (pool healthy and enabled, live pods ready)",
            "timeseries",
            "none",
            vec![(
                format!(
                    "min by (region) (ocfail_pool_healthy{{{REGION}}} * on (region, pool) ocfail_pool_enabled{{{REGION}}})"
                ),
                "pool {{region}}",
            )],
        ),
        p(
            "Ready replicas of the live colour",
            "timeseries",
            "none",
            vec![(
                format!(
                    "sum by (region) (ocfail_deployment_replicas_ready{{{REGION}}} * on (region, color) group_left () ocfail_live_info{{{REGION}}})"
                ),
                "{{region}}",
            )],
        ),
        p(
            "Probe latency (p50, p95)",
            "timeseries",
            "s",
            vec![
                (
                    format!(
                        "histogram_quantile(0.5, sum by (region, le) (rate(ocfail_probe_duration_seconds_bucket{{{REGION}}}[5m])))"
                    ),
                    "p50 {{region}}",
                ),
                (
                    format!(
                        "histogram_quantile(0.95, sum by (region, le) (rate(ocfail_probe_duration_seconds_bucket{{{REGION}}}[5m])))"
                    ),
                    "p95 {{region}}",
                ),
            ],
        ),
        p(
            "Probe error rate",
            "timeseries",
            "percentunit",
            vec![(
                format!("1 - avg_over_time(ocfail_probe_success{{{REGION}}}[5m])"),
                "{{region}}",
            )],
        ),
        p(
            "Origin round trip by Cloudflare check region",
            "timeseries",
            "s",
            vec![(
                format!("ocfail_origin_rtt_seconds{{{REGION}}}"),
                "{{region}} from {{check_region}}",
            )],
        ),
        p(
            "Survives losing any one region",
            "stat",
            "none",
            vec![("ocfail_fleet_survives_region_loss".to_owned(), "survives")],
        ),
        p(
            "Exporter: API errors per second",
            "timeseries",
            "reqps",
            vec![(
                "sum by (api, region) (rate(ocfail_exporter_api_errors_total[5m]))".to_owned(),
                "{{api}} {{region}}",
            )],
        ),
    ]
}

fn annotation_queries() -> [(&'static str, &'static str); 2] {
    [
        (
            "Drills",
            "max by (region) (ocfail_operation_in_progress{operation=\"drill\"}) == 1",
        ),
        (
            "Rollouts",
            "max by (region) (ocfail_operation_in_progress{operation=\"rollout\"}) == 1",
        ),
    ]
}

/// The Grafana dashboard model (import it, choosing the Prometheus data source).
pub fn dashboard(fleet: &Fleet) -> Value {
    let ds = json!({"type": "prometheus", "uid": "${DS_PROMETHEUS}"});
    let panels: Vec<Value> = panels()
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let targets: Vec<Value> = p
                .exprs
                .iter()
                .enumerate()
                .map(|(j, (expr, legend))| {
                    json!({
                        "datasource": ds,
                        "expr": expr,
                        "legendFormat": legend,
                        "refId": char::from(b'A' + u8::try_from(j).unwrap_or(0)).to_string(),
                    })
                })
                .collect();
            let (x, y) = ((i % 2) * 12, (i / 2) * 8);
            json!({
                "id": i + 1,
                "title": p.title,
                "type": p.kind,
                "datasource": ds,
                "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
                "fieldConfig": {"defaults": {"unit": p.unit}, "overrides": []},
                "targets": targets,
            })
        })
        .collect();
    let annotations: Vec<Value> = annotation_queries()
        .iter()
        .map(|(name, expr)| {
            json!({
                "name": name,
                "datasource": ds,
                "enable": true,
                "expr": expr,
                "iconColor": if *name == "Drills" { "orange" } else { "blue" },
                "titleFormat": format!("{} on {{{{region}}}}", name.trim_end_matches('s').to_lowercase()),
                "step": "15s",
            })
        })
        .collect();
    json!({
        "__inputs": [{
            "name": "DS_PROMETHEUS",
            "label": "Prometheus",
            "type": "datasource",
            "pluginId": "prometheus",
            "pluginName": "Prometheus",
        }],
        "title": format!("ocfail: {}", fleet.metadata.name),
        "uid": format!("ocfail-{}", fleet.metadata.name).chars().take(40).collect::<String>(),
        "tags": ["ocfail", "failover"],
        "timezone": "browser",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{
            "name": "region",
            "label": "Region",
            "type": "query",
            "datasource": ds,
            "query": "label_values(ocfail_region_up, region)",
            "definition": "label_values(ocfail_region_up, region)",
            "multi": true,
            "includeAll": true,
            "current": {"text": "All", "value": "$__all"},
            "refresh": 2,
            "options": [],
            "regex": format!(
                "/^({})$/",
                fleet.regions.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join("|")
            ),
        }]},
        "annotations": {"list": annotations},
        "panels": panels,
    })
}

/// Where Prometheus scrapes one region's app (`monitoring render
/// --app-metrics`), from the region's `probe` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppTarget {
    /// The region.
    pub region: String,
    /// `http` or `https`, as the probe's.
    pub scheme: String,
    /// `host:port` of the probe (the scheme's default port when it names none).
    pub address: String,
    /// The probe's path with its last segment replaced by `metrics`: the
    /// app serves `/metrics` beside its health path, so `/healthz` gives
    /// `/metrics`, and the simulator's `/_direct/<region>/healthz` gives
    /// `/_direct/<region>/metrics`.
    pub metrics_path: String,
}

/// The app's scrape target for each region with an `http(s)` `probe` URL,
/// in manifest order; regions without one are left out.
pub fn app_targets(fleet: &Fleet) -> Vec<AppTarget> {
    fleet
        .regions
        .iter()
        .filter_map(|r| {
            let probe = r.probe.as_deref()?;
            let (scheme, rest) = probe.split_once("://")?;
            let scheme = scheme.to_ascii_lowercase();
            let default_port = match scheme.as_str() {
                "http" => 80,
                "https" => 443,
                _ => return None,
            };
            let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
            // Credentials in a URL are not part of the address.
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if host.is_empty() {
                return None;
            }
            // `[::1]` alone has a colon but no port; `[::1]:8080` and `h:8080` do.
            let has_port = host.rsplit_once(':').is_some_and(|(h, p)| {
                !p.is_empty()
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && (!h.starts_with('[') || h.ends_with(']'))
            });
            let address = if has_port {
                host.to_owned()
            } else {
                format!("{host}:{default_port}")
            };
            let path = path.split(['?', '#']).next().unwrap_or("/");
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            Some(AppTarget {
                region: r.name.to_string(),
                scheme,
                address,
                metrics_path: format!("{dir}/metrics"),
            })
        })
        .collect()
}

/// The scrape config for the exporter at `target` (`host:port`) and, with
/// `app_metrics`, for each region's app ([`app_targets`]).
///
/// The app's series carry their own `region` label, so its job honours
/// the scraped labels: the `region` this job attaches to each target (for
/// `up` and the scrape's own series) is the same value, and without
/// `honor_labels` Prometheus would keep the app's as `exported_region`.
pub fn scrape(fleet: &Fleet, target: &str, interval: Duration, app_metrics: bool) -> String {
    let regions: Vec<&str> = fleet.regions.iter().map(|r| r.name.as_str()).collect();
    let name = &fleet.metadata.name;
    let scrape_interval = prom_duration(interval);
    let scrape_timeout = prom_duration((interval / 2).max(Duration::from_secs(1)));
    let mut jobs = vec![json!({
        "job_name": format!("ocfail-{name}"),
        "scrape_interval": scrape_interval,
        "scrape_timeout": scrape_timeout,
        "metrics_path": "/metrics",
        "static_configs": [{
            "targets": [target],
            "labels": {"fleet": name},
        }],
    })];
    let mut app_note = String::new();
    if app_metrics {
        let targets = app_targets(fleet);
        let statics: Vec<Value> = targets
            .iter()
            .map(|t| {
                json!({
                    "targets": [t.address],
                    "labels": {
                        "fleet": name,
                        "region": t.region,
                        "__scheme__": t.scheme,
                        "__metrics_path__": t.metrics_path,
                    },
                })
            })
            .collect();
        let without: Vec<&str> = regions
            .iter()
            .copied()
            .filter(|r| !targets.iter().any(|t| t.region == *r))
            .collect();
        app_note = format!(
            "# The job {name}-app scrapes each region's app (openclaw_requests_total,\n\
             # openclaw_request_latency_seconds) at /metrics beside its probe URL. Its series carry\n\
             # `region` themselves, so the job honours scraped labels.{}\n",
            if without.is_empty() {
                String::new()
            } else {
                format!(
                    "\n# Not scraped (no http(s) probe URL): {}.",
                    without.join(", ")
                )
            }
        );
        jobs.push(json!({
            "job_name": format!("{name}-app"),
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_timeout,
            "honor_labels": true,
            "static_configs": statics,
        }));
    }
    let config = json!({ "scrape_configs": jobs });
    format!(
        "# Generated by `ocfail monitoring render` for fleet {name}.\n\
         # Add this job to prometheus.yml (or include it). The exporter labels every series with\n\
         # `region` ({}); this job adds `fleet`.\n{app_note}{}",
        regions.join(", "),
        serde_saphyr::to_string(&config).unwrap_or_default()
    )
}

/// The header's word on `OcfailRegionDown`'s `for:`: the failover budget,
/// or `prometheus.regionDownFor` and the trade-off it makes.
fn region_down_comment(fleet: &Fleet) -> String {
    let budget = prom_duration(down_for(fleet));
    match fleet.prometheus.as_ref().and_then(|p| p.region_down_for) {
        None => format!("OcfailRegionDown waits the failover budget ({budget}) before firing."),
        Some(d) => format!(
            "OcfailRegionDown waits {} (prometheus.regionDownFor), not the failover\n\
             # budget ({budget}): short enough for a drill to see it firing within its hold, so\n\
             # the drill's expected alerts can be checked; the price is that it also\n\
             # pages on real outages shorter than the budget, which failover may already have\n\
             # absorbed. During drills, inhibit it with OcfailDrillInProgress (below).",
            prom_duration(d)
        ),
    }
}

/// All three files for `fleet`, the exporter at `target`, scraped every
/// `interval`; with `app_metrics`, the scrape config also has the app's job.
pub fn render(fleet: &Fleet, target: &str, interval: Duration, app_metrics: bool) -> Rendered {
    let rules_yaml = serde_saphyr::to_string(&rules(fleet)).unwrap_or_default();
    let rules = format!(
        "# Generated by `ocfail monitoring render` for fleet {name}. Load with `rule_files:`.\n\
         # A region is serving when its pool is enabled and healthy and its live colour has ready\n\
         # pods; {why}\n\
         # Drills take a region down on purpose. To silence that, add to alertmanager.yml:\n\
         #   inhibit_rules:\n\
         #     - source_matchers: [alertname=\"OcfailDrillInProgress\"]\n\
         #       target_matchers: [alertname=\"OcfailRegionDown\"]\n\
         #       equal: [region]\n{practice}{rules_yaml}",
        name = fleet.metadata.name,
        why = region_down_comment(fleet),
        practice = practice::comment(fleet).unwrap_or_default(),
    );
    let dashboard = serde_json::to_string_pretty(&dashboard(fleet)).unwrap_or_default();
    Rendered {
        scrape: scrape(fleet, target, interval, app_metrics),
        rules,
        dashboard: format!("{dashboard}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_prometheus_writes_them() {
        assert_eq!(prom_duration(Duration::from_secs(95)), "1m35s");
        assert_eq!(prom_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(prom_duration(Duration::ZERO), "1s");
        assert_eq!(prom_duration(Duration::from_secs(14 * 86_400)), "14d");
        assert_eq!(prom_duration(Duration::from_secs(86_400 + 61)), "1d1m1s");
    }

    /// The `for:` of the rendered alert called `name`.
    fn for_of(fleet: &Fleet, name: &str) -> Option<String> {
        rules(fleet).groups[0]
            .rules
            .iter()
            .find(|r| r.alert.as_deref() == Some(name))
            .and_then(|r| r.for_.clone())
    }

    #[test]
    fn region_down_waits_region_down_for_when_the_manifest_sets_it() {
        let text = include_str!("../../fixtures/fleet-prometheus.yaml");
        let mut fleet = crate::manifest::parse_str("fleet-prometheus.yaml", text).unwrap();
        let budget = prom_duration(down_for(&fleet));
        assert_eq!(for_of(&fleet, "OcfailRegionDown"), Some(budget.clone()));
        let header = render(&fleet, "127.0.0.1:9464", Duration::from_secs(15), false).rules;
        assert!(header.contains(&format!("waits the failover budget ({budget})")));

        fleet.prometheus.as_mut().unwrap().region_down_for = Some(Duration::from_secs(3));
        assert_eq!(for_of(&fleet, "OcfailRegionDown").as_deref(), Some("3s"));
        // Only the regional alert changes: the others keep the budget.
        assert_eq!(
            for_of(&fleet, "OcfailCannotLoseAnotherRegion"),
            Some(budget.clone())
        );
        let header = render(&fleet, "127.0.0.1:9464", Duration::from_secs(15), false).rules;
        assert!(
            header.contains(&format!(
                "OcfailRegionDown waits 3s (prometheus.regionDownFor), not the failover\n# budget ({budget})"
            )),
            "{header}"
        );
        assert!(header.contains("pages on real outages shorter"), "{header}");
        assert!(
            header.contains("inhibit it with OcfailDrillInProgress"),
            "{header}"
        );
    }

    #[test]
    fn the_seed_fleet_gets_every_file_and_alert() {
        let fleet = crate::manifest::seed_fleet();
        let r = render(&fleet, "127.0.0.1:9464", Duration::from_secs(15), false);
        for alert in [
            "OcfailRegionDown",
            "OcfailFleetDown",
            "OcfailCannotLoseAnotherRegion",
            "OcfailDrillInProgress",
        ] {
            assert!(r.rules.contains(&format!("alert: {alert}")), "{}", r.rules);
        }
        assert!(r.scrape.contains("127.0.0.1:9464"), "{}", r.scrape);
        let d: Value = serde_json::from_str(&r.dashboard).unwrap();
        assert_eq!(d["panels"].as_array().unwrap().len(), panels().len());
        assert!(expressions(&fleet).len() > 10);
    }
}
