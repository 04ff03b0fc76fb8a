//! Shared helpers: a command builder and output redaction for snapshots.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

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
fn tool_or_skip(name: &str, in_ci: &str) -> Option<PathBuf> {
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

/// A simulator started in-process, with its kubeconfig and fleet written to
/// a temp dir, for running the binary against it.
pub struct LiveSim {
    /// The running simulator.
    pub sim: ocfail::sim::SimHandle,
    /// Holds `kubeconfig` and `fleet.yaml`.
    pub dir: tempfile::TempDir,
}

impl LiveSim {
    /// Starts the seed fleet's simulator with fast timings.
    pub async fn start() -> LiveSim {
        LiveSim::start_with(ocfail::sim::SimOptions::fast()).await
    }

    /// Starts the seed fleet's simulator with `options`.
    pub async fn start_with(options: ocfail::sim::SimOptions) -> LiveSim {
        let fleet = ocfail::manifest::seed_fleet();
        let sim = ocfail::sim::Sim::start(&fleet, options).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        sim.write_files(dir.path()).unwrap();
        LiveSim { sim, dir }
    }

    /// The written fleet.
    pub fn fleet(&self) -> PathBuf {
        self.dir.path().join("fleet.yaml")
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

    /// A Kubernetes client for `region`, through the written kubeconfig (HTTPS).
    pub async fn client(&self, region: &str) -> ocfail::kube::KubeRegion {
        ocfail::install_crypto_provider();
        let kubeconfig = self.dir.path().join("kubeconfig");
        let fleet = self.sim.sim_fleet(Some(&kubeconfig));
        let r = fleet.region(region).unwrap();
        ocfail::kube::KubeRegion::connect(r, Some(&kubeconfig), std::time::Duration::from_secs(5))
            .await
            .unwrap()
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

    /// Polls the HPA `name` in `region` through the real client until its
    /// `ScalingActive` is `active` (10 s at most).
    pub async fn until_hpa(&self, region: &str, name: &str, active: Option<bool>) {
        use ocfail::kube::Workloads;
        let k = self.client(region).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let hpas = k.hpas().await.unwrap();
            if hpas
                .iter()
                .any(|h| h.name == name && h.scaling_active == active)
            {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "HPA {name} never reached ScalingActive {active:?}: {hpas:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Polls `check` every 20 ms until it is true or `secs` pass.
    pub async fn until(&self, secs: u64, what: &str, check: impl Fn(&ocfail::sim::World) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while !check(self.sim.world()) {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
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
