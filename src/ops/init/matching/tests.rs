//! Tests for matching pools to clusters, on inputs built by hand in the
//! seed's shape but with other names than the manifest's, so matching is
//! really exercised.

mod parts;

use std::collections::BTreeMap;

use super::match_pools;
use crate::facts::init::{Confidence, How, Outcome, PoolMatch, Target, Via, Workload};
use crate::kube::COLOR_LABEL;
use crate::ops::init::{
    ClusterSource, DeploymentSource, IngressSource, LbSource, OriginSource, PoolSource,
    ServiceSource,
};

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn dep(ns: &str, name: &str, pod_labels: &[(&str, &str)]) -> DeploymentSource {
    DeploymentSource {
        namespace: ns.into(),
        name: name.into(),
        pod_labels: labels(pod_labels),
        replicas: 2,
    }
}

fn svc(ns: &str, name: &str, selector: &[(&str, &str)]) -> ServiceSource {
    ServiceSource {
        namespace: ns.into(),
        name: name.into(),
        kind: "ClusterIP".into(),
        selector: labels(selector),
        ports: vec![8080],
        ..ServiceSource::default()
    }
}

fn lb_svc(ns: &str, name: &str, selector: &[(&str, &str)], address: &str) -> ServiceSource {
    ServiceSource {
        kind: "LoadBalancer".into(),
        load_balancer: vec![address.into()],
        ..svc(ns, name, selector)
    }
}

/// A cluster as the seed shapes one: `openclaw-api-blue`/`-green` in
/// `ns`, the live Service (a LoadBalancer at `address` when given)
/// selecting blue and the preview one green, plus the cluster's own DNS.
fn seed_cluster(context: &str, ns: &str, address: Option<&str>) -> ClusterSource {
    let colour = |c| [("app", "openclaw-api"), (COLOR_LABEL, c)];
    let live = match address {
        Some(a) => lb_svc(ns, "openclaw-api", &colour("blue"), a),
        None => svc(ns, "openclaw-api", &colour("blue")),
    };
    ClusterSource {
        context: context.into(),
        services: vec![
            live,
            svc(ns, "openclaw-api-preview", &colour("green")),
            svc("kube-system", "kube-dns", &[("k8s-app", "kube-dns")]),
            svc("default", "kubernetes", &[]),
        ],
        deployments: vec![
            dep(ns, "openclaw-api-blue", &colour("blue")),
            dep(ns, "openclaw-api-green", &colour("green")),
            dep("kube-system", "coredns", &[("k8s-app", "kube-dns")]),
        ],
        ingresses: vec![],
        unreadable: None,
    }
}

fn pool(name: &str, addresses: &[&str]) -> PoolSource {
    PoolSource {
        name: name.into(),
        origins: addresses
            .iter()
            .enumerate()
            .map(|(i, a)| OriginSource {
                name: format!("origin-{i}"),
                address: (*a).into(),
                host_header: None,
            })
            .collect(),
        ..PoolSource::default()
    }
}

fn lb(pools: Vec<PoolSource>) -> LbSource {
    LbSource {
        hostname: "api.openclaw.com".into(),
        default_pools: pools,
        ..LbSource::default()
    }
}

fn matched(m: &PoolMatch) -> &Target {
    match &m.outcome {
        Outcome::Matched(t) => t,
        other => panic!("{}: expected a match, got {other:?}", m.pool),
    }
}

fn ambiguous(m: &PoolMatch) -> &[Target] {
    match &m.outcome {
        Outcome::Ambiguous { candidates } => candidates,
        other => panic!("{}: expected ambiguity, got {other:?}", m.pool),
    }
}

fn blue_green() -> Workload {
    Workload::BlueGreen {
        base: "openclaw-api".into(),
        live: Some("blue".into()),
    }
}

/// The seed's three regions on three clouds' context spellings, each pool's
/// origin the live Service's load balancer address.
fn seed_fleet() -> (LbSource, Vec<ClusterSource>) {
    let clusters = vec![
        seed_cluster("gke_acme_us-east1_prod", "openclaw", Some("203.0.113.10")),
        seed_cluster(
            "arn:aws:eks:eu-central-1:123:cluster/prod",
            "openclaw",
            Some("a1b2.elb.eu-central-1.amazonaws.com"),
        ),
        seed_cluster("aks-australiaeast-prod", "openclaw", Some("203.0.113.30")),
    ];
    let lb = lb(vec![
        pool("openclaw-us-east-1", &["203.0.113.10"]),
        pool(
            "openclaw-eu-central-1",
            &["A1B2.elb.eu-central-1.amazonaws.com."],
        ),
        pool("openclaw-ap-southeast-2", &["203.0.113.30"]),
    ]);
    (lb, clusters)
}

#[test]
fn seed_shape_matches_every_pool_by_its_load_balancer_address() {
    let (lb, clusters) = seed_fleet();
    let got = match_pools(&lb, &clusters);
    let pools: Vec<&str> = got.iter().map(|m| m.pool.as_str()).collect();
    assert_eq!(
        pools,
        [
            "openclaw-us-east-1",
            "openclaw-eu-central-1",
            "openclaw-ap-southeast-2"
        ]
    );
    let want = [
        ("us-east-1", "gke_acme_us-east1_prod", "203.0.113.10"),
        (
            "eu-central-1",
            "arn:aws:eks:eu-central-1:123:cluster/prod",
            "A1B2.elb.eu-central-1.amazonaws.com.",
        ),
        ("ap-southeast-2", "aks-australiaeast-prod", "203.0.113.30"),
    ];
    for (m, (region, context, address)) in got.iter().zip(want) {
        assert_eq!(m.region.as_deref(), Some(region));
        assert_eq!(
            matched(m),
            &Target {
                context: context.into(),
                namespace: "openclaw".into(),
                service: "openclaw-api".into(),
                port: Some(8080),
                workload: blue_green(),
                how: How::OriginAddress {
                    address: address.into(),
                    via: Via::LoadBalancer,
                },
                confidence: Confidence::High,
            }
        );
    }
}

#[test]
fn pools_come_in_failover_order_then_fallback_then_geo_pools_once_each() {
    let (mut lb, clusters) = seed_fleet();
    lb.fallback_pool = Some("openclaw-us-west-2".into());
    lb.region_pools
        .insert("WNAM".into(), vec!["openclaw-us-west-2".into()]);
    lb.region_pools.insert(
        "ENAM".into(),
        vec!["openclaw-us-east-1".into(), "openclaw-ca-central-1".into()],
    );
    lb.pop_pools
        .insert("LAX".into(), vec!["openclaw-lax".into()]);
    let got = match_pools(&lb, &clusters);
    let pools: Vec<&str> = got.iter().map(|m| m.pool.as_str()).collect();
    assert_eq!(
        pools,
        [
            "openclaw-us-east-1",
            "openclaw-eu-central-1",
            "openclaw-ap-southeast-2",
            "openclaw-us-west-2",
            "openclaw-ca-central-1",
            "openclaw-lax",
        ]
    );
    // Known by name only, and no cluster is named for these regions.
    for m in &got[3..] {
        assert_eq!(m.outcome, Outcome::Unmatched, "{}", m.pool);
    }
    assert_eq!(got[3].region.as_deref(), Some("us-west-2"));
    assert_eq!(got[5].region, None);
}

#[test]
fn an_ingress_host_leads_to_its_backend_and_the_live_service_wins_over_preview() {
    let mut c = seed_cluster("prod-virginia", "rating", None);
    c.ingresses.push(IngressSource {
        namespace: "rating".into(),
        name: "openclaw".into(),
        hosts: vec!["use1.api.openclaw.com".into()],
        load_balancer: vec!["198.51.100.7".into()],
        backends: vec![
            ("openclaw-api-preview".into(), 8080),
            ("openclaw-api".into(), 8080),
        ],
    });
    let lb = lb(vec![pool(
        "openclaw-us-east-1",
        &["USE1.api.openclaw.com."],
    )]);
    let got = match_pools(&lb, &[c]);
    let t = matched(&got[0]);
    assert_eq!(
        (t.context.as_str(), t.namespace.as_str(), t.service.as_str()),
        ("prod-virginia", "rating", "openclaw-api")
    );
    assert_eq!(
        t.how,
        How::OriginAddress {
            address: "USE1.api.openclaw.com.".into(),
            via: Via::Ingress {
                name: "openclaw".into()
            },
        }
    );
    assert_eq!(t.port, Some(8080));
    assert_eq!(t.workload, blue_green());
    assert_eq!(t.confidence, Confidence::High);
}

#[test]
fn on_a_shared_ingress_address_the_host_header_picks_the_ingress_not_the_controller() {
    let mut c = seed_cluster("prod-virginia", "rating", None);
    let controller = lb_svc(
        "ingress-nginx",
        "ingress-nginx-controller",
        &[("app", "ingress-nginx")],
        "198.51.100.7",
    );
    c.services.push(controller);
    c.deployments.push(dep(
        "ingress-nginx",
        "ingress-nginx-controller",
        &[("app", "ingress-nginx")],
    ));
    c.services.push(svc("shop", "shop-web", &[("app", "shop")]));
    c.deployments
        .push(dep("shop", "shop-web", &[("app", "shop")]));
    let ingress = |ns: &str, name: &str, host: &str, backend: &str| IngressSource {
        namespace: ns.into(),
        name: name.into(),
        hosts: vec![host.into()],
        load_balancer: vec!["198.51.100.7".into()],
        backends: vec![(backend.into(), 80)],
    };
    c.ingresses = vec![
        ingress("shop", "shop", "shop.example.com", "shop-web"),
        ingress("rating", "api", "api.openclaw.com", "openclaw-api"),
    ];
    let mut p = pool("openclaw-us-east-1", &["198.51.100.7"]);
    p.origins[0].host_header = Some("api.openclaw.com".into());
    let got = match_pools(&lb(vec![p.clone()]), std::slice::from_ref(&c));
    let t = matched(&got[0]);
    assert_eq!(t.service, "openclaw-api");
    assert_eq!(t.port, Some(80));
    assert_eq!(t.confidence, Confidence::High);

    // Without a Host header both Ingresses fit the address: reported, not
    // guessed.
    p.origins[0].host_header = None;
    let got = match_pools(&lb(vec![p]), &[c]);
    let candidates = ambiguous(&got[0]);
    let names: Vec<&str> = candidates.iter().map(|t| t.service.as_str()).collect();
    assert_eq!(names, ["openclaw-api", "shop-web"]);
    assert!(
        candidates
            .iter()
            .all(|t| t.confidence == Confidence::Medium)
    );
}

#[test]
fn an_external_name_service_matches_its_name() {
    let mut c = seed_cluster("prod-virginia", "openclaw", None);
    c.services[0].kind = "ExternalName".into();
    c.services[0].external_name = Some("origin-use1.openclaw.net".into());
    let got = match_pools(
        &lb(vec![pool(
            "openclaw-us-east-1",
            &["origin-use1.openclaw.net"],
        )]),
        &[c],
    );
    assert!(matches!(
        matched(&got[0]).how,
        How::OriginAddress {
            via: Via::ExternalName,
            ..
        }
    ));
}

#[test]
fn names_alone_match_with_low_confidence_on_the_shared_app_service() {
    // No origin address is published by any cluster; the regions are in
    // the context names, spelled per cloud.
    let mut east = seed_cluster("gke_acme_us-east1", "openclaw", None);
    // A one-off Service with Deployments behind it, in this cluster only.
    east.services
        .push(svc("openclaw", "debug-shell", &[("app", "debug")]));
    east.deployments
        .push(dep("openclaw", "debug-shell", &[("app", "debug")]));
    let clusters = vec![
        east,
        seed_cluster(
            "arn:aws:eks:eu-central-1:123:cluster/prod",
            "openclaw",
            None,
        ),
    ];
    let lb = lb(vec![
        pool("openclaw-us-east-1", &["203.0.113.10"]),
        pool("openclaw_eu_central_1", &["203.0.113.20"]),
    ]);
    let got = match_pools(&lb, &clusters);
    let want = [
        ("gke_acme_us-east1", "us-east-1"),
        ("arn:aws:eks:eu-central-1:123:cluster/prod", "eu-central-1"),
    ];
    for (m, (context, token)) in got.iter().zip(want) {
        let t = matched(m);
        assert_eq!(t.context, context);
        assert_eq!(t.service, "openclaw-api");
        assert_eq!(t.namespace, "openclaw");
        assert_eq!(
            t.how,
            How::Name {
                token: token.into()
            }
        );
        assert_eq!(t.confidence, Confidence::Low);
        assert_eq!(t.workload, blue_green());
        assert_eq!(m.region.as_deref(), Some(token));
    }
}

#[test]
fn a_namespace_named_for_the_region_narrows_a_neutral_context() {
    // The manifest's seed: one namespace per region, here in one cluster.
    let mut c = seed_cluster("prod", "us-east-1", None);
    let other = seed_cluster("prod", "eu-central-1", None);
    c.services.extend(other.services);
    c.deployments.extend(other.deployments);
    let lb = lb(vec![
        pool("openclaw-us-east-1", &[]),
        pool("openclaw-eu-central-1", &[]),
    ]);
    let got = match_pools(&lb, &[c]);
    assert_eq!(matched(&got[0]).namespace, "us-east-1");
    assert_eq!(matched(&got[1]).namespace, "eu-central-1");
}

#[test]
fn without_a_region_the_longest_distinguishing_run_of_words_matches() {
    let clusters = vec![
        seed_cluster("openclaw-primary-cluster", "openclaw", None),
        seed_cluster("openclaw-secondary-cluster", "openclaw", None),
    ];
    let lb = lb(vec![
        pool("openclaw-primary", &[]),
        pool("openclaw-secondary", &[]),
    ]);
    let got = match_pools(&lb, &clusters);
    assert_eq!(matched(&got[0]).context, "openclaw-primary-cluster");
    assert_eq!(
        matched(&got[0]).how,
        How::Name {
            token: "primary".into()
        }
    );
    assert_eq!(matched(&got[1]).context, "openclaw-secondary-cluster");
    assert_eq!(got[0].region, None);
}

#[test]
fn a_pool_that_matches_nothing_is_unmatched() {
    let (mut lb, clusters) = seed_fleet();
    lb.default_pools
        .push(pool("openclaw-backup", &["192.0.2.99"]));
    let got = match_pools(&lb, &clusters);
    assert_eq!(
        got[3],
        PoolMatch {
            pool: "openclaw-backup".into(),
            region: None,
            outcome: Outcome::Unmatched,
        }
    );
}

#[test]
fn two_plausible_contexts_are_ambiguous_and_both_listed() {
    let clusters = vec![
        seed_cluster("staging-us-east-1", "openclaw", None),
        seed_cluster("prod-us-east-1", "openclaw", None),
        seed_cluster("prod-eu-central-1", "openclaw", None),
    ];
    let got = match_pools(
        &lb(vec![pool("openclaw-us-east-1", &["192.0.2.1"])]),
        &clusters,
    );
    let candidates = ambiguous(&got[0]);
    let contexts: Vec<&str> = candidates.iter().map(|t| t.context.as_str()).collect();
    assert_eq!(contexts, ["prod-us-east-1", "staging-us-east-1"]);
    assert!(candidates.iter().all(|t| t.confidence == Confidence::Low));
    assert_eq!(got[0].region.as_deref(), Some("us-east-1"));
}

#[test]
fn one_address_published_by_two_clusters_is_ambiguous_not_high() {
    let clusters = vec![
        seed_cluster("prod-b", "openclaw", Some("203.0.113.10")),
        seed_cluster("prod-a", "openclaw", Some("203.0.113.10")),
    ];
    let got = match_pools(
        &lb(vec![pool("openclaw-main", &["203.0.113.10"])]),
        &clusters,
    );
    let candidates = ambiguous(&got[0]);
    let contexts: Vec<&str> = candidates.iter().map(|t| t.context.as_str()).collect();
    assert_eq!(contexts, ["prod-a", "prod-b"]);
    assert!(
        candidates
            .iter()
            .all(|t| t.confidence == Confidence::Medium)
    );
}

#[test]
fn an_address_match_with_no_deployment_behind_it_is_medium() {
    let mut c = seed_cluster("prod-virginia", "openclaw", Some("203.0.113.10"));
    c.deployments.retain(|d| d.namespace != "openclaw");
    let got = match_pools(
        &lb(vec![pool("openclaw-us-east-1", &["203.0.113.10"])]),
        &[c],
    );
    let t = matched(&got[0]);
    assert_eq!(t.workload, Workload::NotFound);
    assert_eq!(t.confidence, Confidence::Medium);
}

#[test]
fn a_single_deployment_fleet_is_single_and_still_high() {
    // The seed before blue/green: `kubectl scale deployment openclaw-api`.
    let c = ClusterSource {
        context: "prod-virginia".into(),
        services: vec![lb_svc(
            "openclaw",
            "openclaw-api",
            &[("app", "openclaw-api")],
            "203.0.113.10",
        )],
        deployments: vec![dep("openclaw", "openclaw-api", &[("app", "openclaw-api")])],
        ..ClusterSource::default()
    };
    let got = match_pools(
        &lb(vec![pool("openclaw-us-east-1", &["203.0.113.10"])]),
        &[c],
    );
    let t = matched(&got[0]);
    assert_eq!(
        t.workload,
        Workload::Single {
            deployment: "openclaw-api".into()
        }
    );
    assert_eq!(t.confidence, Confidence::High);
}

#[test]
fn several_deployments_behind_an_address_match_are_medium() {
    let mut c = seed_cluster("prod-virginia", "openclaw", Some("203.0.113.10"));
    c.deployments.push(dep(
        "openclaw",
        "openclaw-api-canary",
        &[("app", "openclaw-api"), (COLOR_LABEL, "blue")],
    ));
    c.deployments.retain(|d| d.name != "openclaw-api-green");
    let got = match_pools(
        &lb(vec![pool("openclaw-us-east-1", &["203.0.113.10"])]),
        &[c],
    );
    let t = matched(&got[0]);
    assert_eq!(
        t.workload,
        Workload::Several {
            deployments: vec!["openclaw-api-blue".into(), "openclaw-api-canary".into()]
        }
    );
    assert_eq!(t.confidence, Confidence::Medium);
}

#[test]
fn shuffled_inputs_give_the_same_matches() {
    let (mut lb, mut clusters) = seed_fleet();
    clusters.push(seed_cluster("staging-us-east-1", "openclaw", None));
    clusters.push(seed_cluster("prod-eu-central-1-b", "openclaw", None));
    lb.default_pools
        .push(pool("openclaw-backup", &["192.0.2.99"]));
    lb.fallback_pool = Some("openclaw-eu-central-1-b".into());
    // Reached by two origins, one at its load balancer and one at an
    // Ingress: the way kept must not depend on input order.
    lb.default_pools[0].origins.push(OriginSource {
        name: "by-ingress".into(),
        address: "use1.api.openclaw.com".into(),
        host_header: None,
    });
    clusters[0].ingresses.push(IngressSource {
        namespace: "openclaw".into(),
        name: "api".into(),
        hosts: vec!["use1.api.openclaw.com".into()],
        load_balancer: vec![],
        backends: vec![("openclaw-api".into(), 8080)],
    });
    let want = match_pools(&lb, &clusters);
    assert!(matches!(
        matched(&want[0]).how,
        How::OriginAddress {
            via: Via::LoadBalancer,
            ..
        }
    ));
    for seed in 0..20 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut c = clusters.clone();
        rng.shuffle(&mut c);
        for cl in &mut c {
            rng.shuffle(&mut cl.services);
            rng.shuffle(&mut cl.deployments);
            rng.shuffle(&mut cl.ingresses);
        }
        for p in &mut lb.default_pools {
            rng.shuffle(&mut p.origins);
        }
        assert_eq!(match_pools(&lb, &c), want, "seed {seed}");
    }
}

#[test]
fn a_word_every_cluster_carries_does_not_decide() {
    let clusters = vec![
        seed_cluster("primary-prod", "openclaw", None),
        seed_cluster("secondary-prod", "openclaw", None),
    ];
    let got = match_pools(&lb(vec![pool("prod-primary", &[])]), &clusters);
    assert_eq!(matched(&got[0]).context, "primary-prod");
}
