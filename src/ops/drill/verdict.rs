//! Step 8 of the drill: the verdicts. The drilled region passes when
//! failover and recovery were within the budget and the error rate within
//! `maxErrorRate`; the others when they stayed healthy and the expected one
//! took the traffic.

use std::time::{Duration, SystemTime};

use crate::facts::api::ApiProblem;
use crate::facts::drill::{
    Aside, DrillFact, DrillSummary, JudgedPhase, OutageLost, OutageSeen, PhaseJudgement, Stayed,
    Stop, Timing, TimingSeen, Took,
};
use crate::facts::{Finding, RegionFindings, TrafficSummary, Verdict};
use crate::manifest::Fleet;

use super::super::budget::Budget;
use super::super::describe::{cf_problem, kube_problem};
use super::super::snapshot::FleetSnapshot;
use super::super::status::pool_facts;
use super::super::traffic::phases::{Phase, Split};
use super::ms;

pub(super) use crate::facts::drill::Timings;

/// How the drill went, as far as the verdict is concerned.
pub(super) struct Ended<'a> {
    /// The measured times.
    pub timings: Timings,
    /// The failover and recovery deadlines.
    pub budget: Budget,
    /// The traffic by phase, when there was traffic.
    pub split: Option<&'a Split>,
    /// The longest user-visible outage allowed (`drill.maxOutage`).
    pub max_outage: Duration,
    /// The outage was injected; when not, an API call failed first.
    pub injected: bool,
    /// Why the drill stopped early (a signal, a lost lock).
    pub stopped: Option<Stop>,
    /// The record is left for `ocfail restore`.
    pub restore_incomplete: bool,
    /// Cloudflare could not be read while waiting for failover: why.
    pub blind: Option<ApiProblem>,
    /// Cloudflare could not be read while waiting for recovery: why.
    pub recovery_blind: Option<ApiProblem>,
    /// The command that finishes an incomplete restore.
    pub restore_command: String,
}

/// The drilled region's verdict.
///
/// Only what was observed can fail: a drill stopped early, or one that
/// could not read Cloudflare, says so (inconclusive, error) instead of
/// failing timings nobody could measure.
pub(super) fn of(fleet: &Fleet, e: &Ended<'_>) -> Verdict {
    let t = e.timings;
    let over = |d: Option<Duration>, budget: Duration| d.is_some_and(|d| d > budget);
    let measured_fail = over(t.shifted, e.budget.failover)
        || over(t.recovered, e.budget.recover)
        || phase_checks(fleet, e)
            .iter()
            .any(|c| c.verdict == Verdict::Fail);
    // An API error before the outage took effect is "could not check" (3),
    // not "the fault never took effect" (4).
    if e.restore_incomplete || !e.injected {
        Verdict::Error
    } else if e.stopped == Some(Stop::GuardBreached) {
        // The guard saw harm while the region was down: an observed failure.
        Verdict::Fail
    } else if t.unhealthy.is_none() {
        // The fault never showed: the monitor did not see it (4), or
        // Cloudflare could not be read to tell (3).
        if e.blind.is_some() && e.stopped.is_none() {
            Verdict::Error
        } else {
            Verdict::Inconclusive
        }
    } else if measured_fail {
        Verdict::Fail
    } else if e.stopped.is_some() {
        Verdict::Inconclusive
    } else if t.shifted.is_none() {
        Verdict::Fail
    } else if t.recovered.is_none() && e.recovery_blind.is_some() {
        Verdict::Error
    } else if t.recovered.is_none() {
        Verdict::Fail
    } else {
        Verdict::Pass
    }
}

/// The drilled region's report: `checks` so far, then one per timing and
/// the traffic's.
pub(super) fn drilled(
    fleet: &Fleet,
    name: &str,
    verdict: Verdict,
    mut checks: Vec<Finding>,
    e: &Ended<'_>,
) -> RegionFindings {
    let t = e.timings;
    for (timing, d, budget, blind) in [
        (Timing::Unhealthy, t.unhealthy, e.budget.failover, &e.blind),
        (Timing::Shifted, t.shifted, e.budget.failover, &e.blind),
        (
            Timing::Recovered,
            t.recovered,
            e.budget.recover,
            &e.recovery_blind,
        ),
    ] {
        let (verdict, seen) = match (d, e.stopped, blind) {
            (Some(d), _, _) => measured(timing, Some(d), budget),
            // Nothing was injected, or the drill stopped first: not
            // measured is not failed.
            (None, _, _) if !e.injected || e.restore_incomplete => {
                (Verdict::Skipped, TimingSeen::NotInjected)
            }
            (None, Some(stop), _) => (Verdict::Skipped, TimingSeen::Stopped(stop)),
            (None, None, Some(why)) => (Verdict::Error, TimingSeen::Blind(why.clone())),
            (None, None, None) => measured(timing, None, budget),
        };
        checks.push(Finding::new(verdict, DrillFact::Timing { timing, seen }));
    }
    checks.extend(phase_checks(fleet, e));
    let mut report = RegionFindings::from_checks(name, summary(verdict, e), checks);
    // "Never went unhealthy" is inconclusive even though later timings then
    // fail; an error says the drill could not run, whatever the timings say.
    if verdict == Verdict::Inconclusive || verdict == Verdict::Error {
        report.verdict = verdict;
    } else {
        report.verdict = report.verdict.max(verdict);
    }
    report.summary = summary(report.verdict, e).into();
    for (key, d) in [
        ("unhealthyAfterMs", t.unhealthy),
        ("shiftedAfterMs", t.shifted),
        ("recoveredAfterMs", t.recovered),
        ("budgetFailoverMs", Some(e.budget.failover)),
        ("budgetRecoverMs", Some(e.budget.recover)),
    ] {
        if let Some(d) = d {
            report.timings.insert(key.to_owned(), ms(d));
        }
    }
    report
}

/// The `ocfail.dev/last-drill` annotation: the verdict and the timings.
pub(super) fn last_drill(run_id: &str, verdict: Verdict, t: Timings) -> String {
    serde_json::json!({
        "runId": run_id,
        "verdict": verdict.as_str(),
        "unhealthyAfterMs": t.unhealthy.map(ms),
        "shiftedAfterMs": t.shifted.map(ms),
        "recoveredAfterMs": t.recovered.map(ms),
        "at": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
    })
    .to_string()
}

/// Every region's report in manifest order: `drilled` for the drilled one,
/// and for the others whether they stayed healthy and (the expected
/// receiver) took the traffic. A region that could not be read afterwards
/// (`after` is `None` when the drill was abandoned) is inconclusive: no
/// region nobody observed fails.
pub(super) fn fleet_reports(
    fleet: &Fleet,
    after: Option<&FleetSnapshot>,
    drilled: RegionFindings,
    receiver: Option<&str>,
    shifted: bool,
    traffic: Option<&TrafficSummary>,
) -> Vec<RegionFindings> {
    let name = drilled.region.clone();
    let mut drilled = Some(drilled);
    let mut regions = Vec::new();
    for region in fleet.regions.iter().map(|r| r.name.as_str()) {
        if region == name {
            regions.extend(drilled.take());
            continue;
        }
        let snap = after.and_then(|a| {
            a.regions
                .iter()
                .find(|r| r.region.name.as_str() == region)
                .map(|r| (a, r))
        });
        let observed = match snap {
            None => Err(Stayed::NotRead),
            Some((a, r)) => match (&r.error, &a.cloudflare.lb, &a.cloudflare.pools) {
                (Some(e), _, _) => Err(Stayed::Unreadable(kube_problem(e))),
                (None, Err(e), _) | (None, _, Err(e)) => Err(Stayed::Unreadable(cf_problem(e))),
                _ => Ok((a, r)),
            },
        };
        let seen = observed.is_ok();
        let stayed = |verdict, s| Finding::new(verdict, DrillFact::StayedHealthy(s));
        let mut cs = match observed {
            Err(why) => vec![stayed(Verdict::Inconclusive, why)],
            Ok((a, r)) if pool_facts(a, r).can_serve() => {
                vec![stayed(Verdict::Pass, Stayed::Healthy)]
            }
            Ok(_) => vec![stayed(Verdict::Fail, Stayed::NotHealthy)],
        };
        let receives = receiver == Some(region);
        let from = || name.clone();
        if receives && !shifted {
            cs.push(Finding::new(
                Verdict::Skipped,
                DrillFact::TookTraffic(Took::NeverMoved { from: from() }),
            ));
        } else if receives {
            let took = traffic.map_or(0, |t| t.by_region.get(region).copied().unwrap_or(0));
            cs.push(Finding::new(
                if traffic.is_none() || took > 0 {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                DrillFact::TookTraffic(Took::Answered {
                    from: from(),
                    requests: took,
                }),
            ));
        }
        let summary = if !seen {
            DrillSummary::Unobserved
        } else if receives && shifted {
            DrillSummary::TookTraffic
        } else {
            DrillSummary::StayedHealthy
        };
        regions.push(RegionFindings::from_checks(region, summary, cs));
    }
    regions
}

/// Fewest requests a phase needs before its error rate decides anything.
pub(super) const MIN_REQUESTS: u64 = 20;

/// One check per judged phase of the traffic: the outage window against
/// `maxOutage`; `failed-over` and `after` against `maxErrorRate`;
/// `recovering` against `maxRecoveryErrorRate`, once the region is back.
/// Errors in the outage are what the drill measures, so they are reported,
/// never counted against an error rate.
pub(super) fn phase_checks(fleet: &Fleet, e: &Ended<'_>) -> Vec<Finding> {
    let Some(split) = e.split else {
        return Vec::new();
    };
    let mut checks = vec![outage(split, e.max_outage)];
    let max = fleet.drill.max_error_rate;
    let recovery_max = fleet.drill.recovery_error_rate();
    let back = e.timings.recovered.is_some();
    for (phase, judged_phase, limit, judged) in [
        (Phase::FailedOver, JudgedPhase::FailedOver, max, true),
        (
            Phase::Recovering,
            JudgedPhase::Recovering,
            recovery_max,
            back,
        ),
        (Phase::After, JudgedPhase::After, max, back),
    ] {
        let Some(p) = split.phase(phase) else {
            continue;
        };
        let (verdict, judgement) = if !judged {
            (Verdict::Skipped, PhaseJudgement::NotJudged)
        } else if p.requests == 0 {
            (Verdict::Skipped, PhaseJudgement::NoRequests)
        } else if p.requests < MIN_REQUESTS {
            // Never a pass or a fail decided by a handful of requests; a
            // warning when some of them failed, so they are looked at.
            let verdict = if p.errors > 0 {
                Verdict::Warn
            } else {
                Verdict::Skipped
            };
            let needed = MIN_REQUESTS;
            (verdict, PhaseJudgement::TooFew { needed })
        } else if p.error_rate <= limit.fraction() {
            (Verdict::Pass, PhaseJudgement::Within { limit })
        } else {
            (Verdict::Fail, PhaseJudgement::Over { limit })
        };
        checks.push(Finding::new(
            verdict,
            DrillFact::Phase {
                phase: judged_phase,
                traffic: p.clone(),
                judged: judgement,
            },
        ));
    }
    checks
}

/// The `outage` check: the window users saw errors in, against `maxOutage`.
fn outage(split: &Split, max_outage: Duration) -> Finding {
    let Some(w) = &split.window else {
        return Finding::new(Verdict::Pass, DrillFact::Outage(OutageSeen::NoneFailed));
    };
    let lost = OutageLost {
        window: w.clone(),
        errors_by_kind: split
            .phase(Phase::Outage)
            .map(|p| p.errors_by_kind.clone())
            .unwrap_or_default(),
        max_outage,
    };
    if Duration::from_millis(w.duration_ms) <= max_outage {
        Finding::new(Verdict::Pass, DrillFact::Outage(OutageSeen::Within(lost)))
    } else {
        Finding::new(Verdict::Fail, DrillFact::Outage(OutageSeen::Over(lost)))
    }
}

/// A timing against its budget; one never observed fails, except
/// `unhealthy`: a pool that never went unhealthy means the fault did not
/// take, which is no data, not a failure.
fn measured(timing: Timing, d: Option<Duration>, budget: Duration) -> (Verdict, TimingSeen) {
    match d {
        Some(took) if took <= budget => (Verdict::Pass, TimingSeen::Within { took, budget }),
        Some(took) => (Verdict::Fail, TimingSeen::Over { took, budget }),
        None if timing == Timing::Unhealthy => {
            (Verdict::Inconclusive, TimingSeen::NotObserved { budget })
        }
        None => (Verdict::Fail, TimingSeen::NotObserved { budget }),
    }
}

/// The drilled region's line: the timings, or why there are none.
fn summary(verdict: Verdict, e: &Ended<'_>) -> DrillSummary {
    if e.restore_incomplete {
        return DrillSummary::RestoreIncomplete {
            command: e.restore_command.clone(),
        };
    }
    if !e.injected {
        return DrillSummary::NotInjected;
    }
    let aside = match (e.stopped, e.blind.as_ref().or(e.recovery_blind.as_ref())) {
        (Some(s), _) => Some(Aside::Stopped(s)),
        (None, Some(why)) => Some(Aside::Blind(why.clone())),
        (None, None) => None,
    };
    DrillSummary::Drilled {
        verdict,
        timings: e.timings,
        aside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Check, RegionReport};

    /// The drilled region's report, in words.
    fn drilled_words(
        fleet: &Fleet,
        name: &str,
        verdict: Verdict,
        checks: Vec<Finding>,
        e: &Ended<'_>,
    ) -> RegionReport {
        crate::report::words::region(&drilled(fleet, name, verdict, checks, e))
    }

    /// The phase checks, in words.
    fn phase_words(fleet: &Fleet, e: &Ended<'_>) -> Vec<Check> {
        phase_checks(fleet, e)
            .iter()
            .map(crate::report::words::check)
            .collect()
    }

    fn problem(message: &str) -> ApiProblem {
        ApiProblem {
            message: message.to_owned(),
            hint: None,
        }
    }

    fn ended(t: Timings) -> Ended<'static> {
        Ended {
            timings: t,
            budget: Budget {
                failover: Duration::from_secs(10),
                recover: Duration::from_secs(20),
            },
            split: None,
            max_outage: Duration::from_secs(10),
            injected: true,
            stopped: None,
            restore_incomplete: false,
            blind: None,
            recovery_blind: None,
            restore_command: "ocfail -f /abs/fleet.yaml restore --region us-east-1".to_owned(),
        }
    }

    fn timings(unhealthy: u64, shifted: u64, recovered: u64) -> Timings {
        Timings {
            unhealthy: Some(Duration::from_secs(unhealthy)),
            shifted: Some(Duration::from_secs(shifted)),
            recovered: Some(Duration::from_secs(recovered)),
        }
    }

    #[test]
    fn in_budget_passes_over_budget_fails_and_stopped_is_not_judged() {
        let fleet = crate::manifest::seed_fleet();
        assert_eq!(of(&fleet, &ended(timings(1, 2, 3))), Verdict::Pass);
        assert_eq!(of(&fleet, &ended(timings(1, 11, 3))), Verdict::Fail);
        assert_eq!(of(&fleet, &ended(timings(1, 2, 21))), Verdict::Fail);
        let stopped = |t| Ended {
            stopped: Some(Stop::Signal(crate::signal::SignalEvent::Interrupt)),
            ..ended(t)
        };
        // Everything seen was fine: no verdict, not a failure.
        assert_eq!(
            of(&fleet, &stopped(timings(1, 2, 3))),
            Verdict::Inconclusive
        );
        let half = Timings {
            recovered: None,
            ..timings(1, 2, 3)
        };
        assert_eq!(of(&fleet, &stopped(half)), Verdict::Inconclusive);
        // What was measured before the stop still counts.
        assert_eq!(of(&fleet, &stopped(timings(1, 11, 3))), Verdict::Fail);
    }

    #[test]
    fn cloudflare_out_of_sight_is_an_error_not_a_failure() {
        let fleet = crate::manifest::seed_fleet();
        let blind = Ended {
            blind: Some(problem("GET /pools/p1: 503")),
            ..ended(Timings::default())
        };
        assert_eq!(of(&fleet, &blind), Verdict::Error);
        let r = drilled_words(&fleet, "us-east-1", Verdict::Error, Vec::new(), &blind);
        for c in r.checks.iter().filter(|c| c.name != "recovered") {
            assert_eq!(c.verdict, Verdict::Error, "{c:?}");
            assert!(c.detail.starts_with("could not check"), "{c:?}");
        }
        let recovery = Ended {
            recovery_blind: Some(problem("GET /pools/p1: timeout")),
            ..ended(Timings {
                recovered: None,
                ..timings(1, 2, 3)
            })
        };
        assert_eq!(of(&fleet, &recovery), Verdict::Error);
    }

    #[test]
    fn a_fault_that_never_took_is_inconclusive_and_one_never_injected_an_error() {
        let fleet = crate::manifest::seed_fleet();
        let never = Timings::default();
        assert_eq!(of(&fleet, &ended(never)), Verdict::Inconclusive);
        let not_injected = Ended {
            injected: false,
            ..ended(never)
        };
        assert_eq!(of(&fleet, &not_injected), Verdict::Error);
        let left = Ended {
            restore_incomplete: true,
            ..ended(timings(1, 2, 3))
        };
        assert_eq!(of(&fleet, &left), Verdict::Error);
    }

    #[test]
    fn the_drilled_report_carries_the_timings_and_the_budget() {
        let fleet = crate::manifest::seed_fleet();
        let e = ended(timings(1, 2, 3));
        let r = drilled_words(&fleet, "us-east-1", Verdict::Pass, Vec::new(), &e);
        assert_eq!(r.verdict, Verdict::Pass);
        assert_eq!(r.timings["shiftedAfterMs"], 2000);
        assert_eq!(r.timings["budgetRecoverMs"], 20_000);
        let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["unhealthy", "shifted", "recovered"]);
        // An inconclusive drill stays inconclusive though the missing
        // timings are failed checks.
        let never = ended(Timings::default());
        let r = drilled_words(
            &fleet,
            "us-east-1",
            Verdict::Inconclusive,
            Vec::new(),
            &never,
        );
        assert_eq!(r.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn a_drill_that_could_not_run_says_why_instead_of_empty_timings() {
        let fleet = crate::manifest::seed_fleet();
        let not_injected = Ended {
            injected: false,
            ..ended(Timings::default())
        };
        let r = drilled_words(
            &fleet,
            "us-east-1",
            Verdict::Error,
            Vec::new(),
            &not_injected,
        );
        assert!(
            r.summary.starts_with("could not inject the outage"),
            "{}",
            r.summary
        );
        let left = Ended {
            restore_incomplete: true,
            ..ended(timings(1, 2, 3))
        };
        let r = drilled_words(&fleet, "us-east-1", Verdict::Error, Vec::new(), &left);
        assert!(
            r.summary
                .contains("ocfail -f /abs/fleet.yaml restore --region us-east-1"),
            "{}",
            r.summary
        );
        let r = drilled_words(
            &fleet,
            "us-east-1",
            Verdict::Pass,
            Vec::new(),
            &ended(timings(1, 2, 3)),
        );
        assert_eq!(
            r.summary,
            "pass: unhealthy after 1000ms, traffic moved after 2000ms, recovered after 3000ms"
        );
    }

    /// One request a second through a drill at Cloudflare's real timings:
    /// injected at 100 s, the pool marked down and traffic moved 90 s
    /// later, restored at 250 s, back at 340 s; `bad_after_move` failed
    /// answers from eu-central-1 right after the move.
    fn production_split(bad_after_move: u64, max_outage: Duration) -> Split {
        use crate::ops::traffic::Sample;
        use crate::ops::traffic::phases::{Moments, split};
        let sample = |at: u64, region: &str, status: u16| Sample {
            at_ms: at * 1000,
            latency_ms: 5.0,
            status: Some(status),
            region: Some(region.to_owned()),
            error: (status >= 400).then(|| format!("HTTP {status}")),
            failure: None,
        };
        let mut samples: Vec<Sample> = (0..100).map(|t| sample(t, "us-east-1", 200)).collect();
        samples.extend((100..190).map(|t| sample(t, "us-east-1", 503)));
        samples.extend((190..340).map(|t| {
            let bad = t < 190 + bad_after_move && t > 190;
            sample(t, "eu-central-1", if bad { 500 } else { 200 })
        }));
        samples.extend((340..400).map(|t| sample(t, "us-east-1", 200)));
        let m = Moments {
            injected_ms: 100_000,
            restored_ms: Some(250_000),
            recovered_ms: Some(340_000),
        };
        split(&samples, "us-east-1", &m, crate::ops::drill::ms(max_outage))
    }

    fn production(split: &Split, max_outage: Duration) -> Ended<'_> {
        Ended {
            split: Some(split),
            max_outage,
            budget: Budget {
                failover: Duration::from_secs(165),
                recover: Duration::from_secs(210),
            },
            ..ended(timings(90, 90, 90))
        }
    }

    #[test]
    fn at_60s_timings_the_expected_outage_passes_though_22_percent_of_requests_failed() {
        let fleet = crate::manifest::seed_fleet();
        let max = Duration::from_secs(165);
        let s = production_split(0, max);
        let e = production(&s, max);
        assert_eq!(of(&fleet, &e), Verdict::Pass);
        let checks = phase_words(&fleet, &e);
        let names: Vec<(&str, Verdict)> = checks
            .iter()
            .map(|c| (c.name.as_str(), c.verdict))
            .collect();
        assert_eq!(
            names,
            [
                ("outage", Verdict::Pass),
                ("failed-over", Verdict::Pass),
                ("recovering", Verdict::Pass),
                ("after", Verdict::Pass)
            ]
        );
        assert!(
            checks[0]
                .detail
                .starts_with("users saw errors for 89000ms (90 requests lost; 503 ×90)"),
            "{}",
            checks[0].detail
        );
    }

    #[test]
    fn errors_after_the_move_fail_and_name_the_region_that_answered_them() {
        let fleet = crate::manifest::seed_fleet();
        let max = Duration::from_secs(165);
        // 9 of 60 requests in failedOver fail: 15%, over the 5% default.
        let s = production_split(10, max);
        let e = production(&s, max);
        assert_eq!(of(&fleet, &e), Verdict::Fail);
        let failed = phase_words(&fleet, &e)
            .into_iter()
            .find(|c| c.name == "failed-over")
            .unwrap();
        assert_eq!(failed.verdict, Verdict::Fail);
        assert!(
            failed.detail.contains("answered by: eu-central-1 9"),
            "{}",
            failed.detail
        );
    }

    #[test]
    fn an_outage_longer_than_max_outage_fails() {
        let fleet = crate::manifest::seed_fleet();
        let max = Duration::from_secs(30);
        let s = production_split(0, max);
        let e = production(&s, max);
        assert_eq!(of(&fleet, &e), Verdict::Fail);
        let outage = &phase_words(&fleet, &e)[0];
        assert_eq!(outage.verdict, Verdict::Fail);
        assert!(
            outage.detail.contains("longer than maxOutage 30s"),
            "{}",
            outage.detail
        );
    }

    #[test]
    fn a_handful_of_requests_decides_nothing() {
        let fleet = crate::manifest::seed_fleet();
        let max = Duration::from_secs(165);
        let mut s = production_split(0, max);
        for p in &mut s.phases {
            if p.phase == "recovering" {
                p.requests = 5;
                p.errors = 0;
            }
            if p.phase == "after" {
                p.requests = 5;
                p.errors = 2;
                p.error_rate = 0.4;
            }
        }
        let e = production(&s, max);
        assert_eq!(
            of(&fleet, &e),
            Verdict::Pass,
            "two errors in five decide nothing"
        );
        let checks = phase_words(&fleet, &e);
        assert_eq!(checks[2].verdict, Verdict::Skipped);
        assert!(checks[2].detail.contains("only 5 requests"));
        assert_eq!(checks[3].verdict, Verdict::Warn);
    }
}
