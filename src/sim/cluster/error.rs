//! Kubernetes API errors and the `Status` objects the real API server
//! answers them with (same reason, code, message wording and details).

use serde_json::{Value, json};

use super::kind::Kind;

/// A failed API request.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum KubeError {
    /// The object does not exist.
    #[error("{} \"{name}\" not found", kind.qualified())]
    NotFound {
        /// Its kind.
        kind: Kind,
        /// Its name.
        name: String,
    },
    /// A create hit an existing name.
    #[error("{} \"{name}\" already exists", kind.qualified())]
    AlreadyExists {
        /// Its kind.
        kind: Kind,
        /// Its name.
        name: String,
    },
    /// The write's resourceVersion precondition is stale.
    #[error("Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", kind.qualified())]
    Conflict {
        /// Its kind.
        kind: Kind,
        /// Its name.
        name: String,
    },
    /// Validation failed.
    #[error("{} \"{name}\" is invalid: {}", kind.qualified_kind(), causes.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join(", "))]
    Invalid {
        /// Its kind.
        kind: Kind,
        /// Its name.
        name: String,
        /// `(field path, message)` pairs.
        causes: Vec<(String, String)>,
    },
    /// A well-formed request that cannot be carried out, e.g. a JSON patch
    /// whose path does not exist.
    #[error("{0}")]
    Unprocessable(String),
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The resource does not serve this verb.
    #[error("the server does not allow this method on the requested resource")]
    MethodNotAllowed,
    /// A patch or body in a format the server does not read.
    #[error(
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"
    )]
    UnsupportedMediaType,
    /// A watch asked for a compacted resourceVersion.
    #[error("too old resource version: {requested} ({oldest})")]
    Gone {
        /// The resourceVersion asked for.
        requested: u64,
        /// The oldest one still served.
        oldest: u64,
    },
    /// No usable credentials.
    #[error("Unauthorized")]
    Unauthorized,
    /// The user may not do this.
    #[error("{} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{}\"{}", forbidden_subject(*kind, name.as_deref()), kind.group(), namespace.as_deref().map(|n| format!(" in the namespace \"{n}\"")).unwrap_or_default())]
    Forbidden {
        /// The user.
        user: String,
        /// The verb (`get`, `patch`, …).
        verb: String,
        /// The kind.
        kind: Kind,
        /// The resource with any subresource, e.g. `deployments/scale`.
        resource: String,
        /// The object's name, when the request names one.
        name: Option<String>,
        /// The namespace, for namespaced requests.
        namespace: Option<String>,
    },
    /// The service proxy found nothing to send to.
    #[error("no endpoints available for service \"{0}\"")]
    NoEndpoints(String),
    /// No such path.
    #[error("the server could not find the requested resource")]
    PathNotFound,
}

fn forbidden_subject(kind: Kind, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{} \"{n}\"", kind.qualified()),
        None => kind.qualified(),
    }
}

impl KubeError {
    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        match self {
            KubeError::NotFound { .. } | KubeError::PathNotFound => 404,
            KubeError::AlreadyExists { .. } | KubeError::Conflict { .. } => 409,
            KubeError::Invalid { .. } | KubeError::Unprocessable(_) => 422,
            KubeError::BadRequest(_) => 400,
            KubeError::MethodNotAllowed => 405,
            KubeError::UnsupportedMediaType => 415,
            KubeError::Gone { .. } => 410,
            KubeError::Unauthorized => 401,
            KubeError::Forbidden { .. } => 403,
            KubeError::NoEndpoints(_) => 503,
        }
    }

    /// The Status `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            KubeError::NotFound { .. } | KubeError::PathNotFound => "NotFound",
            KubeError::AlreadyExists { .. } => "AlreadyExists",
            KubeError::Conflict { .. } => "Conflict",
            KubeError::Invalid { .. } | KubeError::Unprocessable(_) => "Invalid",
            KubeError::BadRequest(_) => "BadRequest",
            KubeError::MethodNotAllowed => "MethodNotAllowed",
            KubeError::UnsupportedMediaType => "UnsupportedMediaType",
            KubeError::Gone { .. } => "Expired",
            KubeError::Unauthorized => "Unauthorized",
            KubeError::Forbidden { .. } => "Forbidden",
            KubeError::NoEndpoints(_) => "ServiceUnavailable",
        }
    }

    /// The full `Status` object.
    pub fn status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code(),
        });
        let details = match self {
            KubeError::NotFound { kind, name }
            | KubeError::AlreadyExists { kind, name }
            | KubeError::Conflict { kind, name } => Some(details(*kind, name, kind.plural())),
            KubeError::Invalid { kind, name, causes } => {
                let mut d = details(*kind, name, kind.kind());
                d["causes"] = causes
                    .iter()
                    .map(|(field, message)| {
                        json!({"reason": cause_reason(message), "message": message, "field": field})
                    })
                    .collect();
                Some(d)
            }
            KubeError::Forbidden { kind, name, .. } => Some(details(
                *kind,
                name.as_deref().unwrap_or_default(),
                kind.plural(),
            )),
            _ => None,
        };
        if let Some(mut d) = details {
            if d["name"] == "" {
                d.as_object_mut().map(|m| m.remove("name"));
            }
            s["details"] = d;
        }
        s
    }

    /// Shorthand for a one-cause [`KubeError::Invalid`].
    pub fn invalid(kind: Kind, name: &str, field: &str, message: impl Into<String>) -> Self {
        KubeError::Invalid {
            kind,
            name: name.to_owned(),
            causes: vec![(field.to_owned(), message.into())],
        }
    }

    /// Shorthand for [`KubeError::NotFound`].
    pub fn not_found(kind: Kind, name: &str) -> Self {
        KubeError::NotFound {
            kind,
            name: name.to_owned(),
        }
    }
}

/// A cause's `reason`, from the wording its message starts with (the API
/// server's `field.Error` types print that way).
fn cause_reason(message: &str) -> &'static str {
    [
        ("Required value", "FieldValueRequired"),
        ("Too long", "FieldValueTooLong"),
        ("Forbidden", "FieldValueForbidden"),
    ]
    .into_iter()
    .find(|(prefix, _)| message.starts_with(prefix))
    .map_or("FieldValueInvalid", |(_, reason)| reason)
}

fn details(kind: Kind, name: &str, kind_field: &str) -> Value {
    let mut d = json!({"name": name, "kind": kind_field});
    if !kind.group().is_empty() {
        d["group"] = json!(kind.group());
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_the_api_server() {
        let f = KubeError::Forbidden {
            user: "read-only".into(),
            verb: "patch".into(),
            kind: Kind::Deployment,
            resource: "deployments/scale".into(),
            name: Some("x".into()),
            namespace: Some("ns".into()),
        };
        assert_eq!(
            f.to_string(),
            "deployments.apps \"x\" is forbidden: User \"read-only\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"ns\""
        );
        let nf = KubeError::not_found(Kind::Service, "web").status();
        assert_eq!(nf["message"], "services \"web\" not found");
        assert_eq!(nf["details"], json!({"name": "web", "kind": "services"}));
        assert_eq!(nf["code"], 404);
        let inv = KubeError::invalid(
            Kind::Deployment,
            "d",
            "spec.replicas",
            "Invalid value: -1: must be greater than or equal to 0",
        );
        assert_eq!(
            inv.to_string(),
            "Deployment.apps \"d\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(inv.status()["details"]["kind"], "Deployment");
        assert_eq!(
            inv.status()["details"]["causes"][0]["reason"],
            "FieldValueInvalid"
        );
        let long = KubeError::invalid(
            Kind::ConfigMap,
            "h",
            "[]",
            "Too long: may not be more than 1048576 bytes",
        );
        assert_eq!(
            long.status()["details"]["causes"][0]["reason"],
            "FieldValueTooLong"
        );
    }
}
