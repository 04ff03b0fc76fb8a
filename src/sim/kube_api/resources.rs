//! The verbs on stored resources: list, get, create, replace, patch and
//! delete, and the Deployment `scale` and `status` subresources, with the
//! API server's preconditions (resourceVersion) and response shapes.

use std::sync::Arc;

use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::verb_of;
use super::selector::{FieldSelector, LabelSelector};
use super::{ApiRequest, Target, json, json_bytes, table, watch};
use crate::sim::cluster::{Cluster, Kind, KubeError};
use crate::sim::patch::{self, PatchError, PatchType};

/// Serves a request for a collection or an object.
pub(super) fn serve(cluster: &Arc<Cluster>, req: &ApiRequest) -> Result<Response, KubeError> {
    let verb = verb_of(req);
    match &req.target {
        Target::Collection(kind, ns) => {
            if !kind.allows(verb) {
                return Err(KubeError::MethodNotAllowed);
            }
            match verb {
                "watch" => watch::serve(cluster.clone(), req, *kind, ns.clone()),
                "list" => list(cluster, req, *kind, ns.as_deref()),
                "create" => match (kind.namespaced(), ns) {
                    (true, None) => Err(KubeError::MethodNotAllowed),
                    (_, ns) => {
                        let created = cluster.create(
                            *kind,
                            ns.as_deref().unwrap_or_default(),
                            req.body_object(*kind)?,
                            req.dry_run(),
                        )?;
                        Ok(json(StatusCode::CREATED, &created))
                    }
                },
                _ => Err(KubeError::MethodNotAllowed),
            }
        }
        Target::Object {
            kind,
            namespace,
            name,
            sub,
        } => match sub.as_deref() {
            None => object(cluster, req, *kind, namespace, name, verb),
            Some("scale") if *kind == Kind::Deployment => scale(cluster, req, namespace, name),
            Some("status") if matches!(kind, Kind::Deployment | Kind::Hpa) => {
                status(cluster, req, *kind, namespace, name)
            }
            Some(_) => Err(KubeError::PathNotFound),
        },
        _ => Err(KubeError::PathNotFound),
    }
}

fn list(
    cluster: &Cluster,
    req: &ApiRequest,
    kind: Kind,
    ns: Option<&str>,
) -> Result<Response, KubeError> {
    let labels = LabelSelector::parse(req.param("labelSelector").unwrap_or_default())
        .map_err(KubeError::BadRequest)?;
    let fields = FieldSelector::parse(req.param("fieldSelector").unwrap_or_default())
        .map_err(KubeError::BadRequest)?;
    let (items, rv) = cluster.list(kind, ns);
    let items: Vec<Arc<Value>> = items
        .into_iter()
        .filter(|o| labels.matches(o.pointer("/metadata/labels")) && fields.matches(o))
        .collect();
    if table::wanted(&req.headers) {
        return Ok(json(StatusCode::OK, &table::table(kind, &items, rv)));
    }
    // Written by hand so items are serialized once, straight from the store's `Arc`s.
    let mut out = format!(
        r#"{{"kind":"{}List","apiVersion":"{}","metadata":{{"resourceVersion":"{rv}"}},"items":["#,
        kind.kind(),
        kind.api_version()
    )
    .into_bytes();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, &**item)
            .map_err(|e| KubeError::BadRequest(e.to_string()))?;
    }
    out.extend_from_slice(b"]}");
    Ok(json_bytes(StatusCode::OK, out))
}

fn object(
    cluster: &Cluster,
    req: &ApiRequest,
    kind: Kind,
    ns: &str,
    name: &str,
    verb: &str,
) -> Result<Response, KubeError> {
    if !kind.allows(verb) {
        return Err(KubeError::MethodNotAllowed);
    }
    let dry = req.dry_run();
    let ok = |v: &Value| json(StatusCode::OK, v);
    match req.method {
        Method::GET | Method::HEAD => {
            let obj = cluster.get(kind, ns, name)?;
            if table::wanted(&req.headers) {
                let rv = cluster.resource_version();
                return Ok(json(StatusCode::OK, &table::table(kind, &[obj], rv)));
            }
            Ok(ok(&obj))
        }
        Method::PUT => {
            let body = req.body_object(kind)?;
            check_identity(&body, kind, ns, name)?;
            let new = cluster.update(kind, ns, name, dry, |old| {
                precondition(kind, name, old, &body)?;
                Ok(keep_status(kind, old, body.clone()))
            })?;
            Ok(ok(&new))
        }
        Method::PATCH => {
            let pt = patch_type(req)?;
            let new = cluster.update(kind, ns, name, dry, |old| {
                let patched = apply_patch(pt, old, &req.body)?;
                precondition(kind, name, old, &patched)?;
                Ok(keep_status(kind, old, patched))
            })?;
            Ok(ok(&new))
        }
        Method::DELETE => {
            let options = if req.body.is_empty() {
                Value::Null
            } else {
                req.body_json()?
            };
            let rv = options
                .pointer("/preconditions/resourceVersion")
                .and_then(Value::as_str);
            let gone = cluster.delete_at(kind, ns, name, dry, rv)?;
            let mut details =
                json!({"name": name, "kind": kind.plural(), "uid": gone["metadata"]["uid"]});
            if !kind.group().is_empty() {
                details["group"] = json!(kind.group());
            }
            Ok(ok(
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}),
            ))
        }
        _ => Err(KubeError::MethodNotAllowed),
    }
}

/// The Scale a Deployment's `scale` subresource shows.
fn scale_of(d: &Value) -> Value {
    let m = &d["metadata"];
    let selector = d["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|l| {
            l.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": m["name"], "namespace": m["namespace"], "uid": m["uid"], "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"]},
        "spec": {"replicas": d["spec"]["replicas"]},
        "status": {"replicas": d["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector},
    })
}

fn scale(cluster: &Cluster, req: &ApiRequest, ns: &str, name: &str) -> Result<Response, KubeError> {
    let kind = Kind::Deployment;
    let desired = |old: &Value, scale: &Value| -> Result<Value, KubeError> {
        precondition(kind, name, old, scale)?;
        let replicas = scale
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let mut d = old.clone();
        d["spec"]["replicas"] = json!(replicas);
        Ok(d)
    };
    let new = match req.method {
        Method::GET | Method::HEAD => cluster.get(kind, ns, name)?,
        Method::PUT => {
            let body = req.body_json()?;
            cluster.update(kind, ns, name, req.dry_run(), |old| desired(old, &body))?
        }
        Method::PATCH => {
            let pt = patch_type(req)?;
            cluster.update(kind, ns, name, req.dry_run(), |old| {
                let patched = apply_patch(pt, &scale_of(old), &req.body)?;
                desired(old, &patched)
            })?
        }
        _ => return Err(KubeError::MethodNotAllowed),
    };
    Ok(json(StatusCode::OK, &scale_of(&new)))
}

fn status(
    cluster: &Cluster,
    req: &ApiRequest,
    kind: Kind,
    ns: &str,
    name: &str,
) -> Result<Response, KubeError> {
    let with_status = |old: &Value, from: &Value| -> Result<Value, KubeError> {
        precondition(kind, name, old, from)?;
        let mut new = old.clone();
        new["status"] = from.get("status").cloned().unwrap_or_else(|| json!({}));
        Ok(new)
    };
    let new = match req.method {
        Method::GET | Method::HEAD => cluster.get(kind, ns, name)?,
        Method::PUT => {
            let body = req.body_json()?;
            check_identity(&body, kind, ns, name)?;
            cluster.update(kind, ns, name, req.dry_run(), |old| with_status(old, &body))?
        }
        Method::PATCH => {
            let pt = patch_type(req)?;
            cluster.update(kind, ns, name, req.dry_run(), |old| {
                let patched = apply_patch(pt, old, &req.body)?;
                with_status(old, &patched)
            })?
        }
        _ => return Err(KubeError::MethodNotAllowed),
    };
    Ok(json(StatusCode::OK, &new))
}

fn patch_type(req: &ApiRequest) -> Result<PatchType, KubeError> {
    let ct = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    PatchType::from_content_type(ct).ok_or(KubeError::UnsupportedMediaType)
}

fn apply_patch(pt: PatchType, doc: &Value, body: &[u8]) -> Result<Value, KubeError> {
    patch::apply(pt, doc, body).map_err(|e| match e {
        PatchError::Malformed(m) => KubeError::BadRequest(m),
        PatchError::DoesNotApply(m) => KubeError::Unprocessable(m),
    })
}

/// A PUT body must name the object the URL names.
fn check_identity(body: &Value, kind: Kind, ns: &str, name: &str) -> Result<(), KubeError> {
    let field = |f: &str| {
        body.pointer(&format!("/metadata/{f}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    if !field("name").is_empty() && field("name") != name {
        return Err(KubeError::BadRequest(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            field("name")
        )));
    }
    if kind.namespaced() && !field("namespace").is_empty() && field("namespace") != ns {
        return Err(KubeError::BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
                .into(),
        ));
    }
    Ok(())
}

/// Optimistic concurrency: a write that carries a resourceVersion only
/// applies to exactly that version; one without applies unconditionally.
fn precondition(kind: Kind, name: &str, current: &Value, sent: &Value) -> Result<(), KubeError> {
    match sent
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
    {
        Some(rv)
            if !rv.is_empty()
                && Some(rv)
                    != current
                        .pointer("/metadata/resourceVersion")
                        .and_then(Value::as_str) =>
        {
            Err(KubeError::Conflict {
                kind,
                name: name.to_owned(),
            })
        }
        _ => Ok(()),
    }
}

/// Writes to the main resource cannot change status (that is what the
/// `status` subresource is for).
fn keep_status(kind: Kind, old: &Value, mut new: Value) -> Value {
    if matches!(kind, Kind::Deployment | Kind::Hpa | Kind::Service)
        && let Some(m) = new.as_object_mut()
    {
        match old.get("status") {
            Some(s) => m.insert("status".into(), s.clone()),
            None => m.remove("status"),
        };
    }
    new
}
