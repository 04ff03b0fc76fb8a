//! `ocfail restore` in-process, against the fakes of `ops/fake.rs`: it
//! takes over only runs that are provably gone, and refuses a live one by
//! name.

use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use crate::exit_code;
use crate::facts::Note;
use crate::facts::lock::{Alive, LockFact};
use crate::kube::{LeaseState, Workloads};
use crate::ops::fake::{FakeFleet, FakeKube};
use crate::ops::process::ProcessId;
use crate::ops::record::DrillRecord;
use crate::ops::snapshot::{DRILL_ANNOTATION, LOCK_LEASE};

use super::{RestoreOptions, fleet};

const RUN: &str = "20261202t100000-abc123";
const HOLDER: &str = "ocfail/drill/alice@laptop/20261202t100000-abc123";

/// What a drill of us-east-1 by `process` leaves mid-outage: its record,
/// the Deployment at 0, and its lease renewed `renewed_ago` ago in every
/// region.
async fn mid_drill(world: &FakeFleet, process: Option<ProcessId>, renewed_ago: Duration) {
    let record = DrillRecord {
        run_id: RUN.to_owned(),
        replicas: 3,
        method: "scale-to-zero".to_owned(),
        started_at: "2026-12-02T10:00:00Z".to_owned(),
        by: "alice@laptop".to_owned(),
        pool_enabled: None,
        pool_id: None,
        process,
    };
    let us = world.region("us-east-1");
    us.annotate_deployment(
        "openclaw-api-blue",
        DRILL_ANNOTATION,
        Some(&record.to_json()),
    )
    .await
    .unwrap();
    us.scale("openclaw-api-blue", 0).await.unwrap();
    for k in &world.kube {
        hold(k, renewed_ago);
    }
}

fn hold(k: &FakeKube, renewed_ago: Duration) {
    let at = SystemTime::now() - renewed_ago;
    k.state().leases.insert(
        LOCK_LEASE.to_owned(),
        LeaseState {
            name: LOCK_LEASE.to_owned(),
            holder: Some(HOLDER.to_owned()),
            duration_seconds: Some(30),
            renew_time: Some(humantime::format_rfc3339_micros(at).to_string()),
            resource_version: Some("1".to_owned()),
        },
    );
}

async fn restore(world: &FakeFleet) -> crate::facts::Findings {
    let c = world.clients();
    let opts = RestoreOptions {
        ready_timeout: Duration::from_secs(60),
        retry_for: Duration::from_secs(60),
        poll: Duration::from_millis(250),
    };
    fleet(&c, None, opts, "restore-run", &CancellationToken::new()).await
}

fn replicas(world: &FakeFleet) -> i32 {
    world.region("us-east-1").state().deployments["openclaw-api-blue"].replicas
}

#[tokio::test(start_paused = true)]
async fn a_run_whose_process_is_alive_here_is_refused_by_name() {
    let world = FakeFleet::seed();
    // This test process stands in for a drill that is still running.
    mid_drill(&world, ProcessId::current(), Duration::from_secs(2)).await;
    let f = restore(&world).await;
    assert_eq!(f.exit_code, Some(exit_code::REFUSED), "{f:#?}");
    assert!(
        matches!(
            &f.notes[0],
            Note::Lock(LockFact::LiveRun { run, why: Alive::ProcessHere { .. }, .. }) if run == RUN
        ),
        "{:?}",
        f.notes
    );
    let why = crate::report::words::note(&f.notes[0]);
    assert!(why.contains(RUN) && why.contains(HOLDER), "{why}");
    assert!(why.contains("still running"), "{why}");
    assert_eq!(replicas(&world), 0, "a live run is not touched");
}

#[tokio::test(start_paused = true)]
async fn a_run_whose_process_is_gone_is_taken_over_at_once() {
    let world = FakeFleet::seed();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    child.wait().unwrap();
    let gone = ProcessId::current().map(|me| ProcessId {
        pid: child.id(),
        start: 0,
        ..me
    });
    mid_drill(&world, gone, Duration::from_secs(2)).await;
    let started = tokio::time::Instant::now();
    let f = restore(&world).await;
    assert_eq!(f.exit_code, None, "{f:#?}");
    assert_eq!(replicas(&world), 3);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no wait for the lease"
    );
    assert!(
        world.kube.iter().all(|k| k.state().leases.is_empty()),
        "the crashed run's leases are freed"
    );
}

#[tokio::test(start_paused = true)]
async fn a_run_on_another_machine_is_refused_when_it_renews_its_lease() {
    let world = FakeFleet::seed();
    mid_drill(&world, None, Duration::from_secs(2)).await;
    // The drill, elsewhere, renews every 10 s.
    let kube = world.kube.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(8)).await;
        for k in &kube {
            hold(k, Duration::ZERO);
        }
    });
    let f = restore(&world).await;
    assert_eq!(f.exit_code, Some(exit_code::REFUSED), "{f:#?}");
    assert!(
        f.notes.iter().any(|n| matches!(
            n,
            Note::Lock(LockFact::LiveRun {
                why: Alive::Renewed { .. },
                ..
            })
        )),
        "{:?}",
        f.notes
    );
    assert!(
        f.notes
            .iter()
            .any(|n| crate::report::words::note(n).contains("renewed its lease")),
        "{:?}",
        f.notes
    );
    assert_eq!(replicas(&world), 0);
}

#[tokio::test(start_paused = true)]
async fn an_expired_lease_means_the_run_is_gone() {
    let world = FakeFleet::seed();
    mid_drill(&world, None, Duration::from_secs(45)).await;
    let f = restore(&world).await;
    assert_eq!(f.exit_code, None, "{f:#?}");
    assert_eq!(replicas(&world), 3);
}
