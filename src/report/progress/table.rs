//! The live per-region table on a terminal ([`ProgressMode::Bar`]): one
//! indicatif line per region showing its current phase and how long it has
//! been in it, redrawn in place; notes and verbose check lines scroll above.
//!
//! [`ProgressMode::Bar`]: super::ProgressMode::Bar

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::events::Event;

/// How often the timers and spinners move: about once a second is enough for
/// phases that last seconds to minutes, and keeps a slow terminal calm.
const TICK: Duration = Duration::from_millis(500);

/// The live table of one run.
pub struct RegionTable {
    multi: MultiProgress,
    /// Region name and its line, in the order regions first showed a phase.
    rows: Vec<(String, ProgressBar)>,
    verbose: bool,
    /// Bold region names and dim timers; off for `--color never` and `NO_COLOR`.
    color: bool,
}

impl RegionTable {
    /// A table drawn to `target` (stderr in production, an in-memory
    /// terminal in tests), styled only when `color`.
    pub fn new(target: ProgressDrawTarget, verbose: u8, color: bool) -> Self {
        RegionTable {
            multi: MultiProgress::with_draw_target(target),
            rows: Vec::new(),
            verbose: verbose > 0,
            color,
        }
    }

    /// Updates the table for one event.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::Phase { region, phase, .. } => {
                let row = self.row(region);
                row.set_message(phase.clone());
                // The timer shows the time in the current phase: "waiting
                // for failover 41s" is what an SRE watches.
                row.reset_elapsed();
            }
            Event::RegionFinished { report } => {
                if let Some((_, row)) = self.rows.iter().find(|(r, _)| *r == report.region) {
                    row.set_style(done_style(self.color));
                    let verdict = report.verdict.to_string();
                    let text = if report.summary.is_empty() {
                        verdict
                    } else if report.summary.starts_with(&verdict) {
                        report.summary.clone()
                    } else {
                        format!("{verdict} — {}", report.summary)
                    };
                    row.finish_with_message(text);
                }
            }
            Event::Note { message } => self.println(&format!("note: {message}")),
            Event::CheckFinished { region, check } if self.verbose => {
                let detail = if check.detail.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", check.detail)
                };
                self.println(&format!(
                    "{region}: {}: {}{detail}",
                    check.name, check.verdict
                ));
            }
            Event::RunFinished { .. } => self.stop(),
            _ => {}
        }
    }

    /// Stops every line and takes the table off the screen: the report that
    /// follows on stdout says the same, and a half-drawn last line would run
    /// into its first one.
    pub fn stop(&mut self) {
        for (_, row) in &self.rows {
            if !row.is_finished() {
                row.abandon();
            }
        }
        // Clearing fails only when stderr is gone; progress is best effort.
        let _ = self.multi.clear();
    }

    fn println(&self, line: &str) {
        // Printing above the bars fails only when stderr is gone; progress is
        // best effort.
        let _ = self.multi.println(line);
    }

    fn row(&mut self, region: &str) -> &ProgressBar {
        if let Some(i) = self.rows.iter().position(|(r, _)| r == region) {
            return &self.rows[i].1;
        }
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(running_style(self.color));
        bar.set_prefix(region.to_owned());
        bar.enable_steady_tick(TICK);
        self.rows.push((region.to_owned(), bar));
        &self.rows[self.rows.len() - 1].1
    }
}

impl Drop for RegionTable {
    /// A run that ends early (an error on the way out) must not leave
    /// spinner threads ticking over the error message.
    fn drop(&mut self) {
        self.stop();
    }
}

fn running_style(color: bool) -> ProgressStyle {
    let template = if color {
        "{prefix:<16.bold} {spinner} {msg} {elapsed:.dim}"
    } else {
        "{prefix:<16} {spinner} {msg} {elapsed}"
    };
    // A fixed template: it parses, so the fallback is never used.
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn done_style(color: bool) -> ProgressStyle {
    let template = if color {
        "{prefix:<16.bold} {msg}"
    } else {
        "{prefix:<16} {msg}"
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Check, RegionReport, Verdict};
    use indicatif::InMemoryTerm;

    fn phase(region: &str, phase: &str) -> Event {
        Event::Phase {
            region: region.into(),
            phase: phase.into(),
            elapsed_ms: 0,
        }
    }

    #[test]
    fn one_line_per_region_with_its_phase_then_its_verdict() {
        let term = InMemoryTerm::new(10, 100);
        let mut table = RegionTable::new(
            ProgressDrawTarget::term_like(Box::new(term.clone())),
            0,
            true,
        );
        table.event(&phase("us-east-1", "checking steady state"));
        table.event(&phase("eu-central-1", "waiting"));
        table.event(&phase("us-east-1", "waiting for failover"));
        let screen = term.contents();
        let lines: Vec<&str> = screen.lines().collect();
        assert!(
            lines[0].starts_with("us-east-1") && lines[0].contains("waiting for failover"),
            "{screen}"
        );
        assert!(lines[1].starts_with("eu-central-1"), "{screen}");
        assert!(
            !screen.contains("checking steady state"),
            "redrawn in place: {screen}"
        );

        table.event(&Event::Note {
            message: "budget: failover within 1m".into(),
        });
        table.event(&Event::RegionFinished {
            report: RegionReport {
                verdict: Verdict::Pass,
                ..RegionReport::from_checks("us-east-1", "recovered after 270ms", vec![])
            },
        });
        let screen = term.contents();
        assert!(
            screen.contains("note: budget: failover within 1m"),
            "{screen}"
        );
        assert!(
            screen.contains("us-east-1        pass — recovered after 270ms"),
            "{screen}"
        );
        table.event(&Event::RegionFinished {
            report: RegionReport {
                verdict: Verdict::Fail,
                ..RegionReport::from_checks("eu-central-1", "fail: too slow", vec![])
            },
        });
        assert!(
            term.contents().contains("eu-central-1     fail: too slow"),
            "no repeated verdict: {}",
            term.contents()
        );
        table.stop();
        let screen = term.contents();
        assert!(
            !screen.contains("us-east-1        pass"),
            "cleared: {screen}"
        );
        assert!(screen.contains("note: budget"), "notes stay: {screen}");
    }

    #[test]
    fn checks_scroll_above_only_with_verbose() {
        let check = Event::CheckFinished {
            region: "us-east-1".into(),
            check: Check::new("inject", Verdict::Pass, "scaled to 0"),
        };
        for (verbose, shown) in [(0, false), (1, true)] {
            let term = InMemoryTerm::new(10, 100);
            let mut table = RegionTable::new(
                ProgressDrawTarget::term_like(Box::new(term.clone())),
                verbose,
                true,
            );
            table.event(&phase("us-east-1", "injecting"));
            table.event(&check);
            assert_eq!(
                term.contents()
                    .contains("us-east-1: inject: pass — scaled to 0"),
                shown,
                "{}",
                term.contents()
            );
        }
    }

    #[test]
    fn no_styles_without_colour() {
        let term = InMemoryTerm::new(10, 100);
        let mut table = RegionTable::new(
            ProgressDrawTarget::term_like(Box::new(term.clone())),
            0,
            false,
        );
        table.event(&phase("us-east-1", "injecting"));
        table.event(&Event::RegionFinished {
            report: RegionReport::from_checks("us-east-1", "restored", vec![]),
        });
        let screen = String::from_utf8(term.contents_formatted()).unwrap();
        assert!(screen.contains("us-east-1"), "{screen:?}");
        for sgr in ["\x1b[1m", "\x1b[2m"] {
            assert!(!screen.contains(sgr), "{screen:?}");
        }
    }
}
