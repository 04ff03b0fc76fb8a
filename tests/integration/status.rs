//! `ocfail status` end to end against the in-process simulator, with faults.

use std::time::{Duration, Instant};

use ocfail::exit_code;
use ocfail::sim::{CloudflareFault, KubeFault};

use crate::util::{
    LiveSim, exit, exit_within, exited, redact, text, wait_until, wait_until_blocking,
};

#[tokio::test(flavor = "multi_thread")]
async fn healthy_fleet_passes_serves_from_us_east_1_and_survives() {
    let live = LiveSim::start().await;
    let out = live.run(&["status"]).await;
    let stdout = exited(&out, exit_code::OK);
    for region in ["us-east-1", "eu-central-1", "ap-southeast-2"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(region) && l.contains("pass")),
            "{stdout}"
        );
    }
    assert!(stdout.contains("serving now: us-east-1"), "{stdout}");
    assert!(stdout.contains("failover target: eu-central-1"), "{stdout}");
    assert!(
        stdout.contains("survives losing any one region: yes"),
        "{stdout}"
    );
    insta::assert_snapshot!(
        "status_human",
        redact_latency(&live.redact(&redact(&stdout, None)))
    );

    let out = live.run(&["status", "-o", "json"]).await;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["command"], "status");
    assert_eq!(doc["verdict"], "pass");
    insta::assert_snapshot!(
        "status_json",
        redact_latency(&live.redact(&redact(&text(&out.stdout), None)))
    );
    live.sim.shutdown().await;
}

/// API latencies vary run to run.
fn redact_latency(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        let mut l = line.to_owned();
        for key in ["api ", "reachable in ", "\"apiLatencyMs\": "] {
            let mut from = 0;
            while let Some(i) = l[from..].find(key) {
                let start = from + i + key.len();
                let end = l[start..]
                    .find(|c: char| !c.is_ascii_digit())
                    .map_or(l.len(), |e| start + e);
                if end > start {
                    l.replace_range(start..end, "N");
                }
                from = start;
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_at_zero_fails_and_the_failover_target_is_named() {
    let live = LiveSim::start().await;
    let pool = live
        .sim
        .world()
        .cloudflare
        .pool_for_region("us-east-1")
        .unwrap()
        .id;
    live.sim
        .world()
        .cluster("us-east-1")
        .unwrap()
        .scale("us-east-1", "openclaw-api-blue", 0)
        .unwrap();
    wait_until(
        Duration::from_secs(10),
        "us-east-1's pool to turn unhealthy",
        || async { live.sim.world().cloudflare.pool_healthy(&pool) == Some(false) },
    )
    .await;
    let out = live.run(&["status"]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), exit(exit_code::FAILED), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("us-east-1") && l.contains("fail")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("eu-central-1") && l.contains("pass")),
        "{stdout}"
    );
    assert!(stdout.contains("serving now: eu-central-1"), "{stdout}");
    assert!(
        stdout.contains("failover target: ap-southeast-2"),
        "{stdout}"
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusing_region_is_an_error_with_a_reason_and_exit_3() {
    let live = LiveSim::start().await;
    live.sim.world().faults.set_kube(
        "ap-southeast-2",
        KubeFault {
            refuse: true,
            ..KubeFault::default()
        },
    );
    let started = Instant::now();
    let out = live.run(&["status", "--request-timeout", "2s"]).await;
    let stdout = exited(&out, exit_code::UNAVAILABLE);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("ap-southeast-2"))
        .unwrap();
    assert!(line.contains("error"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("us-east-1") && l.contains("pass")),
        "{stdout}"
    );
    assert!(started.elapsed() < Duration::from_secs(30), "bounded");
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_region_errors_within_the_request_timeout() {
    let live = LiveSim::start().await;
    live.sim.world().faults.set_kube(
        "eu-central-1",
        KubeFault {
            hang: true,
            ..KubeFault::default()
        },
    );
    let out = live
        .run(&["status", "--request-timeout", "1s", "-o", "json"])
        .await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::UNAVAILABLE),
        "{}",
        text(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let eu = doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "eu-central-1")
        .unwrap();
    assert_eq!(eu["verdict"], "error");
    assert!(
        eu["checks"][0]["detail"].as_str().unwrap().contains("time"),
        "{eu}"
    );
    // The others were not held up by the hanging region.
    let us = doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "us-east-1")
        .unwrap();
    assert_eq!(us["verdict"], "pass");
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudflare_429_is_retried_after_retry_after() {
    let live = LiveSim::start().await;
    live.sim.world().faults.set_cloudflare(CloudflareFault {
        rate_limit_burst: 2,
        retry_after_secs: 1,
        ..CloudflareFault::default()
    });
    let started = Instant::now();
    let out = live.run(&["status", "--cloudflare-rps", "50"]).await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudflare_5xx_is_retried_then_reported_as_error() {
    let live = LiveSim::start().await;
    live.sim.world().faults.set_cloudflare(CloudflareFault {
        error_rate: 1.0,
        ..CloudflareFault::default()
    });
    let out = live.run(&["status", "--cloudflare-rps", "50"]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), exit(exit_code::UNAVAILABLE), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("us-east-1") && l.contains("error")),
        "{stdout}"
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_exits_3_with_a_hint() {
    let live = LiveSim::start().await;
    let out = live.run_with_token(&["status", "-v"], "invalid").await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), exit(exit_code::UNAVAILABLE), "{stdout}");
    assert!(
        stdout.contains("CLOUDFLARE_API_TOKEN"),
        "the hint names the variable: {stdout}"
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_token_exits_3_naming_the_variable() {
    let live = LiveSim::start().await;
    let mut cmd = crate::util::ocfail();
    cmd.arg("-f").arg(live.fleet()).arg("status");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::UNAVAILABLE));
    assert!(
        text(&out.stdout).contains("CLOUDFLARE_API_TOKEN"),
        "{}",
        text(&out.stdout)
    );
    live.sim.shutdown().await;
}

#[test]
fn sim_flag_runs_status_against_the_seed_fleet() {
    let out = crate::util::ocfail()
        .args(["--sim", "status", "-f", "fixtures/fleet.yaml"])
        .output()
        .unwrap();
    let stdout = exited(&out, exit_code::OK);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| !l.starts_with("verdict:") && l.split_whitespace().nth(1) == Some("pass"))
            .count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("serving now: us-east-1"), "{stdout}");
    assert!(
        stdout.contains("survives losing any one region: yes"),
        "{stdout}"
    );
}

#[test]
fn watch_prints_changes_as_lines_until_ctrl_c() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_ocfail"))
        .args([
            "--sim",
            "status",
            "--watch",
            "--interval",
            "200ms",
            "-f",
            "fixtures/fleet.yaml",
        ])
        .current_dir(crate::util::root())
        .env("NO_COLOR", "1")
        // Its debug log names every Cloudflare call: one pool listing per refresh.
        .env("RUST_LOG", "ocfail=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines_of = |stream: Box<dyn std::io::Read + Send>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        rx
    };
    let rx = lines_of(Box::new(child.stdout.take().unwrap()));
    let log = lines_of(Box::new(child.stderr.take().unwrap()));
    let refreshes = || {
        log.try_iter()
            .filter(|l| l.contains("load_balancers/pools status="))
            .count()
    };
    let mut lines = Vec::new();
    let first = wait_until_blocking(Duration::from_secs(20), "the first refresh's lines", || {
        lines.extend(rx.try_iter());
        (lines.len() >= 4).then(|| lines.clone())
    });
    // First refresh: every region and the fleet line, each as a timestamped line.
    assert!(first[0].contains(" us-east-1: pass"), "{first:?}");
    assert!(
        first[3].contains(" fleet: pass")
            && first[3].contains("survives losing any one region: yes"),
        "{first:?}"
    );
    // A few more refreshes: nothing changes, so nothing is printed.
    let mut seen = refreshes();
    wait_until_blocking(Duration::from_secs(20), "three more refreshes", || {
        seen += refreshes();
        seen >= 4
    });
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = exit_within(
        &mut child,
        Duration::from_secs(10),
        "watch to stop on Ctrl-C",
        || "still running",
    );
    assert_eq!(status.code(), exit(exit_code::OK));
    // Nothing changed between refreshes, so nothing more was printed.
    let more: Vec<String> = rx.try_iter().collect();
    assert!(
        more.iter().all(|l| !l.contains(" us-east-1: ")),
        "unchanged rows are not repeated: {more:?}"
    );
}
