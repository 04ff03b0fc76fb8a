//! Summary math over traffic samples: totals, error rate, nearest-rank
//! percentiles, and when which region answered. Pure, so it is tested on
//! hand-made samples.

use crate::facts::TrafficSummary;

use super::Sample;

/// The report's traffic object for `samples` (any order).
pub fn summarize<'a>(samples: impl IntoIterator<Item = &'a Sample>) -> TrafficSummary {
    let mut out = TrafficSummary::default();
    let mut latencies = Vec::new();
    for s in samples {
        out.requests += 1;
        if s.status.is_some() {
            latencies.push(s.latency_ms);
        }
        if !s.is_success() {
            out.errors += 1;
        } else if let Some(r) = &s.region {
            *out.by_region.entry(r.clone()).or_insert(0) += 1;
        }
    }
    if out.requests > 0 {
        #[expect(
            clippy::cast_precision_loss,
            reason = "counts far below 2^52 are exact in f64"
        )]
        let rate = out.errors as f64 / out.requests as f64;
        out.error_rate = rate;
    }
    latencies.sort_by(f64::total_cmp);
    out.p50_ms = percentile(&latencies, 0.50);
    out.p99_ms = percentile(&latencies, 0.99);
    out
}

/// Nearest-rank percentile of sorted values (`q` in 0..=1); 0 when empty.
/// Nearest rank always returns an observed value, which reads better in a
/// report than an interpolated one.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a rank within 1..=len, computed from a small count"
    )]
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// Successful samples that name a region, in send order.
fn successes_by_time(samples: &[Sample]) -> Vec<(&str, u64)> {
    let mut v: Vec<(&str, u64)> = samples
        .iter()
        .filter(|s| s.is_success())
        .filter_map(|s| s.region.as_deref().map(|r| (r, s.at_ms)))
        .collect();
    // Stable, so equal send times keep their completion order.
    v.sort_by_key(|&(_, at)| at);
    v
}

pub(super) fn serving_region_since(samples: &[Sample], since_ms: u64) -> Option<(String, u64)> {
    let ok = successes_by_time(samples);
    let before = ok
        .iter()
        .rev()
        .find(|&&(_, at)| at < since_ms)
        .map(|&(r, _)| r);
    ok.iter()
        .find(|&&(r, at)| at >= since_ms && Some(r) != before)
        .map(|&(r, at)| (r.to_owned(), at))
}

pub(super) fn first_success_from(samples: &[Sample], region: &str, since_ms: u64) -> Option<u64> {
    samples
        .iter()
        .filter(|s| s.is_success() && s.at_ms >= since_ms && s.region.as_deref() == Some(region))
        .map(|s| s.at_ms)
        .min()
}

pub(super) fn last_region(samples: &[Sample]) -> Option<String> {
    successes_by_time(samples)
        .last()
        .map(|&(r, _)| r.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ops::traffic::OVERLOADED;

    fn ok(at_ms: u64, latency_ms: f64, region: &str) -> Sample {
        Sample {
            at_ms,
            latency_ms,
            status: Some(200),
            region: Some(region.to_owned()),
            error: None,
            failure: None,
        }
    }

    fn http_err(at_ms: u64, latency_ms: f64, status: u16, region: Option<&str>) -> Sample {
        Sample {
            at_ms,
            latency_ms,
            status: Some(status),
            region: region.map(str::to_owned),
            error: Some(format!("HTTP {status}")),
            failure: None,
        }
    }

    fn transport_err(at_ms: u64) -> Sample {
        Sample {
            at_ms,
            latency_ms: 2000.0,
            status: None,
            region: None,
            error: Some("timeout".to_owned()),
            failure: None,
        }
    }

    #[test]
    fn empty_summary_is_all_zero() {
        let s = summarize(&[]);
        assert_eq!(s, TrafficSummary::default());
        assert_eq!(s.error_rate, 0.0);
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 0.50), 50.0);
        assert_eq!(percentile(&sorted, 0.99), 99.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 0.5), 2.0);
        assert_eq!(percentile(&[1.0, 2.0], 0.99), 2.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn summary_counts_errors_and_regions_of_successes_only() {
        let samples = vec![
            ok(0, 10.0, "us-east-1"),
            ok(100, 30.0, "us-east-1"),
            http_err(200, 5.0, 503, Some("us-east-1")),
            transport_err(300),
            Sample {
                at_ms: 350,
                latency_ms: 0.0,
                status: None,
                region: None,
                error: Some(OVERLOADED.to_owned()),
                failure: None,
            },
            ok(400, 20.0, "eu-central-1"),
            http_err(500, 8.0, 404, None),
        ];
        let s = summarize(&samples);
        assert_eq!(s.requests, 7);
        assert_eq!(s.errors, 4, "503, timeout, overloaded and 404 are errors");
        assert!((s.error_rate - 4.0 / 7.0).abs() < 1e-12);
        assert_eq!(
            s.by_region,
            BTreeMap::from([("eu-central-1".to_owned(), 1), ("us-east-1".to_owned(), 2)])
        );
        // Answered: 10, 30, 5, 20, 8 → sorted 5, 8, 10, 20, 30; the timeout's
        // 2000 ms and the skipped request are left out.
        assert_eq!(s.p50_ms, 10.0);
        assert_eq!(s.p99_ms, 30.0);
    }

    #[test]
    fn three_xx_is_a_success() {
        let s = Sample {
            status: Some(301),
            ..ok(0, 1.0, "us-east-1")
        };
        assert!(s.is_success());
    }

    #[test]
    fn serving_region_finds_the_first_other_region_after_since() {
        // Out of send order on purpose: samples arrive in completion order.
        let samples = vec![
            ok(0, 1.0, "us-east-1"),
            ok(200, 1.0, "us-east-1"),
            http_err(300, 1.0, 503, Some("us-east-1")),
            ok(600, 1.0, "eu-central-1"),
            ok(500, 1.0, "eu-central-1"),
            http_err(450, 1.0, 503, Some("eu-central-1")),
            ok(400, 1.0, "us-east-1"),
        ];
        assert_eq!(
            serving_region_since(&samples, 250),
            Some(("eu-central-1".to_owned(), 500))
        );
        assert_eq!(first_success_from(&samples, "eu-central-1", 0), Some(500));
        assert_eq!(first_success_from(&samples, "eu-central-1", 501), Some(600));
        assert_eq!(first_success_from(&samples, "ap-southeast-2", 0), None);
        assert_eq!(last_region(&samples).as_deref(), Some("eu-central-1"));
        // Nothing before: whoever answers first is the serving region.
        assert_eq!(
            serving_region_since(&samples, 0),
            Some(("us-east-1".to_owned(), 0))
        );
        // No shift after the last change.
        assert_eq!(serving_region_since(&samples, 501), None);
    }
}
