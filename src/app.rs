//! Runs an [`Invocation`]: loads the manifest, runs the command, and sends
//! its events to the reporters. Returns the exit code or the error to render.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use crate::cli::{CommandKind, Invocation, generate};
use crate::errors::Error;
use crate::events::Event;
use crate::exit_code;
use crate::manifest::{self, Fleet, ManifestError};
use crate::ops::run::Run;
use crate::ops::validate;
use crate::report::model::Verdict;
use crate::report::reporter::{OutputFormat, ReportConfig, Reporter};

/// Where a command writes; tests pass buffers, `run` passes the real streams.
pub struct Streams {
    /// The report.
    pub stdout: Box<dyn Write + Send>,
    /// Progress lines.
    pub stderr: Box<dyn Write + Send>,
    /// Whether stdout is a terminal (for `--color auto`).
    pub stdout_is_terminal: bool,
    /// Whether `NO_COLOR` is set.
    pub no_color: bool,
}

impl Streams {
    /// The process's own stdout and stderr.
    pub fn process() -> Self {
        Streams {
            stdout: Box::new(io::stdout()),
            stderr: Box::new(io::stderr()),
            stdout_is_terminal: io::stdout().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }
}

/// Runs the command, returning its exit code.
pub fn execute(inv: &Invocation, streams: Streams) -> Result<u8, Error> {
    match &inv.command {
        CommandKind::Completions(shell) => {
            let mut out = streams.stdout;
            out.write_all(&generate::completions(*shell))
                .and_then(|()| out.flush())
                .map_err(Error::Stdout)?;
            Ok(exit_code::OK)
        }
        CommandKind::Validate => validate(inv, streams),
    }
}

fn reporter(inv: &Invocation, streams: Streams, quiet_stdout: bool) -> Reporter {
    let config = ReportConfig {
        format: inv.format,
        color: inv
            .color
            .resolve(streams.stdout_is_terminal, streams.no_color),
        junit: inv.junit.clone(),
        github_summary: inv.github_summary.clone(),
        quiet: inv.quiet,
        verbose: inv.verbose,
    };
    let stdout: Box<dyn Write + Send> = if quiet_stdout {
        Box::new(io::sink())
    } else {
        streams.stdout
    };
    Reporter::new(config, stdout, streams.stderr)
}

/// Loads the manifest; when it is invalid, still writes the machine-readable
/// reports (JSON, JUnit, step summary) so CI sees why, then returns the error.
fn load_fleet(inv: &Invocation, streams: Streams) -> Result<(Fleet, Streams), Error> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| Path::new(".").to_path_buf());
    let path = manifest::discover(inv.fleet.as_deref(), &cwd)?;
    match manifest::load(&path) {
        Ok(fleet) => Ok((fleet, streams)),
        Err(ManifestError::Invalid { problems }) => {
            let run = Run::start(inv.command.name(), "");
            let notes = problems
                .diagnostics
                .iter()
                .map(|d| d.one_line(&problems.file))
                .collect();
            let report = run.report(Verdict::Fail, exit_code::USAGE, Vec::new(), notes, None);
            // The human table would only repeat stderr; machine formats still get a report.
            let mut rep = reporter(inv, streams, inv.format == OutputFormat::Human);
            rep.event(&Event::RunFinished { report })?;
            Err(ManifestError::Invalid { problems }.into())
        }
        Err(e) => Err(e.into()),
    }
}

fn validate(inv: &Invocation, streams: Streams) -> Result<u8, Error> {
    let (fleet, streams) = load_fleet(inv, streams)?;
    let run = Run::start("validate", &fleet.metadata.name);
    let env = validate::Environment {
        token_set: std::env::var_os(&fleet.cloudflare.api_token.from_env)
            .is_some_and(|v| !v.is_empty()),
    };
    let mut rep = reporter(inv, streams, false);
    rep.event(&Event::RunStarted {
        command: run.command.clone(),
        fleet: run.fleet.clone(),
        run_id: run.id.clone(),
        regions: fleet.regions.iter().map(|r| r.name.to_string()).collect(),
    })?;
    let (regions, notes) = validate::regions(&fleet, &env);
    for r in &regions {
        rep.event(&Event::RegionFinished { report: r.clone() })?;
    }
    let report = run.finish(regions, notes, None);
    let code = report.exit_code;
    rep.event(&Event::RunFinished { report })?;
    Ok(code)
}
