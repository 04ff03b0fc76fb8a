//! Decoding `notify`, on the seed fleet with a `notify` section added.

use std::time::Duration;

use super::*;
use crate::manifest::{Diagnostic, parse_str};

const FLEET: &str = include_str!("../../../fixtures/fleet.yaml");

const NOTIFY: &str = r#"
notify:
  - name: sre-slack
    urlFromEnv: OCFAIL_SLACK_WEBHOOK
    format: slack
    timeout: 2s
    tries: 5
    on: [drill, practice]
  - name: audit
    urlFromEnv: OCFAIL_AUDIT_WEBHOOK
    format: json
  - { name: events, urlFromEnv: OCFAIL_EVENTS_WEBHOOK, format: events }
"#;

/// The seed fleet with `notify` (after `from` is replaced by `to`).
fn fleet_with(from: &str, to: &str) -> String {
    if from.is_empty() {
        return format!("{FLEET}{NOTIFY}");
    }
    assert_eq!(NOTIFY.matches(from).count(), 1, "{from}");
    format!("{FLEET}{}", NOTIFY.replace(from, to))
}

#[track_caller]
fn problem(from: &str, to: &str) -> Diagnostic {
    let mut p = parse_str("f.yaml", &fleet_with(from, to))
        .unwrap_err()
        .diagnostics;
    assert_eq!(p.len(), 1, "{p:#?}");
    p.remove(0)
}

#[test]
fn the_section_decodes_every_field_and_the_defaults() {
    let f = parse_str("f.yaml", &fleet_with("", "")).unwrap();
    let [slack, audit, events] = f.notify.as_slice() else {
        panic!("{:?}", f.notify)
    };
    assert_eq!(slack.name, "sre-slack");
    assert_eq!(slack.url_from_env, "OCFAIL_SLACK_WEBHOOK");
    assert_eq!(slack.format, NotifyFormat::Slack);
    assert_eq!(slack.timeout, Duration::from_secs(2));
    assert_eq!(slack.tries, 5);
    assert_eq!(slack.on, [NotifyOn::Drill, NotifyOn::Practice]);
    assert!(slack.notifies(NotifyOn::Practice) && !slack.notifies(NotifyOn::Rollout));
    assert_eq!(audit.format, NotifyFormat::Json);
    assert_eq!(audit.timeout, Duration::from_secs(5));
    assert_eq!(audit.tries, 3);
    assert_eq!(
        audit.on,
        [NotifyOn::Drill, NotifyOn::Rollout, NotifyOn::Practice]
    );
    assert_eq!(events.format, NotifyFormat::Events);
}

#[test]
fn the_section_round_trips_through_yaml() {
    let f = parse_str("f.yaml", &fleet_with("", "")).unwrap();
    let again = parse_str("again.yaml", &f.to_yaml()).unwrap();
    assert_eq!(again.notify, f.notify);
    assert!(f.to_yaml().contains("urlFromEnv: OCFAIL_SLACK_WEBHOOK"));
}

#[test]
fn no_section_means_no_targets() {
    let f = parse_str("f.yaml", FLEET).unwrap();
    assert!(f.notify.is_empty());
    assert!(!f.to_yaml().contains("notify"));
}

#[test]
fn an_inline_url_is_refused_without_being_shown() {
    let d = problem(
        "urlFromEnv: OCFAIL_AUDIT_WEBHOOK",
        "url: https://hooks.example.com/services/T0/B0/SECRET",
    );
    assert_eq!(d.path, "notify[1].url");
    assert_eq!(
        d.message,
        "a webhook URL must not be written in the manifest"
    );
    assert!(d.hint.as_deref().unwrap().contains("urlFromEnv: "), "{d:?}");
    assert!(d.redact);
    let text = fleet_with(
        "urlFromEnv: OCFAIL_AUDIT_WEBHOOK",
        "url: https://hooks.example.com/services/T0/B0/SECRET",
    );
    let shown = format!("{} {}", d.one_line("f.yaml"), d.snippet(&text, "hint"));
    assert!(!shown.contains("SECRET"), "{shown}");
}

#[test]
fn a_url_in_url_from_env_is_refused_without_being_shown() {
    let d = problem(
        "urlFromEnv: OCFAIL_AUDIT_WEBHOOK",
        "urlFromEnv: https://hooks.example.com/SECRET",
    );
    assert_eq!(d.path, "notify[1].urlFromEnv");
    assert_eq!(d.message, "expected the name of an environment variable");
    assert!(d.redact && !d.message.contains("SECRET"), "{d:?}");
}

#[test]
fn names_are_required_labels_and_unique() {
    let d = problem("name: audit", "name: sre-slack");
    assert_eq!(d.path, "notify[1].name");
    assert_eq!(d.message, "`sre-slack` names two targets");
    let d = problem("name: audit", "name: Audit_Log");
    assert_eq!(d.message, "`Audit_Log` is not a valid target name");
    let d = problem("  - name: audit\n", "  - \n");
    assert_eq!(d.path, "notify[1].name");
    assert_eq!(d.message, "missing required key `name`");
}

#[test]
fn format_timeout_tries_and_on_are_checked() {
    let d = problem("format: json", "format: jsno");
    assert_eq!(d.path, "notify[1].format");
    assert!(d.hint.unwrap().contains("did you mean `json`"));
    let d = problem("timeout: 2s", "timeout: 50ms");
    assert_eq!(d.message, "must be at least 100ms");
    let d = problem("timeout: 2s", "timeout: 2m");
    assert_eq!(d.path, "notify[0].timeout");
    assert!(d.message.contains("longer than the maximum of 1m"), "{d:?}");
    let d = problem("tries: 5", "tries: 11");
    assert_eq!(d.message, "11 is outside 1..=10");
    let d = problem("tries: 5", "tries: 0");
    assert_eq!(d.message, "0 is outside 1..=10");
    let d = problem("on: [drill, practice]", "on: [drill, rolout]");
    assert_eq!(d.path, "notify[0].on[1]");
    assert_eq!(d.message, "unknown command `rolout`");
    assert!(d.hint.unwrap().contains("did you mean `rollout`"));
    let d = problem("on: [drill, practice]", "on: [drill, drill]");
    assert_eq!(d.message, "`drill` is listed twice");
    let d = problem("on: [drill, practice]", "on: []");
    assert_eq!(d.message, "must name at least one command");
}

#[test]
fn unknown_keys_are_refused_with_a_hint() {
    let d = problem("tries: 5", "retries: 5");
    assert_eq!(d.path, "notify[0].retries");
    assert_eq!(d.message, "unknown key `retries`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `tries`?"));
}
