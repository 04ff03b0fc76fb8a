//! The words of `drill`'s facts.

use std::collections::BTreeMap;
use std::time::Duration;

use humantime::format_duration;

use crate::facts::PhaseTraffic;
use crate::facts::drill::{
    Aside, DrillFact, DrillNote, DrillSummary, Inject, JudgedPhase, OutageLost, OutageSeen,
    PhaseJudgement, Planned, Refusal, Stayed, Stop, Timing, TimingSeen, Took, Unreadable,
    UsersSawErrors,
};

use super::api::problem;
use super::safety;

/// The check's stable name.
pub fn name(f: &DrillFact) -> &'static str {
    match f {
        DrillFact::Refused(_) => "refused",
        DrillFact::Unreadable(_) => "read",
        DrillFact::LockUnavailable { .. } | DrillFact::Plan(Planned::TakeLock { .. }) => "lock",
        DrillFact::StoppedBefore { .. } => "stopped",
        DrillFact::RecordFailed(_) | DrillFact::Plan(Planned::Record { .. }) => "record",
        DrillFact::Inject(_)
        | DrillFact::Plan(Planned::ScaleToZero { .. } | Planned::DisablePool { .. }) => "inject",
        DrillFact::RestoreLeft { .. } | DrillFact::Plan(Planned::Restore { .. }) => "restore",
        DrillFact::Timing { timing, .. } => match timing {
            Timing::Unhealthy => "unhealthy",
            Timing::Shifted => "shifted",
            Timing::Recovered => "recovered",
        },
        DrillFact::Outage(_) => "outage",
        DrillFact::Phase { phase, .. } => match phase {
            JudgedPhase::FailedOver => "failed-over",
            JudgedPhase::Recovering => "recovering",
            JudgedPhase::After => "after",
        },
        DrillFact::StayedHealthy(_) => "stayed-healthy",
        DrillFact::TookTraffic(_) => "took-traffic",
    }
}

/// The check's one line.
pub fn detail(f: &DrillFact) -> String {
    match f {
        DrillFact::Refused(r) => refusal(r),
        DrillFact::Unreadable(u) => unreadable(u),
        DrillFact::LockUnavailable { error } => error.clone(),
        DrillFact::StoppedBefore { stop } => format!(
            "{} before the outage was injected; nothing was changed",
            stopped(*stop)
        ),
        DrillFact::RecordFailed(p) => problem(p),
        DrillFact::Inject(i) => inject(i),
        DrillFact::RestoreLeft { command } => {
            format!("stopped on a second signal; the record is left: run `{command}`")
        }
        DrillFact::Timing { seen, .. } => timing(seen),
        DrillFact::Outage(o) => outage(o),
        DrillFact::Phase {
            traffic, judged, ..
        } => phase(traffic, *judged),
        DrillFact::StayedHealthy(s) => match s {
            Stayed::Healthy => "pool healthy and serving throughout".to_owned(),
            Stayed::NotHealthy => "pool or pods not healthy after the drill".to_owned(),
            Stayed::NotRead => {
                "could not check: not read after the drill (it was stopped)".to_owned()
            }
            Stayed::Unreadable(p) => format!("could not check: {}", problem(p)),
        },
        DrillFact::TookTraffic(t) => match t {
            Took::NeverMoved { from } => format!("traffic never moved away from {from}"),
            Took::Answered { from, requests } => {
                format!("answered {requests} synthetic requests while {from} was down")
            }
        },
        DrillFact::Plan(p) => plan(p),
    }
}

/// A region's line.
pub fn summary(s: &DrillSummary) -> String {
    match s {
        DrillSummary::Refused => "refused: nothing was changed".to_owned(),
        DrillSummary::CouldNotCheck => "could not check: nothing was changed".to_owned(),
        DrillSummary::LockUnavailable => "could not take the lock: nothing was changed".to_owned(),
        DrillSummary::StoppedBefore => "stopped before the outage: nothing was changed".to_owned(),
        DrillSummary::DryRun => "dry run: the drill may proceed".to_owned(),
        DrillSummary::RestoreIncomplete { command } => {
            format!("restore incomplete: finish with `{command}`")
        }
        DrillSummary::NotInjected => {
            "could not inject the outage (see the checks); nothing is left changed".to_owned()
        }
        DrillSummary::Drilled {
            verdict,
            timings: t,
            aside,
        } => {
            let show = |d: Option<Duration>| d.map_or("—".to_owned(), ms);
            let line = format!(
                "{verdict}: unhealthy after {}, traffic moved after {}, recovered after {}",
                show(t.unhealthy),
                show(t.shifted),
                show(t.recovered)
            );
            match aside {
                None => line,
                Some(Aside::Stopped(s)) => {
                    format!("{line} ({}; everything was put back)", stopped(Some(*s)))
                }
                Some(Aside::Blind(p)) => format!("{line} (could not check: {})", problem(p)),
            }
        }
        DrillSummary::Unobserved => "could not check".to_owned(),
        DrillSummary::TookTraffic => "took the traffic".to_owned(),
        DrillSummary::StayedHealthy => "stayed healthy".to_owned(),
    }
}

/// A remark.
pub fn note(n: &DrillNote) -> String {
    match n {
        DrillNote::LockMayBeLeft => {
            "the lock may be left for up to 30 s (it expires by itself)".to_owned()
        }
        DrillNote::StoppedReleasingLock => {
            "stopped while releasing the lock: it expires by itself within 30 s".to_owned()
        }
        DrillNote::Interrupted { signal } => {
            format!("interrupted by {}: everything was restored", signal.name())
        }
        DrillNote::LockLost => {
            "the lock was lost mid-drill (its renewals failed); the drill was stopped and restored"
                .to_owned()
        }
        DrillNote::UsersSawErrors(u) => users_saw_errors(u),
        DrillNote::RuleOverridden { violation, reason } => safety::overridden(violation, reason),
        DrillNote::NotSteady => {
            "the fleet is not in a steady state; a drill now would prove nothing".to_owned()
        }
        DrillNote::Budget {
            failover,
            recover,
            receiver,
        } => format!(
            "budget: failover within {}, recovery within {}; expected to receive traffic: {}",
            format_duration(*failover),
            format_duration(*recover),
            receiver.as_deref().unwrap_or("the remaining pools")
        ),
        DrillNote::DryRun => "dry run: nothing was changed".to_owned(),
    }
}

/// How a stop reads in a report.
fn stopped(stop: Option<Stop>) -> String {
    match stop {
        Some(Stop::Signal(s)) => format!("stopped by {}", s.name()),
        Some(Stop::LockLost) => "stopped: the fleet lock was lost".to_owned(),
        Some(Stop::GuardBreached) => "stopped: a guard breached".to_owned(),
        None => "stopped".to_owned(),
    }
}

fn ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::NoSuchRegion { region } => format!("the fleet has no region `{region}`"),
        Refusal::RunningElsewhere {
            kind,
            run,
            region,
            holder,
            renewed_ago,
        } => {
            let renewed = renewed_ago.map_or_else(String::new, |ago| {
                format!(", lease renewed {}s ago", ago.as_secs())
            });
            format!(
                "locked: {kind} run {run} is still running in {region} ({holder}{renewed}); wait \
                 for it to end (it puts back what it changed itself; `ocfail restore` refuses \
                 while it runs)"
            )
        }
        Refusal::LoadBalancerDisabled { load_balancer } => {
            format!("steady-state: load balancer {load_balancer} is disabled")
        }
        Refusal::NotAvailable {
            region,
            deployment,
            available,
            replicas,
        } => {
            format!("steady-state: {region} live {deployment} has {available}/{replicas} available")
        }
        Refusal::NoLiveDeployment { region } => {
            format!("steady-state: {region} has no live Deployment")
        }
        Refusal::PoolNotHealthy { region } => {
            format!("steady-state: pool of {region} is not enabled and healthy")
        }
        Refusal::TrafficFails { url, error } => {
            format!("steady-state: synthetic traffic to {url} fails: {error}")
        }
        Refusal::Rule(v) => safety::refusal(v),
        Refusal::PoolNotFound { pool } => format!("pool {pool} not found"),
        Refusal::NoLive => "no live Deployment".to_owned(),
        Refusal::Locked { error } => error.clone(),
    }
}

fn unreadable(u: &Unreadable) -> String {
    match u {
        Unreadable::Api(p) => problem(p),
        Unreadable::Region { region, problem: p } => format!("{region}: {}", problem(p)),
        Unreadable::NoClient => "no client for the region".to_owned(),
    }
}

fn inject(i: &Inject) -> String {
    match i {
        Inject::Scaled { deployment, from } => format!("scaled {deployment} from {from} to 0"),
        Inject::Disabled { pool } => format!("disabled pool {pool}"),
        Inject::Failed(p) => problem(p),
        Inject::Skipped { stop } => {
            format!("{} before the outage was injected", stopped(*stop))
        }
    }
}

fn timing(seen: &TimingSeen) -> String {
    match seen {
        TimingSeen::Within { took, budget } => {
            format!("{} (budget {})", ms(*took), format_duration(*budget))
        }
        TimingSeen::Over { took, budget } => format!(
            "{} is over the budget of {}",
            ms(*took),
            format_duration(*budget)
        ),
        TimingSeen::NotObserved { budget } => {
            format!("not observed within {}", format_duration(*budget))
        }
        TimingSeen::NotInjected => {
            "not measured: the outage was not injected or not restored".to_owned()
        }
        TimingSeen::Stopped(s) => format!("not measured: {}", stopped(Some(*s))),
        TimingSeen::Blind(p) => format!("could not check: {}", problem(p)),
    }
}

fn outage(o: &OutageSeen) -> String {
    let seen = |l: &OutageLost| {
        format!(
            "users saw errors for {} ({} requests lost{})",
            ms(Duration::from_millis(l.window.duration_ms)),
            l.window.requests_lost,
            kinds(&l.errors_by_kind)
        )
    };
    match o {
        OutageSeen::NoneFailed => {
            "no synthetic request failed between the injection and the move".to_owned()
        }
        OutageSeen::Within(l) => {
            format!("{}; maxOutage {}", seen(l), format_duration(l.max_outage))
        }
        OutageSeen::Over(l) => format!(
            "{}: longer than maxOutage {}",
            seen(l),
            format_duration(l.max_outage)
        ),
    }
}

fn phase(p: &PhaseTraffic, judged: PhaseJudgement) -> String {
    let rate = || format!("{:.2}% of {} requests", p.error_rate * 100.0, p.requests);
    match judged {
        PhaseJudgement::NotJudged => {
            format!(
                "not judged: the region did not come back ({} failed)",
                rate()
            )
        }
        PhaseJudgement::NoRequests => "no synthetic request in this phase".to_owned(),
        PhaseJudgement::TooFew { needed } => format!(
            "only {} requests ({} failed): too few to judge, {needed} needed",
            p.requests, p.errors
        ),
        PhaseJudgement::Within { limit } => format!("{} failed (max {limit})", rate()),
        PhaseJudgement::Over { limit } => {
            let by_region: Vec<String> = p
                .errors_by_region
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            format!(
                "{} failed, over the max of {limit}; answered by: {}{}",
                rate(),
                by_region.join(", "),
                kinds(&p.errors_by_kind)
            )
        }
    }
}

/// `; 503 ×8, timeout ×1` for a phase's failures.
fn kinds(errors_by_kind: &BTreeMap<String, u64>) -> String {
    if errors_by_kind.is_empty() {
        return String::new();
    }
    let list: Vec<String> = errors_by_kind
        .iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect();
    format!("; {}", list.join(", "))
}

fn plan(p: &Planned) -> String {
    match p {
        Planned::TakeLock { regions } => {
            format!("would take Lease ocfail-lock in {regions} regions")
        }
        Planned::Record {
            deployment,
            annotation,
            replicas,
        } => format!(
            "would annotate deployment {deployment} with {annotation} (replicas {replicas})"
        ),
        Planned::ScaleToZero {
            deployment,
            replicas,
        } => format!("would scale deployment {deployment} from {replicas} to 0"),
        Planned::DisablePool { pool } => format!("would set pool {pool} enabled=false"),
        Planned::Restore { replicas } => {
            format!("would restore {replicas} replicas and remove the record")
        }
    }
}

/// What users saw in the outage and what would have hidden it.
fn users_saw_errors(u: &UsersSawErrors) -> String {
    let seen = format!(
        "users saw {} for {} ({} requests)",
        codes(&u.errors_by_kind),
        crate::report::human::duration(u.duration_ms),
        u.requests_lost
    );
    let setting = match u.across_pools {
        Some(true) => "on for this load balancer",
        Some(false) => "off for this load balancer",
        None => "not known for this load balancer",
    };
    let mut why = Vec::new();
    if u.not_retried.values().sum::<u64>() > 0 {
        why.push(format!(
            "the origin answered {} itself (an ingress answers 503 when no pod is left), which \
             Cloudflare's zero-downtime failover does not retry: it retries only 521–526, and \
             across pools only with adaptive_routing.failover_across_pools ({setting}); only the \
             monitor marking the pool down ends it, so a shorter monitor interval or \
             consecutive_down shortens the window",
            codes(&u.not_retried)
        ));
    }
    let retried = u.retried;
    if retried > 0 {
        why.push(match u.across_pools {
            Some(true) => format!(
                "{retried} answers were 521–526, which Cloudflare retries on the next pool with \
                 failover_across_pools on: the retry found no healthy origin either"
            ),
            _ => format!(
                "{retried} answers were 521–526 (origin unreachable): Cloudflare would have \
                 retried them on the next pool with adaptive_routing.failover_across_pools on \
                 ({setting})"
            ),
        });
    }
    if u.unanswered > 0 {
        why.push(format!(
            "{} requests got no answer at all (timeout or connection failure) before \
             the load balancer moved",
            u.unanswered
        ));
    }
    format!("{seen}: {}", why.join("; "))
}

/// `503`, or `503 and 502`.
fn codes(kinds: &BTreeMap<String, u64>) -> String {
    let names: Vec<&str> = kinds.keys().map(String::as_str).collect();
    match names.as_slice() {
        [] => "errors".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
