//! The manifest writer against hand-built drafts: the seed's fleet reads
//! back as the seed's regions; a pool nothing matched leaves TODOs; a pool
//! several targets match lists them all; the same draft gives the same text.

use super::{fleet_yaml, scalar};
use crate::facts::init::{
    Confidence, Draft, DraftPool, DraftSource, How, Outcome, PoolMatch, PoolRole, Target, Via,
    Workload,
};
use crate::manifest::parse_str;

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";

fn target(region: &str, address: &str) -> Target {
    Target {
        context: format!("prod-{region}"),
        namespace: region.to_owned(),
        service: "openclaw-api".to_owned(),
        port: Some(8080),
        workload: Workload::BlueGreen {
            base: "openclaw-api".to_owned(),
            live: Some("blue".to_owned()),
        },
        how: How::OriginAddress {
            address: address.to_owned(),
            via: Via::LoadBalancer,
        },
        confidence: Confidence::High,
    }
}

fn pool(region: &str, address: &str, role: PoolRole, outcome: Outcome) -> DraftPool {
    DraftPool {
        origins: vec![address.to_owned()],
        role,
        monitor_path: Some("/healthz".to_owned()),
        expected_codes: Some("200".to_owned()),
        matched: PoolMatch {
            pool: format!("openclaw-{region}"),
            region: Some(region.to_owned()),
            outcome,
        },
    }
}

fn matched(region: &str, address: &str, i: usize) -> DraftPool {
    pool(
        region,
        address,
        PoolRole::Default(i),
        Outcome::Matched(target(region, address)),
    )
}

/// The seed's fleet as init would read it from Terraform and its clusters.
fn seed() -> Draft {
    Draft {
        fleet_name: "openclaw-api".to_owned(),
        hostname: "api.openclaw.com".to_owned(),
        account_id: Some(ACCOUNT.to_owned()),
        zone_id: Some(ZONE.to_owned()),
        zone_name: Some("openclaw.com".to_owned()),
        token_env: "CLOUDFLARE_API_TOKEN".to_owned(),
        kubeconfig: None,
        source: DraftSource::Terraform {
            file: "seed-show-v4.json".to_owned(),
        },
        steering_policy: Some("dynamic_latency".to_owned()),
        pools: vec![
            matched("us-east-1", "203.0.113.10", 0),
            matched("eu-central-1", "198.51.100.20", 1),
            matched("ap-southeast-2", "192.0.2.30", 2),
        ],
    }
}

#[test]
fn the_seed_reads_back_as_the_seed_regions() {
    let text = fleet_yaml(&seed());
    let fleet = match parse_str("fleet.yaml", &text) {
        Ok(f) => f,
        Err(p) => panic!("{:#?}\n{text}", p.diagnostics),
    };
    assert_eq!(fleet.metadata.name, "openclaw-api");
    assert_eq!(fleet.cloudflare.account_id, ACCOUNT);
    assert_eq!(fleet.cloudflare.zone_id, ZONE);
    assert_eq!(fleet.cloudflare.load_balancer, "api.openclaw.com");
    let got: Vec<(&str, &str, &str, &str, &str, &str, u16)> = fleet
        .regions
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.context.as_str(),
                r.namespace.as_str(),
                r.deployment.as_str(),
                r.service.as_str(),
                r.pool.as_str(),
                r.port,
            )
        })
        .collect();
    let want = ["us-east-1", "eu-central-1", "ap-southeast-2"]
        .map(|r| (r, "", r, "openclaw-api", "openclaw-api", "", 8080));
    for (g, w) in got.iter().zip(want.iter()) {
        assert_eq!(g.0, w.0);
        assert_eq!(g.1, format!("prod-{}", w.0));
        assert_eq!((g.2, g.3, g.4, g.6), (w.2, w.3, w.4, w.6));
        assert_eq!(g.5, format!("openclaw-{}", w.0));
    }
    assert_eq!(got.len(), 3);
    let waves: Vec<Vec<&str>> = fleet
        .rollout
        .waves
        .iter()
        .map(|w| w.iter().map(|r| r.as_str()).collect())
        .collect();
    assert_eq!(
        waves,
        [["ap-southeast-2"], ["eu-central-1"], ["us-east-1"]],
        "the primary rolls out last"
    );
    assert_eq!(
        fleet.traffic.map(|t| t.url),
        Some("https://api.openclaw.com/healthz".to_owned())
    );
}

#[test]
fn the_seed_output_snapshot() {
    insta::assert_snapshot!(fleet_yaml(&seed()));
}

#[test]
fn the_same_draft_gives_the_same_text() {
    let a = fleet_yaml(&seed());
    let b = fleet_yaml(&seed().clone());
    assert_eq!(a, b);
    let mut d = seed();
    d.pools[1].matched.outcome = Outcome::Unmatched;
    assert_eq!(fleet_yaml(&d), fleet_yaml(&d.clone()));
}

#[test]
fn a_pool_nothing_matched_leaves_todos_and_still_parses_as_yaml() {
    let mut d = seed();
    d.pools[2] = pool(
        "ap-southeast-2",
        "192.0.2.30",
        PoolRole::Default(2),
        Outcome::Unmatched,
    );
    let text = fleet_yaml(&d);
    assert!(
        text.contains(
            "# TODO: no cluster matched pool openclaw-ap-southeast-2 (origins 192.0.2.30): \
             set context, namespace, deployment and service"
        ),
        "{text}"
    );
    let region = region_block(&text, "ap-southeast-2");
    for field in ["context", "namespace", "deployment", "service"] {
        assert!(
            region.contains(&format!("    {field}: TODO\n")),
            "{field} in {region}"
        );
    }
    // The other regions keep what matched.
    assert!(region_block(&text, "us-east-1").contains("context: prod-us-east-1"));
    // `TODO` is a valid context and name, so the file reads back: the
    // TODOs are for the user (and `validate --live`) to find.
    let fleet = match parse_str("fleet.yaml", &text) {
        Ok(f) => f,
        Err(p) => panic!("{:#?}\n{text}", p.diagnostics),
    };
    let r = &fleet.regions[2];
    assert_eq!(
        (r.context.as_str(), r.namespace.as_str(), r.service.as_str()),
        ("TODO", "TODO", "TODO")
    );
    assert_eq!(r.pool, "openclaw-ap-southeast-2");
}

#[test]
fn two_unmatched_pools_read_back_as_one_problem_the_user_must_fix() {
    let mut d = seed();
    for i in [1, 2] {
        d.pools[i].matched.outcome = Outcome::Unmatched;
    }
    let text = fleet_yaml(&d);
    let problems = match parse_str("fleet.yaml", &text) {
        Ok(_) => panic!("two regions at TODO/TODO were accepted:\n{text}"),
        Err(p) => p.diagnostics,
    };
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0]
            .one_line("fleet.yaml")
            .contains("context and namespace"),
        "{problems:#?}"
    );
}

#[test]
fn an_ambiguous_pool_lists_every_candidate_and_keeps_none() {
    let mut d = seed();
    let mut staging = target("eu-central-1", "198.51.100.20");
    staging.context = "staging-eu-central-1".to_owned();
    staging.confidence = Confidence::Medium;
    let mut prod = target("eu-central-1", "198.51.100.20");
    prod.confidence = Confidence::Medium;
    d.pools[1].matched.outcome = Outcome::Ambiguous {
        candidates: vec![prod, staging],
    };
    let text = fleet_yaml(&d);
    assert!(
        text.contains(
            "# TODO: pool openclaw-eu-central-1 matches several: \
             (1) prod-eu-central-1/eu-central-1/openclaw-api \
             (2) staging-eu-central-1/eu-central-1/openclaw-api; keep one"
        ),
        "{text}"
    );
    let region = region_block(&text, "eu-central-1");
    assert!(region.contains("    context: TODO"), "{region}");
    assert!(
        region.contains("    # context: prod-eu-central-1\n"),
        "{region}"
    );
    assert!(!region.contains("    context: prod-"), "{region}");
    assert!(parse_str("fleet.yaml", &text).is_ok(), "{text}");
}

#[test]
fn a_single_deployment_says_it_is_not_blue_green_yet() {
    let mut d = seed();
    for p in &mut d.pools {
        if let Outcome::Matched(t) = &mut p.matched.outcome {
            t.workload = Workload::Single {
                deployment: "openclaw-api".to_owned(),
            };
        }
    }
    let text = fleet_yaml(&d);
    assert!(
        text.contains("deployment: openclaw-api") && text.contains("ocfail init --blue-green-plan"),
        "{text}"
    );
    assert!(parse_str("fleet.yaml", &text).is_ok(), "{text}");
}

#[test]
fn unknown_ids_are_todos_that_validate_refuses() {
    let mut d = seed();
    d.account_id = None;
    d.zone_id = None;
    let text = fleet_yaml(&d);
    assert!(text.contains("accountId: TODO"), "{text}");
    assert!(
        text.contains("zoneId: TODO") && text.contains("zone openclaw.com"),
        "{text}"
    );
    let problems = match parse_str("fleet.yaml", &text) {
        Ok(_) => panic!("TODO ids were accepted:\n{text}"),
        Err(p) => p.diagnostics,
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        ["cloudflare.accountId", "cloudflare.zoneId"],
        "{problems:#?}"
    );
}

#[test]
fn scalars_that_yaml_would_read_otherwise_are_quoted() {
    assert_eq!(scalar("openclaw-api"), "openclaw-api");
    assert_eq!(
        scalar("https://api.openclaw.com/healthz"),
        "https://api.openclaw.com/healthz"
    );
    assert_eq!(scalar("no"), "'no'");
    assert_eq!(scalar("123"), "'123'");
    assert_eq!(scalar("1e5"), "'1e5'");
    assert_eq!(scalar("a: b"), "'a: b'");
    assert_eq!(scalar("it's #1"), "'it''s #1'");
    assert_eq!(scalar(""), "''");
    assert_eq!(scalar("a\nb"), "\"a\\nb\"");
}

#[test]
fn odd_names_read_back_as_written() {
    let mut d = seed();
    d.fleet_name = "true".to_owned();
    if let Outcome::Matched(t) = &mut d.pools[0].matched.outcome {
        t.context = "arn:aws:eks:us-east-1:123:cluster/prod #1".to_owned();
    }
    d.pools[0].matched.pool = "pool: 'one'".to_owned();
    let text = fleet_yaml(&d);
    let fleet = match parse_str("fleet.yaml", &text) {
        Ok(f) => f,
        Err(p) => panic!("{:#?}\n{text}", p.diagnostics),
    };
    assert_eq!(fleet.metadata.name, "true");
    assert_eq!(
        fleet.regions[0].context,
        "arn:aws:eks:us-east-1:123:cluster/prod #1"
    );
    assert_eq!(fleet.regions[0].pool, "pool: 'one'");
}

#[test]
fn a_name_only_match_with_several_deployments_and_ports_says_what_to_fix() {
    let mut d = seed();
    if let Outcome::Matched(t) = &mut d.pools[1].matched.outcome {
        t.how = How::Name {
            token: "eu-central-1".to_owned(),
        };
        t.confidence = Confidence::Low;
        t.port = None;
        t.workload = Workload::Several {
            deployments: vec!["api-a".to_owned(), "api-b".to_owned()],
        };
    }
    let text = fleet_yaml(&d);
    let region = region_block(&text, "eu-central-1");
    for want in [
        "pool openclaw-eu-central-1 and context prod-eu-central-1 (namespace eu-central-1) share the name eu-central-1",
        "confidence: low, names only; TODO: check it",
        "TODO: several Deployments behind Service openclaw-api: api-a, api-b",
        "    deployment: TODO ",
        "    port: TODO ",
    ] {
        assert!(region.contains(want), "{want:?} in\n{region}");
    }
    // The regions that agree no longer share defaults they do not all have.
    assert!(region_block(&text, "us-east-1").contains("    deployment: openclaw-api\n"));
    let problems = match parse_str("fleet.yaml", &text) {
        Ok(_) => panic!("`port: TODO` was accepted:\n{text}"),
        Err(p) => p.diagnostics,
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["regions[1].port"], "{problems:#?}");
}

#[test]
fn pools_without_a_region_name_are_named_after_the_pool_and_stay_unique() {
    let mut d = seed();
    d.pools[1].matched.region = Some("us-east-1".to_owned());
    d.pools[2].matched.region = None;
    d.pools[2].matched.pool = "Backup_Pool".to_owned();
    d.pools[2].role = PoolRole::Fallback;
    let text = fleet_yaml(&d);
    let fleet = match parse_str("fleet.yaml", &text) {
        Ok(f) => f,
        Err(p) => panic!("{:#?}\n{text}", p.diagnostics),
    };
    let names: Vec<&str> = fleet.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["us-east-1", "openclaw-eu-central-1", "backup-pool"]);
    assert!(
        text.contains("# Pool Backup_Pool: the fallback pool"),
        "{text}"
    );
    assert!(text.contains("guessed from pool Backup_Pool"), "{text}");
}

/// The lines of the region named `name`, its comments first, up to the
/// next region.
fn region_block<'a>(text: &'a str, name: &str) -> &'a str {
    let item = text
        .find(&format!("- name: {name} "))
        .unwrap_or_else(|| panic!("no region {name} in\n{text}"));
    let start = text[..item].rfind("  # Pool ").unwrap_or(item);
    let rest = &text[start..];
    let end = rest[1..]
        .find("\n  # Pool ")
        .or_else(|| rest.find("\ntraffic:"))
        .map_or(rest.len(), |e| e + 1);
    &rest[..end]
}
