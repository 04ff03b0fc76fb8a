//! One region's blue-green promotion (docs/rollouts.md): record, deploy the idle
//! colour, wait until it is ready, smoke-check it through the preview
//! Service, switch, smoke-check live, verify traffic. Any failure (or the
//! first Ctrl-C) switches the region straight back from its record; the old
//! colour is still warm, so that is instant.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::facts::Step;
use crate::facts::rollout::{RolloutCheck, RolloutFact, SmokeStage};
use crate::facts::{Finding, Verdict};
use crate::kube::{COLOR_LABEL, Workloads};
use crate::manifest::Fleet;
use crate::ops::describe;
use crate::ops::ready::{self, retry};
use crate::ops::record::RolloutRecord;
use crate::ops::recovery::Recovery;
use crate::ops::restore::RestoreOptions;
use crate::ops::restore::rollout::undo;
use crate::ops::snapshot::ROLLOUT_ANNOTATION;
use crate::ops::supervise::Phases;
use crate::ops::traffic::TrafficGenerator;

use super::plan::RegionState;
use super::prom::{self, Analysis};
use super::smoke;

/// Everything the regions of a rollout share.
pub struct Ctx<'a> {
    /// The fleet (rollout settings, smoke checks).
    pub fleet: &'a Fleet,
    /// This run's id.
    pub run_id: &'a str,
    /// `user@host`, for records.
    pub by: &'a str,
    /// `rollout` or `rollback`, for records.
    pub kind: &'a str,
    /// Synthetic traffic through the LB, when the manifest has some.
    pub traffic: Option<&'a TrafficGenerator>,
    /// The traffic generator's clock origin.
    pub origin: Instant,
    /// The first Ctrl-C, SIGTERM or a lost lock: stop and switch back.
    pub cancel: &'a CancellationToken,
    /// A second Ctrl-C: stop waiting even while switching back.
    pub abort: &'a CancellationToken,
    /// Deadlines for switching back.
    pub restore: RestoreOptions,
    /// How often to poll readiness.
    pub poll: Duration,
    /// Progress: `(region, phase)`.
    pub progress: Phases,
    /// How printed commands reach this fleet.
    pub recovery: &'a Recovery,
    /// The analysis and `during` guards watched while verifying, when the
    /// manifest has some and Prometheus is configured.
    pub analysis: Option<&'a Analysis>,
}

impl Ctx<'_> {
    /// Tells the progress display that `region` entered `phase`.
    pub fn phase(&self, region: &str, step: Step) {
        self.progress.set(region, step);
    }

    /// A deadline for retrying one write through 409 Conflicts (a real API
    /// server bumps `resourceVersion` on every write, controllers' too) and
    /// 5xx bursts, as restore does.
    fn write_deadline(&self) -> tokio::time::Instant {
        crate::durations::deadline(tokio::time::Instant::now(), self.restore.retry_for)
    }

    fn now_ms(&self) -> u64 {
        ms(self.origin.elapsed())
    }
}

/// Where a region's promotion ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ended {
    /// Live on the new colour; the record stays until the run finalizes.
    #[default]
    Promoted,
    /// A step failed; the region was switched back.
    Failed,
    /// Stopped by Ctrl-C or a lost lock; the region was switched back.
    Interrupted,
    /// Switching back did not finish: the record stays for `ocfail restore`.
    RestoreIncomplete,
}

/// One region's promotion as it ran.
#[derive(Clone, Debug, Default)]
pub struct RegionRun {
    /// How it ended.
    pub ended: Ended,
    /// Every step, in order.
    pub checks: Vec<Finding>,
    /// `readyMs`, `smokeMs`, `verifyMs`, `switchedAtMs`.
    pub timings: BTreeMap<String, u64>,
    /// The record on the cluster while the region is changed.
    pub record: Option<RolloutRecord>,
}

pub(super) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The record for promoting `s` to `image` (rollout) or to its idle colour
/// as it is (rollback).
pub fn record_for(ctx: &Ctx<'_>, s: &RegionState, image: &str) -> RolloutRecord {
    RolloutRecord {
        run_id: ctx.run_id.to_owned(),
        kind: ctx.kind.to_owned(),
        from_color: s.live_color.clone(),
        to_color: s.idle_color.clone(),
        image: image.to_owned(),
        previous_image: s.live.image.clone(),
        replicas: s.live.replicas,
        idle_image: s.idle.image.clone(),
        idle_replicas: s.idle.replicas,
        preview_color: s.preview_color.clone(),
        started_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        by: ctx.by.to_owned(),
        process: crate::ops::process::ProcessId::current(),
    }
}

/// Promotes `image` on the idle colour of one region (a rollback promotes
/// the idle colour's own image). Never returns with the region half-changed
/// unless switching back itself failed ([`Ended::RestoreIncomplete`]).
pub async fn promote<W: Workloads>(
    ctx: &Ctx<'_>,
    w: &W,
    s: &RegionState,
    image: &str,
) -> RegionRun {
    let mut run = RegionRun {
        ended: Ended::Promoted,
        checks: Vec::new(),
        timings: BTreeMap::new(),
        record: None,
    };
    let rec = record_for(ctx, s, image);

    ctx.phase(s.region.name.as_str(), Step::Recording);
    let json = rec.to_json();
    if let Err(e) = retry(ctx.write_deadline(), ctx.restore.poll, || {
        w.annotate_service(&s.region.service, ROLLOUT_ANNOTATION, Some(&json))
    })
    .await
    {
        // Nothing was changed: the record is the first write.
        run.checks.push(api_failed(RolloutCheck::Record, &e));
        run.ended = Ended::Failed;
        return run;
    }
    run.record = Some(rec.clone());

    let p = Promotion {
        ctx,
        w,
        s,
        rec: &rec,
        name: s.region.name.as_str(),
        idle: s.deployment(&s.idle_color),
    };
    if let Err(failed) = p.steps(&mut run).await {
        p.switch_back(&mut run, failed).await;
    }
    run
}

/// One region's promotion once its record is written.
struct Promotion<'a, W> {
    ctx: &'a Ctx<'a>,
    w: &'a W,
    s: &'a RegionState,
    rec: &'a RolloutRecord,
    /// The region's name.
    name: &'a str,
    /// The idle colour's Deployment.
    idle: String,
}

impl<W: Workloads> Promotion<'_, W> {
    /// Deploy, wait until ready, smoke-check the preview, switch,
    /// smoke-check live, verify: the first step that fails (or is
    /// interrupted) is the error.
    async fn steps(&self, run: &mut RegionRun) -> Result<(), Finding> {
        let (ctx, s) = (self.ctx, self.s);
        self.deploy(run).await?;
        self.wait_ready(run).await?;

        let preview = s.preview();
        if s.preview_color.as_deref() != Some(s.idle_color.as_str()) {
            retry(ctx.write_deadline(), ctx.restore.poll, || {
                self.w.set_selector(&preview, COLOR_LABEL, &s.idle_color)
            })
            .await
            .map_err(|e| api_failed(RolloutCheck::Preview, &e))?;
        }
        ctx.phase(self.name, Step::SmokePreview);
        let started = Instant::now();
        smoke_stage(
            ctx,
            &mut run.checks,
            self.w,
            s,
            &preview,
            SmokeStage::Preview,
        )
        .await?;

        let switched_at = self.switch(run, &preview).await?;

        ctx.phase(self.name, Step::SmokeLive);
        let live = SmokeStage::Live;
        smoke_stage(ctx, &mut run.checks, self.w, s, &s.region.service, live).await?;
        run.timings
            .insert("smokeMs".to_owned(), ms(started.elapsed()));

        verify(ctx, run, s, switched_at).await
    }

    /// The image (and replicas) on the idle colour.
    async fn deploy(&self, run: &mut RegionRun) -> Result<(), Finding> {
        let (ctx, s, rec, idle) = (self.ctx, self.s, self.rec, &self.idle);
        ctx.phase(
            self.name,
            Step::Deploying {
                colour: s.idle_color.clone(),
            },
        );
        retry(ctx.write_deadline(), ctx.restore.poll, || {
            self.w.set_image(idle, &rec.image, rec.replicas)
        })
        .await
        .map_err(|e| api_failed(RolloutCheck::Deploy, &e))?;
        let deployed = if s.idle.image != rec.image {
            RolloutFact::Deployed {
                deployment: idle.clone(),
                replicas: rec.replicas,
                image: rec.image.clone(),
            }
        } else if s.idle.replicas < rec.replicas {
            RolloutFact::ScaledUpFirst {
                deployment: idle.clone(),
                from: s.idle.replicas,
                to: rec.replicas,
            }
        } else {
            RolloutFact::AlreadyRuns {
                deployment: idle.clone(),
                replicas: s.idle.replicas,
                image: rec.image.clone(),
            }
        };
        run.checks.push(Finding::new(Verdict::Pass, deployed));
        Ok(())
    }

    /// Waits until every replica of the idle colour is ready.
    async fn wait_ready(&self, run: &mut RegionRun) -> Result<(), Finding> {
        let (ctx, rec, idle) = (self.ctx, self.rec, &self.idle);
        ctx.phase(
            self.name,
            Step::WaitingReady {
                colour: self.s.idle_color.clone(),
            },
        );
        let started = Instant::now();
        let timeout = ctx.fleet.rollout.ready_timeout;
        let deadline = crate::durations::deadline(started, timeout);
        match ready::wait(self.w, idle, rec.replicas, deadline, ctx.poll, ctx.cancel).await {
            Ok(_) => {
                run.timings
                    .insert("readyMs".to_owned(), ms(started.elapsed()));
                let ready = RolloutFact::Ready {
                    replicas: rec.replicas,
                };
                run.checks
                    .push(Finding::new(Verdict::Pass, ready).took(ms(started.elapsed())));
                Ok(())
            }
            Err(ready::NotReady::Cancelled) => Err(interrupted(RolloutCheck::Ready)),
            Err(e) => {
                let why = e.fact(idle, rec.replicas, timeout);
                Err(Finding::new(
                    not_ready_verdict(&e),
                    RolloutFact::NotReady(why),
                ))
            }
        }
    }

    /// Points the live Service at the idle colour, then the preview at the
    /// old one. Returns when the switch happened (ms on the traffic clock).
    async fn switch(&self, run: &mut RegionRun, preview: &str) -> Result<u64, Finding> {
        let (ctx, s, w) = (self.ctx, self.s, self.w);
        ctx.phase(
            self.name,
            Step::Switching {
                colour: s.idle_color.clone(),
            },
        );
        let switched_at = ctx.now_ms();
        retry(ctx.write_deadline(), ctx.restore.poll, || {
            w.set_selector(&s.region.service, COLOR_LABEL, &s.idle_color)
        })
        .await
        .map_err(|e| api_failed(RolloutCheck::Switch, &e))?;
        run.timings.insert("switchedAtMs".to_owned(), switched_at);
        // The preview now shows the colour a later rollout will deploy to.
        if let Err(e) = w.set_selector(preview, COLOR_LABEL, &s.live_color).await {
            run.checks.push(Finding::new(
                Verdict::Warn,
                RolloutFact::PreviewNotMoved {
                    service: preview.to_owned(),
                    colour: s.live_color.clone(),
                    problem: describe::kube_problem(&e),
                },
            ));
        }
        run.checks.push(Finding::new(
            Verdict::Pass,
            RolloutFact::Switched {
                service: s.region.service.to_string(),
                colour: s.idle_color.clone(),
                image: self.rec.image.clone(),
            },
        ));
        Ok(switched_at)
    }

    /// After `failed`, puts the region back from its record; a second
    /// signal stops that and leaves the record.
    async fn switch_back(&self, run: &mut RegionRun, failed: Finding) {
        let (ctx, s) = (self.ctx, self.s);
        let interrupted = failed.verdict == Verdict::Skipped;
        run.checks.push(failed);

        ctx.phase(
            self.name,
            Step::SwitchingBack {
                colour: s.live_color.clone(),
            },
        );
        let undone = tokio::select! {
            r = undo(self.w, &s.region, self.rec, ctx.restore, ctx.abort, ctx.recovery) => Some(r),
            () = ctx.abort.cancelled() => None,
        };
        match undone {
            Some((true, checks)) => {
                run.checks.extend(
                    checks
                        .into_iter()
                        .map(|c| c.scoped(crate::facts::Scope::Rollback)),
                );
                run.record = None;
                run.ended = if interrupted {
                    Ended::Interrupted
                } else {
                    Ended::Failed
                };
            }
            Some((false, checks)) => {
                run.checks.extend(checks);
                run.ended = Ended::RestoreIncomplete;
            }
            None => {
                run.checks.push(stopped(ctx.recovery, self.name));
                run.ended = Ended::RestoreIncomplete;
            }
        }
    }
}

/// The check for a second signal that left the record.
pub fn stopped(recovery: &Recovery, region: &str) -> Finding {
    Finding::new(
        Verdict::Error,
        RolloutFact::SwitchBackStopped {
            restore: recovery.ocfail(&format!("restore --region {region}")),
        },
    )
}

/// A step the API would not let us do (unreachable, not allowed, a 5xx
/// that outlasted the retries): "could not check" (exit 3), as for every
/// command, not a verdict on the new version, which never got to run.
fn api_failed(check: RolloutCheck, e: &crate::kube::KubeError) -> Finding {
    Finding::new(
        Verdict::Error,
        RolloutFact::Api {
            check,
            problem: describe::kube_problem(e),
        },
    )
}

/// A readiness wait that ended without the idle colour ready: a verdict on
/// the new version when the cluster was seen and it was not ready, "could
/// not check" when the API never let us see it.
fn not_ready_verdict(e: &ready::NotReady) -> Verdict {
    match e {
        ready::NotReady::Api(_) | ready::NotReady::Timeout(None) => Verdict::Error,
        ready::NotReady::Timeout(Some(_))
        | ready::NotReady::Missing
        | ready::NotReady::Cancelled => Verdict::Fail,
    }
}

/// The marker a step returns when it was interrupted: skipped, not failed.
fn interrupted(check: RolloutCheck) -> Finding {
    Finding::new(Verdict::Skipped, RolloutFact::Interrupted { check })
}

/// Runs one stage's smoke checks; the first failing one is the error.
async fn smoke_stage<W: Workloads>(
    ctx: &Ctx<'_>,
    checks: &mut Vec<Finding>,
    w: &W,
    s: &RegionState,
    service: &str,
    stage: SmokeStage,
) -> Result<(), Finding> {
    if ctx.cancel.is_cancelled() {
        return Err(interrupted(match stage {
            SmokeStage::Preview => RolloutCheck::SmokePreview,
            SmokeStage::Live => RolloutCheck::SmokeLive,
        }));
    }
    let results = smoke::run(w, &s.region, service, stage, &ctx.fleet.rollout.smoke).await;
    let failed = results.iter().position(|c| c.verdict >= Verdict::Error);
    match failed {
        None => {
            checks.extend(results);
            Ok(())
        }
        Some(i) => {
            let mut results = results;
            let bad = results.remove(i);
            checks.extend(results);
            Err(bad)
        }
    }
}

/// Watches LB traffic, and the analysis guards on the newly live colour,
/// for `verifyFor` after the switch; a breach ends the window at once.
async fn verify(
    ctx: &Ctx<'_>,
    run: &mut RegionRun,
    s: &RegionState,
    switched_at: u64,
) -> Result<(), Finding> {
    let name = s.region.name.as_str();
    let verify_for = ctx.fleet.rollout.verify_for;
    let watch = ctx
        .analysis
        .map(|a| a.start(name, &s.idle_color, &s.live_color));
    if ctx.traffic.is_none() {
        run.checks
            .push(Finding::new(Verdict::Skipped, RolloutFact::NoTraffic));
        if watch.is_none() {
            return Ok(());
        }
    }
    ctx.phase(name, Step::Verifying);
    let started = Instant::now();
    // Never cancelled without a watch.
    let breached = watch
        .as_ref()
        .map_or_else(CancellationToken::new, |w| w.breached());
    let cut_short = tokio::select! {
        () = tokio::time::sleep(verify_for) => false,
        () = breached.cancelled() => true,
        () = ctx.cancel.cancelled() => {
            if let Some(w) = watch {
                w.stop().await;
            }
            return Err(interrupted(RolloutCheck::Verify));
        }
    };
    let analysis = match watch {
        Some(w) => w.stop().await,
        None => Vec::new(),
    };
    run.timings
        .insert("verifyMs".to_owned(), ms(started.elapsed()));
    // A breach is the verdict; traffic over a cut-short window says less.
    if let (Some(traffic), false) = (ctx.traffic, cut_short) {
        let seen = traffic.summary_between(switched_at, ctx.now_ms());
        let max = ctx.fleet.rollout.max_error_rate;
        let verified = RolloutFact::Verified {
            requests: seen.requests,
            over: verify_for,
            error_rate: seen.error_rate,
            max,
        };
        if seen.error_rate > max.fraction() {
            run.checks.extend(analysis);
            return Err(Finding::new(Verdict::Fail, verified));
        }
        run.checks
            .push(Finding::new(Verdict::Pass, verified).took(ms(started.elapsed())));
    }
    match prom::judged(analysis, &mut run.checks) {
        Some(bad) => Err(bad),
        None => Ok(()),
    }
}
