//! Signals end to end (issue 13): real `ocfail` processes, real SIGINT,
//! SIGTERM and SIGHUP, against a simulator, one test per case of the
//! policy in `src/ops/supervise.rs` that is about processes; the seeded
//! random-signal property tests are in signals/property.rs. Fleet state is
//! compared whole ([`FleetState`]), not by a few fields.

use std::time::{Duration, Instant};

use ocfail::exit_code;
use ocfail::sim::cluster::Kind;
use ocfail::sim::{CloudflareFault, KubeFault};

mod property;

use crate::rollout::{NEW, colours, wave_2_cannot_get_ready};
use crate::running::Running;
use crate::util::{Launch, LiveSim, exit, exited, quoted_after, redact_run, run_pasted, text};
use crate::world_state::FleetState;

/// A drill of us-east-1 holding for `hold`, with `extra` arguments.
fn drill_args<'a>(hold: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "drill",
        "--region",
        "us-east-1",
        "--yes",
        "--hold",
        hold,
        "--cloudflare-rps",
        "20",
    ];
    args.extend_from_slice(extra);
    args
}

/// Fails, naming `when`, unless the simulator's state is exactly `before`
/// (once its controllers have caught up with the last writes).
pub(crate) async fn as_before(live: &LiveSim, before: &FleetState, when: &str) {
    let diff = FleetState::settled(live.sim.world(), Duration::from_secs(10), |now| {
        now.diff(before)
    })
    .await;
    assert!(
        diff.is_empty(),
        "the fleet is not as before {when}:\n  {}",
        diff.join("\n  ")
    );
}

/// Who holds the fleet lock in `region` now (the lease's holderIdentity).
fn holder_in(live: &LiveSim, region: &str) -> Option<String> {
    live.sim
        .world()
        .cluster(region)?
        .list(ocfail::sim::cluster::Kind::Lease, None)
        .0
        .first()
        .and_then(|l| l["spec"]["holderIdentity"].as_str().map(str::to_owned))
}

/// The run id at the end of a holder identity (`ocfail/KIND/BY/RUN`).
fn run_of(holder: &str) -> &str {
    holder.rsplit('/').next().unwrap_or(holder)
}

/// Differences from `before` other than the lease renewals a live run
/// makes every few seconds.
fn changed_besides_renewals(live: &LiveSim, before: &FleetState) -> Vec<String> {
    FleetState::of(live.sim.world())
        .diff(before)
        .into_iter()
        .filter(|d| !(d.contains("/Lease/") && d.contains(".spec.renewTime:")))
        .collect()
}

/// A drill holding an outage when its terminal goes away (SIGHUP to its
/// process group, stderr closed; stdout too with `stdout_too`): it restores
/// and exits 130.
async fn hang_up_while_holding(stdout_too: bool) {
    let live = LiveSim::start().await;
    let before = FleetState::of(live.sim.world());
    let drill = Running::spawn_detached(&live, &drill_args("30s", &[]), "holding");
    let out = tokio::task::spawn_blocking(move || {
        drill.wait_for("holding");
        drill.hang_up(stdout_too)
    })
    .await
    .unwrap();
    // The fleet first: it matters more than the exit code.
    as_before(&live, &before, "after SIGHUP").await;
    assert_eq!(
        out.code(),
        exit(exit_code::INTERRUPTED),
        "{}\n{}",
        out.status,
        out.stdout
    );
    if !stdout_too {
        insta::assert_snapshot!("drill_hung_up", redact_run(&out.stdout, Some(&live)));
    }
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hangup_while_holding_restores_and_exits_130_without_a_terminal() {
    hang_up_while_holding(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hangup_while_holding_with_every_output_closed_still_exits_130() {
    hang_up_while_holding(true).await;
}

/// A rollout in wave 2 when its terminal goes away (as
/// [`hang_up_while_holding`]): every region back on its old colour, exit 130.
async fn hang_up_mid_wave(stdout_too: bool) {
    let live = Launch::seed()
        .quick_rollout()
        .edit("readyTimeout: 3s", "readyTimeout: 1m")
        .start()
        .await;
    let before = FleetState::of(live.sim.world());
    let old = colours(&live).await;
    wave_2_cannot_get_ready(&live);
    let wave_2 = "eu-central-1: waiting for green to be ready";
    let rollout = Running::spawn_detached(&live, &["rollout", "--image", NEW, "--yes"], wave_2);
    let out = tokio::task::spawn_blocking(move || {
        rollout.wait_for(wave_2);
        rollout.hang_up(stdout_too)
    })
    .await
    .unwrap();
    live.sim.world().faults.clear();
    assert_eq!(colours(&live).await, old, "every region on its old colour");
    as_before(&live, &before, "after SIGHUP mid-wave").await;
    assert_eq!(
        out.code(),
        exit(exit_code::INTERRUPTED),
        "{}\n{}",
        out.status,
        out.stdout
    );
    if !stdout_too {
        insta::assert_snapshot!("rollout_hung_up", redact_run(&out.stdout, Some(&live)));
    }
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hangup_mid_wave_switches_every_region_back_and_exits_130_without_a_terminal() {
    hang_up_mid_wave(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hangup_mid_wave_with_every_output_closed_still_exits_130() {
    hang_up_mid_wave(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_refuses_a_holding_drill_by_name_and_the_drill_ends_as_it_would() {
    let live = LiveSim::start().await;
    let before = FleetState::of(live.sim.world());
    // Long enough for `ocfail restore` to start and answer in the middle.
    let drill = Running::spawn(&live, &drill_args("6s", &[]));
    let drill = tokio::task::spawn_blocking(move || {
        drill.wait_for("holding");
        drill
    })
    .await
    .unwrap();
    let holding = FleetState::of(live.sim.world());
    let holder = holder_in(&live, "us-east-1").expect("the drill holds the lock");
    let out = live.run(&["restore", "--yes"]).await;
    let stdout = exited(&out, exit_code::REFUSED);
    assert!(
        stdout.contains(&format!(
            "run {} ({holder}) is still running",
            run_of(&holder)
        )),
        "{stdout}"
    );
    let changed = changed_besides_renewals(&live, &holding);
    assert!(changed.is_empty(), "restore changed: {changed:#?}");

    let done = tokio::task::spawn_blocking(move || drill.finish(Duration::from_secs(60)))
        .await
        .unwrap();
    // Its own verdict (a short hold may miss the error budget by a
    // request), not a lost lock.
    assert!(
        [exit(exit_code::OK), exit(exit_code::FAILED)].contains(&done.code()),
        "{}\n{}",
        done.stdout,
        done.progress()
    );
    assert!(!done.stdout.contains("lock was lost"), "{}", done.stdout);
    as_before(&live, &before, "after the drill").await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_refuses_a_running_rollout_by_name_and_the_rollout_ends_as_it_would() {
    // One region, verified long enough for `ocfail restore` to answer meanwhile.
    let live = Launch::seed()
        .quick_rollout()
        .edit("verifyFor: 500ms", "verifyFor: 6s")
        .start()
        .await;
    let verifying = "ap-southeast-2: verifying traffic";
    let args = [
        "rollout",
        "--image",
        NEW,
        "--regions",
        "ap-southeast-2",
        "--yes",
    ];
    let rollout = Running::spawn(&live, &args);
    let rollout = tokio::task::spawn_blocking(move || {
        rollout.wait_for(verifying);
        rollout
    })
    .await
    .unwrap();
    let switched = FleetState::of(live.sim.world());
    let holder = holder_in(&live, "ap-southeast-2").expect("the rollout holds the lock");
    let out = live.run(&["restore", "--yes"]).await;
    let stdout = exited(&out, exit_code::REFUSED);
    assert!(
        stdout.contains(&format!(
            "run {} ({holder}) is still running",
            run_of(&holder)
        )),
        "{stdout}"
    );
    let changed = changed_besides_renewals(&live, &switched);
    assert!(changed.is_empty(), "restore changed: {changed:#?}");

    let done = tokio::task::spawn_blocking(move || rollout.finish(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(
        done.code(),
        exit(exit_code::OK),
        "{}\n{}",
        done.stdout,
        done.progress()
    );
    assert!(!done.stdout.contains("lock was lost"), "{}", done.stdout);
    let after = colours(&live).await;
    assert_eq!(
        after[0],
        ("green".to_owned(), NEW.to_owned(), 0),
        "promoted"
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_refused_by_a_running_drill_names_it_and_does_not_send_the_user_to_restore() {
    let live = LiveSim::start().await;
    let before = FleetState::of(live.sim.world());
    let first = Running::spawn(&live, &drill_args("30s", &[]));
    let first = tokio::task::spawn_blocking(move || {
        first.wait_for("holding");
        first
    })
    .await
    .unwrap();
    let holder = holder_in(&live, "us-east-1").expect("the first drill holds the lock");
    let out = live
        .run(&["drill", "--region", "eu-central-1", "--yes"])
        .await;
    let stdout = exited(&out, exit_code::REFUSED);
    // The running drill is named, and nothing sends the user to restore.
    let named = format!(
        "locked: drill run {} is still running in us-east-1 ({holder}, lease renewed ",
        run_of(&holder)
    );
    assert!(stdout.contains(&named), "{stdout}");
    insta::assert_snapshot!(
        "drill_refused_running_drill",
        redact_run(&stdout, Some(&live))
    );

    let out = tokio::task::spawn_blocking(move || {
        first.interrupt();
        first.finish(Duration::from_secs(60))
    })
    .await
    .unwrap();
    assert_eq!(out.code(), exit(exit_code::INTERRUPTED), "{}", out.stdout);
    as_before(&live, &before, "after both drills").await;
    live.sim.shutdown().await;
}

/// Each region's resourceVersion (any Kubernetes write bumps it) and the
/// Cloudflare objects written through the API, from the event log.
fn writes(live: &LiveSim) -> (Vec<String>, Vec<String>) {
    let world = live.sim.world();
    // Every stored object's resourceVersion: any write or delete changes
    // one. The run history (ConfigMap ocfail-history) is left out: every
    // run records itself there, interrupted ones too.
    let mut versions = Vec::new();
    for (region, cluster) in &world.clusters {
        for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Pod) {
            for obj in cluster.list(kind, None).0 {
                let name = obj["metadata"]["name"].as_str().unwrap_or("");
                if kind == Kind::ConfigMap && name == ocfail::ops::history::CONFIG_MAP {
                    continue;
                }
                versions.push(format!(
                    "{region}/{kind:?}/{name}@{}",
                    obj["metadata"]["resourceVersion"].as_str().unwrap_or("")
                ));
            }
        }
    }
    let cloudflare = world
        .log
        .snapshot()
        .into_iter()
        .filter(|e| e.source == "cloudflare" && e.detail.contains("through the API"))
        .map(|e| format!("{}: {}", e.kind, e.detail))
        .collect();
    (versions, cloudflare)
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_slow_steady_state_check_writes_nothing() {
    let live = LiveSim::start().await;
    let before = FleetState::of(live.sim.world());
    let slow = KubeFault {
        latency_ms: 1500,
        ..Default::default()
    };
    live.sim.world().faults.set_kube("us-east-1", slow);
    let written = writes(&live);
    let drill = Running::spawn(&live, &drill_args("30s", &[]));
    let out = tokio::task::spawn_blocking(move || {
        // The moment: inside a check whose every call takes 1.5 s.
        drill.wait_for("checking steady state");
        drill.interrupt();
        drill.finish(Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert_eq!(
        out.code(),
        exit(exit_code::INTERRUPTED),
        "{}\n{}",
        out.stdout,
        out.progress()
    );
    insta::assert_snapshot!(
        "drill_stopped_before_the_outage",
        redact_run(&out.stdout, Some(&live))
    );
    assert_eq!(writes(&live), written, "a write reached the simulator");
    live.sim.world().faults.clear();
    as_before(&live, &before, "after Ctrl-C in the steady-state check").await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_waiting_for_recovery_stops_the_wait_at_once() {
    let live = LiveSim::start().await;
    let before = FleetState::of(live.sim.world());
    let drill = Running::spawn(&live, &drill_args("1s", &[]));
    let drill = tokio::task::spawn_blocking(move || {
        drill.wait_for("holding");
        drill
    })
    .await
    .unwrap();
    // Cloudflare fails from here on: the restore (of a scaled region) does
    // not need it, and without it recovery is never seen, so the drill
    // would wait out its whole recovery budget.
    live.sim.world().faults.set_cloudflare(CloudflareFault {
        error_rate: 1.0,
        ..Default::default()
    });
    let (out, took) = tokio::task::spawn_blocking(move || {
        drill.wait_for("waiting for recovery");
        let sent = Instant::now();
        drill.signal("-TERM");
        let out = drill.finish(Duration::from_secs(60));
        (out, sent.elapsed())
    })
    .await
    .unwrap();
    assert_eq!(
        out.code(),
        exit(exit_code::INTERRUPTED),
        "{}\n{}",
        out.stdout,
        out.progress()
    );
    insta::assert_snapshot!(
        "drill_terminated_waiting_for_recovery",
        redact_run(&out.stdout, Some(&live))
    );
    // "At once" on a loaded machine: well under the 1 min 33 s budget it
    // would otherwise wait out.
    assert!(
        took < Duration::from_secs(5),
        "exited {took:?} after SIGTERM"
    );
    live.sim.world().faults.clear();
    as_before(&live, &before, "after SIGTERM while waiting for recovery").await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_ctrl_c_during_the_restore_lets_it_finish_and_exits_130() {
    let live = LiveSim::start().await;
    let before = FleetState::of(live.sim.world());
    let drill = Running::spawn(&live, &drill_args("1s", &[]));
    let drill = tokio::task::spawn_blocking(move || {
        drill.wait_for("holding");
        drill
    })
    .await
    .unwrap();
    // Every call of the restore takes 0.4 s, so the Ctrl-C sent once it has
    // started lands in the middle of it.
    let slow = KubeFault {
        latency_ms: 400,
        ..Default::default()
    };
    live.sim.world().faults.set_kube("us-east-1", slow);
    let out = tokio::task::spawn_blocking(move || {
        drill.wait_for("restoring");
        drill.interrupt();
        drill.finish(Duration::from_secs(60))
    })
    .await
    .unwrap();
    assert_eq!(
        out.code(),
        exit(exit_code::INTERRUPTED),
        "{}\n{}",
        out.stdout,
        out.progress()
    );
    insta::assert_snapshot!(
        "drill_interrupted_during_the_restore",
        redact_run(&out.stdout, Some(&live))
    );
    live.sim.world().faults.clear();
    as_before(&live, &before, "after Ctrl-C during the restore").await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_signals_during_a_rollouts_switch_back_leave_a_command_that_finishes_it_anywhere() {
    let live = Launch::seed()
        .quick_rollout()
        .edit("readyTimeout: 3s", "readyTimeout: 1m")
        .start()
        .await;
    let before = FleetState::of(live.sim.world());
    wave_2_cannot_get_ready(&live);
    let args = [
        "rollout",
        "--image",
        NEW,
        "--yes",
        "--request-timeout",
        "1s",
    ];
    let rollout = Running::spawn(&live, &args);
    let rollout = tokio::task::spawn_blocking(move || {
        rollout.wait_for("eu-central-1: waiting for green to be ready");
        rollout
    })
    .await
    .unwrap();
    // Wave 1's region stops answering: switching it back stalls.
    let hang = KubeFault {
        hang: true,
        ..Default::default()
    };
    live.sim.world().faults.set_kube("ap-southeast-2", hang);
    let out = tokio::task::spawn_blocking(move || {
        rollout.signal("-TERM");
        rollout.wait_for("ap-southeast-2: rolling back to blue");
        rollout.signal("-HUP");
        rollout.finish(Duration::from_secs(60))
    })
    .await
    .unwrap();
    assert_eq!(
        out.code(),
        exit(exit_code::RESTORE_INCOMPLETE),
        "{}\n{}",
        out.stdout,
        out.progress()
    );
    // A switch-back a second signal stopped is not claimed.
    insta::assert_snapshot!(
        "rollout_stopped_switching_back",
        redact_run(&out.stdout, Some(&live))
    );
    let command = quoted_after(&out.stdout, "records are left on the clusters: run ").to_owned();
    let fleet = live.fleet().canonicalize().unwrap();
    assert!(
        command.ends_with(&format!("-f {} restore", fleet.display())),
        "{command}"
    );

    live.sim.world().faults.clear();
    let out = tokio::task::spawn_blocking(move || run_pasted(&command, "--yes"))
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stdout)
    );
    as_before(&live, &before, "after the pasted restore").await;
    live.sim.shutdown().await;
}

/// A signal while a rollout makes its promotions final (every wave passed;
/// the old colour is being scaled to 0): that finishes first, as a restore
/// does, and the report says what happened, not a switch-back.
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_while_a_rollout_makes_its_promotions_final_lets_that_finish() {
    let live = Launch::seed().quick_rollout().start().await;
    let rollout = Running::spawn(&live, &["rollout", "--image", NEW, "--yes"]);
    let rollout = tokio::task::spawn_blocking(move || {
        rollout.wait_for("us-east-1: verifying traffic");
        rollout
    })
    .await
    .unwrap();
    // Every call from now on takes 0.4 s, so the finish lasts a while.
    for region in ["us-east-1", "eu-central-1", "ap-southeast-2"] {
        let slow = KubeFault {
            latency_ms: 400,
            ..Default::default()
        };
        live.sim.world().faults.set_kube(region, slow);
    }
    let out = tokio::task::spawn_blocking(move || {
        rollout.wait_for("scaling openclaw-api-blue to 0");
        rollout.interrupt();
        rollout.finish(Duration::from_secs(60))
    })
    .await
    .unwrap();
    live.sim.world().faults.clear();
    for region in colours(&live).await {
        assert_eq!(region, ("green".to_owned(), NEW.to_owned(), 0), "promoted");
    }
    assert_eq!(
        out.code(),
        exit(exit_code::INTERRUPTED),
        "{}\n{}",
        out.stdout,
        out.progress()
    );
    insta::assert_snapshot!(
        "rollout_interrupted_while_finishing",
        redact_run(&out.stdout, Some(&live))
    );
    live.sim.shutdown().await;
}
