//! Who may do what, as DESIGN.md §9 defines it: any non-empty bearer token
//! authenticates (as a user named like the token), except `invalid` (401);
//! `read-only` may read but gets 403 on every write, with the real API
//! server's message naming the verb and resource.

use axum::http::{Method, header};

use super::{ApiRequest, Target};
use crate::sim::cluster::{Kind, KubeError};

/// The user a bearer token authenticates as; the literal tokens `invalid`
/// and `read-only` are the simulator's way to exercise 401 and 403.
pub(super) fn authorize(req: &ApiRequest) -> Result<(), KubeError> {
    let token = token(req);
    if token.is_empty() || token == "invalid" {
        return Err(KubeError::Unauthorized);
    }
    if token != "read-only" {
        return Ok(());
    }
    let verb = verb_of(req);
    if matches!(verb, "get" | "list" | "watch") {
        return Ok(());
    }
    let (kind, namespace, name, resource) = match &req.target {
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
        // Access reviews (any authenticated user may ask) and discovery.
        _ => return Ok(()),
    };
    Err(KubeError::Forbidden {
        user: token.to_owned(),
        verb: verb.to_owned(),
        kind,
        resource,
        name,
        namespace,
    })
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
