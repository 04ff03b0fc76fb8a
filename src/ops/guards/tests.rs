//! Guards against an in-memory [`Metrics`]; the real Prometheus is in
//! tests/integration/guards.rs.

use std::sync::Mutex;

use super::*;
use crate::prometheus::{AlertSource, RangeSeries};

/// Each query's answers, in order.
type Script = Vec<(String, Vec<Result<Vec<Sample>, PromError>>)>;

/// Answers from a script: each query gets the next answer in its list (the
/// last one repeats).
#[derive(Default)]
struct Scripted {
    answers: Mutex<Script>,
    range: Vec<RangeSeries>,
    alerts: Vec<ActiveAlert>,
    rules: Vec<String>,
    asked: Mutex<Vec<String>>,
}

impl Scripted {
    fn answer(self, query: &str, answers: Vec<Result<Vec<Sample>, PromError>>) -> Self {
        self.answers
            .lock()
            .unwrap()
            .push((query.to_owned(), answers));
        self
    }
}

impl Metrics for Scripted {
    async fn query(&self, promql: &str) -> Result<Vec<Sample>, PromError> {
        self.asked.lock().unwrap().push(promql.to_owned());
        let mut all = self.answers.lock().unwrap();
        let Some((_, list)) = all.iter_mut().find(|(q, _)| q == promql) else {
            return Ok(Vec::new());
        };
        if list.len() > 1 {
            list.remove(0)
        } else {
            list[0].clone()
        }
    }

    async fn query_range(
        &self,
        promql: &str,
        _: SystemTime,
        _: SystemTime,
        _: Duration,
    ) -> Result<Vec<RangeSeries>, PromError> {
        self.asked.lock().unwrap().push(promql.to_owned());
        Ok(self.range.clone())
    }

    async fn alerts(&self) -> Result<Vec<ActiveAlert>, PromError> {
        Ok(self.alerts.clone())
    }

    async fn alert_rules(&self) -> Result<Vec<String>, PromError> {
        Ok(self.rules.clone())
    }
}

fn one(v: f64) -> Vec<Sample> {
    vec![Sample {
        labels: Labels::from([("region".to_owned(), "eu-central-1".to_owned())]),
        value: v,
    }]
}

fn guard(name: &str, query: &str, op: CompareOp, value: f64, for_: Duration) -> Guard {
    Guard {
        name: name.to_owned(),
        query: query.to_owned(),
        op,
        value,
        for_,
        when: GuardWhen::During,
    }
}

#[test]
fn every_series_must_hold_and_nan_or_nothing_is_no_data() {
    let two = vec![
        Sample {
            labels: Labels::new(),
            value: 0.01,
        },
        Sample {
            labels: Labels::new(),
            value: 0.2,
        },
    ];
    assert!(matches!(judge(&two, CompareOp::Lt, 0.05), Judged::Failing(v) if v.value == 0.2));
    assert!(matches!(judge(&two, CompareOp::Lt, 0.5), Judged::Held(v) if v.value == 0.2));
    assert_eq!(judge(&[], CompareOp::Lt, 1.0), Judged::NoData);
    assert_eq!(judge(&one(f64::NAN), CompareOp::Lt, 1.0), Judged::NoData);
    assert!(matches!(
        judge(&one(f64::INFINITY), CompareOp::Lt, 1.0),
        Judged::Failing(_)
    ));
}

#[test]
fn a_breach_counts_only_once_it_has_lasted_its_for() {
    let g = guard("e", "q", CompareOp::Lt, 0.05, Duration::from_secs(60));
    let mut t = Tracker::new(&g, Some(GuardWhen::During), "q".to_owned());
    let failing = || Ok(judge(&one(0.3), CompareOp::Lt, 0.05));
    let holding = || Ok(judge(&one(0.01), CompareOp::Lt, 0.05));
    // At Cloudflare's 60 s cadence: fails at 0 s, holds at 30 s, fails
    // from 60 s on; only 60 s of continuous failure breaches.
    assert!(!t.observe(Duration::ZERO, failing()));
    assert!(!t.observe(Duration::from_secs(30), holding()));
    assert!(!t.observe(Duration::from_secs(60), failing()));
    assert!(!t.observe(Duration::from_secs(90), failing()));
    assert_eq!(t.seen.outcome, GuardOutcome::BrieflyBreached);
    assert_eq!(t.finding().verdict, Verdict::Pass);
    assert!(t.observe(Duration::from_secs(120), failing()));
    assert_eq!(
        t.seen.outcome,
        GuardOutcome::Breached {
            after: Some(Duration::from_secs(120))
        }
    );
    assert_eq!(t.finding().verdict, Verdict::Fail);
    // Once breached it stays so.
    assert!(!t.observe(Duration::from_secs(150), holding()));
    assert_eq!(t.finding().verdict, Verdict::Fail);
}

#[test]
fn no_answer_is_inconclusive_never_a_pass() {
    let g = guard("e", "q", CompareOp::Lt, 0.05, Duration::ZERO);
    let mut t = Tracker::new(&g, None, "q".to_owned());
    let down = ApiProblem {
        message: "refused".to_owned(),
        hint: None,
    };
    assert!(!t.observe(Duration::ZERO, Err(down)));
    assert_eq!(t.finding().verdict, Verdict::Inconclusive);
    assert!(!t.observe(Duration::from_secs(1), Ok(Judged::NoData)));
    assert_eq!(t.finding().verdict, Verdict::Inconclusive);
    let never = Tracker::new(&g, None, "q".to_owned());
    assert_eq!(never.finding().verdict, Verdict::Skipped);
}

#[test]
fn placeholders_are_filled_as_quoted_literals() {
    let b = Bindings::drill("us-east-1", Some("eu-central-1"));
    assert_eq!(
        b.fill("up{region={drilled}} + on() x{r={receiver}}")
            .unwrap(),
        r#"up{region="us-east-1"} + on() x{r="eu-central-1"}"#
    );
    assert!(Bindings::drill("a", None).fill("x{r={receiver}}").is_err());
    let r = Bindings::rollout("us-east-1", "green", "blue");
    assert_eq!(
        r.fill("x{color={color},was={previousColor}}").unwrap(),
        r#"x{color="green",was="blue"}"#
    );
}

#[tokio::test]
async fn before_guards_refuse_on_a_breach_unless_overridden() {
    let mut g = guard("errors", "q", CompareOp::Lt, 0.05, Duration::ZERO);
    g.when = GuardWhen::Before;
    let m = Scripted::default().answer("q", vec![Ok(one(0.3))]);
    let b = Bindings::drill("us-east-1", None);
    let f = before(&m, std::slice::from_ref(&g), &b, &[]).await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].verdict, Verdict::Fail);
    let overrides = [("errors".to_owned(), "known noisy".to_owned())];
    let f = before(&m, std::slice::from_ref(&g), &b, &overrides).await;
    assert_eq!(
        f.iter().map(|f| f.verdict).collect::<Vec<_>>(),
        [Verdict::Warn, Verdict::Warn]
    );
    assert!(
        matches!(&f[1].fact, crate::facts::Fact::Guard(GuardFact::Overridden { name, .. }) if name == "errors")
    );
}

#[tokio::test]
async fn a_before_guard_with_for_is_breached_only_when_every_point_failed() {
    let mut g = guard("errors", "q", CompareOp::Lt, 0.05, Duration::from_secs(60));
    g.when = GuardWhen::Before;
    let t0 = SystemTime::now() - Duration::from_secs(60);
    let points = |vals: &[f64]| RangeSeries {
        labels: Labels::new(),
        points: vals
            .iter()
            .enumerate()
            .map(|(i, v)| (t0 + Duration::from_secs(2 * i as u64), *v))
            .collect(),
    };
    let b = Bindings::default();
    let all_bad: Vec<f64> = vec![0.3; 31];
    let m = Scripted {
        range: vec![points(&all_bad)],
        ..Scripted::default()
    };
    let seen = check_once(&m, &g, Some(GuardWhen::Before), &b).await;
    assert!(
        matches!(seen.outcome, GuardOutcome::Breached { .. }),
        "{seen:?}"
    );
    let mut recovered = all_bad.clone();
    recovered[30] = 0.01;
    let m = Scripted {
        range: vec![points(&recovered)],
        ..Scripted::default()
    };
    let seen = check_once(&m, &g, Some(GuardWhen::Before), &b).await;
    assert_eq!(seen.outcome, GuardOutcome::BrieflyBreached);
    let m = Scripted::default();
    let seen = check_once(&m, &g, Some(GuardWhen::Before), &b).await;
    assert_eq!(seen.outcome, GuardOutcome::NoData);
}

#[tokio::test(start_paused = true)]
async fn a_during_watch_trips_its_token_at_the_breach_and_reports_every_guard() {
    let g = guard("errors", "q", CompareOp::Lt, 0.05, Duration::from_secs(3));
    let quiet = guard("latency", "p", CompareOp::Lt, 0.5, Duration::ZERO);
    let m = Arc::new(
        Scripted::default()
            .answer("q", vec![Ok(one(0.01)), Ok(one(0.01)), Ok(one(0.4))])
            .answer("p", vec![Ok(one(0.1))]),
    );
    let w = Watch::start(
        Arc::clone(&m),
        vec![
            (g.clone(), Some(GuardWhen::During), Ok("q".to_owned())),
            (quiet, Some(GuardWhen::During), Ok("p".to_owned())),
        ],
        Duration::from_secs(1),
    );
    let started = Instant::now();
    w.breached().cancelled().await;
    // Fails from 2 s on, breached 3 s later.
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    let f = w.stop().await;
    assert_eq!(
        f.iter().map(|f| f.verdict).collect::<Vec<_>>(),
        [Verdict::Fail, Verdict::Pass]
    );
}

fn alert(labels: &[(&str, &str)], source: AlertSource) -> ActiveAlert {
    ActiveAlert {
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        state: AlertState::Firing,
        since: Some(SystemTime::now() - Duration::from_secs(90)),
        source,
    }
}

#[tokio::test]
async fn blocking_alerts_match_by_name_and_labels_and_can_be_overridden() {
    let m = Scripted {
        alerts: vec![
            alert(
                &[("alertname", "HighErrorRate"), ("severity", "ticket")],
                AlertSource::Alertmanager,
            ),
            alert(
                &[
                    ("alertname", "OcfailRegionDown"),
                    ("region", "eu-central-1"),
                ],
                AlertSource::Alertmanager,
            ),
        ],
        ..Scripted::default()
    };
    let b = Bindings::drill("us-east-1", None);
    let paging = [AlertMatcher(r#"HighErrorRate{severity="page"}"#.to_owned())];
    let f = blocking(&m, &paging, &b, &[]).await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].verdict, Verdict::Pass, "a ticket is not a page");
    let any_region = [AlertMatcher("OcfailRegionDown".to_owned())];
    let f = blocking(&m, &any_region, &b, &[]).await;
    assert_eq!(f[0].verdict, Verdict::Fail);
    let crate::facts::Fact::Guard(GuardFact::Blocking(seen)) = &f[0].fact else {
        panic!("{f:?}");
    };
    assert_eq!(seen.name(), "OcfailRegionDown");
    assert!(seen.from_alertmanager);
    assert!(seen.active_for.unwrap() >= Duration::from_secs(89));
    let this_region = [AlertMatcher(
        "OcfailRegionDown{region={drilled}}".to_owned(),
    )];
    let f = blocking(&m, &this_region, &b, &[]).await;
    assert_eq!(f[0].verdict, Verdict::Pass, "another region's alert");
    let overrides = [("OcfailRegionDown".to_owned(), "known".to_owned())];
    let f = blocking(&m, &any_region, &b, &overrides).await;
    assert_eq!(f[0].verdict, Verdict::Warn);
}

#[test]
fn alert_matchers_become_alerts_selectors() {
    assert_eq!(
        alerts_selector("OcfailFleetDown"),
        r#"ALERTS{alertname="OcfailFleetDown"}"#
    );
    assert_eq!(
        alerts_selector(r#"OcfailRegionDown{region="us-east-1"}"#),
        r#"ALERTS{alertname="OcfailRegionDown",region="us-east-1"}"#
    );
    assert_eq!(
        alerts_selector(r#"{severity="page"}"#),
        r#"ALERTS{severity="page"}"#
    );
}

#[tokio::test]
async fn defaults_apply_only_when_prometheus_has_the_rendered_rules() {
    let m = Scripted::default();
    let (e, by_default) = expectations_for(&m, None).await.unwrap();
    assert!(by_default);
    assert_eq!(e, ExpectAlerts::default());
    let m = Scripted {
        rules: vec![REGION_DOWN.to_owned(), FLEET_DOWN.to_owned()],
        ..Scripted::default()
    };
    let (e, _) = expectations_for(&m, None).await.unwrap();
    assert_eq!(e.pending[0].0, "OcfailRegionDown{region={drilled}}");
    assert_eq!(e.silent[0].0, "OcfailFleetDown");
}

#[tokio::test]
async fn expectations_read_first_pending_and_firing_from_alerts() {
    let from = SystemTime::now() - Duration::from_secs(120);
    let series = |state: &str, at: u64| RangeSeries {
        labels: Labels::from([
            ("alertname".to_owned(), "OcfailRegionDown".to_owned()),
            ("alertstate".to_owned(), state.to_owned()),
            ("region".to_owned(), "us-east-1".to_owned()),
        ]),
        points: vec![(from + Duration::from_secs(at), 1.0)],
    };
    let m = Scripted {
        range: vec![series("pending", 4), series("firing", 64)],
        ..Scripted::default()
    };
    let expect = ExpectAlerts {
        firing: vec![AlertMatcher(
            "OcfailRegionDown{region={drilled}}".to_owned(),
        )],
        pending: Vec::new(),
        silent: vec![AlertMatcher("OcfailRegionDown".to_owned())],
    };
    let b = Bindings::drill("us-east-1", None);
    let f = expectations(&m, &expect, false, &b, from, SystemTime::now()).await;
    assert_eq!(f[0].verdict, Verdict::Pass);
    let crate::facts::Fact::Guard(GuardFact::Expectation(e)) = &f[0].fact else {
        panic!("{f:?}");
    };
    assert_eq!(e.matcher, r#"OcfailRegionDown{region="us-east-1"}"#);
    assert_eq!(e.first_pending, Some(Duration::from_secs(4)));
    assert_eq!(e.first_firing, Some(Duration::from_secs(64)));
    assert_eq!(f[1].verdict, Verdict::Fail, "silent, but it fired");
    let asked = m.asked.lock().unwrap().clone();
    assert_eq!(
        asked[0],
        r#"ALERTS{alertname="OcfailRegionDown",region="us-east-1"}"#
    );
    // An unmet default "pending" only warns; an explicit one fails.
    let quiet = Scripted::default();
    let pending = ExpectAlerts {
        pending: vec![AlertMatcher("OcfailRegionDown".to_owned())],
        ..ExpectAlerts::default()
    };
    let f = expectations(&quiet, &pending, true, &b, from, SystemTime::now()).await;
    assert_eq!(f[0].verdict, Verdict::Warn);
    let f = expectations(&quiet, &pending, false, &b, from, SystemTime::now()).await;
    assert_eq!(f[0].verdict, Verdict::Fail);
}

#[test]
fn the_watch_interval_follows_the_shortest_for() {
    let g = |s| guard("g", "q", CompareOp::Lt, 1.0, Duration::from_secs(s));
    assert_eq!(watch_interval(&[g(60)]), Duration::from_secs(5));
    assert_eq!(watch_interval(&[g(60), g(6)]), Duration::from_secs(2));
    assert_eq!(watch_interval(&[g(0)]), Duration::from_secs(1));
    assert_eq!(watch_interval(&[]), Duration::from_secs(5));
}
