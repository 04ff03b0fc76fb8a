//! The fleet-wide lock (docs/drills.md step 0) over the real `KubeRegion`
//! clients against the simulator: leases appear with the holder, a second
//! run is refused naming the first, release removes them, and an expired
//! lease is taken.

use std::time::{Duration, SystemTime};

use crate::util::LiveSim;
use ocfail::kube::{KubeErrorKind, KubeRegion, LeaseSpec, Workloads};
use ocfail::ops::lock::{self, Holder, LockError, LockOptions};

const LEASE: &str = "ocfail-lock";

fn names(regions: &[KubeRegion]) -> Vec<&str> {
    regions.iter().map(|r| r.region.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lock_is_taken_refused_released_and_taken_again() {
    let live = LiveSim::start().await;
    let regions = live.clients().await;
    assert_eq!(names(&regions).len(), 3);
    let first = Holder::from_parts("drill", "alice", "laptop", "run-1");
    let lock = lock::acquire(&regions, &first, &LockOptions::default())
        .await
        .unwrap();
    for r in &regions {
        let lease = r.lease(LEASE).await.unwrap().unwrap();
        assert_eq!(lease.holder.as_deref(), Some(first.as_str()));
        assert_eq!(lease.duration_seconds, Some(30));
        assert!(lease.renew_time.is_some());
        // The simulator's own store agrees with what the client read.
        let cluster = live.sim.world().cluster(&r.region).unwrap();
        let stored = cluster
            .get(ocfail::sim::cluster::Kind::Lease, &r.namespace, LEASE)
            .unwrap();
        assert_eq!(stored["spec"]["holderIdentity"], first.as_str());
        assert!(stored["spec"]["acquireTime"].is_string());
    }

    let second = Holder::from_parts("drill", "bob", "ci", "run-2");
    let e = lock::acquire(&regions, &second, &LockOptions::default())
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
    // Refused in the first region, in manifest order.
    assert_eq!(region, &regions[0].region);
    assert_eq!(holder, first.as_str());
    assert!(*expires_in <= Duration::from_secs(30));
    // The refusal left the first run's leases alone.
    for r in &regions {
        let lease = r.lease(LEASE).await.unwrap().unwrap();
        assert_eq!(lease.holder.as_deref(), Some(first.as_str()));
    }

    lock.release().await.unwrap();
    for r in &regions {
        assert_eq!(r.lease(LEASE).await.unwrap(), None, "{}", r.region);
    }

    let lock = lock::acquire(&regions, &second, &LockOptions::default())
        .await
        .unwrap();
    lock.release().await.unwrap();
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_lease_is_taken_and_a_stale_delete_is_refused() {
    let live = LiveSim::start().await;
    let regions = live.clients().await;
    let old =
        humantime::format_rfc3339_micros(SystemTime::now() - Duration::from_secs(60)).to_string();
    let crashed = LeaseSpec {
        name: LEASE.into(),
        holder: "ocfail/drill/bob@ci/run-crashed".into(),
        duration_seconds: 1,
        acquire_time: old.clone(),
        renew_time: old,
    };
    let stale = regions[1].create_lease(&crashed).await.unwrap();
    let again = regions[1].create_lease(&crashed).await.unwrap_err();
    assert_eq!(again.kind, KubeErrorKind::Conflict);

    let me = Holder::from_parts("drill", "alice", "laptop", "run-3");
    let lock = lock::acquire(&regions, &me, &LockOptions::default())
        .await
        .unwrap();
    let taken = regions[1].lease(LEASE).await.unwrap().unwrap();
    assert_eq!(taken.holder.as_deref(), Some(me.as_str()));

    // The simulator honours DeleteOptions preconditions: the crashed run's
    // version may not delete ours, and replacing at it is a conflict too.
    let e = regions[1]
        .delete_lease(LEASE, stale.resource_version.as_deref())
        .await
        .unwrap_err();
    assert_eq!(e.kind, KubeErrorKind::Conflict);
    let e = regions[1]
        .replace_lease(&stale, &crashed)
        .await
        .unwrap_err();
    assert_eq!(e.kind, KubeErrorKind::Conflict);
    assert!(regions[1].lease(LEASE).await.unwrap().is_some());

    lock.release().await.unwrap();
    for r in &regions {
        assert_eq!(r.lease(LEASE).await.unwrap(), None, "{}", r.region);
    }
    // Deleting what is already gone is fine.
    regions[0].delete_lease(LEASE, Some("1")).await.unwrap();
    live.sim.shutdown().await;
}
