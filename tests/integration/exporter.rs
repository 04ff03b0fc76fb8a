//! `ocfail exporter` against the simulator: its `/metrics` read by the
//! official Prometheus Python client's parsers, values that follow the fleet
//! (a region scaled to 0, a region's API gone), and the Cloudflare requests
//! it costs a 50-region fleet.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ocfail::kube::Workloads;

use crate::util::{Launch, LiveSim, SECRET_TOKEN, python_venv, root, wait_until};

/// One sample as the Python parser read it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Sample {
    pub family: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// The exporter as a child process, and the URL it printed.
pub struct Exporter {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Exporter {
    pub fn start(fleet: &std::path::Path, interval: &str, rps: &str) -> Exporter {
        let fleet = fleet.display().to_string();
        Exporter::spawn(&[
            "-f",
            &fleet,
            "exporter",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            interval,
            "--cloudflare-rps",
            rps,
        ])
    }

    /// `ocfail ARGS…`, which must start an exporter.
    pub fn spawn(args: &[&str]) -> Exporter {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ocfail"))
            .args(args)
            .env("CLOUDFLARE_API_TOKEN", SECRET_TOKEN)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let start = line.find("http://").expect(&line);
        let end = start + line[start..].find("/metrics").expect(&line);
        Exporter {
            child,
            base: line[start..end].to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let resp = reqwest::get(format!("{}{path}", self.base)).await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// Waits for `/healthz` to say a refresh has finished.
    pub async fn ready(&self) {
        wait_until(
            Duration::from_secs(20),
            "the exporter's first refresh",
            || async { self.get("/healthz").await.0 == 200 },
        )
        .await;
    }

    /// When the last refresh finished, as `/metrics` says (the raw value of
    /// `ocfail_exporter_last_refresh_timestamp_seconds`).
    async fn last_refresh(&self) -> Option<String> {
        let metrics = self.get("/metrics").await.1;
        metrics.lines().find_map(|l| {
            l.strip_prefix("ocfail_exporter_last_refresh_timestamp_seconds ")
                .map(str::to_owned)
        })
    }

    /// Waits until a refresh finishes after the one that finished at
    /// `after`, and returns when that one finished.
    async fn next_refresh(&self, after: Option<String>) -> Option<String> {
        wait_until(
            Duration::from_secs(20),
            "the exporter's next refresh",
            || async {
                let now = self.last_refresh().await;
                (now.is_some() && now != after).then_some(now)
            },
        )
        .await
    }

    /// `/metrics` as `curl` gets it (the classic text format), parsed by
    /// the official Python client's `prometheus_client.parser`.
    pub async fn samples(&self) -> Option<Vec<Sample>> {
        let text = self.get("/metrics").await.1;
        parse(text, "text").await
    }

    /// `/metrics` as Prometheus asks for it (OpenMetrics), parsed by the
    /// Python client's strict OpenMetrics parser.
    async fn openmetrics(&self) -> Option<Vec<Sample>> {
        let resp = reqwest::Client::new()
            .get(format!("{}/metrics", self.base))
            .header(
                "accept",
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            )
            .send()
            .await
            .unwrap();
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/openmetrics-text")
        );
        parse(resp.text().await.unwrap(), "openmetrics").await
    }

    /// Polls until `check` holds for the parsed samples (20 s at most).
    pub async fn until(
        &self,
        what: &str,
        check: impl Fn(&[Sample]) -> bool,
    ) -> Option<Vec<Sample>> {
        wait_until(Duration::from_secs(20), what, || async {
            match self.samples().await {
                None => Some(None),
                Some(samples) => check(&samples).then_some(Some(samples)),
            }
        })
        .await
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` parsed in `mode` (`text` or `openmetrics`) by the Python client;
/// `None` when there is no venv (outside CI only).
async fn parse(text: String, mode: &'static str) -> Option<Vec<Sample>> {
    let python = tokio::task::spawn_blocking(python_venv).await.unwrap()?;
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut p = Command::new(python)
            .arg(root().join("tests/python/parse_metrics.py"))
            .arg(mode)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        p.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        p.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused /metrics ({mode}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    )
}

/// The value of `name{region=…, extra…}`.
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_with_the_official_parser_and_follow_the_fleet() {
    ocfail::install_crypto_provider();
    let live = LiveSim::start().await;
    let exporter = Exporter::start(&live.fleet(), "200ms", "50");
    exporter.ready().await;
    let Some(samples) = exporter.samples().await else {
        return;
    };
    let families: std::collections::BTreeSet<&str> =
        samples.iter().map(|s| s.family.as_str()).collect();
    // Both formats carry the same families (the classic parser names
    // counters by their `_total` samples' family, as Prometheus does).
    let strict = exporter.openmetrics().await.unwrap();
    let strict: std::collections::BTreeSet<&str> =
        strict.iter().map(|s| s.family.as_str()).collect();
    assert_eq!(
        families
            .iter()
            .map(|f| f.trim_end_matches("_total"))
            .collect::<std::collections::BTreeSet<_>>(),
        strict
            .iter()
            .map(|f| f.trim_end_matches("_total"))
            .collect::<std::collections::BTreeSet<_>>()
    );
    for name in ocfail::ops::exporter::metrics::NAMES {
        if name.starts_with("ocfail_last_drill") {
            continue; // no drill has run yet
        }
        if name.starts_with("ocfail_practice_") {
            continue; // the seed fleet has no `practice:` (practice_seen.rs)
        }
        let family = name.trim_end_matches("_total");
        assert!(
            families.contains(family),
            "{name} missing from {families:?}"
        );
    }
    let us = [("region", "us-east-1")];
    assert_eq!(value(&samples, "ocfail_region_up", &us), Some(1.0));
    assert_eq!(
        value(
            &samples,
            "ocfail_deployment_replicas_ready",
            &[("region", "us-east-1"), ("color", "blue")]
        ),
        Some(3.0)
    );
    assert_eq!(value(&samples, "ocfail_pool_healthy", &us), Some(1.0));
    assert_eq!(value(&samples, "ocfail_lb_selected", &us), Some(1.0));
    assert_eq!(
        value(&samples, "ocfail_fleet_survives_region_loss", &[]),
        Some(1.0)
    );
    assert!(
        samples
            .iter()
            .any(|s| s.name == "ocfail_origin_healthy" && s.labels.contains_key("check_region")),
        "origin health per check region"
    );

    // us-east-1 goes to 0: its pool turns unhealthy, traffic moves to eu-central-1.
    let k = live.client("us-east-1").await;
    k.scale("openclaw-api-blue", 0).await.unwrap();
    let samples = exporter
        .until(
            "us-east-1's pool unhealthy and the LB on eu-central-1",
            |s| {
                value(s, "ocfail_pool_healthy", &us) == Some(0.0)
                    && value(s, "ocfail_lb_selected", &[("region", "eu-central-1")]) == Some(1.0)
            },
        )
        .await
        .unwrap();
    assert_eq!(value(&samples, "ocfail_lb_selected", &us), Some(0.0));
    assert_eq!(
        value(
            &samples,
            "ocfail_deployment_replicas_ready",
            &[("region", "us-east-1"), ("color", "blue")]
        ),
        Some(0.0)
    );

    // eu-central-1's API fails every request: up 0, its last values stay
    // (stale, not gone).
    live.sim.world().faults.set_kube(
        "eu-central-1",
        ocfail::sim::KubeFault {
            error_rate: 1.0,
            ..Default::default()
        },
    );
    let samples = exporter
        .until("eu-central-1 down", |s| {
            value(s, "ocfail_region_up", &[("region", "eu-central-1")]) == Some(0.0)
        })
        .await
        .unwrap();
    assert_eq!(
        value(
            &samples,
            "ocfail_deployment_replicas_ready",
            &[("region", "eu-central-1"), ("color", "blue")]
        ),
        Some(3.0),
        "kept at its last value"
    );
    assert!(
        value(
            &samples,
            "ocfail_exporter_api_errors_total",
            &[("api", "kubernetes"), ("region", "eu-central-1")]
        )
        .is_some_and(|v| v >= 1.0)
    );
    live.sim.world().faults.clear();

    // A drill's record and, later, its summary: in progress, then the verdict.
    let eu = live.client("eu-central-1").await;
    eu.annotate_deployment(
        "openclaw-api-blue",
        "ocfail.dev/drill",
        Some(r#"{"runId":"r1","replicas":3,"method":"scale-to-zero","startedAt":"2026-12-01T12:00:00Z","by":"x@y"}"#),
    )
    .await
    .unwrap();
    let eu_drill = [("region", "eu-central-1"), ("operation", "drill")];
    exporter
        .until("the drill in progress", |s| {
            value(s, "ocfail_operation_in_progress", &eu_drill) == Some(1.0)
        })
        .await
        .unwrap();
    eu.annotate_deployment("openclaw-api-blue", "ocfail.dev/drill", None)
        .await
        .unwrap();
    eu.annotate_deployment(
        "openclaw-api-blue",
        "ocfail.dev/last-drill",
        Some(r#"{"runId":"r1","verdict":"pass","at":"2026-12-01T12:01:00Z"}"#),
    )
    .await
    .unwrap();
    let samples = exporter
        .until("the last drill's verdict", |s| {
            value(
                s,
                "ocfail_last_drill_info",
                &[("region", "eu-central-1"), ("verdict", "pass")],
            ) == Some(1.0)
        })
        .await
        .unwrap();
    assert_eq!(
        value(&samples, "ocfail_operation_in_progress", &eu_drill),
        Some(0.0)
    );
    let at = value(
        &samples,
        "ocfail_last_drill_timestamp_seconds",
        &[("region", "eu-central-1")],
    );
    assert_eq!(at, Some(1_796_126_460.0), "2026-12-01T12:01:00Z");
    drop(exporter);
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sim_exporter_serves_valid_metrics() {
    ocfail::install_crypto_provider();
    let exporter = Exporter::spawn(&[
        "--sim",
        "exporter",
        "--listen",
        "127.0.0.1:0",
        "--interval",
        "200ms",
    ]);
    exporter.ready().await;
    let Some(samples) = exporter.samples().await else {
        return;
    };
    assert_eq!(
        value(
            &samples,
            "ocfail_region_up",
            &[("region", "ap-southeast-2")]
        ),
        Some(1.0),
        "the built-in seed fleet"
    );
    assert!(exporter.openmetrics().await.is_some_and(|s| !s.is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_50_region_fleet_costs_at_most_half_the_cloudflare_budget() {
    // 20 requests/s with a 1.5 s interval is the default 2/s and 15 s scaled
    // ten times: the same requests per refresh, ten times as often.
    let live = Launch::regions(50).start().await;
    let sim = &live.sim;
    let exporter = Exporter::start(&live.fleet(), "1500ms", "20");
    exporter.ready().await;
    // Whole refresh cycles, from the end of one refresh to the end of the
    // fourth after it: each cycle is a refresh and one interval's rest.
    let mut refreshed = exporter.next_refresh(None).await;
    let before = sim.world().cloudflare.requests_total();
    let started = Instant::now();
    for _ in 0..4 {
        refreshed = exporter.next_refresh(refreshed).await;
    }
    let sent = sim.world().cloudflare.requests_total() - before;
    let per_5_min = sent as f64 * 300.0 / started.elapsed().as_secs_f64();
    let budget = 20.0 * 300.0;
    eprintln!(
        "50 regions: {sent} Cloudflare requests in {:?}: {per_5_min:.0} per 5 minutes (budget {budget})",
        started.elapsed()
    );
    assert!(sent > 0);
    assert!(
        per_5_min <= budget * ocfail::ops::exporter::refresh::BUDGET_SHARE * 1.1,
        "{per_5_min:.0} requests per 5 minutes over half of {budget}"
    );
    // At the default pace that is 300 per 5 minutes, a quarter of Cloudflare's 1200.
    drop(exporter);
    live.sim.shutdown().await;
}
