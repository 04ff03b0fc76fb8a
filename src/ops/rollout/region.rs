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
    let name = s.region.name.as_str();
    let idle = s.deployment(&s.idle_color);
    let mut run = RegionRun {
        ended: Ended::Promoted,
        checks: Vec::new(),
        timings: BTreeMap::new(),
        record: None,
    };
    let rec = record_for(ctx, s, image);

    ctx.phase(name, Step::Recording);
    let json = rec.to_json();
    let poll = ctx.restore.poll;
    if let Err(e) = retry(ctx.write_deadline(), poll, || {
        w.annotate_service(&s.region.service, ROLLOUT_ANNOTATION, Some(&json))
    })
    .await
    {
        // Nothing was changed: the record is the first write.
        run.checks.push(api_failed("record", &e));
        run.ended = Ended::Failed;
        return run;
    }
    run.record = Some(rec.clone());

    let step = async {
        ctx.phase(
            name,
            Step::Deploying {
                colour: s.idle_color.clone(),
            },
        );
        retry(ctx.write_deadline(), poll, || {
            w.set_image(&idle, &rec.image, rec.replicas)
        })
        .await
        .map_err(|e| api_failed("deploy", &e))?;
        let detail = if s.idle.image != rec.image {
            format!("{idle}: {} × {}", rec.replicas, rec.image)
        } else if s.idle.replicas < rec.replicas {
            format!(
                "{idle} was not warm: scaled up from {} to {} first",
                s.idle.replicas, rec.replicas
            )
        } else {
            format!("{idle} already runs {} × {}", s.idle.replicas, rec.image)
        };
        run.checks
            .push(Finding::text("deploy", Verdict::Pass, detail));

        ctx.phase(
            name,
            Step::WaitingReady {
                colour: s.idle_color.clone(),
            },
        );
        let started = Instant::now();
        let deadline = crate::durations::deadline(started, ctx.fleet.rollout.ready_timeout);
        match ready::wait(w, &idle, rec.replicas, deadline, ctx.poll, ctx.cancel).await {
            Ok(_) => {
                run.timings
                    .insert("readyMs".to_owned(), ms(started.elapsed()));
                let mut c = Finding::text(
                    "ready",
                    Verdict::Pass,
                    format!("{}/{} ready", rec.replicas, rec.replicas),
                );
                c.duration_ms = ms(started.elapsed());
                run.checks.push(c);
            }
            Err(ready::NotReady::Cancelled) => return Err(interrupted("ready")),
            Err(e) => {
                let detail = e.describe(&idle, rec.replicas, ctx.fleet.rollout.ready_timeout);
                return Err(Finding::text("ready", not_ready_verdict(&e), detail));
            }
        }

        let preview = s.preview();
        if s.preview_color.as_deref() != Some(s.idle_color.as_str()) {
            retry(ctx.write_deadline(), poll, || {
                w.set_selector(&preview, COLOR_LABEL, &s.idle_color)
            })
            .await
            .map_err(|e| api_failed("preview", &e))?;
        }
        ctx.phase(name, Step::SmokePreview);
        let started = Instant::now();
        smoke_stage(ctx, &mut run.checks, w, s, &preview, "preview").await?;

        ctx.phase(
            name,
            Step::Switching {
                colour: s.idle_color.clone(),
            },
        );
        let switched_at = ctx.now_ms();
        retry(ctx.write_deadline(), poll, || {
            w.set_selector(&s.region.service, COLOR_LABEL, &s.idle_color)
        })
        .await
        .map_err(|e| api_failed("switch", &e))?;
        run.timings.insert("switchedAtMs".to_owned(), switched_at);
        // The preview now shows the colour a later rollout will deploy to.
        if let Err(e) = w.set_selector(&preview, COLOR_LABEL, &s.live_color).await {
            run.checks.push(Finding::text(
                "preview",
                Verdict::Warn,
                format!(
                    "could not point {preview} at {}: {}",
                    s.live_color,
                    describe::kube(&e)
                ),
            ));
        }
        run.checks.push(Finding::text(
            "switch",
            Verdict::Pass,
            format!(
                "service {} now selects {} ({})",
                s.region.service, s.idle_color, rec.image
            ),
        ));

        ctx.phase(name, Step::SmokeLive);
        smoke_stage(ctx, &mut run.checks, w, s, &s.region.service, "live").await?;
        run.timings
            .insert("smokeMs".to_owned(), ms(started.elapsed()));

        verify(ctx, &mut run, name, switched_at).await
    };
    let failed = step.await.err();
    let Some(failed) = failed else {
        return run;
    };
    let interrupted = failed.verdict == Verdict::Skipped;
    run.checks.push(failed);

    ctx.phase(
        name,
        Step::SwitchingBack {
            colour: s.live_color.clone(),
        },
    );
    let undone = tokio::select! {
        r = undo(w, &s.region, &rec, ctx.restore, ctx.abort, ctx.recovery) => Some(r),
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
            run.checks.push(stopped(ctx.recovery, name));
            run.ended = Ended::RestoreIncomplete;
        }
    }
    run
}

/// The check for a second signal that left the record.
pub fn stopped(recovery: &Recovery, region: &str) -> Finding {
    Finding::text(
        "rollback",
        Verdict::Error,
        format!(
            "stopped switching back on a second signal; the record is left: run `{}`",
            recovery.ocfail(&format!("restore --region {region}"))
        ),
    )
}

/// A step the API would not let us do (unreachable, not allowed, a 5xx
/// that outlasted the retries): "could not check" (exit 3), as for every
/// command, not a verdict on the new version, which never got to run.
fn api_failed(step: &str, e: &crate::kube::KubeError) -> Finding {
    Finding::text(step, Verdict::Error, describe::kube(e))
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
fn interrupted(step: &str) -> Finding {
    Finding::text(
        step,
        Verdict::Skipped,
        "interrupted: switching back".to_owned(),
    )
}

/// Runs one stage's smoke checks; the first failing one is the error.
async fn smoke_stage<W: Workloads>(
    ctx: &Ctx<'_>,
    checks: &mut Vec<Finding>,
    w: &W,
    s: &RegionState,
    service: &str,
    stage: &str,
) -> Result<(), Finding> {
    if ctx.cancel.is_cancelled() {
        return Err(interrupted(&format!("smoke-{stage}")));
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

/// Watches LB traffic for `verifyFor` after the switch.
async fn verify(
    ctx: &Ctx<'_>,
    run: &mut RegionRun,
    name: &str,
    switched_at: u64,
) -> Result<(), Finding> {
    let verify_for = ctx.fleet.rollout.verify_for;
    let Some(traffic) = ctx.traffic else {
        run.checks.push(Finding::text(
            "verify",
            Verdict::Skipped,
            "no traffic section in the manifest: nothing to watch",
        ));
        return Ok(());
    };
    ctx.phase(name, Step::Verifying);
    let started = Instant::now();
    tokio::select! {
        () = tokio::time::sleep(verify_for) => {}
        () = ctx.cancel.cancelled() => return Err(interrupted("verify")),
    }
    let seen = traffic.summary_between(switched_at, ctx.now_ms());
    let max = ctx.fleet.rollout.max_error_rate;
    run.timings
        .insert("verifyMs".to_owned(), ms(started.elapsed()));
    let detail = format!(
        "{} requests in {}, error rate {:.2}% (max {max})",
        seen.requests,
        humantime::format_duration(verify_for),
        seen.error_rate * 100.0
    );
    if seen.error_rate > max.fraction() {
        return Err(Finding::text("verify", Verdict::Fail, detail));
    }
    let mut c = Finding::text("verify", Verdict::Pass, detail);
    c.duration_ms = ms(started.elapsed());
    run.checks.push(c);
    Ok(())
}
