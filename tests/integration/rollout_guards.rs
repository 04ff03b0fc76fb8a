//! A rollout with Prometheus in the loop (issue 16), against a real
//! Prometheus scraping the simulator's app metrics: an analysis of the
//! newly live colour promotes a good image and rolls a crashing one back;
//! a firing blocking alert refuses a rollout unless it is overridden.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ocfail::exit_code;
use ocfail::manifest::{AlertMatcher, CompareOp, Fleet, Guard, GuardWhen, Prometheus};
use ocfail::prometheus::{AlertState, Metrics};

use crate::promstack::{PromStack, StackOptions};
use crate::rollout::{NEW, REGIONS, colours};
use crate::util::{Launch, LiveSim, exited, http, wait_until};

/// Ready, passes `/healthz`, answers every real request with a 500.
const CRASHING: &str = "registry.example/openclaw-api:1.5.0-crash";

/// The 5xx rate of the newly live colour in its region: no 5xx series at
/// all is a rate of 0 (a good image never answers one), not "no data".
const ERRORS_5XX: &str = r#"sum(rate(openclaw_requests_total{region={region},color={color},code=~"5.."}[5s])) or vector(0)"#;

/// Prometheus scraping each region's app on its direct endpoint, as
/// `monitoring render --app-metrics` does (one target per region, its
/// metrics path a label).
fn stack(live: &LiveSim, rules: Option<&str>) -> Option<PromStack> {
    let lb = live.sim.lb_url();
    let host = lb.strip_prefix("http://").unwrap();
    let mut yaml = "- job_name: app\n  honor_labels: true\n  static_configs:\n".to_owned();
    for region in REGIONS {
        yaml += &format!(
            "    - targets: [\"{host}\"]\n      labels:\n        __metrics_path__: \"/_direct/{region}/metrics\"\n"
        );
    }
    PromStack::start(StackOptions {
        scrape_yaml: Some(yaml),
        rules: rules.map(str::to_owned),
        ..StackOptions::default()
    })
}

/// Rewrites the written fleet: Prometheus at `url`, the smoke checks cut
/// to `/healthz` (so that a crashing image reaches the switch and only
/// the analysis can catch it), then `edit`.
fn configure(live: &LiveSim, url: &str, edit: impl FnOnce(&mut Fleet)) {
    let mut fleet = live.manifest();
    fleet.rollout.smoke.retain(|s| s.name == "healthz");
    fleet.rollout.ready_timeout = Duration::from_secs(10);
    fleet.prometheus = Some(Prometheus {
        url: url.to_owned(),
        alertmanager_url: None,
        bearer_token: None,
        basic_auth: None,
        timeout: Duration::from_secs(5),
        region_down_for: None,
    });
    edit(&mut fleet);
    std::fs::write(live.fleet(), fleet.to_yaml()).unwrap();
}

fn analysis() -> Guard {
    Guard {
        name: "new-color-5xx".to_owned(),
        query: ERRORS_5XX.to_owned(),
        op: CompareOp::Lt,
        value: 0.5,
        for_: Duration::ZERO,
        when: GuardWhen::During,
    }
}

/// Real users: every region's app gets `POST /v1/rate` on its direct
/// endpoint, 20 a second, until stopped.
struct Users {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Users {
    fn start(live: &LiveSim) -> Users {
        let lb = live.sim.lb_url();
        let stop = Arc::new(AtomicBool::new(false));
        let s = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let client = http(Duration::from_secs(2));
            while !s.load(Ordering::Relaxed) {
                for region in REGIONS {
                    let _ = client
                        .post(format!("{lb}/_direct/{region}/v1/rate"))
                        .header("content-type", "application/json")
                        .body(r#"{"content":"test"}"#)
                        .send()
                        .await;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        Users { stop, task }
    }

    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
    }
}

/// The region's check named `name` in a JSON report.
fn check<'a>(doc: &'a serde_json::Value, region: &str, name: &str) -> &'a serde_json::Value {
    let r = doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == region)
        .unwrap_or_else(|| panic!("no {region} in {doc}"));
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {r}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_analysis_promotes_a_good_image_and_rolls_a_crashing_one_back() {
    let live = Launch::seed().start().await;
    let Some(prom) = stack(&live, None) else {
        return;
    };
    configure(&live, &prom.prometheus_url, |f| {
        f.rollout.verify_for = Duration::from_secs(8);
        f.rollout.analysis = vec![analysis()];
    });
    let users = Users::start(&live);

    // A crashing image: ready and healthy, so it is switched live in the
    // first wave, where its 500s breach the analysis; rollback-all.
    let before = colours(&live).await;
    let out = live
        .run(&["rollout", "--image", CRASHING, "--yes", "-o", "json"])
        .await;
    let stdout = exited(&out, exit_code::FAILED);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(colours(&live).await, before, "every region switched back");
    let first = "ap-southeast-2";
    let r = doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == first)
        .unwrap();
    assert_eq!(r["rollout"]["status"], "failed", "{r}");
    assert_eq!(r["verdict"], "fail", "{r}");
    let c = check(&doc, first, "guard:new-color-5xx");
    assert_eq!(c["verdict"], "fail", "{c}");
    let detail = c["detail"].as_str().unwrap();
    // The query as sent (placeholders filled), the value, the threshold.
    assert!(
        detail.contains(
            r#"openclaw_requests_total{region="ap-southeast-2",color="green",code=~"5.."}"#
        ),
        "{detail}"
    );
    assert!(detail.contains("must be < 0.5: breached"), "{detail}");
    // The traffic verification did not get to judge: the analysis cut the
    // window short.
    assert!(!r["checks"].to_string().contains("\"verify\""), "{r}");

    // A good image: the same analysis holds in every region, once the
    // crashing image's 500s have left the query's window (it measures the
    // colour, not the image).
    let client = prom.client();
    wait_until(
        Duration::from_secs(30),
        "the 5xx of green to leave the rate window",
        || {
            let client = client.clone();
            async move {
                let q = r#"sum(rate(openclaw_requests_total{color="green",code=~"5.."}[5s])) or vector(0)"#;
                match client.query(q).await {
                    Ok(s) if s.iter().all(|s| s.value == 0.0) => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            }
        },
    )
    .await;
    let out = live
        .run(&["rollout", "--image", NEW, "--yes", "-o", "json"])
        .await;
    users.stop().await;
    let stdout = exited(&out, exit_code::OK);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for region in REGIONS {
        let c = check(&doc, region, "guard:new-color-5xx");
        assert_eq!(c["verdict"], "pass", "{c}");
        let detail = c["detail"].as_str().unwrap();
        assert!(detail.contains("held (analysis"), "{detail}");
        assert!(
            detail.contains(&format!(r#"region="{region}",color="green""#)),
            "{detail}"
        );
    }
    for (colour, image, _) in colours(&live).await {
        assert_eq!((colour.as_str(), image.as_str()), ("green", NEW));
    }
    live.sim.shutdown().await;
}

const ALWAYS_FIRING: &str = "groups:
  - name: incident
    rules:
      - alert: IncidentOpen
        expr: vector(1)
        labels: { severity: page }
";

#[tokio::test(flavor = "multi_thread")]
async fn a_firing_blocking_alert_refuses_a_rollout_unless_overridden() {
    let live = Launch::seed().quick_rollout().start().await;
    let Some(prom) = stack(&live, Some(ALWAYS_FIRING)) else {
        return;
    };
    prom.wait_for_alert("IncidentOpen", AlertState::Firing, Duration::from_secs(20))
        .await;
    configure(&live, &prom.prometheus_url, |f| {
        f.rollout.blocking_alerts =
            vec![AlertMatcher(r#"IncidentOpen{severity="page"}"#.to_owned())];
    });
    let before = colours(&live).await;
    let writes = |live: &LiveSim| {
        live.sim
            .world()
            .log
            .snapshot()
            .into_iter()
            .filter(|e| e.kind == "service-selector-changed" || e.kind.contains("deployment"))
            .count()
    };
    let writes_before = writes(&live);
    let out = live
        .run(&["rollout", "--image", NEW, "--yes", "-o", "json"])
        .await;
    let stdout = exited(&out, exit_code::REFUSED);
    assert_eq!(colours(&live).await, before, "nothing changed");
    assert_eq!(writes(&live), writes_before, "nothing written");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let c = check(&doc, "us-east-1", "guard:IncidentOpen");
    assert_eq!(c["verdict"], "fail", "{c}");
    assert!(
        c["detail"].as_str().unwrap().contains("IncidentOpen"),
        "{c}"
    );

    // A safety rule of `drill` is no rollout override.
    let out = live
        .run(&[
            "rollout",
            "--image",
            NEW,
            "--yes",
            "--override",
            "min-healthy-pools",
            "--reason",
            "x",
        ])
        .await;
    exited(&out, exit_code::USAGE);

    let out = live
        .run(&[
            "rollout",
            "--image",
            NEW,
            "--regions",
            "ap-southeast-2",
            "--yes",
            "-o",
            "json",
            "--override",
            "guard:IncidentOpen",
            "--reason",
            "the incident is what this fixes",
        ])
        .await;
    let stdout = exited(&out, exit_code::OK);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let c = check(&doc, "ap-southeast-2", "guard:IncidentOpen");
    assert_eq!(c["verdict"], "warn", "{c}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("the incident is what this fixes"),
        "{c}"
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_its_credential_a_rollout_with_an_analysis_could_not_check_and_changes_nothing() {
    let live = Launch::seed().quick_rollout().start().await;
    // Nothing listens there: the client is never built, so never used.
    configure(&live, "http://127.0.0.1:9", |f| {
        f.rollout.analysis = vec![analysis()];
        if let Some(p) = &mut f.prometheus {
            p.bearer_token = Some(ocfail::manifest::SecretRef {
                from_env: "OCFAIL_TEST_UNSET_PROM_TOKEN".to_owned(),
            });
        }
    });
    let before = colours(&live).await;
    let out = live
        .run(&["rollout", "--image", NEW, "--yes", "-o", "json"])
        .await;
    let stdout = exited(&out, exit_code::UNAVAILABLE);
    assert_eq!(colours(&live).await, before, "nothing changed");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let c = check(&doc, "us-east-1", "guard:new-color-5xx");
    assert_eq!(c["verdict"], "error", "{c}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("OCFAIL_TEST_UNSET_PROM_TOKEN"),
        "{c}"
    );
    live.sim.shutdown().await;
}
