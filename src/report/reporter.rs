//! The `Reporter`: fans each event out to stdout, stderr progress lines and the report files.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::report::events::Event;
use crate::report::model::Report;
use crate::report::{human, json, junit, progress, summary};

/// What goes to stdout (`-o`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// A table at the end; progress on stderr.
    #[default]
    Human,
    /// One JSON report document at the end.
    Json,
    /// One JSON object per event, the last one carrying the report.
    Jsonl,
}

/// Everything the [`Reporter`] needs to know, resolved from flags and environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportConfig {
    /// What goes to stdout.
    pub format: OutputFormat,
    /// Whether the human table may use ANSI colours.
    pub color: bool,
    /// Where to write JUnit XML (`--junit`); its directory must exist.
    pub junit: Option<PathBuf>,
    /// A Markdown file to append a summary to (`$GITHUB_STEP_SUMMARY`).
    pub github_summary: Option<PathBuf>,
    /// `-q`: no progress lines on stderr.
    pub quiet: bool,
    /// `-v` count: more detail in progress lines and the human table.
    pub verbose: u8,
    /// The live table or lines on stderr (decided by [`progress::resolve`]).
    pub progress: progress::ProgressMode,
    /// Whether the live table on stderr may use ANSI styles (resolved for
    /// stderr, which may be a terminal when stdout is not).
    pub progress_color: bool,
}

/// Writing a report failed.
///
/// Messages are fragments that read after "failed to …".
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// stdout could not be written (e.g. a full disk behind `>`; a closed
    /// pipe is not an error, see [`crate::report::stream`]).
    #[error("write the report to stdout")]
    WriteStdout(#[source] io::Error),
    /// The JUnit XML could not be produced.
    #[error("serialize the JUnit report for {}", path.display())]
    RenderJunit {
        /// The `--junit` path.
        path: PathBuf,
        /// What quick-junit reported.
        #[source]
        source: quick_junit::SerializeError,
    },
    /// The JUnit file could not be written.
    #[error("write JUnit report to {}", path.display())]
    WriteJunit {
        /// The `--junit` path.
        path: PathBuf,
        /// The I/O error (a missing directory shows as "not found").
        #[source]
        source: io::Error,
    },
    /// The Markdown summary could not be appended.
    #[error("append the Markdown summary to {}", path.display())]
    WriteSummary {
        /// The summary file (`$GITHUB_STEP_SUMMARY`).
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// Turns the events of one run into every output the user asked for.
pub struct Reporter {
    config: ReportConfig,
    styles: human::Styles,
    stdout: Box<dyn Write + Send>,
    stderr: Box<dyn Write + Send>,
    started: Instant,
    /// The latest elapsed time seen, so lines without their own time never go backwards.
    last_ms: u64,
    finished: bool,
    /// The live table, drawn straight to the process's stderr, in
    /// [`progress::ProgressMode::Bar`].
    table: Option<progress::RegionTable>,
}

impl Reporter {
    /// A reporter writing the report to `stdout` and progress lines to `stderr`.
    pub fn new(
        config: ReportConfig,
        stdout: Box<dyn Write + Send>,
        stderr: Box<dyn Write + Send>,
    ) -> Self {
        let table = (config.progress == progress::ProgressMode::Bar
            && config.format == OutputFormat::Human
            && !config.quiet)
            .then(|| {
                progress::RegionTable::new(
                    indicatif::ProgressDrawTarget::stderr(),
                    config.verbose,
                    config.progress_color,
                )
            });
        Reporter {
            styles: human::Styles::new(config.color),
            table,
            config,
            stdout,
            stderr,
            started: Instant::now(),
            last_ms: 0,
            finished: false,
        }
    }

    /// Handles one event; `RunFinished` writes the report and the files.
    ///
    /// On `RunFinished` every output is attempted even if an earlier one fails
    /// (a closed stdout must not cost CI its JUnit file); the first error is returned.
    pub fn event(&mut self, event: &Event) -> Result<(), ReportError> {
        match self.config.format {
            OutputFormat::Jsonl => self.write_stdout(&json::line(event))?,
            OutputFormat::Human if !self.config.quiet => match &mut self.table {
                Some(table) => table.event(event),
                None => self.progress_line(event),
            },
            OutputFormat::Human | OutputFormat::Json => {}
        }
        match event {
            // A second RunFinished would print a second document into a stream
            // that promises one.
            Event::RunFinished { report } if !self.finished => {
                self.finished = true;
                self.finish(report)
            }
            _ => Ok(()),
        }
    }

    /// A progress callback for a long operation: each `(region, phase)`
    /// becomes an [`Event::Phase`] stamped with the time since this reporter
    /// started. Best effort: a closed stderr must not stop a drill mid-outage
    /// or a rollout mid-switch.
    pub fn phases(&mut self) -> impl FnMut(&str, &crate::facts::Step) + Send + '_ {
        let started = self.started;
        move |region, step| {
            let _ = self.event(&Event::Phase {
                region: region.to_owned(),
                phase: super::words::step(step),
                elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            });
        }
    }

    fn finish(&mut self, report: &Report) -> Result<(), ReportError> {
        let stdout = match self.config.format {
            OutputFormat::Jsonl => Ok(()),
            OutputFormat::Json => self.write_stdout(&json::document(report)),
            OutputFormat::Human => {
                self.write_stdout(&human::render(report, &self.styles, self.config.verbose))
            }
        };
        let junit = match &self.config.junit {
            Some(path) => write_junit(path, report),
            None => Ok(()),
        };
        let summary = match &self.config.github_summary {
            Some(path) => append_summary(path, report),
            None => Ok(()),
        };
        stdout.and(junit).and(summary)
    }

    fn write_stdout(&mut self, text: &str) -> Result<(), ReportError> {
        // Flushing per write keeps JSON Lines streaming to a pipe as events happen.
        self.stdout
            .write_all(text.as_bytes())
            .and_then(|()| self.stdout.flush())
            .map_err(ReportError::WriteStdout)
    }

    fn progress_line(&mut self, event: &Event) {
        // Events without their own time get the reporter's clock, never earlier than
        // a phase already shown, so the log reads in order.
        if let Event::Phase { elapsed_ms, .. } = event {
            self.last_ms = self.last_ms.max(*elapsed_ms);
        }
        let now_ms = self.now_ms();
        let Some(line) = progress::line(event, now_ms, self.config.verbose) else {
            return;
        };
        // Progress is best effort: a closed stderr must not abort a drill half-way
        // through, with a region scaled to zero.
        let _ = self.stderr.write_all(line.as_bytes());
        let _ = self.stderr.flush();
    }

    fn now_ms(&mut self) -> u64 {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms = self.last_ms.max(ms);
        self.last_ms
    }
}

fn write_junit(path: &Path, report: &Report) -> Result<(), ReportError> {
    let xml = junit::render(report).map_err(|source| ReportError::RenderJunit {
        path: path.to_owned(),
        source,
    })?;
    // No create_dir_all: a mistyped directory should be reported, not silently made.
    std::fs::write(path, xml).map_err(|source| ReportError::WriteJunit {
        path: path.to_owned(),
        source,
    })
}

fn append_summary(path: &Path, report: &Report) -> Result<(), ReportError> {
    // Appending, because earlier steps of the same job write to the same file.
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(summary::markdown(report).as_bytes()))
        .map_err(|source| ReportError::WriteSummary {
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::{SharedBuf, sample_events, sample_report};

    fn cfg(format: OutputFormat) -> ReportConfig {
        ReportConfig {
            format,
            ..ReportConfig::default()
        }
    }

    /// Feeds the sample events through a reporter; returns stdout, stderr and the first error.
    fn run(config: ReportConfig) -> (String, String, Result<(), ReportError>) {
        let (out, err) = (SharedBuf::default(), SharedBuf::default());
        let mut reporter = Reporter::new(config, Box::new(out.clone()), Box::new(err.clone()));
        let result = sample_events().iter().try_for_each(|e| reporter.event(e));
        (out.text(), err.text(), result)
    }

    #[test]
    fn json_writes_one_document_that_parses_back() {
        let (out, err, result) = run(cfg(OutputFormat::Json));
        result.unwrap();
        assert_eq!(err, "");
        let mut docs = serde_json::Deserializer::from_str(&out).into_iter::<Report>();
        assert_eq!(docs.next().unwrap().unwrap(), sample_report());
        assert!(docs.next().is_none(), "more than one document: {out}");
    }

    #[test]
    fn jsonl_stream_snapshot() {
        let (out, err, result) = run(cfg(OutputFormat::Jsonl));
        result.unwrap();
        assert_eq!(err, "");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), sample_events().len());
        let last: serde_json::Value = serde_json::from_str(lines[lines.len() - 1]).unwrap();
        assert_eq!(last["type"], "runFinished");
        let report: Report = serde_json::from_value(last["report"].clone()).unwrap();
        assert_eq!(report, sample_report());
        insta::assert_snapshot!(out);
    }

    #[test]
    fn human_prints_table_on_stdout_and_progress_on_stderr() {
        let (out, err, result) = run(cfg(OutputFormat::Human));
        result.unwrap();
        assert_eq!(
            out,
            human::render(&sample_report(), &human::Styles::plain(), 0)
        );
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines[0], "[00:00:00] us-east-1: checking steady state");
        assert_eq!(lines[1], "[00:00:01] us-east-1: scaling to 0");
        let note = "[00:00:16] note: override min-healthy-pools: game day with one spare region";
        assert_eq!(lines[4], note);
        assert_eq!(lines[5], "[00:01:16] us-east-1: restoring 3 replicas");
        let done = "[00:01:16] ap-southeast-2: fail — pool unhealthy for 12s during the hold";
        assert_eq!(lines[8], done);
        assert_eq!(lines.len(), 9, "{err}");
    }

    #[test]
    fn verbose_adds_run_and_check_lines() {
        let (_, err, result) = run(ReportConfig {
            verbose: 1,
            ..cfg(OutputFormat::Human)
        });
        result.unwrap();
        let start = "[00:00:00] drill openclaw-rating-api: us-east-1, eu-central-1, ap-southeast-2";
        assert!(err.starts_with(start), "{err}");
        assert!(
            err.contains("] us-east-1: failover: pass — pool unhealthy after 9.8s"),
            "{err}"
        );
    }

    #[test]
    fn quiet_and_jsonl_keep_stderr_empty() {
        let (out, err, _) = run(ReportConfig {
            quiet: true,
            ..cfg(OutputFormat::Human)
        });
        assert!(out.contains("verdict: fail (exit 1)"));
        assert_eq!(err, "");
        assert_eq!(run(cfg(OutputFormat::Jsonl)).1, "");
    }

    #[test]
    fn colour_follows_config() {
        let (out, _, _) = run(ReportConfig {
            color: true,
            ..cfg(OutputFormat::Human)
        });
        assert!(out.contains("\x1b["));
    }

    #[test]
    fn summary_is_created_then_appended_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let one = summary::markdown(&sample_report());
        let fresh = dir.path().join("new.md");
        run(ReportConfig {
            github_summary: Some(fresh.clone()),
            ..cfg(OutputFormat::Human)
        })
        .2
        .unwrap();
        assert_eq!(std::fs::read_to_string(&fresh).unwrap(), one);

        let path = dir.path().join("step-summary.md");
        std::fs::write(&path, "## earlier step\n\n").unwrap();
        let config = ReportConfig {
            github_summary: Some(path.clone()),
            ..cfg(OutputFormat::Json)
        };
        run(config.clone()).2.unwrap();
        run(config).2.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("## earlier step\n\n{one}{one}"));
    }

    #[test]
    fn junit_is_written_and_a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        run(ReportConfig {
            junit: Some(path.clone()),
            ..cfg(OutputFormat::Json)
        })
        .2
        .unwrap();
        let expected = junit::render(&sample_report()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);

        let missing = dir.path().join("no-such-dir").join("junit.xml");
        let summary_path = dir.path().join("summary.md");
        let mut config = cfg(OutputFormat::Json);
        config.junit = Some(missing.clone());
        config.github_summary = Some(summary_path.clone());
        let (out, _, result) = run(config);
        let err = result.unwrap_err();
        assert!(
            matches!(&err, ReportError::WriteJunit { path, .. } if *path == missing),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("write JUnit report to {}", missing.display())
        );
        // The other outputs still happened.
        assert!(out.contains("\"schema\""));
        assert!(summary_path.exists());
    }

    #[test]
    fn a_second_run_finished_is_ignored() {
        let out = SharedBuf::default();
        let mut reporter = Reporter::new(
            cfg(OutputFormat::Json),
            Box::new(out.clone()),
            Box::new(io::sink()),
        );
        let done = Event::RunFinished {
            report: sample_report(),
        };
        reporter.event(&done).unwrap();
        reporter.event(&done).unwrap();
        assert_eq!(out.text(), json::document(&sample_report()));
    }
}
