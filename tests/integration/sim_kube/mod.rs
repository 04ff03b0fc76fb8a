//! The simulator's Kubernetes API as the real `kube` client sees it:
//! Deployments (get, list, scale, watch, the three patch types), Leases with
//! optimistic concurrency, tokens, errors, and the service proxy.

mod access;
mod deployments;

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use ocfail::sim::{Sim, SimHandle, SimOptions};
use serde_json::json;

use crate::util::root;

pub(crate) const NS: &str = "us-east-1";
pub(crate) const BLUE: &str = "openclaw-api-blue";
pub(crate) const GREEN: &str = "openclaw-api-green";

pub(crate) async fn start() -> SimHandle {
    let fleet = ocfail::manifest::load(&root().join("fixtures/fleet.yaml")).unwrap();
    Sim::start(&fleet, SimOptions::fast()).await.unwrap()
}

/// A client for `region` from the sim's kubeconfig (HTTPS with the sim's
/// CA), authenticating with `token`.
pub(crate) async fn client(sim: &SimHandle, region: &str, token: &str) -> kube::Client {
    ocfail::install_crypto_provider();
    let yaml = sim.kubeconfig_yaml().replace(
        &format!("token: sim-token-{region}"),
        &format!("token: {token}"),
    );
    let kubeconfig = Kubeconfig::from_yaml(&yaml).unwrap();
    let options = KubeConfigOptions {
        context: Some(format!("prod-{region}")),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

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
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let obj = api.get(name).await.unwrap();
        if done(&obj) {
            return obj;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {obj:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn ready(d: &Deployment) -> i32 {
    d.status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

/// A plain HTTP client (reqwest needs the process's rustls provider).
pub(crate) fn http() -> reqwest::Client {
    ocfail::install_crypto_provider();
    reqwest::Client::new()
}
