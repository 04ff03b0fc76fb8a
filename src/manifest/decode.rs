//! Turns the located YAML tree into a [`Fleet`], collecting every problem.
//!
//! Each field is checked on its own (by the readers in `fields.rs`: type,
//! range, format, unknown keys); rules that relate fields to each other live
//! in `validate.rs`. Where a field is wrong, a placeholder keeps decoding going
//! so that later problems are still found; a fleet with any problem is never
//! handed out.

use std::time::Duration;

use super::diag::Diagnostic;
use super::fields::{
    Decoder, SecretExample, bounded, choice, decode_secret, is_dns_label, is_hex_id, nonzero,
};
use super::guards;
use super::node::{Node, Value};
use super::notify;
use super::practice;
use super::schema::*;
use crate::durations;

pub use super::fields::Spans;

const TOP_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "kubeconfig",
    "defaults",
    "cloudflare",
    "regions",
    "traffic",
    "rollout",
    "drill",
    "prometheus",
    "practice",
    "notify",
];
const DEFAULT_KEYS: &[&str] = &["namespace", "deployment", "service", "port"];
const REGION_KEYS: &[&str] = &[
    "name",
    "context",
    "namespace",
    "deployment",
    "service",
    "port",
    "pool",
    "probe",
];

/// Values a region inherits from `defaults`: `None` when the key is absent,
/// `Some(None)` when it is present but wrong (already reported, so regions
/// do not each report it missing again).
#[derive(Default)]
struct Defaults {
    namespace: Option<Option<String>>,
    deployment: Option<Option<String>>,
    service: Option<Option<String>>,
    port: Option<Option<u16>>,
}

/// Decodes a whole manifest tree; `source` is its text, for pointing
/// inside values.
pub fn decode(root: &Node, source: &str) -> (Fleet, Decoder) {
    let mut d = Decoder {
        source: source.to_owned(),
        ..Decoder::default()
    };
    let fleet = decode_fleet(&mut d, root);
    (fleet, d)
}

fn decode_fleet(d: &mut Decoder, root: &Node) -> Fleet {
    let mut fleet = Fleet {
        api_version: API_VERSION.to_owned(),
        kind: KIND.to_owned(),
        metadata: Metadata {
            name: String::new(),
        },
        kubeconfig: None,
        cloudflare: Cloudflare {
            account_id: String::new(),
            zone_id: String::new(),
            load_balancer: String::new(),
            api_token: SecretRef {
                from_env: String::new(),
            },
            api_url: DEFAULT_CLOUDFLARE_API_URL.to_owned(),
        },
        regions: Vec::new(),
        traffic: None,
        rollout: default_rollout(),
        drill: default_drill(),
        prometheus: None,
        practice: None,
        notify: Vec::new(),
    };
    let Some(mut m) = d.map(root, "") else {
        return fleet;
    };

    if let Some(n) = m.require(d, "apiVersion")
        && let Some(v) = d.string(n, "apiVersion")
        && v != API_VERSION
    {
        d.err(
            Diagnostic::new(n.pos, "apiVersion", format!("unsupported apiVersion `{v}`"))
                .hint(format!("this ocfail reads `apiVersion: {API_VERSION}`")),
        );
    }
    if let Some(n) = m.require(d, "kind")
        && let Some(v) = d.string(n, "kind")
        && v != KIND
    {
        d.err(
            Diagnostic::new(n.pos, "kind", format!("unsupported kind `{v}`"))
                .hint(format!("write `kind: {KIND}`")),
        );
    }
    if let Some(n) = m.require(d, "metadata")
        && let Some(mut meta) = d.map(n, "metadata")
    {
        if let Some(n) = meta.require(d, "name") {
            fleet.metadata.name = d.string(n, "metadata.name").unwrap_or_default();
        }
        d.finish(meta, &["name"]);
    }
    if let Some(n) = m.take("kubeconfig") {
        fleet.kubeconfig = d.string(n, "kubeconfig");
    }
    let defaults = m
        .take("defaults")
        .map(|n| decode_defaults(d, n))
        .unwrap_or_default();
    if let Some(n) = m.require(d, "cloudflare") {
        decode_cloudflare(d, n, &mut fleet.cloudflare);
    }
    if let Some(n) = m.require(d, "regions")
        && let Some(items) = d.list(n, "regions")
    {
        fleet.regions = items
            .iter()
            .enumerate()
            .map(|(i, r)| decode_region(d, r, i, &defaults))
            .collect();
    }
    if let Some(n) = m.take("traffic") {
        fleet.traffic = decode_traffic(d, n);
    }
    match m.take("rollout") {
        Some(n) => decode_rollout(d, n, &mut fleet.rollout),
        // Without explicit waves, roll out one region at a time in manifest order.
        None => fleet.rollout.waves = fleet.regions.iter().map(|r| vec![r.name.clone()]).collect(),
    }
    if let Some(n) = m.take("drill") {
        decode_drill(d, n, &mut fleet.drill);
    }
    match m.take("prometheus") {
        Some(n) => fleet.prometheus = guards::decode_prometheus(d, n),
        None => guards::no_prometheus(d),
    }
    if let Some(n) = m.take("practice") {
        fleet.practice = practice::decode_practice(d, n, &fleet.regions);
    }
    if let Some(n) = m.take("notify") {
        fleet.notify = notify::decode_notify(d, n);
    }
    d.finish(m, TOP_KEYS);
    fleet
}

fn decode_defaults(d: &mut Decoder, node: &Node) -> Defaults {
    let mut out = Defaults::default();
    let Some(mut m) = d.map(node, "defaults") else {
        return out;
    };
    if let Some(n) = m.take("namespace") {
        out.namespace = Some(d.string(n, "defaults.namespace"));
    }
    if let Some(n) = m.take("deployment") {
        out.deployment = Some(d.string(n, "defaults.deployment"));
    }
    if let Some(n) = m.take("service") {
        out.service = Some(d.string(n, "defaults.service"));
    }
    if let Some(n) = m.take("port") {
        out.port = Some(
            d.integer(n, "defaults.port", 1, 65535)
                .and_then(|p| u16::try_from(p).ok()),
        );
    }
    d.finish(m, DEFAULT_KEYS);
    out
}

fn decode_cloudflare(d: &mut Decoder, node: &Node, cf: &mut Cloudflare) {
    let Some(mut m) = d.map(node, "cloudflare") else {
        return;
    };
    for (key, slot) in [
        ("accountId", &mut cf.account_id),
        ("zoneId", &mut cf.zone_id),
    ] {
        if let Some(n) = m.require(d, key)
            && let Some(v) = d.string(n, &m.at(key))
        {
            if is_hex_id(&v) {
                *slot = v;
            } else {
                d.err(
                    Diagnostic::new(n.pos, m.at(key), format!("`{v}` is not a Cloudflare id"))
                        .hint("Cloudflare account and zone ids are 32 hexadecimal characters (dashboard → Overview → API)"),
                );
            }
        }
    }
    if let Some(n) = m.require(d, "loadBalancer") {
        cf.load_balancer = d.string(n, "cloudflare.loadBalancer").unwrap_or_default();
    }
    if let Some(n) = m.require(d, "apiToken") {
        let example = SecretExample {
            key: "apiToken",
            env: "CLOUDFLARE_API_TOKEN",
            what: "token",
        };
        cf.api_token = decode_secret(d, n, "cloudflare.apiToken", example);
    }
    if let Some(n) = m.take("apiUrl")
        && let Some(url) = d.url(n, "cloudflare.apiUrl")
    {
        cf.api_url = url.trim_end_matches('/').to_owned();
    }
    d.finish(
        m,
        &["accountId", "zoneId", "loadBalancer", "apiToken", "apiUrl"],
    );
}

fn decode_region(d: &mut Decoder, node: &Node, index: usize, defaults: &Defaults) -> Region {
    let path = format!("regions[{index}]");
    let mut r = Region {
        name: RegionName(String::new()),
        context: String::new(),
        namespace: String::new(),
        deployment: String::new(),
        service: String::new(),
        port: 0,
        pool: String::new(),
        probe: None,
    };
    let Some(mut m) = d.map(node, &path) else {
        return r;
    };
    if let Some(n) = m.require(d, "name")
        && let Some(name) = d.string(n, &m.at("name"))
    {
        if !is_dns_label(&name) {
            d.err(
                Diagnostic::new(
                    n.pos,
                    m.at("name"),
                    format!("`{name}` is not a valid region name"),
                )
                .hint("use lowercase letters, digits and `-`, e.g. `us-east-1`"),
            );
        }
        r.name = RegionName(name);
    }
    if let Some(n) = m.require(d, "context") {
        r.context = d.string(n, &m.at("context")).unwrap_or_default();
    }
    if let Some(n) = m.require(d, "pool") {
        r.pool = d.string(n, &m.at("pool")).unwrap_or_default();
    }
    if let Some(n) = m.take("probe") {
        r.probe = d.url(n, &m.at("probe"));
    }
    let inherited = [
        ("namespace", &mut r.namespace, &defaults.namespace),
        ("deployment", &mut r.deployment, &defaults.deployment),
        ("service", &mut r.service, &defaults.service),
    ];
    for (key, slot, default) in inherited {
        match m.take(key) {
            Some(n) => *slot = d.string(n, &m.at(key)).unwrap_or_default(),
            None => match default {
                Some(v) => *slot = v.clone().unwrap_or_default(),
                None => d.err(missing_inherited(node, &m.at(key), key)),
            },
        }
    }
    match m.take("port") {
        Some(n) => {
            r.port = d
                .integer(n, &m.at("port"), 1, 65535)
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(0)
        }
        None => match defaults.port {
            Some(p) => r.port = p.unwrap_or(0),
            None => d.err(missing_inherited(node, &m.at("port"), "port")),
        },
    }
    d.finish(m, REGION_KEYS);
    r
}

fn missing_inherited(node: &Node, path: &str, key: &str) -> Diagnostic {
    Diagnostic::new(node.pos, path, format!("missing `{key}`"))
        .hint(format!("set `{key}` on the region or under `defaults`"))
}

fn decode_traffic(d: &mut Decoder, node: &Node) -> Option<Traffic> {
    let mut m = d.map(node, "traffic")?;
    let mut t = Traffic {
        url: String::new(),
        rps: 5.0,
        timeout: Duration::from_secs(2),
        region_header: None,
    };
    if let Some(n) = m.require(d, "url") {
        t.url = d.url(n, "traffic.url").unwrap_or_default();
    }
    if let Some(n) = m.take("rps")
        && let Some(rps) = d.number(n, "traffic.rps")
    {
        if rps > 0.0 && rps <= 1000.0 {
            t.rps = rps;
        } else {
            d.err(Diagnostic::new(
                n.pos,
                "traffic.rps",
                format!("{rps} is outside 0 (exclusive)..=1000"),
            ));
        }
    }
    if let Some(n) = m.take("timeout")
        && let Some(v) = nonzero(d, n, "traffic.timeout", durations::REQUEST_TIMEOUT)
    {
        t.timeout = v;
    }
    if let Some(n) = m.take("regionHeader") {
        t.region_header = d
            .string(n, "traffic.regionHeader")
            .map(|h| h.to_ascii_lowercase());
    }
    d.finish(m, &["url", "rps", "timeout", "regionHeader"]);
    Some(t)
}

fn default_rollout() -> Rollout {
    Rollout {
        waves: Vec::new(),
        ready_timeout: Duration::from_secs(300),
        smoke: Vec::new(),
        verify_for: Duration::from_secs(30),
        max_error_rate: Percent(0.01),
        on_failure: OnFailure::RollbackAll,
        guards: Vec::new(),
        blocking_alerts: Vec::new(),
        analysis: Vec::new(),
    }
}

fn default_drill() -> Drill {
    Drill {
        hold: Duration::from_secs(60),
        failover_timeout: Timeout::Auto,
        recover_timeout: Timeout::Auto,
        min_healthy_pools: 1,
        max_error_rate: Percent(0.05),
        max_outage: Timeout::Auto,
        max_recovery_error_rate: None,
        method: DrillMethod::ScaleToZero,
        guards: Vec::new(),
        blocking_alerts: Vec::new(),
        expect_alerts: None,
    }
}

fn decode_rollout(d: &mut Decoder, node: &Node, out: &mut Rollout) {
    let Some(mut m) = d.map(node, "rollout") else {
        return;
    };
    if let Some(n) = m.take("waves")
        && let Some(waves) = d.list(n, "rollout.waves")
    {
        for (i, wave) in waves.iter().enumerate() {
            let wpath = format!("rollout.waves[{i}]");
            let Some(items) = d.list(wave, &wpath) else {
                continue;
            };
            let names = items
                .iter()
                .enumerate()
                .filter_map(|(j, item)| d.string(item, &format!("{wpath}[{j}]")).map(RegionName))
                .collect();
            out.waves.push(names);
        }
    }
    if let Some(n) = m.take("readyTimeout")
        && let Some(v) = nonzero(d, n, "rollout.readyTimeout", durations::DEADLINE)
    {
        out.ready_timeout = v;
    }
    if let Some(n) = m.take("smoke")
        && let Some(items) = d.list(n, "rollout.smoke")
    {
        out.smoke = items
            .iter()
            .enumerate()
            .filter_map(|(i, s)| decode_smoke(d, s, i))
            .collect();
    }
    if let Some(n) = m.take("verifyFor")
        && let Some(v) = bounded(d, n, "rollout.verifyFor", durations::DEADLINE)
    {
        out.verify_for = v;
    }
    if let Some(n) = m.take("maxErrorRate")
        && let Some(v) = d.percent(n, "rollout.maxErrorRate")
    {
        out.max_error_rate = v;
    }
    if let Some(n) = m.take("onFailure") {
        out.on_failure = choice(
            d,
            n,
            "rollout.onFailure",
            &[
                ("rollback-all", OnFailure::RollbackAll),
                ("halt", OnFailure::Halt),
            ],
        )
        .unwrap_or(OnFailure::RollbackAll);
    }
    guards::decode_rollout_guards(d, &mut m, out);
    d.finish(
        m,
        &[
            "waves",
            "readyTimeout",
            "smoke",
            "verifyFor",
            "maxErrorRate",
            "onFailure",
            "guards",
            "blockingAlerts",
            "analysis",
        ],
    );
}

fn decode_smoke(d: &mut Decoder, node: &Node, index: usize) -> Option<SmokeCheck> {
    let path = format!("rollout.smoke[{index}]");
    let mut m = d.map(node, &path)?;
    let mut s = SmokeCheck {
        name: String::new(),
        method: HttpMethod::Get,
        path: String::new(),
        body: None,
        expect_status: vec![200],
        expect_body: None,
    };
    if let Some(n) = m.require(d, "name") {
        s.name = d.string(n, &m.at("name")).unwrap_or_default();
    }
    if let Some(n) = m.take("method") {
        let upper = match &n.value {
            Value::Str(v) => Node {
                pos: n.pos,
                value: Value::Str(v.to_ascii_uppercase()),
            },
            _ => n.clone(),
        };
        let options: Vec<(&str, HttpMethod)> =
            HttpMethod::ALL.iter().map(|(m, s)| (*s, *m)).collect();
        s.method = choice(d, &upper, &m.at("method"), &options).unwrap_or(HttpMethod::Get);
    }
    if let Some(n) = m.require(d, "path")
        && let Some(p) = d.string(n, &m.at("path"))
    {
        if !p.starts_with('/') {
            d.err(
                Diagnostic::new(n.pos, m.at("path"), format!("`{p}` must start with `/`"))
                    .hint(format!("write `/{p}`")),
            );
        }
        s.path = p;
    }
    if let Some(n) = m.take("body") {
        s.body = d.string(n, &m.at("body"));
    }
    if let Some(n) = m.take("expectStatus") {
        let p = m.at("expectStatus");
        if let Some(items) = d.list(n, &p) {
            if items.is_empty() {
                d.err(Diagnostic::new(
                    n.pos,
                    p.clone(),
                    "must list at least one status code",
                ));
            }
            s.expect_status = items
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    d.integer(c, &format!("{p}[{i}]"), 100, 599)
                        .and_then(|c| u16::try_from(c).ok())
                })
                .collect();
        }
    }
    if let Some(n) = m.take("expectBody") {
        s.expect_body = d.string(n, &m.at("expectBody"));
    }
    d.finish(
        m,
        &[
            "name",
            "method",
            "path",
            "body",
            "expectStatus",
            "expectBody",
        ],
    );
    Some(s)
}

fn decode_drill(d: &mut Decoder, node: &Node, out: &mut Drill) {
    let Some(mut m) = d.map(node, "drill") else {
        return;
    };
    if let Some(n) = m.take("hold")
        && let Some(v) = bounded(d, n, "drill.hold", durations::HOLD)
    {
        out.hold = v;
    }
    for (key, slot) in [
        ("failoverTimeout", &mut out.failover_timeout),
        ("recoverTimeout", &mut out.recover_timeout),
        ("maxOutage", &mut out.max_outage),
    ] {
        if let Some(n) = m.take(key) {
            let p = m.at(key);
            if matches!(&n.value, Value::Str(s) if s == "auto") {
                d.mark(&p, n);
                *slot = Timeout::Auto;
            } else if let Some(v) = nonzero(d, n, &p, durations::DEADLINE) {
                *slot = Timeout::Fixed(v);
            }
        }
    }
    if let Some(n) = m.take("minHealthyPools") {
        out.min_healthy_pools = d
            .integer(n, "drill.minHealthyPools", 0, 1000)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(1);
    }
    if let Some(n) = m.take("maxErrorRate")
        && let Some(v) = d.percent(n, "drill.maxErrorRate")
    {
        out.max_error_rate = v;
    }
    if let Some(n) = m.take("maxRecoveryErrorRate")
        && let Some(v) = d.percent(n, "drill.maxRecoveryErrorRate")
    {
        out.max_recovery_error_rate = Some(v);
    }
    if let Some(n) = m.take("method") {
        out.method = choice(
            d,
            n,
            "drill.method",
            &[
                ("scale-to-zero", DrillMethod::ScaleToZero),
                ("disable-pool", DrillMethod::DisablePool),
            ],
        )
        .unwrap_or(DrillMethod::ScaleToZero);
    }
    guards::decode_drill_guards(d, &mut m, out);
    d.finish(
        m,
        &[
            "hold",
            "failoverTimeout",
            "recoverTimeout",
            "minHealthyPools",
            "maxErrorRate",
            "maxOutage",
            "maxRecoveryErrorRate",
            "method",
            "guards",
            "blockingAlerts",
            "expectAlerts",
        ],
    );
}
