//! Matching by name, for pools no origin address placed: the pool's name
//! and a cluster's context or namespace name share a region name (or,
//! failing one, a run of words), and within that cluster the Service is
//! the app's, recognised by having Deployments behind it and by being
//! named the same in the other clusters: a fleet runs one app everywhere,
//! while monitoring, debugging or one-off Services differ by cluster.

use std::collections::{BTreeMap, BTreeSet};

use super::Hit;
use super::region::{carries_region, carries_run, region_token, tokens};
use super::workload::selects;
use crate::facts::init::How;
use crate::ops::init::{ClusterSource, LbSource, PoolSource, ServiceSource};

/// Namespaces that hold the cluster's own machinery, never a fleet's app.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// What name matching needs to know about all pools and clusters at once.
pub(super) struct Names {
    /// Words that tell no pool from another: the load balancer hostname's,
    /// and those in every pool's name (the app's, `openclaw`).
    common: BTreeSet<String>,
    /// Service name → how many clusters run it with Deployments behind it.
    shared: BTreeMap<String, usize>,
}

/// What a pool's name is matched on.
enum Key {
    /// A region name (`us-east-1`), matched in any cloud's spelling.
    Region(String),
    /// A run of the pool name's words (`primary`).
    Run(Vec<String>),
}

impl Key {
    fn carried_by(&self, name: &str) -> bool {
        match self {
            Key::Region(r) => carries_region(name, r),
            Key::Run(run) => carries_run(name, run),
        }
    }

    fn text(&self) -> String {
        match self {
            Key::Region(r) => r.clone(),
            Key::Run(run) => run.join("-"),
        }
    }
}

impl Names {
    /// Learns the common words of `lb`'s `pools` and the Services shared
    /// by `clusters`.
    pub(super) fn new(lb: &LbSource, pools: &[PoolSource], clusters: &[ClusterSource]) -> Names {
        let mut common: BTreeSet<String> = tokens(&lb.hostname).into_iter().collect();
        if pools.len() >= 2 {
            let mut sets = pools
                .iter()
                .map(|p| tokens(&p.name).into_iter().collect::<BTreeSet<_>>());
            if let Some(first) = sets.next() {
                let in_all = sets.fold(first, |acc, s| &acc & &s);
                common.extend(in_all);
            }
        }
        let mut shared = BTreeMap::new();
        for c in clusters {
            let names: BTreeSet<&str> = backed(c, None).map(|s| s.name.as_str()).collect();
            for n in names {
                *shared.entry(n.to_string()).or_insert(0) += 1;
            }
        }
        Names { common, shared }
    }

    /// The Services `pool`'s name points at, one per cluster at most unless
    /// a cluster runs several equally shared apps.
    pub(super) fn hits(&self, pool: &PoolSource, clusters: &[ClusterSource]) -> Vec<Hit> {
        let Some(key) = self.key(&pool.name, clusters) else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        for c in clusters {
            let namespaces = namespaces(c);
            let by_ns: BTreeSet<&str> = namespaces
                .iter()
                .copied()
                .filter(|n| key.carried_by(n))
                .collect();
            // A namespace named for the region narrows the search; a context
            // named for it leaves the whole cluster but its own machinery.
            let scope = if !by_ns.is_empty() {
                by_ns
            } else if key.carried_by(&c.context) {
                namespaces
                    .into_iter()
                    .filter(|n| !SYSTEM_NAMESPACES.contains(n))
                    .collect()
            } else {
                continue;
            };
            let services: Vec<&ServiceSource> = backed(c, Some(&scope)).collect();
            let best = services.iter().map(|s| self.shared_by(s)).max();
            for s in services.iter().filter(|s| Some(self.shared_by(s)) == best) {
                hits.push(Hit {
                    context: c.context.clone(),
                    namespace: s.namespace.clone(),
                    service: s.name.clone(),
                    port: match s.ports.as_slice() {
                        [p] => Some(*p),
                        _ => None,
                    },
                    how: How::Name { token: key.text() },
                });
            }
        }
        hits
    }

    fn shared_by(&self, s: &ServiceSource) -> usize {
        self.shared.get(&s.name).copied().unwrap_or(0)
    }

    /// A region name in the pool's name when it has one. A pool named for a
    /// region is matched on that region only: its other words (`us`,
    /// `east`) would otherwise find a neighbouring region's cluster.
    /// Without one, the longest run of its words (leftmost among equals)
    /// that some cluster carries and not every cluster does, since a word
    /// every cluster carries (`prod`) tells them no apart.
    fn key(&self, pool: &str, clusters: &[ClusterSource]) -> Option<Key> {
        if let Some(r) = region_token(pool) {
            return Some(Key::Region(r));
        }
        let toks = tokens(pool);
        let useful =
            |t: &String| !self.common.contains(t) && !t.bytes().all(|b| b.is_ascii_digit());
        for len in (1..=toks.len()).rev() {
            for run in toks.windows(len) {
                if !run.iter().all(useful) {
                    continue;
                }
                let key = Key::Run(run.to_vec());
                let carried = clusters
                    .iter()
                    .filter(|c| {
                        key.carried_by(&c.context)
                            || namespaces(c).iter().any(|n| key.carried_by(n))
                    })
                    .count();
                if carried > 0 && (clusters.len() < 2 || carried < clusters.len()) {
                    return Some(key);
                }
            }
        }
        None
    }
}

/// Every namespace `c` shows something in.
fn namespaces(c: &ClusterSource) -> BTreeSet<&str> {
    c.services
        .iter()
        .map(|s| s.namespace.as_str())
        .chain(c.deployments.iter().map(|d| d.namespace.as_str()))
        .chain(c.ingresses.iter().map(|i| i.namespace.as_str()))
        .collect()
}

/// The Services of `c` (in `scope`, when given) with Deployments behind
/// them, leaving out `<name>-preview` when `<name>` is there: the live
/// Service takes the pool's traffic, the preview one is the idle colour.
fn backed<'a>(
    c: &'a ClusterSource,
    scope: Option<&'a BTreeSet<&'a str>>,
) -> impl Iterator<Item = &'a ServiceSource> + 'a {
    let names: BTreeSet<(&str, &str)> = c
        .services
        .iter()
        .map(|s| (s.namespace.as_str(), s.name.as_str()))
        .collect();
    c.services.iter().filter(move |s| {
        let in_scope = scope.is_none_or(|sc| sc.contains(s.namespace.as_str()));
        let preview_of_live = s
            .name
            .strip_suffix("-preview")
            .is_some_and(|live| names.contains(&(s.namespace.as_str(), live)));
        in_scope
            && !preview_of_live
            && c.deployments
                .iter()
                .any(|d| d.namespace == s.namespace && selects(&s.selector, &d.pod_labels))
    })
}
