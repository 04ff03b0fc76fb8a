//! `PromClient` against a real Prometheus and Alertmanager ([`PromStack`]):
//! instant and range queries, query errors, scraped labels, alerts from
//! both servers, rule names; and against loopback stubs for what a real
//! server cannot show: the `Authorization` header, a path prefix, a server
//! that never answers, and odd answers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use ocfail::prometheus::{AlertSource, AlertState, Auth, Metrics, PromClient, PromError};
use serde_json::json;

use crate::promstack::{PromStack, ScrapeJob, StackOptions};
use crate::util::wait_until;

const RULES: &str = r#"
groups:
  - name: test
    rules:
      - alert: AlwaysFiring
        expr: vector(1) > 0
        for: 0s
        labels:
          severity: page
      - alert: AlwaysPending
        expr: vector(1)
        for: 1h
"#;

/// Long enough for a real server on a busy machine.
const WITHIN: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread")]
async fn instant_and_range_queries() {
    let Some(stack) = PromStack::start(StackOptions {
        // Shows that the arguments reach Prometheus, and gives a 422.
        prometheus_args: vec!["--query.max-samples=100".into()],
        ..StackOptions::default()
    }) else {
        return;
    };
    let c = stack.client();

    let v = c.query("vector(1)").await.unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].value, 1.0);
    assert!(v[0].labels.is_empty(), "{v:?}");

    let s = c.query("scalar(vector(2))").await.unwrap();
    assert_eq!((s.len(), s[0].value), (1, 2.0));
    assert!(s[0].labels.is_empty());

    let labelled = c
        .query(r#"label_replace(vector(3), "who", "a b\"c", "", "")"#)
        .await;
    let labelled = labelled.unwrap();
    assert_eq!(
        labelled[0].labels.get("who").map(String::as_str),
        Some("a b\"c")
    );

    assert!(c.query("0/0").await.unwrap()[0].value.is_nan());
    assert_eq!(c.query("1/0").await.unwrap()[0].value, f64::INFINITY);
    assert_eq!(c.query("-1/0").await.unwrap()[0].value, f64::NEG_INFINITY);

    match c.query("sum(").await {
        Err(PromError::Query { error_type, error }) => {
            assert_eq!(error_type, "bad_data");
            assert!(error.contains("parse error"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    match c.query("count_over_time(vector(1)[1h:1s])").await {
        Err(PromError::Query { error_type, .. }) => assert_eq!(error_type, "execution"),
        other => panic!("{other:?}"),
    }
    match c.query("up[1m]").await {
        Err(PromError::Decode { url, reason }) => {
            assert!(
                reason.contains("must return a vector or a scalar"),
                "{reason}"
            );
            assert_eq!(url, format!("{}/api/v1/query", stack.prometheus_url));
        }
        other => panic!("{other:?}"),
    }

    // Whole seconds: exact as the client's float seconds, so Prometheus
    // sees exactly 10 s and answers exactly 11 points.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let end = UNIX_EPOCH + Duration::from_secs(now.as_secs());
    let start = end - Duration::from_secs(10);
    let r = c
        .query_range("vector(1)", start, end, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].points.len(), 11, "{r:?}");
    assert!(r[0].points.iter().all(|(_, v)| *v == 1.0));
    assert!(r[0].points.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(r[0].points[0].0, start);
    assert_eq!(r[0].points[10].0, end);

    match c
        .query_range("sum(", start, end, Duration::from_secs(1))
        .await
    {
        Err(PromError::Query { error_type, .. }) => assert_eq!(error_type, "bad_data"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn scraped_series_carry_the_job_and_target_labels() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(|| async { "# TYPE demo_value gauge\ndemo_value 42\n" }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let Some(stack) = PromStack::start(StackOptions {
        scrape: vec![ScrapeJob {
            job: "demo".into(),
            targets: vec![addr.to_string()],
            labels: BTreeMap::from([("region".into(), "eu-west".into())]),
        }],
        scrape_yaml: Some(
            "- job_name: raw\n  static_configs:\n    - targets: [\"127.0.0.1:1\"]\n".into(),
        ),
        ..StackOptions::default()
    }) else {
        return;
    };
    let c = stack.client();
    let samples = wait_until(WITHIN, "demo_value to be scraped", || {
        let c = c.clone();
        async move { c.query("demo_value").await.ok().filter(|s| !s.is_empty()) }
    })
    .await;
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].value, 42.0);
    let labels = &samples[0].labels;
    assert_eq!(labels.get("job").map(String::as_str), Some("demo"));
    assert_eq!(labels.get("region").map(String::as_str), Some("eu-west"));
    assert_eq!(labels.get("instance"), Some(&addr.to_string()));

    // The raw job's target is down, which only a loaded job can say.
    wait_until(WITHIN, "the raw job to be scraped", || {
        let c = c.clone();
        async move {
            let up = c.query(r#"up{job="raw"}"#).await.ok()?;
            (up.len() == 1 && up[0].value == 0.0).then_some(())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_and_rules_from_prometheus() {
    let Some(stack) = PromStack::start(StackOptions {
        rules: Some(RULES.into()),
        ..StackOptions::default()
    }) else {
        return;
    };
    let c = stack.client();
    assert_eq!(
        c.alert_rules().await.unwrap(),
        ["AlwaysFiring", "AlwaysPending"]
    );
    let firing = stack
        .wait_for_alert("AlwaysFiring", AlertState::Firing, WITHIN)
        .await;
    assert_eq!(firing.source, AlertSource::Prometheus);
    assert_eq!(
        firing.labels.get("severity").map(String::as_str),
        Some("page")
    );
    let since = firing.since.expect("activeAt is read");
    assert!(since <= SystemTime::now());
    assert!(SystemTime::now().duration_since(since).unwrap() < Duration::from_secs(3600));

    let pending = stack
        .wait_for_alert("AlwaysPending", AlertState::Pending, WITHIN)
        .await;
    assert!(pending.since.is_some());
    let alerts = c.alerts().await.unwrap();
    assert_eq!(alerts.len(), 2, "{alerts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_from_alertmanager_are_the_firing_ones() {
    let Some(stack) = PromStack::start(StackOptions {
        rules: Some(RULES.into()),
        alertmanager: true,
        ..StackOptions::default()
    }) else {
        return;
    };
    let firing = stack
        .wait_for_alert("AlwaysFiring", AlertState::Firing, WITHIN)
        .await;
    assert_eq!(firing.source, AlertSource::Alertmanager);
    assert_eq!(
        firing.labels.get("severity").map(String::as_str),
        Some("page")
    );
    assert!(firing.since.is_some_and(|t| t <= SystemTime::now()));

    // Prometheus has the pending alert, Alertmanager never hears of it.
    let prom = stack.prometheus_client();
    wait_until(WITHIN, "AlwaysPending pending in Prometheus", || {
        let prom = prom.clone();
        async move {
            let alerts = prom.alerts().await.ok()?;
            alerts
                .iter()
                .any(|a| a.name() == "AlwaysPending" && a.state == AlertState::Pending)
                .then_some(())
        }
    })
    .await;
    let names: Vec<String> = stack
        .client()
        .alerts()
        .await
        .unwrap()
        .iter()
        .map(|a| a.name().to_owned())
        .collect();
    assert_eq!(names, ["AlwaysFiring"]);
    assert_eq!(
        stack.client().alert_rules().await.unwrap(),
        ["AlwaysFiring", "AlwaysPending"],
        "rules still come from Prometheus"
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let c = PromClient::new(&url, Some(&url), Auth::None, Duration::from_secs(5)).unwrap();
    match c.query("vector(1)").await {
        Err(PromError::Unreachable { url: u, reason }) => {
            assert_eq!(u, format!("{url}/api/v1/query"));
            assert!(reason.to_lowercase().contains("refused"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        c.alerts().await,
        Err(PromError::Unreachable { .. })
    ));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let timeout = Duration::from_millis(300);
    let c = PromClient::new(&format!("http://{addr}"), None, Auth::None, timeout).unwrap();
    // The outer bound only keeps a missing timeout from hanging the test.
    let answer = tokio::time::timeout(WITHIN, c.query("vector(1)"))
        .await
        .expect("the client's own timeout ends the request");
    match answer {
        Err(PromError::Timeout { timeout: t, url }) => {
            assert_eq!(t, timeout);
            assert_eq!(url, format!("http://{addr}/api/v1/query"));
        }
        other => panic!("{other:?}"),
    }
}

/// What the stub saw of one request.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    authorization: Option<String>,
    body: String,
}

/// A loopback stub recording each request; `answer` picks the reply by path.
async fn stub(answer: fn(&str) -> (StatusCode, String)) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: String| {
        let path = uri.path().to_owned();
        let authorization = headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        log.lock().unwrap().push(Seen {
            path: uri.to_string(),
            authorization,
            body,
        });
        let (status, body) = answer(&path);
        async move { (status, [("content-type", "application/json")], body).into_response() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), seen)
}

fn vector_one(_: &str) -> (StatusCode, String) {
    let body = json!({"status": "success", "data": {"resultType": "vector",
        "result": [{"metric": {}, "value": [1.0, "1"]}]}});
    (StatusCode::OK, body.to_string())
}

#[tokio::test]
async fn credentials_go_in_the_authorization_header_under_a_path_prefix() {
    let (base, seen) = stub(vector_one).await;
    let prefixed = format!("{base}/prom/");
    let cases = [
        (Auth::None, None),
        (
            Auth::Bearer("b3arer-s3cret".into()),
            Some("Bearer b3arer-s3cret"),
        ),
        (
            Auth::Basic {
                username: "Aladdin".into(),
                password: "open sesame".into(),
            },
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        ),
    ];
    for (auth, expected) in cases {
        let c = PromClient::new(&prefixed, None, auth, Duration::from_secs(5)).unwrap();
        assert!(!format!("{c:?}").contains("s3cret") && !format!("{c:?}").contains("sesame"));
        let v = c.query(r#"up{job="a b"} + 1"#).await.unwrap();
        assert_eq!(v[0].value, 1.0);
        let last = seen.lock().unwrap().pop().unwrap();
        assert_eq!(last.path, "/prom/api/v1/query");
        assert_eq!(last.authorization.as_deref(), expected);
        assert_eq!(last.body, "query=up%7Bjob%3D%22a+b%22%7D+%2B+1");
    }
}

#[tokio::test]
async fn odd_answers_map_to_their_errors() {
    let (base, seen) = stub(|path| match path {
        "/401/api/v1/query" => (StatusCode::UNAUTHORIZED, "nope".into()),
        "/403/api/v1/query" => (StatusCode::FORBIDDEN, String::new()),
        "/500/api/v1/query" => (StatusCode::INTERNAL_SERVER_ERROR, "oops".into()),
        "/503/api/v1/query" => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "error", "errorType": "timeout", "error": "query timed out"})
                .to_string(),
        ),
        "/garbage/api/v1/query" => (StatusCode::OK, "<html>".into()),
        _ => vector_one(path),
    })
    .await;
    let client = |prefix: &str| {
        PromClient::new(
            &format!("{base}/{prefix}"),
            Some(&format!("{base}/am/")),
            Auth::Bearer("b3arer-s3cret".into()),
            Duration::from_secs(5),
        )
        .unwrap()
    };
    for (prefix, status) in [("401", 401), ("403", 403)] {
        let e = client(prefix).query("x").await.unwrap_err();
        assert_eq!(
            e,
            PromError::Unauthorized {
                url: format!("{base}/{prefix}/api/v1/query"),
                status
            }
        );
        assert!(!e.to_string().contains("s3cret"));
    }
    assert!(matches!(
        client("500").query("x").await,
        Err(PromError::Status { status: 500, .. })
    ));
    assert_eq!(
        client("503").query("x").await,
        Err(PromError::Query {
            error_type: "timeout".into(),
            error: "query timed out".into()
        })
    );
    assert!(matches!(
        client("garbage").query("x").await,
        Err(PromError::Decode { .. })
    ));
    // Alertmanager's answer here is Prometheus' envelope, not a list.
    assert!(matches!(
        client("ok").alerts().await,
        Err(PromError::Decode { .. })
    ));
    let am = seen.lock().unwrap().pop().unwrap();
    assert_eq!(
        am.path,
        "/am/api/v2/alerts?active=true&silenced=false&inhibited=false&unprocessed=false"
    );
    assert_eq!(am.authorization.as_deref(), Some("Bearer b3arer-s3cret"));
}
