//! The LB hostname: routes every request by steering to a region's live
//! Service, and `/_direct/<region>/…` straight to a region (its probe URL).
//!
//! Answers carry `server: cloudflare` and a `cf-ray` id like a proxied
//! Cloudflare hostname; when no pool can serve, the body is Cloudflare's
//! `error code: 1016` page with HTTP 530.
//!
//! # Zero-downtime failover
//!
//! Modelled as Cloudflare documents it (developers.cloudflare.com/
//! load-balancing/understand-basics/adaptive-routing/;
//! docs/cloudflare-api.md): when the chosen
//! origin's answer is one of
//! [`ZERO_DOWNTIME_FAILOVER_STATUSES`](crate::cloudflare::ZERO_DOWNTIME_FAILOVER_STATUSES)
//! (521, 522, 523, 525, 526: the edge could not connect, or TLS failed),
//! the edge retries the request **once**: on another healthy origin of the
//! same pool, or, when the pool has none and only with
//! `adaptive_routing.failover_across_pools`, on a healthy origin of the next
//! eligible pool in `default_pools` order. "Healthy" is what the monitor
//! last decided, so the retry works in the window before the monitor marks
//! the failing origin down, which is what the feature is for. The retry's
//! answer is what the client gets, whatever it is; without an alternate the
//! first answer is. Every other status passes through unchanged: a 503
//! from an ingress with no pod left (what a scaled-to-zero region answers,
//! [`app::unavailable`](super::app::unavailable)), a 500, Cloudflare's
//! 524 (timeout after connecting) and 530 (no pool). A retried answer
//! carries [`RETRIED_HEADER`].
//!
//! Not modelled: `session_affinity_attributes.zero_downtime_failover`
//! (the simulated LB has no session affinity), the per-data-centre view of
//! health (one global decision), the latency a real retry adds (a 522 comes
//! only after Cloudflare's connection timeout), and the geo-steering
//! limits the docs mention (geo steering is failover here). 525 and 526
//! are retried but no fault produces them: simulated origins speak plain
//! HTTP, and an [`OriginFault`](super::OriginFault) answers 521, 522 or 523.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use super::app::{AppRequest, AppResponse};
use super::cloudflare::Endpoint;
use super::world::World;
use crate::cloudflare::zero_downtime_failover_retries;

/// Path prefix for a region's direct endpoint (the manifest's `probe`).
pub const DIRECT_PREFIX: &str = "/_direct";

/// Set on an answer that zero-downtime failover retried: the first
/// origin's status and region, e.g. `521 us-east-1`. Simulator only (real
/// Cloudflare says nothing), for tests and for reading a drill's traffic.
pub const RETRIED_HEADER: &str = "x-ocfail-sim-retried";

/// Largest request body passed on to the app.
const MAX_BODY: usize = 1 << 20;

/// The router for the LB listener.
pub fn router(world: Arc<World>) -> Router {
    Router::new().fallback(handle).with_state(world)
}

async fn handle(State(world): State<Arc<World>>, req: Request) -> Response {
    let method = req.method().as_str().to_ascii_uppercase();
    let path = req.uri().path().to_owned();
    let Ok(body) = to_bytes(req.into_body(), MAX_BODY).await else {
        return edge_error(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    };
    let app_request = |path: String| AppRequest {
        method: method.clone(),
        path,
        body: body.to_vec(),
    };
    if let Some(rest) = path.strip_prefix(DIRECT_PREFIX) {
        let rest = rest.trim_start_matches('/');
        let (region, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(r) = world.fleet.region(region) else {
            return edge_error(
                StatusCode::NOT_FOUND,
                &format!("no region `{region}` behind {DIRECT_PREFIX}/"),
            );
        };
        let endpoint = Endpoint {
            region: region.to_owned(),
            namespace: r.namespace.clone(),
            service: r.service.clone(),
        };
        return from_origin(&world, Some(&endpoint), &app_request(format!("/{tail}")));
    }
    let Some(target) = world.cloudflare.target() else {
        // Cloudflare's answer when no pool (not even the fallback) can serve.
        return edge_error(status(530), "error code: 1016");
    };
    let request = app_request(path);
    let first = from_origin(&world, target.endpoint.as_ref(), &request);
    let code = first.status().as_u16();
    if !zero_downtime_failover_retries(code) {
        return first;
    }
    let Some(retry) = world.cloudflare.retry_target(&target) else {
        return first;
    };
    let mut second = from_origin(&world, retry.endpoint.as_ref(), &request);
    if let Ok(v) = HeaderValue::from_str(&format!("{code} {}", target.region)) {
        second.headers_mut().insert(RETRIED_HEADER, v);
    }
    second
}

/// The answer through one origin: its Service's, or the edge's own error
/// page when the origin cannot be reached (its address names no region, or
/// an [`OriginFault`](super::OriginFault) makes it unreachable).
fn from_origin(world: &World, endpoint: Option<&Endpoint>, req: &AppRequest) -> Response {
    let Some((e, cluster)) = endpoint.and_then(|e| world.cluster(&e.region).map(|c| (e, c))) else {
        // The origin's address resolves to nothing: "origin is unreachable".
        return edge_error(status(523), "error code: 523");
    };
    if let Some(code) = world.faults.origin(&e.region).edge_status() {
        return edge_error(status(code), &format!("error code: {code}"));
    }
    app_response(cluster.serve_service(&e.namespace, &e.service, req))
}

/// A status code the edge sends; Cloudflare's own 52x codes are valid
/// `StatusCode`s, so the fallback never shows.
fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY)
}

fn app_response(app: AppResponse) -> Response {
    let mut resp = Response::new(Body::from(app.body));
    *resp.status_mut() = status(app.status);
    for (name, value) in app.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    edge_headers(resp)
}

fn edge_error(status: StatusCode, text: &str) -> Response {
    let mut resp = Response::new(Body::from(text.to_owned()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    edge_headers(resp)
}

fn edge_headers(mut resp: Response) -> Response {
    let ray = format!("{:016x}-SIM", fastrand::u64(..));
    let h = resp.headers_mut();
    h.insert("server", HeaderValue::from_static("cloudflare"));
    if let Ok(v) = HeaderValue::from_str(&ray) {
        h.insert("cf-ray", v);
    }
    resp
}
