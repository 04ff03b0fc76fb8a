//! The live commands (`status`, `health`, `validate --live`): connect to the
//! fleet or to an in-process simulator, gather, and report.

use std::io::Write;
use std::time::Duration;

use crate::app::Streams;
use crate::cli::{CommandKind, Invocation};
use crate::errors::Error;
use crate::exit_code;
use crate::facts::{Findings, Note, RegionFindings, Run};
use crate::manifest::Fleet;
use crate::ops::connect::{self, ConnectOptions, Connected};
use crate::ops::recovery::Recovery;
use crate::ops::supervise::Supervisor;
use crate::ops::{health, live_validate, restore, snapshot, status};
use crate::report::events::Event;
use crate::report::reporter::{OutputFormat, Reporter};
use crate::report::words;
use crate::signal::SignalHandler;
use crate::sim::SimOptions;

/// Where a live command's results go.
pub enum Output {
    /// The reporters (table, JSON, JUnit, step summary).
    Report(Reporter),
    /// `status --watch` writes refreshes straight to stdout.
    Watch(Streams),
}

/// The clients for `fleet`: the real APIs, or with `--sim` a simulator in
/// this process (not paced like Cloudflare: it answers within microseconds,
/// and its fast monitor keeps demos and drills short).
pub async fn connect_for(inv: &Invocation, fleet: &Fleet) -> Result<Connected, Error> {
    let opts = ConnectOptions {
        request_timeout: inv.request_timeout,
        cloudflare_rps: inv.cloudflare_rps,
        cloudflare_tries: 3,
    };
    let mut connected = if inv.sim {
        let opts = ConnectOptions {
            cloudflare_rps: opts.cloudflare_rps.max(50.0),
            ..opts
        };
        connect::connect_sim(fleet, &opts, SimOptions::fast()).await?
    } else {
        connect::connect(fleet, &opts).await
    };
    connected.set_recovery(recovery(inv, fleet));
    Ok(connected)
}

/// How printed commands reach this fleet: this binary, the manifest and the
/// kubeconfig by absolute path.
fn recovery(inv: &Invocation, fleet: &Fleet) -> Recovery {
    let cwd = std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("/"));
    let manifest = crate::manifest::discover(inv.fleet.as_deref(), &cwd).ok();
    let argv0 = std::env::args_os().next().map(std::path::PathBuf::from);
    let env = std::env::var_os("KUBECONFIG");
    Recovery::new(
        argv0.as_deref(),
        manifest.as_deref(),
        inv.sim,
        if inv.sim {
            None
        } else {
            fleet.kubeconfig.as_deref()
        },
        if inv.sim { None } else { env.as_deref() },
        &cwd,
    )
}

/// Runs a live command on `fleet` (already loaded) and returns its exit code.
pub fn run(inv: &Invocation, fleet: Fleet, output: Output) -> Result<u8, Error> {
    let runtime = crate::app::runtime()?;
    runtime.block_on(async move {
        // Commands that change the fleet own their signals from the start:
        // one that arrives while connecting is then held for the supervisor,
        // which stops before anything changes, instead of killing the
        // process. Read-only commands keep the default: Ctrl-C ends them.
        let signals = match &inv.command {
            CommandKind::Drill(_) | CommandKind::Rollout(_) | CommandKind::Restore { .. } => {
                Some(crate::app::signals()?)
            }
            _ => None,
        };
        let connected = connect_for(inv, &fleet).await?;
        let result = match (output, &inv.command) {
            (Output::Watch(streams), CommandKind::Status { interval, .. }) => {
                watch(inv, &connected, *interval, streams).await
            }
            (Output::Watch(_), _) => Ok(exit_code::USAGE),
            (Output::Report(reporter), _) => once(inv, &connected, reporter, signals).await,
        };
        connected.close().await;
        result
    })
}

async fn gather(inv: &Invocation, c: &Connected) -> (Vec<RegionFindings>, Vec<Note>) {
    match &inv.command {
        CommandKind::Health { preview } => {
            let found = health::gather(
                &c.fleet,
                &c.regions,
                c.cloudflare.clone(),
                inv.request_timeout,
                *preview,
            )
            .await;
            let (regions, mut notes) = health::report(&c.fleet, &found);
            if let Ok(cf) = &c.cloudflare {
                notes.extend(health::failover_note(cf.as_ref(), &c.fleet).await);
            }
            (regions, notes)
        }
        CommandKind::Validate { .. } => {
            live_validate::run(&c.fleet, &c.regions, c.cloudflare.clone()).await
        }
        _ => {
            let snap = snapshot::fleet(
                &c.fleet,
                c.regions.clone(),
                c.cloudflare.clone(),
                inv.max_parallel,
            )
            .await;
            status::report(&c.fleet, &snap, &c.recovery)
        }
    }
}

async fn once(
    inv: &Invocation,
    c: &Connected,
    mut reporter: Reporter,
    signals: Option<SignalHandler>,
) -> Result<u8, Error> {
    // Only commands that change the fleet have handlers (installed by
    // `run`): Ctrl-C must still end `status` or `health` at once.
    let signals = || -> Result<SignalHandler, Error> {
        match signals {
            Some(s) => Ok(s),
            None => crate::app::signals(),
        }
    };
    let run = Run::start(inv.command.name(), &c.fleet.metadata.name);
    reporter.event(&Event::RunStarted {
        command: run.command.clone(),
        fleet: run.fleet.clone(),
        run_id: run.id.clone(),
        regions: c.fleet.regions.iter().map(|r| r.name.to_string()).collect(),
    })?;
    if let CommandKind::Drill(d) = &inv.command {
        return drill(inv, c, d, &run, reporter, signals()?).await;
    }
    if let CommandKind::Rollout(r) = &inv.command {
        return rollout(inv, c, r, &run, reporter, signals()?).await;
    }
    if let CommandKind::Restore {
        region, timeout, ..
    } = &inv.command
    {
        let opts = restore::RestoreOptions {
            ready_timeout: c.fleet.rollout.ready_timeout,
            retry_for: *timeout,
            ..restore::RestoreOptions::default()
        };
        let mut signals = signals()?;
        let outcome = {
            let mut progress = reporter.phases();
            let mut sup = Supervisor::new(&mut signals, &mut progress);
            restore_supervised(c, region.as_deref(), opts, &run.id, &mut sup).await
        };
        return finish(inv, &run, reporter, outcome);
    }
    let (regions, notes) = gather(inv, c).await;
    finish(inv, &run, reporter, Findings::new(regions, notes))
}

/// Sends the region reports and the final report; the command's own exit
/// code (refused, restore incomplete, interrupted) is combined with the
/// verdicts' by rank.
fn finish(
    inv: &Invocation,
    run: &Run,
    mut reporter: Reporter,
    mut findings: Findings,
) -> Result<u8, Error> {
    if inv.sim {
        findings.notes.push(Note::RanOnSimulator);
    }
    for r in &findings.regions {
        reporter.event(&Event::RegionFinished {
            report: words::region(r),
        })?;
    }
    let report = words::conclude(run, findings);
    let code = report.exit_code;
    reporter.event(&Event::RunFinished { report })?;
    Ok(code)
}

/// `status --watch`: redraw in place on a terminal, print changes as lines
/// otherwise (and one JSON report per refresh with `-o jsonl`), until Ctrl-C.
async fn watch(
    inv: &Invocation,
    c: &Connected,
    interval: Duration,
    streams: Streams,
) -> Result<u8, Error> {
    let mut signals = crate::app::signals()?;
    let tty = streams.stdout_is_terminal && inv.format == OutputFormat::Human;
    let color = inv
        .color
        .resolve(streams.stdout_is_terminal, streams.no_color);
    let mut out = streams.stdout;
    let mut changes = crate::report::watch::Changes::default();
    let mut last_code;
    loop {
        let run = Run::start("status", &c.fleet.metadata.name);
        let (regions, notes) = gather(inv, c).await;
        let findings = Findings::new(regions, notes);
        let text = match inv.format {
            OutputFormat::Human if !tty => changes.lines(&findings, std::time::SystemTime::now()),
            _ => String::new(),
        };
        let report = words::conclude(&run, findings);
        last_code = report.exit_code;
        let text = match inv.format {
            OutputFormat::Human if tty => crate::report::watch::screen(
                &report,
                &crate::report::human::Styles::new(color),
                inv.verbose,
                interval,
                std::time::SystemTime::now(),
            ),
            OutputFormat::Human => text,
            OutputFormat::Json | OutputFormat::Jsonl => {
                crate::report::json::line(&Event::RunFinished { report })
            }
        };
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(Error::Stdout)?;
        // `status --watch | head` ends when head does, as `watch` and `yes` do.
        if streams.stdout_gone.is_gone() {
            break;
        }
        tokio::select! {
            _ = signals.recv() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
    Ok(last_code)
}

async fn drill(
    inv: &Invocation,
    c: &Connected,
    d: &crate::cli::invocation::DrillCommand,
    run: &Run,
    mut reporter: Reporter,
    signals: SignalHandler,
) -> Result<u8, Error> {
    let opts = crate::ops::drill::DrillOptions {
        region: d.region.clone(),
        hold: d.hold.unwrap_or(c.fleet.drill.hold),
        method: d.method.unwrap_or(c.fleet.drill.method),
        dry_run: d.dry_run,
        overrides: d
            .overrides
            .iter()
            .filter_map(|(r, reason)| {
                crate::ops::safety::Rule::parse(r).map(|r| (r, reason.clone()))
            })
            .collect(),
        run_id: run.id.clone(),
    };
    let mut signals = signals;
    let outcome = {
        let mut progress = reporter.phases();
        let mut sup = Supervisor::new(&mut signals, &mut progress);
        crate::ops::drill::run(c, &opts, &mut sup).await
    };
    finish(inv, run, reporter, outcome.findings)
}

async fn rollout(
    inv: &Invocation,
    c: &Connected,
    r: &crate::cli::invocation::RolloutCommand,
    run: &Run,
    mut reporter: Reporter,
    signals: SignalHandler,
) -> Result<u8, Error> {
    let opts = crate::ops::rollout::RolloutOptions {
        image: r.image.clone(),
        regions: (!r.regions.is_empty()).then(|| r.regions.clone()),
        dry_run: r.dry_run,
        keep_previous: r.keep_previous,
        run_id: run.id.clone(),
    };
    let mut signals = signals;
    let outcome = {
        let mut progress = reporter.phases();
        let mut sup = Supervisor::new(&mut signals, &mut progress);
        crate::ops::rollout::run(c, &opts, &mut sup).await
    };
    finish(inv, run, reporter, outcome)
}

/// `ocfail exporter`: serves until Ctrl-C; prints where on stdout.
pub fn exporter(inv: &Invocation, fleet: Fleet, streams: Streams) -> Result<u8, Error> {
    let CommandKind::Exporter { listen, interval } = &inv.command else {
        return Ok(exit_code::USAGE);
    };
    let runtime = crate::app::runtime()?;
    let mut out = streams.stdout;
    runtime.block_on(async move {
        let connected = connect_for(inv, &fleet).await?;
        let mut signals = crate::app::signals()?;
        let options = crate::ops::exporter::ExporterOptions {
            listen: *listen,
            interval: *interval,
            timeout: inv.request_timeout,
            max_parallel: inv.max_parallel,
        };
        let fleet_name = connected.fleet.metadata.name.clone();
        let served = crate::ops::exporter::serve(&connected, &options, &mut signals, |addr, per| {
            let sim = if inv.sim { " (on the in-process simulator)" } else { "" };
            let _ = writeln!(
                out,
                "ocfail exporter for fleet {fleet_name}{sim}: http://{addr}/metrics and http://{addr}/healthz, \
                 refreshed every {}, detailed pool health for {per} pool(s) per refresh; Ctrl-C to stop",
                humantime::format_duration(*interval)
            );
            let _ = out.flush();
        })
        .await;
        connected.close().await;
        served.map_err(|e| Error::Usage {
            message: match std::error::Error::source(&e) {
                Some(why) => format!("{e}: {why}"),
                None => e.to_string(),
            },
            hint: "pick another --listen address (port 0 takes any free port)".to_owned(),
        })?;
        Ok(exit_code::OK)
    })
}

/// `ocfail restore` under the supervisor: a first signal is noted and the
/// restore goes on (exit 130 once it is done); a second one abandons it,
/// leaving the records and the command to finish (exit 6). While it only
/// waits for another run's lease, a signal stops it with nothing changed.
async fn restore_supervised(
    c: &Connected,
    region: Option<&str>,
    opts: restore::RestoreOptions,
    run_id: &str,
    sup: &mut Supervisor<'_>,
) -> Findings {
    let stop = sup.cancel_token();
    let Some(mut findings) = sup
        .drive(restore::fleet(c, region, opts, run_id, &stop))
        .await
    else {
        let again = match region {
            Some(r) => c.recovery.ocfail(&format!("restore --region {r}")),
            None => c.recovery.ocfail("restore"),
        };
        return Findings {
            regions: Vec::new(),
            notes: vec![Note::Text(format!(
                "stopped on a second signal: the restore may be half done; run `{again}` to finish"
            ))],
            traffic: None,
            exit_code: Some(exit_code::RESTORE_INCOMPLETE),
        };
    };
    if let Some(s) = sup.signal() {
        findings.notes.push(Note::Text(format!(
            "{} arrived during the restore; the restore was finished first",
            s.name()
        )));
        findings.exit_code = Some(findings.exit_code.map_or(exit_code::INTERRUPTED, |c| {
            exit_code::worst(c, exit_code::INTERRUPTED)
        }));
    }
    findings
}
