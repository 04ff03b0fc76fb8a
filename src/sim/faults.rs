//! Injected faults: per-region Kubernetes API trouble, per-region origins
//! the edge cannot reach, and Cloudflare API trouble, set by `ocfail sim`
//! flags, the `/_sim/faults` API, or tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::watch;

/// Trouble on one region's Kubernetes API.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KubeFault {
    /// Added to every response.
    pub latency_ms: u64,
    /// Fraction (0..=1) of requests answered with a 503 Status.
    pub error_rate: f64,
    /// Fraction (0..=1) of writes (POST, PUT, PATCH, DELETE) answered with a
    /// 503 Status while reads still succeed, as when etcd has lost its leader
    /// but the API server still serves from its cache.
    pub write_error_rate: f64,
    /// New pods stay Pending, as when the region's nodes are full:
    /// Deployments that roll out or scale up while this is set get no ready
    /// replicas (pods already running keep running). Clearing it lets the
    /// Pending pods start, with no change to the spec.
    pub pending_pods: bool,
    /// Close the listener and drop every open connection: new connections
    /// are refused and keep-alive or in-flight ones fail.
    pub refuse: bool,
    /// Accept requests but never answer.
    pub hang: bool,
    /// Permissions the region's credentials lack, as `verb resource` or
    /// `verb resource/subresource` (e.g. `delete leases`): such requests get
    /// the API server's 403 Forbidden, and SelfSubjectAccessReviews answer
    /// "not allowed", as with a Role that does not grant them.
    pub deny: Vec<String>,
}

impl KubeFault {
    /// Whether `verb` on `resource` (with any `/subresource`) is denied.
    pub fn denies(&self, verb: &str, resource: &str) -> bool {
        self.deny.iter().any(|d| {
            d.split_once(' ')
                .is_some_and(|(v, r)| v == verb && r.trim() == resource)
        })
    }
}

/// Trouble on Cloudflare's API.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CloudflareFault {
    /// Added to every response.
    pub latency_ms: u64,
    /// Fraction (0..=1) of requests answered with a 500 envelope.
    pub error_rate: f64,
    /// The next this-many requests get 429 with `Retry-After`.
    pub rate_limit_burst: u32,
    /// `Retry-After` seconds sent with those 429s (at least 1).
    pub retry_after_secs: u64,
}

/// What the edge answers for an origin it cannot connect to, by cause:
/// 521 (connection refused), 522 (connection timed out), 523 (no route).
/// Cloudflare's zero-downtime failover also retries 525 and 526 (TLS
/// failures), which no fault produces: the simulated origins speak plain HTTP.
pub const UNREACHABLE_STATUSES: [u16; 3] = [521, 522, 523];

/// Trouble between Cloudflare's edge and one region's origin (its ingress,
/// its cloud load balancer, a firewall): the cluster itself is fine (pods
/// run, the API server's Service proxy still reaches them), but nothing from
/// outside gets through. LB requests routed there get `status` from the edge
/// instead of the app's answer, and so does the region's `/_direct/` probe
/// URL; the Cloudflare monitor's probes fail (a real monitor cannot reach
/// it either), so the pool turns unhealthy after `consecutive_down` checks.
///
/// Not modelled: a real 522 comes only after Cloudflare's connection
/// timeout, and a timed-out monitor probe is retried `retries` times first;
/// here both fail at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OriginFault {
    /// The edge cannot connect to the region's origin.
    pub unreachable: bool,
    /// What the edge answers then: one of [`UNREACHABLE_STATUSES`] (default 521).
    pub status: u16,
}

impl Default for OriginFault {
    fn default() -> Self {
        OriginFault {
            unreachable: false,
            status: 521,
        }
    }
}

impl OriginFault {
    /// An unreachable origin answered with `status` at the edge.
    pub fn unreachable(status: u16) -> Self {
        OriginFault {
            unreachable: true,
            status,
        }
    }

    /// Checks the status: one the edge sends for an unreachable origin.
    pub fn check(&self) -> Result<(), String> {
        if UNREACHABLE_STATUSES.contains(&self.status) {
            return Ok(());
        }
        Err(format!(
            "status {} is not one the edge answers for an unreachable origin; use 521 (refused), 522 (timed out) or 523 (no route)",
            self.status
        ))
    }

    /// The edge's answer for a request to this origin, when it cannot connect.
    pub fn edge_status(&self) -> Option<u16> {
        self.unreachable.then_some(self.status)
    }

    /// Why a monitor probe of this origin fails, in the words of Cloudflare's
    /// health events (load-balancing/troubleshooting/common-error-codes).
    pub fn probe_failure(&self) -> Option<&'static str> {
        match self.edge_status()? {
            523 => Some("No route to host error"),
            _ => Some("TCP connection failed"),
        }
    }
}

/// Refuses a rate outside 0..=1 (or NaN): `5` is most likely meant as 5%,
/// and silently failing every request would test something else.
fn check_rate(field: &str, rate: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&rate) {
        return Ok(());
    }
    let hint = if rate > 1.0 && rate <= 100.0 {
        let meant = (rate / 100.0 * 1e9).round() / 1e9;
        format!("for {rate}% write {meant}")
    } else {
        "write e.g. 0.05 for 5%".to_owned()
    };
    Err(format!(
        "{field} {rate} is not a fraction between 0 and 1; {hint}"
    ))
}

impl KubeFault {
    /// Checks the rates: each is a fraction between 0 and 1.
    pub fn check(&self) -> Result<(), String> {
        check_rate("errorRate", self.error_rate)?;
        check_rate("writeErrorRate", self.write_error_rate)
    }
}

impl CloudflareFault {
    /// Checks the rate: a fraction between 0 and 1.
    pub fn check(&self) -> Result<(), String> {
        check_rate("errorRate", self.error_rate)
    }
}

/// All current faults, shared by the listeners.
#[derive(Debug)]
pub struct Faults {
    kube: Mutex<BTreeMap<String, KubeFault>>,
    origin: Mutex<BTreeMap<String, OriginFault>>,
    cloudflare: Mutex<CloudflareFault>,
    changed: watch::Sender<u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Faults {
    /// No faults.
    pub fn new() -> Self {
        Faults {
            kube: Mutex::default(),
            origin: Mutex::default(),
            cloudflare: Mutex::default(),
            changed: watch::channel(0).0,
        }
    }

    /// The fault on `region`'s Kubernetes API (default: none).
    pub fn kube(&self, region: &str) -> KubeFault {
        lock(&self.kube).get(region).cloned().unwrap_or_default()
    }

    /// Sets (or, with the default value, clears) `region`'s Kubernetes fault.
    pub fn set_kube(&self, region: &str, fault: KubeFault) {
        let mut map = lock(&self.kube);
        if fault == KubeFault::default() {
            map.remove(region);
        } else {
            map.insert(region.to_owned(), fault);
        }
        drop(map);
        self.changed.send_modify(|n| *n += 1);
    }

    /// Every region's Kubernetes fault.
    pub fn all_kube(&self) -> BTreeMap<String, KubeFault> {
        lock(&self.kube).clone()
    }

    /// The fault between the edge and `region`'s origin (default: none).
    pub fn origin(&self, region: &str) -> OriginFault {
        lock(&self.origin).get(region).copied().unwrap_or_default()
    }

    /// Sets (or, when not `unreachable`, clears) `region`'s origin fault.
    pub fn set_origin(&self, region: &str, fault: OriginFault) {
        let mut map = lock(&self.origin);
        if fault.unreachable {
            map.insert(region.to_owned(), fault);
        } else {
            map.remove(region);
        }
        drop(map);
        self.changed.send_modify(|n| *n += 1);
    }

    /// Every region's origin fault.
    pub fn all_origin(&self) -> BTreeMap<String, OriginFault> {
        lock(&self.origin).clone()
    }

    /// The Cloudflare fault.
    pub fn cloudflare(&self) -> CloudflareFault {
        lock(&self.cloudflare).clone()
    }

    /// Sets the Cloudflare fault.
    pub fn set_cloudflare(&self, fault: CloudflareFault) {
        *lock(&self.cloudflare) = fault;
        self.changed.send_modify(|n| *n += 1);
    }

    /// Clears every fault.
    pub fn clear(&self) {
        lock(&self.kube).clear();
        lock(&self.origin).clear();
        *lock(&self.cloudflare) = CloudflareFault::default();
        self.changed.send_modify(|n| *n += 1);
    }

    /// Uses up one 429 of a burst; returns its `Retry-After` when there was one.
    pub fn take_rate_limited(&self) -> Option<u64> {
        let mut f = lock(&self.cloudflare);
        if f.rate_limit_burst == 0 {
            return None;
        }
        f.rate_limit_burst -= 1;
        Some(f.retry_after_secs.max(1))
    }

    /// Notified whenever a fault changes (the accept loops watch it).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

impl Default for Faults {
    fn default() -> Self {
        Self::new()
    }
}

fn roll(rate: f64) -> bool {
    rate > 0.0 && fastrand::f64() < rate
}

/// Middleware for a region's Kubernetes listener: latency, hangs and 5xx.
pub async fn kube_layer(
    State((faults, region)): State<(Arc<Faults>, String)>,
    req: Request,
    next: Next,
) -> Response {
    let fault = faults.kube(&region);
    if fault.hang {
        // Never answer; the client's timeout is what is being tested.
        std::future::pending::<()>().await;
    }
    if fault.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.latency_ms)).await;
    }
    let write = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    if roll(fault.error_rate) || (write && roll(fault.write_error_rate)) {
        let body = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "the server is currently unable to handle the request (injected by ocfail sim)",
            "reason": "ServiceUnavailable", "code": 503
        });
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    }
    next.run(req).await
}

/// Middleware for the Cloudflare listener: latency, 429 bursts and 5xx.
pub async fn cloudflare_layer(
    State(faults): State<Arc<Faults>>,
    req: Request,
    next: Next,
) -> Response {
    let fault = faults.cloudflare();
    if fault.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.latency_ms)).await;
    }
    if let Some(after) = faults.take_rate_limited() {
        let body = json!({"success": false, "errors": [{"code": 971, "message": "Please wait and consider throttling your request speed"}], "messages": [], "result": null});
        let mut resp = Response::new(Body::from(body.to_string()));
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        resp.headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        if let Ok(v) = HeaderValue::from_str(&after.to_string()) {
            resp.headers_mut().insert("retry-after", v);
        }
        return resp;
    }
    if roll(fault.error_rate) {
        let body = json!({"success": false, "errors": [{"code": 10001, "message": "Internal server error (injected by ocfail sim)"}], "messages": [], "result": null});
        return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_origin_fails_at_the_edge_and_for_the_monitor() {
        let faults = Faults::new();
        assert_eq!(faults.origin("r1").edge_status(), None);
        assert_eq!(faults.origin("r1").probe_failure(), None);
        faults.set_origin("r1", OriginFault::unreachable(521));
        assert_eq!(faults.origin("r1").edge_status(), Some(521));
        assert_eq!(
            faults.origin("r1").probe_failure(),
            Some("TCP connection failed")
        );
        assert_eq!(faults.origin("r2"), OriginFault::default());
        faults.set_origin("r1", OriginFault::unreachable(523));
        assert_eq!(
            faults.origin("r1").probe_failure(),
            Some("No route to host error")
        );
        // `unreachable: false` clears, whatever the status says.
        faults.set_origin("r1", OriginFault::default());
        assert!(faults.all_origin().is_empty());
        faults.set_origin("r1", OriginFault::unreachable(522));
        faults.clear();
        assert!(faults.all_origin().is_empty());
    }

    #[test]
    fn rates_must_be_fractions() {
        assert_eq!(KubeFault::default().check(), Ok(()));
        let kube = |error_rate, write_error_rate| KubeFault {
            error_rate,
            write_error_rate,
            ..KubeFault::default()
        };
        assert_eq!(kube(1.0, 0.5).check(), Ok(()));
        assert_eq!(
            kube(5.0, 0.0).check(),
            Err("errorRate 5 is not a fraction between 0 and 1; for 5% write 0.05".to_owned())
        );
        assert!(
            kube(0.0, -0.5)
                .check()
                .unwrap_err()
                .contains("writeErrorRate -0.5")
        );
        assert!(
            kube(f64::NAN, 0.0)
                .check()
                .unwrap_err()
                .contains("e.g. 0.05")
        );
        assert_eq!(OriginFault::unreachable(522).check(), Ok(()));
        assert!(
            OriginFault::unreachable(503)
                .check()
                .unwrap_err()
                .contains("status 503")
        );
        let cloudflare = CloudflareFault {
            error_rate: 250.0,
            ..CloudflareFault::default()
        };
        assert!(cloudflare.check().unwrap_err().contains("e.g. 0.05 for 5%"));
    }
}
