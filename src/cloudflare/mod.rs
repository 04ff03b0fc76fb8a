//! Cloudflare's v4 API, behind the narrow [`Pools`] trait that operations
//! depend on. `client.rs` implements it with reqwest: one process-wide
//! request budget (`budget.rs`), `Retry-After` on 429, backoff with jitter
//! on 5xx for idempotent requests (`transport.rs`).

pub mod budget;
pub mod client;
pub mod error;
mod transport;
pub mod wire;

pub use budget::RequestBudget;
pub use client::{ApiToken, ClientOptions, CloudflareClient};
pub use error::{CfError, CfErrorKind};
pub use wire::*;

use std::future::Future;

/// What ocfail needs from Cloudflare's load balancing API.
pub trait Pools: Send + Sync {
    /// `GET /user/tokens/verify` (falling back to the account endpoint).
    fn verify_token(&self) -> impl Future<Output = Result<TokenStatus, CfError>> + Send;

    /// The zone's load balancer with this name (its hostname).
    fn load_balancer(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<LoadBalancer, CfError>> + Send;

    /// Every pool of the account (pagination followed to the end).
    fn pools(&self) -> impl Future<Output = Result<Vec<Pool>, CfError>> + Send;

    /// One pool by id, or by name when no pool has that id.
    fn pool(&self, name_or_id: &str) -> impl Future<Output = Result<Pool, CfError>> + Send;

    /// A pool's health per check location and origin.
    fn pool_health(
        &self,
        pool_id: &str,
    ) -> impl Future<Output = Result<PoolHealth, CfError>> + Send;

    /// A monitor by id.
    fn monitor(&self, monitor_id: &str) -> impl Future<Output = Result<Monitor, CfError>> + Send;

    /// Runs a health-check preview of `monitor` against a pool and waits
    /// (within the request budget and timeout) for its result.
    fn preview(
        &self,
        pool_id: &str,
        monitor: &Monitor,
    ) -> impl Future<Output = Result<PreviewResult, CfError>> + Send;

    /// Sets a pool's `enabled` flag (PATCH; other fields are kept).
    fn set_pool_enabled(
        &self,
        pool_id: &str,
        enabled: bool,
    ) -> impl Future<Output = Result<Pool, CfError>> + Send;

    /// [`Pools::pool`], with the moment the answer describes: when the
    /// request that got it was sent, after any wait for the request budget,
    /// a `Retry-After` or a retry, so a slow or rate-limited API does not
    /// stretch a time measured with it.
    fn pool_as_of(
        &self,
        name_or_id: &str,
    ) -> impl Future<Output = Result<(Pool, tokio::time::Instant), CfError>> + Send {
        async move {
            let pool = self.pool(name_or_id).await?;
            Ok((pool, tokio::time::Instant::now()))
        }
    }

    /// HTTP requests sent so far, retries included (the share of the API
    /// budget a run used); 0 for clients that do not count.
    fn requests_sent(&self) -> u64 {
        0
    }
}
