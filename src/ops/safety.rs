//! The drill's safety rules (docs/drills.md), modelled on AWS ARC's
//! assertion rules. Each rule has a stable name; a broken rule refuses the
//! drill (exit 5) unless `--override RULE --reason TEXT` passes it, and the
//! reason is recorded in the report. Pure: decided from facts already read.

use crate::cloudflare::{LoadBalancer, Monitor, Pool};
use crate::kube::{DeploymentState, HpaState};
use crate::manifest::{DrillMethod, Fleet, Region};

use super::health::monitor_blind;
use super::steering::PoolFacts;

pub use crate::facts::safety::{Rule, Violation};

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
    (!unrestored.is_empty()).then(|| Violation::UnrestoredState {
        regions: unrestored.to_vec(),
        restore_command: restore_command.to_owned(),
    })
}

/// Every rule the drill would break.
pub fn check(f: &Facts<'_>) -> Vec<Violation> {
    let mut out: Vec<Violation> = unrestored_state(f.unrestored, f.restore_command)
        .into_iter()
        .collect();
    let pool = || f.pool.name.clone();
    if f.lb.fallback_pool == f.pool.id {
        out.push(Violation::FallbackPool { pool: pool() });
    }
    match f.monitor {
        None => out.push(Violation::NoMonitor { pool: pool() }),
        Some(m) if f.method == DrillMethod::ScaleToZero => {
            if let Some(why) = monitor_blind(m) {
                out.push(Violation::MonitorBlind { pool: pool(), why });
            }
        }
        Some(_) => {}
    }
    if f.method == DrillMethod::ScaleToZero && f.pool.minimum_origins == Some(0) {
        out.push(Violation::DegradedOnly { pool: pool() });
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
    let needed = (f.fleet.drill.min_healthy_pools as usize).max(1);
    if others_up < needed {
        out.push(Violation::MinHealthyPools {
            healthy: others_up,
            needed,
            load_balancer: f.lb.name.clone(),
        });
    }
    if f.method == DrillMethod::ScaleToZero {
        // Kubernetes itself disables an HPA whose target is at 0 replicas
        // rather than scaling it back up; what fights the drill is an
        // autoscaler that scales from zero (KEDA), and an HPA left disabled
        // if the restore never finishes.
        out.extend(
            f.hpas
                .iter()
                .filter(|h| h.target_kind == "Deployment" && h.target_name == f.live.name)
                .map(|h| Violation::Autoscaler {
                    hpa: h.name.clone(),
                    target: h.target_name.clone(),
                    min_replicas: h.min_replicas.unwrap_or(1),
                }),
        );
        let argo = [
            "argocd.argoproj.io/instance",
            "argocd.argoproj.io/tracking-id",
        ];
        if argo
            .iter()
            .any(|k| f.live.labels.contains_key(*k) || f.live.annotations.contains_key(*k))
        {
            out.push(Violation::Gitops {
                deployment: f.live.name.clone(),
            });
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
        check(&f).into_iter().map(|v| v.rule()).collect()
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
        assert_eq!(v.rule(), Rule::UnrestoredState);
        assert_eq!(
            v,
            Violation::UnrestoredState {
                regions: vec!["us-east-1".to_owned(), "eu-central-1".to_owned()],
                restore_command: "ocfail restore".to_owned(),
            }
        );
    }
}
