//! Matching by address: an origin's address is what a cluster publishes,
//! on a LoadBalancer Service, an ExternalName Service or an Ingress.

use super::Hit;
use crate::facts::init::{How, Via};
use crate::ops::init::{ClusterSource, IngressSource, PoolSource};

/// Every Service an origin of `pool` reaches by address, in any cluster.
/// Duplicates and preview Services are left for the caller to settle.
pub(super) fn hits(pool: &PoolSource, clusters: &[ClusterSource]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for origin in &pool.origins {
        let address = normalize(&origin.address);
        if address.is_empty() {
            continue;
        }
        let host = origin.host_header.as_deref().map(normalize);
        for cluster in clusters {
            let by_ingress = ingress_hits(cluster, &origin.address, &address, host.as_deref());
            // An Ingress at this address sits behind its controller, whose
            // LoadBalancer Service carries the same address; the Ingress
            // names the app's Service, the controller's would only add a
            // wrong second candidate.
            if by_ingress.is_empty() {
                hits.extend(service_hits(cluster, &origin.address, &address));
            } else {
                hits.extend(
                    service_hits(cluster, &origin.address, &address).filter(|h| {
                        !matches!(
                            &h.how,
                            How::OriginAddress {
                                via: Via::LoadBalancer,
                                ..
                            }
                        )
                    }),
                );
                hits.extend(by_ingress);
            }
        }
    }
    hits
}

/// Services of `cluster` that publish `address`: a LoadBalancer's ingress
/// entries or an ExternalName. `status.loadBalancer` is read whatever the
/// `kind`, since only LoadBalancer Services have one filled.
fn service_hits<'a>(
    cluster: &'a ClusterSource,
    written: &'a str,
    address: &'a str,
) -> impl Iterator<Item = Hit> + 'a {
    cluster.services.iter().filter_map(move |s| {
        let via = if s.load_balancer.iter().any(|a| normalize(a) == address) {
            Via::LoadBalancer
        } else if s
            .external_name
            .as_deref()
            .is_some_and(|n| normalize(n) == address)
        {
            Via::ExternalName
        } else {
            return None;
        };
        let port = match s.ports.as_slice() {
            [p] => Some(*p),
            _ => None,
        };
        Some(Hit {
            context: cluster.context.clone(),
            namespace: s.namespace.clone(),
            service: s.name.clone(),
            port,
            how: How::OriginAddress {
                address: written.to_string(),
                via,
            },
        })
    })
}

/// The backend Services of the Ingresses of `cluster` that serve `address`.
fn ingress_hits(
    cluster: &ClusterSource,
    written: &str,
    address: &str,
    host_header: Option<&str>,
) -> Vec<Hit> {
    let mut hits = Vec::new();
    for ing in cluster
        .ingresses
        .iter()
        .filter(|i| serves(i, address, host_header))
    {
        for (service, port) in &ing.backends {
            hits.push(Hit {
                context: cluster.context.clone(),
                namespace: ing.namespace.clone(),
                service: service.clone(),
                port: Some(*port),
                how: How::OriginAddress {
                    address: written.to_string(),
                    via: Via::Ingress {
                        name: ing.name.clone(),
                    },
                },
            });
        }
    }
    hits
}

/// Whether `ing` serves an origin at `address` sent `host_header`. By host:
/// the origin is named by the Ingress's own host. By load balancer address:
/// one controller address serves many Ingresses, so when the origin sends a
/// Host header the Ingress must list that host. A Host header alone proves
/// nothing: every region's Ingress often serves the same public host.
fn serves(ing: &IngressSource, address: &str, host_header: Option<&str>) -> bool {
    let hosts: Vec<String> = ing.hosts.iter().map(|h| normalize(h)).collect();
    if hosts.iter().any(|h| h == address) {
        return true;
    }
    let at_address = ing.load_balancer.iter().any(|a| normalize(a) == address);
    let host_fits = match host_header {
        Some(h) if !hosts.is_empty() => hosts.iter().any(|x| x == h),
        _ => true,
    };
    at_address && host_fits
}

/// An address as compared: DNS names are case-insensitive and a trailing
/// dot only says the name is absolute.
pub(super) fn normalize(address: &str) -> String {
    address.trim().trim_end_matches('.').to_ascii_lowercase()
}
