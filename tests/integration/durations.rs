//! A duration too long for ocfail (issue 13, item 6): `--hold 300000000000y`
//! or `drill.failoverTimeout: 300000000000y` once passed `validate` and
//! `--dry-run`, then panicked after the injection with the region down. Both
//! are now a usage error (exit 2) before anything is contacted.
//! `fixtures/invalid/huge-duration.yaml` snapshots the manifest's message;
//! the unit tests in `cli/args.rs` and `manifest/fields.rs` cover each field.

use ocfail::exit_code;

use crate::fleet_checks::{FleetPicture, assert_as_before};
use crate::util::{LiveSim, exit, ocfail, text};

const HUGE: &str = "300000000000y";

/// Runs `args` against `live`, expecting exit 2 with each of `says` on stderr.
async fn refused(live: &LiveSim, args: &[&str], says: &[&str]) {
    let out = live.run(args).await;
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        exit(exit_code::USAGE),
        "{args:?}: {stderr}"
    );
    for s in says {
        assert!(stderr.contains(s), "{args:?} should say `{s}`: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hold_beyond_a_week_is_refused_before_anything_is_contacted() {
    let live = LiveSim::start().await;
    let before = FleetPicture::take(&live).await;
    let cloudflare = live.sim.world().cloudflare.requests_total();
    for args in [
        vec!["drill", "--region", "us-east-1", "--yes", "--hold", HUGE],
        vec![
            "drill",
            "--region",
            "us-east-1",
            "--dry-run",
            "--hold",
            HUGE,
        ],
        vec![
            "drill",
            "--region",
            "us-east-1",
            "--yes",
            "--hold",
            "7days1s",
        ],
    ] {
        refused(&live, &args, &["'--hold <DURATION>'", "at most 7days"]).await;
    }
    assert_eq!(live.sim.world().cloudflare.requests_total(), cloudflare);
    before.assert_unchanged(&live, "after refused holds").await;
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failover_timeout_beyond_a_day_is_refused_before_anything_is_contacted() {
    let live = LiveSim::start().await;
    let fleet = std::fs::read_to_string(live.fleet()).unwrap();
    let huge: String = fleet
        .lines()
        .map(|l| match l.split_once("failoverTimeout:") {
            Some((indent, _)) => format!("{indent}failoverTimeout: {HUGE}\n"),
            None => format!("{l}\n"),
        })
        .collect();
    assert_ne!(huge, fleet, "the written fleet has a failoverTimeout");
    std::fs::write(live.fleet(), huge).unwrap();

    let before = FleetPicture::take(&live).await;
    let cloudflare = live.sim.world().cloudflare.requests_total();
    let says = [
        "drill.failoverTimeout",
        "is longer than the maximum of 1day",
        "nothing was contacted",
    ];
    for args in [
        vec!["validate"],
        vec!["drill", "--region", "us-east-1", "--dry-run"],
        vec!["drill", "--region", "us-east-1", "--yes"],
    ] {
        refused(&live, &args, &says).await;
    }
    assert_eq!(live.sim.world().cloudflare.requests_total(), cloudflare);
    before
        .assert_unchanged(&live, "after a refused manifest")
        .await;
    assert_as_before(&live).await;
    live.sim.shutdown().await;
}

/// The reproductions as written, with `--sim`: were the value let
/// through, the drill would run against the simulator and pass.
#[test]
fn the_reproductions_exit_2_with_sim() {
    for (args, says) in [
        (
            vec![
                "--sim",
                "drill",
                "--region",
                "us-east-1",
                "--yes",
                "--hold",
                HUGE,
            ],
            "'--hold <DURATION>'",
        ),
        (
            vec![
                "--sim",
                "-f",
                "fixtures/invalid/huge-duration.yaml",
                "drill",
                "--region",
                "us-east-1",
                "--yes",
            ],
            "drill.failoverTimeout",
        ),
    ] {
        let out = ocfail().args(&args).output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            exit(exit_code::USAGE),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(stderr.contains("e.g."), "{args:?}: {stderr}");
    }
}
