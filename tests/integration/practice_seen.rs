//! Seeing practice (docs/practice.md, "Seeing it: status, exporter,
//! alert") against a live simulator: `status` shows each practised
//! region's last practice and when the next is due, the exporter serves
//! the practice series after a practice run, and the rendered alerts fire
//! in `promtool test rules` after twice `every`, not before.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use ocfail::exit_code;
use serde_json::Value;

use crate::exporter::Exporter;
use crate::practice::{add_practice, json, noon_zone};
use crate::util::{Launch, exit, ocfail, text, wait_until};

/// Region `name`'s check `check` in a JSON report.
fn check<'a>(report: &'a Value, region: &str, check: &str) -> Option<&'a Value> {
    report["regions"]
        .as_array()?
        .iter()
        .find(|r| r["region"] == region)?["checks"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == check)
}

/// The value of the exposition line that starts with `series ` (exactly
/// that label set).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_the_exporter_show_the_last_practice_after_a_practice_run() {
    let live = Launch::seed().start().await;
    add_practice(
        &live,
        &format!(
            "practice:\n  every: 7d\n  windows: [\"Mon-Sun 06:00-18:00 {}\"]\n",
            noon_zone()
        ),
    );

    // Before any practice: every region is due and says so, as a warning
    // that does not fail status.
    let out = live.run(&["status", "-o", "json"]).await;
    let before = json(&out);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{before:#}");
    for region in ["us-east-1", "eu-central-1", "ap-southeast-2"] {
        let c = check(&before, region, "practice").unwrap_or_else(|| panic!("{before:#}"));
        assert_eq!(c["verdict"], "warn", "{c:#}");
        assert_eq!(c["detail"], "never practised: due now");
    }

    let out = live.run(&["practice", "-o", "json"]).await;
    let drill = json(&out);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{drill:#}");
    assert_eq!(drill["practice"]["region"], "us-east-1", "{drill:#}");
    let run = drill["runId"].as_str().unwrap().to_owned();
    let history = json(&live.run(&["history", "-o", "json"]).await);
    let started: Timestamp = history["entries"][0]["startedAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let rounded = started.round(jiff::Unit::Second).unwrap();
    let next_due = started + jiff::SignedDuration::from_hours(7 * 24);

    // status: the drilled region passes with its last practice and next due.
    let out = live.run(&["status", "-o", "json"]).await;
    let after = json(&out);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{after:#}");
    let us = check(&after, "us-east-1", "practice").unwrap();
    assert_eq!(us["verdict"], "pass", "{us:#}");
    assert_eq!(
        us["detail"],
        format!(
            "last practice {rounded}: pass (run {run}); next due {}",
            next_due.round(jiff::Unit::Second).unwrap()
        )
        .as_str()
    );
    let line = after["regions"][0]["summary"].as_str().unwrap();
    assert!(
        line.contains(&format!("next practice {}", next_due.strftime("%Y-%m-%d"))),
        "{line}"
    );
    let eu = check(&after, "eu-central-1", "practice").unwrap();
    assert_eq!(eu["detail"], "never practised: due now");
    // And the table a person reads names it on the region's line.
    let human = live.run(&["status"]).await;
    assert!(
        text(&human.stdout).contains("never practised"),
        "{}",
        text(&human.stdout)
    );

    // The exporter serves it.
    let exporter = Exporter::start(&live.fleet(), "200ms", "50");
    exporter.ready().await;
    let metrics = wait_until(
        Duration::from_secs(20),
        "the exporter to serve the last practice",
        || async {
            let m = exporter.get("/metrics").await.1;
            m.contains("ocfail_practice_last_timestamp_seconds{")
                .then_some(m)
        },
    )
    .await;
    let at = sample(
        &metrics,
        "ocfail_practice_last_timestamp_seconds{region=\"us-east-1\"}",
    )
    .unwrap_or_else(|| panic!("{metrics}"));
    assert!(
        (at - started.as_millisecond() as f64 / 1000.0).abs() < 0.001,
        "{at} vs {started}"
    );
    assert_eq!(
        sample(
            &metrics,
            "ocfail_practice_last_info{region=\"us-east-1\",verdict=\"pass\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    for region in ["us-east-1", "eu-central-1", "ap-southeast-2"] {
        assert_eq!(
            sample(
                &metrics,
                &format!("ocfail_practice_every_seconds{{region=\"{region}\"}}")
            ),
            Some(604_800.0),
            "{metrics}"
        );
    }
    assert!(
        !metrics.contains("ocfail_practice_last_timestamp_seconds{region=\"eu-central-1\"}"),
        "never practised: absent, not 0\n{metrics}"
    );
    assert!(metrics.contains("# TYPE ocfail_practice_last_timestamp_seconds gauge"));
    assert!(metrics.contains("# HELP ocfail_practice_every_seconds "));
    drop(exporter);
    live.sim.shutdown().await;
}

/// `promtool`, required in CI, a loud skip elsewhere (as in monitoring.rs).
fn promtool() -> Option<std::path::PathBuf> {
    let p = std::path::PathBuf::from("/usr/bin/promtool");
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "promtool is required in CI (Debian package prometheus)"
    );
    eprintln!("WARNING: promtool not found; skipping a Prometheus rules check");
    None
}

fn promtool_ok(promtool: &Path, args: &[&str], file: &Path) {
    let out = std::process::Command::new(promtool)
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool {args:?} {}:\n{}\n{}",
        file.display(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The rendered practice alerts, under promtool's own rule tests
/// (tests/integration/monitoring/practice-alerts.test.yaml): with
/// `every: 7d`, overdue fires at 15d and is silent at 13d, and a region
/// never practised fires after 14d.
#[test]
fn the_practice_alerts_fire_after_twice_every_and_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let out = ocfail()
        .args(["monitoring", "render", "--out"])
        .arg(dir.path())
        .args(["-f", "fixtures/fleet-practice.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
    let rules = std::fs::read_to_string(dir.path().join("alert-rules.yaml")).unwrap();
    for alert in ["OcfailPracticeOverdue", "OcfailPracticeNeverRun"] {
        assert!(rules.contains(&format!("- alert: {alert}\n")), "{rules}");
    }
    let Some(promtool) = promtool() else { return };
    promtool_ok(
        &promtool,
        &["check", "rules"],
        &dir.path().join("alert-rules.yaml"),
    );
    let test = dir.path().join("practice-alerts.test.yaml");
    std::fs::copy(
        "tests/integration/monitoring/practice-alerts.test.yaml",
        &test,
    )
    .unwrap();
    promtool_ok(&promtool, &["test", "rules"], &test);
}
