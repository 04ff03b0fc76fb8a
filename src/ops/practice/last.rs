//! When each practised region was last practised, from the merged history:
//! the one reading that `ocfail practice` decides on, `status` shows and
//! the exporter serves, so the three never disagree on what counts.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::facts::Verdict;
use crate::facts::history::Entry;
use crate::facts::practice::LastPractice;
use crate::manifest::RegionName;

use super::schedule::LastRuns;

/// Each region's last practice; a region never practised is absent.
pub type LastPractices = BTreeMap<RegionName, LastPractice>;

/// The last practice of each of `regions` in `entries` (any order).
pub fn last_practices(regions: &[RegionName], entries: &[Entry]) -> LastPractices {
    let mut out = LastPractices::new();
    for r in regions {
        let latest = entries
            .iter()
            .filter(|e| e.practised(r.as_str()))
            .filter_map(|e| Some((e.started_at.parse::<Timestamp>().ok()?, e)))
            // Two runs in the same instant: the later run id, as the
            // history lists them.
            .max_by(|(a, x), (b, y)| (a, &x.run_id).cmp(&(b, &y.run_id)));
        if let Some((at, e)) = latest {
            out.insert(
                r.clone(),
                LastPractice {
                    at,
                    verdict: verdict(e),
                    run_id: e.run_id.clone(),
                },
            );
        }
    }
    out
}

/// When each of `regions` was last practised, as the schedule reads it.
pub fn last_practised(regions: &[RegionName], entries: &[Entry]) -> LastRuns {
    last_practices(regions, entries)
        .into_iter()
        .map(|(r, l)| (r, l.at))
        .collect()
}

/// The run's verdict; an entry that counts as practice but carries none
/// (hand-edited) is judged by its exit code, which is 0 or 1 for every
/// entry that counts.
fn verdict(e: &Entry) -> Verdict {
    e.verdict.unwrap_or(if e.exit_code == Some(0) {
        Verdict::Pass
    } else {
        Verdict::Fail
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::history::RunState;

    fn run(id: &str, command: &str, region: &str, at: &str, exit: u8) -> Entry {
        Entry {
            run_id: id.into(),
            command: command.into(),
            started_at: at.into(),
            state: RunState::Finished,
            exit_code: Some(exit),
            verdict: Some(if exit == 0 {
                Verdict::Pass
            } else {
                Verdict::Fail
            }),
            regions: vec![region.into()],
            drilled: Some(region.into()),
            ..Entry::default()
        }
    }

    fn regions() -> Vec<RegionName> {
        ["us-east-1", "eu-central-1", "ap-southeast-2"]
            .iter()
            .map(|r| RegionName((*r).to_owned()))
            .collect()
    }

    #[test]
    fn the_newest_counting_run_per_region_with_its_verdict_and_run_id() {
        let entries = vec![
            run("a", "practice", "us-east-1", "2026-12-01T10:00:00Z", 0),
            run("b", "drill", "us-east-1", "2026-12-03T10:00:00Z", 1),
            // Refused: does not count, though newest.
            run("c", "practice", "us-east-1", "2026-12-04T10:00:00Z", 5),
            run("d", "practice", "eu-central-1", "2026-11-20T08:00:00Z", 0),
            // Not a drill of anything.
            run("e", "rollout", "ap-southeast-2", "2026-12-04T10:00:00Z", 0),
        ];
        let last = last_practices(&regions(), &entries);
        let us = &last[&regions()[0]];
        assert_eq!(us.run_id, "b");
        assert_eq!(us.verdict, Verdict::Fail);
        assert_eq!(us.at.to_string(), "2026-12-03T10:00:00Z");
        assert_eq!(last[&regions()[1]].run_id, "d");
        assert_eq!(last[&regions()[1]].verdict, Verdict::Pass);
        assert!(!last.contains_key(&regions()[2]), "never practised");

        let times = last_practised(&regions(), &entries);
        assert_eq!(times.len(), 2);
        assert_eq!(times[&regions()[0]], us.at);
    }

    #[test]
    fn an_entry_without_a_verdict_is_judged_by_its_exit_code() {
        let mut e = run("a", "drill", "us-east-1", "2026-12-01T10:00:00Z", 1);
        e.verdict = None;
        assert_eq!(verdict(&e), Verdict::Fail);
        e.exit_code = Some(0);
        assert_eq!(verdict(&e), Verdict::Pass);
        let mut warn = run("b", "drill", "us-east-1", "2026-12-01T10:00:00Z", 0);
        warn.verdict = Some(Verdict::Warn);
        assert_eq!(verdict(&warn), Verdict::Warn);
    }
}
