//! The words of `status`'s facts.

use jiff::Timestamp;

use crate::facts::Verdict;
use crate::facts::practice::LastPractice;
use crate::facts::status::{
    Fragility, LiveState, PoolState, PracticeState, RegionLine, Selection, StatusFact, StatusNote,
    StatusSummary, Target,
};

use super::problem;

/// The check's stable name.
pub fn name(f: &StatusFact) -> &'static str {
    match f {
        StatusFact::ApiReachable { .. } | StatusFact::ApiUnreadable(_) => "api",
        StatusFact::Deployment(_) => "deployment",
        StatusFact::Pool { .. } => "pool",
        StatusFact::Traffic { .. } => "traffic",
        StatusFact::InProgress { operation, .. } => operation.as_str(),
        StatusFact::Lock { .. } => "lock",
        StatusFact::LastDrill { .. } => "last-drill",
        StatusFact::Practice(_) => "practice",
    }
}

/// The check's one line.
pub fn detail(f: &StatusFact) -> String {
    match f {
        StatusFact::ApiReachable {
            latency_ms,
            version,
        } => format!(
            "reachable in {latency_ms}ms ({})",
            version.as_deref().unwrap_or("unknown version")
        ),
        StatusFact::ApiUnreadable(p) => problem(p),
        StatusFact::Deployment(live) => live_detail(live),
        StatusFact::Pool { name, state } => pool_detail(name, state),
        StatusFact::Traffic { serving: true } => "the load balancer sends traffic here now".into(),
        StatusFact::Traffic { serving: false } => "standby: no traffic now".into(),
        StatusFact::InProgress {
            operation,
            since,
            by,
            restore,
        } => {
            let by = by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default();
            format!(
                "{} in progress since {}{by}; if it is not running any more, restore with: {restore}",
                operation.as_str(),
                since.as_deref().unwrap_or("an unknown time"),
            )
        }
        StatusFact::Lock { holder, live: true } => format!("locked by {holder}"),
        StatusFact::Lock {
            holder,
            live: false,
        } => format!("free (expired lease of {holder})"),
        StatusFact::LastDrill { verdict, age, run } => {
            let age = age
                .map(|d| format!(", {} ago", humantime::format_duration(d)))
                .unwrap_or_default();
            let run = run
                .as_ref()
                .map(|r| format!(" (run {r})"))
                .unwrap_or_default();
            format!("last drill: {verdict}{age}{run}")
        }
        StatusFact::Practice(p) => practice_detail(p),
    }
}

/// An instant as the report shows it: RFC 3339, UTC, whole seconds.
fn at(t: Timestamp) -> String {
    t.round(jiff::Unit::Second).unwrap_or(t).to_string()
}

fn practice_detail(p: &PracticeState) -> String {
    let last = |l: &LastPractice| {
        format!(
            "last practice {}: {} (run {})",
            at(l.at),
            l.verdict,
            l.run_id
        )
    };
    match p {
        PracticeState::Never => "never practised: due now".to_owned(),
        PracticeState::Practised { last: l, next_due } => {
            format!("{}; next due {}", last(l), at(*next_due))
        }
        PracticeState::Overdue { last: l, since } => {
            format!("{}; overdue since {}", last(l), at(*since))
        }
    }
}

/// The practice part of a region's line: a date, not an age, so the line
/// reads the same on every refresh until something changes.
fn practice_part(p: &PracticeState) -> String {
    match p {
        PracticeState::Never => "never practised".to_owned(),
        PracticeState::Overdue { .. } => "practice overdue".to_owned(),
        PracticeState::Practised { last, next_due } => {
            let date = next_due.strftime("%Y-%m-%d");
            if last.verdict == Verdict::Fail {
                format!("last practice failed, next {date}")
            } else {
                format!("next practice {date}")
            }
        }
    }
}

fn live_detail(live: &LiveState) -> String {
    match live {
        LiveState::NoService { service, namespace } => {
            format!("service {service} not found in namespace {namespace}")
        }
        LiveState::NoColour { service } => {
            format!("service {service} selects no colour (no ocfail.dev/color in its selector)")
        }
        LiveState::ColourMissing {
            service,
            colour,
            deployment,
        } => format!("service {service} selects {colour}, but {deployment} does not exist"),
        LiveState::Live {
            colour,
            ready,
            replicas,
            image,
            ..
        } => format!("{colour} live: {ready}/{replicas} ready, image {image}"),
    }
}

fn pool_detail(name: &str, state: &PoolState) -> String {
    match state {
        PoolState::Unreadable(p) => format!("pool {name}: {}", problem(p)),
        PoolState::Missing { known } => format!(
            "pool {name} not found; pools in the account: {}",
            known.join(", ")
        ),
        PoolState::Disabled => format!("pool {name} disabled: gets no traffic"),
        PoolState::Unmonitored => {
            format!("pool {name} no monitor: Cloudflare does not check its health")
        }
        PoolState::Unhealthy { up, total } => {
            format!("pool {name} unhealthy ({up}/{total} origins healthy)")
        }
        PoolState::Degraded { up, total } => {
            format!("pool {name} degraded ({up}/{total} origins healthy)")
        }
        PoolState::Healthy { total } => format!("pool {name} healthy ({total}/{total} origins)"),
        PoolState::Unknown => format!("pool {name} health unknown (no check result yet)"),
    }
}

/// A region's line.
pub fn summary(s: &StatusSummary) -> String {
    match s {
        StatusSummary::Unreadable { message } => message.clone(),
        StatusSummary::Region(line) => region_line(line),
    }
}

fn region_line(line: &RegionLine) -> String {
    let live = match &line.live {
        LiveState::NoService { .. } => "no service".to_owned(),
        LiveState::NoColour { .. } => "no live colour".to_owned(),
        LiveState::ColourMissing { .. } => "live colour missing".to_owned(),
        LiveState::Live {
            colour,
            ready,
            replicas,
            version,
            ..
        } => format!("{colour} {ready}/{replicas} ready ({version})"),
    };
    let pool = match line.pool {
        PoolState::Unreadable(_) => "pool unknown",
        PoolState::Missing { .. } => "pool missing",
        PoolState::Disabled => "pool disabled",
        PoolState::Unmonitored => "pool unmonitored",
        PoolState::Unhealthy { .. } => "pool unhealthy",
        PoolState::Degraded { .. } => "pool degraded",
        PoolState::Healthy { .. } => "pool healthy",
        PoolState::Unknown => "pool health unknown",
    };
    let mut parts = vec![live, pool.to_owned()];
    match line.serving {
        Some(true) => parts.push("serving".to_owned()),
        Some(false) => parts.push("standby".to_owned()),
        None => {}
    }
    if let Some(op) = line.operation {
        parts.push(format!("{} in progress", op.as_str()));
    }
    if !line.alerts.is_empty() {
        parts.push(format!("alert {} firing", line.alerts.join(", ")));
    }
    if let Some(p) = &line.practice {
        parts.push(practice_part(p));
    }
    if let Some(ms) = line.api_ms {
        parts.push(format!("api {ms}ms"));
    }
    parts.join(" · ")
}

/// A remark.
pub fn note(n: &StatusNote) -> String {
    match n {
        StatusNote::LoadBalancerUnreadable { name, problem: p } => {
            format!("load balancer {name}: {}", problem(p))
        }
        StatusNote::ServingNow(sel) => format!("serving now: {}", selection(sel)),
        StatusNote::FailoverTarget(t) => {
            let target = match t {
                Target::Next(sel) => selection(sel),
                Target::Remaining => "the remaining pools share the traffic".to_owned(),
                Target::None => "none".to_owned(),
            };
            format!("failover target: {target}")
        }
        StatusNote::Survives(Ok(())) => "survives losing any one region: yes".to_owned(),
        StatusNote::Survives(Err(f)) => {
            format!("survives losing any one region: no ({})", fragility(f))
        }
        StatusNote::PoolsUnreadable(p) => format!("pools: {}", problem(p)),
        StatusNote::BlockingAlert(b) => format!("fleet-wide: {}", super::guards::blocking(b)),
        StatusNote::HistoryUnreadable { region, problem: p } => format!(
            "warn: {region}'s run history (ConfigMap ocfail-history) could not be read: {}; \
             its last practice is unknown",
            problem(p)
        ),
    }
}

/// Where the load balancer sends traffic, in words.
pub fn selection(sel: &Selection) -> String {
    match sel {
        Selection::Region(r) => r.clone(),
        Selection::Fallback(r) => format!("{r} (fallback pool: every other pool is down)"),
        Selection::Spread(rs) => rs.join(", "),
        Selection::Disabled => "nothing (the load balancer is disabled)".to_owned(),
        Selection::Nothing => {
            "nothing (no usable pool, and the fallback pool is disabled)".to_owned()
        }
    }
}

/// Why losing one region would leave users unserved.
pub fn fragility(f: &Fragility) -> String {
    match f {
        Fragility::LbDisabled => "the load balancer is disabled".to_owned(),
        Fragility::Unchecked { region } => format!("{region} could not be checked"),
        Fragility::Loses { region, unreached } if unreached.is_empty() => {
            format!("losing {region}: no other region has a healthy pool with ready pods")
        }
        Fragility::Loses { region, unreached } => format!(
            "losing {region}: the load balancer would not reach {}",
            unreached.join(", ")
        ),
    }
}
