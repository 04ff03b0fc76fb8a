//! Create, read, replace, patch and delete for monitors, pools and load
//! balancers, with Cloudflare's write semantics: PATCH overwrites only the
//! supplied top-level keys (`origins` as a whole), PUT replaces everything,
//! omitted fields take schema defaults, server fields (`id`, timestamps,
//! `disabled_at`, `healthy`) are never taken from the body.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::wire::{self, LoadBalancer, Monitor, Pool};
use super::{Cloudflare, State, lock};

/// The object kinds of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A health monitor.
    Monitor,
    /// An origin pool.
    Pool,
    /// A zone load balancer.
    LoadBalancer,
    /// A health-check preview result.
    Preview,
}

impl Kind {
    /// The noun used in messages and event kinds.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Monitor => "monitor",
            Kind::Pool => "pool",
            Kind::LoadBalancer => "load balancer",
            Kind::Preview => "preview",
        }
    }
}

/// Why an API operation on the account failed; the API maps each to
/// Cloudflare's status and error code.
#[derive(Debug, thiserror::Error)]
pub enum CfError {
    /// No object with that id.
    #[error("{} not found", .0.noun())]
    NotFound(Kind),
    /// The body is not acceptable (400, code 1002).
    #[error("{0}: validation failed")]
    Invalid(String),
    /// Deleting an object something else still uses (412, code 1005).
    #[error("This object is referenced by other objects, delete them first.")]
    Referenced,
    /// Health asked of a pool without a monitor.
    #[error("Health info unavailable: the pool has no monitor")]
    HealthUnavailable,
}

/// What the generic operations need from each kind.
trait Object: Clone + Serialize + DeserializeOwned {
    const KIND: Kind;
    /// Keys POST and PUT must carry.
    const REQUIRED: &'static [&'static str];
    fn id(&self) -> &str;
    fn created_on(&self) -> &str;
    /// `enabled`, for kinds that have it (the event log names the flip).
    fn enabled(&self) -> Option<bool> {
        None
    }
    fn label(&self) -> String;
    fn stamp(&mut self, id: &str, created_on: &str, modified_on: &str);
    fn all(st: &State) -> &Vec<Self>;
    fn all_mut(st: &mut State) -> &mut Vec<Self>;
    /// Field and cross-object checks.
    fn check(&self, st: &State) -> Result<(), String>;
    /// Server-managed fields derived from the previous version.
    fn carry(&mut self, _old: Option<&Self>, _now: &str) {}
    fn referenced(_st: &State, _id: &str) -> bool {
        false
    }
    fn render(&self, _st: &State) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Object for Monitor {
    const KIND: Kind = Kind::Monitor;
    const REQUIRED: &'static [&'static str] = &[];
    fn id(&self) -> &str {
        &self.id
    }
    fn created_on(&self) -> &str {
        &self.created_on
    }
    fn label(&self) -> String {
        if self.description.is_empty() {
            self.id.clone()
        } else {
            format!("\"{}\" ({})", self.description, self.id)
        }
    }
    fn stamp(&mut self, id: &str, created_on: &str, modified_on: &str) {
        (self.id, self.created_on, self.modified_on) =
            (id.to_owned(), created_on.to_owned(), modified_on.to_owned());
    }
    fn all(st: &State) -> &Vec<Self> {
        &st.monitors
    }
    fn all_mut(st: &mut State) -> &mut Vec<Self> {
        &mut st.monitors
    }
    fn check(&self, _st: &State) -> Result<(), String> {
        self.validate()
    }
    fn referenced(st: &State, id: &str) -> bool {
        st.pools.iter().any(|p| p.monitor.as_deref() == Some(id))
    }
}

impl Object for Pool {
    const KIND: Kind = Kind::Pool;
    const REQUIRED: &'static [&'static str] = &["name", "origins"];
    fn id(&self) -> &str {
        &self.id
    }
    fn enabled(&self) -> Option<bool> {
        Some(self.enabled)
    }
    fn created_on(&self) -> &str {
        &self.created_on
    }
    fn label(&self) -> String {
        format!("{} ({})", self.name, self.id)
    }
    fn stamp(&mut self, id: &str, created_on: &str, modified_on: &str) {
        (self.id, self.created_on, self.modified_on) =
            (id.to_owned(), created_on.to_owned(), modified_on.to_owned());
    }
    fn all(st: &State) -> &Vec<Self> {
        &st.pools
    }
    fn all_mut(st: &mut State) -> &mut Vec<Self> {
        &mut st.pools
    }
    fn check(&self, st: &State) -> Result<(), String> {
        self.validate()?;
        match &self.monitor {
            Some(m) if !st.monitors.iter().any(|x| &x.id == m) => {
                Err(format!("monitor \"{m}\" does not exist"))
            }
            _ => Ok(()),
        }
    }
    fn carry(&mut self, old: Option<&Self>, now: &str) {
        // `disabled_at` records when the object was disabled, so it survives
        // unrelated writes and disappears on re-enable.
        let since = |enabled: bool, was: Option<(bool, &Option<String>)>| match (enabled, was) {
            (true, _) => None,
            (false, Some((false, Some(t)))) => Some(t.clone()),
            (false, _) => Some(now.to_owned()),
        };
        self.disabled_at = since(self.enabled, old.map(|o| (o.enabled, &o.disabled_at)));
        for origin in &mut self.origins {
            let prev = old.and_then(|p| p.origins.iter().find(|o| o.address == origin.address));
            origin.disabled_at = since(origin.enabled, prev.map(|o| (o.enabled, &o.disabled_at)));
        }
    }
    fn referenced(st: &State, id: &str) -> bool {
        st.lbs.iter().any(|lb| lb.pool_refs().any(|p| p == id))
    }
    fn render(&self, st: &State) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(origins) = v.get_mut("origins").and_then(Value::as_array_mut) {
            for (o, origin) in origins.iter_mut().zip(&self.origins) {
                if let Some(o) = o.as_object_mut() {
                    o.insert(
                        "healthy".into(),
                        Value::Bool(st.origin_is_healthy(self, origin)),
                    );
                }
            }
        }
        if let Some(obj) = v.as_object_mut() {
            obj.insert("healthy".into(), Value::Bool(st.pool_is_healthy(self)));
        }
        v
    }
}

impl Object for LoadBalancer {
    const KIND: Kind = Kind::LoadBalancer;
    const REQUIRED: &'static [&'static str] = &["name", "default_pools", "fallback_pool"];
    fn id(&self) -> &str {
        &self.id
    }
    fn created_on(&self) -> &str {
        &self.created_on
    }
    fn label(&self) -> String {
        format!("{} ({})", self.name, self.id)
    }
    fn stamp(&mut self, id: &str, created_on: &str, modified_on: &str) {
        (self.id, self.created_on, self.modified_on) =
            (id.to_owned(), created_on.to_owned(), modified_on.to_owned());
    }
    fn all(st: &State) -> &Vec<Self> {
        &st.lbs
    }
    fn all_mut(st: &mut State) -> &mut Vec<Self> {
        &mut st.lbs
    }
    fn check(&self, st: &State) -> Result<(), String> {
        self.validate()?;
        match self
            .pool_refs()
            .find(|id| !st.pools.iter().any(|p| &p.id == *id))
        {
            Some(id) => Err(format!("pool \"{id}\" does not exist")),
            None => Ok(()),
        }
    }
}

/// The body as a `T`: over `base` (PATCH) or over the defaults (POST, PUT).
/// `null` resets a key to its default.
fn parse<T: Object>(body: Value, base: Option<&T>) -> Result<T, CfError> {
    let Value::Object(input) = body else {
        return Err(CfError::Invalid(
            "the request body must be a JSON object".to_owned(),
        ));
    };
    let missing = T::REQUIRED.iter().find(|k| !input.contains_key(**k));
    if let (None, Some(k)) = (base, missing) {
        return Err(CfError::Invalid(format!("{k} is required")));
    }
    let mut map = match base.map(serde_json::to_value) {
        Some(Ok(Value::Object(m))) => m,
        _ => Map::new(),
    };
    for (k, v) in input {
        if v.is_null() {
            map.remove(&k);
        } else {
            map.insert(k, v);
        }
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| CfError::Invalid(e.to_string()))
}

/// A monitor definition from a preview body (defaults for omitted fields).
pub fn parse_monitor(body: Value) -> Result<Monitor, CfError> {
    let m: Monitor = parse(body, None)?;
    m.validate().map_err(CfError::Invalid)?;
    Ok(m)
}

impl Cloudflare {
    /// Every object of `kind`; pools can be filtered by monitor id.
    pub fn list(&self, kind: Kind, monitor: Option<&str>) -> Vec<Value> {
        let st = lock(&self.state);
        match kind {
            Kind::Monitor => st.monitors.iter().map(|m| m.render(&st)).collect(),
            Kind::Pool => st
                .pools
                .iter()
                .filter(|p| monitor.is_none_or(|m| p.monitor.as_deref() == Some(m)))
                .map(|p| p.render(&st))
                .collect(),
            Kind::LoadBalancer => st.lbs.iter().map(|lb| lb.render(&st)).collect(),
            Kind::Preview => Vec::new(),
        }
    }

    /// One object.
    pub fn get(&self, kind: Kind, id: &str) -> Result<Value, CfError> {
        let st = lock(&self.state);
        let found = match kind {
            Kind::Monitor => find(&st.monitors, id).map(|m| m.render(&st)),
            Kind::Pool => find(&st.pools, id).map(|p| p.render(&st)),
            Kind::LoadBalancer => find(&st.lbs, id).map(|lb| lb.render(&st)),
            Kind::Preview => None,
        };
        found.ok_or(CfError::NotFound(kind))
    }

    /// POST: a new object from `body`.
    pub fn create(&self, kind: Kind, body: Value) -> Result<Value, CfError> {
        match kind {
            Kind::Monitor => self.write::<Monitor>(None, body, false),
            Kind::Pool => self.write::<Pool>(None, body, false),
            Kind::LoadBalancer => self.write::<LoadBalancer>(None, body, false),
            Kind::Preview => Err(CfError::NotFound(kind)),
        }
    }

    /// PUT (`replace`) or PATCH of the object `id`.
    pub fn update(
        &self,
        kind: Kind,
        id: &str,
        body: Value,
        replace: bool,
    ) -> Result<Value, CfError> {
        match kind {
            Kind::Monitor => self.write::<Monitor>(Some(id), body, replace),
            Kind::Pool => self.write::<Pool>(Some(id), body, replace),
            Kind::LoadBalancer => self.write::<LoadBalancer>(Some(id), body, replace),
            Kind::Preview => Err(CfError::NotFound(kind)),
        }
    }

    /// DELETE: returns `{"id": …}`; 412 while something refers to it.
    pub fn delete(&self, kind: Kind, id: &str) -> Result<Value, CfError> {
        match kind {
            Kind::Monitor => self.remove::<Monitor>(id),
            Kind::Pool => self.remove::<Pool>(id),
            Kind::LoadBalancer => self.remove::<LoadBalancer>(id),
            Kind::Preview => Err(CfError::NotFound(kind)),
        }
    }

    fn write<T: Object>(
        &self,
        id: Option<&str>,
        body: Value,
        replace: bool,
    ) -> Result<Value, CfError> {
        let keys: Vec<String> = body
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut st = lock(&self.state);
        let now = wire::now_rfc3339();
        let (index, old) = match id {
            Some(id) => {
                let i = T::all(&st)
                    .iter()
                    .position(|o| o.id() == id)
                    .ok_or(CfError::NotFound(T::KIND))?;
                (Some(i), Some(T::all(&st)[i].clone()))
            }
            None => (None, None),
        };
        let mut obj: T = parse(body, if replace { None } else { old.as_ref() })?;
        match &old {
            Some(o) => obj.stamp(o.id(), o.created_on(), &now),
            None => obj.stamp(&wire::random_id(), &now, &now),
        }
        obj.carry(old.as_ref(), &now);
        obj.check(&st).map_err(CfError::Invalid)?;
        let label = obj.label();
        let flipped = match (old.as_ref().and_then(T::enabled), obj.enabled()) {
            (Some(was), Some(now)) if was != now => Some(now),
            _ => None,
        };
        match index {
            Some(i) => T::all_mut(&mut st)[i] = obj.clone(),
            None => T::all_mut(&mut st).push(obj.clone()),
        }
        let verb = match (id, replace) {
            (None, _) => "created",
            (Some(_), true) => "replaced",
            (Some(_), false) => "patched",
        };
        let noun = T::KIND.noun().replace(' ', "-");
        let kind = match flipped {
            Some(true) => format!("{noun}-enabled"),
            Some(false) => format!("{noun}-disabled"),
            None if id.is_none() => format!("{noun}-created"),
            None => format!("{noun}-updated"),
        };
        let region = (T::KIND == Kind::Pool).then(|| st.region_of(obj.id()));
        self.log.push(
            "cloudflare",
            region.as_deref(),
            &kind,
            format!(
                "{} {label} {verb} through the API ({})",
                T::KIND.noun(),
                keys.join(", ")
            ),
        );
        st.settle(&self.lb_name, &self.log);
        Ok(obj.render(&st))
    }

    fn remove<T: Object>(&self, id: &str) -> Result<Value, CfError> {
        let mut st = lock(&self.state);
        let i = T::all(&st)
            .iter()
            .position(|o| o.id() == id)
            .ok_or(CfError::NotFound(T::KIND))?;
        if T::referenced(&st, id) {
            return Err(CfError::Referenced);
        }
        let gone = T::all_mut(&mut st).remove(i);
        self.log.push(
            "cloudflare",
            None,
            &format!("{}-deleted", T::KIND.noun().replace(' ', "-")),
            format!(
                "{} {} deleted through the API",
                T::KIND.noun(),
                gone.label()
            ),
        );
        st.settle(&self.lb_name, &self.log);
        Ok(serde_json::json!({ "id": id }))
    }
}

fn find<'a, T: Object>(all: &'a [T], id: &str) -> Option<&'a T> {
    all.iter().find(|o| o.id() == id)
}
