//! The lines commands print outside their reports: confirmation
//! questions, what `monitoring render` wrote, where the exporter and the
//! simulator listen.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// "every region" or the named ones.
fn scope(regions: &[String]) -> String {
    if regions.is_empty() {
        "every region".to_owned()
    } else {
        regions.join(", ")
    }
}

/// Asked before `restore`.
pub fn ask_restore(region: Option<&str>) -> String {
    format!(
        "Restore {} from drill and rollout records? [y/N] ",
        region.unwrap_or("every region")
    )
}

/// Asked before a drill.
pub fn ask_drill(region: &str) -> String {
    format!("Take {region} down for a drill (everything is restored afterwards)? [y/N] ")
}

/// Asked before a rollout (`image`) or a rollback (none).
pub fn ask_rollout(image: Option<&str>, regions: &[String]) -> String {
    match image {
        Some(image) => format!("Roll out {image} to {}? [y/N] ", scope(regions)),
        None => format!(
            "Switch {} back to the previous colour? [y/N] ",
            scope(regions)
        ),
    }
}

/// One file `monitoring render` wrote.
pub fn wrote(path: &Path) -> String {
    format!("wrote {}\n", path.display())
}

/// The exporter is serving.
pub fn exporter_serving(
    fleet: &str,
    sim: bool,
    addr: SocketAddr,
    interval: Duration,
    pools_per_refresh: usize,
) -> String {
    let sim = if sim {
        " (on the in-process simulator)"
    } else {
        ""
    };
    format!(
        "ocfail exporter for fleet {fleet}{sim}: http://{addr}/metrics and http://{addr}/healthz, \
         refreshed every {}, detailed pool health for {pools_per_refresh} pool(s) per refresh; \
         Ctrl-C to stop\n",
        humantime::format_duration(interval)
    )
}

/// Where `ocfail sim` listens and what to try.
#[derive(Debug)]
pub struct SimBanner<'a> {
    /// The fleet's name.
    pub fleet: &'a str,
    /// It is the built-in seed fleet.
    pub builtin: bool,
    /// Per region: name, Kubernetes URL, context, namespace.
    pub regions: Vec<(&'a str, String, &'a str, &'a str)>,
    /// Cloudflare's API.
    pub cloudflare_url: String,
    /// The load balancer's name.
    pub load_balancer: &'a str,
    /// Its address.
    pub lb_url: String,
    /// The admin API.
    pub admin_url: String,
    /// The kubeconfig written.
    pub kubeconfig: &'a Path,
    /// The manifest written.
    pub fleet_path: &'a Path,
    /// The token's environment variable.
    pub token_env: &'a str,
}

/// The banner `ocfail sim` prints once it listens.
pub fn sim_banner(b: &SimBanner<'_>) -> String {
    let mut s = String::new();
    let source = if b.builtin {
        " (the built-in seed fleet)"
    } else {
        ""
    };
    let _ = writeln!(s, "ocfail simulator running for fleet {}{source}", b.fleet);
    for (name, url, context, _) in &b.regions {
        let _ = writeln!(s, "  kubernetes {name:<16} {url}  (context {context})");
    }
    let _ = writeln!(s, "  cloudflare api              {}", b.cloudflare_url);
    let _ = writeln!(s, "  load balancer {:<13} {}", b.load_balancer, b.lb_url);
    let _ = writeln!(
        s,
        "  admin                       {}/_sim/events",
        b.admin_url
    );
    let _ = writeln!(
        s,
        "wrote {} and {}",
        b.kubeconfig.display(),
        b.fleet_path.display()
    );
    let _ = writeln!(s, "try:");
    if let Some((_, _, context, namespace)) = b.regions.first() {
        let _ = writeln!(
            s,
            "  kubectl --kubeconfig {} --context {context} -n {namespace} get deploy",
            b.kubeconfig.display(),
        );
    }
    let _ = writeln!(s, "  export {}=sim-token", b.token_env);
    let _ = writeln!(s, "  ocfail -f {} validate", b.fleet_path.display());
    let _ = writeln!(s, "  curl -si {}/healthz", b.lb_url);
    let _ = writeln!(s, "press Ctrl-C to stop");
    s
}

/// `ocfail sim` is stopping.
pub fn sim_stopping() -> &'static str {
    "stopping the simulator\n"
}
