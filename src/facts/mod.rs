//! What commands find out, as typed values: below both `ops/`, which
//! produces them, and `report/`, which turns them into words for every
//! format. Nothing here formats a sentence.
//!
//! A [`Finding`] is one check's verdict and its [`Fact`]: what was seen,
//! with its values (replicas, durations, the rule that refused, the API's
//! error). A region's findings, a [`Summary`] of them and the run's
//! [`Note`]s make [`Findings`], the result of every command.

mod data;
mod verdict;

pub mod api;
pub mod drill;
pub mod guards;
pub mod health;
pub mod history;
pub mod init;
pub mod lock;
pub mod notify;
pub mod practice;
pub mod restore;
pub mod rollout;
pub mod run;
pub mod safety;
pub mod status;
pub mod step;
pub mod validate;

use std::collections::BTreeMap;

pub use self::data::{OutageWindow, PhaseTraffic, RolloutFacts, TrafficSummary};
pub use self::run::{Findings, Run};
pub use self::step::Step;
pub use self::verdict::Verdict;

/// One check: its verdict and what was seen.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Its outcome.
    pub verdict: Verdict,
    /// What was seen, with its values.
    pub fact: Fact,
    /// The step this check belongs to, when it is reported under one
    /// (`restore` in a drill's report, `rollback` in a rollout's).
    pub scope: Option<Scope>,
    /// How long the check took.
    pub duration_ms: u64,
}

/// The step a check is reported under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A drill's restore.
    Restore,
    /// A rollout's switch back.
    Rollback,
}

/// What a check saw, by area.
#[derive(Clone, Debug, PartialEq)]
pub enum Fact {
    /// An API call that failed (Kubernetes or Cloudflare).
    Api(api::ApiFact),
    /// `status`.
    Status(status::StatusFact),
    /// `health`.
    Health(health::HealthFact),
    /// `validate` and `validate --live`.
    Validate(validate::ValidateFact),
    /// `drill`.
    Drill(drill::DrillFact),
    /// `rollout` and `rollback`.
    Rollout(rollout::RolloutFact),
    /// `restore`, and a drill's or rollout's own putting back.
    Restore(restore::RestoreFact),
    /// The fleet lock.
    Lock(lock::LockFact),
    /// Prometheus guards, blocking and expected alerts.
    Guard(guards::GuardFact),
}

impl Finding {
    /// A finding with no measured duration.
    pub fn new(verdict: Verdict, fact: impl Into<Fact>) -> Self {
        Finding {
            verdict,
            fact: fact.into(),
            scope: None,
            duration_ms: 0,
        }
    }

    /// The same finding, reported under `scope`.
    #[must_use]
    pub fn scoped(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }

    /// The same finding with its duration.
    #[must_use]
    pub fn took(mut self, duration_ms: u64) -> Self {
        self.duration_ms = duration_ms;
        self
    }
}

/// Everything a command found out about one region.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionFindings {
    /// The region's name from the manifest.
    pub region: String,
    /// The worst of its checks, unless a command decides otherwise.
    pub verdict: Verdict,
    /// What the table's line says.
    pub summary: Summary,
    /// The checks, in the order they ran.
    pub checks: Vec<Finding>,
    /// Named timings in milliseconds (e.g. `unhealthyAfterMs`).
    pub timings: BTreeMap<String, u64>,
    /// What a rollout or rollback did to the region.
    pub rollout: Option<RolloutFacts>,
}

impl RegionFindings {
    /// A region whose verdict is the worst of `checks`.
    pub fn from_checks(
        region: impl Into<String>,
        summary: impl Into<Summary>,
        checks: Vec<Finding>,
    ) -> Self {
        RegionFindings {
            region: region.into(),
            verdict: Verdict::worst(checks.iter().map(|c| c.verdict)),
            summary: summary.into(),
            checks,
            timings: BTreeMap::new(),
            rollout: None,
        }
    }
}

/// A region's one line in the table, by area.
#[derive(Clone, Debug, PartialEq)]
pub enum Summary {
    /// `status`.
    Status(status::StatusSummary),
    /// `health`.
    Health(health::HealthSummary),
    /// `validate`.
    Validate(validate::ValidateSummary),
    /// `drill`.
    Drill(drill::DrillSummary),
    /// `rollout` and `rollback`.
    Rollout(rollout::RolloutSummary),
    /// `restore`.
    Restore(restore::RestoreSummary),
    /// The fleet lock.
    Lock(lock::LockSummary),
}

impl Summary {
    /// The same line without what changes on every read (an API's latency),
    /// for `status --watch` to compare refreshes.
    #[must_use]
    pub fn without_latency(&self) -> Summary {
        match self {
            Summary::Status(s) => Summary::Status(s.without_latency()),
            other => other.clone(),
        }
    }
}

impl Note {
    /// The same remark without what changes on every read (an alert's
    /// age), for `status --watch` to compare refreshes.
    #[must_use]
    pub fn without_age(&self) -> Note {
        match self {
            Note::Status(n) => Note::Status(n.without_age()),
            other => other.clone(),
        }
    }
}

/// A fleet-wide remark, by area.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// The run used the in-process simulator, not the real fleet.
    RanOnSimulator,
    /// `--sim` left the manifest's Prometheus guards and alerts out.
    PrometheusNotOnSimulator,
    /// `status`.
    Status(status::StatusNote),
    /// `health`.
    Health(health::HealthNote),
    /// `validate`.
    Validate(validate::ValidateNote),
    /// `drill`.
    Drill(drill::DrillNote),
    /// `rollout` and `rollback`.
    Rollout(rollout::RolloutNote),
    /// `restore`.
    Restore(restore::RestoreNote),
    /// The fleet lock.
    Lock(lock::LockFact),
    /// A second signal stopped `restore` midway.
    RestoreAbandoned {
        /// The command that finishes it.
        again: String,
    },
    /// A signal arrived during `restore`, which finished first.
    SignalDuringRestore {
        /// The signal's name.
        signal: String,
    },
    /// `ocfail practice`'s decision.
    Practice(Box<practice::PracticeNote>),
    /// The run could not be written to a region's history (the run itself
    /// is unaffected).
    HistoryNotWritten {
        /// The region.
        region: String,
        /// Why.
        problem: api::ApiProblem,
    },
    /// A `notify` target was not given every notification: a warning,
    /// never a change of verdict or exit code.
    NotDelivered(notify::Undelivered),
}
