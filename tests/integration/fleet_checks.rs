//! Is the simulated fleet as it was before a drill? Shared by the drill
//! tests: the seed fleet's invariants (`assert_restored`) and a picture of
//! everything a drill could touch, to compare before and after.

use ocfail::kube::{DeploymentState, HpaState, Workloads};

use crate::util::LiveSim;

/// The seed fleet's regions.
pub const REGIONS: [&str; 3] = ["us-east-1", "eu-central-1", "ap-southeast-2"];

/// The seed fleet is as before a drill.
pub async fn assert_as_before(live: &LiveSim) {
    assert_restored(live, true).await;
}

/// The fleet is as before the drill; `lock_released` is false only when a
/// killed run left nothing but its lease (which then expires by itself).
pub async fn assert_restored(live: &LiveSim, lock_released: bool) {
    for region in REGIONS {
        let k = live.client(region).await;
        let d = k.deployment("openclaw-api-blue").await.unwrap().unwrap();
        assert_eq!(d.replicas, 3, "{region}");
        assert!(
            !d.annotations.contains_key("ocfail.dev/drill"),
            "{region}: record left behind"
        );
        let lease = k.lease("ocfail-lock").await.unwrap();
        if lock_released {
            assert!(
                lease.is_none_or(|l| l.holder.as_deref().unwrap_or("").is_empty()),
                "{region}: lock not released"
            );
        }
        assert!(
            live.sim
                .world()
                .cloudflare
                .pool_for_region(region)
                .unwrap()
                .enabled,
            "{region}: pool left disabled"
        );
    }
}

/// What a drill may change in one region, read through the real clients
/// (Kubernetes) and the simulator's state (Cloudflare pools).
#[derive(Debug, PartialEq)]
pub struct RegionPicture {
    region: String,
    /// Both colours, without what a drill legitimately moves: the
    /// generation (every scale bumps it) and `ocfail.dev/last-drill`.
    deployments: Vec<DeploymentState>,
    selectors: Vec<(String, Option<String>)>,
    lock_held: bool,
    hpas: Vec<HpaState>,
    /// The pool as the API shows it, without `modified_on`.
    pool: serde_json::Value,
}

/// [`RegionPicture`] of every region.
#[derive(Debug, PartialEq)]
pub struct FleetPicture(Vec<RegionPicture>);

impl FleetPicture {
    /// The fleet as it is now.
    pub async fn take(live: &LiveSim) -> FleetPicture {
        let mut regions = Vec::new();
        for region in REGIONS {
            let k = live.client(region).await;
            let mut deployments = Vec::new();
            for colour in ["blue", "green"] {
                let mut d = k
                    .deployment(&format!("openclaw-api-{colour}"))
                    .await
                    .unwrap()
                    .unwrap();
                d.generation = 0;
                d.observed_generation = 0;
                d.annotations.remove("ocfail.dev/last-drill");
                deployments.push(d);
            }
            let mut selectors = Vec::new();
            for service in ["openclaw-api", "openclaw-api-preview"] {
                let s = k.service(service).await.unwrap().unwrap();
                selectors.push((service.to_owned(), s.color().map(str::to_owned)));
            }
            let lock_held = k
                .lease("ocfail-lock")
                .await
                .unwrap()
                .is_some_and(|l| l.holder.as_deref().is_some_and(|h| !h.is_empty()));
            let mut pool =
                serde_json::to_value(live.sim.world().cloudflare.pool_for_region(region).unwrap())
                    .unwrap();
            pool.as_object_mut().unwrap().remove("modified_on");
            regions.push(RegionPicture {
                region: region.to_owned(),
                deployments,
                selectors,
                lock_held,
                hpas: k.hpas().await.unwrap(),
                pool,
            });
        }
        FleetPicture(regions)
    }

    /// Asserts the fleet now looks exactly like `self`, naming `when`.
    pub async fn assert_unchanged(&self, live: &LiveSim, when: &str) {
        let now = FleetPicture::take(live).await;
        for (before, after) in self.0.iter().zip(&now.0) {
            assert_eq!(before, after, "{}: changed {when}", before.region);
        }
    }
}
