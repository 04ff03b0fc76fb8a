//! Runs an [`Invocation`]: the one place that matches the command, resolves
//! the fleet, checks the regions named on the command line, connects (real
//! APIs or `--sim`), runs the operation, reports and picks the exit code.
//!
//! - [`fleet`]: which manifest, and the checks of names against it;
//! - [`job`]: the commands that report per region (validate, status,
//!   health, restore, drill, rollout) through one pipeline;
//! - [`watch`], [`serve`]: the commands that run until stopped;
//! - [`demo`]: the narrated tour, whose steps are [`job`]'s;
//! - [`notify`]: the manifest's webhooks, told about drills and rollouts
//!   as they go and when they end.

mod demo;
mod fleet;
mod history;
mod job;
pub mod notify;
mod practice;
mod serve;
mod watch;

use std::io::{self, IsTerminal, Write};

use crate::cli::{CommandKind, Invocation, generate};
use crate::errors::Error;
use crate::exit_code;
use crate::report::reporter::{ReportConfig, Reporter};
use crate::report::stream::{Gone, Lenient};
use crate::signal::{SignalHandler, SignalHandlerKind};

use self::job::Job;

/// Where a command writes; tests pass buffers, `run` passes the real streams.
pub struct Streams {
    /// The report.
    pub stdout: Box<dyn Write + Send>,
    /// Progress lines.
    pub stderr: Box<dyn Write + Send>,
    /// Set once stdout's reader has gone (a closed pipe), for commands that
    /// would otherwise write forever to nobody.
    pub stdout_gone: Gone,
    /// Whether stdout is a terminal (for `--color auto`).
    pub stdout_is_terminal: bool,
    /// Whether stderr is a terminal (for the live progress table).
    pub stderr_is_terminal: bool,
    /// Whether `NO_COLOR` is set.
    pub no_color: bool,
}

impl Streams {
    /// The process's own stdout and stderr. A closed pipe or a hung-up
    /// terminal on either discards what follows instead of failing the
    /// command (see [`Lenient`]).
    pub fn process() -> Self {
        let stdout = Lenient::new(io::stdout());
        Streams {
            stdout_gone: stdout.gone(),
            stdout: Box::new(stdout),
            stderr: Box::new(Lenient::new(io::stderr())),
            stdout_is_terminal: io::stdout().is_terminal(),
            stderr_is_terminal: io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }
}

/// The multi-threaded Tokio runtime every command with I/O runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Runtime {
            what: "the async runtime",
            source,
        })
}

/// Ctrl-C, SIGTERM and SIGHUP, for the commands that must put things back
/// first.
pub fn signals() -> Result<SignalHandler, Error> {
    SignalHandler::new(SignalHandlerKind::Standard).map_err(|source| Error::Runtime {
        what: "signal handlers",
        source,
    })
}

/// Runs the command, returning its exit code. The only match on
/// [`CommandKind`]: every arm hands its resolved options to the part that
/// runs them.
pub fn execute(inv: &Invocation, streams: Streams) -> Result<u8, Error> {
    let job = match &inv.command {
        CommandKind::Completions(shell) => {
            let mut out = streams.stdout;
            out.write_all(&generate::completions(*shell))
                .and_then(|()| out.flush())
                .map_err(Error::Stdout)?;
            return Ok(exit_code::OK);
        }
        CommandKind::MonitoringRender {
            out,
            exporter,
            interval,
            app_metrics,
        } => {
            return serve::monitoring_render(inv, out, exporter, *interval, *app_metrics, streams);
        }
        CommandKind::Sim(cmd) => return serve::sim(inv, cmd, streams),
        CommandKind::Exporter { listen, interval } => {
            return serve::exporter(inv, *listen, *interval, streams);
        }
        CommandKind::Demo => return demo::run(inv, streams),
        CommandKind::Status {
            watch: true,
            interval,
        } => return watch::status(inv, *interval, streams),
        CommandKind::Validate { live: false } => Job::Validate,
        CommandKind::Validate { live: true } => Job::ValidateLive,
        CommandKind::Status { watch: false, .. } => Job::Status,
        CommandKind::Health { preview } => Job::Health { preview: *preview },
        CommandKind::Restore {
            region,
            yes,
            timeout,
        } => Job::Restore {
            region: region.clone(),
            yes: *yes,
            timeout: *timeout,
        },
        CommandKind::History { region, limit } => {
            return history::command(inv, region.as_deref(), *limit, streams);
        }
        CommandKind::Practice { now, dry_run } => {
            return practice::command(inv, *now, *dry_run, streams);
        }
        CommandKind::Drill(d) => Job::Drill(d.clone()),
        CommandKind::Rollout(r) => Job::Rollout(r.clone()),
    };
    job::run(inv, &job, streams)
}

/// The reporters for `inv`'s formats; `quiet_stdout` drops the table (an
/// invalid manifest's table would only repeat stderr).
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
        progress: crate::report::progress::resolve(
            streams.stderr_is_terminal,
            is_ci(),
            inv.format,
            inv.quiet,
        ),
        progress_color: inv
            .color
            .resolve(streams.stderr_is_terminal, streams.no_color),
    };
    let stdout: Box<dyn Write + Send> = if quiet_stdout {
        Box::new(io::sink())
    } else {
        streams.stdout
    };
    Reporter::new(config, stdout, streams.stderr)
}

/// Whether this runs in CI, whose logs turn a redrawn table into pages of
/// escape codes (runners often fake a terminal). `CI` is set by GitHub
/// Actions, GitLab, Buildkite, CircleCI and most others.
fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}
