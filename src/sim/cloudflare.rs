//! The simulated Cloudflare account: monitor, pools, LB, and the monitor loop
//! that turns Service readiness into pool health.
//!
//! (Skeleton: filled in by the Cloudflare-side work of issue 3.)

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::log::EventLog;
use super::options::SimOptions;
use super::world::World;
use crate::manifest::Fleet;

/// Where the LB sends a request now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// To this pool's region.
    Pool {
        /// The pool's id.
        pool_id: String,
        /// The region the pool fronts.
        region: String,
    },
    /// Nothing can serve (HTTP 530).
    Nothing,
}

/// The account's state.
#[derive(Debug)]
pub struct Cloudflare {
    log: EventLog,
    first_region: Option<String>,
}

impl Cloudflare {
    /// The account seeded from `fleet`.
    pub fn seeded(fleet: &Fleet, _options: &SimOptions, log: EventLog) -> Self {
        Cloudflare {
            log,
            first_region: fleet.regions.first().map(|r| r.name.to_string()),
        }
    }

    /// The pool the LB selects now (steering, health, fallback).
    pub fn route(&self) -> Route {
        let _ = &self.log;
        match &self.first_region {
            Some(r) => Route::Pool {
                pool_id: String::new(),
                region: r.clone(),
            },
            None => Route::Nothing,
        }
    }
}

/// Checks every pool's origins on the monitor's interval until cancelled.
pub async fn run_monitor(_world: Arc<World>, cancel: CancellationToken) {
    cancel.cancelled().await;
}
