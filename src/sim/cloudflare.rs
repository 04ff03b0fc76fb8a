//! The simulated Cloudflare account: monitors, pools, the zone's load
//! balancers, the monitor loop that turns Service readiness into pool health,
//! and steering (which pool the LB sends traffic to now).
//!
//! One mutex guards the whole account. It is never held across an `.await`
//! or while a cluster answers a probe, so the API, the LB and the monitor
//! loop never wait on each other for long.

mod geo;
mod monitor;
mod objects;
mod preview;
mod steering;
pub mod wire;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use monitor::run_monitor;
pub use objects::{CfError, Kind, parse_monitor};
pub use preview::{PreviewScope, run_preview};

use self::monitor::OriginHealth;
use self::steering::View;
use self::wire::{LoadBalancer, Monitor, Origin, Pool};
use super::log::EventLog;
use super::options::SimOptions;
use crate::manifest::Fleet;

/// Where the LB sends a request now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// To this pool's region.
    Pool {
        /// The pool's id.
        pool_id: String,
        /// The region the pool fronts.
        region: String,
    },
    /// Nothing can serve (HTTP 530).
    Nothing,
}

/// The Kubernetes Service behind an origin address. Seeded origins are
/// `<service>.<namespace>.<region>.sim.internal`; any address of that shape
/// naming a known region works, so a pool can be pointed at `<service>-preview`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The region (cluster) name.
    pub region: String,
    /// The Service's namespace.
    pub namespace: String,
    /// The Service's name.
    pub service: String,
}

impl Endpoint {
    /// The domain every simulated origin address ends in.
    pub const SUFFIX: &'static str = ".sim.internal";

    /// The origin address for this Service.
    pub fn address(&self) -> String {
        format!(
            "{}.{}.{}{}",
            self.service,
            self.namespace,
            self.region,
            Self::SUFFIX
        )
    }

    /// The Service an origin address names, if it has the simulator's shape.
    pub fn parse(address: &str) -> Option<Endpoint> {
        let rest = address.trim_end_matches('.').strip_suffix(Self::SUFFIX)?;
        let mut parts = rest.split('.');
        let (service, namespace, region) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || [service, namespace, region].iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(Endpoint {
            region: region.to_owned(),
            namespace: namespace.to_owned(),
            service: service.to_owned(),
        })
    }
}

/// Where one LB request goes: a pool and one of its origins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The selected pool.
    pub pool_id: String,
    /// The region serving (the origin's region, or its name when the
    /// address is not a simulated one).
    pub region: String,
    /// The chosen origin's address.
    pub origin: String,
    /// The Service behind the chosen origin; `None` when its address does
    /// not resolve (the LB then answers like an unreachable origin).
    pub endpoint: Option<Endpoint>,
}

impl Target {
    fn new(pool_id: &str, origin: &Origin) -> Self {
        let endpoint = Endpoint::parse(&origin.address);
        Target {
            pool_id: pool_id.to_owned(),
            region: endpoint
                .as_ref()
                .map_or_else(|| origin.name.clone(), |e| e.region.clone()),
            origin: origin.address.clone(),
            endpoint,
        }
    }
}

/// Rate-limit accounting for one 5-minute window (docs/cloudflare-api.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateStatus {
    /// Requests left in the window.
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u64,
    /// Whether this request is refused (only when enforcement is on).
    pub limited: bool,
}

/// Requests allowed per window, and the window.
pub const RATE_LIMIT: u32 = 1200;
/// The rate-limit window in seconds.
pub const RATE_WINDOW_SECS: u64 = 300;

#[derive(Debug)]
struct RateWindow {
    started: Instant,
    count: u32,
}

/// The account's state.
#[derive(Debug)]
pub struct Cloudflare {
    account_id: String,
    zone_id: String,
    lb_name: String,
    /// Real seconds per API second of monitor timing (0.1 in fast tests).
    time_scale: f64,
    /// Longest the monitor loop sleeps, so API changes are seen promptly.
    max_sleep: Duration,
    log: EventLog,
    state: Mutex<State>,
    rate: Mutex<RateWindow>,
    enforce_rate_limit: AtomicBool,
    /// Every API request since the start, for tests that count a client's
    /// requests over time.
    requests_total: std::sync::atomic::AtomicU64,
}

#[derive(Debug)]
struct State {
    monitors: Vec<Monitor>,
    pools: Vec<Pool>,
    lbs: Vec<LoadBalancer>,
    /// Per (pool id, origin address).
    health: HashMap<(String, String), OriginHealth>,
    /// Last logged health per pool id, to log flips once.
    pool_up: HashMap<String, bool>,
    /// Preview results by id, oldest first (bounded).
    previews: VecDeque<(String, Value)>,
    /// Last logged steering decision.
    view: View,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the state consistent before it can panic.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cloudflare {
    /// The account seeded from `fleet`: one monitor, one pool per region
    /// with one origin (the region's live Service), and the LB, all healthy.
    pub fn seeded(fleet: &Fleet, options: &SimOptions, log: EventLog) -> Self {
        let now = wire::now_rfc3339();
        let monitor = Monitor {
            id: wire::stable_id("monitor", &fleet.metadata.name),
            created_on: now.clone(),
            modified_on: now.clone(),
            kind: "http".to_owned(),
            method: "GET".to_owned(),
            path: "/healthz".to_owned(),
            expected_codes: "2xx".to_owned(),
            interval: i64::try_from(options.api_interval_secs()).unwrap_or(60),
            timeout: i64::try_from(options.api_timeout_secs()).unwrap_or(5),
            retries: i64::from(options.monitor_retries),
            consecutive_up: i64::from(options.consecutive_up),
            consecutive_down: i64::from(options.consecutive_down),
            description: "ocfail sim monitor".to_owned(),
            ..Monitor::default()
        };
        let mut pools = Vec::new();
        let mut health = HashMap::new();
        for region in &fleet.regions {
            let (id, name) = if wire::is_hex32(&region.pool) {
                (region.pool.to_ascii_lowercase(), region.name.to_string())
            } else {
                (wire::stable_id("pool", &region.pool), region.pool.clone())
            };
            let endpoint = Endpoint {
                region: region.name.to_string(),
                namespace: region.namespace.clone(),
                service: region.service.clone(),
            };
            let origin = Origin {
                name: region.name.to_string(),
                address: endpoint.address(),
                ..Origin::default()
            };
            let pool = Pool {
                id,
                created_on: now.clone(),
                modified_on: now.clone(),
                name,
                description: format!("ocfail sim: {} ({})", region.name, region.context),
                monitor: Some(monitor.id.clone()),
                check_regions: Some(vec!["WNAM".into(), "WEU".into(), "SEAS".into()]),
                origins: vec![origin],
                ..Pool::default()
            };
            health.insert(
                (pool.id.clone(), pool.origins[0].address.clone()),
                OriginHealth::seeded_up(&pool, &endpoint),
            );
            pools.push(pool);
        }
        let lb = LoadBalancer {
            id: wire::stable_id("load_balancer", &fleet.cloudflare.load_balancer),
            created_on: now.clone(),
            modified_on: now,
            name: fleet.cloudflare.load_balancer.clone(),
            description: format!("ocfail sim: {}", fleet.metadata.name),
            proxied: true,
            steering_policy: "off".to_owned(),
            default_pools: pools.iter().map(|p| p.id.clone()).collect(),
            fallback_pool: pools.last().map(|p| p.id.clone()).unwrap_or_default(),
            adaptive_routing: wire::AdaptiveRouting {
                failover_across_pools: options.failover_across_pools,
            },
            ..LoadBalancer::default()
        };
        let pool_up = pools.iter().map(|p| (p.id.clone(), true)).collect();
        let mut state = State {
            monitors: vec![monitor],
            pools,
            lbs: vec![lb],
            health,
            pool_up,
            previews: VecDeque::new(),
            view: View::Nothing,
        };
        state.view = state.view(&fleet.cloudflare.load_balancer);
        let api_interval = options.api_interval_secs().max(1) as f64;
        Cloudflare {
            account_id: fleet.cloudflare.account_id.to_ascii_lowercase(),
            zone_id: fleet.cloudflare.zone_id.to_ascii_lowercase(),
            lb_name: fleet.cloudflare.load_balancer.clone(),
            time_scale: options.monitor_interval.as_secs_f64() / api_interval,
            max_sleep: options.monitor_interval.max(Duration::from_millis(10)),
            log,
            state: Mutex::new(state),
            rate: Mutex::new(RateWindow {
                started: Instant::now(),
                count: 0,
            }),
            enforce_rate_limit: AtomicBool::new(false),
            requests_total: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The account id every account path must carry.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The zone id every zone path must carry.
    pub fn zone_id(&self) -> &str {
        &self.zone_id
    }

    /// The pool the LB selects now (steering, health, fallback). With a
    /// spreading policy (`random`, …) each call picks again.
    pub fn route(&self) -> Route {
        let st = lock(&self.state);
        st.route(&self.lb_name)
    }

    /// Where the next LB request goes: the routed pool and one of its
    /// origins (healthy ones first, by weight).
    pub fn target(&self) -> Option<Target> {
        let st = lock(&self.state);
        let Route::Pool { pool_id, .. } = st.route(&self.lb_name) else {
            return None;
        };
        let pool = st.pools.iter().find(|p| p.id == pool_id)?;
        let origin = st.pick_origin(pool)?;
        Some(Target::new(&pool_id, origin))
    }

    /// Where zero-downtime failover sends its one retry of a request that
    /// `tried` answered with one of the
    /// [`ZERO_DOWNTIME_FAILOVER_STATUSES`](crate::cloudflare::ZERO_DOWNTIME_FAILOVER_STATUSES):
    /// another healthy origin of the same pool, else (only with
    /// `adaptive_routing.failover_across_pools`) one of the next eligible
    /// pool in failover order; `None` when there is none.
    pub fn retry_target(&self, tried: &Target) -> Option<Target> {
        let st = lock(&self.state);
        let (pool, origin) = st.alternate(&self.lb_name, &tried.pool_id, &tried.origin)?;
        Some(Target::new(&pool.id, origin))
    }

    /// Whether the simulated LB retries a request whose origin failed on the
    /// next pool (`adaptive_routing.failover_across_pools`).
    pub fn failover_across_pools(&self) -> bool {
        let st = lock(&self.state);
        st.lb(&self.lb_name)
            .is_some_and(|lb| lb.adaptive_routing.failover_across_pools)
    }

    /// The pool whose origins point at `region` (the seeded pool for it).
    pub fn pool_for_region(&self, region: &str) -> Option<Pool> {
        let st = lock(&self.state);
        st.pools
            .iter()
            .find(|p| {
                p.origins
                    .iter()
                    .any(|o| Endpoint::parse(&o.address).is_some_and(|e| e.region == region))
            })
            .cloned()
    }

    /// Whether the pool is healthy now (`None`: no such pool).
    pub fn pool_healthy(&self, pool_id: &str) -> Option<bool> {
        let st = lock(&self.state);
        let pool = st.pools.iter().find(|p| p.id == pool_id)?;
        Some(st.pool_is_healthy(pool))
    }

    /// Counts one API request against the 1200-per-5-minutes budget.
    pub fn count_request(&self) -> RateStatus {
        self.requests_total.fetch_add(1, Ordering::Relaxed);
        let mut w = lock(&self.rate);
        let window = Duration::from_secs(RATE_WINDOW_SECS);
        if w.started.elapsed() >= window {
            w.started = Instant::now();
            w.count = 0;
        }
        w.count = w.count.saturating_add(1);
        let left = window.saturating_sub(w.started.elapsed());
        RateStatus {
            remaining: RATE_LIMIT.saturating_sub(w.count),
            reset_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
            limited: self.enforce_rate_limit.load(Ordering::Relaxed) && w.count > RATE_LIMIT,
        }
    }

    /// Every API request counted since the simulator started.
    pub fn requests_total(&self) -> u64 {
        self.requests_total.load(Ordering::Relaxed)
    }

    /// Turns real 429s past 1200 requests per 5 minutes on or off (off by
    /// default, so long demos never lock themselves out).
    pub fn set_enforce_rate_limit(&self, on: bool) {
        self.enforce_rate_limit.store(on, Ordering::Relaxed);
    }

    /// A monitor setting in API seconds as real time.
    fn scaled(&self, secs: i64) -> Duration {
        let secs = u32::try_from(secs.max(1)).unwrap_or(u32::MAX);
        Duration::from_secs_f64(f64::from(secs) * self.time_scale).max(Duration::from_millis(10))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;

    fn seeded() -> Cloudflare {
        let fleet = crate::manifest::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/fleet.yaml"
        )))
        .expect("the seed fleet loads");
        Cloudflare::seeded(&fleet, &SimOptions::fast(), EventLog::new())
    }

    fn region(route: Route) -> Option<String> {
        match route {
            Route::Pool { region, .. } => Some(region),
            Route::Nothing => None,
        }
    }

    #[test]
    fn failover_walks_default_pools_then_the_fallback() {
        let cf = seeded();
        let id = |r: &str| cf.pool_for_region(r).expect("seeded pool").id;
        assert_eq!(region(cf.route()).as_deref(), Some("us-east-1"));
        let disable = |r: &str, on: bool| {
            cf.update(Kind::Pool, &id(r), json!({"enabled": on}), false)
                .expect("patch");
        };
        disable("us-east-1", false);
        assert_eq!(region(cf.route()).as_deref(), Some("eu-central-1"));
        disable("eu-central-1", false);
        assert_eq!(region(cf.route()).as_deref(), Some("ap-southeast-2"));
        // The fallback is the last pool: disabling it leaves nothing.
        disable("ap-southeast-2", false);
        assert_eq!(cf.route(), Route::Nothing);
        assert!(cf.target().is_none());
        disable("us-east-1", true);
        assert_eq!(region(cf.route()).as_deref(), Some("us-east-1"));
        let target = cf.target().expect("a target");
        assert_eq!(
            target.endpoint.map(|e| e.service).as_deref(),
            Some("openclaw-api")
        );
    }

    #[test]
    fn retries_go_to_the_same_pool_first_then_across_pools_only_when_allowed() {
        let cf = seeded();
        let id = |r: &str| cf.pool_for_region(r).expect("seeded pool").id;
        let lb = cf.list(Kind::LoadBalancer, None)[0]["id"]
            .as_str()
            .expect("lb id")
            .to_owned();
        let across = |on: bool| {
            let body = json!({"adaptive_routing": {"failover_across_pools": on}});
            cf.update(Kind::LoadBalancer, &lb, body, false)
                .expect("patch");
        };
        let tried = cf.target().expect("a target");
        assert_eq!(tried.region, "us-east-1");
        // One origin per pool: nowhere to go within the pool.
        assert_eq!(cf.retry_target(&tried), None);
        across(true);
        let retry = cf.retry_target(&tried).expect("the next pool");
        assert_eq!(
            (retry.region.as_str(), retry.pool_id),
            ("eu-central-1", id("eu-central-1"))
        );
        // Only eligible pools: a disabled one is skipped.
        cf.update(
            Kind::Pool,
            &id("eu-central-1"),
            json!({"enabled": false}),
            false,
        )
        .expect("patch");
        let retry = cf.retry_target(&tried).expect("the pool after");
        assert_eq!(retry.region, "ap-southeast-2");

        // A second healthy origin in the pool is tried first, with or
        // without failover across pools. (Without a monitor every origin
        // counts as healthy; the monitor loop is not running here.)
        across(false);
        let spare = Endpoint {
            region: "eu-central-1".into(),
            namespace: "eu-central-1".into(),
            service: "openclaw-api".into(),
        };
        let body = json!({"monitor": null, "origins": [
            {"name": "us-east-1", "address": tried.origin},
            {"name": "spare", "address": spare.address()},
        ]});
        cf.update(Kind::Pool, &id("us-east-1"), body, false)
            .expect("patch");
        let retry = cf.retry_target(&tried).expect("the other origin");
        assert_eq!(
            (retry.pool_id.as_str(), retry.origin.as_str()),
            (id("us-east-1").as_str(), spare.address().as_str())
        );
        assert_eq!(retry.endpoint, Some(spare));
    }

    #[test]
    fn random_steering_spreads_over_eligible_pools_only() {
        let cf = seeded();
        let lb = cf.list(Kind::LoadBalancer, None)[0]["id"]
            .as_str()
            .expect("lb id")
            .to_owned();
        cf.update(
            Kind::LoadBalancer,
            &lb,
            json!({"steering_policy": "random"}),
            false,
        )
        .expect("patch");
        let eu = cf.pool_for_region("eu-central-1").expect("pool").id;
        cf.update(Kind::Pool, &eu, json!({"enabled": false}), false)
            .expect("patch");
        let seen: std::collections::BTreeSet<_> =
            (0..200).filter_map(|_| region(cf.route())).collect();
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            ["ap-southeast-2", "us-east-1"]
        );
    }

    #[test]
    fn rate_limit_is_counted_and_enforced_on_request() {
        let cf = seeded();
        let first = cf.count_request();
        assert_eq!(first.remaining, RATE_LIMIT - 1);
        assert!(first.reset_secs <= RATE_WINDOW_SECS && !first.limited);
        cf.set_enforce_rate_limit(true);
        for _ in 1..RATE_LIMIT {
            assert!(!cf.count_request().limited);
        }
        let over = cf.count_request();
        assert!(over.limited);
        assert_eq!(over.remaining, 0);
    }

    #[test]
    fn origin_addresses_name_a_service() {
        let e = Endpoint::parse("openclaw-api.us-east-1.us-east-1.sim.internal").expect("parses");
        assert_eq!(
            (e.service.as_str(), e.namespace.as_str(), e.region.as_str()),
            ("openclaw-api", "us-east-1", "us-east-1")
        );
        assert_eq!(e.address(), "openclaw-api.us-east-1.us-east-1.sim.internal");
        assert!(Endpoint::parse("198.51.100.10").is_none());
        assert!(Endpoint::parse("a.b.sim.internal").is_none());
    }
}
