//! The words of `rollout`'s facts.

use std::time::Duration;

use crate::facts::rollout::{
    Change, Excerpt, NotReady, NotReadyWhy, NotStarted, Plan, ReadProblem, Refusal, RolledBack,
    RolloutCheck, RolloutFact, RolloutNote, RolloutSummary, SmokeRequest, SmokeSeen, SmokeStage,
};
use crate::manifest::OnFailure;

use super::problem;

const NO_TRAFFIC: &str = "no traffic section in the manifest: nothing to watch";

/// The check's stable name (a smoke check's carries the manifest's name
/// for it).
pub fn name(f: &RolloutFact) -> String {
    let name = match f {
        RolloutFact::Wave { .. } => "wave",
        RolloutFact::Plan(p) => plan_name(p),
        RolloutFact::Unreadable(_) | RolloutFact::OtherUnreadable { .. } => "read",
        RolloutFact::Refused(_) => "refused",
        RolloutFact::Stopped { .. } => "stopped",
        RolloutFact::AlreadyLive { .. } => "already-live",
        RolloutFact::NothingToRollBack { .. } | RolloutFact::SwitchBackStopped { .. } => "rollback",
        RolloutFact::NotStarted(_) => "start",
        RolloutFact::Api { check, .. } | RolloutFact::Interrupted { check } => check_name(*check),
        RolloutFact::Deployed { .. }
        | RolloutFact::ScaledUpFirst { .. }
        | RolloutFact::AlreadyRuns { .. } => "deploy",
        RolloutFact::Ready { .. } | RolloutFact::NotReady(_) => "ready",
        RolloutFact::PreviewNotMoved { .. } => "preview",
        RolloutFact::Switched { .. } => "switch",
        RolloutFact::NoTraffic | RolloutFact::Verified { .. } => "verify",
        RolloutFact::Smoke { stage, check, .. } => {
            return format!("{} {check}", smoke_name(*stage));
        }
        RolloutFact::ScaledDown { .. } | RolloutFact::NotScaledDown { .. } => "finalize",
        RolloutFact::SummaryNotWritten { .. } => "summary",
        RolloutFact::RecordLeft { .. } => "record",
    };
    name.to_owned()
}

fn check_name(c: RolloutCheck) -> &'static str {
    match c {
        RolloutCheck::Record => "record",
        RolloutCheck::Deploy => "deploy",
        RolloutCheck::Ready => "ready",
        RolloutCheck::Preview => "preview",
        RolloutCheck::Switch => "switch",
        RolloutCheck::SmokePreview => "smoke-preview",
        RolloutCheck::SmokeLive => "smoke-live",
        RolloutCheck::Verify => "verify",
    }
}

fn smoke_name(stage: SmokeStage) -> &'static str {
    match stage {
        SmokeStage::Preview => "smoke-preview",
        SmokeStage::Live => "smoke-live",
    }
}

fn plan_name(p: &Plan) -> &'static str {
    match p {
        Plan::AlreadyLive { .. } => "already-live",
        Plan::Record { .. } => "record",
        Plan::Deploy { .. } => "deploy",
        Plan::Ready { .. } => "ready",
        Plan::Preview { .. } => "preview",
        Plan::Smoke { stage, .. } => smoke_name(*stage),
        Plan::Switch { .. } => "switch",
        Plan::Verify { .. } | Plan::NoTraffic => "verify",
        Plan::KeepWarm { .. } | Plan::ScaleDown { .. } => "finalize",
    }
}

/// The check's one line.
pub fn detail(f: &RolloutFact) -> String {
    match f {
        RolloutFact::Wave { n, of } => format!("wave {n} of {of}"),
        RolloutFact::Plan(p) => plan(p),
        RolloutFact::Unreadable(p) => read_problem(p),
        RolloutFact::OtherUnreadable { region } => format!("{region} could not be read"),
        RolloutFact::Refused(r) => refusal(r),
        RolloutFact::Stopped { signal } => stopped(*signal),
        RolloutFact::AlreadyLive { deployment, image } => {
            format!("{deployment} already runs {image}")
        }
        RolloutFact::NothingToRollBack { image } => {
            format!("both colours run {image}: there is no previous version to go back to")
        }
        RolloutFact::NotStarted(why) => not_started(why),
        RolloutFact::Api { problem: p, .. } => problem(p),
        RolloutFact::Deployed {
            deployment,
            replicas,
            image,
        } => format!("{deployment}: {replicas} × {image}"),
        RolloutFact::ScaledUpFirst {
            deployment,
            from,
            to,
        } => format!("{deployment} was not warm: scaled up from {from} to {to} first"),
        RolloutFact::AlreadyRuns {
            deployment,
            replicas,
            image,
        } => format!("{deployment} already runs {replicas} × {image}"),
        RolloutFact::Ready { replicas } => format!("{replicas}/{replicas} ready"),
        RolloutFact::NotReady(n) => not_ready(n),
        RolloutFact::PreviewNotMoved {
            service,
            colour,
            problem: p,
        } => format!("could not point {service} at {colour}: {}", problem(p)),
        RolloutFact::Switched {
            service,
            colour,
            image,
        } => format!("service {service} now selects {colour} ({image})"),
        RolloutFact::Interrupted { .. } => "interrupted: switching back".to_owned(),
        RolloutFact::SwitchBackStopped { restore } => format!(
            "stopped switching back on a second signal; the record is left: run `{restore}`"
        ),
        RolloutFact::NoTraffic => NO_TRAFFIC.to_owned(),
        RolloutFact::Verified {
            requests,
            over,
            error_rate,
            max,
        } => format!(
            "{requests} requests in {}, error rate {:.2}% (max {max})",
            humantime::format_duration(*over),
            error_rate * 100.0
        ),
        RolloutFact::Smoke { seen, .. } => smoke(seen),
        RolloutFact::ScaledDown { deployment } => format!("scaled {deployment} to 0"),
        RolloutFact::NotScaledDown {
            deployment,
            problem: p,
            command,
        } => format!(
            "could not scale {deployment} to 0 ({}); do it by hand: {command}",
            problem(p)
        ),
        RolloutFact::SummaryNotWritten {
            annotation,
            service,
            problem: p,
        } => format!(
            "could not write {annotation} on service {service}: {}",
            problem(p)
        ),
        RolloutFact::RecordLeft {
            problem: p,
            restore,
            command,
        } => {
            let restore = match restore {
                Some(r) => format!("`{r}` keeps it promoted and removes it"),
                None => "`ocfail restore` would roll the region back".to_owned(),
            };
            format!(
                "the region is promoted but its record could not be removed ({}); {restore}, \
                 or remove it by hand: {command}",
                problem(p)
            )
        }
    }
}

fn plan(p: &Plan) -> String {
    match p {
        Plan::AlreadyLive { deployment, image } => {
            format!("{deployment} already runs {image}: no change")
        }
        Plan::Record {
            annotation,
            service,
            from,
            to,
        } => format!("would annotate service {service} with {annotation} (from {from} to {to})"),
        Plan::Deploy {
            deployment,
            from_replicas,
            from_tag,
            to_replicas,
            image,
        } => format!(
            "would set {deployment} from {from_replicas} × {from_tag} to {to_replicas} × {image}"
        ),
        Plan::Ready { timeout, replicas } => format!(
            "would wait up to {} for {replicas}/{replicas} updated, ready and available",
            humantime::format_duration(*timeout)
        ),
        Plan::Preview { service, colour } => format!("would point service {service} at {colour}"),
        Plan::Smoke {
            checks, service, ..
        } => format!("would run {checks} smoke check(s) against {service}"),
        Plan::Switch {
            service,
            from,
            to,
            preview,
        } => {
            format!("would switch service {service} from {from} to {to} (and {preview} to {from})")
        }
        Plan::Verify { url, over, max } => format!(
            "would watch traffic through {url} for {} (max error rate {max})",
            humantime::format_duration(*over)
        ),
        Plan::NoTraffic => NO_TRAFFIC.to_owned(),
        Plan::KeepWarm {
            deployment,
            replicas,
        } => format!("would keep {deployment} ({replicas} replicas) warm (--keep-previous)"),
        Plan::ScaleDown { deployment } => {
            format!("would scale {deployment} to 0 once every wave is promoted")
        }
    }
}

fn read_problem(p: &ReadProblem) -> String {
    match p {
        ReadProblem::Api(p) => problem(p),
        ReadProblem::NoService { service, namespace } => {
            format!("service {service} does not exist in namespace {namespace}")
        }
        ReadProblem::NoColour { service } => format!(
            "service {service} has no ocfail.dev/color selector, so ocfail cannot tell the live \
             colour; add `ocfail.dev/color: blue` (or green) to its selector"
        ),
        ReadProblem::UnknownColour { service, colour } => {
            format!("service {service} selects colour {colour:?}; ocfail knows only blue and green")
        }
        ReadProblem::NoDeployment { deployment } => {
            format!("deployment {deployment} does not exist")
        }
    }
}

fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::RunningElsewhere {
            holder,
            region,
            renewed_ago,
        } => {
            let renewed = renewed_ago.map_or_else(String::new, |ago| {
                format!(", lease renewed {}s ago", ago.as_secs())
            });
            format!(
                "locked: {holder} is still running in {region}{renewed}; wait for it to end (its \
                 records are not left over, and `ocfail restore` refuses while it runs)"
            )
        }
        Refusal::Unrestored { records, restore } => format!(
            "unrestored-state: an earlier run left records in {}; run `{restore}` first",
            records
                .iter()
                .map(|(region, kind)| format!("{region} ({kind})"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Refusal::Locked(p) => problem(p),
        Refusal::Guards { names } => format!(
            "guard: {} breached or firing before the rollout; nothing was changed; fix what it \
             measures, or pass --override guard:<name> --reason TEXT",
            names.join(", ")
        ),
        Refusal::GuardsUnchecked { names } => format!(
            "guard: {} could not be checked (Prometheus did not answer, or had no data); nothing \
             was changed: a rollout does not start blind",
            names.join(", ")
        ),
    }
}

fn stopped(signal: Option<&str>) -> String {
    match signal {
        Some(s) => format!("stopped by {s} before anything changed"),
        None => "stopped before anything changed".to_owned(),
    }
}

fn not_started(why: &NotStarted) -> String {
    match why {
        NotStarted::NotReached => "not reached".to_owned(),
        NotStarted::Interrupted => "interrupted before this wave".to_owned(),
        NotStarted::AfterFailure { region } => {
            format!("not started: {region} failed in an earlier wave")
        }
        NotStarted::NotStarted => "not started".to_owned(),
    }
}

fn smoke(seen: &SmokeSeen) -> String {
    let what = |r: &SmokeRequest| format!("{} {} on {}", r.method, r.path, r.service);
    match seen {
        SmokeSeen::Api(p) => problem(p),
        SmokeSeen::Passed { request, status } => format!("{}: {status}", what(request)),
        SmokeSeen::WrongStatus {
            request,
            status,
            expected,
            body,
        } => format!(
            "{}: status {status} (expected {}){}",
            what(request),
            expected
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
            excerpt(body.as_ref())
        ),
        SmokeSeen::BodyLacks {
            request,
            want,
            body,
        } => format!(
            "{}: the body lacks {want:?}{}",
            what(request),
            excerpt(body.as_ref())
        ),
    }
}

fn excerpt(body: Option<&Excerpt>) -> String {
    body.map_or_else(String::new, |b| {
        format!("; body: {}{}", b.text, if b.cut { "…" } else { "" })
    })
}

/// A region's line.
pub fn summary(s: &RolloutSummary) -> String {
    match s {
        RolloutSummary::Unreadable => "could not read the region: nothing was changed".to_owned(),
        RolloutSummary::NotStarted(why) => not_started(why),
        RolloutSummary::NothingChanged(why) => super::restore::nothing_changed(*why),
        RolloutSummary::AlreadyLive { tag, colour } => format!("already live: {tag} on {colour}"),
        RolloutSummary::NothingToRollBack => "nothing to roll back to".to_owned(),
        RolloutSummary::Planned(c) => format!("plan: {}", change(c)),
        RolloutSummary::Promoted(c) => format!("promoted: {}", change(c)),
        RolloutSummary::Halted(c) => format!(
            "promoted: {}; left promoted by onFailure: halt, {} kept warm for `ocfail rollback`",
            change(c),
            c.from
        ),
        RolloutSummary::Failed { change: c, stopped } => {
            let why = stopped.as_deref().map_or_else(String::new, |f| {
                format!("{}: {}", super::name(f), super::detail(f))
            });
            format!("failed, switched back to {} ({}): {why}", c.before, c.from)
        }
        RolloutSummary::RolledBack { change: c, why } => {
            format!(
                "rolled back to {} ({}): {}",
                c.before,
                c.from,
                rolled_back(why)
            )
        }
        RolloutSummary::LockLost { change: c, why } => format!(
            "rolled back to {} ({}): {}; the fleet lock was lost, so the rollout could not go on",
            c.before,
            c.from,
            rolled_back(why)
        ),
        RolloutSummary::RestoreIncomplete { restore } => {
            format!("left mid-change: run `{restore}`")
        }
    }
}

/// `before → after (from → to)`.
fn change(c: &Change) -> String {
    format!("{} → {} ({} → {})", c.before, c.after, c.from, c.to)
}

fn rolled_back(why: &RolledBack) -> String {
    match why {
        RolledBack::Interrupted => "interrupted".to_owned(),
        RolledBack::RollbackAll { failed } => format!("rollback-all after {failed} failed"),
    }
}

/// A remark.
pub fn note(n: &RolloutNote) -> String {
    match n {
        RolloutNote::Unreadable { region, problem } => match problem {
            // Kubernetes errors already name their region.
            ReadProblem::Api(p) => super::problem(p),
            other => format!("{region}: {}", read_problem(other)),
        },
        RolloutNote::NeededForLock { region } => format!(
            "{region} is not rolled out, but the lock and the record check need every region"
        ),
        RolloutNote::Refused(r) => refusal(r),
        RolloutNote::Stopped { signal } => stopped(*signal),
        RolloutNote::DryRun => "dry run: nothing was changed".to_owned(),
        RolloutNote::Failed { region, on_failure } => {
            let on_failure = match on_failure {
                OnFailure::RollbackAll => "rollback-all",
                OnFailure::Halt => "halt",
            };
            format!("{region} failed; onFailure: {on_failure}")
        }
        RolloutNote::InterruptedSwitchedBack { signal } => {
            format!("interrupted by {signal}: every region changed by this run was switched back")
        }
        RolloutNote::InterruptedSwitchBackStopped { signal } => {
            format!("interrupted by {signal}; a second signal stopped the switch-back")
        }
        RolloutNote::SignalWhileFinishing {
            signal,
            rolling_back,
            stopped,
        } => {
            let finishing = if *rolling_back {
                "switching back"
            } else {
                "making the promotions final"
            };
            let then = if *stopped {
                "a second signal stopped it"
            } else {
                "that was finished first"
            };
            format!("{signal} arrived while {finishing}; {then}")
        }
        RolloutNote::LockLost => "the lock was lost mid-rollout (its renewals failed); every \
                                  region changed by this run was switched back"
            .to_owned(),
        RolloutNote::AfterGuardsFailed { names } => format!(
            "guard: {} failed after every wave was promoted; the new version stays live (a \
             completed rollout is not rolled back: run `ocfail rollback` if it should be)",
            names.join(", ")
        ),
        RolloutNote::RecordsLeft { restore } => format!(
            "records are left on the clusters: run `{restore}` to put the previous version back"
        ),
    }
}

/// A readiness wait that did not end ready.
pub(super) fn not_ready(n: &NotReady) -> String {
    let d = &n.deployment;
    let replicas = n.replicas;
    // Whole seconds: the deadline as the manifest gave it.
    let waited = humantime::format_duration(Duration::from_secs(n.waited.as_secs()));
    match &n.why {
        NotReadyWhy::Timeout {
            ready,
            updated,
            available,
        } => format!(
            "{d}: {ready}/{replicas} ready, {updated} updated, {available} available after {waited} \
             (see `kubectl describe deployment {d}` and its pods' events)"
        ),
        NotReadyWhy::Unreadable => format!("{d}: not readable before the deadline of {waited}"),
        NotReadyWhy::Missing => format!("deployment {d} does not exist"),
        NotReadyWhy::Api(p) => problem(p),
        NotReadyWhy::Cancelled => format!("stopped waiting for {d}"),
    }
}
