//! The `/_sim/` admin API on its own listener (so injected faults never
//! block it): the event log, the current route, and fault injection.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde::Deserialize;
use serde_json::json;

use super::cloudflare::Route;
use super::faults::{CloudflareFault, KubeFault, OriginFault};
use super::world::World;

/// `?since=MS` on `/_sim/events`.
#[derive(Debug, Deserialize)]
struct Since {
    since: Option<u64>,
}

/// The admin router.
pub fn router(world: Arc<World>) -> Router {
    Router::new()
        .route("/_sim/healthz", get(|| async { "ok" }))
        .route("/_sim/events", get(events))
        .route("/_sim/route", get(route))
        .route("/_sim/faults", get(faults).delete(clear_faults))
        .route(
            "/_sim/faults/kube/{region}",
            put(set_kube).delete(clear_kube),
        )
        .route(
            "/_sim/faults/origin/{region}",
            put(set_origin).delete(clear_origin),
        )
        .route(
            "/_sim/faults/cloudflare",
            put(set_cloudflare).delete(clear_cloudflare),
        )
        .with_state(world)
}

async fn events(
    State(world): State<Arc<World>>,
    Query(q): Query<Since>,
) -> Json<serde_json::Value> {
    let since = q.since.unwrap_or(0);
    let events: Vec<_> = world
        .log
        .snapshot()
        .into_iter()
        .filter(|e| e.at_ms >= since)
        .collect();
    Json(json!(events))
}

async fn route(State(world): State<Arc<World>>) -> Json<serde_json::Value> {
    Json(match world.cloudflare.route() {
        Route::Pool { pool_id, region } => json!({"poolId": pool_id, "region": region}),
        Route::Nothing => json!({"poolId": null, "region": null}),
    })
}

async fn faults(State(world): State<Arc<World>>) -> Json<serde_json::Value> {
    Json(json!({
        "kube": world.faults.all_kube(),
        "origin": world.faults.all_origin(),
        "cloudflare": world.faults.cloudflare(),
    }))
}

async fn clear_faults(State(world): State<Arc<World>>) -> StatusCode {
    world.faults.clear();
    world
        .log
        .push("admin", None, "faults-cleared", "all faults cleared");
    StatusCode::NO_CONTENT
}

async fn set_kube(
    State(world): State<Arc<World>>,
    Path(region): Path<String>,
    Json(fault): Json<KubeFault>,
) -> Response {
    if world.cluster(&region).is_none() {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no region `{region}`")})),
        )
            .into_response();
    }
    if let Err(e) = fault.check() {
        return bad_request(e);
    }
    world
        .log
        .push("admin", Some(&region), "kube-fault", format!("{fault:?}"));
    world.faults.set_kube(&region, fault);
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_kube(State(world): State<Arc<World>>, Path(region): Path<String>) -> StatusCode {
    world.faults.set_kube(&region, KubeFault::default());
    world
        .log
        .push("admin", Some(&region), "kube-fault-cleared", "cleared");
    StatusCode::NO_CONTENT
}

/// `PUT /_sim/faults/origin/{region}`: e.g. `{"unreachable": true}` (the
/// edge answers 521) or `{"unreachable": true, "status": 522}`.
async fn set_origin(
    State(world): State<Arc<World>>,
    Path(region): Path<String>,
    Json(fault): Json<OriginFault>,
) -> Response {
    if world.cluster(&region).is_none() {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no region `{region}`")})),
        )
            .into_response();
    }
    if let Err(e) = fault.check() {
        return bad_request(e);
    }
    world
        .log
        .push("admin", Some(&region), "origin-fault", format!("{fault:?}"));
    world.faults.set_origin(&region, fault);
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_origin(State(world): State<Arc<World>>, Path(region): Path<String>) -> StatusCode {
    world.faults.set_origin(&region, OriginFault::default());
    world
        .log
        .push("admin", Some(&region), "origin-fault-cleared", "cleared");
    StatusCode::NO_CONTENT
}

async fn set_cloudflare(
    State(world): State<Arc<World>>,
    Json(fault): Json<CloudflareFault>,
) -> Response {
    if let Err(e) = fault.check() {
        return bad_request(e);
    }
    world
        .log
        .push("admin", None, "cloudflare-fault", format!("{fault:?}"));
    world.faults.set_cloudflare(fault);
    StatusCode::NO_CONTENT.into_response()
}

/// A fault that cannot be set: 400 with why, the fault left as it was.
fn bad_request(error: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response()
}

async fn clear_cloudflare(State(world): State<Arc<World>>) -> StatusCode {
    world.faults.set_cloudflare(CloudflareFault::default());
    world
        .log
        .push("admin", None, "cloudflare-fault-cleared", "cleared");
    StatusCode::NO_CONTENT
}
