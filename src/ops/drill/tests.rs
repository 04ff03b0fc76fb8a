//! The drill in-process, against the fakes of `ops/fake.rs` under Tokio's
//! paused clock, at Cloudflare's production timings (60 s monitor checks):
//! each cell of the signal policy, the API failures and their exit codes.

use std::time::Duration;

use crate::cloudflare::CfErrorKind;
use crate::exit_code;
use crate::facts::drill::{DrillFact, DrillNote, Refusal, Stop};
use crate::facts::{Fact, Findings, Note, Run};
use crate::facts::{Step, Verdict};
use crate::kube::KubeErrorKind;
use crate::manifest::DrillMethod;
use crate::ops::fake::{FakeFleet, Fault};
use crate::ops::supervise::Supervisor;
use crate::report::model::Report;
use crate::signal::{SignalEvent, SignalHandler, SignalSender};

use super::{DrillOptions, DrillOutcome, run};

fn opts(hold: Duration) -> DrillOptions {
    DrillOptions {
        region: "us-east-1".to_owned(),
        hold,
        method: DrillMethod::ScaleToZero,
        dry_run: false,
        overrides: Vec::new(),
        guard_overrides: Vec::new(),
        run_id: "r1".to_owned(),
    }
}

/// Sends `signals` at the given times after the drill starts.
fn at(tx: &SignalSender, times: &[(u64, SignalEvent)]) {
    for &(ms, s) in times {
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            tx.send(s);
        });
    }
}

/// Runs a drill of us-east-1 on `world`, with `signals` at their times.
async fn drill(
    world: &FakeFleet,
    o: &DrillOptions,
    signals: &[(u64, SignalEvent)],
) -> (DrillOutcome, Vec<String>) {
    let c = world.clients();
    let (mut handler, tx) = SignalHandler::channel();
    at(&tx, signals);
    let mut phases = Vec::new();
    let mut progress =
        |r: &str, p: &Step| phases.push(format!("{r}: {}", crate::report::words::step(p)));
    let outcome = {
        let mut sup = Supervisor::new(&mut handler, &mut progress);
        run(&c, o, &mut sup).await
    };
    (outcome, phases)
}

fn report(f: &Findings) -> Report {
    crate::report::words::conclude(&Run::start("drill", "t"), f.clone())
}

/// The drill's facts among `name`'s checks.
fn facts<'a>(f: &'a Findings, name: &str) -> Vec<&'a DrillFact> {
    f.regions
        .iter()
        .filter(|r| r.region == name)
        .flat_map(|r| &r.checks)
        .filter_map(|c| match &c.fact {
            Fact::Drill(d) => Some(d),
            _ => None,
        })
        .collect()
}

fn region<'a>(r: &'a Report, name: &str) -> &'a crate::report::model::RegionReport {
    r.regions
        .iter()
        .find(|x| x.region == name)
        .unwrap_or_else(|| panic!("no {name} in {r:#?}"))
}

fn check<'a>(r: &'a Report, region_name: &str, check: &str) -> &'a crate::report::model::Check {
    region(r, region_name)
        .checks
        .iter()
        .find(|c| c.name == check)
        .unwrap_or_else(|| panic!("no check {check} in {:#?}", region(r, region_name)))
}

#[tokio::test(start_paused = true)]
async fn at_cloudflares_real_timings_the_drill_passes_and_leaves_the_fleet_as_it_was() {
    let world = FakeFleet::seed();
    let before = world.world();
    let started = tokio::time::Instant::now();
    let (out, phases) = drill(&world, &opts(Duration::from_secs(60)), &[]).await;
    let r = report(&out.findings);
    assert_eq!(r.exit_code, exit_code::OK, "{r:#?}");
    let us = region(&r, "us-east-1");
    // The monitor notices 90 s after the pods are gone; the budget of a 60 s
    // monitor (2 checks, 3 tries of 5 s, 30 s slack) is 165 s.
    assert_eq!(us.timings["budgetFailoverMs"], 165_000);
    let unhealthy = us.timings["unhealthyAfterMs"];
    assert!((90_000..=91_000).contains(&unhealthy), "{unhealthy}");
    assert!(us.timings["recoveredAfterMs"] >= 90_000, "{us:#?}");
    assert_eq!(world.world(), before);
    assert!(started.elapsed() >= Duration::from_secs(240));
    assert!(
        phases.iter().any(|p| p == "us-east-1: holding"),
        "{phases:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_signal_before_the_injection_changes_nothing_even_on_a_slow_api() {
    for signal in [
        SignalEvent::Interrupt,
        SignalEvent::Terminate,
        SignalEvent::Hangup,
    ] {
        let world = FakeFleet::seed();
        world.region("us-east-1").set_fault(Fault {
            latency: Duration::from_millis(1500),
            ..Fault::default()
        });
        let before = world.world();
        let (out, _) = drill(&world, &opts(Duration::from_secs(5)), &[(500, signal)]).await;
        let r = report(&out.findings);
        assert_eq!(r.exit_code, exit_code::INTERRUPTED, "{r:#?}");
        assert_eq!(world.world(), before, "{signal:?} changed something");
        assert!(
            world.region("us-east-1").state().writes.is_empty(),
            "no write at all after {signal:?}"
        );
        let stopped = DrillFact::StoppedBefore {
            stop: Some(Stop::Signal(signal)),
        };
        assert!(
            facts(&out.findings, "us-east-1").contains(&&stopped),
            "{r:#?}"
        );
        let stopped = check(&r, "us-east-1", "stopped");
        assert!(stopped.detail.contains(signal.name()), "{}", stopped.detail);
    }
}

#[tokio::test(start_paused = true)]
async fn a_signal_while_waiting_for_failover_or_holding_restores_then_exits_130() {
    // 30 s: waiting for the monitor; 100 s: holding (the pool went down at 90 s).
    for when in [30_000, 100_000] {
        let world = FakeFleet::seed();
        let before = world.world();
        let started = tokio::time::Instant::now();
        let (out, _) = drill(
            &world,
            &opts(Duration::from_secs(600)),
            &[(when, SignalEvent::Hangup)],
        )
        .await;
        let r = report(&out.findings);
        assert_eq!(r.exit_code, exit_code::INTERRUPTED, "{r:#?}");
        assert_eq!(world.world(), before);
        // Not judged: everything measured so far was in budget.
        assert_eq!(
            region(&r, "us-east-1").verdict,
            Verdict::Inconclusive,
            "{r:#?}"
        );
        assert_ne!(check(&r, "us-east-1", "shifted").verdict, Verdict::Fail);
        // Stops at once: no recovery watch after a stop.
        assert!(
            started.elapsed() < Duration::from_millis(when) + Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let interrupted = Note::Drill(DrillNote::Interrupted {
            signal: SignalEvent::Hangup,
        });
        assert!(out.findings.notes.contains(&interrupted), "{:?}", r.notes);
    }
}

#[tokio::test(start_paused = true)]
async fn one_signal_during_the_restore_lets_it_finish_and_a_second_leaves_the_command() {
    // Every write of the restore takes 20 s, so signals land inside it.
    let world = FakeFleet::seed();
    let before = world.world();
    let slow_restore = |world: &FakeFleet| {
        let us = world.region("us-east-1").clone();
        tokio::spawn(async move {
            // Holding ends at 90 s + 10 s; the restore starts right after.
            tokio::time::sleep(Duration::from_secs(95)).await;
            us.set_fault(Fault {
                latency: Duration::from_secs(20),
                ..Fault::default()
            });
        });
    };
    slow_restore(&world);
    let (out, _) = drill(
        &world,
        &opts(Duration::from_secs(10)),
        &[(105_000, SignalEvent::Interrupt)],
    )
    .await;
    let r = report(&out.findings);
    assert_eq!(r.exit_code, exit_code::INTERRUPTED, "{r:#?}");
    world.region("us-east-1").set_fault(Fault::default());
    assert_eq!(
        world.world(),
        before,
        "the restore went on after one signal"
    );

    let world = FakeFleet::seed();
    slow_restore(&world);
    let (out, _) = drill(
        &world,
        &opts(Duration::from_secs(10)),
        &[
            (105_000, SignalEvent::Interrupt),
            (106_000, SignalEvent::Terminate),
        ],
    )
    .await;
    let r = report(&out.findings);
    assert_eq!(r.exit_code, exit_code::RESTORE_INCOMPLETE, "{r:#?}");
    let left = facts(&out.findings, "us-east-1");
    assert!(
        left.iter().any(|f| matches!(f, DrillFact::RestoreLeft { command }
            if command.ends_with("/usr/local/bin/ocfail -f /etc/ocfail/fleet.yaml restore --region us-east-1"))),
        "{left:#?}"
    );
    assert!(
        region(&r, "us-east-1")
            .summary
            .contains("-f /etc/ocfail/fleet.yaml"),
        "{}",
        region(&r, "us-east-1").summary
    );
}

#[tokio::test(start_paused = true)]
async fn a_signal_while_waiting_for_recovery_stops_the_wait_at_once() {
    let world = FakeFleet::seed();
    let before = world.world();
    let started = tokio::time::Instant::now();
    // Failover at 90 s, hold 10 s, restore at ~100 s, recovery 90 s later.
    let (out, _) = drill(
        &world,
        &opts(Duration::from_secs(10)),
        &[(120_000, SignalEvent::Terminate)],
    )
    .await;
    let r = report(&out.findings);
    assert_eq!(r.exit_code, exit_code::INTERRUPTED, "{r:#?}");
    assert_eq!(world.world(), before);
    assert!(
        started.elapsed() < Duration::from_secs(125),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        check(&r, "us-east-1", "recovered").verdict,
        Verdict::Skipped
    );
}

#[tokio::test(start_paused = true)]
async fn cloudflare_unreadable_during_failover_restores_within_the_budget_and_blames_nobody() {
    for (name, error, hang) in [
        ("hanging", None, true),
        ("5xx", Some(CfErrorKind::Server), false),
        ("429", Some(CfErrorKind::RateLimited), false),
    ] {
        let world = FakeFleet::seed();
        let before = world.world();
        let cf = world.cf.clone();
        tokio::spawn(async move {
            // After the steady-state checks, before the monitor notices.
            tokio::time::sleep(Duration::from_secs(10)).await;
            let mut s = cf.state();
            s.error = error;
            s.hang = hang;
        });
        let started = tokio::time::Instant::now();
        let (out, _) = drill(&world, &opts(Duration::from_secs(5)), &[]).await;
        let elapsed = started.elapsed();
        let r = report(&out.findings);
        // Could not check, not a failed failover; the other regions were
        // not observed, so they are inconclusive, never failed.
        assert_eq!(r.exit_code, exit_code::UNAVAILABLE, "{name}: {r:#?}");
        assert_eq!(region(&r, "us-east-1").verdict, Verdict::Error, "{name}");
        for other in ["eu-central-1", "ap-southeast-2"] {
            assert_eq!(
                region(&r, other).verdict,
                Verdict::Inconclusive,
                "{name}: {r:#?}"
            );
        }
        assert!(
            r.regions.iter().all(|x| x.verdict != Verdict::Fail),
            "{name}"
        );
        // Down no longer than the budget (165 s), whatever Cloudflare does.
        let us = world.region("us-east-1").state();
        let down = us.when("scale openclaw-api-blue 0").expect("injected");
        let up = us.when("scale openclaw-api-blue 3").expect("restored");
        assert!(
            up - down <= Duration::from_secs(166),
            "{name}: down for {:?}",
            up - down
        );
        drop(us);
        world.cf.state().error = None;
        world.cf.state().hang = false;
        assert_eq!(world.world(), before, "{name}");
        // Every wait has its deadline: failover (165 s), then the recovery
        // watch (210 s), whatever Cloudflare does.
        assert!(
            elapsed <= Duration::from_secs(10 + 165 + 210 + 15),
            "{name}: {elapsed:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_region_is_could_not_check_not_a_refusal() {
    let world = FakeFleet::seed();
    world.region("eu-central-1").set_fault(Fault {
        error: Some(KubeErrorKind::Unreachable),
        ..Fault::default()
    });
    let (out, _) = drill(&world, &opts(Duration::from_secs(5)), &[]).await;
    let r = report(&out.findings);
    assert_eq!(r.exit_code, exit_code::UNAVAILABLE, "{r:#?}");
    assert!(world.region("us-east-1").state().writes.is_empty());

    let world = FakeFleet::seed();
    world.region("us-east-1").set_fault(Fault {
        error: Some(KubeErrorKind::Forbidden),
        ..Fault::default()
    });
    let (out, _) = drill(&world, &opts(Duration::from_secs(5)), &[]).await;
    assert_eq!(report(&out.findings).exit_code, exit_code::UNAVAILABLE);
}

#[tokio::test(start_paused = true)]
async fn a_drill_of_another_region_while_one_runs_names_the_running_one() {
    let world = FakeFleet::seed();
    let other = FakeFleet {
        fleet: world.fleet.clone(),
        kube: world.kube.clone(),
        cf: world.cf.clone(),
    };
    let first = tokio::spawn(async move {
        let (out, _) = drill(
            &other,
            &opts(Duration::from_secs(300)),
            &[(200_000, SignalEvent::Interrupt)],
        )
        .await;
        out
    });
    tokio::time::sleep(Duration::from_secs(120)).await;
    let second = DrillOptions {
        region: "eu-central-1".to_owned(),
        run_id: "r2".to_owned(),
        ..opts(Duration::from_secs(5))
    };
    let (out, _) = drill(&world, &second, &[]).await;
    let r = report(&out.findings);
    assert_eq!(r.exit_code, exit_code::REFUSED, "{r:#?}");
    let refusals: Vec<&Refusal> = facts(&out.findings, "eu-central-1")
        .into_iter()
        .filter_map(|f| match f {
            DrillFact::Refused(why) => Some(why),
            _ => None,
        })
        .collect();
    assert!(
        matches!(refusals.as_slice(), [Refusal::RunningElsewhere { run, .. }] if run == "r1"),
        "{refusals:#?}"
    );
    let first = first.await.unwrap();
    assert_eq!(report(&first.findings).exit_code, exit_code::INTERRUPTED);
}

#[tokio::test(start_paused = true)]
async fn a_monitor_that_never_sees_the_outage_is_inconclusive_and_shifted_is_not_failed() {
    let world = FakeFleet::seed();
    world.cf.state().detect = Duration::from_secs(100_000);
    let (out, _) = drill(&world, &opts(Duration::from_secs(5)), &[]).await;
    let r = report(&out.findings);
    assert_eq!(r.exit_code, exit_code::INCONCLUSIVE, "{r:#?}");
}

#[tokio::test(start_paused = true)]
async fn nothing_injected_is_an_error_without_failed_timings() {
    let world = FakeFleet::seed();
    world.region("us-east-1").set_fault(Fault::default());
    let us = world.region("us-east-1").clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        us.set_fault(Fault {
            write_error: Some(KubeErrorKind::Forbidden),
            ..Fault::default()
        });
    });
    let (out, _) = drill(&world, &opts(Duration::from_secs(5)), &[]).await;
    let r = report(&out.findings);
    for t in ["unhealthy", "shifted", "recovered"] {
        let c = check(&r, "us-east-1", t);
        assert_eq!(c.verdict, Verdict::Skipped, "{t}: {}", c.detail);
    }
}
