//! `ocfail practice` (docs/practice.md): made to be run by a CronJob every
//! few minutes. It reads the history, decides whether a drill is due (the
//! region practised longest ago, inside a window that outlasts the drill's
//! worst case, not on a blocked date, with no other run holding the lock
//! and no blocking alert firing) and, when one is, runs it as `drill` does,
//! recorded in the history as a practice run. "Not now" is exit 0 with a
//! `skipped` verdict and the reason; only what could not be checked (a
//! history or monitor that cannot be read) is exit 3.

use std::time::Duration;

use jiff::Timestamp;

use crate::cli::Invocation;
use crate::cli::invocation::DrillCommand;
use crate::cloudflare::Pools;
use crate::errors::Error;
use crate::exit_code;
use crate::facts::history::PracticeMark;
use crate::facts::practice::{Decision, PracticeNote, Reason};
use crate::facts::{Findings, Note, Verdict};
use crate::kube::Workloads;
use crate::manifest::{NotifyOn, Practice, RegionName};
use crate::ops::budget;
use crate::ops::clients::Clients;
use crate::ops::guards::{self, Bindings};
use crate::ops::history;
use crate::ops::practice::last::last_practised;
use crate::ops::practice::schedule::Schedule;

use super::history::{Recorder, Subject};
use super::job::{self, Job};
use super::notify::Notifier;
use super::{Streams, fleet};

/// Runs `ocfail practice [--now] [--dry-run]`.
pub fn command(
    inv: &Invocation,
    force: bool,
    dry_run: bool,
    streams: Streams,
) -> Result<u8, Error> {
    let (fleet, streams) = fleet::resolve(inv, streams)?;
    let Some(practice) = fleet.practice.clone() else {
        return Err(Error::Usage {
            message: "run practice: the manifest has no `practice:` section, so nothing says how often to drill"
                .to_owned(),
            hint: "add e.g. `practice: {every: 7d, windows: [\"Tue-Thu 10:00-16:00 UTC\"]}` \
                   (docs/practice.md)"
                .to_owned(),
        });
    };
    let mut reporter = super::reporter(inv, streams, false);
    let runtime = super::runtime()?;
    runtime.block_on(async {
        // Like every command that may change the fleet, it owns its
        // signals from the start: one that arrives before the drill began
        // changes nothing.
        let mut signals = if dry_run {
            None
        } else {
            Some(super::signals()?)
        };
        let c = job::connect_for(inv, &fleet, inv.sim).await?;
        let result = async {
            let run = job::started(&mut reporter, "practice", &c.fleet)?;
            let note = decide(&c, &practice, force, dry_run).await;
            let Decision::Run { region, forced, .. } = note.decision.clone() else {
                let unchecked = matches!(&note.decision, Decision::Skip(r) if r.unchecked());
                let findings = Findings {
                    notes: vec![Note::Practice(Box::new(note))],
                    exit_code: unchecked.then_some(exit_code::UNAVAILABLE),
                    ..Findings::default()
                };
                return job::report(&mut reporter, &run, findings, inv.sim).map(|r| r.exit_code);
            };
            let drill = Job::Drill(Box::new(DrillCommand {
                region: region.to_string(),
                hold: None,
                method: None,
                dry_run,
                yes: true,
                overrides: Vec::new(),
            }));
            let subject = (!dry_run).then(|| Subject {
                command: "practice".to_owned(),
                regions: vec![region.to_string()],
                drilled: Some(region.to_string()),
                image: None,
                practice: Some(PracticeMark { forced }),
            });
            let mut recorder = Recorder::begin(&c, &run, subject).await;
            if !dry_run && !recorder.started_everywhere() {
                // A practice run that cannot record itself would be due
                // again ten minutes later: drill nothing.
                let problems = recorder.unwritten();
                let note = PracticeNote {
                    decision: Decision::Skip(Reason::HistoryUnwritable { regions: problems }),
                    ..note
                };
                let findings = Findings {
                    notes: vec![Note::Practice(Box::new(note))],
                    exit_code: Some(exit_code::UNAVAILABLE),
                    ..Findings::default()
                };
                let mut report = job::conclude(&run, findings, inv.sim);
                recorder.finish(&c, &mut report).await;
                return job::emit(&mut reporter, report).map(|r| r.exit_code);
            }
            // Only a decision that ran a drill is told to the notify targets.
            let notifier = if dry_run {
                None
            } else {
                Notifier::start(&c.fleet, NotifyOn::Practice, &run, Some(region.as_str()))
            };
            let observer = notifier.as_ref().map(Notifier::observer);
            let mut findings = job::perform_observed(
                inv,
                &c,
                &drill,
                &run,
                &mut reporter,
                signals.as_mut(),
                observer.as_ref(),
            )
            .await?;
            findings.notes.insert(0, Note::Practice(Box::new(note)));
            recorder.observe(&findings);
            let mut findings = job::simulated(findings, inv.sim);
            if let Some(n) = notifier {
                n.finish(&run, &mut findings).await;
            }
            let mut report = crate::report::words::conclude(&run, findings);
            recorder.finish(&c, &mut report).await;
            job::emit(&mut reporter, report).map(|r| r.exit_code)
        }
        .await;
        c.close().await;
        result
    })
}

/// What practice decides now, and on what.
pub async fn decide<W, P>(
    c: &Clients<W, P>,
    practice: &Practice,
    force: bool,
    dry_run: bool,
) -> PracticeNote
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    let now = Timestamp::now();
    let mut note = PracticeNote {
        decision: Decision::Skip(Reason::NoRegions),
        dry_run,
        last: Vec::new(),
        worst_case: None,
    };
    let histories = history::read(c).await;
    let unreadable: Vec<_> = histories
        .iter()
        .filter(|(r, _)| practice.regions.iter().any(|p| p.as_str() == r))
        .filter_map(|(r, h)| h.as_ref().err().map(|p| (r.clone(), p.clone())))
        .collect();
    let entries = history::merged(histories.iter().filter_map(|(_, h)| h.as_ref().ok()));
    let last = last_practised(&practice.regions, &entries);
    note.last = practice
        .regions
        .iter()
        .map(|r| (r.clone(), last.get(r).copied()))
        .collect();
    if !unreadable.is_empty() {
        note.decision = Decision::Skip(Reason::HistoryUnreadable {
            regions: unreadable,
        });
        return note;
    }
    let schedule = Schedule::new(practice);
    let Some(next) = schedule.rotation(&last).into_iter().next() else {
        return note;
    };
    let worst_case = match worst_case(c, &next).await {
        Ok(d) => d,
        Err(problem) => {
            note.decision = Decision::Skip(Reason::MonitorUnreadable { problem });
            return note;
        }
    };
    note.worst_case = Some(worst_case);
    note.decision = schedule.decide(now, &last, worst_case, force);
    if let Decision::Run { region, .. } = &note.decision
        && let Some(reason) = busy(c, region).await
    {
        note.decision = Decision::Skip(reason);
    }
    note
}

/// The drill's worst case for `region`: failover + hold + recover, from
/// the pool's monitor as the drill computes its deadlines.
async fn worst_case<W, P>(
    c: &Clients<W, P>,
    region: &RegionName,
) -> Result<Duration, crate::facts::api::ApiProblem>
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    let fleet = &c.fleet;
    let cf = c
        .cloudflare
        .as_ref()
        .map_err(crate::ops::describe::cf_problem)?;
    let Some(r) = fleet.region(region.as_str()) else {
        return Err(crate::facts::api::ApiProblem {
            message: format!("{region} is not a region of the fleet"),
            hint: None,
        });
    };
    let pool = cf
        .pool(&r.pool)
        .await
        .map_err(|e| crate::ops::describe::cf_problem(&e))?;
    let b = match pool.monitor.as_deref().filter(|m| !m.is_empty()) {
        Some(id) => {
            let m = cf
                .monitor(id)
                .await
                .map_err(|e| crate::ops::describe::cf_problem(&e))?;
            budget::for_fleet(fleet, &m)
        }
        // No monitor: the drill refuses anyway; its own fallback deadlines.
        None => budget::for_fleet(fleet, &crate::cloudflare::Monitor::cloudflare_default()),
    };
    Ok(b.failover
        .saturating_add(fleet.drill.hold)
        .saturating_add(b.recover))
}

/// Why a drill of `region` must not start now though it is due: another
/// run holds the lock, or a blocking alert fires. An unreadable lock or
/// Prometheus is left to the drill, which refuses with the facts.
async fn busy<W, P>(c: &Clients<W, P>, region: &RegionName) -> Option<Reason>
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    if let Some(run) = super::history::live_runs(c).await.into_iter().next() {
        return Some(Reason::Locked { run });
    }
    let Some(Ok(m)) = c.prometheus.as_ref() else {
        return None;
    };
    let b = Bindings::drill(region.as_str(), None);
    let firing: Vec<String> = guards::blocking(m.as_ref(), &c.fleet.drill.blocking_alerts, &b, &[])
        .await
        .into_iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .filter_map(|f| match f.fact {
            crate::facts::Fact::Guard(crate::facts::guards::GuardFact::Blocking(seen)) => {
                Some(seen.name().to_owned())
            }
            _ => None,
        })
        .collect();
    (!firing.is_empty()).then_some(Reason::BlockingAlert { alerts: firing })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::history::{Entry, RunState};
    use crate::kube::LeaseState;
    use crate::ops::fake::{FakeFleet, Fault};

    /// The seed fleet, faked, practised weekly at any time.
    fn world() -> FakeFleet {
        let mut f = FakeFleet::seed();
        f.fleet.practice = Some(Practice {
            every: Duration::from_secs(7 * 86_400),
            regions: f.fleet.regions.iter().map(|r| r.name.clone()).collect(),
            windows: Vec::new(),
            blocked_dates: Vec::new(),
        });
        f
    }

    fn practice(f: &FakeFleet) -> Practice {
        f.fleet.practice.clone().unwrap()
    }

    async fn practised(f: &FakeFleet, region: &str, ago: Duration) {
        let start = Timestamp::now() - jiff::SignedDuration::try_from(ago).unwrap();
        let e = Entry {
            run_id: format!("{}-000001", region),
            command: "practice".into(),
            started_at: start.to_string(),
            state: RunState::Finished,
            exit_code: Some(0),
            regions: vec![region.into()],
            drilled: Some(region.into()),
            ..Entry::default()
        };
        assert!(history::record(&f.clients(), &e).await.is_empty());
    }

    #[tokio::test]
    async fn a_region_never_practised_is_drilled_first_with_the_60s_monitor_budget() {
        // Also: drills are spaced every ÷ regions apart, 2d 8h for 7d and three.
        assert_eq!(
            Schedule::new(&practice(&world())).spacing(),
            Duration::from_secs(7 * 86_400 / 3)
        );
        let f = world();
        let note = decide(&f.clients(), &practice(&f), false, false).await;
        let Decision::Run { region, forced, .. } = &note.decision else {
            panic!("{note:?}")
        };
        assert_eq!(region.as_str(), "us-east-1");
        assert!(!forced);
        // Cloudflare's real monitor: 60s × 2 + 5s × 3 + 30s to fail over,
        // the seed's hold, and readyTimeout + 60s × 2 + 30s to recover.
        let fleet = &f.fleet;
        let want = Duration::from_secs(165)
            + fleet.drill.hold
            + fleet.rollout.ready_timeout
            + Duration::from_secs(150);
        assert_eq!(note.worst_case, Some(want));
        assert!(note.last.iter().all(|(_, t)| t.is_none()));
    }

    #[tokio::test]
    async fn the_region_practised_longest_ago_goes_next_and_recent_ones_are_not_due() {
        let f = world();
        practised(&f, "us-east-1", Duration::from_secs(3 * 86_400)).await;
        practised(&f, "ap-southeast-2", Duration::from_secs(5 * 86_400)).await;
        let note = decide(&f.clients(), &practice(&f), false, false).await;
        let Decision::Run { region, .. } = &note.decision else {
            panic!("{note:?}")
        };
        assert_eq!(
            region.as_str(),
            "eu-central-1",
            "never practised goes first"
        );

        practised(&f, "eu-central-1", Duration::from_secs(60)).await;
        let note = decide(&f.clients(), &practice(&f), false, false).await;
        let Decision::Skip(Reason::NotDue { region, next_due }) = &note.decision else {
            panic!("{note:?}")
        };
        assert_eq!(region.as_str(), "ap-southeast-2");
        let in_2_days = Timestamp::now() + jiff::SignedDuration::from_hours(2 * 24);
        assert!(
            (*next_due - in_2_days).get_seconds().abs() < 60,
            "{next_due}"
        );

        let forced = decide(&f.clients(), &practice(&f), true, false).await;
        assert!(
            matches!(&forced.decision, Decision::Run { region, forced: true, .. } if region.as_str() == "ap-southeast-2"),
            "{forced:?}"
        );
    }

    #[tokio::test]
    async fn another_runs_lock_skips_even_when_forced() {
        let f = world();
        f.region("eu-central-1").state().leases.insert(
            "ocfail-lock".into(),
            LeaseState {
                name: "ocfail-lock".into(),
                holder: Some("ocfail/rollout/ci@runner/20261202t100000-00beef".into()),
                duration_seconds: Some(30),
                renew_time: Some(jiff::Timestamp::now().to_string()),
                resource_version: Some("1".into()),
            },
        );
        let note = decide(&f.clients(), &practice(&f), true, false).await;
        assert_eq!(
            note.decision,
            Decision::Skip(Reason::Locked {
                run: "20261202t100000-00beef".into()
            })
        );
    }

    #[tokio::test]
    async fn an_unreadable_history_is_could_not_check() {
        let f = world();
        f.region("ap-southeast-2").set_fault(Fault {
            error: Some(crate::kube::KubeErrorKind::Unreachable),
            ..Fault::default()
        });
        let note = decide(&f.clients(), &practice(&f), false, false).await;
        let Decision::Skip(reason) = &note.decision else {
            panic!("{note:?}")
        };
        assert!(
            matches!(reason, Reason::HistoryUnreadable { regions } if regions[0].0 == "ap-southeast-2")
        );
        assert!(reason.unchecked());
    }

    #[tokio::test]
    async fn failed_refused_and_dry_drills_do_not_count_as_practice() {
        let f = world();
        let mut refused = Entry {
            run_id: "20261202t100000-000002".into(),
            command: "drill".into(),
            started_at: Timestamp::now().to_string(),
            state: RunState::Finished,
            exit_code: Some(5),
            regions: vec!["us-east-1".into()],
            drilled: Some("us-east-1".into()),
            ..Entry::default()
        };
        history::record(&f.clients(), &refused).await;
        refused.run_id = "20261202t100000-000003".into();
        refused.exit_code = Some(1);
        refused.drilled = Some("eu-central-1".into());
        refused.regions = vec!["eu-central-1".into()];
        history::record(&f.clients(), &refused).await;
        let note = decide(&f.clients(), &practice(&f), false, false).await;
        // us-east-1's refused drill does not count, so it is next; eu-central-1's
        // failed one does, so the fleet's drills are spaced from it.
        let Decision::Skip(Reason::NotDue { region, next_due }) = &note.decision else {
            panic!("{note:?}")
        };
        assert_eq!(region.as_str(), "us-east-1");
        let spaced = Timestamp::now() + jiff::SignedDuration::from_secs(7 * 86_400 / 3);
        assert!((*next_due - spaced).get_seconds().abs() < 60, "{next_due}");
        assert!(
            note.last
                .iter()
                .any(|(r, t)| r.as_str() == "eu-central-1" && t.is_some())
        );
    }
}
