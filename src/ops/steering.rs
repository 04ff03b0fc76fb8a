//! Where the load balancer sends traffic (docs/drills.md step 5, docs/cloudflare-api.md), and
//! whether the fleet survives losing any one region. Pure: decided from
//! pool and region facts already fetched.

use crate::cloudflare::LoadBalancer;

/// One region's facts as steering sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolFacts {
    /// The region.
    pub region: String,
    /// Its pool's id (empty when the pool was not found).
    pub pool_id: String,
    /// The pool is enabled.
    pub enabled: bool,
    /// The pool is healthy (`None`: unknown, or no monitor).
    pub healthy: Option<bool>,
    /// The pool has a monitor; without one its health is ignored.
    pub monitored: bool,
    /// The region's live Deployment has ready pods (`None`: unknown).
    pub serving: Option<bool>,
}

impl PoolFacts {
    /// Cloudflare considers the pool eligible: enabled and healthy, or
    /// enabled without a monitor.
    pub fn eligible(&self) -> bool {
        self.enabled && (!self.monitored || self.healthy == Some(true))
    }

    /// Can actually answer users: eligible and its pods are ready.
    pub fn can_serve(&self) -> bool {
        self.eligible() && self.serving == Some(true)
    }
}

pub use crate::facts::status::{Fragility, Selection};

fn uses_failover_order(lb: &LoadBalancer) -> bool {
    let geo =
        !(lb.region_pools.is_empty() && lb.country_pools.is_empty() && lb.pop_pools.is_empty());
    match lb.steering_policy.as_str() {
        "off" => true,
        // "" is geo when geo pools are set, else off (docs/cloudflare-api.md).
        "" => !geo,
        _ => false,
    }
}

/// The LB's selection given the facts; pools in `excluded` count as down.
pub fn select(lb: &LoadBalancer, pools: &[PoolFacts], excluded: &[&str]) -> Selection {
    if lb.enabled == Some(false) {
        return Selection::Disabled;
    }
    let by_id = |id: &str| pools.iter().find(|p| p.pool_id == id);
    let up = |p: &&PoolFacts| p.eligible() && !excluded.contains(&p.region.as_str());
    if uses_failover_order(lb) {
        if let Some(p) = lb.default_pools.iter().filter_map(|id| by_id(id)).find(up) {
            return Selection::Region(p.region.clone());
        }
    } else {
        let regions: Vec<String> = lb
            .default_pools
            .iter()
            .filter_map(|id| by_id(id))
            .filter(up)
            .map(|p| p.region.clone())
            .collect();
        if !regions.is_empty() {
            return Selection::Spread(regions);
        }
    }
    match by_id(&lb.fallback_pool) {
        Some(p) if p.enabled => Selection::Fallback(p.region.clone()),
        _ => Selection::Nothing,
    }
}

/// Whether users are still served when `lost` is down.
fn served_without(lb: &LoadBalancer, pools: &[PoolFacts], lost: &str) -> bool {
    let serving = |region: &str| {
        pools
            .iter()
            .any(|p| p.region == region && p.serving == Some(true))
    };
    match select(lb, pools, &[lost]) {
        Selection::Region(r) => serving(&r) && pools.iter().any(|p| p.region == r && p.can_serve()),
        Selection::Fallback(r) => r != lost && serving(&r),
        Selection::Spread(rs) => rs
            .iter()
            .any(|r| pools.iter().any(|p| &p.region == r && p.can_serve())),
        Selection::Disabled | Selection::Nothing => false,
    }
}

/// "Survives losing any one region": `Ok(())`, or the first region whose
/// loss would leave users unserved, with the reason.
pub fn survives_any_one(lb: &LoadBalancer, pools: &[PoolFacts]) -> Result<(), Fragility> {
    if lb.enabled == Some(false) {
        return Err(Fragility::LbDisabled);
    }
    for p in pools {
        if p.pool_id.is_empty() || p.serving.is_none() || (p.monitored && p.healthy.is_none()) {
            return Err(Fragility::Unchecked {
                region: p.region.clone(),
            });
        }
    }
    for p in pools {
        if !served_without(lb, pools, &p.region) {
            let unreached = pools
                .iter()
                .filter(|o| o.region != p.region && o.can_serve())
                .map(|o| o.region.clone())
                .collect();
            return Err(Fragility::Loses {
                region: p.region.clone(),
                unreached,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lb(policy: &str) -> LoadBalancer {
        LoadBalancer {
            enabled: Some(true),
            default_pools: vec!["p-us".into(), "p-eu".into(), "p-ap".into()],
            fallback_pool: "p-ap".into(),
            steering_policy: policy.into(),
            ..LoadBalancer::default()
        }
    }

    fn facts(region: &str, id: &str, healthy: bool, serving: bool) -> PoolFacts {
        PoolFacts {
            region: region.into(),
            pool_id: id.into(),
            enabled: true,
            healthy: Some(healthy),
            monitored: true,
            serving: Some(serving),
        }
    }

    fn seed() -> Vec<PoolFacts> {
        vec![
            facts("us", "p-us", true, true),
            facts("eu", "p-eu", true, true),
            facts("ap", "p-ap", true, true),
        ]
    }

    #[test]
    fn failover_takes_the_first_healthy_pool_in_order() {
        assert_eq!(
            select(&lb("off"), &seed(), &[]),
            Selection::Region("us".into())
        );
        assert_eq!(
            select(&lb(""), &seed(), &["us"]),
            Selection::Region("eu".into())
        );
        let mut pools = seed();
        pools[0].healthy = Some(false);
        assert_eq!(
            select(&lb("off"), &pools, &[]),
            Selection::Region("eu".into())
        );
        pools[1].enabled = false;
        assert_eq!(
            select(&lb("off"), &pools, &[]),
            Selection::Region("ap".into())
        );
    }

    #[test]
    fn all_down_uses_the_fallback_regardless_of_health() {
        let pools: Vec<_> = seed()
            .into_iter()
            .map(|mut p| {
                p.healthy = Some(false);
                p
            })
            .collect();
        assert_eq!(
            select(&lb("off"), &pools, &[]),
            Selection::Fallback("ap".into())
        );
        let mut pools = pools;
        pools[2].enabled = false;
        assert_eq!(select(&lb("off"), &pools, &[]), Selection::Nothing);
    }

    #[test]
    fn unmonitored_pools_count_as_healthy() {
        let mut pools = seed();
        pools[0].monitored = false;
        pools[0].healthy = None;
        assert_eq!(
            select(&lb("off"), &pools, &[]),
            Selection::Region("us".into())
        );
    }

    #[test]
    fn spreading_policies_use_every_eligible_pool() {
        let mut pools = seed();
        pools[1].healthy = Some(false);
        assert_eq!(
            select(&lb("random"), &pools, &[]),
            Selection::Spread(vec!["us".into(), "ap".into()])
        );
        let mut geo = lb("");
        geo.region_pools.insert("WNAM".into(), vec!["p-us".into()]);
        assert!(matches!(select(&geo, &pools, &[]), Selection::Spread(_)));
    }

    #[test]
    fn disabled_lb_selects_nothing() {
        let mut l = lb("off");
        l.enabled = Some(false);
        assert_eq!(select(&l, &seed(), &[]), Selection::Disabled);
        assert!(survives_any_one(&l, &seed()).is_err());
    }

    #[test]
    fn healthy_fleet_survives_losing_any_one_region() {
        assert_eq!(survives_any_one(&lb("off"), &seed()), Ok(()));
    }

    #[test]
    fn one_region_down_already_leaves_two_and_still_survives() {
        let mut pools = seed();
        pools[0].healthy = Some(false);
        pools[0].serving = Some(false);
        assert_eq!(survives_any_one(&lb("off"), &pools), Ok(()));
    }

    #[test]
    fn two_regions_down_does_not_survive_and_says_why() {
        let mut pools = seed();
        for p in &mut pools[..2] {
            p.healthy = Some(false);
            p.serving = Some(false);
        }
        assert_eq!(
            survives_any_one(&lb("off"), &pools),
            Err(Fragility::Loses {
                region: "ap".into(),
                unreached: Vec::new(),
            })
        );
    }

    #[test]
    fn unknown_facts_never_claim_survival() {
        let mut pools = seed();
        pools[1].serving = None;
        assert_eq!(
            survives_any_one(&lb("off"), &pools),
            Err(Fragility::Unchecked {
                region: "eu".into()
            })
        );
    }
}
