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

/// The check's stable name.
pub fn name(f: &GuardFact) -> String {
    match f {
        GuardFact::Guard(g) => format!("guard:{}", g.name),
        GuardFact::Blocking(b) => format!("guard:{}", b.name()),
        GuardFact::BlockingUnreadable { .. } | GuardFact::NoneBlocking { .. } => {
            "blocking-alerts".to_owned()
        }
        GuardFact::Expectation(e) => format!("expect-alert {}", e.matcher),
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
        } => format!(
            "could not read the active alerts to check {}: {}; nothing was changed",
            matchers.join(", "),
            problem(p)
        ),
        GuardFact::NoneBlocking { matchers } => {
            format!("none of {} is firing", matchers.join(", "))
        }
        GuardFact::Expectation(e) => expectation(e),
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

fn blocking(b: &BlockingSeen) -> String {
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
    format!(
        "{} {} is firing{since} (per {from}; blocking alert `{}`): nothing was changed; \
         wait for it to resolve, or pass --override guard:{} --reason TEXT",
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
