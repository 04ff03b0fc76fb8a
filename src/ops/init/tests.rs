//! `draft`: each match keeps its place and gets its pool's origins, monitor
//! and role; the fleet's name comes from the hostname.

use super::{DraftInputs, LbSource, MonitorSource, OriginSource, PoolSource, draft, fleet_name};
use crate::facts::init::{DraftSource, Outcome, PoolMatch, PoolRole};

fn pool(name: &str, address: &str) -> PoolSource {
    PoolSource {
        name: name.to_owned(),
        origins: vec![OriginSource {
            name: name.to_owned(),
            address: address.to_owned(),
            host_header: None,
        }],
        monitor: Some(MonitorSource {
            kind: "http".to_owned(),
            path: Some("/ready".to_owned()),
            expected_codes: Some("2xx".to_owned()),
            ..MonitorSource::default()
        }),
        ..PoolSource::default()
    }
}

fn unmatched(pool: &str) -> PoolMatch {
    PoolMatch {
        pool: pool.to_owned(),
        region: None,
        outcome: Outcome::Unmatched,
    }
}

#[test]
fn each_match_gets_its_pools_role_origins_and_monitor() {
    let lb = LbSource {
        hostname: "api.openclaw.com".to_owned(),
        default_pools: vec![pool("a", "203.0.113.1"), pool("b", "203.0.113.2")],
        fallback_pool: Some("c".to_owned()),
        region_pools: [("WNAM".to_owned(), vec!["d".to_owned()])].into(),
        ..LbSource::default()
    };
    let matches = ["a", "b", "c", "d"].map(unmatched).to_vec();
    let d = draft(
        &lb,
        matches.clone(),
        DraftInputs {
            source: DraftSource::CloudflareApi { api_url: None },
            token_env: "CF".to_owned(),
            kubeconfig: Some("/k".to_owned()),
        },
    );
    let roles: Vec<PoolRole> = d.pools.iter().map(|p| p.role).collect();
    assert_eq!(
        roles,
        [
            PoolRole::Default(0),
            PoolRole::Default(1),
            PoolRole::Fallback,
            PoolRole::Geo
        ]
    );
    assert_eq!(d.pools[1].origins, ["203.0.113.2"]);
    assert_eq!(d.pools[1].monitor_path.as_deref(), Some("/ready"));
    assert_eq!(d.pools[1].expected_codes.as_deref(), Some("2xx"));
    assert!(d.pools[2].origins.is_empty() && d.pools[2].monitor_path.is_none());
    let kept: Vec<PoolMatch> = d.pools.iter().map(|p| p.matched.clone()).collect();
    assert_eq!(kept, matches);
    assert_eq!(d.fleet_name, "openclaw-api");
    assert_eq!(
        (d.token_env.as_str(), d.kubeconfig.as_deref()),
        ("CF", Some("/k"))
    );
}

#[test]
fn the_fleet_name_is_the_zone_then_the_host() {
    assert_eq!(fleet_name("api.openclaw.com", None), "openclaw-api");
    assert_eq!(fleet_name("API.openclaw.com.", None), "openclaw-api");
    assert_eq!(
        fleet_name("api.eu.example.co.uk", Some("example.co.uk")),
        "example-api"
    );
    assert_eq!(fleet_name("openclaw.com", Some("openclaw.com")), "openclaw");
    assert_eq!(fleet_name("localhost", None), "localhost");
    assert_eq!(fleet_name("", None), "fleet");
    assert_eq!(fleet_name("my_api.open_claw.com", None), "open-claw-my-api");
}
