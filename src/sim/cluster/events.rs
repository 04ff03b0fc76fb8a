//! What each write to a cluster tells the world: the event log entries
//! (`deployment-scaled`, `image-changed`, `service-selector-changed`, …) and
//! the controller's queue of Deployments whose spec changed.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::{Cluster, Kind, image_of, int_at, lock, str_at};

impl Cluster {
    /// Logs what changed and wakes the controller for new Deployment specs.
    pub(super) fn after_write(&self, kind: Kind, old: Option<&Value>, new: Option<&Value>) {
        let obj = new.or(old).unwrap_or(&Value::Null);
        let name = str_at(obj, "/metadata/name");
        let ns = str_at(obj, "/metadata/namespace");
        let region = Some(self.region.as_str());
        match (kind, old, new) {
            (Kind::Deployment, _, None) => {
                lock(&self.pending).remove(&(ns.to_owned(), name.to_owned()));
                lock(&self.stuck).remove(&(ns.to_owned(), name.to_owned()));
                lock(&self.running).remove(&(ns.to_owned(), name.to_owned()));
                self.log.push(
                    "kubernetes",
                    region,
                    "deployment-deleted",
                    format!("{ns}/{name}"),
                );
            }
            (Kind::Deployment, old, Some(new)) => {
                let generation = |v: Option<&Value>| v.map(|v| int_at(v, "/metadata/generation"));
                if generation(old) != generation(Some(new)) {
                    lock(&self.pending).insert((ns.to_owned(), name.to_owned()), Instant::now());
                } else if old.is_some_and(|o| o.get("status") != new.get("status")) {
                    // A client wrote the status subresource: it speaks for the pods, as the controller does.
                    self.set_running(Arc::new(new.clone()));
                }
                let replicas = |v: &Value| int_at(v, "/spec/replicas");
                match old {
                    None => self.log.push(
                        "kubernetes",
                        region,
                        "deployment-created",
                        format!(
                            "{ns}/{name}: {} replicas of {}",
                            replicas(new),
                            image_of(new)
                        ),
                    ),
                    Some(old) => {
                        if replicas(old) != replicas(new) {
                            self.log.push(
                                "kubernetes",
                                region,
                                "deployment-scaled",
                                format!("{ns}/{name}: {} → {}", replicas(old), replicas(new)),
                            );
                        }
                        if image_of(old) != image_of(new) {
                            self.log.push(
                                "kubernetes",
                                region,
                                "image-changed",
                                format!("{ns}/{name}: {} → {}", image_of(old), image_of(new)),
                            );
                        }
                    }
                }
            }
            (Kind::Service, Some(old), Some(new)) => {
                let (a, b) = (&old["spec"]["selector"], &new["spec"]["selector"]);
                if a != b {
                    self.log.push(
                        "kubernetes",
                        region,
                        "service-selector-changed",
                        format!("{ns}/{name}: {a} → {b}"),
                    );
                }
            }
            _ => {}
        }
    }
}
