//! `ocfail demo`: the whole job on one machine. Starts the simulator
//! in-process with the built-in fleet (or the user's, with `-f`), then runs
//! status → health → drill → rollout → status through the same pipeline
//! as the commands themselves ([`job::perform`], [`job::report`]), with a
//! short narration between the steps and one summary of verdicts and
//! timings at the end. The exit code is the worst step's.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::cli::Invocation;
use crate::cli::invocation::{DrillCommand, RolloutCommand};
use crate::errors::Error;
use crate::exit_code;
use crate::facts::status::{LiveState, StatusFact, StatusNote};
use crate::facts::{Fact, Findings, Note, Verdict};
use crate::kube::image_tag;
use crate::ops::connect::Connected;
use crate::report::demo::{self as narration, DemoStep, StepResult, StepSummary};
use crate::report::human::Styles;
use crate::report::reporter::{OutputFormat, ReportConfig, Reporter};
use crate::signal::SignalHandler;

use super::fleet::{self, Source};
use super::job::{self, Job};
use super::{Streams, is_ci};

/// One writer shared by the reporters of every step.
#[derive(Clone)]
struct Shared(Arc<Mutex<Box<dyn Write + Send>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .flush()
    }
}

/// Runs the demo.
pub fn run(inv: &Invocation, streams: Streams) -> Result<u8, Error> {
    let (fleet, source, streams) = fleet::for_demo(inv, streams)?;
    let runtime = super::runtime()?;
    let color = inv
        .color
        .resolve(streams.stdout_is_terminal, streams.no_color);
    let progress = crate::report::progress::resolve(
        streams.stderr_is_terminal,
        is_ci(),
        OutputFormat::Human,
        inv.quiet,
    );
    let human = inv.format == OutputFormat::Human;
    let out = Shared(Arc::new(Mutex::new(streams.stdout)));
    let err = Shared(Arc::new(Mutex::new(streams.stderr)));
    let config = ReportConfig {
        format: OutputFormat::Human,
        color,
        junit: None,
        github_summary: None,
        quiet: inv.quiet,
        verbose: inv.verbose,
        progress,
        progress_color: inv
            .color
            .resolve(streams.stderr_is_terminal, streams.no_color),
    };
    runtime.block_on(async move {
        let mut demo = Demo {
            inv,
            out: out.clone(),
            err,
            config,
            human,
            styles: Styles::new(color),
            steps: Vec::new(),
        };
        let c = job::connect_for(inv, &fleet, true).await?;
        let code = demo.story(&c, source == Source::Builtin).await;
        c.close().await;
        let code = code?;
        if !human {
            let mut out = out;
            writeln!(
                out,
                "{}",
                narration::document(&fleet.metadata.name, code, &demo.steps)
            )
            .map_err(Error::Stdout)?;
        }
        Ok(code)
    })
}

struct Demo<'a> {
    inv: &'a Invocation,
    out: Shared,
    err: Shared,
    config: ReportConfig,
    human: bool,
    styles: Styles,
    steps: Vec<StepResult>,
}

impl Demo<'_> {
    fn say(&mut self, text: &str) -> Result<(), Error> {
        if self.human {
            self.out
                .write_all(text.as_bytes())
                .and_then(|()| self.out.flush())
                .map_err(Error::Stdout)?;
        }
        Ok(())
    }

    fn reporter(&self) -> Reporter {
        let stdout: Box<dyn Write + Send> = if self.human {
            Box::new(self.out.clone())
        } else {
            Box::new(io::sink())
        };
        Reporter::new(self.config.clone(), stdout, Box::new(self.err.clone()))
    }

    /// Runs one step through the commands' own pipeline, reports it and
    /// remembers it. Returns its findings' summary line and exit code.
    async fn step(
        &mut self,
        c: &Connected,
        n: usize,
        step: &DemoStep,
        job: &Job,
        signals: Option<&mut SignalHandler>,
        summary: impl FnOnce(&Findings) -> StepSummary,
    ) -> Result<(u8, Findings), Error> {
        self.say(&narration::heading(n, step))?;
        let mut rep = self.reporter();
        let run = job::started(&mut rep, &step.command(), &c.fleet)?;
        let findings = job::perform(self.inv, c, job, &run, &mut rep, signals).await?;
        let line = narration::step_summary(&summary(&findings));
        let report = job::report(&mut rep, &run, findings.clone(), false)?;
        self.steps.push(StepResult {
            step: report.command.clone(),
            verdict: report.verdict,
            exit_code: report.exit_code,
            duration_ms: report.duration_ms,
            summary: line,
        });
        self.say("\n")?;
        Ok((report.exit_code, findings))
    }

    async fn story(&mut self, c: &Connected, builtin: bool) -> Result<u8, Error> {
        let started = Instant::now();
        let fleet = &c.fleet;
        let names: Vec<String> = fleet.regions.iter().map(|r| r.name.to_string()).collect();
        self.say(&narration::intro(builtin, &fleet.metadata.name, &names))?;
        let notes = |f: &Findings| StepSummary::Notes(f.notes.clone());

        let (mut worst, status) = self
            .step(c, 1, &DemoStep::Status, &Job::Status, None, notes)
            .await?;

        let health = Job::Health { preview: false };
        let (code, _) = self
            .step(c, 2, &DemoStep::Health, &health, None, |f| {
                StepSummary::Healthy {
                    healthy: f
                        .regions
                        .iter()
                        .filter(|r| r.verdict == Verdict::Pass)
                        .count(),
                    total: f.regions.len(),
                }
            })
            .await?;
        worst = exit_code::worst(worst, code);

        let target = serving(&status)
            .or_else(|| names.first().cloned())
            .unwrap_or_default();
        let mut signals = super::signals()?;
        let drill = Job::Drill(Box::new(DrillCommand {
            region: target.clone(),
            hold: None,
            method: None,
            dry_run: false,
            yes: true,
            overrides: Vec::new(),
        }));
        let (code, _) = self
            .step(
                c,
                3,
                &DemoStep::Drill {
                    target: target.clone(),
                },
                &drill,
                Some(&mut signals),
                |f| {
                    let line = f.regions.iter().find(|r| r.region == target);
                    StepSummary::Region(line.map(|r| r.summary.clone()))
                },
            )
            .await?;
        worst = exit_code::worst(worst, code);
        if code == exit_code::INTERRUPTED || code == exit_code::RESTORE_INCOMPLETE {
            return self.close(worst, started);
        }

        let current = live_image(&status).unwrap_or_default();
        let image = next_image(&current);
        let waves = fleet
            .rollout
            .waves
            .iter()
            .map(|w| w.iter().map(ToString::to_string).collect())
            .collect();
        let rollout = Job::Rollout(Box::new(RolloutCommand {
            image: Some(image.clone()),
            regions: Vec::new(),
            dry_run: false,
            yes: true,
            keep_previous: false,
            overrides: Vec::new(),
        }));
        let (code, _) = self
            .step(
                c,
                4,
                &DemoStep::Rollout {
                    image: image.clone(),
                    waves,
                },
                &rollout,
                Some(&mut signals),
                |f| StepSummary::Promoted {
                    promoted: f
                        .regions
                        .iter()
                        .filter(|x| x.rollout.as_ref().is_some_and(|r| r.status == "promoted"))
                        .count(),
                    total: f.regions.len(),
                    from: image_tag(&current).to_string(),
                    to: image_tag(&image).to_string(),
                    errors: f.traffic.as_ref().map_or(0, |t| t.errors),
                },
            )
            .await?;
        worst = exit_code::worst(worst, code);
        if code == exit_code::INTERRUPTED || code == exit_code::RESTORE_INCOMPLETE {
            return self.close(worst, started);
        }

        let (code, _) = self
            .step(c, 5, &DemoStep::StatusAfter, &Job::Status, None, notes)
            .await?;
        worst = exit_code::worst(worst, code);
        self.close(worst, started)
    }

    /// The closing summary; returns `code`.
    fn close(&mut self, code: u8, started: Instant) -> Result<u8, Error> {
        let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let text = narration::closing(&self.steps, code, elapsed, &self.styles);
        self.say(&text)?;
        Ok(code)
    }
}

/// The first region the load balancer sends traffic to, from `status`.
fn serving(status: &Findings) -> Option<String> {
    status.notes.iter().find_map(|n| match n {
        Note::Status(StatusNote::ServingNow(sel)) => sel.regions().into_iter().next(),
        _ => None,
    })
}

/// The first live image `status` saw.
fn live_image(status: &Findings) -> Option<String> {
    status
        .regions
        .iter()
        .flat_map(|r| &r.checks)
        .find_map(|c| match &c.fact {
            Fact::Status(StatusFact::Deployment(LiveState::Live { image, .. })) => {
                Some(image.clone())
            }
            _ => None,
        })
}

/// The image one version on: the last number of the tag plus one
/// (`repo:1.4.1` → `repo:1.4.2`), or `-next` appended when the tag ends
/// in no number.
pub fn next_image(image: &str) -> String {
    let (repo, tag) = match image.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') && !r.is_empty() => (r, t),
        _ => return format!("{image}:next"),
    };
    let start = tag.len() - tag.chars().rev().take_while(char::is_ascii_digit).count();
    match tag[start..].parse::<u64>() {
        Ok(n) => format!("{repo}:{}{}", &tag[..start], n + 1),
        Err(_) => format!("{repo}:{tag}-next"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_image_bumps_the_last_number() {
        assert_eq!(
            next_image("registry.example.com/openclaw-api:1.4.1"),
            "registry.example.com/openclaw-api:1.4.2"
        );
        assert_eq!(next_image("r/api:v9"), "r/api:v10");
        assert_eq!(next_image("r/api:latest"), "r/api:latest-next");
        assert_eq!(next_image("r/api"), "r/api:next");
    }
}
