//! One refresh of the exporter's metrics from the fleet: every region's
//! Kubernetes facts (concurrently), Cloudflare's LB and pools (two
//! requests), the detailed health of a few pools (round robin, within the
//! request budget), a direct probe per region and, with `practice:`, each
//! region's run history (read alongside the snapshot; [`super::practice`]).
//!
//! A region whose API does not answer keeps its last values and gets
//! `ocfail_region_up 0`: a dashboard shows it stale instead of empty, and an
//! alert on its replicas does not flap to "no data".

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::join_all;

use crate::cloudflare::Pools;
use crate::kube::{ProxyRequest, Workloads};
use crate::manifest::Region;
use crate::ops::connect::Connected;
use crate::ops::snapshot::{self, FleetSnapshot, RegionSnapshot};
use crate::ops::status::pool_facts;
use crate::ops::steering;

use super::metrics::{Labels, Metrics, flag, region, set};

/// The share of the Cloudflare request budget the exporter may use: it
/// runs all day, and drills, rollouts and `status` need the rest.
pub const BUDGET_SHARE: f64 = 0.5;

/// Kubernetes reads per region per refresh (version, Service, both
/// Deployments, the lock Lease).
const KUBE_READS: u64 = 5;

/// How many pools' detailed health one refresh may read: what the share of
/// the budget allows per interval, after the LB and pool list.
pub fn health_reads_per_refresh(rps: f64, interval: Duration) -> usize {
    let allowed = (rps * interval.as_secs_f64() * BUDGET_SHARE).floor();
    // Saturating float-to-int: a NaN or negative budget reads nothing.
    (allowed as usize).saturating_sub(2)
}

/// What one refresh did, for tests and the exporter's own log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefreshStats {
    /// Cloudflare requests sent.
    pub cloudflare_requests: u64,
    /// Pools whose detailed health was read.
    pub pools_detailed: usize,
    /// Regions whose API answered.
    pub regions_up: usize,
}

/// The exporter's state between refreshes.
pub struct Refresher {
    /// The metrics being kept up to date.
    pub metrics: std::sync::Arc<Metrics>,
    /// Pools' detailed health to read per refresh.
    pub health_per_refresh: usize,
    /// Where the round robin of detailed pool health continues.
    cursor: usize,
    /// Per region, the label sets of its info series, to remove when they change.
    live_labels: BTreeMap<String, Labels>,
    drill_labels: BTreeMap<String, Labels>,
    practice_labels: BTreeMap<String, Labels>,
    http: Option<reqwest::Client>,
    max_parallel: usize,
}

impl Refresher {
    /// A refresher over `metrics`, probing with `timeout`.
    pub fn new(
        metrics: std::sync::Arc<Metrics>,
        health_per_refresh: usize,
        timeout: Duration,
        max_parallel: usize,
    ) -> Self {
        Refresher {
            metrics,
            health_per_refresh,
            cursor: 0,
            live_labels: BTreeMap::new(),
            drill_labels: BTreeMap::new(),
            practice_labels: BTreeMap::new(),
            http: reqwest::Client::builder().timeout(timeout).build().ok(),
            max_parallel,
        }
    }

    /// Reads the fleet once and updates every metric.
    pub async fn refresh(&mut self, c: &Connected) -> RefreshStats {
        let started = Instant::now();
        let sent_before = c.cloudflare.as_ref().map_or(0, |cf| cf.requests_sent());
        let (snap, histories) = tokio::join!(
            snapshot::fleet(
                &c.fleet,
                c.regions.clone(),
                c.cloudflare.clone(),
                self.max_parallel,
            ),
            crate::ops::status::practice::read(&c.clients),
        );
        let mut stats = RefreshStats::default();
        let now = unix(SystemTime::now());
        // Error counters exist from the start at 0, so `rate()` and
        // `increase()` see the first error as a change rather than a new series.
        for r in &snap.regions {
            for api in ["kubernetes", "cloudflare"] {
                let _ = self.metrics.api_errors.get_or_create(&vec![
                    ("api", api.to_owned()),
                    ("region", r.region.name.to_string()),
                ]);
            }
        }
        for r in &snap.regions {
            self.metrics
                .api_requests
                .get_or_create(&vec![("api", "kubernetes".to_owned())])
                .inc_by(KUBE_READS);
            if r.error.is_some() {
                let name = r.region.name.to_string();
                set(&self.metrics.region_up, &region(&name), 0.0);
                self.kube_error(&name);
                continue;
            }
            stats.regions_up += 1;
            self.region_facts(r, now);
        }
        let history_reads = super::practice::apply(
            &self.metrics,
            &mut self.practice_labels,
            &c.fleet,
            histories,
        );
        self.metrics
            .api_requests
            .get_or_create(&vec![("api", "kubernetes".to_owned())])
            .inc_by(history_reads);
        self.cloudflare_facts(&snap);
        stats.pools_detailed = self.pool_health(c, &snap).await;
        self.probes(c).await;
        let sent = c.cloudflare.as_ref().map_or(0, |cf| cf.requests_sent()) - sent_before;
        self.metrics
            .api_requests
            .get_or_create(&vec![("api", "cloudflare".to_owned())])
            .inc_by(sent);
        stats.cloudflare_requests = sent;
        let m = &self.metrics;
        m.refresh_duration.set(started.elapsed().as_secs_f64());
        m.last_refresh.set(unix(SystemTime::now()));
        stats
    }

    fn kube_error(&self, name: &str) {
        self.metrics
            .api_errors
            .get_or_create(&vec![
                ("api", "kubernetes".to_owned()),
                ("region", name.to_owned()),
            ])
            .inc();
    }

    fn region_facts(&mut self, r: &RegionSnapshot, now: f64) {
        let m = &self.metrics;
        let name = r.region.name.to_string();
        set(&m.region_up, &region(&name), 1.0);
        set(&m.region_last_success, &region(&name), now);
        for (colour, d) in [("blue", &r.blue), ("green", &r.green)] {
            if let Some(d) = d {
                let l = vec![("region", name.clone()), ("color", colour.to_owned())];
                set(&m.replicas_desired, &l, f64::from(d.replicas));
                set(&m.replicas_ready, &l, f64::from(d.ready));
            }
        }
        if let (Some(colour), Some(d)) = (r.live_color(), r.live()) {
            let l = vec![
                ("region", name.clone()),
                ("color", colour.to_owned()),
                ("image", d.image.clone()),
            ];
            replace_info(
                &m.live_info,
                self.live_labels.insert(name.clone(), l.clone()),
                &l,
            );
        }
        let running = r.operation().map(|(kind, _)| kind);
        for kind in ["drill", "rollout"] {
            let l = vec![("region", name.clone()), ("operation", kind.to_owned())];
            set(&m.operation, &l, flag(running == Some(kind)));
        }
        let last = r.last_drill().and_then(|l| {
            let verdict = l.get("verdict").unwrap_or("restored").to_owned();
            Some((l.at?, verdict))
        });
        if let Some((at, verdict)) = last {
            let l = vec![("region", name.clone()), ("verdict", verdict)];
            replace_info(
                &m.last_drill,
                self.drill_labels.insert(name.clone(), l.clone()),
                &l,
            );
            set(&m.last_drill_at, &region(&name), unix(at));
        }
    }

    fn cloudflare_facts(&self, snap: &FleetSnapshot) {
        let m = &self.metrics;
        let (lb, pools) = (&snap.cloudflare.lb, &snap.cloudflare.pools);
        if lb.is_err() || pools.is_err() {
            m.api_errors
                .get_or_create(&vec![
                    ("api", "cloudflare".to_owned()),
                    ("region", String::new()),
                ])
                .inc();
        }
        let Ok(pools_list) = pools else { return };
        let facts: Vec<_> = snap.regions.iter().map(|r| pool_facts(snap, r)).collect();
        let selected = lb
            .as_ref()
            .map(|lb| steering::select(lb, &facts, &[]).regions())
            .unwrap_or_default();
        for (r, f) in snap.regions.iter().zip(&facts) {
            let Some(pool) = pools_list.iter().find(|p| p.id == f.pool_id) else {
                continue;
            };
            let l = vec![
                ("region", r.region.name.to_string()),
                ("pool", pool.name.clone()),
            ];
            set(&m.pool_enabled, &l, flag(f.enabled));
            if let Some(h) = f.healthy {
                set(&m.pool_healthy, &l, flag(h));
            }
            if lb.is_ok() {
                set(&m.lb_selected, &l, flag(selected.contains(&f.region)));
            }
        }
        if let Ok(lb) = lb {
            let survives = steering::survives_any_one(lb, &facts).is_ok();
            m.survives.set(flag(survives));
        }
    }

    /// The detailed health of the next pools in the round robin.
    async fn pool_health(&mut self, c: &Connected, snap: &FleetSnapshot) -> usize {
        let Ok(cf) = &c.cloudflare else { return 0 };
        let n = snap.regions.len();
        let take = self.health_per_refresh.min(n);
        let mut done = 0;
        for i in 0..take {
            let r = &snap.regions[(self.cursor + i) % n.max(1)];
            let Some(pool) = snap.cloudflare.pool_for(&r.region) else {
                continue;
            };
            done += 1;
            let name = r.region.name.to_string();
            match cf.pool_health(&pool.id).await {
                Ok(h) => {
                    for (location, lh) in &h.locations {
                        for o in &lh.origins {
                            let l = vec![
                                ("region", name.clone()),
                                ("pool", pool.name.clone()),
                                ("check_region", location.clone()),
                            ];
                            set(&self.metrics.origin_healthy, &l, flag(o.healthy));
                            if let Some(rtt) = o.rtt_ms {
                                set(&self.metrics.origin_rtt, &l, rtt / 1000.0);
                            }
                        }
                    }
                }
                Err(_) => {
                    self.metrics
                        .api_errors
                        .get_or_create(&vec![("api", "cloudflare".to_owned()), ("region", name)])
                        .inc();
                }
            }
        }
        self.cursor = (self.cursor + take) % n.max(1);
        done
    }

    /// One probe per region, all at once: the region's `probe` URL, or its
    /// Service's `/healthz` through the API server.
    async fn probes(&self, c: &Connected) {
        let work = c.regions.iter().map(|(r, k)| async move {
            let started = Instant::now();
            let ok = match (&r.probe, &self.http) {
                (Some(url), Some(http)) => http
                    .get(url)
                    .send()
                    .await
                    .is_ok_and(|resp| resp.status().as_u16() < 400),
                _ => match k {
                    Ok(k) => proxy_probe(k, r).await,
                    Err(_) => false,
                },
            };
            (r.name.to_string(), ok, started.elapsed())
        });
        for (name, ok, took) in join_all(work).await {
            set(&self.metrics.probe_success, &region(&name), flag(ok));
            self.metrics
                .probe_duration
                .get_or_create(&region(&name))
                .observe(took.as_secs_f64());
        }
    }
}

async fn proxy_probe<W: Workloads>(k: &W, r: &Region) -> bool {
    k.proxy(&ProxyRequest {
        service: r.service.clone(),
        port: r.port,
        method: "GET".to_owned(),
        path: "/healthz".to_owned(),
        body: None,
    })
    .await
    .is_ok_and(|resp| resp.status < 400)
}

/// Sets the info series `now` to 1, removing `before` when it differs.
pub(super) fn replace_info(family: &super::metrics::Gauges, before: Option<Labels>, now: &Labels) {
    if let Some(old) = before
        && old != *now
    {
        family.remove(&old);
    }
    set(family, now, 1.0);
}

fn unix(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detailed_health_reads_fit_half_the_budget() {
        // 2 req/s × 15 s × 0.5 = 15 per refresh, minus the LB and pool list.
        assert_eq!(health_reads_per_refresh(2.0, Duration::from_secs(15)), 13);
        assert_eq!(health_reads_per_refresh(2.0, Duration::from_secs(1)), 0);
        assert_eq!(
            health_reads_per_refresh(f64::NAN, Duration::from_secs(15)),
            0
        );
    }
}
