//! Measured data that reports carry as they are: traffic, phases, the
//! outage window, what a rollout did to a region. No words here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
