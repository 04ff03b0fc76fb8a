//! The simulator's Kubernetes API as the real `kube` client sees it:
//! Deployments (get, list, scale, watch, the three patch types), Leases with
//! optimistic concurrency, ConfigMaps, tokens, errors, and the service proxy.

mod access;
mod configmaps;
mod deployments;

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use ocfail::sim::SimHandle;
use serde_json::json;

use crate::util::wait_until;

pub(crate) const NS: &str = "us-east-1";
pub(crate) const BLUE: &str = "openclaw-api-blue";
pub(crate) const GREEN: &str = "openclaw-api-green";

/// A plain-HTTP client on `kube_url`, as `kube::Config::new` builds it.
pub(crate) fn plain_client(sim: &SimHandle, region: &str, token: &str) -> kube::Client {
    ocfail::install_crypto_provider();
    let mut config = kube::Config::new(sim.kube_url(region).unwrap().parse().unwrap());
    config.auth_info = serde_json::from_value(json!({ "token": token })).unwrap();
    kube::Client::try_from(config).unwrap()
}

pub(crate) fn api_error(e: kube::Error) -> (u16, String, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.reason, s.message),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Polls `get` until `done` holds, failing after five seconds.
pub(crate) async fn until<T, F>(api: &Api<T>, name: &str, what: &str, done: F) -> T
where
    T: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    F: Fn(&T) -> bool,
{
    wait_until(Duration::from_secs(5), what, || async {
        let obj = api.get(name).await.unwrap();
        if done(&obj) {
            Ok(obj)
        } else {
            Err(format!("{obj:?}"))
        }
    })
    .await
}

pub(crate) fn ready(d: &Deployment) -> i32 {
    d.status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}
