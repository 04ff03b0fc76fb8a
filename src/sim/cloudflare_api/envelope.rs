//! The v4 envelope (`success`, `errors`, `messages`, `result`, and
//! `result_info` on lists), Cloudflare's error bodies, and the middleware
//! that authenticates and rate-limits every request (docs/cloudflare-api.md).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sim::cloudflare::{CfError, RATE_LIMIT, RATE_WINDOW_SECS};
use crate::sim::world::World;

/// The bearer token of the request (never logged or echoed).
#[derive(Clone, Debug)]
pub(super) struct Token(pub(super) String);

/// A failed request: status and `errors[]`, rendered as a failure envelope.
#[derive(Debug)]
pub(super) struct Fail {
    status: StatusCode,
    errors: Vec<Value>,
}

impl Fail {
    pub(super) fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Fail {
            status,
            errors: vec![json!({"code": code, "message": message.into()})],
        }
    }

    /// 404 7003 + 7000: the path names no object Cloudflare can route to.
    pub(super) fn no_route(path: &str) -> Self {
        Fail {
            status: StatusCode::NOT_FOUND,
            errors: vec![
                json!({"code": 7003, "message": format!("Could not route to {path}, perhaps your object identifier is invalid?")}),
                json!({"code": 7000, "message": "No route for that URI"}),
            ],
        }
    }

    /// 400 1002 for a body that is not acceptable.
    pub(super) fn invalid(message: impl std::fmt::Display) -> Self {
        Fail::new(
            StatusCode::BAD_REQUEST,
            1002,
            format!("{message}: validation failed"),
        )
    }

    fn bad_auth_header() -> Self {
        Fail {
            status: StatusCode::BAD_REQUEST,
            errors: vec![json!({
                "code": 6003, "message": "Invalid request headers",
                "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}],
            })],
        }
    }
}

impl From<CfError> for Fail {
    fn from(e: CfError) -> Self {
        let message = e.to_string();
        match e {
            // Cloudflare documents no code for a missing object; 1003 reads
            // as "object not found" next to its 1002 validation code.
            CfError::NotFound(_) | CfError::HealthUnavailable => {
                Fail::new(StatusCode::NOT_FOUND, 1003, message)
            }
            CfError::Invalid(_) => Fail::new(StatusCode::BAD_REQUEST, 1002, message),
            CfError::Referenced => Fail::new(StatusCode::PRECONDITION_FAILED, 1005, message),
        }
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let body = json!({"success": false, "errors": self.errors, "messages": [], "result": null});
        json_response(self.status, &body)
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A success envelope around `result`.
pub(super) fn ok(result: Value) -> Response {
    ok_with(result, Vec::new())
}

/// A success envelope with `messages`.
pub(super) fn ok_with(result: Value, messages: Vec<Value>) -> Response {
    let body = json!({"success": true, "errors": [], "messages": messages, "result": result});
    json_response(StatusCode::OK, &body)
}

/// A list envelope. Lists are one page (docs/cloudflare-api.md): page 1 holds
/// everything and later pages are empty, so clients that follow
/// pagination to an empty page stop too.
pub(super) fn list(
    items: Vec<Value>,
    page: Option<&str>,
    per_page: Option<&str>,
) -> Result<Response, Fail> {
    let number = |name: &str, v: Option<&str>, default: usize| match v {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Fail::invalid(format!("{name} must be a positive integer"))),
    };
    let page = number("page", page, 1)?;
    let per_page = number("per_page", per_page, 20)?.max(items.len());
    let total = items.len();
    let items = if page == 1 { items } else { Vec::new() };
    let body = json!({
        "success": true, "errors": [], "messages": [],
        "result": items,
        "result_info": {"page": page, "per_page": per_page, "count": if page == 1 { total } else { 0 }, "total_count": total, "total_pages": 1},
    });
    Ok(json_response(StatusCode::OK, &body))
}

/// The bearer token, or why the headers are unacceptable.
fn token(headers: &HeaderMap) -> Result<Token, Fail> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.to_str().map_err(|_| Fail::bad_auth_header())?;
        let (scheme, token) = v.split_once(' ').ok_or_else(Fail::bad_auth_header)?;
        let token = token.trim();
        let well_formed = !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic());
        if !scheme.eq_ignore_ascii_case("bearer") || !well_formed {
            return Err(Fail::bad_auth_header());
        }
        return Ok(Token(token.to_owned()));
    }
    // The legacy global key (X-Auth-Email + X-Auth-Key) is accepted too.
    match (headers.get("x-auth-email"), headers.get("x-auth-key")) {
        (Some(_), Some(key)) => {
            let key = key.to_str().unwrap_or_default().trim();
            if key.is_empty() {
                return Err(Fail {
                    status: StatusCode::BAD_REQUEST,
                    errors: vec![json!({"code": 6003, "message": "Invalid request headers",
                        "error_chain": [{"code": 6103, "message": "Invalid format for X-Auth-Key header"}]})],
                });
            }
            Ok(Token(key.to_owned()))
        }
        _ => Err(Fail::bad_auth_header()),
    }
}

/// Whether a request changes something. Previews are POSTs that change
/// nothing, so a read-only token may run them (`ocfail health --preview`
/// is a read-only command; Cloudflare's docs name no permission for them).
fn is_write(method: &Method, path: &str) -> bool {
    let preview = *method == Method::POST && path.ends_with("/preview");
    !preview && [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method)
}

/// Counts the request, authenticates it (`invalid` → 401/1000, `read-only`
/// → 403/10000 on writes) and adds the `Ratelimit` headers to the answer.
pub(super) async fn guard(
    State(world): State<Arc<World>>,
    mut req: Request,
    next: Next,
) -> Response {
    let rate = world.cloudflare.count_request();
    let mut resp = if rate.limited {
        let mut r = Fail::new(
            StatusCode::TOO_MANY_REQUESTS,
            971,
            "Please wait and consider throttling your request speed",
        )
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&rate.reset_secs.max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    } else {
        match token(req.headers()) {
            Err(fail) => fail.into_response(),
            Ok(Token(t)) if t == "invalid" => {
                Fail::new(StatusCode::UNAUTHORIZED, 1000, "Invalid API Token").into_response()
            }
            Ok(Token(t)) if t == "read-only" && is_write(req.method(), req.uri().path()) => {
                Fail::new(StatusCode::FORBIDDEN, 10000, "Authentication error").into_response()
            }
            Ok(token) => {
                req.extensions_mut().insert(token);
                next.run(req).await
            }
        }
    };
    let headers = resp.headers_mut();
    let limit = format!("\"default\";r={};t={}", rate.remaining, rate.reset_secs);
    let policy = format!("\"default\";q={RATE_LIMIT};w={RATE_WINDOW_SECS}");
    for (name, value) in [("ratelimit", limit), ("ratelimit-policy", policy)] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn authorization_must_be_a_bearer_token() {
        assert_eq!(token(&headers("Bearer abc")).unwrap().0, "abc");
        for bad in ["abc", "Basic abc", "Bearer ", "Bearer a b"] {
            let fail = token(&headers(bad)).unwrap_err();
            assert_eq!(fail.status, StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(fail.errors[0]["error_chain"][0]["code"], 6111);
        }
        assert!(token(&HeaderMap::new()).is_err());
    }

    #[test]
    fn previews_are_not_writes() {
        assert!(is_write(
            &Method::PATCH,
            "/client/v4/accounts/a/load_balancers/pools/p"
        ));
        assert!(!is_write(
            &Method::POST,
            "/client/v4/accounts/a/load_balancers/pools/p/preview"
        ));
        assert!(!is_write(&Method::GET, "/client/v4/user/tokens/verify"));
    }
}
