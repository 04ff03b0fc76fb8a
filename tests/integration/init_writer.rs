//! `ocfail init`'s manifest (issue #18), from the seed's Terraform fixtures
//! to the text `validate` reads: the Terraform reader, `draft` and the
//! writer together give the seed's regions, pools and contexts.

use ocfail::facts::init::{
    Confidence, DraftSource, How, Outcome, PoolMatch, Target, Via, Workload,
};
use ocfail::manifest::parse_str;
use ocfail::ops::init::{DraftInputs, LbSource, draft, terraform};
use ocfail::report::init::fleet_yaml;

const FIXTURES: [&str; 4] = [
    "seed-show-v4.json",
    "seed-show-v5.json",
    "seed-state-v4.tfstate",
    "seed-plan-refs.json",
];

fn read(name: &str) -> LbSource {
    let path = format!("{}/fixtures/terraform/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    terraform::parse(&text, Some("api.openclaw.com")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What the seed's clusters give each pool: the LoadBalancer Service at its
/// origin, blue-green, sure.
fn seed_matches(lb: &LbSource) -> Vec<PoolMatch> {
    lb.default_pools
        .iter()
        .map(|p| {
            let region = p.name.trim_start_matches("openclaw-").to_owned();
            PoolMatch {
                pool: p.name.clone(),
                region: Some(region.clone()),
                outcome: Outcome::Matched(Target {
                    context: format!("prod-{region}"),
                    namespace: region,
                    service: "openclaw-api".to_owned(),
                    port: Some(8080),
                    workload: Workload::BlueGreen {
                        base: "openclaw-api".to_owned(),
                        live: None,
                    },
                    how: How::OriginAddress {
                        address: p.origins[0].address.clone(),
                        via: Via::LoadBalancer,
                    },
                    confidence: Confidence::High,
                }),
            }
        })
        .collect()
}

#[test]
fn every_seed_terraform_fixture_writes_a_manifest_with_the_seed_regions() {
    let seed = ocfail::manifest::seed_fleet();
    for name in FIXTURES {
        let lb = read(name);
        let inputs = DraftInputs {
            source: DraftSource::Terraform {
                file: name.to_owned(),
            },
            token_env: "CLOUDFLARE_API_TOKEN".to_owned(),
            kubeconfig: None,
        };
        let matches = seed_matches(&lb);
        let text = fleet_yaml(&draft(&lb, matches, inputs));
        let fleet = parse_str("fleet.yaml", &text)
            .unwrap_or_else(|p| panic!("{name}: {:#?}\n{text}", p.diagnostics));
        let regions = |f: &ocfail::manifest::Fleet| -> Vec<(String, String, String, String, u16)> {
            f.regions
                .iter()
                .map(|r| {
                    (
                        r.name.to_string(),
                        r.context.clone(),
                        r.namespace.clone(),
                        r.pool.clone(),
                        r.port,
                    )
                })
                .collect()
        };
        assert_eq!(regions(&fleet), regions(&seed), "{name}\n{text}");
        assert_eq!(
            fleet.cloudflare.account_id, seed.cloudflare.account_id,
            "{name}"
        );
        assert_eq!(
            fleet.cloudflare.load_balancer,
            seed.cloudflare.load_balancer
        );
        assert_eq!(fleet.rollout.waves, seed.rollout.waves, "{name}");
        assert_eq!(
            fleet.traffic.as_ref().map(|t| t.url.as_str()),
            seed.traffic.as_ref().map(|t| t.url.as_str()),
            "{name}"
        );
        assert_eq!(fleet.cloudflare.zone_id, seed.cloudflare.zone_id, "{name}");
        // The same inputs give the same bytes.
        let again = fleet_yaml(&draft(
            &lb,
            seed_matches(&lb),
            DraftInputs {
                source: DraftSource::Terraform {
                    file: name.to_owned(),
                },
                token_env: "CLOUDFLARE_API_TOKEN".to_owned(),
                kubeconfig: None,
            },
        ));
        assert_eq!(text, again, "{name}");
    }
}
