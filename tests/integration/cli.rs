//! `ocfail validate` end to end: tables, JSON, JUnit, step summaries, and
//! what a user sees when no manifest can be found.

use ocfail::exit_code;

use crate::util::{exit, ocfail, redact, text};

#[test]
fn validate_seed_fleet_prints_a_table_of_three_regions() {
    let out = ocfail()
        .args(["validate", "-f", "fixtures/fleet.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    for region in ["us-east-1", "eu-central-1", "ap-southeast-2"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(region) && l.contains("pass")),
            "{stdout}"
        );
    }
    insta::assert_snapshot!("validate_human", redact(&stdout, None));
}

#[test]
fn validate_json_is_one_document_with_the_contract_fields() {
    let out = ocfail()
        .args(["validate", "-f", "fixtures/fleet.yaml", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::OK));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is exactly one JSON document");
    assert_eq!(doc["schema"], "ocfail.dev/report/v1");
    assert_eq!(doc["command"], "validate");
    assert_eq!(doc["verdict"], "pass");
    assert_eq!(doc["exitCode"], 0);
    assert_eq!(doc["regions"].as_array().unwrap().len(), 3);
    insta::assert_snapshot!("validate_json", redact(&text(&out.stdout), None));
}

#[test]
fn validate_jsonl_is_a_stream_ending_with_the_report() {
    let out = ocfail()
        .args(["validate", "-f", "fixtures/fleet.yaml", "-o", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::OK));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.first().unwrap()["type"], "runStarted");
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "runFinished");
    assert_eq!(last["report"]["verdict"], "pass");
}

#[test]
fn invalid_manifest_in_json_mode_still_reports_with_exit_code_2() {
    let out = ocfail()
        .args([
            "validate",
            "-f",
            "fixtures/invalid/three-problems.yaml",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["exitCode"], 2);
    assert_eq!(doc["notes"].as_array().unwrap().len(), 3);
}

#[test]
fn junit_file_is_valid_xml_with_a_case_per_region_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.xml");
    let out = ocfail()
        .args(["validate", "-f", "fixtures/fleet.yaml", "--junit"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::OK));
    let xml = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit output is well-formed XML");
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 12, "3 regions x 4 checks");
    assert!(
        cases
            .iter()
            .any(|c| c.attribute("name") == Some("us-east-1/kubernetes"))
    );
}

#[test]
fn junit_into_a_missing_directory_is_a_clear_error() {
    let out = ocfail()
        .args([
            "validate",
            "-f",
            "fixtures/fleet.yaml",
            "--junit",
            "/nonexistent-dir/out.xml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    let err = text(&out.stderr);
    assert!(
        err.contains("error: failed to write JUnit report to /nonexistent-dir/out.xml"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn github_step_summary_gets_a_markdown_table_appended() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.md");
    std::fs::write(&path, "# earlier step\n").unwrap();
    let out = ocfail()
        .args(["validate", "-f", "fixtures/fleet.yaml"])
        .env("GITHUB_STEP_SUMMARY", &path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::OK));
    let md = std::fs::read_to_string(&path).unwrap();
    assert!(
        md.starts_with("# earlier step\n"),
        "appended, not overwritten: {md}"
    );
    assert!(md.contains("| Region | Verdict | Summary |"), "{md}");
    assert!(md.contains("| us-east-1 | pass |"), "{md}");
}

#[test]
fn missing_file_says_how_to_point_at_a_manifest() {
    let out = ocfail()
        .args(["validate", "-f", "missing.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!("validate_missing_file", text(&out.stderr));
}

#[test]
fn empty_directory_says_how_to_point_at_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = ocfail()
        .current_dir(dir.path())
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    let err = text(&out.stderr);
    assert!(
        err.contains("-f PATH") && err.contains("OCFAIL_FLEET"),
        "{err}"
    );
    insta::assert_snapshot!("validate_no_manifest", err);
}

#[test]
fn fleet_yaml_in_the_working_directory_is_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::util::root().join("fixtures/fleet.yaml"),
        dir.path().join("fleet.yaml"),
    )
    .unwrap();
    let out = ocfail()
        .current_dir(dir.path())
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn ocfail_fleet_env_var_is_used() {
    let out = ocfail()
        .arg("validate")
        .env("OCFAIL_FLEET", "fixtures/fleet.yaml")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_token_value_is_never_printed() {
    let secret = "tok-very-secret-value-123";
    let out = ocfail()
        .args([
            "validate",
            "-f",
            "fixtures/fleet.yaml",
            "-o",
            "jsonl",
            "-vvv",
        ])
        .env("CLOUDFLARE_API_TOKEN", secret)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), exit(exit_code::OK));
    assert!(!text(&out.stdout).contains(secret));
    assert!(!text(&out.stderr).contains(secret));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let out = ocfail().args(["validate", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    let out = ocfail().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), exit(exit_code::OK));
    assert!(text(&out.stdout).contains("validate"));
}

/// Values whose type would admit nonsense are refused before anything is
/// contacted (exit 2), each with what a good value looks like.
#[test]
fn nonsense_values_are_refused_with_what_would_do() {
    for (args, says) in [
        (vec!["rollout", "--image", "", "--yes"], "not empty"),
        (
            vec!["rollout", "--image", "bad image!", "--yes"],
            "not an image reference",
        ),
        (
            vec![
                "rollout",
                "--image",
                "registry.example/openclaw-api",
                "--yes",
            ],
            "no tag or digest",
        ),
        (vec!["--request-timeout", "0s", "status"], "more than 0"),
        (vec!["--cloudflare-rps", "0", "status"], "above 0"),
        (vec!["status", "--watch", "--interval", "0s"], "more than 0"),
        (vec!["restore", "--timeout", "0s", "--yes"], "more than 0"),
        (vec!["exporter", "--interval", "0s"], "more than 0"),
    ] {
        // --sim: were a value let through, the command would run (and pass)
        // against the simulator instead of failing here.
        let out = ocfail().arg("--sim").args(&args).output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            exit(exit_code::USAGE),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(
            stderr.contains("e.g."),
            "{args:?} says what would do: {stderr}"
        );
    }
}
