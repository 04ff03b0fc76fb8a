//! `ocfail health`: Cloudflare's health checks per pool, origin and check
//! location, the monitor and its timing budget, direct probes through the API
//! server proxy and the regions' probe URLs, and (`--preview`) whether the
//! monitor would notice the region going down.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cloudflare::{CfError, LocationHealth, Monitor, Pool, PoolHealth, Pools, PreviewResult};
use crate::facts::{Finding, RegionFindings, Verdict};
use crate::kube::{KubeError, KubeRegion, ProxyRequest, ProxyResponse, Workloads};
use crate::manifest::{Fleet, Region};

use super::budget;

/// A direct probe's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectProbe {
    /// HTTP status.
    pub status: u16,
    /// Round trip.
    pub latency_ms: u64,
}

/// Everything `health` found for one region.
#[derive(Clone, Debug)]
pub struct RegionHealth {
    /// The region.
    pub region: Region,
    /// Its pool, or why it is unknown.
    pub pool: Result<Pool, String>,
    /// The pool's health per location.
    pub health: Option<Result<PoolHealth, CfError>>,
    /// The pool's monitor.
    pub monitor: Option<Result<Monitor, CfError>>,
    /// GET of the monitor path through the API server's service proxy.
    pub proxy: Option<Result<ProxyResponse, KubeError>>,
    /// GET of the region's `probe` URL.
    pub direct: Option<Result<DirectProbe, String>>,
    /// The monitor preview (`--preview`).
    pub preview: Option<Result<PreviewResult, CfError>>,
}

/// Gathers health for every region. Cloudflare calls go through the client's
/// request budget; Kubernetes probes and direct probes run in parallel.
pub async fn gather<P: Pools + 'static>(
    fleet: &Fleet,
    regions: &[(Region, Result<KubeRegion, KubeError>)],
    cf: Result<Arc<P>, CfError>,
    timeout: Duration,
    preview: bool,
) -> Vec<RegionHealth> {
    let pools = match &cf {
        Ok(cf) => cf.pools().await.map_err(|e| super::describe::cf(&e)),
        Err(e) => Err(super::describe::cf(e)),
    };
    let mut monitors: BTreeMap<String, Result<Monitor, CfError>> = BTreeMap::new();
    let mut out = Vec::new();
    let http = reqwest::Client::builder().timeout(timeout).build().ok();
    for (region, _) in regions {
        let pool = match &pools {
            Ok(ps) => ps
                .iter()
                .find(|p| p.id == region.pool)
                .or_else(|| ps.iter().find(|p| p.name == region.pool))
                .cloned()
                .ok_or_else(|| format!("pool {} not found", region.pool)),
            Err(e) => Err(e.clone()),
        };
        let mut rh = RegionHealth {
            region: region.clone(),
            pool,
            health: None,
            monitor: None,
            proxy: None,
            direct: None,
            preview: None,
        };
        if let (Ok(cf), Ok(pool)) = (&cf, &rh.pool) {
            rh.health = Some(cf.pool_health(&pool.id).await);
            if let Some(mid) = pool.monitor.as_deref().filter(|m| !m.is_empty()) {
                if !monitors.contains_key(mid) {
                    monitors.insert(mid.to_owned(), cf.monitor(mid).await);
                }
                rh.monitor = monitors.get(mid).cloned();
                if preview && let Some(Ok(m)) = &rh.monitor {
                    rh.preview = Some(cf.preview(&pool.id, m).await);
                }
            }
        }
        out.push(rh);
    }
    // Probes: every region at once.
    let probes = regions.iter().zip(&out).map(|((region, client), rh)| {
        let path = match &rh.monitor {
            Some(Ok(m)) if !m.path.is_empty() => m.path.clone(),
            _ => "/healthz".to_owned(),
        };
        let http = http.clone();
        async move {
            let proxy = match client {
                Ok(c) => Some(
                    c.proxy(&ProxyRequest {
                        service: region.service.clone(),
                        port: region.port,
                        method: "GET".to_owned(),
                        path,
                        body: None,
                    })
                    .await,
                ),
                Err(e) => Some(Err(e.clone())),
            };
            let direct = match (&region.probe, http) {
                (Some(url), Some(http)) => {
                    let started = Instant::now();
                    Some(match http.get(url).send().await {
                        Ok(r) => Ok(DirectProbe {
                            status: r.status().as_u16(),
                            latency_ms: u64::try_from(started.elapsed().as_millis())
                                .unwrap_or(u64::MAX),
                        }),
                        Err(e) => Err(reqwest_reason(&e)),
                    })
                }
                (Some(_), None) => Some(Err("no HTTP client".to_owned())),
                (None, _) => None,
            };
            (proxy, direct)
        }
    });
    let results = futures_util::future::join_all(probes).await;
    for (rh, (proxy, direct)) in out.iter_mut().zip(results) {
        rh.proxy = proxy;
        rh.direct = direct;
    }
    let _ = fleet;
    out
}

fn reqwest_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    }
}

/// Whether a monitor can see a region with zero ready pods.
pub fn monitor_blind(m: &Monitor) -> Option<String> {
    match m.kind.as_str() {
        "http" | "https" | "" => {
            let codes = m.expected_codes.to_ascii_lowercase();
            if codes.contains("5xx") || codes.split(',').any(|c| c.trim() == "503") {
                Some(format!(
                    "it accepts {} responses, so a Service with no ready pods (503) still passes",
                    m.expected_codes
                ))
            } else {
                None
            }
        }
        other => Some(format!(
            "a {other} monitor only sees the ingress answer, not whether pods are ready"
        )),
    }
}

fn describe_monitor(m: &Monitor) -> String {
    format!(
        "{} {} {} expecting {} every {}s (timeout {}s, retries {}, down after {}, up after {})",
        m.kind,
        m.method,
        if m.path.is_empty() { "/" } else { &m.path },
        if m.expected_codes.is_empty() {
            "200"
        } else {
            &m.expected_codes
        },
        m.interval,
        m.timeout,
        m.retries,
        m.consecutive_down.max(1),
        m.consecutive_up.max(1)
    )
}

fn location_checks(checks: &mut Vec<Finding>, pool: &Pool, health: &PoolHealth) {
    let names: BTreeMap<&str, &str> = pool
        .origins
        .iter()
        .map(|o| (o.address.as_str(), o.name.as_str()))
        .collect();
    for (location, lh) in &health.locations {
        for o in &lh.origins {
            let name = names
                .get(o.address.as_str())
                .copied()
                .unwrap_or(o.address.as_str());
            let rtt = o
                .rtt_ms
                .map(|r| format!(", rtt {r:.1}ms"))
                .unwrap_or_default();
            let code = o
                .response_code
                .map(|c| format!(", HTTP {c}"))
                .unwrap_or_default();
            let (verdict, text) = if o.healthy {
                (Verdict::Pass, format!("healthy{code}{rtt}"))
            } else {
                (
                    Verdict::Fail,
                    format!("unhealthy: {}{code}{rtt}", o.failure_reason),
                )
            };
            checks.push(Finding::text(
                format!("origin {name} @ {location}"),
                verdict,
                text,
            ));
        }
    }
}

fn pool_verdict(pool: &Pool, health: &PoolHealth) -> (Verdict, String) {
    let locations: Vec<&LocationHealth> = health.locations.values().collect();
    let healthy_locations = locations.iter().filter(|l| l.healthy).count();
    let origin_down = locations
        .iter()
        .any(|l| l.origins.iter().any(|o| !o.healthy));
    let pool_healthy = pool
        .healthy
        .unwrap_or(healthy_locations * 2 > locations.len());
    if !pool.enabled {
        return (
            Verdict::Fail,
            "pool disabled: gets no traffic and no checks".to_owned(),
        );
    }
    let seen = format!(
        "healthy from {healthy_locations}/{} check locations",
        locations.len()
    );
    if !pool_healthy {
        (Verdict::Fail, format!("pool unhealthy ({seen})"))
    } else if origin_down {
        (
            Verdict::Warn,
            format!("pool degraded: some origins down, still healthy ({seen})"),
        )
    } else {
        (Verdict::Pass, format!("pool healthy ({seen})"))
    }
}

/// The per-region entries and notes of `health`.
pub fn report(fleet: &Fleet, regions: &[RegionHealth]) -> (Vec<RegionFindings>, Vec<String>) {
    let mut notes = Vec::new();
    let mut budget_noted = false;
    let reports = regions
        .iter()
        .map(|rh| {
            let mut checks = Vec::new();
            let mut summary = Vec::new();
            match &rh.pool {
                Err(e) => {
                    checks.push(Finding::text("pool-health", Verdict::Error, e.clone()));
                    summary.push("pool unknown".to_owned());
                }
                Ok(pool) => match &rh.health {
                    Some(Ok(h)) => {
                        let (v, text) = pool_verdict(pool, h);
                        summary.push(text.split(" (").next().unwrap_or_default().to_owned());
                        checks.push(Finding::text("pool-health", v, text));
                        location_checks(&mut checks, pool, h);
                    }
                    Some(Err(e)) => {
                        checks.push(Finding::text("pool-health", Verdict::Error, super::describe::cf(e)));
                        summary.push("pool health unknown".to_owned());
                    }
                    None => checks.push(Finding::text("pool-health", Verdict::Error, "not checked")),
                },
            }
            match &rh.monitor {
                Some(Ok(m)) => {
                    let b = budget::for_fleet(fleet, m);
                    let mut text = describe_monitor(m);
                    if !budget_noted {
                        notes.push(format!(
                            "timing budget: failover within {}, recovery within {} (from the monitor; see \"The timing budget\" in docs/drills.md)",
                            humantime::format_duration(b.failover),
                            humantime::format_duration(b.recover)
                        ));
                        budget_noted = true;
                    }
                    text.push_str(&format!(
                        "; budget: failover {}, recovery {}",
                        humantime::format_duration(b.failover),
                        humantime::format_duration(b.recover)
                    ));
                    let verdict = if monitor_blind(m).is_some() { Verdict::Warn } else { Verdict::Pass };
                    checks.push(Finding::text("monitor", verdict, text));
                }
                Some(Err(e)) => checks.push(Finding::text("monitor", Verdict::Error, super::describe::cf(e))),
                None if rh.pool.is_ok() => checks.push(Finding::text(
                    "monitor",
                    Verdict::Warn,
                    "the pool has no monitor: Cloudflare ignores its health, so it never fails over",
                )),
                None => {}
            }
            match &rh.proxy {
                Some(Ok(r)) => {
                    let verdict = if (200..300).contains(&r.status) { Verdict::Pass } else { Verdict::Fail };
                    summary.push(format!("proxy {} in {}ms", r.status, r.latency_ms));
                    checks.push(Finding::text(
                        "proxy-probe",
                        verdict,
                        format!("GET via the API server proxy to service {}: HTTP {} in {}ms", rh.region.service, r.status, r.latency_ms),
                    ));
                }
                Some(Err(e)) => {
                    summary.push("proxy error".to_owned());
                    checks.push(Finding::text("proxy-probe", Verdict::Error, super::describe::kube(e)));
                }
                None => {}
            }
            match &rh.direct {
                Some(Ok(p)) => {
                    let verdict = if (200..300).contains(&p.status) { Verdict::Pass } else { Verdict::Fail };
                    checks.push(Finding::text("probe", verdict, format!("HTTP {} in {}ms", p.status, p.latency_ms)));
                }
                Some(Err(e)) => checks.push(Finding::text("probe", Verdict::Error, e.clone())),
                None => {}
            }
            if let Some(p) = &rh.preview {
                checks.push(preview_check(rh, p));
            }
            RegionFindings::from_checks(rh.region.name.as_str(), summary.join(" · "), checks)
        })
        .collect();
    (reports, notes)
}

fn preview_check(rh: &RegionHealth, preview: &Result<PreviewResult, CfError>) -> Finding {
    let monitor = match &rh.monitor {
        Some(Ok(m)) => m,
        _ => return Finding::text("preview", Verdict::Skipped, "no monitor to preview"),
    };
    let result = match preview {
        Ok(r) => r,
        Err(e) => return Finding::text("preview", Verdict::Error, super::describe::cf(e)),
    };
    let pool_id = rh.pool.as_ref().map(|p| p.id.as_str()).unwrap_or_default();
    let Some(view) = result.pools.get(pool_id) else {
        return Finding::text(
            "preview",
            Verdict::Inconclusive,
            "the preview returned no result for this pool",
        );
    };
    if let Some(why) = monitor_blind(monitor) {
        return Finding::text(
            "preview",
            Verdict::Warn,
            format!("the monitor would not notice this region going down: {why}"),
        );
    }
    if view.healthy {
        Finding::text(
            "preview",
            Verdict::Pass,
            format!(
                "the monitor sees the region healthy now and would notice it going down: it requests {} and expects {}, which a Service with no ready pods does not answer",
                if monitor.path.is_empty() {
                    "/"
                } else {
                    &monitor.path
                },
                if monitor.expected_codes.is_empty() {
                    "200"
                } else {
                    &monitor.expected_codes
                }
            ),
        )
    } else {
        let reasons: Vec<String> = view
            .origins
            .iter()
            .filter(|o| !o.healthy)
            .map(|o| o.failure_reason.clone())
            .collect();
        Finding::text(
            "preview",
            Verdict::Fail,
            format!("the previewed monitor fails now: {}", reasons.join("; ")),
        )
    }
}

/// The load balancer's zero-downtime failover setting, as a note: whether
/// Cloudflare retries a request whose origin is unreachable (521–526) on
/// the next pool (`adaptive_routing.failover_across_pools`). `None` when
/// the load balancer cannot be read (the regions' checks say why).
pub async fn failover_note<P: Pools>(cf: &P, fleet: &Fleet) -> Option<String> {
    let lb = cf
        .load_balancer(&fleet.cloudflare.load_balancer)
        .await
        .ok()?;
    Some(if lb.failover_across_pools() {
        format!(
            "load balancer {}: adaptive_routing.failover_across_pools on: a request whose origin \
             is unreachable (521-526) is retried once on the next pool; other errors (503 \
             included) reach users until the monitor marks the pool down",
            lb.name
        )
    } else {
        format!(
            "load balancer {}: adaptive_routing.failover_across_pools off: a request whose origin \
             is unreachable (521-526) is retried only on another origin of the same pool; turn it \
             on to retry on the next pool",
            lb.name
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_and_5xx_monitors_are_blind() {
        let http = Monitor {
            kind: "http".into(),
            expected_codes: "2xx".into(),
            ..Monitor::default()
        };
        assert_eq!(monitor_blind(&http), None);
        let tcp = Monitor {
            kind: "tcp".into(),
            ..Monitor::default()
        };
        assert!(monitor_blind(&tcp).is_some());
        let lax = Monitor {
            kind: "https".into(),
            expected_codes: "5xx".into(),
            ..Monitor::default()
        };
        assert!(monitor_blind(&lax).is_some());
    }
}
