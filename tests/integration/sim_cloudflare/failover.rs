//! The edge in front of the origins: an origin the edge cannot reach
//! (`/_sim/faults/origin/…`) and zero-downtime failover
//! (`adaptive_routing.failover_across_pools`).
//!
//! Each test first stretches the monitor's interval to 3600 API seconds
//! (6 minutes at the fast options' time scale), so the pool's health cannot
//! change while it sends requests: what users see *before* the monitor
//! notices is the point.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::*;
use crate::util::{Cf, LiveSim, wait_until};

/// The seeded monitor's item path.
async fn monitor_item(cf: &Cf) -> String {
    let monitors = format!("/accounts/{ACCOUNT}/load_balancers/monitors");
    let m = cf.ok(Method::GET, &monitors, None).await["result"][0].clone();
    format!("{monitors}/{}", m["id"].as_str().unwrap())
}

/// Sets the monitor's interval (API seconds).
async fn monitor_interval(cf: &Cf, secs: u64) {
    let item = monitor_item(cf).await;
    cf.ok(Method::PATCH, &item, Some(json!({"interval": secs})))
        .await;
}

/// Turns the LB's `adaptive_routing.failover_across_pools` on or off.
async fn failover_across_pools(cf: &Cf, on: bool) {
    let lbs = format!("/zones/{ZONE}/load_balancers");
    let id = cf.ok(Method::GET, &lbs, None).await["result"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"adaptive_routing": {"failover_across_pools": on}});
    cf.ok(Method::PATCH, &format!("{lbs}/{id}"), Some(body))
        .await;
}

/// `PUT` (or, without a body, `DELETE`) on the admin API.
async fn admin(sim: &ocfail::sim::SimHandle, path: &str, body: Option<Value>) -> StatusCode {
    let c = reqwest::Client::new();
    let url = format!("{}{path}", sim.admin_url());
    let req = match body {
        Some(b) => c.put(url).json(&b),
        None => c.delete(url),
    };
    req.send().await.unwrap().status()
}

/// One answer through the LB listener.
struct Answer {
    status: u16,
    region: Option<String>,
    retried: Option<String>,
    server: String,
    body: String,
}

async fn get(sim: &ocfail::sim::SimHandle, path: &str) -> Answer {
    let resp = reqwest::get(format!("{}{path}", sim.lb_url()))
        .await
        .unwrap();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (region, retried) = (
        header("x-openclaw-region"),
        header(ocfail::sim::lb::RETRIED_HEADER),
    );
    let server = header("server").unwrap_or_default();
    let status = resp.status().as_u16();
    Answer {
        status,
        region,
        retried,
        server,
        body: resp.text().await.unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_origin_fails_at_the_edge_then_for_the_monitor() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    let world = sim.world().clone();
    let pool = world.cloudflare.pool_for_region("us-east-1").unwrap();
    monitor_interval(&cf, 3600).await;

    let fault = json!({"unreachable": true, "status": 522});
    assert_eq!(
        admin(&sim, "/_sim/faults/origin/mars-1", Some(fault.clone())).await,
        404
    );
    let bad = json!({"unreachable": true, "status": 503});
    assert_eq!(
        admin(&sim, "/_sim/faults/origin/us-east-1", Some(bad)).await,
        400
    );
    assert_eq!(
        admin(&sim, "/_sim/faults/origin/us-east-1", Some(fault)).await,
        204
    );
    let faults: Value = reqwest::get(format!("{}/_sim/faults", sim.admin_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        faults["origin"],
        json!({"us-east-1": {"unreachable": true, "status": 522}})
    );

    // The edge answers for the origin it cannot reach, through the LB and
    // through the region's direct probe URL alike.
    for path in ["/healthz", "/v1/rate", "/_direct/us-east-1/healthz"] {
        let a = get(&sim, path).await;
        assert_eq!(
            (a.status, a.region, a.server.as_str(), a.body.as_str()),
            (522, None, "cloudflare", "error code: 522"),
            "{path}"
        );
    }
    assert_eq!(get(&sim, "/_direct/eu-central-1/healthz").await.status, 200);
    // The cluster itself is fine: its Service still answers from inside.
    let inside = world.cluster("us-east-1").unwrap().serve_service(
        "us-east-1",
        "openclaw-api",
        &ocfail::sim::app::AppRequest::get("/healthz"),
    );
    assert_eq!(inside.status, 200);
    assert_eq!(world.cloudflare.pool_healthy(&pool.id), Some(true));

    // Once the monitor probes again it cannot connect either: the pool
    // turns unhealthy and the LB moves on.
    monitor_interval(&cf, 1).await;
    wait_until(
        Duration::from_secs(5),
        "the us-east-1 pool down",
        || async { (world.cloudflare.pool_healthy(&pool.id) == Some(false)).then_some(()) },
    )
    .await;
    let health = cf
        .ok(
            Method::GET,
            &format!("{}/{}/health", pools_path(), pool.id),
            None,
        )
        .await;
    for pop in health["result"]["pop_health"].as_object().unwrap().values() {
        let data = &pop["origins"][0]["openclaw-api.us-east-1.us-east-1.sim.internal"];
        assert_eq!(data["failure_reason"], "TCP connection failed", "{data}");
        assert_eq!(data["response_code"], 0, "no HTTP answer: {data}");
    }
    assert_eq!(lb_region(&sim).await, Ok("eu-central-1".to_owned()));

    // Cleared, the origin passes its checks again and takes traffic back.
    assert_eq!(
        admin(&sim, "/_sim/faults/origin/us-east-1", None).await,
        204
    );
    wait_until(
        Duration::from_secs(5),
        "traffic back in us-east-1",
        || async { (lb_region(&sim).await == Ok("us-east-1".to_owned())).then_some(()) },
    )
    .await;
    let kinds: Vec<String> = world.log.snapshot().into_iter().map(|e| e.kind).collect();
    for k in ["origin-fault", "origin-unhealthy", "origin-fault-cleared"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} event in {kinds:?}");
    }
    sim.shutdown().await;
}

/// Sets `region`'s origin unreachable (the edge answers `status`).
async fn unreachable(sim: &ocfail::sim::SimHandle, region: &str, status: u16) {
    let fault = json!({"unreachable": true, "status": status});
    let path = format!("/_sim/faults/origin/{region}");
    assert_eq!(admin(sim, &path, Some(fault)).await, 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn across_pools_the_next_pool_answers_before_the_monitor_notices() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    let world = sim.world().clone();
    let pool = world.cloudflare.pool_for_region("us-east-1").unwrap();
    monitor_interval(&cf, 3600).await;
    failover_across_pools(&cf, true).await;
    unreachable(&sim, "us-east-1", 521).await;

    for path in ["/healthz", "/"] {
        for _ in 0..10 {
            let a = get(&sim, path).await;
            assert_eq!(
                (a.status, a.region.as_deref(), a.retried.as_deref()),
                (200, Some("eu-central-1"), Some("521 us-east-1")),
                "{path}: {}",
                a.body
            );
        }
    }
    // Every request went to us-east-1 first: the LB had not moved.
    assert_eq!(world.cloudflare.pool_healthy(&pool.id), Some(true));
    assert!(matches!(
        world.cloudflare.route(),
        ocfail::sim::cloudflare::Route::Pool { region, .. } if region == "us-east-1"
    ));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_failover_across_pools_users_get_the_edge_error_until_the_monitor_notices() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    monitor_interval(&cf, 3600).await;
    unreachable(&sim, "us-east-1", 522).await;

    for _ in 0..20 {
        let a = get(&sim, "/healthz").await;
        assert_eq!(
            (a.status, a.region, a.retried, a.body.as_str()),
            (522, None, None, "error code: 522")
        );
    }
    // With the next pool's origin unreachable as well, failover across
    // pools retries once and the client gets the retry's answer.
    failover_across_pools(&cf, true).await;
    unreachable(&sim, "eu-central-1", 521).await;
    let a = get(&sim, "/healthz").await;
    assert_eq!(
        (a.status, a.retried.as_deref()),
        (521, Some("522 us-east-1")),
        "one retry only"
    );

    // Once the monitor probes, the pools turn unhealthy and the LB moves on.
    failover_across_pools(&cf, false).await;
    monitor_interval(&cf, 1).await;
    wait_until(
        Duration::from_secs(5),
        "traffic served by ap-southeast-2",
        || async { (lb_region(&sim).await == Ok("ap-southeast-2".to_owned())).then_some(()) },
    )
    .await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn another_origin_of_the_pool_is_retried_but_a_region_without_pods_never_is() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    let world = sim.world().clone();
    // A second origin in the us-east-1 pool (eu-central-1's Service),
    // healthy before the monitor is slowed down.
    let pool = world.cloudflare.pool_for_region("us-east-1").unwrap();
    let item = format!("{}/{}", pools_path(), pool.id);
    let spare = "openclaw-api.eu-central-1.eu-central-1.sim.internal";
    let origins = json!([
        {"name": "us-east-1", "address": pool.origins[0].address},
        {"name": "spare", "address": spare}
    ]);
    cf.ok(Method::PATCH, &item, Some(json!({"origins": origins})))
        .await;
    wait_until(
        Duration::from_secs(5),
        "the spare origin healthy",
        || async {
            let v = cf.ok(Method::GET, &item, None).await;
            (v["result"]["origins"][1]["healthy"] == true).then_some(())
        },
    )
    .await;
    monitor_interval(&cf, 3600).await;

    // Unreachable: retried on the spare within the pool, even though
    // failover across pools is off.
    unreachable(&sim, "us-east-1", 523).await;
    let mut retried = 0;
    for _ in 0..20 {
        let a = get(&sim, "/healthz").await;
        assert_eq!((a.status, a.region.as_deref()), (200, Some("eu-central-1")));
        retried += usize::from(a.retried.as_deref() == Some("523 us-east-1"));
    }
    assert!(retried > 0, "origins are picked at random by weight");
    assert_eq!(
        admin(&sim, "/_sim/faults/origin/us-east-1", None).await,
        204
    );

    // No pods left: the ingress answers 503, which is passed on as it is,
    // with failover across pools off or on.
    world
        .cluster("us-east-1")
        .unwrap()
        .scale("us-east-1", "openclaw-api-blue", 0)
        .unwrap();
    wait_until(Duration::from_secs(5), "a 503 from us-east-1", || async {
        (get(&sim, "/healthz").await.status == 503).then_some(())
    })
    .await;
    for on in [false, true] {
        failover_across_pools(&cf, on).await;
        let mut unavailable = 0;
        for _ in 0..20 {
            let a = get(&sim, "/healthz").await;
            assert_eq!(a.retried, None, "across pools {on}: {}", a.body);
            match a.region.as_deref() {
                Some("us-east-1") => {
                    assert_eq!(a.status, 503);
                    unavailable += 1;
                }
                other => assert_eq!((a.status, other), (200, Some("eu-central-1"))),
            }
        }
        assert!(unavailable > 0, "origins are picked at random by weight");
    }
    assert_eq!(world.cloudflare.pool_healthy(&pool.id), Some(true));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scaled_to_zero_region_is_not_retried_across_pools() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    monitor_interval(&cf, 3600).await;
    failover_across_pools(&cf, true).await;
    sim.world()
        .cluster("us-east-1")
        .unwrap()
        .scale("us-east-1", "openclaw-api-blue", 0)
        .unwrap();
    wait_until(Duration::from_secs(5), "a 503 from us-east-1", || async {
        (get(&sim, "/healthz").await.status == 503).then_some(())
    })
    .await;
    for _ in 0..20 {
        let a = get(&sim, "/healthz").await;
        assert_eq!(
            (a.status, a.region.as_deref(), a.retried),
            (503, Some("us-east-1"), None)
        );
    }
    sim.shutdown().await;
}
