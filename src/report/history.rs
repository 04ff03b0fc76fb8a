//! `ocfail history`: the recorded runs as a table (newest first, one line
//! each and a second line of what the run measured) or as one JSON
//! document (schema `ocfail.dev/history/v1`, docs/practice.md).

use serde::Serialize;

use crate::facts::api::ApiProblem;
use crate::facts::history::{Entry, RunState};

use super::human::duration;

/// The JSON document's schema.
pub const SCHEMA: &str = "ocfail.dev/history/v1";

/// A region whose history could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// The region.
    pub region: String,
    /// The error.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Unreadable {
    /// A region and its problem.
    pub fn new(region: &str, p: &ApiProblem) -> Self {
        Unreadable {
            region: region.to_owned(),
            message: p.message.clone(),
            hint: p.hint.clone(),
        }
    }
}

/// The `-o json` document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document<'a> {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// The fleet.
    pub fleet: &'a str,
    /// Newest first, with `state` as of now (see [`Entry::state_now`]).
    pub entries: &'a [Entry],
    /// Regions whose history could not be read.
    pub unreadable: &'a [Unreadable],
}

/// The JSON document, pretty-printed, with a final newline.
pub fn json(doc: &Document<'_>) -> String {
    let mut out = serde_json::to_string_pretty(doc).unwrap_or_default();
    out.push('\n');
    out
}

/// The table.
pub fn human(fleet: &str, entries: &[Entry], unreadable: &[Unreadable]) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str(&format!(
            "no runs recorded for fleet {fleet} yet (drills, rollouts, rollbacks, restores and \
             practice runs record themselves in each region's ConfigMap ocfail-history)\n"
        ));
    } else {
        let rows: Vec<[String; 7]> = entries.iter().map(row).collect();
        let head = [
            "STARTED (UTC)",
            "COMMAND",
            "REGIONS",
            "STATE",
            "VERDICT",
            "TOOK",
            "BY",
        ];
        let mut widths: Vec<usize> = head.iter().map(|h| h.len()).collect();
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r.iter()) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: Vec<&str>| {
            let mut l = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ");
            l.truncate(l.trim_end().len());
            l.push('\n');
            l
        };
        out.push_str(&line(head.to_vec()));
        for (e, r) in entries.iter().zip(&rows) {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
            for detail in details(e) {
                out.push_str(&format!("    {detail}\n"));
            }
        }
    }
    for u in unreadable {
        let hint = u
            .hint
            .as_deref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "warn: {}'s history could not be read: {}{hint}\n",
            u.region, u.message
        ));
    }
    out
}

fn row(e: &Entry) -> [String; 7] {
    let mut command = e.command.clone();
    if e.practice.as_ref().is_some_and(|p| p.forced) {
        command.push_str(" --now");
    }
    let verdict = match (e.verdict, e.exit_code) {
        (Some(v), Some(code)) => format!("{v} (exit {code})"),
        (Some(v), None) => v.to_string(),
        _ => "-".to_owned(),
    };
    [
        // To the second: the table is for people; JSON keeps the milliseconds.
        e.started_at
            .replace('T', " ")
            .trim_end_matches('Z')
            .chars()
            .take(19)
            .collect(),
        command,
        if e.regions.is_empty() {
            "-".to_owned()
        } else {
            e.regions.join(",")
        },
        state(e.state).to_owned(),
        verdict,
        took(e).unwrap_or_else(|| "-".to_owned()),
        e.by.clone(),
    ]
}

fn state(s: RunState) -> &'static str {
    match s {
        RunState::Running => "running",
        RunState::Finished => "finished",
        RunState::Interrupted => "interrupted",
        RunState::Unfinished => "unfinished",
    }
}

/// How long it ran, from the recorded start and end.
fn took(e: &Entry) -> Option<String> {
    let start: jiff::Timestamp = e.started_at.parse().ok()?;
    let end: jiff::Timestamp = e.finished_at.as_deref()?.parse().ok()?;
    let ms = end.duration_since(start).as_millis();
    u64::try_from(ms).ok().map(duration)
}

/// The second lines: run id, what a restore did, timings and traffic.
fn details(e: &Entry) -> Vec<String> {
    let mut out = vec![format!("run {}", e.run_id)];
    if let Some(image) = &e.image {
        out[0].push_str(&format!(", image {image}"));
    }
    if let Some(r) = &e.restored_by {
        out.push(format!(
            "interrupted; restored by {} (run {}, {}) at {}",
            r.by, r.run_id, r.verdict, r.at
        ));
    }
    if e.state == RunState::Unfinished {
        out.push(
            "the process ended without recording its end and left nothing to restore (or \
             `ocfail restore` has not run yet)"
                .to_owned(),
        );
    }
    if !e.restored_runs.is_empty() {
        out.push(format!(
            "cleaned up after run {}",
            e.restored_runs.join(", ")
        ));
    }
    for o in &e.outcomes {
        if o.timings.is_empty() && o.rollout.is_none() {
            continue;
        }
        let mut parts: Vec<String> = o
            .timings
            .iter()
            .map(|(k, ms)| format!("{} {}", k.trim_end_matches("Ms"), duration(*ms)))
            .collect();
        if let Some(r) = &o.rollout {
            parts.push(format!("{} {}→{}", r.status, r.from_color, r.to_color));
        }
        out.push(format!(
            "{}: {} — {}",
            o.region,
            o.verdict,
            parts.join(", ")
        ));
    }
    if !e.traffic.is_empty() {
        let phases: Vec<String> = e
            .traffic
            .iter()
            .map(|p| format!("{} {}/{} failed", p.phase, p.errors, p.requests))
            .collect();
        out.push(format!("traffic: {}", phases.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::PhaseTraffic;
    use crate::facts::Verdict;
    use crate::facts::history::{RegionOutcome, RestoredBy};
    use std::collections::BTreeMap;

    fn drill() -> Entry {
        Entry {
            run_id: "20261202t100000-abcdef".into(),
            command: "drill".into(),
            by: "ci@runner".into(),
            started_at: "2026-12-02T10:00:00.250Z".into(),
            finished_at: Some("2026-12-02T10:01:23.250Z".into()),
            state: RunState::Finished,
            verdict: Some(Verdict::Pass),
            exit_code: Some(0),
            regions: vec!["us-east-1".into()],
            drilled: Some("us-east-1".into()),
            outcomes: vec![RegionOutcome {
                region: "us-east-1".into(),
                verdict: Verdict::Pass,
                timings: BTreeMap::from([("unhealthyMs".to_owned(), 1008)]),
                rollout: None,
            }],
            traffic: vec![PhaseTraffic {
                phase: "outage".into(),
                requests: 40,
                errors: 3,
                ..PhaseTraffic::default()
            }],
            ..Entry::default()
        }
    }

    #[test]
    fn the_table_has_a_line_per_run_and_what_it_measured() {
        let mut crashed = drill();
        crashed.run_id = "20261202t110000-000001".into();
        crashed.state = RunState::Interrupted;
        crashed.restored_by = Some(RestoredBy {
            run_id: "20261202t110500-000002".into(),
            by: "oncall@laptop".into(),
            at: "2026-12-02T11:05:30Z".into(),
            verdict: Verdict::Pass,
        });
        let text = human("openclaw", &[crashed, drill()], &[]);
        assert!(text.starts_with("STARTED (UTC)"), "{text}");
        assert!(text.contains("2026-12-02 10:00:00  drill"), "{text}");
        assert!(text.contains("pass (exit 0)"), "{text}");
        assert!(text.contains("1m 23s"), "{text}");
        assert!(text.contains("unhealthy 1.0s"), "{text}");
        assert!(text.contains("traffic: outage 3/40 failed"), "{text}");
        assert!(
            text.contains("restored by oncall@laptop (run 20261202t110500-000002"),
            "{text}"
        );
    }

    #[test]
    fn the_document_carries_the_entries_and_unreadable_regions() {
        let entries = vec![drill()];
        let unreadable = vec![Unreadable {
            region: "eu-central-1".into(),
            message: "connection refused".into(),
            hint: None,
        }];
        let doc = Document {
            schema: SCHEMA,
            fleet: "openclaw",
            entries: &entries,
            unreadable: &unreadable,
        };
        let v: serde_json::Value = serde_json::from_str(&json(&doc)).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(v["entries"][0]["runId"], "20261202t100000-abcdef");
        assert_eq!(v["entries"][0]["state"], "finished");
        assert_eq!(v["unreadable"][0]["region"], "eu-central-1");
    }

    #[test]
    fn an_empty_history_says_where_runs_are_recorded() {
        assert!(human("openclaw", &[], &[]).contains("ConfigMap ocfail-history"));
    }
}
