//! The drill's safety rules end to end (docs/drills.md, safety rules) that
//! drill.rs does not cover: `degraded-only`, `min-healthy-pools`,
//! `autoscaler` and `gitops`. Each test sets its condition up through the
//! simulator's real APIs (or the manifest), sees the drill refused by the
//! rule's name with the fleet untouched, then overrides the rule: the reason
//! is in the report, the drill runs, and the fleet is exactly as before.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::api::{Api, Patch, PatchParams};
use ocfail::exit_code;
use ocfail::kube::Workloads;
use serde_json::{Value, json};

use crate::fleet_checks::{FleetPicture, assert_as_before};
use crate::util::{Launch, LiveSim, exit, redact_run, text};

const REGION: &str = "us-east-1";
const LIVE: &str = "openclaw-api-blue";

/// Drills us-east-1 twice: without an override (refused by `rule`, nothing
/// changed), then with `--override rule --reason reason` (exits `code`, the
/// fleet put back exactly). Returns the second run's JSON report.
async fn refused_then_overridden(live: &LiveSim, rule: &str, reason: &str, code: u8) -> Value {
    let before = FleetPicture::take(live).await;
    let out = live
        .run(&["drill", "--region", REGION, "--yes", "-v"])
        .await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        exit(exit_code::REFUSED),
        "refused by {rule}:\n{stdout}\n{}",
        text(&out.stderr)
    );
    // The refusal names the rule and says how to override it.
    insta::assert_snapshot!(
        format!("drill_refused_{rule}"),
        redact_run(&stdout, Some(live))
    );
    before.assert_unchanged(live, "by a refused drill").await;

    let out = live
        .run(&[
            "drill",
            "--region",
            REGION,
            "--yes",
            "--hold",
            "0s",
            "--override",
            rule,
            "--reason",
            reason,
            "-o",
            "json",
            "--cloudflare-rps",
            "20",
        ])
        .await;
    assert_eq!(
        out.status.code(),
        exit(code),
        "{rule} overridden:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = doc["notes"].to_string();
    assert!(
        notes.contains(&format!("rule {rule} overridden: {reason}")),
        "{notes}"
    );
    let us = drilled(&doc);
    for step in ["inject", "restore scale", "restore ready", "restore record"] {
        assert_eq!(check(us, step)["verdict"], "pass", "{step}: {us}");
    }
    assert_as_before(live).await;
    before
        .assert_unchanged(live, "by the overridden drill")
        .await;
    doc
}

/// The drilled region's report.
fn drilled(doc: &Value) -> &Value {
    doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == REGION)
        .unwrap_or_else(|| panic!("no {REGION} in {doc}"))
}

/// The check called `name` of a region's report.
fn check<'a>(region: &'a Value, name: &str) -> &'a Value {
    region["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {region}"))
}

/// The seed fleet's simulator, with room for the failover window's errors:
/// a drill held for 0 s sends only a handful of requests, so the one or two
/// that fail before the LB moves would break the 5% default on their own.
fn launch() -> Launch {
    Launch::seed().edit("maxErrorRate: 5%", "maxErrorRate: 50%")
}

#[tokio::test(flavor = "multi_thread")]
async fn degraded_only_is_refused_and_overridden_the_drill_is_inconclusive() {
    let live = launch().start().await;
    let pool = live.sim.world().cloudflare.pool_for_region(REGION).unwrap();
    let account = live.sim.world().cloudflare.account_id().to_owned();
    live.cloudflare()
        .ok(
            reqwest::Method::PATCH,
            &format!("/accounts/{account}/load_balancers/pools/{}", pool.id),
            Some(json!({"minimum_origins": 0})),
        )
        .await;
    // The pool stays healthy with no healthy origin, so failover never comes:
    // a short deadline keeps the overridden drill quick.
    live.edit("failoverTimeout: auto", "failoverTimeout: 2s");

    let doc = refused_then_overridden(
        &live,
        "degraded-only",
        "measuring a degraded pool",
        exit_code::INCONCLUSIVE,
    )
    .await;
    let us = drilled(&doc);
    assert_eq!(us["verdict"], "inconclusive", "{us}");
    assert_eq!(check(us, "unhealthy")["verdict"], "inconclusive", "{us}");
    assert_eq!(
        live.sim
            .world()
            .cloudflare
            .pool_for_region(REGION)
            .unwrap()
            .minimum_origins,
        0,
        "the drill leaves the pool's settings alone"
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn min_healthy_pools_is_refused_and_overridden_the_drill_passes() {
    let live = launch().start().await;
    // Two other pools must stay, but the LB no longer uses eu-central-1's
    // (healthy) pool: only ap-southeast-2's can take the traffic. (Every
    // pool must be healthy for the steady state, and validation caps
    // minHealthyPools at the other regions' count, so a pool out of the LB
    // is what this rule can still catch.)
    live.edit("minHealthyPools: 1", "minHealthyPools: 2");
    let cf = live.sim.world().cloudflare.clone();
    let id = |region: &str| cf.pool_for_region(region).unwrap().id;
    let zone = cf.zone_id().to_owned();
    let lbs = live
        .cloudflare()
        .ok(
            reqwest::Method::GET,
            &format!("/zones/{zone}/load_balancers"),
            None,
        )
        .await;
    let lb = lbs["result"][0]["id"].as_str().unwrap().to_owned();
    live.cloudflare()
        .ok(
            reqwest::Method::PATCH,
            &format!("/zones/{zone}/load_balancers/{lb}"),
            Some(json!({"default_pools": [id(REGION), id("ap-southeast-2")]})),
        )
        .await;
    let doc = refused_then_overridden(
        &live,
        "min-healthy-pools",
        "two pools carry the load on a quiet day",
        exit_code::OK,
    )
    .await;
    assert_eq!(drilled(&doc)["verdict"], "pass", "{doc}");
    let ap = doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "ap-southeast-2")
        .unwrap();
    assert_eq!(ap["summary"], "took the traffic", "{doc}");
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn autoscaler_is_refused_and_overridden_the_hpa_is_active_again_after_restore() {
    let live = launch().start().await;
    live.create_hpa(REGION, LIVE).await;

    let doc = refused_then_overridden(
        &live,
        "autoscaler",
        "Kubernetes disables the HPA at 0 replicas",
        exit_code::OK,
    )
    .await;
    let us = drilled(&doc);
    assert_eq!(us["verdict"], "pass", "{us}");
    let hpa_check = check(us, "restore hpa");
    assert_eq!(hpa_check["verdict"], "pass", "{us}");
    assert_eq!(hpa_check["detail"], format!("HPA {LIVE} active again"));
    // The HPA was disabled while the Deployment had 0 replicas (it did not
    // fight the drill: the drill passed), and enabled again after.
    let flips: Vec<String> = live
        .sim
        .world()
        .log
        .snapshot()
        .into_iter()
        .filter(|e| e.region.as_deref() == Some(REGION) && e.kind.starts_with("hpa-"))
        .map(|e| e.kind)
        .collect();
    assert_eq!(flips, ["hpa-active", "hpa-disabled", "hpa-active"]);
    let k = live.client(REGION).await;
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(k.client().clone(), REGION);
    let status = hpas.get(LIVE).await.unwrap().status.unwrap();
    assert_eq!(
        (status.current_replicas, status.desired_replicas),
        (Some(3), 3)
    );
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gitops_is_refused_and_overridden_the_drill_passes() {
    let live = launch().start().await;
    let k = live.client(REGION).await;
    let deployments: Api<Deployment> = Api::namespaced(k.client().clone(), REGION);
    deployments
        .patch(
            LIVE,
            &PatchParams::default(),
            &Patch::Merge(json!({
                "metadata": {"labels": {"argocd.argoproj.io/instance": "openclaw-rating-api"}}
            })),
        )
        .await
        .unwrap();
    let doc = refused_then_overridden(
        &live,
        "gitops",
        "auto-sync paused for the game day",
        exit_code::OK,
    )
    .await;
    assert_eq!(drilled(&doc)["verdict"], "pass", "{doc}");
    let d = k.deployment(LIVE).await.unwrap().unwrap();
    assert_eq!(
        d.labels["argocd.argoproj.io/instance"], "openclaw-rating-api",
        "the drill leaves Argo CD's label alone"
    );
    live.sim.shutdown().await;
}
