//! Crash safety of `ocfail drill` (docs/drills.md, interruptions and recovery): SIGKILL at each
//! step boundary and at random moments, then `ocfail restore` puts the
//! fleet back exactly as it was; a crashed run's expired lease lets no new
//! drill take over; two drills at once, one is refused by the other's lock.

use std::time::{Duration, SystemTime};

use anyhow::{Context, ensure};
use ocfail::exit_code;
use ocfail::kube::{LeaseSpec, Workloads};
use serde_json::Value;

pub(crate) mod matrix;

use crate::running::{Killed, Running};
use crate::util::{LiveSim, exit, text, wait_until};
use crate::world_state::FleetState;

/// The seed fleet's regions, in manifest order (the order the lock is taken in).
const REGIONS: [&str; 3] = ["us-east-1", "eu-central-1", "ap-southeast-2"];

/// The key of a region's lock Lease in a [`FleetState`].
fn lease_key(region: &str) -> String {
    format!("kube/{region}/Lease/{region}/ocfail-lock")
}

/// Starts a drill, waits until its progress shows `phase`, and kills it
/// with SIGKILL: nothing of the drill's own runs after that.
async fn kill_at(live: &LiveSim, phase: &'static str, hold: &str) -> Killed {
    let drill = Running::drill(live, hold, &["-v"]);
    tokio::task::spawn_blocking(move || {
        drill.wait_for(phase);
        drill.kill()
    })
    .await
    .unwrap()
}

/// What restoring after a kill found.
#[derive(Debug, Default)]
struct Restored {
    /// `ocfail restore` found the run's record and put things back.
    from_record: bool,
    /// The run had already restored everything itself (its
    /// `ocfail.dev/last-drill` is there and no record is left).
    by_the_run: bool,
    /// The run never recorded anything, and its lease is left in these
    /// regions (it expires by itself; see [`check_restored`]).
    lease_left_in: Vec<String>,
}

/// After `killed`: `ocfail restore --yes` exits 0 and the fleet is exactly
/// `before` (every object of every region and of Cloudflare; see
/// [`FleetState`]), except for
/// - `ocfail.dev/last-drill` on us-east-1's live Deployment, which must be
///   this run's;
/// - the lease of a run killed after taking the lock but before its record
///   landed: such a run changed nothing, and nothing tells `ocfail restore`
///   it is dead rather than between its lock and its record, so its lease
///   is left to expire (30 s without renewal). It must be held by exactly
///   this run, in a prefix of the regions in manifest order (the order the
///   lock is taken in), and restore must say so.
///
/// Then pool health comes back to what it was, and a second restore finds
/// nothing to restore and changes nothing.
async fn check_restored(
    live: &LiveSim,
    before: &FleetState,
    killed: &Killed,
) -> anyhow::Result<Restored> {
    let out = live.run(&["restore", "--yes", "-v"]).await;
    let stdout = text(&out.stdout);
    ensure!(
        out.status.code() == exit(exit_code::OK),
        "restore exited {:?}:\n{stdout}\n{}",
        out.status.code(),
        text(&out.stderr)
    );
    let after = FleetState::of(live.sim.world());
    let run = killed.run_id();
    let mut restored = Restored {
        from_record: stdout.contains("removed ocfail.dev/drill"),
        ..Restored::default()
    };
    for (key, last) in &after.last_drills {
        ensure!(
            key == "kube/us-east-1/Deployment/us-east-1/openclaw-api-blue",
            "ocfail.dev/last-drill written on {key}"
        );
        let last: Value = serde_json::from_str(last).context("ocfail.dev/last-drill is JSON")?;
        ensure!(
            run.is_some() && last["runId"].as_str() == run,
            "ocfail.dev/last-drill is not this run's ({run:?}): {last}"
        );
        restored.by_the_run = !restored.from_record;
    }
    let leases = after.leases();
    if !leases.is_empty() {
        ensure!(
            !restored.from_record && !restored.by_the_run,
            "a run that recorded its drill left its lock behind after restore:\n{leases:#?}\n{stdout}"
        );
        let run = run.context("a lease is left, but the run never printed its id")?;
        for (key, lease) in &leases {
            let holder = lease["spec"]["holderIdentity"].as_str().unwrap_or("");
            ensure!(
                holder.starts_with("ocfail/drill/") && holder.ends_with(&format!("/{run}")),
                "{key} is held by {holder}, not by the killed run {run}"
            );
        }
        let prefix: Vec<String> = REGIONS[..leases.len()]
            .iter()
            .map(|r| lease_key(r))
            .collect();
        let held: Vec<String> = leases.keys().map(|k| (*k).to_owned()).collect();
        ensure!(
            held.iter().all(|k| prefix.contains(k)),
            "the leases left are not a prefix of the manifest order: {held:?}"
        );
        ensure!(
            stdout.contains("left no record"),
            "restore does not explain the lease it leaves:\n{stdout}"
        );
        restored.lease_left_in = REGIONS[..leases.len()]
            .iter()
            .map(|r| (*r).to_owned())
            .collect();
    }
    let expected = after.without(
        &restored
            .lease_left_in
            .iter()
            .map(|r| lease_key(r))
            .collect::<Vec<_>>(),
    );
    let diff = expected.diff(before);
    ensure!(
        diff.is_empty(),
        "not as before the drill after restore:\n  {}\nrestore said:\n{stdout}",
        diff.join("\n  ")
    );

    // Health is observed by the monitor, not written by restore: it comes back
    // within a few monitor intervals once the pods are ready.
    until_healthy_as(live, before).await;

    let out = live.run(&["restore", "--yes", "-o", "json"]).await;
    let again: Value = serde_json::from_slice(&out.stdout).context("restore -o json")?;
    let summaries: Vec<&str> = again["regions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["summary"].as_str())
        .collect();
    ensure!(
        out.status.code() == exit(exit_code::OK) && summaries == ["nothing to restore"; 3],
        "a second restore is not a no-op (exit {:?}):\n{again:#}",
        out.status.code()
    );
    let diff = FleetState::of(live.sim.world()).diff(&after);
    ensure!(
        diff.is_empty(),
        "a second restore changed things:\n  {}",
        diff.join("\n  ")
    );
    Ok(restored)
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_each_step_then_restore_puts_everything_back() {
    for phase in [
        "taking the lock",
        "recording state",
        "injecting the outage",
        "waiting for failover",
        "holding",
        "restoring",
        "waiting for recovery",
    ] {
        let live = LiveSim::start().await;
        let before = FleetState::of(live.sim.world());
        // A short hold when the kill comes after it, so the test does not wait it out.
        let hold = if ["restoring", "waiting for recovery"].contains(&phase) {
            "200ms"
        } else {
            "60s"
        };
        let killed = kill_at(&live, phase, hold).await;
        assert!(
            killed.killed,
            "the drill ended before the kill at `{phase}`"
        );
        let restored = check_restored(&live, &before, &killed)
            .await
            .unwrap_or_else(|e| panic!("after a kill at `{phase}`: {e:#}"));
        eprintln!("killed at `{phase}`: {restored:?}");
        if ["holding", "waiting for failover"].contains(&phase) {
            assert!(restored.from_record, "{phase}: {restored:?}");
        }
        // No record is left, so the next drill passes its checks.
        let out = live
            .run(&["drill", "--region", "eu-central-1", "--dry-run"])
            .await;
        assert_eq!(
            out.status.code(),
            exit(exit_code::OK),
            "{}",
            text(&out.stdout)
        );
        live.sim.shutdown().await;
    }
}

/// Writes a renewTime ten minutes old into every lock Lease, through the
/// Lease API, as if the crashed holder had stopped renewing long ago.
async fn expire_leases(live: &LiveSim) {
    let long_ago =
        humantime::format_rfc3339_micros(SystemTime::now() - Duration::from_secs(600)).to_string();
    for region in REGIONS {
        let k = live.client(region).await;
        let lease = k.lease("ocfail-lock").await.unwrap().unwrap();
        let spec = LeaseSpec {
            name: lease.name.clone(),
            holder: lease.holder.clone().unwrap(),
            duration_seconds: 30,
            acquire_time: long_ago.clone(),
            renew_time: long_ago.clone(),
        };
        k.replace_lease(&lease, &spec).await.unwrap();
    }
}

/// Polls until pool health is what it was in `before`.
async fn until_healthy_as(live: &LiveSim, before: &FleetState) {
    wait_until(Duration::from_secs(20), "pool health as before", || async {
        FleetState::of(live.sim.world()).health == before.health
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_runs_expired_lease_lets_no_new_drill_take_over() {
    let live = LiveSim::start().await;
    let before = FleetState::of(live.sim.world());
    let killed = kill_at(&live, "holding", "60s").await;
    let crashed = killed.run_id().unwrap().to_owned();
    expire_leases(&live).await;
    let crashed_state = FleetState::of(live.sim.world());
    assert_eq!(crashed_state.leases().len(), 3);

    // Whatever the method or region, the record refuses the drill before any
    // lock is tried, so the expired leases are not taken over.
    for (region, method) in [
        ("us-east-1", "scale-to-zero"),
        ("us-east-1", "disable-pool"),
        ("eu-central-1", "scale-to-zero"),
    ] {
        let out = live
            .run(&["drill", "--region", region, "--method", method, "--yes"])
            .await;
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            exit(exit_code::REFUSED),
            "{region} {method}: {stdout}"
        );
        assert!(
            stdout.contains("unrestored-state:")
                && stdout.contains(&format!(
                    "-f {} restore` first",
                    live.fleet().canonicalize().unwrap().display()
                )),
            "{region} {method}: {stdout}"
        );
        let diff = FleetState::of(live.sim.world()).diff(&crashed_state);
        assert!(diff.is_empty(), "{region} {method} changed: {diff:#?}");
    }

    let out = live.run(&["restore", "--yes", "-v"]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "held the fleet lock while restoring, taking over any lease of run {crashed}"
        )),
        "{stdout}"
    );
    let diff = FleetState::of(live.sim.world()).diff(&before);
    assert!(diff.is_empty(), "{diff:#?}");
    until_healthy_as(&live, &before).await;

    // And now the drill runs, start to end.
    let out = live
        .run(&[
            "drill",
            "--region",
            "us-east-1",
            "--yes",
            "--hold",
            "1s",
            "--cloudflare-rps",
            "20",
            "-o",
            "json",
        ])
        .await;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // It ran: a verdict, not a refusal (a 1 s hold can miss the error-rate
    // budget by a request, which is not what this test is about).
    assert!(
        [exit(exit_code::OK), exit(exit_code::FAILED)].contains(&out.status.code()),
        "{doc:#}"
    );
    let checks = doc["regions"][0]["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["name"] == "inject" && c["verdict"] == "pass"),
        "{doc:#}"
    );
    let after = FleetState::of(live.sim.world());
    assert!(after.diff(&before).is_empty(), "{:#?}", after.diff(&before));
    let last = &after.last_drills["kube/us-east-1/Deployment/us-east-1/openclaw-api-blue"];
    assert!(last.contains(doc["runId"].as_str().unwrap()), "{last}");
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_drill_process_is_refused_by_the_first_ones_lock() {
    let live = LiveSim::start().await;
    let before = FleetState::of(live.sim.world());
    // ap-southeast-2, the last region the lock is taken in, answers slowly: the
    // first drill then holds us-east-1's lease for seconds before it records
    // or changes anything, and a second drill started then passes its checks
    // and meets the lock. (disable-pool keeps the LB answering meanwhile, so
    // the second one's traffic probe passes whatever the first has done.)
    let slow = ocfail::sim::KubeFault {
        latency_ms: 1000,
        ..Default::default()
    };
    live.sim.world().faults.set_kube("ap-southeast-2", slow);
    let first = Running::drill(&live, "0s", &["--method", "disable-pool"]);
    let lease_of = |w: &ocfail::sim::World, region: &str| {
        w.cluster(region)
            .unwrap()
            .list(ocfail::sim::cluster::Kind::Lease, None)
            .0
            .first()
            .and_then(|l| l["spec"]["holderIdentity"].as_str().map(str::to_owned))
    };
    wait_until(
        Duration::from_secs(30),
        "the first drill's lease in us-east-1",
        || async { lease_of(live.sim.world(), "us-east-1").is_some() },
    )
    .await;
    let holder = lease_of(live.sim.world(), "us-east-1").unwrap();

    let out = live
        .run(&["drill", "--region", "us-east-1", "--yes", "-v"])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), exit(exit_code::REFUSED), "{stdout}");
    assert!(
        stdout.contains(&format!("it is held by {holder}")),
        "the first drill's holder is named: {stdout}"
    );
    // The second took no lease: every one there is the first drill's.
    for region in REGIONS {
        let l = lease_of(live.sim.world(), region);
        assert!(l.as_ref().is_none_or(|h| *h == holder), "{region}: {l:?}");
    }

    live.sim.world().faults.clear();
    let out = tokio::task::spawn_blocking(move || first.child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        [exit(exit_code::OK), exit(exit_code::FAILED)].contains(&out.status.code()),
        "the first drill: {}",
        text(&out.stdout)
    );
    let diff = FleetState::of(live.sim.world()).diff(&before);
    assert!(diff.is_empty(), "{diff:#?}");
    live.sim.shutdown().await;
}
