//! `ocfail init` (issue #18, being built): write the fleet manifest from
//! what already exists. This step holds the pure parts: the load balancer
//! as read from Terraform ([`terraform`]) or the Cloudflare API (later),
//! in one shape, [`LbSource`]; what the clusters hold ([`ClusterSource`]);
//! and the matching of pools to clusters ([`matching`]). No I/O here.

pub mod matching;
pub mod terraform;

use std::collections::BTreeMap;

use crate::facts::init::{Draft, DraftPool, DraftSource, PoolMatch, PoolRole};

/// A Cloudflare load balancer and its pools, whichever way it was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LbSource {
    /// The load balancer's hostname (`api.openclaw.com`).
    pub hostname: String,
    /// The zone's id, when known.
    pub zone_id: Option<String>,
    /// The zone's name (`openclaw.com`), when known.
    pub zone_name: Option<String>,
    /// The account's id, when known.
    pub account_id: Option<String>,
    /// `steering_policy` (`off`, `geo`, `dynamic_latency`, …), when set.
    pub steering_policy: Option<String>,
    /// The pools in failover order (`default_pools`), resolved to pools.
    pub default_pools: Vec<PoolSource>,
    /// The fallback pool's name, when it has one.
    pub fallback_pool: Option<String>,
    /// Geo steering: Cloudflare region code → pool names.
    pub region_pools: BTreeMap<String, Vec<String>>,
    /// Geo steering: PoP code → pool names.
    pub pop_pools: BTreeMap<String, Vec<String>>,
    /// Pool references that could not be resolved (an id or Terraform
    /// address with no pool behind it), as written.
    pub unresolved: Vec<String>,
}

/// One origin pool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolSource {
    /// The pool's name (`openclaw-us-east-1`).
    pub name: String,
    /// Its id, when known (the API, or a Terraform state).
    pub id: Option<String>,
    /// Its origins.
    pub origins: Vec<OriginSource>,
    /// Its monitor, when it has one.
    pub monitor: Option<MonitorSource>,
}

/// One origin of a pool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OriginSource {
    /// Its label.
    pub name: String,
    /// Its address: an IP or a hostname.
    pub address: String,
    /// The `Host` header Cloudflare sends it, when one is set.
    pub host_header: Option<String>,
}

/// A pool's health monitor, as far as a manifest cares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonitorSource {
    /// Its id, when known.
    pub id: Option<String>,
    /// `http`, `https`, `tcp`, …
    pub kind: String,
    /// The HTTP path checked.
    pub path: Option<String>,
    /// Expected codes (`200`, `2xx`).
    pub expected_codes: Option<String>,
    /// Seconds between checks.
    pub interval: Option<u64>,
    /// Seconds per check.
    pub timeout: Option<u64>,
    /// Retries per check.
    pub retries: Option<u64>,
    /// The port checked, when not the scheme's.
    pub port: Option<u16>,
}

/// What one kubeconfig context's cluster holds, as init reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterSource {
    /// The kubeconfig context.
    pub context: String,
    /// Services in every namespace init could read.
    pub services: Vec<ServiceSource>,
    /// Ingresses in every namespace init could read.
    pub ingresses: Vec<IngressSource>,
    /// Deployments in every namespace init could read.
    pub deployments: Vec<DeploymentSource>,
    /// Why the cluster (or part of it) could not be read, if it could not.
    pub unreadable: Option<String>,
}

/// A Service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceSource {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `ClusterIP`, `LoadBalancer`, `NodePort`, `ExternalName`.
    pub kind: String,
    /// `status.loadBalancer.ingress[]`: IPs and hostnames.
    pub load_balancer: Vec<String>,
    /// `spec.externalName`, for `ExternalName` Services.
    pub external_name: Option<String>,
    /// `spec.selector`.
    pub selector: BTreeMap<String, String>,
    /// `spec.ports[].port`.
    pub ports: Vec<u16>,
}

/// An Ingress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngressSource {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `spec.rules[].host`.
    pub hosts: Vec<String>,
    /// `status.loadBalancer.ingress[]`: IPs and hostnames.
    pub load_balancer: Vec<String>,
    /// The Services its rules send to, with their ports.
    pub backends: Vec<(String, u16)>,
}

/// A Deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentSource {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `spec.template.metadata.labels`.
    pub pod_labels: BTreeMap<String, String>,
    /// `spec.replicas`.
    pub replicas: i32,
}

/// Where the manifest's inputs came from, besides the load balancer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftInputs {
    /// Where the load balancer was read from.
    pub source: DraftSource,
    /// The environment variable holding the Cloudflare API token.
    pub token_env: String,
    /// The kubeconfig file, when one was named explicitly.
    pub kubeconfig: Option<String>,
}

/// Puts what was read and matched into the one shape the manifest writer
/// renders. `matches` come from [`matching::match_pools`] on `lb`; each
/// keeps its place, and the pool it names gives it its origins, monitor
/// and role.
pub fn draft(lb: &LbSource, matches: Vec<PoolMatch>, inputs: DraftInputs) -> Draft {
    let pools = matches
        .into_iter()
        .map(|m| {
            let index = lb.default_pools.iter().position(|p| p.name == m.pool);
            let source = index.map(|i| &lb.default_pools[i]);
            let role = match index {
                Some(i) => PoolRole::Default(i),
                None if lb.fallback_pool.as_deref() == Some(m.pool.as_str()) => PoolRole::Fallback,
                None => PoolRole::Geo,
            };
            let monitor = source.and_then(|p| p.monitor.as_ref());
            DraftPool {
                origins: source
                    .map(|p| p.origins.iter().map(|o| o.address.clone()).collect())
                    .unwrap_or_default(),
                role,
                monitor_path: monitor.and_then(|m| m.path.clone()),
                expected_codes: monitor.and_then(|m| m.expected_codes.clone()),
                matched: m,
            }
        })
        .collect();
    Draft {
        fleet_name: fleet_name(&lb.hostname, lb.zone_name.as_deref()),
        hostname: lb.hostname.clone(),
        account_id: lb.account_id.clone(),
        zone_id: lb.zone_id.clone(),
        zone_name: lb.zone_name.clone(),
        token_env: inputs.token_env,
        kubeconfig: inputs.kubeconfig,
        source: inputs.source,
        steering_policy: lb.steering_policy.clone(),
        pools,
    }
}

/// A fleet name from the load balancer's hostname: the zone's first label,
/// then the host's first label (`api.openclaw.com` → `openclaw-api`), so
/// two services of one zone get different names. Only lowercase letters,
/// digits and `-` survive.
pub fn fleet_name(hostname: &str, zone_name: Option<&str>) -> String {
    let labels: Vec<&str> = hostname
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
        .collect();
    let zone_label = zone_name
        .and_then(|z| z.split('.').find(|l| !l.is_empty()))
        .or_else(|| (labels.len() >= 2).then(|| labels[labels.len() - 2]));
    let first = labels.first().copied();
    let parts: Vec<&str> = match (zone_label, first) {
        (Some(z), Some(f)) if z != f => vec![z, f],
        (Some(z), _) => vec![z],
        (None, Some(f)) => vec![f],
        (None, None) => vec![],
    };
    let mut name = String::new();
    for c in parts.join("-").chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "fleet".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests;
