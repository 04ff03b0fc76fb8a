//! The LB hostname: routes every request by steering to a region's live
//! Service, and `/_direct/<region>/…` straight to a region (its probe URL).
//!
//! Answers carry `server: cloudflare` and a `cf-ray` id like a proxied
//! Cloudflare hostname; when no pool can serve, the body is Cloudflare's
//! `error code: 1016` page with HTTP 530.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use super::app::{AppRequest, AppResponse};
use super::world::World;

/// Path prefix for a region's direct endpoint (the manifest's `probe`).
pub const DIRECT_PREFIX: &str = "/_direct";

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
        let (Some(r), Some(cluster)) = (world.fleet.region(region), world.cluster(region)) else {
            return edge_error(
                StatusCode::NOT_FOUND,
                &format!("no region `{region}` behind {DIRECT_PREFIX}/"),
            );
        };
        let resp =
            cluster.serve_service(&r.namespace, &r.service, &app_request(format!("/{tail}")));
        return app_response(resp);
    }
    let Some(target) = world.cloudflare.target() else {
        // Cloudflare's answer when no pool (not even the fallback) can serve.
        return edge_error(
            StatusCode::from_u16(530).unwrap_or(StatusCode::BAD_GATEWAY),
            "error code: 1016",
        );
    };
    let cluster = target
        .endpoint
        .as_ref()
        .and_then(|e| world.cluster(&e.region).map(|c| (e, c)));
    match cluster {
        Some((e, c)) => app_response(c.serve_service(&e.namespace, &e.service, &app_request(path))),
        // The origin's address resolves to nothing: "origin is unreachable".
        None => edge_error(
            StatusCode::from_u16(523).unwrap_or(StatusCode::BAD_GATEWAY),
            "error code: 523",
        ),
    }
}

fn app_response(app: AppResponse) -> Response {
    let mut resp = Response::new(Body::from(app.body));
    *resp.status_mut() = StatusCode::from_u16(app.status).unwrap_or(StatusCode::BAD_GATEWAY);
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
