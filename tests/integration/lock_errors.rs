//! An API error while the fleet lock is taken is "could not check" (exit 3),
//! not "refused" (exit 5, kept for a lock held by another run): the report
//! says which region failed and how, and nothing is left changed, not even
//! the leases already taken in the regions before it.

use ocfail::sim::KubeFault;
use serde_json::Value;

use crate::fleet_checks::FleetPicture;
use crate::util::{LiveSim, text};

/// The seed fleet with every write to ap-southeast-2 (the last region the
/// lock is taken in) answered 503, as when etcd has lost its leader.
async fn last_region_cannot_write() -> (LiveSim, FleetPicture) {
    let live = LiveSim::start().await;
    let before = FleetPicture::take(&live).await;
    live.sim.world().faults.set_kube(
        "ap-southeast-2",
        KubeFault {
            write_error_rate: 1.0,
            ..KubeFault::default()
        },
    );
    (live, before)
}

fn lock_check(region: &Value) -> &Value {
    region["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "lock")
        .unwrap_or_else(|| panic!("no lock check: {region}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_that_cannot_take_the_lock_exits_3_and_changes_nothing() {
    let (live, before) = last_region_cannot_write().await;
    let out = live
        .run(&["drill", "--region", "us-east-1", "--yes", "-o", "json"])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let region = &report["regions"][0];
    assert_eq!(region["verdict"], "error", "{region}");
    let detail = lock_check(region)["detail"].as_str().unwrap();
    assert!(
        detail.contains("ap-southeast-2") && detail.contains("503"),
        "the region and the API's answer are named: {detail}"
    );
    live.sim
        .world()
        .faults
        .set_kube("ap-southeast-2", KubeFault::default());
    before
        .assert_unchanged(&live, "by a drill that never got the lock")
        .await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_that_cannot_take_the_lock_exits_3_and_changes_nothing() {
    let (live, before) = last_region_cannot_write().await;
    let out = live
        .run(&[
            "rollout",
            "--image",
            "registry.example/openclaw-api:1.5.0",
            "--yes",
            "-o",
            "json",
        ])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    for region in report["regions"].as_array().unwrap() {
        assert_eq!(region["verdict"], "error", "{region}");
        let detail = lock_check(region)["detail"].as_str().unwrap();
        assert!(detail.contains("503"), "{detail}");
    }
    live.sim
        .world()
        .faults
        .set_kube("ap-southeast-2", KubeFault::default());
    before
        .assert_unchanged(&live, "by a rollout that never got the lock")
        .await;
    live.sim.shutdown().await;
}
