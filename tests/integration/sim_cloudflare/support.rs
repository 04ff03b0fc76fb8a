//! Shared helpers of the Cloudflare side's tests: paths, ids and events.
//! The simulator, the v4 client and waiting come from `crate::util`.

use ocfail::sim::SimHandle;
use reqwest::Method;
use serde_json::Value;

use crate::util::Cf;

pub const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
pub const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";

pub fn codes(v: &Value) -> Vec<i64> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_i64().unwrap())
        .collect()
}

pub fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn pools_path() -> String {
    format!("/accounts/{ACCOUNT}/load_balancers/pools")
}

pub async fn pool_id(cf: &Cf, name: &str) -> String {
    let v = cf.ok(Method::GET, &pools_path(), None).await;
    let pool = v["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no pool {name}"));
    pool["id"].as_str().unwrap().to_owned()
}

/// The region that answers `GET /healthz` through the LB, or the status.
pub async fn lb_region(sim: &SimHandle) -> Result<String, u16> {
    let resp = reqwest::get(format!("{}/healthz", sim.lb_url()))
        .await
        .unwrap();
    let status = resp.status().as_u16();
    match resp.headers().get("x-openclaw-region") {
        Some(r) if status == 200 => Ok(r.to_str().unwrap().to_owned()),
        _ => Err(status),
    }
}

/// The first event of `kind` (optionally in `region`) at or after `since`.
pub fn event_at(sim: &SimHandle, kind: &str, region: Option<&str>, since: u64) -> Option<u64> {
    sim.world()
        .log
        .snapshot()
        .into_iter()
        .find(|e| {
            e.at_ms >= since
                && e.kind == kind
                && region.is_none_or(|r| e.region.as_deref() == Some(r))
        })
        .map(|e| e.at_ms)
}
