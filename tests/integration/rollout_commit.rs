//! A rollout cut short while committing (issue 13, item 12): after every
//! region was promoted and verified, while it removes its records or
//! before it releases the lock. `ocfail restore` then keeps the fleet
//! promoted alike and says the run had finished, never that it "changed
//! nothing" (it promoted every region).

use std::time::Duration;

use ocfail::exit_code;
use ocfail::kube::Workloads;
use ocfail::sim::KubeFault;

use crate::rollout::{NEW, REGIONS, assert_no_locks, colours};
use crate::running::Running;
use crate::util::{Launch, LiveSim, exit, exited, redact_run, text, wait_until};

/// Whether any region's live Service still carries the rollout's record.
async fn recorded(live: &LiveSim) -> Vec<String> {
    let mut left = Vec::new();
    for region in REGIONS {
        let svc = live.client(region).await.service("openclaw-api").await;
        if svc
            .unwrap()
            .unwrap()
            .annotations
            .contains_key("ocfail.dev/rollout")
        {
            left.push(region.to_owned());
        }
    }
    left
}

/// Every region on the new image, on green.
async fn assert_promoted(live: &LiveSim) {
    for (colour, image, _) in colours(live).await {
        assert_eq!((colour.as_str(), image.as_str()), ("green", NEW));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_removing_its_records_restore_says_the_rollout_had_finished() {
    let live = Launch::seed().quick_rollout().start().await;
    let rollout = Running::spawn(&live, &["rollout", "--image", NEW, "--yes"]);
    // Its lock cannot be released: whether the kill lands before the
    // release or after it failed, the fleet is left as a kill between the
    // last record removal and the release leaves it.
    let rollout = tokio::task::spawn_blocking({
        let live_sim = live.sim.world().clone();
        move || {
            rollout.wait_for("us-east-1: verifying traffic");
            for region in REGIONS {
                live_sim.faults.set_kube(
                    region,
                    KubeFault {
                        deny: vec!["delete leases".to_owned()],
                        ..KubeFault::default()
                    },
                );
            }
            rollout
        }
    })
    .await
    .unwrap();
    wait_until(
        Duration::from_secs(20),
        "the records to be removed",
        || async {
            let left = recorded(&live).await;
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("still in {left:?}"))
            }
        },
    )
    .await;
    tokio::task::spawn_blocking(move || rollout.kill())
        .await
        .unwrap();
    live.sim.world().faults.clear();

    let out = live.run(&["restore", "--yes", "-v"]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{stdout}");
    assert_eq!(
        stdout.matches("pass     nothing to restore").count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("had finished its rollout"), "{stdout}");
    assert!(!stdout.contains("changed nothing"), "{stdout}");
    assert_promoted(&live).await;
    assert_no_locks(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_left_by_a_commit_cut_short_is_finished_not_rolled_back() {
    let live = Launch::seed().quick_rollout().start().await;
    let rollout = Running::spawn(&live, &["rollout", "--image", NEW, "--yes"]);
    // us-east-1's Service can no longer be patched: its summary and its
    // record removal fail, while the other regions' records are removed,
    // as when a kill lands between the regions' removals.
    let out = tokio::task::spawn_blocking({
        let world = live.sim.world().clone();
        move || {
            rollout.wait_for("us-east-1: verifying traffic");
            world.faults.set_kube(
                "us-east-1",
                KubeFault {
                    deny: vec!["patch services".to_owned()],
                    ..KubeFault::default()
                },
            );
            rollout.child.wait_with_output().unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = exited(&out, exit_code::RESTORE_INCOMPLETE);
    assert_eq!(recorded(&live).await, ["us-east-1"]);
    insta::assert_snapshot!("rollout_commit_cut_short", redact_run(&stdout, Some(&live)));
    live.sim.world().faults.clear();

    let out = live.run(&["restore", "--yes", "-v"]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{stdout}");
    assert!(
        stdout.contains("us-east-1       pass     finished: rollout of run"),
        "{stdout}"
    );
    // One version everywhere: the one every region was verified on.
    assert_promoted(&live).await;
    assert_no_locks(&live).await;
    live.sim.shutdown().await;
}
