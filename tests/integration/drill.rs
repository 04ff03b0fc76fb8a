//! `ocfail drill` end to end against the in-process simulator: the happy
//! path, refusals and overrides, dry runs, and Ctrl-C.

use std::time::{Duration, Instant};

use ocfail::exit_code;
use ocfail::kube::Workloads;
use reqwest::Method;

use crate::fleet_checks::assert_as_before;
use crate::running::Running;
use crate::util::{LiveSim, exit, exited, quoted_after, redact_run, run_pasted, text};

/// The seed fleet's Cloudflare account, and its monitors in the v4 API.
const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const MONITORS: &str = "/accounts/023e105f4ecef8ad9ca31a8372d0c353/load_balancers/monitors";

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
        exit(exit_code::OK),
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
    let k = live.client("us-east-1").await;
    let last = k
        .deployment("openclaw-api-blue")
        .await
        .unwrap()
        .unwrap()
        .annotations["ocfail.dev/last-drill"]
        .clone();
    assert!(last.contains("\"verdict\":\"pass\""), "{last}");
    let out = live.run(&["status", "-v"]).await;
    assert!(
        text(&out.stdout).contains("last-drill: pass — last drill: pass, "),
        "{}",
        text(&out.stdout)
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_changes_nothing_and_prints_the_plan() {
    let live = LiveSim::start().await;
    let out = live
        .run(&["drill", "--region", "us-east-1", "--dry-run", "-v"])
        .await;
    let stdout = exited(&out, exit_code::OK);
    insta::assert_snapshot!("drill_dry_run", redact_run(&stdout, Some(&live)));
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fallback_pool_is_refused_and_the_override_reason_is_recorded() {
    let live = LiveSim::start().await;
    let out = live
        .run(&["drill", "--region", "ap-southeast-2", "--yes", "-v"])
        .await;
    let stdout = exited(&out, exit_code::REFUSED);
    insta::assert_snapshot!(
        "drill_refused_fallback_pool",
        redact_run(&stdout, Some(&live))
    );
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
    let clients = live.clients().await;
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
    let stdout = exited(&out, exit_code::REFUSED);
    // The holder is named.
    insta::assert_snapshot!("drill_refused_locked", redact_run(&stdout, Some(&live)));
    lock.release().await.unwrap();
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_mid_drill_restores_and_exits_130() {
    let live = LiveSim::start().await;
    let drill = Running::drill(&live, "60s", &[]);
    let out = tokio::task::spawn_blocking(move || {
        drill.wait_for("holding");
        drill.interrupt();
        drill.child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stdout = exited(&out, exit_code::INTERRUPTED);
    insta::assert_snapshot!("drill_interrupted", redact_run(&stdout, Some(&live)));
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blind_monitor_is_refused_and_overridden_it_is_inconclusive() {
    let live = LiveSim::start().await;
    let cf = live.cloudflare();
    let monitors = cf.ok(Method::GET, MONITORS, None).await;
    let id = monitors["result"][0]["id"].as_str().unwrap().to_owned();
    cf.ok(
        Method::PATCH,
        &format!("{MONITORS}/{id}"),
        Some(serde_json::json!({"type": "tcp", "port": 8080, "method": "connection_established"})),
    )
    .await;
    let out = live
        .run(&["drill", "--region", "us-east-1", "--yes", "-v"])
        .await;
    let stdout = exited(&out, exit_code::REFUSED);
    insta::assert_snapshot!(
        "drill_refused_monitor_blind",
        redact_run(&stdout, Some(&live))
    );

    // Overridden with a short fixed failover deadline: the pool never turns unhealthy.
    live.edit("failoverTimeout: auto", "failoverTimeout: 2s");
    let out = live
        .run(&[
            "drill",
            "--region",
            "us-east-1",
            "--yes",
            "--hold",
            "0s",
            "--override",
            "monitor-blind",
            "--reason",
            "checking the blind spot",
            "--cloudflare-rps",
            "20",
        ])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        exit(exit_code::INCONCLUSIVE),
        "inconclusive: {stdout}"
    );
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_slower_than_the_budget_fails_and_still_restores() {
    let live = LiveSim::start().await;
    live.edit("failoverTimeout: auto", "failoverTimeout: 1ms");
    let out = live
        .run(&[
            "drill",
            "--region",
            "us-east-1",
            "--yes",
            "--hold",
            "0s",
            "--cloudflare-rps",
            "20",
        ])
        .await;
    let stdout = text(&out.stdout);
    assert!(
        [exit(exit_code::FAILED), exit(exit_code::INCONCLUSIVE)].contains(&out.status.code()),
        "{stdout}"
    );
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_ctrl_c_leaves_the_record_exits_6_and_restore_finishes() {
    let live = LiveSim::start().await;
    let drill = Running::drill(&live, "60s", &["--request-timeout", "1s"]);
    let drill = tokio::task::spawn_blocking(move || {
        drill.wait_for("holding");
        drill
    })
    .await
    .unwrap();
    // Make the restore stall: the region's API stops answering.
    live.sim.world().faults.set_kube(
        "us-east-1",
        ocfail::sim::KubeFault {
            hang: true,
            ..Default::default()
        },
    );
    let out = tokio::task::spawn_blocking(move || {
        drill.interrupt();
        // The second Ctrl-C lands in the restore, stalled on the region.
        drill.wait_for("restoring");
        drill.interrupt();
        drill.child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stdout = exited(&out, exit_code::RESTORE_INCOMPLETE);
    insta::assert_snapshot!("drill_restore_incomplete", redact_run(&stdout, Some(&live)));
    // The command to finish carries the manifest by absolute path, so it
    // works pasted anywhere.
    let command = quoted_after(&stdout, "the record is left: run ").to_owned();
    assert!(
        command.ends_with(&format!(
            "-f {} restore --region us-east-1",
            live.fleet().canonicalize().unwrap().display()
        )),
        "{command}"
    );

    live.sim
        .world()
        .faults
        .set_kube("us-east-1", ocfail::sim::KubeFault::default());
    let k = live.client("us-east-1").await;
    assert!(
        k.deployment("openclaw-api-blue")
            .await
            .unwrap()
            .unwrap()
            .annotations
            .contains_key("ocfail.dev/drill"),
        "the record stays"
    );
    let out = tokio::task::spawn_blocking(move || run_pasted(&command, "--yes"))
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stdout)
    );
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unrestored_state_and_a_missing_monitor_are_refused_by_name() {
    let live = LiveSim::start().await;
    // An earlier run's record in another region.
    let eu = live.client("eu-central-1").await;
    eu.annotate_deployment("openclaw-api-blue", "ocfail.dev/drill", Some(r#"{"runId":"old","replicas":3,"method":"scale-to-zero","startedAt":"2026-11-28T00:00:00Z","by":"x@y"}"#))
        .await
        .unwrap();
    let out = live
        .run(&["drill", "--region", "us-east-1", "--yes", "-v"])
        .await;
    let stdout = exited(&out, exit_code::REFUSED);
    insta::assert_snapshot!(
        "drill_refused_unrestored_state",
        redact_run(&stdout, Some(&live))
    );
    eu.annotate_deployment("openclaw-api-blue", "ocfail.dev/drill", None)
        .await
        .unwrap();

    // A pool without a monitor never fails over.
    let pool = live
        .sim
        .world()
        .cloudflare
        .pool_for_region("us-east-1")
        .unwrap()
        .id;
    live.cloudflare()
        .ok(
            Method::PATCH,
            &format!("/accounts/{ACCOUNT}/load_balancers/pools/{pool}"),
            Some(serde_json::json!({"monitor": null})),
        )
        .await;
    let out = live
        .run(&["drill", "--region", "us-east-1", "--yes", "-v"])
        .await;
    let stdout = exited(&out, exit_code::REFUSED);
    insta::assert_snapshot!("drill_refused_no_monitor", redact_run(&stdout, Some(&live)));
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sim_drill_of_the_issue_passes_prints_its_timings_and_restores() {
    let mut cmd = crate::util::ocfail();
    cmd.args([
        "--sim",
        "drill",
        "--region",
        "us-east-1",
        "--yes",
        "-v",
        "-f",
        "fixtures/fleet.yaml",
    ]);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = exited(&out, exit_code::OK);
    // A generous guard, not a measurement: the issue asks for under a minute.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    insta::assert_snapshot!("drill_sim_verbose", redact_run(&stdout, None));
}

/// A token that may read but not write pools: the drill records, fails to
/// disable the pool, and exits 3 (could not check). The restore that
/// follows finds the pool never changed, so it writes nothing to Cloudflare
/// and finishes: no "manual action needed" for a change that never happened.
#[tokio::test(flavor = "multi_thread")]
async fn a_pool_that_could_not_be_disabled_is_not_restored_by_hand() {
    let live = LiveSim::start().await;
    let before = crate::fleet_checks::FleetPicture::take(&live).await;
    let out = live
        .run_with_token(
            &[
                "drill",
                "--region",
                "us-east-1",
                "--method",
                "disable-pool",
                "--yes",
                "-o",
                "json",
            ],
            "read-only",
        )
        .await;
    let stdout = exited(&out, exit_code::UNAVAILABLE);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let us = &report["regions"][0];
    assert_eq!(us["verdict"], "error", "{us}");
    let check = |name: &str| {
        us["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} check: {us}"))
            .clone()
    };
    assert!(
        check("inject")["detail"].as_str().unwrap().contains("403"),
        "{us}"
    );
    assert!(
        us["summary"]
            .as_str()
            .unwrap()
            .starts_with("could not inject the outage"),
        "{us}"
    );
    // Nothing moved, so the expected receiver did not take any traffic.
    assert_eq!(report["regions"][1]["summary"], "stayed healthy");
    assert_eq!(check("restore pool")["verdict"], "pass", "{us}");
    assert!(
        check("restore pool")["detail"]
            .as_str()
            .unwrap()
            .contains("never changed"),
        "{us}"
    );
    before
        .assert_unchanged(&live, "by a drill whose injection was refused")
        .await;
    live.sim.shutdown().await;
}
