//! `ocfail rollout` and `ocfail rollback` end to end against the in-process
//! simulator: wave order, zero-error switches, failures and their
//! rollbacks, reruns, Ctrl-C and kill -9 with `ocfail restore`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use ocfail::exit_code;
use ocfail::kube::{KubeRegion, Workloads};

use crate::running::Running;
use crate::util::{Launch, LiveSim, exit, exited, redact_run, text};

pub const NEW: &str = "registry.example/openclaw-api:1.5.0";
pub const REGIONS: [&str; 3] = ["ap-southeast-2", "eu-central-1", "us-east-1"];

/// Every region's live colour, live image, and the other colour's replicas.
pub async fn colours(live: &LiveSim) -> Vec<(String, String, i32)> {
    let mut out = Vec::new();
    for region in REGIONS {
        let k = live.client(region).await;
        let svc = k.service("openclaw-api").await.unwrap().unwrap();
        let colour = svc.color().unwrap().to_owned();
        let other = if colour == "blue" { "green" } else { "blue" };
        let d = k
            .deployment(&format!("openclaw-api-{colour}"))
            .await
            .unwrap()
            .unwrap();
        let idle = k
            .deployment(&format!("openclaw-api-{other}"))
            .await
            .unwrap()
            .unwrap();
        assert!(
            !svc.annotations.contains_key("ocfail.dev/rollout"),
            "{region}: record left"
        );
        assert_eq!((d.replicas, d.ready), (3, 3), "{region}: live not ready");
        out.push((colour, d.image, idle.replicas));
    }
    out
}

pub async fn assert_no_locks(live: &LiveSim) {
    for region in REGIONS {
        let k: KubeRegion = live.client(region).await;
        assert!(
            k.lease("ocfail-lock").await.unwrap().is_none(),
            "{region}: lock left"
        );
    }
}

/// Regions in the order their live Service was switched, from the event log.
fn switch_order(live: &LiveSim) -> Vec<String> {
    live.sim
        .world()
        .log
        .snapshot()
        .into_iter()
        .filter(|e| e.kind == "service-selector-changed" && e.detail.contains("/openclaw-api:"))
        .filter_map(|e| e.region)
        .collect()
}

/// Polls the LB hostname every 10 ms from the test itself (not through
/// ocfail) and counts answers that are not 2xx.
struct LbWatch {
    stop: Arc<AtomicBool>,
    errors: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl LbWatch {
    fn start(live: &LiveSim) -> LbWatch {
        let url = format!("{}/healthz", live.sim.lb_url());
        let (stop, errors, requests) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let (s, e, r) = (stop.clone(), errors.clone(), requests.clone());
        let task = tokio::spawn(async move {
            let client = reqwest::Client::new();
            while !s.load(Ordering::Relaxed) {
                let ok = client
                    .get(&url)
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await
                    .is_ok_and(|resp| resp.status().is_success());
                r.fetch_add(1, Ordering::Relaxed);
                if !ok {
                    e.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        LbWatch {
            stop,
            errors,
            requests,
            task,
        }
    }

    async fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        (
            self.requests.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_image_is_promoted_in_wave_order_without_one_lb_error() {
    ocfail::install_crypto_provider();
    let live = Launch::seed().quick_rollout().start().await;
    let before = colours(&live).await;
    let junit = live.dir.path().join("out.xml");
    let watch = LbWatch::start(&live);
    let out = live
        .run(&[
            "rollout",
            "--image",
            NEW,
            "--yes",
            "-o",
            "json",
            "--junit",
            junit.to_str().unwrap(),
        ])
        .await;
    let (requests, errors) = watch.stop().await;
    let stdout = exited(&out, exit_code::OK);
    assert!(requests > 50, "the watcher ran: {requests}");
    assert_eq!(errors, 0, "LB errors during the rollout");

    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["command"], "rollout");
    for (i, region) in REGIONS.iter().enumerate() {
        let r = &doc["regions"][i];
        assert_eq!(r["region"], *region);
        assert_eq!(r["rollout"]["status"], "promoted", "{r}");
        assert_eq!(r["rollout"]["imageAfter"], NEW);
        assert_eq!(r["rollout"]["fromColor"], "blue");
        assert_eq!(r["rollout"]["toColor"], "green");
        for t in ["readyMs", "smokeMs", "verifyMs"] {
            assert!(r["timings"][t].is_u64(), "{t}: {r}");
        }
    }
    assert_eq!(doc["traffic"]["errors"], 0, "{}", doc["traffic"]);
    assert_eq!(switch_order(&live), REGIONS, "wave order");

    // Every region on green with the new image; blue scaled to 0.
    let after = colours(&live).await;
    for ((colour, image, idle), (was, _, _)) in after.iter().zip(&before) {
        assert_eq!(was, "blue");
        assert_eq!((colour.as_str(), image.as_str(), *idle), ("green", NEW, 0));
    }
    assert_no_locks(&live).await;

    // The JUnit file is valid XML: a testcase per region × step.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let parsed = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = parsed
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert!(cases.len() >= 3 * 8, "{xml}");
    assert!(
        !parsed.descendants().any(|n| n.has_tag_name("failure")),
        "{xml}"
    );
    assert!(xml.contains("eu-central-1"), "{xml}");

    // A rerun changes nothing.
    let log_len = live.sim.world().log.snapshot().len();
    let out = live
        .run(&["rollout", "--image", NEW, "--yes", "-o", "json"])
        .await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stdout)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in doc["regions"].as_array().unwrap() {
        assert_eq!(r["rollout"]["status"], "already-live", "{r}");
    }
    // Only writes count: the controller may still be reporting the old
    // colour's pods gone (`deployment-unavailable`) from the first run's
    // scale-down, which the rollout does not wait for.
    let changes: Vec<_> = live.sim.world().log.snapshot()[log_len..]
        .iter()
        .filter(|e| e.source == "kubernetes")
        .filter(|e| {
            !matches!(
                e.kind.as_str(),
                "deployment-ready" | "deployment-unavailable"
            )
        })
        .cloned()
        .collect();
    assert!(changes.is_empty(), "a rerun changed things: {changes:?}");
    live.sim.shutdown().await;
}

/// eu-central-1 (wave 2) cannot start new pods: its nodes are full.
pub(crate) fn wave_2_cannot_get_ready(live: &LiveSim) {
    live.sim.world().faults.set_kube(
        "eu-central-1",
        ocfail::sim::KubeFault {
            pending_pods: true,
            ..Default::default()
        },
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_that_never_gets_ready_in_wave_2_rolls_wave_1_back_and_never_starts_wave_3() {
    let live = Launch::seed().quick_rollout().start().await;
    let before = colours(&live).await;
    wave_2_cannot_get_ready(&live);
    let out = live
        .run(&["rollout", "--image", NEW, "--yes", "-o", "json"])
        .await;
    let stdout = exited(&out, exit_code::FAILED);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let status = |i: usize| doc["regions"][i]["rollout"]["status"].clone();
    assert_eq!(status(0), "rolled-back", "{}", doc["regions"][0]);
    assert_eq!(status(1), "failed", "{}", doc["regions"][1]);
    assert_eq!(status(2), "not-started", "{}", doc["regions"][2]);
    assert!(
        doc["regions"][1]["summary"]
            .as_str()
            .unwrap()
            .contains("0/3 ready"),
        "{}",
        doc["regions"][1]
    );
    // Wave 1 was switched to green and back; us-east-1 never changed.
    assert_eq!(
        switch_order(&live),
        ["ap-southeast-2", "ap-southeast-2"],
        "only wave 1 switched (and back)"
    );
    live.sim.world().faults.clear();
    assert_eq!(colours(&live).await, before, "the fleet as before");
    assert_no_locks(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_halt_wave_1_stays_promoted() {
    let live = Launch::seed()
        .quick_rollout()
        .edit("onFailure: rollback-all", "onFailure: halt")
        .start()
        .await;
    wave_2_cannot_get_ready(&live);
    let out = live
        .run(&["rollout", "--image", NEW, "--yes", "-o", "json"])
        .await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::FAILED),
        "{}",
        text(&out.stdout)
    );
    live.sim.world().faults.clear();
    let after = colours(&live).await;
    assert_eq!(after[0].0, "green");
    assert_eq!(after[0].1, NEW);
    assert_eq!(
        after[0].2, 3,
        "halted: blue kept warm for an instant rollback"
    );
    assert_eq!(after[1].1, "registry.example.com/openclaw-api:1.4.1");
    assert_eq!(after[2].1, "registry.example.com/openclaw-api:1.4.1");
    assert_no_locks(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashing_image_fails_its_smoke_checks_before_any_switch() {
    let live = Launch::seed().quick_rollout().start().await;
    let before = colours(&live).await;
    let out = live
        .run(&[
            "rollout",
            "--image",
            "registry.example/openclaw-api:1.5.0-crash",
            "--yes",
            "-v",
        ])
        .await;
    let stdout = exited(&out, exit_code::FAILED);
    // The preview smoke check caught it.
    insta::assert_snapshot!("rollout_crashing_image", redact_run(&stdout, Some(&live)));
    assert!(
        switch_order(&live).is_empty(),
        "the live colour never changed"
    );
    assert_eq!(colours(&live).await, before);
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_plan_per_wave_and_changes_nothing() {
    let live = Launch::seed().quick_rollout().start().await;
    let log_len = live.sim.world().log.snapshot().len();
    let out = live
        .run(&["rollout", "--image", NEW, "--dry-run", "-v"])
        .await;
    let stdout = exited(&out, exit_code::OK);
    insta::assert_snapshot!("rollout_dry_run", redact_run(&stdout, Some(&live)));
    let writes: Vec<_> = live.sim.world().log.snapshot()[log_len..]
        .iter()
        .filter(|e| e.source == "kubernetes")
        .cloned()
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_after_a_promotion_puts_the_previous_image_live_again() {
    let live = Launch::seed().quick_rollout().start().await;
    let out = live.run(&["rollout", "--image", NEW, "--yes"]).await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stdout)
    );
    // blue (1.4.1) was scaled to 0 after the rollout: the rollback scales it
    // up first, and says so.
    let out = live
        .run(&["rollback", "--region", "eu-central-1", "--yes", "-v"])
        .await;
    let stdout = exited(&out, exit_code::OK);
    insta::assert_snapshot!("rollback_of_a_promotion", redact_run(&stdout, Some(&live)));
    let after = colours(&live).await;
    assert_eq!(after[1].0, "blue");
    assert_eq!(after[1].1, "registry.example.com/openclaw-api:1.4.1");
    assert_eq!(after[1].2, 3, "the rolled-back colour stays warm");
    assert_eq!(after[0].1, NEW, "other regions untouched");
    // The LB serves the old version from eu-central-1 now? It serves from the
    // region steering picks; ask eu-central-1 directly.
    let resp = reqwest::get(format!(
        "{}/_direct/eu-central-1/healthz",
        live.sim.lb_url()
    ))
    .await
    .unwrap();
    assert_eq!(resp.headers()["x-openclaw-version"], "1.4.1");
    assert_no_locks(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_wave_2_rolls_everything_back_and_exits_130() {
    let live = Launch::seed()
        .quick_rollout()
        .edit("readyTimeout: 3s", "readyTimeout: 1m")
        .start()
        .await;
    let before = colours(&live).await;
    wave_2_cannot_get_ready(&live);
    let rollout = Running::spawn(&live, &["rollout", "--image", NEW, "--yes"]);
    let out = tokio::task::spawn_blocking(move || {
        rollout.wait_for("eu-central-1: waiting for green to be ready");
        rollout.interrupt();
        rollout.child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stdout = exited(&out, exit_code::INTERRUPTED);
    insta::assert_snapshot!("rollout_interrupted", redact_run(&stdout, Some(&live)));
    live.sim.world().faults.clear();
    assert_eq!(colours(&live).await, before);
    assert_no_locks(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_each_step_then_restore_leaves_every_region_on_the_old_version() {
    let phases = [
        "eu-central-1: recording state",
        "eu-central-1: deploying green",
        "eu-central-1: waiting for green to be ready",
        "eu-central-1: smoke checks on preview",
        "eu-central-1: switching to green",
        "eu-central-1: smoke checks on live",
        "eu-central-1: verifying traffic",
        "scaling openclaw-api-blue to 0",
    ];
    for phase in phases {
        let live = Launch::seed().quick_rollout().start().await;
        let before = colours(&live).await;
        let mut rollout = Running::spawn(&live, &["rollout", "--image", NEW, "--yes"]);
        tokio::task::spawn_blocking(move || {
            rollout.wait_for(phase);
            rollout.child.kill().unwrap();
            rollout.child.wait().unwrap();
        })
        .await
        .unwrap();
        let out = live.run(&["restore", "--yes", "-v"]).await;
        assert_eq!(
            out.status.code(),
            exit(exit_code::OK),
            "after a kill at `{phase}`:\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        // One consistent colour everywhere, the old image serving.
        assert_eq!(colours(&live).await, before, "after a kill at `{phase}`");
        for region in REGIONS {
            let resp = reqwest::get(format!("{}/_direct/{region}/healthz", live.sim.lb_url()))
                .await
                .unwrap();
            assert_eq!(resp.headers()["x-openclaw-version"], "1.4.1", "{region}");
        }
        assert_no_locks(&live).await;
        let out = live.run(&["restore", "--yes"]).await;
        assert_eq!(
            text(&out.stdout).matches("nothing to restore").count(),
            3,
            "{}",
            text(&out.stdout)
        );
        live.sim.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_lock_rolls_back_like_ctrl_c_and_is_not_a_success() {
    let live = Launch::seed()
        .quick_rollout()
        .edit("readyTimeout: 3s", "readyTimeout: 1m")
        .start()
        .await;
    let before = colours(&live).await;
    wave_2_cannot_get_ready(&live);
    let rollout = Running::spawn(&live, &["rollout", "--image", NEW, "--yes"]);
    let rollout = tokio::task::spawn_blocking(move || {
        rollout.wait_for("eu-central-1: waiting for green to be ready");
        rollout
    })
    .await
    .unwrap();
    // Someone else takes the lease in ap-southeast-2 (an operator breaking
    // the lock by hand): the rollout's next renewal finds it gone.
    let ap = live.client("ap-southeast-2").await;
    let current = ap.lease("ocfail-lock").await.unwrap().unwrap();
    let now = humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string();
    ap.replace_lease(
        &current,
        &ocfail::kube::LeaseSpec {
            name: "ocfail-lock".to_owned(),
            holder: "ocfail/drill/someone@else/20261201t000000-thief1".to_owned(),
            duration_seconds: 30,
            acquire_time: now.clone(),
            renew_time: now,
        },
    )
    .await
    .unwrap();
    let out = tokio::task::spawn_blocking(move || rollout.child.wait_with_output().unwrap())
        .await
        .unwrap();
    // Not a failed image, not a success: could not finish (exit 3), and
    // no region says "warn".
    let stdout = exited(&out, exit_code::UNAVAILABLE);
    insta::assert_snapshot!("rollout_lock_lost", redact_run(&stdout, Some(&live)));
    live.sim.world().faults.clear();
    ap.delete_lease("ocfail-lock", None).await.unwrap();
    assert_eq!(colours(&live).await, before);
    assert_no_locks(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_and_leftover_records_are_refused_before_anything_changes() {
    let live = Launch::seed().quick_rollout().start().await;
    let out = live
        .run(&["rollout", "--image", NEW, "--regions", "mars-1", "--yes"])
        .await;
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    assert!(
        text(&out.stderr).contains("regions in this fleet: us-east-1"),
        "{}",
        text(&out.stderr)
    );
    let out = live.run(&["rollout", "--image", NEW]).await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::USAGE),
        "no terminal, no --yes"
    );
    assert!(text(&out.stderr).contains("--yes"), "{}", text(&out.stderr));

    // A crashed drill's record in us-east-1 blocks a rollout of any region.
    let us = live.client("us-east-1").await;
    us.annotate_deployment(
        "openclaw-api-blue",
        "ocfail.dev/drill",
        Some(r#"{"runId":"old","replicas":3,"method":"scale-to-zero","startedAt":"2026-11-28T00:00:00Z","by":"x@y"}"#),
    )
    .await
    .unwrap();
    let log_len = live.sim.world().log.snapshot().len();
    let out = live
        .run(&[
            "rollout",
            "--image",
            NEW,
            "--regions",
            "eu-central-1",
            "--yes",
        ])
        .await;
    let stdout = exited(&out, exit_code::REFUSED);
    insta::assert_snapshot!(
        "rollout_refused_unrestored_state",
        redact_run(&stdout, Some(&live))
    );
    let writes = live.sim.world().log.snapshot()[log_len..]
        .iter()
        .filter(|e| e.source == "kubernetes")
        .count();
    assert_eq!(writes, 0, "nothing changed");
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sim_rollout_of_the_issue_promotes_every_region_and_writes_valid_junit() {
    let tmp = tempfile::tempdir().unwrap();
    let junit = tmp.path().join("out.xml");
    let mut cmd = crate::util::ocfail();
    cmd.args(["--sim", "rollout", "--image", NEW, "--yes", "-v", "--junit"])
        .arg(&junit);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = exited(&out, exit_code::OK);
    // Wave order in the progress lines, and zero traffic errors in the report.
    let stderr = text(&out.stderr);
    let switched: Vec<usize> = REGIONS
        .iter()
        .map(|r| stderr.find(&format!("{r}: switching to green")).unwrap())
        .collect();
    assert!(switched.windows(2).all(|w| w[0] < w[1]), "{stderr}");
    assert!(stdout.contains(", 0 errors (0.00%)"), "{stdout}");
    insta::assert_snapshot!("rollout_sim_verbose", redact_run(&stdout, None));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert!(cases >= 3 * 8, "{xml}");
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_previous_leaves_the_old_colour_warm() {
    let live = Launch::seed().quick_rollout().start().await;
    let out = live
        .run(&[
            "rollout",
            "--image",
            NEW,
            "--regions",
            "eu-central-1",
            "--keep-previous",
            "--yes",
        ])
        .await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stdout)
    );
    let after = colours(&live).await;
    assert_eq!(
        after[1],
        ("green".to_owned(), NEW.to_owned(), 3),
        "blue kept at 3"
    );
    assert_eq!(after[0].0, "blue", "ap-southeast-2 not selected");
    assert_eq!(after[2].0, "blue", "us-east-1 not selected");
    live.sim.shutdown().await;
}
