//! Delivery: one POST per try, every try and every wait under one overall
//! deadline of `timeout × tries`, retrying with exponential backoff on 5xx
//! and 429 only.

use std::time::Duration;

use reqwest::header::{self, HeaderMap};
use reqwest::{StatusCode, Url};
use tokio::time::Instant;

use super::{Delivery, FailReason, Payload, Target};

/// The first wait between tries; each later wait doubles it.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// An HTTP client for [`send`], with the rustls provider installed. It
/// follows no redirects: a webhook that redirects is misconfigured, and
/// following one would send the payload somewhere the operator did not name.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    crate::install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(concat!("ocfail/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Posts `payload` to `target`, trying at most `tries` times (at least
/// once), each try within `timeout`, and all of it within `timeout × tries`
/// including the waits. Retries on 5xx, 429, timeouts and transport errors;
/// any other answer is final. A `Retry-After` (in seconds) lengthens the
/// wait when the budget allows it; when it does not, this gives up at once
/// rather than spend the rest of the budget waiting for nothing.
pub async fn send(
    client: &reqwest::Client,
    target: &Target,
    payload: &Payload,
    timeout: Duration,
    tries: u32,
) -> Delivery {
    let tries = tries.max(1);
    if payload.format() != target.format {
        return Delivery::Failed {
            reason: FailReason::FormatMismatch {
                target: target.format,
                payload: payload.format(),
            },
            tries: 0,
        };
    }
    let url = match Url::parse(&target.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => u,
        _ => {
            return Delivery::Failed {
                reason: FailReason::InvalidUrl,
                tries: 0,
            };
        }
    };
    let body = payload.body();
    // Bounded like every other wait: an absurd timeout cannot overflow.
    let deadline = crate::durations::deadline(Instant::now(), timeout.saturating_mul(tries));
    let mut made = 0;
    let mut backoff = FIRST_BACKOFF;
    loop {
        made += 1;
        let left = deadline.saturating_duration_since(Instant::now());
        let attempt = client.post(url.clone()).json(&body).send();
        let (reason, retry_after) = match tokio::time::timeout(timeout.min(left), attempt).await {
            Ok(Ok(resp)) => {
                let status = resp.status();
                // The body is not read: nothing in it changes the outcome,
                // and a slow body must not cost time.
                if status.is_success() {
                    return Delivery::Delivered {
                        status: status.as_u16(),
                        tries: made,
                    };
                }
                let reason = FailReason::Status(status.as_u16());
                if !retryable(status) {
                    return Delivery::Failed {
                        reason,
                        tries: made,
                    };
                }
                (reason, retry_after(resp.headers()))
            }
            Ok(Err(e)) => (transport(&e), None),
            Err(_) => (FailReason::TimedOut, None),
        };
        if made >= tries {
            return Delivery::Failed {
                reason,
                tries: made,
            };
        }
        let wait = retry_after.map_or(backoff, |r| r.max(backoff));
        let left = deadline.saturating_duration_since(Instant::now());
        if wait >= left {
            return Delivery::Failed {
                reason,
                tries: made,
            };
        }
        tokio::time::sleep(wait).await;
        backoff = backoff.saturating_mul(2);
    }
}

/// Whether an answer with `status` may succeed when asked again.
fn retryable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// A `Retry-After` in seconds; the HTTP-date form is ignored (the backoff
/// applies), as webhook receivers answer in seconds.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A reqwest error as a reason, by kind only: its text names the URL.
fn transport(e: &reqwest::Error) -> FailReason {
    if e.is_timeout() {
        FailReason::TimedOut
    } else if e.is_connect() {
        FailReason::Transport { kind: "connect" }
    } else if e.is_body() || e.is_decode() {
        FailReason::Transport { kind: "body" }
    } else {
        FailReason::Transport { kind: "request" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(header::RETRY_AFTER, " 3 ".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn only_5xx_and_429_are_retried() {
        assert!(retryable(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(retryable(StatusCode::BAD_GATEWAY));
        assert!(retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(!retryable(StatusCode::NOT_FOUND));
        assert!(!retryable(StatusCode::BAD_REQUEST));
        assert!(!retryable(StatusCode::MOVED_PERMANENTLY));
    }
}
