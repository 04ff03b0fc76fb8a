//! ConfigMaps (ocfail's run history) as the kube client sees them: none
//! seeded, optimistic concurrency, the three patch types, watches, delete
//! preconditions, the API server's validation (keys, 1 MiB) and who may
//! write them.

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, Preconditions, WatchEvent,
    WatchParams,
};
use ocfail::sim::KubeFault;
use serde_json::{Value, json};

use super::{NS, api_error};
use crate::util::{LiveSim, http, kube_client};

const NAME: &str = "ocfail-history";

fn config_map(data: Value) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": NAME}, "data": data})).unwrap()
}

fn data(c: &ConfigMap) -> Vec<(String, String)> {
    c.data.clone().unwrap_or_default().into_iter().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn config_maps_are_written_with_optimistic_concurrency() {
    let sim = LiveSim::start().await.sim;
    let cms: Api<ConfigMap> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    assert!(
        cms.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "the history starts empty"
    );

    let created = cms
        .create(&PostParams::default(), &config_map(json!({"1": "a"})))
        .await
        .unwrap();
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());
    let (code, reason, message) = api_error(
        cms.create(&PostParams::default(), &config_map(json!({})))
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (409, "AlreadyExists"));
    assert_eq!(message, "configmaps \"ocfail-history\" already exists");

    let mut mine = created.clone();
    mine.data = Some([("1".into(), "a".into()), ("2".into(), "b".into())].into());
    let replaced = cms
        .replace(NAME, &PostParams::default(), &mine)
        .await
        .unwrap();
    assert_ne!(
        replaced.metadata.resource_version,
        created.metadata.resource_version
    );
    // `mine` still carries the first resourceVersion: another writer's turn came first.
    let (code, reason, message) = api_error(
        cms.replace(NAME, &PostParams::default(), &mine)
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    assert_eq!(
        message,
        "Operation cannot be fulfilled on configmaps \"ocfail-history\": the object has been \
         modified; please apply your changes to the latest version and try again"
    );

    // Without a resourceVersion a replace is unconditional, as on the API server.
    let mut blind = config_map(json!({"only": "this"}));
    blind.metadata.resource_version = None;
    let after = cms
        .replace(NAME, &PostParams::default(), &blind)
        .await
        .unwrap();
    assert_eq!(data(&after), [("only".to_owned(), "this".to_owned())]);

    let dp = DeleteParams {
        preconditions: Some(Preconditions {
            resource_version: created.metadata.resource_version.clone(),
            uid: None,
        }),
        ..DeleteParams::default()
    };
    let (code, reason, _) = api_error(cms.delete(NAME, &dp).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    cms.delete(NAME, &DeleteParams::default()).await.unwrap();
    let (code, _, message) = api_error(cms.get(NAME).await.unwrap_err());
    assert_eq!(code, 404);
    assert_eq!(message, "configmaps \"ocfail-history\" not found");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn config_maps_patch_and_watch() {
    let sim = LiveSim::start().await.sim;
    let cms: Api<ConfigMap> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    let created = cms
        .create(&PostParams::default(), &config_map(json!({"1": "a"})))
        .await
        .unwrap();
    let rv = created.metadata.resource_version.clone().unwrap();
    let wp = WatchParams::default()
        .fields(&format!("metadata.name={NAME}"))
        .timeout(10);
    let mut events = cms.watch(&wp, &rv).await.unwrap().boxed();

    let pp = PatchParams::default();
    let merged = cms
        .patch(NAME, &pp, &Patch::Merge(json!({"data": {"2": "b"}})))
        .await
        .unwrap();
    assert_eq!(
        data(&merged),
        [("1".into(), "a".into()), ("2".into(), "b".into())]
    );
    let strategic = cms
        .patch(NAME, &pp, &Patch::Strategic(json!({"data": {"1": null}})))
        .await
        .unwrap();
    assert_eq!(data(&strategic), [("2".to_owned(), "b".to_owned())]);
    // A patch carrying a stale resourceVersion is refused like a replace.
    let (code, reason, _) = api_error(
        cms.patch(
            NAME,
            &pp,
            &Patch::Merge(json!({"metadata": {"resourceVersion": rv}, "data": {"3": "c"}})),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (409, "Conflict"));

    // kube's `Patch::Json` needs its `jsonpatch` feature, so this one goes over plain HTTP.
    let resp = http(Duration::from_secs(30))
        .patch(format!(
            "{}/api/v1/namespaces/{NS}/configmaps/{NAME}",
            sim.kube_url(NS).unwrap()
        ))
        .bearer_auth("t")
        .header("content-type", "application/json-patch+json")
        .body(json!([{"op": "add", "path": "/data/3", "value": "c"}]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let patched: ConfigMap = resp.json().await.unwrap();
    assert_eq!(
        data(&patched),
        [("2".into(), "b".into()), ("3".into(), "c".into())]
    );

    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(ev) = events.try_next().await.unwrap() {
            match ev {
                WatchEvent::Modified(c) => {
                    seen.push(data(&c).len());
                    if seen.len() == 3 {
                        break;
                    }
                }
                other => panic!("unexpected event {other:?}"),
            }
        }
    })
    .await
    .expect("three MODIFIED events within 5s");
    assert_eq!(seen, [2, 1, 2], "merge, strategic, json patch");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn config_maps_are_validated_like_the_api_server() {
    let sim = LiveSim::start().await.sim;
    let base = format!(
        "{}/api/v1/namespaces/{NS}/configmaps",
        sim.kube_url(NS).unwrap()
    );
    let post = |body: Value| {
        http(Duration::from_secs(30))
            .post(&base)
            .bearer_auth("t")
            .json(&body)
            .send()
    };
    let resp = post(json!({"metadata": {"name": NAME}, "data": {"a/b": "x", "ok": "y"}}))
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let status: Value = resp.json().await.unwrap();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(status["details"]["kind"], "ConfigMap");
    assert_eq!(status["details"]["name"], NAME);
    assert_eq!(
        status["details"]["causes"],
        json!([{
            "reason": "FieldValueInvalid",
            "field": "data[a/b]",
            "message": "Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        }])
    );

    // 1 MiB of data is the most a ConfigMap holds.
    let mib = "x".repeat(1024 * 1024);
    let resp = post(json!({"metadata": {"name": NAME}, "data": {"a": mib, "b": "!"}}))
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let status: Value = resp.json().await.unwrap();
    assert_eq!(
        status["message"],
        "ConfigMap \"ocfail-history\" is invalid: []: Too long: may not be more than 1048576 bytes"
    );
    assert_eq!(
        status["details"]["causes"][0]["reason"],
        "FieldValueTooLong"
    );
    let resp = post(json!({"metadata": {"name": NAME}, "data": {"a": mib}}))
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "exactly 1 MiB fits");

    // An update is held to the same rules.
    let cms: Api<ConfigMap> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    let (code, reason, message) = api_error(
        cms.patch(
            NAME,
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"b": "!"}})),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (422, "Invalid"));
    assert!(message.contains("Too long"), "{message}");
    let resp = post(json!({"metadata": {"name": "Upper"}})).await.unwrap();
    assert_eq!(resp.status(), 422, "names are RFC 1123 subdomains");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn config_map_writes_follow_tokens_and_denied_permissions() {
    let sim = LiveSim::start().await.sim;
    let read_only: Api<ConfigMap> = Api::namespaced(kube_client(&sim, NS, "read-only").await, NS);
    assert!(read_only.list(&ListParams::default()).await.is_ok());
    let (code, _, message) = api_error(
        read_only
            .create(&PostParams::default(), &config_map(json!({})))
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 403);
    assert_eq!(
        message,
        "configmaps is forbidden: User \"read-only\" cannot create resource \"configmaps\" in \
         API group \"\" in the namespace \"us-east-1\""
    );

    let cms: Api<ConfigMap> = Api::namespaced(kube_client(&sim, NS, "t").await, NS);
    let created = cms
        .create(&PostParams::default(), &config_map(json!({})))
        .await
        .unwrap();
    sim.world().faults.set_kube(
        NS,
        KubeFault {
            deny: vec!["update configmaps".into()],
            ..KubeFault::default()
        },
    );
    let (code, _, message) = api_error(
        cms.replace(NAME, &PostParams::default(), &created)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 403);
    assert!(
        message.starts_with("configmaps \"ocfail-history\" is forbidden: User \"t\" cannot update"),
        "{message}"
    );
    assert!(cms.get(NAME).await.is_ok(), "reads are still allowed");
    sim.shutdown().await;
}
