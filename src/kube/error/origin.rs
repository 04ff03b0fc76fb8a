//! Mapping a failed `kube` call to a [`KubeError`]: a Kubernetes `Status`
//! by its code, with the object, HTTP status, reason and the server's
//! message, and a hint that says what to do (for a 403, exactly which verb
//! on which resource is missing). Failures below HTTP are in `transport.rs`.

use std::time::Duration;

use ::kube::core::Status;

use super::{KubeError, KubeErrorKind};

/// Where calls go: the names errors and hints need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The region.
    pub region: String,
    /// The kubeconfig context.
    pub context: String,
    /// The namespace every namespaced call uses.
    pub namespace: String,
    /// The API server URL, e.g. `https://10.0.0.1:6443`.
    pub server: String,
    /// Where the kubeconfig came from, e.g. `~/.kube/config`.
    pub kubeconfig: String,
}

/// What one call was doing: the RBAC verb and resource it needs, and the
/// object it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// RBAC verb, e.g. `patch`.
    pub verb: &'static str,
    /// Resource with any subresource, e.g. `deployments/scale`.
    pub resource: String,
    /// Whether the resource lives in the namespace (else cluster-wide).
    pub namespaced: bool,
    /// The object, e.g. `deployment openclaw-api-blue`.
    pub object: Option<String>,
}

impl Call {
    /// A namespaced call on `resource`, about `object` when there is one.
    pub fn new(verb: &'static str, resource: &str, object: Option<String>) -> Self {
        Call {
            verb,
            resource: resource.to_owned(),
            namespaced: true,
            object,
        }
    }

    /// The same call on a cluster-wide resource (namespaces, access reviews).
    pub fn cluster_wide(mut self) -> Self {
        self.namespaced = false;
        self
    }
}

/// Longest piece of a server's text kept in a message; an HTML error page
/// from a proxy in front of the API server would drown the report.
const MAX_SERVER_TEXT: usize = 300;

impl Origin {
    /// `kubectl --context CTX`, or plain `kubectl` for a region reached
    /// in-cluster: in a pod without a kubeconfig kubectl uses the
    /// ServiceAccount too, and has no context of that name.
    pub fn kubectl(&self) -> String {
        if self.context == crate::manifest::IN_CLUSTER_CONTEXT {
            "kubectl".to_owned()
        } else {
            format!("kubectl --context {}", self.context)
        }
    }

    /// The credentials as a hint names them: the user of a kubeconfig
    /// context, or the ServiceAccount token of the in-cluster config.
    fn credentials(&self) -> String {
        if self.context == crate::manifest::IN_CLUSTER_CONTEXT {
            format!("the ServiceAccount token of {}", self.kubeconfig)
        } else {
            format!(
                "the user and token of context {} in {}",
                self.context, self.kubeconfig
            )
        }
    }

    pub(super) fn error(&self, kind: KubeErrorKind, call: &Call, message: String) -> KubeError {
        KubeError {
            region: self.region.clone(),
            kind,
            object: call.object.clone(),
            status: None,
            reason: None,
            message,
            hint: None,
        }
    }

    /// Maps a failed `kube` call.
    pub fn map(&self, err: &::kube::Error, call: &Call) -> KubeError {
        match err {
            ::kube::Error::Api(status) => self.api(status, call),
            ::kube::Error::Auth(e) => {
                let mut out = self.error(
                    KubeErrorKind::Unauthorized,
                    call,
                    format!(
                        "the credentials of context {} could not be obtained: {}",
                        self.context,
                        auth_cause(e)
                    ),
                );
                out.hint = Some(format!(
                    "check {}; `{} auth whoami` shows the same failure",
                    self.credentials(),
                    self.kubectl()
                ));
                out
            }
            ::kube::Error::SerdeError(e) => self.error(
                KubeErrorKind::Api,
                call,
                format!(
                    "the API server at {} sent an answer ocfail cannot read: {e}",
                    self.server
                ),
            ),
            other => self.transport(other, call),
        }
    }

    /// Maps a Kubernetes `Status` answer (any non-2xx response).
    pub fn api(&self, status: &Status, call: &Call) -> KubeError {
        let kind = match status.code {
            401 => KubeErrorKind::Unauthorized,
            403 => KubeErrorKind::Forbidden,
            404 => KubeErrorKind::NotFound,
            409 => KubeErrorKind::Conflict,
            _ => KubeErrorKind::Api,
        };
        let server_text = clip(status.message.trim());
        let message = match kind {
            // The API server says only "Unauthorized", which the reason repeats.
            KubeErrorKind::Unauthorized => "the API server refused the credentials".to_owned(),
            _ if server_text.is_empty() => format!("the API server answered HTTP {}", status.code),
            _ => server_text,
        };
        let hint = match kind {
            KubeErrorKind::Unauthorized => Some(format!(
                "check {} (they may have expired); \
                 `{} auth whoami` shows who the API server thinks you are",
                self.credentials(),
                self.kubectl()
            )),
            KubeErrorKind::Forbidden => Some(self.forbidden_hint(call)),
            KubeErrorKind::Conflict => Some(
                "someone else changed the object at the same time; run the command again"
                    .to_owned(),
            ),
            _ if status.code == 429 || status.code >= 500 => Some(format!(
                "the API server of context {} is overloaded or failing; try again, or raise --request-timeout",
                self.context
            )),
            _ => None,
        };
        KubeError {
            region: self.region.clone(),
            kind,
            object: call.object.clone(),
            status: (status.code != 0).then_some(status.code),
            reason: (!status.reason.is_empty()).then(|| status.reason.clone()),
            message,
            hint,
        }
    }

    /// The 403 hint: exactly which verb on which resource is missing.
    fn forbidden_hint(&self, call: &Call) -> String {
        let scope = if call.namespaced {
            format!("in namespace {}", self.namespace)
        } else {
            "cluster-wide".to_owned()
        };
        format!(
            "the credentials for context {} may not \"{}\" \"{}\" {scope}; \
             grant it (see docs/user-guide.md RBAC) or use another context",
            self.context, call.verb, call.resource
        )
    }

    /// No answer within `timeout`.
    pub fn timeout(&self, call: &Call, timeout: Duration) -> KubeError {
        let mut out = self.error(
            KubeErrorKind::Timeout,
            call,
            format!(
                "the API server at {} did not answer within {}",
                self.server,
                humantime::format_duration(timeout)
            ),
        );
        out.hint = Some(format!(
            "check that the cluster of context {} is healthy, or raise --request-timeout",
            self.context
        ));
        out
    }
}

/// An exec plugin's failure without its output, which may hold a token.
fn auth_cause(e: &::kube::client::AuthError) -> String {
    match e {
        ::kube::client::AuthError::AuthExecRun { cmd, out } => {
            format!("the credential plugin `{cmd}` failed ({})", out.status)
        }
        other => lower_first(&other.to_string()),
    }
}

/// `text` with its first letter in lower case, so it reads as a fragment.
pub(super) fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// At most [`MAX_SERVER_TEXT`] characters of `text`.
fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_SERVER_TEXT) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            region: "us-east-1".into(),
            context: "prod-us-east-1".into(),
            namespace: "us-east-1".into(),
            server: "https://10.0.0.1:6443".into(),
            kubeconfig: "~/.kube/config".into(),
        }
    }

    fn status(code: u16, reason: &str, message: &str) -> ::kube::Error {
        ::kube::Error::Api(Status::failure(message, reason).with_code(code).boxed())
    }

    fn scale_call() -> Call {
        Call::new(
            "patch",
            "deployments/scale",
            Some("deployment openclaw-api-blue".into()),
        )
    }

    #[test]
    fn forbidden_names_the_missing_permission() {
        let e = origin().map(
            &status(
                403,
                "Forbidden",
                r#"deployments.apps "openclaw-api-blue" is forbidden: User "read-only" cannot patch resource "deployments/scale" in API group "apps" in the namespace "us-east-1""#,
            ),
            &scale_call(),
        );
        assert_eq!(e.kind, KubeErrorKind::Forbidden);
        assert_eq!(e.status, Some(403));
        assert_eq!(e.reason.as_deref(), Some("Forbidden"));
        assert_eq!(e.object.as_deref(), Some("deployment openclaw-api-blue"));
        assert!(e.message.contains("cannot patch resource"), "{}", e.message);
        assert_eq!(
            e.hint.as_deref(),
            Some(
                "the credentials for context prod-us-east-1 may not \"patch\" \"deployments/scale\" \
                 in namespace us-east-1; grant it (see docs/user-guide.md RBAC) or use another context"
            )
        );
        assert!(
            e.to_string()
                .starts_with("us-east-1: deployment openclaw-api-blue: deployments.apps"),
            "{e}"
        );
        assert!(e.to_string().ends_with("(HTTP 403 Forbidden)"), "{e}");
    }

    #[test]
    fn forbidden_on_a_cluster_wide_resource_says_so() {
        let call =
            Call::new("get", "namespaces", Some("namespace us-east-1".into())).cluster_wide();
        let e = origin().map(
            &status(403, "Forbidden", "namespaces \"us-east-1\" is forbidden"),
            &call,
        );
        assert!(
            e.hint
                .unwrap()
                .contains("may not \"get\" \"namespaces\" cluster-wide;")
        );
    }

    #[test]
    fn codes_map_to_kinds() {
        let o = origin();
        let c = scale_call();
        let kind = |code, reason| o.map(&status(code, reason, "x"), &c).kind;
        assert_eq!(kind(401, "Unauthorized"), KubeErrorKind::Unauthorized);
        assert_eq!(kind(403, "Forbidden"), KubeErrorKind::Forbidden);
        assert_eq!(kind(404, "NotFound"), KubeErrorKind::NotFound);
        assert_eq!(kind(409, "Conflict"), KubeErrorKind::Conflict);
        assert_eq!(kind(422, "Invalid"), KubeErrorKind::Api);
        assert_eq!(kind(503, "ServiceUnavailable"), KubeErrorKind::Api);
        assert_eq!(kind(500, ""), KubeErrorKind::Api);
    }

    #[test]
    fn unauthorized_points_at_the_contexts_user() {
        let e = origin().map(&status(401, "Unauthorized", "Unauthorized"), &scale_call());
        assert_eq!(e.message, "the API server refused the credentials");
        assert_eq!(e.status, Some(401));
        let hint = e.hint.unwrap();
        assert!(
            hint.contains("user and token of context prod-us-east-1 in ~/.kube/config"),
            "{hint}"
        );
    }

    #[test]
    fn server_errors_keep_status_reason_and_message() {
        let e = origin().map(
            &status(
                503,
                "ServiceUnavailable",
                "the server is currently unable to handle the request",
            ),
            &Call::new("get", "deployments", Some("deployment d".into())),
        );
        assert_eq!(e.kind, KubeErrorKind::Api);
        assert_eq!(
            e.to_string(),
            "us-east-1: deployment d: the server is currently unable to handle the request (HTTP 503 ServiceUnavailable)"
        );
        assert!(e.hint.is_some());
    }

    #[test]
    fn empty_and_huge_server_messages_stay_readable() {
        let c = scale_call();
        let e = origin().map(&status(502, "", ""), &c);
        assert_eq!(e.message, "the API server answered HTTP 502");
        assert_eq!(e.reason, None);
        let page = "<html>".repeat(200);
        let e = origin().map(&status(502, "", &page), &c);
        assert!(e.message.chars().count() <= MAX_SERVER_TEXT + 1);
    }

    #[test]
    fn timeouts_name_the_budget() {
        let e = origin().timeout(&scale_call(), Duration::from_millis(500));
        assert_eq!(e.kind, KubeErrorKind::Timeout);
        assert!(e.message.ends_with("within 500ms"), "{}", e.message);
    }
}
