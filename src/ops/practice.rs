//! Practice runs (docs/practice.md): scheduled drills that a CronJob asks
//! for every few minutes. This step holds the schedule's arithmetic only;
//! it does no I/O.

pub mod schedule;
