//! What the practice schedule decided (docs/practice.md): run a drill on
//! one region now, or skip with a typed reason. A skip is not an error: a
//! CronJob asks every few minutes and most answers are "not now".

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;

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
