//! Starting and stopping the simulator: listeners, background loops, and
//! the kubeconfig and manifest that point clients at it.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::faults;
use super::options::SimOptions;
use super::tls::{self, SimTls, TlsError};
use super::world::World;
use super::{admin, cloudflare, cloudflare_api, kube_api, lb};
use crate::manifest::Fleet;

/// The simulator could not start or write its files.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A listener could not bind.
    #[error("listen on {addr} for {what}")]
    Bind {
        /// The address tried.
        addr: SocketAddr,
        /// Which listener.
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The API servers' certificates could not be made.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A file could not be written.
    #[error("write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Entry point: `Sim::start(&fleet, options)`.
pub struct Sim;

/// A running simulator; dropping it does not stop it, [`SimHandle::shutdown`] does.
pub struct SimHandle {
    world: Arc<World>,
    tls: SimTls,
    kube: BTreeMap<String, SocketAddr>,
    cloudflare: SocketAddr,
    lb: SocketAddr,
    admin: SocketAddr,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

impl Sim {
    /// Seeds a world from `fleet`, binds every listener on 127.0.0.1 and
    /// starts the controller and monitor loops.
    pub async fn start(fleet: &Fleet, options: SimOptions) -> Result<SimHandle, SimError> {
        let ports = options.ports.clone();
        let world = World::new(fleet, options);
        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();

        let mut kube = BTreeMap::new();
        // kubectl sends tokens only over HTTPS; see `tls.rs`.
        let tls = SimTls::generate()?;
        let acceptor = Some(tls.acceptor().clone());
        for (i, region) in fleet.regions.iter().enumerate() {
            let name = region.name.to_string();
            let port = ports
                .kube_base
                .map(|p| p.saturating_add(u16::try_from(i).unwrap_or(u16::MAX)));
            let listener = bind(port, &format!("the Kubernetes API of {name}")).await?;
            let addr = local_addr(&listener);
            let router = kube_api::router(world.clone(), name.clone()).layer(
                axum::middleware::from_fn_with_state(
                    (world.faults.clone(), name.clone()),
                    faults::kube_layer,
                ),
            );
            let faults = world.faults.clone();
            let region_name = name.clone();
            let refused = move || faults.kube(&region_name).refuse;
            tasks.spawn(serve(
                listener,
                router,
                refused,
                world.faults.subscribe(),
                cancel.clone(),
                acceptor.clone(),
            ));
            kube.insert(name, addr);
        }

        let listener = bind(ports.cloudflare, "the Cloudflare API").await?;
        let cf_addr = local_addr(&listener);
        let router = cloudflare_api::router(world.clone()).layer(
            axum::middleware::from_fn_with_state(world.faults.clone(), faults::cloudflare_layer),
        );
        tasks.spawn(serve(
            listener,
            router,
            || false,
            world.faults.subscribe(),
            cancel.clone(),
            None,
        ));

        let listener = bind(ports.lb, "the load balancer").await?;
        let lb_addr = local_addr(&listener);
        tasks.spawn(serve(
            listener,
            lb::router(world.clone()),
            || false,
            world.faults.subscribe(),
            cancel.clone(),
            None,
        ));

        let listener = bind(ports.admin, "the admin API").await?;
        let admin_addr = local_addr(&listener);
        tasks.spawn(serve(
            listener,
            admin::router(world.clone()),
            || false,
            world.faults.subscribe(),
            cancel.clone(),
            None,
        ));

        for cluster in world.clusters.values() {
            tasks.spawn(cluster.clone().run_controller(cancel.clone()));
        }
        tasks.spawn(cloudflare::run_monitor(world.clone(), cancel.clone()));
        world.log.push(
            "admin",
            None,
            "sim-started",
            format!("{} regions", fleet.regions.len()),
        );

        Ok(SimHandle {
            world,
            tls,
            kube,
            cloudflare: cf_addr,
            lb: lb_addr,
            admin: admin_addr,
            cancel,
            tasks,
        })
    }
}

async fn bind(port: Option<u16>, what: &str) -> Result<TcpListener, SimError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port.unwrap_or(0)));
    TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind {
            addr,
            what: what.to_owned(),
            source,
        })
}

fn local_addr(listener: &TcpListener) -> SocketAddr {
    // A bound TCP listener always has a local address.
    listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
}

/// Accepts connections until cancelled. While `refused()` holds, the socket
/// is closed so clients see "connection refused", then re-bound on the same
/// port when the fault clears. Turning the fault on also drops every
/// connection already open: a dead API server takes its keep-alive and
/// in-flight connections with it, and a client that only ever reuses a
/// pooled connection (as a running ocfail does) must notice too.
async fn serve(
    listener: TcpListener,
    router: Router,
    refused: impl Fn() -> bool + Send + 'static,
    mut changed: watch::Receiver<u64>,
    cancel: CancellationToken,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let addr = local_addr(&listener);
    let mut listener = Some(listener);
    let conns = TaskTracker::new();
    // Cancelled when the fault turns on; connections accepted after the
    // listener re-opens get a fresh one.
    let mut open = CancellationToken::new();
    loop {
        if refused() {
            listener = None;
            open.cancel();
        } else if listener.is_none() {
            match TcpListener::bind(addr).await {
                Ok(l) => {
                    listener = Some(l);
                    open = CancellationToken::new();
                }
                Err(e) => {
                    tracing::warn!(%addr, error = %e, "sim: cannot re-open listener; retrying");
                    tokio::select! {
                        () = cancel.cancelled() => break,
                        () = tokio::time::sleep(Duration::from_millis(50)) => continue,
                    }
                }
            }
        }
        let accepted = async {
            match &listener {
                Some(l) => l.accept().await.ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = cancel.cancelled() => break,
            r = changed.changed() => if r.is_err() { break },
            Some((stream, _)) = accepted => {
                let service = TowerToHyperService::new(router.clone());
                let cancel = cancel.clone();
                let open = open.clone();
                let tls = tls.clone();
                conns.spawn(async move {
                    let conn = async {
                        let Ok(io) = tls::sniff(stream, tls.as_ref()).await else { return };
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(io), service)
                            .await;
                    };
                    // Dropping the connection closes its socket mid-request if need be.
                    tokio::select! {
                        () = cancel.cancelled() => {}
                        () = open.cancelled() => {}
                        () = conn => {}
                    }
                });
            }
        }
    }
    conns.close();
    conns.wait().await;
}

impl SimHandle {
    /// The shared world, for tests that inspect or change it directly.
    pub fn world(&self) -> &Arc<World> {
        &self.world
    }

    /// `region`'s Kubernetes API base URL.
    pub fn kube_url(&self, region: &str) -> Option<String> {
        self.kube.get(region).map(|a| format!("http://{a}"))
    }

    /// Cloudflare's v4 API base URL (ends in `/client/v4`).
    pub fn cloudflare_url(&self) -> String {
        format!("http://{}/client/v4", self.cloudflare)
    }

    /// The LB hostname's base URL.
    pub fn lb_url(&self) -> String {
        format!("http://{}", self.lb)
    }

    /// The admin API's base URL (serves `/_sim/…`).
    pub fn admin_url(&self) -> String {
        format!("http://{}", self.admin)
    }

    /// This simulator's CA certificate (DER): trust it to reach the
    /// Kubernetes APIs over HTTPS (`kube::Config::root_cert`).
    pub fn ca_der(&self) -> &[u8] {
        self.tls.ca_der()
    }

    /// A kubeconfig with one context per region, named as in the manifest.
    pub fn kubeconfig_yaml(&self) -> String {
        let fleet = &self.world.fleet;
        let mut clusters = Vec::new();
        let mut users = Vec::new();
        let mut contexts = Vec::new();
        for r in &fleet.regions {
            // HTTPS on the same port, so kubectl sends the token.
            let server = self
                .kube
                .get(r.name.as_str())
                .map(|a| format!("https://{a}"))
                .unwrap_or_default();
            clusters.push(json!({"name": format!("sim-{}", r.name), "cluster": {"server": server, "certificate-authority-data": self.tls.ca_data()}}));
            users.push(json!({"name": format!("sim-{}", r.name), "user": {"token": format!("sim-token-{}", r.name)}}));
            contexts.push(json!({
                "name": r.context,
                "context": {"cluster": format!("sim-{}", r.name), "user": format!("sim-{}", r.name), "namespace": r.namespace}
            }));
        }
        let current = fleet
            .regions
            .first()
            .map(|r| r.context.clone())
            .unwrap_or_default();
        let doc = json!({
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": clusters, "users": users, "contexts": contexts, "current-context": current,
        });
        serde_saphyr::to_string(&doc).unwrap_or_default()
    }

    /// The manifest with every URL pointed at this simulator.
    pub fn sim_fleet(&self, kubeconfig: Option<&Path>) -> Fleet {
        let mut fleet = self.world.fleet.clone();
        fleet.kubeconfig = kubeconfig.map(|p| p.display().to_string());
        fleet.cloudflare.api_url = self.cloudflare_url();
        if let Some(t) = &mut fleet.traffic {
            t.url = format!("{}{}", self.lb_url(), url_path(&t.url));
        }
        for r in &mut fleet.regions {
            if let Some(p) = &r.probe {
                r.probe = Some(format!(
                    "{}{}/{}{}",
                    self.lb_url(),
                    lb::DIRECT_PREFIX,
                    r.name,
                    url_path(p)
                ));
            }
        }
        fleet
    }

    /// Writes `DIR/kubeconfig` and `DIR/fleet.yaml`; returns their paths.
    pub fn write_files(&self, dir: &Path) -> Result<(PathBuf, PathBuf), SimError> {
        let write = |path: PathBuf, text: String| {
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&path, text))
                .map(|()| path.clone())
                .map_err(|source| SimError::Write { path, source })
        };
        let kubeconfig = write(dir.join("kubeconfig"), self.kubeconfig_yaml())?;
        let absolute = std::fs::canonicalize(&kubeconfig).unwrap_or_else(|_| kubeconfig.clone());
        let header =
            "# Written by `ocfail sim`: the fleet with every URL pointed at the simulator.\n";
        let fleet = write(
            dir.join("fleet.yaml"),
            format!("{header}{}", self.sim_fleet(Some(&absolute)).to_yaml()),
        )?;
        Ok((kubeconfig, fleet))
    }

    /// Stops every listener and loop and waits for them.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// The path (and query) of a URL, `/` when it has none.
fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_path_keeps_path_and_query() {
        assert_eq!(url_path("https://api.openclaw.com/healthz"), "/healthz");
        assert_eq!(url_path("https://api.openclaw.com"), "/");
        assert_eq!(url_path("http://h:8/a/b?c=d"), "/a/b?c=d");
    }
}
