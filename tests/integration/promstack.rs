//! A real Prometheus, and optionally a real Alertmanager, on loopback for
//! one test: [`PromStack::start`] writes their configuration into a
//! temporary directory, starts Debian's binaries on ports they choose
//! themselves (port 0; the log says which), waits until both are ready, and
//! kills them when dropped.
//!
//! The binaries are required in CI (`.ci/run` installs them); elsewhere a
//! missing one is a loud skip, as for promtool.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ocfail::prometheus::{ActiveAlert, AlertState, Auth, Metrics, PromClient};

use crate::util::{tool_or_skip, wait_until, wait_until_blocking};

/// How long a server may take to start and become ready.
const START_WITHIN: Duration = Duration::from_secs(30);

/// One `scrape_configs` job with static targets.
#[derive(Clone, Debug)]
pub struct ScrapeJob {
    /// `job_name`.
    pub job: String,
    /// `host:port` of each target (loopback only).
    pub targets: Vec<String>,
    /// Labels added to every series scraped from these targets.
    pub labels: BTreeMap<String, String>,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct StackOptions {
    /// Jobs to scrape.
    pub scrape: Vec<ScrapeJob>,
    /// More `scrape_configs` items as raw YAML (each starting with
    /// `- job_name:` at column 0), after `scrape`'s.
    pub scrape_yaml: Option<String>,
    /// A rule file's text (`groups: …`).
    pub rules: Option<String>,
    /// Also start an Alertmanager (a `null` receiver, `group_wait: 0s`)
    /// and send Prometheus' alerts to it.
    pub alertmanager: bool,
    /// `global.scrape_interval`.
    pub scrape_interval: Duration,
    /// `global.evaluation_interval`.
    pub evaluation_interval: Duration,
    /// More Prometheus command-line arguments.
    pub prometheus_args: Vec<String>,
}

impl Default for StackOptions {
    /// Nothing scraped, no rules, no Alertmanager, 1 s intervals.
    fn default() -> Self {
        StackOptions {
            scrape: Vec::new(),
            scrape_yaml: None,
            rules: None,
            alertmanager: false,
            scrape_interval: Duration::from_secs(1),
            evaluation_interval: Duration::from_secs(1),
            prometheus_args: Vec::new(),
        }
    }
}

/// Running servers; dropping it kills them.
pub struct PromStack {
    /// `http://127.0.0.1:PORT`.
    pub prometheus_url: String,
    /// `http://127.0.0.1:PORT`, when started.
    pub alertmanager_url: Option<String>,
    /// Alertmanager, then Prometheus: killed in reverse.
    children: Vec<(&'static str, Child)>,
    /// Configuration, data and logs (`prometheus.log`, `alertmanager.log`).
    dir: tempfile::TempDir,
}

impl Drop for PromStack {
    fn drop(&mut self) {
        for (_, child) in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl PromStack {
    /// Starts the servers and waits until they are ready (a second or two,
    /// blocking the calling thread, so call it from a multi-threaded test
    /// runtime when the test also serves something Prometheus scrapes);
    /// `None` (after a warning) when a binary is missing outside CI. Panics,
    /// with the server's log, when one does not start.
    pub fn start(opts: StackOptions) -> Option<PromStack> {
        let prometheus = tool_or_skip(
            "prometheus",
            "prometheus is required in CI (.ci/run installs Debian's prometheus)",
        )?;
        let alertmanager = if opts.alertmanager {
            Some(tool_or_skip(
                "prometheus-alertmanager",
                "prometheus-alertmanager is required in CI (.ci/run installs it)",
            )?)
        } else {
            None
        };
        let mut stack = PromStack {
            prometheus_url: String::new(),
            alertmanager_url: None,
            children: Vec::new(),
            dir: tempfile::tempdir().unwrap(),
        };
        if let Some(bin) = alertmanager {
            let config = stack.write("alertmanager.yml", ALERTMANAGER_YML);
            let data = stack.dir.path().join("alertmanager-data");
            let mut cmd = Command::new(bin);
            cmd.arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.path={}", data.display()))
                .arg("--web.listen-address=127.0.0.1:0")
                // No gossip: one instance, and no port outside loopback.
                .arg("--cluster.listen-address=");
            stack.alertmanager_url = Some(stack.spawn("alertmanager", cmd));
        }
        let config = stack.write("prometheus.yml", &stack.prometheus_yml(&opts));
        let data = stack.dir.path().join("prometheus-data");
        let mut cmd = Command::new(prometheus);
        cmd.arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg("--web.listen-address=127.0.0.1:0")
            // Alertmanager hears of a firing alert within a second.
            .arg("--rules.alert.resend-delay=1s")
            .args(&opts.prometheus_args);
        stack.prometheus_url = stack.spawn("prometheus", cmd);
        Some(stack)
    }

    /// A client for the stack: alerts come from Alertmanager when it runs.
    pub fn client(&self) -> PromClient {
        let am = self.alertmanager_url.as_deref();
        PromClient::new(&self.prometheus_url, am, Auth::None, Duration::from_secs(5)).unwrap()
    }

    /// A client that reads alerts from Prometheus even when Alertmanager runs.
    pub fn prometheus_client(&self) -> PromClient {
        PromClient::new(
            &self.prometheus_url,
            None,
            Auth::None,
            Duration::from_secs(5),
        )
        .unwrap()
    }

    /// Waits until [`client`](Self::client)'s alerts include `name` in
    /// `state` and returns it; fails the test with what was seen once
    /// `within` has passed.
    pub async fn wait_for_alert(
        &self,
        name: &str,
        state: AlertState,
        within: Duration,
    ) -> ActiveAlert {
        let client = self.client();
        let what = format!("alert {name} {state:?} (from {:?})", self.alertmanager_url);
        wait_until(within, &what, || {
            let client = client.clone();
            async move {
                let alerts = client.alerts().await.map_err(|e| e.to_string())?;
                alerts
                    .iter()
                    .find(|a| a.name() == name && a.state == state)
                    .cloned()
                    .ok_or_else(|| format!("{alerts:?}"))
            }
        })
        .await
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn prometheus_yml(&self, opts: &StackOptions) -> String {
        // YAML reads JSON strings, which quote anything safely.
        let q = |s: &str| serde_json::to_string(s).unwrap();
        let ms = |d: Duration| format!("{}ms", d.as_millis());
        let mut yml = format!(
            "global:\n  scrape_interval: {}\n  evaluation_interval: {}\n",
            ms(opts.scrape_interval),
            ms(opts.evaluation_interval)
        );
        if let Some(rules) = &opts.rules {
            let path = self.write("rules.yml", rules);
            yml += &format!("rule_files:\n  - {}\n", q(&path.display().to_string()));
        }
        if let Some(am) = &self.alertmanager_url {
            let target = am.trim_start_matches("http://");
            yml += &format!(
                "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [{}]\n",
                q(target)
            );
        }
        yml += "scrape_configs:\n";
        for job in &opts.scrape {
            let targets: Vec<String> = job.targets.iter().map(|t| q(t)).collect();
            let labels: Vec<String> = job
                .labels
                .iter()
                .map(|(k, v)| format!("{}: {}", q(k), q(v)))
                .collect();
            yml += &format!(
                "  - job_name: {}\n    static_configs:\n      - targets: [{}]\n        labels: {{{}}}\n",
                q(&job.job),
                targets.join(", "),
                labels.join(", ")
            );
        }
        for line in opts.scrape_yaml.iter().flat_map(|y| y.lines()) {
            yml += &format!("  {line}\n");
        }
        if opts.scrape.is_empty() && opts.scrape_yaml.is_none() {
            yml += "  []\n";
        }
        yml
    }

    /// Starts `cmd` logging to `<what>.log`, and returns its URL once its
    /// log names the port and `/-/ready` answers 200.
    fn spawn(&mut self, what: &'static str, mut cmd: Command) -> String {
        let log_path = self.dir.path().join(format!("{what}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {what}: {e}"));
        self.children.push((what, child));
        let port = wait_until_blocking(START_WITHIN, &format!("{what} to listen"), || {
            self.check_running(what, &log_path);
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            listening_port(&log).ok_or(log)
        });
        let addr = format!("127.0.0.1:{port}");
        wait_until_blocking(START_WITHIN, &format!("{what} to be ready"), || {
            self.check_running(what, &log_path);
            ready(&addr)
        });
        format!("http://{addr}")
    }

    /// Fails the test, with its log, if the server has exited.
    fn check_running(&mut self, what: &str, log: &Path) {
        let (_, child) = self.children.iter_mut().find(|(w, _)| *w == what).unwrap();
        if let Some(status) = child.try_wait().unwrap() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("{what} exited ({status}) while starting:\n{log}");
        }
    }
}

/// The null receiver and no grouping delay: alerts show in the API as soon
/// as they arrive, and nothing is sent anywhere.
const ALERTMANAGER_YML: &str = "\
route:
  receiver: \"null\"
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: \"null\"
";

/// The port in a Prometheus or Alertmanager log line
/// `… msg="Listening on" address=127.0.0.1:40021` (both use exporter-toolkit).
fn listening_port(log: &str) -> Option<u16> {
    log.lines()
        .filter(|l| l.contains("msg=\"Listening on\""))
        .find_map(|l| {
            l.split_once(" address=")?
                .1
                .split_whitespace()
                .next()?
                .rsplit_once(':')?
                .1
                .parse()
                .ok()
        })
}

/// Whether `GET /-/ready` at `addr` answers 200 (HTTP/1.0, so the server
/// closes the connection and the answer can be read to its end).
fn ready(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let timeout = Some(Duration::from_secs(2));
    let _ = stream.set_read_timeout(timeout);
    let _ = stream.set_write_timeout(timeout);
    if stream
        .write_all(format!("GET /-/ready HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200")
}

#[test]
fn the_listening_port_is_read_from_the_log() {
    let log = "ts=… caller=web.go:503 level=info component=web msg=\"Start listening for connections\" address=127.0.0.1:0\n\
               ts=… caller=tls_config.go:232 level=info component=web msg=\"Listening on\" address=127.0.0.1:35233\n";
    assert_eq!(listening_port(log), Some(35233));
    assert_eq!(
        listening_port(&log[..log.find("ts=… caller=tls").unwrap()]),
        None
    );
}
