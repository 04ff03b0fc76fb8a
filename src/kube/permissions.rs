//! Every Kubernetes permission ocfail uses, in one table: `validate --live`
//! asks the API server about each row, and a test keeps the Role and
//! ClusterRole in docs/user-guide.md granting exactly these rows, so the
//! code, the check and the docs cannot drift apart.
//!
//! `GET /version` is not in the table: it is a non-resource URL that the
//! built-in ClusterRole `system:public-info-viewer` lets everyone read.

use crate::kube::AccessCheck;
use crate::manifest::{Fleet, HttpMethod};

/// Where a permission applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// In each region's namespace (granted by a Role).
    Namespace,
    /// Cluster-wide (granted by a ClusterRole).
    Cluster,
}

/// One (verb, resource) ocfail calls, with why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permission {
    /// RBAC verb, e.g. `patch`.
    pub verb: &'static str,
    /// API group, `""` for core.
    pub group: &'static str,
    /// Resource plural, e.g. `deployments`.
    pub resource: &'static str,
    /// Subresource, e.g. `scale`, or `""`.
    pub subresource: &'static str,
    /// In the namespace or cluster-wide.
    pub scope: Scope,
    /// What ocfail does with it.
    pub purpose: &'static str,
    /// What breaks without it.
    pub without: &'static str,
    /// The commands that use it.
    pub commands: &'static [&'static str],
}

/// The commands that change the fleet and hold the fleet lock.
const MUTATING: &[&str] = &["drill", "rollout", "rollback", "restore"];

/// Reading the fleet lock: every command that shows or takes it.
pub const GET_LEASES: Permission = Permission {
    verb: "get",
    group: "coordination.k8s.io",
    resource: "leases",
    subresource: "",
    scope: Scope::Namespace,
    purpose: "read the fleet lock (Lease ocfail-lock) and who holds it",
    without: "drills, rollouts and restores cannot take the lock, and status cannot show it",
    commands: &[
        "status", "drill", "rollout", "rollback", "restore", "exporter",
    ],
};

/// Releasing the fleet lock when a run ends.
pub const DELETE_LEASES: Permission = Permission {
    verb: "delete",
    group: "coordination.k8s.io",
    resource: "leases",
    subresource: "",
    scope: Scope::Namespace,
    purpose: "release the fleet lock when a run ends",
    without: "every run leaves Lease ocfail-lock behind, and the next drill or rollout is \
              refused until it expires (30s)",
    commands: MUTATING,
};

/// The commands that append to the run history (ConfigMap `ocfail-history`).
const RECORDING: &[&str] = &["drill", "rollout", "rollback", "restore", "practice"];

/// Everything ocfail calls on Kubernetes, namespaced rows first.
pub const PERMISSIONS: [Permission; 17] = [
    Permission {
        verb: "get",
        group: "apps",
        resource: "deployments",
        subresource: "",
        scope: Scope::Namespace,
        purpose: "read the blue and green Deployments: replicas, readiness, image, ocfail's records",
        without: "no command can see the region",
        commands: &[
            "status",
            "drill",
            "rollout",
            "rollback",
            "restore",
            "exporter",
            "validate --live",
        ],
    },
    Permission {
        verb: "patch",
        group: "apps",
        resource: "deployments",
        subresource: "",
        scope: Scope::Namespace,
        purpose: "write ocfail's records (annotations) before changing anything, and set the \
                  idle colour's image and replicas",
        without: "drills cannot record what they change (so they inject nothing), and \
                  rollouts cannot deploy",
        commands: MUTATING,
    },
    Permission {
        verb: "patch",
        group: "apps",
        resource: "deployments",
        subresource: "scale",
        scope: Scope::Namespace,
        purpose: "scale the drilled Deployment to 0 and back, and the previous colour after a \
                  rollout",
        without: "drills cannot take the region down or put it back, and restores cannot \
                  scale back",
        commands: &["drill", "rollout", "restore"],
    },
    Permission {
        verb: "get",
        group: "",
        resource: "services",
        subresource: "",
        scope: Scope::Namespace,
        purpose: "read which colour the live and preview Services select",
        without: "no command can tell which colour is live",
        commands: &[
            "status",
            "drill",
            "rollout",
            "rollback",
            "restore",
            "exporter",
            "validate --live",
        ],
    },
    Permission {
        verb: "patch",
        group: "",
        resource: "services",
        subresource: "",
        scope: Scope::Namespace,
        purpose: "switch the live Service to the new colour, and record the rollout on it",
        without: "rollouts and rollbacks cannot switch colours",
        commands: &["rollout", "rollback", "restore"],
    },
    Permission {
        verb: "get",
        group: "",
        resource: "services",
        subresource: "proxy",
        scope: Scope::Namespace,
        purpose: "health probes and GET/HEAD smoke checks through the API server's service proxy",
        without: "health cannot probe the region, and GET smoke checks fail",
        commands: &["health", "rollout", "rollback", "exporter"],
    },
    Permission {
        verb: "create",
        group: "",
        resource: "services",
        subresource: "proxy",
        scope: Scope::Namespace,
        purpose: "POST smoke checks through the API server's service proxy",
        without: "POST smoke checks fail, so rollouts switch back",
        commands: &["rollout", "rollback"],
    },
    GET_LEASES,
    Permission {
        verb: "create",
        group: "coordination.k8s.io",
        resource: "leases",
        subresource: "",
        scope: Scope::Namespace,
        purpose: "take the fleet lock",
        without: "drills, rollouts and restores cannot take the lock, so they change nothing",
        commands: MUTATING,
    },
    Permission {
        verb: "update",
        group: "coordination.k8s.io",
        resource: "leases",
        subresource: "",
        scope: Scope::Namespace,
        purpose: "renew the fleet lock, and take over an expired one",
        without: "a run loses its lock after 30s and stops, and an expired lock cannot be \
                  taken over",
        commands: MUTATING,
    },
    DELETE_LEASES,
    Permission {
        verb: "get",
        group: "",
        resource: "configmaps",
        subresource: "",
        scope: Scope::Namespace,
        purpose: "read the run history (ConfigMap ocfail-history): past runs, and when each \
                  region was last practised",
        without: "history shows nothing, practice cannot tell which region is due (so it \
                  runs none), and runs cannot record themselves",
        commands: &[
            "drill", "rollout", "rollback", "restore", "practice", "history", "status", "exporter",
        ],
    },
    Permission {
        verb: "create",
        group: "",
        resource: "configmaps",
        subresource: "",
        scope: Scope::Namespace,
        purpose: "start the run history (ConfigMap ocfail-history) with the first run",
        without: "runs cannot record themselves (they warn and go on), and practice never \
                  sees a region as practised",
        commands: RECORDING,
    },
    Permission {
        verb: "update",
        group: "",
        resource: "configmaps",
        subresource: "",
        scope: Scope::Namespace,
        purpose: "append each run to the history, and mark a crashed run as restored",
        without: "runs cannot record themselves (they warn and go on), and practice never \
                  sees a region as practised",
        commands: RECORDING,
    },
    Permission {
        verb: "list",
        group: "autoscaling",
        resource: "horizontalpodautoscalers",
        subresource: "",
        scope: Scope::Namespace,
        purpose: "find HPAs that would fight a drill's scale to 0, and wait for them after a \
                  restore",
        without: "drills cannot check the HPA safety rule, so they refuse",
        commands: &["drill", "restore"],
    },
    Permission {
        verb: "get",
        group: "",
        resource: "namespaces",
        subresource: "",
        scope: Scope::Cluster,
        purpose: "confirm each region's namespace exists",
        without: "validate --live cannot tell a missing namespace from an empty one",
        commands: &["validate --live"],
    },
    Permission {
        verb: "create",
        group: "authorization.k8s.io",
        resource: "selfsubjectaccessreviews",
        subresource: "",
        scope: Scope::Cluster,
        purpose: "ask the API server which of these permissions the credentials have \
                  (every authenticated user has it through the built-in ClusterRole \
                  system:basic-user)",
        without: "validate --live cannot check permissions",
        commands: &["validate --live"],
    },
];

/// Smoke checks may use any method; these are the proxy verbs beyond
/// [`PERMISSIONS`] that a manifest's smoke checks can need. They are not in
/// the ready-made Role, which grants only what every fleet needs.
const SMOKE_PROXY: [Permission; 3] = [
    smoke_proxy("update", "PUT smoke checks fail, so rollouts switch back"),
    smoke_proxy("patch", "PATCH smoke checks fail, so rollouts switch back"),
    smoke_proxy(
        "delete",
        "DELETE smoke checks fail, so rollouts switch back",
    ),
];

const fn smoke_proxy(verb: &'static str, without: &'static str) -> Permission {
    Permission {
        verb,
        group: "",
        resource: "services",
        subresource: "proxy",
        scope: Scope::Namespace,
        purpose: "smoke checks of the manifest through the API server's service proxy",
        without,
        commands: &["rollout", "rollback"],
    }
}

/// What `fleet` needs: [`PERMISSIONS`], plus the proxy verbs its smoke
/// checks' methods map to when the table lacks them.
pub fn for_fleet(fleet: &Fleet) -> Vec<Permission> {
    let mut out = PERMISSIONS.to_vec();
    for check in &fleet.rollout.smoke {
        let verb = proxy_verb(check.method);
        let covered =
            |p: &Permission| p.resource == "services" && p.subresource == "proxy" && p.verb == verb;
        if !out.iter().any(covered)
            && let Some(extra) = SMOKE_PROXY.iter().find(|p| covered(p))
        {
            out.push(*extra);
        }
    }
    out
}

/// The RBAC verb the API server checks for a proxied request.
fn proxy_verb(method: HttpMethod) -> &'static str {
    crate::kube::client::proxy::rbac_verb(method.as_str())
}

impl Permission {
    /// `resource` or `resource/subresource`, as RBAC rules spell it.
    pub fn resource_path(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.to_owned()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }

    /// `verb resource[/subresource][.group]`, as `kubectl auth can-i` spells it.
    pub fn describe(&self) -> String {
        self.access_check().describe()
    }

    /// The SelfSubjectAccessReview question for it.
    pub fn access_check(&self) -> AccessCheck {
        let check = AccessCheck::new(self.verb, self.group, self.resource, self.subresource);
        match self.scope {
            Scope::Namespace => check,
            Scope::Cluster => check.cluster_wide(),
        }
    }
}

#[cfg(test)]
mod tests;
