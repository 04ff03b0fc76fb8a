//! Notifications from real runs (issue #17, item 3): `--sim` drills and
//! rollouts of `fixtures/fleet-notify.yaml` against loopback receivers.
//! The Slack message, the JSON report and the events in order; a receiver
//! that hangs or answers 500 leaves the verdict and exit code alone and
//! costs at most its `timeout × tries`; a refused drill says `refused`;
//! dry runs send nothing; no output shows a webhook URL.

use std::time::{Duration, Instant};

use ocfail::exit_code;
use serde_json::Value;

use crate::receiver::{Log, SECRET_PATH, hanging, receiver, seen};
use crate::util::{exited, ocfail, text};

const FIXTURE: &str = "fixtures/fleet-notify.yaml";
const SLACK_VAR: &str = "OCFAIL_SLACK_WEBHOOK";
const AUDIT_VAR: &str = "OCFAIL_AUDIT_WEBHOOK";
const EVENTS_VAR: &str = "OCFAIL_EVENTS_WEBHOOK";

/// Every target of the fixture: `timeout: 2s`, `tries: 2`.
const BUDGET: Duration = Duration::from_secs(4);

/// A finished `ocfail` process and when it ended.
struct Ran {
    out: std::process::Output,
    ended: Instant,
}

/// Runs `ocfail --sim -f FIXTURE ARGS` with the webhook variables `urls`
/// (the others unset) off the async runtime, and asserts that no output
/// shows a webhook's path.
async fn ocfail_sim(args: &[&str], urls: &[(&str, &str)]) -> Ran {
    let mut cmd = ocfail();
    cmd.args(["--sim", "-f", FIXTURE])
        .args(args)
        .env_remove(SLACK_VAR)
        .env_remove(AUDIT_VAR)
        .env_remove(EVENTS_VAR);
    for (var, url) in urls {
        cmd.env(var, url);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let ended = Instant::now();
    for stream in [&out.stdout, &out.stderr] {
        let shown = text(stream);
        assert!(
            !shown.contains("T0SECRET") && !shown.contains(SECRET_PATH),
            "a webhook URL leaked into the output:\n{shown}"
        );
    }
    Ran { out, ended }
}

/// The `event` field of every request `log` saw, in arrival order.
fn events(log: &Log) -> Vec<String> {
    seen(log)
        .iter()
        .map(|s| s.body["event"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn notes(doc: &Value) -> Vec<String> {
    doc["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_tells_slack_json_and_events_in_order() {
    let (slack_url, slack) = receiver(&[200], None).await;
    let (audit_url, audit) = receiver(&[200], None).await;
    let (events_url, events_log) = receiver(&[204], None).await;
    let ran = ocfail_sim(
        &["drill", "--region", "us-east-1", "--yes", "-o", "json"],
        &[
            (SLACK_VAR, &slack_url),
            (AUDIT_VAR, &audit_url),
            (EVENTS_VAR, &events_url),
        ],
    )
    .await;
    let stdout = exited(&ran.out, exit_code::OK);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["verdict"], "pass", "{doc}");
    let run_id = doc["runId"].as_str().unwrap();
    assert!(
        !notes(&doc).iter().any(|n| n.contains("not delivered")),
        "{:?}",
        notes(&doc)
    );

    // Slack: one message, its text and blocks carrying the verdict.
    let got = seen(&slack);
    assert_eq!(got.len(), 1, "{got:?}");
    let body = &got[0].body;
    assert!(body["text"].as_str().unwrap().contains("pass"), "{body}");
    let blocks = body["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["text"], "ocfail drill us-east-1: pass");
    assert!(blocks[1..].iter().all(|b| b["type"] == "section"), "{body}");
    let shown = body.to_string();
    assert!(shown.contains("exit code 0"), "{shown}");
    assert!(shown.contains(run_id), "{shown}");

    // JSON: the report document, the same keys as `-o json` prints.
    let got = seen(&audit);
    assert_eq!(got.len(), 1, "{got:?}");
    let sent = &got[0].body;
    assert_eq!(sent["schema"], ocfail::report::SCHEMA);
    assert_eq!(sent["runId"], run_id);
    assert_eq!(sent["verdict"], "pass");
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(sent), keys(&doc));
    assert_eq!(keys(&sent["regions"][0]), keys(&doc["regions"][0]));

    // Events: every step, in order, of this run.
    assert_eq!(
        events(&events_log),
        ["started", "failed-over", "restored", "finished"]
    );
    for s in seen(&events_log) {
        assert_eq!(s.body["run"], run_id);
        assert_eq!(s.body["command"], "drill");
        assert_eq!(s.body["region"], "us-east-1");
    }
    let last = seen(&events_log).pop().unwrap();
    assert_eq!(last.body["verdict"], "pass");
    assert_eq!(seen(&events_log)[0].body["verdict"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn receivers_that_hang_or_answer_500_cost_their_budget_and_leave_the_verdict() {
    let slack_url = hanging().await;
    let (audit_url, audit) = receiver(&[500], None).await;
    let events_url = hanging().await;
    let started = Instant::now();
    // No hold: the run is over long before the hanging events receiver
    // could have been tried for every event (4 × timeout × tries), so an
    // end that waited for the whole queue would be seen.
    let ran = ocfail_sim(
        &[
            "drill",
            "--region",
            "us-east-1",
            "--yes",
            "--hold",
            "0s",
            "-o",
            "json",
        ],
        &[
            (SLACK_VAR, &slack_url),
            (AUDIT_VAR, &audit_url),
            (EVENTS_VAR, &events_url),
        ],
    )
    .await;
    let stdout = exited(&ran.out, exit_code::OK);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["verdict"], "pass", "{doc}");
    assert_eq!(doc["exitCode"], 0);
    let notes = notes(&doc);
    let port = |url: &str| url.split('/').nth(2).unwrap().to_owned();
    for (name, url, why) in [
        ("sre-slack", &slack_url, "not delivered: no answer in time"),
        (
            "audit",
            &audit_url,
            "not delivered: the receiver answered HTTP 500 after 2 tries",
        ),
        (
            "events",
            &events_url,
            "not delivered (4 of 4): no answer in time",
        ),
    ] {
        let want = format!("warning: notification to {name} (http://{})", port(url));
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with(&want) && n.contains(why)),
            "no `{want} … {why}` in {notes:#?}"
        );
    }
    // 500 is retried: both tries reached the receiver.
    assert_eq!(seen(&audit).len(), 2);
    // The end-of-run notifications begin with the first try to `audit`;
    // from there the run waits at most timeout × tries (and half a
    // second), not for the rest of the hanging events queue (about 10 s
    // more) or a hanging Slack. The margin is for a busy machine.
    let end_began = seen(&audit)[0].at;
    let waited = ran.ended.saturating_duration_since(end_began);
    assert!(
        waited < BUDGET + Duration::from_secs(4),
        "waited {waited:?} after the run for its notifications"
    );
    // And the whole command: a `--sim` drill takes about 11 s.
    assert!(
        started.elapsed() < BUDGET + Duration::from_secs(45),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_drill_says_refused_and_an_unset_variable_is_a_warning() {
    let (audit_url, audit) = receiver(&[200], None).await;
    let (events_url, events_log) = receiver(&[200], None).await;
    // ap-southeast-2's pool is the load balancer's fallback: refused.
    let ran = ocfail_sim(
        &["drill", "--region", "ap-southeast-2", "--yes", "-o", "json"],
        &[(AUDIT_VAR, &audit_url), (EVENTS_VAR, &events_url)],
    )
    .await;
    let stdout = exited(&ran.out, exit_code::REFUSED);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(events(&events_log), ["refused"]);
    let refused = &seen(&events_log)[0].body;
    assert_eq!(refused["verdict"], "fail");
    assert_eq!(refused["region"], "ap-southeast-2");
    assert_eq!(seen(&audit)[0].body["exitCode"], exit_code::REFUSED);
    let notes = notes(&doc);
    assert!(
        notes.contains(
            &"warning: notification to sre-slack not delivered: OCFAIL_SLACK_WEBHOOK is not set"
                .to_owned()
        ),
        "{notes:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_runs_and_validate_send_nothing() {
    let (slack_url, slack) = receiver(&[200], None).await;
    let (audit_url, audit) = receiver(&[200], None).await;
    let (events_url, events_log) = receiver(&[200], None).await;
    let urls = [
        (SLACK_VAR, slack_url.as_str()),
        (AUDIT_VAR, audit_url.as_str()),
        (EVENTS_VAR, events_url.as_str()),
    ];
    let ran = ocfail_sim(&["drill", "--region", "us-east-1", "--dry-run"], &urls).await;
    exited(&ran.out, exit_code::OK);
    let ran = ocfail_sim(
        &["rollout", "--image", "openclaw-api:2", "--dry-run"],
        &urls,
    )
    .await;
    exited(&ran.out, exit_code::OK);
    let ran = ocfail_sim(&["validate"], &urls).await;
    exited(&ran.out, exit_code::OK);
    for log in [&slack, &audit, &events_log] {
        assert!(seen(log).is_empty(), "{:?}", seen(log));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_tells_started_and_finished_and_only_its_targets() {
    let (slack_url, slack) = receiver(&[200], None).await;
    let (audit_url, audit) = receiver(&[200], None).await;
    let (events_url, events_log) = receiver(&[200], None).await;
    let ran = ocfail_sim(
        &[
            "rollout",
            "--image",
            "registry.example/openclaw-api:1.5.0",
            "--yes",
            "-o",
            "json",
        ],
        &[
            (SLACK_VAR, &slack_url),
            (AUDIT_VAR, &audit_url),
            (EVENTS_VAR, &events_url),
        ],
    )
    .await;
    let stdout = exited(&ran.out, exit_code::OK);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(events(&events_log), ["started", "finished"]);
    let got = seen(&events_log);
    assert_eq!(got[0].body["command"], "rollout");
    assert_eq!(got[0].body["region"], Value::Null);
    assert_eq!(got[1].body["verdict"], doc["verdict"]);
    assert_eq!(seen(&audit)[0].body["command"], "rollout");
    // sre-slack is `on: [drill, practice]`.
    assert!(seen(&slack).is_empty(), "{:?}", seen(&slack));
}
