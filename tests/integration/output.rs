//! stdout and stderr as the process sees them: a reader that goes away
//! (`| head`, a closed terminal) changes neither the work nor the exit
//! code, and `--color`/`NO_COLOR` govern every line, logs included.

use std::process::{Child, Output, Stdio};
use std::time::Duration;

use ocfail::exit_code;

use crate::util::{exit, exit_within, root, text};

/// `ocfail` as [`crate::util::ocfail`] sets it up, as a plain
/// `std::process::Command` so its stdout and stderr can be any pipe.
fn ocfail() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ocfail"));
    cmd.current_dir(root())
        .env_remove("OCFAIL_FLEET")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("RUST_LOG")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env("NO_COLOR", "1");
    cmd
}

/// The write end of a pipe whose read end is already closed: every write
/// fails with EPIPE, as `ocfail … | head -c0` does once head has exited.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// Waits for `child` for at most `limit`, killing it (and failing) after.
fn finish_within(mut child: Child, limit: Duration) -> Output {
    exit_within(&mut child, limit, "ocfail to finish", || "still running");
    child.wait_with_output().unwrap()
}

#[track_caller]
fn assert_no_panic(args: &[&str], stderr: &[u8]) {
    let stderr = text(stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("failed to write"),
        "{args:?}: {stderr}"
    );
}

#[test]
fn a_closed_stdout_keeps_the_exit_code_of_the_result() {
    for args in [
        &["validate", "-f", "fixtures/fleet.yaml"][..],
        &["validate", "-f", "fixtures/fleet.yaml", "-o", "jsonl"],
        &["completions", "bash"],
        &["--sim", "status"],
        &["--sim", "-o", "json", "status"],
    ] {
        let open = ocfail().args(args).output().unwrap();
        let closed = ocfail()
            .args(args)
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            open.status.code(),
            exit(exit_code::OK),
            "{args:?}: {}",
            text(&open.stderr)
        );
        assert_eq!(
            closed.status.code(),
            open.status.code(),
            "{args:?}: {}",
            text(&closed.stderr)
        );
        assert_no_panic(args, &closed.stderr);
    }
}

#[test]
fn closed_stdout_and_stderr_neither_panic_nor_fail() {
    // Progress lines, verbose check lines and debug logs all hit the closed stderr.
    let args = ["--sim", "-v", "status"];
    let out = ocfail()
        .args(args)
        .env("RUST_LOG", "ocfail=debug")
        .stdout(closed_pipe())
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "101 would be a panic"
    );
}

#[test]
fn a_closed_stdout_keeps_a_failing_exit_code_too() {
    // The JSON report of an invalid manifest goes to the closed stdout; the
    // problems still reach stderr and the code stays 2.
    let args = [
        "validate",
        "-f",
        "fixtures/invalid/three-problems.yaml",
        "-o",
        "json",
    ];
    let closed = ocfail().args(args).stdout(closed_pipe()).output().unwrap();
    let stderr = text(&closed.stderr);
    assert_eq!(closed.status.code(), exit(exit_code::USAGE), "{stderr}");
    assert_eq!(
        stderr.matches("error:").count(),
        4,
        "three problems and the summary: {stderr}"
    );
    assert_no_panic(&args, &closed.stderr);
}

#[test]
fn status_watch_ends_when_nobody_reads_it() {
    let child = ocfail()
        .args(["--sim", "status", "--watch", "--interval", "1s"])
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish_within(child, Duration::from_secs(30));
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
    assert_no_panic(&["status", "--watch"], &out.stderr);
}

/// Whether any ANSI escape sequence is in `bytes`.
fn has_escapes(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w == b"\x1b[")
}

#[test]
fn color_never_and_no_color_leave_progress_and_log_lines_plain() {
    // CI=true and no NO_COLOR, as in a CI job; debug logs make tracing write too.
    let run = |extra: &[&str], no_color: bool| {
        let mut cmd = ocfail();
        cmd.args(["--sim", "-v", "status"])
            .args(extra)
            .env("CI", "true")
            .env("RUST_LOG", "ocfail=debug")
            .env_remove("NO_COLOR");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            exit(exit_code::OK),
            "{}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("DEBUG"),
            "log lines were written: {}",
            text(&out.stderr)
        );
        out
    };
    for (extra, no_color) in [
        (&["--color", "never"][..], false),
        (&["--color", "auto"], false),
        (&[], true),
    ] {
        let out = run(extra, no_color);
        for stream in [&out.stdout, &out.stderr] {
            assert!(
                !has_escapes(stream),
                "{extra:?} NO_COLOR={no_color}: {:?}",
                text(stream)
            );
        }
    }
    // The flag is followed both ways: `always` colours the logs even in a pipe.
    let out = run(&["--color", "always"], false);
    assert!(has_escapes(&out.stderr), "{}", text(&out.stderr));
}
