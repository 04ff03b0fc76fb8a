//! Cloudflare out of sight while a drill waits for failover (issue 13, item
//! 7), end to end: a drill against the simulator, whose Cloudflare API then
//! hangs, answers 500 or answers 429 with `Retry-After: 300`. Not being
//! able to see is "could not check", never a failed region; and losing
//! sight of Cloudflare must not keep the region down past its budget. Also
//! what a short 429 does to the measured `unhealthyAfterMs`.

use std::time::Duration;

use ocfail::exit_code;
use ocfail::sim::{CloudflareFault, SimOptions};

use crate::fleet_checks::{FleetPicture, assert_as_before};
use crate::running::Running;
use crate::util::{Launch, LiveSim, exit, text};

/// The drill's failover budget, fixed in the manifest so the test is quick.
const BUDGET: Duration = Duration::from_secs(5);

/// A simulator whose monitor takes a second or two to see an outage (so the
/// fault is in force before the drill could see the pool go), and a fleet
/// with fixed 5 s budgets.
async fn sim() -> LiveSim {
    Launch::seed()
        .options(SimOptions {
            monitor_interval: Duration::from_secs(1),
            consecutive_down: 2,
            ..SimOptions::fast()
        })
        .edit("failoverTimeout: auto", "failoverTimeout: 5s")
        .edit("recoverTimeout: auto", "recoverTimeout: 5s")
        .start()
        .await
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
        [exit(exit_code::UNAVAILABLE), exit(exit_code::INCONCLUSIVE)].contains(&code),
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

/// When the simulator's monitor marked us-east-1's pool unhealthy (ms).
fn pool_went_unhealthy(live: &LiveSim) -> u64 {
    let events = live.sim.world().log.snapshot();
    events
        .iter()
        .find(|e| e.kind == "pool-unhealthy" && e.region.as_deref() == Some("us-east-1"))
        .map(|e| e.at_ms)
        .unwrap_or_else(|| panic!("the pool never went unhealthy: {events:#?}"))
}

/// `unhealthyAfterMs` is when the drill first saw the pool unhealthy, as of
/// the request that saw it. A 429 in the way delays that request, and no
/// one can see the pool meanwhile, so the figure may be late by the wait
/// (never by more); but it never claims the pool went down before it did.
#[tokio::test(flavor = "multi_thread")]
async fn a_429_while_waiting_for_failover_never_makes_unhealthy_after_too_early() {
    let live = sim().await;
    let drill = Running::drill(&live, "1s", &[]);
    let world = live.sim.world().clone();
    let out = tokio::task::spawn_blocking(move || {
        drill.wait_for("waiting for failover");
        world.faults.set_cloudflare(CloudflareFault {
            rate_limit_burst: 1,
            retry_after_secs: 2,
            ..CloudflareFault::default()
        });
        drill.child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(
        live.sim.world().faults.cloudflare().rate_limit_burst,
        0,
        "the drill met the 429: {stdout}"
    );
    let reported: u64 = stdout
        .split("unhealthy after ")
        .nth(1)
        .and_then(|s| s.split("ms").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no unhealthy time in {stdout}"));
    let (down, _) = down_and_up(&live);
    let truth = pool_went_unhealthy(&live) - down;
    // A few ms for the request to reach the simulator.
    assert!(
        reported + 50 >= truth,
        "reported {reported}ms, but the pool went unhealthy {truth}ms after the outage"
    );
    // Late by at most the 2 s wait, a 250 ms poll and some scheduling.
    assert!(
        reported <= truth + 2000 + 250 + 750,
        "reported {reported}ms for a pool that went unhealthy after {truth}ms"
    );
    live.sim.world().faults.clear();
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}
