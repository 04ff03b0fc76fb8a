//! The simulator's Cloudflare side over real HTTP: the API (`api`), the
//! drill story on the model, and the official Python SDK with OpenAPI
//! validation (`tests/python/cf_sdk_check.py`).

mod api;
mod failover;
mod support;
mod traffic;

use std::time::Duration;

use ocfail::sim::SimOptions;

use self::support::*;
use crate::util::{LiveSim, exit_within, root, wait_until};

#[tokio::test(flavor = "multi_thread")]
async fn drill_story_on_the_model() {
    let sim = LiveSim::start().await.sim;
    let world = sim.world().clone();
    // The lower bounds hold by construction (the monitor cannot flip sooner);
    // the upper bounds only catch a monitor that ignores its settings, with
    // room for a loaded CI machine running the whole suite on two cores.
    const SLACK_MS: u64 = 2_000;
    let options = SimOptions::fast();
    let interval = options.monitor_interval.as_millis() as u64;
    let down = u64::from(options.consecutive_down.max(1));
    let up = u64::from(options.consecutive_up.max(1));
    let cluster = world.cluster("us-east-1").unwrap().clone();
    let pool = world.cloudflare.pool_for_region("us-east-1").unwrap();
    assert_eq!(lb_region(&sim).await, Ok("us-east-1".to_owned()));
    let deadline = Duration::from_secs(10);
    let t0 = world.log.now_ms();

    // Scale the live colour to zero: the pool turns unhealthy after about
    // interval × consecutive_down, and the LB fails over to the next pool.
    cluster.scale("us-east-1", "openclaw-api-blue", 0).unwrap();
    wait_until(deadline, "the us-east-1 pool to turn unhealthy", || async {
        (world.cloudflare.pool_healthy(&pool.id) == Some(false)).then_some(())
    })
    .await;
    let unavailable = event_at(&sim, "deployment-unavailable", Some("us-east-1"), t0).unwrap();
    let unhealthy = event_at(&sim, "pool-unhealthy", Some("us-east-1"), t0).unwrap();
    let detected = unhealthy - unavailable;
    assert!(
        detected >= interval * (down - 1) && detected <= interval * (down + 1) + SLACK_MS,
        "pool unhealthy {detected} ms after the pods went away (interval {interval} ms × {down})"
    );
    wait_until(
        deadline,
        "LB traffic to be served by eu-central-1",
        || async { (lb_region(&sim).await == Ok("eu-central-1".to_owned())).then_some(()) },
    )
    .await;
    let t1 = world.log.now_ms();

    // Scale back: pool healthy again, traffic back to us-east-1.
    cluster.scale("us-east-1", "openclaw-api-blue", 3).unwrap();
    wait_until(deadline, "the us-east-1 pool to recover", || async {
        (world.cloudflare.pool_healthy(&pool.id) == Some(true)).then_some(())
    })
    .await;
    wait_until(deadline, "LB traffic back in us-east-1", || async {
        (lb_region(&sim).await == Ok("us-east-1".to_owned())).then_some(())
    })
    .await;
    let ready = event_at(&sim, "deployment-ready", Some("us-east-1"), t1).unwrap();
    let healthy = event_at(&sim, "pool-healthy", Some("us-east-1"), t1).unwrap();
    let recovered = healthy - ready;
    assert!(
        recovered >= interval * (up - 1) && recovered <= interval * (up + 1) + SLACK_MS,
        "pool healthy {recovered} ms after the pods were ready (interval {interval} ms × {up})"
    );

    let events = world.log.snapshot();
    let route_changes: Vec<_> = events
        .iter()
        .filter(|e| e.at_ms >= t0 && e.kind == "lb-route-changed")
        .collect();
    assert_eq!(route_changes.len(), 2, "{route_changes:#?}");
    assert_eq!(route_changes[0].region.as_deref(), Some("eu-central-1"));
    assert_eq!(route_changes[1].region.as_deref(), Some("us-east-1"));
    println!("drill timeline (ms after the scale to 0):");
    for e in events.iter().filter(|e| e.at_ms >= t0) {
        println!(
            "  +{:>5} ms  {:<10} {:<15} {:<24} {}",
            e.at_ms - t0,
            e.source,
            e.region.as_deref().unwrap_or("-"),
            e.kind,
            e.detail
        );
    }
    sim.shutdown().await;
}

/// Runs `cmd` with its output in temporary files (no pipe can fill up);
/// past `limit` it is killed and the test fails. Returns (success, stdout,
/// stderr).
fn run_with_timeout(mut cmd: std::process::Command, limit: Duration) -> (bool, String, String) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let err = tempfile::NamedTempFile::new().unwrap();
    let mut child = cmd
        .stdout(out.reopen().unwrap())
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap();
    let read = |f: &tempfile::NamedTempFile| std::fs::read_to_string(f.path()).unwrap_or_default();
    let status = exit_within(&mut child, limit, "the Python SDK check to finish", || {
        format!("{}\n{}", read(&out), read(&err))
    });
    (status.success(), read(&out), read(&err))
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_fidelity() {
    let Some(python) = tokio::task::spawn_blocking(crate::util::python_venv)
        .await
        .unwrap()
    else {
        return;
    };
    let sim = LiveSim::start().await.sim;
    let mut cmd = std::process::Command::new(python);
    cmd.arg(root().join("tests/python/cf_sdk_check.py"))
        .args(["--base-url", &sim.cloudflare_url()])
        .args(["--admin-url", &sim.admin_url()])
        .args(["--account", ACCOUNT, "--zone", ZONE])
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CLOUDFLARE_BASE_URL")
        .env("NO_PROXY", "127.0.0.1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let (ok, stdout, stderr) =
        tokio::task::spawn_blocking(move || run_with_timeout(cmd, Duration::from_secs(120)))
            .await
            .unwrap();
    println!("{stdout}");
    eprintln!("{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(ok, "cf_sdk_check.py failed: {last}");
    assert!(
        last.starts_with("cloudflare sdk: ") && last.ends_with(" passed, 0 failed"),
        "unexpected summary: {last}"
    );
    sim.shutdown().await;
}
