//! Events: the only thing operations send to the reporters.
//!
//! `ops/` never formats text; it emits these, and `report/` turns them into a
//! progress display, JSON Lines, or nothing at all. Renderers can therefore be
//! tested from a `Vec<Event>` with no network.

use serde::Serialize;

use crate::report::model::{Check, RegionReport, Report};

/// Something that happened during a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// A command started.
    #[serde(rename_all = "camelCase")]
    RunStarted {
        /// The command name.
        command: String,
        /// The fleet's name.
        fleet: String,
        /// This run's id.
        run_id: String,
        /// The regions the run covers, in manifest order.
        regions: Vec<String>,
    },
    /// A region moved to a new phase (e.g. `scaling to 0`, `waiting for failover`).
    #[serde(rename_all = "camelCase")]
    Phase {
        /// The region.
        region: String,
        /// Short phase name for the progress table.
        phase: String,
        /// Milliseconds since the run started.
        elapsed_ms: u64,
    },
    /// A check finished in a region.
    #[serde(rename_all = "camelCase")]
    CheckFinished {
        /// The region.
        region: String,
        /// The check and its outcome.
        check: Check,
    },
    /// A region is done.
    #[serde(rename_all = "camelCase")]
    RegionFinished {
        /// Its report entry.
        report: RegionReport,
    },
    /// A fleet-wide remark.
    #[serde(rename_all = "camelCase")]
    Note {
        /// The remark, one line.
        message: String,
    },
    /// The run is over; this is the final report.
    #[serde(rename_all = "camelCase")]
    RunFinished {
        /// The report every renderer draws.
        report: Report,
    },
}
