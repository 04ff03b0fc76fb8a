//! Webhook receivers on loopback for the notification tests: one that
//! answers a scripted list of statuses and logs what it was sent, and one
//! that accepts connections and never answers.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::Value;

/// What a receiver saw of one request.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The request's path (where a webhook's token lives).
    pub path: String,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its body as JSON (`Null` when it is not JSON).
    pub body: Value,
    /// When it arrived.
    pub at: Instant,
}

/// The requests a receiver has seen, in arrival order.
pub type Log = Arc<Mutex<Vec<Seen>>>;

/// The path every receiver URL ends in: it stands for a Slack webhook's
/// secret token, which no output may show.
pub const SECRET_PATH: &str = "/services/T0SECRET/B0SECRET/tokentoken";

/// A loopback receiver answering the `i`-th request with `answers[i]` (the
/// last one repeated), with `Retry-After: retry_after` when given; its URL
/// (ending in [`SECRET_PATH`]) and its log.
pub async fn receiver(answers: &'static [u16], retry_after: Option<&'static str>) -> (String, Log) {
    let seen: Log = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: String| {
        let mut log = log.lock().unwrap();
        let status = answers[log.len().min(answers.len() - 1)];
        log.push(Seen {
            path: uri.path().to_owned(),
            content_type: headers
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: serde_json::from_str(&body).unwrap_or(Value::Null),
            at: Instant::now(),
        });
        let mut h = HeaderMap::new();
        if let Some(r) = retry_after {
            h.insert("retry-after", r.parse().unwrap());
        }
        async move { (StatusCode::from_u16(status).unwrap(), h, "").into_response() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}{SECRET_PATH}"), seen)
}

/// A loopback receiver that accepts every connection and never answers;
/// its URL (ending in [`SECRET_PATH`]).
pub async fn hanging() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{addr}{SECRET_PATH}")
}

/// What `log` has seen so far.
pub fn seen(log: &Log) -> Vec<Seen> {
    log.lock().unwrap().clone()
}
