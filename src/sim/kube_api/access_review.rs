//! `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`: "may I?"
//! as `kubectl auth can-i` and `ocfail validate --live` ask it. The answer
//! follows the same rules as every other request (`auth.rs`): any token may
//! do anything, except `read-only`, which may only get, list and watch, and
//! nobody may do what the region's `deny` fault names. Like the real API
//! server, any authenticated user may ask (so may create access reviews).
//!
//! kubectl sends this request as protobuf (see `protobuf.rs`), so the body
//! is read as protobuf or JSON; the answer is always JSON.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::protobuf::{self, fields, is_protobuf, message, strings};
use super::{ApiRequest, json};
use crate::sim::cluster::KubeError;
use crate::sim::faults::KubeFault;

/// The group and version served.
pub(super) const GROUP: &str = "authorization.k8s.io";
/// The version served.
pub(super) const VERSION: &str = "v1";
/// The resource's URL plural.
pub(super) const PLURAL: &str = "selfsubjectaccessreviews";

/// Answers one review for the user `token` names, in a region with `fault`.
pub(super) fn serve(
    req: &ApiRequest,
    token: &str,
    fault: &KubeFault,
) -> Result<Response, KubeError> {
    if req.method != Method::POST {
        return Err(KubeError::MethodNotAllowed);
    }
    let mut review = if is_protobuf(&req.headers) {
        from_protobuf(&req.body).ok_or_else(|| {
            KubeError::BadRequest(
                "the body of the request could not be decoded as a protobuf SelfSubjectAccessReview"
                    .to_owned(),
            )
        })?
    } else {
        req.body_json()?
    };
    let spec = review.get("spec").cloned().unwrap_or(Value::Null);
    let resource = spec.get("resourceAttributes").filter(|v| v.is_object());
    let non_resource = spec.get("nonResourceAttributes").filter(|v| v.is_object());
    let verb = match (resource, non_resource) {
        (Some(a), None) | (None, Some(a)) => {
            a.get("verb").and_then(Value::as_str).unwrap_or_default()
        }
        _ => {
            return Err(KubeError::Unprocessable(
                "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: \
                 Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified"
                    .to_owned(),
            ));
        }
    };
    let field = |k: &str| {
        resource
            .and_then(|a| a.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let plural = match field("subresource") {
        "" => field("resource").to_owned(),
        sub => format!("{}/{sub}", field("resource")),
    };
    // system:basic-user lets every authenticated user ask.
    let asking = resource.is_some() && verb == "create" && plural == PLURAL;
    let allowed = (token != "read-only" || matches!(verb, "get" | "list" | "watch") || asking)
        && !(resource.is_some() && fault.denies(verb, &plural));
    let reason = if allowed {
        let role = match token {
            "read-only" if asking => "system:basic-user",
            "read-only" => "view",
            _ => "cluster-admin",
        };
        format!(
            "RBAC: allowed by ClusterRoleBinding \"ocfail-sim-{role}\" of ClusterRole \"{role}\" to User \"{token}\""
        )
    } else {
        denial(token, verb, resource, non_resource)
    };
    review["apiVersion"] = json!(format!("{GROUP}/{VERSION}"));
    review["kind"] = json!("SelfSubjectAccessReview");
    if !review["metadata"].is_object() {
        review["metadata"] = json!({});
    }
    review["status"] = json!({"allowed": allowed, "reason": reason});
    Ok(json(StatusCode::CREATED, &review))
}

/// Why the user may not: the wording of the API server's 403 message.
fn denial(
    token: &str,
    verb: &str,
    resource: Option<&Value>,
    non_resource: Option<&Value>,
) -> String {
    let field = |v: Option<&Value>, k: &str| {
        v.and_then(|a| a.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if non_resource.is_some() {
        return format!(
            "User \"{token}\" cannot {verb} path \"{}\"",
            field(non_resource, "path")
        );
    }
    let mut plural = field(resource, "resource");
    let sub = field(resource, "subresource");
    if !sub.is_empty() {
        plural = format!("{plural}/{sub}");
    }
    let namespace = field(resource, "namespace");
    let scope = if namespace.is_empty() {
        String::new()
    } else {
        format!(" in the namespace \"{namespace}\"")
    };
    format!(
        "User \"{token}\" cannot {verb} resource \"{plural}\" in API group \"{}\"{scope}",
        field(resource, "group")
    )
}

/// A SelfSubjectAccessReview from Kubernetes' protobuf envelope: the magic
/// `k8s\0`, then `runtime.Unknown{typeMeta=1, raw=2}` whose `raw` is the
/// object (`metadata=1, spec=2`; spec: `resourceAttributes=1,
/// nonResourceAttributes=2`), field numbers from k8s.io/api's
/// `authorization/v1/generated.proto`.
fn from_protobuf(body: &[u8]) -> Option<Value> {
    let object = fields(protobuf::unwrap(body)?)?;
    let spec = fields(message(&object, 2).unwrap_or_default())?;
    let mut out = json!({"metadata": {}, "spec": {}});
    if let Some(attrs) = message(&spec, 1) {
        out["spec"]["resourceAttributes"] = strings(
            attrs,
            &[
                (1, "namespace"),
                (2, "verb"),
                (3, "group"),
                (4, "version"),
                (5, "resource"),
                (6, "subresource"),
                (7, "name"),
            ],
        )?;
    }
    if let Some(attrs) = message(&spec, 2) {
        out["spec"]["nonResourceAttributes"] = strings(attrs, &[(1, "path"), (2, "verb")])?;
    }
    Some(out)
}

/// The discovery entry for `/apis/authorization.k8s.io/v1`.
pub(super) fn resource() -> Value {
    json!({
        "name": PLURAL,
        "singularName": "selfsubjectaccessreview",
        "namespaced": false,
        "kind": "SelfSubjectAccessReview",
        "verbs": ["create"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectls_protobuf_request_is_read() {
        // `kubectl auth can-i patch deployments --subresource=scale -n us-east-1`,
        // as kubectl 1.33 sends it.
        let hex = concat!(
            "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f763112",
            "1753656c665375626a65637441636365737352657669657712500a100a001200",
            "1a0022002a0032003800420012320a300a0975732d656173742d311205706174",
            "63681a046170707322002a0b6465706c6f796d656e747332057363616c653a00",
            "1a08080012001a0020001a002200",
        );
        let bytes = protobuf::from_hex(hex);
        let review = from_protobuf(&bytes).unwrap();
        assert_eq!(
            review["spec"]["resourceAttributes"],
            json!({"namespace": "us-east-1", "verb": "patch", "group": "apps",
                   "resource": "deployments", "subresource": "scale"})
        );
        assert!(from_protobuf(b"k8s\0\x0a\xff").is_none());
        assert!(from_protobuf(b"{}").is_none());
    }

    #[test]
    fn denials_read_like_the_api_servers() {
        let attrs = json!({"verb": "patch", "group": "apps", "resource": "deployments",
                           "subresource": "scale", "namespace": "us-east-1"});
        assert_eq!(
            denial("read-only", "patch", Some(&attrs), None),
            "User \"read-only\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"us-east-1\""
        );
        let path = json!({"verb": "post", "path": "/healthz"});
        assert_eq!(
            denial("read-only", "post", None, Some(&path)),
            "User \"read-only\" cannot post path \"/healthz\""
        );
    }
}
