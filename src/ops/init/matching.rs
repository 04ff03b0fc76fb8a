//! Matching pools to clusters (issue #18). For each pool of the load
//! balancer, in failover order: first by address (an origin's address is
//! what a cluster publishes: a LoadBalancer Service, an ExternalName, an
//! Ingress's host or address), then, when no address matched, by name (a
//! region name shared by the pool's and a context's or namespace's name).
//! Then the Deployments behind the Service found, and how sure it all is.
//! Two equally plausible targets are reported as such, never chosen
//! between. Pure: the same inputs, in any order, give the same matches.

mod address;
mod name;
mod region;
#[cfg(test)]
mod tests;
mod workload;

use std::collections::BTreeSet;

pub use region::region_token;

use super::{ClusterSource, LbSource, PoolSource};
use crate::facts::init::{Confidence, How, Outcome, PoolMatch, Target, Via, Workload};

/// A Service some pool leads to, before its Deployments are looked at.
#[derive(Clone, Debug)]
struct Hit {
    context: String,
    namespace: String,
    service: String,
    port: Option<u16>,
    how: How,
}

/// Matches each pool of `lb` to where its traffic goes in `clusters`: the
/// default pools in order, then the fallback pool if not among them, then
/// the geo steering pools not yet seen (region codes, then PoPs, each in
/// code order). Pools known only by name (not among the default pools)
/// have no origins to match by address, so only their names are matched.
pub fn match_pools(lb: &LbSource, clusters: &[ClusterSource]) -> Vec<PoolMatch> {
    let pools = pools_in_order(lb);
    let names = name::Names::new(lb, &pools, clusters);
    pools
        .iter()
        .map(|pool| match_pool(pool, clusters, &names))
        .collect()
}

fn pools_in_order(lb: &LbSource) -> Vec<PoolSource> {
    let mut seen = BTreeSet::new();
    let mut pools = Vec::new();
    for p in &lb.default_pools {
        if seen.insert(p.name.clone()) {
            pools.push(p.clone());
        }
    }
    let by_name = lb
        .fallback_pool
        .iter()
        .chain(lb.region_pools.values().flatten())
        .chain(lb.pop_pools.values().flatten());
    for n in by_name {
        if seen.insert(n.clone()) {
            pools.push(PoolSource {
                name: n.clone(),
                ..PoolSource::default()
            });
        }
    }
    pools
}

fn match_pool(pool: &PoolSource, clusters: &[ClusterSource], names: &name::Names) -> PoolMatch {
    let by_address = settle(address::hits(pool, clusters));
    let targets: Vec<Target> = if by_address.is_empty() {
        settle(names.hits(pool, clusters))
            .into_iter()
            .map(|h| target(h, clusters, |_| Confidence::Low))
            .collect()
    } else {
        // Several Services at one pool's addresses means the addresses do
        // not say which is the pool's: none of them earns High.
        let alone = by_address.len() == 1;
        by_address
            .into_iter()
            .map(|h| {
                target(h, clusters, |w| match w {
                    Workload::BlueGreen { .. } | Workload::Single { .. } if alone => {
                        Confidence::High
                    }
                    _ => Confidence::Medium,
                })
            })
            .collect()
    };
    let region = region_token(&pool.name).or_else(|| region_of(&targets));
    PoolMatch {
        pool: pool.name.clone(),
        region,
        outcome: outcome(targets),
    }
}

/// One hit per Service, keeping the most direct way it was reached (a
/// LoadBalancer address before an ExternalName before an Ingress, then by
/// name and address, so input order never decides), and without
/// `<name>-preview` when `<name>` was reached too: the live Service is the
/// pool's target, the preview one serves the idle colour.
fn settle(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by(|a, b| {
        (&a.context, &a.namespace, &a.service)
            .cmp(&(&b.context, &b.namespace, &b.service))
            .then_with(|| how_key(&a.how).cmp(&how_key(&b.how)))
            .then_with(|| a.port.cmp(&b.port))
    });
    hits.dedup_by(|b, a| {
        (&a.context, &a.namespace, &a.service) == (&b.context, &b.namespace, &b.service)
    });
    let keys: BTreeSet<(String, String, String)> = hits
        .iter()
        .map(|h| (h.context.clone(), h.namespace.clone(), h.service.clone()))
        .collect();
    hits.retain(|h| {
        h.service.strip_suffix("-preview").is_none_or(|live| {
            !keys.contains(&(h.context.clone(), h.namespace.clone(), live.to_string()))
        })
    });
    hits
}

fn how_key(how: &How) -> (u8, &str, &str) {
    match how {
        How::OriginAddress { address, via } => match via {
            Via::LoadBalancer => (0, "", address),
            Via::ExternalName => (1, "", address),
            Via::Ingress { name } => (2, name, address),
        },
        How::Name { token } => (3, "", token),
    }
}

fn target(
    hit: Hit,
    clusters: &[ClusterSource],
    confidence: impl Fn(&Workload) -> Confidence,
) -> Target {
    let workload = clusters
        .iter()
        .find(|c| c.context == hit.context)
        .map_or(Workload::NotFound, |c| {
            workload::behind(c, &hit.namespace, &hit.service)
        });
    Target {
        confidence: confidence(&workload),
        context: hit.context,
        namespace: hit.namespace,
        service: hit.service,
        port: hit.port,
        workload,
        how: hit.how,
    }
}

/// The region named by the targets' contexts (or, failing that, their
/// namespaces, as the seed runs one namespace per region), when they all
/// name the same one.
fn region_of(targets: &[Target]) -> Option<String> {
    let regions: BTreeSet<Option<String>> = targets
        .iter()
        .map(|t| region_token(&t.context).or_else(|| region_token(&t.namespace)))
        .collect();
    match regions.into_iter().collect::<Vec<_>>().as_slice() {
        [Some(r)] => Some(r.clone()),
        _ => None,
    }
}

/// Best first (confidence, then context, namespace and Service); one
/// clear best is a match, a tie at the top is ambiguous.
fn outcome(mut targets: Vec<Target>) -> Outcome {
    targets.sort_by(|a, b| {
        b.confidence
            .cmp(&a.confidence)
            .then_with(|| a.context.cmp(&b.context))
            .then_with(|| a.namespace.cmp(&b.namespace))
            .then_with(|| a.service.cmp(&b.service))
    });
    let Some(best) = targets.first().map(|t| t.confidence) else {
        return Outcome::Unmatched;
    };
    if targets.iter().filter(|t| t.confidence == best).count() == 1 {
        Outcome::Matched(targets.remove(0))
    } else {
        Outcome::Ambiguous {
            candidates: targets,
        }
    }
}
