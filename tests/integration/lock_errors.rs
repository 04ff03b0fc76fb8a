//! An API error while the fleet lock is taken is "could not check" (exit 3),
//! not "refused" (exit 5, kept for a lock held by another run): the report
//! says which region failed and how, and nothing is left changed, not even
//! the leases already taken in the regions before it. A lock that cannot be
//! released is a warning per region, with the API's answer and the command
//! that deletes the lease by hand.

use ocfail::exit_code;
use ocfail::kube::Workloads;
use ocfail::sim::KubeFault;
use serde_json::Value;

use crate::fleet_checks::FleetPicture;
use crate::util::{LiveSim, exit, exited, redact_run, text};

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
    assert_eq!(out.status.code(), exit(exit_code::UNAVAILABLE), "{stdout}");
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
    assert_eq!(out.status.code(), exit(exit_code::UNAVAILABLE), "{stdout}");
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

/// Every region's Role lacks `delete` on leases.
fn deny_deleting_leases(live: &LiveSim) {
    for region in ["us-east-1", "eu-central-1", "ap-southeast-2"] {
        live.sim.world().faults.set_kube(
            region,
            KubeFault {
                deny: vec!["delete leases".to_owned()],
                ..KubeFault::default()
            },
        );
    }
}

/// The `kubectl …` commands quoted in `text`.
fn kubectl_commands(text: &str) -> Vec<String> {
    text.split('`')
        .filter(|s| s.starts_with("kubectl "))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_that_cannot_be_released_is_a_warning_with_the_command_to_delete_it() {
    let live = LiveSim::start().await;
    let regions = ["us-east-1", "eu-central-1", "ap-southeast-2"];
    deny_deleting_leases(&live);

    // Human output: one warning per region, naming the refused call and the 403.
    let out = live.run(&["drill", "--region", "us-east-1", "--yes"]).await;
    // A warning exits 0.
    let stdout = exited(&out, exit_code::OK);
    insta::assert_snapshot!("drill_lock_not_released", redact_run(&stdout, Some(&live)));

    // The printed commands work from another directory once the Role allows it.
    live.sim.world().faults.clear();
    let commands = kubectl_commands(&stdout);
    assert_eq!(commands.len(), 3, "{stdout}");
    let elsewhere = tempfile::tempdir().unwrap();
    for command in &commands {
        if crate::util::kubectl_or_skip().is_none() {
            break;
        }
        let run = std::process::Command::new("sh")
            .args(["-c", command])
            .current_dir(elsewhere.path())
            .output()
            .unwrap();
        assert!(run.status.success(), "{command}: {}", text(&run.stderr));
    }
    if crate::util::kubectl_or_skip().is_none() {
        for region in regions {
            live.client(region)
                .await
                .delete_lease("ocfail-lock", None)
                .await
                .unwrap();
        }
    }
    for region in regions {
        let lease = live
            .client(region)
            .await
            .lease("ocfail-lock")
            .await
            .unwrap();
        assert_eq!(lease, None, "{region}");
    }

    // JSON: the same warnings, in each region's report, and its verdict warn.
    deny_deleting_leases(&live);
    let out = live
        .run(&["drill", "--region", "us-east-1", "--yes", "-o", "json"])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    for region in report["regions"].as_array().unwrap() {
        let name = region["region"].as_str().unwrap();
        assert_eq!(region["verdict"], "warn", "{region}");
        let check = lock_check(region);
        assert_eq!(check["verdict"], "warn");
        let detail = check["detail"].as_str().unwrap();
        for part in [
            format!("{name}: could not delete leases ocfail-lock in namespace {name}"),
            "is forbidden: User".to_owned(),
            "(HTTP 403 Forbidden)".to_owned(),
            format!("-n {name} delete lease ocfail-lock`"),
        ] {
            assert!(detail.contains(&part), "`{part}` in {detail}");
        }
    }
    live.sim.shutdown().await;
}
