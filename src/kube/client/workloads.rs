//! The [`Workloads`] calls: each names the RBAC verb and resource it needs
//! (for the 403 hint) and runs under the request timeout.

use ::kube::api::{Api, DeleteParams, ListParams, Patch, PostParams, Preconditions};
use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use serde_json::json;

use super::convert::{
    access_review, annotation_patch, config_map_object, config_map_state, deployment_state,
    hpa_state, lease_object, lease_state, service_state,
};
use super::proxy::{self, ProxyOutcome};
use super::{FIELD_MANAGER, KubeRegion};
use crate::kube::Workloads;
use crate::kube::error::{Call, KubeError, KubeErrorKind};
use crate::kube::types::{
    AccessCheck, ConfigMapState, DeploymentState, HpaState, LeaseSpec, LeaseState, ProxyRequest,
    ProxyResponse, ServerVersion, ServiceState,
};

impl Workloads for KubeRegion {
    fn region(&self) -> &str {
        &self.region
    }

    async fn version(&self) -> Result<ServerVersion, KubeError> {
        let call = Call::new("get", "/version", None).cluster_wide();
        let info = self.run(call, self.client.apiserver_version()).await?;
        Ok(ServerVersion {
            git_version: info.git_version,
        })
    }

    async fn deployment(&self, name: &str) -> Result<Option<DeploymentState>, KubeError> {
        let call = Call::new("get", "deployments", Some(format!("deployment {name}")));
        let api = self.deployments();
        let found = self.run(call, api.get_opt(name)).await?;
        Ok(found.map(deployment_state))
    }

    async fn service(&self, name: &str) -> Result<Option<ServiceState>, KubeError> {
        let call = Call::new("get", "services", Some(format!("service {name}")));
        let api = self.services();
        let found = self.run(call, api.get_opt(name)).await?;
        Ok(found.map(service_state))
    }

    async fn namespace_exists(&self) -> Result<bool, KubeError> {
        // Reading a Namespace is a cluster-wide permission; a user confined
        // to the namespace gets 403 here, and the hint says so.
        let call = Call::new(
            "get",
            "namespaces",
            Some(format!("namespace {}", self.namespace)),
        )
        .cluster_wide();
        let api: Api<Namespace> = Api::all(self.client.clone());
        let found = self.run(call, api.get_opt(&self.namespace)).await?;
        Ok(found.is_some())
    }

    async fn scale(&self, deployment: &str, replicas: i32) -> Result<(), KubeError> {
        let call = Call::new(
            "patch",
            "deployments/scale",
            Some(format!("deployment {deployment}")),
        );
        let api = self.deployments();
        let patch = Patch::Merge(json!({ "spec": { "replicas": replicas } }));
        let params = Self::write_params();
        self.run(call, api.patch_scale(deployment, &params, &patch))
            .await
            .map(drop)
    }

    async fn set_image(&self, name: &str, image: &str, replicas: i32) -> Result<(), KubeError> {
        let api = self.deployments();
        let read = Call::new("get", "deployments", Some(format!("deployment {name}")));
        let d = self.run(read, api.get(name)).await?;
        let call = Call::new("patch", "deployments", Some(format!("deployment {name}")));
        let container = d
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .and_then(|p| p.containers.first())
            .map(|c| c.name.clone());
        let Some(container) = container else {
            let mut e = self.request_error(
                &call,
                format!("deployment {name} has no container to set the image of"),
            );
            e.hint = Some("check the Deployment's pod template".to_owned());
            return Err(e);
        };
        // As `kubectl set image` does: a strategic merge patch touches only
        // the named container. The resourceVersion read makes it apply to
        // exactly that version, so a concurrent edit is a Conflict.
        let patch = Patch::Strategic(json!({
            "metadata": { "resourceVersion": d.metadata.resource_version },
            "spec": {
                "replicas": replicas,
                "template": { "spec": { "containers": [{ "name": container, "image": image }] } },
            },
        }));
        let params = Self::write_params();
        self.run(call, api.patch(name, &params, &patch))
            .await
            .map(drop)
    }

    async fn set_selector(&self, name: &str, key: &str, value: &str) -> Result<(), KubeError> {
        let call = Call::new("patch", "services", Some(format!("service {name}")));
        let api = self.services();
        let mut selector = serde_json::Map::new();
        selector.insert(key.to_owned(), json!(value));
        let patch = Patch::Merge(json!({ "spec": { "selector": selector } }));
        let params = Self::write_params();
        self.run(call, api.patch(name, &params, &patch))
            .await
            .map(drop)
    }

    async fn annotate_deployment(
        &self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), KubeError> {
        let call = Call::new("patch", "deployments", Some(format!("deployment {name}")));
        let api = self.deployments();
        let patch = annotation_patch(key, value);
        let params = Self::write_params();
        self.run(call, api.patch(name, &params, &patch))
            .await
            .map(drop)
    }

    async fn annotate_service(
        &self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), KubeError> {
        let call = Call::new("patch", "services", Some(format!("service {name}")));
        let api = self.services();
        let patch = annotation_patch(key, value);
        let params = Self::write_params();
        self.run(call, api.patch(name, &params, &patch))
            .await
            .map(drop)
    }

    async fn proxy(&self, req: &ProxyRequest) -> Result<ProxyResponse, KubeError> {
        let call = Call::new(
            proxy::rbac_verb(&req.method),
            "services/proxy",
            Some(format!("service {}", req.service)),
        );
        let request = proxy::build(&self.namespace, req).map_err(|e| KubeError {
            region: self.region.clone(),
            kind: KubeErrorKind::Api,
            object: call.object.clone(),
            status: None,
            reason: None,
            message: format!(
                "cannot build the proxy request {} {}: {e}",
                req.method, req.path
            ),
            hint: Some("check the method and path of the smoke check in the manifest".to_owned()),
        })?;
        match self
            .run(
                call.clone(),
                proxy::send(&self.client, request, &req.service),
            )
            .await?
        {
            ProxyOutcome::Answer(answer) => Ok(answer),
            ProxyOutcome::Refused(status) => Err(self.origin.api(&status, &call)),
        }
    }

    async fn lease(&self, name: &str) -> Result<Option<LeaseState>, KubeError> {
        let call = Call::new("get", "leases", Some(format!("lease {name}")));
        let found = self.run(call, self.leases().get_opt(name)).await?;
        Ok(found.map(lease_state))
    }

    async fn create_lease(&self, lease: &LeaseSpec) -> Result<LeaseState, KubeError> {
        let call = Call::new("create", "leases", Some(format!("lease {}", lease.name)));
        let object = self.lease_body(&call, lease, None)?;
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PostParams::default()
        };
        let created = self
            .run(call, self.leases().create(&params, &object))
            .await?;
        Ok(lease_state(created))
    }

    async fn replace_lease(
        &self,
        current: &LeaseState,
        spec: &LeaseSpec,
    ) -> Result<LeaseState, KubeError> {
        let call = Call::new("update", "leases", Some(format!("lease {}", spec.name)));
        // Without a resourceVersion the API server would apply the write
        // unconditionally and two ocfail runs could both "win" the lock.
        let Some(rv) = current.resource_version.as_deref() else {
            return Err(self.request_error(
                &call,
                "cannot replace a lease without its resourceVersion".to_owned(),
            ));
        };
        let object = self.lease_body(&call, spec, Some(rv))?;
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PostParams::default()
        };
        let replaced = self
            .run(call, self.leases().replace(&spec.name, &params, &object))
            .await?;
        Ok(lease_state(replaced))
    }

    async fn delete_lease(
        &self,
        name: &str,
        resource_version: Option<&str>,
    ) -> Result<(), KubeError> {
        let call = Call::new("delete", "leases", Some(format!("lease {name}")));
        let params = DeleteParams {
            preconditions: resource_version.map(|rv| Preconditions {
                resource_version: Some(rv.to_owned()),
                uid: None,
            }),
            ..DeleteParams::default()
        };
        let api = self.leases();
        let delete = async {
            match api.delete(name, &params).await {
                Ok(_) => Ok(()),
                // Already gone is what the caller wanted.
                Err(::kube::Error::Api(s)) if s.code == 404 => Ok(()),
                Err(e) => Err(e),
            }
        };
        self.run(call, delete).await
    }

    async fn config_map(&self, name: &str) -> Result<Option<ConfigMapState>, KubeError> {
        let call = Call::new("get", "configmaps", Some(format!("configmap {name}")));
        let found = self.run(call, self.config_maps().get_opt(name)).await?;
        Ok(found.map(config_map_state))
    }

    async fn create_config_map(
        &self,
        name: &str,
        data: &std::collections::BTreeMap<String, String>,
    ) -> Result<ConfigMapState, KubeError> {
        let call = Call::new("create", "configmaps", Some(format!("configmap {name}")));
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PostParams::default()
        };
        let object = config_map_object(name, data, None);
        let created = self
            .run(call, self.config_maps().create(&params, &object))
            .await?;
        Ok(config_map_state(created))
    }

    async fn replace_config_map(
        &self,
        current: &ConfigMapState,
        data: &std::collections::BTreeMap<String, String>,
    ) -> Result<ConfigMapState, KubeError> {
        let name = &current.name;
        let call = Call::new("update", "configmaps", Some(format!("configmap {name}")));
        // Without a resourceVersion two writers could each drop the other's entry.
        let Some(rv) = current.resource_version.as_deref() else {
            return Err(self.request_error(
                &call,
                "cannot replace a configmap without its resourceVersion".to_owned(),
            ));
        };
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PostParams::default()
        };
        let object = config_map_object(name, data, Some(rv));
        let replaced = self
            .run(call, self.config_maps().replace(name, &params, &object))
            .await?;
        Ok(config_map_state(replaced))
    }

    async fn hpas(&self) -> Result<Vec<HpaState>, KubeError> {
        let call = Call::new("list", "horizontalpodautoscalers", None);
        let api: Api<HorizontalPodAutoscaler> =
            Api::namespaced(self.client.clone(), &self.namespace);
        let list = async {
            match api.list(&ListParams::default()).await {
                Ok(list) => Ok(list.items),
                // A cluster that does not serve autoscaling/v2 has no HPAs
                // that could fight a drill.
                Err(::kube::Error::Api(s)) if s.code == 404 => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        };
        let items = self.run(call, list).await?;
        Ok(items.into_iter().map(hpa_state).collect())
    }

    async fn can_i(&self, check: &AccessCheck) -> Result<bool, KubeError> {
        let call = Call::new(
            "create",
            "selfsubjectaccessreviews",
            Some(format!("access check \"{}\"", check.describe())),
        )
        .cluster_wide();
        let api: Api<SelfSubjectAccessReview> = Api::all(self.client.clone());
        let review = access_review(&self.namespace, check);
        let answer = self
            .run(call, api.create(&PostParams::default(), &review))
            .await?;
        Ok(answer.status.is_some_and(|s| s.allowed))
    }
}

impl KubeRegion {
    fn config_maps(&self) -> Api<ConfigMap> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn leases(&self) -> Api<Lease> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// The Lease object to send; a malformed time in `spec` is a bug in the
    /// caller, reported like a refused request rather than a panic.
    #[expect(
        clippy::result_large_err,
        reason = "KubeError is what every Workloads call returns; this feeds one of them"
    )]
    fn lease_body(
        &self,
        call: &Call,
        spec: &LeaseSpec,
        resource_version: Option<&str>,
    ) -> Result<Lease, KubeError> {
        lease_object(spec, resource_version)
            .map_err(|e| self.request_error(call, format!("cannot build the lease: {e}")))
    }

    /// An error of ocfail's own making about a request (nothing was sent).
    fn request_error(&self, call: &Call, message: String) -> KubeError {
        KubeError {
            region: self.region.clone(),
            kind: KubeErrorKind::Api,
            object: call.object.clone(),
            status: None,
            reason: None,
            message,
            hint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ::kube::client::Body;
    use serde_json::Value;

    use super::*;
    use crate::manifest::Region;

    fn region() -> Region {
        Region {
            name: crate::manifest::RegionName("us-east-1".into()),
            context: "prod-us-east-1".into(),
            namespace: "us-east-1".into(),
            deployment: "openclaw-api".into(),
            service: "openclaw-api".into(),
            port: 8080,
            pool: "openclaw-us-east-1".into(),
            probe: None,
        }
    }

    /// A region whose API server is `answer(method, path)` → (status, body).
    fn mock(answer: fn(&str, &str) -> (u16, Value)) -> KubeRegion {
        let service = tower::service_fn(move |req: http::Request<Body>| {
            let (status, body) = answer(req.method().as_str(), req.uri().path());
            async move {
                http::Response::builder()
                    .status(status)
                    .header("x-openclaw-region", "us-east-1")
                    .body(Body::from(body.to_string().into_bytes()))
            }
        });
        let client = ::kube::Client::new(service, "us-east-1");
        KubeRegion::from_client(
            &region(),
            client,
            "https://mock",
            "k",
            Duration::from_secs(1),
        )
    }

    #[tokio::test]
    async fn a_cluster_without_autoscaling_v2_has_no_hpas() {
        let r = mock(|_, path| {
            assert_eq!(
                path,
                "/apis/autoscaling/v2/namespaces/us-east-1/horizontalpodautoscalers"
            );
            (
                404,
                json!({"kind": "Status", "code": 404, "reason": "NotFound", "message": "the server could not find the requested resource"}),
            )
        });
        assert_eq!(r.hpas().await.unwrap(), Vec::new());
    }

    #[tokio::test]
    async fn proxy_answers_keep_the_apps_status() {
        let r = mock(|method, path| {
            assert_eq!(
                (method, path),
                (
                    "GET",
                    "/api/v1/namespaces/us-east-1/services/openclaw-api:8080/proxy/healthz"
                )
            );
            (
                503,
                json!({"kind": "Status", "code": 503, "reason": "ServiceUnavailable", "message": "no endpoints available for service \"openclaw-api\""}),
            )
        });
        let req = ProxyRequest {
            service: "openclaw-api".into(),
            port: 8080,
            method: "GET".into(),
            path: "/healthz".into(),
            body: None,
        };
        let answer = r.proxy(&req).await.unwrap();
        assert_eq!(answer.status, 503);
        assert_eq!(answer.headers["x-openclaw-region"], "us-east-1");
        assert!(answer.body.contains("no endpoints"), "{}", answer.body);
    }

    #[tokio::test]
    async fn proxy_to_a_missing_service_is_not_found() {
        let r = mock(|_, _| {
            (
                404,
                json!({"kind": "Status", "code": 404, "reason": "NotFound", "message": "services \"nope\" not found", "details": {"name": "nope", "kind": "services"}}),
            )
        });
        let req = ProxyRequest {
            service: "nope".into(),
            port: 8080,
            method: "POST".into(),
            path: "/v1/rate".into(),
            body: Some("{}".into()),
        };
        let e = r.proxy(&req).await.unwrap_err();
        assert_eq!(e.kind, KubeErrorKind::NotFound);
        assert_eq!(e.object.as_deref(), Some("service nope"));
        assert_eq!(e.status, Some(404));
    }

    #[tokio::test]
    async fn a_refused_scale_names_the_permission() {
        let r = mock(|method, path| {
            assert_eq!(
                (method, path),
                (
                    "PATCH",
                    "/apis/apps/v1/namespaces/us-east-1/deployments/d/scale"
                )
            );
            (
                403,
                json!({"kind": "Status", "code": 403, "reason": "Forbidden", "message": "deployments.apps \"d\" is forbidden"}),
            )
        });
        let e = r.scale("d", 0).await.unwrap_err();
        assert_eq!(e.kind, KubeErrorKind::Forbidden);
        assert!(
            e.hint
                .unwrap()
                .contains("may not \"patch\" \"deployments/scale\" in namespace us-east-1")
        );
    }
}
