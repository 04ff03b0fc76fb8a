//! A drill's synthetic traffic split into phases by when each request was
//! sent, and the user-visible outage window. Pure, so it is tested on
//! hand-made samples at Cloudflare's real timings.
//!
//! The error rate over a whole drill mixes two different things: errors
//! between the outage and the load balancer moving, which are expected,
//! bounded by the monitor's timing and what the drill measures; and errors
//! once traffic has moved, which are a failure of the failover. Phases keep
//! them apart:
//!
//! - `steady`: before the injection;
//! - `outage`: from the injection until another region answers for good
//!   (its first success after the drilled region's last one);
//! - `failedOver`: until the restore;
//! - `recovering`: until the region is back;
//! - `after`: the rest.

use std::collections::BTreeMap;

use crate::facts::{OutageWindow, PhaseTraffic};

use super::Sample;

/// The moments that split a drill, in ms on the traffic clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Moments {
    /// When the outage was injected.
    pub injected_ms: u64,
    /// When the restore began (`None`: the run ended first).
    pub restored_ms: Option<u64>,
    /// When the region was back (`None`: not seen).
    pub recovered_ms: Option<u64>,
}

/// A drill phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Before the injection.
    Steady,
    /// From the injection until traffic moved for good.
    Outage,
    /// From the move until the restore.
    FailedOver,
    /// From the restore until the region is back.
    Recovering,
    /// After recovery.
    After,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 5] = [
        Phase::Steady,
        Phase::Outage,
        Phase::FailedOver,
        Phase::Recovering,
        Phase::After,
    ];

    /// The name reports and the JSON use.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Steady => "steady",
            Phase::Outage => "outage",
            Phase::FailedOver => "failedOver",
            Phase::Recovering => "recovering",
            Phase::After => "after",
        }
    }
}

/// The traffic of one drill, by phase.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Split {
    /// When another region answered for good, in ms on the traffic clock.
    pub moved_ms: Option<u64>,
    /// Every phase in order, including empty ones.
    pub phases: Vec<PhaseTraffic>,
    /// The user-visible outage window, when any request failed in it.
    pub window: Option<OutageWindow>,
}

impl Split {
    /// One phase's traffic.
    pub fn phase(&self, p: Phase) -> Option<&PhaseTraffic> {
        self.phases.iter().find(|t| t.phase == p.name())
    }
}

/// When traffic moved for good: the first success from another region sent
/// after the drilled region's last success (both after the injection and
/// before the restore).
pub fn moved_at(samples: &[Sample], drilled: &str, m: &Moments) -> Option<u64> {
    let until = m.restored_ms.unwrap_or(u64::MAX);
    let during = |s: &&Sample| s.is_success() && s.at_ms >= m.injected_ms && s.at_ms < until;
    let last_drilled = samples
        .iter()
        .filter(during)
        .filter(|s| s.region.as_deref() == Some(drilled))
        .map(|s| s.at_ms)
        .max();
    samples
        .iter()
        .filter(during)
        .filter(|s| s.region.as_deref().is_some_and(|r| r != drilled))
        .filter(|s| last_drilled.is_none_or(|last| s.at_ms > last))
        .map(|s| s.at_ms)
        .min()
}

/// The phase a request sent at `at_ms` belongs to.
pub fn phase_of(at_ms: u64, m: &Moments, moved_ms: Option<u64>) -> Phase {
    if at_ms < m.injected_ms {
        Phase::Steady
    } else if m.recovered_ms.is_some_and(|r| at_ms >= r) {
        Phase::After
    } else if m.restored_ms.is_some_and(|r| at_ms >= r) {
        Phase::Recovering
    } else if moved_ms.is_some_and(|mv| at_ms >= mv) {
        Phase::FailedOver
    } else {
        Phase::Outage
    }
}

/// Splits `samples` of a drill of `drilled` into phases, with the outage
/// window judged against `max_outage_ms`.
pub fn split(samples: &[Sample], drilled: &str, m: &Moments, max_outage_ms: u64) -> Split {
    let moved_ms = moved_at(samples, drilled, m);
    let mut by_phase: BTreeMap<Phase, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        by_phase
            .entry(phase_of(s.at_ms, m, moved_ms))
            .or_default()
            .push(s);
    }
    let rel = |at: u64| -> i64 {
        let d = i64::try_from(at.abs_diff(m.injected_ms)).unwrap_or(i64::MAX);
        if at >= m.injected_ms { d } else { -d }
    };
    let start = samples.iter().map(|s| s.at_ms).min().unwrap_or(0);
    let bounds = |p: Phase| -> (u64, Option<u64>) {
        // The outage ends at the move, or at the restore when there was none.
        let end_of_outage = moved_ms.or(m.restored_ms);
        match p {
            Phase::Steady => (start.min(m.injected_ms), Some(m.injected_ms)),
            Phase::Outage => (m.injected_ms, end_of_outage),
            Phase::FailedOver => (moved_ms.unwrap_or(m.injected_ms), m.restored_ms),
            Phase::Recovering => (m.restored_ms.unwrap_or(u64::MAX), m.recovered_ms),
            Phase::After => (m.recovered_ms.unwrap_or(u64::MAX), None),
        }
    };
    let phases = Phase::ALL
        .iter()
        .map(|&p| {
            let (from, to) = bounds(p);
            let list = by_phase.get(&p).map(Vec::as_slice).unwrap_or_default();
            PhaseTraffic {
                phase: p.name().to_owned(),
                from_ms: if from == u64::MAX { 0 } else { rel(from) },
                to_ms: to.map(rel),
                ..tally(list)
            }
        })
        .collect();
    let lost: Vec<u64> = by_phase
        .get(&Phase::Outage)
        .map(|l| {
            l.iter()
                .filter(|s| !s.is_success())
                .map(|s| s.at_ms)
                .collect()
        })
        .unwrap_or_default();
    let window = match (lost.iter().min(), lost.iter().max()) {
        (Some(&first), Some(&last)) => Some(OutageWindow {
            first_error_ms: first.saturating_sub(m.injected_ms),
            last_error_ms: last.saturating_sub(m.injected_ms),
            duration_ms: last - first,
            requests_lost: lost.len() as u64,
            moved_ms: moved_ms.map(|mv| mv.saturating_sub(m.injected_ms)),
            budget_ms: max_outage_ms,
        }),
        _ => None,
    };
    Split {
        moved_ms,
        phases,
        window,
    }
}

/// Counts, rates and percentiles of one phase's requests.
fn tally(samples: &[&Sample]) -> PhaseTraffic {
    let whole = super::summarize(samples.iter().copied());
    let mut t = PhaseTraffic {
        requests: whole.requests,
        errors: whole.errors,
        error_rate: whole.error_rate,
        p50_ms: whole.p50_ms,
        p99_ms: whole.p99_ms,
        by_region: whole.by_region,
        ..PhaseTraffic::default()
    };
    for s in samples {
        if let Some(kind) = s.failure_kind() {
            *t.errors_by_kind.entry(kind).or_insert(0) += 1;
            let region = s.region.clone().unwrap_or_else(|| "unknown".to_owned());
            *t.errors_by_region.entry(region).or_insert(0) += 1;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(at_ms: u64, region: &str) -> Sample {
        Sample {
            at_ms,
            latency_ms: 10.0,
            status: Some(200),
            region: Some(region.to_owned()),
            error: None,
            failure: None,
        }
    }

    fn failed(at_ms: u64, status: u16, region: Option<&str>) -> Sample {
        Sample {
            at_ms,
            latency_ms: 2.0,
            status: Some(status),
            region: region.map(str::to_owned),
            error: Some(format!("HTTP {status}")),
            failure: None,
        }
    }

    /// A drill at Cloudflare's real timings, one request a second: injected
    /// at 100 s, the monitor marks the pool down 90 s later (2 checks 60 s
    /// apart), held 60 s, restored at 250 s, back 90 s after that.
    fn production_drill() -> (Vec<Sample>, Moments) {
        let mut samples = Vec::new();
        for t in (0..100).map(|s| s * 1000) {
            samples.push(ok(t, "us-east-1"));
        }
        // Pods gone: the ingress answers 503 until the LB moves.
        for t in (100..190).map(|s| s * 1000) {
            samples.push(failed(t, 503, Some("us-east-1")));
        }
        for t in (190..340).map(|s| s * 1000) {
            samples.push(ok(t, "eu-central-1"));
        }
        for t in (340..400).map(|s| s * 1000) {
            samples.push(ok(t, "us-east-1"));
        }
        let m = Moments {
            injected_ms: 100_000,
            restored_ms: Some(250_000),
            recovered_ms: Some(340_000),
        };
        (samples, m)
    }

    #[test]
    fn at_60s_timings_the_outage_is_its_own_phase_and_the_window_is_measured() {
        let (samples, m) = production_drill();
        let s = split(&samples, "us-east-1", &m, 165_000);
        assert_eq!(s.moved_ms, Some(190_000));
        let p = |ph| s.phase(ph).unwrap();
        assert_eq!(p(Phase::Steady).requests, 100);
        assert_eq!(p(Phase::Outage).requests, 90);
        assert_eq!(p(Phase::Outage).errors, 90);
        assert_eq!(p(Phase::Outage).errors_by_kind["503"], 90);
        assert_eq!(p(Phase::Outage).errors_by_region["us-east-1"], 90);
        assert_eq!(p(Phase::FailedOver).requests, 60);
        assert_eq!(p(Phase::FailedOver).errors, 0);
        assert_eq!(p(Phase::Recovering).requests, 90);
        assert_eq!(p(Phase::After).requests, 60);
        // The whole run's error rate would be 90/400 = 22.5%; the phases
        // after the move are clean.
        assert_eq!(
            (p(Phase::Outage).from_ms, p(Phase::Outage).to_ms),
            (0, Some(90_000))
        );
        assert_eq!(p(Phase::Steady).from_ms, -100_000);
        assert_eq!(p(Phase::After).to_ms, None);
        let w = s.window.unwrap();
        assert_eq!((w.first_error_ms, w.last_error_ms), (0, 89_000));
        assert_eq!(w.duration_ms, 89_000);
        assert_eq!(w.requests_lost, 90);
        assert_eq!(w.moved_ms, Some(90_000));
        assert_eq!(w.budget_ms, 165_000);
    }

    #[test]
    fn the_move_is_for_good_only_after_the_drilled_regions_last_answer() {
        // In-flight answers from the drilled region after another region
        // first answered do not count as the move.
        let samples = vec![
            ok(0, "us-east-1"),
            ok(1000, "eu-central-1"),
            ok(2000, "us-east-1"),
            failed(3000, 503, Some("us-east-1")),
            ok(4000, "eu-central-1"),
            ok(5000, "eu-central-1"),
        ];
        let m = Moments {
            injected_ms: 500,
            restored_ms: None,
            recovered_ms: None,
        };
        assert_eq!(moved_at(&samples, "us-east-1", &m), Some(4000));
        assert_eq!(phase_of(3000, &m, Some(4000)), Phase::Outage);
        assert_eq!(phase_of(4000, &m, Some(4000)), Phase::FailedOver);
    }

    #[test]
    fn traffic_that_never_moved_is_all_outage_until_the_restore() {
        let samples = vec![
            failed(1000, 503, Some("us-east-1")),
            failed(2000, 503, Some("us-east-1")),
            ok(3000, "us-east-1"),
        ];
        let m = Moments {
            injected_ms: 500,
            restored_ms: Some(2500),
            recovered_ms: Some(3000),
        };
        let s = split(&samples, "us-east-1", &m, 10_000);
        assert_eq!(s.moved_ms, None);
        assert_eq!(s.phase(Phase::Outage).unwrap().errors, 2);
        assert_eq!(s.phase(Phase::Outage).unwrap().to_ms, Some(2000));
        assert_eq!(s.window.as_ref().unwrap().moved_ms, None);
        assert_eq!(s.phase(Phase::After).unwrap().requests, 1);
    }

    #[test]
    fn errors_after_the_move_are_counted_by_the_region_that_answered() {
        let (mut samples, m) = production_drill();
        samples.push(failed(200_500, 500, Some("eu-central-1")));
        samples.push(Sample {
            at_ms: 201_500,
            latency_ms: 0.0,
            status: None,
            region: None,
            error: Some("timeout".to_owned()),
            failure: Some("timeout"),
        });
        let s = split(&samples, "us-east-1", &m, 165_000);
        let f = s.phase(Phase::FailedOver).unwrap();
        assert_eq!(f.errors, 2);
        assert_eq!(f.errors_by_region["eu-central-1"], 1);
        assert_eq!(f.errors_by_region["unknown"], 1);
        assert_eq!(f.errors_by_kind["timeout"], 1);
    }

    #[test]
    fn no_failure_means_no_window() {
        let samples = vec![ok(0, "us-east-1"), ok(2000, "eu-central-1")];
        let m = Moments {
            injected_ms: 1000,
            ..Moments::default()
        };
        assert!(split(&samples, "us-east-1", &m, 1).window.is_none());
    }
}
