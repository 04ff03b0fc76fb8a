//! `ocfail restore` puts back what a drill recorded, and is idempotent.

use ocfail::exit_code;
use ocfail::kube::{KubeRegion, Workloads};
use ocfail::ops::record::DrillRecord;

use crate::util::{LiveSim, exit, exited, run_pasted, text};

#[tokio::test(flavor = "multi_thread")]
async fn restore_scales_back_removes_the_record_and_is_idempotent() {
    let live = LiveSim::start().await;
    let us = live.client("us-east-1").await;
    // What a drill does before it crashes: record, then scale to 0.
    crashed_drill(&us, "20261128t120000-dead01").await;

    let out = live.run(&["status"]).await;
    assert!(
        text(&out.stdout).contains("drill in progress"),
        "{}",
        text(&out.stdout)
    );

    let out = live.run(&["restore", "--yes", "-v"]).await;
    let stdout = exited(&out, exit_code::OK);
    assert!(
        stdout.contains("scaled openclaw-api-blue from 0 back to 3"),
        "{stdout}"
    );
    let d = us.deployment("openclaw-api-blue").await.unwrap().unwrap();
    assert_eq!((d.replicas, d.ready), (3, 3));
    assert!(!d.annotations.contains_key("ocfail.dev/drill"));
    assert!(d.annotations["ocfail.dev/last-drill"].contains("20261128t120000-dead01"));

    let out = live.run(&["restore", "--yes"]).await;
    assert_eq!(out.status.code(), exit(exit_code::OK));
    assert_eq!(
        text(&out.stdout).matches("nothing to restore").count(),
        3,
        "{}",
        text(&out.stdout)
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_refuses_without_yes_when_there_is_no_terminal() {
    let live = LiveSim::start().await;
    let out = live.run(&["restore"]).await;
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    assert!(text(&out.stderr).contains("--yes"), "{}", text(&out.stderr));
    let out = live.run(&["restore", "--yes", "--region", "mars-1"]).await;
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    assert!(
        text(&out.stderr).contains("us-east-1"),
        "{}",
        text(&out.stderr)
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_retries_through_503_bursts() {
    let live = LiveSim::start().await;
    let us = live.client("us-east-1").await;
    crashed_drill(&us, "20261128t120000-dead02").await;
    // Most requests to the region's API now fail with 503.
    live.sim.world().faults.set_kube(
        "us-east-1",
        ocfail::sim::KubeFault {
            error_rate: 0.6,
            ..Default::default()
        },
    );
    let out = live
        .run(&["restore", "--yes", "--region", "us-east-1", "-v"])
        .await;
    live.sim
        .world()
        .faults
        .set_kube("us-east-1", ocfail::sim::KubeFault::default());
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stdout)
    );
    let d = us.deployment("openclaw-api-blue").await.unwrap().unwrap();
    assert_eq!(d.replicas, 3);
    assert!(!d.annotations.contains_key("ocfail.dev/drill"));
    live.sim.shutdown().await;
}

/// What a drill of run `run_id` leaves in us-east-1 when it dies mid-outage:
/// its record and a Deployment scaled to 0.
async fn crashed_drill(us: &KubeRegion, run_id: &str) {
    let record = DrillRecord {
        run_id: run_id.to_owned(),
        replicas: 3,
        method: "scale-to-zero".to_owned(),
        started_at: "2026-11-28T12:00:00Z".to_owned(),
        by: "crashed@host".to_owned(),
        pool_enabled: None,
        pool_id: None,
        process: None,
    };
    us.annotate_deployment(
        "openclaw-api-blue",
        "ocfail.dev/drill",
        Some(&record.to_json()),
    )
    .await
    .unwrap();
    us.scale("openclaw-api-blue", 0).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_that_cannot_write_gives_up_at_its_timeout_and_says_what_is_left() {
    let live = LiveSim::start().await;
    let us = live.client("us-east-1").await;
    crashed_drill(&us, "20261128t120000-dead03").await;
    // Reads answer, every write gets a 503 (etcd without a leader).
    live.sim.world().faults.set_kube(
        "us-east-1",
        ocfail::sim::KubeFault {
            write_error_rate: 1.0,
            ..Default::default()
        },
    );
    let started = std::time::Instant::now();
    let out = live
        .run(&["restore", "--yes", "--timeout", "2s", "-v"])
        .await;
    let stdout = exited(&out, exit_code::RESTORE_INCOMPLETE);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "gave up at its deadline"
    );
    let manual = stdout
        .lines()
        .find_map(|l| l.split_once("finish by hand: ").map(|(_, c)| c.to_owned()))
        .unwrap_or_else(|| panic!("no manual command: {stdout}"));
    assert!(
        manual.contains(
            "--context prod-us-east-1 -n us-east-1 scale deployment/openclaw-api-blue --replicas=3"
        ),
        "the exact manual command: {manual}"
    );
    // Nothing was lost: the record is still there for the next try.
    let d = us.deployment("openclaw-api-blue").await.unwrap().unwrap();
    assert!(d.annotations.contains_key("ocfail.dev/drill"));

    live.sim
        .world()
        .faults
        .set_kube("us-east-1", ocfail::sim::KubeFault::default());
    // The manual steps work pasted into a shell anywhere: they carry the
    // kubeconfig by absolute path.
    let pasted = tokio::task::spawn_blocking(move || run_pasted(&manual, ""))
        .await
        .unwrap();
    assert!(pasted.status.success(), "{}", text(&pasted.stderr));
    let d = us.deployment("openclaw-api-blue").await.unwrap().unwrap();
    assert_eq!(d.replicas, 3);
    assert!(!d.annotations.contains_key("ocfail.dev/drill"));
    let out = live.run(&["restore", "--yes"]).await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stdout)
    );
    let d = us.deployment("openclaw-api-blue").await.unwrap().unwrap();
    assert_eq!(d.replicas, 3);
    assert!(!d.annotations.contains_key("ocfail.dev/drill"));
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_takes_over_the_crashed_runs_live_lock_and_frees_it_everywhere() {
    let live = LiveSim::start().await;
    let regions = live.clients().await;
    let crashed = "20261128t120000-dead04";
    crashed_drill(&regions[0], crashed).await;
    // The crashed run's leases are still live (renewed a moment ago).
    let lock = ocfail::ops::lock::acquire(
        &regions,
        &ocfail::ops::lock::Holder::new("drill", crashed),
        &ocfail::ops::lock::LockOptions::default(),
    )
    .await
    .unwrap();
    drop(lock); // a crash: no release, the leases stay until they expire

    let out = live.run(&["restore", "--yes", "-v"]).await;
    exited(&out, exit_code::OK);
    for k in &regions {
        let lease = k.lease("ocfail-lock").await.unwrap();
        assert!(lease.is_none(), "{}: lease left: {lease:?}", k.region());
    }
    let d = regions[0]
        .deployment("openclaw-api-blue")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.replicas, 3);
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_is_refused_while_another_live_run_holds_the_lock() {
    let live = LiveSim::start().await;
    let regions = live.clients().await;
    crashed_drill(&regions[0], "20261128t120000-dead05").await;
    let other = ocfail::ops::lock::Holder::new("drill", "20261128t120500-alive1");
    let lock =
        ocfail::ops::lock::acquire(&regions, &other, &ocfail::ops::lock::LockOptions::default())
            .await
            .unwrap();
    let out = live.run(&["restore", "--yes", "-v"]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), exit(exit_code::REFUSED), "{stdout}");
    assert!(stdout.contains("20261128t120500-alive1"), "{stdout}");
    // Nothing was changed.
    let d = regions[0]
        .deployment("openclaw-api-blue")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.replicas, 0);
    assert!(d.annotations.contains_key("ocfail.dev/drill"));
    lock.release().await.unwrap();
    let out = live.run(&["restore", "--yes"]).await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stdout)
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_waits_for_the_hpa_to_be_active_again() {
    let live = LiveSim::start().await;
    live.create_hpa("us-east-1", "openclaw-api-blue").await;
    let us = live.client("us-east-1").await;
    crashed_drill(&us, "20261128t120000-dead06").await;
    // A drill that crashed at 0 replicas: Kubernetes has disabled the HPA.
    live.until_hpa("us-east-1", "openclaw-api-blue", Some(false))
        .await;

    let out = live
        .run(&["restore", "--yes", "--region", "us-east-1", "-o", "json"])
        .await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stdout)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = doc["regions"][0]["checks"].as_array().unwrap();
    let hpa = checks.iter().find(|c| c["name"] == "hpa").unwrap();
    assert_eq!(hpa["verdict"], "pass", "{hpa}");
    assert_eq!(hpa["detail"], "HPA openclaw-api-blue active again");
    let h = us.hpas().await.unwrap();
    assert_eq!(h[0].scaling_active, Some(true));
    live.sim.shutdown().await;
}

/// A region whose API never answers costs one `--timeout`, not one per
/// call: it is reported as unreadable (exit 6, its state unknown) while the
/// regions that answer are restored, their crashed run's lease freed.
#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_region_is_reported_once_and_the_others_are_restored() {
    let live = LiveSim::start().await;
    let us = live.client("us-east-1").await;
    crashed_drill(&us, "20261128t120000-dead05").await;
    live.sim.world().faults.set_kube(
        "eu-central-1",
        ocfail::sim::KubeFault {
            hang: true,
            ..Default::default()
        },
    );
    let started = std::time::Instant::now();
    let out = live
        .run(&[
            "--request-timeout",
            "1s",
            "restore",
            "--yes",
            "--timeout",
            "2s",
            "-o",
            "json",
        ])
        .await;
    let took = started.elapsed();
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        exit(exit_code::RESTORE_INCOMPLETE),
        "{stdout}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let region = |name: &str| {
        report["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["region"] == name)
            .unwrap()
            .clone()
    };
    let eu = region("eu-central-1");
    assert_eq!(eu["verdict"], "error", "{eu}");
    assert_eq!(
        eu["checks"].as_array().unwrap().len(),
        1,
        "one read error, not one per call: {eu}"
    );
    assert!(
        eu["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("did not answer within 1s"),
        "{eu}"
    );
    assert_eq!(region("us-east-1")["verdict"], "pass");
    let d = us.deployment("openclaw-api-blue").await.unwrap().unwrap();
    assert_eq!(d.replicas, 3);
    assert!(!d.annotations.contains_key("ocfail.dev/drill"));
    // The deadline is what the flags say: the 2 s of retries plus a call in
    // flight, with room for a busy machine; retrying each call in turn (as
    // restore did before) took 17 s here.
    assert!(took < std::time::Duration::from_secs(9), "took {took:?}");
    live.sim.shutdown().await;
}
