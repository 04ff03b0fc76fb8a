//! [`Workloads`](super::Workloads) implemented with the `kube` crate.
//!
//! (Skeleton: filled in by issue 4's Kubernetes client work.)

use std::path::Path;
use std::time::Duration;

use super::error::KubeError;
use crate::manifest::{Fleet, Region};

/// One region's API client, scoped to its namespace.
#[derive(Clone)]
pub struct KubeRegion {
    /// The region's name.
    pub region: String,
    /// The namespace all calls use.
    pub namespace: String,
    client: kube::Client,
}

impl std::fmt::Debug for KubeRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeRegion")
            .field("region", &self.region)
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl KubeRegion {
    /// A client for `region` from its kubeconfig context (`kubeconfig`, else
    /// `$KUBECONFIG`, else `~/.kube/config`), with `timeout` on every call.
    pub async fn connect(
        region: &Region,
        kubeconfig: Option<&Path>,
        timeout: Duration,
    ) -> Result<Self, KubeError> {
        let _ = (region, kubeconfig, timeout);
        Err(KubeError {
            region: region.name.to_string(),
            kind: super::KubeErrorKind::Config,
            object: None,
            status: None,
            reason: None,
            message: "not implemented yet".to_owned(),
            hint: None,
        })
    }

    /// The underlying client (for calls the trait does not cover).
    pub fn client(&self) -> &kube::Client {
        &self.client
    }
}

/// Clients for every region of `fleet`, in manifest order; a region whose
/// client cannot be built gets its error, the others are unaffected.
pub async fn connect_fleet(fleet: &Fleet, timeout: Duration) -> Vec<Result<KubeRegion, KubeError>> {
    let kubeconfig = fleet.kubeconfig.as_deref().map(Path::new);
    let mut out = Vec::with_capacity(fleet.regions.len());
    for r in &fleet.regions {
        out.push(KubeRegion::connect(r, kubeconfig, timeout).await);
    }
    out
}
