//! Between k8s-openapi objects and ocfail's own types (`types.rs`): what
//! reads keep of a Deployment, Service, Lease or HPA, and what writes send.

use ::kube::api::Patch;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::coordination::v1::Lease;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

use crate::kube::types::{
    AccessCheck, ConfigMapState, DeploymentState, HpaState, LeaseSpec, LeaseState, ServiceState,
};

/// A merge patch that sets `key` to `value`, or removes it (`null`).
pub(super) fn annotation_patch(key: &str, value: Option<&str>) -> Patch<Value> {
    let mut annotations = serde_json::Map::new();
    annotations.insert(key.to_owned(), value.map_or(Value::Null, |v| json!(v)));
    Patch::Merge(json!({ "metadata": { "annotations": annotations } }))
}

pub(super) fn deployment_state(d: Deployment) -> DeploymentState {
    let spec = d.spec.as_ref();
    let status = d.status.as_ref();
    let image = spec
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    DeploymentState {
        // The API server defaults a missing `spec.replicas` to 1.
        replicas: spec.and_then(|s| s.replicas).unwrap_or(1),
        ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
        available: status.and_then(|s| s.available_replicas).unwrap_or(0),
        updated: status.and_then(|s| s.updated_replicas).unwrap_or(0),
        generation: d.metadata.generation.unwrap_or(0),
        observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
        image,
        name: d.metadata.name.unwrap_or_default(),
        labels: d.metadata.labels.unwrap_or_default(),
        annotations: d.metadata.annotations.unwrap_or_default(),
    }
}

pub(super) fn service_state(s: Service) -> ServiceState {
    ServiceState {
        name: s.metadata.name.unwrap_or_default(),
        selector: s.spec.and_then(|spec| spec.selector).unwrap_or_default(),
        annotations: s.metadata.annotations.unwrap_or_default(),
    }
}

pub(super) fn lease_state(l: Lease) -> LeaseState {
    let spec = l.spec.unwrap_or_default();
    LeaseState {
        name: l.metadata.name.unwrap_or_default(),
        holder: spec.holder_identity,
        duration_seconds: spec.lease_duration_seconds,
        // The wire form (RFC 3339 with microseconds) is what other clients
        // read and write; serialising gives exactly that.
        renew_time: spec
            .renew_time
            .and_then(|t| serde_json::to_value(t).ok())
            .and_then(|v| v.as_str().map(str::to_owned)),
        resource_version: l.metadata.resource_version,
    }
}

/// A ConfigMap as ocfail sees it.
pub(super) fn config_map_state(c: ConfigMap) -> ConfigMapState {
    ConfigMapState {
        name: c.metadata.name.unwrap_or_default(),
        data: c.data.unwrap_or_default(),
        resource_version: c.metadata.resource_version,
    }
}

/// The ConfigMap object to write: `data`, labelled as ocfail's, at
/// `resource_version` when given (a replace's precondition).
pub(super) fn config_map_object(
    name: &str,
    data: &BTreeMap<String, String>,
    resource_version: Option<&str>,
) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_owned(),
                "ocfail".to_owned(),
            )])),
            resource_version: resource_version.map(str::to_owned),
            ..ObjectMeta::default()
        },
        data: Some(data.clone()),
        ..ConfigMap::default()
    }
}

/// The Lease object for `spec`, at `resource_version` when given (a
/// replace's precondition). Built as JSON so the times go through
/// k8s-openapi's own `MicroTime` parsing; a malformed time is an error.
pub(super) fn lease_object(
    spec: &LeaseSpec,
    resource_version: Option<&str>,
) -> Result<Lease, serde_json::Error> {
    let mut metadata = json!({ "name": spec.name });
    if let Some(rv) = resource_version {
        metadata["resourceVersion"] = json!(rv);
    }
    serde_json::from_value(json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": metadata,
        "spec": {
            "holderIdentity": spec.holder,
            "leaseDurationSeconds": spec.duration_seconds,
            "acquireTime": spec.acquire_time,
            "renewTime": spec.renew_time,
        },
    }))
}

pub(super) fn hpa_state(h: HorizontalPodAutoscaler) -> HpaState {
    let spec = h.spec.unwrap_or_default();
    let scaling = h
        .status
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "ScalingActive");
    // Condition statuses are "True", "False" or "Unknown"; Unknown says no more than absence.
    let scaling_active = scaling.as_ref().and_then(|c| match c.status.as_str() {
        "True" => Some(true),
        "False" => Some(false),
        _ => None,
    });
    let scaling_detail = scaling.map(|c| {
        let reason = c.reason.unwrap_or_default();
        match c.message.filter(|m| !m.is_empty()) {
            Some(m) if !reason.is_empty() => format!("{reason}: {m}"),
            Some(m) => m,
            None => reason,
        }
    });
    HpaState {
        name: h.metadata.name.unwrap_or_default(),
        target_kind: spec.scale_target_ref.kind,
        target_name: spec.scale_target_ref.name,
        min_replicas: spec.min_replicas,
        max_replicas: spec.max_replicas,
        scaling_active,
        scaling_detail,
    }
}

pub(super) fn access_review(namespace: &str, check: &AccessCheck) -> SelfSubjectAccessReview {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: check.namespaced.then(|| namespace.to_owned()),
                verb: Some(check.verb.clone()),
                group: Some(check.group.clone()),
                resource: Some(check.resource.clone()),
                subresource: non_empty(&check.subresource),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployments_default_like_the_api_server() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "d", "generation": 3, "labels": {"ocfail.dev/color": "blue"}},
            "spec": {"selector": {}, "template": {"spec": {"containers": [
                {"name": "app", "image": "img:1"}, {"name": "sidecar", "image": "side:2"}
            ]}}},
            "status": {"readyReplicas": 2, "observedGeneration": 2}
        }))
        .unwrap();
        let s = deployment_state(d);
        assert_eq!((s.replicas, s.ready, s.available), (1, 2, 0));
        assert_eq!((s.generation, s.observed_generation), (3, 2));
        assert_eq!(s.image, "img:1");
        assert_eq!(s.labels["ocfail.dev/color"], "blue");
    }

    #[test]
    fn annotation_patches_set_or_null() {
        let Patch::Merge(set) = annotation_patch("ocfail.dev/drill", Some("{}")) else {
            panic!("a merge patch")
        };
        assert_eq!(
            set,
            json!({"metadata": {"annotations": {"ocfail.dev/drill": "{}"}}})
        );
        let Patch::Merge(unset) = annotation_patch("ocfail.dev/drill", None) else {
            panic!("a merge patch")
        };
        assert_eq!(
            unset,
            json!({"metadata": {"annotations": {"ocfail.dev/drill": null}}})
        );
    }

    #[test]
    fn lease_times_keep_the_wire_format() {
        let l: Lease = serde_json::from_value(json!({
            "metadata": {"name": "ocfail-lock", "resourceVersion": "7"},
            "spec": {"holderIdentity": "me", "leaseDurationSeconds": 30,
                     "renewTime": "2025-01-02T03:04:05.123456Z"}
        }))
        .unwrap();
        let s = lease_state(l);
        assert_eq!(s.renew_time.as_deref(), Some("2025-01-02T03:04:05.123456Z"));
        assert_eq!(s.resource_version.as_deref(), Some("7"));
    }

    fn hpa(conditions: Value) -> HorizontalPodAutoscaler {
        serde_json::from_value(json!({
            "metadata": {"name": "api"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api-blue"}, "maxReplicas": 5},
            "status": {"desiredReplicas": 0, "conditions": conditions}
        }))
        .unwrap()
    }

    #[test]
    fn hpas_say_whether_scaling_is_active() {
        let disabled = hpa_state(hpa(json!([
            {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale"},
            {"type": "ScalingActive", "status": "False", "reason": "ScalingDisabled",
             "message": "scaling is disabled since the replica count of the target is zero"}
        ])));
        assert_eq!(
            (disabled.target_kind.as_str(), disabled.target_name.as_str()),
            ("Deployment", "api-blue")
        );
        assert_eq!(disabled.scaling_active, Some(false));
        assert_eq!(
            disabled.scaling_detail.as_deref(),
            Some(
                "ScalingDisabled: scaling is disabled since the replica count of the target is zero"
            )
        );
        let active = hpa_state(hpa(json!([
            {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound"}
        ])));
        assert_eq!(active.scaling_active, Some(true));
        assert_eq!(active.scaling_detail.as_deref(), Some("ValidMetricFound"));
        let unknown = hpa_state(hpa(json!([
            {"type": "ScalingActive", "status": "Unknown"}
        ])));
        assert_eq!(unknown.scaling_active, None);
        let unsynced = hpa_state(hpa(json!([
            {"type": "AbleToScale", "status": "False", "reason": "FailedGetScale"}
        ])));
        assert_eq!(
            (unsynced.scaling_active, unsynced.scaling_detail),
            (None, None)
        );
        let mut bare = hpa(json!([]));
        bare.status = None;
        assert_eq!(hpa_state(bare).scaling_active, None);
    }

    #[test]
    fn access_reviews_leave_empty_subresources_out() {
        let r = access_review("ns", &AccessCheck::new("get", "apps", "deployments", ""));
        let attrs = r.spec.resource_attributes.unwrap();
        assert_eq!(attrs.subresource, None);
        assert_eq!(attrs.namespace.as_deref(), Some("ns"));
        assert_eq!(attrs.group.as_deref(), Some("apps"));
    }
}
