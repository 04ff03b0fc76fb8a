//! `status --watch` in words: a redrawn screen on a terminal, otherwise one
//! line per change. Changes are found on the facts, not on their words, so
//! rewording a summary never makes every refresh look new.

use std::time::{Duration, SystemTime};

use crate::facts::{Findings, Note, Summary, Verdict};

use super::human::{self, Styles};
use super::model::Report;
use super::words;

/// The whole screen for one refresh: clear, the report, how it refreshes.
pub fn screen(
    report: &Report,
    styles: &Styles,
    verbose: u8,
    interval: Duration,
    now: SystemTime,
) -> String {
    format!(
        "\x1b[2J\x1b[H{}\n(refreshing every {}; {}; Ctrl-C to stop)\n",
        human::render(report, styles, verbose),
        humantime::format_duration(interval),
        humantime::format_rfc3339_seconds(now)
    )
}

/// One region's state as the change lines compare it.
#[derive(Clone, Debug, PartialEq)]
enum Row {
    Region {
        name: String,
        verdict: Verdict,
        summary: Summary,
    },
    Fleet {
        verdict: Verdict,
        notes: Vec<Note>,
    },
}

/// What was shown last, to print only what changed.
#[derive(Debug, Default)]
pub struct Changes {
    previous: Vec<Row>,
}

impl Changes {
    /// Lines for what changed since the last refresh (everything, the first
    /// time). The API's latency changes on every refresh and is left out.
    pub fn lines(&mut self, findings: &Findings, now: SystemTime) -> String {
        let fleet_verdict = Verdict::worst(findings.regions.iter().map(|r| r.verdict));
        let current: Vec<Row> = findings
            .regions
            .iter()
            .map(|r| Row::Region {
                name: r.region.clone(),
                verdict: r.verdict,
                summary: r.summary.without_latency(),
            })
            .chain(std::iter::once(Row::Fleet {
                verdict: fleet_verdict,
                notes: findings.notes.iter().map(Note::without_age).collect(),
            }))
            .collect();
        let now = humantime::format_rfc3339_seconds(now);
        let mut out = String::new();
        for row in &current {
            if self.previous.contains(row) {
                continue;
            }
            let line = match row {
                Row::Region {
                    name,
                    verdict,
                    summary,
                } => format!("{now} {name}: {verdict} — {}\n", words::summary(summary)),
                Row::Fleet { verdict, notes } => {
                    let notes: Vec<String> = notes.iter().map(words::note).collect();
                    format!("{now} fleet: {verdict} — {}\n", notes.join("; "))
                }
            };
            out.push_str(&line);
        }
        self.previous = current;
        out
    }
}
