//! Cloudflare out of sight while a drill waits for failover (issue 13, item
//! 7), end to end: a drill against the simulator, whose Cloudflare API then
//! hangs, answers 500 or answers 429 with `Retry-After: 300`. Not being
//! able to see is "could not check", never a failed region; and losing
//! sight of Cloudflare must not keep the region down past its budget.

use std::time::Duration;

use ocfail::sim::{CloudflareFault, SimOptions};

use crate::fleet_checks::{FleetPicture, assert_as_before};
use crate::running::Running;
use crate::util::{LiveSim, text};

/// The drill's failover budget, fixed in the manifest so the test is quick.
const BUDGET: Duration = Duration::from_secs(5);

/// A simulator whose monitor takes a second or two to see an outage (so the
/// fault is in force before the drill could see the pool go), and a fleet
/// with fixed 5 s budgets.
async fn sim() -> LiveSim {
    let live = LiveSim::start_with(SimOptions {
        monitor_interval: Duration::from_secs(1),
        consecutive_down: 2,
        ..SimOptions::fast()
    })
    .await;
    let mut fleet = std::fs::read_to_string(live.fleet()).unwrap();
    for (from, to) in [
        ("failoverTimeout: auto", "failoverTimeout: 5s"),
        ("recoverTimeout: auto", "recoverTimeout: 5s"),
    ] {
        assert!(fleet.contains(from), "{from} not in the fleet");
        fleet = fleet.replace(from, to);
    }
    std::fs::write(live.fleet(), fleet).unwrap();
    live
}

/// When us-east-1's live Deployment went to 0 and came back, in the
/// simulator's clock (ms).
fn down_and_up(live: &LiveSim) -> (u64, u64) {
    let events = live.sim.world().log.snapshot();
    let at = |change: &str| {
        events
            .iter()
            .find(|e| {
                e.kind == "deployment-scaled"
                    && e.region.as_deref() == Some("us-east-1")
                    && e.detail.ends_with(change)
            })
            .map(|e| e.at_ms)
            .unwrap_or_else(|| panic!("no scale {change} in {events:#?}"))
    };
    (at("3 → 0"), at("0 → 3"))
}

/// Drills us-east-1, makes Cloudflare `fault` once the drill waits for
/// failover, and checks what the drill made of it.
async fn blind_during_failover(name: &str, fault: CloudflareFault) {
    let live = sim().await;
    let before = FleetPicture::take(&live).await;
    // Human output: progress lines (which say when to inject) are shown
    // only with it.
    let drill = Running::drill(&live, "1s", &["--request-timeout", "1s"]);
    let faults = live.sim.world().clone();
    let out = tokio::task::spawn_blocking(move || {
        drill.wait_for("waiting for failover");
        faults.faults.set_cloudflare(fault);
        drill.child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stdout = text(&out.stdout);

    // Could not check (3), or no data (4); never "failed".
    let code = out.status.code();
    assert!(
        matches!(code, Some(3 | 4)),
        "{name}: exit {code:?}\n{stdout}"
    );
    // The table's rows: `REGION  VERDICT  SUMMARY`.
    let verdict = |region: &str| {
        stdout
            .lines()
            .find_map(|l| {
                let mut words = l.split_whitespace();
                (words.next() == Some(region)).then(|| words.next().unwrap_or("").to_owned())
            })
            .unwrap_or_else(|| panic!("{name}: no {region} in {stdout}"))
    };
    let drilled = verdict("us-east-1");
    assert!(
        drilled == "error" || drilled == "inconclusive",
        "{name}: us-east-1 is {drilled}\n{stdout}"
    );
    for other in ["eu-central-1", "ap-southeast-2"] {
        assert_ne!(verdict(other), "fail", "{name}: {other}\n{stdout}");
    }

    // Back within the failover budget of the injection (plus a second for
    // the restore's own requests on a loaded machine), whatever Cloudflare did.
    let (down, up) = down_and_up(&live);
    let outage = Duration::from_millis(up - down);
    assert!(
        outage <= BUDGET + Duration::from_secs(1),
        "{name}: us-east-1 was down for {outage:?} against a budget of {BUDGET:?}"
    );

    live.sim.world().faults.clear();
    assert_as_before(&live).await;
    before
        .assert_unchanged(&live, &format!("by a drill with Cloudflare {name}"))
        .await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudflare_hanging_during_failover_is_could_not_check_and_restores_in_budget() {
    let hang = CloudflareFault {
        latency_ms: 3_600_000,
        ..CloudflareFault::default()
    };
    blind_during_failover("hanging", hang).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudflare_answering_500_during_failover_is_could_not_check_and_restores_in_budget() {
    let errors = CloudflareFault {
        error_rate: 1.0,
        ..CloudflareFault::default()
    };
    blind_during_failover("answering 500", errors).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudflare_asking_to_wait_300s_during_failover_is_could_not_check_and_restores_in_budget()
{
    let limited = CloudflareFault {
        rate_limit_burst: 100_000,
        retry_after_secs: 300,
        ..CloudflareFault::default()
    };
    blind_during_failover("answering 429 with Retry-After: 300", limited).await;
}
