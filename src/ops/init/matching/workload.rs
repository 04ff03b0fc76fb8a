//! The Deployments behind a Service: those in its namespace whose pod
//! labels hold its selector, recognised as a blue/green pair when the
//! selector without the colour label finds `<base>-blue` and
//! `<base>-green`.

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::init::Workload;
use crate::kube::COLOR_LABEL;
use crate::ops::init::{ClusterSource, DeploymentSource};

/// The Deployments behind `service` in `namespace` of `cluster`. A Service
/// that is not in the cluster's list (an Ingress may name one init could
/// not read) has nothing found behind it.
pub(super) fn behind(cluster: &ClusterSource, namespace: &str, service: &str) -> Workload {
    cluster
        .services
        .iter()
        .find(|s| s.namespace == namespace && s.name == service)
        .map_or(Workload::NotFound, |s| {
            of_selector(&s.selector, namespace, &cluster.deployments)
        })
}

/// The Deployments in `namespace` that `selector` picks.
pub(super) fn of_selector(
    selector: &BTreeMap<String, String>,
    namespace: &str,
    deployments: &[DeploymentSource],
) -> Workload {
    // A Service without a selector picks no pods by label (its endpoints
    // are managed by hand), so nothing can be said about its Deployments.
    if selector.is_empty() {
        return Workload::NotFound;
    }
    let in_ns = || deployments.iter().filter(move |d| d.namespace == namespace);
    let uncoloured: BTreeMap<String, String> = selector
        .iter()
        .filter(|(k, _)| k.as_str() != COLOR_LABEL)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // With only the colour left to select on, any two Deployments in the
    // namespace could look like a pair; require an app selector as well.
    if !uncoloured.is_empty() {
        let names: BTreeSet<&str> = in_ns()
            .filter(|d| selects(&uncoloured, &d.pod_labels))
            .map(|d| d.name.as_str())
            .collect();
        let bases: Vec<&str> = names
            .iter()
            .filter_map(|n| n.strip_suffix("-blue"))
            .filter(|b| names.contains(format!("{b}-green").as_str()))
            .collect();
        if let [base] = bases.as_slice() {
            return Workload::BlueGreen {
                base: (*base).to_string(),
                live: selector.get(COLOR_LABEL).cloned(),
            };
        }
    }
    let matched: BTreeSet<&str> = in_ns()
        .filter(|d| selects(selector, &d.pod_labels))
        .map(|d| d.name.as_str())
        .collect();
    let mut matched: Vec<String> = matched.into_iter().map(str::to_string).collect();
    match matched.len() {
        0 => Workload::NotFound,
        1 => Workload::Single {
            deployment: matched.remove(0),
        },
        _ => Workload::Several {
            deployments: matched,
        },
    }
}

/// Whether a Service `selector` picks pods labelled `labels`.
pub(super) fn selects(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}
