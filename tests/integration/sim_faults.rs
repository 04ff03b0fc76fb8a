//! Each injected fault has the effect a client sees: latency, a timeout on a
//! hang, 5xx, a refused connection, and 429 with `Retry-After`.

use std::time::{Duration, Instant};

use ocfail::sim::{CloudflareFault, KubeFault};

use crate::util::{LiveSim, http, wait_until};

#[tokio::test(flavor = "multi_thread")]
async fn kube_latency_delays_every_answer() {
    let sim = LiveSim::start().await.sim;
    let url = format!("{}/version", sim.kube_url("us-east-1").unwrap());
    sim.world().faults.set_kube(
        "us-east-1",
        KubeFault {
            latency_ms: 300,
            ..KubeFault::default()
        },
    );
    let started = Instant::now();
    let resp = http(Duration::from_secs(5))
        .get(&url)
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "answered before the injected latency"
    );
    // Other regions are unaffected: their answer does not wait for the fault.
    let other = format!("{}/version", sim.kube_url("eu-central-1").unwrap());
    let resp = http(Duration::from_millis(250))
        .get(&other)
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_hang_makes_the_client_time_out() {
    let sim = LiveSim::start().await.sim;
    let url = format!("{}/version", sim.kube_url("eu-central-1").unwrap());
    sim.world().faults.set_kube(
        "eu-central-1",
        KubeFault {
            hang: true,
            ..KubeFault::default()
        },
    );
    let err = http(Duration::from_millis(300))
        .get(&url)
        .bearer_auth("t")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    sim.world()
        .faults
        .set_kube("eu-central-1", KubeFault::default());
    let resp = http(Duration::from_secs(5))
        .get(&url)
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_error_rate_answers_503_status_objects() {
    let sim = LiveSim::start().await.sim;
    let url = format!("{}/version", sim.kube_url("us-east-1").unwrap());
    sim.world().faults.set_kube(
        "us-east-1",
        KubeFault {
            error_rate: 1.0,
            ..KubeFault::default()
        },
    );
    let resp = http(Duration::from_secs(5))
        .get(&url)
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["kind"], "Status");
    assert_eq!(body["reason"], "ServiceUnavailable");
    assert_eq!(body["code"], 503);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_refuse_closes_the_listener_until_cleared() {
    let sim = LiveSim::start().await.sim;
    let url = format!("{}/version", sim.kube_url("ap-southeast-2").unwrap());
    sim.world().faults.set_kube(
        "ap-southeast-2",
        KubeFault {
            refuse: true,
            ..KubeFault::default()
        },
    );
    // The accept loop closes the socket on the fault notification; poll until it has.
    let err = until_error(&http(Duration::from_secs(1)), &url).await;
    assert!(err.is_connect(), "{err:?}");
    sim.world()
        .faults
        .set_kube("ap-southeast-2", KubeFault::default());
    until_answered(
        &http(Duration::from_secs(1)),
        &url,
        "the listener to come back on the same port",
    )
    .await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudflare_429_burst_carries_retry_after_then_clears() {
    let sim = LiveSim::start().await.sim;
    let url = format!("{}/user/tokens/verify", sim.cloudflare_url());
    sim.world().faults.set_cloudflare(CloudflareFault {
        rate_limit_burst: 2,
        retry_after_secs: 7,
        ..CloudflareFault::default()
    });
    let c = http(Duration::from_secs(5));
    for _ in 0..2 {
        let resp = c.get(&url).bearer_auth("sim-token").send().await.unwrap();
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()["retry-after"], "7");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["success"], false);
        assert_eq!(body["errors"][0]["code"], 971);
        assert!(body["result"].is_null());
    }
    let resp = c.get(&url).bearer_auth("sim-token").send().await.unwrap();
    assert_ne!(resp.status(), 429, "the burst is used up");
    assert!(
        resp.headers().get("retry-after").is_none(),
        "Retry-After only on 429"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudflare_errors_and_latency() {
    let sim = LiveSim::start().await.sim;
    let url = format!("{}/user/tokens/verify", sim.cloudflare_url());
    sim.world().faults.set_cloudflare(CloudflareFault {
        error_rate: 1.0,
        latency_ms: 200,
        ..CloudflareFault::default()
    });
    let started = Instant::now();
    let resp = http(Duration::from_secs(5))
        .get(&url)
        .bearer_auth("sim-token")
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(resp.status(), 500);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert!(!body["errors"].as_array().unwrap().is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_api_sets_and_clears_faults() {
    let sim = LiveSim::start().await.sim;
    let c = http(Duration::from_secs(5));
    let admin = sim.admin_url();
    let resp = c
        .put(format!("{admin}/_sim/faults/kube/us-east-1"))
        .json(&serde_json::json!({"errorRate": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(sim.world().faults.kube("us-east-1").error_rate, 1.0);
    let resp = c
        .put(format!("{admin}/_sim/faults/kube/mars-1"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // A rate is a fraction: 5 (meant as 5%) is refused and changes nothing.
    for (path, body) in [
        ("kube/us-east-1", serde_json::json!({"errorRate": 5})),
        ("kube/us-east-1", serde_json::json!({"writeErrorRate": -1})),
        ("cloudflare", serde_json::json!({"errorRate": 5})),
    ] {
        let resp = c
            .put(format!("{admin}/_sim/faults/{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{path} {body}");
        let why: serde_json::Value = resp.json().await.unwrap();
        assert!(
            why["error"]
                .as_str()
                .unwrap()
                .contains("not a fraction between 0 and 1"),
            "{why}"
        );
    }
    assert_eq!(sim.world().faults.kube("us-east-1").error_rate, 1.0);
    assert_eq!(sim.world().faults.cloudflare(), CloudflareFault::default());
    let resp = c
        .delete(format!("{admin}/_sim/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(sim.world().faults.kube("us-east-1"), KubeFault::default());
    let events: serde_json::Value = c
        .get(format!("{admin}/_sim/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "faults-cleared"),
        "{events}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_permission_is_forbidden_and_access_reviews_say_so() {
    use ocfail::kube::permissions::{DELETE_LEASES, PERMISSIONS};
    use ocfail::kube::{KubeErrorKind, LeaseSpec, Workloads};

    let live = LiveSim::start().await;
    live.sim.world().faults.set_kube(
        "us-east-1",
        KubeFault {
            deny: vec!["delete leases".to_owned()],
            ..KubeFault::default()
        },
    );
    let k = live.client("us-east-1").await;
    for p in PERMISSIONS {
        let allowed = k.can_i(&p.access_check()).await.unwrap();
        assert_eq!(allowed, p != DELETE_LEASES, "{}", p.describe());
    }
    let at = "2026-01-01T00:00:00.000000Z".to_owned();
    let spec = LeaseSpec {
        name: "probe".into(),
        holder: "test".into(),
        duration_seconds: 30,
        acquire_time: at.clone(),
        renew_time: at,
    };
    k.create_lease(&spec).await.unwrap();
    let e = k.delete_lease("probe", None).await.unwrap_err();
    assert_eq!((e.kind, e.status), (KubeErrorKind::Forbidden, Some(403)));
    assert!(
        e.message
            .contains("cannot delete resource \"leases\" in API group \"coordination.k8s.io\""),
        "{e}"
    );
    // Other regions, and the lease itself, are untouched.
    assert!(k.lease("probe").await.unwrap().is_some());
    let other = live.client("eu-central-1").await;
    assert!(other.can_i(&DELETE_LEASES.access_check()).await.unwrap());
    live.sim.shutdown().await;
}

/// Sends `GET url` with `c` until it fails (5 s at most): the error.
async fn until_error(c: &reqwest::Client, url: &str) -> reqwest::Error {
    wait_until(Duration::from_secs(5), "a request to fail", || async {
        match c.get(url).bearer_auth("t").send().await {
            Err(e) => Ok(e),
            Ok(r) => Err(format!("still answering: {}", r.status())),
        }
    })
    .await
}

/// Sends `GET url` with `c` until it gets an answer (5 s at most), which
/// must be a 200.
async fn until_answered(c: &reqwest::Client, url: &str, what: &str) {
    let resp = wait_until(Duration::from_secs(5), what, || async {
        c.get(url).bearer_auth("t").send().await
    })
    .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_refuse_cuts_open_connections_too() {
    let sim = LiveSim::start().await.sim;
    let url = format!("{}/version", sim.kube_url("us-east-1").unwrap());
    // One pooled client throughout: before the fault it holds a keep-alive
    // connection, as a running ocfail's clients do.
    ocfail::install_crypto_provider();
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    assert_eq!(
        c.get(&url).bearer_auth("t").send().await.unwrap().status(),
        200
    );

    // A request in flight when the fault turns on fails at once, not after
    // the latency it was waiting out.
    sim.world().faults.set_kube(
        "us-east-1",
        KubeFault {
            latency_ms: 30_000,
            ..KubeFault::default()
        },
    );
    let in_flight = tokio::spawn({
        let (c, url) = (c.clone(), url.clone());
        async move {
            let started = Instant::now();
            (c.get(&url).bearer_auth("t").send().await, started.elapsed())
        }
    });
    // Let the request reach the server before the fault.
    tokio::time::sleep(Duration::from_millis(200)).await;
    sim.world().faults.set_kube(
        "us-east-1",
        KubeFault {
            refuse: true,
            ..KubeFault::default()
        },
    );
    let (result, took) = in_flight.await.unwrap();
    assert!(result.is_err(), "the in-flight request was answered");
    assert!(took < Duration::from_secs(5), "took {took:?}");

    let err = until_error(&c, &url).await;
    assert!(err.is_connect(), "{err:?}");

    sim.world()
        .faults
        .set_kube("us-east-1", KubeFault::default());
    until_answered(
        &c,
        &url,
        "the same client to get through after the fault cleared",
    )
    .await;
    sim.shutdown().await;
}
