//! One region's simulated Kubernetes cluster: its objects, the write paths
//! every API verb goes through (defaults, validation, event log), the
//! Service → ready pods → app path, and the Deployment and HPA controllers.

mod controller;
mod error;
mod events;
mod hpa;
mod kind;
mod pods;
mod seed;
mod validate;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use serde_json::{Value, json};

pub use self::error::KubeError;
pub use self::kind::Kind;
pub use self::pods::pod_template_hash;
use super::app::{self, AppRequest, AppResponse};
use super::app_metrics::{self, AppMetrics};
use super::faults::Faults;
use super::log::EventLog;
use super::options::SimOptions;
use super::store::{Store, Subscription, TooOld, Update};
use crate::manifest::Region;

/// A region's cluster.
#[derive(Debug)]
pub struct Cluster {
    /// The region's name.
    pub region: String,
    /// The region's namespace (from the manifest).
    pub namespace: String,
    store: Store,
    log: EventLog,
    /// For the region's `pendingPods` fault.
    faults: Arc<Faults>,
    rollout_delay: Duration,
    controller_tick: Duration,
    /// Deployments whose spec changed, with when; the controller converges
    /// their status once `rollout_delay` has passed.
    pending: Mutex<HashMap<(String, String), Instant>>,
    /// Deployments that converged with pods left Pending by the
    /// `pendingPods` fault; once it clears, the controller converges them
    /// again, as the scheduler places pods when capacity comes back.
    stuck: Mutex<HashSet<(String, String)>>,
    /// Each Deployment as of its last convergence: what its pods run. Pods,
    /// readiness and the Services' answers come from here, so a new image
    /// serves only once rolled out, as with real ReplicaSets.
    running: Mutex<HashMap<(String, String), Arc<Value>>>,
    /// What the region's app counts (its `/metrics`).
    pub app_metrics: AppMetrics,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A JSON string field, or `""`.
fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A JSON integer field, or 0.
fn int_at(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// The image a Deployment (or pod template) runs: the `app` container's,
/// else the first container's.
pub fn image_of(deployment: &Value) -> &str {
    let containers = deployment
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array);
    let mut all = containers.into_iter().flatten();
    let app = all.clone().find(|c| c["name"] == "app");
    app.or_else(|| all.next())
        .and_then(|c| c["image"].as_str())
        .unwrap_or_default()
}

/// The colour label among `labels`, or `""`.
fn color_of(labels: Option<&Value>) -> &str {
    labels
        .and_then(|l| l.get(seed::COLOR_LABEL))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// What answers for a Service: a ready Deployment's image and colour.
struct Serving {
    image: String,
    color: String,
}

/// Whether every `selector` pair is among `labels` (an empty selector
/// selects nothing, as a Service's does).
fn selects(selector: &Value, labels: &Value) -> bool {
    match selector.as_object() {
        Some(sel) if !sel.is_empty() => sel.iter().all(|(k, v)| labels.get(k) == Some(v)),
        _ => false,
    }
}

impl Cluster {
    /// A cluster seeded for `region`: blue live with replicas, green at 0,
    /// the live and preview Services.
    pub fn seeded(
        region: &Region,
        options: &SimOptions,
        log: EventLog,
        faults: Arc<Faults>,
    ) -> Self {
        let cluster = Cluster {
            region: region.name.to_string(),
            namespace: region.namespace.clone(),
            store: Store::new(),
            log,
            faults,
            rollout_delay: options.rollout_delay,
            controller_tick: options.controller_tick,
            pending: Mutex::new(HashMap::new()),
            stuck: Mutex::new(HashSet::new()),
            running: Mutex::new(HashMap::new()),
            app_metrics: AppMetrics::new(region.name.as_str()),
        };
        seed::seed(&cluster.store, region, options);
        for d in cluster.store.list(Kind::Deployment, None).0 {
            cluster.set_running(d);
        }
        cluster
    }

    /// The region's current Kubernetes fault (its `deny` list is checked
    /// on every request).
    pub fn fault(&self) -> super::faults::KubeFault {
        self.faults.kube(&self.region)
    }

    /// What the Service `service` in `namespace` answers: a ready pod's
    /// response, or 503 when it selects no ready pods. Either is counted in
    /// the region's [`AppMetrics`]; a scrape of them (`GET /metrics`) is
    /// answered even without ready pods, and not counted.
    pub fn serve_service(&self, namespace: &str, service: &str, req: &AppRequest) -> AppResponse {
        if app_metrics::is_scrape(req) {
            return self.app_metrics.response();
        }
        let started = Instant::now();
        let (answer, color) = match self.pick(namespace, service) {
            Some(p) => (app::respond(&self.region, &p.image, req), p.color),
            None => (
                app::unavailable(&self.region, service),
                self.selected_color(namespace, service),
            ),
        };
        self.app_metrics
            .observe(&color, answer.status, started.elapsed());
        answer
    }

    /// What a ready pod of the Service answers through the API server's
    /// service proxy (counted, except a scrape); `None` when it selects no
    /// ready pods, which the API server answers itself.
    pub fn serve_pod(
        &self,
        namespace: &str,
        service: &str,
        req: &AppRequest,
    ) -> Option<AppResponse> {
        let started = Instant::now();
        let pick = self.pick(namespace, service)?;
        if app_metrics::is_scrape(req) {
            return Some(self.app_metrics.response());
        }
        let answer = app::respond(&self.region, &pick.image, req);
        self.app_metrics
            .observe(&pick.color, answer.status, started.elapsed());
        Some(answer)
    }

    /// The image of a ready Deployment `service` selects, `None` when it
    /// selects no ready pods (or does not exist). With several, one at
    /// random, as kube-proxy spreads connections.
    pub fn service_image(&self, namespace: &str, service: &str) -> Option<String> {
        self.pick(namespace, service).map(|p| p.image)
    }

    /// A ready Deployment `service` selects: its image and colour.
    fn pick(&self, namespace: &str, service: &str) -> Option<Serving> {
        let svc = self.store.get(Kind::Service, namespace, service)?;
        let selector = svc.pointer("/spec/selector")?;
        let ready: Vec<_> = self
            .running(Some(namespace))
            .into_iter()
            .filter(|d| {
                selects(
                    selector,
                    d.pointer("/spec/template/metadata/labels")
                        .unwrap_or(&Value::Null),
                ) && int_at(d, "/status/readyReplicas") > 0
            })
            .collect();
        if ready.is_empty() {
            return None;
        }
        let pick = &ready[fastrand::usize(..ready.len())];
        Some(Serving {
            image: image_of(pick).to_owned(),
            color: color_of(pick.pointer("/spec/template/metadata/labels")).to_owned(),
        })
    }

    /// The colour a Service's selector names (`""` for none), for the
    /// requests it could not deliver to any pod.
    fn selected_color(&self, namespace: &str, service: &str) -> String {
        self.store
            .get(Kind::Service, namespace, service)
            .map(|s| color_of(s.pointer("/spec/selector")).to_owned())
            .unwrap_or_default()
    }

    /// Sets a Deployment's `spec.replicas`, as `kubectl scale` does; the
    /// status follows after the rollout delay.
    pub fn scale(&self, namespace: &str, deployment: &str, replicas: i32) -> Result<(), KubeError> {
        self.update(Kind::Deployment, namespace, deployment, false, |d| {
            let mut d = d.clone();
            d["spec"]["replicas"] = json!(replicas);
            Ok(d)
        })
        .map(|_| ())
    }

    /// Sets the image of a Deployment's `app` container (or its first).
    pub fn set_image(
        &self,
        namespace: &str,
        deployment: &str,
        image: &str,
    ) -> Result<(), KubeError> {
        self.update(Kind::Deployment, namespace, deployment, false, |d| {
            let mut d = d.clone();
            if let Some(cs) = d
                .pointer_mut("/spec/template/spec/containers")
                .and_then(Value::as_array_mut)
            {
                let i = cs.iter().position(|c| c["name"] == "app").unwrap_or(0);
                if let Some(c) = cs.get_mut(i) {
                    c["image"] = json!(image);
                }
            }
            Ok(d)
        })
        .map(|_| ())
    }

    /// Replaces a Service's selector (what `ocfail` does to switch colours).
    pub fn set_selector(
        &self,
        namespace: &str,
        service: &str,
        selector: Value,
    ) -> Result<(), KubeError> {
        self.update(Kind::Service, namespace, service, false, |s| {
            let mut s = s.clone();
            s["spec"]["selector"] = selector;
            Ok(s)
        })
        .map(|_| ())
    }

    /// A Deployment, typed.
    pub fn deployment(&self, namespace: &str, name: &str) -> Option<Deployment> {
        let v = self.store.get(Kind::Deployment, namespace, name)?;
        serde_json::from_value((*v).clone()).ok()
    }

    /// A Service, typed.
    pub fn service(&self, namespace: &str, name: &str) -> Option<Service> {
        let v = self.store.get(Kind::Service, namespace, name)?;
        serde_json::from_value((*v).clone()).ok()
    }

    /// One object as JSON.
    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Result<Arc<Value>, KubeError> {
        if kind == Kind::Pod {
            return self
                .list(kind, Some(namespace))
                .0
                .into_iter()
                .find(|p| p["metadata"]["name"] == name)
                .ok_or_else(|| KubeError::not_found(kind, name));
        }
        self.store
            .get(kind, namespace, name)
            .ok_or_else(|| KubeError::not_found(kind, name))
    }

    /// Objects of `kind` in `namespace` (or all), with the list's resourceVersion.
    pub fn list(&self, kind: Kind, namespace: Option<&str>) -> (Vec<Arc<Value>>, u64) {
        if kind == Kind::Pod {
            let rv = self.store.resource_version();
            let pods = self
                .running(namespace)
                .iter()
                .flat_map(|d| pods::pods_of(d))
                .map(Arc::new)
                .collect();
            return (pods, rv);
        }
        self.store.list(kind, namespace)
    }

    /// What the pods of every Deployment (in `namespace`) run, by name.
    fn running(&self, namespace: Option<&str>) -> Vec<Arc<Value>> {
        let mut out: Vec<_> = lock(&self.running)
            .iter()
            .filter(|((ns, _), _)| namespace.is_none_or(|n| n == ns))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.into_iter().map(|(_, v)| v).collect()
    }

    fn set_running(&self, deployment: Arc<Value>) {
        let key = (
            str_at(&deployment, "/metadata/namespace").to_owned(),
            str_at(&deployment, "/metadata/name").to_owned(),
        );
        lock(&self.running).insert(key, deployment);
    }

    /// Forgets the change history, as etcd compaction does: watches from
    /// any earlier resourceVersion then answer 410 Gone.
    pub fn compact(&self) {
        self.store.compact();
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.store.resource_version()
    }

    /// Changes after resourceVersion `after` (`None`: from now), and the live feed.
    pub fn subscribe(&self, after: Option<u64>) -> Result<Subscription, KubeError> {
        self.store
            .subscribe(after)
            .map_err(|TooOld { requested, oldest }| KubeError::Gone { requested, oldest })
    }

    /// Creates an object in `namespace` (defaults and validation as the API
    /// server applies them; status is reset). With `dry_run`, nothing is stored.
    pub fn create(
        &self,
        kind: Kind,
        namespace: &str,
        mut obj: Value,
        dry_run: bool,
    ) -> Result<Arc<Value>, KubeError> {
        if !kind.allows("create") {
            return Err(KubeError::MethodNotAllowed);
        }
        if kind.namespaced() && self.store.get(Kind::Namespace, "", namespace).is_none() {
            return Err(KubeError::not_found(Kind::Namespace, namespace));
        }
        let meta = super::store::meta_mut(&mut obj);
        if kind.namespaced() {
            match meta.get("namespace").and_then(Value::as_str) {
                Some(ns) if !ns.is_empty() && ns != namespace => {
                    return Err(KubeError::BadRequest(
                        "the namespace of the provided object does not match the namespace sent on the request".into(),
                    ));
                }
                _ => {
                    meta.insert("namespace".into(), json!(namespace));
                }
            }
        }
        let name = match meta.get("name").and_then(Value::as_str) {
            Some(n) if !n.is_empty() => n.to_owned(),
            _ => match meta.get("generateName").and_then(Value::as_str) {
                Some(prefix) if !prefix.is_empty() => {
                    let name = format!("{prefix}{}", pods::random_suffix());
                    meta.insert("name".into(), json!(name));
                    name
                }
                _ => {
                    return Err(KubeError::invalid(
                        kind,
                        "",
                        "metadata.name",
                        "Required value: name or generateName is required",
                    ));
                }
            },
        };
        // Status is the controllers' to write; what the client sent is dropped.
        if let Some(m) = obj.as_object_mut()
            && matches!(kind, Kind::Deployment | Kind::Hpa | Kind::Service)
        {
            m.remove("status");
            if kind == Kind::Deployment {
                m.insert("status".into(), json!({}));
            }
        }
        validate::prepare(kind, None, &mut obj)?;
        if dry_run {
            return Ok(Arc::new(obj));
        }
        let created = self
            .store
            .create(kind, obj)
            .ok_or(KubeError::AlreadyExists { kind, name })?;
        self.after_write(kind, None, Some(&created));
        Ok(created)
    }

    /// Changes one object: `change` sees the current object and returns the
    /// new one, atomically. Defaults and validation apply; server-managed
    /// metadata is kept. With `dry_run`, returns the result without storing it.
    pub fn update(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        dry_run: bool,
        change: impl FnOnce(&Value) -> Result<Value, KubeError>,
    ) -> Result<Arc<Value>, KubeError> {
        let mut preview = None;
        let result = self.store.update(kind, namespace, name, |old| {
            let prepared = change(old)
                .and_then(|mut new| validate::prepare(kind, Some(old), &mut new).map(|()| new));
            match prepared {
                Err(e) => Update::Fail(e),
                Ok(new) if dry_run => {
                    preview = Some(new);
                    Update::Keep
                }
                Ok(new) => Update::Put(new),
            }
        });
        let (old, new) = match result {
            None => return Err(KubeError::not_found(kind, name)),
            Some(r) => r?,
        };
        if let Some(p) = preview {
            return Ok(Arc::new(p));
        }
        if !Arc::ptr_eq(&old, &new) {
            self.after_write(kind, Some(&old), Some(&new));
        }
        Ok(new)
    }

    /// Deletes one object; returns its last state.
    pub fn delete(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        dry_run: bool,
    ) -> Result<Arc<Value>, KubeError> {
        self.delete_at(kind, namespace, name, dry_run, None)
    }

    /// Deletes one object only while its resourceVersion is
    /// `resource_version` (when given), as DeleteOptions' preconditions
    /// ask; a stale version is a 409 Conflict. Returns its last state.
    pub fn delete_at(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        dry_run: bool,
        resource_version: Option<&str>,
    ) -> Result<Arc<Value>, KubeError> {
        if !kind.allows("delete") {
            return Err(KubeError::MethodNotAllowed);
        }
        let check = |current: &Value| match resource_version {
            Some(rv)
                if current
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    != Some(rv) =>
            {
                Err(KubeError::Conflict {
                    kind,
                    name: name.to_owned(),
                })
            }
            _ => Ok(()),
        };
        if dry_run {
            let current = self.get(kind, namespace, name)?;
            check(&current)?;
            return Ok(current);
        }
        let gone = self
            .store
            .delete_if(kind, namespace, name, check)
            .ok_or_else(|| KubeError::not_found(kind, name))??;
        self.after_write(kind, Some(&gone), None);
        Ok(gone)
    }

    /// Moves Deployment and HPA status toward spec until cancelled.
    pub async fn run_controller(self: Arc<Self>, cancel: tokio_util::sync::CancellationToken) {
        let mut tick = tokio::time::interval(self.controller_tick.max(Duration::from_millis(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = tick.tick() => self.reconcile(Instant::now()),
            }
        }
    }
}

/// A seeded cluster for region `r1` (namespace `ns`, Deployment and Service
/// `api`) with the fast options, for the controllers' unit tests.
#[cfg(test)]
pub(super) fn test_cluster() -> Cluster {
    let region = Region {
        name: crate::manifest::RegionName("r1".into()),
        context: "c".into(),
        namespace: "ns".into(),
        deployment: "api".into(),
        service: "api".into(),
        port: 8080,
        pool: "p".into(),
        probe: None,
    };
    Cluster::seeded(
        &region,
        &SimOptions::fast(),
        EventLog::new(),
        Arc::new(Faults::new()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of `name` with `labels` (and `region="r1"`) in the region's exposition.
    fn sample(c: &Cluster, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut all = vec![("region", "r1")];
        all.extend_from_slice(labels);
        crate::sim::app_metrics::tests::value(&c.app_metrics.encode(), name, &all)
    }

    fn requests(c: &Cluster, color: &str, code: &str) -> Option<f64> {
        sample(
            c,
            app_metrics::REQUESTS,
            &[("color", color), ("code", code)],
        )
    }

    #[test]
    fn the_app_counts_what_it_answers_by_colour_and_code_but_not_scrapes() {
        let c = test_cluster();
        for _ in 0..3 {
            assert_eq!(
                c.serve_service("ns", "api", &AppRequest::get("/nope"))
                    .status,
                404
            );
        }
        c.serve_service("ns", "api", &AppRequest::get("/"));
        let scrape = c.serve_service("ns", "api", &AppRequest::get("/metrics"));
        assert_eq!(scrape.status, 200);
        assert!(
            String::from_utf8_lossy(&scrape.body).contains("openclaw_requests_total{"),
            "{scrape:?}"
        );
        // Through the API server's service proxy, a pod answers too.
        let proxied = c.serve_pod("ns", "api", &AppRequest::get("/healthz"));
        assert_eq!(proxied.map(|a| a.status), Some(200));
        assert_eq!(
            c.serve_pod("ns", "api-preview", &AppRequest::get("/")),
            None
        );

        assert_eq!(requests(&c, "blue", "404"), Some(3.0));
        assert_eq!(
            requests(&c, "blue", "200"),
            Some(2.0),
            "`/` and the proxied health check; the scrape is not counted"
        );
        let latency = |suffix: &str, labels: &[(&str, &str)]| {
            sample(&c, &format!("{}{suffix}", app_metrics::LATENCY), labels)
        };
        assert_eq!(latency("_count", &[("color", "blue")]), Some(5.0));
        assert_eq!(
            latency("_bucket", &[("color", "blue"), ("le", "+Inf")]),
            Some(5.0)
        );
        assert_eq!(
            requests(&c, "green", "503"),
            None,
            "the API server, not the app, answered the proxy's 503"
        );
    }

    #[test]
    fn a_service_without_ready_pods_counts_its_503s_under_the_colour_it_selects() {
        let c = test_cluster();
        c.serve_service("ns", "api-preview", &AppRequest::get("/"));
        c.scale("ns", "api-blue", 0).unwrap();
        c.reconcile(Instant::now() + Duration::from_secs(60));
        for _ in 0..2 {
            assert_eq!(
                c.serve_service("ns", "api", &AppRequest::get("/")).status,
                503
            );
        }
        assert_eq!(
            c.serve_service("ns", "api", &AppRequest::get("/metrics"))
                .status,
            200,
            "the region's metrics answer without ready pods"
        );
        assert_eq!(requests(&c, "green", "503"), Some(1.0));
        assert_eq!(requests(&c, "blue", "503"), Some(2.0));
    }
}
