//! `ocfail health`: Cloudflare's health checks per pool, origin and check
//! location, the monitor and its timing budget, direct probes through the API
//! server proxy and the regions' probe URLs, and (`--preview`) whether the
//! monitor would notice the region going down.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cloudflare::{CfError, LocationHealth, Monitor, Pool, PoolHealth, Pools, PreviewResult};
use crate::facts::api::ApiProblem;
use crate::facts::health::{
    Budget, HealthFact, HealthNote, HealthSummary, MonitorBlind, MonitorSettings, OriginSeen,
    PoolLine, PoolSeen, PoolState, PreviewSeen, ProbeFailure, ProxyLine,
};
use crate::facts::{Finding, Note, RegionFindings, Verdict};
use crate::kube::{KubeError, KubeRegion, ProxyRequest, ProxyResponse, Workloads};
use crate::manifest::{Fleet, Region};

use super::budget;
use super::describe::{cf_problem, kube_problem};

/// A direct probe's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectProbe {
    /// HTTP status.
    pub status: u16,
    /// Round trip.
    pub latency_ms: u64,
}

/// Why a region's pool is unknown.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolUnknown {
    /// The account has no pool by the manifest's id or name.
    NotFound,
    /// Listing the pools failed.
    Api(ApiProblem),
}

/// Everything `health` found for one region.
#[derive(Clone, Debug)]
pub struct RegionHealth {
    /// The region.
    pub region: Region,
    /// Its pool, or why it is unknown.
    pub pool: Result<Pool, PoolUnknown>,
    /// The pool's health per location.
    pub health: Option<Result<PoolHealth, CfError>>,
    /// The pool's monitor.
    pub monitor: Option<Result<Monitor, CfError>>,
    /// GET of the monitor path through the API server's service proxy.
    pub proxy: Option<Result<ProxyResponse, KubeError>>,
    /// GET of the region's `probe` URL.
    pub direct: Option<Result<DirectProbe, ProbeFailure>>,
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
        Ok(cf) => cf
            .pools()
            .await
            .map_err(|e| PoolUnknown::Api(cf_problem(&e))),
        Err(e) => Err(PoolUnknown::Api(cf_problem(e))),
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
                .ok_or(PoolUnknown::NotFound),
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
                (Some(_), None) => Some(Err(ProbeFailure::NoHttpClient)),
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

fn reqwest_reason(e: &reqwest::Error) -> ProbeFailure {
    if e.is_timeout() {
        ProbeFailure::TimedOut
    } else if e.is_connect() {
        ProbeFailure::CouldNotConnect
    } else {
        ProbeFailure::RequestFailed
    }
}

/// Whether a monitor can see a region with zero ready pods: `None` when it
/// can, else why not.
pub fn monitor_blind(m: &Monitor) -> Option<MonitorBlind> {
    match m.kind.as_str() {
        "http" | "https" | "" => {
            let codes = m.expected_codes.to_ascii_lowercase();
            (codes.contains("5xx") || codes.split(',').any(|c| c.trim() == "503")).then(|| {
                MonitorBlind::AcceptsUnready {
                    expected_codes: m.expected_codes.clone(),
                }
            })
        }
        other => Some(MonitorBlind::NotHttp {
            kind: other.to_owned(),
        }),
    }
}

/// The path a monitor requests, `/` when it names none.
fn monitor_path(m: &Monitor) -> String {
    if m.path.is_empty() { "/" } else { &m.path }.to_owned()
}

/// The codes a monitor expects, Cloudflare's `200` when it names none.
fn monitor_codes(m: &Monitor) -> String {
    if m.expected_codes.is_empty() {
        "200"
    } else {
        &m.expected_codes
    }
    .to_owned()
}

fn monitor_settings(m: &Monitor) -> MonitorSettings {
    MonitorSettings {
        kind: m.kind.clone(),
        method: m.method.clone(),
        path: monitor_path(m),
        expected_codes: monitor_codes(m),
        interval_s: m.interval,
        timeout_s: m.timeout,
        retries: m.retries,
        consecutive_down: m.consecutive_down.max(1),
        consecutive_up: m.consecutive_up.max(1),
    }
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
            let verdict = if o.healthy {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            checks.push(Finding::new(
                verdict,
                HealthFact::Origin(OriginSeen {
                    origin: name.to_owned(),
                    location: location.clone(),
                    healthy: o.healthy,
                    failure_reason: o.failure_reason.clone(),
                    response_code: o.response_code,
                    rtt_ms: o.rtt_ms,
                }),
            ));
        }
    }
}

fn pool_seen(pool: &Pool, health: &PoolHealth) -> (Verdict, PoolSeen) {
    let locations: Vec<&LocationHealth> = health.locations.values().collect();
    let healthy_locations = locations.iter().filter(|l| l.healthy).count();
    let origin_down = locations
        .iter()
        .any(|l| l.origins.iter().any(|o| !o.healthy));
    let pool_healthy = pool
        .healthy
        .unwrap_or(healthy_locations * 2 > locations.len());
    let (verdict, state) = if !pool.enabled {
        (Verdict::Fail, PoolState::Disabled)
    } else if !pool_healthy {
        (Verdict::Fail, PoolState::Unhealthy)
    } else if origin_down {
        (Verdict::Warn, PoolState::Degraded)
    } else {
        (Verdict::Pass, PoolState::Healthy)
    };
    let seen = PoolSeen {
        state,
        healthy_locations,
        locations: locations.len(),
    };
    (verdict, seen)
}

/// The per-region entries and notes of `health`: the timing budget from the
/// first monitor read.
pub fn report(fleet: &Fleet, regions: &[RegionHealth]) -> (Vec<RegionFindings>, Vec<Note>) {
    let notes = regions
        .iter()
        .find_map(|rh| match &rh.monitor {
            Some(Ok(m)) => Some(HealthNote::Budget(budget_of(fleet, m)).into()),
            _ => None,
        })
        .into_iter()
        .collect();
    let reports = regions.iter().map(|rh| region(fleet, rh)).collect();
    (reports, notes)
}

fn budget_of(fleet: &Fleet, m: &Monitor) -> Budget {
    let b = budget::for_fleet(fleet, m);
    Budget {
        failover: b.failover,
        recover: b.recover,
    }
}

/// One region's checks, in order: the pool and its origins, the monitor,
/// the proxy probe, the direct probe, the preview.
fn region(fleet: &Fleet, rh: &RegionHealth) -> RegionFindings {
    let mut checks = Vec::new();
    let mut summary = HealthSummary::default();
    pool_checks(&mut checks, &mut summary, rh);
    checks.extend(monitor_check(fleet, rh));
    match &rh.proxy {
        Some(Ok(r)) => {
            summary.proxy = Some(ProxyLine::Answered {
                status: r.status,
                latency_ms: r.latency_ms,
            });
            checks.push(Finding::new(
                success(r.status),
                HealthFact::ProxyProbe {
                    service: rh.region.service.clone(),
                    status: r.status,
                    latency_ms: r.latency_ms,
                },
            ));
        }
        Some(Err(e)) => {
            summary.proxy = Some(ProxyLine::Error);
            checks.push(Finding::new(
                Verdict::Error,
                HealthFact::ProxyProblem(kube_problem(e)),
            ));
        }
        None => {}
    }
    match &rh.direct {
        Some(Ok(p)) => checks.push(Finding::new(
            success(p.status),
            HealthFact::Probe {
                status: p.status,
                latency_ms: p.latency_ms,
            },
        )),
        Some(Err(why)) => checks.push(Finding::new(Verdict::Error, HealthFact::ProbeFailed(*why))),
        None => {}
    }
    if let Some(p) = &rh.preview {
        checks.push(preview_check(rh, p));
    }
    RegionFindings::from_checks(rh.region.name.as_str(), summary, checks)
}

/// A pass for a 2xx answer, else a failure.
fn success(status: u16) -> Verdict {
    if (200..300).contains(&status) {
        Verdict::Pass
    } else {
        Verdict::Fail
    }
}

/// `pool-health` and one check per origin and location.
fn pool_checks(checks: &mut Vec<Finding>, summary: &mut HealthSummary, rh: &RegionHealth) {
    let pool = match &rh.pool {
        Ok(pool) => pool,
        Err(e) => {
            let fact = match e {
                PoolUnknown::NotFound => HealthFact::PoolNotFound {
                    pool: rh.region.pool.clone(),
                },
                PoolUnknown::Api(p) => HealthFact::PoolProblem(p.clone()),
            };
            checks.push(Finding::new(Verdict::Error, fact));
            summary.pool = Some(PoolLine::Unknown);
            return;
        }
    };
    match &rh.health {
        Some(Ok(h)) => {
            let (verdict, seen) = pool_seen(pool, h);
            summary.pool = Some(PoolLine::State(seen.state));
            checks.push(Finding::new(verdict, HealthFact::Pool(seen)));
            location_checks(checks, pool, h);
        }
        Some(Err(e)) => {
            checks.push(Finding::new(
                Verdict::Error,
                HealthFact::PoolProblem(cf_problem(e)),
            ));
            summary.pool = Some(PoolLine::HealthUnknown);
        }
        None => checks.push(Finding::new(Verdict::Error, HealthFact::PoolNotChecked)),
    }
}

/// `monitor`: what it does and the budget it implies; a warning when it
/// cannot see a region with no ready pods, or when the pool has none.
fn monitor_check(fleet: &Fleet, rh: &RegionHealth) -> Option<Finding> {
    match &rh.monitor {
        Some(Ok(m)) => {
            let verdict = if monitor_blind(m).is_some() {
                Verdict::Warn
            } else {
                Verdict::Pass
            };
            Some(Finding::new(
                verdict,
                HealthFact::Monitor {
                    monitor: monitor_settings(m),
                    budget: budget_of(fleet, m),
                },
            ))
        }
        Some(Err(e)) => Some(Finding::new(
            Verdict::Error,
            HealthFact::MonitorProblem(cf_problem(e)),
        )),
        None if rh.pool.is_ok() => Some(Finding::new(Verdict::Warn, HealthFact::NoMonitor)),
        None => None,
    }
}

fn preview_check(rh: &RegionHealth, preview: &Result<PreviewResult, CfError>) -> Finding {
    let (verdict, seen) = preview_seen(rh, preview);
    Finding::new(verdict, HealthFact::Preview(seen))
}

fn preview_seen(
    rh: &RegionHealth,
    preview: &Result<PreviewResult, CfError>,
) -> (Verdict, PreviewSeen) {
    let monitor = match &rh.monitor {
        Some(Ok(m)) => m,
        _ => return (Verdict::Skipped, PreviewSeen::NoMonitor),
    };
    let result = match preview {
        Ok(r) => r,
        Err(e) => return (Verdict::Error, PreviewSeen::Problem(cf_problem(e))),
    };
    let pool_id = rh.pool.as_ref().map(|p| p.id.as_str()).unwrap_or_default();
    let Some(view) = result.pools.get(pool_id) else {
        return (Verdict::Inconclusive, PreviewSeen::NoResult);
    };
    if let Some(why) = monitor_blind(monitor) {
        return (Verdict::Warn, PreviewSeen::Blind(why));
    }
    if view.healthy {
        (
            Verdict::Pass,
            PreviewSeen::WouldNotice {
                path: monitor_path(monitor),
                expected_codes: monitor_codes(monitor),
            },
        )
    } else {
        let reasons = view
            .origins
            .iter()
            .filter(|o| !o.healthy)
            .map(|o| o.failure_reason.clone())
            .collect();
        (Verdict::Fail, PreviewSeen::FailsNow { reasons })
    }
}

/// The load balancer's zero-downtime failover setting, as a note: whether
/// Cloudflare retries a request whose origin is unreachable (521–526) on
/// the next pool (`adaptive_routing.failover_across_pools`). `None` when
/// the load balancer cannot be read (the regions' checks say why).
pub async fn failover_note<P: Pools>(cf: &P, fleet: &Fleet) -> Option<Note> {
    let lb = cf
        .load_balancer(&fleet.cloudflare.load_balancer)
        .await
        .ok()?;
    Some(
        HealthNote::FailoverAcrossPools {
            on: lb.failover_across_pools(),
            load_balancer: lb.name,
        }
        .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Fact, Summary};

    fn fleet() -> Fleet {
        let text = include_str!("../../fixtures/fleet.yaml");
        crate::manifest::parse_str("fleet.yaml", text).unwrap()
    }

    fn unknown(region: &Region, pool: Result<Pool, PoolUnknown>) -> RegionHealth {
        RegionHealth {
            region: region.clone(),
            pool,
            health: None,
            monitor: None,
            proxy: None,
            direct: Some(Err(ProbeFailure::TimedOut)),
            preview: None,
        }
    }

    #[test]
    fn the_budget_note_comes_from_the_first_monitor_read_and_each_region_says_what_it_saw() {
        let fleet = fleet();
        let monitor = Monitor {
            kind: "tcp".into(),
            interval: 10,
            ..Monitor::default()
        };
        let pool = Pool {
            id: "p".into(),
            ..Pool::default()
        };
        let regions = [
            unknown(&fleet.regions[0], Err(PoolUnknown::NotFound)),
            RegionHealth {
                monitor: Some(Ok(monitor.clone())),
                ..unknown(&fleet.regions[1], Ok(pool))
            },
        ];
        let (found, notes) = report(&fleet, &regions);
        assert_eq!(
            notes,
            [Note::from(HealthNote::Budget(budget_of(&fleet, &monitor)))]
        );
        let first = &found[0];
        assert_eq!(first.verdict, Verdict::Error);
        assert!(matches!(
            &first.checks[0].fact,
            Fact::Health(HealthFact::PoolNotFound { pool }) if *pool == fleet.regions[0].pool
        ));
        assert_eq!(
            first.checks[1].fact,
            Fact::Health(HealthFact::ProbeFailed(ProbeFailure::TimedOut))
        );
        assert_eq!(
            first.summary,
            Summary::Health(HealthSummary {
                pool: Some(PoolLine::Unknown),
                proxy: None
            })
        );
        let second = &found[1];
        assert_eq!(
            second.checks[0].fact,
            Fact::Health(HealthFact::PoolNotChecked)
        );
        // A TCP monitor cannot see pods go: a warning, with its settings.
        assert_eq!(second.checks[1].verdict, Verdict::Warn);
        assert!(matches!(
            &second.checks[1].fact,
            Fact::Health(HealthFact::Monitor { monitor, .. })
                if monitor.path == "/" && monitor.expected_codes == "200"
                    && monitor.consecutive_down == 1
        ));
    }

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
        assert_eq!(
            monitor_blind(&tcp),
            Some(MonitorBlind::NotHttp { kind: "tcp".into() })
        );
        let lax = Monitor {
            kind: "https".into(),
            expected_codes: "5xx".into(),
            ..Monitor::default()
        };
        assert_eq!(
            monitor_blind(&lax),
            Some(MonitorBlind::AcceptsUnready {
                expected_codes: "5xx".into()
            })
        );
    }
}
