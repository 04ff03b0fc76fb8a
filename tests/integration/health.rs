//! `ocfail health` end to end against the in-process simulator.

use std::time::Duration;

use ocfail::exit_code;

use crate::util::{LiveSim, exit, exited, text, wait_until};

#[tokio::test(flavor = "multi_thread")]
async fn health_shows_origins_per_location_the_monitor_and_the_budget() {
    let live = LiveSim::start().await;
    let out = live.run(&["health", "-v", "--cloudflare-rps", "50"]).await;
    let stdout = exited(&out, exit_code::OK);
    assert!(
        stdout.contains("origin us-east-1 @ "),
        "per origin and check location: {stdout}"
    );
    assert!(
        stdout.contains("timing budget: failover within"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(from the monitor; see \"The timing budget\" in docs/drills.md)"),
        "the budget names the doc that explains it: {stdout}"
    );
    assert!(stdout.contains("proxy-probe: pass"), "{stdout}");
    assert!(
        stdout
            .contains("load balancer api.openclaw.com: adaptive_routing.failover_across_pools off"),
        "the zero-downtime failover setting is shown: {stdout}"
    );
    assert!(
        stdout.contains("probe: pass"),
        "the manifest's probe URL is checked: {stdout}"
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn health_fails_an_unhealthy_region_and_keeps_the_others() {
    let live = LiveSim::start().await;
    let pool = live
        .sim
        .world()
        .cloudflare
        .pool_for_region("eu-central-1")
        .unwrap()
        .id;
    live.sim
        .world()
        .cluster("eu-central-1")
        .unwrap()
        .scale("eu-central-1", "openclaw-api-blue", 0)
        .unwrap();
    wait_until(
        Duration::from_secs(10),
        "eu-central-1's pool to turn unhealthy",
        || async { live.sim.world().cloudflare.pool_healthy(&pool) == Some(false) },
    )
    .await;
    let out = live
        .run(&["health", "-o", "json", "--cloudflare-rps", "50"])
        .await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::FAILED),
        "{}",
        text(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts: Vec<(&str, &str)> = doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["region"].as_str().unwrap(),
                r["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("us-east-1", "pass"),
            ("eu-central-1", "fail"),
            ("ap-southeast-2", "pass")
        ]
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn preview_reports_that_the_monitor_would_notice_an_outage() {
    let live = LiveSim::start().await;
    let out = live
        .run(&["health", "--preview", "-v", "--cloudflare-rps", "50"])
        .await;
    let stdout = exited(&out, exit_code::OK);
    assert!(stdout.contains("preview: pass"), "{stdout}");
    assert!(stdout.contains("would notice it going down"), "{stdout}");
    live.sim.shutdown().await;
}

#[test]
fn sim_flag_runs_health() {
    let out = crate::util::ocfail()
        .args(["--sim", "health", "-f", "fixtures/fleet.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("timing budget"),
        "{}",
        text(&out.stdout)
    );
}
