//! The LB hostname: routes every request by steering to a region's live
//! colour, and `/_direct/<region>/…` straight to a region (its probe URL).
//!
//! (Skeleton: filled in by the Cloudflare-side work of issue 3.)

use std::sync::Arc;

use axum::Router;

use super::world::World;

/// Path prefix for a region's direct endpoint (the manifest's `probe`).
pub const DIRECT_PREFIX: &str = "/_direct";

/// The router for the LB listener.
pub fn router(_world: Arc<World>) -> Router {
    Router::new()
}
