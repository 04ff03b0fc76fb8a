//! The simulated fleet's whole state as JSON, read from the simulator's
//! world, so "exactly as before" compares everything a drill could touch
//! instead of a list of hand-picked fields.

use std::collections::BTreeMap;

use ocfail::sim::World;
use ocfail::sim::cloudflare::Kind as CfKind;
use ocfail::sim::cluster::Kind;
use serde_json::Value;

/// The annotation a drill adds on purpose (its summary); compared apart.
pub const LAST_DRILL: &str = "ocfail.dev/last-drill";

/// Every stored object of every region's cluster (Namespaces, Services,
/// ConfigMaps, Deployments, Leases, HPAs) and of the Cloudflare account (monitors,
/// pools, load balancers), by key, with only the fields removed that change
/// on any write even when the write is put back (see [`normalize_kube`] and
/// [`normalize_cf`]). Pool health is kept apart in [`FleetState::health`]:
/// the monitor observes it, nothing writes it, and it comes back on its own
/// schedule after a restore.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetState {
    /// `kube/<region>/<Kind>/<namespace>/<name>` and `cloudflare/<Kind>/<id>`.
    pub objects: BTreeMap<String, Value>,
    /// `ocfail.dev/last-drill` by the key of the object that carries it.
    pub last_drills: BTreeMap<String, String>,
    /// `healthy` of each pool and its origins, by pool key.
    pub health: BTreeMap<String, Value>,
    /// Each region's run history (ConfigMap `ocfail-history`), by key:
    /// every run records itself there, so it is kept apart from the fleet
    /// ("exactly as before" is about what a run changes and puts back);
    /// `practice.rs` checks what it holds.
    pub history: BTreeMap<String, Value>,
}

impl FleetState {
    /// Reads the state from `world` now.
    pub fn of(world: &World) -> FleetState {
        let mut state = FleetState {
            objects: BTreeMap::new(),
            last_drills: BTreeMap::new(),
            health: BTreeMap::new(),
            history: BTreeMap::new(),
        };
        for (region, cluster) in &world.clusters {
            // Pods are synthesized from Deployments, never stored.
            for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Pod) {
                for obj in cluster.list(kind, None).0 {
                    let mut obj = (*obj).clone();
                    let key = format!(
                        "kube/{region}/{kind:?}/{}/{}",
                        obj["metadata"]["namespace"].as_str().unwrap_or(""),
                        obj["metadata"]["name"].as_str().unwrap_or("")
                    );
                    if kind == Kind::ConfigMap
                        && obj["metadata"]["name"] == ocfail::ops::history::CONFIG_MAP
                    {
                        state.history.insert(key, obj);
                        continue;
                    }
                    if let Some(last) = normalize_kube(&mut obj) {
                        state.last_drills.insert(key.clone(), last);
                    }
                    state.objects.insert(key, obj);
                }
            }
        }
        for kind in [CfKind::Monitor, CfKind::Pool, CfKind::LoadBalancer] {
            for mut obj in world.cloudflare.list(kind, None) {
                let key = format!("cloudflare/{kind:?}/{}", obj["id"].as_str().unwrap_or(""));
                if let Some(health) = normalize_cf(&mut obj) {
                    state.health.insert(key.clone(), health);
                }
                state.objects.insert(key, obj);
            }
        }
        state
    }

    /// Every difference from `before`, one line each (empty: identical).
    pub fn diff(&self, before: &FleetState) -> Vec<String> {
        diff_maps(&before.objects, &self.objects)
    }

    /// The Lease objects, by key.
    pub fn leases(&self) -> BTreeMap<&str, &Value> {
        self.objects
            .iter()
            .filter(|(k, _)| k.contains("/Lease/"))
            .map(|(k, v)| (k.as_str(), v))
            .collect()
    }

    /// Waits (`within` at most) until `accept` finds nothing wrong with the
    /// simulator's state, and returns what it last found (empty: accepted).
    /// For comparisons right after a run: the controllers' status follows a
    /// write a moment later, as in Kubernetes. A state never accepted is for
    /// the caller to report (a property test collects it rather than
    /// failing at once).
    pub async fn settled(
        world: &World,
        within: std::time::Duration,
        accept: impl Fn(&FleetState) -> Vec<String>,
    ) -> Vec<String> {
        let mut wrong = Vec::new();
        let _ = crate::util::poll_until(within, || {
            wrong = accept(&FleetState::of(world));
            std::future::ready(wrong.is_empty())
        })
        .await;
        wrong
    }

    /// This state without the objects whose keys are in `keys`.
    pub fn without(&self, keys: &[String]) -> FleetState {
        let mut s = self.clone();
        s.objects.retain(|k, _| !keys.contains(k));
        s
    }
}

/// The Deployment controller's count of pod templates: any template
/// change moves it on, even one that is put back (a rollout switched back
/// sets the old image again: a new revision, as in Kubernetes).
const REVISION: &str = "deployment.kubernetes.io/revision";

/// Removes what any write changes, even one that is put back: the
/// resourceVersion, the generation (bumped by every spec write, so 3 → 0 →
/// 3 replicas leaves it at 3) and the revision (see [`REVISION`]), the
/// status's observedGeneration and condition timestamps. An empty
/// annotations or labels map is removed: the API server omits empty maps,
/// so no client can tell one from none (the simulator keeps the `{}` a
/// patch that removes the last annotation leaves). Takes out
/// `ocfail.dev/last-drill` and returns it.
fn normalize_kube(obj: &mut Value) -> Option<String> {
    let mut last = None;
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
        meta.remove("generation");
        if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            last = a
                .remove(LAST_DRILL)
                .and_then(|v| v.as_str().map(str::to_owned));
            a.remove(REVISION);
        }
        for map in ["annotations", "labels"] {
            if meta
                .get(map)
                .and_then(Value::as_object)
                .is_some_and(serde_json::Map::is_empty)
            {
                meta.remove(map);
            }
        }
    }
    if let Some(status) = obj.get_mut("status").and_then(Value::as_object_mut) {
        status.remove("observedGeneration");
        if let Some(cs) = status.get_mut("conditions").and_then(Value::as_array_mut) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                c.remove("lastUpdateTime");
                c.remove("lastTransitionTime");
            }
        }
    }
    last
}

/// Removes `modified_on` (any PATCH moves it) and takes out the observed
/// health of a pool and its origins, returned as `{"pool": …, "origins": […]}`.
fn normalize_cf(obj: &mut Value) -> Option<Value> {
    let map = obj.as_object_mut()?;
    map.remove("modified_on");
    let pool = map.remove("healthy")?;
    let origins: Vec<Value> = map
        .get_mut("origins")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
        .map(|o| o.remove("healthy").unwrap_or(Value::Null))
        .collect();
    Some(serde_json::json!({"pool": pool, "origins": origins}))
}

fn diff_maps(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, b) in before {
        match after.get(k) {
            None => out.push(format!("{k}: gone (was {b})")),
            Some(a) if a != b => {
                let mut fields = Vec::new();
                diff_values(k, b, a, &mut fields);
                out.extend(fields);
            }
            Some(_) => {}
        }
    }
    for (k, a) in after {
        if !before.contains_key(k) {
            out.push(format!("{k}: new ({a})"));
        }
    }
    out
}

/// The differing leaves between two JSON values, by path.
fn diff_values(path: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, bv) in b {
                let p = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => diff_values(&p, bv, av, out),
                    None => out.push(format!("{p}: removed (was {bv})")),
                }
            }
            for (k, av) in a.iter().filter(|(k, _)| !b.contains_key(*k)) {
                out.push(format!("{path}.{k}: added ({av})"));
            }
        }
        (b, a) if b != a => out.push(format!("{path}: {b} → {a}")),
        _ => {}
    }
}
