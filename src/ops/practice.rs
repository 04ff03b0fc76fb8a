//! Practice runs (docs/practice.md): scheduled drills that a CronJob asks
//! for every few minutes. This module holds the schedule's arithmetic and
//! the reading of the history into each region's last practice; it does
//! no I/O.

pub mod last;
pub mod schedule;
