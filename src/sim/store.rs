//! One cluster's object store, the way etcd and the API server's watch cache
//! behave: a single resourceVersion counter, server-managed metadata, and a
//! bounded history of changes that watches resume from.
//!
//! Objects are kept as JSON (`Arc<Value>`) because every API verb (patches,
//! watches, lists) works on JSON, and an `Arc` makes a read one refcount bump
//! under the lock instead of a deep clone.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::cluster::Kind;

/// How many changes a watch can resume from; older ones answer 410 Gone.
const HISTORY: usize = 1000;
/// Live watchers that fall this far behind are cut off (clients re-list).
const CHANNEL: usize = 1024;

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// Created.
    Added,
    /// Changed.
    Modified,
    /// Removed; the object is its last state.
    Deleted,
}

impl EventType {
    /// The watch wire name (`ADDED`, `MODIFIED`, `DELETED`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as watches see it.
#[derive(Clone, Debug)]
pub struct Change {
    /// The resourceVersion the change produced.
    pub rv: u64,
    /// The kind of object.
    pub kind: Kind,
    /// Added, modified or deleted.
    pub event: EventType,
    /// The object after the change (before it, for deletions).
    pub object: Arc<Value>,
}

/// A watch could not start: the requested resourceVersion was compacted away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooOld {
    /// The resourceVersion asked for.
    pub requested: u64,
    /// The oldest one still resumable.
    pub oldest: u64,
}

/// A watch's starting point: the changes already missed and the live feed.
pub struct Subscription {
    /// Changes after the requested resourceVersion, oldest first.
    pub backlog: Vec<Arc<Change>>,
    /// Every later change.
    pub live: broadcast::Receiver<Arc<Change>>,
}

type Key = (String, String);

/// An update's result: the object before and after (the same `Arc` when
/// nothing changed).
pub type Written = (Arc<Value>, Arc<Value>);

#[derive(Debug)]
struct State {
    rv: u64,
    objects: HashMap<Kind, BTreeMap<Key, Arc<Value>>>,
    history: VecDeque<Arc<Change>>,
    /// Watches may resume from any resourceVersion at or after this one.
    resumable_from: u64,
}

/// A cluster's objects.
#[derive(Debug)]
pub struct Store {
    state: Mutex<State>,
    tx: broadcast::Sender<Arc<Change>>,
}

/// What a read-modify-write decided.
pub enum Update<E> {
    /// Store this object.
    Put(Value),
    /// Leave the object alone (e.g. a dry run).
    Keep,
    /// Fail with this error.
    Fail(E),
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Store {
            state: Mutex::new(State {
                rv: 0,
                objects: HashMap::new(),
                history: VecDeque::new(),
                resumable_from: 0,
            }),
            tx: broadcast::channel(CHANNEL).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every mutation finishes before it can panic, so a poisoned lock still holds consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current resourceVersion (what a list reports).
    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    /// Drops the change history, as etcd compaction does: nothing before now
    /// can be watched from.
    pub fn compact(&self) {
        let mut s = self.lock();
        s.history.clear();
        s.resumable_from = s.rv;
    }

    /// One object.
    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.lock()
            .objects
            .get(&kind)?
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// Objects of `kind` (in `namespace`, or everywhere), sorted by namespace
    /// and name, with the resourceVersion they were read at.
    pub fn list(&self, kind: Kind, namespace: Option<&str>) -> (Vec<Arc<Value>>, u64) {
        let s = self.lock();
        let items = s
            .objects
            .get(&kind)
            .map_or_else(Vec::new, |m| match namespace {
                Some(ns) => m
                    .range((ns.to_owned(), String::new())..)
                    .take_while(|((n, _), _)| n == ns)
                    .map(|(_, v)| v.clone())
                    .collect(),
                None => m.values().cloned().collect(),
            });
        (items, s.rv)
    }

    /// Stores a new object, filling server-managed metadata (uid,
    /// resourceVersion, creationTimestamp, generation). `None` when the
    /// name is taken.
    pub fn create(&self, kind: Kind, mut obj: Value) -> Option<Arc<Value>> {
        let (ns, name) = key_of(&obj);
        let mut s = self.lock();
        if s.objects
            .get(&kind)
            .is_some_and(|m| m.contains_key(&(ns.clone(), name.clone())))
        {
            return None;
        }
        s.rv += 1;
        let rv = s.rv;
        let meta = meta_mut(&mut obj);
        meta.insert("uid".into(), json!(new_uid()));
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
        if kind.has_generation() {
            meta.insert("generation".into(), json!(1));
        } else {
            meta.remove("generation");
        }
        if !kind.namespaced() {
            meta.remove("namespace");
        }
        let obj = Arc::new(obj);
        s.objects
            .entry(kind)
            .or_default()
            .insert((ns, name), obj.clone());
        self.record(&mut s, kind, EventType::Added, obj.clone());
        Some(obj)
    }

    /// Atomically reads, changes and writes one object. `change` sees the
    /// current object and returns the new one; server-managed metadata is
    /// kept, the generation bumped when `spec` changed, and a write that
    /// changes nothing neither bumps the resourceVersion nor notifies
    /// watchers. Returns the old and the stored object, `None` if absent.
    pub fn update<E>(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        change: impl FnOnce(&Value) -> Update<E>,
    ) -> Option<Result<Written, E>> {
        let key = (namespace.to_owned(), name.to_owned());
        let mut s = self.lock();
        let old = s.objects.get(&kind)?.get(&key)?.clone();
        let mut new = match change(&old) {
            Update::Put(v) => v,
            Update::Keep => return Some(Ok((old.clone(), old))),
            Update::Fail(e) => return Some(Err(e)),
        };
        let old_meta = old.get("metadata").cloned().unwrap_or_else(|| json!({}));
        let meta = meta_mut(&mut new);
        for field in [
            "uid",
            "creationTimestamp",
            "generation",
            "resourceVersion",
            "namespace",
            "name",
        ] {
            match old_meta.get(field) {
                Some(v) => meta.insert(field.into(), v.clone()),
                None => meta.remove(field),
            };
        }
        if *old == new {
            return Some(Ok((old.clone(), old)));
        }
        if kind.has_generation() && old.get("spec") != new.get("spec") {
            let generation = old_meta
                .get("generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            meta_mut(&mut new).insert("generation".into(), json!(generation + 1));
        }
        s.rv += 1;
        let rv = s.rv;
        meta_mut(&mut new).insert("resourceVersion".into(), json!(rv.to_string()));
        let new = Arc::new(new);
        s.objects.entry(kind).or_default().insert(key, new.clone());
        self.record(&mut s, kind, EventType::Modified, new.clone());
        Some(Ok((old, new)))
    }

    /// Removes an object; returns its last state with a fresh
    /// resourceVersion, as the DELETED event carries it.
    pub fn delete(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.delete_if(kind, namespace, name, |_| Ok::<(), ()>(()))
            .and_then(Result::ok)
    }

    /// [`Store::delete`] when `check` accepts the current object (a
    /// DeleteOptions precondition), under the same lock so no write can
    /// slip in between the check and the removal.
    pub fn delete_if<E>(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        check: impl FnOnce(&Value) -> Result<(), E>,
    ) -> Option<Result<Arc<Value>, E>> {
        let mut s = self.lock();
        let key = (namespace.to_owned(), name.to_owned());
        if let Err(e) = check(s.objects.get(&kind)?.get(&key)?) {
            return Some(Err(e));
        }
        let old = s.objects.get_mut(&kind)?.remove(&key)?;
        s.rv += 1;
        let mut last = (*old).clone();
        meta_mut(&mut last).insert("resourceVersion".into(), json!(s.rv.to_string()));
        let last = Arc::new(last);
        self.record(&mut s, kind, EventType::Deleted, last.clone());
        Some(Ok(last))
    }

    /// Changes after resourceVersion `after` (`None`: only from now on),
    /// plus the live feed; subscribing under the lock means no change is
    /// missed or seen twice.
    pub fn subscribe(&self, after: Option<u64>) -> Result<Subscription, TooOld> {
        let s = self.lock();
        let backlog = match after {
            None => Vec::new(),
            Some(rv) if rv < s.resumable_from => {
                return Err(TooOld {
                    requested: rv,
                    oldest: s.resumable_from,
                });
            }
            Some(rv) => s.history.iter().filter(|c| c.rv > rv).cloned().collect(),
        };
        Ok(Subscription {
            backlog,
            live: self.tx.subscribe(),
        })
    }

    fn record(&self, s: &mut State, kind: Kind, event: EventType, object: Arc<Value>) {
        let change = Arc::new(Change {
            rv: s.rv,
            kind,
            event,
            object,
        });
        if s.history.len() == HISTORY
            && let Some(dropped) = s.history.pop_front()
        {
            s.resumable_from = dropped.rv;
        }
        s.history.push_back(change.clone());
        // No receivers is fine: nobody is watching.
        let _ = self.tx.send(change);
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

fn key_of(obj: &Value) -> Key {
    let field = |f: &str| {
        obj.pointer(&format!("/metadata/{f}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (field("namespace"), field("name"))
}

/// `obj.metadata` as a map, created if missing or not an object.
pub fn meta_mut(obj: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !obj.is_object() {
        *obj = json!({});
    }
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    obj["metadata"]
        .as_object_mut()
        .expect("metadata was just made an object")
}

/// A random RFC 4122 version 4 UUID, as the API server assigns.
pub fn new_uid() -> String {
    let a = fastrand::u128(..);
    let b = (a & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let h = format!("{b:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Now, as `creationTimestamp` shows it (RFC 3339, whole seconds, UTC).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(name: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "ns"}, "spec": {"replicas": 1}})
    }

    #[test]
    fn uids_look_like_v4_uuids() {
        let u = new_uid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
    }

    #[test]
    fn versions_and_generations_follow_the_api_server() {
        let s = Store::new();
        let a = s.create(Kind::Deployment, deploy("a")).unwrap();
        assert_eq!(a["metadata"]["resourceVersion"], "1");
        assert_eq!(a["metadata"]["generation"], 1);
        assert!(s.create(Kind::Deployment, deploy("a")).is_none());
        let (_, b) = s
            .update::<()>(Kind::Deployment, "ns", "a", |o| {
                let mut o = o.clone();
                o["metadata"]["labels"] = json!({"x": "y"});
                Update::Put(o)
            })
            .unwrap()
            .unwrap();
        assert_eq!(b["metadata"]["resourceVersion"], "2");
        assert_eq!(b["metadata"]["generation"], 1, "metadata is not spec");
        let (_, c) = s
            .update::<()>(Kind::Deployment, "ns", "a", |o| {
                let mut o = o.clone();
                o["spec"]["replicas"] = json!(0);
                Update::Put(o)
            })
            .unwrap()
            .unwrap();
        assert_eq!(c["metadata"]["generation"], 2);
        let (_, d) = s
            .update::<()>(Kind::Deployment, "ns", "a", |o| Update::Put(o.clone()))
            .unwrap()
            .unwrap();
        assert_eq!(d["metadata"]["resourceVersion"], "3", "no-op write");
        assert_eq!(s.resource_version(), 3);
    }

    #[test]
    fn watches_resume_from_history_or_are_gone() {
        let s = Store::new();
        s.create(Kind::Deployment, deploy("a"));
        s.compact();
        s.create(Kind::Deployment, deploy("b"));
        s.delete(Kind::Deployment, "ns", "a");
        let sub = s.subscribe(Some(1)).ok().unwrap();
        let kinds: Vec<_> = sub.backlog.iter().map(|c| (c.rv, c.event)).collect();
        assert_eq!(kinds, [(2, EventType::Added), (3, EventType::Deleted)]);
        assert_eq!(
            s.subscribe(Some(0)).err(),
            Some(TooOld {
                requested: 0,
                oldest: 1
            })
        );
        let (items, rv) = s.list(Kind::Deployment, Some("ns"));
        assert_eq!((items.len(), rv), (1, 3));
    }
}
