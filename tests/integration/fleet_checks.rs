//! Is the simulated fleet as it was before a drill? Shared by the drill
//! tests: the seed fleet's invariants (`assert_restored`).

use ocfail::kube::Workloads;

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
