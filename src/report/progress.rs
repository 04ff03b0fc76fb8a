//! Progress on stderr: which display to use, and the timestamped lines shown without a bar.

mod table;

pub use self::table::RegionTable;

use crate::report::events::Event;
use crate::report::reporter::OutputFormat;

/// How a run shows its progress on stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ProgressMode {
    /// A live per-region table redrawn in place (indicatif).
    Bar,
    /// Timestamped lines, one per phase: for CI logs and pipes.
    #[default]
    Lines,
    /// Nothing: `-q`, or a machine-readable format whose reader wants a quiet stderr.
    Hidden,
}

/// Picks the progress display.
///
/// A redrawn bar is only readable on a terminal that is not a CI log (CI
/// runners often fake a TTY, and a captured bar becomes pages of escape codes),
/// so it needs both; otherwise a human still gets lines. JSON formats and `-q`
/// get nothing, so stderr carries only errors.
pub fn resolve(
    stderr_is_terminal: bool,
    is_ci: bool,
    format: OutputFormat,
    quiet: bool,
) -> ProgressMode {
    if quiet || format != OutputFormat::Human {
        ProgressMode::Hidden
    } else if stderr_is_terminal && !is_ci {
        ProgressMode::Bar
    } else {
        ProgressMode::Lines
    }
}

/// One timestamped progress line (newline-terminated) for [`ProgressMode::Lines`],
/// or `None` for events only shown with `-v` (or never).
///
/// `now_ms` stamps events that carry no time of their own; a phase uses its `elapsed_ms`.
pub fn line(event: &Event, now_ms: u64, verbose: u8) -> Option<String> {
    let verbose = verbose > 0;
    let (ms, text) = match event {
        Event::RunStarted {
            command,
            fleet,
            run_id,
            regions,
        } if verbose => (
            now_ms,
            format!("{command} {fleet}: {} (run {run_id})", regions.join(", ")),
        ),
        Event::Phase {
            region,
            phase,
            elapsed_ms,
        } => (*elapsed_ms, format!("{region}: {phase}")),
        Event::CheckFinished { region, check } if verbose => {
            let detail = dash(&check.detail);
            (
                now_ms,
                format!("{region}: {}: {}{detail}", check.name, check.verdict),
            )
        }
        Event::RegionFinished { report } => (
            now_ms,
            format!(
                "{}: {}{}",
                report.region,
                report.verdict,
                dash(&report.summary)
            ),
        ),
        Event::Note { message } => (now_ms, format!("note: {message}")),
        _ => return None,
    };
    Some(format!("{} {text}\n", clock(ms)))
}

fn dash(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" — {detail}")
    }
}

/// `[HH:MM:SS]` since the run started; runs last minutes, so seconds suffice.
fn clock(ms: u64) -> String {
    let secs = ms / 1000;
    format!(
        "[{:02}:{:02}:{:02}]",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Check, Verdict};
    use OutputFormat::{Human, Json, Jsonl};
    use ProgressMode::{Bar, Hidden, Lines};

    #[test]
    fn resolve_table() {
        #[rustfmt::skip]
        let table = [
            // tty,   ci,    format, quiet, expected
            (true,  false, Human, false, Bar),
            (true,  true,  Human, false, Lines),
            (false, false, Human, false, Lines),
            (false, true,  Human, false, Lines),
            (true,  false, Human, true,  Hidden),
            (false, true,  Human, true,  Hidden),
            (true,  false, Json,  false, Hidden),
            (true,  false, Jsonl, false, Hidden),
            (false, false, Json,  false, Hidden),
            (false, true,  Jsonl, false, Hidden),
            (true,  false, Jsonl, true,  Hidden),
        ];
        for (tty, ci, format, quiet, expected) in table {
            assert_eq!(
                resolve(tty, ci, format, quiet),
                expected,
                "tty={tty} ci={ci} format={format:?} quiet={quiet}"
            );
        }
    }

    #[test]
    fn bar_needs_every_condition() {
        for tty in [false, true] {
            for ci in [false, true] {
                for format in [Human, Json, Jsonl] {
                    for quiet in [false, true] {
                        let bar = tty && !ci && format == Human && !quiet;
                        assert_eq!(resolve(tty, ci, format, quiet) == Bar, bar);
                    }
                }
            }
        }
    }

    #[test]
    fn clock_formats_hours_minutes_seconds() {
        assert_eq!(clock(0), "[00:00:00]");
        assert_eq!(clock(76_050), "[00:01:16]");
        assert_eq!(clock(3_723_999), "[01:02:03]");
    }

    #[test]
    fn phases_use_their_own_time_and_checks_need_verbose() {
        let phase = Event::Phase {
            region: "eu-central-1".into(),
            phase: "scaling to 0".into(),
            elapsed_ms: 61_000,
        };
        assert_eq!(
            line(&phase, 99_000, 0).unwrap(),
            "[00:01:01] eu-central-1: scaling to 0\n"
        );
        let check = Event::CheckFinished {
            region: "eu-central-1".into(),
            check: Check::new("pool-health", Verdict::Error, ""),
        };
        assert_eq!(line(&check, 2_000, 0), None);
        assert_eq!(
            line(&check, 2_000, 1).unwrap(),
            "[00:00:02] eu-central-1: pool-health: error\n"
        );
        let note = Event::Note {
            message: "lock taken".into(),
        };
        assert_eq!(
            line(&note, 3_000, 0).unwrap(),
            "[00:00:03] note: lock taken\n"
        );
    }
}
