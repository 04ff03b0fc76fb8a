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

use crate::facts::drill::{DrillNote, UsersSawErrors};
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
) -> Option<DrillNote> {
    if window.requests_lost == 0 {
        return None;
    }
    let status = |k: &str| k.parse::<u16>().is_ok();
    let count =
        |keep: &dyn Fn(&str) -> bool| -> u64 { only(&outage.errors_by_kind, keep).values().sum() };
    Some(DrillNote::UsersSawErrors(UsersSawErrors {
        errors_by_kind: outage.errors_by_kind.clone(),
        duration_ms: window.duration_ms,
        requests_lost: window.requests_lost,
        not_retried: only(&outage.errors_by_kind, &|k| status(k) && !retried_kind(k)),
        retried: count(&retried_kind),
        unanswered: count(&|k| !status(k)),
        across_pools,
    }))
}

fn only(kinds: &BTreeMap<String, u64>, keep: &dyn Fn(&str) -> bool) -> BTreeMap<String, u64> {
    kinds
        .iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, n)| (k.clone(), *n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Note;

    /// The note, in words.
    fn words(p: &PhaseTraffic, w: &OutageWindow, across_pools: Option<bool>) -> Option<String> {
        why_users_saw_errors(p, w, across_pools)
            .map(|n| crate::report::words::note(&Note::Drill(n)))
    }

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
        let note = words(&p, &w, Some(true)).unwrap();
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
        let note = words(&p, &w, Some(false)).unwrap();
        assert!(note.starts_with("users saw 521 and 522"), "{note}");
        assert!(
            note.contains("would have retried them on the next pool with adaptive_routing.failover_across_pools on (off for this load balancer)"),
            "{note}"
        );
        let on = words(&p, &w, Some(true)).unwrap();
        assert!(on.contains("found no healthy origin"), "{on}");
    }

    #[test]
    fn nothing_lost_says_nothing() {
        let (p, w) = outage(&[]);
        assert_eq!(words(&p, &w, None), None);
    }
}
