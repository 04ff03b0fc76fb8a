//! Synthetic traffic through the LB hostname during drills and rollouts.
//!
//! A [`TrafficGenerator`] sends `GET traffic.url` at `traffic.rps` in the
//! background and keeps every result as a [`Sample`]; the drill and rollout
//! read it while it runs (error rate in a window, when another region started
//! answering) and turn it into the report's [`TrafficSummary`] at the end.
//! [`probe_once`] is the single request behind "synthetic traffic OK".
//!
//! What counts as an error: a transport failure or timeout, a request skipped
//! because too many were still in flight (`overloaded`), and **any status ≥
//! 400**. The URL is a fixed, parameterless GET to a health endpoint, so no
//! 4xx can be the client's fault: a 403 (WAF), 404 (a default backend or the
//! wrong origin) or 429 (rate limiting) means a user would not have been
//! served either. 3xx is a success: redirects are not followed, and a
//! redirecting health URL is still being answered by something alive.
//!
//! Latency percentiles cover *answered* requests: every request that got an
//! HTTP status, errors included (a fast 503 is part of what users saw).
//! Transport failures are left out because their "latency" is mostly the
//! timeout or a refused connect, and skipped requests were never sent.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::header::HeaderName;
use tokio::sync::Semaphore;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::facts::TrafficSummary;
use crate::manifest::schema::Traffic;

pub mod phases;
mod summary;

pub use summary::summarize;
use summary::{first_success_from, last_region, serving_region_since};

/// The error text of a request skipped because too many were in flight.
pub const OVERLOADED: &str = "overloaded";

/// How long [`TrafficGenerator::stop`] waits beyond `traffic.timeout` for
/// in-flight requests; the client's own timeout should end them before.
const STOP_GRACE: Duration = Duration::from_millis(250);

/// The result of one synthetic request.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// When the request was sent, in ms since the generator's clock origin
    /// (the send time, not the answer time, because that is when the LB
    /// routed it; for [`probe_once`], always 0).
    pub at_ms: u64,
    /// Time from sending to the end of the body (0 when never sent).
    pub latency_ms: f64,
    /// The HTTP status, when an answer came back.
    pub status: Option<u16>,
    /// The serving region from `traffic.regionHeader`, when present.
    pub region: Option<String>,
    /// Why this request counts as an error; `None` for a success.
    pub error: Option<String>,
    /// For a failure without an HTTP status: `timeout`, `connect`, `body`,
    /// `request` or `overloaded`.
    pub failure: Option<&'static str>,
}

impl Sample {
    /// Whether the request succeeded (see the module docs for the rule).
    pub fn is_success(&self) -> bool {
        self.error.is_none()
    }

    /// What failed, for counting: the HTTP status (`503`), else the
    /// transport failure's class; `None` for a success.
    pub fn failure_kind(&self) -> Option<String> {
        self.error.as_ref()?;
        Some(match (self.status, self.failure) {
            (Some(code), _) => code.to_string(),
            (None, Some(kind)) => kind.to_owned(),
            (None, None) => "request".to_owned(),
        })
    }

    fn overloaded(at_ms: u64) -> Self {
        Sample {
            at_ms,
            latency_ms: 0.0,
            status: None,
            region: None,
            error: Some(OVERLOADED.to_owned()),
            failure: Some(OVERLOADED),
        }
    }
}

/// Why synthetic traffic could not start.
#[derive(Debug, thiserror::Error)]
pub enum TrafficError {
    /// reqwest refused the client configuration.
    #[error("set up the HTTP client for synthetic traffic")]
    Client {
        /// reqwest's reason.
        #[source]
        source: reqwest::Error,
    },
    /// `traffic.url` is not an absolute URL.
    #[error("use `{url}` as the synthetic traffic URL: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// The parser's reason.
        reason: String,
    },
    /// `traffic.rps` cannot be paced (not positive, or too large or small
    /// for a timer period).
    #[error("send synthetic traffic at {rps} requests per second")]
    Rps {
        /// The rate as given.
        rps: f64,
    },
    /// `traffic.regionHeader` is not a valid header name.
    #[error("read the serving region from header `{header}`")]
    RegionHeader {
        /// The header name as given.
        header: String,
    },
    /// Called outside a Tokio runtime, so there is nothing to run the
    /// generator on.
    #[error("start synthetic traffic outside a Tokio runtime")]
    NoRuntime,
}

/// Everything one request needs, shared by the pacing task and its requests.
struct Target {
    client: reqwest::Client,
    url: reqwest::Url,
    region_header: Option<HeaderName>,
}

impl Target {
    fn new(traffic: &Traffic) -> Result<Self, TrafficError> {
        crate::install_crypto_provider();
        let url = reqwest::Url::parse(&traffic.url).map_err(|e| TrafficError::Url {
            url: traffic.url.clone(),
            reason: e.to_string(),
        })?;
        let region_header = traffic
            .region_header
            .as_deref()
            .map(|h| {
                HeaderName::from_bytes(h.to_ascii_lowercase().as_bytes()).map_err(|_| {
                    TrafficError::RegionHeader {
                        header: h.to_owned(),
                    }
                })
            })
            .transpose()?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("ocfail/", env!("CARGO_PKG_VERSION"), " synthetic"))
            .timeout(traffic.timeout)
            .connect_timeout(traffic.timeout)
            // A redirect would measure some other URL; its 3xx is the answer.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| TrafficError::Client { source })?;
        Ok(Target {
            client,
            url,
            region_header,
        })
    }

    /// Sends one GET; never fails, because a failure is a sample too.
    async fn send(&self, at_ms: u64) -> Sample {
        let started = Instant::now();
        let mut sample = Sample {
            at_ms,
            latency_ms: 0.0,
            status: None,
            region: None,
            error: None,
            failure: None,
        };
        let result = self.client.get(self.url.clone()).send().await;
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => {
                sample.latency_ms = ms(started.elapsed());
                sample.error = Some(describe(&e));
                sample.failure = Some(kind_of(&e));
                return sample;
            }
        };
        let status = resp.status().as_u16();
        sample.status = Some(status);
        sample.region = self.region_header.as_ref().and_then(|h| {
            resp.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        });
        // Read (and drop) the body: users wait for it, and a connection is
        // only reused once its body has been read.
        let body = loop {
            match resp.chunk().await {
                Ok(Some(_)) => {}
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        sample.latency_ms = ms(started.elapsed());
        sample.error = match body {
            Err(e) => {
                sample.failure = Some(kind_of(&e));
                Some(describe(&e))
            }
            Ok(()) if status >= 400 => Some(format!("HTTP {status}")),
            Ok(()) => None,
        };
        sample
    }
}

/// A short reason for a transport failure, without the URL (the report
/// names it once) and without reqwest's generic outer message.
fn describe(e: &reqwest::Error) -> String {
    let kind = kind_of(e);
    let mut root: &dyn std::error::Error = e;
    while let Some(next) = root.source() {
        root = next;
    }
    if std::ptr::addr_eq(root, e as &dyn std::error::Error) {
        kind.to_owned()
    } else {
        format!("{kind}: {root}")
    }
}

/// The class of a transport failure.
fn kind_of(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Milliseconds since `origin`, saturating (a run never lasts 584 million
/// years).
fn since(origin: Instant) -> u64 {
    u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Samples collected so far, shared between the requests that add them and
/// the readers.
#[derive(Default)]
struct Samples(Mutex<Vec<Sample>>);

impl Samples {
    fn lock(&self) -> MutexGuard<'_, Vec<Sample>> {
        // A poisoned lock only means a pusher panicked mid-push; the Vec is
        // still valid, and losing traffic data would hide the real failure.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn push(&self, s: Sample) {
        self.lock().push(s);
    }
}

/// Synthetic traffic running in the background; stops when stopped or
/// dropped.
pub struct TrafficGenerator {
    samples: Arc<Samples>,
    /// Stops the pacing loop: no new requests.
    pace: CancellationToken,
    /// Abandons requests still in flight.
    abandon: CancellationToken,
    requests: TaskTracker,
    pacer: tokio::task::JoinHandle<()>,
    timeout: Duration,
}

impl TrafficGenerator {
    /// Starts sending `GET traffic.url` at `traffic.rps`, each with
    /// `traffic.timeout`, timing samples from `clock_origin`.
    ///
    /// Must be called inside a Tokio runtime. Requests run in their own
    /// tasks so a slow answer does not delay the next one; at most
    /// `4 × rps + 4` are in flight, and a send skipped over that cap is
    /// recorded as an error ([`OVERLOADED`]).
    pub fn start(traffic: &Traffic, clock_origin: Instant) -> Result<Self, TrafficError> {
        let period = pace_period(traffic.rps)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| TrafficError::NoRuntime)?;
        let target = Arc::new(Target::new(traffic)?);
        let samples = Arc::new(Samples::default());
        let pace = CancellationToken::new();
        let abandon = CancellationToken::new();
        let requests = TaskTracker::new();
        let pacer = runtime.spawn(run_pacer(Pacer {
            target,
            period,
            max_in_flight: max_in_flight(traffic.rps),
            origin: clock_origin,
            samples: samples.clone(),
            pace: pace.clone(),
            abandon: abandon.clone(),
            requests: requests.clone(),
        }));
        Ok(TrafficGenerator {
            samples,
            pace,
            abandon,
            requests,
            pacer,
            timeout: traffic.timeout,
        })
    }

    /// Totals of every request answered or failed so far.
    pub fn snapshot(&self) -> TrafficSummary {
        summarize(self.samples.lock().iter())
    }

    /// Totals of requests sent in `from_ms..to_ms` (ms since the clock
    /// origin; `to_ms` exclusive), e.g. during the drill versus during hold.
    pub fn summary_between(&self, from_ms: u64, to_ms: u64) -> TrafficSummary {
        summarize(
            self.samples
                .lock()
                .iter()
                .filter(|s| s.at_ms >= from_ms && s.at_ms < to_ms),
        )
    }

    /// The first successful answer sent at or after `since_ms` from a region
    /// other than the one that last answered successfully before it, as
    /// `(region, at_ms)`: the moment traffic shifted (`shiftedAfterMs`).
    /// When nothing answered before `since_ms`, any region counts.
    pub fn serving_region_since(&self, since_ms: u64) -> Option<(String, u64)> {
        serving_region_since(&self.samples.lock(), since_ms)
    }

    /// When `region` first answered successfully to a request sent at or
    /// after `since_ms`.
    pub fn first_success_from(&self, region: &str, since_ms: u64) -> Option<u64> {
        first_success_from(&self.samples.lock(), region, since_ms)
    }

    /// The region named by the latest-sent successful answer.
    pub fn last_region(&self) -> Option<String> {
        last_region(&self.samples.lock())
    }

    /// A copy of every sample so far, in completion order.
    pub fn samples(&self) -> Vec<Sample> {
        self.samples.lock().clone()
    }

    /// Stops sending, waits up to `traffic.timeout` (plus a little) for
    /// requests in flight, abandons the rest, and returns the full summary.
    pub async fn stop(self) -> TrafficSummary {
        summarize(&self.stop_samples().await)
    }

    /// Like [`TrafficGenerator::stop`], returning every sample (for the
    /// drill's phases).
    pub async fn stop_samples(self) -> Vec<Sample> {
        self.pace.cancel();
        self.requests.close();
        let _ = tokio::time::timeout(
            self.timeout.saturating_add(STOP_GRACE),
            self.requests.wait(),
        )
        .await;
        // Drop cancels `abandon`, ending any request still waiting.
        self.samples()
    }
}

impl Drop for TrafficGenerator {
    fn drop(&mut self) {
        self.pace.cancel();
        self.abandon.cancel();
        // The pacer ends on `pace`; aborting as well covers a pacer that is
        // not being polled (e.g. its runtime is shutting down).
        self.pacer.abort();
    }
}

/// The timer period for `rps`, refusing rates no timer can pace.
fn pace_period(rps: f64) -> Result<Duration, TrafficError> {
    if !(rps.is_finite() && rps > 0.0) {
        return Err(TrafficError::Rps { rps });
    }
    match Duration::try_from_secs_f64(1.0 / rps) {
        // tokio's interval adds the period to an instant unchecked: a rate
        // so low its period nears the clock's range would panic the pacer.
        Ok(p) if !p.is_zero() => Ok(p.min(crate::durations::FAR_FUTURE)),
        _ => Err(TrafficError::Rps { rps }),
    }
}

/// Four seconds' worth of requests plus a floor: enough for answers as slow
/// as a typical timeout, few enough that a hung LB cannot pile up sockets.
fn max_in_flight(rps: f64) -> usize {
    // rps is positive and bounded (validated to ≤ 1000 in the manifest;
    // clamped here for hand-built values), so the cast cannot misbehave.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0..=100_000 first"
    )]
    let n = (rps * 4.0).ceil().clamp(0.0, 100_000.0) as usize;
    n + 4
}

struct Pacer {
    target: Arc<Target>,
    period: Duration,
    max_in_flight: usize,
    origin: Instant,
    samples: Arc<Samples>,
    pace: CancellationToken,
    abandon: CancellationToken,
    requests: TaskTracker,
}

async fn run_pacer(p: Pacer) {
    let mut tick = tokio::time::interval(p.period);
    // After a stall, carry on at the set rate rather than bursting to catch
    // up: a burst would be load the drill never asked for.
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let slots = Arc::new(Semaphore::new(p.max_in_flight));
    loop {
        tokio::select! {
            biased;
            () = p.pace.cancelled() => break,
            _ = tick.tick() => {}
        }
        let at_ms = since(p.origin);
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            p.samples.push(Sample::overloaded(at_ms));
            continue;
        };
        let target = p.target.clone();
        let samples = p.samples.clone();
        let abandon = p.abandon.clone();
        p.requests.spawn(async move {
            tokio::select! {
                s = target.send(at_ms) => samples.push(s),
                () = abandon.cancelled() => {}
            }
            drop(slot);
        });
    }
}

/// Sends one `GET traffic.url` and returns its sample (`at_ms` 0); a
/// configuration problem comes back as an error sample, not a failure,
/// because the caller only asks "did synthetic traffic work?".
pub async fn probe_once(traffic: &Traffic) -> Sample {
    match Target::new(traffic) {
        Ok(t) => t.send(0).await,
        Err(e) => Sample {
            at_ms: 0,
            latency_ms: 0.0,
            status: None,
            region: None,
            error: Some(format!("failed to {e}")),
            failure: Some("request"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropping_the_generator_stops_sending() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let traffic = Traffic {
            url: format!("http://127.0.0.1:{port}/healthz"),
            rps: 200.0,
            timeout: Duration::from_millis(200),
            region_header: None,
        };
        let g = TrafficGenerator::start(&traffic, Instant::now()).unwrap();
        let samples = g.samples.clone();
        while samples.lock().len() < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(g);
        // Let anything already running finish, then nothing new may arrive.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let after_drop = samples.lock().len();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(samples.lock().len(), after_drop);
    }

    #[test]
    fn start_outside_a_runtime_is_an_error_not_a_panic() {
        let traffic = Traffic {
            url: "http://127.0.0.1:9/healthz".to_owned(),
            rps: 5.0,
            timeout: Duration::from_secs(1),
            region_header: None,
        };
        assert!(matches!(
            TrafficGenerator::start(&traffic, Instant::now()),
            Err(TrafficError::NoRuntime)
        ));
    }

    #[test]
    fn pace_period_refuses_rates_no_timer_can_pace() {
        assert_eq!(pace_period(5.0).ok(), Some(Duration::from_millis(200)));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-300, 1e12] {
            assert!(pace_period(bad).is_err(), "{bad}");
        }
        // A period past the clock's range is capped rather than panicking
        // tokio's interval on its second tick.
        assert_eq!(pace_period(1e-19).ok(), Some(crate::durations::FAR_FUTURE));
        assert_eq!(max_in_flight(5.0), 24);
        assert_eq!(max_in_flight(0.5), 6);
    }
}
