//! `ocfail drill` end to end against the in-process simulator: the happy
//! path, refusals and overrides, dry runs, and Ctrl-C.

use std::time::{Duration, Instant};

use ocfail::kube::{KubeRegion, Workloads};

use crate::util::{LiveSim, text};

async fn client(live: &LiveSim, region: &str) -> KubeRegion {
    ocfail::install_crypto_provider();
    let kubeconfig = live.dir.path().join("kubeconfig");
    let fleet = live.sim.sim_fleet(Some(&kubeconfig));
    KubeRegion::connect(
        fleet.region(region).unwrap(),
        Some(&kubeconfig),
        Duration::from_secs(5),
    )
    .await
    .unwrap()
}

async fn assert_as_before(live: &LiveSim) {
    for region in ["us-east-1", "eu-central-1", "ap-southeast-2"] {
        let k = client(live, region).await;
        let d = k.deployment("openclaw-api-blue").await.unwrap().unwrap();
        assert_eq!(d.replicas, 3, "{region}");
        assert!(
            !d.annotations.contains_key("ocfail.dev/drill"),
            "{region}: record left behind"
        );
        let lease = k.lease("ocfail-lock").await.unwrap();
        assert!(
            lease.is_none_or(|l| l.holder.as_deref().unwrap_or("").is_empty()),
            "{region}: lock not released"
        );
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

#[tokio::test(flavor = "multi_thread")]
async fn drill_fails_over_comes_back_and_leaves_the_fleet_as_before() {
    let live = LiveSim::start().await;
    let out = live
        .run(&[
            "drill",
            "--region",
            "us-east-1",
            "--yes",
            "-o",
            "json",
            "--cloudflare-rps",
            "20",
        ])
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let us = &doc["regions"][0];
    assert_eq!(us["region"], "us-east-1");
    assert_eq!(us["verdict"], "pass", "{us}");
    for t in [
        "unhealthyAfterMs",
        "shiftedAfterMs",
        "recoveredAfterMs",
        "budgetFailoverMs",
        "budgetRecoverMs",
    ] {
        assert!(us["timings"][t].is_u64(), "{t} missing: {us}");
    }
    assert!(
        doc["traffic"]["byRegion"]["eu-central-1"].as_u64().unwrap() > 0,
        "{}",
        doc["traffic"]
    );
    assert_eq!(doc["regions"][1]["summary"], "took the traffic");
    assert_as_before(&live).await;
    let k = client(&live, "us-east-1").await;
    let last = k
        .deployment("openclaw-api-blue")
        .await
        .unwrap()
        .unwrap()
        .annotations["ocfail.dev/last-drill"]
        .clone();
    assert!(last.contains("\"verdict\":\"pass\""), "{last}");
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_changes_nothing_and_prints_the_plan() {
    let live = LiveSim::start().await;
    let out = live
        .run(&["drill", "--region", "us-east-1", "--dry-run", "-v"])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("would scale deployment openclaw-api-blue from 3 to 0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expected to receive traffic: eu-central-1"),
        "{stdout}"
    );
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fallback_pool_is_refused_and_the_override_reason_is_recorded() {
    let live = LiveSim::start().await;
    let out = live
        .run(&["drill", "--region", "ap-southeast-2", "--yes", "-v"])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{stdout}");
    assert!(stdout.contains("fallback-pool:"), "{stdout}");
    assert_as_before(&live).await;

    let out = live
        .run(&[
            "drill",
            "--region",
            "ap-southeast-2",
            "--yes",
            "--hold",
            "0s",
            "--override",
            "fallback-pool",
            "--reason",
            "game day 7",
            "-o",
            "json",
            "--cloudflare-rps",
            "20",
        ])
        .await;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = doc["notes"].to_string();
    assert!(
        notes.contains("rule fallback-pool overridden: game day 7"),
        "{notes}"
    );
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_is_refused_while_another_run_holds_the_lock() {
    let live = LiveSim::start().await;
    let kubeconfig = live.dir.path().join("kubeconfig");
    let fleet = live.sim.sim_fleet(Some(&kubeconfig));
    let clients: Vec<KubeRegion> = ocfail::kube::connect_fleet(&fleet, Duration::from_secs(5))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let holder = ocfail::ops::lock::Holder::new("drill", "20261128t000000-other1");
    let lock = ocfail::ops::lock::acquire(
        &clients,
        &holder,
        &ocfail::ops::lock::LockOptions::default(),
    )
    .await
    .unwrap();
    let out = live
        .run(&["drill", "--region", "us-east-1", "--yes", "-v"])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{stdout}");
    assert!(
        stdout.contains("20261128t000000-other1"),
        "the holder is named: {stdout}"
    );
    lock.release().await.unwrap();
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_mid_drill_restores_and_exits_130() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let live = LiveSim::start().await;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ocfail"));
    cmd.arg("-f")
        .arg(live.fleet())
        .args([
            "drill",
            "--region",
            "us-east-1",
            "--yes",
            "--hold",
            "60s",
            "--cloudflare-rps",
            "20",
        ])
        .env("CLOUDFLARE_API_TOKEN", crate::util::SECRET_TOKEN)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let child = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the drill reached its hold");
            if line.contains("holding") {
                break;
            }
        }
        let pid = child.id().to_string();
        assert!(
            std::process::Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
                .success()
        );
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(child.status.code(), Some(130), "{}", text(&child.stdout));
    assert!(
        text(&child.stdout).contains("interrupted: everything was restored"),
        "{}",
        text(&child.stdout)
    );
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}
