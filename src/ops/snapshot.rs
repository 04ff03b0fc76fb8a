//! Reading the fleet's current state: every region's Kubernetes facts and
//! Cloudflare's LB and pools, fetched concurrently and bounded.
//!
//! Each region's calls run at once (the longest chain is one call), all
//! regions run in parallel up to `--max-parallel`, and a slow or dead region
//! only ever costs its own request timeout.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cloudflare::{CfError, LoadBalancer, Pool, Pools};
use crate::kube::{DeploymentState, KubeError, LeaseState, ServiceState, Workloads};
use crate::manifest::{Fleet, Region};

/// The Lease that locks the fleet during drills and rollouts (docs/drills.md).
pub const LOCK_LEASE: &str = "ocfail-lock";
/// Annotation on a Deployment while a drill has it changed.
pub const DRILL_ANNOTATION: &str = "ocfail.dev/drill";
/// Annotation on a Deployment summarising its last drill.
pub const LAST_DRILL_ANNOTATION: &str = "ocfail.dev/last-drill";
/// Annotation on a Service while a rollout has it changed.
pub const ROLLOUT_ANNOTATION: &str = "ocfail.dev/rollout";
/// Annotation on a Service summarising the last rollout that committed it:
/// written in every promoted region before any record is removed, so a
/// run cut short while removing them is known to have finished.
pub const LAST_ROLLOUT_ANNOTATION: &str = "ocfail.dev/last-rollout";

/// One region's Kubernetes facts.
#[derive(Clone, Debug)]
pub struct RegionSnapshot {
    /// The region from the manifest.
    pub region: Region,
    /// `GET /version` round trip.
    pub latency_ms: Option<u64>,
    /// Server version.
    pub version: Option<String>,
    /// The first error that kept facts from being read.
    pub error: Option<KubeError>,
    /// The live Service.
    pub service: Option<ServiceState>,
    /// `<deployment>-blue`.
    pub blue: Option<DeploymentState>,
    /// `<deployment>-green`.
    pub green: Option<DeploymentState>,
    /// The lock Lease.
    pub lease: Option<LeaseState>,
}

impl RegionSnapshot {
    /// The live colour from the Service selector.
    pub fn live_color(&self) -> Option<&str> {
        self.service.as_ref().and_then(ServiceState::color)
    }

    /// The live colour's Deployment.
    pub fn live(&self) -> Option<&DeploymentState> {
        match self.live_color()? {
            "blue" => self.blue.as_ref(),
            "green" => self.green.as_ref(),
            _ => None,
        }
    }

    /// Whether the live colour has ready pods (`None`: unknown).
    pub fn serving(&self) -> Option<bool> {
        if self.error.is_some() {
            return None;
        }
        Some(self.live().is_some_and(|d| d.ready > 0))
    }

    /// The newest `ocfail.dev/last-drill` summary of either colour, by its
    /// `at`: a drill writes it on the colour that was live then, so after
    /// a blue-green switch the idle colour's may well be the newer one. A
    /// summary that is not JSON is skipped; one without a readable `at`
    /// counts as older than any with one.
    pub fn last_drill(&self) -> Option<LastDrill> {
        [&self.blue, &self.green]
            .into_iter()
            .flatten()
            .filter_map(|d| d.annotations.get(LAST_DRILL_ANNOTATION))
            .filter_map(|raw| serde_json::from_str::<serde_json::Value>(raw).ok())
            .map(|summary| {
                let at = summary
                    .get("at")
                    .and_then(serde_json::Value::as_str)
                    .and_then(|t| humantime::parse_rfc3339_weak(t).ok());
                LastDrill { at, summary }
            })
            .max_by_key(|l| l.at)
    }

    /// An unfinished drill or rollout recorded on the cluster, as
    /// `(kind, annotation JSON)`.
    pub fn operation(&self) -> Option<(&'static str, &str)> {
        for d in [&self.blue, &self.green].into_iter().flatten() {
            if let Some(v) = d.annotations.get(DRILL_ANNOTATION) {
                return Some(("drill", v));
            }
        }
        let svc = self.service.as_ref()?;
        svc.annotations
            .get(ROLLOUT_ANNOTATION)
            .map(|v| ("rollout", v.as_str()))
    }
}

/// A region's last drill, from its `ocfail.dev/last-drill` summary
/// (written by the drill, or by `ocfail restore` after an interrupted one).
#[derive(Clone, Debug, PartialEq)]
pub struct LastDrill {
    /// When it was written, if the summary says.
    pub at: Option<SystemTime>,
    /// The summary: `runId`, `verdict` (a drill's) or `result` (a
    /// restore's), the timings.
    pub summary: serde_json::Value,
}

impl LastDrill {
    /// The summary's string field `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.summary.get(key).and_then(serde_json::Value::as_str)
    }
}

/// Cloudflare's facts.
#[derive(Clone, Debug)]
pub struct CloudflareSnapshot {
    /// The zone's LB named in the manifest.
    pub lb: Result<LoadBalancer, CfError>,
    /// Every pool of the account.
    pub pools: Result<Vec<Pool>, CfError>,
}

impl CloudflareSnapshot {
    /// The pool a region names (by id or name).
    pub fn pool_for(&self, region: &Region) -> Option<&Pool> {
        let pools = self.pools.as_ref().ok()?;
        pools
            .iter()
            .find(|p| p.id == region.pool)
            .or_else(|| pools.iter().find(|p| p.name == region.pool))
    }
}

/// Everything `status` shows.
#[derive(Clone, Debug)]
pub struct FleetSnapshot {
    /// Per region, in manifest order.
    pub regions: Vec<RegionSnapshot>,
    /// Cloudflare.
    pub cloudflare: CloudflareSnapshot,
    /// Wall time taken.
    pub took_ms: u64,
}

/// Reads one region; every call runs at once.
pub async fn region<W: Workloads>(w: &W, region: &Region) -> RegionSnapshot {
    let blue = format!("{}-blue", region.deployment);
    let green = format!("{}-green", region.deployment);
    let started = Instant::now();
    let version = async {
        let v = w.version().await;
        (
            v,
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        )
    };
    let ((version, latency), service, blue, green, lease) = tokio::join!(
        version,
        w.service(&region.service),
        w.deployment(&blue),
        w.deployment(&green),
        w.lease(LOCK_LEASE)
    );
    let mut snap = RegionSnapshot {
        region: region.clone(),
        latency_ms: None,
        version: None,
        error: None,
        service: None,
        blue: None,
        green: None,
        lease: None,
    };
    let mut first_error = |e: KubeError| {
        if snap.error.is_none() {
            snap.error = Some(e);
        }
    };
    match version {
        Ok(v) => {
            snap.version = Some(v.git_version);
            snap.latency_ms = Some(latency);
        }
        Err(e) => first_error(e),
    }
    match service {
        Ok(s) => snap.service = s,
        Err(e) => first_error(e),
    }
    match blue {
        Ok(d) => snap.blue = d,
        Err(e) => first_error(e),
    }
    match green {
        Ok(d) => snap.green = d,
        Err(e) => first_error(e),
    }
    match lease {
        Ok(l) => snap.lease = l,
        Err(e) => first_error(e),
    }
    snap
}

/// Reads Cloudflare's LB and pools.
pub async fn cloudflare<P: Pools>(p: &P, fleet: &Fleet) -> CloudflareSnapshot {
    let (lb, pools) = tokio::join!(p.load_balancer(&fleet.cloudflare.load_balancer), p.pools());
    CloudflareSnapshot { lb, pools }
}

/// A region whose client could not even be built.
pub fn unreachable(region: &Region, error: KubeError) -> RegionSnapshot {
    RegionSnapshot {
        region: region.clone(),
        latency_ms: None,
        version: None,
        error: Some(error),
        service: None,
        blue: None,
        green: None,
        lease: None,
    }
}

/// Reads the whole fleet: regions in parallel (at most `max_parallel` at
/// once) and Cloudflare alongside them.
pub async fn fleet<W, P>(
    fleet: &Fleet,
    regions: Vec<(Region, Result<W, KubeError>)>,
    cf: Result<Arc<P>, CfError>,
    max_parallel: usize,
) -> FleetSnapshot
where
    W: Workloads + 'static,
    P: Pools + 'static,
{
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(max_parallel.max(1)));
    let mut tasks = JoinSet::new();
    let mut done: BTreeMap<usize, RegionSnapshot> = BTreeMap::new();
    let all: Vec<Region> = regions.iter().map(|(r, _)| r.clone()).collect();
    for (i, (region, client)) in regions.into_iter().enumerate() {
        match client {
            Err(e) => {
                done.insert(i, unreachable(&region, e));
            }
            Ok(w) => {
                let permits = permits.clone();
                tasks.spawn(async move {
                    // The semaphore is never closed, so acquire cannot fail.
                    let _permit = permits.acquire_owned().await.ok();
                    (i, self::region(&w, &region).await)
                });
            }
        }
    }
    let fleet_for_cf = fleet.clone();
    let cf_task = tokio::spawn(async move {
        match cf {
            Ok(cf) => cloudflare(cf.as_ref(), &fleet_for_cf).await,
            Err(e) => CloudflareSnapshot {
                lb: Err(e.clone()),
                pools: Err(e),
            },
        }
    });
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, snap)) = joined {
            done.insert(i, snap);
        }
    }
    // A task that died (it cannot panic by design, but be safe) still gets a row.
    for (i, region) in all.iter().enumerate() {
        done.entry(i).or_insert_with(|| {
            let e = KubeError {
                region: region.name.to_string(),
                kind: crate::kube::KubeErrorKind::Api,
                object: None,
                status: None,
                reason: None,
                message: "reading this region failed unexpectedly".to_owned(),
                hint: Some("run again with -vv and report the log".to_owned()),
            };
            unreachable(region, e)
        });
    }
    let cloudflare = match cf_task.await {
        Ok(c) => c,
        Err(e) => {
            let err = CfError {
                kind: crate::cloudflare::CfErrorKind::Api,
                request: "status".to_owned(),
                status: None,
                errors: Vec::new(),
                message: format!("the Cloudflare task failed: {e}"),
                hint: None,
            };
            CloudflareSnapshot {
                lb: Err(err.clone()),
                pools: Err(err),
            }
        }
    };
    FleetSnapshot {
        regions: done.into_values().collect(),
        cloudflare,
        took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}
