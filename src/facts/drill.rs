//! The facts of `drill`, for `report/words` to put into words: why a drill
//! was refused or could not check, what it injected and measured, how the
//! traffic fared in each phase, and how the other regions held up.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::manifest::Percent;
use crate::signal::SignalEvent;

use super::api::ApiProblem;
use super::safety::Violation;
use super::{OutageWindow, PhaseTraffic, Verdict};

/// Why a drill stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// A signal (SIGINT, SIGTERM or SIGHUP).
    Signal(SignalEvent),
    /// The fleet lock was lost: its renewals failed until it expired.
    LockLost,
    /// A `during` guard breached.
    GuardBreached,
}

/// What the drill measured, from the injection (`unhealthy`, `shifted`)
/// and from the restore (`recovered`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Until the drill saw the pool unhealthy.
    pub unhealthy: Option<Duration>,
    /// Until the expected region answered.
    pub shifted: Option<Duration>,
    /// Until the drilled region was back.
    pub recovered: Option<Duration>,
}

/// What one check of `drill` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum DrillFact {
    /// `refused`: a reason the drill must not run; nothing was changed.
    Refused(Refusal),
    /// `read`: what could not be read before anything changed.
    Unreadable(Unreadable),
    /// `lock`: the lock could not be taken for an API error.
    LockUnavailable {
        /// The lock error's own line (message, causes and hint).
        error: String,
    },
    /// `stopped`: stopped before the outage was injected.
    StoppedBefore {
        /// Why (`None`: the supervisor gave no reason).
        stop: Option<Stop>,
    },
    /// `record`: the record could not be written, so nothing was injected.
    RecordFailed(ApiProblem),
    /// `inject`: what the injection did, or why it did not happen.
    Inject(Inject),
    /// `restore`: a second signal stopped the restore; the record is left.
    RestoreLeft {
        /// The command that finishes it.
        command: String,
    },
    /// `unhealthy`, `shifted` or `recovered`: one timing against its budget.
    Timing {
        /// Which.
        timing: Timing,
        /// What was seen.
        seen: TimingSeen,
    },
    /// `outage`: what users saw between the injection and the move.
    Outage(OutageSeen),
    /// `failed-over`, `recovering` or `after`: a phase's error rate.
    Phase {
        /// Which.
        phase: JudgedPhase,
        /// Its requests.
        traffic: PhaseTraffic,
        /// How it was judged.
        judged: PhaseJudgement,
    },
    /// `stayed-healthy`: another region after the drill.
    StayedHealthy(Stayed),
    /// `took-traffic`: the region expected to take the traffic.
    TookTraffic(Took),
    /// `lock`, `record`, `inject`, `restore` of `--dry-run`: a change the
    /// drill would make.
    Plan(Planned),
}

impl From<DrillFact> for super::Fact {
    fn from(f: DrillFact) -> Self {
        super::Fact::Drill(f)
    }
}

/// Why the drill must not run.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// `--region` names no region of the fleet.
    NoSuchRegion {
        /// The name given.
        region: String,
    },
    /// Another drill or rollout is changing the fleet right now.
    RunningElsewhere {
        /// `drill` or `rollout`.
        kind: String,
        /// Its run id.
        run: String,
        /// Where its record is.
        region: String,
        /// Its lock holder identity.
        holder: String,
        /// How long ago its lease was renewed, when known.
        renewed_ago: Option<Duration>,
    },
    /// Steady state: the load balancer is disabled.
    LoadBalancerDisabled {
        /// Its name.
        load_balancer: String,
    },
    /// Steady state: a region's live Deployment is not fully available.
    NotAvailable {
        /// The region.
        region: String,
        /// The live Deployment.
        deployment: String,
        /// Available replicas.
        available: i32,
        /// Desired replicas.
        replicas: i32,
    },
    /// Steady state: a region has no live Deployment.
    NoLiveDeployment {
        /// The region.
        region: String,
    },
    /// Steady state: a region's pool is disabled or unhealthy.
    PoolNotHealthy {
        /// The region.
        region: String,
    },
    /// Steady state: a synthetic request through the LB failed.
    TrafficFails {
        /// `traffic.url`.
        url: String,
        /// What the request got (the traffic sample's error).
        error: String,
    },
    /// A safety rule, not overridden.
    Rule(Violation),
    /// The drilled region's pool is not in Cloudflare.
    PoolNotFound {
        /// The pool's name from the manifest.
        pool: String,
    },
    /// The drilled region has no live Deployment.
    NoLive,
    /// Another run holds the lock.
    Locked {
        /// The lock error's own line.
        error: String,
    },
}

/// What could not be read before anything changed.
#[derive(Clone, Debug, PartialEq)]
pub enum Unreadable {
    /// An API call failed.
    Api(ApiProblem),
    /// A region's client could not be built.
    Region {
        /// The region.
        region: String,
        /// Why.
        problem: ApiProblem,
    },
    /// The drilled region has no client.
    NoClient,
}

/// The `inject` check.
#[derive(Clone, Debug, PartialEq)]
pub enum Inject {
    /// The live Deployment was scaled to 0.
    Scaled {
        /// The Deployment.
        deployment: String,
        /// Its replicas before.
        from: i32,
    },
    /// The pool was disabled.
    Disabled {
        /// The pool's name.
        pool: String,
    },
    /// The injection failed.
    Failed(ApiProblem),
    /// The drill stopped after writing the record, before injecting.
    Skipped {
        /// Why.
        stop: Option<Stop>,
    },
}

/// The timings a drill measures, each a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// `unhealthy`: until the pool was seen unhealthy.
    Unhealthy,
    /// `shifted`: until the expected region answered.
    Shifted,
    /// `recovered`: until the region was back.
    Recovered,
}

/// One timing against its budget.
#[derive(Clone, Debug, PartialEq)]
pub enum TimingSeen {
    /// Within the budget.
    Within {
        /// How long it took.
        took: Duration,
        /// The budget.
        budget: Duration,
    },
    /// Over the budget.
    Over {
        /// How long it took.
        took: Duration,
        /// The budget.
        budget: Duration,
    },
    /// Not seen before the budget ran out.
    NotObserved {
        /// The budget.
        budget: Duration,
    },
    /// Nothing to measure: the outage was not injected or not restored.
    NotInjected,
    /// The drill stopped first.
    Stopped(Stop),
    /// Cloudflare could not be read to tell.
    Blind(ApiProblem),
}

/// The `outage` check.
#[derive(Clone, Debug, PartialEq)]
pub enum OutageSeen {
    /// No synthetic request failed before the move.
    NoneFailed,
    /// Users saw errors, no longer than `drill.maxOutage`.
    Within(OutageLost),
    /// Users saw errors for longer than `drill.maxOutage`.
    Over(OutageLost),
}

/// What users lost in the outage window.
#[derive(Clone, Debug, PartialEq)]
pub struct OutageLost {
    /// The window.
    pub window: OutageWindow,
    /// The outage phase's failures by kind (`503`, `timeout`).
    pub errors_by_kind: BTreeMap<String, u64>,
    /// `drill.maxOutage`.
    pub max_outage: Duration,
}

/// The phases judged by their error rate, each a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JudgedPhase {
    /// `failed-over`: from the move until the restore.
    FailedOver,
    /// `recovering`: from the restore until the region is back.
    Recovering,
    /// `after`: once the region is back.
    After,
}

/// How a phase's error rate was judged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PhaseJudgement {
    /// Not judged: the region did not come back.
    NotJudged,
    /// No request in the phase.
    NoRequests,
    /// Too few requests to decide anything.
    TooFew {
        /// How many are needed.
        needed: u64,
    },
    /// Within its limit.
    Within {
        /// `maxErrorRate` or `maxRecoveryErrorRate`.
        limit: Percent,
    },
    /// Over its limit.
    Over {
        /// `maxErrorRate` or `maxRecoveryErrorRate`.
        limit: Percent,
    },
}

/// Whether another region stayed healthy.
#[derive(Clone, Debug, PartialEq)]
pub enum Stayed {
    /// Its pool and pods were healthy after the drill.
    Healthy,
    /// They were not.
    NotHealthy,
    /// It was not read after the drill (the drill was stopped).
    NotRead,
    /// It could not be read.
    Unreadable(ApiProblem),
}

/// Whether the expected region took the traffic.
#[derive(Clone, Debug, PartialEq)]
pub enum Took {
    /// Traffic never moved away from the drilled region.
    NeverMoved {
        /// The drilled region.
        from: String,
    },
    /// It answered `requests` synthetic requests meanwhile.
    Answered {
        /// The drilled region.
        from: String,
        /// Requests it answered.
        requests: u64,
    },
}

/// A change `--dry-run` says the drill would make.
#[derive(Clone, Debug, PartialEq)]
pub enum Planned {
    /// `lock`: the Lease in every region.
    TakeLock {
        /// How many regions.
        regions: usize,
    },
    /// `record`: the record on the live Deployment.
    Record {
        /// The Deployment.
        deployment: String,
        /// The annotation.
        annotation: &'static str,
        /// Its replicas.
        replicas: i32,
    },
    /// `inject`: scale the live Deployment to 0.
    ScaleToZero {
        /// The Deployment.
        deployment: String,
        /// Its replicas.
        replicas: i32,
    },
    /// `inject`: disable the pool.
    DisablePool {
        /// The pool's name.
        pool: String,
    },
    /// `restore`: put the replicas back.
    Restore {
        /// Replicas to restore.
        replicas: i32,
    },
}

/// A region's line in `drill`'s table.
#[derive(Clone, Debug, PartialEq)]
pub enum DrillSummary {
    /// The drilled region, refused.
    Refused,
    /// The drilled region, when something could not be read first.
    CouldNotCheck,
    /// The drilled region, when the lock could not be taken.
    LockUnavailable,
    /// The drilled region, stopped before the outage.
    StoppedBefore,
    /// The drilled region under `--dry-run`.
    DryRun,
    /// The drilled region, its record left for `ocfail restore`.
    RestoreIncomplete {
        /// The command that finishes it.
        command: String,
    },
    /// The drilled region, when the outage could not be injected.
    NotInjected,
    /// The drilled region: its verdict and timings.
    Drilled {
        /// Its verdict.
        verdict: Verdict,
        /// What was measured.
        timings: Timings,
        /// Why the timings may be missing.
        aside: Option<Aside>,
    },
    /// Another region, not read after the drill.
    Unobserved,
    /// The region that took the traffic.
    TookTraffic,
    /// Another region that stayed healthy.
    StayedHealthy,
}

/// Why a drilled region's timings may be missing.
#[derive(Clone, Debug, PartialEq)]
pub enum Aside {
    /// The drill stopped early, and everything was put back.
    Stopped(Stop),
    /// Cloudflare could not be read.
    Blind(ApiProblem),
}

/// A fleet-wide remark of `drill`.
#[derive(Clone, Debug, PartialEq)]
pub enum DrillNote {
    /// Stopped while taking the lock: leases may be left until they expire.
    LockMayBeLeft,
    /// Stopped while releasing the lock: it expires by itself.
    StoppedReleasingLock,
    /// A signal interrupted the drill after the injection; all was restored.
    Interrupted {
        /// The signal.
        signal: SignalEvent,
    },
    /// The lock was lost mid-drill; the drill was stopped and restored.
    LockLost,
    /// Why users saw errors in the outage.
    UsersSawErrors(UsersSawErrors),
    /// A rule passed with `--override RULE --reason TEXT`.
    RuleOverridden {
        /// The rule the drill breaks.
        violation: Violation,
        /// The `--reason` given.
        reason: String,
    },
    /// The fleet is not steady, so a drill would prove nothing.
    NotSteady,
    /// The deadlines and the region expected to take the traffic.
    Budget {
        /// Failover deadline.
        failover: Duration,
        /// Recovery deadline.
        recover: Duration,
        /// The expected receiver (`None`: the remaining pools).
        receiver: Option<String>,
    },
    /// `--dry-run` changed nothing.
    DryRun,
}

/// What users saw in the outage, sorted by whether Cloudflare's
/// zero-downtime failover retries it.
#[derive(Clone, Debug, PartialEq)]
pub struct UsersSawErrors {
    /// The outage phase's failures by kind.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// How long the window lasted.
    pub duration_ms: u64,
    /// Requests lost in it.
    pub requests_lost: u64,
    /// Status codes the origin answered that Cloudflare does not retry.
    pub not_retried: BTreeMap<String, u64>,
    /// Answers Cloudflare retries (origin unreachable: 521–526).
    pub retried: u64,
    /// Requests with no answer at all.
    pub unanswered: u64,
    /// The LB's `adaptive_routing.failover_across_pools` (`None`: not known).
    pub across_pools: Option<bool>,
}

impl From<DrillSummary> for super::Summary {
    fn from(s: DrillSummary) -> Self {
        super::Summary::Drill(s)
    }
}

impl From<DrillNote> for super::Note {
    fn from(n: DrillNote) -> Self {
        super::Note::Drill(n)
    }
}
