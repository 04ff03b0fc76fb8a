//! Each practised region's last practice and when the next is due, which
//! `status` shows when the manifest has `practice:` (docs/practice.md).
//!
//! The history is read once, alongside the fleet snapshot (one GET per
//! region). Status reports and never refuses: a region never practised,
//! overdue, or whose last practice failed is a warning, and a history that
//! cannot be read is a warning note, not an error of the region: the
//! fleet may be fine, and the region's own API check already says when it
//! cannot be reached.

use jiff::Timestamp;

use crate::facts::api::ApiProblem;
use crate::facts::history::Entry;
use crate::facts::practice::LastPractice;
use crate::facts::status::{PracticeState, StatusFact, StatusNote, StatusSummary};
use crate::facts::{Finding, Note, RegionFindings, Summary, Verdict};
use crate::kube::Workloads;
use crate::manifest::{Fleet, Practice};
use crate::ops::clients::Clients;
use crate::ops::history;
use crate::ops::practice::last::last_practices;
use crate::ops::practice::schedule::Schedule;

/// Each region's history (or why it could not be read), when status
/// should show practice: `None` without `practice:`.
pub type HistoryRead = Option<Vec<(String, Result<Vec<Entry>, ApiProblem>)>>;

/// Reads every region's history, if the manifest schedules practice.
pub async fn read<W, P>(c: &Clients<W, P>) -> HistoryRead
where
    W: Workloads + Clone + 'static,
{
    c.fleet.practice.as_ref()?;
    Some(history::read(c).await)
}

/// Where a region last practised as `last` (`None`: never) stands at
/// `now`, and the verdict status gives it: never practised, overdue, or a
/// failed last practice is a warning.
pub fn state(
    practice: &Practice,
    last: Option<LastPractice>,
    now: Timestamp,
) -> (Verdict, PracticeState) {
    let Some(last) = last else {
        return (Verdict::Warn, PracticeState::Never);
    };
    let next_due = Schedule::new(practice).next_due(last.at);
    if next_due <= now {
        return (
            Verdict::Warn,
            PracticeState::Overdue {
                last,
                since: next_due,
            },
        );
    }
    let verdict = if last.verdict == Verdict::Fail {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    (verdict, PracticeState::Practised { last, next_due })
}

/// Adds each practised region's practice to `status`'s regions (a check,
/// and a word on its line), or a note for each practised region whose
/// history could not be read.
pub fn apply(
    fleet: &Fleet,
    read: HistoryRead,
    now: Timestamp,
    regions: &mut [RegionFindings],
    notes: &mut Vec<Note>,
) {
    let (Some(practice), Some(histories)) = (&fleet.practice, read) else {
        return;
    };
    let practised = |name: &str| practice.regions.iter().any(|p| p.as_str() == name);
    // A practice run is recorded in its own region only, so a region
    // whose history is unreadable has no last practice anyone can tell.
    let mut unreadable: Vec<String> = Vec::new();
    for (region, h) in &histories {
        if let (true, Err(problem)) = (practised(region), h) {
            unreadable.push(region.clone());
            notes.push(
                StatusNote::HistoryUnreadable {
                    region: region.clone(),
                    problem: problem.clone(),
                }
                .into(),
            );
        }
    }
    let entries = history::merged(histories.iter().filter_map(|(_, h)| h.as_ref().ok()));
    let mut last = last_practices(&practice.regions, &entries);
    for r in regions.iter_mut() {
        if !practised(&r.region) || unreadable.contains(&r.region) {
            continue;
        }
        let key = practice.regions.iter().find(|p| p.as_str() == r.region);
        let (verdict, state) = state(practice, key.and_then(|k| last.remove(k)), now);
        if let Summary::Status(StatusSummary::Region(line)) = &mut r.summary {
            line.practice = Some(Box::new(state.clone()));
        }
        r.checks
            .push(Finding::new(verdict, StatusFact::Practice(state)));
        r.verdict = Verdict::worst(r.checks.iter().map(|c| c.verdict));
    }
}

#[cfg(test)]
mod tests;
