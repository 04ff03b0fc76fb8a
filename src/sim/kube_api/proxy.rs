//! The API server's service proxy,
//! `/api/v1/namespaces/{ns}/services/[scheme:]{name}[:port]/proxy/{path}`:
//! the request goes to a ready pod of the Service, which answers like the
//! app; no ready pods is a 503 Status, as from the real API server.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::ApiRequest;
use crate::sim::app::AppRequest;
use crate::sim::cluster::{Cluster, Kind, KubeError};

/// Splits `[scheme:]name[:port]`.
fn parse_service(s: &str) -> (&str, Option<&str>) {
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        [name] => (name, None),
        ["http" | "https", name] => (name, None),
        ["http" | "https", name, port] | [name, port] => (name, Some(port)),
        _ => (s, None),
    }
}

/// Answers one proxied request.
pub(super) fn serve(
    cluster: &Cluster,
    req: &ApiRequest,
    ns: &str,
    service: &str,
    path: &str,
) -> Result<Response, KubeError> {
    let (name, port) = parse_service(service);
    let port = port.filter(|p| !p.is_empty());
    let svc = cluster.get(Kind::Service, ns, name)?;
    if let Some(port) = port {
        let ports = svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let known = ports.iter().any(|p| {
            p["port"].as_i64().map(|n| n.to_string()).as_deref() == Some(port)
                || p["name"].as_str() == Some(port)
        });
        if !known {
            return Err(KubeError::NoEndpoints(name.to_owned()));
        }
    }
    let app_req = AppRequest {
        method: req.method.as_str().to_ascii_uppercase(),
        path: path.to_owned(),
        body: req.body.to_vec(),
    };
    let answer = cluster
        .serve_pod(ns, name, &app_req)
        .ok_or_else(|| KubeError::NoEndpoints(name.to_owned()))?;
    let mut resp = Response::new(Body::from(answer.body));
    *resp.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (k, v) in answer.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            resp.headers_mut().insert(k, v);
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_carry_scheme_and_port() {
        assert_eq!(parse_service("web"), ("web", None));
        assert_eq!(parse_service("web:8080"), ("web", Some("8080")));
        assert_eq!(parse_service("http:web:8080"), ("web", Some("8080")));
        assert_eq!(parse_service("https:web:"), ("web", Some("")));
    }
}
