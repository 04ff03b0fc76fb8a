//! Each region's Kubernetes API, behind the narrow [`Workloads`] trait that
//! operations depend on. `client.rs` implements it with the `kube` crate.

pub mod client;
pub mod error;
pub mod permissions;
pub mod types;

pub use client::{KubeRegion, connect_fleet};
pub use error::{KubeError, KubeErrorKind};
pub use types::*;

use std::future::Future;

/// What ocfail needs from one region's cluster. All calls are scoped to the
/// region's namespace and bounded by the request timeout.
pub trait Workloads: Send + Sync {
    /// The region's name (for errors and reports).
    fn region(&self) -> &str;

    /// `GET /version`: reachability and server version.
    fn version(&self) -> impl Future<Output = Result<ServerVersion, KubeError>> + Send;

    /// A Deployment, or `None` when it does not exist.
    fn deployment(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<DeploymentState>, KubeError>> + Send;

    /// A Service, or `None` when it does not exist.
    fn service(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<ServiceState>, KubeError>> + Send;

    /// Whether the namespace exists.
    fn namespace_exists(&self) -> impl Future<Output = Result<bool, KubeError>> + Send;

    /// Sets a Deployment's replicas through the `scale` subresource.
    fn scale(
        &self,
        deployment: &str,
        replicas: i32,
    ) -> impl Future<Output = Result<(), KubeError>> + Send;

    /// Sets the image of a Deployment's first container and its replicas in
    /// one write (read, then patch at the read `resourceVersion`: a
    /// concurrent change is a [`KubeErrorKind::Conflict`], never lost).
    fn set_image(
        &self,
        deployment: &str,
        image: &str,
        replicas: i32,
    ) -> impl Future<Output = Result<(), KubeError>> + Send;

    /// Sets one key of a Service's selector (merge patch), e.g. the colour a
    /// blue-green switch points it at.
    fn set_selector(
        &self,
        service: &str,
        key: &str,
        value: &str,
    ) -> impl Future<Output = Result<(), KubeError>> + Send;

    /// Sets (`Some`) or removes (`None`) one annotation on a Deployment (merge patch).
    fn annotate_deployment(
        &self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> impl Future<Output = Result<(), KubeError>> + Send;

    /// Sets (`Some`) or removes (`None`) one annotation on a Service (merge patch).
    fn annotate_service(
        &self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> impl Future<Output = Result<(), KubeError>> + Send;

    /// A request through the API server's service proxy
    /// (`/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH`).
    fn proxy(
        &self,
        req: &ProxyRequest,
    ) -> impl Future<Output = Result<ProxyResponse, KubeError>> + Send;

    /// A Lease, or `None` when it does not exist.
    fn lease(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<LeaseState>, KubeError>> + Send;

    /// Creates a Lease; one that already exists is a
    /// [`KubeErrorKind::Conflict`] (409 AlreadyExists).
    fn create_lease(
        &self,
        lease: &LeaseSpec,
    ) -> impl Future<Output = Result<LeaseState, KubeError>> + Send;

    /// Replaces the Lease `current` (its `resource_version` is the
    /// precondition) with `spec`; a stale version is a
    /// [`KubeErrorKind::Conflict`] (someone else wrote it first).
    fn replace_lease(
        &self,
        current: &LeaseState,
        spec: &LeaseSpec,
    ) -> impl Future<Output = Result<LeaseState, KubeError>> + Send;

    /// Deletes a Lease, only at `resource_version` when given (a stale one is
    /// a [`KubeErrorKind::Conflict`]); a Lease that is already gone is `Ok`.
    fn delete_lease(
        &self,
        name: &str,
        resource_version: Option<&str>,
    ) -> impl Future<Output = Result<(), KubeError>> + Send;

    /// A ConfigMap, or `None` when it does not exist.
    fn config_map(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<ConfigMapState>, KubeError>> + Send;

    /// Creates a ConfigMap with `data` (labelled as ocfail's); one that
    /// already exists is a [`KubeErrorKind::Conflict`] (409 AlreadyExists).
    fn create_config_map(
        &self,
        name: &str,
        data: &std::collections::BTreeMap<String, String>,
    ) -> impl Future<Output = Result<ConfigMapState, KubeError>> + Send;

    /// Replaces the data of ConfigMap `current` (its `resource_version` is
    /// the precondition) with `data`; a stale version is a
    /// [`KubeErrorKind::Conflict`] (someone else wrote it first).
    fn replace_config_map(
        &self,
        current: &ConfigMapState,
        data: &std::collections::BTreeMap<String, String>,
    ) -> impl Future<Output = Result<ConfigMapState, KubeError>> + Send;

    /// The HorizontalPodAutoscalers in the namespace (autoscaling/v2).
    fn hpas(&self) -> impl Future<Output = Result<Vec<HpaState>, KubeError>> + Send;

    /// Whether the credentials may do `verb` on `resource` (SelfSubjectAccessReview).
    fn can_i(&self, check: &AccessCheck) -> impl Future<Output = Result<bool, KubeError>> + Send;
}
