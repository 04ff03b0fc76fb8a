//! `CloudflareClient` against the simulator (every `Pools` method on the
//! seed fleet, tokens, 429 bursts, 5xx, the request budget) and against
//! small counting stubs for what the simulator cannot show: how many
//! attempts reached the server, odd pagination, timeouts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::util::LiveSim;
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use ocfail::cloudflare::budget::DEFAULT_BURST;
use ocfail::cloudflare::{
    ApiToken, CfError, CfErrorKind, ClientOptions, CloudflareClient, Monitor, Pools,
};
use ocfail::sim::{CloudflareFault, SimHandle};
use serde_json::{Value, json};

/// Distinctive, so a grep for it cannot match anything else.
const TOKEN: &str = "cf-test-token-7Qx9s3cret";
const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const ZONE: &str = "9a7806061c88ada191ed06f989cc3dac";

fn options(api_url: String, rps: f64) -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        requests_per_second: rps,
        ..ClientOptions::new(api_url, ACCOUNT, ZONE)
    }
}

/// A client with a high budget so tests stay quick.
fn client(sim: &SimHandle, token: &str) -> CloudflareClient {
    let opts = options(sim.cloudflare_url(), 50.0);
    CloudflareClient::new(opts, ApiToken::new(token.to_owned())).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_method_on_the_seed_fleet() {
    let sim = LiveSim::start().await.sim;
    let cf = client(&sim, TOKEN);

    let token = cf.verify_token().await.unwrap();
    assert_eq!(token.status, "active");

    let lb = cf.load_balancer("API.openclaw.com.").await.unwrap();
    assert_eq!(lb.name, "api.openclaw.com");
    assert_eq!(lb.default_pools.len(), 3);

    let pools = cf.pools().await.unwrap();
    let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
    for want in [
        "openclaw-us-east-1",
        "openclaw-eu-central-1",
        "openclaw-ap-southeast-2",
    ] {
        assert!(names.contains(&want), "{names:?}");
    }
    assert_eq!(
        lb.default_pools[0], pools[0].id,
        "failover order starts with us-east-1"
    );

    let by_name = cf.pool("openclaw-us-east-1").await.unwrap();
    let by_id = cf.pool(&by_name.id).await.unwrap();
    assert_eq!(by_name, by_id);
    assert!(by_name.enabled);
    assert_eq!(by_name.origins.len(), 1);

    let health = cf.pool_health(&by_id.id).await.unwrap();
    assert_eq!(health.pool_id, by_id.id);
    assert!(!health.locations.is_empty());
    for (label, view) in &health.locations {
        assert!(view.healthy, "{label}: {view:?}");
        let origin = &view.origins[0];
        assert_eq!(origin.address, by_id.origins[0].address);
        assert_eq!(origin.response_code, Some(200), "{origin:?}");
        assert!(origin.rtt_ms.is_some(), "{origin:?}");
    }

    let monitor = cf.monitor(by_id.monitor.as_deref().unwrap()).await.unwrap();
    assert_eq!(monitor.path, "/healthz");
    assert!(monitor.interval >= 1);

    let preview = cf.preview(&by_id.id, &monitor).await.unwrap();
    let view = &preview.pools[&by_id.id];
    assert!(view.healthy, "{view:?}");
    // A monitor that expects a status the app never answers would notice
    // nothing healthy: the preview really uses the submitted settings.
    let picky = Monitor {
        expected_codes: "418".into(),
        ..monitor.clone()
    };
    let preview = cf.preview(&by_id.id, &picky).await.unwrap();
    assert!(!preview.pools[&by_id.id].healthy);

    let off = cf.set_pool_enabled(&by_id.id, false).await.unwrap();
    assert!(!off.enabled);
    assert!(!cf.pool(&by_id.id).await.unwrap().enabled);
    let on = cf.set_pool_enabled(&by_id.id, true).await.unwrap();
    assert!(on.enabled);

    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_objects_list_what_exists() {
    let sim = LiveSim::start().await.sim;
    let cf = client(&sim, TOKEN);

    let e = cf.load_balancer("www.openclaw.com").await.unwrap_err();
    assert_eq!(e.kind, CfErrorKind::NotFound);
    assert_eq!(e.request, format!("GET /zones/{ZONE}/load_balancers"));
    assert!(
        e.hint.as_ref().unwrap().contains("api.openclaw.com"),
        "{e:?}"
    );

    let e = cf.pool("openclaw-us-east1").await.unwrap_err();
    assert_eq!(e.kind, CfErrorKind::NotFound);
    let hint = e.hint.unwrap();
    assert!(
        hint.contains(": openclaw-us-east-1, "),
        "closest first: {hint}"
    );

    // A well-formed id that does not exist falls back to names, then fails.
    let e = cf
        .pool("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert_eq!(e.kind, CfErrorKind::NotFound);

    let e = cf
        .monitor("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.status), (CfErrorKind::NotFound, Some(404)));
    assert!(e.request.starts_with("GET /accounts/"), "{e}");
    assert!(!e.request.contains("127.0.0.1"), "no host in {e}");

    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_token_reads_but_cannot_disable_a_pool() {
    let sim = LiveSim::start().await.sim;
    let cf = client(&sim, "read-only");
    let pool = cf.pool("openclaw-eu-central-1").await.unwrap();
    let e = cf.set_pool_enabled(&pool.id, false).await.unwrap_err();
    assert_eq!((e.kind, e.status), (CfErrorKind::Forbidden, Some(403)));
    assert_eq!(e.errors, [(10000, "Authentication error".to_owned())]);
    assert!(e.request.starts_with("PATCH /accounts/"), "{e}");
    let hint = e.hint.unwrap();
    assert!(
        hint.contains("Load Balancing: Monitors and Pools Write"),
        "{hint}"
    );
    assert!(sim.world().cloudflare.pool_healthy(&pool.id).is_some());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_token_is_unauthorized_with_a_hint() {
    let sim = LiveSim::start().await.sim;
    let cf = client(&sim, "invalid");
    let e = cf.verify_token().await.unwrap_err();
    assert_eq!((e.kind, e.status), (CfErrorKind::Unauthorized, Some(401)));
    assert!(e.has_code(1000), "{e:?}");
    // The user endpoint, then the account endpoint for account-owned tokens.
    assert_eq!(cf.requests_sent(), 2);
    let hint = e.hint.unwrap();
    assert!(hint.contains("My Profile → API Tokens"), "{hint}");
    assert!(
        hint.contains("Load Balancing: Monitors and Pools Read, Load Balancers Read"),
        "{hint}"
    );
    let e = cf.pools().await.unwrap_err();
    assert_eq!(e.kind, CfErrorKind::Unauthorized);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_burst_is_waited_out() {
    let sim = LiveSim::start().await.sim;
    let cf = client(&sim, TOKEN);
    sim.world().faults.set_cloudflare(CloudflareFault {
        rate_limit_burst: 2,
        retry_after_secs: 1,
        ..CloudflareFault::default()
    });
    let t0 = Instant::now();
    let pools = cf.pools().await.unwrap();
    assert_eq!(pools.len(), 3);
    assert!(t0.elapsed() >= Duration::from_secs(2), "{:?}", t0.elapsed());
    assert_eq!(cf.requests_sent(), 3);
    sim.shutdown().await;
}

/// `pool_as_of` says when the attempt that got the answer was sent: after
/// the 429's `Retry-After`, and before the answer came back. The drill
/// times `unhealthyAfterMs` with it.
#[tokio::test(flavor = "multi_thread")]
async fn pool_as_of_is_when_the_answered_attempt_was_sent() {
    let sim = LiveSim::start().await.sim;
    let cf = client(&sim, TOKEN);
    let id = cf.pool("openclaw-us-east-1").await.unwrap().id;
    // Every answer takes 500 ms, and the first is a 429 asking for 2 s.
    sim.world().faults.set_cloudflare(CloudflareFault {
        latency_ms: 500,
        rate_limit_burst: 1,
        retry_after_secs: 2,
        ..CloudflareFault::default()
    });
    let before = cf.requests_sent();
    let started = tokio::time::Instant::now();
    let (pool, at) = cf.pool_as_of(&id).await.unwrap();
    let answered = tokio::time::Instant::now();
    assert_eq!(pool.id, id);
    assert_eq!(cf.requests_sent() - before, 2, "the 429, then the answer");
    // Not the call's start: the first attempt's 500 ms and the 2 s wait
    // come before the attempt that was answered.
    assert!(
        at >= started + Duration::from_millis(2500),
        "{:?} after the start",
        at - started
    );
    // Not the answer's arrival either: that attempt took 500 ms itself.
    assert!(
        at + Duration::from_millis(500) <= answered,
        "{:?} before the answer",
        answered - at
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_for_gets_only() {
    let sim = LiveSim::start().await.sim;
    let cf = client(&sim, TOKEN);
    let pool = cf.pool("openclaw-us-east-1").await.unwrap();
    let monitor = cf.monitor(pool.monitor.as_deref().unwrap()).await.unwrap();
    sim.world().faults.set_cloudflare(CloudflareFault {
        error_rate: 1.0,
        ..CloudflareFault::default()
    });

    let before = cf.requests_sent();
    let e = cf.pool_health(&pool.id).await.unwrap_err();
    assert_eq!((e.kind, e.status), (CfErrorKind::Server, Some(500)));
    assert!(e.message.ends_with(", after 3 tries"), "{e}");
    assert_eq!(cf.requests_sent() - before, 3);

    // A POST might have been acted on: one attempt only.
    let before = cf.requests_sent();
    let e = cf.preview(&pool.id, &monitor).await.unwrap_err();
    assert_eq!(e.kind, CfErrorKind::Server);
    assert!(e.request.starts_with("POST "), "{e}");
    assert_eq!(cf.requests_sent() - before, 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_budget_is_shared_by_clones() {
    let sim = LiveSim::start().await.sim;
    // A rested budget lets a burst go at once; four more at 2/s take 2 s.
    const CALLS: u32 = DEFAULT_BURST + 4;
    let run = |rps: f64| {
        let opts = options(sim.cloudflare_url(), rps);
        let cf = CloudflareClient::new(opts, ApiToken::new(TOKEN.into())).unwrap();
        async move {
            let t0 = Instant::now();
            let calls: Vec<_> = (0..CALLS)
                .map(|_| {
                    let cf = cf.clone();
                    tokio::spawn(async move { cf.pools().await.map(|p| p.len()) })
                })
                .collect();
            for c in calls {
                assert_eq!(c.await.unwrap().unwrap(), 3);
            }
            t0.elapsed()
        }
    };
    let _fast = run(20.0).await;
    let slow = run(2.0).await;
    // Shared, the clones spend one burst: the last call starts
    // (CALLS - burst) / 2 s after the first. Each clone with a budget of
    // its own would have taken no time at all.
    assert!(slow >= Duration::from_secs(2), "{slow:?}");
    sim.shutdown().await;
}

// ---- counting stubs -------------------------------------------------------

/// What a stub answers to the `n`th request (from 0) for `uri`.
type Answer = Arc<
    dyn Fn(u32, &Uri) -> (StatusCode, Vec<(&'static str, String)>, Value, Duration) + Send + Sync,
>;

struct Stub {
    url: String,
    hits: Arc<AtomicU32>,
}

async fn stub(answer: Answer) -> Stub {
    let hits = Arc::new(AtomicU32::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let (status, headers, body, delay) = answer(n, &uri);
        async move {
            tokio::time::sleep(delay).await;
            let mut resp = (status, axum::Json(body)).into_response();
            for (k, v) in headers {
                resp.headers_mut().insert(k, v.parse().unwrap());
            }
            resp
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Stub {
        url: format!("http://{addr}/client/v4"),
        hits,
    }
}

fn failure(code: u32, message: &str) -> Value {
    json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null})
}

fn stub_client(stub: &Stub, timeout: Duration) -> CloudflareClient {
    let opts = ClientOptions {
        timeout,
        ..options(stub.url.clone(), 100.0)
    };
    CloudflareClient::new(opts, ApiToken::new(TOKEN.into())).unwrap()
}

#[tokio::test]
async fn the_server_sees_max_tries_for_5xx_and_one_post() {
    let s = stub(Arc::new(|_, _| {
        (
            StatusCode::BAD_GATEWAY,
            vec![],
            failure(10001, "boom"),
            Duration::ZERO,
        )
    }))
    .await;
    let cf = stub_client(&s, Duration::from_secs(2));
    assert_eq!(cf.pools().await.unwrap_err().kind, CfErrorKind::Server);
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
    let e = cf.preview("p1", &Monitor::default()).await.unwrap_err();
    assert_eq!(e.kind, CfErrorKind::Server);
    assert!(e.hint.unwrap().contains("not repeated automatically"));
    assert_eq!(s.hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn timeouts_are_retried_then_reported() {
    let s = stub(Arc::new(|_, _| {
        let ok = json!({"success": true, "errors": [], "messages": [], "result": {"id": "m"}});
        (StatusCode::OK, vec![], ok, Duration::from_secs(5))
    }))
    .await;
    let cf = stub_client(&s, Duration::from_millis(100));
    let e = cf.monitor("m1").await.unwrap_err();
    assert_eq!((e.kind, e.status), (CfErrorKind::Timeout, None));
    assert!(e.message.contains("no answer within 100ms"), "{e}");
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_long_retry_after_fails_at_once() {
    let s = stub(Arc::new(|_, _| {
        let headers = vec![("retry-after", "300".to_owned())];
        (
            StatusCode::TOO_MANY_REQUESTS,
            headers,
            failure(971, "Please wait"),
            Duration::ZERO,
        )
    }))
    .await;
    let cf = stub_client(&s, Duration::from_secs(2));
    let e = cf.pools().await.unwrap_err();
    assert_eq!((e.kind, e.status), (CfErrorKind::RateLimited, Some(429)));
    assert!(e.hint.unwrap().contains("wait 300s"));
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);
}

fn page_of(ids: std::ops::Range<u32>, info: Value) -> Value {
    let items: Vec<Value> = ids
        .map(|i| json!({"id": format!("p{i}"), "name": format!("pool-{i}"), "origins": []}))
        .collect();
    json!({"success": true, "errors": [], "messages": [], "result": items, "result_info": info})
}

fn page_number(uri: &Uri) -> u32 {
    let q = uri.query().unwrap_or_default();
    assert!(q.contains("per_page=50"), "{q}");
    q.split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn pagination_follows_pages_without_total_pages() {
    // 120 pools, 50 a page, no total_pages: 50 + 50 + 20 (short: the end).
    let s = stub(Arc::new(|_, uri| {
        let page = page_number(uri);
        let from = (page - 1) * 50;
        let body = page_of(
            from..(from + 50).min(120),
            json!({"page": page, "per_page": 50}),
        );
        (StatusCode::OK, vec![], body, Duration::ZERO)
    }))
    .await;
    let pools = stub_client(&s, Duration::from_secs(2))
        .pools()
        .await
        .unwrap();
    assert_eq!(pools.len(), 120);
    assert_eq!(pools[119].name, "pool-119");
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn pagination_stops_at_total_pages_and_on_repeated_pages() {
    let s = stub(Arc::new(|_, uri| {
        let page = page_number(uri);
        let from = (page - 1) * 50;
        let body = page_of(from..from + 50, json!({"per_page": 50, "total_pages": 2}));
        (StatusCode::OK, vec![], body, Duration::ZERO)
    }))
    .await;
    let pools = stub_client(&s, Duration::from_secs(2))
        .pools()
        .await
        .unwrap();
    assert_eq!((pools.len(), s.hits.load(Ordering::SeqCst)), (100, 2));

    // A server that ignores `page` and always sends the same full page.
    let s = stub(Arc::new(|_, _| {
        let body = page_of(0..50, json!({"per_page": 50}));
        (StatusCode::OK, vec![], body, Duration::ZERO)
    }))
    .await;
    let pools = stub_client(&s, Duration::from_secs(2))
        .pools()
        .await
        .unwrap();
    assert_eq!((pools.len(), s.hits.load(Ordering::SeqCst)), (50, 2));
}

#[tokio::test]
async fn account_tokens_verify_at_the_account_endpoint() {
    let s = stub(Arc::new(|_, uri| {
        let (status, body) = if uri.path().ends_with("/user/tokens/verify") {
            (StatusCode::UNAUTHORIZED, failure(1000, "Invalid API Token"))
        } else {
            assert_eq!(
                uri.path(),
                format!("/client/v4/accounts/{ACCOUNT}/tokens/verify")
            );
            let r = json!({"id": "t", "status": "expired"});
            (
                StatusCode::OK,
                json!({"success": true, "errors": [], "messages": [], "result": r}),
            )
        };
        (status, vec![], body, Duration::ZERO)
    }))
    .await;
    let e = stub_client(&s, Duration::from_secs(2))
        .verify_token()
        .await
        .unwrap_err();
    assert_eq!(e.kind, CfErrorKind::Unauthorized);
    assert!(e.message.contains("expired"), "{e}");
}

/// Every error kind the client makes, and the client itself, formatted
/// every way and logged at trace level: the token appears nowhere.
#[tokio::test]
async fn the_token_is_never_shown() {
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buf(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }
    let logs = Buf::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .finish();
    // Current-thread runtime: every task of this test logs here.
    let _guard = tracing::subscriber::set_default(subscriber);

    // The monitor id names the answer: `s401` → 401, `slow` → too late.
    let s = stub(Arc::new(|_, uri| {
        let last = uri.path().rsplit('/').next().unwrap_or_default().to_owned();
        let delay = if last == "slow" {
            Duration::from_secs(2)
        } else {
            Duration::ZERO
        };
        let status = last
            .strip_prefix('s')
            .and_then(|c| c.parse().ok())
            .unwrap_or(200);
        let status = StatusCode::from_u16(status).unwrap();
        let headers = vec![("retry-after", "120".to_owned())];
        (
            status,
            headers,
            failure(6003, "Invalid request headers"),
            delay,
        )
    }))
    .await;
    let cf = stub_client(&s, Duration::from_millis(200));
    let mut shown = vec![format!("{cf:?}"), format!("{:#?}", cf.clone())];
    let mut errors: Vec<CfError> = Vec::new();
    for id in [
        "s401", "s400", "s403", "s404", "s429", "s500", "s418", "slow",
    ] {
        errors.push(cf.monitor(id).await.unwrap_err());
    }
    let dead = CloudflareClient::new(
        options("http://127.0.0.1:9/client/v4".into(), 100.0),
        ApiToken::new(TOKEN.into()),
    )
    .unwrap();
    errors.push(dead.pools().await.unwrap_err());
    errors.push(ApiToken::from_env("OCFAIL_TEST_SURELY_UNSET_VARIABLE").unwrap_err());
    errors.push(
        CloudflareClient::new(
            options("not a url".into(), 1.0),
            ApiToken::new(format!("{TOKEN} with spaces")),
        )
        .unwrap_err(),
    );
    let kinds: Vec<CfErrorKind> = errors.iter().map(|e| e.kind).collect();
    for kind in [
        CfErrorKind::Unauthorized,
        CfErrorKind::Forbidden,
        CfErrorKind::NotFound,
        CfErrorKind::RateLimited,
        CfErrorKind::Server,
        CfErrorKind::Timeout,
        CfErrorKind::Api,
        CfErrorKind::Unreachable,
        CfErrorKind::MissingToken,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} not covered: {kinds:?}");
    }
    for e in &errors {
        shown.push(format!(
            "{e} {e:?} {e:#?} {}",
            e.hint.as_deref().unwrap_or("")
        ));
    }
    shown.push(String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned());
    let all = shown.join("\n");
    assert!(
        all.contains("retrying Cloudflare request"),
        "logs captured:\n{all}"
    );
    assert!(!all.contains(TOKEN), "the token leaked:\n{all}");
    assert!(
        !all.contains("7Qx9s3cret"),
        "part of the token leaked:\n{all}"
    );
}
