//! The drill's safety rules (DESIGN.md §6.1 step 2), modelled on AWS ARC's
//! assertion rules. Each rule has a stable name; a broken rule refuses the
//! drill (exit 5) unless `--override RULE --reason TEXT` passes it, and the
//! reason is recorded in the report. Pure: decided from facts already read.

use std::fmt;

use crate::cloudflare::{LoadBalancer, Monitor, Pool};
use crate::kube::{DeploymentState, HpaState};
use crate::manifest::{DrillMethod, Fleet, Region};

use super::health::monitor_blind;
use super::steering::PoolFacts;

/// A rule's stable name, as `--override` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Enough other pools stay healthy during the drill.
    MinHealthyPools,
    /// The drilled pool is not the LB's fallback pool (whose health is ignored).
    FallbackPool,
    /// The pool has a monitor.
    NoMonitor,
    /// The monitor can see zero pods behind the ingress.
    MonitorBlind,
    /// Losing the region makes the pool unhealthy, not merely degraded.
    DegradedOnly,
    /// No earlier run left state to restore.
    UnrestoredState,
    /// No HPA would scale the Deployment back up.
    Autoscaler,
    /// No GitOps controller would revert the change.
    Gitops,
}

impl Rule {
    /// Every rule, in the order they are checked.
    pub const ALL: [Rule; 8] = [
        Rule::UnrestoredState,
        Rule::FallbackPool,
        Rule::NoMonitor,
        Rule::MonitorBlind,
        Rule::DegradedOnly,
        Rule::MinHealthyPools,
        Rule::Autoscaler,
        Rule::Gitops,
    ];

    /// The name used by `--override` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Rule::MinHealthyPools => "min-healthy-pools",
            Rule::FallbackPool => "fallback-pool",
            Rule::NoMonitor => "no-monitor",
            Rule::MonitorBlind => "monitor-blind",
            Rule::DegradedOnly => "degraded-only",
            Rule::UnrestoredState => "unrestored-state",
            Rule::Autoscaler => "autoscaler",
            Rule::Gitops => "gitops",
        }
    }

    /// The rule called `name`.
    pub fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rule the drill would break, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// What is wrong and what to do instead.
    pub message: String,
}

/// What the rules look at for one drill.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    /// The fleet.
    pub fleet: &'a Fleet,
    /// The region to drill.
    pub region: &'a Region,
    /// How the outage is injected.
    pub method: DrillMethod,
    /// The LB.
    pub lb: &'a LoadBalancer,
    /// The drilled region's pool.
    pub pool: &'a Pool,
    /// Its monitor, when it has one.
    pub monitor: Option<&'a Monitor>,
    /// Steering facts of every region (the drilled one included).
    pub pools: &'a [PoolFacts],
    /// The drilled region's live Deployment.
    pub live: &'a DeploymentState,
    /// HPAs in the drilled region's namespace.
    pub hpas: &'a [HpaState],
    /// Regions with an unrestored `ocfail.dev/drill` or `ocfail.dev/rollout` annotation.
    pub unrestored: &'a [String],
    /// The `ocfail restore` command line that reaches this fleet.
    pub restore_command: &'a str,
}

/// The `unrestored-state` violation when `unrestored` names any region.
/// Separate from [`check`] because a drill checks it before the steady
/// state too: what a crashed run left usually is why the fleet is not
/// steady, and `ocfail restore` is what fixes both.
pub fn unrestored_state(unrestored: &[String], restore_command: &str) -> Option<Violation> {
    (!unrestored.is_empty()).then(|| Violation {
        rule: Rule::UnrestoredState,
        message: format!(
            "an earlier drill or rollout left state to restore in {}; run `{restore_command}` first",
            unrestored.join(", ")
        ),
    })
}

/// Every rule the drill would break.
pub fn check(f: &Facts<'_>) -> Vec<Violation> {
    let mut out: Vec<Violation> = unrestored_state(f.unrestored, f.restore_command)
        .into_iter()
        .collect();
    let mut v = |rule: Rule, message: String| out.push(Violation { rule, message });
    if f.lb.fallback_pool == f.pool.id {
        v(
            Rule::FallbackPool,
            format!(
                "pool {} is the load balancer's fallback pool: Cloudflare sends it traffic when every other pool is down, \
                 whatever its health, so this drill proves nothing about failover; drill another region",
                f.pool.name
            ),
        );
    }
    match f.monitor {
        None => v(
            Rule::NoMonitor,
            format!(
                "pool {} has no monitor: Cloudflare ignores its health and would keep sending it traffic; attach a monitor",
                f.pool.name
            ),
        ),
        Some(m) if f.method == DrillMethod::ScaleToZero => {
            if let Some(why) = monitor_blind(m) {
                v(
                    Rule::MonitorBlind,
                    format!(
                        "the monitor of pool {} cannot see the outage: {}; use an HTTP health path",
                        f.pool.name,
                        crate::report::words::monitor_blind(&why)
                    ),
                );
            }
        }
        Some(_) => {}
    }
    if f.method == DrillMethod::ScaleToZero && f.pool.minimum_origins == Some(0) {
        v(
            Rule::DegradedOnly,
            format!(
                "pool {} has minimum_origins 0, so it stays healthy with no healthy origin and never fails over; \
                 set minimum_origins to at least 1",
                f.pool.name
            ),
        );
    }
    // Only pools the LB references can take the drilled region's traffic.
    // Counting every healthy pool would make this rule unreachable: the
    // steady-state check already refuses unless every pool is healthy, and
    // validation caps minHealthyPools at the number of other regions.
    let others_up = f
        .pools
        .iter()
        .filter(|p| {
            p.region != f.region.name.as_str() && p.can_serve() && used_by(f.lb, &p.pool_id)
        })
        .count();
    let needed = f.fleet.drill.min_healthy_pools as usize;
    if others_up < needed.max(1) {
        v(
            Rule::MinHealthyPools,
            format!(
                "only {others_up} other pool(s) are healthy, enabled, serving and used by load balancer {}, \
                 and the drill needs {}: users would be left without a region; \
                 fix the other regions, or add their pools to the load balancer, first",
                f.lb.name,
                needed.max(1)
            ),
        );
    }
    if f.method == DrillMethod::ScaleToZero {
        for h in f
            .hpas
            .iter()
            .filter(|h| h.target_kind == "Deployment" && h.target_name == f.live.name)
        {
            v(
                Rule::Autoscaler,
                // Kubernetes itself disables an HPA whose target is at 0
                // replicas rather than scaling it back up; what fights the
                // drill is an autoscaler that scales from zero (KEDA), and
                // an HPA left disabled if the restore never finishes.
                format!(
                    "HPA {} scales {} (min {}): Kubernetes disables it while {} has 0 replicas, \
                     an autoscaler that scales from zero (KEDA) would undo the drill, and it stays disabled \
                     if the restore does not finish; use --method disable-pool, \
                     or override and ocfail checks that the HPA is active again after restore",
                    h.name,
                    h.target_name,
                    h.min_replicas.unwrap_or(1),
                    h.target_name
                ),
            );
        }
        let argo = [
            "argocd.argoproj.io/instance",
            "argocd.argoproj.io/tracking-id",
        ];
        if argo
            .iter()
            .any(|k| f.live.labels.contains_key(*k) || f.live.annotations.contains_key(*k))
        {
            v(
                Rule::Gitops,
                format!(
                    "{} is managed by Argo CD, whose self-heal would revert the scale; \
                     pause auto-sync for it or use --method disable-pool",
                    f.live.name
                ),
            );
        }
    }
    out
}

/// Whether the LB can send traffic to `pool_id`: one of its default,
/// geo-steering (region, country, PoP) or fallback pools.
fn used_by(lb: &LoadBalancer, pool_id: &str) -> bool {
    let listed = |pools: &Vec<String>| pools.iter().any(|id| id == pool_id);
    lb.fallback_pool == pool_id
        || listed(&lb.default_pools)
        || lb
            .region_pools
            .values()
            .chain(lb.country_pools.values())
            .chain(lb.pop_pools.values())
            .any(listed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::DeploymentState;

    struct World {
        fleet: Fleet,
        lb: LoadBalancer,
        pool: Pool,
        monitor: Monitor,
        pools: Vec<PoolFacts>,
        live: DeploymentState,
    }

    fn world() -> World {
        let fleet = crate::manifest::seed_fleet();
        let pools: Vec<PoolFacts> = fleet
            .regions
            .iter()
            .map(|r| PoolFacts {
                region: r.name.to_string(),
                pool_id: format!("id-{}", r.name),
                enabled: true,
                healthy: Some(true),
                monitored: true,
                serving: Some(true),
            })
            .collect();
        World {
            lb: LoadBalancer {
                default_pools: pools.iter().map(|p| p.pool_id.clone()).collect(),
                fallback_pool: "id-ap-southeast-2".to_owned(),
                steering_policy: "off".to_owned(),
                ..LoadBalancer::default()
            },
            pool: Pool {
                id: "id-us-east-1".to_owned(),
                name: "openclaw-us-east-1".to_owned(),
                enabled: true,
                minimum_origins: Some(1),
                monitor: Some("m".to_owned()),
                ..Pool::default()
            },
            monitor: Monitor {
                kind: "http".to_owned(),
                expected_codes: "2xx".to_owned(),
                ..Monitor::default()
            },
            live: DeploymentState {
                name: "openclaw-api-blue".to_owned(),
                replicas: 3,
                ready: 3,
                ..DeploymentState::default()
            },
            pools,
            fleet,
        }
    }

    fn rules(
        w: &World,
        hpas: &[HpaState],
        unrestored: &[String],
        monitor: Option<&Monitor>,
    ) -> Vec<Rule> {
        let f = Facts {
            fleet: &w.fleet,
            region: &w.fleet.regions[0],
            method: DrillMethod::ScaleToZero,
            lb: &w.lb,
            pool: &w.pool,
            monitor,
            pools: &w.pools,
            live: &w.live,
            hpas,
            unrestored,
            restore_command: "ocfail restore",
        };
        check(&f).into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn a_healthy_seed_fleet_breaks_no_rule() {
        let w = world();
        assert_eq!(rules(&w, &[], &[], Some(&w.monitor)), []);
    }

    #[test]
    fn each_rule_fires_on_its_own_condition() {
        let mut w = world();
        assert_eq!(
            rules(&w, &[], &["eu-central-1".to_owned()], Some(&w.monitor)),
            [Rule::UnrestoredState]
        );
        assert_eq!(rules(&w, &[], &[], None), [Rule::NoMonitor]);
        let tcp = Monitor {
            kind: "tcp".to_owned(),
            ..Monitor::default()
        };
        assert_eq!(rules(&w, &[], &[], Some(&tcp)), [Rule::MonitorBlind]);
        let hpa = HpaState {
            name: "api".to_owned(),
            target_kind: "Deployment".to_owned(),
            target_name: "openclaw-api-blue".to_owned(),
            min_replicas: Some(2),
            max_replicas: 5,
            ..HpaState::default()
        };
        assert_eq!(rules(&w, &[hpa], &[], Some(&w.monitor)), [Rule::Autoscaler]);
        w.pool.minimum_origins = Some(0);
        assert_eq!(rules(&w, &[], &[], Some(&w.monitor)), [Rule::DegradedOnly]);
        w.pool.minimum_origins = Some(1);
        w.live
            .labels
            .insert("argocd.argoproj.io/instance".to_owned(), "api".to_owned());
        assert_eq!(rules(&w, &[], &[], Some(&w.monitor)), [Rule::Gitops]);
        w.live.labels.clear();
        w.lb.fallback_pool = "id-us-east-1".to_owned();
        assert_eq!(rules(&w, &[], &[], Some(&w.monitor)), [Rule::FallbackPool]);
    }

    #[test]
    fn min_healthy_pools_counts_only_other_serving_pools() {
        let mut w = world();
        w.fleet.drill.min_healthy_pools = 2;
        assert_eq!(rules(&w, &[], &[], Some(&w.monitor)), []);
        w.pools[2].healthy = Some(false);
        assert_eq!(
            rules(&w, &[], &[], Some(&w.monitor)),
            [Rule::MinHealthyPools]
        );
    }

    #[test]
    fn min_healthy_pools_counts_only_pools_the_load_balancer_uses() {
        let mut w = world();
        w.fleet.drill.min_healthy_pools = 2;
        // eu-central-1 is healthy but not in the LB: it cannot take traffic.
        w.lb.default_pools.retain(|id| id != "id-eu-central-1");
        assert_eq!(
            rules(&w, &[], &[], Some(&w.monitor)),
            [Rule::MinHealthyPools]
        );
        w.lb.region_pools
            .insert("WEU".to_owned(), vec!["id-eu-central-1".to_owned()]);
        assert_eq!(rules(&w, &[], &[], Some(&w.monitor)), [], "geo pools count");
    }

    #[test]
    fn names_round_trip() {
        for r in Rule::ALL {
            assert_eq!(Rule::parse(r.name()), Some(r));
        }
        assert_eq!(Rule::parse("nope"), None);
    }

    #[test]
    fn unrestored_state_names_the_regions_and_the_fix() {
        assert!(unrestored_state(&[], "ocfail restore").is_none());
        let v = unrestored_state(
            &["us-east-1".to_owned(), "eu-central-1".to_owned()],
            "ocfail restore",
        )
        .unwrap();
        assert_eq!(v.rule, Rule::UnrestoredState);
        assert!(
            v.message
                .contains("in us-east-1, eu-central-1; run `ocfail restore` first"),
            "{}",
            v.message
        );
    }
}
