//! `ocfail status`: per region, what serves traffic now and whether the fleet
//! survives losing any one region (README.md). Pure: built from a
//! [`FleetSnapshot`], from the active alerts when the manifest has
//! `prometheus:` ([`alerts`]) and from the run history when it has
//! `practice:` ([`practice`]).

pub mod alerts;
pub mod practice;

use std::time::{Duration, SystemTime};

use crate::cloudflare::Pool;
use crate::facts::status::{
    LiveState, Operation, PoolState, RegionLine, StatusFact, StatusNote, StatusSummary, Target,
};
use crate::facts::{Finding, Note, RegionFindings, Verdict};
use crate::kube::KubeErrorKind;
use crate::manifest::Fleet;
use crate::ops::recovery::Recovery;

use super::describe::{cf_problem, kube_problem};
use super::snapshot::{FleetSnapshot, RegionSnapshot};
use super::steering::{self, PoolFacts, Selection};

/// The per-region entries and fleet notes of `status`.
pub fn report(
    fleet: &Fleet,
    snap: &FleetSnapshot,
    recovery: &Recovery,
) -> (Vec<RegionFindings>, Vec<Note>) {
    let facts: Vec<PoolFacts> = snap.regions.iter().map(|r| pool_facts(snap, r)).collect();
    let lb = snap.cloudflare.lb.as_ref().ok();
    let selection = lb.map(|lb| steering::select(lb, &facts, &[]));
    let serving_now: Vec<String> = selection
        .as_ref()
        .map(Selection::regions)
        .unwrap_or_default();

    let regions = snap
        .regions
        .iter()
        .map(|r| {
            let serving = lb
                .is_some()
                .then(|| serving_now.contains(&r.region.name.to_string()));
            region_report(snap, r, serving, recovery)
        })
        .collect();

    let mut notes: Vec<Note> = Vec::new();
    match (&snap.cloudflare.lb, &selection) {
        (Err(e), _) => notes.push(
            StatusNote::LoadBalancerUnreadable {
                name: fleet.cloudflare.load_balancer.clone(),
                problem: cf_problem(e),
            }
            .into(),
        ),
        (Ok(lb), Some(sel)) => {
            notes.push(StatusNote::ServingNow(sel.clone()).into());
            let target = match sel {
                Selection::Region(r) => Target::Next(steering::select(lb, &facts, &[r.as_str()])),
                Selection::Spread(_) => Target::Remaining,
                _ => Target::None,
            };
            notes.push(StatusNote::FailoverTarget(target).into());
            notes.push(StatusNote::Survives(steering::survives_any_one(lb, &facts)).into());
        }
        (Ok(_), None) => {}
    }
    if let Err(e) = &snap.cloudflare.pools {
        notes.push(StatusNote::PoolsUnreadable(cf_problem(e)).into());
    }
    (regions, notes)
}

/// Steering facts for one region.
pub fn pool_facts(snap: &FleetSnapshot, r: &RegionSnapshot) -> PoolFacts {
    let pool = snap.cloudflare.pool_for(&r.region);
    PoolFacts {
        region: r.region.name.to_string(),
        pool_id: pool.map(|p| p.id.clone()).unwrap_or_default(),
        enabled: pool.is_some_and(|p| p.enabled),
        healthy: pool.and_then(|p| p.healthy),
        monitored: pool.is_some_and(|p| p.monitor.as_deref().is_some_and(|m| !m.is_empty())),
        serving: r.serving(),
    }
}

/// `serving`: whether the LB sends traffic here (`None`: the LB is unknown).
fn region_report(
    snap: &FleetSnapshot,
    r: &RegionSnapshot,
    serving: Option<bool>,
    recovery: &Recovery,
) -> RegionFindings {
    let name = r.region.name.to_string();
    let mut checks = vec![api_check(r)];
    let live = live_state(r);
    if r.error.is_none() {
        checks.push(Finding::new(
            live_verdict(&live),
            StatusFact::Deployment(live.clone()),
        ));
    }
    let (pool_name, pool) = pool_state(snap, r);
    checks.push(Finding::new(
        pool_verdict(&pool),
        StatusFact::Pool {
            name: pool_name,
            state: pool.clone(),
        },
    ));
    if let Some(serving) = serving {
        checks.push(Finding::new(Verdict::Pass, StatusFact::Traffic { serving }));
    }
    let operation = operation_check(r, recovery);
    let op_kind = operation.as_ref().and_then(|c| match &c.fact {
        crate::facts::Fact::Status(StatusFact::InProgress { operation, .. }) => Some(*operation),
        _ => None,
    });
    checks.extend(operation);
    checks.extend(lock_check(r));
    checks.extend(last_drill_check(r));
    let summary = match &r.error {
        Some(e) => StatusSummary::Unreadable {
            message: e.message.clone(),
        },
        None => StatusSummary::Region(RegionLine {
            live,
            pool,
            serving,
            operation: op_kind,
            api_ms: r.latency_ms,
            alerts: Vec::new(),
            practice: None,
        }),
    };
    let mut report = RegionFindings::from_checks(name, summary, checks);
    if let Some(ms) = r.latency_ms {
        report.timings.insert("apiLatencyMs".to_owned(), ms);
    }
    report
}

fn api_check(r: &RegionSnapshot) -> Finding {
    match &r.error {
        Some(e) => {
            // Anything that kept us from reading the region is "could not check".
            let verdict = match e.kind {
                KubeErrorKind::NotFound | KubeErrorKind::Conflict => Verdict::Fail,
                _ => Verdict::Error,
            };
            Finding::new(verdict, StatusFact::ApiUnreadable(kube_problem(e)))
        }
        None => Finding::new(
            Verdict::Pass,
            StatusFact::ApiReachable {
                latency_ms: r.latency_ms.unwrap_or_default(),
                version: r.version.clone(),
            },
        ),
    }
}

fn live_state(r: &RegionSnapshot) -> LiveState {
    let service = r.region.service.clone();
    let Some(svc) = &r.service else {
        return LiveState::NoService {
            service,
            namespace: r.region.namespace.to_string(),
        };
    };
    let Some(colour) = svc.color() else {
        return LiveState::NoColour { service };
    };
    let Some(live) = r.live() else {
        return LiveState::ColourMissing {
            service,
            colour: colour.to_owned(),
            deployment: format!("{}-{colour}", r.region.deployment),
        };
    };
    LiveState::Live {
        colour: colour.to_owned(),
        ready: live.ready,
        replicas: live.replicas,
        image: live.image.clone(),
        version: crate::kube::image_tag(&live.image).to_string(),
    }
}

fn live_verdict(live: &LiveState) -> Verdict {
    match live {
        LiveState::Live {
            ready, replicas, ..
        } => {
            if *replicas == 0 || *ready == 0 {
                Verdict::Fail
            } else if ready < replicas {
                Verdict::Warn
            } else {
                Verdict::Pass
            }
        }
        _ => Verdict::Fail,
    }
}

fn origin_counts(pool: &Pool) -> (usize, usize) {
    let enabled: Vec<_> = pool.origins.iter().filter(|o| o.enabled).collect();
    (
        enabled.iter().filter(|o| o.healthy == Some(true)).count(),
        enabled.len(),
    )
}

/// The pool's name (Cloudflare's, once found) and state.
fn pool_state(snap: &FleetSnapshot, r: &RegionSnapshot) -> (String, PoolState) {
    let name = r.region.pool.clone();
    let pools = match &snap.cloudflare.pools {
        Err(e) => return (name, PoolState::Unreadable(cf_problem(e))),
        Ok(pools) => pools,
    };
    let Some(pool) = snap.cloudflare.pool_for(&r.region) else {
        let known = pools.iter().map(|p| p.name.clone()).collect();
        return (name, PoolState::Missing { known });
    };
    let (up, total) = origin_counts(pool);
    let monitored = pool.monitor.as_deref().is_some_and(|m| !m.is_empty());
    let state = if !pool.enabled {
        PoolState::Disabled
    } else if !monitored {
        PoolState::Unmonitored
    } else {
        match pool.healthy {
            Some(false) => PoolState::Unhealthy { up, total },
            Some(true) if up < total => PoolState::Degraded { up, total },
            Some(true) => PoolState::Healthy { total },
            None => PoolState::Unknown,
        }
    };
    (pool.name.clone(), state)
}

fn pool_verdict(state: &PoolState) -> Verdict {
    match state {
        PoolState::Unreadable(_) => Verdict::Error,
        PoolState::Missing { .. } | PoolState::Disabled | PoolState::Unhealthy { .. } => {
            Verdict::Fail
        }
        PoolState::Unmonitored | PoolState::Degraded { .. } | PoolState::Unknown => Verdict::Warn,
        PoolState::Healthy { .. } => Verdict::Pass,
    }
}

fn operation_check(r: &RegionSnapshot, recovery: &Recovery) -> Option<Finding> {
    let (kind, raw) = r.operation()?;
    let operation = if kind == "drill" {
        Operation::Drill
    } else {
        Operation::Rollout
    };
    let v: serde_json::Value = serde_json::from_str(raw).unwrap_or_default();
    let field = |k: &str| v.get(k).and_then(|s| s.as_str()).map(str::to_owned);
    Some(Finding::new(
        Verdict::Warn,
        StatusFact::InProgress {
            operation,
            since: field("startedAt"),
            by: field("by"),
            restore: recovery.ocfail(&format!("restore --region {}", r.region.name)),
        },
    ))
}

/// The last drill's verdict and age, from `ocfail.dev/last-drill`. A failed
/// last drill is a warning: the region has not proven it can fail over.
fn last_drill_check(r: &RegionSnapshot) -> Option<Finding> {
    let v = r.last_drill()?;
    let verdict = v.get("verdict").unwrap_or("restored").to_owned();
    let age =
        v.at.and_then(|at| SystemTime::now().duration_since(at).ok())
            .map(|d| Duration::from_secs(d.as_secs()));
    let ok = verdict == "pass";
    Some(Finding::new(
        if ok { Verdict::Pass } else { Verdict::Warn },
        StatusFact::LastDrill {
            verdict,
            age,
            run: v.get("runId").map(str::to_owned),
        },
    ))
}

fn lock_check(r: &RegionSnapshot) -> Option<Finding> {
    let lease = r.lease.as_ref()?;
    let holder = lease.holder.as_deref().filter(|h| !h.is_empty())?;
    let renewed = lease
        .renew_time
        .as_deref()
        .and_then(|t| humantime::parse_rfc3339_weak(t).ok());
    let live = match (renewed, lease.duration_seconds) {
        (Some(at), Some(secs)) => {
            let age = SystemTime::now().duration_since(at).unwrap_or_default();
            age.as_secs() < u64::try_from(secs.max(0)).unwrap_or_default()
        }
        _ => true,
    };
    Some(Finding::new(
        if live { Verdict::Warn } else { Verdict::Pass },
        StatusFact::Lock {
            holder: holder.to_owned(),
            live,
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::cloudflare::{LoadBalancer, Origin};
    use crate::kube::{DeploymentState, KubeError, ServiceState};
    use crate::ops::snapshot::{CloudflareSnapshot, RegionSnapshot};
    use crate::report::model::RegionReport;

    /// `report`, in words.
    fn words(fleet: &Fleet, snap: &FleetSnapshot) -> (Vec<RegionReport>, Vec<String>) {
        let (regions, notes) = report(fleet, snap, &Recovery::default());
        (
            regions.iter().map(crate::report::words::region).collect(),
            notes.iter().map(crate::report::words::note).collect(),
        )
    }

    fn region_snap(fleet: &Fleet, i: usize, ready: i32) -> RegionSnapshot {
        let region = fleet.regions[i].clone();
        let mut selector = BTreeMap::new();
        selector.insert("ocfail.dev/color".to_owned(), "blue".to_owned());
        RegionSnapshot {
            latency_ms: Some(3),
            version: Some("v1.33.0".to_owned()),
            error: None,
            service: Some(ServiceState {
                name: region.service.clone(),
                selector,
                annotations: BTreeMap::new(),
            }),
            blue: Some(DeploymentState {
                name: format!("{}-blue", region.deployment),
                replicas: 3,
                ready,
                available: ready,
                image: "reg/openclaw-api:1.4.1".to_owned(),
                ..DeploymentState::default()
            }),
            green: None,
            lease: None,
            region,
        }
    }

    fn pool(fleet: &Fleet, i: usize, healthy: bool) -> Pool {
        let r = &fleet.regions[i];
        Pool {
            id: format!("id-{}", r.name),
            name: r.pool.clone(),
            enabled: true,
            healthy: Some(healthy),
            monitor: Some("m".to_owned()),
            origins: vec![Origin {
                name: r.name.to_string(),
                address: "a".to_owned(),
                enabled: true,
                healthy: Some(healthy),
                weight: Some(1.0),
            }],
            ..Pool::default()
        }
    }

    fn snapshot(ready: [i32; 3]) -> (Fleet, FleetSnapshot) {
        let fleet = crate::manifest::seed_fleet();
        let regions = (0..3).map(|i| region_snap(&fleet, i, ready[i])).collect();
        let pools = (0..3)
            .map(|i| pool(&fleet, i, ready[i] > 0))
            .collect::<Vec<_>>();
        let lb = LoadBalancer {
            id: "lb".to_owned(),
            name: fleet.cloudflare.load_balancer.clone(),
            enabled: Some(true),
            default_pools: pools.iter().map(|p| p.id.clone()).collect(),
            fallback_pool: pools[2].id.clone(),
            steering_policy: "off".to_owned(),
            ..LoadBalancer::default()
        };
        let snap = FleetSnapshot {
            regions,
            cloudflare: CloudflareSnapshot {
                lb: Ok(lb),
                pools: Ok(pools),
            },
            took_ms: 1,
        };
        (fleet, snap)
    }

    #[test]
    fn healthy_fleet_passes_and_survives() {
        let (fleet, snap) = snapshot([3, 3, 3]);
        let (regions, notes) = words(&fleet, &snap);
        assert!(
            regions.iter().all(|r| r.verdict == Verdict::Pass),
            "{regions:#?}"
        );
        assert!(
            regions[0].summary.contains("serving"),
            "{}",
            regions[0].summary
        );
        assert!(
            notes.contains(&"serving now: us-east-1".to_owned()),
            "{notes:?}"
        );
        assert!(
            notes.contains(&"failover target: eu-central-1".to_owned()),
            "{notes:?}"
        );
        assert!(
            notes.contains(&"survives losing any one region: yes".to_owned()),
            "{notes:?}"
        );
    }

    #[test]
    fn a_region_at_zero_fails_and_traffic_moves() {
        let (fleet, snap) = snapshot([0, 3, 3]);
        let (regions, notes) = words(&fleet, &snap);
        assert_eq!(regions[0].verdict, Verdict::Fail);
        assert_eq!(regions[1].verdict, Verdict::Pass);
        assert!(
            notes.contains(&"serving now: eu-central-1".to_owned()),
            "{notes:?}"
        );
        assert!(
            notes.contains(&"failover target: ap-southeast-2".to_owned()),
            "{notes:?}"
        );
    }

    #[test]
    fn an_unreachable_region_is_an_error_not_a_failure() {
        let (fleet, mut snap) = snapshot([3, 3, 3]);
        snap.regions[2] = crate::ops::snapshot::unreachable(
            &fleet.regions[2],
            KubeError {
                region: "ap-southeast-2".to_owned(),
                kind: KubeErrorKind::Unreachable,
                object: None,
                status: None,
                reason: None,
                message: "connection refused".to_owned(),
                hint: Some("check the context".to_owned()),
            },
        );
        let (regions, notes) = words(&fleet, &snap);
        assert_eq!(regions[2].verdict, Verdict::Error);
        assert!(regions[2].checks[0].detail.contains("connection refused"));
        assert!(
            notes.iter().any(|n| n.contains(
                "survives losing any one region: no (ap-southeast-2 could not be checked)"
            )),
            "{notes:?}"
        );
    }

    #[test]
    fn an_unrestored_drill_and_a_held_lock_are_shown_with_the_restore_command() {
        let (fleet, mut snap) = snapshot([3, 3, 3]);
        snap.regions[0].blue.as_mut().unwrap().annotations.insert(
            crate::ops::snapshot::DRILL_ANNOTATION.to_owned(),
            r#"{"runId":"r1","replicas":3,"method":"scale-to-zero","startedAt":"2026-11-28T12:00:00Z","by":"alice@host"}"#.to_owned(),
        );
        snap.regions[1].lease = Some(crate::kube::LeaseState {
            name: "ocfail-lock".to_owned(),
            holder: Some("ocfail/drill/alice@host/r1".to_owned()),
            duration_seconds: Some(30),
            renew_time: Some(humantime::format_rfc3339_micros(SystemTime::now()).to_string()),
            resource_version: None,
        });
        let (regions, _) = words(&fleet, &snap);
        let drill = regions[0]
            .checks
            .iter()
            .find(|c| c.name == "drill")
            .unwrap();
        assert_eq!(drill.verdict, Verdict::Warn);
        assert!(
            drill
                .detail
                .contains("since 2026-11-28T12:00:00Z by alice@host"),
            "{}",
            drill.detail
        );
        assert!(
            drill.detail.contains("ocfail restore --region us-east-1"),
            "{}",
            drill.detail
        );
        assert!(
            regions[0].summary.contains("drill in progress"),
            "{}",
            regions[0].summary
        );
        let lock = regions[1].checks.iter().find(|c| c.name == "lock").unwrap();
        assert_eq!(lock.detail, "locked by ocfail/drill/alice@host/r1");
    }

    #[test]
    fn the_last_drill_is_shown_with_its_verdict_and_age() {
        let (fleet, mut snap) = snapshot([3, 3, 3]);
        let at = humantime::format_rfc3339_seconds(
            SystemTime::now() - std::time::Duration::from_secs(7200),
        );
        snap.regions[0].blue.as_mut().unwrap().annotations.insert(
            crate::ops::snapshot::LAST_DRILL_ANNOTATION.to_owned(),
            format!(r#"{{"runId":"r9","verdict":"pass","at":"{at}"}}"#),
        );
        let (regions, _) = words(&fleet, &snap);
        let c = regions[0]
            .checks
            .iter()
            .find(|c| c.name == "last-drill")
            .unwrap();
        assert_eq!(c.verdict, Verdict::Pass);
        assert!(c.detail.starts_with("last drill: pass, 2h"), "{}", c.detail);
        assert!(c.detail.ends_with("(run r9)"), "{}", c.detail);
    }

    #[test]
    fn the_last_drill_is_the_newest_of_either_colour() {
        // Drilled on blue a day ago (failed), switched to green, drilled
        // green an hour ago (passed): the live colour's is not the newest
        // in general, so neither colour is preferred; `at` decides.
        let ago = |secs| {
            humantime::format_rfc3339_seconds(
                SystemTime::now() - std::time::Duration::from_secs(secs),
            )
        };
        let summary = |run: &str, verdict: &str, at: Option<String>| {
            let mut v = serde_json::json!({"runId": run, "verdict": verdict});
            if let Some(at) = at {
                v["at"] = serde_json::Value::String(at);
            }
            v.to_string()
        };
        let last = |blue: Option<String>, green: Option<String>, live: &str| {
            let (fleet, mut snap) = snapshot([3, 3, 3]);
            let r = &mut snap.regions[0];
            let mut green_d = r.blue.clone().unwrap();
            green_d.name = "openclaw-api-green".to_owned();
            r.green = Some(green_d);
            for (d, s) in [(&mut r.blue, blue), (&mut r.green, green)] {
                if let (Some(d), Some(s)) = (d.as_mut(), s) {
                    d.annotations
                        .insert(crate::ops::snapshot::LAST_DRILL_ANNOTATION.to_owned(), s);
                }
            }
            r.service
                .as_mut()
                .unwrap()
                .selector
                .insert("ocfail.dev/color".to_owned(), live.to_owned());
            let (regions, _) = words(&fleet, &snap);
            let c = regions[0]
                .checks
                .iter()
                .find(|c| c.name == "last-drill")
                .cloned();
            c.map(|c| c.detail)
        };
        let old_fail = || Some(summary("old", "fail", Some(ago(86_400).to_string())));
        let new_pass = || Some(summary("new", "pass", Some(ago(3600).to_string())));
        for live in ["blue", "green"] {
            let d = last(old_fail(), new_pass(), live).unwrap();
            assert!(
                d.starts_with("last drill: pass, 1h") && d.ends_with("(run new)"),
                "{live}: {d}"
            );
            let d = last(new_pass(), old_fail(), live).unwrap();
            assert!(d.ends_with("(run new)"), "{live}: {d}");
        }
        // Only the idle colour has one: it is still shown.
        let d = last(None, new_pass(), "blue").unwrap();
        assert!(d.ends_with("(run new)"), "{d}");
        // A summary without a time is older than one with.
        let d = last(Some(summary("undated", "pass", None)), old_fail(), "blue").unwrap();
        assert!(d.ends_with("(run old)"), "{d}");
        assert_eq!(last(None, None, "blue"), None);
    }
}
