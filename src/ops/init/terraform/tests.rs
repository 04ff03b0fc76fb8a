//! The Terraform reader against hand-written fixtures of the seed's main.tf
//! (`fixtures/terraform/`), and against odd input.

use serde_json::{Value, json};

use super::{TerraformError, distinct_references, parse, pool_address, without_keys};
use crate::ops::init::{LbSource, MonitorSource, OriginSource, PoolSource};

const SHOW_V4: &str = include_str!("../../../../fixtures/terraform/seed-show-v4.json");
const SHOW_V5: &str = include_str!("../../../../fixtures/terraform/seed-show-v5.json");
const STATE_V4: &str = include_str!("../../../../fixtures/terraform/seed-state-v4.tfstate");
const PLAN_REFS: &str = include_str!("../../../../fixtures/terraform/seed-plan-refs.json");

const FIXTURES: [(&str, &str); 4] = [
    ("seed-show-v4.json", SHOW_V4),
    ("seed-show-v5.json", SHOW_V5),
    ("seed-state-v4.tfstate", STATE_V4),
    ("seed-plan-refs.json", PLAN_REFS),
];

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";
const US_ID: &str = "6a1f0e2b3c4d5e6f708192a3b4c5d6e7";
const EU_ID: &str = "4d5e6f708192a3b4c5d6e7f809a1b2c3";
const AP_ID: &str = "7a8b9c0d1e2f3a4b5c6d7e8f90a1b2c3";
const MONITOR_ID: &str = "f1e2d3c4b5a69788776655443322110f";

fn read(name: &str, text: &str, hostname: Option<&str>) -> LbSource {
    match parse(text, hostname) {
        Ok(lb) => lb,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn doc(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

/// What every fixture must agree on: ids (absent before apply) and the
/// zone's name (only where a zone is in the file) set aside.
fn shape(lb: &LbSource) -> LbSource {
    let mut lb = lb.clone();
    lb.zone_name = None;
    for pool in &mut lb.default_pools {
        pool.id = None;
        if let Some(m) = &mut pool.monitor {
            m.id = None;
        }
    }
    lb
}

fn origin(name: &str, address: &str) -> OriginSource {
    OriginSource {
        name: name.to_owned(),
        address: address.to_owned(),
        host_header: Some(format!("{name}.api.openclaw.com")),
    }
}

fn healthz(id: Option<&str>) -> MonitorSource {
    MonitorSource {
        id: id.map(str::to_owned),
        kind: "http".to_owned(),
        path: Some("/healthz".to_owned()),
        expected_codes: Some("200".to_owned()),
        interval: Some(60),
        timeout: Some(5),
        retries: Some(2),
        port: None,
    }
}

/// The seed's load balancer as an applied state holds it.
fn seed_applied() -> LbSource {
    let pool = |name: &str, id: &str, origin: OriginSource| PoolSource {
        name: name.to_owned(),
        id: Some(id.to_owned()),
        origins: vec![origin],
        monitor: Some(healthz(Some(MONITOR_ID))),
    };
    LbSource {
        hostname: "api.openclaw.com".to_owned(),
        zone_id: Some(ZONE.to_owned()),
        zone_name: Some("openclaw.com".to_owned()),
        account_id: Some(ACCOUNT.to_owned()),
        steering_policy: Some("dynamic_latency".to_owned()),
        default_pools: vec![
            pool(
                "openclaw-us-east-1",
                US_ID,
                origin("us-east-1", "203.0.113.10"),
            ),
            pool(
                "openclaw-eu-central-1",
                EU_ID,
                origin("eu-central-1", "198.51.100.20"),
            ),
            pool(
                "openclaw-ap-southeast-2",
                AP_ID,
                origin("ap-southeast-2", "ap-southeast-2.api.openclaw.com"),
            ),
        ],
        fallback_pool: Some("openclaw-eu-central-1".to_owned()),
        ..LbSource::default()
    }
}

#[test]
fn the_v4_show_output_gives_the_seed_load_balancer() {
    assert_eq!(
        read("v4", SHOW_V4, Some("api.openclaw.com")),
        seed_applied()
    );
}

#[test]
fn every_fixture_gives_the_same_pools_order_fallback_and_origins() {
    let expected = shape(&seed_applied());
    for (name, text) in FIXTURES {
        for hostname in [None, Some("api.openclaw.com"), Some("API.openclaw.com.")] {
            let lb = read(name, text, hostname);
            assert_eq!(shape(&lb), expected, "{name} with hostname {hostname:?}");
        }
    }
}

#[test]
fn applied_files_carry_ids_and_the_unapplied_plan_does_not() {
    for (name, text) in [("v4", SHOW_V4), ("v5", SHOW_V5), ("state", STATE_V4)] {
        let lb = read(name, text, None);
        let ids: Vec<_> = lb.default_pools.iter().map(|p| p.id.as_deref()).collect();
        assert_eq!(ids, [Some(US_ID), Some(EU_ID), Some(AP_ID)], "{name}");
        let monitors: Vec<_> = lb
            .default_pools
            .iter()
            .map(|p| p.monitor.as_ref().and_then(|m| m.id.as_deref()))
            .collect();
        assert_eq!(monitors, [Some(MONITOR_ID); 3], "{name}");
    }
    let plan = read("plan", PLAN_REFS, None);
    assert!(plan.default_pools.iter().all(|p| p.id.is_none()));
    // The monitor came through the configuration's reference, not an id.
    assert!(
        plan.default_pools
            .iter()
            .all(|p| p.monitor == Some(healthz(None)))
    );
    assert_eq!(plan.unresolved, Vec::<String>::new());
}

#[test]
fn the_zone_name_comes_from_a_zone_resource_or_data_source() {
    assert_eq!(
        read("v5", SHOW_V5, None).zone_name.as_deref(),
        Some("openclaw.com")
    );
    assert_eq!(
        read("state", STATE_V4, None).zone_name.as_deref(),
        Some("openclaw.com")
    );
    assert_eq!(read("plan", PLAN_REFS, None).zone_name, None);
}

#[test]
fn the_fixtures_describe_the_seed_fleet() {
    let fleet = crate::manifest::load::seed_fleet();
    let pools: Vec<String> = fleet.regions.iter().map(|r| r.pool.clone()).collect();
    for (name, text) in FIXTURES {
        let lb = read(name, text, None);
        let names: Vec<String> = lb.default_pools.iter().map(|p| p.name.clone()).collect();
        assert_eq!(names, pools, "{name}");
        assert_eq!(lb.hostname, fleet.cloudflare.load_balancer, "{name}");
        assert_eq!(
            lb.account_id.as_deref(),
            Some(fleet.cloudflare.account_id.as_str()),
            "{name}"
        );
        assert_eq!(
            lb.zone_id.as_deref(),
            Some(fleet.cloudflare.zone_id.as_str()),
            "{name}"
        );
    }
}

/// The v4 fixture with its load balancer's attributes swapped for v5's
/// names (and back) still reads: neither name set is tied to a layout.
#[test]
fn v4_and_v5_attribute_names_are_each_read() {
    let mut v4 = doc(SHOW_V4);
    let lb = &mut v4["values"]["root_module"]["resources"][0]["values"];
    let lb = lb.as_object_mut().expect("object");
    assert!(lb.contains_key("default_pool_ids") && !lb.contains_key("default_pools"));
    let ids = lb.remove("default_pool_ids").expect("ids");
    let fallback = lb.remove("fallback_pool_id").expect("fallback");
    lb.insert("default_pools".to_owned(), ids);
    lb.insert("fallback_pool".to_owned(), fallback);
    let renamed = read("renamed", &v4.to_string(), None);
    assert_eq!(renamed, seed_applied());

    // A v5 origin's header object; a v4 header block, any case.
    let mut v5 = doc(SHOW_V5);
    let resources = &v5["values"]["root_module"]["resources"];
    assert!(resources[4]["values"]["origins"][0]["header"].is_object());
    v5["values"]["root_module"]["resources"][4]["values"]["origins"][0]["header"] =
        json!([{ "header": "host", "values": ["other.example"] }]);
    let lb = read("v5", &v5.to_string(), None);
    assert_eq!(
        lb.default_pools[0].origins[0].host_header.as_deref(),
        Some("other.example")
    );
}

fn with_region_pools(region_pools: Value, pop_pools: Value) -> LbSource {
    let mut d = doc(SHOW_V4);
    let lb = &mut d["values"]["root_module"]["resources"][0]["values"];
    lb["region_pools"] = region_pools;
    lb["pop_pools"] = pop_pools;
    read("region pools", &d.to_string(), None)
}

#[test]
fn region_and_pop_pools_read_as_v4_blocks_and_as_v5_maps() {
    let v4 = with_region_pools(
        json!([
            { "region": "WNAM", "pool_ids": [US_ID, EU_ID] },
            { "region": "EEU", "pool_ids": [EU_ID] },
        ]),
        json!([{ "pop": "SYD", "pool_ids": [AP_ID] }]),
    );
    let v5 = with_region_pools(
        json!({ "WNAM": [US_ID, EU_ID], "EEU": [EU_ID] }),
        json!({ "SYD": [AP_ID] }),
    );
    for lb in [&v4, &v5] {
        assert_eq!(
            lb.region_pools.get("WNAM"),
            Some(&vec![
                "openclaw-us-east-1".to_owned(),
                "openclaw-eu-central-1".to_owned()
            ])
        );
        assert_eq!(
            lb.region_pools.get("EEU"),
            Some(&vec!["openclaw-eu-central-1".to_owned()])
        );
        assert_eq!(
            lb.pop_pools.get("SYD"),
            Some(&vec!["openclaw-ap-southeast-2".to_owned()])
        );
        assert!(lb.unresolved.is_empty());
    }
}

/// The state with a second load balancer for staging.
fn two_lb_state() -> String {
    let mut d = doc(STATE_V4);
    let resources = d["resources"].as_array_mut().expect("resources");
    let mut staging = resources[0].clone();
    staging["name"] = json!("staging_lb");
    let attributes = &mut staging["instances"][0]["attributes"];
    attributes["name"] = json!("staging.openclaw.com");
    attributes["default_pool_ids"] = json!([AP_ID]);
    attributes["fallback_pool_id"] = json!(AP_ID);
    resources.push(staging);
    d.to_string()
}

#[test]
fn several_load_balancers_need_the_hostname() {
    let state = two_lb_state();
    assert_eq!(
        parse(&state, None),
        Err(TerraformError::Ambiguous {
            found: vec![
                "api.openclaw.com".to_owned(),
                "staging.openclaw.com".to_owned()
            ],
        })
    );
    assert_eq!(
        read("state", &state, Some("api.openclaw.com")),
        seed_applied()
    );
    let staging = read("state", &state, Some("staging.openclaw.com"));
    let names: Vec<&str> = staging
        .default_pools
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["openclaw-ap-southeast-2"]);
    assert_eq!(
        staging.fallback_pool.as_deref(),
        Some("openclaw-ap-southeast-2")
    );

    let err = parse(&state, Some("www.openclaw.com")).expect_err("no such LB");
    assert_eq!(
        err,
        TerraformError::NoSuchHostname {
            wanted: "www.openclaw.com".to_owned(),
            found: vec![
                "api.openclaw.com".to_owned(),
                "staging.openclaw.com".to_owned()
            ],
        }
    );
    assert_eq!(
        err.to_string(),
        "no cloudflare_load_balancer named www.openclaw.com in the Terraform file; it has api.openclaw.com, staging.openclaw.com"
    );
}

#[test]
fn two_load_balancers_with_one_hostname_are_not_guessed_between() {
    let mut d = doc(SHOW_V4);
    let resources = d["values"]["root_module"]["resources"]
        .as_array_mut()
        .expect("resources");
    let mut twin = resources[0].clone();
    twin["address"] = json!("cloudflare_load_balancer.twin");
    twin["name"] = json!("twin");
    resources.push(twin);
    assert_eq!(
        parse(&d.to_string(), Some("api.openclaw.com")),
        Err(TerraformError::DuplicateHostname {
            hostname: "api.openclaw.com".to_owned(),
            addresses: vec![
                "cloudflare_load_balancer.openclaw_lb".to_owned(),
                "cloudflare_load_balancer.twin".to_owned(),
            ],
        })
    );
}

#[test]
fn bad_input_is_a_clean_error() {
    let cases: [(&str, TerraformError); 6] = [
        (
            "{\n  \"format_version\": \"1.0\",\n  oops\n}",
            TerraformError::Json {
                message: "key must be a string".to_owned(),
                line: 3,
                column: 3,
            },
        ),
        ("[1, 2]", TerraformError::NotTerraform),
        (r#"{"hello": "world"}"#, TerraformError::NotTerraform),
        (
            r#"{"version": 3, "modules": []}"#,
            TerraformError::StateVersion(3),
        ),
        (
            r#"{"format_version": "2.0", "values": {}}"#,
            TerraformError::FormatVersion("2.0".to_owned()),
        ),
        // An empty state shown as JSON has no values at all.
        (
            r#"{"format_version": "1.0"}"#,
            TerraformError::NoLoadBalancer,
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(text, None), Err(expected), "{text}");
    }
    assert!(matches!(parse("", None), Err(TerraformError::Json { .. })));
    assert_eq!(
        parse(r#"{"version": 5, "resources": []}"#, None),
        Err(TerraformError::StateVersion(5))
    );
}

#[test]
fn odd_types_are_skipped_and_what_they_leave_missing_is_unresolved() {
    let mut d = doc(STATE_V4);
    let resources = &mut d["resources"];
    // The eu pool (index 3) loses its name; ap's origins are not a list; the
    // us origin's header is a number.
    resources[3]["instances"][0]["attributes"]["name"] = json!(42);
    resources[2]["instances"][0]["attributes"]["origins"] = json!("203.0.113.99");
    resources[4]["instances"][0]["attributes"]["origins"][0]["header"] = json!(7);
    let lb = read("odd", &d.to_string(), None);
    let names: Vec<&str> = lb.default_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["openclaw-us-east-1", "openclaw-ap-southeast-2"]);
    assert_eq!(lb.default_pools[1].origins, []);
    assert_eq!(lb.default_pools[0].origins[0].host_header, None);
    assert_eq!(lb.fallback_pool, None);
    assert_eq!(lb.unresolved, [EU_ID]);

    // A load balancer whose name is not a string is no load balancer.
    let mut d = doc(STATE_V4);
    d["resources"][0]["instances"][0]["attributes"]["name"] = json!(["api.openclaw.com"]);
    assert_eq!(
        parse(&d.to_string(), None),
        Err(TerraformError::NoLoadBalancer)
    );
}

/// Every node of the fixtures replaced, one at a time, by every JSON type:
/// parse answers (Ok or Err) and never panics.
#[test]
fn no_single_wrong_value_makes_it_panic() {
    fn paths(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                paths(v, p, out);
            }),
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                paths(v, p, out);
            }),
            _ => {}
        }
    }
    let replacements = [
        json!(null),
        json!(-1.5),
        json!("x"),
        json!([1, null]),
        json!({}),
    ];
    for (name, text) in [("plan", PLAN_REFS), ("state", STATE_V4), ("v5", SHOW_V5)] {
        let original = doc(text);
        let mut all = Vec::new();
        paths(&original, String::new(), &mut all);
        for path in &all {
            for replacement in &replacements {
                let mut d = original.clone();
                if let Some(slot) = d.pointer_mut(path) {
                    *slot = replacement.clone();
                }
                let _ = parse(&d.to_string(), None);
            }
        }
        assert!(all.len() > 200, "{name}: walked {} nodes", all.len());
    }
}

/// The plan with references that go nowhere: a variable and a pool
/// missing from the file.
#[test]
fn unresolved_references_are_reported_as_written() {
    let mut d = doc(PLAN_REFS);
    let lb = &mut d["configuration"]["root_module"]["resources"][0]["expressions"];
    lb["default_pool_ids"]["references"] = json!([
        "cloudflare_load_balancer_pool.us.id",
        "cloudflare_load_balancer_pool.us",
        "cloudflare_load_balancer_pool.sa.id",
        "cloudflare_load_balancer_pool.sa",
        "var.extra_pool_id",
        "cloudflare_load_balancer_pool.eu.id",
        "cloudflare_load_balancer_pool.eu",
    ]);
    lb["region_pools"] = json!({ "references": ["local.region_pools"] });
    let lb = read("plan", &d.to_string(), None);
    let names: Vec<&str> = lb.default_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["openclaw-us-east-1", "openclaw-eu-central-1"]);
    assert_eq!(
        lb.unresolved,
        [
            "var.extra_pool_id",
            "cloudflare_load_balancer_pool.sa",
            "region_pools: local.region_pools",
        ]
    );

    // An applied state whose load balancer names a pool id not in the file.
    let mut d = doc(STATE_V4);
    d["resources"][0]["instances"][0]["attributes"]["default_pool_ids"] =
        json!([US_ID, "00000000000000000000000000000000", EU_ID, AP_ID]);
    let lb = read("state", &d.to_string(), None);
    assert_eq!(lb.default_pools.len(), 3);
    assert_eq!(lb.unresolved, ["00000000000000000000000000000000"]);
}

/// Pools made with `for_each`, referenced by key, in a module called with
/// `count`: references are module-relative and keyed, and the configuration
/// names the module without its key.
#[test]
fn keyed_pools_in_a_module_resolve_through_configuration_references() {
    let pool = |key: &str, name: &str| {
        json!({
            "address": format!("module.lb[0].cloudflare_load_balancer_pool.pools[\"{key}\"]"),
            "mode": "managed", "type": "cloudflare_load_balancer_pool", "name": "pools",
            "index": key,
            "values": { "name": name, "origins": [{ "name": key, "address": format!("{key}.example") }] },
        })
    };
    let text = json!({
        "format_version": "1.2",
        "planned_values": { "root_module": { "child_modules": [{
            "address": "module.lb[0]",
            "resources": [
                {
                    "address": "module.lb[0].cloudflare_load_balancer.this", "mode": "managed",
                    "type": "cloudflare_load_balancer", "name": "this",
                    "values": { "name": "api.example.com", "steering_policy": "geo" },
                },
                pool("b", "pool-b"),
                pool("a", "pool-a"),
            ],
        }]}},
        "configuration": { "root_module": { "module_calls": { "lb": { "module": { "resources": [{
            "address": "cloudflare_load_balancer.this", "mode": "managed",
            "type": "cloudflare_load_balancer", "name": "this",
            "expressions": {
                "default_pools": { "references": [
                    "cloudflare_load_balancer_pool.pools[\"a\"].id",
                    "cloudflare_load_balancer_pool.pools[\"a\"]",
                    "cloudflare_load_balancer_pool.pools",
                    "cloudflare_load_balancer_pool.pools[\"b\"].id",
                    "cloudflare_load_balancer_pool.pools[\"b\"]",
                ]},
                "fallback_pool": { "references": [
                    "cloudflare_load_balancer_pool.pools[\"b\"].id",
                    "cloudflare_load_balancer_pool.pools[\"b\"]",
                    "cloudflare_load_balancer_pool.pools",
                ]},
                "region_pools": [],
            },
        }]}}}}},
    })
    .to_string();
    let lb = read("module", &text, Some("api.example.com"));
    let names: Vec<&str> = lb.default_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["pool-a", "pool-b"]);
    assert_eq!(lb.fallback_pool.as_deref(), Some("pool-b"));
    assert_eq!(lb.default_pools[0].origins[0].address, "a.example");
    assert_eq!(lb.default_pools[0].monitor, None);
    assert!(lb.unresolved.is_empty(), "{:?}", lb.unresolved);
    assert_eq!(lb.steering_policy.as_deref(), Some("geo"));
}

#[test]
fn references_keep_the_longest_traversal_once_in_order() {
    assert_eq!(
        distinct_references(&[
            "cloudflare_load_balancer_pool.us.id",
            "cloudflare_load_balancer_pool.us",
            "cloudflare_load_balancer_pool.usa.id",
            "cloudflare_load_balancer_pool.usa",
            "var.x",
            "cloudflare_load_balancer_pool.us.id",
        ]),
        [
            "cloudflare_load_balancer_pool.us.id",
            "cloudflare_load_balancer_pool.usa.id",
            "var.x",
        ]
    );
    assert_eq!(
        pool_address("cloudflare_load_balancer_pool.us.id"),
        Some("cloudflare_load_balancer_pool.us")
    );
    assert_eq!(
        pool_address("cloudflare_load_balancer_pool.p[\"us\"].name"),
        Some("cloudflare_load_balancer_pool.p[\"us\"]")
    );
    assert_eq!(pool_address("cloudflare_load_balancer_pool"), None);
    assert_eq!(pool_address("cloudflare_load_balancer_pool."), None);
    assert_eq!(pool_address("cloudflare_load_balancer_pool_x.us.id"), None);
    assert_eq!(pool_address("module.pools.us_id"), None);
    assert_eq!(
        without_keys(r#"module.a["x]"].module.b[0]"#),
        "module.a.module.b"
    );
    assert_eq!(without_keys("module.a"), "module.a");
}
