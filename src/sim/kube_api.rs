//! The Kubernetes API subset one region's listener serves: routing of API
//! paths, bearer-token authentication and authorization (docs/simulator.md), and
//! JSON responses. What each verb does lives in the submodules.

mod access_review;
mod auth;
mod discovery;
mod protobuf;
mod proxy;
mod resources;
mod selector;
mod table;
mod watch;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub use self::selector::{FieldSelector, LabelSelector};
use super::cluster::{Cluster, Kind, KubeError};
use super::world::World;

/// Largest request body read (the real API server allows 3 MiB objects).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The router for `region`'s API server.
pub fn router(world: Arc<World>, region: String) -> Router {
    match world.cluster(&region).cloned() {
        Some(cluster) => Router::new().fallback(handle).with_state(cluster),
        None => Router::new(),
    }
}

/// What an API path names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Version,
    ApiVersions,
    ApiGroupList,
    ApiGroup(String),
    ResourceList(String, String),
    OpenApiRoot,
    OpenApi(String, String),
    /// A resource collection, in a namespace or across all.
    Collection(Kind, Option<String>),
    /// One object, maybe a subresource of it (`scale`, `status`).
    Object {
        kind: Kind,
        namespace: String,
        name: String,
        sub: Option<String>,
    },
    /// `selfsubjectaccessreviews` (authorization.k8s.io/v1), answered, never stored.
    AccessReview,
    /// `services/{name}/proxy/{path}`; `name` may carry a scheme and port.
    Proxy {
        namespace: String,
        service: String,
        path: String,
    },
}

fn parse_path(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["version"] => return Some(Target::Version),
        ["api"] => return Some(Target::ApiVersions),
        ["apis"] => return Some(Target::ApiGroupList),
        ["apis", g] => return Some(Target::ApiGroup((*g).to_owned())),
        [
            "apis",
            access_review::GROUP,
            access_review::VERSION,
            access_review::PLURAL,
        ] => {
            return Some(Target::AccessReview);
        }
        ["openapi", "v3"] => return Some(Target::OpenApiRoot),
        ["openapi", "v3", "api", v] => {
            return Some(Target::OpenApi(String::new(), (*v).to_owned()));
        }
        ["openapi", "v3", "apis", g, v] => {
            return Some(Target::OpenApi((*g).to_owned(), (*v).to_owned()));
        }
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let kind = |plural: &str| Kind::from_path(group, version, plural);
    let object = |kind: Kind, ns: &str, name: &str, sub: Option<&str>| {
        (!name.is_empty()).then(|| Target::Object {
            kind,
            namespace: ns.to_owned(),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        })
    };
    match rest {
        [] | [""] => Some(Target::ResourceList(group.to_owned(), version.to_owned())),
        ["namespaces", ns, "services", svc, "proxy", tail @ ..] if group.is_empty() => {
            Some(Target::Proxy {
                namespace: (*ns).to_owned(),
                service: (*svc).to_owned(),
                path: format!("/{}", tail.join("/")),
            })
        }
        ["namespaces", ns] => object(kind("namespaces")?, "", ns, None),
        ["namespaces", ns, plural] => kind(plural)
            .filter(|k| k.namespaced())
            .map(|k| Target::Collection(k, Some((*ns).to_owned()))),
        ["namespaces", ns, plural, name] => {
            object(kind(plural).filter(|k| k.namespaced())?, ns, name, None)
        }
        ["namespaces", ns, plural, name, sub] => object(
            kind(plural).filter(|k| k.namespaced())?,
            ns,
            name,
            Some(sub),
        ),
        [plural] => kind(plural).map(|k| Target::Collection(k, None)),
        [plural, name] => object(kind(plural).filter(|k| !k.namespaced())?, "", name, None),
        _ => None,
    }
}

/// A request, read and routed.
struct ApiRequest {
    method: Method,
    target: Target,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
}

impl ApiRequest {
    fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.param(name), Some("true" | "1"))
    }

    /// Whether the request is a dry run (`dryRun=All`).
    fn dry_run(&self) -> bool {
        self.param("dryRun").is_some_and(|v| !v.is_empty())
    }

    /// The object a create or replace sends: JSON, or protobuf for the
    /// kinds kubectl's typed client sends that way (`protobuf.rs`).
    fn body_object(&self, kind: Kind) -> Result<Value, KubeError> {
        if !protobuf::is_protobuf(&self.headers) {
            return self.body_json();
        }
        let decoded = match kind {
            Kind::ConfigMap => protobuf::config_map(&self.body),
            _ => {
                return Err(KubeError::BadRequest(format!(
                    "the simulator reads {} only as JSON, not protobuf",
                    kind.plural()
                )));
            }
        };
        decoded.ok_or_else(|| {
            KubeError::BadRequest(format!(
                "the body of the request could not be decoded as a protobuf {}",
                kind.kind()
            ))
        })
    }

    fn body_json(&self) -> Result<Value, KubeError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            KubeError::BadRequest(format!(
                "the body of the request could not be decoded as JSON: {e}"
            ))
        })
    }
}

async fn handle(State(cluster): State<Arc<Cluster>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return error(&KubeError::BadRequest(format!("request body: {e}"))),
    };
    let Some(target) = parse_path(parts.uri.path()) else {
        tracing::debug!(path = %parts.uri.path(), method = %parts.method, "sim: unserved Kubernetes path");
        return error(&KubeError::PathNotFound);
    };
    let query = axum::extract::Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let req = ApiRequest {
        method: parts.method,
        target,
        query,
        headers: parts.headers,
        body,
    };
    let fault = cluster.fault();
    if let Err(e) = auth::authorize(&req, &fault) {
        return error(&e);
    }
    let server = req
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let result = match &req.target {
        Target::Version => Ok(json(StatusCode::OK, &discovery::version())),
        Target::ApiVersions => Ok(json(StatusCode::OK, &discovery::api_versions(&server))),
        Target::ApiGroupList => Ok(json(StatusCode::OK, &discovery::api_group_list())),
        Target::ApiGroup(g) => discovery::api_group(g)
            .map(|d| json(StatusCode::OK, &d))
            .ok_or(KubeError::PathNotFound),
        Target::ResourceList(g, v) => discovery::resource_list(g, v)
            .map(|d| json(StatusCode::OK, &d))
            .ok_or(KubeError::PathNotFound),
        Target::OpenApiRoot => Ok(json(StatusCode::OK, &discovery::openapi_root())),
        Target::OpenApi(g, v) => discovery::openapi_group_version(g, v)
            .map(|d| json(StatusCode::OK, &d))
            .ok_or(KubeError::PathNotFound),
        Target::Proxy {
            namespace,
            service,
            path,
        } => proxy::serve(&cluster, &req, namespace, service, path),
        Target::AccessReview => access_review::serve(&req, auth::token(&req), &fault),
        Target::Collection(..) | Target::Object { .. } => resources::serve(&cluster, &req),
    };
    result.unwrap_or_else(|e| error(&e))
}

/// A JSON response.
fn json(status: StatusCode, body: &Value) -> Response {
    json_bytes(status, body.to_string().into_bytes())
}

fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(body),
    )
        .into_response()
}

/// An error as the API server sends it: a `Status` with the matching code.
fn error(e: &KubeError) -> Response {
    let status = StatusCode::from_u16(e.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(status, &e.status())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(kind: Kind, ns: &str, name: &str, sub: Option<&str>) -> Option<Target> {
        Some(Target::Object {
            kind,
            namespace: ns.into(),
            name: name.into(),
            sub: sub.map(Into::into),
        })
    }

    #[test]
    fn paths_route_like_the_api_server() {
        assert_eq!(
            parse_path("/api/v1"),
            Some(Target::ResourceList(String::new(), "v1".into()))
        );
        assert_eq!(
            parse_path("/apis/apps/v1/namespaces/ns/deployments"),
            Some(Target::Collection(Kind::Deployment, Some("ns".into())))
        );
        assert_eq!(
            parse_path("/apis/apps/v1/deployments"),
            Some(Target::Collection(Kind::Deployment, None))
        );
        assert_eq!(
            parse_path("/apis/apps/v1/namespaces/ns/deployments/d/scale"),
            obj(Kind::Deployment, "ns", "d", Some("scale"))
        );
        assert_eq!(
            parse_path("/api/v1/namespaces/ns"),
            obj(Kind::Namespace, "", "ns", None)
        );
        assert_eq!(
            parse_path("/api/v1/namespaces"),
            Some(Target::Collection(Kind::Namespace, None))
        );
        assert_eq!(
            parse_path("/api/v1/namespaces/ns/services/http:web:8080/proxy/v1/rate"),
            Some(Target::Proxy {
                namespace: "ns".into(),
                service: "http:web:8080".into(),
                path: "/v1/rate".into()
            })
        );
        assert_eq!(
            parse_path("/api/v1/namespaces/ns/services/web/proxy"),
            Some(Target::Proxy {
                namespace: "ns".into(),
                service: "web".into(),
                path: "/".into()
            })
        );
        assert_eq!(
            parse_path("/apis/apps/v1/namespaces/ns/pods"),
            None,
            "pods are core"
        );
        assert_eq!(parse_path("/apis/apps/v2/namespaces/ns/deployments"), None);
        assert_eq!(parse_path("/healthz"), None);
        assert_eq!(
            parse_path("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"),
            Some(Target::AccessReview)
        );
    }
}
