//! Which pool the LB picks (docs/cloudflare-api.md), pool
//! health from origin health, and logging every flip and route change once.

use super::monitor::Health;
use super::wire::{LoadBalancer, Origin, Pool};
use super::{Endpoint, Route, State};
use crate::sim::log::EventLog;

/// A steering decision, compared between ticks to log changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum View {
    /// No pool can serve (or the LB is disabled or missing).
    Nothing,
    /// Every request goes to this pool (failover steering).
    Pool(String),
    /// Requests spread over these pools (`random` and the other policies).
    Spread(Vec<String>),
}

impl State {
    pub(super) fn lb(&self, name: &str) -> Option<&LoadBalancer> {
        self.lbs
            .iter()
            .find(|lb| lb.name == name)
            .or_else(|| self.lbs.first())
    }

    fn pool(&self, id: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.id == id)
    }

    /// The origin's health; unknown (never checked) counts as down.
    pub(super) fn origin_health(&self, pool: &Pool, origin: &Origin) -> Health {
        self.health
            .get(&(pool.id.clone(), origin.address.clone()))
            .map_or(Health::Unknown, |h| h.state)
    }

    /// Whether an origin counts as healthy (pools without a monitor: always).
    pub(super) fn origin_is_healthy(&self, pool: &Pool, origin: &Origin) -> bool {
        pool.monitor.is_none() || self.origin_health(pool, origin) == Health::Up
    }

    /// Healthy enabled origins ≥ `minimum_origins`; no monitor: healthy.
    pub(super) fn pool_is_healthy(&self, pool: &Pool) -> bool {
        if pool.monitor.is_none() {
            return true;
        }
        let up = pool
            .origins
            .iter()
            .filter(|o| o.enabled && self.origin_is_healthy(pool, o))
            .count();
        i64::try_from(up).unwrap_or(i64::MAX) >= pool.minimum_origins
    }

    fn eligible(&self, id: &str) -> bool {
        self.pool(id)
            .is_some_and(|p| p.enabled && self.pool_is_healthy(p))
    }

    /// The LB's decision now. `geo` (and `""` with geo pools) behaves as
    /// failover over `default_pools`: simulated clients have no location.
    pub(super) fn view(&self, lb_name: &str) -> View {
        let Some(lb) = self.lb(lb_name) else {
            return View::Nothing;
        };
        if !lb.enabled {
            return View::Nothing;
        }
        let failover = matches!(lb.steering_policy.as_str(), "off" | "geo" | "");
        let eligible: Vec<String> = lb
            .default_pools
            .iter()
            .filter(|id| self.eligible(id))
            .cloned()
            .collect();
        match (failover, eligible.first()) {
            (true, Some(first)) => View::Pool(first.clone()),
            (false, Some(_)) => View::Spread(eligible),
            (_, None) => match self.pool(&lb.fallback_pool) {
                // The fallback's health is never evaluated (docs/cloudflare-api.md).
                Some(p) if p.enabled => View::Pool(p.id.clone()),
                _ => View::Nothing,
            },
        }
    }

    /// The route for one request.
    pub(super) fn route(&self, lb_name: &str) -> Route {
        let id = match self.view(lb_name) {
            View::Nothing => return Route::Nothing,
            View::Pool(id) => id,
            View::Spread(ids) => {
                let lb = self.lb(lb_name);
                let weights: Vec<f64> = ids
                    .iter()
                    .map(|id| lb.map_or(1.0, |lb| lb.pool_weight(id)).max(0.0))
                    .collect();
                match weighted(&weights) {
                    Some(i) => ids[i].clone(),
                    None => ids[fastrand::usize(..ids.len())].clone(),
                }
            }
        };
        let region = self.region_of(&id);
        Route::Pool {
            pool_id: id,
            region,
        }
    }

    /// The region a pool fronts: its first enabled origin's region.
    pub(super) fn region_of(&self, pool_id: &str) -> String {
        let Some(pool) = self.pool(pool_id) else {
            return String::new();
        };
        let first = pool
            .origins
            .iter()
            .find(|o| o.enabled)
            .or(pool.origins.first());
        first.map_or_else(
            || pool.name.clone(),
            |o| Endpoint::parse(&o.address).map_or_else(|| o.name.clone(), |e| e.region),
        )
    }

    /// One origin of `pool` for a request: healthy enabled ones by weight;
    /// if none is healthy (a fallback pool), any enabled one.
    pub(super) fn pick_origin<'a>(&self, pool: &'a Pool) -> Option<&'a Origin> {
        let healthy: Vec<&Origin> = pool
            .origins
            .iter()
            .filter(|o| o.enabled && self.origin_is_healthy(pool, o))
            .collect();
        let candidates = if healthy.is_empty() {
            pool.origins.iter().filter(|o| o.enabled).collect()
        } else {
            healthy
        };
        let weights: Vec<f64> = candidates.iter().map(|o| o.weight.max(0.0)).collect();
        let i = weighted(&weights).unwrap_or(0);
        candidates.get(i).copied()
    }

    /// Zero-downtime failover's second try for a request that origin
    /// `address` of pool `pool_id` could not serve (see `sim/lb.rs`):
    /// another healthy enabled origin of the same pool, by weight; when the
    /// pool has none and the LB has `failover_across_pools`, a healthy
    /// origin of the first other eligible pool of `default_pools` (the
    /// failover order; geo steering is failover here, see [`Self::view`]).
    /// The fallback pool counts only as a member of `default_pools`: its
    /// health is never evaluated, so it is never known to be healthy.
    pub(super) fn alternate(
        &self,
        lb_name: &str,
        pool_id: &str,
        address: &str,
    ) -> Option<(&Pool, &Origin)> {
        let lb = self.lb(lb_name)?;
        if let Some(pool) = self.pool(pool_id)
            && let Some(origin) = self.healthy_origin_except(pool, address)
        {
            return Some((pool, origin));
        }
        if !lb.adaptive_routing.failover_across_pools {
            return None;
        }
        lb.default_pools
            .iter()
            .filter(|id| id.as_str() != pool_id && self.eligible(id))
            .filter_map(|id| self.pool(id))
            .find_map(|pool| self.healthy_origin_except(pool, address).map(|o| (pool, o)))
    }

    /// A healthy enabled origin of `pool` other than `address`, by weight.
    fn healthy_origin_except<'a>(&self, pool: &'a Pool, address: &str) -> Option<&'a Origin> {
        let others: Vec<&Origin> = pool
            .origins
            .iter()
            .filter(|o| o.enabled && o.address != address && self.origin_is_healthy(pool, o))
            .collect();
        let weights: Vec<f64> = others.iter().map(|o| o.weight.max(0.0)).collect();
        others.get(weighted(&weights).unwrap_or(0)).copied()
    }

    fn describe(&self, view: &View) -> String {
        let one = |id: &str| match self.pool(id) {
            Some(p) => format!("{} (pool {})", self.region_of(id), p.name),
            None => format!("pool {id}"),
        };
        match view {
            View::Nothing => "nothing (HTTP 530)".to_owned(),
            View::Pool(id) => one(id),
            View::Spread(ids) => {
                let all: Vec<String> = ids.iter().map(|id| one(id)).collect();
                format!("any of {}", all.join(", "))
            }
        }
    }

    /// Logs pool health flips and a changed LB decision; call after every
    /// change to pools, origins, monitors, LBs or origin health.
    pub(super) fn settle(&mut self, lb_name: &str, log: &EventLog) {
        // Forget origins that left their pool, so one re-added is unknown again.
        let pools = &self.pools;
        self.health.retain(|(pool_id, address), _| {
            pools
                .iter()
                .any(|p| &p.id == pool_id && p.origins.iter().any(|o| &o.address == address))
        });
        let mut flips = Vec::new();
        for pool in &self.pools {
            let now = self.pool_is_healthy(pool);
            let before = self.pool_up.get(&pool.id).copied();
            if before != Some(now) {
                flips.push((pool.id.clone(), pool.name.clone(), before, now));
            }
        }
        for (id, name, before, now) in flips {
            self.pool_up.insert(id.clone(), now);
            if before.is_none() && now {
                continue; // A new pool starting healthy is not a flip.
            }
            let region = self.region_of(&id);
            let (kind, what) = if now {
                ("pool-healthy", "healthy")
            } else {
                ("pool-unhealthy", "unhealthy")
            };
            log.push(
                "cloudflare",
                Some(&region),
                kind,
                format!("pool {name} ({id}) is {what}"),
            );
        }
        self.pool_up
            .retain(|id, _| self.pools.iter().any(|p| &p.id == id));
        let view = self.view(lb_name);
        if view != self.view {
            let region = match &view {
                View::Pool(id) => Some(self.region_of(id)),
                _ => None,
            };
            let detail = format!(
                "load balancer {lb_name}: from {} to {}",
                self.describe(&self.view),
                self.describe(&view)
            );
            log.push("cloudflare", region.as_deref(), "lb-route-changed", detail);
            self.view = view;
        }
    }
}

/// A random index with probability proportional to `weights`; `None` when
/// they are all zero.
fn weighted(weights: &[f64]) -> Option<usize> {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut x = fastrand::f64() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return Some(i);
        }
        x -= w;
    }
    weights.iter().rposition(|w| *w > 0.0)
}
