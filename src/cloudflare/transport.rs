//! One logical Cloudflare call: a slot from the request budget per attempt,
//! each attempt bounded by the timeout, the v4 envelope read generically,
//! failures turned into [`CfError`] with Cloudflare's codes, and retries.
//!
//! Retry rules (docs/cloudflare-api.md):
//! - 429: every method, after `Retry-After` seconds (capped at
//!   [`MAX_RETRY_AFTER`]: a longer wait fails at once with a hint), which
//!   holds back the whole request budget, not only this call; without the
//!   header, backoff as below. Cloudflare refuses a rate-limited request
//!   before acting on it, so even a POST is safe to repeat.
//! - 5xx, connection failures and timeouts: only idempotent calls (GET, PUT,
//!   and the absolute `PATCH {"enabled": …}`), with exponential backoff and
//!   full jitter. A POST (preview) may have been acted on, so it is not
//!   repeated.
//! - At most `max_tries` attempts in all, whatever the reasons.

mod classify;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::{Method, header};
use serde_json::Value;

use super::budget::RequestBudget;
use super::client::ApiToken;
use super::error::{CfError, CfErrorKind};
use super::wire::Envelope;

/// The longest `Retry-After` ocfail waits out; Go SDK v6 uses the same bound.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// First backoff ceiling; doubles per attempt.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// Largest backoff ceiling.
const BACKOFF_CAP: Duration = Duration::from_secs(5);

/// One request to make, relative to the API base URL.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub method: Method,
    /// Starts with `/`; never has a query (see `page`).
    pub path: String,
    /// `page` and `per_page`, when listing.
    pub page: Option<(u32, u32)>,
    pub body: Option<Value>,
    /// May be repeated after a 5xx or a lost answer.
    pub idempotent: bool,
}

impl Call {
    pub fn get(path: String) -> Self {
        Call {
            method: Method::GET,
            path,
            page: None,
            body: None,
            idempotent: true,
        }
    }

    /// A POST: not idempotent.
    pub fn post(path: String, body: Value) -> Self {
        Call {
            method: Method::POST,
            body: Some(body),
            idempotent: false,
            ..Call::get(path)
        }
    }

    /// A PATCH; the caller says whether repeating it is harmless.
    pub fn patch(path: String, body: Value, idempotent: bool) -> Self {
        Call {
            method: Method::PATCH,
            body: Some(body),
            idempotent,
            ..Call::get(path)
        }
    }

    /// `METHOD /path`, as errors show it: no host, no query.
    pub fn request(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What an attempt came to.
enum Outcome {
    Answer(Envelope),
    /// Never worth repeating (4xx other than 429, unreadable 2xx).
    Fatal(CfError),
    /// 429, with the server's `Retry-After` if it sent one.
    RateLimited(CfError, Option<Duration>),
    /// 5xx, connection failure, timeout: repeat only idempotent calls.
    Transient(CfError),
}

/// Sends [`Call`]s; cheap to clone, and clones share the budget.
#[derive(Clone)]
pub(crate) struct Transport {
    pub http: reqwest::Client,
    /// The API base URL without a trailing `/`.
    pub base: String,
    pub token: ApiToken,
    pub budget: Arc<RequestBudget>,
    pub timeout: Duration,
    pub max_tries: u32,
    /// HTTP attempts so far, by this transport and its clones.
    pub sent: Arc<AtomicU64>,
}

impl Transport {
    /// Makes the call, retrying as the module documentation says, and
    /// returns the success envelope.
    pub async fn send(&self, call: &Call) -> Result<Envelope, CfError> {
        self.send_timed(call).await.map(|(envelope, _)| envelope)
    }

    /// [`Transport::send`], with when the attempt that got the answer was
    /// sent: after every wait for the budget, a `Retry-After` or a backoff,
    /// so the time an answer describes is not stretched by them.
    pub async fn send_timed(
        &self,
        call: &Call,
    ) -> Result<(Envelope, tokio::time::Instant), CfError> {
        let tries = self.max_tries.max(1);
        let mut attempt = 1;
        loop {
            self.budget.acquire().await;
            self.sent.fetch_add(1, Ordering::Relaxed);
            let sent_at = tokio::time::Instant::now();
            let (error, wait) = match self.attempt(call).await {
                Outcome::Answer(envelope) => return Ok((envelope, sent_at)),
                Outcome::Fatal(error) => return Err(error),
                Outcome::RateLimited(error, Some(after)) if after > MAX_RETRY_AFTER => {
                    return Err(error.with_hint(format!(
                        "Cloudflare asks to wait {}s before the next request (it allows 1200 \
                         requests per 5 minutes per token; another tool using the same token \
                         may be using it up); wait that long and run the command again",
                        after.as_secs()
                    )));
                }
                // The budget waits out `Retry-After` for every caller; the
                // retry's own slot comes after it.
                Outcome::RateLimited(error, Some(after)) => {
                    self.budget.defer(after);
                    (error, Duration::ZERO)
                }
                Outcome::RateLimited(error, None) => (error, backoff(attempt)),
                Outcome::Transient(error) if call.idempotent => (error, backoff(attempt)),
                Outcome::Transient(error) => return Err(error),
            };
            if attempt >= tries {
                return Err(exhausted(error, attempt));
            }
            tracing::info!(
                request = %call.request(),
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                status = error.status,
                reason = %error.message,
                "retrying Cloudflare request"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, call: &Call) -> Outcome {
        let mut url = format!("{}{}", self.base, call.path);
        if let Some((page, per_page)) = call.page {
            url.push_str(&format!("?page={page}&per_page={per_page}"));
        }
        // `bearer_auth` marks the header sensitive, so reqwest's own Debug
        // output redacts it too.
        let mut req = self
            .http
            .request(call.method.clone(), url)
            .bearer_auth(self.token.expose())
            .header(header::ACCEPT, "application/json")
            .timeout(self.timeout);
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => return self.transport_error(call, &e),
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = match resp.text().await {
            Ok(text) => text,
            Err(e) => return self.transport_error(call, &e),
        };
        tracing::debug!(request = %call.request(), status = status.as_u16(), "cloudflare answer");
        let parsed = serde_json::from_str::<Envelope>(&text);
        if status.is_success() {
            match parsed {
                Ok(envelope) if envelope.success => return Outcome::Answer(envelope),
                Ok(envelope) => {
                    return Outcome::Fatal(self.api_error(call, status, &envelope.errors));
                }
                Err(e) => {
                    return Outcome::Fatal(CfError {
                        status: Some(status.as_u16()),
                        ..CfError::new(
                            CfErrorKind::Api,
                            call.request(),
                            format!("could not read Cloudflare's answer ({e})"),
                        )
                    });
                }
            }
        }
        let errors = parsed.map(|e| e.errors).unwrap_or_default();
        let error = self.api_error(call, status, &errors);
        match status.as_u16() {
            429 => Outcome::RateLimited(error, retry_after),
            500..=599 => Outcome::Transient(error),
            _ => Outcome::Fatal(error),
        }
    }

    /// No (complete) answer: a timeout, a refused or broken connection.
    fn transport_error(&self, call: &Call, e: &reqwest::Error) -> Outcome {
        // The URL is left out: `request` already names the path.
        let cause = root_cause(e);
        if e.is_builder() {
            return Outcome::Fatal(CfError::new(
                CfErrorKind::Api,
                call.request(),
                format!("could not build the request ({cause})"),
            ));
        }
        let (kind, message, hint) = if e.is_timeout() {
            (
                CfErrorKind::Timeout,
                format!(
                    "no answer within {}",
                    humantime::format_duration(self.timeout)
                ),
                "Cloudflare is slow or unreachable; try again, or raise --request-timeout"
                    .to_owned(),
            )
        } else {
            (
                CfErrorKind::Unreachable,
                format!("could not reach the Cloudflare API: {cause}"),
                format!(
                    "check the network and the API URL {} (cloudflare.apiUrl in the manifest)",
                    self.base
                ),
            )
        };
        Outcome::Transient(CfError::new(kind, call.request(), message).with_hint(hint))
    }
}

/// Exponential backoff with full jitter: uniform in `0..=min(cap, base·2^(n-1))`.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1_u32 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_CAP);
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=ms))
}

/// The error of the last attempt, saying how many there were.
fn exhausted(mut error: CfError, attempts: u32) -> CfError {
    if attempts > 1 {
        error.message = format!("{}, after {attempts} tries", error.message);
    }
    error
}

/// The innermost cause of a reqwest error (e.g. "Connection refused"),
/// which says more than reqwest's own "error sending request".
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_its_growing_ceiling() {
        for attempt in 1..40 {
            let ceiling = BACKOFF_BASE * 2_u32.pow((attempt - 1).min(16));
            for _ in 0..50 {
                let d = backoff(attempt);
                assert!(d <= ceiling.min(BACKOFF_CAP), "attempt {attempt}: {d:?}");
            }
        }
        assert!(
            (0..200).any(|_| backoff(5) > Duration::from_secs(1)),
            "jitter spans the range"
        );
    }
}
