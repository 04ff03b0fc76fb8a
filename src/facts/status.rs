//! The facts of `status`, for `report/words` to put into words.

use std::time::Duration;

use jiff::Timestamp;

use super::api::ApiProblem;
use super::guards::BlockingSeen;
use super::practice::LastPractice;

/// The load balancer's choice of where traffic goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// The LB is disabled: no pool is used.
    Disabled,
    /// Failover steering: this one region takes all traffic.
    Region(String),
    /// Every pool is down: the fallback pool's region, regardless of health.
    Fallback(String),
    /// A spreading policy (random, latency, geo…): these regions share traffic.
    Spread(Vec<String>),
    /// Nothing can be selected (fallback missing or disabled).
    Nothing,
}

impl Selection {
    /// The regions that receive traffic.
    pub fn regions(&self) -> Vec<String> {
        match self {
            Selection::Region(r) | Selection::Fallback(r) => vec![r.clone()],
            Selection::Spread(rs) => rs.clone(),
            Selection::Disabled | Selection::Nothing => Vec::new(),
        }
    }
}

/// Why the fleet would not survive losing one more region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fragility {
    /// The load balancer is disabled.
    LbDisabled,
    /// A region's pool or pods could not be read, so survival is unknown.
    Unchecked {
        /// The region.
        region: String,
    },
    /// Losing `region` leaves users unserved.
    Loses {
        /// The region whose loss is fatal.
        region: String,
        /// The other regions that could serve but that the LB would not reach.
        unreached: Vec<String>,
    },
}

/// Which operation a region's record says is in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A drill (`ocfail.dev/drill` on a Deployment).
    Drill,
    /// A rollout (`ocfail.dev/rollout` on the Service).
    Rollout,
}

impl Operation {
    /// The operation's name, as check names and commands spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Drill => "drill",
            Operation::Rollout => "rollout",
        }
    }
}

/// A pool's state as Cloudflare reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolState {
    /// The pools could not be listed.
    Unreadable(ApiProblem),
    /// No pool has the manifest's name.
    Missing {
        /// The pools the account has.
        known: Vec<String>,
    },
    /// Disabled: gets no traffic.
    Disabled,
    /// No monitor: Cloudflare does not check its health.
    Unmonitored,
    /// Unhealthy.
    Unhealthy {
        /// Enabled origins that are healthy.
        up: usize,
        /// Enabled origins.
        total: usize,
    },
    /// Healthy, but not every origin is.
    Degraded {
        /// Enabled origins that are healthy.
        up: usize,
        /// Enabled origins.
        total: usize,
    },
    /// Healthy.
    Healthy {
        /// Enabled origins.
        total: usize,
    },
    /// No check result yet.
    Unknown,
}

/// The live colour's Deployment, or what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveState {
    /// The Service does not exist.
    NoService {
        /// The Service.
        service: String,
        /// Its namespace.
        namespace: String,
    },
    /// The Service selects no colour.
    NoColour {
        /// The Service.
        service: String,
    },
    /// The selected colour's Deployment does not exist.
    ColourMissing {
        /// The Service.
        service: String,
        /// The colour it selects.
        colour: String,
        /// The missing Deployment.
        deployment: String,
    },
    /// The live colour's Deployment.
    Live {
        /// Its colour.
        colour: String,
        /// Ready replicas.
        ready: i32,
        /// Desired replicas.
        replicas: i32,
        /// The image.
        image: String,
        /// The image's tag.
        version: String,
    },
}

/// What one check of `status` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum StatusFact {
    /// The region's API answered.
    ApiReachable {
        /// Round trip of the version call.
        latency_ms: u64,
        /// The server's version, when it said.
        version: Option<String>,
    },
    /// The region's API could not be read.
    ApiUnreadable(ApiProblem),
    /// The live Deployment.
    Deployment(LiveState),
    /// The region's pool.
    Pool {
        /// The pool's name.
        name: String,
        /// Its state.
        state: PoolState,
    },
    /// Whether the load balancer sends traffic here now.
    Traffic {
        /// It does.
        serving: bool,
    },
    /// A drill's or rollout's record is on the region.
    InProgress {
        /// Which.
        operation: Operation,
        /// When it started, as recorded.
        since: Option<String>,
        /// Who started it, as recorded.
        by: Option<String>,
        /// The command that puts the region back.
        restore: String,
    },
    /// The fleet lock's Lease on this region.
    Lock {
        /// Its holder.
        holder: String,
        /// Still renewed (an expired lease is free).
        live: bool,
    },
    /// The newest `ocfail.dev/last-drill` summary.
    LastDrill {
        /// Its verdict, as recorded.
        verdict: String,
        /// How long ago, in whole seconds.
        age: Option<Duration>,
        /// Its run id.
        run: Option<String>,
    },
    /// A practised region's last practice and when the next is due
    /// (`practice:` in the manifest).
    Practice(PracticeState),
}

/// Where a practised region stands in the practice schedule, as its
/// history tells. Only instants, never ages, so the same history reads the
/// same on every refresh of `status --watch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PracticeState {
    /// No run in the history counts as practice of it: due now.
    Never,
    /// Practised, and due again at `next_due`, which is still ahead.
    Practised {
        /// The last practice.
        last: LastPractice,
        /// When it is due again (its start + `practice.every`).
        next_due: Timestamp,
    },
    /// Practised, but due since `since`, which has passed.
    Overdue {
        /// The last practice.
        last: LastPractice,
        /// When it became due.
        since: Timestamp,
    },
}

impl From<StatusFact> for super::Fact {
    fn from(f: StatusFact) -> Self {
        super::Fact::Status(f)
    }
}

/// A region's line in `status`'s table.
#[derive(Clone, Debug, PartialEq)]
pub enum StatusSummary {
    /// The region's API could not be read.
    Unreadable {
        /// The error's message.
        message: String,
    },
    /// What was seen.
    Region(RegionLine),
}

/// The parts of a readable region's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionLine {
    /// The live Deployment.
    pub live: LiveState,
    /// The pool.
    pub pool: PoolState,
    /// Whether it serves now (`None`: the load balancer is unknown).
    pub serving: Option<bool>,
    /// An operation in progress.
    pub operation: Option<Operation>,
    /// The API's round trip: changes on every read, so `status --watch`
    /// leaves it out when it looks for changes.
    pub api_ms: Option<u64>,
    /// The blocking alerts firing for this region (their `alertname`s).
    pub alerts: Vec<String>,
    /// Where it stands in the practice schedule (`None`: not practised,
    /// or its history could not be read); boxed, as most lines have none.
    pub practice: Option<Box<PracticeState>>,
}

impl StatusSummary {
    /// The same line without what changes on every read (the API's latency).
    #[must_use]
    pub fn without_latency(&self) -> StatusSummary {
        match self {
            StatusSummary::Region(line) => StatusSummary::Region(RegionLine {
                api_ms: None,
                ..line.clone()
            }),
            other => other.clone(),
        }
    }
}

/// A fleet-wide remark of `status`.
#[derive(Clone, Debug, PartialEq)]
pub enum StatusNote {
    /// The load balancer could not be read.
    LoadBalancerUnreadable {
        /// Its name.
        name: String,
        /// Why.
        problem: ApiProblem,
    },
    /// Where traffic goes now.
    ServingNow(Selection),
    /// Where traffic would go if the serving region failed.
    FailoverTarget(Target),
    /// Whether users are still served when any one region is lost.
    Survives(Result<(), Fragility>),
    /// The pools could not be listed.
    PoolsUnreadable(ApiProblem),
    /// A blocking alert is firing that names no region of the fleet.
    BlockingAlert(BlockingSeen),
    /// A practised region's run history could not be read, so its last
    /// practice is unknown (a warning: status itself goes on).
    HistoryUnreadable {
        /// The region.
        region: String,
        /// Why.
        problem: ApiProblem,
    },
}

impl StatusNote {
    /// The same remark without what changes on every read (how long an
    /// alert has fired), for `status --watch` to compare refreshes.
    #[must_use]
    pub fn without_age(&self) -> StatusNote {
        match self {
            StatusNote::BlockingAlert(b) => StatusNote::BlockingAlert(BlockingSeen {
                active_for: None,
                ..b.clone()
            }),
            other => other.clone(),
        }
    }
}

/// Where traffic would go next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The LB's choice without the serving region.
    Next(Selection),
    /// A spreading policy: the remaining pools share it.
    Remaining,
    /// Nowhere.
    None,
}

impl From<StatusSummary> for super::Summary {
    fn from(s: StatusSummary) -> Self {
        super::Summary::Status(s)
    }
}

impl From<StatusNote> for super::Note {
    fn from(n: StatusNote) -> Self {
        super::Note::Status(n)
    }
}
