//! `ocfail sim` as a user runs it: it starts, writes a kubeconfig and a
//! fleet pointed at itself, kubectl works with them, and Ctrl-C stops it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ocfail::exit_code;

use crate::util::{exit, exit_within, kubectl_or_skip, ocfail, text};

#[test]
fn sim_writes_working_files_and_stops_on_ctrl_c() {
    let Some(kubectl) = kubectl_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ocfail"))
        .args(["sim", "--out"])
        .arg(dir.path())
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("OCFAIL_FLEET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut banner = Vec::new();
    while !banner.iter().any(|l: &String| l.contains("press Ctrl-C")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => banner.push(l),
            Err(_) => {
                let _ = child.kill();
                panic!("no banner within 20s: {banner:?}");
            }
        }
    }
    assert!(banner[0].contains("built-in seed fleet"), "{banner:?}");

    let kubeconfig = dir.path().join("kubeconfig");
    let out = Command::new(&kubectl)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args([
            "--context",
            "prod-us-east-1",
            "-n",
            "us-east-1",
            "get",
            "deploy",
            "--request-timeout=10s",
        ])
        .output()
        .unwrap();
    let listing = text(&out.stdout);
    assert!(
        out.status.success(),
        "kubectl failed: {}",
        text(&out.stderr)
    );
    assert!(
        listing.contains("openclaw-api-blue") && listing.contains("openclaw-api-green"),
        "{listing}"
    );

    // The written fleet is a valid manifest pointing at the simulator.
    let out = ocfail()
        .arg("validate")
        .arg("-f")
        .arg(dir.path().join("fleet.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = exit_within(
        &mut child,
        Duration::from_secs(10),
        "ocfail sim to stop after Ctrl-C",
        || "still running",
    );
    assert_eq!(status.code(), exit(exit_code::OK));
}

#[test]
fn sim_refuses_a_fault_on_an_unknown_region() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--kube-refuse", "--origin-unreachable"] {
        let out = ocfail()
            .current_dir(dir.path())
            .args(["sim", flag, "mars-1"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), exit(exit_code::USAGE), "{flag}");
        let err = text(&out.stderr);
        assert!(
            err.contains("region `mars-1`") && err.contains("us-east-1"),
            "{flag}: {err}"
        );
    }
}

#[test]
fn sim_refuses_a_rate_that_is_not_a_fraction() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            ["--kube-error-rate", "us-east-1=5"],
            "`5` is not a fraction between 0 and 1; for 5% write 0.05 or 5%",
        ),
        (
            ["--kube-write-error-rate", "us-east-1=-0.5"],
            "`-0.5` is not a fraction between 0 and 1",
        ),
        (
            ["--cloudflare-error-rate", "NaN"],
            "`NaN` is not a fraction between 0 and 1",
        ),
        (
            ["--cloudflare-error-rate", "150%"],
            "`150%` is outside 0%..100%",
        ),
    ] {
        let out = ocfail()
            .current_dir(dir.path())
            .arg("sim")
            .args(args)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), exit(exit_code::USAGE), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
