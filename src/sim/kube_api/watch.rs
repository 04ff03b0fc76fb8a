//! `?watch=true`: a chunked stream of `{"type","object"}` lines, one per
//! change, flushed as it happens; resumable from a resourceVersion kept in
//! the store's bounded history (older ones answer 410 Gone).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use futures_util::stream;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::selector::{FieldSelector, LabelSelector};
use super::{ApiRequest, table};
use crate::sim::cluster::{Cluster, Kind, KubeError};
use crate::sim::store::Change;

/// Encodes events, as Tables when kubectl asked for them (`get -w`); only
/// the first Table carries the column definitions, as from the API server.
struct Encoder {
    kind: Kind,
    tables: bool,
    headers_sent: AtomicBool,
}

impl Encoder {
    fn line(&self, event: &str, object: &Value) -> Bytes {
        if !self.tables || event == "BOOKMARK" {
            return line(event, object);
        }
        let rv = object
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut t = table::table(self.kind, &[Arc::new(object.clone())], rv);
        if self.headers_sent.swap(true, Ordering::Relaxed) {
            t["columnDefinitions"] = json!([]);
        }
        line(event, &t)
    }
}

fn line(event: &str, object: &Value) -> Bytes {
    let mut out = format!(r#"{{"type":"{event}","object":"#).into_bytes();
    // A Value always serializes.
    let _ = serde_json::to_writer(&mut out, object);
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

/// Starts a watch of `kind` in `ns` (or everywhere).
pub(super) fn serve(
    cluster: Arc<Cluster>,
    req: &ApiRequest,
    kind: Kind,
    ns: Option<String>,
) -> Result<Response, KubeError> {
    let labels = LabelSelector::parse(req.param("labelSelector").unwrap_or_default())
        .map_err(KubeError::BadRequest)?;
    let fields = FieldSelector::parse(req.param("fieldSelector").unwrap_or_default())
        .map_err(KubeError::BadRequest)?;
    let selected = move |obj: &Value| {
        ns.as_deref()
            .is_none_or(|ns| obj.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns))
            && labels.matches(obj.pointer("/metadata/labels"))
            && fields.matches(obj)
    };
    let rv = match req.param("resourceVersion").unwrap_or_default() {
        "" | "0" => None,
        v => Some(
            v.parse::<u64>()
                .map_err(|_| KubeError::BadRequest(format!("invalid resource version: {v}")))?,
        ),
    };
    let enc = Encoder {
        kind,
        tables: table::wanted(&req.headers),
        headers_sent: AtomicBool::new(false),
    };
    let send_initial = req.flag("sendInitialEvents");
    let timeout = req
        .param("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs);

    // With no resourceVersion (or "0", or sendInitialEvents) a watch starts
    // with the current state as ADDED events, then follows changes after it.
    let mut first: Vec<Bytes> = Vec::new();
    let after = match rv {
        Some(rv) if !send_initial => rv,
        _ => {
            let (items, list_rv) = cluster.list(kind, None);
            first.extend(
                items
                    .iter()
                    .filter(|o| selected(o))
                    .map(|o| enc.line("ADDED", o)),
            );
            if send_initial {
                let mark = json!({"kind": kind.kind(), "apiVersion": kind.api_version(), "metadata": {
                    "resourceVersion": list_rv.to_string(),
                    "annotations": {"k8s.io/initial-events-end": "true"},
                }});
                first.push(line("BOOKMARK", &mark));
            }
            list_rv
        }
    };
    let sub = cluster.subscribe(Some(after))?;
    let wanted = move |c: &Change| c.kind == kind && selected(&c.object);
    let backlog: Vec<Bytes> = sub
        .backlog
        .iter()
        .filter(|c| wanted(c))
        .map(|c| enc.line(c.event.as_str(), &c.object))
        .collect();
    // A watcher that falls behind the channel is cut off, as the API server
    // does with slow watchers; clients re-list and re-watch.
    let live = stream::unfold(sub.live, |mut rx| async move {
        match rx.recv().await {
            Ok(change) => Some((change, rx)),
            Err(RecvError::Lagged(_) | RecvError::Closed) => None,
        }
    })
    .filter_map(move |c| {
        let out = wanted(&c).then(|| enc.line(c.event.as_str(), &c.object));
        async move { out }
    });
    let events = stream::iter(first).chain(stream::iter(backlog)).chain(live);
    let body = match timeout {
        Some(t) => Body::from_stream(
            events
                .take_until(tokio::time::sleep(t))
                .map(Ok::<_, Infallible>),
        ),
        None => Body::from_stream(events.map(Ok::<_, Infallible>)),
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}
