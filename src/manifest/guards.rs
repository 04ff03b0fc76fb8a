//! Decoding what drills and rollouts ask Prometheus (docs/prometheus.md):
//! the `prometheus` section, guards, blocking alerts and expected alerts.
//! Their PromQL is checked in `promql.rs`; the rules that relate them to
//! the rest of the fleet (unique names, a `prometheus` section to ask) are
//! in `validate.rs` and `decode.rs`.

use std::time::Duration;

use super::diag::Diagnostic;
use super::fields::{
    Decoder, MapReader, SecretExample, bounded, choice, decode_secret, is_dns_label, nonzero,
};
use super::node::Node;
use super::promql::{self, Scope};
use super::schema::*;
use crate::durations;

const PROMETHEUS_KEYS: &[&str] = &[
    "url",
    "alertmanagerUrl",
    "bearerToken",
    "basicAuth",
    "timeout",
    "regionDownFor",
];

/// `prometheus`.
pub(crate) fn decode_prometheus(d: &mut Decoder, node: &Node) -> Option<Prometheus> {
    let mut m = d.map(node, "prometheus")?;
    let mut p = Prometheus {
        url: String::new(),
        alertmanager_url: None,
        bearer_token: None,
        basic_auth: None,
        timeout: Duration::from_secs(5),
        region_down_for: None,
    };
    // `/api/v1/...` is appended, so a trailing slash would double.
    if let Some(n) = m.require(d, "url") {
        p.url = d
            .url(n, "prometheus.url")
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_default();
    }
    if let Some(n) = m.take("alertmanagerUrl") {
        p.alertmanager_url = d
            .url(n, "prometheus.alertmanagerUrl")
            .map(|u| u.trim_end_matches('/').to_owned());
    }
    if let Some(n) = m.take("bearerToken") {
        let example = SecretExample {
            key: "bearerToken",
            env: "PROMETHEUS_TOKEN",
            what: "token",
        };
        p.bearer_token = Some(decode_secret(d, n, "prometheus.bearerToken", example));
    }
    if let Some(key) = m.key_pos("basicAuth")
        && let Some(n) = m.take("basicAuth")
    {
        p.basic_auth = decode_basic_auth(d, n);
        if p.bearer_token.is_some() {
            d.err(
                Diagnostic::new(
                    key,
                    "prometheus.basicAuth",
                    "`bearerToken` and `basicAuth` are both set",
                )
                .hint("a request carries one kind of credentials; keep one of them"),
            );
        }
    }
    if let Some(n) = m.take("timeout")
        && let Some(v) = nonzero(d, n, "prometheus.timeout", durations::REQUEST_TIMEOUT)
    {
        p.timeout = v;
    }
    if let Some(n) = m.take("regionDownFor") {
        p.region_down_for = bounded(d, n, "prometheus.regionDownFor", durations::DEADLINE);
    }
    d.finish(m, PROMETHEUS_KEYS);
    Some(p)
}

fn decode_basic_auth(d: &mut Decoder, node: &Node) -> Option<BasicAuth> {
    let path = "prometheus.basicAuth";
    let mut m = d.map(node, path)?;
    let mut out = BasicAuth {
        username: String::new(),
        password: SecretRef {
            from_env: String::new(),
        },
    };
    if let Some(n) = m.require(d, "username") {
        out.username = d.string(n, &m.at("username")).unwrap_or_default();
    }
    if let Some(n) = m.require(d, "password") {
        let example = SecretExample {
            key: "password",
            env: "PROMETHEUS_PASSWORD",
            what: "password",
        };
        out.password = decode_secret(d, n, &m.at("password"), example);
    }
    d.finish(m, &["username", "password"]);
    Some(out)
}

/// The Prometheus keys of `drill`: `guards`, `blockingAlerts`, `expectAlerts`.
pub(crate) fn decode_drill_guards(d: &mut Decoder, m: &mut MapReader<'_>, out: &mut Drill) {
    note_uses(d, m, &["guards", "blockingAlerts", "expectAlerts"]);
    if let Some(n) = m.take("guards") {
        out.guards = decode_guards(d, n, "drill.guards", Scope::Drill, false);
    }
    if let Some(n) = m.take("blockingAlerts") {
        out.blocking_alerts = decode_matchers(d, n, "drill.blockingAlerts", Scope::Drill);
    }
    if let Some(n) = m.take("expectAlerts") {
        out.expect_alerts = decode_expect_alerts(d, n);
    }
}

/// The Prometheus keys of `rollout`: `guards`, `blockingAlerts`, `analysis`.
pub(crate) fn decode_rollout_guards(d: &mut Decoder, m: &mut MapReader<'_>, out: &mut Rollout) {
    note_uses(d, m, &["guards", "blockingAlerts", "analysis"]);
    if let Some(n) = m.take("guards") {
        out.guards = decode_guards(d, n, "rollout.guards", Scope::Rollout, false);
    }
    if let Some(n) = m.take("blockingAlerts") {
        out.blocking_alerts = decode_matchers(d, n, "rollout.blockingAlerts", Scope::Rollout);
    }
    if let Some(n) = m.take("analysis") {
        out.analysis = decode_guards(d, n, "rollout.analysis", Scope::Rollout, true);
    }
}

/// Notes which of `keys` of `m` are there: they ask Prometheus something.
fn note_uses(d: &mut Decoder, m: &MapReader<'_>, keys: &[&str]) {
    for key in keys {
        if let Some(pos) = m.key_pos(key) {
            d.needs_prometheus.push((pos, m.at(key)));
        }
    }
}

/// The manifest has no `prometheus` section: an error at the first key
/// that needs one, if any does.
pub(crate) fn no_prometheus(d: &mut Decoder) {
    if let Some((pos, path)) = d.needs_prometheus.iter().min().cloned() {
        d.err(
            Diagnostic::new(
                pos,
                path,
                "needs Prometheus, but there is no `prometheus` section",
            )
            .hint("add a `prometheus:` section with its `url` (see docs/prometheus.md)"),
        );
    }
}

/// `drill.guards`, `rollout.guards` and `rollout.analysis`; `analysis`
/// guards have no `when` (always `during`).
fn decode_guards(
    d: &mut Decoder,
    node: &Node,
    path: &str,
    scope: Scope,
    analysis: bool,
) -> Vec<Guard> {
    let Some(items) = d.list(node, path) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, g)| decode_guard(d, g, &format!("{path}[{i}]"), scope, analysis))
        .collect()
}

fn decode_guard(
    d: &mut Decoder,
    node: &Node,
    path: &str,
    scope: Scope,
    analysis: bool,
) -> Option<Guard> {
    let mut m = d.map(node, path)?;
    let mut g = Guard {
        name: String::new(),
        query: String::new(),
        op: CompareOp::Lt,
        value: 0.0,
        for_: Duration::ZERO,
        when: GuardWhen::During,
    };
    if let Some(n) = m.require(d, "name")
        && let Some(name) = d.string(n, &m.at("name"))
    {
        if !is_dns_label(&name) {
            d.err(
                Diagnostic::new(n.pos, m.at("name"), format!("`{name}` is not a valid guard name"))
                    .hint("use lowercase letters, digits and `-`, e.g. `receiver-errors`; `--override guard:<name>` names it"),
            );
        }
        g.name = name;
    }
    if let Some(n) = m.require(d, "query")
        && let Some(q) = d.string(n, &m.at("query"))
    {
        if let Some(diag) = promql::check_query(&d.source, n, &m.at("query"), &q, scope) {
            d.err(diag);
        }
        g.query = q;
    }
    if let Some(n) = m.require(d, "op") {
        let options: Vec<(&str, CompareOp)> =
            CompareOp::ALL.iter().map(|(o, s)| (*s, *o)).collect();
        g.op = choice(d, n, &m.at("op"), &options).unwrap_or(CompareOp::Lt);
    }
    if let Some(n) = m.require(d, "value") {
        // `.nan` and `.inf` never get here: the YAML reader refuses them,
        // located (a comparison with NaN never holds).
        g.value = d.number(n, &m.at("value")).unwrap_or(0.0);
    }
    if let Some(n) = m.take("for")
        && let Some(v) = bounded(d, n, &m.at("for"), durations::DEADLINE)
    {
        g.for_ = v;
    }
    if analysis {
        if let Some(key) = m.key_pos("when")
            && m.take("when").is_some()
        {
            d.err(
                Diagnostic::new(
                    key,
                    m.at("when"),
                    "analysis guards are always evaluated while verifying; `when` does not apply",
                )
                .hint("remove `when:`, or move the guard to `rollout.guards`"),
            );
        }
    } else if let Some(n) = m.require(d, "when") {
        g.when = choice(
            d,
            n,
            &m.at("when"),
            &[
                ("before", GuardWhen::Before),
                ("during", GuardWhen::During),
                ("after", GuardWhen::After),
            ],
        )
        .unwrap_or(GuardWhen::During);
    }
    let known: &[&str] = if analysis {
        &["name", "query", "op", "value", "for"]
    } else {
        &["name", "query", "op", "value", "for", "when"]
    };
    d.finish(m, known);
    Some(g)
}

/// A list of alert matchers (`blockingAlerts`, `expectAlerts.*`).
fn decode_matchers(d: &mut Decoder, node: &Node, path: &str, scope: Scope) -> Vec<AlertMatcher> {
    let Some(items) = d.list(node, path) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if let Some(text) = d.string(item, &p) {
            if let Some(diag) = promql::check_matcher(&d.source, item, &p, &text, scope) {
                d.err(diag);
            }
            out.push(AlertMatcher(text));
        }
    }
    out
}

/// `drill.expectAlerts`.
fn decode_expect_alerts(d: &mut Decoder, node: &Node) -> Option<ExpectAlerts> {
    let path = "drill.expectAlerts";
    let mut m = d.map(node, path)?;
    let mut out = ExpectAlerts::default();
    for (key, slot) in [
        ("pending", &mut out.pending),
        ("firing", &mut out.firing),
        ("silent", &mut out.silent),
    ] {
        if let Some(n) = m.take(key) {
            *slot = decode_matchers(d, n, &m.at(key), Scope::Drill);
        }
    }
    d.finish(m, &["pending", "firing", "silent"]);
    Some(out)
}

#[cfg(test)]
mod tests;
