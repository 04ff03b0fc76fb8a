//! Who may do what, as docs/simulator.md says: any non-empty bearer token
//! authenticates (as a user named like the token), except `invalid` (401);
//! `read-only` may read but gets 403 on every write, with the real API
//! server's message naming the verb and resource. A region's `deny` fault
//! takes single permissions away from every token, as a Role lacking them
//! would.

use axum::http::{Method, header};

use super::{ApiRequest, Target};
use crate::sim::cluster::{Kind, KubeError};
use crate::sim::faults::KubeFault;

/// The user a bearer token authenticates as; the literal tokens `invalid`
/// and `read-only` are the simulator's way to exercise 401 and 403, and
/// `fault`'s `deny` list refuses what it names.
pub(super) fn authorize(req: &ApiRequest, fault: &KubeFault) -> Result<(), KubeError> {
    let token = token(req);
    if token.is_empty() || token == "invalid" {
        return Err(KubeError::Unauthorized);
    }
    let verb = verb_of(req);
    let read_only = token == "read-only" && !matches!(verb, "get" | "list" | "watch");
    if !read_only && fault.deny.is_empty() {
        return Ok(());
    }
    let Some((kind, namespace, name, resource)) = attributes(req) else {
        // Access reviews (any authenticated user may ask) and discovery.
        return Ok(());
    };
    if !read_only && !fault.denies(verb, &resource) {
        return Ok(());
    }
    Err(KubeError::Forbidden {
        user: token.to_owned(),
        verb: verb.to_owned(),
        kind,
        resource,
        name,
        namespace,
    })
}

/// What RBAC checks a request against: its kind, namespace, object name and
/// resource (with any subresource); `None` for requests every
/// authenticated user may make.
fn attributes(req: &ApiRequest) -> Option<(Kind, Option<String>, Option<String>, String)> {
    let found = match &req.target {
        Target::Collection(kind, ns) => (*kind, ns.clone(), None, kind.plural().to_owned()),
        Target::Object {
            kind,
            namespace,
            name,
            sub,
        } => (
            *kind,
            kind.namespaced().then(|| namespace.clone()),
            Some(name.clone()),
            match sub {
                Some(s) => format!("{}/{s}", kind.plural()),
                None => kind.plural().to_owned(),
            },
        ),
        Target::Proxy {
            namespace, service, ..
        } => (
            Kind::Service,
            Some(namespace.clone()),
            Some(service.clone()),
            "services/proxy".to_owned(),
        ),
        _ => return None,
    };
    Some(found)
}

/// The request's bearer token (`""` when there is none).
pub(super) fn token(req: &ApiRequest) -> &str {
    req.headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default()
}

/// The authorization verb of a request, as the API server derives it.
pub(super) fn verb_of(req: &ApiRequest) -> &'static str {
    let collection = matches!(req.target, Target::Collection(..));
    match req.method {
        Method::GET | Method::HEAD | Method::OPTIONS if collection && req.flag("watch") => "watch",
        Method::GET | Method::HEAD | Method::OPTIONS if collection => "list",
        Method::GET | Method::HEAD | Method::OPTIONS => "get",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if collection => "deletecollection",
        Method::DELETE => "delete",
        _ => "unknown",
    }
}
