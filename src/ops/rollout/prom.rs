//! A rollout's Prometheus checks (docs/prometheus.md, "Rollouts"):
//! blocking alerts and `before` guards refuse to start, the analysis and
//! `during` guards are watched through each region's `verifyFor`, `after`
//! guards judge the promoted fleet. Generic over [`Metrics`], so the
//! rollout's unit tests run them in memory.

use std::sync::Arc;

use crate::facts::guards::{GuardFact, GuardOutcome};
use crate::facts::{Finding, Verdict};
use crate::manifest::{Guard, GuardWhen, Rollout};
use crate::ops::guards::{self, Bindings, Tracker, Watch};
use crate::prometheus::{Metrics, PromError};

/// One region a rollout changes: the colour it switches to and from.
#[derive(Clone, Debug)]
pub struct Target {
    /// The region.
    pub region: String,
    /// The colour made live (`{color}`).
    pub color: String,
    /// The colour live before (`{previousColor}`).
    pub previous: String,
}

impl Target {
    fn bindings(&self) -> Bindings {
        Bindings::rollout(&self.region, &self.color, &self.previous)
    }
}

/// Whether the manifest asks Prometheus anything for a rollout.
pub fn wanted(r: &Rollout) -> bool {
    !(r.guards.is_empty() && r.blocking_alerts.is_empty() && r.analysis.is_empty())
}

/// The analysis and `during` guards, each with the moment it reports
/// (`None`: analysis).
fn watched(r: &Rollout) -> Vec<(Guard, Option<GuardWhen>)> {
    r.analysis
        .iter()
        .map(|g| (g.clone(), None))
        .chain(
            r.guards
                .iter()
                .filter(|g| g.when == GuardWhen::During)
                .map(|g| (g.clone(), Some(GuardWhen::During))),
        )
        .collect()
}

/// Blocking alerts and `before` guards, per target (matchers and queries
/// bound to its region and colours; a matcher without `{region}` reads the
/// same in every region).
pub async fn before<M: Metrics>(
    m: &M,
    r: &Rollout,
    targets: &[Target],
    overrides: &[(String, String)],
) -> Vec<Vec<Finding>> {
    let mut out = Vec::new();
    for t in targets {
        let b = t.bindings();
        let mut f = guards::blocking(m, &r.blocking_alerts, &b, overrides).await;
        f.extend(guards::before(m, &r.guards, &b, overrides).await);
        out.push(f);
    }
    out
}

/// Without a Prometheus client (e.g. its credential unset) nothing the
/// manifest asks can be checked: every guard and the blocking alerts,
/// per target, as errors (could not check, exit 3).
pub fn unchecked(r: &Rollout, targets: &[Target], e: &PromError) -> Vec<Vec<Finding>> {
    let problem = guards::problem(e);
    targets
        .iter()
        .map(|t| {
            let b = t.bindings();
            let mut out = Vec::new();
            if !r.blocking_alerts.is_empty() {
                out.push(Finding::new(
                    Verdict::Error,
                    GuardFact::BlockingUnreadable {
                        matchers: r
                            .blocking_alerts
                            .iter()
                            .map(|a| b.fill(&a.0).unwrap_or_else(|_| a.0.clone()))
                            .collect(),
                        problem: problem.clone(),
                        refuses: true,
                    },
                ));
            }
            let all = r
                .guards
                .iter()
                .map(|g| (g.clone(), Some(g.when)))
                .chain(r.analysis.iter().map(|g| (g.clone(), None)));
            for (g, when) in all {
                let query = b.fill(&g.query).unwrap_or_else(|_| g.query.clone());
                let mut t = Tracker::new(&g, when, query);
                t.seen.outcome = GuardOutcome::Unavailable(problem.clone());
                let mut f = t.finding();
                f.verdict = Verdict::Error;
                out.push(f);
            }
            out
        })
        .collect()
}

/// The dry run's view of what is checked after the switch: each analysis,
/// `during` and `after` guard with its placeholders filled, not evaluated.
pub fn planned(r: &Rollout, t: &Target) -> Vec<Finding> {
    let b = t.bindings();
    let after = r
        .guards
        .iter()
        .filter(|g| g.when == GuardWhen::After)
        .map(|g| (g.clone(), Some(GuardWhen::After)));
    watched(r)
        .into_iter()
        .chain(after)
        .map(|(g, when)| guards::planned(&g, when, &b))
        .collect()
}

/// What the checks before the rollout decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// Go on (passes, and overrides that warn).
    Go,
    /// A guard breached or a blocking alert fires: refuse (exit 5).
    Refuse(Vec<String>),
    /// Something could not be checked: do not start (exit 3 or 4, from
    /// the verdicts).
    Unchecked(Vec<String>),
}

/// Decides from the findings of [`before`] or [`unchecked`].
pub fn decide(per_target: &[Vec<Finding>]) -> Start {
    let all = || per_target.iter().flatten();
    let names = |bad: &dyn Fn(Verdict) -> bool| {
        let mut names: Vec<String> = Vec::new();
        for f in all().filter(|f| bad(f.verdict)) {
            let name = match &f.fact {
                crate::facts::Fact::Guard(GuardFact::Guard(g)) => g.name.clone(),
                crate::facts::Fact::Guard(GuardFact::Blocking(b)) => b.name().to_owned(),
                crate::facts::Fact::Guard(GuardFact::BlockingUnreadable { matchers, .. }) => {
                    matchers.join(", ")
                }
                _ => continue,
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    };
    let failed = names(&|v| v == Verdict::Fail);
    if !failed.is_empty() {
        return Start::Refuse(failed);
    }
    let unchecked = names(&|v| matches!(v, Verdict::Error | Verdict::Inconclusive));
    if !unchecked.is_empty() {
        return Start::Unchecked(unchecked);
    }
    Start::Go
}

/// The analysis of each region's verify window: starts a [`Watch`] of the
/// analysis and `during` guards bound to the region and its colours.
pub struct Analysis {
    start: Box<dyn Fn(&Bindings) -> Watch + Send + Sync>,
}

impl Analysis {
    /// `None` when the rollout has nothing to watch.
    pub fn new<M: Metrics + 'static>(m: Arc<M>, r: &Rollout) -> Option<Analysis> {
        let watched = watched(r);
        if watched.is_empty() {
            return None;
        }
        let interval = guards::watch_interval(watched.iter().map(|(g, _)| g));
        Some(Analysis {
            start: Box::new(move |b: &Bindings| {
                let filled = watched
                    .iter()
                    .map(|(g, w)| (g.clone(), *w, b.fill(&g.query)))
                    .collect();
                Watch::start(Arc::clone(&m), filled, interval)
            }),
        })
    }

    /// Starts watching for `region`, now live on `color`.
    pub fn start(&self, region: &str, color: &str, previous: &str) -> Watch {
        (self.start)(&Bindings::rollout(region, color, previous))
    }
}

/// The outcome of a verify window's analysis: the finding that fails the
/// region, if any (a breach first, then one that could not measure: a
/// canary analysis that cannot tell must not promote); the others go into
/// `checks`.
pub(super) fn judged(mut findings: Vec<Finding>, checks: &mut Vec<Finding>) -> Option<Finding> {
    let worst = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.verdict >= Verdict::Inconclusive)
        .max_by_key(|(i, f)| (f.verdict, std::cmp::Reverse(*i)))
        .map(|(i, _)| i);
    let bad = worst.map(|i| findings.remove(i));
    checks.extend(findings);
    bad
}

/// The names of the failing `after` guards.
pub fn failed_names(findings: &[Finding]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for f in findings.iter().filter(|f| f.verdict == Verdict::Fail) {
        if let crate::facts::Fact::Guard(GuardFact::Guard(g)) = &f.fact
            && !names.contains(&g.name)
        {
            names.push(g.name.clone());
        }
    }
    names
}
