//! [`Pools`](super::Pools) implemented with reqwest.
//!
//! (Skeleton: filled in by issue 4's Cloudflare client work.)

use std::fmt;
use std::time::Duration;

/// The API token. Debug and Display never show it.
#[derive(Clone)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token value.
    pub fn new(value: String) -> Self {
        ApiToken(value)
    }

    /// The value, for the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How the client behaves.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// v4 API base URL (ends in `/client/v4`).
    pub api_url: String,
    /// Account id.
    pub account_id: String,
    /// Zone id.
    pub zone_id: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Process-wide request budget.
    pub requests_per_second: f64,
    /// Tries per idempotent request (first try included).
    pub max_tries: u32,
}

/// A Cloudflare v4 API client.
#[derive(Clone, Debug)]
pub struct CloudflareClient {
    options: ClientOptions,
    token: ApiToken,
}

impl CloudflareClient {
    /// A client with `options` authenticating with `token`.
    pub fn new(options: ClientOptions, token: ApiToken) -> Self {
        CloudflareClient { options, token }
    }

    /// The options it was built with.
    pub fn options(&self) -> &ClientOptions {
        let _ = &self.token;
        &self.options
    }
}
