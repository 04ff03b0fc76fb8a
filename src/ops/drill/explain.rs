//! Why users saw errors during a drill's outage, from the status codes the
//! synthetic traffic got and the load balancer's `adaptive_routing`.
//!
//! Cloudflare's zero-downtime failover retries a request once, on another
//! origin, only when the origin could not be reached: 521, 522, 523, 525
//! and 526 (docs/cloudflare-api.md); on another *pool* only
//! with `adaptive_routing.failover_across_pools`. Anything else the origin
//! answers, 503 from an ingress with no pod left included, goes to the
//! user until the monitor marks the pool down. No tool in this space says
//! which case a drill hit; this does.

use std::collections::BTreeMap;

use crate::facts::{OutageWindow, PhaseTraffic};

/// Whether Cloudflare retries an answer of this kind on another origin.
fn retried_kind(kind: &str) -> bool {
    kind.parse::<u16>()
        .is_ok_and(crate::cloudflare::zero_downtime_failover_retries)
}

/// A note on what users saw in the outage and what would have hidden it;
/// `None` when no request failed. `across_pools` is the load balancer's
/// `adaptive_routing.failover_across_pools` (`None`: not known).
pub(super) fn why_users_saw_errors(
    outage: &PhaseTraffic,
    window: &OutageWindow,
    across_pools: Option<bool>,
) -> Option<String> {
    if window.requests_lost == 0 {
        return None;
    }
    let count = |pred: &dyn Fn(&str) -> bool| -> u64 {
        outage
            .errors_by_kind
            .iter()
            .filter(|(k, _)| pred(k))
            .map(|(_, n)| n)
            .sum()
    };
    let retried = count(&|k| retried_kind(k));
    let statuses = count(&|k| k.parse::<u16>().is_ok() && !retried_kind(k));
    let transport = count(&|k| k.parse::<u16>().is_err());
    let seen = format!(
        "users saw {} for {} ({} requests)",
        codes(&outage.errors_by_kind),
        crate::report::human::duration(window.duration_ms),
        window.requests_lost
    );
    let setting = match across_pools {
        Some(true) => "on for this load balancer",
        Some(false) => "off for this load balancer",
        None => "not known for this load balancer",
    };
    let mut why = Vec::new();
    if statuses > 0 {
        why.push(format!(
            "the origin answered {} itself (an ingress answers 503 when no pod is left), which \
             Cloudflare's zero-downtime failover does not retry: it retries only 521–526, and \
             across pools only with adaptive_routing.failover_across_pools ({setting}); only the \
             monitor marking the pool down ends it, so a shorter monitor interval or \
             consecutive_down shortens the window",
            codes(&only(&outage.errors_by_kind, |k| {
                k.parse::<u16>().is_ok() && !retried_kind(k)
            }))
        ));
    }
    if retried > 0 {
        why.push(match across_pools {
            Some(true) => format!(
                "{retried} answers were 521–526, which Cloudflare retries on the next pool with \
                 failover_across_pools on: the retry found no healthy origin either"
            ),
            _ => format!(
                "{retried} answers were 521–526 (origin unreachable): Cloudflare would have \
                 retried them on the next pool with adaptive_routing.failover_across_pools on \
                 ({setting})"
            ),
        });
    }
    if transport > 0 {
        why.push(format!(
            "{transport} requests got no answer at all (timeout or connection failure) before \
             the load balancer moved"
        ));
    }
    Some(format!("{seen}: {}", why.join("; ")))
}

fn only(kinds: &BTreeMap<String, u64>, keep: impl Fn(&str) -> bool) -> BTreeMap<String, u64> {
    kinds
        .iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, n)| (k.clone(), *n))
        .collect()
}

/// `503`, or `503 and 502`.
fn codes(kinds: &BTreeMap<String, u64>) -> String {
    let names: Vec<&str> = kinds.keys().map(String::as_str).collect();
    match names.as_slice() {
        [] => "errors".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outage(kinds: &[(&str, u64)]) -> (PhaseTraffic, OutageWindow) {
        let lost = kinds.iter().map(|(_, n)| n).sum();
        let p = PhaseTraffic {
            phase: "outage".to_owned(),
            errors: lost,
            errors_by_kind: kinds.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect(),
            ..PhaseTraffic::default()
        };
        let w = OutageWindow {
            duration_ms: 2200,
            requests_lost: lost,
            ..OutageWindow::default()
        };
        (p, w)
    }

    #[test]
    fn a_503_is_not_retried_whatever_the_setting() {
        let (p, w) = outage(&[("503", 8)]);
        let note = why_users_saw_errors(&p, &w, Some(true)).unwrap();
        assert!(
            note.starts_with("users saw 503 for 2.2s (8 requests)"),
            "{note}"
        );
        assert!(note.contains("does not retry"), "{note}");
        assert!(note.contains("(on for this load balancer)"), "{note}");
    }

    #[test]
    fn unreachable_origins_name_the_setting_that_would_have_hidden_them() {
        let (p, w) = outage(&[("521", 3), ("522", 2)]);
        let note = why_users_saw_errors(&p, &w, Some(false)).unwrap();
        assert!(note.starts_with("users saw 521 and 522"), "{note}");
        assert!(
            note.contains("would have retried them on the next pool with adaptive_routing.failover_across_pools on (off for this load balancer)"),
            "{note}"
        );
        let on = why_users_saw_errors(&p, &w, Some(true)).unwrap();
        assert!(on.contains("found no healthy origin"), "{on}");
    }

    #[test]
    fn nothing_lost_says_nothing() {
        let (p, w) = outage(&[]);
        assert_eq!(why_users_saw_errors(&p, &w, None), None);
    }
}
