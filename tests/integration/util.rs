//! Shared helpers: the one simulator launcher ([`Launch`], in this process
//! as a [`LiveSim`] or as an `ocfail sim` process, a [`SimProcess`]), the
//! clients tests talk to it with, [`wait_until`], the command builder, and
//! the redaction that keeps snapshots stable.

use std::fmt::Display;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use ocfail::kube::KubeRegion;
use ocfail::sim::{SimHandle, SimOptions};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `ocfail` with a clean environment: no colour, no inherited fleet, token,
/// step summary or log settings, run from the repository root.
pub fn ocfail() -> Command {
    let mut cmd = Command::cargo_bin("ocfail").expect("the ocfail binary is built for tests");
    cmd.current_dir(root())
        .env_remove("OCFAIL_FLEET")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("RUST_LOG")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env("NO_COLOR", "1");
    cmd
}

/// `out`'s stdout, after asserting that it exited with `code` (one of
/// [`ocfail::exit_code`]'s), showing both streams when it did not.
#[track_caller]
pub fn exited(out: &std::process::Output, code: u8) -> String {
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        exit(code),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    stdout
}

/// An exit code of [`ocfail::exit_code`] as `ExitStatus::code` gives it,
/// for comparing with a process's status.
pub fn exit(code: u8) -> Option<i32> {
    Some(i32::from(code))
}

/// Output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---------------------------------------------------------------- waiting

/// What a poll in [`wait_until`] found: done (with a value), or not yet
/// (with what it saw, when it can say).
pub trait Polled {
    /// What the wait returns once done.
    type Value;
    /// `Ok` when done; otherwise what was seen, for the timeout's message.
    fn done(self) -> Result<Self::Value, Option<String>>;
}

impl Polled for bool {
    type Value = ();
    fn done(self) -> Result<(), Option<String>> {
        if self { Ok(()) } else { Err(None) }
    }
}

impl<T> Polled for Option<T> {
    type Value = T;
    fn done(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T, E: Display> Polled for Result<T, E> {
    type Value = T;
    fn done(self) -> Result<T, Option<String>> {
        self.map_err(|e| Some(e.to_string()))
    }
}

/// How often [`wait_until`] polls.
const POLL: Duration = Duration::from_millis(20);

#[track_caller]
fn timed_out(within: Duration, what: &str, seen: Option<String>) -> ! {
    match seen {
        Some(seen) => panic!("timed out after {within:?} waiting for {what}; last seen: {seen}"),
        None => panic!("timed out after {within:?} waiting for {what}"),
    }
}

/// Polls `poll` every 20 ms until it is done (`true`, `Some`, `Ok`) and
/// returns its value; fails the test naming `what` (and what the last poll
/// saw) once `within` has passed.
pub async fn wait_until<P, Fut>(within: Duration, what: &str, poll: impl FnMut() -> Fut) -> P::Value
where
    P: Polled,
    Fut: Future<Output = P>,
{
    match poll_until(within, poll).await {
        Ok(v) => v,
        Err(seen) => timed_out(within, what, seen),
    }
}

/// [`wait_until`] for a caller that reports a timeout itself: `Err` with
/// what the last poll saw once `within` has passed.
pub async fn poll_until<P, Fut>(
    within: Duration,
    mut poll: impl FnMut() -> Fut,
) -> Result<P::Value, Option<String>>
where
    P: Polled,
    Fut: Future<Output = P>,
{
    let deadline = Instant::now() + within;
    loop {
        let seen = match poll().await.done() {
            Ok(v) => return Ok(v),
            Err(seen) => seen,
        };
        if Instant::now() >= deadline {
            return Err(seen);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// [`wait_until`] for threads outside the async runtime (processes driven
/// synchronously).
pub fn wait_until_blocking<P: Polled>(
    within: Duration,
    what: &str,
    mut poll: impl FnMut() -> P,
) -> P::Value {
    let deadline = Instant::now() + within;
    loop {
        let seen = match poll().done() {
            Ok(v) => return v,
            Err(seen) => seen,
        };
        if Instant::now() >= deadline {
            timed_out(within, what, seen);
        }
        std::thread::sleep(POLL);
    }
}

/// Waits for `child` to exit, `within` at most; past that it is killed and
/// the test fails, naming `what` and what `seen` says then (its output so
/// far, say).
pub fn exit_within<S: Display>(
    child: &mut Child,
    within: Duration,
    what: &str,
    mut seen: impl FnMut() -> S,
) -> std::process::ExitStatus {
    /// Kills the child when the wait fails, so no process outlives its test.
    struct KillOnPanic<'a>(&'a mut Child);
    impl Drop for KillOnPanic<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
    }
    let guard = KillOnPanic(child);
    wait_until_blocking(within, what, || {
        guard.0.try_wait().unwrap().ok_or_else(&mut seen)
    })
}

// -------------------------------------------------------------- redaction

/// Replaces run-specific values (ids, times, durations, temp paths) with
/// stable markers so snapshots compare.
pub fn redact(s: &str, tmp: Option<&Path>) -> String {
    let mut out = s.to_owned();
    if let Some(t) = tmp {
        out = out.replace(&t.display().to_string(), "<tmp>");
    }
    let mut result = String::with_capacity(out.len());
    for line in out.lines() {
        let mut l = line.to_owned();
        for (key, marker) in [
            ("\"runId\": \"", "<run-id>"),
            ("\"startedAt\": \"", "<time>"),
            ("\"finishedAt\": \"", "<time>"),
        ] {
            if let Some(i) = l.find(key) {
                let start = i + key.len();
                if let Some(end) = l[start..].find('"') {
                    l.replace_range(start..start + end, marker);
                }
            }
        }
        if let Some(i) = l.find("\"durationMs\": ") {
            let start = i + "\"durationMs\": ".len();
            let end = l[start..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(l.len(), |e| start + e);
            l.replace_range(start..end, "<ms>");
        }
        if let Some(i) = l.find(") in ") {
            l.replace_range(i + ") in ".len().., "<duration>");
        }
        result.push_str(&l);
        result.push('\n');
    }
    result
}

/// A drill's or rollout's human report (stdout) with what differs run to
/// run replaced by markers: durations (`<dur>`; how long each check took,
/// shown with `-v` unless under a millisecond, is left out), run ids, temp
/// paths, ports, the binary's path, the operator (`<user@host>`), and what
/// synthetic traffic measured.
///
/// Traffic depends on when requests happen to land: its counts become
/// `<n>` and `<pct>`; the checks judged on it (`outage`, `failed-over`,
/// `recovering`, `after`) keep their name but not their verdict, which
/// may be `skipped` when a phase got too few requests; and what appears
/// only when some request failed or landed in a phase (the outage window,
/// the per-phase lines, the note on what users saw) is left out.
pub fn redact_run(s: &str, live: Option<&LiveSim>) -> String {
    let mut s = redact(s, None);
    if let Some(live) = live {
        s = live.redact(&s);
    }
    let by = operator();
    s = s.replace(&format!("/{by}/"), "/<user@host>/");
    // Commands to paste name the binary by its path: this checkout's here.
    s = s.replace(env!("CARGO_BIN_EXE_ocfail"), "<ocfail>");
    let mut out = String::with_capacity(s.len());
    let mut in_traffic = false;
    for line in s.lines() {
        let traffic_start = line.starts_with("traffic: ");
        // The traffic line, then the outage window and the phase lines.
        in_traffic = traffic_start
            || (in_traffic && (line.starts_with("  ") || line.starts_with("outage window: ")));
        if (in_traffic && !traffic_start) || line.starts_with("note: users saw ") {
            continue;
        }
        let judged = ["outage", "failed-over", "recovering", "after"]
            .into_iter()
            .find(|c| line.starts_with(&format!("  - {c}: ")));
        let line = match judged {
            Some(check) => format!("  - {check}: <judged on synthetic traffic>"),
            // `(took 3ms)` is left out when a check took under a millisecond.
            None => counts(&durations(&run_ids(line))).replace(" (took <dur>)", ""),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `user@host` as ocfail writes it into a lock holder's identity.
fn operator() -> String {
    let holder = ocfail::ops::lock::Holder::new("x", "y");
    let s = holder.as_str();
    s.trim_start_matches("ocfail/x/")
        .trim_end_matches("/y")
        .to_owned()
}

/// `line` with `f` applied to its words (split at spaces, punctuation,
/// brackets and slashes, which stay); `None` keeps a word.
fn map_words(line: &str, f: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match f(word) {
            Some(w) => out.push_str(&w),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in line.chars() {
        if matches!(c, ' ' | ',' | ';' | '(' | ')' | '[' | ']' | '`' | ':' | '/') {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Run ids (`20261128t120000-0a1b2c`) become `<run-id>`; ids tests make up
/// (`…-dead01`) are not hex and stay.
fn run_ids(line: &str) -> String {
    map_words(line, |w| {
        let b = w.as_bytes();
        let id = b.len() == 22
            && b[..8].iter().all(u8::is_ascii_digit)
            && b[8] == b't'
            && b[9..15].iter().all(u8::is_ascii_digit)
            && b[15] == b'-'
            && b[16..]
                .iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c));
        id.then(|| "<run-id>".to_owned())
    })
}

/// Durations as ocfail prints them (`12ms`, `4.2s`, `34s`, `1m 33s`,
/// `1h 5m`) become `<dur>`.
fn durations(line: &str) -> String {
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let single = map_words(line, |w| {
        ["ms", "s", "m", "h"]
            .into_iter()
            .any(|unit| w.strip_suffix(unit).is_some_and(number))
            .then(|| "<dur>".to_owned())
    });
    // `1m 33s` became `<dur> <dur>`.
    single.replace("<dur> <dur>", "<dur>")
}

/// Traffic counts and rates become `<n>` and `<pct>`, and which regions
/// served how much (a region that answered nothing is not listed) becomes
/// `<regions>`.
fn counts(line: &str) -> String {
    let mut line = percentages(line);
    if let Some(i) = line
        .find("; served by ")
        .filter(|_| line.starts_with("traffic: "))
    {
        line.replace_range(i + "; served by ".len().., "<regions>");
    }
    let words: Vec<&str> = line.split(' ').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let out: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let next = words.get(i + 1).copied().unwrap_or("");
            let counted = ["requests", "errors", "synthetic", "failed"]
                .iter()
                .any(|n| next.starts_with(n));
            if counted && digits(w) {
                "<n>".to_owned()
            } else if counted && w.starts_with('(') && digits(&w[1..]) {
                "(<n>".to_owned()
            } else {
                (*w).to_owned()
            }
        })
        .collect();
    out.join(" ")
}

/// `0.00%`, `5%` anywhere in `line` become `<pct>`.
fn percentages(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut number = String::new();
    for c in line.chars() {
        if c.is_ascii_digit() || (c == '.' && !number.is_empty()) {
            number.push(c);
            continue;
        }
        if c == '%' && !number.is_empty() {
            out.push_str("<pct>");
        } else {
            out.push_str(&number);
            out.push(c);
        }
        number.clear();
    }
    out.push_str(&number);
    out
}

// ------------------------------------------------------------------ tools

/// kubectl's path. Missing kubectl fails the test in CI and is a loud skip
/// elsewhere (a developer machine without it can still run the rest).
pub fn kubectl_or_skip() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin/kubectl");
    if path.exists() {
        return Some(path);
    }
    tool_or_skip(
        "kubectl",
        "kubectl is required in CI (expected /usr/bin/kubectl)",
    )
}

/// A shell's path (`bash`, `zsh`, `fish`), for checking the completion
/// scripts with it: required in CI (.ci/run installs them), a loud skip
/// elsewhere.
pub fn shell_or_skip(name: &str) -> Option<PathBuf> {
    tool_or_skip(
        name,
        &format!("{name} is required in CI to check its completion script (.ci/run installs it)"),
    )
}

/// `name` on the PATH; when missing, a failure under `CI` (saying `in_ci`)
/// and a warning and `None` elsewhere.
pub fn tool_or_skip(name: &str, in_ci: &str) -> Option<PathBuf> {
    let found = which(name);
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "{in_ci}");
        eprintln!("WARNING: {name} not found; skipping a test that needs it");
    }
    found
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// A distinctive token: tests assert it never appears in any output.
pub const SECRET_TOKEN: &str = "tok-0c7a1e-never-print-me";

/// Replaces `from` (which must be there) with `to` in the file at `path`.
#[track_caller]
pub fn edit_file(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "no `{from}` in {}:\n{text}",
        path.display()
    );
    std::fs::write(path, text.replace(from, to)).unwrap();
}

// --------------------------------------------------------------- launcher

/// Which fleet a [`Launch`] simulates.
#[derive(Clone, Debug)]
enum Fleet {
    /// fixtures/fleet.yaml: three regions.
    Seed,
    /// `manifest::synthetic::fleet_yaml(n)`: `n` regions.
    Synthetic(usize),
}

/// How a test's simulator starts: which fleet, the simulator's options,
/// and edits to the manifest it writes. [`Launch::start`] runs it in the
/// test's process ([`LiveSim`]), [`Launch::spawn`] as `ocfail sim`
/// ([`SimProcess`]).
#[derive(Clone, Debug)]
pub struct Launch {
    fleet: Fleet,
    options: SimOptions,
    edits: Vec<(String, String)>,
}

impl Launch {
    /// The seed fleet with [`SimOptions::fast`].
    pub fn seed() -> Launch {
        Launch {
            fleet: Fleet::Seed,
            options: SimOptions::fast(),
            edits: Vec::new(),
        }
    }

    /// A synthetic fleet of `n` regions with [`SimOptions::fast`].
    pub fn regions(n: usize) -> Launch {
        Launch {
            fleet: Fleet::Synthetic(n),
            ..Launch::seed()
        }
    }

    /// Other simulator options.
    pub fn options(mut self, options: SimOptions) -> Launch {
        self.options = options;
        self
    }

    /// Replaces `from` (which must be there) with `to` in the written
    /// fleet manifest, in the order the edits were given.
    pub fn edit(mut self, from: &str, to: &str) -> Launch {
        self.edits.push((from.to_owned(), to.to_owned()));
        self
    }

    /// Short rollout timings (verify for 500 ms, ready within 3 s), so a
    /// whole rollout takes a couple of seconds.
    pub fn quick_rollout(self) -> Launch {
        self.edit("verifyFor: 3s", "verifyFor: 500ms")
            .edit("readyTimeout: 1m", "readyTimeout: 3s")
    }

    fn manifest(&self) -> ocfail::manifest::Fleet {
        match self.fleet {
            Fleet::Seed => ocfail::manifest::seed_fleet(),
            Fleet::Synthetic(n) => ocfail::manifest::parse_str(
                &format!("fleet-{n}.yaml"),
                &ocfail::manifest::synthetic::fleet_yaml(n),
            )
            .unwrap(),
        }
    }

    /// Starts the simulator in this process and writes its kubeconfig and
    /// fleet to a temp dir.
    pub async fn start(self) -> LiveSim {
        ocfail::install_crypto_provider();
        let sim = ocfail::sim::Sim::start(&self.manifest(), self.options)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        sim.write_files(dir.path()).unwrap();
        let live = LiveSim { sim, dir };
        for (from, to) in &self.edits {
            live.edit(from, to);
        }
        live
    }

    /// Starts `ocfail sim` as a process of its own, its options as flags,
    /// and waits until it has written its files and answers on its admin
    /// port.
    pub fn spawn(self) -> SimProcess {
        let o = &self.options;
        let cli = SimOptions::default();
        assert_eq!(
            (o.controller_tick, o.initial_replicas, &o.initial_image),
            (
                cli.controller_tick,
                cli.initial_replicas,
                &cli.initial_image
            ),
            "ocfail sim has no flags for these: they stay its defaults"
        );
        let dir = tempfile::tempdir().unwrap();
        let manifest = match self.fleet {
            Fleet::Seed => root().join("fixtures/fleet.yaml"),
            Fleet::Synthetic(n) => {
                let path = dir.path().join(format!("source-{n}.yaml"));
                std::fs::write(&path, ocfail::manifest::synthetic::fleet_yaml(n)).unwrap();
                path
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let ms = |d: Duration| format!("{}ms", d.as_millis());
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ocfail"));
        cmd.arg("sim")
            .arg("-f")
            .arg(&manifest)
            .arg("--out")
            .arg(dir.path())
            .args(["--monitor-interval", &ms(o.monitor_interval)])
            .args(["--monitor-timeout", &ms(o.monitor_timeout)])
            .args(["--monitor-retries", &o.monitor_retries.to_string()])
            .args(["--consecutive-down", &o.consecutive_down.to_string()])
            .args(["--consecutive-up", &o.consecutive_up.to_string()])
            .args(["--rollout-delay", &ms(o.rollout_delay)])
            .args(["--admin-port", &port.to_string()])
            .current_dir(root())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if o.failover_across_pools {
            cmd.arg("--failover-across-pools");
        }
        let sim = SimProcess {
            child: cmd.spawn().unwrap(),
            dir,
            admin: format!("127.0.0.1:{port}"),
        };
        wait_until_blocking(Duration::from_secs(30), "ocfail sim to start", || {
            sim.fleet().exists() && std::net::TcpStream::connect(&sim.admin).is_ok()
        });
        for (from, to) in &self.edits {
            edit_file(&sim.fleet(), from, to);
        }
        sim
    }
}

/// A simulator started in-process, with its kubeconfig and fleet written to
/// a temp dir, for running the binary against it.
pub struct LiveSim {
    /// The running simulator.
    pub sim: SimHandle,
    /// Holds `kubeconfig` and `fleet.yaml`.
    pub dir: tempfile::TempDir,
}

impl LiveSim {
    /// Starts the seed fleet's simulator with fast timings: [`Launch::seed`].
    pub async fn start() -> LiveSim {
        Launch::seed().start().await
    }

    /// The written fleet.
    pub fn fleet(&self) -> PathBuf {
        self.dir.path().join("fleet.yaml")
    }

    /// The written kubeconfig.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// Replaces `from` (which must be there) with `to` in the written fleet.
    #[track_caller]
    pub fn edit(&self, from: &str, to: &str) {
        edit_file(&self.fleet(), from, to);
    }

    /// The written fleet, loaded.
    pub fn manifest(&self) -> ocfail::manifest::Fleet {
        ocfail::manifest::load(&self.fleet()).unwrap()
    }

    /// Runs `ocfail -f <fleet> ARGS` with the secret token, off the async
    /// runtime; asserts the token appears in no output.
    pub async fn run(&self, args: &[&str]) -> std::process::Output {
        self.run_with_token(args, SECRET_TOKEN).await
    }

    /// Like [`LiveSim::run`] with another Cloudflare token.
    pub async fn run_with_token(&self, args: &[&str], token: &str) -> std::process::Output {
        let mut cmd = ocfail();
        cmd.arg("-f")
            .arg(self.fleet())
            .args(args)
            .env("CLOUDFLARE_API_TOKEN", token);
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        for stream in [&out.stdout, &out.stderr] {
            assert!(
                !text(stream).contains(SECRET_TOKEN),
                "the token leaked into the output:\n{}",
                text(stream)
            );
        }
        out
    }

    // ------------------------------------------------------------ clients

    /// ocfail's Kubernetes client for `region`, through the written
    /// kubeconfig (HTTPS), with a 5 s request timeout.
    pub async fn client(&self, region: &str) -> KubeRegion {
        self.client_as(region, None, Duration::from_secs(5)).await
    }

    /// Like [`LiveSim::client`], authenticating with `token` (`None`: the
    /// kubeconfig's own) and with `timeout`.
    pub async fn client_as(
        &self,
        region: &str,
        token: Option<&str>,
        timeout: Duration,
    ) -> KubeRegion {
        ocfail::install_crypto_provider();
        let kubeconfig = match token {
            None => self.kubeconfig(),
            Some(t) => self.kubeconfig_with_token(region, t),
        };
        let fleet = self.sim.sim_fleet(Some(&kubeconfig));
        let r = fleet.region(region).unwrap();
        KubeRegion::connect(r, Some(&kubeconfig), timeout)
            .await
            .unwrap()
    }

    /// Every region's client, in manifest order.
    pub async fn clients(&self) -> Vec<KubeRegion> {
        let mut out = Vec::new();
        for r in &self.sim.world().fleet.regions {
            out.push(self.client(r.name.as_str()).await);
        }
        out
    }

    /// A copy of the kubeconfig whose user for `region` authenticates with
    /// `token` (the simulator knows `read-only` and `invalid`).
    pub fn kubeconfig_with_token(&self, region: &str, token: &str) -> PathBuf {
        let path = self.dir.path().join(format!("kubeconfig-{region}-{token}"));
        std::fs::copy(self.kubeconfig(), &path).unwrap();
        edit_file(
            &path,
            &format!("token: sim-token-{region}"),
            &format!("token: {token}"),
        );
        path
    }

    /// A client for the simulator's Cloudflare v4 API.
    pub fn cloudflare(&self) -> Cf {
        Cf::new(&self.sim)
    }

    /// Creates an autoscaling/v2 HPA called `target` (min 2, max 5) for the
    /// Deployment `target` in `region`, and waits until the simulator's HPA
    /// controller reports it active. ocfail never creates HPAs, so the
    /// Workloads trait has no call for it: this uses the kube client
    /// underneath, as kubectl would.
    pub async fn create_hpa(&self, region: &str, target: &str) {
        let k = self.client(region).await;
        let hpas: kube::api::Api<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler> =
            kube::api::Api::namespaced(k.client().clone(), &k.namespace);
        let hpa = serde_json::from_value(serde_json::json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": target},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                "minReplicas": 2,
                "maxReplicas": 5
            }
        }))
        .unwrap();
        hpas.create(&kube::api::PostParams::default(), &hpa)
            .await
            .unwrap();
        self.until_hpa(region, target, Some(true)).await;
    }

    /// Waits (10 s at most) until the HPA `name` in `region`, read through
    /// the real client, has `ScalingActive` `active`.
    pub async fn until_hpa(&self, region: &str, name: &str, active: Option<bool>) {
        use ocfail::kube::Workloads;
        let k = self.client(region).await;
        let what = format!("HPA {name} to reach ScalingActive {active:?}");
        wait_until(Duration::from_secs(10), &what, || async {
            let hpas = k.hpas().await.unwrap();
            if hpas
                .iter()
                .any(|h| h.name == name && h.scaling_active == active)
            {
                Ok(())
            } else {
                Err(format!("{hpas:?}"))
            }
        })
        .await;
    }

    /// Replaces ports and temp paths so snapshots compare.
    pub fn redact(&self, s: &str) -> String {
        let mut out = s.replace(&self.dir.path().display().to_string(), "<tmp>");
        // 127.0.0.1:PORT → 127.0.0.1:<port>
        while let Some(i) = out.find("127.0.0.1:") {
            let start = i + "127.0.0.1:".len();
            let end = out[start..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(out.len(), |e| start + e);
            out.replace_range(i..end, "127.0.0.1<port>");
        }
        out.replace("127.0.0.1<port>", "127.0.0.1:<port>")
    }
}

/// `ocfail sim` running as a process of its own (see [`Launch::spawn`]),
/// killed when dropped.
pub struct SimProcess {
    child: Child,
    /// Holds the `kubeconfig` and `fleet.yaml` it wrote.
    pub dir: tempfile::TempDir,
    /// `127.0.0.1:PORT` of its admin API.
    admin: String,
}

impl SimProcess {
    /// The written fleet.
    pub fn fleet(&self) -> PathBuf {
        self.dir.path().join("fleet.yaml")
    }

    /// The written kubeconfig.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// Replaces `from` (which must be there) with `to` in the written fleet.
    #[track_caller]
    pub fn edit(&self, from: &str, to: &str) {
        edit_file(&self.fleet(), from, to);
    }

    /// One request to the admin API, in plain HTTP/1.1 on loopback (the
    /// tests that spawn the simulator are synchronous, like the processes
    /// they drive): the status and the body.
    pub fn admin(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(&self.admin).unwrap();
        write!(
            conn,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// `PUT /_sim/faults/origin/REGION` (`None` clears it).
    pub fn origin_fault(&self, region: &str, status: Option<u16>) {
        let path = format!("/_sim/faults/origin/{region}");
        let (code, answer) = match status {
            Some(s) => self.admin(
                "PUT",
                &path,
                &format!(r#"{{"unreachable":true,"status":{s}}}"#),
            ),
            None => self.admin("DELETE", &path, ""),
        };
        assert!((200..300).contains(&code), "{path}: {code} {answer}");
    }

    /// Waits (60 s at most) until the simulator has logged `kind` in
    /// `region` at least `nth` times, e.g. the second `deployment-scaled`
    /// of us-east-1: a drill's restore.
    pub fn wait_event(&self, kind: &str, region: &str, nth: usize) {
        let what = format!("the simulator to log {kind} #{nth} in {region}");
        wait_until_blocking(Duration::from_secs(60), &what, || {
            let (_, body) = self.admin("GET", "/_sim/events", "");
            // The body may be chunked; the JSON array is its one line.
            let events: Vec<Value> = body
                .lines()
                .find_map(|l| serde_json::from_str(l).ok())
                .unwrap_or_default();
            events
                .iter()
                .filter(|e| e["kind"] == kind && e["region"] == region)
                .count()
                >= nth
        });
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The kube crate's own client for `region` of `sim` (HTTPS with the
/// simulator's CA), authenticating with `token`: for what ocfail's client
/// does not do.
pub async fn kube_client(sim: &SimHandle, region: &str, token: &str) -> kube::Client {
    ocfail::install_crypto_provider();
    let yaml = sim.kubeconfig_yaml().replace(
        &format!("token: sim-token-{region}"),
        &format!("token: {token}"),
    );
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&yaml).unwrap();
    let options = kube::config::KubeConfigOptions {
        context: Some(format!("prod-{region}")),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

/// A plain HTTP client with `timeout` (reqwest needs the process's rustls
/// provider).
pub fn http(timeout: Duration) -> reqwest::Client {
    ocfail::install_crypto_provider();
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

/// A tiny client for the simulator's Cloudflare v4 API: method, path
/// under `/client/v4`, optional JSON body, token.
pub struct Cf {
    /// The API's base URL.
    pub base: String,
    /// The HTTP client (5 s timeout).
    pub http: reqwest::Client,
}

impl Cf {
    /// A client for `sim`'s Cloudflare API.
    pub fn new(sim: &SimHandle) -> Self {
        Cf {
            base: sim.cloudflare_url(),
            http: http(Duration::from_secs(5)),
        }
    }

    /// One call: the status, the headers and the JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        (status, headers, v)
    }

    /// A call that must succeed (200, `success: true`): its envelope.
    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, _, v) = self.call(method, path, body, Some("sim-token")).await;
        assert_eq!(status, 200, "{path}: {v:#}");
        assert_envelope(&v, true);
        v
    }

    /// A call that must fail (`success: false`): its status and envelope.
    pub async fn fail(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let (status, _, v) = self.call(method, path, body, token).await;
        assert_envelope(&v, false);
        (status, v)
    }
}

/// `v` is a v4 envelope with `success` as given (and, when failed, errors
/// and a null result).
pub fn assert_envelope(v: &Value, success: bool) {
    for key in ["success", "errors", "messages", "result"] {
        assert!(v.get(key).is_some(), "envelope lacks `{key}`: {v:#}");
    }
    assert_eq!(v["success"], success, "{v:#}");
    if !success {
        assert_eq!(v["result"], Value::Null);
        assert!(!v["errors"].as_array().unwrap().is_empty());
    }
}

/// The test venv's python (tests/python/venv.sh): required in CI, a loud
/// skip elsewhere.
pub fn python_venv() -> Option<std::path::PathBuf> {
    let out = std::process::Command::new("bash")
        .arg(root().join("tests/python/venv.sh"))
        .output();
    let unusable = |why: String| {
        assert!(
            std::env::var_os("CI").is_none(),
            "the Python checks cannot run in CI: {why}"
        );
        eprintln!("WARNING: skipping a Python check: {why}");
        None
    };
    match out {
        Ok(o) if o.status.success() => {
            let stdout = String::from_utf8_lossy(&o.stdout);
            stdout.lines().last().map(|l| l.trim().into())
        }
        Ok(o) => unusable(format!(
            "tests/python/venv.sh exited with {}: {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(e) => unusable(format!("cannot run bash: {e}")),
    }
}

/// Runs a command ocfail printed for a human to paste (plus `extra`), the
/// way one would: `sh -c` in another, empty directory, with the token in
/// the environment and no `KUBECONFIG`, so it works only if it carries
/// every path it needs.
pub fn run_pasted(command: &str, extra: &str) -> std::process::Output {
    let elsewhere = tempfile::tempdir().unwrap();
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{command} {extra}"))
        .current_dir(elsewhere.path())
        .env("CLOUDFLARE_API_TOKEN", SECRET_TOKEN)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap()
}

/// The text between the first pair of backticks after `after` in `text`:
/// a command ocfail printed, e.g. "run `ocfail … restore --region R`".
pub fn quoted_after<'a>(text: &'a str, after: &str) -> &'a str {
    let from = text
        .find(after)
        .unwrap_or_else(|| panic!("no {after:?} in {text}"));
    let rest = &text[from + after.len()..];
    let start = rest
        .find('`')
        .unwrap_or_else(|| panic!("no command after {after:?}: {rest}"))
        + 1;
    let len = rest[start..]
        .find('`')
        .unwrap_or_else(|| panic!("unterminated command: {rest}"));
    &rest[start..start + len]
}

#[test]
fn redact_run_keeps_the_words_and_drops_what_varies() {
    let report = "\
REGION          VERDICT  SUMMARY
us-east-1       pass     pass: unhealthy after 258ms, traffic moved after 1.2s, recovered after 1m 33s
eu-central-1    pass     took the traffic

us-east-1:
  - restore ready: pass — 3/3 ready after 253ms (took 260ms)
  - outage: pass — no synthetic request failed between the injection and the move
  - recovering: skipped — only 2 requests (0 failed): too few to judge, 20 needed
eu-central-1:
  - took-traffic: pass — answered 27 synthetic requests while us-east-1 was down

traffic: 54 requests, 1 errors (1.85%), p50 1ms, p99 2ms; served by eu-central-1 27, us-east-1 27
outage window: 120ms (1 requests lost), from 5ms to 125ms after the injection; traffic moved after 199ms; maxOutage 34s
  steady          1 requests,    0 errors (0.00%), p50 2ms, p99 2ms
  recovering      2 requests,    0 errors (0.00%), p50 1ms, p99 1ms
note: users saw 503 for 120ms (1 requests)
note: run 20261202t073909-064fa5 held the lock

verdict: pass (exit 0) in 10.9s
";
    let want = "\
REGION          VERDICT  SUMMARY
us-east-1       pass     pass: unhealthy after <dur>, traffic moved after <dur>, recovered after <dur>
eu-central-1    pass     took the traffic

us-east-1:
  - restore ready: pass — 3/3 ready after <dur>
  - outage: <judged on synthetic traffic>
  - recovering: <judged on synthetic traffic>
eu-central-1:
  - took-traffic: pass — answered <n> synthetic requests while us-east-1 was down

traffic: <n> requests, <n> errors (<pct>), p50 <dur>, p99 <dur>; served by <regions>
note: run <run-id> held the lock

verdict: pass (exit 0) in <duration>
";
    assert_eq!(redact_run(report, None), want);
}
