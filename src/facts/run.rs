//! One run of a command: its id and its clock, and what it came to.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Instant, SystemTime};

use super::{Note, RegionFindings, TrafficSummary};

/// What a command came to, before it is a report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Findings {
    /// One entry per region it looked at.
    pub regions: Vec<RegionFindings>,
    /// Fleet-wide remarks.
    pub notes: Vec<Note>,
    /// Synthetic traffic while it ran, if it sent any.
    pub traffic: Option<TrafficSummary>,
    /// An exit code that outranks the verdicts' when it is worse (5 refused,
    /// 6 restore left, 130 interrupted).
    pub exit_code: Option<u8>,
}

impl Findings {
    /// Region findings and notes of a command that sends no traffic and has
    /// no exit code of its own.
    pub fn new(regions: Vec<RegionFindings>, notes: Vec<Note>) -> Self {
        Findings {
            regions,
            notes,
            ..Findings::default()
        }
    }
}

/// The identity and clock of one command run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The command's name.
    pub command: String,
    /// The fleet's name.
    pub fleet: String,
    /// Unique id: UTC start time plus random hex, sortable and greppable.
    pub id: String,
    /// When it started, by the wall clock.
    pub started_at: SystemTime,
    started: Instant,
}

impl Run {
    /// Starts the clock for `command` on `fleet`.
    pub fn start(command: &str, fleet: &str) -> Self {
        let started_at = SystemTime::now();
        let stamp = humantime::format_rfc3339_seconds(started_at)
            .to_string()
            .replace([':', '-'], "");
        // RandomState is seeded from the OS, which is all a run id needs.
        let random = RandomState::new().hash_one(started_at) & 0xff_ffff;
        Run {
            command: command.to_owned(),
            fleet: fleet.to_owned(),
            id: format!(
                "{}-{random:06x}",
                stamp.trim_end_matches('Z').to_lowercase()
            ),
            started_at,
            started: Instant::now(),
        }
    }

    /// Milliseconds since the run started.
    pub fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_unique_and_shaped() {
        let a = Run::start("validate", "f");
        let b = Run::start("validate", "f");
        assert_ne!(a.id, b.id);
        assert_eq!(a.id.len(), "20261128t210746-abcdef".len(), "{}", a.id);
    }
}
