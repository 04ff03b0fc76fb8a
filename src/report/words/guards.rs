//! The words of Prometheus guards, blocking alerts and expected alerts:
//! every line shows the query (or matcher) as sent, the value seen, the
//! threshold and what the outcome means.

use std::time::Duration;

use crate::facts::guards::{
    BlockingSeen, Expect, ExpectationOutcome, ExpectationSeen, GuardFact, GuardOutcome, GuardSeen,
    SeriesLabels, SeriesValue,
};
use crate::manifest::GuardWhen;

use super::problem;
use crate::report::model::PromCheck;

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The numbers of a guard or an expectation, for the JSON report and
/// JUnit's properties.
pub fn numbers(f: &GuardFact) -> Option<PromCheck> {
    match f {
        GuardFact::Guard(g) => Some(PromCheck {
            query: g.query.clone(),
            value: g.worst.as_ref().map(|w| w.value).filter(|v| v.is_finite()),
            labels: g.worst.as_ref().map(|w| w.labels.clone()),
            op: Some(g.op.as_str().to_owned()),
            threshold: Some(g.threshold),
            for_ms: Some(ms(g.for_)),
            when: Some(moment(g.when).to_owned()),
            evaluations: Some(g.evaluations),
            ..PromCheck::default()
        }),
        GuardFact::Expectation(e) => Some(PromCheck {
            query: e.matcher.clone(),
            expect: Some(
                match e.expect {
                    Expect::Firing => "firing",
                    Expect::Pending => "pending",
                    Expect::Silent => "silent",
                }
                .to_owned(),
            ),
            first_pending_ms: e.first_pending.map(ms),
            first_firing_ms: e.first_firing.map(ms),
            ..PromCheck::default()
        }),
        GuardFact::Blocking(b) => Some(PromCheck {
            query: b.matcher.clone(),
            labels: Some(b.labels.clone()),
            ..PromCheck::default()
        }),
        _ => None,
    }
}

/// The check's stable name.
pub fn name(f: &GuardFact) -> String {
    match f {
        GuardFact::Guard(g) => format!("guard:{}", g.name),
        GuardFact::Blocking(b) => format!("guard:{}", b.name()),
        GuardFact::BlockingUnreadable { .. } | GuardFact::NoneBlocking { .. } => {
            "blocking-alerts".to_owned()
        }
        GuardFact::Expectation(e) => format!("expect-alert {}", e.matcher),
        GuardFact::ExpectationsUnreadable(_) => "expect-alerts".to_owned(),
        GuardFact::Overridden { name, .. } => format!("guard:{name}"),
    }
}

/// The check's one line.
pub fn detail(f: &GuardFact) -> String {
    match f {
        GuardFact::Guard(g) => guard(g),
        GuardFact::Blocking(b) => blocking(b),
        GuardFact::BlockingUnreadable {
            matchers,
            problem: p,
            refuses,
        } => {
            let what = if *refuses {
                "nothing was changed"
            } else {
                "the rest of status stands without them, but a drill or rollout listing them \
                 would not start"
            };
            format!(
                "could not read the active alerts to check {} ({what}): {}",
                matchers.join(", "),
                problem(p),
            )
        }
        GuardFact::NoneBlocking { matchers } => {
            format!("none of {} is firing", matchers.join(", "))
        }
        GuardFact::Expectation(e) => expectation(e),
        GuardFact::ExpectationsUnreadable(p) => format!(
            "could not read Prometheus' alerting rules to decide the expected alerts: {}",
            problem(p)
        ),
        GuardFact::Overridden { name, reason } => {
            format!("overridden with --override guard:{name} (reason: {reason})")
        }
    }
}

/// A value as Prometheus would print it, without float noise.
pub fn value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let rounded = format!("{v:.6}");
    let trimmed = rounded.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" || trimmed.is_empty() {
        "0".to_owned()
    } else if trimmed == "0" && v != 0.0 {
        // Too small for six decimals: keep its magnitude visible.
        format!("{v:e}")
    } else {
        trimmed.to_owned()
    }
}

/// `{a="b", c="d"}`, or nothing for no labels.
pub fn labels(l: &SeriesLabels) -> String {
    if l.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", pairs.join(", "))
}

fn series(s: &SeriesValue) -> String {
    let l = labels(&s.labels);
    if l.is_empty() {
        value(s.value)
    } else {
        format!("{} at {l}", value(s.value))
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// The threshold as a condition: `< 0.05`, `< 0.05 for 10s`.
fn condition(g: &GuardSeen) -> String {
    let mut out = format!("{} {}", g.op.as_str(), value(g.threshold));
    if !g.for_.is_zero() {
        out.push_str(&format!(" for {}", humantime::format_duration(g.for_)));
    }
    out
}

fn moment(w: Option<GuardWhen>) -> &'static str {
    match w {
        Some(GuardWhen::Before) => "before",
        Some(GuardWhen::During) => "during",
        Some(GuardWhen::After) => "after",
        None => "analysis",
    }
}

fn guard(g: &GuardSeen) -> String {
    let query = &g.query;
    let cond = condition(g);
    let seen = g
        .worst
        .as_ref()
        .map(|w| format!(" = {}", series(w)))
        .unwrap_or_default();
    let checks = match g.evaluations {
        1 => "1 check".to_owned(),
        n => format!("{n} checks"),
    };
    let when = moment(g.when);
    match &g.outcome {
        GuardOutcome::Held => format!("`{query}`{seen}; must be {cond}: held ({when}, {checks})"),
        GuardOutcome::Breached { after } => {
            let at = after
                .map(|a| format!(" after {}", seconds(a)))
                .unwrap_or_default();
            let what = match g.when {
                Some(GuardWhen::Before) => format!(
                    "nothing was changed; fix what it measures, or pass --override guard:{} \
                     --reason TEXT",
                    g.name
                ),
                Some(GuardWhen::During) => {
                    "the run stopped and put back what it changed".to_owned()
                }
                Some(GuardWhen::After) => "the fleet is back but the guard failed".to_owned(),
                None => "the new colour failed its analysis".to_owned(),
            };
            format!("`{query}`{seen}; must be {cond}: breached{at} ({when}): {what}")
        }
        GuardOutcome::BrieflyBreached => format!(
            "`{query}`{seen}; must be {cond}: held (it failed for less than its `for`; {when}, \
             {checks})"
        ),
        GuardOutcome::NoData => format!(
            "`{query}` returned no data (no series, or NaN); must be {cond}: cannot tell ({when}); \
             check the query in Prometheus' expression browser"
        ),
        GuardOutcome::Unavailable(p) => format!(
            "`{query}`; must be {cond}: Prometheus could not answer ({when}): {}",
            problem(p)
        ),
        GuardOutcome::NotReached => {
            format!("`{query}`; must be {cond}: not evaluated, the run stopped first ({when})")
        }
        GuardOutcome::Planned => {
            format!("`{query}`; must be {cond}: would be checked ({when}); dry run, not evaluated")
        }
    }
}

/// A firing blocking alert: what refused the run, or (in `status`) what
/// would refuse one.
pub(super) fn blocking(b: &BlockingSeen) -> String {
    let from = if b.from_alertmanager {
        "Alertmanager"
    } else {
        "Prometheus"
    };
    let since = b
        .active_for
        .map(|d| {
            format!(
                " for {}",
                humantime::format_duration(Duration::from_secs(d.as_secs()))
            )
        })
        .unwrap_or_default();
    let what = if b.refuses {
        "nothing was changed; wait for it to resolve, or pass"
    } else {
        "the drill or rollout that lists it will not start while it fires, unless run with"
    };
    format!(
        "{} {} is firing{since} (per {from}; blocking alert `{}`): {what} --override guard:{} \
         --reason TEXT",
        b.name(),
        labels(&b.labels),
        b.matcher,
        b.name()
    )
}

fn expectation(e: &ExpectationSeen) -> String {
    let want = match e.expect {
        Expect::Firing => "must fire",
        Expect::Pending => "must be pending or firing",
        Expect::Silent => "must stay silent",
    };
    let origin = if e.by_default {
        " (default of the rendered rules)"
    } else {
        ""
    };
    let mut seen = Vec::new();
    if let Some(p) = e.first_pending {
        seen.push(format!("pending {} after the outage began", seconds(p)));
    }
    if let Some(f) = e.first_firing {
        seen.push(format!("firing {} after the outage began", seconds(f)));
    }
    let seen = if seen.is_empty() {
        "neither pending nor firing".to_owned()
    } else {
        seen.join(", ")
    };
    let which = e
        .seen
        .iter()
        .map(labels)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>();
    let which = if which.is_empty() {
        String::new()
    } else {
        format!(" ({})", which.join("; "))
    };
    match &e.outcome {
        ExpectationOutcome::Met => format!("`{}` {want}{origin}: {seen}{which}", e.matcher),
        ExpectationOutcome::NotMet => {
            let fix = match e.expect {
                Expect::Silent => {
                    "the alert fired while only one region was down: check its rule (a fleet \
                     alert must need every region down)"
                }
                Expect::Firing | Expect::Pending => {
                    "check that Prometheus scrapes the exporter and loads the rules, and that the \
                     rule's `for:` fits in the hold (`prometheus.regionDownFor`)"
                }
            };
            format!(
                "`{}` {want}{origin}, but was {seen}{which}: {fix}",
                e.matcher
            )
        }
        ExpectationOutcome::Unavailable(p) => format!(
            "`{}` {want}{origin}: Prometheus could not answer: {}",
            e.matcher,
            problem(p)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::drill::DrillSummary;
    use crate::facts::{Finding, Findings, RegionFindings, Run, Verdict};
    use crate::manifest::CompareOp;

    /// A drill whose `during` guard breached and whose expected alert was met.
    fn findings() -> Findings {
        let guard = GuardSeen {
            name: "receiver-errors".to_owned(),
            when: Some(GuardWhen::During),
            query: r#"sum(rate(errors{region="eu-central-1"}[1m]))"#.to_owned(),
            op: CompareOp::Lt,
            threshold: 0.05,
            for_: Duration::from_secs(10),
            evaluations: 14,
            worst: Some(SeriesValue {
                labels: SeriesLabels::from([("region".to_owned(), "eu-central-1".to_owned())]),
                value: 0.31,
            }),
            outcome: GuardOutcome::Breached {
                after: Some(Duration::from_millis(12_400)),
            },
        };
        let expected = ExpectationSeen {
            matcher: r#"OcfailRegionDown{region="us-east-1"}"#.to_owned(),
            expect: Expect::Pending,
            by_default: true,
            first_pending: Some(Duration::from_millis(6_000)),
            first_firing: None,
            seen: Vec::new(),
            outcome: ExpectationOutcome::Met,
        };
        let checks = vec![
            Finding::new(Verdict::Fail, GuardFact::Guard(guard)),
            Finding::new(Verdict::Pass, GuardFact::Expectation(expected)),
        ];
        Findings::new(
            vec![RegionFindings::from_checks(
                "us-east-1",
                DrillSummary::Refused,
                checks,
            )],
            Vec::new(),
        )
    }

    #[test]
    fn a_drill_report_shows_each_guard_s_query_value_threshold_and_verdict_in_every_format() {
        let report = super::super::conclude(&Run::start("drill", "f"), findings());
        let human =
            crate::report::human::render(&report, &crate::report::human::Styles::plain(), 1);
        for shown in [
            r#"sum(rate(errors{region="eu-central-1"}[1m]))"#,
            "= 0.31",
            "must be < 0.05 for 10s",
            "breached after 12.4s",
            "pending 6.0s after the outage began",
        ] {
            assert!(human.contains(shown), "{shown} not in\n{human}");
        }
        let json: serde_json::Value =
            serde_json::from_str(&crate::report::json::document(&report)).unwrap();
        let checks = &json["regions"][0]["checks"];
        assert_eq!(checks[0]["name"], "guard:receiver-errors");
        assert_eq!(checks[0]["verdict"], "fail");
        let p = &checks[0]["prometheus"];
        assert_eq!(
            p["query"],
            r#"sum(rate(errors{region="eu-central-1"}[1m]))"#
        );
        assert_eq!(p["value"], 0.31);
        assert_eq!(p["op"], "<");
        assert_eq!(p["threshold"], 0.05);
        assert_eq!(p["forMs"], 10_000);
        assert_eq!(checks[1]["verdict"], "pass");
        assert_eq!(checks[1]["prometheus"]["firstPendingMs"], 6_000);
        let junit = crate::report::junit::render(&report).unwrap();
        let doc = roxmltree::Document::parse(&junit).unwrap();
        let case = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("us-east-1/guard:receiver-errors"))
            .unwrap();
        assert!(
            case.children().any(|c| c.has_tag_name("failure")),
            "{junit}"
        );
        let property = |k: &str| {
            case.descendants()
                .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(k))
                .and_then(|n| n.attribute("value"))
                .map(str::to_owned)
        };
        assert_eq!(
            property("query").as_deref(),
            Some(r#"sum(rate(errors{region="eu-central-1"}[1m]))"#)
        );
        assert_eq!(property("value").as_deref(), Some("0.31"));
        assert_eq!(property("op").as_deref(), Some("<"));
        assert_eq!(property("threshold").as_deref(), Some("0.05"));
    }

    #[test]
    fn values_read_like_prometheus_without_float_noise() {
        assert_eq!(value(0.05), "0.05");
        assert_eq!(value(0.1 + 0.2), "0.3");
        assert_eq!(value(3.0), "3");
        assert_eq!(value(f64::NAN), "NaN");
        assert_eq!(value(f64::INFINITY), "+Inf");
        assert_eq!(value(-0.0), "0");
        assert_eq!(value(1e-9), "1e-9");
    }
}
