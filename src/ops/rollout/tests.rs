//! Rollouts in-process, against the fakes of `ops/fake.rs` under Tokio's
//! paused clock: the supervisor's cells, 409 Conflicts, and exit codes.

use std::time::Duration;

use crate::exit_code;
use crate::facts::Step;
use crate::facts::{Findings, Run};
use crate::kube::KubeErrorKind;
use crate::ops::fake::{FakeFleet, Fault};
use crate::ops::supervise::Supervisor;
use crate::report::model::Report;
use crate::signal::{SignalEvent, SignalHandler};

use super::{RolloutOptions, run};

const NEW: &str = "registry.example/openclaw-api:1.5.0";

fn opts(image: Option<&str>) -> RolloutOptions {
    RolloutOptions {
        image: image.map(str::to_owned),
        regions: None,
        dry_run: false,
        keep_previous: false,
        guard_overrides: Vec::new(),
        run_id: "r1".to_owned(),
    }
}

async fn rollout(world: &FakeFleet, o: &RolloutOptions, signals: &[(u64, SignalEvent)]) -> Report {
    let c = world.clients();
    let (mut handler, tx) = SignalHandler::channel();
    for &(ms, s) in signals {
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            tx.send(s);
        });
    }
    let mut progress = |_: &str, _: &Step| {};
    let findings: Findings = {
        let mut sup = Supervisor::new(&mut handler, &mut progress);
        run(&c, o, &mut sup).await
    };
    crate::report::words::conclude(&Run::start("rollout", "t"), findings)
}

/// Every region's live colour and image.
fn live(world: &FakeFleet) -> Vec<String> {
    world
        .kube
        .iter()
        .map(|k| {
            let s = k.state();
            let colour = s.services["openclaw-api"].selector["ocfail.dev/color"].clone();
            let image = s.deployments[&format!("openclaw-api-{colour}")]
                .image
                .clone();
            format!("{colour} {image}")
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_good_image_is_promoted_everywhere_and_the_records_are_gone() {
    let world = FakeFleet::seed();
    let r = rollout(&world, &opts(Some(NEW)), &[]).await;
    assert_eq!(r.exit_code, exit_code::OK, "{r:#?}");
    assert_eq!(live(&world), vec![format!("green {NEW}"); 3]);
    assert!(
        !world.world().contains("ocfail.dev/rollout"),
        "{}",
        world.world()
    );
    assert!(!world.world().contains("lease"), "{}", world.world());
}

#[tokio::test(start_paused = true)]
async fn conflicts_on_every_kind_of_write_are_retried_not_failed() {
    let world = FakeFleet::seed();
    for k in &world.kube {
        // A real API server bumps resourceVersion on every write, the
        // controllers' too: a read-modify-write meets 409s in passing.
        k.set_fault(Fault {
            conflicts: 3,
            ..Fault::default()
        });
    }
    let r = rollout(&world, &opts(Some(NEW)), &[]).await;
    assert_eq!(r.exit_code, exit_code::OK, "{r:#?}");
    assert_eq!(live(&world), vec![format!("green {NEW}"); 3]);
}

#[tokio::test(start_paused = true)]
async fn a_signal_before_the_lock_changes_nothing() {
    for s in [
        SignalEvent::Interrupt,
        SignalEvent::Terminate,
        SignalEvent::Hangup,
    ] {
        let world = FakeFleet::seed();
        for k in &world.kube {
            k.set_fault(Fault {
                latency: Duration::from_secs(2),
                ..Fault::default()
            });
        }
        let before = world.world();
        let r = rollout(&world, &opts(Some(NEW)), &[(500, s)]).await;
        assert_eq!(r.exit_code, exit_code::INTERRUPTED, "{r:#?}");
        assert_eq!(world.world(), before);
        assert!(
            world.kube.iter().all(|k| k.state().writes.is_empty()),
            "{s:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_signal_mid_wave_switches_every_changed_region_back() {
    for s in [
        SignalEvent::Interrupt,
        SignalEvent::Terminate,
        SignalEvent::Hangup,
    ] {
        let world = FakeFleet::seed();
        for k in &world.kube {
            k.set_fault(Fault {
                latency: Duration::from_secs(1),
                ..Fault::default()
            });
        }
        let before = world.world();
        // Reads and the lock take ~6 s; wave 1 (ap-southeast-2) is then
        // well under way at 15 s.
        let r = rollout(&world, &opts(Some(NEW)), &[(15_000, s)]).await;
        assert_eq!(r.exit_code, exit_code::INTERRUPTED, "{s:?}: {r:#?}");
        assert_eq!(world.world(), before, "{s:?}");
        assert!(
            world.region("ap-southeast-2").state().writes.len() > 2,
            "the signal landed after changes began"
        );
        assert!(
            r.notes.iter().any(|n| n.contains(s.name())),
            "{:?}",
            r.notes
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_second_signal_leaves_the_records_and_the_exact_restore_command() {
    let world = FakeFleet::seed();
    for k in &world.kube {
        k.set_fault(Fault {
            latency: Duration::from_secs(1),
            ..Fault::default()
        });
    }
    let r = rollout(
        &world,
        &opts(Some(NEW)),
        &[
            (15_000, SignalEvent::Interrupt),
            (15_500, SignalEvent::Interrupt),
        ],
    )
    .await;
    assert_eq!(r.exit_code, exit_code::RESTORE_INCOMPLETE, "{r:#?}");
    let text = format!("{r:?}");
    assert!(
        text.contains("/usr/local/bin/ocfail -f /etc/ocfail/fleet.yaml restore"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_region_is_could_not_check() {
    let world = FakeFleet::seed();
    world.region("eu-central-1").set_fault(Fault {
        error: Some(KubeErrorKind::Unreachable),
        ..Fault::default()
    });
    let r = rollout(&world, &opts(Some(NEW)), &[]).await;
    assert_eq!(r.exit_code, exit_code::UNAVAILABLE, "{r:#?}");
}
