//! The commands that report per region, through one pipeline: resolve the
//! fleet, check the regions named on the command line, ask, take the
//! signals (commands that change the fleet), connect, run the operation,
//! report, and pick the exit code. The demo runs its steps through
//! [`perform`] and [`report`] too.

use std::time::Duration;

use crate::cli::Invocation;
use crate::cli::invocation::{DrillCommand, RolloutCommand};
use crate::errors::Error;
use crate::exit_code;
use crate::facts::{Findings, Note, Run, Step};
use crate::manifest::{Fleet, NotifyOn};
use crate::ops::connect::{self, ConnectOptions, Connected};
use crate::ops::recovery::Recovery;
use crate::ops::supervise::Supervisor;
use crate::ops::{health, live_validate, restore, safety, snapshot, status, validate};
use crate::report::events::Event;
use crate::report::model::Report;
use crate::report::reporter::Reporter;
use crate::report::{notices, words};
use crate::signal::SignalHandler;
use crate::sim::SimOptions;

use super::history::{Recorder, Subject};
use super::notify::{Notifier, PhaseObserver};
use super::{Streams, fleet};

/// A command that reports per region, with its resolved options.
#[derive(Clone, Debug)]
pub enum Job {
    /// `validate`: the manifest alone.
    Validate,
    /// `validate --live`.
    ValidateLive,
    /// `status`, once.
    Status,
    /// `health [--preview]`.
    Health {
        /// Run the monitor preview.
        preview: bool,
    },
    /// `restore [--region R]`.
    Restore {
        /// Only this region.
        region: Option<String>,
        /// Confirmed on the command line.
        yes: bool,
        /// How long to keep retrying API errors.
        timeout: Duration,
    },
    /// `drill --region R`.
    Drill(Box<DrillCommand>),
    /// `rollout` / `rollback`.
    Rollout(Box<RolloutCommand>),
}

impl Job {
    /// Whether it changes the fleet: it then owns the signals from the start
    /// and asks before it begins.
    fn changes_fleet(&self) -> bool {
        matches!(self, Job::Restore { .. } | Job::Drill(_) | Job::Rollout(_))
    }

    /// The regions named on the command line, and the verb the error uses.
    fn named_regions(&self) -> (Vec<&str>, &'static str) {
        match self {
            Job::Restore { region, .. } => (region.iter().map(String::as_str).collect(), "restore"),
            Job::Drill(d) => (vec![d.region.as_str()], "drill"),
            Job::Rollout(r) => (
                r.regions.iter().map(String::as_str).collect(),
                if r.image.is_some() {
                    "roll out to"
                } else {
                    "roll back"
                },
            ),
            _ => (Vec::new(), ""),
        }
    }

    /// The `notify` targets' command for it, and the region it is about:
    /// drills and rollouts that change the fleet (not dry runs).
    fn notifies(&self) -> Option<(NotifyOn, Option<&str>)> {
        match self {
            Job::Drill(d) if !d.dry_run => Some((NotifyOn::Drill, Some(d.region.as_str()))),
            Job::Rollout(r) if !r.dry_run => Some((NotifyOn::Rollout, None)),
            _ => None,
        }
    }

    /// The question to ask before it starts, unless confirmed already (or a
    /// dry run, or on the simulator).
    fn question(&self, sim: bool) -> Option<String> {
        if sim {
            return None;
        }
        match self {
            Job::Restore { region, yes, .. } if !yes => {
                Some(notices::ask_restore(region.as_deref()))
            }
            Job::Drill(d) if !d.yes && !d.dry_run => Some(notices::ask_drill(&d.region)),
            Job::Rollout(r) if !r.yes && !r.dry_run => {
                Some(notices::ask_rollout(r.image.as_deref(), &r.regions))
            }
            _ => None,
        }
    }
}

/// Runs `job` as `inv` says and returns the exit code.
pub fn run(inv: &Invocation, job: &Job, streams: Streams) -> Result<u8, Error> {
    let (fleet, streams) = match job {
        Job::Validate => fleet::load(inv, streams)?,
        _ => fleet::resolve(inv, streams)?,
    };
    let (names, verb) = job.named_regions();
    fleet::check_regions(&fleet, names, verb)?;
    match job {
        Job::Drill(d) => check_overrides(&d.overrides)?,
        Job::Rollout(r) => check_rollout_overrides(&r.overrides)?,
        _ => {}
    }
    if let Some(question) = job.question(inv.sim)
        && !confirm(&question)?
    {
        return Err(unconfirmed(inv, job));
    }
    let mut reporter = super::reporter(inv, streams, false);
    if let Job::Validate = job {
        let run = started(&mut reporter, inv.command.name(), &fleet)?;
        let findings = offline_validate(&fleet);
        return report(&mut reporter, &run, findings, false).map(|r| r.exit_code);
    }
    let runtime = super::runtime()?;
    runtime.block_on(async {
        // Commands that change the fleet own their signals from the start:
        // one that arrives while connecting is then held for the supervisor,
        // which stops before anything changes, instead of killing the
        // process. Read-only commands keep the default: Ctrl-C ends them.
        let mut signals = if job.changes_fleet() {
            Some(super::signals()?)
        } else {
            None
        };
        let c = connect_for(inv, &fleet, inv.sim).await?;
        let result = async {
            let run = started(&mut reporter, inv.command.name(), &c.fleet)?;
            let names: Vec<String> = c.fleet.regions.iter().map(|r| r.name.to_string()).collect();
            let subject = Subject::of(job, inv.command.name(), &names);
            let mut recorder = Recorder::begin(&c, &run, subject).await;
            let notifier = job
                .notifies()
                .and_then(|(on, region)| Notifier::start(&c.fleet, on, &run, region));
            let observer = notifier.as_ref().map(Notifier::observer);
            let mut findings = perform_observed(
                inv,
                &c,
                job,
                &run,
                &mut reporter,
                signals.as_mut(),
                observer.as_ref(),
            )
            .await?;
            if inv.sim && fleet.prometheus.is_some() {
                findings.notes.push(Note::PrometheusNotOnSimulator);
            }
            recorder.observe(&findings);
            let mut findings = simulated(findings, inv.sim);
            // After the run is concluded, before it is shown: the report
            // then carries the warnings of notifications not delivered and
            // of a history that could not be written.
            if let Some(n) = notifier {
                n.finish(&run, &mut findings).await;
            }
            let mut report = words::conclude(&run, findings);
            recorder.finish(&c, &mut report).await;
            emit(&mut reporter, report).map(|r| r.exit_code)
        }
        .await;
        c.close().await;
        result
    })
}

/// The clients for `fleet`: the real APIs, or with `sim` (`--sim`, the
/// demo) a simulator in this process (not paced like Cloudflare: it answers
/// within microseconds, and its fast monitor keeps demos and drills short).
pub async fn connect_for(inv: &Invocation, fleet: &Fleet, sim: bool) -> Result<Connected, Error> {
    let opts = ConnectOptions {
        request_timeout: inv.request_timeout,
        cloudflare_rps: inv.cloudflare_rps,
        cloudflare_tries: 3,
    };
    let mut connected = if sim {
        let opts = ConnectOptions {
            cloudflare_rps: opts.cloudflare_rps.max(50.0),
            ..opts
        };
        connect::connect_sim(fleet, &opts, SimOptions::fast()).await?
    } else {
        connect::connect(fleet, &opts).await
    };
    connected.set_recovery(recovery(inv, fleet, sim));
    Ok(connected)
}

/// How printed commands reach this fleet: this binary, the manifest and the
/// kubeconfig by absolute path.
fn recovery(inv: &Invocation, fleet: &Fleet, sim: bool) -> Recovery {
    let cwd = std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("/"));
    let manifest = crate::manifest::discover(inv.fleet.as_deref(), &cwd).ok();
    let argv0 = std::env::args_os().next().map(std::path::PathBuf::from);
    let env = std::env::var_os("KUBECONFIG");
    Recovery::new(
        argv0.as_deref(),
        manifest.as_deref(),
        sim,
        if sim {
            None
        } else {
            fleet.kubeconfig.as_deref()
        },
        if sim { None } else { env.as_deref() },
        &cwd,
    )
    .with_in_cluster(
        !sim && crate::kube::client::kubeconfig::everyone_in_cluster(
            fleet.kubeconfig.as_deref().map(std::path::Path::new),
        ),
    )
}

/// Starts a run of `command` and tells the reporters.
pub fn started(reporter: &mut Reporter, command: &str, fleet: &Fleet) -> Result<Run, Error> {
    let run = Run::start(command, &fleet.metadata.name);
    reporter.event(&Event::RunStarted {
        command: run.command.clone(),
        fleet: run.fleet.clone(),
        run_id: run.id.clone(),
        regions: fleet.regions.iter().map(|r| r.name.to_string()).collect(),
    })?;
    Ok(run)
}

/// Runs the operation of a connected `job`. Commands that change the fleet
/// run under a [`Supervisor`] with `signals` (taken here when the caller has
/// none).
pub async fn perform(
    inv: &Invocation,
    c: &Connected,
    job: &Job,
    run: &Run,
    reporter: &mut Reporter,
    signals: Option<&mut SignalHandler>,
) -> Result<Findings, Error> {
    perform_observed(inv, c, job, run, reporter, signals, None).await
}

/// [`perform`], with every step of a run that changes the fleet also shown
/// to `observer` (its notifications).
pub async fn perform_observed(
    inv: &Invocation,
    c: &Connected,
    job: &Job,
    run: &Run,
    reporter: &mut Reporter,
    signals: Option<&mut SignalHandler>,
    observer: Option<&PhaseObserver>,
) -> Result<Findings, Error> {
    let mut own = None;
    Ok(match job {
        Job::Validate => offline_validate(&c.fleet),
        Job::ValidateLive => {
            let (regions, notes) =
                live_validate::run(&c.fleet, &c.regions, c.cloudflare.clone()).await;
            Findings::new(regions, notes)
        }
        Job::Status => status(inv, c).await,
        Job::Health { preview } => {
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
            Findings::new(regions, notes)
        }
        Job::Restore {
            region, timeout, ..
        } => {
            let opts = restore::RestoreOptions {
                ready_timeout: c.fleet.rollout.ready_timeout,
                retry_for: *timeout,
                ..restore::RestoreOptions::default()
            };
            let signals = match signals {
                Some(s) => s,
                None => own.insert(super::signals()?),
            };
            let mut progress = progress(reporter, observer);
            let mut sup = Supervisor::new(signals, &mut progress);
            restore_supervised(c, region.as_deref(), opts, &run.id, &mut sup).await
        }
        Job::Drill(d) => {
            let opts = crate::ops::drill::DrillOptions {
                region: d.region.clone(),
                hold: d.hold.unwrap_or(c.fleet.drill.hold),
                method: d.method.unwrap_or(c.fleet.drill.method),
                dry_run: d.dry_run,
                overrides: d
                    .overrides
                    .iter()
                    .filter_map(|(r, reason)| safety::Rule::parse(r).map(|r| (r, reason.clone())))
                    .collect(),
                guard_overrides: guard_overrides(&d.overrides),
                run_id: run.id.clone(),
            };
            let signals = match signals {
                Some(s) => s,
                None => own.insert(super::signals()?),
            };
            let mut progress = progress(reporter, observer);
            let mut sup = Supervisor::new(signals, &mut progress);
            crate::ops::drill::run(c, &opts, &mut sup).await.findings
        }
        Job::Rollout(r) => {
            let opts = crate::ops::rollout::RolloutOptions {
                image: r.image.clone(),
                regions: (!r.regions.is_empty()).then(|| r.regions.clone()),
                dry_run: r.dry_run,
                keep_previous: r.keep_previous,
                guard_overrides: guard_overrides(&r.overrides),
                run_id: run.id.clone(),
            };
            let signals = match signals {
                Some(s) => s,
                None => own.insert(super::signals()?),
            };
            let mut progress = progress(reporter, observer);
            let mut sup = Supervisor::new(signals, &mut progress);
            crate::ops::rollout::run(c, &opts, &mut sup).await
        }
    })
}

/// `status` (and each refresh of `status --watch`): one snapshot of the
/// fleet, judged, with the firing blocking alerts when the manifest has
/// `prometheus:` and each region's practice when it has `practice:` (both
/// read alongside the snapshot, not after it).
pub async fn status(inv: &Invocation, c: &Connected) -> Findings {
    let (snap, alerts, history) = tokio::join!(
        snapshot::fleet(
            &c.fleet,
            c.regions.clone(),
            c.cloudflare.clone(),
            inv.max_parallel,
        ),
        status::alerts::read(c.prometheus.as_ref(), &c.fleet),
        status::practice::read(&c.clients),
    );
    let (mut regions, mut notes) = status::report(&c.fleet, &snap, &c.recovery);
    status::alerts::apply(&c.fleet, alerts, &mut regions, &mut notes);
    status::practice::apply(
        &c.fleet,
        history,
        jiff::Timestamp::now(),
        &mut regions,
        &mut notes,
    );
    Findings::new(regions, notes)
}

/// The progress callback of a run that changes the fleet: the reporter's
/// display, and `observer` when the run has notifications.
fn progress<'a>(
    reporter: &'a mut Reporter,
    observer: Option<&'a PhaseObserver>,
) -> impl FnMut(&str, &Step) + Send + 'a {
    let mut shown = reporter.phases();
    move |region, step| {
        shown(region, step);
        if let Some(o) = observer {
            o.observe(region, step);
        }
    }
}

/// Sends the region reports and the final report, and returns it; the
/// command's own exit code (refused, restore incomplete, interrupted) is
/// combined with the verdicts' by rank.
pub fn report(
    reporter: &mut Reporter,
    run: &Run,
    findings: Findings,
    sim: bool,
) -> Result<Report, Error> {
    emit(reporter, conclude(run, findings, sim))
}

/// The final report of `findings`, not sent yet (so what happens after the
/// verdict, recording and notifying, can add its warnings).
pub fn conclude(run: &Run, findings: Findings, sim: bool) -> Report {
    words::conclude(run, simulated(findings, sim))
}

/// `findings` with the note that says the run used `--sim`, if it did.
pub fn simulated(mut findings: Findings, sim: bool) -> Findings {
    if sim {
        findings.notes.push(Note::RanOnSimulator);
    }
    findings
}

/// Sends a concluded report: each region's entry, then the whole.
pub fn emit(reporter: &mut Reporter, report: Report) -> Result<Report, Error> {
    for r in &report.regions {
        reporter.event(&Event::RegionFinished { report: r.clone() })?;
    }
    let event = Event::RunFinished { report };
    reporter.event(&event)?;
    let Event::RunFinished { report } = event else {
        unreachable!("built as RunFinished above")
    };
    Ok(report)
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
            notes: vec![Note::RestoreAbandoned { again }],
            traffic: None,
            exit_code: Some(exit_code::RESTORE_INCOMPLETE),
        };
    };
    if let Some(s) = sup.signal() {
        findings.notes.push(Note::SignalDuringRestore {
            signal: s.name().to_owned(),
        });
        findings.exit_code = Some(findings.exit_code.map_or(exit_code::INTERRUPTED, |c| {
            exit_code::worst(c, exit_code::INTERRUPTED)
        }));
    }
    findings
}

/// `validate`: the manifest's own checks, and whether its token is set.
fn offline_validate(fleet: &Fleet) -> Findings {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let env = validate::Environment {
        token_set: set(&fleet.cloudflare.api_token.from_env),
        notify_unset: fleet
            .notify
            .iter()
            .map(|t| t.url_from_env.clone())
            .filter(|v| !set(v))
            .collect(),
    };
    let (regions, notes) = validate::regions(fleet, &env);
    Findings::new(regions, notes)
}

/// The `--override guard:<name>` pairs: `(name, reason)`.
pub(crate) fn guard_overrides(overrides: &[(String, String)]) -> Vec<(String, String)> {
    overrides
        .iter()
        .filter_map(|(r, reason)| {
            r.strip_prefix(GUARD_PREFIX)
                .filter(|n| !n.is_empty())
                .map(|n| (n.to_owned(), reason.clone()))
        })
        .collect()
}

/// How `--override` names a guard or a blocking alert.
const GUARD_PREFIX: &str = "guard:";

/// Every `--override RULE` names a safety rule, or a guard or blocking
/// alert as `guard:<name>` (alert names are only known when they fire).
fn check_overrides(overrides: &[(String, String)]) -> Result<(), Error> {
    for (rule, _) in overrides {
        if rule
            .strip_prefix(GUARD_PREFIX)
            .is_some_and(|n| !n.is_empty())
        {
            continue;
        }
        if safety::Rule::parse(rule).is_none() {
            let names: Vec<&str> = safety::Rule::ALL.iter().map(|r| r.name()).collect();
            return Err(Error::Usage {
                message: format!("override rule `{rule}`: there is no such rule"),
                hint: format!(
                    "rules: {}, or guard:<name> for a Prometheus guard or blocking alert",
                    names.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// A rollout has Prometheus guards and blocking alerts, but none of the
/// drill's safety rules: only `guard:<name>` can be passed.
fn check_rollout_overrides(overrides: &[(String, String)]) -> Result<(), Error> {
    for (rule, _) in overrides {
        if rule
            .strip_prefix(GUARD_PREFIX)
            .is_some_and(|n| !n.is_empty())
        {
            continue;
        }
        let message = if safety::Rule::parse(rule).is_some() {
            format!("override rule `{rule}`: a safety rule of `drill`; a rollout does not check it")
        } else {
            format!("override rule `{rule}`: there is no such rule")
        };
        return Err(Error::Usage {
            message,
            hint: "a rollout takes only guard:<name>, for a Prometheus guard or blocking alert"
                .to_owned(),
        });
    }
    Ok(())
}

/// The error for a change started without its confirmation.
fn unconfirmed(inv: &Invocation, job: &Job) -> Error {
    match job {
        Job::Restore { .. } => Error::Usage {
            message: "restore without confirmation".to_owned(),
            hint: "answer y at the prompt, or pass --yes (required when there is no terminal)"
                .to_owned(),
        },
        _ => Error::Usage {
            message: format!("start a {} without confirmation", inv.command.name()),
            hint: "answer y at the prompt, or pass --yes (required when there is no terminal); \
                   --dry-run shows the plan"
                .to_owned(),
        },
    }
}

/// Asks on the terminal; without one (CI, pipes) the answer is no.
fn confirm(question: &str) -> Result<bool, Error> {
    use std::io::{IsTerminal, Write};
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(false);
    }
    let mut err = std::io::stderr();
    err.write_all(question.as_bytes())
        .and_then(|()| err.flush())
        .map_err(Error::Stdout)?;
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(Error::Stdout)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
