//! The drill's Prometheus part (docs/prometheus.md): blocking alerts and
//! `before` guards with the read-only checks, `during` guards watched from
//! the injection to the restore, `after` guards and the expected alerts
//! once the region is back.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use crate::exit_code;
use crate::facts::drill::{DrillSummary, Unreadable};
use crate::facts::{Finding, Verdict};
use crate::manifest::{Fleet, GuardWhen};
use crate::prometheus::client::PromClient;

use super::super::clients::Clients;
use super::super::guards::{self, Bindings, Watch};
use super::super::supervise::Supervisor;
use super::{DrillOptions, DrillOutcome, unavailable_before, unchanged};

/// What the drill asks Prometheus, once it is known which region takes the
/// traffic.
#[derive(Clone)]
pub(super) struct Guarded {
    /// The client.
    pub m: Arc<PromClient>,
    /// The placeholders' values.
    pub bindings: Bindings,
    /// The checks made before anything changed (passed, or overridden).
    pub before: Vec<Finding>,
}

/// Whether the drill asks Prometheus anything: guards, blocking alerts,
/// or expected alerts (which default to the rendered rules').
fn asks(fleet: &Fleet) -> bool {
    fleet.prometheus.is_some()
}

/// Blocking alerts and `before` guards. A breach refuses (exit 5); not
/// knowing (Prometheus unreachable, no data) changes nothing either
/// (exit 4), since starting blind is what the guards are there to prevent;
/// a client that could not be built is "could not check" (exit 3).
pub(super) async fn before<W, P>(
    c: &Clients<W, P>,
    opts: &DrillOptions,
    name: &str,
    receiver: Option<&str>,
) -> Result<Option<Guarded>, Box<DrillOutcome>> {
    if !asks(&c.fleet) {
        return Ok(None);
    }
    let m = match &c.prometheus {
        None => return Ok(None),
        Some(Ok(m)) => Arc::clone(m),
        Some(Err(e)) => {
            let why = Unreadable::Api(guards::problem(e));
            return Err(Box::new(unavailable_before(name, vec![why])));
        }
    };
    let bindings = Bindings::drill(name, receiver);
    let drill = &c.fleet.drill;
    let mut checks = guards::blocking(
        m.as_ref(),
        &drill.blocking_alerts,
        &bindings,
        &opts.guard_overrides,
    )
    .await;
    checks
        .extend(guards::before(m.as_ref(), &drill.guards, &bindings, &opts.guard_overrides).await);
    let refusal = |summary, code| {
        Err(Box::new(unchanged(
            name,
            summary,
            checks.clone(),
            Vec::new(),
            code,
        )))
    };
    match Verdict::worst(checks.iter().map(|f| f.verdict)) {
        Verdict::Fail => refusal(DrillSummary::Refused, exit_code::REFUSED),
        Verdict::Error => refusal(DrillSummary::CouldNotCheck, exit_code::UNAVAILABLE),
        Verdict::Inconclusive => refusal(DrillSummary::CouldNotCheck, exit_code::INCONCLUSIVE),
        _ => Ok(Some(Guarded {
            m,
            bindings,
            before: checks,
        })),
    }
}

/// `--dry-run`: the guards the drill would watch and check afterwards.
pub(super) fn planned(fleet: &Fleet, g: &Guarded) -> Vec<Finding> {
    fleet
        .drill
        .guards
        .iter()
        .filter(|x| x.when != GuardWhen::Before)
        .map(|x| guards::planned(x, Some(x.when), &g.bindings))
        .collect()
}

/// Starts watching the `during` guards (none: `None`).
pub(super) fn watch(fleet: &Fleet, g: Option<&Guarded>) -> Option<Watch> {
    let g = g?;
    let during: Vec<_> = fleet
        .drill
        .guards
        .iter()
        .filter(|x| x.when == GuardWhen::During)
        .collect();
    if during.is_empty() {
        return None;
    }
    let interval = guards::watch_interval(during.iter().copied());
    let filled = during
        .iter()
        .map(|x| {
            (
                (*x).clone(),
                Some(GuardWhen::During),
                g.bindings.fill(&x.query),
            )
        })
        .collect();
    Some(Watch::start(Arc::clone(&g.m), filled, interval))
}

/// Sleeps `d` unless the run stops or a `during` guard breaches first;
/// `false` when the run is stopping.
pub(super) async fn pause(
    sup: &mut Supervisor<'_>,
    d: Duration,
    breached: Option<&CancellationToken>,
) -> bool {
    let breach = breached.cloned();
    sup.stoppable(async move {
        match breach {
            Some(b) => tokio::select! {
                () = tokio::time::sleep(d) => {}
                () = b.cancelled() => {}
            },
            None => tokio::time::sleep(d).await,
        }
    })
    .await
    .is_some()
}

/// `after` guards and the expected alerts, once the region is back: an
/// `after` guard with a `for` waits until the fleet has been back that
/// long, so that the outage itself is not held against it.
/// Without recovery (`back_for` is `None`) only the alerts are checked.
pub(super) async fn after(
    fleet: &Fleet,
    g: &Guarded,
    injected: SystemTime,
    back_for: Option<Duration>,
    sup: &mut Supervisor<'_>,
) -> Vec<Finding> {
    let drill = &fleet.drill;
    let mut out = Vec::new();
    let after: Vec<_> = drill
        .guards
        .iter()
        .filter(|x| x.when == GuardWhen::After && back_for.is_some())
        .cloned()
        .collect();
    let back_for = back_for.unwrap_or_default();
    let longest = after.iter().map(|x| x.for_).max().unwrap_or_default();
    let wait = longest.saturating_sub(back_for);
    if !wait.is_zero() && !sup.sleep(wait).await {
        return out;
    }
    if let Some(checked) = sup
        .stoppable(guards::after(g.m.as_ref(), &after, &g.bindings))
        .await
    {
        out.extend(checked);
    }
    let expected = sup
        .stoppable(guards::expectations_for(
            g.m.as_ref(),
            drill.expect_alerts.as_ref(),
        ))
        .await;
    match expected {
        None => {}
        Some(Err(p)) => out.push(Finding::new(
            Verdict::Inconclusive,
            crate::facts::guards::GuardFact::ExpectationsUnreadable(p),
        )),
        Some(Ok((expect, by_default))) => {
            let seen = sup
                .stoppable(guards::expectations(
                    g.m.as_ref(),
                    &expect,
                    by_default,
                    &g.bindings,
                    injected,
                    SystemTime::now(),
                ))
                .await;
            out.extend(seen.unwrap_or_default());
        }
    }
    out
}
