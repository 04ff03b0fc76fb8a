//! The HorizontalPodAutoscaler controller, as far as drills can see it.
//!
//! Kubernetes disables an HPA while its target has 0 replicas (condition
//! `ScalingActive=False`, reason `ScalingDisabled`) and enables it again
//! once the target has replicas; that is what a scale-to-zero drill does to
//! an HPA, and what ocfail checks after restoring. The simulator has no
//! metrics, so it never autoscales: `desiredReplicas` is the current count.
//! HPAs that target anything but a Deployment are left alone (the simulator
//! serves no other scalable kind).

use serde_json::{Value, json};

use super::{Cluster, Kind, int_at, str_at};
use crate::sim::store::{Update, now_rfc3339};

/// `ScalingActive` while the target has replicas. The real controller names
/// the metric it used; the simulator has none to name.
const ACTIVE_MESSAGE: &str = "the HPA was able to successfully calculate a replica count (the simulator has no metrics and keeps the current count)";
/// `ScalingActive` at 0 replicas, word for word as the real controller says it.
const DISABLED_MESSAGE: &str = "scaling is disabled since the replica count of the target is zero";

impl Cluster {
    /// Brings every HPA's status in line with its target Deployment's
    /// `spec.replicas`, which is what the real controller reads (through the
    /// scale subresource) on each sync.
    pub(super) fn sync_hpas(&self) {
        let (hpas, _) = self.store.list(Kind::Hpa, None);
        for hpa in hpas {
            if str_at(&hpa, "/spec/scaleTargetRef/kind") != "Deployment" {
                continue;
            }
            let ns = str_at(&hpa, "/metadata/namespace").to_owned();
            let name = str_at(&hpa, "/metadata/name").to_owned();
            let target_name = str_at(&hpa, "/spec/scaleTargetRef/name");
            let target = self.store.get(Kind::Deployment, &ns, target_name);
            let status = hpa_status(&hpa, target.as_deref());
            let result = self.store.update::<()>(Kind::Hpa, &ns, &name, |h| {
                let mut h = h.clone();
                h["status"] = status;
                Update::Put(h)
            });
            if let Some(Ok((old, new))) = result {
                self.log_hpa(&ns, &name, &old, &new);
            }
        }
    }

    fn log_hpa(&self, ns: &str, name: &str, old: &Value, new: &Value) {
        let (before, after) = (scaling_active(old), scaling_active(new));
        if before == after {
            return;
        }
        let target = str_at(new, "/spec/scaleTargetRef/name");
        let (kind, detail) = match after {
            Some(true) if before == Some(false) => (
                "hpa-active",
                format!("{ns}/{name}: {target} has replicas again, scaling resumed"),
            ),
            Some(true) => ("hpa-active", format!("{ns}/{name}: scaling {target}")),
            Some(false) => (
                "hpa-disabled",
                format!("{ns}/{name}: {target} has 0 replicas, scaling disabled"),
            ),
            None => (
                "hpa-no-target",
                format!("{ns}/{name}: cannot get the scale of {target}"),
            ),
        };
        self.log
            .push("kubernetes", Some(self.region.as_str()), kind, detail);
    }
}

/// `ScalingActive` of an HPA object: `None` when it has no such condition.
fn scaling_active(hpa: &Value) -> Option<bool> {
    hpa.pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c["type"] == "ScalingActive")
        .map(|c| c["status"] == "True")
}

/// The status the HPA controller writes for `hpa` whose target is `target`
/// (`None`: not found). Unchanged conditions keep their transition time, so
/// a sync that changes nothing writes nothing.
fn hpa_status(hpa: &Value, target: Option<&Value>) -> Value {
    let old = &hpa["status"]["conditions"];
    let now = now_rfc3339();
    let condition = |kind: &str, status: bool, reason: &str, message: String| {
        let status = if status { "True" } else { "False" };
        let transition = old
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == kind))
            .filter(|c| c["status"] == status)
            .and_then(|c| c.get("lastTransitionTime").cloned())
            .unwrap_or_else(|| json!(now));
        json!({"type": kind, "status": status, "lastTransitionTime": transition, "reason": reason, "message": message})
    };
    let generation = int_at(hpa, "/metadata/generation");
    let Some(target) = target else {
        // The real controller stops at the failed scale read: no ScalingActive.
        return json!({
            "observedGeneration": generation,
            "currentReplicas": 0,
            "desiredReplicas": 0,
            "conditions": [condition(
                "AbleToScale",
                false,
                "FailedGetScale",
                format!(
                    "the HPA controller was unable to get the target's current scale: deployments/scale.apps \"{}\" not found",
                    str_at(hpa, "/spec/scaleTargetRef/name")
                ),
            )],
        });
    };
    let replicas = int_at(target, "/spec/replicas");
    // minReplicas 0 (the HPAScaleToZero feature) keeps an HPA active at 0.
    let min = hpa
        .pointer("/spec/minReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let active = replicas > 0 || min == 0;
    let scaling = if active {
        condition(
            "ScalingActive",
            true,
            "ValidMetricFound",
            ACTIVE_MESSAGE.into(),
        )
    } else {
        condition(
            "ScalingActive",
            false,
            "ScalingDisabled",
            DISABLED_MESSAGE.into(),
        )
    };
    json!({
        "observedGeneration": generation,
        "currentReplicas": replicas,
        "desiredReplicas": replicas,
        "conditions": [
            condition(
                "AbleToScale",
                true,
                "SucceededGetScale",
                "the HPA controller was able to get the target's current scale".into(),
            ),
            scaling,
        ],
    })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn cluster() -> Cluster {
        super::super::test_cluster()
    }

    fn create_hpa(c: &Cluster, name: &str, target: &str) {
        c.create(
            Kind::Hpa,
            "ns",
            json!({
                "metadata": {"name": name},
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                         "minReplicas": 2, "maxReplicas": 5}
            }),
            false,
        )
        .unwrap();
    }

    fn status(c: &Cluster, name: &str) -> (Option<bool>, Option<String>, i64, i64) {
        let h = c.get(Kind::Hpa, "ns", name).unwrap();
        let reason = h
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c["type"] == "ScalingActive"))
            .and_then(|c| c["reason"].as_str())
            .map(str::to_owned);
        (
            scaling_active(&h),
            reason,
            int_at(&h, "/status/currentReplicas"),
            int_at(&h, "/status/desiredReplicas"),
        )
    }

    #[test]
    fn an_hpa_is_disabled_at_zero_replicas_and_active_again_after() {
        let c = cluster();
        create_hpa(&c, "blue", "api-blue");
        assert_eq!(
            status(&c, "blue").0,
            None,
            "no status before the first sync"
        );
        c.reconcile(Instant::now());
        assert_eq!(
            status(&c, "blue"),
            (Some(true), Some("ValidMetricFound".into()), 3, 3)
        );
        let rv = c.get(Kind::Hpa, "ns", "blue").unwrap()["metadata"]["resourceVersion"].clone();
        c.reconcile(Instant::now());
        assert_eq!(
            c.get(Kind::Hpa, "ns", "blue").unwrap()["metadata"]["resourceVersion"],
            rv,
            "a sync that changes nothing writes nothing"
        );

        c.scale("ns", "api-blue", 0).unwrap();
        c.reconcile(Instant::now());
        assert_eq!(
            status(&c, "blue"),
            (Some(false), Some("ScalingDisabled".into()), 0, 0),
            "disabled, not fighting the scale to zero"
        );
        assert_eq!(
            c.deployment("ns", "api-blue")
                .unwrap()
                .spec
                .unwrap()
                .replicas,
            Some(0)
        );

        c.scale("ns", "api-blue", 3).unwrap();
        c.reconcile(Instant::now());
        assert_eq!(
            status(&c, "blue"),
            (Some(true), Some("ValidMetricFound".into()), 3, 3)
        );
        let kinds: Vec<_> = c
            .log
            .snapshot()
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| k.starts_with("hpa-"))
            .collect();
        assert_eq!(kinds, ["hpa-active", "hpa-disabled", "hpa-active"]);
    }

    #[test]
    fn an_hpa_without_its_target_cannot_scale_and_has_no_scaling_condition() {
        let c = cluster();
        create_hpa(&c, "ghost", "no-such-deployment");
        c.reconcile(Instant::now());
        let h = c.get(Kind::Hpa, "ns", "ghost").unwrap();
        assert_eq!(scaling_active(&h), None);
        assert_eq!(h["status"]["conditions"][0]["reason"], "FailedGetScale");
    }

    #[test]
    fn the_status_reads_back_as_the_typed_object() {
        let c = cluster();
        create_hpa(&c, "blue", "api-blue");
        c.reconcile(Instant::now());
        let h = c.get(Kind::Hpa, "ns", "blue").unwrap();
        let typed: k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler =
            serde_json::from_value((*h).clone()).unwrap();
        let s = typed.status.unwrap();
        assert_eq!((s.current_replicas, s.desired_replicas), (Some(3), 3));
        assert_eq!(s.conditions.unwrap().len(), 2);
    }
}
