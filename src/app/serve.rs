//! The commands that write files or serve until stopped: `monitoring
//! render`, `exporter` and `sim`.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::cli::{Invocation, SimCommand};
use crate::errors::Error;
use crate::exit_code;
use crate::report::notices;
use crate::sim::Sim;

use super::fleet::{self, Source};
use super::{Streams, job};

/// `ocfail monitoring render`: offline, from the manifest alone.
pub fn monitoring_render(
    inv: &Invocation,
    out: &Path,
    exporter: &str,
    interval: Duration,
    app_metrics: bool,
    streams: Streams,
) -> Result<u8, Error> {
    let (fleet, streams) = fleet::load(inv, streams)?;
    if app_metrics && crate::ops::monitoring::app_targets(&fleet).is_empty() {
        return Err(Error::Usage {
            message: "--app-metrics: no region has an http(s) `probe` URL to scrape the app beside"
                .to_owned(),
            hint: "give regions a `probe` URL (the app serves /metrics beside it), or drop --app-metrics"
                .to_owned(),
        });
    }
    let rendered = crate::ops::monitoring::render(&fleet, exporter, interval, app_metrics);
    let write_err = |path: &Path, source: io::Error| Error::Usage {
        message: format!("write {}: {source}", path.display()),
        hint: "pick a directory you may write to with --out".to_owned(),
    };
    std::fs::create_dir_all(out).map_err(|e| write_err(out, e))?;
    let mut stdout = streams.stdout;
    for (name, text) in crate::ops::monitoring::FILES.iter().zip([
        &rendered.scrape,
        &rendered.rules,
        &rendered.dashboard,
    ]) {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| write_err(&path, e))?;
        stdout
            .write_all(notices::wrote(&path).as_bytes())
            .map_err(Error::Stdout)?;
    }
    Ok(exit_code::OK)
}

/// `ocfail exporter`: serves until a signal; prints where on stdout.
pub fn exporter(
    inv: &Invocation,
    listen: SocketAddr,
    interval: Duration,
    streams: Streams,
) -> Result<u8, Error> {
    let (fleet, streams) = fleet::resolve(inv, streams)?;
    let runtime = super::runtime()?;
    let mut out = streams.stdout;
    runtime.block_on(async move {
        let connected = job::connect_for(inv, &fleet, inv.sim).await?;
        let mut signals = super::signals()?;
        let options = crate::ops::exporter::ExporterOptions {
            listen,
            interval,
            timeout: inv.request_timeout,
            max_parallel: inv.max_parallel,
        };
        let fleet_name = connected.fleet.metadata.name.clone();
        let served =
            crate::ops::exporter::serve(&connected, &options, &mut signals, |addr, per| {
                let line = notices::exporter_serving(&fleet_name, inv.sim, addr, interval, per);
                let _ = out.write_all(line.as_bytes());
                let _ = out.flush();
            })
            .await;
        connected.close().await;
        served.map_err(|e| Error::Usage {
            message: match std::error::Error::source(&e) {
                Some(why) => format!("{e}: {why}"),
                None => e.to_string(),
            },
            hint: "pick another --listen address (port 0 takes any free port)".to_owned(),
        })?;
        Ok(exit_code::OK)
    })
}

/// `ocfail sim`: the simulator of the fleet, until a signal.
pub fn sim(inv: &Invocation, cmd: &SimCommand, streams: Streams) -> Result<u8, Error> {
    let (fleet, source, streams) = fleet::for_sim(inv, streams)?;
    let faulted = cmd.kube_faults.keys().chain(cmd.origin_faults.keys());
    fleet::check_regions(&fleet, faulted.map(String::as_str), "inject a fault into")?;
    let runtime = super::runtime()?;
    let mut out = streams.stdout;
    runtime.block_on(async {
        let mut signals = super::signals()?;
        let handle = Sim::start(&fleet, cmd.options.clone()).await?;
        for (region, fault) in &cmd.kube_faults {
            handle.world().faults.set_kube(region, fault.clone());
        }
        for (region, fault) in &cmd.origin_faults {
            handle.world().faults.set_origin(region, *fault);
        }
        handle
            .world()
            .faults
            .set_cloudflare(cmd.cloudflare_fault.clone());
        let dir = cmd.out.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("ocfail-sim-{}", std::process::id()))
        });
        let (kubeconfig, fleet_path) = handle.write_files(&dir)?;
        let banner = notices::SimBanner {
            fleet: &fleet.metadata.name,
            builtin: source == Source::Builtin,
            regions: fleet
                .regions
                .iter()
                .map(|r| {
                    (
                        r.name.as_str(),
                        handle.kube_url(r.name.as_str()).unwrap_or_default(),
                        r.context.as_str(),
                        r.namespace.as_str(),
                    )
                })
                .collect(),
            cloudflare_url: handle.cloudflare_url(),
            load_balancer: &fleet.cloudflare.load_balancer,
            lb_url: handle.lb_url(),
            admin_url: handle.admin_url(),
            kubeconfig: &kubeconfig,
            fleet_path: &fleet_path,
            token_env: &fleet.cloudflare.api_token.from_env,
        };
        out.write_all(notices::sim_banner(&banner).as_bytes())
            .and_then(|()| out.flush())
            .map_err(Error::Stdout)?;
        signals.recv().await;
        let _ = out.write_all(notices::sim_stopping().as_bytes());
        handle.shutdown().await;
        Ok(exit_code::OK)
    })
}
