//! The v4 API over real HTTP: envelope and shapes of each endpoint, auth
//! and error bodies, write semantics and previews.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::support::*;
use crate::util::{Cf, LiveSim, wait_until};

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_answers_in_the_v4_envelope_and_shapes() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);

    let (status, headers, v) = cf
        .call(Method::GET, "/user/tokens/verify", None, Some("sim-token"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(v["result"]["status"], "active");
    assert_eq!(v["messages"][0]["code"], 10000);
    assert_eq!(
        v["messages"][0]["message"],
        "This API Token is valid and active"
    );
    assert!(v["messages"][0].get("type").unwrap().is_null());
    let ratelimit = headers["ratelimit"].to_str().unwrap();
    assert!(
        ratelimit.starts_with("\"default\";r=") && ratelimit.contains(";t="),
        "{ratelimit}"
    );
    assert_eq!(headers["ratelimit-policy"], "\"default\";q=1200;w=300");
    assert!(headers.get("retry-after").is_none());
    let v = cf
        .ok(
            Method::GET,
            &format!("/accounts/{ACCOUNT}/tokens/verify"),
            None,
        )
        .await;
    assert_eq!(v["result"]["status"], "active");

    let monitors = cf
        .ok(
            Method::GET,
            &format!("/accounts/{ACCOUNT}/load_balancers/monitors"),
            None,
        )
        .await;
    assert_eq!(monitors["result_info"]["count"], 1);
    assert_eq!(monitors["result_info"]["total_pages"], 1);
    let m = &monitors["result"][0];
    assert_eq!(
        (
            m["type"].as_str(),
            m["path"].as_str(),
            m["expected_codes"].as_str()
        ),
        (Some("http"), Some("/healthz"), Some("2xx"))
    );
    assert_eq!(m["description"], "ocfail sim monitor");
    assert_eq!(m["consecutive_down"], 1, "SimOptions::fast");
    let monitor_id = m["id"].as_str().unwrap();
    assert!(is_hex32(monitor_id));
    assert!(humantime::parse_rfc3339(m["created_on"].as_str().unwrap()).is_ok());
    assert!(
        m["modified_on"].as_str().unwrap().contains('.'),
        "fractional seconds"
    );
    let one = cf
        .ok(
            Method::GET,
            &format!("/accounts/{ACCOUNT}/load_balancers/monitors/{monitor_id}"),
            None,
        )
        .await;
    assert_eq!(&one["result"], m);

    let pools = cf
        .ok(
            Method::GET,
            &format!("{}?page=1&per_page=50", pools_path()),
            None,
        )
        .await;
    let list = pools["result"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "openclaw-us-east-1",
            "openclaw-eu-central-1",
            "openclaw-ap-southeast-2"
        ]
    );
    assert_eq!(pools["result_info"]["total_count"], 3);
    let p = &list[0];
    assert_eq!(p["healthy"], true);
    assert_eq!(p["enabled"], true);
    assert_eq!(p["minimum_origins"], 1);
    assert_eq!(p["monitor"], monitor_id);
    assert!(p.get("disabled_at").is_none());
    assert_eq!(
        p["origins"][0]["address"],
        "openclaw-api.us-east-1.us-east-1.sim.internal"
    );
    assert_eq!(p["origins"][0]["healthy"], true);
    let id = p["id"].as_str().unwrap();
    let filtered = cf
        .ok(
            Method::GET,
            &format!("{}?monitor={monitor_id}", pools_path()),
            None,
        )
        .await;
    assert_eq!(filtered["result"].as_array().unwrap().len(), 3);
    let none = cf
        .ok(Method::GET, &format!("{}?monitor=0000", pools_path()), None)
        .await;
    assert_eq!(none["result"], json!([]));
    let page2 = cf
        .ok(Method::GET, &format!("{}?page=2", pools_path()), None)
        .await;
    assert_eq!(page2["result"], json!([]));

    let health = cf
        .ok(Method::GET, &format!("{}/{id}/health", pools_path()), None)
        .await;
    assert_eq!(health["result"]["pool_id"], id);
    let pops = health["result"]["pop_health"].as_object().unwrap();
    assert_eq!(pops.len(), 3, "one entry per check region: {pops:?}");
    for (label, pop) in pops {
        assert!(label.contains(", "), "data-centre label: {label}");
        assert_eq!(pop["healthy"], true);
        let origin = pop["origins"][0].as_object().unwrap();
        let data = &origin["openclaw-api.us-east-1.us-east-1.sim.internal"];
        assert_eq!(data["healthy"], true);
        assert_eq!(data["failure_reason"], "No failures");
        assert_eq!(data["response_code"], 200);
        assert!(data["rtt"].as_str().unwrap().ends_with("ms"));
    }

    let lbs = cf
        .ok(Method::GET, &format!("/zones/{ZONE}/load_balancers"), None)
        .await;
    let lb = &lbs["result"][0];
    assert_eq!(lb["name"], "api.openclaw.com");
    assert_eq!(lb["steering_policy"], "off");
    assert_eq!(lb["proxied"], true);
    let default_pools: Vec<&str> = lb["default_pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let ids: Vec<&str> = list.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(default_pools, ids);
    assert_eq!(lb["fallback_pool"], ids[2]);
    let lb_id = lb["id"].as_str().unwrap();
    let one = cf
        .ok(
            Method::GET,
            &format!("/zones/{ZONE}/load_balancers/{lb_id}"),
            None,
        )
        .await;
    assert_eq!(&one["result"], lb);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_failures_have_cloudflare_codes() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    let path = pools_path();

    let (status, v) = cf.fail(Method::GET, &path, None, None).await;
    assert_eq!(status, 400);
    assert_eq!(codes(&v), [6003]);
    assert_eq!(v["errors"][0]["error_chain"][0]["code"], 6111);
    assert_eq!(
        v["errors"][0]["error_chain"][0]["message"],
        "Invalid format for Authorization header"
    );

    let (status, v) = cf
        .fail(Method::GET, "/user/tokens/verify", None, Some("invalid"))
        .await;
    assert_eq!(status, 401);
    assert_eq!(codes(&v), [1000]);
    assert_eq!(v["errors"][0]["message"], "Invalid API Token");

    let id = pool_id(&cf, "openclaw-eu-central-1").await;
    let (status, _, v) = cf.call(Method::GET, &path, None, Some("read-only")).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = cf
        .fail(
            Method::PATCH,
            &format!("{path}/{id}"),
            Some(json!({"enabled": false})),
            Some("read-only"),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(codes(&v), [10000]);
    assert_eq!(v["errors"][0]["message"], "Authentication error");
    assert_eq!(sim.world().cloudflare.pool_healthy(&id), Some(true));
    // Previews change nothing, so a read-only token may run them.
    let (status, _, v) = cf
        .call(
            Method::POST,
            &format!("{path}/{id}/preview"),
            Some(json!({"expected_codes": "2xx", "path": "/healthz"})),
            Some("read-only"),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_ids_routes_and_bodies_fail_like_cloudflare() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    let path = pools_path();
    let t = Some("sim-token");

    let (status, v) = cf
        .fail(Method::GET, &format!("{path}/{}", "f".repeat(32)), None, t)
        .await;
    assert_eq!(status, 404);
    assert_eq!(codes(&v), [1003]);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("pool not found")
    );

    let bad_account = "/accounts/not-an-account/load_balancers/pools";
    let (status, v) = cf.fail(Method::GET, bad_account, None, t).await;
    assert_eq!(status, 404);
    assert_eq!(codes(&v), [7003, 7000]);
    let message = v["errors"][0]["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!(
            "Could not route to /client/v4{bad_account}, perhaps your object identifier is invalid?"
        )
    );
    assert_eq!(v["errors"][1]["message"], "No route for that URI");
    let (status, v) = cf
        .fail(
            Method::GET,
            &format!("/zones/{}/load_balancers", "0".repeat(32)),
            None,
            t,
        )
        .await;
    assert_eq!((status.as_u16(), codes(&v)), (404, vec![7003, 7000]));
    let (status, v) = cf.fail(Method::GET, "/no/such/thing", None, t).await;
    assert_eq!((status.as_u16(), codes(&v)[1]), (404, 7000));
    let (status, _) = cf.fail(Method::POST, "/user/tokens/verify", None, t).await;
    assert_eq!(status, 405);

    let id = pool_id(&cf, "openclaw-us-east-1").await;
    let item = format!("{path}/{id}");
    let (status, _, v) = cf.call(Method::PATCH, &item, None, t).await;
    assert_eq!((status.as_u16(), codes(&v)), (400, vec![1002]));
    let resp = cf
        .http
        .patch(format!("{}{item}", cf.base))
        .bearer_auth("t")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(codes(&v), [1002]);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .ends_with(": validation failed")
    );
    let (status, v) = cf
        .fail(
            Method::PATCH,
            &item,
            Some(json!({"name": "no spaces allowed"})),
            t,
        )
        .await;
    assert_eq!((status.as_u16(), codes(&v)), (400, vec![1002]));
    let (status, v) = cf
        .fail(Method::PATCH, &item, Some(json!({"monitor": "0123"})), t)
        .await;
    assert_eq!((status.as_u16(), codes(&v)), (400, vec![1002]));
    let (status, v) = cf
        .fail(Method::PUT, &item, Some(json!({"name": "x"})), t)
        .await;
    assert_eq!(
        (status.as_u16(), codes(&v)),
        (400, vec![1002]),
        "PUT needs origins"
    );

    let (status, v) = cf.fail(Method::DELETE, &item, None, t).await;
    assert_eq!(status, 412);
    assert_eq!(codes(&v), [1005]);
    assert_eq!(
        v["errors"][0]["message"],
        "This object is referenced by other objects, delete them first."
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_follow_cloudflare_semantics() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    let path = pools_path();
    let id = pool_id(&cf, "openclaw-ap-southeast-2").await;
    let item = format!("{path}/{id}");
    let before = cf.ok(Method::GET, &item, None).await["result"].clone();

    // PATCH overwrites only the keys it names.
    let v = cf
        .ok(
            Method::PATCH,
            &item,
            Some(json!({"description": "patched"})),
        )
        .await;
    assert_eq!(v["result"]["description"], "patched");
    assert_eq!(v["result"]["origins"], before["origins"]);
    assert_eq!(v["result"]["created_on"], before["created_on"]);
    assert_ne!(v["result"]["modified_on"], before["modified_on"]);
    // `origins` is replaced whole; a disabled origin gets `disabled_at`.
    let mut origin = before["origins"][0].clone();
    origin["enabled"] = json!(false);
    let extra = json!({"name": "spare", "address": "openclaw-api-preview.ap-southeast-2.ap-southeast-2.sim.internal"});
    let v = cf
        .ok(
            Method::PATCH,
            &item,
            Some(json!({"origins": [origin, extra]})),
        )
        .await;
    let origins = v["result"]["origins"].as_array().unwrap();
    assert_eq!(origins.len(), 2);
    assert!(origins[0]["disabled_at"].is_string());
    assert!(origins[1].get("disabled_at").is_none());
    assert_eq!(origins[1]["weight"], 1.0);

    // Create, then delete, a pool and a monitor; deletes return the id.
    let monitors = format!("/accounts/{ACCOUNT}/load_balancers/monitors");
    let m = cf
        .ok(
            Method::POST,
            &monitors,
            Some(json!({"expected_codes": "200", "path": "/readyz"})),
        )
        .await;
    assert_eq!(m["result"]["interval"], 60, "schema default");
    let monitor_id = m["result"]["id"].as_str().unwrap().to_owned();
    let created = cf
        .ok(Method::POST, &path, Some(json!({"name": "extra", "monitor": monitor_id, "origins": [{"address": "openclaw-api.us-east-1.us-east-1.sim.internal"}]})))
        .await;
    let new_id = created["result"]["id"].as_str().unwrap().to_owned();
    assert!(is_hex32(&new_id));
    let (status, v) = cf
        .fail(
            Method::DELETE,
            &format!("{monitors}/{monitor_id}"),
            None,
            Some("t"),
        )
        .await;
    assert_eq!((status.as_u16(), codes(&v)), (412, vec![1005]));
    let v = cf
        .ok(Method::DELETE, &format!("{path}/{new_id}"), None)
        .await;
    assert_eq!(v["result"], json!({"id": new_id}));
    cf.ok(Method::DELETE, &format!("{monitors}/{monitor_id}"), None)
        .await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn adaptive_routing_round_trips_through_every_write() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    let lbs = format!("/zones/{ZONE}/load_balancers");
    let lb = cf.ok(Method::GET, &lbs, None).await["result"][0].clone();
    let item = format!("{lbs}/{}", lb["id"].as_str().unwrap());
    let across = |v: &Value| v["adaptive_routing"]["failover_across_pools"].clone();
    // Cloudflare's default, shown in full like the other nested settings.
    assert_eq!(
        lb["adaptive_routing"],
        json!({"failover_across_pools": false})
    );
    let on = json!({"adaptive_routing": {"failover_across_pools": true}});

    let v = cf.ok(Method::PATCH, &item, Some(on.clone())).await;
    assert_eq!(across(&v["result"]), true);
    assert_eq!(
        across(&cf.ok(Method::GET, &item, None).await["result"]),
        true
    );
    assert_eq!(
        across(&cf.ok(Method::GET, &lbs, None).await["result"][0]),
        true
    );
    assert!(sim.world().cloudflare.failover_across_pools());
    // PATCH keeps what it does not name; PUT replaces everything.
    let v = cf
        .ok(Method::PATCH, &item, Some(json!({"description": "x"})))
        .await;
    assert_eq!(across(&v["result"]), true);
    let mut full = json!({
        "name": lb["name"], "default_pools": lb["default_pools"],
        "fallback_pool": lb["fallback_pool"], "proxied": true, "steering_policy": "off"
    });
    let v = cf.ok(Method::PUT, &item, Some(full.clone())).await;
    assert_eq!(across(&v["result"]), false);
    full["adaptive_routing"] = on["adaptive_routing"].clone();
    let v = cf.ok(Method::PUT, &item, Some(full)).await;
    assert_eq!(across(&v["result"]), true);
    // `null` resets to the default, as for every top-level key.
    let v = cf
        .ok(
            Method::PATCH,
            &item,
            Some(json!({"adaptive_routing": null})),
        )
        .await;
    assert_eq!(across(&v["result"]), false);
    assert!(!sim.world().cloudflare.failover_across_pools());

    for bad in [
        json!({"adaptive_routing": {"failover_across_pools": "yes"}}),
        json!({"adaptive_routing": true}),
    ] {
        let (status, v) = cf
            .fail(Method::PATCH, &item, Some(bad.clone()), Some("t"))
            .await;
        assert_eq!((status.as_u16(), codes(&v)), (400, vec![1002]), "{bad}");
    }
    let created = cf
        .ok(
            Method::POST,
            &lbs,
            Some(json!({
                "name": "other.openclaw.com", "default_pools": lb["default_pools"],
                "fallback_pool": lb["fallback_pool"],
                "adaptive_routing": {"failover_across_pools": true}
            })),
        )
        .await;
    assert_eq!(across(&created["result"]), true);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn previews_probe_now_with_the_submitted_settings() {
    let sim = LiveSim::start().await.sim;
    let cf = Cf::new(&sim);
    let id = pool_id(&cf, "openclaw-eu-central-1").await;
    let acct = format!("/accounts/{ACCOUNT}/load_balancers");
    let run = |body: Value, url: String| {
        let cf = &cf;
        async move {
            let v = cf.ok(Method::POST, &url, Some(body)).await;
            let preview_id = v["result"]["preview_id"].as_str().unwrap().to_owned();
            let url = format!("/accounts/{ACCOUNT}/load_balancers/preview/{preview_id}");
            let r = cf.ok(Method::GET, &url, None).await;
            (v["result"]["pools"].clone(), r["result"].clone())
        }
    };
    let (pools, result) = run(
        json!({"expected_codes": "2xx", "path": "/healthz"}),
        format!("{acct}/pools/{id}/preview"),
    )
    .await;
    assert_eq!(pools, json!({ id.clone(): "openclaw-eu-central-1" }));
    assert_eq!(result[&id]["healthy"], true);
    let (_, result) = run(
        json!({"expected_codes": "2xx", "path": "/v1/rate"}),
        format!("{acct}/pools/{id}/preview"),
    )
    .await;
    assert_eq!(result[&id]["healthy"], false);
    let origin = &result[&id]["origins"][0]["openclaw-api.eu-central-1.eu-central-1.sim.internal"];
    assert_eq!(origin["failure_reason"], "Response code mismatch error");
    assert_eq!(origin["response_code"], 404);

    let monitor_id = sim
        .world()
        .cloudflare
        .list(ocfail::sim::cloudflare::Kind::Monitor, None)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (pools, result) = run(
        json!({"expected_codes": "2xx", "path": "/healthz"}),
        format!("{acct}/monitors/{monitor_id}/preview"),
    )
    .await;
    assert_eq!(pools.as_object().unwrap().len(), 3);
    assert_eq!(result.as_object().unwrap().len(), 3);
    let (status, v) = cf
        .fail(
            Method::GET,
            &format!("{acct}/preview/{}", "a".repeat(32)),
            None,
            Some("t"),
        )
        .await;
    assert_eq!((status.as_u16(), codes(&v)), (404, vec![1003]));

    // A `crash` image passes /healthz but fails real requests: the seeded
    // monitor stays green while a preview of `/` shows the problem.
    let us = pool_id(&cf, "openclaw-us-east-1").await;
    let cluster = sim.world().cluster("us-east-1").unwrap().clone();
    cluster
        .set_image(
            "us-east-1",
            "openclaw-api-blue",
            "registry.example.com/openclaw-api:1.5.0-crash",
        )
        .unwrap();
    let origin = "openclaw-api.us-east-1.us-east-1.sim.internal";
    let url = format!("{acct}/pools/{us}/preview");
    let crashed = wait_until(Duration::from_secs(5), "the crash image to serve", || {
        let (run, url, us) = (&run, url.clone(), us.clone());
        async move {
            let (_, r) = run(json!({"expected_codes": "2xx", "path": "/"}), url).await;
            (r[&us]["healthy"] == false).then_some(r)
        }
    })
    .await;
    assert_eq!(crashed[&us]["origins"][0][origin]["response_code"], 500);
    let (_, r) = run(json!({"expected_codes": "2xx", "path": "/healthz"}), url).await;
    assert_eq!(r[&us]["healthy"], true);
    assert_eq!(sim.world().cloudflare.pool_healthy(&us), Some(true));
    sim.shutdown().await;
}
