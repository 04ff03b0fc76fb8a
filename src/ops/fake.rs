//! In-memory fakes of [`Workloads`] and [`Pools`] for in-process tests of
//! drills, rollouts and restores under Tokio's paused clock: the seed
//! fleet's three regions, a Cloudflare whose monitor marks a pool down a
//! set time after its live colour loses its pods (60 s checks by default,
//! as on most Cloudflare plans), and scriptable faults (latency, errors,
//! hangs, 409 Conflicts) per region and for Cloudflare.
//!
//! The simulator (`sim/`) is the high-fidelity double, driven over HTTP by
//! the integration tests; these fakes exist so each path through the code
//! can be pinned down deterministically at production timings in
//! milliseconds of test time.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::cloudflare::{
    CfError, CfErrorKind, LoadBalancer, Monitor, Pool, PoolHealth, Pools, PreviewResult,
    TokenStatus,
};
use crate::kube::{
    AccessCheck, COLOR_LABEL, ConfigMapState, DeploymentState, HpaState, KubeError, KubeErrorKind,
    LeaseSpec, LeaseState, ProxyRequest, ProxyResponse, ServerVersion, ServiceState, Workloads,
};
use crate::manifest::Fleet;

use super::clients::Clients;
use super::recovery::Recovery;

/// What a hanging API costs a real client per call: its request timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A fault for the next calls to one API.
#[derive(Clone, Debug, Default)]
pub struct Fault {
    /// Added before every answer.
    pub latency: Duration,
    /// Every call fails like this (e.g. `Unreachable`, `Api` for a 503).
    pub error: Option<KubeErrorKind>,
    /// Only writes fail like this.
    pub write_error: Option<KubeErrorKind>,
    /// Every call hangs until the client's request timeout.
    pub hang: bool,
    /// The next this many writes answer 409 Conflict.
    pub conflicts: u32,
    /// `delete leases` is forbidden (a Role without it).
    pub forbid_lease_delete: bool,
    /// Reading ConfigMaps is forbidden (a Role without the history's rows).
    pub forbid_config_map_read: bool,
}

/// One region's cluster.
#[derive(Debug, Default)]
pub struct KubeState {
    /// Deployments by name.
    pub deployments: BTreeMap<String, DeploymentState>,
    /// Services by name.
    pub services: BTreeMap<String, ServiceState>,
    /// Leases by name.
    pub leases: BTreeMap<String, LeaseState>,
    /// ConfigMaps by name.
    pub config_maps: BTreeMap<String, ConfigMapState>,
    /// HPAs.
    pub hpas: Vec<HpaState>,
    /// The fault in force.
    pub fault: Fault,
    /// Every write that landed, in order (`scale openclaw-api-blue 0`, …).
    pub writes: Vec<String>,
    /// When each of `writes` landed.
    pub written_at: Vec<Instant>,
    /// When each Deployment last went to or from zero ready pods.
    pub ready_changed: BTreeMap<String, Instant>,
    resource_version: u64,
}

impl KubeState {
    fn log(&mut self, write: String) {
        self.writes.push(write);
        self.written_at.push(Instant::now());
    }

    /// When `write` (e.g. `scale openclaw-api-blue 0`) first landed.
    pub fn when(&self, write: &str) -> Option<Instant> {
        self.writes
            .iter()
            .position(|w| w == write)
            .and_then(|i| self.written_at.get(i).copied())
    }
}

/// A fake region: cheap to clone, every clone sees the same cluster.
#[derive(Clone, Debug)]
pub struct FakeKube {
    region: String,
    state: Arc<Mutex<KubeState>>,
}

impl FakeKube {
    /// The cluster, to look at or change.
    pub fn state(&self) -> MutexGuard<'_, KubeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the fault for the next calls.
    pub fn set_fault(&self, fault: Fault) {
        self.state().fault = fault;
    }

    fn error(&self, kind: KubeErrorKind, what: &str) -> KubeError {
        let (status, reason) = match kind {
            KubeErrorKind::Forbidden => (Some(403), Some("Forbidden")),
            KubeErrorKind::Conflict => (Some(409), Some("Conflict")),
            KubeErrorKind::NotFound => (Some(404), Some("NotFound")),
            KubeErrorKind::Unauthorized => (Some(401), Some("Unauthorized")),
            KubeErrorKind::Api => (Some(503), Some("ServiceUnavailable")),
            _ => (None, None),
        };
        KubeError {
            region: self.region.clone(),
            kind,
            object: Some(what.to_owned()),
            status,
            reason: reason.map(str::to_owned),
            message: format!("fake {kind:?} on {what}"),
            hint: None,
        }
    }

    /// Applies the fault in force to one call. Lease writes never get the
    /// scripted 409s: on a lease a 409 means another holder, a different
    /// story from a controller bumping a Deployment's resourceVersion.
    async fn gate(&self, write: bool, what: &str) -> Result<(), KubeError> {
        self.gate_with(write, write, what).await
    }

    async fn gate_lease(&self, what: &str) -> Result<(), KubeError> {
        self.gate_with(true, false, what).await
    }

    async fn gate_with(&self, write: bool, conflicts: bool, what: &str) -> Result<(), KubeError> {
        let fault = self.state().fault.clone();
        if fault.hang {
            // As a real client does: no answer within its request timeout.
            tokio::time::sleep(REQUEST_TIMEOUT).await;
            return Err(self.error(KubeErrorKind::Timeout, what));
        }
        if !fault.latency.is_zero() {
            tokio::time::sleep(fault.latency).await;
        }
        if let Some(kind) = fault.error {
            return Err(self.error(kind, what));
        }
        if write {
            if let Some(kind) = fault.write_error {
                return Err(self.error(kind, what));
            }
            let mut s = self.state();
            if conflicts && s.fault.conflicts > 0 {
                s.fault.conflicts -= 1;
                drop(s);
                return Err(self.error(KubeErrorKind::Conflict, what));
            }
        }
        Ok(())
    }

    fn bump(s: &mut KubeState) -> String {
        s.resource_version += 1;
        s.resource_version.to_string()
    }
}

impl Workloads for FakeKube {
    fn region(&self) -> &str {
        &self.region
    }

    async fn version(&self) -> Result<ServerVersion, KubeError> {
        self.gate(false, "version").await?;
        Ok(ServerVersion {
            git_version: "v1.36.0".to_owned(),
        })
    }

    async fn deployment(&self, name: &str) -> Result<Option<DeploymentState>, KubeError> {
        self.gate(false, name).await?;
        Ok(self.state().deployments.get(name).cloned())
    }

    async fn service(&self, name: &str) -> Result<Option<ServiceState>, KubeError> {
        self.gate(false, name).await?;
        Ok(self.state().services.get(name).cloned())
    }

    async fn namespace_exists(&self) -> Result<bool, KubeError> {
        self.gate(false, "namespace").await?;
        Ok(true)
    }

    async fn scale(&self, deployment: &str, replicas: i32) -> Result<(), KubeError> {
        self.gate(true, deployment).await?;
        let mut s = self.state();
        let now = Instant::now();
        let Some(d) = s.deployments.get_mut(deployment) else {
            drop(s);
            return Err(self.error(KubeErrorKind::NotFound, deployment));
        };
        let flipped = (d.ready > 0) != (replicas > 0);
        // Pods come and go at once: the fake models the API, not a kubelet.
        d.replicas = replicas;
        d.ready = replicas;
        d.available = replicas;
        d.updated = replicas;
        d.generation += 1;
        d.observed_generation = d.generation;
        if flipped {
            s.ready_changed.insert(deployment.to_owned(), now);
        }
        s.log(format!("scale {deployment} {replicas}"));
        Ok(())
    }

    async fn set_image(
        &self,
        deployment: &str,
        image: &str,
        replicas: i32,
    ) -> Result<(), KubeError> {
        self.gate(true, deployment).await?;
        let mut s = self.state();
        let now = Instant::now();
        let Some(d) = s.deployments.get_mut(deployment) else {
            drop(s);
            return Err(self.error(KubeErrorKind::NotFound, deployment));
        };
        let flipped = (d.ready > 0) != (replicas > 0);
        d.image = image.to_owned();
        d.replicas = replicas;
        d.ready = replicas;
        d.available = replicas;
        d.updated = replicas;
        d.generation += 1;
        d.observed_generation = d.generation;
        if flipped {
            s.ready_changed.insert(deployment.to_owned(), now);
        }
        s.log(format!("set-image {deployment} {image} {replicas}"));
        Ok(())
    }

    async fn set_selector(&self, service: &str, key: &str, value: &str) -> Result<(), KubeError> {
        self.gate(true, service).await?;
        let mut s = self.state();
        let Some(svc) = s.services.get_mut(service) else {
            drop(s);
            return Err(self.error(KubeErrorKind::NotFound, service));
        };
        svc.selector.insert(key.to_owned(), value.to_owned());
        s.log(format!("select {service} {key}={value}"));
        Ok(())
    }

    async fn annotate_deployment(
        &self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), KubeError> {
        self.gate(true, name).await?;
        let mut s = self.state();
        let Some(d) = s.deployments.get_mut(name) else {
            drop(s);
            return Err(self.error(KubeErrorKind::NotFound, name));
        };
        match value {
            Some(v) => d.annotations.insert(key.to_owned(), v.to_owned()),
            None => d.annotations.remove(key),
        };
        s.log(format!("annotate {name} {key}"));
        Ok(())
    }

    async fn annotate_service(
        &self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), KubeError> {
        self.gate(true, name).await?;
        let mut s = self.state();
        let Some(svc) = s.services.get_mut(name) else {
            drop(s);
            return Err(self.error(KubeErrorKind::NotFound, name));
        };
        match value {
            Some(v) => svc.annotations.insert(key.to_owned(), v.to_owned()),
            None => svc.annotations.remove(key),
        };
        s.log(format!("annotate {name} {key}"));
        Ok(())
    }

    async fn proxy(&self, req: &ProxyRequest) -> Result<ProxyResponse, KubeError> {
        self.gate(false, &req.service).await?;
        Ok(ProxyResponse {
            status: 200,
            headers: BTreeMap::new(),
            body: r#"{"status":"ok","rating":5}"#.to_owned(),
            latency_ms: 1,
        })
    }

    async fn lease(&self, name: &str) -> Result<Option<LeaseState>, KubeError> {
        self.gate(false, name).await?;
        Ok(self.state().leases.get(name).cloned())
    }

    async fn create_lease(&self, lease: &LeaseSpec) -> Result<LeaseState, KubeError> {
        self.gate_lease(&lease.name).await?;
        let mut s = self.state();
        if s.leases.contains_key(&lease.name) {
            drop(s);
            return Err(self.error(KubeErrorKind::Conflict, &lease.name));
        }
        let state = LeaseState {
            name: lease.name.clone(),
            holder: Some(lease.holder.clone()),
            duration_seconds: Some(lease.duration_seconds),
            renew_time: Some(lease.renew_time.clone()),
            resource_version: Some(Self::bump(&mut s)),
        };
        s.leases.insert(lease.name.clone(), state.clone());
        s.log(format!("create-lease {}", lease.holder));
        Ok(state)
    }

    async fn replace_lease(
        &self,
        current: &LeaseState,
        spec: &LeaseSpec,
    ) -> Result<LeaseState, KubeError> {
        self.gate_lease(&spec.name).await?;
        let mut s = self.state();
        let stale = s.leases.get(&spec.name).map(|l| &l.resource_version)
            != Some(&current.resource_version);
        if stale {
            drop(s);
            return Err(self.error(KubeErrorKind::Conflict, &spec.name));
        }
        let state = LeaseState {
            name: spec.name.clone(),
            holder: Some(spec.holder.clone()),
            duration_seconds: Some(spec.duration_seconds),
            renew_time: Some(spec.renew_time.clone()),
            resource_version: Some(Self::bump(&mut s)),
        };
        s.leases.insert(spec.name.clone(), state.clone());
        Ok(state)
    }

    async fn delete_lease(
        &self,
        name: &str,
        resource_version: Option<&str>,
    ) -> Result<(), KubeError> {
        self.gate_lease(name).await?;
        if self.state().fault.forbid_lease_delete {
            return Err(self.error(KubeErrorKind::Forbidden, &format!("lease {name}")));
        }
        let mut s = self.state();
        match (s.leases.get(name), resource_version) {
            (None, _) => Ok(()),
            (Some(l), Some(rv)) if l.resource_version.as_deref() != Some(rv) => {
                drop(s);
                Err(self.error(KubeErrorKind::Conflict, name))
            }
            _ => {
                s.leases.remove(name);
                s.log(format!("delete-lease {name}"));
                Ok(())
            }
        }
    }

    async fn config_map(&self, name: &str) -> Result<Option<ConfigMapState>, KubeError> {
        self.gate(false, name).await?;
        if self.state().fault.forbid_config_map_read {
            return Err(self.error(KubeErrorKind::Forbidden, &format!("configmap {name}")));
        }
        Ok(self.state().config_maps.get(name).cloned())
    }

    async fn create_config_map(
        &self,
        name: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<ConfigMapState, KubeError> {
        self.gate_with(true, false, name).await?;
        let mut s = self.state();
        if s.config_maps.contains_key(name) {
            drop(s);
            return Err(self.error(KubeErrorKind::Conflict, name));
        }
        let state = ConfigMapState {
            name: name.to_owned(),
            data: data.clone(),
            resource_version: Some(Self::bump(&mut s)),
        };
        s.config_maps.insert(name.to_owned(), state.clone());
        Ok(state)
    }

    async fn replace_config_map(
        &self,
        current: &ConfigMapState,
        data: &BTreeMap<String, String>,
    ) -> Result<ConfigMapState, KubeError> {
        self.gate_with(true, false, &current.name).await?;
        let mut s = self.state();
        let stale = s
            .config_maps
            .get(&current.name)
            .map(|c| &c.resource_version)
            != Some(&current.resource_version);
        if stale {
            drop(s);
            return Err(self.error(KubeErrorKind::Conflict, &current.name));
        }
        let state = ConfigMapState {
            name: current.name.clone(),
            data: data.clone(),
            resource_version: Some(Self::bump(&mut s)),
        };
        s.config_maps.insert(current.name.clone(), state.clone());
        Ok(state)
    }

    async fn hpas(&self) -> Result<Vec<HpaState>, KubeError> {
        self.gate(false, "hpas").await?;
        Ok(self.state().hpas.clone())
    }

    async fn can_i(&self, _check: &AccessCheck) -> Result<bool, KubeError> {
        self.gate(false, "selfsubjectaccessreviews").await?;
        Ok(true)
    }
}

/// Cloudflare's side: the LB, the pools and a monitor.
#[derive(Debug)]
pub struct CfState {
    /// The load balancer.
    pub lb: LoadBalancer,
    /// The pools, in region order, with the region each watches.
    pub pools: Vec<(Pool, FakeKube, String)>,
    /// The monitor every pool uses.
    pub monitor: Monitor,
    /// How long after the live colour loses (or regains) its pods the
    /// monitor says so.
    pub detect: Duration,
    /// Added before every answer.
    pub latency: Duration,
    /// Every call fails like this (`Server` for 5xx, `RateLimited`, …).
    pub error: Option<CfErrorKind>,
    /// Every call hangs.
    pub hang: bool,
    /// Calls so far.
    pub requests: u64,
}

/// A fake Cloudflare account.
#[derive(Clone, Debug)]
pub struct FakeCf {
    state: Arc<Mutex<CfState>>,
}

impl FakeCf {
    /// The account, to look at or change.
    pub fn state(&self) -> MutexGuard<'_, CfState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn gate(&self, what: &str) -> Result<(), CfError> {
        let (latency, error, hang) = {
            let mut s = self.state();
            s.requests += 1;
            (s.latency, s.error, s.hang)
        };
        if hang {
            tokio::time::sleep(REQUEST_TIMEOUT).await;
            return Err(CfError::new(
                CfErrorKind::Timeout,
                what.to_owned(),
                "no answer within 10s",
            ));
        }
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        match error {
            Some(kind) => Err(CfError::new(
                kind,
                what.to_owned(),
                format!("fake {kind:?}"),
            )),
            None => Ok(()),
        }
    }

    /// Every pool with `healthy` as the monitor sees it now.
    fn pools_now(&self) -> Vec<Pool> {
        let s = self.state();
        let now = Instant::now();
        s.pools
            .iter()
            .map(|(pool, kube, service)| {
                let mut pool = pool.clone();
                let k = kube.state();
                let live = k
                    .services
                    .get(service)
                    .and_then(|svc| svc.selector.get(COLOR_LABEL).cloned())
                    .and_then(|c| {
                        k.deployments
                            .iter()
                            .find(|(_, d)| d.labels.get(COLOR_LABEL) == Some(&c))
                            .map(|(n, d)| (n.clone(), d.ready > 0))
                    });
                let up = match live {
                    Some((name, ready)) => {
                        let settled = k
                            .ready_changed
                            .get(&name)
                            .is_none_or(|at| now.saturating_duration_since(*at) >= s.detect);
                        // Until the monitor's checks catch up, it reports
                        // what was true before the change.
                        if settled { ready } else { !ready }
                    }
                    None => false,
                };
                pool.healthy = Some(pool.enabled && up);
                pool
            })
            .collect()
    }
}

impl Pools for FakeCf {
    async fn verify_token(&self) -> Result<TokenStatus, CfError> {
        self.gate("GET /user/tokens/verify").await?;
        Ok(TokenStatus {
            id: "fake".to_owned(),
            status: "active".to_owned(),
        })
    }

    async fn load_balancer(&self, _name: &str) -> Result<LoadBalancer, CfError> {
        self.gate("GET /load_balancers").await?;
        Ok(self.state().lb.clone())
    }

    async fn pools(&self) -> Result<Vec<Pool>, CfError> {
        self.gate("GET /pools").await?;
        Ok(self.pools_now())
    }

    async fn pool(&self, name_or_id: &str) -> Result<Pool, CfError> {
        self.gate("GET /pools/{id}").await?;
        self.pools_now()
            .into_iter()
            .find(|p| p.id == name_or_id || p.name == name_or_id)
            .ok_or_else(|| {
                CfError::new(
                    CfErrorKind::NotFound,
                    "GET /pools/{id}".to_owned(),
                    "no such pool".to_owned(),
                )
            })
    }

    async fn pool_health(&self, pool_id: &str) -> Result<PoolHealth, CfError> {
        self.gate("GET /pools/{id}/health").await?;
        Ok(PoolHealth {
            pool_id: pool_id.to_owned(),
            locations: BTreeMap::new(),
        })
    }

    async fn monitor(&self, _monitor_id: &str) -> Result<Monitor, CfError> {
        self.gate("GET /monitors/{id}").await?;
        Ok(self.state().monitor.clone())
    }

    async fn preview(&self, _pool_id: &str, _monitor: &Monitor) -> Result<PreviewResult, CfError> {
        self.gate("POST /preview").await?;
        Ok(PreviewResult::default())
    }

    async fn set_pool_enabled(&self, pool_id: &str, enabled: bool) -> Result<Pool, CfError> {
        self.gate("PATCH /pools/{id}").await?;
        {
            let mut s = self.state();
            if let Some((p, _, _)) = s.pools.iter_mut().find(|(p, _, _)| p.id == pool_id) {
                p.enabled = enabled;
            }
        }
        self.pool(pool_id).await
    }

    fn requests_sent(&self) -> u64 {
        self.state().requests
    }
}

/// The seed fleet, faked: three regions on blue with 3 replicas (green
/// idle at 0 on the previous image), one pool each behind one LB, and
/// Cloudflare's real monitor timing (60 s interval, 5 s timeout, 2
/// retries), whose checks notice a change after `detect` (90 s).
pub struct FakeFleet {
    /// The manifest (the seed's, without synthetic traffic: the fakes
    /// have no load balancer to send it through).
    pub fleet: Fleet,
    /// The regions, in manifest order.
    pub kube: Vec<FakeKube>,
    /// Cloudflare.
    pub cf: FakeCf,
}

impl FakeFleet {
    /// The seed fleet in a steady state.
    pub fn seed() -> Self {
        let mut fleet = crate::manifest::seed_fleet();
        fleet.traffic = None;
        let monitor = Monitor {
            id: "monitor-1".to_owned(),
            kind: "http".to_owned(),
            method: "GET".to_owned(),
            path: "/healthz".to_owned(),
            expected_codes: "200".to_owned(),
            interval: 60,
            timeout: 5,
            retries: 2,
            consecutive_down: 1,
            consecutive_up: 1,
            ..Monitor::default()
        };
        let mut kube = Vec::new();
        let mut pools = Vec::new();
        for (i, r) in fleet.regions.iter().enumerate() {
            let mut state = KubeState::default();
            for (colour, replicas, image) in [
                ("blue", 3, "registry.example/openclaw-api:1.4.2"),
                ("green", 0, "registry.example/openclaw-api:1.4.1"),
            ] {
                let name = format!("{}-{colour}", r.deployment);
                state.deployments.insert(
                    name.clone(),
                    DeploymentState {
                        name,
                        replicas,
                        ready: replicas,
                        available: replicas,
                        updated: replicas,
                        generation: 1,
                        observed_generation: 1,
                        image: image.to_owned(),
                        labels: BTreeMap::from([(COLOR_LABEL.to_owned(), colour.to_owned())]),
                        annotations: BTreeMap::new(),
                    },
                );
            }
            for (service, colour) in [
                (r.service.clone(), "blue"),
                (format!("{}-preview", r.service), "green"),
            ] {
                state.services.insert(
                    service.clone(),
                    ServiceState {
                        name: service,
                        selector: BTreeMap::from([(COLOR_LABEL.to_owned(), colour.to_owned())]),
                        annotations: BTreeMap::new(),
                    },
                );
            }
            let k = FakeKube {
                region: r.name.to_string(),
                state: Arc::new(Mutex::new(state)),
            };
            let pool = Pool {
                id: format!("pool{i}"),
                name: r.pool.clone(),
                enabled: true,
                healthy: Some(true),
                minimum_origins: Some(1),
                monitor: Some(monitor.id.clone()),
                origins: Vec::new(),
                check_regions: None,
            };
            pools.push((pool, k.clone(), r.service.clone()));
            kube.push(k);
        }
        let lb = LoadBalancer {
            id: "lb1".to_owned(),
            name: fleet.cloudflare.load_balancer.clone(),
            enabled: Some(true),
            default_pools: pools.iter().map(|(p, _, _)| p.id.clone()).collect(),
            fallback_pool: pools
                .last()
                .map(|(p, _, _)| p.id.clone())
                .unwrap_or_default(),
            steering_policy: "off".to_owned(),
            ..LoadBalancer::default()
        };
        let cf = FakeCf {
            state: Arc::new(Mutex::new(CfState {
                lb,
                pools,
                monitor,
                detect: Duration::from_secs(90),
                latency: Duration::ZERO,
                error: None,
                hang: false,
                requests: 0,
            })),
        };
        FakeFleet { fleet, kube, cf }
    }

    /// The clients a run gets, polling Cloudflare every `poll`.
    pub fn clients(&self) -> Clients<FakeKube, FakeCf> {
        Clients {
            fleet: self.fleet.clone(),
            regions: self
                .fleet
                .regions
                .iter()
                .cloned()
                .zip(self.kube.iter().cloned().map(Ok))
                .collect(),
            cloudflare: Ok(Arc::new(self.cf.clone())),
            prometheus: None,
            poll: Duration::from_secs(1),
            recovery: Recovery {
                program: "/usr/local/bin/ocfail".to_owned(),
                global: vec!["-f".to_owned(), "/etc/ocfail/fleet.yaml".to_owned()],
                kubeconfig: Some(vec!["/etc/ocfail/kubeconfig".into()]),
                in_cluster: false,
            },
        }
    }

    /// A region's cluster by name.
    pub fn region(&self, name: &str) -> &FakeKube {
        let i = self
            .fleet
            .regions
            .iter()
            .position(|r| r.name.as_str() == name)
            .unwrap_or(0);
        &self.kube[i]
    }

    /// Everything a run may change, to compare before and after: replicas,
    /// images, selectors, annotations (but `ocfail.dev/last-drill`, which a
    /// drill leaves on purpose), leases, pool flags.
    pub fn world(&self) -> String {
        let mut out = String::new();
        for k in &self.kube {
            let s = k.state();
            for d in s.deployments.values() {
                let annotations: Vec<&String> = d
                    .annotations
                    .keys()
                    .filter(|k| k.as_str() != crate::ops::snapshot::LAST_DRILL_ANNOTATION)
                    .collect();
                out.push_str(&format!(
                    "{} {} {}x{} {annotations:?}\n",
                    k.region, d.name, d.replicas, d.image
                ));
            }
            for svc in s.services.values() {
                out.push_str(&format!(
                    "{} {} {:?} {:?}\n",
                    k.region,
                    svc.name,
                    svc.selector,
                    svc.annotations.keys().collect::<Vec<_>>()
                ));
            }
            for l in s.leases.values() {
                out.push_str(&format!("{} lease {} {:?}\n", k.region, l.name, l.holder));
            }
        }
        for (p, _, _) in &self.cf.state().pools {
            out.push_str(&format!("pool {} enabled={}\n", p.name, p.enabled));
        }
        out
    }
}
