//! Steering seen through the LB listener: disabling pools, monitor changes
//! taking effect, the fallback pool, 530 when nothing can serve, and 503
//! when the routed region has no ready pods.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::support::*;
use crate::util::{Cf, LiveSim, wait_until};

#[tokio::test(flavor = "multi_thread")]
async fn disabling_a_pool_moves_traffic_and_back() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    let id = pool_id(&cf, "openclaw-us-east-1").await;
    let item = format!("{}/{id}", pools_path());
    assert_eq!(lb_region(&sim).await, Ok("us-east-1".to_owned()));

    let v = cf
        .ok(Method::PATCH, &item, Some(json!({"enabled": false})))
        .await;
    assert_eq!(v["result"]["enabled"], false);
    let disabled_at = v["result"]["disabled_at"].as_str().unwrap().to_owned();
    assert!(humantime::parse_rfc3339(&disabled_at).is_ok());
    // The LB moves at once: disabling is not a health check.
    assert_eq!(lb_region(&sim).await, Ok("eu-central-1".to_owned()));
    let admin: Value = reqwest::get(format!("{}/_sim/route", sim.admin_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin["region"], "eu-central-1");
    // An unrelated write keeps the original `disabled_at`.
    let v = cf
        .ok(Method::PATCH, &item, Some(json!({"description": "x"})))
        .await;
    assert_eq!(v["result"]["disabled_at"], disabled_at.as_str());

    let v = cf
        .ok(Method::PATCH, &item, Some(json!({"enabled": true})))
        .await;
    assert!(v["result"].get("disabled_at").is_none());
    assert_eq!(lb_region(&sim).await, Ok("us-east-1".to_owned()));

    // Direct probes bypass the LB; unknown regions are 404.
    let resp = reqwest::get(format!("{}/_direct/ap-southeast-2/healthz", sim.lb_url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-openclaw-region"], "ap-southeast-2");
    let resp = reqwest::get(format!("{}/_direct/mars-1/healthz", sim.lb_url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    // A disabled LB serves nothing: 530 with Cloudflare's 1016 page.
    let lbs = cf
        .ok(Method::GET, &format!("/zones/{ZONE}/load_balancers"), None)
        .await;
    let lb_id = lbs["result"][0]["id"].as_str().unwrap();
    cf.ok(
        Method::PATCH,
        &format!("/zones/{ZONE}/load_balancers/{lb_id}"),
        Some(json!({"enabled": false})),
    )
    .await;
    let resp = reqwest::get(format!("{}/healthz", sim.lb_url()))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 530);
    assert_eq!(resp.text().await.unwrap(), "error code: 1016");

    let kinds: Vec<String> = sim
        .world()
        .log
        .snapshot()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for k in [
        "pool-disabled",
        "pool-enabled",
        "lb-route-changed",
        "load-balancer-updated",
    ] {
        assert!(kinds.iter().any(|x| x == k), "no {k} event in {kinds:?}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn monitor_changes_apply_on_the_next_tick_and_fallback_ignores_health() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    let monitors = format!("/accounts/{ACCOUNT}/load_balancers/monitors");
    let m = cf.ok(Method::GET, &monitors, None).await["result"][0].clone();
    let item = format!("{monitors}/{}", m["id"].as_str().unwrap());

    // A path every origin answers 404 on: all pools turn unhealthy, and the
    // LB uses the fallback pool (ap-southeast-2) regardless of its health.
    cf.ok(Method::PATCH, &item, Some(json!({"path": "/nope"})))
        .await;
    let fallback = pool_id(&cf, "openclaw-ap-southeast-2").await;
    wait_until(Duration::from_secs(5), "every pool unhealthy", || async {
        let v = cf.ok(Method::GET, &pools_path(), None).await;
        let list = v["result"].as_array().unwrap().clone();
        list.iter().all(|p| p["healthy"] == false).then_some(())
    })
    .await;
    assert_eq!(lb_region(&sim).await, Ok("ap-southeast-2".to_owned()));
    let health = cf
        .ok(
            Method::GET,
            &format!("{}/{fallback}/health", pools_path()),
            None,
        )
        .await;
    let pop = health["result"]["pop_health"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    let data = &pop["origins"][0]["openclaw-api.ap-southeast-2.ap-southeast-2.sim.internal"];
    assert_eq!(pop["healthy"], false);
    assert_eq!(data["failure_reason"], "Response code mismatch error");
    assert_eq!(data["response_code"], 404);

    // With the fallback disabled too, nothing can serve.
    cf.ok(
        Method::PATCH,
        &format!("{}/{fallback}", pools_path()),
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(lb_region(&sim).await, Err(530));
    assert_eq!(
        sim.world().cloudflare.route(),
        ocfail::sim::cloudflare::Route::Nothing
    );
    cf.ok(
        Method::PATCH,
        &format!("{}/{fallback}", pools_path()),
        Some(json!({"enabled": true})),
    )
    .await;

    // Restoring the monitor brings the primary back.
    cf.ok(Method::PATCH, &item, Some(json!({"path": "/healthz"})))
        .await;
    wait_until(
        Duration::from_secs(5),
        "traffic back in us-east-1",
        || async { (lb_region(&sim).await == Ok("us-east-1".to_owned())).then_some(()) },
    )
    .await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lb_answers_503_when_the_routed_region_has_no_ready_pods() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    // Without a monitor the pool's health is ignored, so traffic stays on
    // us-east-1 after its pods are gone.
    let id = pool_id(&cf, "openclaw-us-east-1").await;
    let v = cf
        .ok(
            Method::PATCH,
            &format!("{}/{id}", pools_path()),
            Some(json!({"monitor": null})),
        )
        .await;
    assert!(v["result"].get("monitor").is_none());
    let cluster = sim.world().cluster("us-east-1").unwrap().clone();
    cluster.scale("us-east-1", "openclaw-api-blue", 0).unwrap();
    let resp = wait_until(Duration::from_secs(5), "a 503 from us-east-1", || async {
        let resp = reqwest::get(format!("{}/healthz", sim.lb_url()))
            .await
            .unwrap();
        (resp.status() == 503).then_some(resp)
    })
    .await;
    assert_eq!(resp.headers()["x-openclaw-region"], "us-east-1");
    assert_eq!(resp.headers()["server"], "cloudflare");
    let (status, _, v) = cf
        .call(
            Method::GET,
            &format!("{}/{id}/health", pools_path()),
            None,
            Some("t"),
        )
        .await;
    assert_eq!(status, 404, "no monitor, no health: {v}");
    sim.shutdown().await;
}
