//! The objects a region's cluster starts with (issue 3): its namespace,
//! the blue/green Deployment pair with blue live, and the live and preview
//! Services.

use serde_json::{Value, json};

use super::Kind;
use super::controller::seeded_status;
use super::validate::prepare;
use crate::manifest::Region;
use crate::sim::options::SimOptions;
use crate::sim::store::Store;

/// The label that tells the colours apart.
pub const COLOR_LABEL: &str = "ocfail.dev/color";

fn put(store: &Store, kind: Kind, mut obj: Value) {
    if let Err(e) = prepare(kind, None, &mut obj) {
        // The seed is built from a validated manifest; a failure here is a
        // simulator bug worth seeing, not a reason to stop.
        tracing::error!(error = %e, "sim: invalid seed object");
        return;
    }
    if kind == Kind::Deployment {
        obj["metadata"]["generation"] = json!(1);
        obj["status"] = seeded_status(&obj);
    }
    store.create(kind, obj);
}

/// Fills `store` for `region`.
pub fn seed(store: &Store, region: &Region, options: &SimOptions) {
    for ns in ["default", region.namespace.as_str()] {
        if store.get(Kind::Namespace, "", ns).is_none() {
            put(
                store,
                Kind::Namespace,
                json!({
                    "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                }),
            );
        }
    }
    let ns = &region.namespace;
    let app = &region.deployment;
    for (color, replicas) in [("blue", options.initial_replicas), ("green", 0)] {
        let labels = json!({"app": app, COLOR_LABEL: color});
        put(
            store,
            Kind::Deployment,
            json!({
                "metadata": {"name": format!("{app}-{color}"), "namespace": ns, "labels": labels,
                             "annotations": {"deployment.kubernetes.io/revision": "1"}},
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{
                            "name": "app",
                            "image": options.initial_image,
                            "ports": [{"name": "http", "containerPort": region.port}],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": region.port}},
                        }]},
                    },
                },
            }),
        );
    }
    for (name, color) in [
        (region.service.clone(), "blue"),
        (format!("{}-preview", region.service), "green"),
    ] {
        put(
            store,
            Kind::Service,
            json!({
                "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
                "spec": {
                    "selector": {"app": app, COLOR_LABEL: color},
                    "ports": [{"name": "http", "port": region.port, "targetPort": region.port}],
                },
            }),
        );
    }
}
