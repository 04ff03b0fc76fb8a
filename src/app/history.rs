//! Recording runs in the fleet's history (`ops::history`): an entry when a
//! drill, rollout, rollback, restore or practice run starts, rewritten with
//! its outcome when it ends, and a restore's mark on the runs it cleaned
//! up after. A history that cannot be written is a warning in the report,
//! never a change of the run's verdict.

use crate::exit_code;
use crate::facts::history::{Entry, PracticeMark, RegionOutcome, RestoredBy, RunState};
use crate::facts::restore::RestoreNote;
use crate::facts::{Findings, Note, Run};
use crate::kube::Workloads;
use crate::ops::clients::Clients;
use crate::ops::history::{self, Unwritten};
use crate::report::model::Report;
use crate::report::words;

use super::job::Job;

/// A run being recorded.
#[derive(Debug, Default)]
pub struct Recorder {
    entry: Option<Entry>,
    problems: Vec<Unwritten>,
    cleaned_up: Vec<String>,
}

/// What a recorded run is: its command and regions.
#[derive(Clone, Debug)]
pub struct Subject {
    /// `drill`, `rollout`, `rollback`, `restore` or `practice`.
    pub command: String,
    /// The regions it concerns, in manifest order.
    pub regions: Vec<String>,
    /// The drilled region.
    pub drilled: Option<String>,
    /// The image rolled out.
    pub image: Option<String>,
    /// A practice run's decision.
    pub practice: Option<PracticeMark>,
}

impl Subject {
    /// What `job` records, if anything: dry runs and read-only commands
    /// record nothing.
    pub fn of(job: &Job, command: &str, fleet_regions: &[String]) -> Option<Subject> {
        let all = || fleet_regions.to_vec();
        match job {
            Job::Drill(d) if !d.dry_run => Some(Subject {
                command: command.to_owned(),
                regions: vec![d.region.clone()],
                drilled: Some(d.region.clone()),
                image: None,
                practice: None,
            }),
            Job::Rollout(r) if !r.dry_run => Some(Subject {
                command: command.to_owned(),
                regions: if r.regions.is_empty() {
                    all()
                } else {
                    fleet_regions
                        .iter()
                        .filter(|n| r.regions.contains(n))
                        .cloned()
                        .collect()
                },
                drilled: None,
                image: r.image.clone(),
                practice: None,
            }),
            Job::Restore { region, .. } => Some(Subject {
                command: command.to_owned(),
                regions: region.as_ref().map_or_else(all, |r| vec![r.clone()]),
                drilled: None,
                image: None,
                practice: None,
            }),
            _ => None,
        }
    }
}

impl Recorder {
    /// Nothing to record.
    pub fn none() -> Self {
        Recorder::default()
    }

    /// Records `subject` as running in `run`.
    pub async fn begin<W, P>(c: &Clients<W, P>, run: &Run, subject: Option<Subject>) -> Self
    where
        W: Workloads + Clone + 'static,
    {
        let Some(s) = subject else {
            return Recorder::none();
        };
        let entry = Entry {
            run_id: run.id.clone(),
            command: s.command,
            by: history::actor(),
            started_at: humantime::format_rfc3339_millis(run.started_at).to_string(),
            state: RunState::Running,
            regions: s.regions,
            drilled: s.drilled,
            image: s.image,
            practice: s.practice,
            ..Entry::default()
        };
        let problems = history::record(c, &entry).await;
        Recorder {
            entry: Some(entry),
            problems,
            cleaned_up: Vec::new(),
        }
    }

    /// Whether the start was written to every region it concerns.
    pub fn started_everywhere(&self) -> bool {
        self.entry.is_some() && self.problems.is_empty()
    }

    /// The regions whose history the start could not be written to, and why.
    pub fn unwritten(&self) -> Vec<(String, crate::facts::api::ApiProblem)> {
        self.problems
            .iter()
            .map(|u| (u.region.clone(), u.problem.clone()))
            .collect()
    }

    /// Takes note of what `findings` tell the history (the runs a restore
    /// cleaned up after); call before they are concluded.
    pub fn observe(&mut self, findings: &Findings) {
        for n in &findings.notes {
            if let Note::Restore(RestoreNote::CleanedUp { runs }) = n {
                self.cleaned_up.extend(runs.iter().cloned());
            }
        }
    }

    /// Records the run's end from its concluded `report`, marks the runs a
    /// restore cleaned up after, and adds a warning to the report for each
    /// region whose history could not be written.
    pub async fn finish<W, P>(mut self, c: &Clients<W, P>, report: &mut Report)
    where
        W: Workloads + Clone + 'static,
    {
        let Some(mut entry) = self.entry.take() else {
            return;
        };
        if report.exit_code == exit_code::RESTORE_INCOMPLETE && entry.command != "restore" {
            // Records are left on the clusters: the run is not over until
            // `ocfail restore` finishes it, and that restore marks this entry
            // (interrupted, restored by). Writing now would also cost another
            // request timeout when the API is what failed, after a person
            // asked twice to stop.
            self.report_problems(report);
            return;
        }
        entry.finished_at = Some(report.finished_at.clone());
        entry.state = if report.exit_code == exit_code::INTERRUPTED {
            RunState::Interrupted
        } else {
            RunState::Finished
        };
        entry.verdict = Some(report.verdict);
        entry.exit_code = Some(report.exit_code);
        entry.outcomes = report
            .regions
            .iter()
            .map(|r| RegionOutcome {
                region: r.region.clone(),
                verdict: r.verdict,
                timings: r.timings.clone(),
                rollout: r.rollout.clone(),
            })
            .collect();
        entry.traffic = report
            .traffic
            .as_ref()
            .map(|t| t.phases.clone())
            .unwrap_or_default();
        if !self.cleaned_up.is_empty() {
            entry.restored_runs = self.cleaned_up.clone();
            let by = RestoredBy {
                run_id: entry.run_id.clone(),
                by: entry.by.clone(),
                at: report.finished_at.clone(),
                verdict: report.verdict,
            };
            self.problems
                .extend(history::mark_restored(c, &self.cleaned_up, &by).await);
        }
        self.problems.extend(history::record(c, &entry).await);
        self.report_problems(report);
    }

    /// One warning per region, whether the start, the end or both failed.
    fn report_problems(&mut self, report: &mut Report) {
        self.problems.sort_by(|a, b| a.region.cmp(&b.region));
        self.problems.dedup_by(|a, b| a.region == b.region);
        for p in self.problems.drain(..) {
            report.notes.push(words::note(&Note::HistoryNotWritten {
                region: p.region,
                problem: p.problem,
            }));
        }
    }
}

/// `ocfail history [--region R] [--limit N]`: every region's history,
/// merged by run, newest first. Unreadable regions are warnings; when none
/// can be read, exit 3.
pub fn command(
    inv: &crate::cli::Invocation,
    region: Option<&str>,
    limit: usize,
    streams: super::Streams,
) -> Result<u8, crate::errors::Error> {
    use std::io::Write as _;

    use crate::report::history::{self as render, Document, Unreadable};
    use crate::report::reporter::OutputFormat;

    let (fleet, mut streams) = super::fleet::resolve(inv, streams)?;
    super::fleet::check_regions(&fleet, region, "show the history of")?;
    let runtime = super::runtime()?;
    let (entries, unreadable, readable) = runtime.block_on(async {
        let c = super::job::connect_for(inv, &fleet, inv.sim).await?;
        let (histories, live) = tokio::join!(history::read(&c), live_runs(&c));
        c.close().await;
        let mut unreadable = Vec::new();
        let mut read = Vec::new();
        for (name, h) in &histories {
            match h {
                Ok(entries) => read.push(entries),
                Err(p) => unreadable.push(Unreadable::new(name, p)),
            }
        }
        let readable = read.len();
        let mut entries: Vec<Entry> = history::merged(read)
            .into_iter()
            .filter(|e| region.is_none_or(|r| e.regions.iter().any(|n| n == r)))
            .take(limit)
            .collect();
        for e in &mut entries {
            e.state = e.state_now(&live);
        }
        Ok::<_, crate::errors::Error>((entries, unreadable, readable))
    })?;
    let text = match inv.format {
        OutputFormat::Human => render::human(&fleet.metadata.name, &entries, &unreadable),
        OutputFormat::Json | OutputFormat::Jsonl => render::json(&Document {
            schema: render::SCHEMA,
            fleet: &fleet.metadata.name,
            entries: &entries,
            unreadable: &unreadable,
        }),
    };
    streams
        .stdout
        .write_all(text.as_bytes())
        .and_then(|()| streams.stdout.flush())
        .map_err(crate::errors::Error::Stdout)?;
    Ok(if readable == 0 {
        exit_code::UNAVAILABLE
    } else {
        exit_code::OK
    })
}

/// The run ids holding the fleet lock in any region now (a live lease).
pub(super) async fn live_runs<W, P>(c: &Clients<W, P>) -> Vec<String>
where
    W: Workloads + Clone + 'static,
{
    let now = std::time::SystemTime::now();
    let reads = c
        .regions
        .iter()
        .filter_map(|(_, k)| k.as_ref().ok())
        .map(|k| async move {
            k.lease(crate::ops::snapshot::LOCK_LEASE)
                .await
                .ok()
                .flatten()
        });
    futures_util::future::join_all(reads)
        .await
        .into_iter()
        .flatten()
        .filter(|l| crate::ops::lock::expires_in(l, now).is_some())
        .filter_map(|l| {
            l.holder.as_deref().and_then(|h| {
                crate::ops::lock::Holder::parse(h)
                    .run_id()
                    .map(str::to_owned)
            })
        })
        .collect()
}
