//! `KubeRegion` (ocfail's `Workloads` over the kube crate) against the
//! simulator, through the kubeconfig it writes (HTTPS with its CA): every
//! trait method, the `read-only` and `invalid` tokens, and refused, hanging
//! and failing API servers.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, PostParams};
use ocfail::kube::{
    AccessCheck, KubeErrorKind, KubeRegion, ProxyRequest, Workloads, connect_fleet,
};
use ocfail::manifest::Region;
use ocfail::sim::KubeFault;
use serde_json::json;

use crate::util::{LiveSim, kubectl_or_skip, text};

const NS: &str = "us-east-1";
const BLUE: &str = "openclaw-api-blue";
const GREEN: &str = "openclaw-api-green";
const TIMEOUT: Duration = Duration::from_secs(5);
/// A bound no healthy run comes near; only there so a regression fails
/// instead of hanging the suite.
const GUARD: Duration = Duration::from_secs(20);

/// `name`'s region as the written fleet has it.
fn region(s: &LiveSim, name: &str) -> Region {
    s.manifest()
        .regions
        .iter()
        .find(|r| r.name.as_str() == name)
        .unwrap()
        .clone()
}

/// A Deployment's (replicas, ready replicas) in us-east-1, from the
/// simulator's store.
fn ready(s: &LiveSim, name: &str) -> (i32, i32) {
    let d = s
        .sim
        .world()
        .cluster(NS)
        .unwrap()
        .deployment(NS, name)
        .unwrap();
    (
        d.spec.and_then(|s| s.replicas).unwrap_or(1),
        d.status.and_then(|s| s.ready_replicas).unwrap_or(0),
    )
}

fn get(service: &str, path: &str) -> ProxyRequest {
    ProxyRequest {
        service: service.into(),
        port: 8080,
        method: "GET".into(),
        path: path.into(),
        body: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_region_connects_from_the_written_kubeconfig() {
    let s = LiveSim::start().await;
    let regions = connect_fleet(&s.manifest(), TIMEOUT).await;
    assert_eq!(regions.len(), 3);
    for (r, expected) in regions.iter().zip(&s.manifest().regions) {
        let r = r.as_ref().unwrap();
        assert_eq!(r.region(), expected.name.as_str());
        assert_eq!(r.context(), expected.context);
        assert!(
            r.server().starts_with("https://127.0.0.1:"),
            "{}",
            r.server()
        );
        assert!(r.version().await.unwrap().git_version.starts_with("v1.33"));
    }
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_see_the_seeded_fleet() {
    let s = LiveSim::start().await;
    let r = s.client_as(NS, None, TIMEOUT).await;

    let blue = r.deployment(BLUE).await.unwrap().unwrap();
    assert_eq!(blue.name, BLUE);
    assert_eq!((blue.replicas, blue.ready, blue.available), (3, 3, 3));
    assert_eq!(blue.image, "registry.example.com/openclaw-api:1.4.1");
    assert_eq!(blue.labels["ocfail.dev/color"], "blue");
    assert!(blue.observed_generation >= blue.generation);
    assert_eq!(r.deployment("nope").await.unwrap(), None);

    let live = r.service("openclaw-api").await.unwrap().unwrap();
    assert_eq!(live.color(), Some("blue"));
    let preview = r.service("openclaw-api-preview").await.unwrap().unwrap();
    assert_eq!(preview.color(), Some("green"));
    assert_eq!(r.service("nope").await.unwrap(), None);

    assert!(r.namespace_exists().await.unwrap());
    let mut elsewhere = region(&s, NS);
    elsewhere.namespace = "not-there".into();
    let other = KubeRegion::connect(&elsewhere, Some(&s.kubeconfig()), TIMEOUT)
        .await
        .unwrap();
    assert!(!other.namespace_exists().await.unwrap());
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn scale_and_annotations_change_the_world() {
    let s = LiveSim::start().await;
    let r = s.client_as(NS, None, TIMEOUT).await;

    r.scale(GREEN, 2).await.unwrap();
    assert_eq!(ready(&s, GREEN).0, 2);
    let err = r.scale("nope", 1).await.unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::NotFound);
    assert_eq!(err.object.as_deref(), Some("deployment nope"));

    r.annotate_deployment(BLUE, "ocfail.dev/drill", Some(r#"{"runId":"r1"}"#))
        .await
        .unwrap();
    let blue = r.deployment(BLUE).await.unwrap().unwrap();
    assert_eq!(blue.annotations["ocfail.dev/drill"], r#"{"runId":"r1"}"#);
    r.annotate_deployment(BLUE, "ocfail.dev/drill", None)
        .await
        .unwrap();
    let blue = r.deployment(BLUE).await.unwrap().unwrap();
    assert!(!blue.annotations.contains_key("ocfail.dev/drill"));
    // Removing what is not there is not an error (restore is idempotent).
    r.annotate_deployment(BLUE, "ocfail.dev/drill", None)
        .await
        .unwrap();

    r.annotate_service("openclaw-api", "ocfail.dev/rollout", Some("x"))
        .await
        .unwrap();
    let svc = r.service("openclaw-api").await.unwrap().unwrap();
    assert_eq!(svc.annotations["ocfail.dev/rollout"], "x");
    r.annotate_service("openclaw-api", "ocfail.dev/rollout", None)
        .await
        .unwrap();
    let svc = r.service("openclaw-api").await.unwrap().unwrap();
    assert!(!svc.annotations.contains_key("ocfail.dev/rollout"));
    let err = r
        .annotate_service("nope", "k", Some("v"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::NotFound);
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn set_image_and_set_selector_change_only_what_they_name() {
    let s = LiveSim::start().await;
    let r = s.client_as(NS, None, TIMEOUT).await;
    r.set_image(GREEN, "registry.example/openclaw-api:1.5.0", 3)
        .await
        .unwrap();
    let green = r.deployment(GREEN).await.unwrap().unwrap();
    assert_eq!(green.image, "registry.example/openclaw-api:1.5.0");
    assert_eq!(green.replicas, 3);
    // The strategic merge patch kept the rest of the container.
    let d = s
        .sim
        .world()
        .cluster("us-east-1")
        .unwrap()
        .deployment(NS, GREEN)
        .unwrap();
    let c = &d.spec.unwrap().template.spec.unwrap().containers[0];
    assert_eq!(c.name, "app");
    assert!(c.readiness_probe.is_some(), "the probe survived");
    let err = r.set_image("nope", "x:1", 1).await.unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::NotFound);

    r.set_selector("openclaw-api", "ocfail.dev/color", "green")
        .await
        .unwrap();
    let svc = r.service("openclaw-api").await.unwrap().unwrap();
    assert_eq!(svc.color(), Some("green"));
    assert_eq!(svc.selector["app"], "openclaw-api", "other keys kept");
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_service_proxy_returns_the_apps_answer() {
    let s = LiveSim::start().await;
    let r = s.client_as(NS, None, TIMEOUT).await;

    let ok = r.proxy(&get("openclaw-api", "/healthz")).await.unwrap();
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.headers["x-openclaw-region"], NS);

    let rate = ProxyRequest {
        method: "POST".into(),
        path: "/v1/rate".into(),
        body: Some(r#"{"content":"test"}"#.into()),
        ..get("openclaw-api", "")
    };
    let answer = r.proxy(&rate).await.unwrap();
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains("rating"), "{}", answer.body);

    // The preview Service selects green, which has no pods: the API server
    // answers 503 itself, and that is the smoke check's fact, not an error.
    let idle = r
        .proxy(&get("openclaw-api-preview", "/healthz"))
        .await
        .unwrap();
    assert_eq!(idle.status, 503, "{idle:?}");

    let err = r.proxy(&get("nope", "/healthz")).await.unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::NotFound);
    assert_eq!(err.object.as_deref(), Some("service nope"));
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn leases_and_hpas_are_read() {
    let s = LiveSim::start().await;
    let r = s.client_as(NS, None, TIMEOUT).await;

    assert_eq!(r.lease("ocfail-lock").await.unwrap(), None);
    let leases: Api<Lease> = Api::namespaced(r.client().clone(), NS);
    let lease: Lease = serde_json::from_value(json!({
        "metadata": {"name": "ocfail-lock"},
        "spec": {"holderIdentity": "ocfail/drill/me@host/r1", "leaseDurationSeconds": 30,
                 "renewTime": "2025-01-02T03:04:05.123456Z"}
    }))
    .unwrap();
    leases.create(&PostParams::default(), &lease).await.unwrap();
    let got = r.lease("ocfail-lock").await.unwrap().unwrap();
    assert_eq!(got.holder.as_deref(), Some("ocfail/drill/me@host/r1"));
    assert_eq!(got.duration_seconds, Some(30));
    assert_eq!(
        got.renew_time.as_deref(),
        Some("2025-01-02T03:04:05.123456Z")
    );
    assert!(got.resource_version.is_some());

    assert_eq!(r.hpas().await.unwrap(), Vec::new());
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(r.client().clone(), NS);
    let hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({
        "metadata": {"name": "api"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": BLUE},
                 "minReplicas": 2, "maxReplicas": 6}
    }))
    .unwrap();
    hpas.create(&PostParams::default(), &hpa).await.unwrap();
    let listed = r.hpas().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].target_kind.as_str(),
            listed[0].target_name.as_str()
        ),
        ("Deployment", BLUE)
    );
    assert_eq!(
        (listed[0].min_replicas, listed[0].max_replicas),
        (Some(2), 6)
    );
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn config_maps_are_written_only_at_the_version_read() {
    let s = LiveSim::start().await;
    let r = s.client_as(NS, None, TIMEOUT).await;
    let entries = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };

    assert_eq!(r.config_map("ocfail-history").await.unwrap(), None);
    let first = entries(&[("run-1", "{\"verdict\":\"ok\"}")]);
    let created = r.create_config_map("ocfail-history", &first).await.unwrap();
    assert_eq!(created.name, "ocfail-history");
    assert_eq!(created.data, first);
    let got = r.config_map("ocfail-history").await.unwrap().unwrap();
    assert_eq!(got, created);
    let stored = s
        .sim
        .world()
        .cluster(NS)
        .unwrap()
        .get(ocfail::sim::cluster::Kind::ConfigMap, NS, "ocfail-history")
        .unwrap();
    assert_eq!(
        stored["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "ocfail"
    );

    let second = entries(&[("run-1", "{}"), ("run-2", "{}")]);
    let replaced = r.replace_config_map(&got, &second).await.unwrap();
    assert_eq!(replaced.data, second);
    assert_ne!(replaced.resource_version, got.resource_version);

    // `got` is what a second writer read before the first wrote.
    let err = r.replace_config_map(&got, &first).await.unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::Conflict);
    assert_eq!(err.status, Some(409));
    assert_eq!(err.reason.as_deref(), Some("Conflict"));
    assert_eq!(err.object.as_deref(), Some("configmap ocfail-history"));
    let err = r
        .create_config_map("ocfail-history", &first)
        .await
        .unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::Conflict);
    assert_eq!(err.reason.as_deref(), Some("AlreadyExists"));
    assert_eq!(
        r.config_map("ocfail-history").await.unwrap().unwrap().data,
        second,
        "neither losing write landed"
    );

    let err = r
        .create_config_map("other", &entries(&[("no/slashes", "x")]))
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(422));
    assert_eq!(err.reason.as_deref(), Some("Invalid"));
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_credentials_may_read_but_not_scale() {
    let s = LiveSim::start().await;
    let r = s.client_as(NS, Some("read-only"), TIMEOUT).await;
    let scale = AccessCheck::new("patch", "apps", "deployments", "scale");
    let read = AccessCheck::new("get", "apps", "deployments", "");

    assert!(r.deployment(BLUE).await.unwrap().is_some());
    let err = r.scale(BLUE, 0).await.unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::Forbidden);
    assert_eq!(err.status, Some(403));
    assert_eq!(err.reason.as_deref(), Some("Forbidden"));
    assert_eq!(err.object.as_deref(), Some("deployment openclaw-api-blue"));
    let hint = err.hint.unwrap();
    assert!(
        hint.contains(
            "context prod-us-east-1 may not \"patch\" \"deployments/scale\" in namespace us-east-1"
        ),
        "{hint}"
    );
    assert_eq!(ready(&s, BLUE).0, 3, "nothing changed");

    assert!(!r.can_i(&scale).await.unwrap());
    assert!(r.can_i(&read).await.unwrap());

    let admin = s.client_as(NS, None, TIMEOUT).await;
    assert!(admin.can_i(&scale).await.unwrap());
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_token_is_unauthorized() {
    let s = LiveSim::start().await;
    let r = s.client_as(NS, Some("invalid"), TIMEOUT).await;
    let err = r.version().await.unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::Unauthorized);
    assert_eq!(err.status, Some(401));
    assert!(
        err.hint
            .unwrap()
            .contains("token of context prod-us-east-1"),
        "the hint names the context"
    );
    let err = r
        .can_i(&AccessCheck::new("get", "", "services", ""))
        .await
        .unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::Unauthorized);
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_region_is_unreachable_at_once() {
    let s = LiveSim::start().await;
    let r = s.client_as(NS, None, TIMEOUT).await;
    s.sim.world().faults.set_kube(
        NS,
        KubeFault {
            refuse: true,
            ..KubeFault::default()
        },
    );
    let started = Instant::now();
    let err = tokio::time::timeout(GUARD, r.version())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::Unreachable, "{err}");
    assert!(err.message.contains(r.server()), "{}", err.message);
    assert!(
        err.message.ends_with("connection refused"),
        "{}",
        err.message
    );
    assert!(started.elapsed() < TIMEOUT, "refused, not timed out");

    // The other regions are untouched.
    let other = s.client_as("eu-central-1", None, TIMEOUT).await;
    assert!(other.version().await.is_ok());
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_certificate_is_a_tls_failure() {
    let s = LiveSim::start().await;
    // Without the simulator's CA the server certificate cannot be verified.
    let mut config = kube::config::Kubeconfig::read_from(s.kubeconfig()).unwrap();
    for c in &mut config.clusters {
        c.cluster.as_mut().unwrap().certificate_authority_data = None;
    }
    let path = s.dir.path().join("kubeconfig-no-ca");
    // JSON is YAML too.
    std::fs::write(&path, serde_json::to_string(&config).unwrap()).unwrap();
    let r = KubeRegion::connect(&region(&s, NS), Some(&path), TIMEOUT)
        .await
        .unwrap();
    let err = tokio::time::timeout(GUARD, r.version())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::Unreachable, "{err}");
    assert!(
        err.message.starts_with("the TLS handshake"),
        "{}",
        err.message
    );
    assert!(
        err.hint.unwrap().contains("certificate-authority"),
        "the hint points at the CA"
    );
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_region_times_out_within_the_request_timeout() {
    let s = LiveSim::start().await;
    let timeout = Duration::from_millis(500);
    let r = s.client_as(NS, None, timeout).await;
    s.sim.world().faults.set_kube(
        NS,
        KubeFault {
            hang: true,
            ..KubeFault::default()
        },
    );
    for call in [
        Box::pin(async { r.version().await.map(drop) })
            as std::pin::Pin<Box<dyn Future<Output = _> + Send>>,
        Box::pin(async { r.scale(BLUE, 1).await }),
        Box::pin(async { r.proxy(&get("openclaw-api", "/healthz")).await.map(drop) }),
    ] {
        let err = tokio::time::timeout(GUARD, call)
            .await
            .expect("the call returned")
            .unwrap_err();
        assert_eq!(err.kind, KubeErrorKind::Timeout, "{err}");
        assert!(
            err.message.ends_with("did not answer within 500ms"),
            "{err}"
        );
    }
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_region_reports_the_503_without_retrying_it() {
    let s = LiveSim::start().await;
    // kube's default retry policy would retry 503s for far longer than
    // this; the error comes back as the 503 because retries are off.
    let r = s.client_as(NS, None, Duration::from_secs(2)).await;
    s.sim.world().faults.set_kube(
        NS,
        KubeFault {
            error_rate: 1.0,
            ..KubeFault::default()
        },
    );
    let err = tokio::time::timeout(GUARD, r.deployment(BLUE))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::Api, "{err}");
    assert_eq!(err.status, Some(503));
    assert_eq!(err.reason.as_deref(), Some("ServiceUnavailable"));
    assert_eq!(err.object.as_deref(), Some("deployment openclaw-api-blue"));
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kubeconfig_problems_are_config_errors_with_a_way_out() {
    let s = LiveSim::start().await;
    let mut typo = region(&s, NS);
    typo.context = "prod-us-east1".into();
    let err = KubeRegion::connect(&typo, Some(&s.kubeconfig()), TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(err.kind, KubeErrorKind::Config);
    let hint = err.hint.unwrap();
    assert!(
        hint.starts_with("did you mean prod-us-east-1? contexts there: prod-us-east-1, "),
        "{hint}"
    );

    let mut fleet = s.manifest();
    fleet.kubeconfig = Some(s.dir.path().join("missing").display().to_string());
    let all = connect_fleet(&fleet, TIMEOUT).await;
    assert_eq!(all.len(), 3);
    for (r, region) in all.iter().zip(&fleet.regions) {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.kind, KubeErrorKind::Config);
        assert_eq!(e.region, region.name.as_str());
        assert!(e.message.contains("missing"), "{}", e.message);
        assert!(e.hint.as_deref().unwrap().contains("--sim"));
    }
    s.sim.shutdown().await;
}

/// kubectl asks the simulator the same question through the same endpoint.
#[tokio::test(flavor = "multi_thread")]
async fn kubectl_auth_can_i_agrees() {
    let Some(bin) = kubectl_or_skip() else {
        return;
    };
    let s = LiveSim::start().await;
    let can_i = |extra: &'static [&'static str]| {
        let mut cmd = Command::new(&bin);
        cmd.arg("--kubeconfig")
            .arg(s.kubeconfig())
            .args([
                "--context",
                "prod-us-east-1",
                "-n",
                NS,
                "--request-timeout=10s",
            ])
            .args(["auth", "can-i"])
            .args(extra)
            .env("HOME", s.dir.path());
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let yes = can_i(&["patch", "deployments", "--subresource=scale"])
        .await
        .unwrap();
    assert!(
        yes.status.success(),
        "{}{}",
        text(&yes.stdout),
        text(&yes.stderr)
    );
    assert_eq!(text(&yes.stdout).trim(), "yes");

    let no = can_i(&[
        "patch",
        "deployments",
        "--subresource=scale",
        "--token",
        "read-only",
    ])
    .await
    .unwrap();
    assert_eq!(no.status.code(), Some(1), "{}", text(&no.stderr));
    assert!(text(&no.stdout).starts_with("no"), "{}", text(&no.stdout));

    let read = can_i(&["get", "deployments", "--token", "read-only"])
        .await
        .unwrap();
    assert_eq!(text(&read.stdout).trim(), "yes", "{}", text(&read.stderr));

    let (b, k, h) = (bin.clone(), s.kubeconfig(), s.dir.path().to_owned());
    let api = tokio::task::spawn_blocking(move || api_resources(&b, &k, &h))
        .await
        .unwrap();
    assert!(api.contains("selfsubjectaccessreviews"), "{api}");
    s.sim.shutdown().await;
}

/// `kubectl api-resources` lists the authorization group from discovery.
fn api_resources(bin: &Path, kubeconfig: &Path, home: &Path) -> String {
    let out = Command::new(bin)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args([
            "--context",
            "prod-us-east-1",
            "api-resources",
            "--api-group=authorization.k8s.io",
        ])
        .env("HOME", home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}
