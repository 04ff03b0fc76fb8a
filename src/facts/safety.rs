//! The drill's safety rules as facts: a rule's stable name and, for each
//! rule the drill would break, the values that broke it. `ops/safety`
//! decides; `report/words` says what is wrong and what to do instead.

use std::fmt;

/// A rule's stable name, as `--override` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Enough other pools stay healthy during the drill.
    MinHealthyPools,
    /// The drilled pool is not the LB's fallback pool (whose health is ignored).
    FallbackPool,
    /// The pool has a monitor.
    NoMonitor,
    /// The monitor can see zero pods behind the ingress.
    MonitorBlind,
    /// Losing the region makes the pool unhealthy, not merely degraded.
    DegradedOnly,
    /// No earlier run left state to restore.
    UnrestoredState,
    /// No HPA would scale the Deployment back up.
    Autoscaler,
    /// No GitOps controller would revert the change.
    Gitops,
}

impl Rule {
    /// Every rule, in the order they are checked.
    pub const ALL: [Rule; 8] = [
        Rule::UnrestoredState,
        Rule::FallbackPool,
        Rule::NoMonitor,
        Rule::MonitorBlind,
        Rule::DegradedOnly,
        Rule::MinHealthyPools,
        Rule::Autoscaler,
        Rule::Gitops,
    ];

    /// The name used by `--override` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Rule::MinHealthyPools => "min-healthy-pools",
            Rule::FallbackPool => "fallback-pool",
            Rule::NoMonitor => "no-monitor",
            Rule::MonitorBlind => "monitor-blind",
            Rule::DegradedOnly => "degraded-only",
            Rule::UnrestoredState => "unrestored-state",
            Rule::Autoscaler => "autoscaler",
            Rule::Gitops => "gitops",
        }
    }

    /// The rule called `name`.
    pub fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rule the drill would break, with what broke it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// An earlier drill or rollout left its record in `regions`.
    UnrestoredState {
        /// The regions with a record.
        regions: Vec<String>,
        /// The `ocfail restore` command line that reaches this fleet.
        restore_command: String,
    },
    /// The drilled pool is the load balancer's fallback pool.
    FallbackPool {
        /// The pool's name.
        pool: String,
    },
    /// The drilled pool has no monitor.
    NoMonitor {
        /// The pool's name.
        pool: String,
    },
    /// The pool's monitor would pass with no pod left.
    MonitorBlind {
        /// The pool's name.
        pool: String,
        /// Why the monitor cannot see it.
        why: super::health::MonitorBlind,
    },
    /// `minimum_origins: 0`: the pool never turns unhealthy.
    DegradedOnly {
        /// The pool's name.
        pool: String,
    },
    /// Too few other pools would carry the traffic.
    MinHealthyPools {
        /// Other pools that are healthy, enabled, serving and used by the LB.
        healthy: usize,
        /// How many the drill needs.
        needed: usize,
        /// The load balancer's name.
        load_balancer: String,
    },
    /// An HPA targets the Deployment the drill scales to zero.
    Autoscaler {
        /// The HPA's name.
        hpa: String,
        /// The Deployment it scales.
        target: String,
        /// Its `minReplicas` (1 when unset).
        min_replicas: i32,
    },
    /// Argo CD manages the Deployment and would revert the scale.
    Gitops {
        /// The Deployment.
        deployment: String,
    },
}

impl Violation {
    /// The rule it breaks.
    pub fn rule(&self) -> Rule {
        match self {
            Violation::UnrestoredState { .. } => Rule::UnrestoredState,
            Violation::FallbackPool { .. } => Rule::FallbackPool,
            Violation::NoMonitor { .. } => Rule::NoMonitor,
            Violation::MonitorBlind { .. } => Rule::MonitorBlind,
            Violation::DegradedOnly { .. } => Rule::DegradedOnly,
            Violation::MinHealthyPools { .. } => Rule::MinHealthyPools,
            Violation::Autoscaler { .. } => Rule::Autoscaler,
            Violation::Gitops { .. } => Rule::Gitops,
        }
    }
}
