//! The Deployment controller: once a spec change is `rollout_delay` old,
//! the status jumps to what the spec and image imply, the way
//! `kubectl rollout status` expects to see a finished (or stuck) rollout.

use std::time::Instant;

use serde_json::{Value, json};

use super::{Cluster, Kind, int_at, lock, str_at};
use crate::sim::app;
use crate::sim::store::{Update, now_rfc3339};

const REVISION_KEY: &str = "deployment.kubernetes.io/revision";
const REVISION: &str = "/metadata/annotations/deployment.kubernetes.io~1revision";

impl Cluster {
    /// Converges every Deployment whose spec change is old enough (or whose
    /// pods were left Pending by a fault that has since cleared), then
    /// syncs the HPAs with their targets.
    pub(super) fn reconcile(&self, now: Instant) {
        let pending_pods = self.faults.kube(&self.region).pending_pods;
        let due: Vec<(String, String)> = {
            let mut pending = lock(&self.pending);
            if !pending_pods {
                // Capacity is back: the Pending pods get scheduled and start,
                // which takes as long as a rollout does.
                for key in lock(&self.stuck).drain() {
                    pending.entry(key).or_insert(now);
                }
            }
            let due: Vec<_> = pending
                .iter()
                .filter(|(_, since)| now.saturating_duration_since(**since) >= self.rollout_delay)
                .map(|(k, _)| k.clone())
                .collect();
            for k in &due {
                pending.remove(k);
            }
            due
        };
        for (ns, name) in due {
            let before = lock(&self.running)
                .get(&(ns.clone(), name.clone()))
                .cloned();
            let result = self.store.update::<()>(Kind::Deployment, &ns, &name, |d| {
                let mut d = d.clone();
                d["status"] = converged_status(&d, pending_pods);
                // A new pod template is a new ReplicaSet: the revision kubectl
                // rollout history shows moves on.
                if let Some(before) = &before
                    && before["spec"]["template"] != d["spec"]["template"]
                {
                    let revision = before
                        .pointer(REVISION)
                        .and_then(Value::as_str)
                        .and_then(|r| r.parse::<u64>().ok())
                        .unwrap_or(1);
                    d["metadata"]["annotations"][REVISION_KEY] = json!((revision + 1).to_string());
                }
                Update::Put(d)
            });
            if let Some(Ok((old, new))) = result {
                if pending_pods && int_at(&new, "/spec/replicas") > 0 {
                    lock(&self.stuck).insert((ns.clone(), name.clone()));
                }
                self.log_convergence(&ns, &name, &old, &new);
                self.set_running(new);
            }
        }
        self.sync_hpas();
    }

    fn log_convergence(&self, ns: &str, name: &str, old: &Value, new: &Value) {
        let before = int_at(old, "/status/readyReplicas");
        let ready = int_at(new, "/status/readyReplicas");
        let replicas = int_at(new, "/spec/replicas");
        let image = super::image_of(new);
        let region = Some(self.region.as_str());
        if ready > 0 && ready != before {
            self.log.push(
                "kubernetes",
                region,
                "deployment-ready",
                format!("{ns}/{name}: {ready}/{replicas} ready ({image})"),
            );
        } else if ready == 0 && (before > 0 || replicas > 0) {
            let why = if replicas > 0 {
                format!(" (image {image} never becomes ready)")
            } else {
                String::new()
            };
            self.log.push(
                "kubernetes",
                region,
                "deployment-unavailable",
                format!("{ns}/{name}: 0/{replicas} ready{why}"),
            );
        }
    }
}

/// The status a Deployment settles at: all replicas updated; ready and
/// available unless the image never becomes ready or new pods stay Pending.
fn converged_status(d: &Value, pending: bool) -> Value {
    let replicas = int_at(d, "/spec/replicas");
    let ready = if pending || app::never_ready(super::image_of(d)) {
        0
    } else {
        replicas
    };
    let max_unavailable = replicas / 4;
    let available = ready >= replicas - max_unavailable;
    let rs = format!(
        "{}-{}",
        str_at(d, "/metadata/name"),
        super::pod_template_hash(d)
    );
    let old = &d["status"]["conditions"];
    let now = now_rfc3339();
    let condition = |kind: &str, status: bool, reason: &str, message: String| {
        let status = if status { "True" } else { "False" };
        let previous = old
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == kind));
        let transition = previous
            .filter(|c| c["status"] == status)
            .and_then(|c| c.get("lastTransitionTime").cloned())
            .unwrap_or_else(|| json!(now));
        json!({"type": kind, "status": status, "lastUpdateTime": now, "lastTransitionTime": transition, "reason": reason, "message": message})
    };
    let conditions = vec![
        if available {
            condition(
                "Available",
                true,
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.".into(),
            )
        } else {
            condition(
                "Available",
                false,
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.".into(),
            )
        },
        if ready == replicas {
            condition(
                "Progressing",
                true,
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{rs}\" has successfully progressed."),
            )
        } else {
            condition(
                "Progressing",
                true,
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{rs}\" is progressing."),
            )
        },
    ];
    let mut status = json!({
        "observedGeneration": int_at(d, "/metadata/generation"),
        "conditions": conditions,
    });
    // The API server omits zero counts (Go's omitempty), and clients read absent as 0.
    for (field, n) in [
        ("replicas", replicas),
        ("updatedReplicas", replicas),
        ("readyReplicas", ready),
        ("availableReplicas", ready),
        ("unavailableReplicas", replicas - ready),
    ] {
        if n != 0 {
            status[field] = json!(n);
        }
    }
    status
}

/// The converged status, for seeding.
pub(super) fn seeded_status(d: &Value) -> Value {
    converged_status(d, false)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sim::app::AppRequest;

    fn cluster() -> Cluster {
        super::super::test_cluster()
    }

    #[test]
    fn status_follows_spec_after_the_delay() {
        let c = cluster();
        let blue = c.deployment("ns", "api-blue").unwrap();
        let status = blue.status.unwrap();
        assert_eq!(status.ready_replicas, Some(3));
        assert_eq!(status.observed_generation, Some(1));
        assert_eq!(
            c.serve_service("ns", "api", &AppRequest::get("/healthz"))
                .status,
            200
        );
        assert_eq!(
            c.serve_service("ns", "api-preview", &AppRequest::get("/healthz"))
                .status,
            503
        );

        c.scale("ns", "api-blue", 0).unwrap();
        let t0 = Instant::now();
        c.reconcile(t0);
        assert_eq!(
            c.deployment("ns", "api-blue")
                .unwrap()
                .status
                .unwrap()
                .ready_replicas,
            Some(3),
            "too early"
        );
        c.reconcile(t0 + Duration::from_secs(1));
        let d = c.deployment("ns", "api-blue").unwrap();
        assert_eq!(d.metadata.generation, Some(2));
        let status = d.status.unwrap();
        assert_eq!(
            (status.ready_replicas, status.observed_generation),
            (None, Some(2))
        );
        assert_eq!(
            c.serve_service("ns", "api", &AppRequest::get("/healthz"))
                .status,
            503
        );
        let kinds: Vec<_> = c.log.snapshot().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["deployment-scaled", "deployment-unavailable"]);
    }

    #[test]
    fn pending_pods_start_once_the_fault_clears_without_a_spec_change() {
        let c = cluster();
        c.faults.set_kube(
            "r1",
            crate::sim::KubeFault {
                pending_pods: true,
                ..Default::default()
            },
        );
        c.scale("ns", "api-green", 2).unwrap();
        let t0 = Instant::now();
        c.reconcile(t0 + Duration::from_secs(1));
        c.reconcile(t0 + Duration::from_secs(2));
        let ready = |c: &Cluster| {
            let s = c.deployment("ns", "api-green").unwrap().status.unwrap();
            (s.replicas, s.ready_replicas)
        };
        assert_eq!(ready(&c), (Some(2), None), "Pending while the fault holds");
        let generation = c.deployment("ns", "api-green").unwrap().metadata.generation;

        c.faults.set_kube("r1", crate::sim::KubeFault::default());
        let t1 = Instant::now();
        c.reconcile(t1);
        assert_eq!(
            ready(&c),
            (Some(2), None),
            "scheduling takes the rollout delay"
        );
        c.reconcile(t1 + Duration::from_secs(1));
        assert_eq!(ready(&c), (Some(2), Some(2)));
        assert_eq!(
            c.deployment("ns", "api-green").unwrap().metadata.generation,
            generation,
            "no spec change"
        );
        assert_eq!(
            c.serve_service("ns", "api-preview", &AppRequest::get("/healthz"))
                .status,
            200
        );
        // Converged once: later ticks have nothing left to do.
        assert!(lock(&c.stuck).is_empty() && lock(&c.pending).is_empty());
    }

    #[test]
    fn bad_images_never_become_ready() {
        let c = cluster();
        c.set_image("ns", "api-green", "r/api:2.0-bad").unwrap();
        c.scale("ns", "api-green", 2).unwrap();
        c.reconcile(Instant::now() + Duration::from_secs(1));
        let s = c.deployment("ns", "api-green").unwrap().status.unwrap();
        assert_eq!(
            (s.replicas, s.ready_replicas, s.unavailable_replicas),
            (Some(2), None, Some(2))
        );
        let progressing = s
            .conditions
            .unwrap()
            .into_iter()
            .find(|c| c.type_ == "Progressing")
            .unwrap();
        assert_eq!(progressing.reason.as_deref(), Some("ReplicaSetUpdated"));
        let d = c.deployment("ns", "api-green").unwrap();
        let annotations = d.metadata.annotations.unwrap();
        assert_eq!(annotations[REVISION_KEY], "2", "new template, new revision");
        let (pods, _) = c.list(Kind::Pod, Some("ns"));
        assert_eq!(pods.len(), 5, "3 blue + 2 green");
    }
}
