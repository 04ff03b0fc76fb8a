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
    let found = if path.exists() {
        Some(path)
    } else {
        which("kubectl")
    };
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is required in CI (expected /usr/bin/kubectl)"
        );
        eprintln!("WARNING: kubectl not found; skipping a kubectl fidelity test");
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
