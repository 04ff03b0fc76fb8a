//! Health-check previews: probe a pool (or every pool of a monitor) now,
//! with monitor settings that are not saved, and keep the result for
//! `GET …/load_balancers/preview/{id}`.

use serde_json::{Map, Value, json};

use super::lock;
use super::monitor::{origin_data, probe};
use super::objects::{CfError, Kind};
use super::wire::{self, Monitor, Pool};
use crate::sim::world::World;

/// What a preview covers.
#[derive(Clone, Copy, Debug)]
pub enum PreviewScope<'a> {
    /// `POST …/pools/{id}/preview`: that pool.
    Pool(&'a str),
    /// `POST …/monitors/{id}/preview`: every pool using that monitor.
    Monitor(&'a str),
}

/// Runs a health-check preview now with the submitted monitor settings and
/// stores the result; returns `{pools: {id: name}, preview_id}`.
pub fn run_preview(
    world: &World,
    scope: PreviewScope<'_>,
    monitor: &Monitor,
) -> Result<Value, CfError> {
    let cf = &world.cloudflare;
    let pools: Vec<Pool> = {
        let st = lock(&cf.state);
        match scope {
            PreviewScope::Pool(id) => {
                let p = st.pools.iter().find(|p| p.id == id);
                vec![p.cloned().ok_or(CfError::NotFound(Kind::Pool))?]
            }
            PreviewScope::Monitor(id) => {
                if !st.monitors.iter().any(|m| m.id == id) {
                    return Err(CfError::NotFound(Kind::Monitor));
                }
                let using = st.pools.iter().filter(|p| p.monitor.as_deref() == Some(id));
                using.cloned().collect()
            }
        }
    };
    let mut names = Map::new();
    let mut result = Map::new();
    for pool in &pools {
        names.insert(pool.id.clone(), Value::String(pool.name.clone()));
        let regions = pool.probe_regions();
        let mut passing = 0_i64;
        let origins: Vec<Value> = pool
            .origins
            .iter()
            .filter(|o| o.enabled)
            .map(|o| {
                let p = probe(world, monitor, &o.address, &regions);
                let ok = p.failure.is_none();
                passing += i64::from(ok);
                json!({ o.address.clone(): origin_data(ok, &p, regions.first().copied().unwrap_or("WNAM")) })
            })
            .collect();
        result.insert(
            pool.id.clone(),
            json!({"healthy": passing >= pool.minimum_origins, "origins": origins}),
        );
    }
    let preview_id = wire::random_id();
    let mut st = lock(&cf.state);
    if st.previews.len() >= 100 {
        st.previews.pop_front();
    }
    st.previews
        .push_back((preview_id.clone(), Value::Object(result)));
    Ok(json!({"pools": names, "preview_id": preview_id}))
}

impl super::Cloudflare {
    /// `GET …/load_balancers/preview/{id}`.
    pub fn preview_result(&self, preview_id: &str) -> Result<Value, CfError> {
        let st = lock(&self.state);
        st.previews
            .iter()
            .find(|(id, _)| id == preview_id)
            .map(|(_, v)| v.clone())
            .ok_or(CfError::NotFound(Kind::Preview))
    }
}
