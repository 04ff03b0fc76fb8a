//! `ocfail exporter`: a long-running HTTP server with `/metrics`
//! (Prometheus text exposition) and `/healthz`, refreshing the fleet's state
//! on an interval within the Cloudflare request budget (the seed guide's
//! §5.1 exporter, from the same manifest the drills use).

pub mod metrics;
pub mod practice;
pub mod refresh;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use crate::signal::SignalHandler;

use self::metrics::Metrics;
use self::refresh::{Refresher, health_reads_per_refresh};
use super::connect::Connected;

/// Where and how often.
#[derive(Clone, Debug)]
pub struct ExporterOptions {
    /// The address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Time between refreshes.
    pub interval: Duration,
    /// Per-request timeout of the probes.
    pub timeout: Duration,
    /// Regions read at once.
    pub max_parallel: usize,
}

/// Why the exporter could not start.
#[derive(Debug, thiserror::Error)]
pub enum ExporterError {
    /// The listen address could not be bound.
    #[error("listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error (in use, not permitted).
        #[source]
        source: std::io::Error,
    },
}

/// Shared with the HTTP handlers.
struct Served {
    metrics: Arc<Metrics>,
    /// Unix seconds of the last finished refresh (0: none yet).
    last_refresh: AtomicU64,
    interval: Duration,
}

/// Serves until Ctrl-C. `ready(addr)` is called once the listener is bound
/// (with the real port when 0 was asked for), before the first refresh.
pub async fn serve(
    c: &Connected,
    opts: &ExporterOptions,
    signals: &mut SignalHandler,
    ready: impl FnOnce(SocketAddr, usize),
) -> Result<(), ExporterError> {
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| ExporterError::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().unwrap_or(opts.listen);
    let metrics = Arc::new(Metrics::new());
    let rps = c
        .cloudflare
        .as_ref()
        .map_or(2.0, |cf| cf.options().requests_per_second);
    let per_refresh = health_reads_per_refresh(rps, opts.interval);
    let served = Arc::new(Served {
        metrics: metrics.clone(),
        last_refresh: AtomicU64::new(0),
        interval: opts.interval,
    });
    let app = Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(healthz))
        .with_state(served.clone());
    let stop = CancellationToken::new();
    let server = {
        let stop = stop.clone();
        tokio::spawn(async move {
            // A server error ends serving; the refresh loop notices nothing,
            // but Ctrl-C still ends the command.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
        })
    };
    ready(addr, per_refresh);
    let mut refresher = Refresher::new(metrics, per_refresh, opts.timeout, opts.max_parallel);
    loop {
        let stats = tokio::select! {
            s = refresher.refresh(c) => s,
            _ = signals.recv() => break,
        };
        tracing::debug!(?stats, "refreshed");
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        served.last_refresh.store(now, Ordering::Relaxed);
        tokio::select! {
            () = tokio::time::sleep(opts.interval) => {}
            _ = signals.recv() => break,
        }
    }
    stop.cancel();
    let _ = server.await;
    Ok(())
}

/// OpenMetrics to a scraper that asks for it (Prometheus does), the
/// classic text format (0.0.4) to everyone else: `curl`, and the parsers
/// that predate OpenMetrics and would misread its counters.
async fn metrics_handler(State(s): State<Arc<Served>>, headers: HeaderMap) -> Response {
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let text = s.metrics.encode();
    if openmetrics {
        (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            metrics::to_classic(&text),
        )
            .into_response()
    }
}

/// 200 once a refresh has finished within three intervals; 503 before the
/// first one, or when refreshes have stalled (a hung API beyond its timeout).
async fn healthz(State(s): State<Arc<Served>>) -> Response {
    let last = s.last_refresh.load(Ordering::Relaxed);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let stale_after = s
        .interval
        .as_secs()
        .max(1)
        .saturating_mul(3)
        .saturating_add(1);
    let fresh = last > 0 && now.saturating_sub(last) <= stale_after;
    if fresh {
        (StatusCode::OK, "ok\n").into_response()
    } else if last == 0 {
        (StatusCode::SERVICE_UNAVAILABLE, "no refresh yet\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("last refresh {}s ago\n", now.saturating_sub(last)),
        )
            .into_response()
    }
}
