//! The Kubernetes facts ocfail works with, independent of k8s-openapi.

use std::collections::BTreeMap;

/// The label (and Service selector key) that names a colour.
pub const COLOR_LABEL: &str = "ocfail.dev/color";

/// `GET /version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerVersion {
    /// e.g. `v1.33.0`.
    pub git_version: String,
}

/// A Deployment as status and drills need it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentState {
    /// Its name.
    pub name: String,
    /// `spec.replicas` (Kubernetes defaults a missing value to 1).
    pub replicas: i32,
    /// `status.readyReplicas`.
    pub ready: i32,
    /// `status.availableReplicas`.
    pub available: i32,
    /// `status.updatedReplicas`.
    pub updated: i32,
    /// `metadata.generation`.
    pub generation: i64,
    /// `status.observedGeneration`.
    pub observed_generation: i64,
    /// The first container's image.
    pub image: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
}

/// A Service as status and rollouts need it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceState {
    /// Its name.
    pub name: String,
    /// `spec.selector`.
    pub selector: BTreeMap<String, String>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
}

impl ServiceState {
    /// The colour this Service selects (`ocfail.dev/color`), if any.
    pub fn color(&self) -> Option<&str> {
        self.selector.get(COLOR_LABEL).map(String::as_str)
    }
}

/// A request through the API server's service proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRequest {
    /// The Service.
    pub service: String,
    /// The Service port.
    pub port: u16,
    /// HTTP method, upper case.
    pub method: String,
    /// Path starting with `/`.
    pub path: String,
    /// Request body (sent as JSON when present).
    pub body: Option<String>,
}

/// The answer that came back through the proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers, lower-case names.
    pub headers: BTreeMap<String, String>,
    /// Body as text (lossy UTF-8, at most 64 KiB).
    pub body: String,
    /// Round trip.
    pub latency_ms: u64,
}

/// A Lease (coordination.k8s.io/v1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseState {
    /// Its name.
    pub name: String,
    /// `spec.holderIdentity`.
    pub holder: Option<String>,
    /// `spec.leaseDurationSeconds`.
    pub duration_seconds: Option<i32>,
    /// `spec.renewTime` (RFC 3339 with microseconds).
    pub renew_time: Option<String>,
    /// `metadata.resourceVersion`, for optimistic updates.
    pub resource_version: Option<String>,
}

/// What ocfail writes into a Lease it creates or replaces
/// (coordination.k8s.io/v1). Times are RFC 3339 with microseconds, the
/// Lease's wire format (`MicroTime`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseSpec {
    /// `metadata.name`.
    pub name: String,
    /// `spec.holderIdentity`.
    pub holder: String,
    /// `spec.leaseDurationSeconds`.
    pub duration_seconds: i32,
    /// `spec.acquireTime`.
    pub acquire_time: String,
    /// `spec.renewTime`.
    pub renew_time: String,
}

/// A ConfigMap (core/v1), as far as ocfail's history cares: its data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigMapState {
    /// Its name.
    pub name: String,
    /// `data`, key by key.
    pub data: std::collections::BTreeMap<String, String>,
    /// `metadata.resourceVersion`, for optimistic updates.
    pub resource_version: Option<String>,
}

/// A HorizontalPodAutoscaler, as far as drills care.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HpaState {
    /// Its name.
    pub name: String,
    /// `spec.scaleTargetRef.kind`.
    pub target_kind: String,
    /// `spec.scaleTargetRef.name`.
    pub target_name: String,
    /// `spec.minReplicas`.
    pub min_replicas: Option<i32>,
    /// `spec.maxReplicas`.
    pub max_replicas: i32,
    /// The `ScalingActive` condition: `Some(false)` while Kubernetes has
    /// disabled the HPA (its target has 0 replicas, or metrics fail);
    /// `None` when the HPA reports no such condition (not synced yet).
    pub scaling_active: Option<bool>,
    /// The `ScalingActive` condition's reason and message, e.g.
    /// `ScalingDisabled: scaling is disabled since …`, for reports.
    pub scaling_detail: Option<String>,
}

/// One permission to check with a SelfSubjectAccessReview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessCheck {
    /// e.g. `patch`.
    pub verb: String,
    /// API group, `""` for core.
    pub group: String,
    /// e.g. `deployments`.
    pub resource: String,
    /// e.g. `scale`, or `""`.
    pub subresource: String,
    /// Whether it is asked in the region's namespace (else cluster-wide).
    pub namespaced: bool,
}

impl AccessCheck {
    /// A check for `verb` on `group`/`resource`(and `/subresource`) in the
    /// region's namespace.
    pub fn new(verb: &str, group: &str, resource: &str, subresource: &str) -> Self {
        AccessCheck {
            verb: verb.to_owned(),
            group: group.to_owned(),
            resource: resource.to_owned(),
            subresource: subresource.to_owned(),
            namespaced: true,
        }
    }

    /// The same check asked cluster-wide (namespaces, access reviews).
    pub fn cluster_wide(mut self) -> Self {
        self.namespaced = false;
        self
    }

    /// `verb resource[/subresource][.group]`, as `kubectl auth can-i` spells it.
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.verb, self.resource);
        if !self.subresource.is_empty() {
            s.push('/');
            s.push_str(&self.subresource);
        }
        if !self.group.is_empty() {
            s.push('.');
            s.push_str(&self.group);
        }
        s
    }
}

/// The version an image reference names, for reports: its tag (after the
/// last `:` that is not part of a registry port), else its digest cut to
/// the algorithm and 12 hex digits (`sha256:0123456789ab`), else `latest`.
pub fn image_tag(image: &str) -> &str {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    match (name.rsplit_once(':'), digest) {
        (Some((repo, tag)), _) if !tag.contains('/') && !repo.is_empty() => tag,
        (_, Some(d)) => {
            let short = d.find(':').map_or(d.len(), |colon| colon + 1 + 12);
            d.get(..short).unwrap_or(d)
        }
        _ => "latest",
    }
}

#[cfg(test)]
mod tests {
    use super::image_tag;

    #[test]
    fn the_version_is_the_tag_else_a_short_digest_else_latest() {
        assert_eq!(image_tag("registry.example/openclaw-api:1.5.0"), "1.5.0");
        assert_eq!(image_tag("localhost:5000/api:v2"), "v2");
        assert_eq!(image_tag("localhost:5000/api"), "latest");
        let hex = "0123456789abcdef".repeat(4);
        let digest = format!("registry.example/api@sha256:{hex}");
        assert_eq!(image_tag(&digest), "sha256:0123456789ab");
        assert_eq!(
            image_tag(&format!("registry.example/api:1.5@sha256:{hex}")),
            "1.5"
        );
        assert_eq!(image_tag("api@sha256:ab"), "sha256:ab");
    }
}
