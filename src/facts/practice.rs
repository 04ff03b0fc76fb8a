//! What the practice schedule decided (docs/practice.md): run a drill on
//! one region now, or skip with a typed reason. A skip is not an error: a
//! CronJob asks every few minutes and most answers are "not now".

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;

use super::api::ApiProblem;
use crate::manifest::RegionName;

/// Whether a practice drill starts now, and on which region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Drill `region` now.
    Run {
        /// The region next in the rotation.
        region: RegionName,
        /// When the allowed time ends (the window's end, or without
        /// windows the next blocked date's start); `None`: it does not, or
        /// the run is forced.
        window_end: Option<Timestamp>,
        /// `--now`: windows, blocked dates and "not due" were not consulted.
        forced: bool,
    },
    /// No drill now.
    Skip(Reason),
}

/// Why no practice drill starts now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// `practice.regions` names no region (no fleet region to drill).
    NoRegions,
    /// The region next in the rotation was drilled less than `every` ago.
    NotDue {
        /// The region next in the rotation.
        region: RegionName,
        /// When it becomes due.
        next_due: Timestamp,
    },
    /// No window is open now.
    OutsideWindow {
        /// When the next window opens (not on a blocked date); `None`: none
        /// opens within the search horizon.
        next_opens: Option<Timestamp>,
    },
    /// Every window open now is on a blocked date (without windows: today,
    /// in UTC, is blocked).
    Blocked {
        /// The blocked date, in the open window's zone.
        date: Date,
        /// When the next window opens on a date that is not blocked.
        next_opens: Option<Timestamp>,
    },
    /// Another run holds the fleet lock.
    Locked {
        /// The run holding it.
        run: String,
    },
    /// A blocking alert fires (`drill.blockingAlerts`).
    BlockingAlert {
        /// The alerts' names.
        alerts: Vec<String>,
    },
    /// Some regions' history could not be read, so which region is due is
    /// unknown (could not check, exit 3).
    HistoryUnreadable {
        /// The regions, and why.
        regions: Vec<(String, ApiProblem)>,
    },
    /// The practice run could not record its start in some regions'
    /// history, so it would be due again at once: nothing was drilled
    /// (could not check, exit 3).
    HistoryUnwritable {
        /// The regions, and why.
        regions: Vec<(String, ApiProblem)>,
    },
    /// The pool's monitor could not be read, so the drill's worst-case
    /// duration is unknown (could not check, exit 3).
    MonitorUnreadable {
        /// Why.
        problem: ApiProblem,
    },
    /// The open window ends before the drill's worst-case duration would.
    WindowTooShort {
        /// When the open window ends.
        ends_at: Timestamp,
        /// The drill's worst-case duration (failover + hold + recover).
        needs: Duration,
        /// When the next window opens.
        next_opens: Option<Timestamp>,
    },
}

impl Reason {
    /// Whether this skip means something could not be checked (exit 3)
    /// rather than "not now" (exit 0).
    pub fn unchecked(&self) -> bool {
        matches!(
            self,
            Reason::HistoryUnreadable { .. }
                | Reason::HistoryUnwritable { .. }
                | Reason::MonitorUnreadable { .. }
        )
    }
}

/// What `ocfail practice` decided, and on what, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PracticeNote {
    /// The decision.
    pub decision: Decision,
    /// `--dry-run`: nothing was done.
    pub dry_run: bool,
    /// Each practised region (manifest order) and when it was last
    /// practised (`None`: never, as far as the history tells).
    pub last: Vec<(RegionName, Option<Timestamp>)>,
    /// The drill's worst-case duration (failover + hold + recover), when
    /// known.
    pub worst_case: Option<Duration>,
}

/// A region's last practice, as the history records it: the newest run
/// that counts as practice of it ([`super::history::Entry::practised`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastPractice {
    /// When it started (the schedule counts `every` from here).
    pub at: Timestamp,
    /// Its verdict: pass, warn or fail, since only runs that ended with a
    /// verdict on the region count.
    pub verdict: super::Verdict,
    /// Its run id.
    pub run_id: String,
}
