//! The report every command produces: one model, many renderers (docs/report.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::facts::{OutageWindow, PhaseTraffic, RolloutFacts, TrafficSummary, Verdict};

/// The schema tag carried by every JSON report. Changes to it are additive only.
pub const SCHEMA: &str = "ocfail.dev/report/v1";

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
    /// A Prometheus guard's or expected alert's numbers, for machines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PromCheck>,
}

/// What a guard or an expected alert asked Prometheus and what it said
/// (docs/prometheus.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromCheck {
    /// The query as sent (a guard), or the alert matcher (an expectation).
    pub query: String,
    /// The value of the series furthest from holding (`null` for NaN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// That series' labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// The comparison that must hold (`<`, `<=`, `>`, `>=`, `==`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// The threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// How long a breach must last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_ms: Option<u64>,
    /// `before`, `during`, `after` or `analysis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// How many times it was evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluations: Option<u32>,
    /// An expectation: `firing`, `pending` or `silent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<String>,
    /// An expectation: first seen pending, since the outage began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_pending_ms: Option<u64>,
    /// An expectation: first seen firing, since the outage began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_firing_ms: Option<u64>,
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
    /// `ocfail practice`'s decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice: Option<Box<PracticeReport>>,
}

/// `ocfail practice`'s decision, typed (docs/practice.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PracticeReport {
    /// `run` or `skip`.
    pub decision: String,
    /// Why it skipped: `not-due`, `outside-window`, `blocked`,
    /// `window-too-short`, `no-regions`, `locked`, `blocking-alert`,
    /// `history-unreadable` or `monitor-unreadable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The region drilled (or next in the rotation when not due).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `--now`.
    pub forced: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// When the open window ends (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_ends_at: Option<String>,
    /// When the next region is due (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_due: Option<String>,
    /// When the next window opens (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_opens: Option<String>,
    /// The blocked date today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_date: Option<String>,
    /// The drill's worst-case duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst_case_ms: Option<u64>,
    /// Each practised region and when it was last practised (`null`: never).
    pub last_practised: BTreeMap<String, Option<String>>,
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
            prometheus: None,
        }
    }
}
