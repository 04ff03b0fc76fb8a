//! Runs an [`Invocation`]: loads the manifest, runs the command, and sends
//! its events to the reporters. Returns the exit code or the error to render.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::Path;

use crate::cli::{CommandKind, Invocation, SimCommand, generate};
use crate::errors::Error;
use crate::exit_code;
use crate::facts::Run;
use crate::facts::{Findings, Verdict};
use crate::manifest::{self, Fleet, ManifestError};
use crate::ops::validate;
use crate::report::events::Event;
use crate::report::reporter::{OutputFormat, ReportConfig, Reporter};
use crate::report::stream::{Gone, Lenient};
use crate::report::words;
use crate::signal::{SignalHandler, SignalHandlerKind};
use crate::sim::{Sim, SimHandle};

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

/// Ctrl-C and SIGTERM, for the commands that must put things back first.
pub fn signals() -> Result<SignalHandler, Error> {
    SignalHandler::new(SignalHandlerKind::Standard).map_err(|source| Error::Runtime {
        what: "signal handlers",
        source,
    })
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
        CommandKind::Validate { live: false } => validate(inv, streams),
        CommandKind::Validate { live: true }
        | CommandKind::Status { .. }
        | CommandKind::Health { .. }
        | CommandKind::Restore { .. }
        | CommandKind::Drill(_)
        | CommandKind::Rollout(_) => live(inv, streams),
        CommandKind::Sim(cmd) => sim(inv, cmd, streams),
        CommandKind::Demo => demo(inv, streams),
        CommandKind::MonitoringRender {
            out,
            exporter,
            interval,
        } => monitoring_render(inv, out, exporter, *interval, streams),
        CommandKind::Exporter { .. } => {
            let (fleet, streams) = if inv.sim {
                let (fleet, _, streams) = sim_fleet(inv, streams)?;
                (fleet, streams)
            } else {
                load_fleet(inv, streams)?
            };
            crate::live::exporter(inv, fleet, streams)
        }
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
            let report = words::report(
                &run,
                Verdict::Fail,
                exit_code::USAGE,
                Vec::new(),
                notes,
                None,
            );
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
        rep.event(&Event::RegionFinished {
            report: words::region(r),
        })?;
    }
    let report = words::conclude(&run, Findings::new(regions, notes));
    let code = report.exit_code;
    rep.event(&Event::RunFinished { report })?;
    Ok(code)
}

/// The fleet to simulate: `-f`/`OCFAIL_FLEET`, else `./fleet.yaml`, else the
/// built-in seed fleet (so `ocfail sim` works anywhere).
fn sim_fleet(inv: &Invocation, streams: Streams) -> Result<(Fleet, bool, Streams), Error> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| Path::new(".").to_path_buf());
    match manifest::discover(inv.fleet.as_deref(), &cwd) {
        Ok(_) => load_fleet(inv, streams).map(|(f, s)| (f, false, s)),
        Err(ManifestError::NotFound) => Ok((manifest::seed_fleet(), true, streams)),
        Err(e) => Err(e.into()),
    }
}

/// `ocfail monitoring render`: offline, from the manifest alone.
fn monitoring_render(
    inv: &Invocation,
    out: &Path,
    exporter: &str,
    interval: std::time::Duration,
    streams: Streams,
) -> Result<u8, Error> {
    let (fleet, streams) = load_fleet(inv, streams)?;
    let rendered = crate::ops::monitoring::render(&fleet, exporter, interval);
    let write_err = |path: &Path, source: io::Error| Error::Usage {
        message: format!("write {}: {source}", path.display()),
        hint: "pick a directory you may write to with --out".to_owned(),
    };
    std::fs::create_dir_all(out).map_err(|e| write_err(out, e))?;
    let mut stdout = streams.stdout;
    for (name, text) in crate::ops::monitoring::FILES.iter().zip([
        &rendered.scrape,
        &rendered.rules,
        &rendered.dashboard,
    ]) {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| write_err(&path, e))?;
        writeln!(stdout, "wrote {}", path.display()).map_err(Error::Stdout)?;
    }
    Ok(exit_code::OK)
}

/// `ocfail demo`: the built-in fleet, unless `-f`/`OCFAIL_FLEET` names one
/// (a `./fleet.yaml` is not picked up: the demo is the same everywhere).
fn demo(inv: &Invocation, streams: Streams) -> Result<u8, Error> {
    let (fleet, builtin, streams) = match &inv.fleet {
        Some(_) => load_fleet(inv, streams).map(|(f, s)| (f, false, s))?,
        None => (manifest::seed_fleet(), true, streams),
    };
    crate::demo::run(inv, fleet, builtin, streams)
}

fn sim(inv: &Invocation, cmd: &SimCommand, streams: Streams) -> Result<u8, Error> {
    let (fleet, builtin, streams) = sim_fleet(inv, streams)?;
    for region in cmd.kube_faults.keys().chain(cmd.origin_faults.keys()) {
        if fleet.region(region).is_none() {
            let known: Vec<&str> = fleet.regions.iter().map(|r| r.name.as_str()).collect();
            return Err(Error::Usage {
                message: format!(
                    "inject a fault into region `{region}`: the fleet has no such region"
                ),
                hint: format!("regions in this fleet: {}", known.join(", ")),
            });
        }
    }
    let runtime = crate::app::runtime()?;
    let mut out = streams.stdout;
    runtime.block_on(async {
        let mut signals = crate::app::signals()?;
        let handle = Sim::start(&fleet, cmd.options.clone()).await?;
        for (region, fault) in &cmd.kube_faults {
            handle.world().faults.set_kube(region, fault.clone());
        }
        for (region, fault) in &cmd.origin_faults {
            handle.world().faults.set_origin(region, *fault);
        }
        handle
            .world()
            .faults
            .set_cloudflare(cmd.cloudflare_fault.clone());
        let dir = cmd.out.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("ocfail-sim-{}", std::process::id()))
        });
        let (kubeconfig, fleet_path) = handle.write_files(&dir)?;
        let text = sim_banner(&fleet, builtin, &handle, &kubeconfig, &fleet_path);
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(Error::Stdout)?;
        signals.recv().await;
        let _ = writeln!(out, "stopping the simulator");
        handle.shutdown().await;
        Ok(exit_code::OK)
    })
}

fn sim_banner(
    fleet: &Fleet,
    builtin: bool,
    handle: &SimHandle,
    kubeconfig: &Path,
    fleet_path: &Path,
) -> String {
    let mut s = String::new();
    let source = if builtin {
        " (the built-in seed fleet)"
    } else {
        ""
    };
    let _ = writeln!(
        s,
        "ocfail simulator running for fleet {}{source}",
        fleet.metadata.name
    );
    for r in &fleet.regions {
        let _ = writeln!(
            s,
            "  kubernetes {:<16} {}  (context {})",
            r.name,
            handle.kube_url(r.name.as_str()).unwrap_or_default(),
            r.context
        );
    }
    let _ = writeln!(
        s,
        "  cloudflare api              {}",
        handle.cloudflare_url()
    );
    let _ = writeln!(
        s,
        "  load balancer {:<13} {}",
        fleet.cloudflare.load_balancer,
        handle.lb_url()
    );
    let _ = writeln!(
        s,
        "  admin                       {}/_sim/events",
        handle.admin_url()
    );
    let _ = writeln!(
        s,
        "wrote {} and {}",
        kubeconfig.display(),
        fleet_path.display()
    );
    let _ = writeln!(s, "try:");
    if let Some(r) = fleet.regions.first() {
        let _ = writeln!(
            s,
            "  kubectl --kubeconfig {} --context {} -n {} get deploy",
            kubeconfig.display(),
            r.context,
            r.namespace
        );
    }
    let _ = writeln!(
        s,
        "  export {}=sim-token",
        fleet.cloudflare.api_token.from_env
    );
    let _ = writeln!(s, "  ocfail -f {} validate", fleet_path.display());
    let _ = writeln!(
        s,
        "  curl -si {}{}",
        handle.lb_url(),
        fleet
            .traffic
            .as_ref()
            .map_or("/healthz".to_owned(), |_| "/healthz".to_owned())
    );
    let _ = writeln!(s, "press Ctrl-C to stop");
    s
}

fn live(inv: &Invocation, streams: Streams) -> Result<u8, Error> {
    // With --sim and no manifest anywhere, simulate the built-in seed fleet.
    let (fleet, streams) = if inv.sim {
        let (fleet, _, streams) = sim_fleet(inv, streams)?;
        (fleet, streams)
    } else {
        load_fleet(inv, streams)?
    };
    if let CommandKind::Restore { region, yes, .. } = &inv.command {
        if let Some(r) = region
            && fleet.region(r).is_none()
        {
            let known: Vec<&str> = fleet.regions.iter().map(|r| r.name.as_str()).collect();
            return Err(Error::Usage {
                message: format!("restore region `{r}`: the fleet has no such region"),
                hint: format!("regions in this fleet: {}", known.join(", ")),
            });
        }
        if !yes
            && !inv.sim
            && !confirm(&format!(
                "Restore {} from drill and rollout records? [y/N] ",
                region.as_deref().unwrap_or("every region")
            ))?
        {
            return Err(Error::Usage {
                message: "restore without confirmation".to_owned(),
                hint: "answer y at the prompt, or pass --yes (required when there is no terminal)"
                    .to_owned(),
            });
        }
    }
    if let CommandKind::Drill(d) = &inv.command {
        check_drill(&fleet, d)?;
        if !d.yes
            && !d.dry_run
            && !inv.sim
            && !confirm(&format!(
                "Take {} down for a drill (everything is restored afterwards)? [y/N] ",
                d.region
            ))?
        {
            return Err(Error::Usage {
                message: "start a drill without confirmation".to_owned(),
                hint: "answer y at the prompt, or pass --yes (required when there is no terminal); --dry-run shows the plan".to_owned(),
            });
        }
    }
    if let CommandKind::Rollout(r) = &inv.command {
        let verb = if r.image.is_some() {
            "roll out to"
        } else {
            "roll back"
        };
        check_regions(&fleet, &r.regions, verb)?;
        let what = match &r.image {
            Some(image) => format!("Roll out {image} to {}", scope(&r.regions)),
            None => format!("Switch {} back to the previous colour", scope(&r.regions)),
        };
        if !r.yes && !r.dry_run && !inv.sim && !confirm(&format!("{what}? [y/N] "))? {
            return Err(Error::Usage {
                message: format!("start a {} without confirmation", inv.command.name()),
                hint: "answer y at the prompt, or pass --yes (required when there is no terminal); --dry-run shows the plan".to_owned(),
            });
        }
    }
    let output = if matches!(inv.command, CommandKind::Status { watch: true, .. }) {
        crate::live::Output::Watch(streams)
    } else {
        crate::live::Output::Report(reporter(inv, streams, false))
    };
    crate::live::run(inv, fleet, output)
}

/// "every region" or the named ones, for a confirmation question.
fn scope(regions: &[String]) -> String {
    if regions.is_empty() {
        "every region".to_owned()
    } else {
        regions.join(", ")
    }
}

/// Every name in `regions` is one of the fleet's; `verb` reads before
/// "region `x`" in the error.
fn check_regions(fleet: &Fleet, regions: &[String], verb: &str) -> Result<(), Error> {
    for r in regions {
        if fleet.region(r).is_none() {
            let known: Vec<&str> = fleet.regions.iter().map(|r| r.name.as_str()).collect();
            return Err(Error::Usage {
                message: format!("{verb} region `{r}`: the fleet has no such region"),
                hint: format!("regions in this fleet: {}", known.join(", ")),
            });
        }
    }
    Ok(())
}

/// Asks on the terminal; without one (CI, pipes) the answer is no.
fn confirm(question: &str) -> Result<bool, Error> {
    if !io::stdin().is_terminal() || !io::stderr().is_terminal() {
        return Ok(false);
    }
    let mut err = io::stderr();
    err.write_all(question.as_bytes())
        .and_then(|()| err.flush())
        .map_err(Error::Stdout)?;
    let mut answer = String::new();
    io::stdin().read_line(&mut answer).map_err(Error::Stdout)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn check_drill(fleet: &Fleet, d: &crate::cli::invocation::DrillCommand) -> Result<(), Error> {
    if fleet.region(&d.region).is_none() {
        let known: Vec<&str> = fleet.regions.iter().map(|r| r.name.as_str()).collect();
        return Err(Error::Usage {
            message: format!("drill region `{}`: the fleet has no such region", d.region),
            hint: format!("regions in this fleet: {}", known.join(", ")),
        });
    }
    for (rule, _) in &d.overrides {
        if crate::ops::safety::Rule::parse(rule).is_none() {
            let names: Vec<&str> = crate::ops::safety::Rule::ALL
                .iter()
                .map(|r| r.name())
                .collect();
            return Err(Error::Usage {
                message: format!("override rule `{rule}`: there is no such rule"),
                hint: format!("rules: {}", names.join(", ")),
            });
        }
    }
    Ok(())
}
