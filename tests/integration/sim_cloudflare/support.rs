//! Shared helpers: starting the simulator, a tiny v4 client, envelope
//! checks, and polling with a deadline.

use std::path::Path;
use std::time::{Duration, Instant};

use ocfail::sim::{Sim, SimHandle, SimOptions};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
pub const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";

pub async fn start() -> SimHandle {
    ocfail::install_crypto_provider();
    let fleet = ocfail::manifest::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/fleet.yaml"
    )))
    .unwrap();
    Sim::start(&fleet, SimOptions::fast()).await.unwrap()
}

/// A tiny v4 client: method, path under the base URL, optional body, token.
pub struct Cf {
    pub base: String,
    pub http: reqwest::Client,
}

impl Cf {
    pub fn new(sim: &SimHandle) -> Self {
        Cf {
            base: sim.cloudflare_url(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        (status, headers, v)
    }

    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, _, v) = self.call(method, path, body, Some("sim-token")).await;
        assert_eq!(status, 200, "{path}: {v:#}");
        assert_envelope(&v, true);
        v
    }

    pub async fn fail(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let (status, _, v) = self.call(method, path, body, token).await;
        assert_envelope(&v, false);
        (status, v)
    }
}

pub fn assert_envelope(v: &Value, success: bool) {
    for key in ["success", "errors", "messages", "result"] {
        assert!(v.get(key).is_some(), "envelope lacks `{key}`: {v:#}");
    }
    assert_eq!(v["success"], success, "{v:#}");
    if !success {
        assert_eq!(v["result"], Value::Null);
        assert!(!v["errors"].as_array().unwrap().is_empty());
    }
}

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

/// Polls `f` every 20 ms until it returns `Some`, failing after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(t) = f().await {
            return t;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
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
