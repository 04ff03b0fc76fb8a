//! The run history in the clusters (docs/practice.md, "History"): one
//! ConfigMap `ocfail-history` per region namespace, one data key per run
//! (`run.<runId>`, so keys sort by start time), holding the run's
//! [`Entry`] as JSON. A run concerning several regions is written to each
//! of them; reading merges them by run id.
//!
//! Why a ConfigMap per region and not one fleet-wide object: each region's
//! cluster is the only thing ocfail can count on reaching for that region,
//! the Role already lives there, and `kubectl get configmap ocfail-history
//! -o yaml` shows it with no ocfail at hand (docs/decisions.md).
//!
//! Writes are read-modify-write at the read `resourceVersion`, retried on a
//! conflict, so concurrent writers (a drill and the exporter, two regions'
//! restores) never drop each other's entries. The history is bounded: the
//! newest [`KEEP`] entries, and never more than [`MAX_BYTES`] of data.

use std::collections::BTreeMap;

use futures_util::future::join_all;

use crate::facts::api::ApiProblem;
use crate::facts::history::{Entry, RestoredBy, RunState};
use crate::kube::{ConfigMapState, KubeError, KubeErrorKind, Workloads};
use crate::manifest::Region;

use super::clients::Clients;
use super::describe;

/// The ConfigMap's name, in every region's namespace.
pub const CONFIG_MAP: &str = "ocfail-history";

/// The newest entries kept per region; older ones are dropped.
pub const KEEP: usize = 100;

/// The most data kept per region, well under a ConfigMap's 1 MiB.
pub const MAX_BYTES: usize = 512 * 1024;

/// Data keys of entries start with this; the rest is the run id.
const PREFIX: &str = "run.";

/// How often a write is retried when another writer got there first.
const CONFLICT_TRIES: u32 = 5;

/// Who runs this process, for the history and for `restoredBy`:
/// `$OCFAIL_ACTOR` when set (deploy/ sets it to the ServiceAccount), else
/// `user@host`.
pub fn actor() -> String {
    if let Ok(actor) = std::env::var("OCFAIL_ACTOR")
        && !actor.trim().is_empty()
    {
        return actor.trim().to_owned();
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{user}@{host}")
}

/// A region whose history could not be written or read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unwritten {
    /// The region.
    pub region: String,
    /// What went wrong.
    pub problem: ApiProblem,
}

/// Writes `entry` (new or replacing the one with its run id) into the
/// history of each region in `entry.regions`, concurrently. Returns the
/// regions where it could not be written; the run goes on without them.
pub async fn record<W, P>(c: &Clients<W, P>, entry: &Entry) -> Vec<Unwritten>
where
    W: Workloads + Clone + 'static,
{
    let writes = c
        .regions
        .iter()
        .filter(|(r, _)| entry.regions.iter().any(|n| n == r.name.as_str()))
        .map(|(r, k)| async move {
            let k = match k {
                Ok(k) => k,
                Err(e) => return Some(unwritten(r, e)),
            };
            update(k, |data| upsert(data, entry))
                .await
                .err()
                .map(|e| unwritten(r, &e))
        });
    join_all(writes).await.into_iter().flatten().collect()
}

/// Marks each of `runs` as interrupted and cleaned up by `by` in every
/// region whose history holds it (a restore after a crash). Entries that
/// are missing are left alone: the run may predate the history.
pub async fn mark_restored<W, P>(
    c: &Clients<W, P>,
    runs: &[String],
    by: &RestoredBy,
) -> Vec<Unwritten>
where
    W: Workloads + Clone + 'static,
{
    if runs.is_empty() {
        return Vec::new();
    }
    let writes = c.regions.iter().map(|(r, k)| async move {
        let k = match k {
            Ok(k) => k,
            Err(e) => return Some(unwritten(r, e)),
        };
        update(k, |data| {
            for run in runs {
                let key = key(run);
                let Some(mut entry) = data.get(&key).and_then(|v| parse(v)) else {
                    continue;
                };
                if entry.state == RunState::Finished {
                    // It recorded its own end: nothing was left to clean.
                    continue;
                }
                entry.state = RunState::Interrupted;
                entry.restored_by = Some(by.clone());
                if entry.finished_at.is_none() {
                    entry.finished_at = Some(by.at.clone());
                }
                data.insert(key, to_json(&entry));
            }
        })
        .await
        .err()
        .map(|e| unwritten(r, &e))
    });
    join_all(writes).await.into_iter().flatten().collect()
}

/// Each region's history (or why it could not be read), in manifest order,
/// oldest entry first.
pub async fn read<W, P>(c: &Clients<W, P>) -> Vec<(String, Result<Vec<Entry>, ApiProblem>)>
where
    W: Workloads + Clone + 'static,
{
    let reads = c.regions.iter().map(|(r, k)| async move {
        let entries = match k {
            Ok(k) => match k.config_map(CONFIG_MAP).await {
                Ok(Some(cm)) => Ok(entries(&cm.data)),
                Ok(None) => Ok(Vec::new()),
                Err(e) => Err(describe::kube_problem(&e)),
            },
            Err(e) => Err(describe::kube_problem(e)),
        };
        (r.name.to_string(), entries)
    });
    join_all(reads).await
}

/// The entries of every region merged by run id (a multi-region run is
/// stored in each of its regions; the copy that went furthest wins),
/// newest first.
pub fn merged<'a>(histories: impl IntoIterator<Item = &'a Vec<Entry>>) -> Vec<Entry> {
    let mut by_run: BTreeMap<String, Entry> = BTreeMap::new();
    for entry in histories.into_iter().flatten() {
        match by_run.get(&entry.run_id) {
            Some(kept) if rank(kept) >= rank(entry) => {}
            _ => {
                by_run.insert(entry.run_id.clone(), entry.clone());
            }
        }
    }
    // By start time, to the millisecond: run ids sort by their start
    // second only, and a restore often starts in the second its crashed run did.
    let mut out: Vec<Entry> = by_run.into_values().collect();
    out.sort_by_cached_key(|e| {
        let at = e.started_at.parse::<jiff::Timestamp>().ok();
        std::cmp::Reverse((at, e.run_id.clone()))
    });
    out
}

/// How far a copy of an entry got: an ended one outranks a running one,
/// and one a restore marked outranks both.
fn rank(e: &Entry) -> u8 {
    match (e.state, e.restored_by.is_some()) {
        (_, true) => 3,
        (RunState::Running | RunState::Unfinished, false) => 0,
        (RunState::Interrupted, false) => 1,
        (RunState::Finished, false) => 2,
    }
}

/// The entries of one ConfigMap's data, oldest first; unreadable values
/// (another tool's keys, a newer ocfail's format) are skipped.
pub fn entries(data: &BTreeMap<String, String>) -> Vec<Entry> {
    data.iter()
        .filter(|(k, _)| k.starts_with(PREFIX))
        .filter_map(|(_, v)| parse(v))
        .collect()
}

/// Reads the history ConfigMap, changes its data with `change`, bounds it
/// and writes it back at the read version; retried on a conflict.
async fn update<W: Workloads>(
    k: &W,
    change: impl Fn(&mut BTreeMap<String, String>),
) -> Result<ConfigMapState, KubeError> {
    let mut tries = 0;
    loop {
        tries += 1;
        let current = k.config_map(CONFIG_MAP).await?;
        let mut data = current.as_ref().map(|c| c.data.clone()).unwrap_or_default();
        change(&mut data);
        bound(&mut data);
        let written = match &current {
            Some(cm) if cm.data == data => return Ok(cm.clone()),
            Some(cm) => k.replace_config_map(cm, &data).await,
            None => k.create_config_map(CONFIG_MAP, &data).await,
        };
        match written {
            Err(e) if e.kind == KubeErrorKind::Conflict && tries < CONFLICT_TRIES => continue,
            other => return other,
        }
    }
}

/// Inserts or replaces `entry` under its run id.
fn upsert(data: &mut BTreeMap<String, String>, entry: &Entry) {
    data.insert(key(&entry.run_id), to_json(entry));
}

/// Drops the oldest entries beyond [`KEEP`], then beyond [`MAX_BYTES`].
/// Keys sort by start time because run ids start with it.
fn bound(data: &mut BTreeMap<String, String>) {
    let mut runs: Vec<String> = data
        .keys()
        .filter(|k| k.starts_with(PREFIX))
        .cloned()
        .collect();
    let excess = runs.len().saturating_sub(KEEP);
    for k in runs.drain(..excess) {
        data.remove(&k);
    }
    let size =
        |d: &BTreeMap<String, String>| d.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    let mut oldest = runs.into_iter();
    while size(data) > MAX_BYTES {
        match oldest.next() {
            Some(k) => {
                data.remove(&k);
            }
            None => break,
        }
    }
}

fn key(run_id: &str) -> String {
    format!("{PREFIX}{run_id}")
}

fn parse(value: &str) -> Option<Entry> {
    serde_json::from_str(value).ok()
}

fn to_json(entry: &Entry) -> String {
    // Strings, numbers and maps of them always serialize.
    serde_json::to_string(entry).unwrap_or_default()
}

fn unwritten(r: &Region, e: &KubeError) -> Unwritten {
    Unwritten {
        region: r.name.to_string(),
        problem: describe::kube_problem(e),
    }
}

#[cfg(test)]
mod tests;
