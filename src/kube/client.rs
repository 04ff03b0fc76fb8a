//! [`Workloads`](super::Workloads) implemented with the `kube` crate: one
//! `kube::Client` per region, built from the region's kubeconfig context,
//! every call scoped to the region's namespace and bounded by the request
//! timeout. The calls are in `workloads.rs`, object conversions in
//! `convert.rs`, kubeconfig loading in `kubeconfig.rs` (which also says
//! when a region is reached with the in-cluster config of `in_cluster.rs`).
//!
//! # Timeouts and retries
//!
//! Each call is bounded twice: the client's connect/read/write timeouts are
//! the request timeout (so a stalled socket fails inside hyper), and the
//! whole call runs under `tokio::time::timeout` (so a slow TLS handshake,
//! an exec credential plugin or a trickling body cannot outlast it either).
//!
//! kube's own retries are **off** (`Config::default_retry = false`). kube 5
//! otherwise wraps every client in `RetryPolicy::server_retry()`: 429, 503
//! and 504 are retried up to 15 times with exponential backoff (5 ms up to
//! 1000 s) and `Retry-After` honoured. Inside one call that would spend the
//! whole per-region deadline of `status` on a sick API server and turn a
//! clear "HTTP 503 ServiceUnavailable" into a vague timeout, and it would
//! replay writes (scale, annotate) without the caller knowing. Callers that
//! want another attempt (the polling loops of drills and rollouts) already
//! come round again on their own interval, inside their own deadline.

pub mod in_cluster;
pub mod kubeconfig;
pub mod proxy;

mod convert;
mod workloads;

use std::path::Path;
use std::time::Duration;

use ::kube::api::{Api, PatchParams};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;

use self::kubeconfig::{ClientSettings, LoadedKubeconfig};
use super::error::{Call, KubeError, KubeErrorKind, Origin};
use crate::manifest::{Fleet, IN_CLUSTER_CONTEXT, Region};

/// The field manager recorded on ocfail's writes, so `kubectl get -o yaml
/// --show-managed-fields` shows who changed what.
const FIELD_MANAGER: &str = "ocfail";

/// One region's API client, scoped to its namespace.
#[derive(Clone)]
pub struct KubeRegion {
    /// The region's name.
    pub region: String,
    /// The namespace all calls use.
    pub namespace: String,
    client: ::kube::Client,
    origin: Origin,
    timeout: Duration,
}

impl std::fmt::Debug for KubeRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeRegion")
            .field("region", &self.region)
            .field("namespace", &self.namespace)
            .field("context", &self.origin.context)
            .field("server", &self.origin.server)
            .finish()
    }
}

impl KubeRegion {
    /// A client for `region` from its kubeconfig context (`kubeconfig`, else
    /// `$KUBECONFIG`, else `~/.kube/config`) or the in-cluster config (the
    /// rules are in `kubeconfig.rs`), with `timeout` on every call.
    pub async fn connect(
        region: &Region,
        kubeconfig: Option<&Path>,
        timeout: Duration,
    ) -> Result<Self, KubeError> {
        let settings = ClientSettings::from_environment(kubeconfig);
        Self::from_settings(region, &settings, timeout).await
    }

    /// A client for `region` from the fleet's settings. A region reached
    /// in-cluster is named by the context `in-cluster` in errors and hints,
    /// whatever its manifest context: that is what it used.
    pub async fn from_settings(
        region: &Region,
        settings: &ClientSettings,
        timeout: Duration,
    ) -> Result<Self, KubeError> {
        let (config, source) = settings.region_config(region).await?;
        if settings.uses_in_cluster(region) {
            let mut region = region.clone();
            region.context = IN_CLUSTER_CONTEXT.to_owned();
            return Self::from_config(&region, config, &source, timeout);
        }
        Self::from_config(region, config, &source, timeout)
    }

    /// A client for `region` from an already loaded kubeconfig.
    pub async fn from_kubeconfig(
        region: &Region,
        kubeconfig: &LoadedKubeconfig,
        timeout: Duration,
    ) -> Result<Self, KubeError> {
        let config = kubeconfig.region_config(region).await?;
        Self::from_config(region, config, &kubeconfig.source, timeout)
    }

    /// A client for `region` from a ready `kube::Config` (its namespace is
    /// ignored: calls use the region's). Applies the timeouts and the retry
    /// policy described in the module docs; `kubeconfig` names where the
    /// config came from, for hints.
    #[expect(
        clippy::result_large_err,
        reason = "KubeError is what every Workloads call returns; boxing it here alone would make this the odd one out"
    )]
    pub fn from_config(
        region: &Region,
        mut config: ::kube::Config,
        kubeconfig: &str,
        timeout: Duration,
    ) -> Result<Self, KubeError> {
        config.connect_timeout = Some(timeout);
        config.read_timeout = Some(timeout);
        config.write_timeout = Some(timeout);
        // Without this, the time a pooled connection sat idle counts against
        // the next request's read timeout (kube's `Config` docs).
        config.reset_reader_on_write = true;
        config.default_retry = false;
        config.default_namespace = region.namespace.clone();
        let origin = Origin {
            region: region.name.to_string(),
            context: region.context.clone(),
            namespace: region.namespace.clone(),
            server: config
                .cluster_url
                .to_string()
                .trim_end_matches('/')
                .to_owned(),
            kubeconfig: kubeconfig.to_owned(),
        };
        // kube's rustls connector needs a process-wide provider.
        crate::install_crypto_provider();
        let client = ::kube::Client::try_from(config).map_err(|e| {
            KubeError::config(
                &origin.region,
                format!(
                    "cannot build a client for context {} ({}): {}",
                    origin.context,
                    origin.server,
                    client_build_cause(&e)
                ),
                format!(
                    "check the cluster and user of context {} in {}",
                    origin.context, origin.kubeconfig
                ),
            )
        })?;
        Ok(KubeRegion {
            region: origin.region.clone(),
            namespace: region.namespace.clone(),
            client,
            origin,
            timeout,
        })
    }

    /// A region around an existing client, e.g. one over a mock `tower`
    /// service in tests. The client's own timeouts and retries are whatever
    /// it was built with; calls are still bounded by `timeout`.
    pub fn from_client(
        region: &Region,
        client: ::kube::Client,
        server: &str,
        kubeconfig: &str,
        timeout: Duration,
    ) -> Self {
        KubeRegion {
            region: region.name.to_string(),
            namespace: region.namespace.clone(),
            client,
            origin: Origin {
                region: region.name.to_string(),
                context: region.context.clone(),
                namespace: region.namespace.clone(),
                server: server.to_owned(),
                kubeconfig: kubeconfig.to_owned(),
            },
            timeout,
        }
    }

    /// The underlying client (for calls the trait does not cover).
    pub fn client(&self) -> &::kube::Client {
        &self.client
    }

    /// The kubeconfig context this client uses.
    pub fn context(&self) -> &str {
        &self.origin.context
    }

    /// The API server URL.
    pub fn server(&self) -> &str {
        &self.origin.server
    }

    /// The bound on every call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs one call under the request timeout and maps its failure.
    async fn run<T>(
        &self,
        call: Call,
        fut: impl Future<Output = Result<T, ::kube::Error>>,
    ) -> Result<T, KubeError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => match self.origin.map(&e, &call) {
                // The connector's own timeouts equal the request timeout and
                // may fire first; report them the same way.
                mapped if mapped.kind == KubeErrorKind::Timeout => {
                    Err(self.origin.timeout(&call, self.timeout))
                }
                mapped => Err(mapped),
            },
            Err(_) => Err(self.origin.timeout(&call, self.timeout)),
        }
    }

    fn deployments(&self) -> Api<Deployment> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn services(&self) -> Api<Service> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn write_params() -> PatchParams {
        PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PatchParams::default()
        }
    }
}

/// Why a client could not be built (TLS material, proxy settings), without
/// kube's `Debug` dump.
fn client_build_cause(e: &::kube::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    text
}

/// Clients for every region of `fleet`, in manifest order; a region whose
/// client cannot be built gets its error, the others are unaffected. The
/// kubeconfig is read once for all of them.
pub async fn connect_fleet(fleet: &Fleet, timeout: Duration) -> Vec<Result<KubeRegion, KubeError>> {
    let kubeconfig = fleet.kubeconfig.as_deref().map(Path::new);
    let settings = ClientSettings::from_environment(kubeconfig);
    let mut out = Vec::with_capacity(fleet.regions.len());
    for r in &fleet.regions {
        out.push(KubeRegion::from_settings(r, &settings, timeout).await);
    }
    out
}
