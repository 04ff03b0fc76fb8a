//! The monitor loop (docs/cloudflare-api.md): every monitor's `interval`, each
//! enabled origin of each enabled pool using it is probed through its
//! region's Service; `consecutive_down`/`consecutive_up` turn results into
//! origin health. Also the pool health endpoint.
//!
//! Probes answer at once (a Service either has ready pods or it does not;
//! an origin with an [`OriginFault`](crate::sim::OriginFault) fails to
//! connect at once), so they never time out and `timeout`/`retries` (which
//! only apply to timeouts) never change an outcome.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use super::geo::{pop_label, rtts};
use super::objects::{CfError, Kind};
use super::wire::{Monitor, Pool};
use super::{Cloudflare, Endpoint, lock};
use crate::durations::deadline;
use crate::sim::app::AppRequest;
use crate::sim::world::World;

/// An origin's health as the monitor sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Health {
    /// Not checked yet: counts as down (docs/cloudflare-api.md).
    Unknown,
    /// Healthy.
    Up,
    /// Unhealthy.
    Down,
}

/// One origin's health, counters and last probe.
#[derive(Clone, Debug)]
pub(super) struct OriginHealth {
    pub(super) state: Health,
    passes: u32,
    fails: u32,
    last: Option<Probe>,
}

/// One probe's outcome, with a round-trip time per check region.
#[derive(Clone, Debug)]
pub(super) struct Probe {
    code: Option<u16>,
    pub(super) failure: Option<&'static str>,
    rtts: Vec<(&'static str, f64)>,
}

impl OriginHealth {
    /// Healthy from the start, as if a first check had passed (the seeded
    /// live colour is ready).
    pub(super) fn seeded_up(pool: &Pool, endpoint: &Endpoint) -> Self {
        OriginHealth {
            state: Health::Up,
            passes: 1,
            fails: 0,
            last: Some(Probe {
                code: Some(200),
                failure: None,
                rtts: rtts(&pool.probe_regions(), &endpoint.region),
            }),
        }
    }

    fn unknown() -> Self {
        OriginHealth {
            state: Health::Unknown,
            passes: 0,
            fails: 0,
            last: None,
        }
    }

    /// Records a probe; returns the new state when it flipped.
    fn observe(&mut self, probe: Probe, up_after: u32, down_after: u32) -> Option<Health> {
        let passed = probe.failure.is_none();
        self.last = Some(probe);
        if passed {
            self.passes = self.passes.saturating_add(1);
            self.fails = 0;
        } else {
            self.fails = self.fails.saturating_add(1);
            self.passes = 0;
        }
        let next = match self.state {
            Health::Up if !passed && self.fails >= down_after.max(1) => Health::Down,
            Health::Down | Health::Unknown if passed && self.passes >= up_after.max(1) => {
                Health::Up
            }
            Health::Unknown if !passed => Health::Down,
            s => s,
        };
        (next != self.state).then(|| {
            self.state = next;
            next
        })
    }
}

/// Probes `address` the way `monitor` would, from `regions`.
pub(super) fn probe(
    world: &World,
    monitor: &Monitor,
    address: &str,
    regions: &[&'static str],
) -> Probe {
    let endpoint = Endpoint::parse(address);
    let cluster = endpoint.as_ref().and_then(|e| world.cluster(&e.region));
    let (Some(endpoint), Some(cluster)) = (endpoint, cluster) else {
        return Probe {
            code: None,
            failure: Some("No route to host error"),
            rtts: regions.iter().map(|r| (*r, 0.0)).collect(),
        };
    };
    if let Some(why) = world.faults.origin(&endpoint.region).probe_failure() {
        // No connection, so no response code and no round trip, whatever
        // the monitor's type.
        return Probe {
            code: None,
            failure: Some(why),
            rtts: regions.iter().map(|r| (*r, 0.0)).collect(),
        };
    }
    let rtts = rtts(regions, &endpoint.region);
    if !matches!(monitor.kind.as_str(), "http" | "https") {
        // A TCP/ICMP check reaches the ingress whether or not pods are ready
        // (the `monitor-blind` safety rule exists because of this).
        return Probe {
            code: None,
            failure: None,
            rtts,
        };
    }
    let req = AppRequest {
        method: monitor.method.to_ascii_uppercase(),
        path: monitor.path.clone(),
        body: Vec::new(),
    };
    let resp = cluster.serve_service(&endpoint.namespace, &endpoint.service, &req);
    Probe {
        code: Some(resp.status),
        failure: monitor.verdict(resp.status, &resp.body).err(),
        rtts,
    }
}

/// One origin to probe this tick.
struct Check {
    monitor: Monitor,
    pool_id: String,
    address: String,
    regions: Vec<&'static str>,
}

/// Checks every pool's origins on its monitor's interval until cancelled.
pub async fn run_monitor(world: Arc<World>, cancel: CancellationToken) {
    let mut last_run = HashMap::new();
    loop {
        let (checks, wake) = world.cloudflare.due_checks(Instant::now(), &mut last_run);
        if !checks.is_empty() {
            let results = checks
                .into_iter()
                .map(|c| {
                    let p = probe(&world, &c.monitor, &c.address, &c.regions);
                    (c, p)
                })
                .collect();
            world.cloudflare.record(results);
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}

impl Cloudflare {
    /// The origins due for a check now, and when to look again. Reads the
    /// monitors afresh each time, so API changes apply on the next tick.
    fn due_checks(
        &self,
        now: Instant,
        last_run: &mut HashMap<String, Instant>,
    ) -> (Vec<Check>, Instant) {
        let st = lock(&self.state);
        let mut checks = Vec::new();
        let mut wake = deadline(now, self.max_sleep);
        let in_use = |m: &Monitor| {
            st.pools
                .iter()
                .any(|p| p.enabled && p.monitor.as_deref() == Some(m.id.as_str()))
        };
        for m in st.monitors.iter().filter(|m| in_use(m)) {
            let every = self.scaled(m.interval);
            let last = *last_run.entry(m.id.clone()).or_insert(now);
            let due = deadline(last, every);
            if now < due {
                wake = wake.min(due);
                continue;
            }
            // Keep the cadence, unless the loop fell a whole interval behind.
            let ran = if now >= deadline(due, every) {
                now
            } else {
                due
            };
            last_run.insert(m.id.clone(), ran);
            wake = wake.min(deadline(ran, every));
            for pool in st.pools.iter().filter(|p| p.enabled) {
                if pool.monitor.as_deref() != Some(m.id.as_str()) {
                    continue;
                }
                let regions = pool.probe_regions();
                for o in pool.origins.iter().filter(|o| o.enabled) {
                    checks.push(Check {
                        monitor: m.clone(),
                        pool_id: pool.id.clone(),
                        address: o.address.clone(),
                        regions: regions.clone(),
                    });
                }
            }
        }
        last_run.retain(|id, _| st.monitors.iter().any(|m| &m.id == id && in_use(m)));
        (checks, wake)
    }

    /// Applies probe results, logging origin flips, then pool flips and
    /// route changes. Results for origins changed meanwhile are dropped.
    fn record(&self, results: Vec<(Check, Probe)>) {
        let mut st = lock(&self.state);
        for (check, probe) in results {
            let Some(pool) = st.pools.iter().find(|p| {
                p.id == check.pool_id && p.enabled && p.monitor.as_ref() == Some(&check.monitor.id)
            }) else {
                continue;
            };
            let Some(origin) = pool
                .origins
                .iter()
                .find(|o| o.enabled && o.address == check.address)
            else {
                continue;
            };
            let (pool_name, origin_name) = (pool.name.clone(), origin.name.clone());
            let monitor = st
                .monitors
                .iter()
                .find(|m| m.id == check.monitor.id)
                .unwrap_or(&check.monitor);
            let up_after = u32::try_from(monitor.consecutive_up).unwrap_or(0);
            let down_after = u32::try_from(monitor.consecutive_down).unwrap_or(0);
            let outcome = match (probe.code, probe.failure) {
                (Some(code), Some(why)) => format!("response code {code}: {why}"),
                (None, Some(why)) => why.to_owned(),
                (Some(code), None) => format!("response code {code}"),
                (None, None) => "reachable".to_owned(),
            };
            let entry = st
                .health
                .entry((check.pool_id.clone(), check.address.clone()))
                .or_insert_with(OriginHealth::unknown);
            let Some(flip) = entry.observe(probe, up_after, down_after) else {
                continue;
            };
            let (kind, what, count) = match flip {
                Health::Up => ("origin-healthy", "healthy", entry.passes),
                _ => ("origin-unhealthy", "unhealthy", entry.fails),
            };
            let region = Endpoint::parse(&check.address).map_or(origin_name.clone(), |e| e.region);
            self.log.push(
                "cloudflare",
                Some(&region),
                kind,
                format!(
                    "origin {origin_name} ({}) in pool {pool_name} is {what} after {count} check(s) in a row ({outcome})",
                    check.address
                ),
            );
        }
        st.settle(&self.lb_name, &self.log);
    }

    /// `GET …/pools/{id}/health`: per check region, each enabled origin's
    /// health, last response code, failure reason and round-trip time.
    pub fn pool_health(&self, pool_id: &str) -> Result<Value, CfError> {
        let st = lock(&self.state);
        let pool = st
            .pools
            .iter()
            .find(|p| p.id == pool_id)
            .ok_or(CfError::NotFound(Kind::Pool))?;
        if pool.monitor.is_none() {
            return Err(CfError::HealthUnavailable);
        }
        let healthy = st.pool_is_healthy(pool);
        let mut pops = Map::new();
        for region in pool.probe_regions() {
            let origins: Vec<Value> = pool
                .origins
                .iter()
                .filter(|o| o.enabled)
                .map(|o| {
                    let h = st.health.get(&(pool.id.clone(), o.address.clone()));
                    let up = h.is_some_and(|h| h.state == Health::Up);
                    let data = match h.and_then(|h| h.last.as_ref()) {
                        Some(p) => origin_data(up, p, region),
                        None => json!({"healthy": false, "rtt": "0ms", "failure_reason": "Health status unknown", "response_code": 0}),
                    };
                    json!({ o.address.clone(): data })
                })
                .collect();
            pops.insert(
                pop_label(region).to_owned(),
                json!({"healthy": healthy, "origins": origins}),
            );
        }
        Ok(json!({"pool_id": pool.id, "pop_health": pops}))
    }
}

pub(super) fn origin_data(healthy: bool, p: &Probe, region: &str) -> Value {
    let rtt = p
        .rtts
        .iter()
        .find(|(r, _)| *r == region)
        .map_or(0.0, |(_, ms)| *ms);
    json!({
        "healthy": healthy,
        "rtt": format!("{rtt:.1}ms"),
        "failure_reason": p.failure.unwrap_or("No failures"),
        "response_code": p.code.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe_with(code: u16, ok: bool) -> Probe {
        Probe {
            code: Some(code),
            failure: (!ok).then_some("Response code mismatch error"),
            rtts: Vec::new(),
        }
    }

    #[test]
    fn hysteresis_needs_consecutive_results() {
        let mut h = OriginHealth::unknown();
        assert_eq!(h.observe(probe_with(200, true), 2, 3), None);
        assert_eq!(h.observe(probe_with(200, true), 2, 3), Some(Health::Up));
        assert_eq!(h.observe(probe_with(503, false), 2, 3), None);
        assert_eq!(h.observe(probe_with(200, true), 2, 3), None);
        for _ in 0..2 {
            assert_eq!(h.observe(probe_with(503, false), 2, 3), None);
        }
        assert_eq!(h.observe(probe_with(503, false), 2, 3), Some(Health::Down));
        // Zero means "one result flips it".
        assert_eq!(h.observe(probe_with(200, true), 0, 0), Some(Health::Up));
    }

    #[test]
    fn unknown_origins_fail_on_the_first_bad_check() {
        let mut h = OriginHealth::unknown();
        assert_eq!(h.observe(probe_with(503, false), 2, 3), Some(Health::Down));
    }
}
