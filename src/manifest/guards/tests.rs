//! Decoding and checking the `prometheus` section, guards and alert
//! matchers, on `fixtures/fleet-prometheus.yaml` with one thing changed.

use super::*;
use crate::manifest::{Diagnostic, node::Pos, parse_str};

const FIXTURE: &str = include_str!("../../../fixtures/fleet-prometheus.yaml");

/// The fixture with `from` (which occurs exactly once) replaced by `to`.
fn with(from: &str, to: &str) -> String {
    assert_eq!(FIXTURE.matches(from).count(), 1, "{from}");
    FIXTURE.replace(from, to)
}

fn problems(text: &str) -> Vec<Diagnostic> {
    parse_str("f.yaml", text).unwrap_err().diagnostics
}

/// The one problem in `text`.
#[track_caller]
fn problem(text: &str) -> Diagnostic {
    let mut p = problems(text);
    assert_eq!(p.len(), 1, "{p:#?}");
    p.remove(0)
}

/// 1-based line and column of the first `needle` in the fixture.
fn pos_of(text: &str, needle: &str) -> Pos {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    Pos {
        line: line as u32,
        column: text[start..at].chars().count() as u32 + 1,
    }
}

#[test]
fn the_fixture_decodes_every_field() {
    let f = parse_str("f.yaml", FIXTURE).unwrap();
    let p = f.prometheus.as_ref().unwrap();
    assert_eq!(p.url, "http://127.0.0.1:9090");
    assert_eq!(p.alertmanager_url.as_deref(), Some("http://127.0.0.1:9093"));
    assert_eq!(p.timeout, Duration::from_secs(5));
    let whens: Vec<GuardWhen> = f.drill.guards.iter().map(|g| g.when).collect();
    assert_eq!(
        whens,
        [GuardWhen::Before, GuardWhen::During, GuardWhen::After]
    );
    let g = &f.drill.guards[1];
    assert_eq!(
        (g.name.as_str(), g.op, g.value, g.for_),
        (
            "receiver-errors",
            CompareOp::Lt,
            0.05,
            Duration::from_secs(10)
        )
    );
    assert!(g.query.contains("{region={receiver},"), "{}", g.query);
    assert_eq!(f.drill.guards[2].op, CompareOp::Gt);
    assert_eq!(
        f.drill.blocking_alerts,
        [
            AlertMatcher("OcfailFleetDown".into()),
            AlertMatcher(r#"HighErrorRate{severity="page"}"#.into())
        ]
    );
    let expect = f.drill.expect_alerts.as_ref().unwrap();
    assert_eq!(
        expect.pending,
        [AlertMatcher("OcfailRegionDown{region={drilled}}".into())]
    );
    assert_eq!(expect.silent, [AlertMatcher("OcfailFleetDown".into())]);
    assert!(expect.firing.is_empty());
    assert_eq!(f.rollout.guards.len(), 2);
    assert_eq!(f.rollout.blocking_alerts.len(), 3);
    let [a] = f.rollout.analysis.as_slice() else {
        panic!("{:?}", f.rollout.analysis)
    };
    assert_eq!(a.when, GuardWhen::During);
    assert!(a.query.contains("color={color}"));
}

#[test]
fn the_fixture_round_trips_through_to_yaml() {
    let f = parse_str("f.yaml", FIXTURE).unwrap();
    let yaml = f.to_yaml();
    let again = parse_str("again.yaml", &yaml).unwrap_or_else(|p| panic!("{yaml}\n{p:#?}"));
    assert_eq!(f, again);
    // With credentials and an empty expectation too.
    let f = parse_str(
        "f.yaml",
        &with(
            "  timeout: 5s\n",
            "  timeout: 5s\n  basicAuth: { username: ocfail, password: { fromEnv: PROMETHEUS_PASSWORD } }\n  regionDownFor: 30s\n",
        )
        .replace("    silent: [ OcfailFleetDown ]\n", "    firing: []\n"),
    )
    .unwrap();
    assert_eq!(
        f.prometheus.as_ref().unwrap().region_down_for,
        Some(Duration::from_secs(30))
    );
    let again = parse_str("again.yaml", &f.to_yaml()).unwrap();
    assert_eq!(f, again);
}

#[test]
fn defaults_and_a_trailing_slash() {
    let text = with(
        "  url: http://127.0.0.1:9090\n  alertmanagerUrl: http://127.0.0.1:9093\n  timeout: 5s\n",
        "  url: http://127.0.0.1:9090/\n",
    );
    let p = parse_str("f.yaml", &text).unwrap().prometheus.unwrap();
    assert_eq!(p.url, "http://127.0.0.1:9090");
    assert_eq!(p.timeout, Duration::from_secs(5));
    assert_eq!((p.alertmanager_url, p.region_down_for), (None, None));
    let text = with("      value: 0\n", "      value: 0\n      for: 0s\n");
    let f = parse_str("f.yaml", &text).unwrap();
    assert_eq!(f.drill.guards[2].for_, Duration::ZERO);
}

#[test]
fn guards_without_prometheus_are_refused_at_the_first_key() {
    let end = FIXTURE.find("prometheus:\n").unwrap();
    let text = &FIXTURE[..end];
    let d = problem(text);
    assert_eq!(d.path, "rollout.guards");
    assert_eq!(d.pos, pos_of(text, "guards:\n"));
    assert!(
        d.hint
            .unwrap()
            .contains("add a `prometheus:` section with its `url`")
    );
    // Only drill's expectations: there it is.
    let only = text
        .replace("  guards:", "  guardz:")
        .replace("  blockingAlerts:", "  blockingAlertz:")
        .replace("  analysis:", "  analysiz:");
    let p = problems(&only);
    let d = p.iter().find(|d| d.message.contains("Prometheus")).unwrap();
    assert_eq!(d.path, "drill.expectAlerts");
}

#[test]
fn prometheus_needs_a_url() {
    let d = problem(&with("  url: http://127.0.0.1:9090\n", ""));
    assert_eq!(
        (d.path.as_str(), d.message.as_str()),
        ("prometheus.url", "missing required key `url`")
    );
    let d = problem(&with("url: http://127.0.0.1:9090", "url: 127.0.0.1:9090"));
    assert!(d.message.contains("is not an http(s) URL"), "{d:?}");
    let d = problem(&with("  timeout: 5s", "  timeot: 5s"));
    assert_eq!(d.hint.as_deref(), Some("did you mean `timeout`?"));
}

#[test]
fn prometheus_durations_are_bounded() {
    let d = problem(&with("  timeout: 5s", "  timeout: 2h"));
    assert_eq!(d.path, "prometheus.timeout");
    assert!(d.message.contains("maximum of 1h"), "{d:?}");
    let d = problem(&with("  timeout: 5s", "  timeout: 0s"));
    assert_eq!(d.message, "must be longer than zero");
    let d = problem(&with(
        "  timeout: 5s",
        "  timeout: 5s\n  regionDownFor: 2days",
    ));
    assert_eq!(d.path, "prometheus.regionDownFor");
}

#[test]
fn an_inline_token_is_refused_and_never_repeated() {
    let d = problem(&with(
        "  timeout: 5s",
        "  timeout: 5s\n  bearerToken: s3cr3t-t0ken",
    ));
    assert_eq!(d.path, "prometheus.bearerToken");
    assert!(d.redact);
    assert!(!format!("{d:?}").contains("s3cr3t"));
    assert!(
        d.hint
            .unwrap()
            .contains("`bearerToken: { fromEnv: PROMETHEUS_TOKEN }`")
    );
    let d = problem(&with(
        "  timeout: 5s",
        "  timeout: 5s\n  basicAuth: { username: u, password: hunter2 }",
    ));
    assert_eq!(d.path, "prometheus.basicAuth.password");
    assert!(d.redact);
    assert!(d.hint.unwrap().contains("put the password in"));
}

#[test]
fn a_token_and_basic_auth_together_are_refused() {
    let text = with(
        "  timeout: 5s",
        "  timeout: 5s\n  bearerToken: { fromEnv: T }\n  basicAuth: { username: u, password: { fromEnv: P } }",
    );
    let d = problem(&text);
    assert_eq!(d.path, "prometheus.basicAuth");
    assert_eq!(d.pos, pos_of(&text, "basicAuth:"));
    let f = parse_str(
        "f.yaml",
        &with(
            "  timeout: 5s",
            "  timeout: 5s\n  bearerToken: { fromEnv: T }",
        ),
    )
    .unwrap();
    let p = f.prometheus.unwrap();
    assert_eq!(p.bearer_token.unwrap().from_env, "T");
}

#[test]
fn a_guard_needs_each_of_its_keys() {
    let d = problem(&with("      when: after\n", ""));
    assert_eq!(d.path, "drill.guards[2].when");
    assert_eq!(d.message, "missing required key `when`");
    let d = problem(&with("      op: \">\"\n", ""));
    assert_eq!(d.path, "drill.guards[2].op");
    let d = problem(&with("      op: \">\"\n", "      op: \"=>\"\n"));
    assert_eq!(d.message, "unknown value `=>`");
    assert!(d.hint.unwrap().contains("<, <=, >, >=, =="));
    let d = problem(&with("      when: after", "      when: afterwards"));
    assert!(d.hint.unwrap().contains("before, during, after"));
    let d = problem(&with("      value: 0\n", "      value: \"0\"\n"));
    assert_eq!(d.message, "expected a number, found a string");
    let d = problem(&with("      for: 10s", "      for: 2days"));
    assert_eq!(d.path, "drill.guards[1].for");
}

#[test]
fn a_threshold_must_be_finite() {
    for v in [".nan", ".inf", "-.inf", ".NaN"] {
        let text = with("      value: 0.05", &format!("      value: {v}"));
        let d = problem(&text);
        assert_eq!(d.pos, pos_of(&text, v), "{v}");
        assert!(d.message.contains("non-finite"), "{v}: {d:?}");
    }
}

#[test]
fn guard_names_are_labels_and_unique() {
    let d = problem(&with("name: drilled-serves-again", "name: Drilled_Serves"));
    assert_eq!(d.message, "`Drilled_Serves` is not a valid guard name");
    let text = with("name: drilled-serves-again", "name: receiver-errors");
    let d = problem(&text);
    assert_eq!(d.path, "drill.guards[2].name");
    assert_eq!(d.message, "guard `receiver-errors` is defined twice");
    assert!(d.hint.unwrap().ends_with("the first is drill.guards[1]"));
    assert_eq!(
        d.pos,
        pos_of(
            &text,
            "receiver-errors\n      query: 'sum(rate(openclaw_requests_total{region={drilled}"
        )
    );
    // rollout.guards and rollout.analysis share one namespace …
    let d = problem(&with("name: new-color-errors", "name: region-latency-p99"));
    assert_eq!(d.path, "rollout.analysis[0].name");
    // … but a drill's and a rollout's guards do not.
    parse_str(
        "f.yaml",
        &with("name: new-color-errors", "name: receiver-errors"),
    )
    .unwrap();
}

#[test]
fn analysis_guards_have_no_when() {
    let text = with(
        "      for: 5s\ndrill:",
        "      for: 5s\n      when: during\ndrill:",
    );
    let d = problem(&text);
    assert_eq!(d.path, "rollout.analysis[0].when");
    assert!(d.hint.unwrap().contains("rollout.guards"));
}

#[test]
fn a_broken_query_is_refused_at_its_value() {
    let bad = "'sum(rate(openclaw_requests_total{region={drilled}}[1m])'";
    let text = with(
        "'sum(rate(openclaw_requests_total{region={drilled}}[1m]))'",
        bad,
    );
    let d = problem(&text);
    assert_eq!(d.path, "drill.guards[2].query");
    assert_eq!(d.pos, pos_of(&text, bad));
    assert!(
        d.message.starts_with("the query is not valid PromQL: "),
        "{d:?}"
    );
    let d = problem(&with(
        "'sum(rate(openclaw_requests_total{region={drilled}}[1m]))'",
        "'openclaw_requests_total{region={drilled}}[1m]'",
    ));
    assert!(d.message.contains("range vector"), "{d:?}");
}

#[test]
fn a_placeholder_is_pointed_at() {
    let text = with("{region={drilled}}[1m]))'", "{region={drilld}}[1m]))'");
    let d = problem(&text);
    assert_eq!(d.message, "`{drilld}` is not a placeholder");
    assert_eq!(d.pos, pos_of(&text, "{drilld}"));
    // A rollout has no drilled region; a drill has no colour.
    let text = with("bucket{region={region}}", "bucket{region={drilled}}");
    let d = problem(&text);
    assert_eq!(d.message, "`{drilled}` has no value in a rollout");
    assert_eq!(d.pos, pos_of(&text, "{drilled}}[1m]"));
    let text = with(
        "'OcfailRegionDown{region={drilled}}'",
        "'OcfailRegionDown{color={color}}'",
    );
    let d = problem(&text);
    assert_eq!(d.path, "drill.expectAlerts.pending[0]");
    assert_eq!(d.pos, pos_of(&text, "{color}}'"));
    let text = with(
        "[ OcfailFleetDown, OcfailRegionDown,",
        "[ OcfailFleetDown, 'OcfailRegionDown{region={receiver}}',",
    );
    assert_eq!(problem(&text).path, "rollout.blockingAlerts[1]");
}

#[test]
fn matchers_must_be_selectors() {
    let text = with("silent: [ OcfailFleetDown ]", "silent: [ 'rate(x[1m])' ]");
    let d = problem(&text);
    assert_eq!(d.path, "drill.expectAlerts.silent[0]");
    assert_eq!(d.pos, pos_of(&text, "'rate("));
    assert!(d.hint.is_some());
    let d = problem(&with(
        "[ OcfailFleetDown, OcfailRegionDown,",
        "[ OcfailFleetDown, 'A or B',",
    ));
    assert_eq!(d.path, "rollout.blockingAlerts[1]");
    let d = problem(&with(
        "silent: [ OcfailFleetDown ]",
        "silent: OcfailFleetDown",
    ));
    assert_eq!(d.message, "expected a list, found a string");
    let d = problem(&with("    silent:", "    silnet:"));
    assert_eq!(d.hint.as_deref(), Some("did you mean `silent`?"));
}
