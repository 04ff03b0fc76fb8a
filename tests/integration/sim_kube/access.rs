//! Leases and HPAs, who may do what (tokens), and the service proxy.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::{BLUE, NS, api_error, ready};
use crate::util::{LiveSim, http, kube_client, wait_until};

#[tokio::test(flavor = "multi_thread")]
async fn leases_use_optimistic_concurrency() {
    let sim = LiveSim::start().await.sim;
    let leases: Api<Lease> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    let lease: Lease = serde_json::from_value(json!({
        "metadata": {"name": "ocfail-lock"},
        "spec": {"holderIdentity": "a", "leaseDurationSeconds": 30}
    }))
    .unwrap();
    let created = leases.create(&PostParams::default(), &lease).await.unwrap();
    let (code, reason, _) = api_error(
        leases
            .create(&PostParams::default(), &lease)
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (409, "AlreadyExists"));

    let mut mine = created.clone();
    mine.spec.as_mut().unwrap().holder_identity = Some("b".into());
    let updated = leases
        .replace("ocfail-lock", &PostParams::default(), &mine)
        .await
        .unwrap();
    assert_ne!(
        updated.metadata.resource_version,
        created.metadata.resource_version
    );

    // `mine` still carries the old resourceVersion: someone else won.
    mine.spec.as_mut().unwrap().holder_identity = Some("c".into());
    let (code, reason, message) = api_error(
        leases
            .replace("ocfail-lock", &PostParams::default(), &mine)
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    assert!(
        message.contains("the object has been modified"),
        "{message}"
    );
    assert_eq!(
        leases
            .get("ocfail-lock")
            .await
            .unwrap()
            .spec
            .unwrap()
            .holder_identity
            .as_deref(),
        Some("b")
    );
    assert_eq!(
        leases
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    leases
        .delete("ocfail-lock", &Default::default())
        .await
        .unwrap();
    let (code, _, message) = api_error(leases.get("ocfail-lock").await.unwrap_err());
    assert_eq!(code, 404);
    assert_eq!(
        message,
        "leases.coordination.k8s.io \"ocfail-lock\" not found"
    );

    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    assert!(
        hpas.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({
        "metadata": {"name": "blue"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": BLUE}, "minReplicas": 2, "maxReplicas": 5}
    }))
    .unwrap();
    hpas.create(&PostParams::default(), &hpa).await.unwrap();
    assert_eq!(
        hpas.get("blue").await.unwrap().spec.unwrap().max_replicas,
        5
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_decide_who_may_do_what() {
    let sim = LiveSim::start().await.sim;
    let invalid: Api<Deployment> = Api::namespaced(kube_client(&sim, NS, "invalid").await, NS);
    let (code, reason, _) = api_error(invalid.get(BLUE).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (401, "Unauthorized"));

    let read_only: Api<Deployment> = Api::namespaced(kube_client(&sim, NS, "read-only").await, NS);
    assert_eq!(
        ready(&read_only.get(BLUE).await.unwrap()),
        3,
        "reads are allowed"
    );
    let (code, reason, message) = api_error(
        read_only
            .patch_scale(
                BLUE,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": 0}})),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        message,
        "deployments.apps \"openclaw-api-blue\" is forbidden: User \"read-only\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"us-east-1\""
    );
    let services: Api<Service> = Api::namespaced(kube_client(&sim, NS, "read-only").await, NS);
    let (code, _, _) = api_error(
        services
            .patch(
                "openclaw-api",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"selector": {"ocfail.dev/color": "green"}}})),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 403);

    let resp = http(Duration::from_secs(30))
        .get(format!(
            "{}/apis/apps/v1/namespaces/{NS}/deployments",
            sim.kube_url(NS).unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "no token at all");
    let status: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "Unauthorized");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn service_proxy_answers_like_the_app() {
    let sim = LiveSim::start().await.sim;
    let http = http(Duration::from_secs(30));
    let proxy = |region: &str, service: &str, path: &str| {
        format!(
            "{}/api/v1/namespaces/{region}/services/{service}/proxy{path}",
            sim.kube_url(region).unwrap()
        )
    };
    let resp = http
        .get(proxy(NS, "openclaw-api:8080", "/healthz"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-openclaw-region"], NS);
    assert_eq!(resp.headers()["x-openclaw-version"], "1.4.1");
    let resp = http
        .post(proxy(NS, "http:openclaw-api:8080", "/v1/rate"))
        .bearer_auth("t")
        .body(r#"{"content":"hello"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("rating"));

    // The idle colour has no ready pods.
    let resp = http
        .get(proxy(NS, "openclaw-api-preview", "/healthz"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let status: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        status["message"],
        "no endpoints available for service \"openclaw-api-preview\""
    );

    // Scaling the live colour to 0 takes the Service down once the pods are gone.
    let cluster = sim.world().cluster(NS).unwrap().clone();
    cluster.scale(NS, BLUE, 0).unwrap();
    wait_until(
        Duration::from_secs(5),
        "the live Service to answer 503",
        || async {
            let code = http
                .get(proxy(NS, "openclaw-api:8080", "/healthz"))
                .bearer_auth("t")
                .send()
                .await
                .unwrap()
                .status();
            if code == 503 { Ok(()) } else { Err(code) }
        },
    )
    .await;

    // A `crash` image passes health checks but fails real requests.
    let eu = "eu-central-1";
    let cluster = sim.world().cluster(eu).unwrap().clone();
    cluster
        .set_image(eu, BLUE, "registry.example.com/openclaw-api:1.5.0-crash")
        .unwrap();
    wait_until(
        Duration::from_secs(5),
        "the new image to roll out",
        || async {
            let resp = http
                .get(proxy(eu, "openclaw-api", "/healthz"))
                .bearer_auth("t")
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            resp.headers()["x-openclaw-version"] == "1.5.0-crash"
        },
    )
    .await;
    let resp = http
        .post(proxy(eu, "openclaw-api", "/v1/rate"))
        .bearer_auth("t")
        .body(r#"{"content":"hello"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    sim.shutdown().await;
}
