//! The simulator's app metrics (issue 16): each region's `/metrics` on its
//! direct endpoint counts what that region's app answered, through the LB
//! or directly, by code and colour, and observes latency; `promtool` reads
//! the exposition; `monitoring render --app-metrics` scrapes every region
//! with a probe URL, and `promtool` accepts that config.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use ocfail::exit_code;
use ocfail::sim::OriginFault;

use crate::util::{Launch, LiveSim, exit, http, ocfail, text, wait_until};

/// `GET url`: status and body.
async fn get(url: &str) -> (u16, String) {
    let resp = http(Duration::from_secs(5)).get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// The value of the sample `name` with exactly `labels` (in any order) in
/// a classic exposition, `None` when absent.
fn value(exposition: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    want.sort();
    exposition.lines().find_map(|l| {
        let (series, v) = l.rsplit_once(' ')?;
        let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
        let mut have: Vec<String> = rest
            .strip_suffix('}')?
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        have.sort();
        (n == name && have == want).then(|| v.parse().ok())?
    })
}

fn requests(text: &str, region: &str, color: &str, code: u16) -> Option<f64> {
    let code = code.to_string();
    value(
        text,
        "openclaw_requests_total",
        &[("region", region), ("color", color), ("code", &code)],
    )
}

fn latency(text: &str, suffix: &str, labels: &[(&str, &str)]) -> Option<f64> {
    value(
        text,
        &format!("openclaw_request_latency_seconds{suffix}"),
        labels,
    )
}

/// The region's `/metrics` on its direct endpoint.
async fn scrape(live: &LiveSim, region: &str) -> String {
    let (status, body) = get(&format!("{}/_direct/{region}/metrics", live.sim.lb_url())).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn each_region_counts_what_its_app_answered_through_the_lb_and_directly() {
    let live = LiveSim::start().await;
    let lb = live.sim.lb_url();
    // 404s are only ever these requests: the monitor's probes are 200s.
    for _ in 0..5 {
        let (status, _) = get(&format!("{lb}/no-such-page")).await;
        assert_eq!(status, 404);
    }
    for _ in 0..3 {
        let (status, _) = get(&format!("{lb}/_direct/eu-central-1/no-such-page")).await;
        assert_eq!(status, 404);
    }
    // Through the LB, /metrics is the serving region's (us-east-1 leads
    // default_pools) and, like every scrape, not counted.
    let (status, via_lb) = get(&format!("{lb}/metrics")).await;
    assert_eq!(status, 200);
    assert_eq!(
        requests(&via_lb, "us-east-1", "blue", 404),
        Some(5.0),
        "{via_lb}"
    );

    let us = scrape(&live, "us-east-1").await;
    let eu = scrape(&live, "eu-central-1").await;
    let ap = scrape(&live, "ap-southeast-2").await;
    assert_eq!(requests(&us, "us-east-1", "blue", 404), Some(5.0), "{us}");
    assert_eq!(
        requests(&eu, "eu-central-1", "blue", 404),
        Some(3.0),
        "{eu}"
    );
    assert_eq!(requests(&ap, "ap-southeast-2", "blue", 404), None, "{ap}");
    assert!(
        !us.contains("region=\"eu-central-1\""),
        "one region per endpoint: {us}"
    );
    // The histogram saw every counted request of the colour (404s and the
    // monitor's 200s), read from one exposition.
    for (region, text, at_least) in [("us-east-1", &us, 5.0), ("eu-central-1", &eu, 3.0)] {
        let count = latency(text, "_count", &[("region", region), ("color", "blue")]).unwrap();
        let total: f64 = [200, 404]
            .iter()
            .filter_map(|c| requests(text, region, "blue", *c))
            .sum();
        assert!(count >= at_least, "{text}");
        assert_eq!(count, total, "{text}");
        assert_eq!(
            latency(
                text,
                "_bucket",
                &[("region", region), ("color", "blue"), ("le", "+Inf")]
            ),
            Some(count),
            "{text}"
        );
    }
    for le in [
        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "+Inf",
    ] {
        let labels = [("region", "us-east-1"), ("color", "blue"), ("le", le)];
        assert!(
            latency(&us, "_bucket", &labels).is_some(),
            "bucket {le}:\n{us}"
        );
    }
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_without_ready_pods_counts_503s_and_one_the_edge_cannot_reach_counts_nothing() {
    let live = LiveSim::start().await;
    let lb = live.sim.lb_url();
    let world = live.sim.world().clone();
    let us = world.cluster("us-east-1").unwrap().clone();
    us.scale("us-east-1", "openclaw-api-blue", 0).unwrap();
    let direct = format!("{lb}/_direct/us-east-1/");
    wait_until(
        Duration::from_secs(10),
        "us-east-1 to have no ready pods",
        || async { get(&direct).await.0 == 503 },
    )
    .await;
    let before =
        requests(&scrape(&live, "us-east-1").await, "us-east-1", "blue", 503).unwrap_or(0.0);
    for _ in 0..4 {
        assert_eq!(get(&direct).await.0, 503);
    }
    let after = scrape(&live, "us-east-1").await;
    // The monitor's probes may add their own 503s meanwhile.
    assert!(
        requests(&after, "us-east-1", "blue", 503).unwrap() >= before + 4.0,
        "{after}"
    );

    // The edge cannot connect to eu-central-1: its app never sees these.
    let eu = world.cluster("eu-central-1").unwrap().clone();
    let counted = || requests(&eu.app_metrics.encode(), "eu-central-1", "blue", 404);
    world
        .faults
        .set_origin("eu-central-1", OriginFault::unreachable(522));
    for _ in 0..3 {
        let (status, _) = get(&format!("{lb}/_direct/eu-central-1/no-such-page")).await;
        assert_eq!(status, 522);
    }
    let (status, _) = get(&format!("{lb}/_direct/eu-central-1/metrics")).await;
    assert_eq!(status, 522, "a scrape through the edge fails as well");
    assert_eq!(counted(), None);
    world
        .faults
        .set_origin("eu-central-1", OriginFault::default());
    get(&format!("{lb}/_direct/eu-central-1/no-such-page")).await;
    assert_eq!(counted(), Some(1.0));
    live.sim.shutdown().await;
}

/// `promtool`, or a loud skip outside CI (as in monitoring.rs).
fn promtool() -> Option<&'static str> {
    let p = "/usr/bin/promtool";
    if std::path::Path::new(p).exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "promtool is required in CI"
    );
    eprintln!("WARNING: promtool not found; skipping");
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn promtool_reads_the_app_metrics() {
    let live = LiveSim::start().await;
    let lb = live.sim.lb_url();
    get(&format!("{lb}/")).await;
    get(&format!("{lb}/no-such-page")).await;
    let body = scrape(&live, "us-east-1").await;
    assert!(
        body.contains("# TYPE openclaw_requests_total counter"),
        "{body}"
    );
    assert!(
        body.contains("# TYPE openclaw_request_latency_seconds histogram"),
        "{body}"
    );
    live.sim.shutdown().await;
    let Some(promtool) = promtool() else { return };
    let mut child = std::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}\n{}\n{body}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn render(args: &[&str], fleet: &std::path::Path, dir: &std::path::Path) -> std::process::Output {
    ocfail()
        .args(["monitoring", "render", "--out"])
        .arg(dir)
        .args(args)
        .arg("-f")
        .arg(fleet)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn render_app_metrics_scrapes_every_region_beside_its_probe() {
    // Every region of the synthetic fleet has a probe; the simulator's
    // fleet points them at its direct endpoints.
    let live = Launch::regions(3).start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = render(&["--app-metrics"], &live.fleet(), dir.path());
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
    let scrape_file = dir.path().join("prometheus-scrape.yaml");
    let config = std::fs::read_to_string(&scrape_file).unwrap();
    let parsed: serde_json::Value = serde_saphyr::from_str(&config).unwrap();
    let jobs = parsed["scrape_configs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2, "{config}");
    let app = &jobs[1];
    assert_eq!(app["job_name"], "synthetic-app", "{config}");
    assert_eq!(app["honor_labels"], true, "{config}");
    let lb = live.sim.lb_url();
    let lb_host = lb.trim_start_matches("http://");
    let statics = app["static_configs"].as_array().unwrap();
    assert_eq!(statics.len(), 3, "{config}");
    for (i, s) in statics.iter().enumerate() {
        let region = format!("region-{i}");
        assert_eq!(s["targets"], serde_json::json!([lb_host]), "{config}");
        assert_eq!(s["labels"]["region"], region.as_str(), "{config}");
        assert_eq!(s["labels"]["__scheme__"], "http", "{config}");
        let path = format!("/_direct/{region}/metrics");
        assert_eq!(s["labels"]["__metrics_path__"], path.as_str(), "{config}");
        // What the target names is where that region's app answers.
        get(&format!("{lb}/_direct/{region}/no-such-page")).await;
        let (status, body) = get(&format!("{lb}{path}")).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(requests(&body, &region, "blue", 404), Some(1.0), "{body}");
    }

    // Without the flag, only the exporter's job.
    let plain = tempfile::tempdir().unwrap();
    let out = render(&[], &live.fleet(), plain.path());
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
    let config_plain =
        std::fs::read_to_string(plain.path().join("prometheus-scrape.yaml")).unwrap();
    assert!(!config_plain.contains("-app"), "{config_plain}");
    live.sim.shutdown().await;

    let Some(promtool) = promtool() else { return };
    let out = std::process::Command::new(promtool)
        .args(["check", "config"])
        .arg(&scrape_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool check config:\n{}\n{}\n{config}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn render_app_metrics_names_the_regions_it_cannot_scrape_and_needs_one_it_can() {
    let root = crate::util::root();
    let dir = tempfile::tempdir().unwrap();
    // The seed fleet: only us-east-1 has a probe.
    let out = render(
        &["--app-metrics"],
        &root.join("fixtures/fleet.yaml"),
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
    let config = std::fs::read_to_string(dir.path().join("prometheus-scrape.yaml")).unwrap();
    for want in [
        "job_name: openclaw-rating-api-app",
        "us-east-1.api.openclaw.com:443",
        "__scheme__: https",
        "__metrics_path__: /metrics",
        "# Not scraped (no http(s) probe URL): eu-central-1, ap-southeast-2.",
    ] {
        assert!(config.contains(want), "no `{want}` in:\n{config}");
    }

    // No region with a probe: nothing to scrape is a usage error.
    let fleet = dir.path().join("no-probes.yaml");
    let seed = std::fs::read_to_string(root.join("fixtures/fleet.yaml")).unwrap();
    let edited = seed.replace(
        "    probe: https://us-east-1.api.openclaw.com/healthz\n",
        "",
    );
    assert_ne!(edited, seed);
    std::fs::write(&fleet, edited).unwrap();
    let out = render(&["--app-metrics"], &fleet, &dir.path().join("out"));
    assert_eq!(
        out.status.code(),
        exit(exit_code::USAGE),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("--app-metrics"),
        "{}",
        text(&out.stderr)
    );
}

/// A real Prometheus scraping the simulator with the rendered config:
/// every region's app is a target on its own metrics path, and its series
/// keep their `region` (honoured, not renamed `exported_region`).
#[tokio::test(flavor = "multi_thread")]
async fn prometheus_scrapes_every_region_with_the_rendered_job() {
    let prometheus = std::path::Path::new("/usr/bin/prometheus");
    if !prometheus.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "prometheus is required in CI"
        );
        eprintln!("WARNING: prometheus not found; skipping");
        return;
    }
    let live = Launch::regions(3).start().await;
    let lb = live.sim.lb_url();
    for i in 0..3 {
        get(&format!("{lb}/_direct/region-{i}/no-such-page")).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = render(
        &["--app-metrics", "--interval", "1s"],
        &live.fleet(),
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(prometheus)
        .arg(format!(
            "--config.file={}",
            dir.path().join("prometheus-scrape.yaml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let query = format!("http://127.0.0.1:{port}/api/v1/query?query=openclaw_requests_total");
    let seen = crate::util::poll_until(Duration::from_secs(30), || async {
        let Ok(resp) = http(Duration::from_secs(2)).get(&query).send().await else {
            return None;
        };
        let body: serde_json::Value = resp.json().await.ok()?;
        let result = body["data"]["result"].as_array()?.clone();
        let regions: std::collections::BTreeSet<String> = result
            .iter()
            .filter(|s| s["metric"]["code"] == "404")
            .filter_map(|s| s["metric"]["region"].as_str().map(str::to_owned))
            .collect();
        (regions.len() == 3).then_some(result)
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    live.sim.shutdown().await;
    let result =
        seen.unwrap_or_else(|last| panic!("Prometheus never saw all three regions: {last:?}"));
    for s in result {
        let m = &s["metric"];
        assert_eq!(m["job"], "synthetic-app", "{s}");
        assert_eq!(m["fleet"], "synthetic", "{s}");
        assert!(m.get("exported_region").is_none(), "{s}");
        let region = m["region"].as_str().unwrap();
        assert!(m["instance"].as_str().is_some(), "{s}");
        assert!(
            ["blue", "green"].contains(&m["color"].as_str().unwrap()),
            "{s}"
        );
        assert!(region.starts_with("region-"), "{s}");
    }
}
