//! `ocfail demo`: the whole story on the built-in fleet, its summary and
//! exit code, as a newcomer runs it.

use ocfail::exit_code;

use crate::util::{exit, exited, ocfail, text};

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_tells_the_whole_story_and_exits_0() {
    let mut cmd = ocfail();
    cmd.arg("demo");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = exited(&out, exit_code::OK);
    for n in 1..=5 {
        assert!(
            stdout.contains(&format!("── {n}/5 ocfail ")),
            "step {n}: {stdout}"
        );
    }
    let summary = stdout.split("── summary ──").nth(1).expect("a summary");
    let steps: Vec<&str> = summary
        .lines()
        .filter(|l| l.contains(". "))
        .take(5)
        .collect();
    for (line, (step, fact)) in steps.iter().zip([
        ("1. status", "survives losing any one region: yes"),
        ("2. health", "3/3 regions healthy"),
        ("3. drill us-east-1", "pass: unhealthy after "),
        ("4. rollout", "3/3 regions promoted 1.4.1 → 1.4.2"),
        ("5. status", "survives losing any one region: yes"),
    ]) {
        assert!(line.starts_with(step), "{line}");
        assert!(line.contains(" pass "), "{line}");
        assert!(line.contains(fact), "{line}");
    }
    assert!(summary.contains("demo: pass (exit 0) in "), "{summary}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_mirrors_a_given_fleet_and_speaks_json() {
    let mut cmd = ocfail();
    cmd.args(["-f", "fixtures/fleet.yaml", "-o", "json", "demo"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "ocfail.dev/demo/v1");
    assert_eq!(doc["fleet"], "openclaw-rating-api");
    assert_eq!(doc["exitCode"], 0);
    let steps = doc["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["status", "health", "drill us-east-1", "rollout", "status"]
    );
    assert!(steps.iter().all(|s| s["verdict"] == "pass"), "{doc}");
}
