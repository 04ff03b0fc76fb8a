//! `ocfail status` with `prometheus:` against a real Prometheus and
//! Alertmanager ([`PromStack`]) over the simulator: firing blocking alerts
//! are warnings under the region they name or a fleet-wide note; nothing
//! extra when none fires; a Prometheus that does not answer is a warning
//! that leaves the exit code alone.

use std::time::Duration;

use ocfail::exit_code;
use ocfail::prometheus::AlertState;

use crate::promstack::{PromStack, StackOptions};
use crate::util::{LiveSim, exited};

/// Always firing: a fleet-wide alert (no `region` label), a paging alert
/// for eu-central-1, and a ticket for us-east-1 that no matcher names.
const RULES: &str = r#"
groups:
  - name: test
    rules:
      - alert: OcfailFleetDown
        expr: vector(1) > 0
        for: 0s
        labels:
          severity: critical
      - alert: HighErrorRate
        expr: vector(1) > 0
        for: 0s
        labels:
          severity: page
          region: eu-central-1
      - alert: HighErrorRate
        expr: vector(2) > 0
        for: 0s
        labels:
          severity: ticket
          region: us-east-1
"#;

/// Long enough for a real server on a busy machine.
const WITHIN: Duration = Duration::from_secs(30);

/// The simulator's fleet, with blocking alerts and a `prometheus:`
/// section pointing at `url` (and `alertmanager`).
async fn fleet(url: &str, alertmanager: Option<&str>) -> LiveSim {
    let live = LiveSim::start().await;
    let am = alertmanager
        .map(|a| format!("  alertmanagerUrl: {a}\n"))
        .unwrap_or_default();
    live.edit(
        "  method: scale-to-zero\n",
        &format!(
            "  method: scale-to-zero\n  blockingAlerts: [ OcfailFleetDown, \
             'HighErrorRate{{severity=\"page\",region={{region}}}}' ]\n\
             prometheus:\n  url: {url}\n{am}  timeout: 5s\n"
        ),
    );
    live
}

#[tokio::test(flavor = "multi_thread")]
async fn firing_blocking_alerts_show_under_their_region_and_fleet_wide() {
    let Some(stack) = PromStack::start(StackOptions {
        rules: Some(RULES.into()),
        alertmanager: true,
        ..StackOptions::default()
    }) else {
        return;
    };
    // Alertmanager has them once Prometheus has sent them.
    for name in ["OcfailFleetDown", "HighErrorRate"] {
        stack.wait_for_alert(name, AlertState::Firing, WITHIN).await;
    }
    let live = fleet(&stack.prometheus_url, stack.alertmanager_url.as_deref()).await;

    let out = live.run(&["status"]).await;
    let stdout = exited(&out, exit_code::OK);
    let line = |region: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(region))
            .unwrap_or_else(|| panic!("no {region} line:\n{stdout}"))
            .to_owned()
    };
    let eu = line("eu-central-1");
    assert!(
        eu.contains("warn") && eu.contains("alert HighErrorRate firing"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            r#"HighErrorRate {alertname="HighErrorRate", region="eu-central-1", severity="page"} is firing"#
        ),
        "{stdout}"
    );
    assert!(stdout.contains("per Alertmanager"), "{stdout}");
    assert!(
        stdout.contains(r#"blocking alert `HighErrorRate{severity="page",region="eu-central-1"}`"#),
        "{stdout}"
    );
    for region in ["us-east-1", "ap-southeast-2"] {
        let l = line(region);
        assert!(l.contains("pass") && !l.contains("alert"), "{stdout}");
    }
    assert!(
        !stdout.contains("ticket"),
        "no matcher names the ticket:\n{stdout}"
    );
    assert!(
        stdout.contains(
            r#"note: fleet-wide: OcfailFleetDown {alertname="OcfailFleetDown", severity="critical"} is firing"#
        ),
        "{stdout}"
    );
    assert!(stdout.contains("verdict: warn (exit 0)"), "{stdout}");

    let out = live.run(&["status", "-o", "json"]).await;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["verdict"], "warn", "{doc:#}");
    assert_eq!(doc["exitCode"], 0, "{doc:#}");
    let eu = doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "eu-central-1")
        .unwrap();
    let check = eu["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "guard:HighErrorRate")
        .unwrap_or_else(|| panic!("{eu:#}"));
    assert_eq!(check["verdict"], "warn");
    assert!(
        doc["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("fleet-wide: OcfailFleetDown")),
        "{doc:#}"
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_firing_alerts_status_shows_nothing_extra() {
    let Some(stack) = PromStack::start(StackOptions::default()) else {
        return;
    };
    let live = fleet(&stack.prometheus_url, None).await;
    let out = live.run(&["status"]).await;
    let stdout = exited(&out, exit_code::OK);
    assert!(!stdout.contains("alert"), "{stdout}");
    assert!(!stdout.contains("fleet-wide"), "{stdout}");
    assert!(stdout.contains("verdict: pass (exit 0)"), "{stdout}");
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_prometheus_warns_and_status_still_reports_the_fleet() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let live = fleet(&format!("http://127.0.0.1:{port}"), None).await;
    let out = live.run(&["status"]).await;
    let stdout = exited(&out, exit_code::OK);
    for region in ["us-east-1", "eu-central-1", "ap-southeast-2"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(region) && l.contains("warn")),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("could not read the active alerts to check OcfailFleetDown"),
        "{stdout}"
    );
    assert!(stdout.contains("serving now: us-east-1"), "{stdout}");
    assert!(stdout.contains("verdict: warn (exit 0)"), "{stdout}");
    live.sim.shutdown().await;
}
