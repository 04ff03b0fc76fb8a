//! `ocfail demo`: the whole job on one machine (DESIGN.md §1, §4). Starts
//! the simulator in-process with the built-in fleet (or the user's, with
//! `-f`), then runs status → health → drill → rollout → status with a short
//! narration between the steps, each step's own report, and one summary of
//! verdicts and timings at the end. The exit code is the worst step's.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::app::Streams;
use crate::cli::Invocation;
use crate::errors::Error;
use crate::exit_code;
use crate::facts::status::StatusNote;
use crate::facts::{Findings, Note, Run};
use crate::kube::image_tag;
use crate::manifest::Fleet;
use crate::ops::connect::{self, ConnectOptions, Connected};
use crate::ops::drill::{self, DrillOptions};
use crate::ops::rollout::{self, RolloutOptions};
use crate::ops::supervise::Supervisor;
use crate::ops::{health, snapshot, status};
use crate::report::events::Event;
use crate::report::human::{self, Styles};
use crate::report::model::{Report, Verdict};
use crate::report::reporter::{OutputFormat, ReportConfig, Reporter};
use crate::report::words;
use crate::sim::SimOptions;

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

/// What one step of the demo came to, for the closing summary.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    /// `status`, `health`, `drill us-east-1`, ….
    pub step: String,
    /// The step's verdict.
    pub verdict: Verdict,
    /// The step's exit code, as the command alone would have exited.
    pub exit_code: u8,
    /// How long it took.
    pub duration_ms: u64,
    /// The line worth remembering (timings, images).
    pub summary: String,
}

/// The demo's JSON document (`-o json`).
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DemoDocument<'a> {
    schema: &'static str,
    fleet: &'a str,
    verdict: Verdict,
    exit_code: u8,
    steps: &'a [StepResult],
}

/// Runs the demo on `fleet` (`builtin`: the compiled-in seed fleet).
pub fn run(inv: &Invocation, fleet: Fleet, builtin: bool, streams: Streams) -> Result<u8, Error> {
    let runtime = crate::app::runtime()?;
    let color = inv
        .color
        .resolve(streams.stdout_is_terminal, streams.no_color);
    let progress = crate::report::progress::resolve(
        streams.stderr_is_terminal,
        std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0"),
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
            out: out.clone(),
            err,
            config,
            human,
            styles: Styles::new(color),
            steps: Vec::new(),
            request_timeout: inv.request_timeout,
        };
        let opts = ConnectOptions {
            request_timeout: inv.request_timeout,
            // The simulator answers at once; Cloudflare's real pace is not needed.
            cloudflare_rps: inv.cloudflare_rps.max(50.0),
            cloudflare_tries: 3,
        };
        let c = connect::connect_sim(&fleet, &opts, SimOptions::fast()).await?;
        let code = demo.story(&c, builtin).await;
        c.close().await;
        let code = code?;
        if !human {
            let verdict = Verdict::worst(demo.steps.iter().map(|s| s.verdict));
            let doc = DemoDocument {
                schema: "ocfail.dev/demo/v1",
                fleet: &fleet.metadata.name,
                verdict,
                exit_code: code,
                steps: &demo.steps,
            };
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            let mut out = out;
            writeln!(out, "{text}").map_err(Error::Stdout)?;
        }
        Ok(code)
    })
}

struct Demo {
    out: Shared,
    err: Shared,
    config: ReportConfig,
    human: bool,
    styles: Styles,
    steps: Vec<StepResult>,
    request_timeout: std::time::Duration,
}

impl Demo {
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

    /// Reports one step and remembers it; returns its exit code.
    fn finish(
        &mut self,
        mut reporter: Reporter,
        run: &Run,
        findings: Findings,
        summary: impl FnOnce(&Report) -> String,
    ) -> Result<u8, Error> {
        for r in &findings.regions {
            reporter.event(&Event::RegionFinished {
                report: words::region(r),
            })?;
        }
        let report = words::conclude(run, findings);
        let code = report.exit_code;
        self.steps.push(StepResult {
            step: report.command.clone(),
            verdict: report.verdict,
            exit_code: code,
            duration_ms: report.duration_ms,
            summary: summary(&report),
        });
        reporter.event(&Event::RunFinished { report })?;
        self.say("\n")?;
        Ok(code)
    }

    fn started(&self, reporter: &mut Reporter, run: &Run, c: &Connected) -> Result<(), Error> {
        reporter.event(&Event::RunStarted {
            command: run.command.clone(),
            fleet: run.fleet.clone(),
            run_id: run.id.clone(),
            regions: c.fleet.regions.iter().map(|r| r.name.to_string()).collect(),
        })?;
        Ok(())
    }

    async fn story(&mut self, c: &Connected, builtin: bool) -> Result<u8, Error> {
        let started = Instant::now();
        let fleet = &c.fleet;
        let names: Vec<&str> = fleet.regions.iter().map(|r| r.name.as_str()).collect();
        let source = if builtin {
            "the built-in fleet (fixtures/fleet.yaml)".to_owned()
        } else {
            format!("your fleet {}", fleet.metadata.name)
        };
        self.say(&format!(
            "ocfail demo: {source} on a simulator in this process: {} regions ({}), one Kubernetes API \
             each, and a Cloudflare load balancer with one origin pool per region. Nothing leaves \
             this machine.\n\n",
            names.len(),
            names.join(", ")
        ))?;
        let mut worst = exit_code::OK;

        // 1. status
        self.say(&step(
            1,
            "status",
            "Where does traffic go now, and can the fleet lose one region?",
        ))?;
        let run = Run::start("status", &fleet.metadata.name);
        let mut rep = self.reporter();
        self.started(&mut rep, &run, c)?;
        let snap = snapshot::fleet(fleet, c.regions.clone(), c.cloudflare.clone(), 64).await;
        let (regions, notes) = status::report(fleet, &snap, &c.recovery);
        let serving = notes.iter().find_map(|n| match n {
            Note::Status(StatusNote::ServingNow(sel)) => sel.regions().into_iter().next(),
            _ => None,
        });
        let code = self.finish(rep, &run, Findings::new(regions, notes), notes_line)?;
        worst = exit_code::worst(worst, code);

        // 2. health
        self.say(&step(
            2,
            "health",
            "What do Cloudflare's health checks and direct probes see?",
        ))?;
        let run = Run::start("health", &fleet.metadata.name);
        let mut rep = self.reporter();
        self.started(&mut rep, &run, c)?;
        let found = health::gather(
            fleet,
            &c.regions,
            c.cloudflare.clone(),
            self.request_timeout,
            false,
        )
        .await;
        let (regions, notes) = health::report(fleet, &found);
        let code = self.finish(rep, &run, Findings::new(regions, notes), |r| {
            let healthy = r
                .regions
                .iter()
                .filter(|x| x.verdict == Verdict::Pass)
                .count();
            format!("{healthy}/{} regions healthy", r.regions.len())
        })?;
        worst = exit_code::worst(worst, code);

        // 3. drill
        let target =
            serving.unwrap_or_else(|| names.first().map(|s| (*s).to_owned()).unwrap_or_default());
        self.say(&step(
            3,
            &format!("drill --region {target}"),
            &format!(
                "Take {target} down (scale it to zero), watch Cloudflare mark its pool unhealthy and \
                 traffic move, hold, put everything back, watch traffic return."
            ),
        ))?;
        let mut signals = crate::app::signals()?;
        let run = Run::start(&format!("drill {target}"), &fleet.metadata.name);
        let mut rep = self.reporter();
        self.started(&mut rep, &run, c)?;
        let opts = DrillOptions {
            region: target.clone(),
            hold: fleet.drill.hold,
            method: fleet.drill.method,
            dry_run: false,
            overrides: Vec::new(),
            run_id: run.id.clone(),
        };
        let outcome = {
            let mut progress = rep.phases();
            let mut sup = Supervisor::new(&mut signals, &mut progress);
            drill::run(c, &opts, &mut sup).await
        };
        let code = self.finish(rep, &run, outcome.findings, |r| {
            r.regions
                .iter()
                .find(|x| x.region == target)
                .map(|x| x.summary.clone())
                .unwrap_or_default()
        })?;
        worst = exit_code::worst(worst, code);
        if code == exit_code::INTERRUPTED || code == exit_code::RESTORE_INCOMPLETE {
            return self.close(worst, started);
        }

        // 4. rollout
        let current = snap
            .regions
            .iter()
            .find_map(|r| r.live().map(|d| d.image.clone()))
            .unwrap_or_default();
        let image = next_image(&current);
        let waves: Vec<String> = fleet
            .rollout
            .waves
            .iter()
            .map(|w| w.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(" + "))
            .collect();
        self.say(&step(
            4,
            &format!("rollout --image {image}"),
            &format!(
                "Blue-green, wave by wave ({}): deploy to the idle colour, wait until ready, smoke-check, \
                 switch, watch traffic; any failure switches back.",
                waves.join(" → ")
            ),
        ))?;
        let run = Run::start("rollout", &fleet.metadata.name);
        let mut rep = self.reporter();
        self.started(&mut rep, &run, c)?;
        let opts = RolloutOptions {
            image: Some(image.clone()),
            regions: None,
            dry_run: false,
            keep_previous: false,
            run_id: run.id.clone(),
        };
        let outcome = {
            let mut progress = rep.phases();
            let mut sup = Supervisor::new(&mut signals, &mut progress);
            rollout::run(c, &opts, &mut sup).await
        };
        let code = self.finish(
            rep,
            &run,
            outcome,
            |r| {
                let promoted = r
                    .regions
                    .iter()
                    .filter(|x| x.rollout.as_ref().is_some_and(|f| f.status == "promoted"))
                    .count();
                let errors = r.traffic.as_ref().map_or(0, |t| t.errors);
                format!(
                    "{promoted}/{} regions promoted {} → {}, {errors} failed requests through the load balancer",
                    r.regions.len(),
                    image_tag(&current),
                    image_tag(&image)
                )
            },
        )?;
        worst = exit_code::worst(worst, code);
        if code == exit_code::INTERRUPTED || code == exit_code::RESTORE_INCOMPLETE {
            return self.close(worst, started);
        }

        // 5. status again
        self.say(&step(
            5,
            "status",
            "And the fleet afterwards: new version live, still able to lose a region.",
        ))?;
        let run = Run::start("status", &fleet.metadata.name);
        let mut rep = self.reporter();
        self.started(&mut rep, &run, c)?;
        let snap = snapshot::fleet(fleet, c.regions.clone(), c.cloudflare.clone(), 64).await;
        let (regions, notes) = status::report(fleet, &snap, &c.recovery);
        let code = self.finish(rep, &run, Findings::new(regions, notes), notes_line)?;
        worst = exit_code::worst(worst, code);
        self.close(worst, started)
    }

    /// The closing summary; returns `code`.
    fn close(&mut self, code: u8, started: Instant) -> Result<u8, Error> {
        let mut s = String::from("── summary ──\n");
        let width = self.steps.iter().map(|s| s.step.len()).max().unwrap_or(0);
        for (i, st) in self.steps.iter().enumerate() {
            let word = st.verdict.as_str();
            s.push_str(&format!(
                "{}. {:<width$}  {}{}  {:>6}  {}\n",
                i + 1,
                st.step,
                human::paint(self.styles.verdict(st.verdict), word),
                " ".repeat(12usize.saturating_sub(word.len())),
                human::duration(st.duration_ms),
                st.summary
            ));
        }
        s.push_str(&format!(
            "\ndemo: {} (exit {code}) in {}\n",
            {
                let v = Verdict::worst(self.steps.iter().map(|s| s.verdict));
                human::paint(self.styles.verdict(v), v.as_str())
            },
            human::duration(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX))
        ));
        s.push_str(
            "next: point ocfail at your own fleet: write a fleet.yaml (docs/manifest.md), then\n  \
             ocfail validate --live, ocfail status, ocfail drill --region R --dry-run\n",
        );
        self.say(&s)?;
        Ok(code)
    }
}

fn step(n: usize, command: &str, why: &str) -> String {
    format!("── {n}/5 ocfail {command} ──\n{why}\n\n")
}

fn notes_line(r: &Report) -> String {
    r.notes
        .iter()
        .filter(|n| !n.starts_with("ran against"))
        .cloned()
        .collect::<Vec<_>>()
        .join("; ")
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
