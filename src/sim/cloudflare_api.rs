//! The Cloudflare v4 API subset (`/client/v4`).
//!
//! (Skeleton: filled in by the Cloudflare-side work of issue 3.)

use std::sync::Arc;

use axum::Router;

use super::world::World;

/// The router for the Cloudflare listener.
pub fn router(_world: Arc<World>) -> Router {
    Router::new()
}
