//! The facts of `validate` and `validate --live`, for `report/words` to put
//! into words.

use super::api::ApiProblem;

/// The checks `validate` and `validate --live` run per region; a check's
/// stable name comes from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The Kubernetes objects the manifest names (offline).
    Kubernetes,
    /// The pool and load balancer (offline), or the token (live).
    Cloudflare,
    /// The region's rollout wave (offline).
    Rollout,
    /// The direct probe URL (offline).
    Probe,
    /// The kubeconfig context reaches its cluster.
    Context,
    /// The namespace exists.
    Namespace,
    /// Both colours' Deployments exist.
    Deployments,
    /// The Service and its preview exist.
    Services,
    /// The credentials may do what ocfail needs.
    Permissions,
    /// The pool exists.
    Pool,
    /// The load balancer uses the pool.
    LoadBalancer,
    /// The pool has a monitor.
    Monitor,
}

/// What one check of `validate` or `validate --live` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum ValidateFact {
    /// `kubernetes` (offline): the objects the region names.
    Kubernetes {
        /// Kubeconfig context.
        context: String,
        /// Namespace.
        namespace: String,
        /// Deployment base name (`-blue`/`-green` are added).
        deployment: String,
        /// Service (`-preview` is added for the preview Service).
        service: String,
        /// Service port.
        port: u16,
    },
    /// `cloudflare` (offline): the region's pool behind the load balancer.
    PoolBehind {
        /// The pool as the manifest names it.
        pool: String,
        /// The load balancer.
        load_balancer: String,
    },
    /// `rollout` (offline): the region's wave.
    Wave {
        /// 1-based; 0 when no wave names the region.
        wave: usize,
        /// How many waves there are.
        waves: usize,
    },
    /// `probe` (offline): the direct probe URL.
    Probe {
        /// The URL.
        url: String,
    },
    /// `probe` (offline): none, so health uses Cloudflare and the proxy.
    NoProbe,
    /// A Kubernetes call behind `check` failed.
    KubeProblem {
        /// The check it belongs to.
        check: Check,
        /// The error.
        problem: ApiProblem,
    },
    /// `context`: it reaches the cluster.
    Context {
        /// Kubeconfig context.
        context: String,
        /// The cluster's version, e.g. `v1.30.2`.
        version: String,
    },
    /// `namespace`: whether it exists.
    Namespace {
        /// The namespace.
        namespace: String,
        /// Whether it exists.
        exists: bool,
    },
    /// `deployments` or `services`: all exist.
    ObjectsExist {
        /// [`Check::Deployments`] or [`Check::Services`].
        check: Check,
    },
    /// `deployments` or `services`: these are missing.
    ObjectsMissing {
        /// [`Check::Deployments`] or [`Check::Services`].
        check: Check,
        /// The missing objects' names.
        names: Vec<String>,
    },
    /// `permissions`: every one needed is granted.
    PermissionsGranted {
        /// How many were asked.
        count: usize,
    },
    /// `permissions`: one is not granted.
    PermissionMissing(MissingPermission),
    /// `pool`: the pools could not be listed.
    PoolProblem(ApiProblem),
    /// `pool`: the account has no such pool.
    PoolNotFound {
        /// The pool as the manifest names it.
        pool: String,
        /// What might have been meant.
        hint: PoolHint,
    },
    /// `pool`: it exists.
    PoolExists {
        /// Its name.
        name: String,
        /// Its id.
        id: String,
    },
    /// `load-balancer`: it could not be read.
    LoadBalancerProblem(ApiProblem),
    /// `load-balancer`: it uses the pool.
    UsedBy {
        /// The load balancer's name.
        load_balancer: String,
        /// The pool's place in the failover order (1-based); `None` when
        /// it is only the fallback.
        position: Option<usize>,
    },
    /// `load-balancer`: it does not use the pool.
    NotUsedBy {
        /// The load balancer's name.
        load_balancer: String,
        /// The pool's name.
        pool: String,
    },
    /// `monitor`: the pool's monitor.
    Monitor {
        /// Its id.
        id: String,
    },
    /// `monitor`: the pool has none.
    NoMonitor,
    /// `cloudflare` (live): the token cannot be used, so no Cloudflare
    /// check ran.
    TokenUnusable(TokenTrouble),
}

impl ValidateFact {
    /// The check this fact answers.
    pub fn check(&self) -> Check {
        match self {
            ValidateFact::Kubernetes { .. } => Check::Kubernetes,
            ValidateFact::PoolBehind { .. } | ValidateFact::TokenUnusable(_) => Check::Cloudflare,
            ValidateFact::Wave { .. } => Check::Rollout,
            ValidateFact::Probe { .. } | ValidateFact::NoProbe => Check::Probe,
            ValidateFact::KubeProblem { check, .. }
            | ValidateFact::ObjectsExist { check }
            | ValidateFact::ObjectsMissing { check, .. } => *check,
            ValidateFact::Context { .. } => Check::Context,
            ValidateFact::Namespace { .. } => Check::Namespace,
            ValidateFact::PermissionsGranted { .. } | ValidateFact::PermissionMissing(_) => {
                Check::Permissions
            }
            ValidateFact::PoolProblem(_)
            | ValidateFact::PoolNotFound { .. }
            | ValidateFact::PoolExists { .. } => Check::Pool,
            ValidateFact::LoadBalancerProblem(_)
            | ValidateFact::UsedBy { .. }
            | ValidateFact::NotUsedBy { .. } => Check::LoadBalancer,
            ValidateFact::Monitor { .. } | ValidateFact::NoMonitor => Check::Monitor,
        }
    }
}

impl From<ValidateFact> for super::Fact {
    fn from(f: ValidateFact) -> Self {
        super::Fact::Validate(f)
    }
}

/// A permission the region's credentials lack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingPermission {
    /// The kubeconfig context.
    pub context: String,
    /// `verb resource[/subresource][.group]`, as `kubectl auth can-i`
    /// spells it.
    pub permission: String,
    /// Where it is needed: the namespace, or `None` for cluster-wide.
    pub namespace: Option<String>,
    /// What breaks without it.
    pub without: String,
    /// Whether the Role in docs/user-guide.md already grants it (else only
    /// this manifest's smoke checks need it).
    pub documented: bool,
}

/// What a pool that is not found might have been.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolHint {
    /// A pool with a close name.
    DidYouMean(String),
    /// No close name: the pools the account has.
    Known(Vec<String>),
}

/// Why the Cloudflare token cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenTrouble {
    /// Verifying it failed.
    Problem(ApiProblem),
    /// It is not active.
    NotActive,
}

/// A region's line in `validate`'s table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidateSummary {
    /// Offline: where the region is and its pool and wave.
    Offline {
        /// Kubeconfig context.
        context: String,
        /// Namespace.
        namespace: String,
        /// Pool.
        pool: String,
        /// 1-based wave; 0 when none names it.
        wave: usize,
        /// How many waves there are.
        waves: usize,
    },
    /// Live: every check passed (or only warned).
    Passed {
        /// How many checks ran.
        checks: usize,
    },
    /// Live: these checks failed or erred, each named once.
    Problems(Vec<Check>),
}

/// A fleet-wide remark of `validate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidateNote {
    /// Offline: the manifest is valid.
    Valid {
        /// How many regions.
        regions: usize,
        /// How many rollout waves.
        waves: usize,
    },
    /// Offline: the token's variable is not set.
    TokenNotSet {
        /// The variable's name (never its value).
        variable: String,
    },
    /// Offline: a `notify` target's URL variable is unset or empty.
    NotifyUrlNotSet {
        /// The target's name.
        target: String,
        /// The variable's name (never its value).
        variable: String,
    },
    /// Offline: no `traffic` section.
    NoTraffic,
    /// Offline: no smoke checks.
    NoSmoke,
    /// Offline: the drill expects `OcfailRegionDown` to fire, but the
    /// rendered rule's `for:` is not shorter than the hold, so it cannot
    /// fire in time.
    RegionDownTooSlow {
        /// The rule's `for:`.
        for_: std::time::Duration,
        /// It is `prometheus.regionDownFor` (else the failover budget).
        from_region_down_for: bool,
        /// The drill's hold.
        hold: std::time::Duration,
    },
    /// Live: the token's status, as Cloudflare reports it.
    TokenStatus {
        /// The variable it was read from.
        variable: String,
        /// e.g. `active`.
        status: String,
    },
    /// Live: verifying the token failed.
    TokenProblem(ApiProblem),
    /// Live: the load balancer uses pools the manifest does not name.
    ExtraPools {
        /// The load balancer's name.
        load_balancer: String,
        /// The pools' ids.
        pools: Vec<String>,
    },
    /// Live: write access is not checked (checking would write).
    WriteAccessNotChecked,
}

impl From<ValidateSummary> for super::Summary {
    fn from(s: ValidateSummary) -> Self {
        super::Summary::Validate(s)
    }
}

impl From<ValidateNote> for super::Note {
    fn from(n: ValidateNote) -> Self {
        super::Note::Validate(n)
    }
}
