//! The fleet manifest `ocfail init` writes (issue #18): complete, valid
//! wherever something matched, with a comment on every guessed value and a
//! `TODO` wherever nothing did. Pure and deterministic: the same [`Draft`]
//! gives the same bytes, so a re-run shows up in a diff only when the
//! fleet changed.

use crate::facts::init::{
    Confidence, Draft, DraftPool, DraftSource, How, Outcome, PoolRole, Target, Via, Workload,
};

/// What a value that could not be found is written as: searchable, and
/// refused by `validate` wherever the field has a shape (ids, ports).
const TODO: &str = "TODO";

/// Inline comments start at this column, so a block's comments line up.
const COMMENT_COLUMN: usize = 34;

/// Renders `d` as a complete, commented `fleet.yaml`.
pub fn fleet_yaml(d: &Draft) -> String {
    let regions = plan_regions(d);
    let defaults = Defaults::agreed(&regions);
    let mut out = Out::default();
    header(&mut out, d);
    out.line(0, "apiVersion: ocfail.dev/v1", None);
    out.line(0, "kind: Fleet", None);
    out.line(0, "metadata:", None);
    out.line(
        2,
        &format!("name: {}", scalar(&d.fleet_name)),
        Some(&format!(
            "guessed from the hostname {}; any name will do",
            d.hostname
        )),
    );
    if let Some(k) = &d.kubeconfig {
        out.line(
            0,
            &format!("kubeconfig: {}", scalar(k)),
            Some("the file init read the contexts from"),
        );
    }
    cloudflare(&mut out, d);
    defaults.write(&mut out);
    let steering = d
        .steering_policy
        .as_deref()
        .map_or_else(String::new, |s| format!(" (steering_policy: {s})"));
    out.comment(
        0,
        &format!(
            "One region per pool, in failover order{steering}, then the fallback and geo pools."
        ),
    );
    out.line(0, "regions:", None);
    for r in &regions {
        region(&mut out, r, &defaults);
    }
    traffic(&mut out, d);
    rollout(&mut out, d, &regions);
    drill(&mut out);
    out.text
}

fn header(out: &mut Out, d: &Draft) {
    let from = match &d.source {
        DraftSource::CloudflareApi { api_url: None } => "the Cloudflare API".to_owned(),
        DraftSource::CloudflareApi { api_url: Some(u) } => format!("the Cloudflare API at {u}"),
        DraftSource::Terraform { file } => format!("the Terraform file {file}"),
    };
    out.comment(0, &format!("Written by `ocfail init` from {from}"));
    out.comment(
        0,
        &format!(
            "(load balancer {}) and the kubeconfig's contexts.",
            d.hostname
        ),
    );
    out.comment(
        0,
        "Every value ocfail guessed has a comment saying how; search for TODO for what it",
    );
    out.comment(
        0,
        "could not find. Then: `ocfail validate --live`, `ocfail status`, `ocfail drill --dry-run`.",
    );
    out.comment(0, "Fields: docs/manifest.md.");
}

fn cloudflare(out: &mut Out, d: &Draft) {
    let from = match d.source {
        DraftSource::CloudflareApi { .. } => "from the Cloudflare API",
        DraftSource::Terraform { .. } => "from Terraform",
    };
    out.line(0, "cloudflare:", None);
    match &d.account_id {
        Some(id) => out.line(2, &format!("accountId: {}", scalar(id)), Some(from)),
        None => out.line(
            2,
            &format!("accountId: {TODO}"),
            Some("TODO: the account's id (32 hex characters) was not found"),
        ),
    }
    match (&d.zone_id, &d.zone_name) {
        (Some(id), _) => out.line(2, &format!("zoneId: {}", scalar(id)), Some(from)),
        (None, Some(name)) => out.line(
            2,
            &format!("zoneId: {TODO}"),
            Some(&format!("TODO: the id (32 hex characters) of zone {name}")),
        ),
        (None, None) => out.line(
            2,
            &format!("zoneId: {TODO}"),
            Some("TODO: the zone's id (32 hex characters) was not found"),
        ),
    }
    out.line(2, &format!("loadBalancer: {}", scalar(&d.hostname)), None);
    out.line(
        2,
        &format!("apiToken: {{ fromEnv: {} }}", scalar(&d.token_env)),
        Some("the variable's name, never the token"),
    );
    if let DraftSource::CloudflareApi { api_url: Some(u) } = &d.source {
        out.line(
            2,
            &format!("apiUrl: {}", scalar(u)),
            Some("the endpoint init read; drop it for Cloudflare's own"),
        );
    }
}

/// One region to write: a pool and what it matched.
struct RegionPlan<'a> {
    name: String,
    name_guessed_from_pool: bool,
    pool: &'a DraftPool,
}

impl RegionPlan<'_> {
    fn target(&self) -> Option<&Target> {
        match &self.pool.matched.outcome {
            Outcome::Matched(t) => Some(t),
            Outcome::Ambiguous { .. } | Outcome::Unmatched => None,
        }
    }
}

/// One region per pool, in the draft's order; names made valid and unique.
fn plan_regions(d: &Draft) -> Vec<RegionPlan<'_>> {
    let mut taken: Vec<String> = Vec::new();
    let mut plans = Vec::new();
    for pool in &d.pools {
        let (raw, from_pool) = match &pool.matched.region {
            Some(r) => (r.as_str(), false),
            None => (pool.matched.pool.as_str(), true),
        };
        let mut name = region_name(raw);
        if taken.contains(&name) {
            let base = region_name(&pool.matched.pool);
            name = base.clone();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}-{n}");
                n += 1;
            }
        }
        taken.push(name.clone());
        plans.push(RegionPlan {
            name,
            name_guessed_from_pool: from_pool,
            pool,
        });
    }
    plans
}

/// Lowercase letters, digits and `-`, as `regions[].name` requires.
fn region_name(raw: &str) -> String {
    let mut name = String::new();
    for c in raw.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "region".to_owned()
    } else {
        name.to_owned()
    }
}

/// The Deployment name a manifest takes from a workload: the colour pair's
/// base, or the single Deployment's name.
fn deployment_of(w: &Workload) -> Option<&str> {
    match w {
        Workload::BlueGreen { base, .. } => Some(base),
        Workload::Single { deployment } => Some(deployment),
        Workload::Several { .. } | Workload::NotFound => None,
    }
}

/// The values every matched region agrees on, which go under `defaults`.
#[derive(Default)]
struct Defaults {
    namespace: Option<String>,
    deployment: Option<String>,
    service: Option<String>,
    port: Option<u16>,
    single: bool,
}

impl Defaults {
    fn agreed(regions: &[RegionPlan<'_>]) -> Self {
        let targets: Vec<&Target> = regions.iter().filter_map(RegionPlan::target).collect();
        fn same<T: PartialEq + Clone>(values: Vec<Option<T>>) -> Option<T> {
            let first = values.first()?.clone()?;
            values
                .iter()
                .all(|v| v.as_ref() == Some(&first))
                .then_some(first)
        }
        Defaults {
            namespace: same(targets.iter().map(|t| Some(t.namespace.clone())).collect()),
            deployment: same(
                targets
                    .iter()
                    .map(|t| deployment_of(&t.workload).map(str::to_owned))
                    .collect(),
            ),
            service: same(targets.iter().map(|t| Some(t.service.clone())).collect()),
            port: same(targets.iter().map(|t| t.port).collect()),
            single: targets
                .iter()
                .any(|t| matches!(t.workload, Workload::Single { .. })),
        }
    }

    fn is_empty(&self) -> bool {
        self.namespace.is_none()
            && self.deployment.is_none()
            && self.service.is_none()
            && self.port.is_none()
    }

    fn write(&self, out: &mut Out) {
        if self.is_empty() {
            return;
        }
        out.line(
            0,
            "defaults:",
            Some("what every matched region agrees on; a region's own value wins"),
        );
        if let Some(ns) = &self.namespace {
            out.line(2, &format!("namespace: {}", scalar(ns)), None);
        }
        if let Some(dep) = &self.deployment {
            let why = if self.single {
                "not blue-green yet: run `ocfail init --blue-green-plan`".to_owned()
            } else {
                format!("colour pair: {dep}-blue / {dep}-green")
            };
            out.line(2, &format!("deployment: {}", scalar(dep)), Some(&why));
        }
        if let Some(svc) = &self.service {
            out.line(
                2,
                &format!("service: {}", scalar(svc)),
                Some("the live Service the pools' origins lead to"),
            );
        }
        if let Some(port) = self.port {
            out.line(2, &format!("port: {port}"), Some("the Service's port"));
        }
    }
}

fn role(r: PoolRole) -> String {
    match r {
        PoolRole::Default(0) => "the primary pool (default_pools[0])".to_owned(),
        PoolRole::Default(i) => format!("failover pool default_pools[{i}]"),
        PoolRole::Fallback => "the fallback pool".to_owned(),
        PoolRole::Geo => "a geo steering pool".to_owned(),
    }
}

fn origins(p: &DraftPool) -> String {
    if p.origins.is_empty() {
        "no origins known".to_owned()
    } else {
        format!("origins {}", p.origins.join(", "))
    }
}

fn confidence(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "confidence: high",
        Confidence::Medium => "confidence: medium; TODO: check it",
        Confidence::Low => "confidence: low, names only; TODO: check it",
    }
}

/// How a pool was matched to `t`, as one sentence.
fn how(pool: &str, t: &Target) -> String {
    let place = format!("in context {}, namespace {}", t.context, t.namespace);
    match &t.how {
        How::OriginAddress {
            address,
            via: Via::LoadBalancer,
        } => format!(
            "origin {address} is the LoadBalancer address of Service {} {place}",
            t.service
        ),
        How::OriginAddress {
            address,
            via: Via::Ingress { name },
        } => format!(
            "origin {address} is an address of Ingress {name} (to Service {}) {place}",
            t.service
        ),
        How::OriginAddress {
            address,
            via: Via::ExternalName,
        } => format!(
            "origin {address} is the external name of Service {} {place}",
            t.service
        ),
        How::Name { token } => format!(
            "pool {pool} and context {} (namespace {}) share the name {token}; Service {}",
            t.context, t.namespace, t.service
        ),
    }
}

fn workload(t: &Target) -> String {
    match &t.workload {
        Workload::BlueGreen { base, live } => match live {
            Some(c) => format!("Deployments {base}-blue / {base}-green, {c} live"),
            None => format!("Deployments {base}-blue / {base}-green"),
        },
        Workload::Single { deployment } => format!(
            "one Deployment, {deployment}: not blue-green yet: run `ocfail init --blue-green-plan`"
        ),
        Workload::Several { deployments } => format!(
            "TODO: several Deployments behind Service {}: {}; set the colour pair's base name",
            t.service,
            deployments.join(", ")
        ),
        Workload::NotFound => format!(
            "TODO: no Deployment's pods match Service {}'s selector; set the colour pair's base name",
            t.service
        ),
    }
}

fn region(out: &mut Out, r: &RegionPlan<'_>, defaults: &Defaults) {
    let p = r.pool;
    let pool = &p.matched.pool;
    out.comment(
        2,
        &format!("Pool {pool}: {}, {}.", role(p.role), origins(p)),
    );
    match &p.matched.outcome {
        Outcome::Matched(t) => {
            out.comment(
                2,
                &format!("Matched: {} ({}).", how(pool, t), confidence(t.confidence)),
            );
            out.comment(2, &format!("{}.", workload(t)));
        }
        Outcome::Ambiguous { candidates } => {
            let listed: Vec<String> = candidates
                .iter()
                .enumerate()
                .map(|(i, t)| format!("({}) {}/{}/{}", i + 1, t.context, t.namespace, t.service))
                .collect();
            out.comment(
                2,
                &format!(
                    "TODO: pool {pool} matches several: {}; keep one",
                    listed.join(" ")
                ),
            );
        }
        Outcome::Unmatched => out.comment(
            2,
            &format!(
                "TODO: no cluster matched pool {pool} ({}): set context, namespace, deployment and service",
                origins(p)
            ),
        ),
    }
    let name_note = if r.name_guessed_from_pool {
        format!("guessed from pool {pool}")
    } else {
        format!("the region in pool {pool}'s name")
    };
    out.line(2, &format!("- name: {}", scalar(&r.name)), Some(&name_note));
    match &p.matched.outcome {
        Outcome::Matched(t) => matched_fields(out, t, defaults),
        Outcome::Ambiguous { candidates } => {
            out.line(
                4,
                &format!("context: {TODO}"),
                Some("TODO: keep one candidate"),
            );
            if let Some(best) = candidates.first() {
                out.comment(4, "The best candidate, (1):");
                out.comment(4, &format!("context: {}", scalar(&best.context)));
                out.comment(4, &format!("namespace: {}", scalar(&best.namespace)));
                if let Some(dep) = deployment_of(&best.workload) {
                    out.comment(4, &format!("deployment: {}", scalar(dep)));
                }
                out.comment(4, &format!("service: {}", scalar(&best.service)));
                if let Some(port) = best.port {
                    out.comment(4, &format!("port: {port}"));
                }
            }
            todo_fields(out, defaults);
        }
        Outcome::Unmatched => {
            out.line(4, &format!("context: {TODO}"), None);
            todo_fields(out, defaults);
        }
    }
    out.line(4, &format!("pool: {}", scalar(pool)), None);
}

/// A matched region's fields, leaving out what `defaults` already says.
fn matched_fields(out: &mut Out, t: &Target, defaults: &Defaults) {
    out.line(4, &format!("context: {}", scalar(&t.context)), None);
    if defaults.namespace.is_none() {
        out.line(4, &format!("namespace: {}", scalar(&t.namespace)), None);
    }
    if defaults.deployment.is_none() {
        match deployment_of(&t.workload) {
            Some(dep) => out.line(4, &format!("deployment: {}", scalar(dep)), None),
            None => out.line(
                4,
                &format!("deployment: {TODO}"),
                Some("TODO: see the Deployments above"),
            ),
        }
    }
    if defaults.service.is_none() {
        out.line(4, &format!("service: {}", scalar(&t.service)), None);
    }
    if defaults.port.is_none() {
        match t.port {
            Some(port) => out.line(4, &format!("port: {port}"), None),
            None => out.line(
                4,
                &format!("port: {TODO}"),
                Some(&format!(
                    "TODO: Service {} has several ports; name the one to probe",
                    t.service
                )),
            ),
        }
    }
}

/// The fields of a region nothing (or too much) matched: each a `TODO`,
/// even where `defaults` has a value, since nothing says it applies here.
fn todo_fields(out: &mut Out, defaults: &Defaults) {
    for field in ["namespace", "deployment", "service"] {
        out.line(4, &format!("{field}: {TODO}"), None);
    }
    if defaults.port.is_some() {
        out.comment(4, "port: from defaults; TODO: check it applies here");
    } else {
        out.line(
            4,
            &format!("port: {TODO}"),
            Some("TODO: the Service's port"),
        );
    }
}

/// The first pool's monitor in failover order: its path, and its codes.
fn monitor(d: &Draft) -> (Option<&str>, Option<&str>) {
    d.pools
        .iter()
        .find(|p| p.monitor_path.is_some())
        .map(|p| (p.monitor_path.as_deref(), p.expected_codes.as_deref()))
        .unwrap_or((None, None))
}

fn traffic(out: &mut Out, d: &Draft) {
    let (path, _) = monitor(d);
    let (path, why) = match path {
        Some(p) => (
            absolute(p),
            "the load balancer's hostname and its monitor's path",
        ),
        None => (
            "/healthz".to_owned(),
            "TODO: no HTTP monitor found; a path that answers 200",
        ),
    };
    out.line(0, "traffic:", None);
    out.line(
        2,
        &format!("url: {}", scalar(&format!("https://{}{path}", d.hostname))),
        Some(why),
    );
    out.line(2, "rps: 5", None);
    out.line(2, "timeout: 2s", None);
    out.comment(
        2,
        "regionHeader: x-region    # a response header naming the serving region, if one is sent",
    );
}

fn absolute(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// The monitor's expected codes as a list of statuses, when they are plain
/// codes (`200`, `200 204`); Cloudflare's `2xx` is not one.
fn statuses(codes: &str) -> Option<Vec<u16>> {
    let list: Option<Vec<u16>> = codes
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u16>().ok().filter(|c| (100..=599).contains(c)))
        .collect();
    list.filter(|l| !l.is_empty())
}

fn rollout(out: &mut Out, d: &Draft, regions: &[RegionPlan<'_>]) {
    out.line(0, "rollout:", None);
    out.comment(
        2,
        "One region per wave in reverse failover order, the primary last: a bad release",
    );
    out.comment(
        2,
        "meets the least traffic first, and the primary gets only what the others proved.",
    );
    let waves: Vec<String> = regions
        .iter()
        .rev()
        .map(|r| format!("[{}]", scalar(&r.name)))
        .collect();
    out.line(2, &format!("waves: [{}]", waves.join(", ")), None);
    out.line(2, "readyTimeout: 5m", None);
    out.line(2, "smoke:", None);
    let (path, codes) = monitor(d);
    let path = path.map_or_else(|| "/healthz".to_owned(), absolute);
    let (list, why) = match codes.map(|c| (c, statuses(c))) {
        Some((_, Some(list))) => (list, "the monitor's path and expected codes".to_owned()),
        Some((c, None)) => (
            vec![200],
            format!("the monitor's path; it expects {c}, TODO: list the codes"),
        ),
        None => (vec![200], "the monitor's path".to_owned()),
    };
    let list: Vec<String> = list.iter().map(u16::to_string).collect();
    out.line(
        4,
        &format!(
            "- {{ name: healthz, path: {}, expectStatus: [{}] }}",
            scalar(&path),
            list.join(", ")
        ),
        Some(&why),
    );
    out.line(2, "verifyFor: 30s", None);
    out.line(2, "maxErrorRate: 1%", None);
    out.line(
        2,
        "onFailure: rollback-all",
        Some("a failed wave puts every promoted region back"),
    );
}

fn drill(out: &mut Out) {
    out.line(0, "drill:", None);
    out.line(2, "hold: 60s", None);
    out.line(
        2,
        "failoverTimeout: auto",
        Some("computed from the pool's monitor at run time"),
    );
    out.line(2, "recoverTimeout: auto", None);
    out.line(
        2,
        "minHealthyPools: 1",
        Some("a drill never leaves fewer healthy pools"),
    );
    out.line(2, "maxErrorRate: 5%", None);
    out.line(
        2,
        "method: scale-to-zero",
        Some("disable-pool needs write access to the pools"),
    );
}

/// The manifest's text, a line at a time.
#[derive(Default)]
struct Out {
    text: String,
}

impl Out {
    fn line(&mut self, indent: usize, code: &str, comment: Option<&str>) {
        let start = self.text.len();
        self.text.push_str(&" ".repeat(indent));
        self.text.push_str(code);
        if let Some(c) = comment {
            let width = self.text.len() - start;
            self.text
                .push_str(&" ".repeat(COMMENT_COLUMN.saturating_sub(width).max(2)));
            self.text.push_str("# ");
            self.text.push_str(&one_line(c));
        }
        self.text.push('\n');
    }

    fn comment(&mut self, indent: usize, text: &str) {
        self.text.push_str(&" ".repeat(indent));
        self.text.push_str("# ");
        self.text.push_str(&one_line(text));
        self.text.push('\n');
    }
}

/// A comment ends at the line's end: whatever the inputs hold, a newline in
/// one must not turn the rest into YAML.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `s` as a YAML scalar, valid in block and flow context alike: plain when
/// it reads back as the same string, quoted otherwise.
fn scalar(s: &str) -> String {
    if plain(s) {
        s.to_owned()
    } else if s.chars().any(char::is_control) {
        let mut q = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => q.push_str("\\\""),
                '\\' => q.push_str("\\\\"),
                '\n' => q.push_str("\\n"),
                '\t' => q.push_str("\\t"),
                c if c.is_control() => q.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => q.push(c),
            }
        }
        q.push('"');
        q
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let reserved = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
    ];
    (first.is_ascii_alphanumeric() || first == '/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/:-@".contains(c))
        && !s.ends_with(':')
        && !s.contains(": ")
        && !reserved.contains(&s.to_ascii_lowercase().as_str())
        && s.parse::<f64>().is_err()
        && !looks_numeric(s)
}

/// YAML 1.1 readers also take `0x1f`, `0o17`, `1_000` and `12:30` as
/// numbers; quoting those costs nothing.
fn looks_numeric(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("0x")
        || lower.starts_with("0o")
        || lower.starts_with("0b")
        || (s.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && s.chars()
                .all(|c| c.is_ascii_digit() || "._:+-e".contains(c)))
}

#[cfg(test)]
mod tests;
