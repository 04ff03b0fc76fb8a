//! Deployments through the `kube` client: reads, label selectors, the scale
//! subresource, watches, and the three patch types.

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use serde_json::json;

use super::{BLUE, GREEN, NS, api_error, plain_client, ready, until};
use crate::util::{LiveSim, http, kube_client};

#[tokio::test(flavor = "multi_thread")]
async fn deployments_get_and_list_with_label_selectors() {
    let sim = LiveSim::start().await.sim;
    let deploys: Api<Deployment> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    let blue = deploys.get(BLUE).await.unwrap();
    assert_eq!(blue.spec.as_ref().unwrap().replicas, Some(3));
    assert_eq!(ready(&blue), 3);
    assert_eq!(blue.metadata.generation, Some(1));
    assert!(blue.metadata.uid.is_some() && blue.metadata.creation_timestamp.is_some());
    let labels = blue.metadata.labels.unwrap();
    assert_eq!(labels["ocfail.dev/color"], "blue");

    let names = |l: kube::core::ObjectList<Deployment>| -> Vec<String> {
        l.items
            .into_iter()
            .map(|d| d.metadata.name.unwrap())
            .collect()
    };
    let select = |s: &str| ListParams::default().labels(s);
    assert_eq!(
        names(
            deploys
                .list(&select("ocfail.dev/color=green"))
                .await
                .unwrap()
        ),
        [GREEN]
    );
    assert_eq!(
        names(
            deploys
                .list(&select("ocfail.dev/color!=green"))
                .await
                .unwrap()
        ),
        [BLUE]
    );
    assert_eq!(
        names(
            deploys
                .list(&select("ocfail.dev/color in (blue,green)"))
                .await
                .unwrap()
        )
        .len(),
        2
    );
    assert_eq!(
        names(
            deploys
                .list(&select("ocfail.dev/color notin (blue)"))
                .await
                .unwrap()
        ),
        [GREEN]
    );
    assert_eq!(
        names(deploys.list(&select("app,!missing")).await.unwrap()).len(),
        2
    );
    assert!(names(deploys.list(&select("missing")).await.unwrap()).is_empty());
    let list = deploys.list(&ListParams::default()).await.unwrap();
    assert!(list.metadata.resource_version.is_some());

    // The same API over plain HTTP (the URL `kube_url` gives).
    let plain: Api<Deployment> = Api::namespaced(plain_client(&sim, NS, "t"), NS);
    assert_eq!(
        plain.get(GREEN).await.unwrap().spec.unwrap().replicas,
        Some(0)
    );
    let pods: Api<Pod> = Api::namespaced(plain_client(&sim, NS, "t"), NS);
    let blue_pods = pods.list(&select("ocfail.dev/color=blue")).await.unwrap();
    assert_eq!(blue_pods.items.len(), 3);
    let pod = &blue_pods.items[0];
    assert!(
        pod.metadata
            .name
            .as_ref()
            .unwrap()
            .starts_with("openclaw-api-blue-")
    );
    assert!(
        pod.metadata
            .labels
            .as_ref()
            .unwrap()
            .contains_key("pod-template-hash")
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn scale_subresource_moves_ready_replicas_to_zero_and_back() {
    let sim = LiveSim::start().await.sim;
    let deploys: Api<Deployment> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    let scale = deploys
        .patch_scale(
            BLUE,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 0}})),
        )
        .await
        .unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(0));
    let d = until(&deploys, BLUE, "blue to drain", |d| ready(d) == 0).await;
    assert_eq!(d.status.unwrap().observed_generation, Some(2));

    let mut scale = deploys.get_scale(BLUE).await.unwrap();
    assert_eq!(
        scale.status.as_ref().unwrap().selector.as_deref(),
        Some("app=openclaw-api,ocfail.dev/color=blue")
    );
    scale.spec.as_mut().unwrap().replicas = Some(3);
    deploys
        .replace_scale(BLUE, &PostParams::default(), &scale)
        .await
        .unwrap();
    until(&deploys, BLUE, "blue to come back", |d| ready(d) == 3).await;

    // A stale resourceVersion on the Scale is a conflict.
    let (code, reason, _) = api_error(
        deploys
            .replace_scale(BLUE, &PostParams::default(), &scale)
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    let kinds: Vec<String> = sim
        .world()
        .log
        .snapshot()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for k in [
        "deployment-scaled",
        "deployment-unavailable",
        "deployment-ready",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn watches_see_changes_and_resume_or_expire() {
    let sim = LiveSim::start().await.sim;
    let deploys: Api<Deployment> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    let rv = deploys
        .get(BLUE)
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let wp = WatchParams::default()
        .fields(&format!("metadata.name={BLUE}"))
        .timeout(10);
    let mut events = deploys.watch(&wp, &rv).await.unwrap().boxed();
    let cluster = sim.world().cluster(NS).unwrap().clone();
    cluster.scale(NS, GREEN, 1).unwrap(); // filtered out by the field selector
    cluster.scale(NS, BLUE, 0).unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(ev) = events.try_next().await.unwrap() {
            match ev {
                WatchEvent::Modified(d) => {
                    assert_eq!(d.metadata.name.as_deref(), Some(BLUE));
                    seen.push((d.metadata.generation, ready(&d)));
                    if ready(&d) == 0 {
                        break;
                    }
                }
                other => panic!("unexpected event {other:?}"),
            }
        }
    });
    deadline.await.expect("no MODIFIED events within 5s");
    assert_eq!(
        seen,
        [(Some(2), 3), (Some(2), 0)],
        "spec change, then the controller's status"
    );

    // Resuming from the same version replays the history.
    let replay: Vec<_> = deploys
        .watch(
            &WatchParams::default()
                .fields(&format!("metadata.name={BLUE}"))
                .timeout(1),
            &rv,
        )
        .await
        .unwrap()
        .take(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(replay.len(), 2);
    // A version older than the history is gone, once compacted.
    cluster.compact();
    let (code, reason, message) = api_error(deploys.watch(&wp, &rv).await.err().unwrap());
    assert_eq!((code, reason.as_str()), (410, "Expired"));
    assert!(message.starts_with("too old resource version"), "{message}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_patch_type_changes_what_it_should() {
    let sim = LiveSim::start().await.sim;
    let deploys: Api<Deployment> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    let pp = PatchParams::default();

    let d = deploys
        .patch(
            GREEN,
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"team": "sre"}}})),
        )
        .await
        .unwrap();
    assert_eq!(d.metadata.labels.as_ref().unwrap()["team"], "sre");
    assert_eq!(d.metadata.generation, Some(1), "labels are not spec");

    let d = deploys
        .patch(
            GREEN,
            &pp,
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "registry.example.com/openclaw-api:1.5.0"}]}}}})),
        )
        .await
        .unwrap();
    let container = &d
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0];
    assert_eq!(
        container.image.as_deref(),
        Some("registry.example.com/openclaw-api:1.5.0")
    );
    assert_eq!(
        container.ports.as_ref().unwrap()[0].container_port,
        8080,
        "merged by name, not replaced"
    );
    assert_eq!(d.metadata.generation, Some(2));

    // kube's `Patch::Json` needs its `jsonpatch` feature, so this one goes over plain HTTP.
    let json_patch = |body: serde_json::Value| {
        http(Duration::from_secs(30))
            .patch(format!(
                "{}/apis/apps/v1/namespaces/{NS}/deployments/{GREEN}",
                sim.kube_url(NS).unwrap()
            ))
            .bearer_auth("t")
            .header("content-type", "application/json-patch+json")
            .body(body.to_string())
            .send()
    };
    let resp = json_patch(json!([
        {"op": "test", "path": "/spec/replicas", "value": 0},
        {"op": "replace", "path": "/spec/replicas", "value": 2}
    ]))
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let d: Deployment = resp.json().await.unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(2));
    let d = until(&deploys, GREEN, "green to roll out", |d| ready(d) == 2).await;
    assert_eq!(d.status.unwrap().observed_generation, Some(3));

    let resp = json_patch(json!([{"op": "test", "path": "/spec/replicas", "value": 7}]))
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let (code, reason, _) = api_error(
        deploys
            .patch(
                GREEN,
                &PatchParams::apply("test"),
                &Patch::Apply(json!({"spec": {"replicas": 1}})),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (415, "UnsupportedMediaType"));
    let (code, reason, message) = api_error(
        deploys
            .patch(GREEN, &pp, &Patch::Merge(json!({"spec": {"replicas": -1}})))
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (422, "Invalid"));
    assert!(message.contains("spec.replicas"), "{message}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn status_is_written_only_through_its_subresource() {
    let sim = LiveSim::start().await.sim;
    let deploys: Api<Deployment> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    let pp = PatchParams::default();
    let d = deploys
        .patch(
            BLUE,
            &pp,
            &Patch::Merge(json!({"status": {"readyReplicas": 1}})),
        )
        .await
        .unwrap();
    assert_eq!(ready(&d), 3, "the main resource ignores status");

    let d = deploys
        .patch_status(
            BLUE,
            &pp,
            &Patch::Merge(json!({"spec": {"replicas": 9}, "status": {"readyReplicas": 1}})),
        )
        .await
        .unwrap();
    assert_eq!(ready(&d), 1);
    assert_eq!(
        d.spec.unwrap().replicas,
        Some(3),
        "the status subresource ignores spec"
    );
    assert_eq!(d.metadata.generation, Some(1));
    let pods: Api<Pod> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    let blue = pods
        .list(&ListParams::default().labels("ocfail.dev/color=blue"))
        .await
        .unwrap();
    let running = blue
        .items
        .iter()
        .filter(|p| {
            p.status
                .as_ref()
                .unwrap()
                .container_statuses
                .as_ref()
                .unwrap()[0]
                .ready
        })
        .count();
    assert_eq!(running, 1, "pods follow the written status");
    sim.shutdown().await;
}
