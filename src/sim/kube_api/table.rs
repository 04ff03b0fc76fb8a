//! Server-side printing: the `Table` kubectl asks for first
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), with the columns
//! a real API server prints, so `kubectl get deploy` shows READY and
//! UP-TO-DATE rather than only NAME and AGE.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use crate::sim::cluster::Kind;

/// Whether the client asked for a Table.
pub fn wanted(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .any(|h| h.contains("as=Table"))
}

/// `(name, type, priority)`; priority 1 columns show with `-o wide`.
type Column = (&'static str, &'static str, u8);

fn columns(kind: Kind) -> Vec<Column> {
    let mut cols = vec![("Name", "string", 0)];
    cols.extend(match kind {
        Kind::Namespace => vec![("Status", "string", 0)],
        Kind::Pod => vec![
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
        ],
        Kind::Service => vec![
            ("Type", "string", 0),
            ("Cluster-IP", "string", 0),
            ("External-IP", "string", 0),
            ("Port(s)", "string", 0),
            ("Age", "string", 0),
            ("Selector", "string", 1),
        ],
        Kind::Deployment => vec![
            ("Ready", "string", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        Kind::ConfigMap => vec![("Data", "integer", 0), ("Age", "string", 0)],
        Kind::Lease => vec![("Holder", "string", 0), ("Age", "string", 0)],
        Kind::Hpa => vec![
            ("Reference", "string", 0),
            ("Targets", "string", 0),
            ("MinPods", "string", 0),
            ("MaxPods", "integer", 0),
            ("Replicas", "integer", 0),
            ("Age", "string", 0),
        ],
    });
    if kind == Kind::Namespace {
        cols.push(("Age", "string", 0));
    }
    cols
}

/// A Table of `items`.
pub fn table(kind: Kind, items: &[Arc<Value>], rv: u64) -> Value {
    let column_definitions: Vec<Value> = columns(kind)
        .into_iter()
        .map(|(name, ty, priority)| {
            let format = if name == "Name" { "name" } else { "" };
            json!({"name": name, "type": ty, "format": format, "description": "", "priority": priority})
        })
        .collect();
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            json!({
                "cells": cells(kind, o),
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]},
            })
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv.to_string()},
        "columnDefinitions": column_definitions,
        "rows": rows,
    })
}

fn int(o: &Value, pointer: &str) -> i64 {
    o.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn text<'a>(o: &'a Value, pointer: &str) -> &'a str {
    o.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn selector_text(sel: &Value) -> String {
    match sel.as_object() {
        Some(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(","),
        _ => "<none>".to_owned(),
    }
}

fn cells(kind: Kind, o: &Value) -> Vec<Value> {
    let name = json!(text(o, "/metadata/name"));
    let age = json!(age(text(o, "/metadata/creationTimestamp")));
    let rest = match kind {
        Kind::Namespace => vec![json!(text(o, "/status/phase")), age],
        Kind::Pod => {
            let statuses = o
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array);
            let all = statuses.map_or(0, Vec::len);
            let ready = statuses.map_or(0, |s| s.iter().filter(|c| c["ready"] == true).count());
            let restarts: i64 = statuses.map_or(0, |s| {
                s.iter()
                    .map(|c| c["restartCount"].as_i64().unwrap_or(0))
                    .sum()
            });
            let waiting = statuses.and_then(|s| {
                s.iter()
                    .find_map(|c| c.pointer("/state/waiting/reason").and_then(Value::as_str))
            });
            vec![
                json!(format!("{ready}/{all}")),
                json!(waiting.unwrap_or(text(o, "/status/phase"))),
                json!(restarts.to_string()),
                age,
                json!(text(o, "/status/podIP")),
                json!(text(o, "/spec/nodeName")),
            ]
        }
        Kind::Service => {
            let ports: Vec<String> = o
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| format!("{}/{}", p["port"], p["protocol"].as_str().unwrap_or("TCP")))
                .collect();
            vec![
                json!(text(o, "/spec/type")),
                json!(text(o, "/spec/clusterIP")),
                json!("<none>"),
                json!(ports.join(",")),
                age,
                json!(selector_text(&o["spec"]["selector"])),
            ]
        }
        Kind::Deployment => {
            let containers: Vec<&Value> = o
                .pointer("/spec/template/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect();
            let join = |f: &str| {
                containers
                    .iter()
                    .map(|c| c[f].as_str().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            vec![
                json!(format!(
                    "{}/{}",
                    int(o, "/status/readyReplicas"),
                    int(o, "/spec/replicas")
                )),
                json!(int(o, "/status/updatedReplicas")),
                json!(int(o, "/status/availableReplicas")),
                age,
                json!(join("name")),
                json!(join("image")),
                json!(selector_text(&o["spec"]["selector"]["matchLabels"])),
            ]
        }
        Kind::ConfigMap => {
            let count = |field: &str| {
                o.get(field)
                    .and_then(Value::as_object)
                    .map_or(0, |m| m.len())
            };
            vec![json!(count("data") + count("binaryData")), age]
        }
        Kind::Lease => vec![json!(text(o, "/spec/holderIdentity")), age],
        Kind::Hpa => vec![
            json!(format!(
                "{}/{}",
                text(o, "/spec/scaleTargetRef/kind"),
                text(o, "/spec/scaleTargetRef/name")
            )),
            json!("<unknown>"),
            json!(
                o.pointer("/spec/minReplicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(1)
                    .to_string()
            ),
            json!(int(o, "/spec/maxReplicas")),
            json!(int(o, "/status/currentReplicas")),
            age,
        ],
    };
    std::iter::once(name).chain(rest).collect()
}

/// An age as kubectl prints it (`45s`, `3m12s`, `5h`, `2d3h`, `120d`).
fn age(created: &str) -> String {
    let Ok(at) = humantime::parse_rfc3339(created) else {
        return "<unknown>".to_owned();
    };
    short_duration(SystemTime::now().duration_since(at).unwrap_or_default())
}

/// Kubernetes' `duration.HumanDuration`.
fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    let (m, h, day) = (s / 60, s / 3600, s / 86_400);
    match s {
        _ if s < 120 => format!("{s}s"),
        _ if m < 10 => match s % 60 {
            0 => format!("{m}m"),
            r => format!("{m}m{r}s"),
        },
        _ if h < 3 => format!("{m}m"),
        _ if h < 8 => match m % 60 {
            0 => format!("{h}h"),
            r => format!("{h}h{r}m"),
        },
        _ if h < 48 => format!("{h}h"),
        _ if h < 192 => match h % 24 {
            0 => format!("{day}d"),
            r => format!("{day}d{r}h"),
        },
        _ if day < 730 => format!("{day}d"),
        _ => format!("{}y", day / 365),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_print_like_kubectl() {
        let cases = [
            (5, "5s"),
            (150, "2m30s"),
            (600, "10m"),
            (4 * 3600 + 120, "4h2m"),
            (30 * 3600, "30h"),
            (3 * 86_400 + 3600, "3d1h"),
            (100 * 86_400, "100d"),
        ];
        for (secs, want) in cases {
            assert_eq!(short_duration(Duration::from_secs(secs)), want);
        }
    }

    #[test]
    fn deployment_rows_show_readiness() {
        let d = json!({"metadata": {"name": "d", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "d"}}, "template": {"spec": {"containers": [{"name": "app", "image": "i:1"}]}}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}});
        let t = table(Kind::Deployment, &[Arc::new(d)], 9);
        assert_eq!(
            t["rows"][0]["cells"].as_array().unwrap()[0..4],
            [json!("d"), json!("2/3"), json!(3), json!(2)]
        );
        assert_eq!(t["rows"][0]["cells"][7], "app=d");
        assert_eq!(t["metadata"]["resourceVersion"], "9");
    }
}
