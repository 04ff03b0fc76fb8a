//! [`Pools`] implemented with reqwest: paths, pagination, lookups by name,
//! and the preview's two-step flow. Sending, retries and error mapping live
//! in `transport.rs`, the request budget in `budget.rs`.

mod lookup;
mod paging;
mod token;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub use self::token::ApiToken;
use super::Pools;
use super::budget::RequestBudget;
use super::error::{CfError, CfErrorKind};
use super::transport::{Call, Transport};
use super::wire::{
    LoadBalancer, Monitor, Pool, PoolHealth, PreviewResult, PreviewStarted, TokenStatus,
};

/// Cloudflare's v4 API.
pub const DEFAULT_API_URL: &str = "https://api.cloudflare.com/client/v4";
/// Per-attempt timeout unless the command says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// docs/cloudflare-api.md: well under Cloudflare's 1200 requests per 5 minutes.
pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 2.0;
/// Attempts per request, the first included.
pub const DEFAULT_MAX_TRIES: u32 = 3;

/// Pause between polls of a preview's result (the budget spaces them too).
const PREVIEW_POLL: Duration = Duration::from_millis(500);

/// How the client behaves.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// v4 API base URL (ends in `/client/v4`).
    pub api_url: String,
    /// Account id.
    pub account_id: String,
    /// Zone id.
    pub zone_id: String,
    /// Per-attempt timeout; also how long a preview's result is awaited.
    pub timeout: Duration,
    /// Process-wide request budget, shared by every clone of the client.
    pub requests_per_second: f64,
    /// Tries per request (first try included); see `transport.rs` for
    /// which failures are retried.
    pub max_tries: u32,
}

impl ClientOptions {
    /// Options for this account and zone with the default timeout, budget
    /// and tries.
    pub fn new(
        api_url: impl Into<String>,
        account_id: impl Into<String>,
        zone_id: impl Into<String>,
    ) -> Self {
        ClientOptions {
            api_url: api_url.into(),
            account_id: account_id.into(),
            zone_id: zone_id.into(),
            timeout: DEFAULT_TIMEOUT,
            requests_per_second: DEFAULT_REQUESTS_PER_SECOND,
            max_tries: DEFAULT_MAX_TRIES,
        }
    }
}

/// A Cloudflare v4 API client. Clones share one connection pool and one
/// request budget, so build one per process and clone it; `Debug` never
/// shows the token.
#[derive(Clone)]
pub struct CloudflareClient {
    options: ClientOptions,
    transport: Transport,
}

impl fmt::Debug for CloudflareClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudflareClient")
            .field("options", &self.options)
            .field("token", &self.transport.token)
            .finish_non_exhaustive()
    }
}

impl CloudflareClient {
    /// A client with `options` authenticating with `token`. Fails on options
    /// that cannot work (bad URL, ids, rate) and on a token that cannot be
    /// sent in a header; nothing is contacted yet.
    pub fn new(options: ClientOptions, token: ApiToken) -> Result<Self, CfError> {
        let invalid = |message: String, hint: &str| {
            CfError::new(CfErrorKind::Api, "", message).with_hint(hint.to_owned())
        };
        token.check()?;
        let budget = RequestBudget::new(options.requests_per_second).ok_or_else(|| {
            invalid(
                format!(
                    "invalid request budget {} per second",
                    options.requests_per_second
                ),
                "use a positive number of requests per second",
            )
        })?;
        let base = options.api_url.trim_end_matches('/').to_owned();
        let url_ok = reqwest::Url::parse(&base)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if !url_ok {
            return Err(invalid(
                format!("invalid Cloudflare API URL {base:?}"),
                "set cloudflare.apiUrl to an http(s) URL such as https://api.cloudflare.com/client/v4",
            ));
        }
        for (what, id) in [("account", &options.account_id), ("zone", &options.zone_id)] {
            if !lookup::is_path_segment(id) {
                return Err(invalid(
                    format!("invalid {what} id {id:?}"),
                    "set cloudflare.accountId and cloudflare.zoneId to the 32-character ids \
                     from the Cloudflare dashboard",
                ));
            }
        }
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("ocfail/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.timeout)
            .build()
            .map_err(|e| {
                invalid(
                    format!("could not set up HTTP ({e})"),
                    "this is a bug in ocfail; please report it",
                )
            })?;
        let transport = Transport {
            http,
            base,
            token,
            budget: Arc::new(budget),
            timeout: options.timeout,
            max_tries: options.max_tries.max(1),
            sent: Arc::new(AtomicU64::new(0)),
        };
        Ok(CloudflareClient { options, transport })
    }

    /// The options it was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// HTTP requests sent so far (every attempt, retries included) by this
    /// client and its clones: the share of the API budget used.
    pub fn requests_sent(&self) -> u64 {
        self.transport.sent.load(Ordering::Relaxed)
    }

    fn account_path(&self) -> String {
        format!("/accounts/{}/load_balancers", self.options.account_id)
    }

    fn lbs_path(&self) -> String {
        format!("/zones/{}/load_balancers", self.options.zone_id)
    }

    /// Sends `call` and reads its `result` as `T`.
    async fn fetch<T: DeserializeOwned>(&self, call: Call) -> Result<T, CfError> {
        let envelope = self.transport.send(&call).await?;
        decode(&call, envelope.result)
    }

    async fn verify(&self, path: String) -> Result<TokenStatus, CfError> {
        self.fetch(Call::get(path)).await
    }
}

fn decode<T: DeserializeOwned>(call: &Call, result: Value) -> Result<T, CfError> {
    serde_json::from_value(result).map_err(|e| unreadable(call, &e.to_string()))
}

fn unreadable(call: &Call, why: &str) -> CfError {
    CfError::new(
        CfErrorKind::Api,
        call.request(),
        format!("could not read Cloudflare's answer ({why})"),
    )
    .with_hint("Cloudflare's API may have changed; run with -vvv and report it")
}

impl Pools for CloudflareClient {
    fn requests_sent(&self) -> u64 {
        CloudflareClient::requests_sent(self)
    }

    async fn verify_token(&self) -> Result<TokenStatus, CfError> {
        let mut path = "/user/tokens/verify".to_owned();
        let user = self.verify(path.clone()).await;
        // Account-owned tokens are "invalid" to the user endpoint (401/1000)
        // and verify at the account's own endpoint (docs/cloudflare-api.md).
        let status = match user {
            Err(e) if e.status == Some(401) && e.has_code(1000) => {
                path = format!("/accounts/{}/tokens/verify", self.options.account_id);
                self.verify(path.clone()).await?
            }
            other => other?,
        };
        if status.status != "active" {
            let var = self
                .transport
                .token
                .var()
                .map_or_else(|| "ocfail's token variable".to_owned(), |v| format!("${v}"));
            return Err(CfError {
                status: Some(200),
                ..CfError::new(
                    CfErrorKind::Unauthorized,
                    format!("GET {path}"),
                    format!("the API token is {}, not active", status.status),
                )
                .with_hint(format!(
                    "re-enable the token or create a new one (Cloudflare dashboard → My \
                     Profile → API Tokens) and put it in {var}"
                ))
            });
        }
        Ok(status)
    }

    async fn load_balancer(&self, name: &str) -> Result<LoadBalancer, CfError> {
        let path = self.lbs_path();
        let lbs: Vec<LoadBalancer> = self.list(path.clone()).await?;
        lookup::find_lb(&lbs, name).cloned().ok_or_else(|| {
            let names: Vec<&str> = lbs.iter().map(|lb| lb.name.as_str()).collect();
            let hint = if names.is_empty() {
                format!(
                    "zone {} has no load balancers; check cloudflare.zoneId in the manifest",
                    self.options.zone_id
                )
            } else {
                format!(
                    "load balancers in zone {}: {}; check cloudflare.loadBalancer in the manifest",
                    self.options.zone_id,
                    lookup::names_closest_first(name, &names)
                )
            };
            CfError::new(
                CfErrorKind::NotFound,
                format!("GET {path}"),
                format!("no load balancer named {name:?}"),
            )
            .with_hint(hint)
        })
    }

    async fn pools(&self) -> Result<Vec<Pool>, CfError> {
        self.list(format!("{}/pools", self.account_path())).await
    }

    async fn pool_as_of(&self, name_or_id: &str) -> Result<(Pool, tokio::time::Instant), CfError> {
        let wanted = name_or_id.trim();
        if lookup::looks_like_id(wanted) {
            let call = Call::get(format!("{}/pools/{wanted}", self.account_path()));
            match self.transport.send_timed(&call).await {
                Err(e) if e.kind == CfErrorKind::NotFound => {}
                Err(e) => return Err(e),
                Ok((envelope, at)) => return decode(&call, envelope.result).map(|p| (p, at)),
            }
        }
        let pool = self.pool(wanted).await?;
        Ok((pool, tokio::time::Instant::now()))
    }

    async fn pool(&self, name_or_id: &str) -> Result<Pool, CfError> {
        let wanted = name_or_id.trim();
        // An id costs one GET; a name (or an id that is really a name) costs
        // the list, which has every id too.
        if lookup::looks_like_id(wanted) {
            let call = Call::get(format!("{}/pools/{wanted}", self.account_path()));
            match self.fetch::<Pool>(call).await {
                Err(e) if e.kind == CfErrorKind::NotFound => {}
                found => return found,
            }
        }
        let pools = self.pools().await?;
        lookup::find_pool(&pools, wanted).cloned().ok_or_else(|| {
            let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
            let hint = if names.is_empty() {
                format!(
                    "account {} has no pools; check cloudflare.accountId in the manifest",
                    self.options.account_id
                )
            } else {
                format!(
                    "pools in account {}: {}; check regions[].pool in the manifest",
                    self.options.account_id,
                    lookup::names_closest_first(wanted, &names)
                )
            };
            CfError::new(
                CfErrorKind::NotFound,
                format!("GET {}/pools", self.account_path()),
                format!("no pool with the name or id {wanted:?}"),
            )
            .with_hint(hint)
        })
    }

    async fn pool_health(&self, pool_id: &str) -> Result<PoolHealth, CfError> {
        let path = format!("{}/pools/{pool_id}/health", self.account_path());
        lookup::check_id(pool_id, "pool", "GET", &path)?;
        let mut health: PoolHealth = self.fetch(Call::get(path)).await.map_err(|mut e| {
            // Cloudflare's answer for a pool without (or not yet with)
            // health data: keep it an error, but say what it means.
            let unavailable = e
                .errors
                .iter()
                .any(|(_, m)| m.to_ascii_lowercase().contains("health info unavailable"));
            if unavailable {
                e.message = format!("Cloudflare has no health information for pool {pool_id}");
                e.hint = Some(
                    "the pool needs a monitor, and its first check must have finished; \
                     attach a monitor or run the command again in a minute"
                        .to_owned(),
                );
            }
            e
        })?;
        if health.pool_id.is_empty() {
            health.pool_id = pool_id.to_owned();
        }
        Ok(health)
    }

    async fn monitor(&self, monitor_id: &str) -> Result<Monitor, CfError> {
        let path = format!("{}/monitors/{monitor_id}", self.account_path());
        lookup::check_id(monitor_id, "monitor", "GET", &path)?;
        self.fetch(Call::get(path)).await
    }

    async fn preview(&self, pool_id: &str, monitor: &Monitor) -> Result<PreviewResult, CfError> {
        let path = format!("{}/pools/{pool_id}/preview", self.account_path());
        lookup::check_id(pool_id, "pool", "POST", &path)?;
        let editable = Monitor {
            id: String::new(),
            ..monitor.clone()
        };
        let body = serde_json::to_value(editable).map_err(|e| {
            CfError::new(
                CfErrorKind::Api,
                format!("POST {path}"),
                format!("could not encode the monitor ({e})"),
            )
        })?;
        let started: PreviewStarted = self.fetch(Call::post(path, body)).await?;
        let poll_path = format!("{}/preview/{}", self.account_path(), started.preview_id);
        lookup::check_id(&started.preview_id, "preview", "GET", &poll_path)?;
        let poll = Call::get(poll_path);
        // When the result is ready is not documented (docs/cloudflare-api.md): poll
        // until it names the pool, within the client's timeout.
        let deadline =
            crate::durations::deadline(tokio::time::Instant::now(), self.options.timeout);
        loop {
            match self.transport.send(&poll).await {
                Ok(envelope) => {
                    let result: PreviewResult = decode(&poll, envelope.result)?;
                    if result.pools.contains_key(pool_id) {
                        return Ok(result);
                    }
                }
                // Not stored yet: keep polling.
                Err(e) if e.kind == CfErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            if crate::durations::deadline(tokio::time::Instant::now(), PREVIEW_POLL) >= deadline {
                return Err(CfError::new(
                    CfErrorKind::Timeout,
                    poll.request(),
                    format!(
                        "the preview had no result for pool {pool_id} within {}",
                        humantime::format_duration(self.options.timeout)
                    ),
                )
                .with_hint(
                    "Cloudflare may still be probing; try again, or raise --request-timeout",
                ));
            }
            tokio::time::sleep(PREVIEW_POLL).await;
        }
    }

    async fn set_pool_enabled(&self, pool_id: &str, enabled: bool) -> Result<Pool, CfError> {
        let path = format!("{}/pools/{pool_id}", self.account_path());
        lookup::check_id(pool_id, "pool", "PATCH", &path)?;
        // Setting an absolute value is idempotent: a repeat after a lost
        // answer leaves the pool exactly as the first one did.
        self.fetch(Call::patch(path, json!({ "enabled": enabled }), true))
            .await
    }
}
