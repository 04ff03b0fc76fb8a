//! The lock against an in-memory fake of the lease calls, in paused time.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::*;
use crate::kube::{
    AccessCheck, ConfigMapState, DeploymentState, HpaState, ProxyRequest, ProxyResponse,
    ServerVersion, ServiceState,
};

/// One region's lease store; every fake shares one call log, so tests can
/// check the order across regions.
#[derive(Clone, Debug)]
struct Fake {
    region: String,
    lease: Arc<Mutex<Option<LeaseState>>>,
    /// Fail every replace with this kind (a sick API server).
    fail_replace: Arc<Mutex<Option<KubeErrorKind>>>,
    /// Fail every delete with this kind.
    fail_delete: Arc<Mutex<Option<KubeErrorKind>>>,
    log: Arc<Mutex<Vec<String>>>,
}

fn fleet(names: &[&str]) -> Vec<Fake> {
    let log = Arc::new(Mutex::new(Vec::new()));
    names
        .iter()
        .map(|n| Fake {
            region: (*n).to_owned(),
            lease: Arc::default(),
            fail_replace: Arc::default(),
            fail_delete: Arc::default(),
            log: log.clone(),
        })
        .collect()
}

fn error(region: &str, kind: KubeErrorKind) -> KubeError {
    KubeError {
        region: region.to_owned(),
        kind,
        object: Some(format!("lease {LOCK_LEASE}")),
        status: None,
        reason: None,
        message: format!("{kind:?}"),
        hint: None,
    }
}

static NEXT_RV: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn stored(spec: &LeaseSpec) -> LeaseState {
    LeaseState {
        name: spec.name.clone(),
        holder: Some(spec.holder.clone()),
        duration_seconds: Some(spec.duration_seconds),
        renew_time: Some(spec.renew_time.clone()),
        resource_version: Some(
            NEXT_RV
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .to_string(),
        ),
    }
}

impl Fake {
    fn note(&self, what: &str) {
        self.log
            .lock()
            .unwrap()
            .push(format!("{what} {}", self.region));
    }

    /// Another run writes the lease (a new resourceVersion).
    fn put(&self, holder: &str, renewed: SystemTime, secs: i32) {
        let at = micro_time(renewed);
        *self.lease.lock().unwrap() = Some(stored(&LeaseSpec {
            name: LOCK_LEASE.into(),
            holder: holder.into(),
            duration_seconds: secs,
            acquire_time: at.clone(),
            renew_time: at,
        }));
    }

    fn holder(&self) -> Option<String> {
        self.lease.lock().unwrap().as_ref()?.holder.clone()
    }

    fn calls(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn unsupported(region: &str) -> KubeError {
    error(region, KubeErrorKind::Api)
}

impl Workloads for Fake {
    fn region(&self) -> &str {
        &self.region
    }
    async fn version(&self) -> Result<ServerVersion, KubeError> {
        Err(unsupported(&self.region))
    }
    async fn deployment(&self, _: &str) -> Result<Option<DeploymentState>, KubeError> {
        Err(unsupported(&self.region))
    }
    async fn service(&self, _: &str) -> Result<Option<ServiceState>, KubeError> {
        Err(unsupported(&self.region))
    }
    async fn namespace_exists(&self) -> Result<bool, KubeError> {
        Err(unsupported(&self.region))
    }
    async fn scale(&self, _: &str, _: i32) -> Result<(), KubeError> {
        Err(unsupported(&self.region))
    }
    async fn annotate_deployment(
        &self,
        _: &str,
        _: &str,
        _: Option<&str>,
    ) -> Result<(), KubeError> {
        Err(unsupported(&self.region))
    }
    async fn annotate_service(&self, _: &str, _: &str, _: Option<&str>) -> Result<(), KubeError> {
        Err(unsupported(&self.region))
    }
    async fn set_image(&self, _: &str, _: &str, _: i32) -> Result<(), KubeError> {
        Err(unsupported(&self.region))
    }
    async fn set_selector(&self, _: &str, _: &str, _: &str) -> Result<(), KubeError> {
        Err(unsupported(&self.region))
    }
    async fn proxy(&self, _: &ProxyRequest) -> Result<ProxyResponse, KubeError> {
        Err(unsupported(&self.region))
    }
    async fn hpas(&self) -> Result<Vec<HpaState>, KubeError> {
        Err(unsupported(&self.region))
    }
    async fn config_map(&self, _: &str) -> Result<Option<ConfigMapState>, KubeError> {
        Err(unsupported(&self.region))
    }
    async fn create_config_map(
        &self,
        _: &str,
        _: &BTreeMap<String, String>,
    ) -> Result<ConfigMapState, KubeError> {
        Err(unsupported(&self.region))
    }
    async fn replace_config_map(
        &self,
        _: &ConfigMapState,
        _: &BTreeMap<String, String>,
    ) -> Result<ConfigMapState, KubeError> {
        Err(unsupported(&self.region))
    }
    async fn can_i(&self, _: &AccessCheck) -> Result<bool, KubeError> {
        Err(unsupported(&self.region))
    }

    async fn lease(&self, _: &str) -> Result<Option<LeaseState>, KubeError> {
        Ok(self.lease.lock().unwrap().clone())
    }

    async fn create_lease(&self, spec: &LeaseSpec) -> Result<LeaseState, KubeError> {
        let mut slot = self.lease.lock().unwrap();
        if slot.is_some() {
            return Err(error(&self.region, KubeErrorKind::Conflict));
        }
        self.note("create");
        let new = stored(spec);
        *slot = Some(new.clone());
        Ok(new)
    }

    async fn replace_lease(
        &self,
        current: &LeaseState,
        spec: &LeaseSpec,
    ) -> Result<LeaseState, KubeError> {
        if let Some(kind) = *self.fail_replace.lock().unwrap() {
            return Err(error(&self.region, kind));
        }
        let mut slot = self.lease.lock().unwrap();
        let Some(old) = slot.as_ref() else {
            return Err(error(&self.region, KubeErrorKind::NotFound));
        };
        if old.resource_version != current.resource_version {
            return Err(error(&self.region, KubeErrorKind::Conflict));
        }
        self.note("replace");
        let new = stored(spec);
        *slot = Some(new.clone());
        Ok(new)
    }

    async fn delete_lease(&self, _: &str, rv: Option<&str>) -> Result<(), KubeError> {
        if let Some(kind) = *self.fail_delete.lock().unwrap() {
            return Err(error(&self.region, kind));
        }
        let mut slot = self.lease.lock().unwrap();
        match slot.as_ref() {
            None => Ok(()),
            Some(old) if rv.is_some() && old.resource_version.as_deref() != rv => {
                Err(error(&self.region, KubeErrorKind::Conflict))
            }
            Some(_) => {
                self.note("delete");
                *slot = None;
                Ok(())
            }
        }
    }
}

fn me() -> Holder {
    Holder::from_parts("drill", "alice", "laptop", "r-me")
}

const OTHER: &str = "ocfail/drill/bob@ci/r-crashed";

#[test]
fn holders_round_trip_their_run_id() {
    let h = me();
    assert_eq!(h.as_str(), "ocfail/drill/alice@laptop/r-me");
    assert_eq!(h.run_id(), Some("r-me"));
    assert_eq!(Holder::parse(OTHER).run_id(), Some("r-crashed"));
    assert_eq!(Holder::parse("kubectl-test").run_id(), None);
    let odd = Holder::from_parts("drill", "a/b", "my host", "");
    assert_eq!(odd.as_str(), "ocfail/drill/a-b@my-host/unknown");
    assert_eq!(odd.run_id(), Some("unknown"));
}

#[tokio::test(start_paused = true)]
async fn leases_are_taken_in_order_and_released_in_reverse() {
    let regions = fleet(&["a", "b", "c"]);
    let lock = acquire(&regions, &me(), &LockOptions::default())
        .await
        .unwrap();
    for r in &regions {
        assert_eq!(r.holder().as_deref(), Some(me().as_str()));
    }
    assert_eq!(lock.leases().len(), 3);
    lock.release().await.unwrap();
    assert!(regions.iter().all(|r| r.holder().is_none()));
    assert_eq!(
        regions[0].calls(),
        [
            "create a", "create b", "create c", "delete c", "delete b", "delete a"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_live_lease_of_another_run_is_refused_and_what_was_taken_is_released() {
    let regions = fleet(&["a", "b", "c"]);
    regions[1].put(OTHER, SystemTime::now(), 30);
    let e = acquire(&regions, &me(), &LockOptions::default())
        .await
        .unwrap_err();
    let LockError::Held {
        region,
        holder,
        expires_in,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((region.as_str(), holder.as_str()), ("b", OTHER));
    assert!(*expires_in > Duration::from_secs(25), "{expires_in:?}");
    assert!(
        e.to_string()
            .contains("held by ocfail/drill/bob@ci/r-crashed")
    );
    assert!(e.hint().unwrap().contains("`ocfail restore`"));
    // a was taken and given back; c was never touched; b is still theirs.
    assert_eq!(regions[0].calls(), ["create a", "delete a"]);
    assert_eq!(regions[0].holder(), None);
    assert_eq!(regions[1].holder().as_deref(), Some(OTHER));
    assert_eq!(regions[2].holder(), None);
}

#[tokio::test(start_paused = true)]
async fn an_expired_lease_is_taken() {
    let regions = fleet(&["a"]);
    regions[0].put(OTHER, SystemTime::now() - Duration::from_secs(60), 30);
    let lock = acquire(&regions, &me(), &LockOptions::default())
        .await
        .unwrap();
    assert_eq!(regions[0].holder().as_deref(), Some(me().as_str()));
    assert_eq!(regions[0].calls(), ["replace a"]);
    lock.release().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn restore_takes_over_the_live_lease_of_the_run_it_restores() {
    let regions = fleet(&["a", "b"]);
    for r in &regions {
        r.put(OTHER, SystemTime::now(), 30);
    }
    let restorer = Holder::from_parts("restore", "alice", "laptop", "r-new");
    let wrong = LockOptions {
        take_over_runs: vec!["r-other".into()],
        ..LockOptions::default()
    };
    assert!(matches!(
        acquire(&regions, &restorer, &wrong).await,
        Err(LockError::Held { .. })
    ));
    let right = LockOptions {
        take_over_runs: vec!["r-old".into(), "r-crashed".into()],
        ..LockOptions::default()
    };
    let lock = acquire(&regions, &restorer, &right).await.unwrap();
    assert!(
        regions
            .iter()
            .all(|r| r.holder().as_deref() == Some(restorer.as_str()))
    );
    lock.release().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn renewal_keeps_the_lock_across_twice_its_duration() {
    let regions = fleet(&["a", "b"]);
    let options = LockOptions::default();
    let lock = acquire(&regions, &me(), &options).await.unwrap();
    let first = lock.leases();
    tokio::time::sleep(options.duration * 2 + Duration::from_secs(1)).await;
    assert!(!lock.lost().is_cancelled(), "{:?}", lock.lost_cause());
    let renewals = regions[0]
        .calls()
        .iter()
        .filter(|c| *c == "replace a")
        .count();
    assert_eq!(renewals, 6);
    assert_ne!(lock.leases()[0].resource_version, first[0].resource_version);
    lock.release().await.unwrap();
    assert!(regions.iter().all(|r| r.holder().is_none()));
}

#[tokio::test(start_paused = true)]
async fn a_lease_taken_by_someone_else_marks_the_lock_lost() {
    let regions = fleet(&["a", "b"]);
    let lock = acquire(&regions, &me(), &LockOptions::default())
        .await
        .unwrap();
    regions[1].put(OTHER, SystemTime::now(), 30);
    tokio::time::timeout(Duration::from_secs(11), lock.lost().cancelled())
        .await
        .unwrap();
    let cause = lock.lost_cause().unwrap();
    assert_eq!(
        cause,
        LockError::Lost {
            region: "b".into(),
            holder: me().to_string(),
            reason: LostReason::TakenBy(OTHER.into()),
            source: None,
        }
    );
    // Release frees what is still ours and leaves the other run's lease.
    lock.release().await.unwrap();
    assert_eq!(regions[0].holder(), None);
    assert_eq!(regions[1].holder().as_deref(), Some(OTHER));
}

#[tokio::test(start_paused = true)]
async fn renewals_failing_for_a_whole_duration_lose_the_lock() {
    let regions = fleet(&["a"]);
    let options = LockOptions::default();
    let lock = acquire(&regions, &me(), &options).await.unwrap();
    *regions[0].fail_replace.lock().unwrap() = Some(KubeErrorKind::Timeout);
    tokio::time::sleep(Duration::from_secs(25)).await;
    // Two renewals failed, but the lease has not expired yet.
    assert!(!lock.lost().is_cancelled());
    tokio::time::timeout(Duration::from_secs(10), lock.lost().cancelled())
        .await
        .unwrap();
    let Some(LockError::Lost { reason, source, .. }) = lock.lost_cause() else {
        panic!("{:?}", lock.lost_cause())
    };
    assert_eq!(reason, LostReason::NotRenewed);
    assert_eq!(source.unwrap().kind, KubeErrorKind::Timeout);
}

#[tokio::test(start_paused = true)]
async fn a_failed_release_names_the_region_and_frees_the_others() {
    let regions = fleet(&["a", "b", "c"]);
    let lock = acquire(&regions, &me(), &LockOptions::default())
        .await
        .unwrap();
    *regions[1].fail_delete.lock().unwrap() = Some(KubeErrorKind::Timeout);
    let e = lock.release().await.unwrap_err();
    let LockError::NotReleased { unreleased, .. } = &e else {
        panic!("{e:?}")
    };
    let [left] = unreleased.as_slice() else {
        panic!("{unreleased:?}")
    };
    assert_eq!(left.region, "b");
    assert_eq!(left.lease, LOCK_LEASE);
    assert_eq!(left.permission, DELETE_LEASES);
    assert_eq!(left.source.kind, KubeErrorKind::Timeout);
    assert_eq!(
        e.to_string(),
        "release the lock in b: delete leases ocfail-lock: Timeout"
    );
    assert_eq!(regions[0].holder(), None);
    assert_eq!(regions[2].holder(), None);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_lock_stops_renewing_it() {
    let regions = fleet(&["a"]);
    let lock = acquire(&regions, &me(), &LockOptions::default())
        .await
        .unwrap();
    drop(lock);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(regions[0].calls(), ["create a"]);
}
