//! Drills with Prometheus in the loop (issue 16), against Debian's real
//! `prometheus` and `prometheus-alertmanager` on loopback: the only fake is
//! the simulator, run as `ocfail sim`, whose app serves its per-region
//! metrics and whose fleet `ocfail exporter` watches with the rules
//! `ocfail monitoring render` writes.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ocfail::exit_code;
use ocfail::prometheus::AlertState;
use ocfail::sim::SimOptions;
use serde_json::Value;

use crate::exporter::Exporter;
use crate::promstack::{PromStack, ScrapeJob, StackOptions};
use crate::running::{Finished, Running};
use crate::util::{Launch, SimProcess, exit, text};

/// The simulator, and its LB's `host:port` (where the app's per-region
/// metrics are: `/_direct/<region>/metrics`).
fn sim() -> (SimProcess, String) {
    let sim = Launch::seed()
        .options(SimOptions {
            rollout_delay: Duration::from_millis(100),
            monitor_interval: Duration::from_millis(200),
            monitor_timeout: Duration::from_millis(200),
            consecutive_down: 1,
            ..SimOptions::default()
        })
        .spawn();
    let fleet = std::fs::read_to_string(sim.fleet()).unwrap();
    let url = fleet
        .lines()
        .find_map(|l| l.trim().strip_prefix("url: http://"))
        .expect("the traffic URL");
    let host = url.split('/').next().unwrap().to_owned();
    (sim, host)
}

/// One scrape job per region's app, keeping the app's own `region` label.
fn app_jobs(lb: &str) -> String {
    ["us-east-1", "eu-central-1", "ap-southeast-2"]
        .iter()
        .map(|r| {
            format!(
                "- job_name: app-{r}\n  honor_labels: true\n  metrics_path: /_direct/{r}/metrics\n  \
                 static_configs:\n    - targets: [\"{lb}\"]\n"
            )
        })
        .collect()
}

/// Adds `prometheus:` pointing at `stack` to the sim's fleet, and `drill`
/// settings after `drill:`.
fn point_at(sim: &SimProcess, stack: &PromStack, drill: &str) {
    let path = sim.fleet();
    let mut fleet = std::fs::read_to_string(&path).unwrap();
    fleet = fleet.replacen("drill:\n", &format!("drill:\n{drill}"), 1);
    fleet.push_str(&format!(
        "prometheus:\n  url: {}\n  timeout: 3s\n  regionDownFor: 2s\n",
        stack.prometheus_url
    ));
    if let Some(am) = &stack.alertmanager_url {
        fleet.push_str(&format!("  alertmanagerUrl: {am}\n"));
    }
    std::fs::write(&path, fleet).unwrap();
}

/// `ocfail monitoring render` for `fleet`: the alert rules' text.
fn rendered_rules(fleet: &Path, exporter: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ocfail"))
        .arg("-f")
        .arg(fleet)
        .args([
            "monitoring",
            "render",
            "--exporter",
            exporter,
            "--interval",
            "1s",
        ])
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", crate::util::text(&out.stderr));
    std::fs::read_to_string(dir.path().join("alert-rules.yaml")).unwrap()
}

fn drill(fleet: &Path, hold: &str, extra: &[&str]) -> Running {
    let mut args = vec!["drill", "--region", "us-east-1", "--yes", "--hold", hold];
    args.extend(extra);
    Running::spawn_jsonl_at(fleet, &args)
}

fn report(out: &Finished) -> Value {
    let last = out.stdout.lines().last().unwrap_or("");
    let event: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{e}: no report at the end of\n{}", out.stdout));
    event["report"].clone()
}

fn checks(doc: &Value, region: &str) -> Vec<Value> {
    doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == region)
        .and_then(|r| r["checks"].as_array().cloned())
        .unwrap_or_default()
}

fn check(doc: &Value, region: &str, name: &str) -> Value {
    checks(doc, region)
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {region}: {doc:#}"))
}

/// Every Deployment's replicas in us-east-1, as kubectl reads them (the
/// drill must leave them as it found them).
fn replicas(sim: &SimProcess) -> String {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(sim.kubeconfig())
        .args([
            "--context",
            "prod-us-east-1",
            "-n",
            "us-east-1",
            "get",
            "deployments",
        ])
        .args([
            "-o",
            "jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", crate::util::text(&out.stderr));
    crate::util::text(&out.stdout)
}

/// Prometheus and Alertmanager with an always-firing `CustomerPaging`
/// alert, named in the sim's fleet as a drill's blocking alert; `None`
/// when the binaries are missing outside CI.
fn paging_blocks(sim: &SimProcess) -> Option<PromStack> {
    let rules = "groups:\n  - name: paging\n    rules:\n      - alert: CustomerPaging\n        \
                 expr: vector(1) > 0\n        labels: {severity: page}\n";
    let stack = PromStack::start(StackOptions {
        rules: Some(rules.to_owned()),
        alertmanager: true,
        ..StackOptions::default()
    })?;
    point_at(
        sim,
        &stack,
        "  blockingAlerts: ['CustomerPaging{severity=\"page\"}']\n",
    );
    Some(stack)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_firing_blocking_alert_refuses_the_drill_until_overridden() {
    let (sim, _) = sim();
    let Some(stack) = paging_blocks(&sim) else {
        return;
    };
    stack
        .wait_for_alert(
            "CustomerPaging",
            AlertState::Firing,
            Duration::from_secs(30),
        )
        .await;
    let before = replicas(&sim);

    let out = drill(&sim.fleet(), "1s", &[]).finish(Duration::from_secs(60));
    assert_eq!(out.code(), exit(exit_code::REFUSED), "{}", out.stdout);
    let doc = report(&out);
    let blocked = check(&doc, "us-east-1", "guard:CustomerPaging");
    assert_eq!(blocked["verdict"], "fail", "{blocked}");
    assert_eq!(blocked["prometheus"]["labels"]["severity"], "page");
    let detail = blocked["detail"].as_str().unwrap();
    assert!(
        detail.contains("--override guard:CustomerPaging"),
        "{detail}"
    );
    assert_eq!(replicas(&sim), before, "nothing was changed");

    let out = drill(
        &sim.fleet(),
        "1s",
        &[
            "--override",
            "guard:CustomerPaging",
            "--reason",
            "paging is a test alert",
        ],
    )
    .finish(Duration::from_secs(90));
    assert_eq!(out.code(), exit(exit_code::OK), "{}", out.stdout);
    let doc = report(&out);
    let passed = check(&doc, "us-east-1", "guard:CustomerPaging");
    assert_eq!(passed["verdict"], "warn", "{passed}");
    assert!(
        passed["detail"]
            .as_str()
            .unwrap()
            .contains("paging is a test alert")
    );
    assert_eq!(replicas(&sim), before, "restored exactly");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_during_guard_that_breaches_stops_the_drill_restores_and_fails() {
    let (sim, lb) = sim();
    let Some(stack) = PromStack::start(StackOptions {
        scrape_yaml: Some(app_jobs(&lb)),
        ..StackOptions::default()
    }) else {
        return;
    };
    // The receiving region must keep answering while it carries the
    // drilled region's traffic (the monitor's probes alone keep it above
    // zero in steady state).
    let guard = "  guards:\n    - name: receiver-serves\n      \
                 query: 'sum(rate(openclaw_requests_total{region={receiver},code=\"200\"}[3s])) or vector(0)'\n      \
                 op: '>'\n      value: 0\n      for: 2s\n      when: during\n";
    point_at(&sim, &stack, guard);
    let before = replicas(&sim);
    let prom = stack.prometheus_client();
    crate::util::wait_until(Duration::from_secs(30), "the app's metrics", || async {
        use ocfail::prometheus::Metrics;
        let q = r#"sum(rate(openclaw_requests_total{region="eu-central-1",code="200"}[3s]))"#;
        prom.query(q)
            .await
            .ok()
            .and_then(|s| s.first().map(|s| s.value))
            .is_some_and(|v| v > 0.0)
    })
    .await;

    let run = drill(&sim.fleet(), "60s", &[]);
    run.wait_for("holding");
    // A fault that fails the receiving region: the edge cannot reach it,
    // so its app answers nothing.
    sim.origin_fault("eu-central-1", Some(522));
    let out = run.finish(Duration::from_secs(60));
    sim.origin_fault("eu-central-1", None);
    assert_eq!(out.code(), exit(exit_code::FAILED), "{}", out.stdout);
    let doc = report(&out);
    let guard = check(&doc, "us-east-1", "guard:receiver-serves");
    assert_eq!(guard["verdict"], "fail", "{guard}");
    let numbers = &guard["prometheus"];
    assert_eq!(
        numbers["query"],
        r#"sum(rate(openclaw_requests_total{region="eu-central-1",code="200"}[3s])) or vector(0)"#
    );
    assert_eq!(numbers["op"], ">");
    assert_eq!(numbers["threshold"], 0.0);
    assert_eq!(numbers["value"], 0.0);
    assert_eq!(numbers["when"], "during");
    let summary = doc["regions"][0]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("a guard breached"), "{summary}");
    // Stopped long before the 60 s hold, and put back exactly.
    let restored = check(&doc, "us-east-1", "recovered");
    assert_eq!(restored["verdict"], "pass", "{restored}");
    assert_eq!(replicas(&sim), before);
}

/// The simulator, its exporter (refreshing every 200 ms), and a
/// Prometheus scraping it with `rules` (the rendered ones when `None`).
async fn watched(alter: impl Fn(String) -> String) -> Option<(SimProcess, Exporter, PromStack)> {
    let (sim, _) = sim();
    // The rules are rendered from the fleet (regionDownFor: 2s) before
    // Prometheus exists: the URL is filled in afterwards.
    let fleet = sim.fleet();
    let exporter = Exporter::start(&fleet, "200ms", "50");
    exporter.ready().await;
    let target = exporter.base.trim_start_matches("http://").to_owned();
    let draft = std::fs::read_to_string(&fleet).unwrap();
    std::fs::write(
        &fleet,
        format!("{draft}prometheus:\n  url: http://127.0.0.1:1\n  regionDownFor: 2s\n"),
    )
    .unwrap();
    let rules = alter(rendered_rules(&fleet, &target));
    std::fs::write(&fleet, draft).unwrap();
    let stack = PromStack::start(StackOptions {
        scrape: vec![ScrapeJob {
            job: "ocfail".to_owned(),
            targets: vec![target],
            labels: Default::default(),
        }],
        rules: Some(rules),
        ..StackOptions::default()
    })?;
    point_at(&sim, &stack, "");
    Some((sim, exporter, stack))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_check_passes_when_only_the_regional_alert_fires() {
    let Some((sim, _exporter, _stack)) = watched(|r| r).await else {
        return;
    };
    let out = drill(&sim.fleet(), "12s", &[]).finish(Duration::from_secs(90));
    let doc = report(&out);
    let regional = check(
        &doc,
        "us-east-1",
        r#"expect-alert OcfailRegionDown{region="us-east-1"}"#,
    );
    assert_eq!(regional["verdict"], "pass", "{regional}");
    assert!(
        regional["prometheus"]["firstPendingMs"].as_u64().is_some(),
        "{regional}"
    );
    let fleet = check(&doc, "us-east-1", "expect-alert OcfailFleetDown");
    assert_eq!(fleet["verdict"], "pass", "{fleet}");
    assert_eq!(out.code(), exit(exit_code::OK), "{doc:#}");
    eprintln!(
        "seed check: {} | {}",
        regional["detail"].as_str().unwrap_or_default(),
        fleet["detail"].as_str().unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_check_fails_when_the_fleet_alert_fires_for_one_region() {
    // A wrong rule: `min` where `max` belongs fires when any region is down.
    let Some((sim, _exporter, _stack)) = watched(|r| {
        let wrong = r.replace(
            "max(ocfail:region_serving) == 0",
            "min(ocfail:region_serving) == 0",
        );
        assert_ne!(wrong, r, "the rendered fleet rule changed shape");
        wrong
    })
    .await
    else {
        return;
    };
    let out = drill(&sim.fleet(), "12s", &[]).finish(Duration::from_secs(90));
    assert_eq!(out.code(), exit(exit_code::FAILED), "{}", out.stdout);
    let doc = report(&out);
    let fleet = check(&doc, "us-east-1", "expect-alert OcfailFleetDown");
    assert_eq!(fleet["verdict"], "fail", "{fleet}");
    assert!(
        fleet["prometheus"]["firstPendingMs"].as_u64().is_some(),
        "{fleet}"
    );
    assert_eq!(fleet["prometheus"]["expect"], "silent");
}

#[test]
fn with_sim_the_guards_are_left_out_and_the_report_says_so() {
    // fixtures/fleet-prometheus.yaml names a Prometheus on 127.0.0.1:9090
    // that watches nothing of an in-process simulator.
    let out = crate::util::ocfail()
        .args(["--sim", "-f", "fixtures/fleet-prometheus.yaml", "drill"])
        .args([
            "--region",
            "us-east-1",
            "--yes",
            "--hold",
            "1s",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_str(&crate::util::exited(&out, exit_code::OK)).unwrap();
    let notes = doc["notes"].to_string();
    assert!(
        notes.contains("Prometheus guards and alerts were not checked"),
        "{notes}"
    );
    assert!(
        checks(&doc, "us-east-1")
            .iter()
            .all(|c| c.get("prometheus").is_none()),
        "{doc:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn practice_skips_while_a_blocking_alert_fires() {
    let (sim, _) = sim();
    let Some(stack) = paging_blocks(&sim) else {
        return;
    };
    // Due now (never practised) and no windows: only the alert stands in the way.
    let mut fleet = std::fs::read_to_string(sim.fleet()).unwrap();
    fleet.push_str("practice:\n  every: 7d\n");
    std::fs::write(sim.fleet(), fleet).unwrap();
    stack
        .wait_for_alert(
            "CustomerPaging",
            AlertState::Firing,
            Duration::from_secs(30),
        )
        .await;
    let before = replicas(&sim);
    let out = Command::new(env!("CARGO_BIN_EXE_ocfail"))
        .arg("-f")
        .arg(sim.fleet())
        .args(["practice", "-o", "json"])
        .env("CLOUDFLARE_API_TOKEN", crate::util::SECRET_TOKEN)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}:\n{}\n{}", text(&out.stdout), text(&out.stderr)));
    assert_eq!(out.status.code(), exit(exit_code::OK), "{doc:#}");
    assert_eq!(doc["verdict"], "skipped", "{doc:#}");
    assert_eq!(doc["practice"]["reason"], "blocking-alert", "{doc:#}");
    assert!(
        doc["notes"][0].as_str().unwrap().contains("CustomerPaging"),
        "{doc:#}"
    );
    assert_eq!(replicas(&sim), before, "nothing was changed");
}
