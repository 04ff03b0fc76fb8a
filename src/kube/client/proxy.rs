//! Requests through the API server's service proxy
//! (`/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH`).
//!
//! The app's own answer comes back whatever its status: a 503 because no
//! pod is ready is a fact for the smoke check, not a failed call. Only the
//! API server's own refusals (401, 403, and 404 for a missing Service) are
//! errors, recognised by their Kubernetes `Status` body.

use std::collections::BTreeMap;
use std::time::Instant;

use ::kube::client::Body;
use ::kube::core::Status;
use serde_json::Value;

use crate::kube::types::{ProxyRequest, ProxyResponse};

/// Largest body kept, per [`ProxyResponse::body`].
pub const MAX_BODY: usize = 64 * 1024;

/// What came back through the proxy.
#[derive(Debug)]
pub enum ProxyOutcome {
    /// The app answered (any status).
    Answer(ProxyResponse),
    /// The API server refused the request itself.
    Refused(Box<Status>),
}

/// The RBAC verb the API server checks for a proxied `method`.
pub fn rbac_verb(method: &str) -> &'static str {
    match method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" | "OPTIONS" => "get",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => "delete",
        _ => "create",
    }
}

/// The request path: the Service's named port on the proxy subresource.
pub fn proxy_path(namespace: &str, req: &ProxyRequest) -> String {
    let path = if req.path.starts_with('/') {
        req.path.clone()
    } else {
        format!("/{}", req.path)
    };
    format!(
        "/api/v1/namespaces/{namespace}/services/{}:{}/proxy{path}",
        req.service, req.port
    )
}

/// Builds the HTTP request.
pub fn build(namespace: &str, req: &ProxyRequest) -> Result<http::Request<Body>, http::Error> {
    let method = http::Method::from_bytes(req.method.to_ascii_uppercase().as_bytes())?;
    let mut builder = http::Request::builder()
        .method(method)
        .uri(proxy_path(namespace, req));
    let body = match &req.body {
        Some(b) => {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
            Body::from(b.clone().into_bytes())
        }
        None => Body::empty(),
    };
    builder.body(body)
}

/// Sends `request` and reads the answer.
pub async fn send(
    client: &::kube::Client,
    request: http::Request<Body>,
    service: &str,
) -> Result<ProxyOutcome, ::kube::Error> {
    let started = Instant::now();
    let response = client.send(request).await?;
    let (parts, body) = response.into_parts();
    let bytes = body.collect_bytes().await?;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let status = parts.status.as_u16();
    if let Some(refusal) = api_server_refusal(status, &bytes, service) {
        return Ok(ProxyOutcome::Refused(Box::new(refusal)));
    }
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let kept = &bytes[..bytes.len().min(MAX_BODY)];
    Ok(ProxyOutcome::Answer(ProxyResponse {
        status,
        headers,
        body: String::from_utf8_lossy(kept).into_owned(),
        latency_ms,
    }))
}

/// The API server's `Status` when it, not the app, refused the request:
/// bad credentials, a missing permission, or no such Service.
fn api_server_refusal(status: u16, body: &[u8], service: &str) -> Option<Status> {
    if !matches!(status, 401 | 403 | 404) {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    if value.get("kind").and_then(Value::as_str) != Some("Status") {
        return None;
    }
    let parsed: Status = serde_json::from_value(value).ok()?;
    let about_service = parsed
        .details
        .as_ref()
        .is_some_and(|d| d.kind == "services" && (d.name.is_empty() || d.name == service));
    match status {
        // A 404 Status about another kind could be the app's own answer.
        404 if !about_service => None,
        _ => Some(parsed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str) -> ProxyRequest {
        ProxyRequest {
            service: "openclaw-api".into(),
            port: 8080,
            method: method.into(),
            path: path.into(),
            body: None,
        }
    }

    #[test]
    fn paths_name_the_service_port() {
        assert_eq!(
            proxy_path("ns", &req("GET", "/healthz")),
            "/api/v1/namespaces/ns/services/openclaw-api:8080/proxy/healthz"
        );
        assert_eq!(
            proxy_path("ns", &req("GET", "v1/rate?x=1")),
            "/api/v1/namespaces/ns/services/openclaw-api:8080/proxy/v1/rate?x=1"
        );
        assert_eq!(
            proxy_path("ns", &req("GET", "/")),
            "/api/v1/namespaces/ns/services/openclaw-api:8080/proxy/"
        );
    }

    #[test]
    fn verbs_follow_the_api_servers_mapping() {
        assert_eq!(rbac_verb("GET"), "get");
        assert_eq!(rbac_verb("post"), "create");
        assert_eq!(rbac_verb("DELETE"), "delete");
    }

    #[test]
    fn bodies_are_sent_as_json() {
        let mut r = req("post", "/v1/rate");
        r.body = Some("{}".into());
        let built = build("ns", &r).unwrap();
        assert_eq!(built.method(), http::Method::POST);
        assert_eq!(
            built.headers()[http::header::CONTENT_TYPE],
            "application/json"
        );
        assert!(build("ns", &req("BAD METHOD", "/")).is_err());
    }

    #[test]
    fn only_the_api_servers_own_refusals_are_errors() {
        let missing = br#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"services \"openclaw-api\" not found","reason":"NotFound","details":{"name":"openclaw-api","kind":"services"},"code":404}"#;
        assert_eq!(
            api_server_refusal(404, missing, "openclaw-api")
                .unwrap()
                .reason,
            "NotFound"
        );
        let app_404 = br#"{"error":"no such route"}"#;
        assert!(api_server_refusal(404, app_404, "openclaw-api").is_none());
        let no_endpoints = br#"{"kind":"Status","message":"no endpoints available for service \"openclaw-api\"","reason":"ServiceUnavailable","code":503}"#;
        assert!(api_server_refusal(503, no_endpoints, "openclaw-api").is_none());
        let forbidden = br#"{"kind":"Status","message":"services \"openclaw-api\" is forbidden","reason":"Forbidden","code":403}"#;
        assert_eq!(
            api_server_refusal(403, forbidden, "openclaw-api")
                .unwrap()
                .code,
            403
        );
        assert!(api_server_refusal(403, b"denied by the app", "openclaw-api").is_none());
    }
}
