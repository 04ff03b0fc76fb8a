//! The Kubernetes API subset one region's listener serves.
//!
//! (Skeleton: filled in by the Kubernetes-side work of issue 3.)

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use super::world::World;

/// The router for `region`'s API server.
pub fn router(_world: Arc<World>, _region: String) -> Router {
    Router::new().route(
        "/version",
        get(|| async {
            axum::Json(serde_json::json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-ocfail-sim", "platform": "linux/amd64"}))
        }),
    )
}
