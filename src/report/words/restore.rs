//! The words of `restore`'s facts.

use crate::facts::restore::{
    Manual, NothingChanged, Record, RestoreCheck, RestoreFact, RestoreNote, RestoreSummary,
};

use super::problem;

/// The check's stable name.
pub fn name(f: &RestoreFact) -> &'static str {
    match f {
        RestoreFact::Unreadable(_) => "read",
        RestoreFact::NothingToRestore => "restore",
        RestoreFact::RecordUnreadable { .. }
        | RestoreFact::DrillRecordRemoved { .. }
        | RestoreFact::RolloutRecordRemoved { .. } => "record",
        RestoreFact::Api { check, .. } => check_name(*check),
        RestoreFact::PoolUnchanged { .. }
        | RestoreFact::PoolSetBack { .. }
        | RestoreFact::NoCloudflare => "pool",
        RestoreFact::Scaled { .. } => "scale",
        RestoreFact::Ready { .. } | RestoreFact::NotReady { .. } => "ready",
        RestoreFact::Manual(_) => "manual",
        RestoreFact::HpaActive { .. }
        | RestoreFact::HpaNotActive { .. }
        | RestoreFact::HpaStuck { .. }
        | RestoreFact::HpasUnlisted { .. } => "hpa",
        RestoreFact::ServiceMissing { .. }
        | RestoreFact::DeploymentMissing { .. }
        | RestoreFact::SwitchedBack { .. } => "switch-back",
        RestoreFact::NotWarm(_) | RestoreFact::Warmed { .. } => "scale-up",
        RestoreFact::PreviewBack { .. } => "preview",
        RestoreFact::IdleBack { .. } => "idle",
        RestoreFact::Committed { .. } => "commit",
    }
}

fn check_name(c: RestoreCheck) -> &'static str {
    match c {
        RestoreCheck::Pool => "pool",
        RestoreCheck::Scale => "scale",
        RestoreCheck::Ready => "ready",
        RestoreCheck::Record => "record",
        RestoreCheck::SwitchBack => "switch-back",
        RestoreCheck::ScaleUp => "scale-up",
        RestoreCheck::Preview => "preview",
        RestoreCheck::Idle => "idle",
    }
}

/// The check's one line.
pub fn detail(f: &RestoreFact) -> String {
    match f {
        RestoreFact::Unreadable(p) | RestoreFact::Api { problem: p, .. } => problem(p),
        RestoreFact::NothingToRestore => "nothing to restore".to_owned(),
        RestoreFact::RecordUnreadable {
            record,
            annotation,
            object,
            error,
        } => {
            let kind = match record {
                Record::Drill => "deployment",
                Record::Rollout => "service",
            };
            format!(
                "{annotation} on {kind} {object} is unreadable ({error}); restore by hand, then \
                 remove it"
            )
        }
        RestoreFact::PoolUnchanged { pool, enabled } => {
            format!("pool {pool} was never changed (enabled={enabled})")
        }
        RestoreFact::PoolSetBack { pool, enabled } => {
            format!("pool {pool} enabled={enabled} again")
        }
        RestoreFact::NoCloudflare => {
            "the pool must be re-enabled but Cloudflare is not reachable".to_owned()
        }
        RestoreFact::Scaled {
            deployment,
            from,
            to,
        } => format!("scaled {deployment} from {from} back to {to}"),
        RestoreFact::Ready {
            ready,
            replicas,
            after,
        } => format!("{ready}/{replicas} ready after {}ms", after.as_millis()),
        RestoreFact::NotReady {
            ready,
            replicas,
            waited,
        } => format!("only {ready}/{replicas} ready after {}s", waited.as_secs()),
        RestoreFact::DrillRecordRemoved {
            annotation,
            deployment,
        } => format!("removed {annotation} from {deployment}"),
        RestoreFact::Manual(m) => format!("finish by hand: {}", manual(m)),
        RestoreFact::HpaActive { hpa } => format!("HPA {hpa} active again"),
        RestoreFact::HpaNotActive {
            hpa,
            target,
            condition,
            waited,
            look,
        } => format!(
            "HPA {hpa} is not active again after {}s ({}): it will not scale {target} under load; \
             hint: check `{look}`",
            waited.as_secs(),
            condition.as_deref().unwrap_or("no ScalingActive condition"),
        ),
        RestoreFact::HpaStuck {
            hpa,
            target,
            reason,
            look,
        } => format!(
            "HPA {hpa} is no longer disabled by the drill but is not active ({}): \
             it will not scale {target} under load; hint: check `{look}`",
            reason.as_deref().unwrap_or("no reason given"),
        ),
        RestoreFact::HpasUnlisted { problem: p, look } => format!(
            "could not list the HPAs to confirm they are active again: {}; hint: check `{look}`",
            p.as_ref().map_or_else(|| "no answer".to_owned(), problem)
        ),
        RestoreFact::ServiceMissing { service } => format!("service {service} does not exist"),
        RestoreFact::DeploymentMissing { deployment } => {
            format!("deployment {deployment} does not exist")
        }
        RestoreFact::NotWarm(n) => super::rollout::not_ready(n),
        RestoreFact::Warmed {
            deployment,
            replicas,
            after,
        } => format!(
            "{deployment} was scaled down; back to {replicas} ready replicas after {}ms",
            after.as_millis()
        ),
        RestoreFact::SwitchedBack {
            service,
            colour,
            image,
        } => format!("service {service} back on {colour} ({image})"),
        RestoreFact::PreviewBack { service, colour } => {
            format!("service {service} back on {colour}")
        }
        RestoreFact::IdleBack {
            deployment,
            from_replicas,
            from_image,
            to_replicas,
            to_image,
        } => format!(
            "{deployment} back from {from_replicas} × {from_image} to {to_replicas} × {to_image}"
        ),
        RestoreFact::RolloutRecordRemoved {
            annotation,
            service,
        } => format!("removed {annotation} from service {service}"),
        RestoreFact::Committed { run, image, colour } => format!(
            "run {run} had promoted every region it changed and was removing its records when it \
             stopped: {image} stays live on {colour} here, as in the regions it had finished"
        ),
    }
}

/// The commands, then the pool to set in Cloudflare.
fn manual(m: &Manual) -> String {
    let mut s = m.commands.join(" && ");
    if let Some(p) = &m.pool {
        s.push_str(&format!(
            "; and set pool {} enabled={} in Cloudflare",
            p.pool, p.enabled
        ));
    }
    s
}

/// A region's line.
pub fn summary(s: &RestoreSummary) -> String {
    match s {
        RestoreSummary::Unreadable => "could not read the region".to_owned(),
        RestoreSummary::Clean => "nothing to restore".to_owned(),
        RestoreSummary::Restored => "restored".to_owned(),
        RestoreSummary::Incomplete => "restore incomplete: see the manual steps".to_owned(),
        RestoreSummary::Undone { kind, run, image } => {
            format!("restored: {kind} of run {run} undone, {image} live again")
        }
        RestoreSummary::Kept { kind, run, image } => {
            format!("finished: {kind} of run {run} kept, {image} live")
        }
        RestoreSummary::RecordLeft => {
            "restore incomplete: the record could not be removed".to_owned()
        }
        RestoreSummary::Both(a, b) => format!("{}; {}", super::summary(a), super::summary(b)),
        RestoreSummary::NothingChanged(why) => nothing_changed(*why),
    }
}

/// `<why>: nothing was changed`.
pub(super) fn nothing_changed(why: NothingChanged) -> String {
    let why = match why {
        NothingChanged::Refused => "refused",
        NothingChanged::NoLock => "could not take the lock",
        NothingChanged::Stopped => "stopped",
    };
    format!("{why}: nothing was changed")
}

/// A remark.
pub fn note(n: &RestoreNote) -> String {
    match n {
        RestoreNote::Watching { run } => format!(
            "run {run} left records and still holds a live lease: watching it (a live run renews \
             it every 10 s; a dead one's expires)"
        ),
        RestoreNote::HeldLock { runs } => format!(
            "held the fleet lock while restoring, taking over any lease of run {} (gone)",
            runs.join(", ")
        ),
        RestoreNote::NoLock { error } => {
            format!("could not take the lock ({error}); restoring without it")
        }
        RestoreNote::OtherRunHolds => "another run holds the lock and is not one whose records \
                                       are left; wait for it to finish"
            .to_owned(),
        RestoreNote::Lease { region, lease } => {
            format!("{region}: {}", super::lock::detail(lease))
        }
        RestoreNote::CleanedUp { runs } => format!(
            "cleaned up after run {}; `ocfail history` shows it as interrupted and restored by \
             this run",
            runs.join(", ")
        ),
    }
}
