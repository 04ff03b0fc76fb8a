//! Rollouts in-process, against the fakes of `ops/fake.rs` under Tokio's
//! paused clock: the supervisor's cells, 409 Conflicts, and exit codes.

use std::time::Duration;

use crate::exit_code;
use crate::facts::Step;
use crate::facts::{Findings, Run};
use crate::kube::KubeErrorKind;
use crate::ops::fake::{FakeFleet, Fault};
use crate::ops::supervise::Supervisor;
use crate::report::model::Report;
use crate::signal::{SignalEvent, SignalHandler};

use super::{RolloutOptions, run};

const NEW: &str = "registry.example/openclaw-api:1.5.0";

fn opts(image: Option<&str>) -> RolloutOptions {
    RolloutOptions {
        image: image.map(str::to_owned),
        regions: None,
        dry_run: false,
        keep_previous: false,
        guard_overrides: Vec::new(),
        run_id: "r1".to_owned(),
    }
}

async fn rollout(world: &FakeFleet, o: &RolloutOptions, signals: &[(u64, SignalEvent)]) -> Report {
    let c = world.clients();
    let (mut handler, tx) = SignalHandler::channel();
    for &(ms, s) in signals {
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            tx.send(s);
        });
    }
    let mut progress = |_: &str, _: &Step| {};
    let findings: Findings = {
        let mut sup = Supervisor::new(&mut handler, &mut progress);
        run(&c, o, &mut sup).await
    };
    crate::report::words::conclude(&Run::start("rollout", "t"), findings)
}

/// Every region's live colour and image.
fn live(world: &FakeFleet) -> Vec<String> {
    world
        .kube
        .iter()
        .map(|k| {
            let s = k.state();
            let colour = s.services["openclaw-api"].selector["ocfail.dev/color"].clone();
            let image = s.deployments[&format!("openclaw-api-{colour}")]
                .image
                .clone();
            format!("{colour} {image}")
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_good_image_is_promoted_everywhere_and_the_records_are_gone() {
    let world = FakeFleet::seed();
    let r = rollout(&world, &opts(Some(NEW)), &[]).await;
    assert_eq!(r.exit_code, exit_code::OK, "{r:#?}");
    assert_eq!(live(&world), vec![format!("green {NEW}"); 3]);
    assert!(
        !world.world().contains("ocfail.dev/rollout"),
        "{}",
        world.world()
    );
    assert!(!world.world().contains("lease"), "{}", world.world());
}

#[tokio::test(start_paused = true)]
async fn conflicts_on_every_kind_of_write_are_retried_not_failed() {
    let world = FakeFleet::seed();
    for k in &world.kube {
        // A real API server bumps resourceVersion on every write, the
        // controllers' too: a read-modify-write meets 409s in passing.
        k.set_fault(Fault {
            conflicts: 3,
            ..Fault::default()
        });
    }
    let r = rollout(&world, &opts(Some(NEW)), &[]).await;
    assert_eq!(r.exit_code, exit_code::OK, "{r:#?}");
    assert_eq!(live(&world), vec![format!("green {NEW}"); 3]);
}

#[tokio::test(start_paused = true)]
async fn a_signal_before_the_lock_changes_nothing() {
    for s in [
        SignalEvent::Interrupt,
        SignalEvent::Terminate,
        SignalEvent::Hangup,
    ] {
        let world = FakeFleet::seed();
        for k in &world.kube {
            k.set_fault(Fault {
                latency: Duration::from_secs(2),
                ..Fault::default()
            });
        }
        let before = world.world();
        let r = rollout(&world, &opts(Some(NEW)), &[(500, s)]).await;
        assert_eq!(r.exit_code, exit_code::INTERRUPTED, "{r:#?}");
        assert_eq!(world.world(), before);
        assert!(
            world.kube.iter().all(|k| k.state().writes.is_empty()),
            "{s:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_signal_mid_wave_switches_every_changed_region_back() {
    for s in [
        SignalEvent::Interrupt,
        SignalEvent::Terminate,
        SignalEvent::Hangup,
    ] {
        let world = FakeFleet::seed();
        for k in &world.kube {
            k.set_fault(Fault {
                latency: Duration::from_secs(1),
                ..Fault::default()
            });
        }
        let before = world.world();
        // Reads and the lock take ~6 s; wave 1 (ap-southeast-2) is then
        // well under way at 15 s.
        let r = rollout(&world, &opts(Some(NEW)), &[(15_000, s)]).await;
        assert_eq!(r.exit_code, exit_code::INTERRUPTED, "{s:?}: {r:#?}");
        assert_eq!(world.world(), before, "{s:?}");
        assert!(
            world.region("ap-southeast-2").state().writes.len() > 2,
            "the signal landed after changes began"
        );
        assert!(
            r.notes.iter().any(|n| n.contains(s.name())),
            "{:?}",
            r.notes
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_second_signal_leaves_the_records_and_the_exact_restore_command() {
    let world = FakeFleet::seed();
    for k in &world.kube {
        k.set_fault(Fault {
            latency: Duration::from_secs(1),
            ..Fault::default()
        });
    }
    let r = rollout(
        &world,
        &opts(Some(NEW)),
        &[
            (15_000, SignalEvent::Interrupt),
            (15_500, SignalEvent::Interrupt),
        ],
    )
    .await;
    assert_eq!(r.exit_code, exit_code::RESTORE_INCOMPLETE, "{r:#?}");
    let text = format!("{r:?}");
    assert!(
        text.contains("/usr/local/bin/ocfail -f /etc/ocfail/fleet.yaml restore"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_region_is_could_not_check() {
    let world = FakeFleet::seed();
    world.region("eu-central-1").set_fault(Fault {
        error: Some(KubeErrorKind::Unreachable),
        ..Fault::default()
    });
    let r = rollout(&world, &opts(Some(NEW)), &[]).await;
    assert_eq!(r.exit_code, exit_code::UNAVAILABLE, "{r:#?}");
}

mod prometheus {
    //! The rollout's Prometheus checks against an in-memory [`Metrics`].

    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use std::time::SystemTime;

    use super::*;
    use crate::manifest::{AlertMatcher, CompareOp, Guard, GuardWhen};
    use crate::prometheus::{
        ActiveAlert, AlertSource, AlertState, Metrics, PromError, RangeSeries, Sample,
    };

    /// Answers every instant query with `value` (no series for `None`) and
    /// reports `alerts`; records the queries asked.
    #[derive(Default)]
    struct Prom {
        value: Mutex<Option<f64>>,
        alerts: Vec<ActiveAlert>,
        asked: Mutex<Vec<String>>,
    }

    impl Prom {
        fn answering(value: Option<f64>) -> Arc<Self> {
            Arc::new(Prom {
                value: Mutex::new(value),
                ..Prom::default()
            })
        }

        fn asked(&self) -> Vec<String> {
            self.asked.lock().unwrap().clone()
        }
    }

    impl Metrics for Prom {
        async fn query(&self, promql: &str) -> Result<Vec<Sample>, PromError> {
            self.asked.lock().unwrap().push(promql.to_owned());
            Ok(self
                .value
                .lock()
                .unwrap()
                .map(|value| {
                    vec![Sample {
                        labels: BTreeMap::new(),
                        value,
                    }]
                })
                .unwrap_or_default())
        }

        async fn query_range(
            &self,
            promql: &str,
            _: SystemTime,
            _: SystemTime,
            _: Duration,
        ) -> Result<Vec<RangeSeries>, PromError> {
            self.asked.lock().unwrap().push(promql.to_owned());
            Ok(Vec::new())
        }

        async fn alerts(&self) -> Result<Vec<ActiveAlert>, PromError> {
            Ok(self.alerts.clone())
        }

        async fn alert_rules(&self) -> Result<Vec<String>, PromError> {
            Ok(Vec::new())
        }
    }

    const ERRORS: &str =
        "sum(rate(openclaw_requests_total{region={region},color={color},code=~\"5..\"}[1m]))";

    fn guard(name: &str, when: GuardWhen) -> Guard {
        Guard {
            name: name.to_owned(),
            query: ERRORS.to_owned(),
            op: CompareOp::Lt,
            value: 0.5,
            for_: Duration::ZERO,
            when,
        }
    }

    fn with_analysis() -> FakeFleet {
        let mut world = FakeFleet::seed();
        world.fleet.rollout.analysis = vec![guard("errors", GuardWhen::During)];
        world
    }

    async fn rollout_with(
        world: &FakeFleet,
        o: &RolloutOptions,
        p: Option<Result<Arc<Prom>, PromError>>,
    ) -> Report {
        let c = world.clients();
        let (mut handler, _tx) = SignalHandler::channel();
        let mut progress = |_: &str, _: &Step| {};
        let findings: Findings = {
            let mut sup = Supervisor::new(&mut handler, &mut progress);
            super::super::run_with(&c, p, o, &mut sup).await
        };
        crate::report::words::conclude(&Run::start("rollout", "t"), findings)
    }

    #[tokio::test(start_paused = true)]
    async fn an_analysis_that_holds_promotes_and_shows_the_filled_query() {
        let world = with_analysis();
        let p = Prom::answering(Some(0.0));
        let r = rollout_with(&world, &opts(Some(NEW)), Some(Ok(Arc::clone(&p)))).await;
        assert_eq!(r.exit_code, exit_code::OK, "{r:#?}");
        assert_eq!(live(&world), vec![format!("green {NEW}"); 3]);
        let text = format!("{r:?}");
        assert!(text.contains("held (analysis"), "{text}");
        // Bound to each region and its new colour.
        assert!(
            p.asked()
                .iter()
                .any(|q| q.contains(r#"region="eu-central-1",color="green""#)),
            "{:?}",
            p.asked()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_breaching_analysis_rolls_back_every_promoted_region_and_fails() {
        let world = with_analysis();
        let before = world.world();
        let p = Prom::answering(Some(3.0));
        let r = rollout_with(&world, &opts(Some(NEW)), Some(Ok(p))).await;
        assert_eq!(r.exit_code, exit_code::FAILED, "{r:#?}");
        assert_eq!(world.world(), before);
        let text = format!("{r:?}");
        assert!(text.contains("breached"), "{text}");
        assert!(text.contains("= 3; must be < 0.5"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_analysis_without_data_does_not_promote_silently() {
        let world = with_analysis();
        let before = world.world();
        let r = rollout_with(&world, &opts(Some(NEW)), Some(Ok(Prom::answering(None)))).await;
        assert_eq!(r.exit_code, exit_code::INCONCLUSIVE, "{r:#?}");
        assert_eq!(world.world(), before);
    }

    fn firing(name: &str) -> ActiveAlert {
        ActiveAlert {
            labels: BTreeMap::from([("alertname".to_owned(), name.to_owned())]),
            state: AlertState::Firing,
            since: None,
            source: AlertSource::Prometheus,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_firing_blocking_alert_refuses_unless_overridden() {
        let mut world = FakeFleet::seed();
        world.fleet.rollout.blocking_alerts = vec![AlertMatcher("IncidentOpen".to_owned())];
        let p = Arc::new(Prom {
            alerts: vec![firing("IncidentOpen")],
            ..Prom::default()
        });
        let before = world.world();
        let r = rollout_with(&world, &opts(Some(NEW)), Some(Ok(Arc::clone(&p)))).await;
        assert_eq!(r.exit_code, exit_code::REFUSED, "{r:#?}");
        assert_eq!(world.world(), before);
        assert!(world.kube.iter().all(|k| k.state().writes.is_empty()));

        let mut o = opts(Some(NEW));
        o.guard_overrides = vec![(
            "IncidentOpen".to_owned(),
            "the incident is this fix".to_owned(),
        )];
        let r = rollout_with(&world, &o, Some(Ok(p))).await;
        assert_eq!(r.exit_code, exit_code::OK, "{r:#?}");
        assert_eq!(live(&world), vec![format!("green {NEW}"); 3]);
        assert!(format!("{r:?}").contains("the incident is this fix"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_rollback_is_never_held_up_by_a_blocking_alert() {
        let mut world = FakeFleet::seed();
        world.fleet.rollout.blocking_alerts = vec![AlertMatcher("IncidentOpen".to_owned())];
        let p = Arc::new(Prom {
            alerts: vec![firing("IncidentOpen")],
            ..Prom::default()
        });
        let mut o = opts(Some(NEW));
        o.guard_overrides = vec![("IncidentOpen".to_owned(), "testing".to_owned())];
        let r = rollout_with(&world, &o, Some(Ok(Arc::clone(&p)))).await;
        assert_eq!(r.exit_code, exit_code::OK, "{r:#?}");
        let r = rollout_with(&world, &opts(None), Some(Ok(p))).await;
        assert_eq!(r.exit_code, exit_code::OK, "{r:#?}");
        assert!(!format!("{r:?}").contains("IncidentOpen"), "{r:#?}");
        assert_eq!(
            live(&world),
            vec!["blue registry.example/openclaw-api:1.4.2".to_owned(); 3]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_breached_before_guard_refuses_and_no_data_is_inconclusive() {
        for (value, code) in [
            (Some(3.0), exit_code::REFUSED),
            (None, exit_code::INCONCLUSIVE),
        ] {
            let mut world = FakeFleet::seed();
            world.fleet.rollout.guards = vec![guard("calm", GuardWhen::Before)];
            let before = world.world();
            let r = rollout_with(&world, &opts(Some(NEW)), Some(Ok(Prom::answering(value)))).await;
            assert_eq!(r.exit_code, code, "{value:?}: {r:#?}");
            assert_eq!(world.world(), before);
            assert!(world.kube.iter().all(|k| k.state().writes.is_empty()));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_prometheus_client_is_could_not_check_and_changes_nothing() {
        let world = with_analysis();
        let before = world.world();
        let e = PromError::Credentials {
            var: "PROM_TOKEN".to_owned(),
        };
        let r = rollout_with(&world, &opts(Some(NEW)), Some(Err(e))).await;
        assert_eq!(r.exit_code, exit_code::UNAVAILABLE, "{r:#?}");
        assert_eq!(world.world(), before);
        assert!(format!("{r:?}").contains("PROM_TOKEN"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_dry_run_shows_the_filled_queries_without_asking_them() {
        let mut world = with_analysis();
        world.fleet.rollout.guards = vec![guard("later", GuardWhen::After)];
        let p = Prom::answering(Some(0.0));
        let mut o = opts(Some(NEW));
        o.dry_run = true;
        let r = rollout_with(&world, &o, Some(Ok(Arc::clone(&p)))).await;
        assert_eq!(r.exit_code, exit_code::OK, "{r:#?}");
        assert!(p.asked().is_empty(), "{:?}", p.asked());
        let text = format!("{r:?}");
        assert!(
            text.contains(r#"region=\"eu-central-1\",color=\"green\""#),
            "{text}"
        );
        assert!(text.contains("dry run, not evaluated"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_breached_after_guard_fails_but_keeps_the_promotion() {
        let mut world = FakeFleet::seed();
        world.fleet.rollout.guards = vec![guard("settled", GuardWhen::After)];
        let r = rollout_with(
            &world,
            &opts(Some(NEW)),
            Some(Ok(Prom::answering(Some(3.0)))),
        )
        .await;
        assert_eq!(r.exit_code, exit_code::FAILED, "{r:#?}");
        assert_eq!(live(&world), vec![format!("green {NEW}"); 3]);
        assert!(
            r.notes.iter().any(|n| n.contains("stays live")),
            "{:?}",
            r.notes
        );
    }
}
