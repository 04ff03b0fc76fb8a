//! One run of a command: its id, its clock, and how its report is assembled.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Instant, SystemTime};

use crate::report::model::{RegionReport, Report, SCHEMA, TrafficSummary, Verdict};

/// What a command that acts on the fleet came to, before it is a report.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    /// One report per region it looked at.
    pub regions: Vec<RegionReport>,
    /// Fleet-wide remarks.
    pub notes: Vec<String>,
    /// Synthetic traffic while it ran, if it sent any.
    pub traffic: Option<TrafficSummary>,
    /// An exit code that outranks the verdicts' when it is worse (5 refused,
    /// 6 restore left, 130 interrupted).
    pub exit_code: Option<u8>,
}

impl Findings {
    /// Region reports and notes of a command that sends no traffic and has
    /// no exit code of its own.
    pub fn new(regions: Vec<RegionReport>, notes: Vec<String>) -> Self {
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
    started_at: SystemTime,
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

    /// The final report: the verdict is the worst region verdict and the exit
    /// code follows from it.
    pub fn finish(
        &self,
        regions: Vec<RegionReport>,
        notes: Vec<String>,
        traffic: Option<TrafficSummary>,
    ) -> Report {
        let verdict = Verdict::worst(regions.iter().map(|r| r.verdict));
        self.report(verdict, verdict.exit_code(), regions, notes, traffic)
    }

    /// The final report of a command that acted: like [`Run::finish`], with
    /// the command's own exit code combined by rank.
    pub fn conclude(&self, f: Findings) -> Report {
        let mut report = self.finish(f.regions, f.notes, f.traffic);
        if let Some(code) = f.exit_code {
            report.exit_code = crate::exit_code::worst(report.exit_code, code);
        }
        report
    }

    /// A report with an explicit verdict and exit code (e.g. an invalid manifest).
    pub fn report(
        &self,
        verdict: Verdict,
        exit_code: u8,
        regions: Vec<RegionReport>,
        notes: Vec<String>,
        traffic: Option<TrafficSummary>,
    ) -> Report {
        let finished_at = SystemTime::now();
        Report {
            schema: SCHEMA.to_owned(),
            command: self.command.clone(),
            fleet: self.fleet.clone(),
            run_id: self.id.clone(),
            started_at: humantime::format_rfc3339_millis(self.started_at).to_string(),
            finished_at: humantime::format_rfc3339_millis(finished_at).to_string(),
            duration_ms: self.elapsed_ms(),
            verdict,
            exit_code,
            regions,
            traffic,
            notes,
        }
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

    #[test]
    fn finish_takes_the_worst_region() {
        let run = Run::start("validate", "f");
        let regions = vec![
            RegionReport::from_checks("a", "", vec![]),
            RegionReport {
                verdict: Verdict::Fail,
                ..RegionReport::from_checks("b", "", vec![])
            },
        ];
        let r = run.finish(regions, vec![], None);
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.exit_code, crate::exit_code::FAILED);
    }

    #[test]
    fn conclude_keeps_the_worse_of_the_verdicts_and_the_commands_code() {
        let run = Run::start("drill", "f");
        let failed = || Findings {
            regions: vec![RegionReport {
                verdict: Verdict::Fail,
                ..RegionReport::from_checks("a", "", vec![])
            }],
            ..Findings::default()
        };
        let interrupted = Findings {
            exit_code: Some(crate::exit_code::INTERRUPTED),
            ..failed()
        };
        assert_eq!(
            run.conclude(interrupted).exit_code,
            crate::exit_code::INTERRUPTED
        );
        let none = run.conclude(failed());
        assert_eq!(none.exit_code, crate::exit_code::FAILED);
        assert_eq!(none.verdict, Verdict::Fail);
    }
}
