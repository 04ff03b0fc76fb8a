//! `ocfail practice` and `ocfail history` against a live simulator
//! (docs/practice.md): a due region in an open window is drilled and
//! recorded, a second run at once is "not due", a blocked date skips, and
//! the history lists drills, rollouts and restores in order across a
//! SIGKILL and `ocfail restore`.

use std::io::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use ocfail::exit_code;
use serde_json::Value;

use crate::receiver::{SECRET_PATH, receiver, seen};
use crate::running::Running;
use crate::util::{Launch, LiveSim, exit, ocfail, text};

/// A fixed-offset zone where it is about noon now, so a window of
/// 06:00-18:00 there is open now and stays open for hours, whenever the
/// test runs.
pub fn noon_zone() -> String {
    let hour = i64::from(Timestamp::now().to_zoned(TimeZone::UTC).hour());
    let k = 12 - hour; // local = UTC + k, in -11..=12
    match k {
        0 => "UTC".to_owned(),
        // POSIX-style names: Etc/GMT-5 is five hours *ahead* of UTC.
        k if k > 0 => format!("Etc/GMT-{k}"),
        k => format!("Etc/GMT+{}", -k),
    }
}

/// Today's date in `zone`.
fn today_in(zone: &str) -> String {
    let tz = TimeZone::get(zone).unwrap();
    Timestamp::now().to_zoned(tz).date().to_string()
}

/// Appends a `practice:` section to the live simulator's manifest.
pub fn add_practice(live: &LiveSim, section: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(live.fleet())
        .unwrap();
    writeln!(f, "\n{section}").unwrap();
}

/// `ocfail -f FLEET ARGS…` against `live` with `env` set.
async fn run_with_env(live: &LiveSim, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = ocfail();
    cmd.arg("-f")
        .arg(live.fleet())
        .args(args)
        .env("CLOUDFLARE_API_TOKEN", crate::util::SECRET_TOKEN);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

pub fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

#[tokio::test]
async fn a_due_region_in_an_open_window_is_drilled_once_then_not_due() {
    let live = Launch::seed().start().await;
    let zone = noon_zone();
    add_practice(
        &live,
        &format!(
            "practice:\n  every: 7d\n  windows: [\"Mon-Sun 06:00-18:00 {zone}\"]\n\
             notify:\n  - name: sre-slack\n    urlFromEnv: PRACTICE_SLACK\n    format: slack\n  \
             - name: events\n    urlFromEnv: PRACTICE_EVENTS\n    format: events\n    on: [practice]\n"
        ),
    );
    let (slack, slack_log) = receiver(&[200], None).await;
    let (events, events_log) = receiver(&[200], None).await;
    let env = [
        ("PRACTICE_SLACK", slack.as_str()),
        ("PRACTICE_EVENTS", events.as_str()),
    ];

    // Nothing recorded yet: us-east-1, first in the rotation, is drilled.
    let out = run_with_env(&live, &["practice", "-o", "json"], &env).await;
    let report = json(&out);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{report:#}");
    assert_eq!(report["verdict"], "pass", "{report:#}");
    assert_eq!(report["practice"]["decision"], "run", "{report:#}");
    assert_eq!(report["practice"]["region"], "us-east-1");
    assert_eq!(report["practice"]["forced"], false);
    assert!(report["practice"]["windowEndsAt"].is_string(), "{report:#}");
    assert_eq!(report["regions"][0]["region"], "us-east-1");
    assert!(
        report["regions"][0]["timings"]
            .as_object()
            .is_some_and(|t| !t.is_empty())
    );
    let run_id = report["runId"].as_str().unwrap().to_owned();
    assert!(!text(&out.stdout).contains(SECRET_PATH) && !text(&out.stderr).contains(SECRET_PATH));

    // The receivers heard of it: one Slack message with the verdict, and
    // the events in order, all naming this practice run.
    let slack_seen = seen(&slack_log);
    assert_eq!(slack_seen.len(), 1, "{slack_seen:?}");
    let body = &slack_seen[0].body;
    assert!(
        body["text"]
            .as_str()
            .is_some_and(|t| t.contains("practice") && t.contains("pass")),
        "{body:#}"
    );
    assert!(
        body["blocks"].as_array().is_some_and(|b| !b.is_empty()),
        "{body:#}"
    );
    let kinds: Vec<String> = seen(&events_log)
        .iter()
        .map(|s| {
            assert_eq!(s.body["run"], run_id.as_str());
            assert_eq!(s.body["command"], "practice");
            s.body["event"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(kinds, ["started", "failed-over", "restored", "finished"]);

    // It is in the history, finished, with its timings and traffic.
    let out = live.run(&["history", "-o", "json"]).await;
    assert_eq!(out.status.code(), exit(exit_code::OK));
    let history = json(&out);
    let entries = history["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{history:#}");
    let e = &entries[0];
    assert_eq!(e["runId"], run_id.as_str());
    assert_eq!(e["command"], "practice");
    assert_eq!(e["drilled"], "us-east-1");
    assert_eq!(e["state"], "finished");
    assert_eq!(e["verdict"], "pass");
    assert_eq!(e["exitCode"], 0);
    assert!(e["finishedAt"].is_string());
    assert!(
        e["outcomes"][0]["timings"]
            .as_object()
            .is_some_and(|t| !t.is_empty())
    );

    // At once again: the other regions were never practised, but the fleet's
    // drills are spaced every ÷ regions apart, so nothing is due, and a
    // skip notifies nobody.
    let out = run_with_env(&live, &["practice", "-o", "json"], &env).await;
    let report = json(&out);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{report:#}");
    assert_eq!(report["verdict"], "skipped", "{report:#}");
    assert_eq!(report["practice"]["decision"], "skip");
    assert_eq!(report["practice"]["reason"], "not-due");
    assert_eq!(report["practice"]["region"], "eu-central-1");
    assert!(report["practice"]["nextDue"].is_string());
    assert_eq!(seen(&slack_log).len(), 1);
    assert_eq!(seen(&events_log).len(), 4);
    let human = live.run(&["practice"]).await;
    assert!(
        text(&human.stdout).contains("skipped: not due"),
        "{}",
        text(&human.stdout)
    );

    // A skip changes nothing and records nothing.
    let out = live.run(&["history", "-o", "json"]).await;
    assert_eq!(json(&out)["entries"].as_array().unwrap().len(), 1);

    // --dry-run says what --now would do, and does nothing.
    let out = live
        .run(&["practice", "--now", "--dry-run", "-o", "json"])
        .await;
    let report = json(&out);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{report:#}");
    assert_eq!(report["practice"]["decision"], "run");
    assert_eq!(report["practice"]["dryRun"], true);
    assert_eq!(report["practice"]["forced"], true);
    let out = live.run(&["history", "-o", "json"]).await;
    assert_eq!(json(&out)["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_blocked_date_skips_and_now_overrides_it_on_the_record() {
    let live = Launch::seed().start().await;
    let zone = noon_zone();
    let today = today_in(&zone);
    add_practice(
        &live,
        &format!(
            "practice:\n  every: 7d\n  windows: [\"Mon-Sun 06:00-18:00 {zone}\"]\n  \
             blockedDates: [\"{today}\"]\n"
        ),
    );
    let out = live.run(&["practice", "-o", "json"]).await;
    let report = json(&out);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{report:#}");
    assert_eq!(report["verdict"], "skipped");
    assert_eq!(report["practice"]["reason"], "blocked", "{report:#}");
    assert_eq!(report["practice"]["blockedDate"], today.as_str());
    let human = live.run(&["practice"]).await;
    assert!(text(&human.stdout).contains("skipped: blocked"));

    // A person may still ask for it: recorded as forced.
    let out = live.run(&["practice", "--now", "-o", "json"]).await;
    let report = json(&out);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{report:#}");
    assert_eq!(report["practice"]["forced"], true);
    let out = live.run(&["history", "-o", "json"]).await;
    let history = json(&out);
    assert_eq!(
        history["entries"][0]["practice"]["forced"], true,
        "{history:#}"
    );
}

#[tokio::test]
async fn outside_every_window_it_skips_and_says_when_the_next_opens() {
    let live = Launch::seed().start().await;
    // Noon somewhere means not 00:00-01:00 there.
    add_practice(
        &live,
        &format!(
            "practice:\n  every: 7d\n  windows: [\"Mon-Sun 00:00-01:00 {}\"]\n",
            noon_zone()
        ),
    );
    let out = live.run(&["practice", "-o", "json"]).await;
    let report = json(&out);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{report:#}");
    assert_eq!(report["practice"]["reason"], "outside-window");
    assert!(report["practice"]["nextOpens"].is_string());
}

#[tokio::test]
async fn without_a_practice_section_it_says_what_to_add() {
    let live = Launch::seed().start().await;
    let out = live.run(&["practice"]).await;
    assert_eq!(out.status.code(), exit(exit_code::USAGE));
    assert!(
        text(&out.stderr).contains("practice:"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn the_history_lists_rollouts_drills_and_restores_across_a_kill() {
    let live = Launch::seed().quick_rollout().start().await;
    let out = live
        .run(&[
            "rollout",
            "--image",
            "registry.example/openclaw-api:9.9.9",
            "--yes",
        ])
        .await;
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}",
        text(&out.stdout)
    );

    // A drill killed with SIGKILL while holding: nothing of it runs after.
    let drill = Running::drill(&live, "60s", &["-v"]);
    let killed = tokio::task::spawn_blocking(move || {
        drill.wait_for("holding");
        drill.kill()
    })
    .await
    .unwrap();
    let drill_run = killed.run_id().unwrap().to_owned();

    // Before the restore it is recorded as started and not ended: running
    // while its lease has not expired, unfinished after.
    let out = live.run(&["history", "-o", "json"]).await;
    let history = json(&out);
    assert_eq!(history["entries"][0]["runId"], drill_run.as_str());
    let state = &history["entries"][0]["state"];
    assert!(state == "running" || state == "unfinished", "{history:#}");
    assert!(history["entries"][0]["finishedAt"].is_null());

    let out = live.run(&["restore", "--yes", "-o", "json"]).await;
    let restore = json(&out);
    assert_eq!(out.status.code(), exit(exit_code::OK), "{restore:#}");
    let restore_run = restore["runId"].as_str().unwrap().to_owned();

    let out = live.run(&["history", "-o", "json"]).await;
    assert_eq!(out.status.code(), exit(exit_code::OK));
    let history = json(&out);
    let entries = history["entries"].as_array().unwrap();
    let commands: Vec<&str> = entries
        .iter()
        .map(|e| e["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["restore", "drill", "rollout"], "{history:#}");
    let (r, d, o) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(r["runId"], restore_run.as_str());
    assert_eq!(r["restoredRuns"][0], drill_run.as_str());
    assert_eq!(d["runId"], drill_run.as_str());
    assert_eq!(d["state"], "interrupted", "{d:#}");
    assert_eq!(d["restoredBy"]["runId"], restore_run.as_str());
    assert!(
        d["restoredBy"]["by"]
            .as_str()
            .is_some_and(|b| !b.is_empty())
    );
    assert_eq!(o["state"], "finished");
    assert_eq!(o["image"], "registry.example/openclaw-api:9.9.9");
    assert_eq!(o["regions"].as_array().unwrap().len(), 3);

    // Per region, newest first, and bounded by --limit.
    let out = live
        .run(&["history", "--region", "eu-central-1", "-o", "json"])
        .await;
    let only = json(&out);
    let commands: Vec<&str> = only["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["restore", "rollout"], "{only:#}");
    let out = live.run(&["history", "--limit", "1", "-o", "json"]).await;
    assert_eq!(json(&out)["entries"].as_array().unwrap().len(), 1);

    // The table says the same to a person.
    let out = live.run(&["history"]).await;
    let table = text(&out.stdout);
    assert!(table.contains("interrupted"), "{table}");
    assert!(table.contains(&format!("(run {restore_run}")), "{table}");

    // And kubectl shows the store: ConfigMap ocfail-history in the namespace.
    let k = live.client("us-east-1").await;
    use ocfail::kube::Workloads as _;
    let cm = k.config_map("ocfail-history").await.unwrap().unwrap();
    assert!(cm.data.keys().any(|key| key.ends_with(&drill_run)));
}
