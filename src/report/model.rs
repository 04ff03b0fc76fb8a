//! The report every command produces: one model, many renderers (DESIGN.md §5).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::exit_code;

/// The schema tag carried by every JSON report. Changes to it are additive only.
pub const SCHEMA: &str = "ocfail.dev/report/v1";

/// The outcome of a check, a region, or a whole run.
///
/// Ordered from best to worst, so the worst of several is their `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Not run, on purpose (e.g. a region outside `--regions`).
    Skipped,
    /// Checked and fine.
    Pass,
    /// Checked and fine, but degraded.
    Warn,
    /// No data, or the injected fault never took effect: never a pass.
    Inconclusive,
    /// Could not check: unreachable, auth or permission.
    Error,
    /// Checked and not fine.
    Fail,
}

impl Verdict {
    /// The lowercase word used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Skipped => "skipped",
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Error => "error",
            Verdict::Fail => "fail",
        }
    }

    /// The exit code this verdict maps to when it is the worst of a run.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Skipped | Verdict::Pass | Verdict::Warn => exit_code::OK,
            Verdict::Inconclusive => exit_code::INCONCLUSIVE,
            Verdict::Error => exit_code::UNAVAILABLE,
            Verdict::Fail => exit_code::FAILED,
        }
    }

    /// The worst of a set of verdicts; `Skipped` for an empty set.
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Skipped)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One named check within a region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Short stable name, e.g. `pool-health`.
    pub name: String,
    /// Its outcome.
    pub verdict: Verdict,
    /// One line saying what was seen (and, when not a pass, what to do).
    pub detail: String,
    /// How long the check took.
    pub duration_ms: u64,
}

/// Everything a command found out about one region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionReport {
    /// The region's name from the manifest.
    pub region: String,
    /// The worst of its checks, unless a command decides otherwise.
    pub verdict: Verdict,
    /// One line for the table.
    pub summary: String,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
    /// Named timings in milliseconds (e.g. `unhealthyAfterMs`).
    pub timings: BTreeMap<String, u64>,
    /// What a rollout or rollback did to the region (absent for other commands).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutFacts>,
}

/// A region's rollout in the report: where it ended, and the colours and
/// images before and after.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutFacts {
    /// `promoted`, `already-live`, `rolled-back`, `failed`, `not-started` or
    /// `restore-incomplete`.
    pub status: String,
    /// The live colour before the run.
    pub from_color: String,
    /// The colour the run promoted (or would have).
    pub to_color: String,
    /// The live image before the run.
    pub image_before: String,
    /// The live image after the run.
    pub image_after: String,
}

/// Synthetic traffic seen during a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficSummary {
    /// Requests sent.
    pub requests: u64,
    /// Requests that failed: transport error, timeout, status >= 400, or skipped as overloaded.
    pub errors: u64,
    /// `errors / requests`, 0 when nothing was sent.
    pub error_rate: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// Requests answered per serving region (from `regionHeader`).
    pub by_region: BTreeMap<String, u64>,
    /// A drill's requests per phase, in phase order (drills only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<PhaseTraffic>,
    /// What users saw between the injection and traffic moving (drills only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage_window: Option<OutageWindow>,
}

/// Synthetic requests of one drill phase, by when they were sent:
/// `steady` (before the injection), `outage` (until another region
/// answers for good), `failedOver` (until the restore), `recovering`
/// (until the region is back), `after`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseTraffic {
    /// `steady`, `outage`, `failedOver`, `recovering` or `after`.
    pub phase: String,
    /// When the phase began, in ms since the injection (negative: before).
    pub from_ms: i64,
    /// When it ended, in ms since the injection; `None`: it lasted to the
    /// end of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ms: Option<i64>,
    /// Requests sent in the phase.
    pub requests: u64,
    /// Requests that failed.
    pub errors: u64,
    /// `errors / requests`, 0 when nothing was sent.
    pub error_rate: f64,
    /// Median latency of answered requests.
    pub p50_ms: f64,
    /// 99th percentile latency of answered requests.
    pub p99_ms: f64,
    /// Successful answers per serving region.
    pub by_region: BTreeMap<String, u64>,
    /// Failed requests by what failed: an HTTP status (`503`), `timeout`,
    /// `connect` or `overloaded`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Failed requests per region that answered them (`unknown` when the
    /// answer named none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors_by_region: BTreeMap<String, u64>,
}

/// The user-visible outage: from the first failed request after the
/// injection to the last one before traffic moved. Times in ms since the
/// injection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutageWindow {
    /// When the first failed request was sent.
    pub first_error_ms: u64,
    /// When the last failed request before the move was sent.
    pub last_error_ms: u64,
    /// `last_error_ms - first_error_ms`.
    pub duration_ms: u64,
    /// Failed requests in the window.
    pub requests_lost: u64,
    /// When another region answered for good (`None`: traffic never moved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_ms: Option<u64>,
    /// The longest window allowed (`drill.maxOutage`).
    pub budget_ms: u64,
}

/// The whole result of one command: what every renderer draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The command that ran (`validate`, `drill`, …).
    pub command: String,
    /// The fleet's `metadata.name`, empty when the manifest could not be read.
    pub fleet: String,
    /// This run's id (also written into annotations and lease holders).
    pub run_id: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub finished_at: String,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// The worst region verdict.
    pub verdict: Verdict,
    /// The process exit code this report leads to.
    pub exit_code: u8,
    /// One entry per region, in manifest order.
    pub regions: Vec<RegionReport>,
    /// Synthetic traffic, for commands that sent some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<TrafficSummary>,
    /// Fleet-wide remarks, one line each.
    pub notes: Vec<String>,
}

impl RegionReport {
    /// A region report whose verdict is the worst of `checks`.
    pub fn from_checks(
        region: impl Into<String>,
        summary: impl Into<String>,
        checks: Vec<Check>,
    ) -> Self {
        RegionReport {
            region: region.into(),
            verdict: Verdict::worst(checks.iter().map(|c| c.verdict)),
            summary: summary.into(),
            checks,
            timings: BTreeMap::new(),
            rollout: None,
        }
    }
}

impl Check {
    /// A check with no measured duration.
    pub fn new(name: impl Into<String>, verdict: Verdict, detail: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            verdict,
            detail: detail.into(),
            duration_ms: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_verdict_orders_fail_above_error_above_inconclusive() {
        use Verdict::*;
        assert_eq!(Verdict::worst([Pass, Warn]), Warn);
        assert_eq!(Verdict::worst([Pass, Inconclusive, Warn]), Inconclusive);
        assert_eq!(Verdict::worst([Error, Inconclusive]), Error);
        assert_eq!(Verdict::worst([Error, Fail, Pass]), Fail);
        assert_eq!(Verdict::worst([]), Skipped);
    }

    #[test]
    fn verdicts_map_to_documented_exit_codes() {
        assert_eq!(Verdict::Pass.exit_code(), exit_code::OK);
        assert_eq!(Verdict::Warn.exit_code(), exit_code::OK);
        assert_eq!(Verdict::Fail.exit_code(), exit_code::FAILED);
        assert_eq!(Verdict::Error.exit_code(), exit_code::UNAVAILABLE);
        assert_eq!(Verdict::Inconclusive.exit_code(), exit_code::INCONCLUSIVE);
    }
}
