//! Building the API clients a live command needs, for the real fleet or for
//! an in-process simulator mirroring it (`--sim`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cloudflare::{ApiToken, CfError, ClientOptions, CloudflareClient};
use crate::kube::{KubeRegion, connect_fleet};
use crate::manifest::Fleet;
use crate::prometheus::PromError;
use crate::prometheus::client::{Auth, PromClient};
use crate::sim::{Sim, SimError, SimHandle, SimOptions};

use super::clients::Clients;
use super::recovery::Recovery;

/// How live commands talk to the world.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// Per-request timeout for both APIs.
    pub request_timeout: Duration,
    /// Cloudflare request budget.
    pub cloudflare_rps: f64,
    /// Tries per idempotent Cloudflare request.
    pub cloudflare_tries: u32,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            request_timeout: Duration::from_secs(10),
            cloudflare_rps: 2.0,
            cloudflare_tries: 3,
        }
    }
}

/// The clients of one run, and the simulator behind them with `--sim`.
pub struct Connected {
    /// The real clients (derefs to them).
    pub clients: Clients<KubeRegion, CloudflareClient>,
    sim: Option<(SimHandle, PathBuf)>,
}

impl std::ops::Deref for Connected {
    type Target = Clients<KubeRegion, CloudflareClient>;

    fn deref(&self) -> &Self::Target {
        &self.clients
    }
}

impl Connected {
    /// Sets how printed recovery commands reach this fleet.
    pub fn set_recovery(&mut self, recovery: Recovery) {
        self.clients.recovery = recovery;
    }

    /// The simulator, with `--sim`.
    pub fn sim(&self) -> Option<&SimHandle> {
        self.sim.as_ref().map(|(h, _)| h)
    }

    /// Stops the simulator (if any) and removes its files.
    pub async fn close(self) {
        if let Some((handle, dir)) = self.sim {
            handle.shutdown().await;
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The token for `fleet`: from its environment variable; with `--sim` a
/// stand-in when the variable is unset (the simulator accepts any token).
fn token(fleet: &Fleet, sim: bool) -> Result<ApiToken, CfError> {
    let var = &fleet.cloudflare.api_token.from_env;
    match ApiToken::from_env(var) {
        Ok(t) => Ok(t),
        Err(_) if sim => Ok(ApiToken::new("sim-token".to_owned())),
        Err(e) => Err(e),
    }
}

/// The Prometheus client the manifest asks for: `None` without a
/// `prometheus:` section; an error when a credential's variable is unset.
pub fn prometheus(fleet: &Fleet) -> Option<Result<Arc<PromClient>, PromError>> {
    let p = fleet.prometheus.as_ref()?;
    let var = |name: &str| {
        std::env::var(name).map_err(|_| PromError::Credentials {
            var: name.to_owned(),
        })
    };
    let auth = match (&p.bearer_token, &p.basic_auth) {
        (Some(t), _) => var(&t.from_env).map(Auth::Bearer),
        (None, Some(b)) => var(&b.password.from_env).map(|password| Auth::Basic {
            username: b.username.clone(),
            password,
        }),
        (None, None) => Ok(Auth::None),
    };
    Some(auth.and_then(|auth| {
        PromClient::new(&p.url, p.alertmanager_url.as_deref(), auth, p.timeout).map(Arc::new)
    }))
}

/// Connects to the real fleet.
pub async fn connect(fleet: &Fleet, opts: &ConnectOptions) -> Connected {
    connect_inner(fleet.clone(), opts, None, false).await
}

/// Starts a simulator mirroring `fleet` and connects to it.
pub async fn connect_sim(
    fleet: &Fleet,
    opts: &ConnectOptions,
    sim: SimOptions,
) -> Result<Connected, SimError> {
    let handle = Sim::start(fleet, sim).await?;
    let dir = std::env::temp_dir().join(format!(
        "ocfail-sim-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    let (kubeconfig, _) = match handle.write_files(&dir) {
        Ok(paths) => paths,
        Err(e) => {
            handle.shutdown().await;
            return Err(e);
        }
    };
    let mut sim_fleet = handle.sim_fleet(Some(&kubeconfig));
    // No Prometheus watches a simulator that lives only as long as this
    // run: the guards would judge the real fleet's metrics instead.
    sim_fleet.prometheus = None;
    Ok(connect_inner(sim_fleet, opts, Some((handle, dir)), true).await)
}

async fn connect_inner(
    fleet: Fleet,
    opts: &ConnectOptions,
    sim: Option<(SimHandle, PathBuf)>,
    is_sim: bool,
) -> Connected {
    crate::install_crypto_provider();
    let clients = connect_fleet(&fleet, opts.request_timeout).await;
    let regions = fleet.regions.iter().cloned().zip(clients).collect();
    let cloudflare = token(&fleet, is_sim).and_then(|token| {
        let options = ClientOptions {
            api_url: fleet.cloudflare.api_url.clone(),
            account_id: fleet.cloudflare.account_id.clone(),
            zone_id: fleet.cloudflare.zone_id.clone(),
            timeout: opts.request_timeout,
            requests_per_second: opts.cloudflare_rps,
            max_tries: opts.cloudflare_tries,
        };
        CloudflareClient::new(options, token).map(Arc::new)
    });
    let poll = super::clients::poll_interval(opts.cloudflare_rps);
    let prometheus = prometheus(&fleet);
    Connected {
        clients: Clients {
            fleet,
            regions,
            cloudflare,
            prometheus,
            poll,
            recovery: Recovery::default(),
        },
        sim,
    }
}
