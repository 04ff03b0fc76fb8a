//! Kubernetes failures as ocfail reports them: which region, which object,
//! what the API said, and what to do next. Never a raw `kube::Error` dump.
//!
//! The mapping from `kube::Error` lives in the submodules: the client
//! describes each call with a [`Call`] (verb, resource, object) and maps
//! failures with [`Origin::map`], so a 403 names exactly the permission that
//! is missing without parsing the server's prose.

mod origin;
mod transport;

use std::fmt;

pub use self::origin::{Call, Origin};

/// What kind of failure it was; decides the verdict and exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeErrorKind {
    /// The kubeconfig or context could not be used.
    Config,
    /// The API server could not be reached (refused, DNS, TLS).
    Unreachable,
    /// No answer within the request timeout.
    Timeout,
    /// 401: the credentials were refused.
    Unauthorized,
    /// 403: the credentials may not do this.
    Forbidden,
    /// 404.
    NotFound,
    /// 409: someone else changed the object first.
    Conflict,
    /// Any other API error (4xx/5xx Status).
    Api,
}

/// A failed Kubernetes call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeError {
    /// The region whose API failed.
    pub region: String,
    /// What kind of failure.
    pub kind: KubeErrorKind,
    /// The object concerned, e.g. `deployment openclaw-api-blue`.
    pub object: Option<String>,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Kubernetes `Status.reason`, e.g. `Forbidden`.
    pub reason: Option<String>,
    /// What happened, as a lowercase fragment.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
}

impl KubeError {
    /// A [`KubeErrorKind::Config`] error: the kubeconfig or context is unusable.
    pub fn config(region: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        KubeError {
            region: region.to_owned(),
            kind: KubeErrorKind::Config,
            object: None,
            status: None,
            reason: None,
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// The same error for another region (a shared kubeconfig failed to load).
    pub fn for_region(&self, region: &str) -> Self {
        KubeError {
            region: region.to_owned(),
            ..self.clone()
        }
    }
}

impl fmt::Display for KubeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.region)?;
        if let Some(o) = &self.object {
            write!(f, "{o}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(s) = self.status {
            write!(f, " (HTTP {s}")?;
            if let Some(r) = &self.reason {
                write!(f, " {r}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for KubeError {}
