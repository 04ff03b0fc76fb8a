//! `ocfail monitoring render`: the three files, every PromQL expression
//! parsed by a real PromQL parser and naming only what the exporter serves,
//! Prometheus' own `promtool` checking the rules and scrape config, and the
//! alert conditions evaluated by `promtool test rules` over exporter
//! snapshots from the simulator (one region down, all regions down).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ocfail::exit_code;
use ocfail::kube::Workloads;
use ocfail::ops::exporter::metrics::NAMES;
use ocfail::ops::monitoring;
use promql_parser::parser::{self, Expr};
use promql_parser::util::{ExprVisitor, walk_expr};

use crate::exporter::Exporter;
use crate::util::{LiveSim, exit, ocfail, text, wait_until};

/// Every series name an expression selects.
struct Names(BTreeSet<String>);

impl ExprVisitor for Names {
    type Error = ();
    fn pre_visit(&mut self, e: &Expr) -> Result<bool, ()> {
        match e {
            Expr::VectorSelector(v) => {
                self.0.extend(v.name.clone());
            }
            Expr::MatrixSelector(m) => {
                self.0.extend(m.vs.name.clone());
            }
            _ => {}
        }
        Ok(true)
    }
}

/// Names an expression may select: the exporter's families (with the
/// suffixes their types add) and the rules' own recordings.
fn allowed() -> BTreeSet<String> {
    let mut ok: BTreeSet<String> = NAMES.iter().map(|n| (*n).to_owned()).collect();
    for suffix in ["_bucket", "_sum", "_count"] {
        ok.insert(format!("ocfail_probe_duration_seconds{suffix}"));
    }
    ok.extend(monitoring::recorded().iter().map(|n| (*n).to_owned()));
    ok
}

#[test]
fn every_expression_parses_and_names_only_exported_metrics() {
    let fleet = ocfail::manifest::seed_fleet();
    let allowed = allowed();
    let exprs = monitoring::expressions(&fleet);
    assert!(exprs.len() >= 15, "{exprs:#?}");
    for (where_, expr) in exprs {
        let ast = parser::parse(&expr).unwrap_or_else(|e| panic!("{where_}: `{expr}`: {e}"));
        let mut names = Names(BTreeSet::new());
        walk_expr(&mut names, &ast).unwrap();
        assert!(!names.0.is_empty(), "{where_}: `{expr}` selects nothing");
        for n in names.0 {
            assert!(
                allowed.contains(&n),
                "{where_}: `{expr}` uses {n}, which the exporter does not serve"
            );
        }
    }
}

/// With `practice:`, the practice alerts too name only what the exporter
/// serves (their promtool tests are in practice_seen.rs).
#[test]
fn practice_expressions_name_only_exported_metrics() {
    let text = std::fs::read_to_string("fixtures/fleet-practice.yaml").unwrap();
    let fleet = ocfail::manifest::parse_str("fleet-practice.yaml", &text).unwrap();
    let allowed = allowed();
    let exprs: Vec<_> = monitoring::expressions(&fleet)
        .into_iter()
        .filter(|(at, _)| at.contains("Practice"))
        .collect();
    assert_eq!(exprs.len(), 2, "{exprs:#?}");
    for (where_, expr) in exprs {
        let ast = parser::parse(&expr).unwrap_or_else(|e| panic!("{where_}: `{expr}`: {e}"));
        let mut names = Names(BTreeSet::new());
        walk_expr(&mut names, &ast).unwrap();
        assert!(
            names.0.iter().all(|n| allowed.contains(n)),
            "{where_}: `{expr}` uses {:?}",
            names.0
        );
    }
}

/// `promtool`, required in CI (`.ci/run` installs Debian's prometheus), a
/// loud skip elsewhere.
fn promtool() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/promtool");
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

fn render(dir: &Path) {
    let out = ocfail()
        .args(["monitoring", "render", "--out"])
        .arg(dir)
        .args(["-f", "fixtures/fleet.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
    for f in monitoring::FILES {
        assert!(
            text(&out.stdout).contains(&format!("wrote {}", dir.join(f).display())),
            "{}",
            text(&out.stdout)
        );
    }
}

#[test]
fn render_writes_the_three_files_and_promtool_accepts_them() {
    let dir = tempfile::tempdir().unwrap();
    render(dir.path());
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("grafana-dashboard.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(dashboard["title"], "ocfail: openclaw-rating-api");
    assert!(
        dashboard["annotations"]["list"][0]["expr"]
            .as_str()
            .unwrap()
            .contains("operation=\"drill\"")
    );
    let Some(promtool) = promtool() else { return };
    for (what, file) in [
        ("rules", "alert-rules.yaml"),
        ("config", "prometheus-scrape.yaml"),
    ] {
        let out = std::process::Command::new(&promtool)
            .args(["check", what])
            .arg(dir.path().join(file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool check {what} {file}:\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

/// With `prometheus.regionDownFor`, the regional alert's `for:` is that
/// value, the header says why, promtool accepts the rules, and `validate`
/// warns when a drill expects the alert firing within a hold it cannot fit.
#[test]
fn region_down_for_shortens_the_regional_alert_and_validate_checks_it_fits() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::fs::read_to_string("fixtures/fleet-prometheus.yaml").unwrap();
    let with = |region_down_for: &str, expect: &str| {
        fixture
            .replace(
                "  timeout: 5s\n",
                &format!("  timeout: 5s\n  regionDownFor: {region_down_for}\n"),
            )
            .replace(
                "    pending: [ 'OcfailRegionDown{region={drilled}}' ]",
                &format!("    {expect}: [ 'OcfailRegionDown{{region={{drilled}}}}' ]"),
            )
    };
    let fleet = dir.path().join("fleet.yaml");
    std::fs::write(&fleet, with("3s", "firing")).unwrap();
    let out = ocfail()
        .args(["monitoring", "render", "--out"])
        .arg(dir.path())
        .arg("-f")
        .arg(&fleet)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
    let rules = std::fs::read_to_string(dir.path().join("alert-rules.yaml")).unwrap();
    let region_down = rules
        .split("- alert: ")
        .find(|r| r.starts_with("OcfailRegionDown"))
        .unwrap();
    assert!(region_down.contains("for: 3s"), "{region_down}");
    assert!(
        rules.contains("OcfailRegionDown waits 3s (prometheus.regionDownFor)"),
        "{rules}"
    );

    let validate = |text: String| {
        std::fs::write(&fleet, text).unwrap();
        let out = ocfail()
            .arg("validate")
            .arg("-f")
            .arg(&fleet)
            .env("CLOUDFLARE_API_TOKEN", "x")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), exit(exit_code::OK), "{}", text_of(&out));
        text_of(&out)
    };
    let warning = "drill.expectAlerts.firing names OcfailRegionDown";
    // 3s fits in the fixture's 5s hold; 5s does not.
    assert!(!validate(with("3s", "firing")).contains(warning));
    let slow = validate(with("5s", "firing"));
    assert!(
        slow.contains(warning) && slow.contains("(5s, prometheus.regionDownFor)"),
        "{slow}"
    );
    // Pending needs no `for:`.
    assert!(!validate(with("5s", "pending")).contains(warning));

    let Some(promtool) = promtool() else { return };
    let out = std::process::Command::new(&promtool)
        .args(["check", "rules"])
        .arg(dir.path().join("alert-rules.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn text_of(out: &std::process::Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// `name{labels} value` lines of a classic text exposition, for the series
/// the rules read.
fn series(exposition: &str) -> Vec<(String, f64)> {
    let used = [
        "ocfail_pool_healthy",
        "ocfail_pool_enabled",
        "ocfail_deployment_replicas_ready",
        "ocfail_live_info",
        "ocfail_fleet_survives_region_loss",
        "ocfail_region_up",
        "ocfail_operation_in_progress",
    ];
    exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (s, v) = l.rsplit_once(' ')?;
            let name = s.split('{').next()?;
            if !used.contains(&name) {
                return None;
            }
            Some((s.to_owned(), v.parse().ok()?))
        })
        .collect()
}

/// Waits until the exporter's raw `/metrics` satisfies `check`.
async fn snapshot(e: &Exporter, what: &str, check: impl Fn(&str) -> bool) -> String {
    let what = format!("the exporter to show {what}");
    wait_until(Duration::from_secs(20), &what, || async {
        let text = e.get("/metrics").await.1;
        check(&text).then_some(text)
    })
    .await
}

/// A `promtool test rules` file: the snapshot held constant for 20 minutes,
/// every alert evaluated at minute 15 against `firing` (alert name and the
/// label sets expected).
fn rule_test(rules: &Path, snap: &[(String, f64)], firing: &[(&str, Vec<(&str, &str)>)]) -> String {
    let mut y = format!(
        "rule_files: [{}]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n",
        rules.display()
    );
    for (s, v) in snap {
        y.push_str(&format!(
            "      - series: '{s}'\n        values: '{v}+0x20'\n"
        ));
    }
    y.push_str("    alert_rule_test:\n");
    let fleet = ocfail::manifest::seed_fleet();
    let file = monitoring::rules(&fleet);
    for rule in file.groups.iter().flat_map(|g| &g.rules) {
        let Some(alert) = &rule.alert else { continue };
        y.push_str(&format!(
            "      - eval_time: 15m\n        alertname: {alert}\n        exp_alerts:\n"
        ));
        for (_, labels) in firing.iter().filter(|(a, _)| a == alert) {
            y.push_str("          - exp_labels:\n");
            for (k, v) in rule
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain(labels.iter().copied())
            {
                y.push_str(&format!("              {k}: {v:?}\n"));
            }
            let region = labels
                .iter()
                .find(|(k, _)| *k == "region")
                .map_or("", |(_, v)| v);
            y.push_str("            exp_annotations:\n");
            for (k, v) in &rule.annotations {
                let v = v.replace("{{ $labels.region }}", region);
                y.push_str(&format!("              {k}: {v:?}\n"));
            }
        }
        if !firing.iter().any(|(a, _)| a == alert) {
            // `exp_alerts: []`: it must not fire.
            y.truncate(y.len() - "        exp_alerts:\n".len());
            y.push_str("        exp_alerts: []\n");
        }
    }
    y
}

fn promtool_test(promtool: &Path, dir: &Path, name: &str, yaml: &str) {
    let path = dir.join(name);
    std::fs::write(&path, yaml).unwrap();
    let out = std::process::Command::new(promtool)
        .args(["test", "rules"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool test rules {name}:\n{}\n{}\n--- test file ---\n{yaml}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_fire_per_region_and_for_the_whole_fleet_as_the_simulator_goes_down() {
    let Some(promtool) = promtool() else { return };
    ocfail::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    render(dir.path());
    let rules = dir.path().join("alert-rules.yaml");
    let live = LiveSim::start().await;
    let exporter = Exporter::start(&live.fleet(), "200ms", "50");
    exporter.ready().await;

    // One region down: only its own warning.
    let us = live.client("us-east-1").await;
    us.scale("openclaw-api-blue", 0).await.unwrap();
    let one = snapshot(&exporter, "us-east-1 down", |t| {
        t.contains("ocfail_pool_healthy{region=\"us-east-1\",pool=\"openclaw-us-east-1\"} 0")
            && t.contains("ocfail_deployment_replicas_ready{region=\"us-east-1\",color=\"blue\"} 0")
    })
    .await;
    let yaml = rule_test(
        &rules,
        &series(&one),
        &[("OcfailRegionDown", vec![("region", "us-east-1")])],
    );
    promtool_test(&promtool, dir.path(), "one-region-down.yaml", &yaml);

    // Every region down: the fleet alert too.
    for region in ["eu-central-1", "ap-southeast-2"] {
        live.client(region)
            .await
            .scale("openclaw-api-blue", 0)
            .await
            .unwrap();
    }
    let all = snapshot(&exporter, "every region down", |t| {
        ["us-east-1", "eu-central-1", "ap-southeast-2"]
            .iter()
            .all(|r| {
                t.contains(&format!(
                    "ocfail_deployment_replicas_ready{{region=\"{r}\",color=\"blue\"}} 0"
                )) && t.contains(&format!(
                    "ocfail_pool_healthy{{region=\"{r}\",pool=\"openclaw-{r}\"}} 0"
                ))
            })
            && t.contains("ocfail_fleet_survives_region_loss 0")
    })
    .await;
    let yaml = rule_test(
        &rules,
        &series(&all),
        &[
            ("OcfailRegionDown", vec![("region", "ap-southeast-2")]),
            ("OcfailRegionDown", vec![("region", "eu-central-1")]),
            ("OcfailRegionDown", vec![("region", "us-east-1")]),
            ("OcfailFleetDown", vec![]),
            ("OcfailCannotLoseAnotherRegion", vec![]),
        ],
    );
    promtool_test(&promtool, dir.path(), "all-regions-down.yaml", &yaml);
    drop(exporter);
    live.sim.shutdown().await;
}
