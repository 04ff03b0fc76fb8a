//! The facts of Prometheus guards, blocking alerts and expected alerts
//! (docs/prometheus.md): the query as it was sent, the values seen, the
//! threshold, and when; `report/words/guards` puts them into words.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::manifest::{CompareOp, GuardWhen};

use super::api::ApiProblem;

/// What one guard check saw.
#[derive(Clone, Debug, PartialEq)]
pub enum GuardFact {
    /// A guard, evaluated once or watched over a span.
    Guard(GuardSeen),
    /// A blocking alert is active (refuses the run unless overridden).
    Blocking(BlockingSeen),
    /// Blocking alerts could not be read.
    BlockingUnreadable {
        /// The matchers that could not be checked.
        matchers: Vec<String>,
        /// Why.
        problem: ApiProblem,
        /// The run refuses because of it (a drill or rollout); `false` in
        /// `status`, which only reports.
        refuses: bool,
    },
    /// None of the blocking alerts is active.
    NoneBlocking {
        /// The matchers checked.
        matchers: Vec<String>,
    },
    /// Prometheus' alerting rules could not be read, so the expected
    /// alerts could not be decided.
    ExpectationsUnreadable(ApiProblem),
    /// An expected alert, and what Prometheus showed.
    Expectation(ExpectationSeen),
    /// A refusal that `--override guard:<name>` passed.
    Overridden {
        /// The guard (or alert) name.
        name: String,
        /// The reason given.
        reason: String,
    },
}

impl From<GuardFact> for super::Fact {
    fn from(f: GuardFact) -> Self {
        super::Fact::Guard(f)
    }
}

/// A series' labels, sorted by name.
pub type SeriesLabels = BTreeMap<String, String>;

/// One series' value.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesValue {
    /// The series' labels (empty for a scalar).
    pub labels: SeriesLabels,
    /// Its value.
    pub value: f64,
}

/// One guard as it was checked.
#[derive(Clone, Debug, PartialEq)]
pub struct GuardSeen {
    /// Its name (`guard:<name>` overrides it).
    pub name: String,
    /// When it was evaluated (`None`: a rollout's analysis).
    pub when: Option<GuardWhen>,
    /// The query as sent, placeholders filled.
    pub query: String,
    /// What must hold.
    pub op: CompareOp,
    /// The threshold.
    pub threshold: f64,
    /// How long a breach must last to count.
    pub for_: Duration,
    /// How many times it was evaluated.
    pub evaluations: u32,
    /// The series furthest from holding in the last answer (or at the
    /// breach), when there was one.
    pub worst: Option<SeriesValue>,
    /// The outcome.
    pub outcome: GuardOutcome,
}

/// How a guard came out.
#[derive(Clone, Debug, PartialEq)]
pub enum GuardOutcome {
    /// Every series held every time.
    Held,
    /// Some series did not hold, for at least `for`.
    Breached {
        /// Since the start of the watch, when the breach was declared.
        after: Option<Duration>,
    },
    /// A series did not hold, but not for long enough to count.
    BrieflyBreached,
    /// The query returned no series, or only NaN: no evidence either way.
    NoData,
    /// Prometheus could not be asked (unreachable, timeout, query error).
    Unavailable(ApiProblem),
    /// Not evaluated: the run stopped before its moment.
    NotReached,
    /// Not evaluated: a dry run shows the query it would send.
    Planned,
}

/// An active alert that blocks the run.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockingSeen {
    /// The matcher it matched, as written (placeholders filled).
    pub matcher: String,
    /// Its labels, `alertname` included.
    pub labels: SeriesLabels,
    /// How long it has been active, when known.
    pub active_for: Option<Duration>,
    /// Read from Alertmanager (else Prometheus).
    pub from_alertmanager: bool,
    /// The run refuses to start because of it (a drill or rollout);
    /// `false` in `status`, which only reports it.
    pub refuses: bool,
}

impl BlockingSeen {
    /// Its `alertname` (what `--override guard:<name>` names).
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", String::as_str)
    }
}

/// What an expectation asks of an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expect {
    /// It must have fired.
    Firing,
    /// It must have been pending or firing.
    Pending,
    /// It must have been neither.
    Silent,
}

/// One expectation and what Prometheus' `ALERTS` showed over the drill.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectationSeen {
    /// The matcher, placeholders filled.
    pub matcher: String,
    /// What was expected.
    pub expect: Expect,
    /// From the rendered rules' defaults rather than the manifest.
    pub by_default: bool,
    /// Since the outage was injected, when it was first seen pending.
    pub first_pending: Option<Duration>,
    /// Since the outage was injected, when it was first seen firing.
    pub first_firing: Option<Duration>,
    /// The series that matched (labels), when any.
    pub seen: Vec<SeriesLabels>,
    /// Whether it was met, or why it could not be told.
    pub outcome: ExpectationOutcome,
}

/// An expectation's outcome.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpectationOutcome {
    /// As expected.
    Met,
    /// Not as expected.
    NotMet,
    /// Prometheus could not be asked.
    Unavailable(ApiProblem),
}
