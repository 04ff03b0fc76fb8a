//! What `ocfail init` (issue #18, being built) found for each pool: the
//! cluster, namespace, Service and Deployment it guessed, how, and how
//! sure it is; or that it matched nothing, or several. `report/` turns
//! these into the comments of the written manifest.

/// One pool of the load balancer and what it matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolMatch {
    /// The pool's name.
    pub pool: String,
    /// The region name guessed for it (`us-east-1` from
    /// `openclaw-us-east-1`), when the pool's name holds one.
    pub region: Option<String>,
    /// What it matched.
    pub outcome: Outcome,
}

/// What a pool matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// One target, clearly the best.
    Matched(Target),
    /// Several targets equally plausible: reported, never guessed.
    Ambiguous {
        /// The candidates, best first.
        candidates: Vec<Target>,
    },
    /// Nothing matched: the manifest gets a TODO.
    Unmatched,
}

/// Where a pool's traffic goes in Kubernetes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The kubeconfig context.
    pub context: String,
    /// The namespace.
    pub namespace: String,
    /// The Service that takes the traffic.
    pub service: String,
    /// The Service's port, when it has exactly one (or one was matched).
    pub port: Option<u16>,
    /// The Deployments behind the Service.
    pub workload: Workload,
    /// How it was matched.
    pub how: How,
    /// How sure the match is.
    pub confidence: Confidence,
}

/// How a pool was matched to a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum How {
    /// An origin's address is the Service's (or Ingress's) external
    /// address.
    OriginAddress {
        /// The origin's address.
        address: String,
        /// What in the cluster carries it.
        via: Via,
    },
    /// Names only: the pool's and the context's (or namespace's) names share
    /// a region name.
    Name {
        /// The shared token (`us-east-1`).
        token: String,
    },
}

/// What carries an origin's address in the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// A Service of type LoadBalancer's `status.loadBalancer.ingress`.
    LoadBalancer,
    /// An Ingress (its host or its load balancer address), named.
    Ingress {
        /// The Ingress.
        name: String,
    },
    /// An ExternalName Service.
    ExternalName,
}

/// How sure a match is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// Names only.
    Low,
    /// An address match, but something else is odd (e.g. several
    /// Services, or no Deployment found behind it).
    Medium,
    /// An origin address is exactly this Service's, and its Deployments
    /// were found.
    High,
}

/// The Deployments behind a Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Blue-green already: `<base>-blue` and `<base>-green`, told apart by
    /// the Service's colour selector.
    BlueGreen {
        /// The Deployments' common base name (the manifest's `deployment`).
        base: String,
        /// The colour the Service selects now, if it selects one.
        live: Option<String>,
    },
    /// One Deployment, not blue-green yet (`init --blue-green-plan`).
    Single {
        /// The Deployment.
        deployment: String,
    },
    /// Several Deployments' pods match the Service's selector and they are
    /// not a colour pair: which one the manifest should name is the user's
    /// call.
    Several {
        /// The Deployments, sorted by name.
        deployments: Vec<String>,
    },
    /// No Deployment's pods match the Service's selector.
    NotFound,
}

/// What `ocfail init` writes a manifest from: the load balancer as read,
/// each pool with what it matched, and where it all came from. Plain data,
/// so `report/` can render it without knowing how it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// The fleet's name, guessed from the hostname (`openclaw-api`).
    pub fleet_name: String,
    /// The load balancer's hostname (`api.openclaw.com`).
    pub hostname: String,
    /// The account's id, when known.
    pub account_id: Option<String>,
    /// The zone's id, when known.
    pub zone_id: Option<String>,
    /// The zone's name, when known.
    pub zone_name: Option<String>,
    /// The environment variable holding the Cloudflare API token.
    pub token_env: String,
    /// The kubeconfig file read, when one was named explicitly.
    pub kubeconfig: Option<String>,
    /// Where the load balancer was read from.
    pub source: DraftSource,
    /// `steering_policy`, when set.
    pub steering_policy: Option<String>,
    /// The pools in the order [`PoolMatch`]es come in: failover order,
    /// then the fallback, then geo steering pools.
    pub pools: Vec<DraftPool>,
}

/// Where the load balancer was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DraftSource {
    /// The Cloudflare API; `api_url` when not Cloudflare's own.
    CloudflareApi {
        /// The API base, when another endpoint (the simulator) was used.
        api_url: Option<String>,
    },
    /// A Terraform JSON file.
    Terraform {
        /// The file as the user named it.
        file: String,
    },
}

/// One pool of the load balancer, with what it matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftPool {
    /// The pool's origins' addresses.
    pub origins: Vec<String>,
    /// What part the pool plays in the load balancer.
    pub role: PoolRole,
    /// Its monitor's HTTP path, when it has an HTTP monitor.
    pub monitor_path: Option<String>,
    /// Its monitor's expected codes (`200`, `2xx`), when set.
    pub expected_codes: Option<String>,
    /// What the pool matched (its name and guessed region included).
    pub matched: PoolMatch,
}

/// What part a pool plays in the load balancer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolRole {
    /// One of `default_pools`, at this index (0 is the primary).
    Default(usize),
    /// The fallback pool, not among the default pools.
    Fallback,
    /// Only named by geo steering (region or PoP pools).
    Geo,
}
