//! Step 8 of the drill: the verdicts. The drilled region passes when
//! failover and recovery were within the budget and the error rate within
//! `maxErrorRate`; the others when they stayed healthy and the expected one
//! took the traffic.

use std::time::{Duration, SystemTime};

use crate::manifest::Fleet;
use crate::report::model::{Check, RegionReport, TrafficSummary, Verdict};

use super::super::budget::Budget;
use super::super::snapshot::FleetSnapshot;
use super::super::status::pool_facts;
use super::{fmt_ms, ms};

/// What the drill measured, from the injection and from the restore.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Timings {
    /// Until the drill saw the pool unhealthy.
    pub unhealthy: Option<Duration>,
    /// Until the expected region answered.
    pub shifted: Option<Duration>,
    /// Until the drilled region was back.
    pub recovered: Option<Duration>,
}

/// How the drill went, as far as the verdict is concerned.
pub(super) struct Ended<'a> {
    /// The measured times.
    pub timings: Timings,
    /// The failover and recovery deadlines.
    pub budget: Budget,
    /// Synthetic traffic during the drill.
    pub traffic: Option<&'a TrafficSummary>,
    /// The outage was injected; when not, an API call failed first.
    pub injected: bool,
    /// The drill stopped early (Ctrl-C, lost lock).
    pub stopped: bool,
    /// The record is left for `ocfail restore`.
    pub restore_incomplete: bool,
}

/// The drilled region's verdict.
pub(super) fn of(fleet: &Fleet, e: &Ended<'_>) -> Verdict {
    let t = e.timings;
    let error_rate = e.traffic.map_or(0.0, |t| t.error_rate);
    // An API error before the outage took effect is "could not check" (3),
    // not "the fault never took effect" (4).
    if e.restore_incomplete || !e.injected {
        Verdict::Error
    } else if t.unhealthy.is_none() {
        Verdict::Inconclusive
    } else if t.shifted.is_none_or(|s| s > e.budget.failover)
        || t.recovered.is_none_or(|r| r > e.budget.recover)
        || error_rate > fleet.drill.max_error_rate.fraction()
        || e.stopped
    {
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
    mut checks: Vec<Check>,
    e: &Ended<'_>,
) -> RegionReport {
    let t = e.timings;
    checks.push(timing("unhealthy", t.unhealthy, e.budget.failover));
    checks.push(timing("shifted", t.shifted, e.budget.failover));
    checks.push(timing("recovered", t.recovered, e.budget.recover));
    if let Some(t) = e.traffic {
        let max = fleet.drill.max_error_rate;
        checks.push(Check::new(
            "traffic",
            if t.error_rate <= max.fraction() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            format!(
                "{} requests, error rate {:.2}% (max {max}), p99 {:.0}ms",
                t.requests,
                t.error_rate * 100.0,
                t.p99_ms
            ),
        ));
    }
    let mut report = RegionReport::from_checks(name, summary(name, verdict, e), checks);
    // "Never went unhealthy" is inconclusive even though later timings then
    // fail; an error says the drill could not run, whatever the timings say.
    if verdict == Verdict::Inconclusive || verdict == Verdict::Error {
        report.verdict = verdict;
    } else {
        report.verdict = report.verdict.max(verdict);
    }
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
/// receiver) took the traffic.
pub(super) fn fleet_reports(
    after: &FleetSnapshot,
    drilled: RegionReport,
    receiver: Option<&str>,
    shifted: bool,
    traffic: Option<&TrafficSummary>,
) -> Vec<RegionReport> {
    let name = drilled.region.clone();
    let mut drilled = Some(drilled);
    let mut regions = Vec::new();
    for r in &after.regions {
        let region = r.region.name.as_str();
        if region == name {
            regions.extend(drilled.take());
            continue;
        }
        let f = pool_facts(after, r);
        let mut cs = vec![if f.can_serve() {
            Check::new(
                "stayed-healthy",
                Verdict::Pass,
                "pool healthy and serving throughout",
            )
        } else {
            Check::new(
                "stayed-healthy",
                Verdict::Fail,
                "pool or pods not healthy after the drill",
            )
        }];
        let receives = receiver == Some(region);
        if receives && !shifted {
            cs.push(Check::new(
                "took-traffic",
                Verdict::Skipped,
                format!("traffic never moved away from {name}"),
            ));
        } else if receives {
            let took = traffic.map_or(0, |t| t.by_region.get(region).copied().unwrap_or(0));
            cs.push(Check::new(
                "took-traffic",
                if traffic.is_none() || took > 0 {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                format!("answered {took} synthetic requests while {name} was down"),
            ));
        }
        let summary = if receives && shifted {
            "took the traffic"
        } else {
            "stayed healthy"
        };
        regions.push(RegionReport::from_checks(region, summary, cs));
    }
    regions
}

fn timing(label: &str, d: Option<Duration>, budget: Duration) -> Check {
    let budget_text = humantime::format_duration(budget);
    match d {
        Some(d) if d <= budget => Check::new(
            label,
            Verdict::Pass,
            format!("{} (budget {budget_text})", fmt_ms(d)),
        ),
        Some(d) => Check::new(
            label,
            Verdict::Fail,
            format!("{} is over the budget of {budget_text}", fmt_ms(d)),
        ),
        None => Check::new(
            label,
            // A pool that never went unhealthy means the fault did not take:
            // no data, not a failure.
            if label == "unhealthy" {
                Verdict::Inconclusive
            } else {
                Verdict::Fail
            },
            format!("not observed within {budget_text}"),
        ),
    }
}

/// The drilled region's line: the timings, or why there are none.
fn summary(name: &str, v: Verdict, e: &Ended<'_>) -> String {
    if e.restore_incomplete {
        return format!("restore incomplete: finish with `ocfail restore --region {name}`");
    }
    if !e.injected {
        return "could not inject the outage (see the checks); nothing is left changed".to_owned();
    }
    let show = |d: Option<Duration>| d.map_or("—".to_owned(), fmt_ms);
    let t = e.timings;
    format!(
        "{v}: unhealthy after {}, traffic moved after {}, recovered after {}",
        show(t.unhealthy),
        show(t.shifted),
        show(t.recovered)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(t: Timings) -> Ended<'static> {
        Ended {
            timings: t,
            budget: Budget {
                failover: Duration::from_secs(10),
                recover: Duration::from_secs(20),
            },
            traffic: None,
            injected: true,
            stopped: false,
            restore_incomplete: false,
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
    fn in_budget_passes_and_over_budget_or_stopped_fails() {
        let fleet = crate::manifest::seed_fleet();
        assert_eq!(of(&fleet, &ended(timings(1, 2, 3))), Verdict::Pass);
        assert_eq!(of(&fleet, &ended(timings(1, 11, 3))), Verdict::Fail);
        assert_eq!(of(&fleet, &ended(timings(1, 2, 21))), Verdict::Fail);
        let stopped = Ended {
            stopped: true,
            ..ended(timings(1, 2, 3))
        };
        assert_eq!(of(&fleet, &stopped), Verdict::Fail);
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
        let r = drilled(&fleet, "us-east-1", Verdict::Pass, Vec::new(), &e);
        assert_eq!(r.verdict, Verdict::Pass);
        assert_eq!(r.timings["shiftedAfterMs"], 2000);
        assert_eq!(r.timings["budgetRecoverMs"], 20_000);
        let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["unhealthy", "shifted", "recovered"]);
        // An inconclusive drill stays inconclusive though the missing
        // timings are failed checks.
        let never = ended(Timings::default());
        let r = drilled(
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
        let r = drilled(
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
        let r = drilled(&fleet, "us-east-1", Verdict::Error, Vec::new(), &left);
        assert!(
            r.summary.contains("ocfail restore --region us-east-1"),
            "{}",
            r.summary
        );
        let r = drilled(
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
}
