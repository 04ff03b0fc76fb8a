//! The run history (docs/practice.md, "History"): one [`Entry`] per drill,
//! rollout, rollback, restore and practice run, kept in each region's
//! ConfigMap `ocfail-history` as JSON. This is the stored format, so it
//! carries numbers and names only, never a sentence; `report/` words it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{PhaseTraffic, RolloutFacts, Verdict};

/// One run, as recorded. Written when the run starts (`state: running`)
/// and rewritten when it ends; `ocfail restore` marks a run it cleaned up
/// after as interrupted and names itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The run's id (sortable: it starts with its UTC start time).
    pub run_id: String,
    /// `drill`, `rollout`, `rollback`, `restore` or `practice`.
    pub command: String,
    /// Who ran it: `$OCFAIL_ACTOR` (a CronJob sets its ServiceAccount),
    /// else `user@host`.
    pub by: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time; `None` while running (or when the process died).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Where the run is.
    pub state: RunState,
    /// The run's verdict, once it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The exit code, once it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u8>,
    /// The regions the run concerned, in manifest order.
    pub regions: Vec<String>,
    /// The drilled region (drills and practice runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drilled: Option<String>,
    /// The image rolled out (rollouts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `--dry-run`: nothing was changed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Each region's outcome, once the run ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<RegionOutcome>,
    /// A drill's synthetic traffic per phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traffic: Vec<PhaseTraffic>,
    /// A practice run's decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice: Option<PracticeMark>,
    /// The `ocfail restore` that cleaned up after this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_by: Option<RestoredBy>,
    /// The runs this restore cleaned up after (restores only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restored_runs: Vec<String>,
}

/// Where a recorded run is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    /// Started and not ended: running, or the process died without a
    /// word (see [`Entry::state_now`]).
    #[default]
    Running,
    /// Ended and recorded its end.
    Finished,
    /// Stopped by a signal, or died and was cleaned up by `ocfail restore`.
    Interrupted,
    /// Recorded as running, but no run holds the fleet lock under its id:
    /// the process ended without recording it (only ever computed when
    /// reading, never stored).
    Unfinished,
}

/// One region's outcome in a recorded run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionOutcome {
    /// The region.
    pub region: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// Its timings in ms (a drill's `unhealthyMs`, `shiftedMs`,
    /// `recoveredMs`; a rollout's per-step times), as in the report.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timings: BTreeMap<String, u64>,
    /// What a rollout did to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutFacts>,
}

/// What the practice schedule decided for a run that drilled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PracticeMark {
    /// `--now`: windows, blocked dates and "not due" were not consulted.
    pub forced: bool,
}

/// Who cleaned up after a run that died.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoredBy {
    /// The restore's run id.
    pub run_id: String,
    /// Who ran the restore.
    pub by: String,
    /// RFC 3339 time the restore ended.
    pub at: String,
    /// The restore's verdict.
    pub verdict: Verdict,
}

impl Entry {
    /// Whether this run counts as practice of `region`: a drill of it
    /// (by hand or by `ocfail practice`) that changed the fleet and ended
    /// with a verdict on it (exit 0 or 1). Refused, inconclusive,
    /// interrupted and dry runs do not count, so the region stays due.
    pub fn practised(&self, region: &str) -> bool {
        matches!(self.command.as_str(), "drill" | "practice")
            && self.drilled.as_deref() == Some(region)
            && !self.dry_run
            && self.state == RunState::Finished
            && matches!(self.exit_code, Some(0 | 1))
    }

    /// The state to show, given the run ids that hold the fleet lock now:
    /// a `running` entry whose run holds no lock ended without a word.
    pub fn state_now(&self, live_runs: &[String]) -> RunState {
        match self.state {
            RunState::Running if !live_runs.iter().any(|r| r == &self.run_id) => {
                RunState::Unfinished
            }
            s => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drill(exit: Option<u8>, state: RunState) -> Entry {
        Entry {
            run_id: "20261202t100000-abcdef".into(),
            command: "drill".into(),
            drilled: Some("us-east-1".into()),
            state,
            exit_code: exit,
            ..Entry::default()
        }
    }

    #[test]
    fn only_finished_drills_with_a_verdict_count_as_practice() {
        assert!(drill(Some(0), RunState::Finished).practised("us-east-1"));
        assert!(drill(Some(1), RunState::Finished).practised("us-east-1"));
        assert!(!drill(Some(0), RunState::Finished).practised("eu-central-1"));
        assert!(!drill(Some(5), RunState::Finished).practised("us-east-1"));
        assert!(!drill(Some(130), RunState::Interrupted).practised("us-east-1"));
        assert!(!drill(None, RunState::Running).practised("us-east-1"));
        let mut dry = drill(Some(0), RunState::Finished);
        dry.dry_run = true;
        assert!(!dry.practised("us-east-1"));
    }

    #[test]
    fn a_running_entry_without_the_lock_is_unfinished() {
        let e = drill(None, RunState::Running);
        assert_eq!(
            e.state_now(std::slice::from_ref(&e.run_id)),
            RunState::Running
        );
        assert_eq!(e.state_now(&[]), RunState::Unfinished);
        let done = drill(Some(0), RunState::Finished);
        assert_eq!(done.state_now(&[]), RunState::Finished);
    }

    #[test]
    fn entries_round_trip_and_omit_what_is_empty() {
        let e = drill(Some(0), RunState::Finished);
        let text = serde_json::to_string(&e).unwrap();
        assert!(!text.contains("restoredBy"), "{text}");
        assert!(text.contains(r#""state":"finished""#), "{text}");
        let back: Entry = serde_json::from_str(&text).unwrap();
        assert_eq!(back, e);
    }
}
