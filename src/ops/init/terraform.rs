//! Terraform's view of the load balancer (issue #18): `terraform show -json`
//! output (state or plan) or a state file, read into [`LbSource`].
//!
//! Both versions of the Cloudflare provider are read, whichever attribute
//! names the file holds: v4 (`default_pool_ids`, `fallback_pool_id`,
//! `region_pools` as a list of blocks, origin `header` blocks) and v5
//! (`default_pools`, `fallback_pool`, `region_pools` as a map, origin
//! `header = { host = [...] }`). A plan of a configuration never applied has
//! no ids yet; its `configuration` section still says which pool each
//! attribute refers to, by Terraform address, and those references are
//! followed. Anything odd (a wrong type, a pool without a name) is skipped,
//! never a panic: what it leaves missing shows up as an unresolved
//! reference in [`LbSource::unresolved`].

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{LbSource, MonitorSource, OriginSource, PoolSource};

#[cfg(test)]
mod tests;

const LB: &str = "cloudflare_load_balancer";
const POOL: &str = "cloudflare_load_balancer_pool";
const MONITOR: &str = "cloudflare_load_balancer_monitor";
const ZONE: &str = "cloudflare_zone";

/// Why a Terraform file gave no load balancer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TerraformError {
    /// Not JSON at all.
    #[error("read the Terraform JSON: {message} at line {line}, column {column}")]
    Json {
        /// What the JSON parser said.
        message: String,
        /// Where, 1-based.
        line: usize,
        /// Where, 1-based.
        column: usize,
    },
    /// JSON, but neither `terraform show -json` output nor a state file.
    #[error(
        "read the Terraform JSON: it is neither `terraform show -json` output (no `format_version`) nor a state file (no `resources`)"
    )]
    NotTerraform,
    /// `terraform show -json` output of a format this does not read.
    #[error("read the Terraform JSON: format_version {0} is not supported (1.x is)")]
    FormatVersion(String),
    /// A state file of a version this does not read.
    #[error(
        "read the Terraform state: version {0} is not supported (4 is; `terraform show -json` reads older ones)"
    )]
    StateVersion(u64),
    /// No `cloudflare_load_balancer` resource at all.
    #[error("no cloudflare_load_balancer resource in the Terraform file")]
    NoLoadBalancer,
    /// A hostname was asked for and no load balancer has it.
    #[error("no cloudflare_load_balancer named {wanted} in the Terraform file; it has {}", found.join(", "))]
    NoSuchHostname {
        /// The hostname asked for.
        wanted: String,
        /// The load balancers' hostnames, sorted.
        found: Vec<String>,
    },
    /// Several load balancers and no hostname to choose by.
    #[error("the Terraform file has several load balancers ({}); name one by its hostname", found.join(", "))]
    Ambiguous {
        /// Their hostnames, sorted.
        found: Vec<String>,
    },
    /// Several load balancers share the hostname asked for (other zones or
    /// modules).
    #[error("several cloudflare_load_balancer resources are named {hostname}: {}", addresses.join(", "))]
    DuplicateHostname {
        /// The hostname.
        hostname: String,
        /// Their Terraform addresses, as in the file.
        addresses: Vec<String>,
    },
}

/// Reads the load balancer named `hostname` (or the only one) and its
/// pools, origins and monitors from `text`: `terraform show -json` output
/// of a state or a plan, or a state file (`terraform.tfstate`,
/// `terraform state pull`).
///
/// Pool references come from the attribute values when they hold ids; when
/// they do not (a plan never applied), from the `configuration` section's
/// references to `cloudflare_load_balancer_pool` addresses, in the order
/// Terraform lists them, which is source order. References to anything else
/// (`var.…`, `module.….…`) and ids with no pool in the file go to
/// [`LbSource::unresolved`] as written; for `region_pools`/`pop_pools` given
/// as a map expression, whose keys a plan does not show, each reference is
/// kept there prefixed with the attribute's name.
pub fn parse(text: &str, hostname: Option<&str>) -> Result<LbSource, TerraformError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| TerraformError::Json {
        message: json_message(&e),
        line: e.line(),
        column: e.column(),
    })?;
    let inventory = Inventory::read(&doc)?;
    let lb = inventory.pick(hostname)?;
    Ok(inventory.resolve(lb))
}

/// serde_json's message without its own " at line … column …" suffix, which
/// the error repeats in its fields.
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(at) => full[..at].to_owned(),
        None => full,
    }
}

/// One managed resource instance, wherever in the file it was found.
#[derive(Debug)]
struct Resource<'a> {
    /// `mode = "managed"` (or no mode); else a data source, read only for
    /// the zone's name.
    managed: bool,
    /// `""` for the root module, else `module.a` or `module.a.module.b`,
    /// with instance keys.
    module: String,
    /// `type.name`, module-relative, without the instance key.
    local: String,
    /// `""`, `[0]` or `["us"]`.
    index: String,
    kind: &'a str,
    values: &'a Map<String, Value>,
}

impl Resource<'_> {
    fn address(&self) -> String {
        join_module(&self.module, &format!("{}{}", self.local, self.index))
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Value::as_str)
    }
}

/// `module.a["x"].module.b[0]` → `module.a.module.b`.
fn without_keys(module: &str) -> String {
    let mut out = String::with_capacity(module.len());
    let mut depth = 0usize;
    let mut quoted = false;
    for c in module.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn join_module(module: &str, rest: &str) -> String {
    if module.is_empty() {
        rest.to_owned()
    } else {
        format!("{module}.{rest}")
    }
}

/// Everything the file holds that matters here.
#[derive(Debug, Default)]
struct Inventory<'a> {
    resources: Vec<Resource<'a>>,
    /// `(module, type.name)` → the resource's `expressions` in the
    /// configuration section. Config modules carry no instance keys, so
    /// every instance of a module called with `count` shares one entry.
    config: BTreeMap<(String, String), &'a Map<String, Value>>,
}

impl<'a> Inventory<'a> {
    fn read(doc: &'a Value) -> Result<Self, TerraformError> {
        let Some(top) = doc.as_object() else {
            return Err(TerraformError::NotTerraform);
        };
        let mut inv = Inventory::default();
        if let Some(version) = top.get("format_version") {
            let version = version.as_str().unwrap_or_default();
            // 0.x (Terraform 0.12 to 1.0) has the same shape as 1.x.
            if !matches!(version.split('.').next(), Some("0" | "1")) {
                return Err(TerraformError::FormatVersion(version.to_owned()));
            }
            // A plan's planned_values hold what the plan leaves known; a
            // shown state has values. Unknowns are omitted, and the
            // configuration fills them where it can.
            let values = top.get("planned_values").or_else(|| top.get("values"));
            if let Some(root) = values.and_then(|v| v.get("root_module")) {
                inv.read_show_module(root, "");
            }
            if let Some(root) = top.get("configuration").and_then(|c| c.get("root_module")) {
                inv.read_config_module(root, "");
            }
        } else if let Some(resources) = top.get("resources").and_then(Value::as_array) {
            match top.get("version").and_then(Value::as_u64) {
                Some(4) | None => {}
                Some(other) => return Err(TerraformError::StateVersion(other)),
            }
            inv.read_state(resources);
        } else if let Some(version) = top.get("version").and_then(Value::as_u64) {
            // Version 3 and older keep resources under `modules`.
            return Err(TerraformError::StateVersion(version));
        } else {
            return Err(TerraformError::NotTerraform);
        }
        Ok(inv)
    }

    /// A module of `values`/`planned_values`: `resources` and
    /// `child_modules`, each child with its own `address`.
    fn read_show_module(&mut self, module: &'a Value, path: &str) {
        for r in array(module.get("resources")) {
            let (Some(kind), Some(name), Some(values)) = (
                r.get("type").and_then(Value::as_str),
                r.get("name").and_then(Value::as_str),
                r.get("values").and_then(Value::as_object),
            ) else {
                continue;
            };
            self.resources.push(Resource {
                managed: is_managed(r),
                module: path.to_owned(),
                local: format!("{kind}.{name}"),
                index: index_key(r.get("index")),
                kind,
                values,
            });
        }
        for child in array(module.get("child_modules")) {
            if let Some(address) = child.get("address").and_then(Value::as_str) {
                self.read_show_module(child, address);
            }
        }
    }

    /// A module of `configuration`: `resources` with `expressions`, and
    /// `module_calls.<name>.module`.
    fn read_config_module(&mut self, module: &'a Value, path: &str) {
        for r in array(module.get("resources")) {
            if !is_managed(r) {
                continue;
            }
            let (Some(kind), Some(name), Some(expressions)) = (
                r.get("type").and_then(Value::as_str),
                r.get("name").and_then(Value::as_str),
                r.get("expressions").and_then(Value::as_object),
            ) else {
                continue;
            };
            self.config
                .insert((path.to_owned(), format!("{kind}.{name}")), expressions);
        }
        if let Some(calls) = module.get("module_calls").and_then(Value::as_object) {
            for (name, call) in calls {
                if let Some(inner) = call.get("module") {
                    self.read_config_module(inner, &join_module(path, &format!("module.{name}")));
                }
            }
        }
    }

    /// A version 4 state: `resources[]` with `module`, `instances[]`.
    fn read_state(&mut self, resources: &'a [Value]) {
        for r in resources {
            let (Some(kind), Some(name)) = (
                r.get("type").and_then(Value::as_str),
                r.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            let module = r.get("module").and_then(Value::as_str).unwrap_or_default();
            for instance in array(r.get("instances")) {
                let Some(values) = instance.get("attributes").and_then(Value::as_object) else {
                    continue;
                };
                self.resources.push(Resource {
                    managed: is_managed(r),
                    module: module.to_owned(),
                    local: format!("{kind}.{name}"),
                    index: index_key(instance.get("index_key")),
                    kind,
                    values,
                });
            }
        }
    }

    fn of_kind(&self, kind: &'static str) -> impl Iterator<Item = &Resource<'a>> {
        self.resources
            .iter()
            .filter(move |r| r.managed && r.kind == kind)
    }

    /// The load balancer asked for, or the only one.
    fn pick(&self, hostname: Option<&str>) -> Result<&Resource<'a>, TerraformError> {
        let lbs: Vec<&Resource<'a>> = self
            .of_kind(LB)
            .filter(|r| r.str("name").is_some())
            .collect();
        if lbs.is_empty() {
            return Err(TerraformError::NoLoadBalancer);
        }
        let mut found: Vec<String> = lbs
            .iter()
            .filter_map(|r| r.str("name"))
            .map(str::to_owned)
            .collect();
        found.sort();
        found.dedup();
        let Some(wanted) = hostname else {
            return match lbs.as_slice() {
                [only] => Ok(only),
                _ => Err(TerraformError::Ambiguous { found }),
            };
        };
        let wanted_norm = normalize_host(wanted);
        let hits: Vec<&Resource<'a>> = lbs
            .into_iter()
            .filter(|r| r.str("name").map(normalize_host) == Some(wanted_norm.clone()))
            .collect();
        match hits.as_slice() {
            [one] => Ok(one),
            [] => Err(TerraformError::NoSuchHostname {
                wanted: wanted.to_owned(),
                found,
            }),
            several => Err(TerraformError::DuplicateHostname {
                hostname: wanted.to_owned(),
                addresses: several.iter().map(|r| r.address()).collect(),
            }),
        }
    }

    fn resolve(&self, lb: &Resource<'a>) -> LbSource {
        let expressions = self.expressions(lb);
        let mut r = Resolver {
            inv: self,
            module: &lb.module,
            unresolved: Vec::new(),
        };

        let default_refs = r.refs_of(
            lb.values,
            expressions,
            &["default_pool_ids", "default_pools"],
        );
        let pools: Vec<&Resource<'a>> = default_refs.iter().filter_map(|p| r.pool(p)).collect();
        let fallback = r
            .refs_of(
                lb.values,
                expressions,
                &["fallback_pool_id", "fallback_pool"],
            )
            .first()
            .and_then(|p| r.pool(p))
            .and_then(|p| p.str("name"))
            .map(str::to_owned);
        let region_pools = r.pool_map(lb.values, expressions, "region_pools", "region");
        let pop_pools = r.pool_map(lb.values, expressions, "pop_pools", "pop");

        let default_pools: Vec<PoolSource> = pools.iter().map(|p| r.pool_source(p)).collect();
        let account_id = pools
            .iter()
            .find_map(|p| p.str("account_id").filter(|s| !s.is_empty()))
            .map(str::to_owned);
        let zone_id = lb
            .str("zone_id")
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let zone_name = zone_id.as_deref().and_then(|id| self.zone_name(id));
        LbSource {
            hostname: lb.str("name").unwrap_or_default().to_owned(),
            zone_id,
            zone_name,
            account_id,
            steering_policy: lb
                .str("steering_policy")
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            default_pools,
            fallback_pool: fallback,
            region_pools,
            pop_pools,
            unresolved: r.unresolved,
        }
    }

    /// The configuration's expressions for `resource`. The configuration
    /// knows modules without instance keys: `module.edge[0]` is
    /// `module.edge` there.
    fn expressions(&self, resource: &Resource<'_>) -> Option<&'a Map<String, Value>> {
        let key = (without_keys(&resource.module), resource.local.clone());
        self.config.get(&key).copied()
    }

    /// A `cloudflare_zone` (resource or data source) with this id: the v4
    /// resource calls its name `zone`, v5 and the data sources `name`.
    fn zone_name(&self, id: &str) -> Option<String> {
        self.resources
            .iter()
            .filter(|r| r.kind == ZONE)
            .find(|z| z.str("id") == Some(id))
            .and_then(|z| z.str("zone").or_else(|| z.str("name")))
            .map(str::to_owned)
    }
}

/// A pool as written: an id (values, constants) or a Terraform address
/// (configuration references).
#[derive(Clone, Debug, PartialEq, Eq)]
enum PoolRef {
    Id(String),
    Address(String),
}

/// Resolves one load balancer's references, collecting what it cannot.
struct Resolver<'i, 'a> {
    inv: &'i Inventory<'a>,
    /// The load balancer's module: configuration references are relative
    /// to it.
    module: &'i str,
    unresolved: Vec<String>,
}

impl<'i, 'a> Resolver<'i, 'a> {
    /// Keeps an unresolved reference once, in the order first met.
    fn note(&mut self, written: String) {
        if !self.unresolved.contains(&written) {
            self.unresolved.push(written);
        }
    }

    /// The pool references of the first of `keys` that holds any: from the
    /// values when they hold ids (a string, or a list of only strings), else
    /// from the configuration.
    fn refs_of(
        &mut self,
        values: &Map<String, Value>,
        expressions: Option<&Map<String, Value>>,
        keys: &[&str],
    ) -> Vec<PoolRef> {
        for key in keys {
            if let Some(ids) = values.get(*key).and_then(ids) {
                return ids.into_iter().map(PoolRef::Id).collect();
            }
        }
        for key in keys {
            if let Some(expr) = expressions.and_then(|e| e.get(*key)) {
                let refs = self.expression_refs(expr, "");
                if !refs.is_empty() {
                    return refs;
                }
            }
        }
        Vec::new()
    }

    /// An expression's pool references: its constant ids, or its references
    /// to pools. Other references are unresolved (`prefix` added).
    fn expression_refs(&mut self, expr: &Value, prefix: &str) -> Vec<PoolRef> {
        if let Some(ids) = expr.get("constant_value").and_then(ids) {
            return ids.into_iter().map(PoolRef::Id).collect();
        }
        let written: Vec<&str> = array(expr.get("references"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut out = Vec::new();
        for reference in distinct_references(&written) {
            match pool_address(reference) {
                Some(address) => out.push(PoolRef::Address(address.to_owned())),
                None => self.note(format!("{prefix}{reference}")),
            }
        }
        out
    }

    /// The pool a reference names, or `None` (and it is unresolved).
    fn pool(&mut self, reference: &PoolRef) -> Option<&'i Resource<'a>> {
        let found = match reference {
            PoolRef::Id(id) => self.inv.of_kind(POOL).find(|p| p.str("id") == Some(id)),
            PoolRef::Address(address) => self.by_address(POOL, address),
        };
        let named = found.filter(|p| p.str("name").is_some());
        if named.is_none() {
            let written = match reference {
                PoolRef::Id(s) | PoolRef::Address(s) => s.clone(),
            };
            self.note(written);
        }
        named
    }

    /// A module-relative address (`cloudflare_load_balancer_pool.us`,
    /// `…pools["us"]`) in the load balancer's module. An address without
    /// a key names a resource with `count`/`for_each` only when it has a
    /// single instance; several are left unresolved rather than guessed.
    fn by_address(&self, kind: &'static str, address: &str) -> Option<&'i Resource<'a>> {
        let same_module: Vec<&'i Resource<'a>> = self
            .inv
            .of_kind(kind)
            .filter(|r| r.module == self.module)
            .collect();
        if let Some(exact) = same_module
            .iter()
            .find(|r| format!("{}{}", r.local, r.index) == address)
        {
            return Some(exact);
        }
        match same_module
            .iter()
            .filter(|r| r.local == address)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [only] => Some(only),
            _ => None,
        }
    }

    /// `region_pools`/`pop_pools`: v4 a list of blocks `{<key>, pool_ids}`,
    /// v5 a map key → ids. Resolved to pool names.
    fn pool_map(
        &mut self,
        values: &Map<String, Value>,
        expressions: Option<&Map<String, Value>>,
        attribute: &str,
        key: &str,
    ) -> BTreeMap<String, Vec<String>> {
        let mut raw: Vec<(String, Vec<PoolRef>)> = Vec::new();
        let from_values = match values.get(attribute) {
            Some(Value::Array(blocks)) => {
                for block in blocks {
                    if let (Some(k), Some(ids)) = (
                        block.get(key).and_then(Value::as_str),
                        block.get("pool_ids").and_then(string_list),
                    ) {
                        raw.push((k.to_owned(), ids.into_iter().map(PoolRef::Id).collect()));
                    }
                }
                !raw.is_empty()
            }
            Some(Value::Object(map)) => {
                for (k, ids) in map {
                    if let Some(ids) = string_list(ids) {
                        raw.push((k.clone(), ids.into_iter().map(PoolRef::Id).collect()));
                    }
                }
                !raw.is_empty()
            }
            _ => false,
        };
        if !from_values {
            raw.clear();
            match expressions.and_then(|e| e.get(attribute)) {
                // v4 blocks: each block's expressions.
                Some(Value::Array(blocks)) => {
                    for block in blocks {
                        let Some(k) = block
                            .get(key)
                            .and_then(|e| e.get("constant_value"))
                            .and_then(Value::as_str)
                        else {
                            continue;
                        };
                        let refs = match block.get("pool_ids") {
                            Some(e) => self.expression_refs(e, &format!("{attribute}.{k}: ")),
                            None => Vec::new(),
                        };
                        raw.push((k.to_owned(), refs));
                    }
                }
                // v5 map: constant ids per key, or references with no keys.
                Some(expr @ Value::Object(_)) => {
                    if let Some(map) = expr.get("constant_value").and_then(Value::as_object) {
                        for (k, ids) in map {
                            if let Some(ids) = string_list(ids) {
                                raw.push((k.clone(), ids.into_iter().map(PoolRef::Id).collect()));
                            }
                        }
                    } else {
                        let written: Vec<&str> = array(expr.get("references"))
                            .iter()
                            .filter_map(Value::as_str)
                            .collect();
                        for reference in distinct_references(&written) {
                            self.note(format!("{attribute}: {reference}"));
                        }
                    }
                }
                _ => {}
            }
        }
        let mut out = BTreeMap::new();
        for (k, refs) in raw {
            let names: Vec<String> = refs
                .iter()
                .filter_map(|r| self.pool(r))
                .filter_map(|p| p.str("name"))
                .map(str::to_owned)
                .collect();
            out.entry(k).or_insert_with(Vec::new).extend(names);
        }
        out
    }

    fn pool_source(&mut self, pool: &Resource<'a>) -> PoolSource {
        let origins = array(pool.values.get("origins"))
            .iter()
            .filter_map(origin)
            .collect();
        PoolSource {
            name: pool.str("name").unwrap_or_default().to_owned(),
            id: pool.str("id").filter(|s| !s.is_empty()).map(str::to_owned),
            origins,
            monitor: self.monitor_of(pool),
        }
    }

    /// The pool's monitor: by id from its values, else by the configuration's
    /// reference. A monitor id with no monitor in the file still says the
    /// pool has one, so it comes back with only its id.
    fn monitor_of(&mut self, pool: &Resource<'a>) -> Option<MonitorSource> {
        if let Some(id) = pool.str("monitor").filter(|s| !s.is_empty()) {
            return Some(
                match self.inv.of_kind(MONITOR).find(|m| m.str("id") == Some(id)) {
                    Some(m) => monitor(m),
                    None => MonitorSource {
                        id: Some(id.to_owned()),
                        ..MonitorSource::default()
                    },
                },
            );
        }
        let expressions = self.inv.expressions(pool)?;
        let written: Vec<&str> =
            array(expressions.get("monitor").and_then(|e| e.get("references")))
                .iter()
                .filter_map(Value::as_str)
                .collect();
        distinct_references(&written)
            .into_iter()
            .find_map(|reference| {
                let address = reference.strip_suffix(".id").unwrap_or(reference);
                address
                    .starts_with(&format!("{MONITOR}."))
                    .then(|| self.by_address(MONITOR, address))
                    .flatten()
                    .map(monitor)
            })
    }
}

fn origin(value: &Value) -> Option<OriginSource> {
    let address = value
        .get("address")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())?;
    Some(OriginSource {
        name: value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        address: address.to_owned(),
        host_header: host_header(value.get("header")),
    })
}

/// v4: `header = [{header = "Host", values = [...]}]`; v5:
/// `header = {host = [...]}`. The first value is what Cloudflare sends.
fn host_header(header: Option<&Value>) -> Option<String> {
    let first = |values: Option<&Value>| {
        array(values)
            .iter()
            .find_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match header? {
        Value::Array(blocks) => blocks.iter().find_map(|b| {
            let name = b.get("header").and_then(Value::as_str)?;
            if name.eq_ignore_ascii_case("host") {
                first(b.get("values"))
            } else {
                None
            }
        }),
        Value::Object(map) => map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            .and_then(|(_, v)| first(Some(v))),
        _ => None,
    }
}

fn monitor(m: &Resource<'_>) -> MonitorSource {
    let number = |key: &str| m.values.get(key).and_then(whole_number);
    MonitorSource {
        id: m.str("id").filter(|s| !s.is_empty()).map(str::to_owned),
        // The provider's default when `type` is not set.
        kind: m
            .str("type")
            .filter(|s| !s.is_empty())
            .unwrap_or("http")
            .to_owned(),
        path: m.str("path").filter(|s| !s.is_empty()).map(str::to_owned),
        expected_codes: m
            .str("expected_codes")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        interval: number("interval"),
        timeout: number("timeout"),
        retries: number("retries"),
        // 0 is how v4 stores "the scheme's port".
        port: number("port")
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p != 0),
    }
}

/// A non-negative whole number, whether written `60` or `60.0` (v5 keeps
/// some numbers as floats).
fn whole_number(value: &Value) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    let f = value.as_f64()?;
    // Exact for every value a monitor setting can take.
    (f >= 0.0 && f.fract() == 0.0 && f <= f64::from(u32::MAX)).then_some(f as u64)
}

/// One id (`fallback_pool`) or a list of them.
fn ids(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(id) if !id.is_empty() => Some(vec![id.clone()]),
        other => string_list(other),
    }
}

/// `["a", "b"]` → the strings; anything else (null, unknown, a number in
/// the list) → `None`, so the caller looks elsewhere.
fn string_list(value: &Value) -> Option<Vec<String>> {
    let items = value.as_array()?;
    items
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn array(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn is_managed(resource: &Value) -> bool {
    resource
        .get("mode")
        .and_then(Value::as_str)
        .is_none_or(|m| m == "managed")
}

/// `[0]`, `["us"]`, or `""` when there is no instance key.
fn index_key(key: Option<&Value>) -> String {
    match key {
        Some(Value::Number(n)) => format!("[{n}]"),
        Some(s @ Value::String(_)) => format!("[{s}]"),
        _ => String::new(),
    }
}

/// Terraform lists each traversal and its prefixes (`pool.us.id`,
/// `pool.us`; `pools["us"]`, `pools`): keep only the longest of each, in
/// the order written, once.
fn distinct_references<'r>(written: &[&'r str]) -> Vec<&'r str> {
    let mut out: Vec<&str> = Vec::new();
    for (i, r) in written.iter().enumerate() {
        let is_prefix = written.iter().any(|other| {
            other.len() > r.len()
                && other.starts_with(r)
                && matches!(other.as_bytes().get(r.len()), Some(b'.' | b'['))
        });
        let seen = written[..i].contains(r);
        if !is_prefix && !seen {
            out.push(r);
        }
    }
    out
}

/// `cloudflare_load_balancer_pool.us.id` → `cloudflare_load_balancer_pool.us`,
/// `…pools["us"].id` → `…pools["us"]`; `None` for references to anything
/// but a pool.
fn pool_address(reference: &str) -> Option<&str> {
    let rest = reference.strip_prefix(POOL)?.strip_prefix('.')?;
    let name_len = rest.find(['.', '[']).unwrap_or(rest.len());
    if name_len == 0 {
        return None;
    }
    let mut end = POOL.len() + 1 + name_len;
    if rest[name_len..].starts_with('[') {
        end += rest[name_len..].find(']')? + 1;
    }
    Some(&reference[..end])
}

fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}
