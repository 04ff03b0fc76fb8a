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
