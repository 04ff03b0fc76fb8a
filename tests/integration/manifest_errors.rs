//! Every broken manifest in `fixtures/invalid/` is refused with exit code 2
//! and a located, actionable message; its stderr is snapshotted.

use ocfail::exit_code;

use crate::util::{exit, ocfail, text};

#[test]
fn invalid_manifests_are_refused_with_located_messages() {
    insta::glob!("../../fixtures/invalid", "*.yaml", |path| {
        let out = ocfail()
            .arg("validate")
            .arg("-f")
            .arg(path)
            .output()
            .unwrap();
        let stderr =
            text(&out.stderr).replace(&crate::util::root().display().to_string(), "<root>");
        let name = path.file_name().unwrap().to_string_lossy().to_string();

        assert_eq!(
            out.status.code(),
            exit(exit_code::USAGE),
            "{name}: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "{name}: nothing on stdout in human mode"
        );
        for bad in [
            "panicked",
            "RUST_BACKTRACE",
            "Error {",
            "error: Error",
            "Some(",
            "Location {",
        ] {
            assert!(
                !stderr.contains(bad),
                "{name}: stderr shows `{bad}`:\n{stderr}"
            );
        }
        let problems: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("error: ") && !l.starts_with("error: failed to"))
            .collect();
        assert!(
            !problems.is_empty(),
            "{name}: no problem reported:\n{stderr}"
        );
        if name != "empty.yaml" {
            for p in &problems {
                let loc = p.trim_start_matches("error: ");
                let mut parts = loc.splitn(4, ':');
                let (_file, line, col) = (parts.next(), parts.next(), parts.next());
                assert!(
                    line.is_some_and(|l| l.parse::<u32>().is_ok())
                        && col.is_some_and(|c| c.parse::<u32>().is_ok()),
                    "{name}: `{p}` is not file:line:col"
                );
            }
        }
        assert!(stderr.contains("hint:"), "{name}: no hint:\n{stderr}");

        insta::assert_snapshot!(format!("exit code: {:?}\n{stderr}", out.status.code()));
    });
}

#[test]
fn three_problem_file_reports_all_three() {
    let out = ocfail()
        .args(["validate", "-f", "fixtures/invalid/three-problems.yaml"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    let problems = stderr
        .lines()
        .filter(|l| l.starts_with("error: fixtures/invalid/three-problems.yaml:"))
        .count();
    assert_eq!(problems, 3, "{stderr}");
    assert!(stderr.contains("3 problems"), "{stderr}");
}

#[test]
fn inline_secret_is_never_repeated() {
    let out = ocfail()
        .args([
            "validate",
            "-f",
            "fixtures/invalid/inline-secret.yaml",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    for stream in [text(&out.stderr), text(&out.stdout)] {
        assert!(!stream.contains("s3cr3t"), "{stream}");
        assert!(!stream.contains("e24fd090c02"), "{stream}");
    }
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let start = std::time::Instant::now();
    let out = ocfail()
        .args(["validate", "-f", "fixtures/invalid/billion-laughs.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    assert!(text(&out.stderr).contains("alias"), "{}", text(&out.stderr));
    // Not a timing assertion on our speed, a guard against expanding 10^10 nodes.
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn the_prometheus_fixture_is_valid() {
    let out = ocfail()
        .args(["validate", "-f", "fixtures/fleet-prometheus.yaml"])
        .output()
        .unwrap();
    crate::util::exited(&out, exit_code::OK);
}

#[test]
fn a_broken_guard_query_is_refused_at_its_line_and_column() {
    let fixture =
        std::fs::read_to_string(crate::util::root().join("fixtures/fleet-prometheus.yaml"))
            .unwrap();
    let good = "'sum(rate(openclaw_requests_total{region={drilled}}[1m]))'";
    let bad = "'sum(rate(openclaw_requests_total{region={drilled}}[1m])'";
    assert_eq!(fixture.matches(good).count(), 1);
    let broken = fixture.replace(good, bad);
    let at = broken.find(bad).unwrap();
    let line = broken[..at].matches('\n').count() + 1;
    let column = at - broken[..at].rfind('\n').unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("fleet-prometheus.yaml");
    std::fs::write(&path, broken).unwrap();
    let out = ocfail()
        .arg("validate")
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), exit(exit_code::USAGE), "{stderr}");
    let want = format!(
        "fleet-prometheus.yaml:{line}:{column}: drill.guards[2].query: the query is not valid PromQL"
    );
    assert!(stderr.contains(&want), "want `{want}` in:\n{stderr}");
    assert_eq!(
        stderr.matches("error: ").count(),
        2,
        "one problem and the summary:\n{stderr}"
    );
}
