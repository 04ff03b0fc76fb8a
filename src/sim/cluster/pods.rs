//! Pods, synthesized from Deployments on every read: the names, labels and
//! states a real ReplicaSet's pods would show, without storing any.

use serde_json::{Value, json};

use super::{image_of, int_at, str_at};
use crate::sim::app;

/// The alphabet Kubernetes uses for generated name suffixes (no vowels, no
/// look-alikes).
const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Maps each byte to the safe alphabet, as `rand.SafeEncodeString` does.
fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| char::from(SAFE[usize::from(b) % SAFE.len()]))
        .collect()
}

/// The `pod-template-hash` of a Deployment's current template: a hash of
/// the template, encoded like the controller's (decimal, then safe alphabet).
pub fn pod_template_hash(deployment: &Value) -> String {
    let template = deployment
        .pointer("/spec/template")
        .map(Value::to_string)
        .unwrap_or_default();
    let h = fnv1a(template.as_bytes()) as u32;
    safe_encode(&h.to_string())
}

/// Five random safe characters, as `generateName` appends.
pub fn random_suffix() -> String {
    (0..5)
        .map(|_| char::from(SAFE[fastrand::usize(..SAFE.len())]))
        .collect()
}

/// SplitMix64's finalizer: FNV alone barely changes the low bits when only
/// the last input byte differs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn suffix(seed: &str) -> String {
    let h = mix(fnv1a(seed.as_bytes()));
    (0..5)
        .map(|i| char::from(SAFE[((h >> (i * 8)) & 0xff) as usize % SAFE.len()]))
        .collect()
}

fn stable_uid(seed: &str) -> String {
    let a = fnv1a(seed.as_bytes());
    let b = fnv1a(format!("{seed}/uid").as_bytes());
    let h = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// The pods `deployment` runs now: `status.replicas` of them, the first
/// `status.readyReplicas` Running and Ready, the rest (images that never
/// become ready) in CrashLoopBackOff.
pub fn pods_of(deployment: &Value) -> Vec<Value> {
    let count = int_at(deployment, "/status/replicas").max(0);
    let ready = int_at(deployment, "/status/readyReplicas");
    let name = str_at(deployment, "/metadata/name");
    let ns = str_at(deployment, "/metadata/namespace");
    let hash = pod_template_hash(deployment);
    let rs = format!("{name}-{hash}");
    let rs_uid = stable_uid(&format!("{ns}/{rs}"));
    let created = str_at(deployment, "/metadata/creationTimestamp");
    let started = deployment
        .pointer("/status/conditions/0/lastUpdateTime")
        .and_then(Value::as_str)
        .unwrap_or(created);
    let image = image_of(deployment);
    let mut labels = deployment
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .unwrap_or_else(|| json!({}));
    labels["pod-template-hash"] = json!(hash);
    let template_spec = deployment
        .pointer("/spec/template/spec")
        .cloned()
        .unwrap_or_else(|| json!({}));
    (0..count)
        .map(|i| {
            let pod = format!("{rs}-{}", suffix(&format!("{ns}/{rs}/{i}")));
            let is_ready = i < ready;
            let bad = app::never_ready(image);
            let mut spec = template_spec.clone();
            spec["nodeName"] = json!(format!("sim-node-{}", i % 3 + 1));
            let containers = spec["containers"].as_array().cloned().unwrap_or_default();
            let statuses: Vec<Value> = containers
                .iter()
                .map(|c| {
                    let mut s = json!({
                        "name": c["name"], "image": c["image"],
                        "imageID": format!("{}@sha256:{:016x}", c["image"].as_str().unwrap_or_default(), fnv1a(c["image"].to_string().as_bytes())),
                        "containerID": format!("containerd://{:016x}", fnv1a(pod.as_bytes())),
                        "ready": is_ready, "started": is_ready, "restartCount": 0,
                        "state": {"running": {"startedAt": started}},
                    });
                    if !is_ready {
                        s["restartCount"] = json!(5);
                        s["state"] = json!({"waiting": {"reason": if bad { "CrashLoopBackOff" } else { "ContainerCreating" }, "message": format!("back-off 5m0s restarting failed container={} pod={pod}_{ns}", c["name"].as_str().unwrap_or_default())}});
                        s["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": started, "finishedAt": started}});
                    }
                    s
                })
                .collect();
            let ready_text = if is_ready { "True" } else { "False" };
            let conditions: Vec<Value> = ["Initialized", "Ready", "ContainersReady", "PodScheduled"]
                .iter()
                .map(|t| {
                    let status = if matches!(*t, "Ready" | "ContainersReady") { ready_text } else { "True" };
                    json!({"type": t, "status": status, "lastProbeTime": null, "lastTransitionTime": started})
                })
                .collect();
            json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": pod,
                    "generateName": format!("{rs}-"),
                    "namespace": ns,
                    "uid": stable_uid(&format!("{ns}/{pod}")),
                    "resourceVersion": deployment["metadata"]["resourceVersion"],
                    "creationTimestamp": started,
                    "labels": labels,
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": rs_uid, "controller": true, "blockOwnerDeletion": true}],
                },
                "spec": spec,
                "status": {
                    "phase": "Running",
                    "conditions": conditions,
                    "hostIP": format!("10.0.0.{}", i % 3 + 1),
                    "podIP": format!("10.244.{}.{}", i % 3 + 1, (fnv1a(pod.as_bytes()) % 250) + 2),
                    "startTime": started,
                    "containerStatuses": statuses,
                    "qosClass": "BestEffort",
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_follow_the_deployment() {
        let d = json!({
            "metadata": {"name": "api-blue", "namespace": "ns", "resourceVersion": "7"},
            "spec": {"template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "app", "image": "r/api:1.5-bad"}]}}},
            "status": {"replicas": 2},
        });
        let pods = pods_of(&d);
        assert_eq!(pods.len(), 2);
        let hash = pod_template_hash(&d);
        assert!(!hash.is_empty() && hash.bytes().all(|b| SAFE.contains(&b)));
        let name = pods[0]["metadata"]["name"].as_str().unwrap();
        assert!(
            name.starts_with(&format!("api-blue-{hash}-"))
                && name.len() == "api-blue-".len() + hash.len() + 6
        );
        assert_eq!(pods[0]["metadata"]["labels"]["pod-template-hash"], hash);
        assert_eq!(pods[0]["metadata"]["labels"]["app"], "api");
        let cs = &pods[1]["status"]["containerStatuses"][0];
        assert_eq!(cs["state"]["waiting"]["reason"], "CrashLoopBackOff");
        assert!(cs["restartCount"].as_i64().unwrap() > 0);
        assert_ne!(pods[0]["metadata"]["name"], pods[1]["metadata"]["name"]);
    }
}
