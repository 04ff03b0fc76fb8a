//! Synthetic traffic (`ops::traffic`) against the simulator's LB hostname:
//! pacing, the serving region moving on failover, and what counts as an
//! error.

use std::time::{Duration, Instant};

use ocfail::manifest::schema::Traffic;
use ocfail::ops::traffic::{Sample, TrafficGenerator, probe_once};
use ocfail::sim::{OriginFault, SimHandle, SimOptions};

use crate::util::{Launch, LiveSim, wait_until};

/// The seed's traffic settings pointed at `sim`, at `rps`.
fn traffic(sim: &SimHandle, rps: f64) -> Traffic {
    let mut t = sim.sim_fleet(None).traffic.unwrap();
    t.rps = rps;
    t
}

/// A port with nothing listening on it.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread")]
async fn steady_traffic_is_paced_and_served_by_the_primary() {
    let sim = LiveSim::start().await.sim;
    let t = traffic(&sim, 50.0);

    let probe = probe_once(&t).await;
    assert_eq!(probe.status, Some(200), "{probe:?}");
    assert_eq!(probe.region.as_deref(), Some("us-east-1"));
    assert!(probe.is_success());

    let origin = Instant::now();
    let generator = TrafficGenerator::start(&t, origin).unwrap();
    wait_until(Duration::from_secs(3), "50 requests", || async {
        if generator.snapshot().requests >= 50 {
            Ok(())
        } else {
            Err(format!("{:?}", generator.snapshot()))
        }
    })
    .await;
    let elapsed = origin.elapsed().as_secs_f64();
    let stopping = Instant::now();
    let s = generator.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_millis(500),
        "stop is prompt"
    );

    assert!(s.requests >= 25, "{s:?}");
    // Paced, not bursting: at most one second's worth more than the rate.
    assert!(
        (s.requests as f64) <= elapsed * 50.0 + 50.0,
        "{} in {elapsed:.2}s",
        s.requests
    );
    assert_eq!(s.errors, 0, "{s:?}");
    assert_eq!(s.error_rate, 0.0);
    assert_eq!(s.by_region.keys().collect::<Vec<_>>(), ["us-east-1"]);
    assert_eq!(s.by_region["us-east-1"], s.requests);
    assert!(s.p50_ms > 0.0 && s.p99_ms >= s.p50_ms, "{s:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn traffic_moves_to_eu_central_when_us_east_goes_down() {
    let sim = LiveSim::start().await.sim;
    let origin = Instant::now();
    let generator = TrafficGenerator::start(&traffic(&sim, 50.0), origin).unwrap();
    wait_until(
        Duration::from_secs(2),
        "a first answer from us-east-1",
        || async { generator.first_success_from("us-east-1", 0).is_some() },
    )
    .await;

    let t_down = u64::try_from(origin.elapsed().as_millis()).unwrap();
    sim.world()
        .cluster("us-east-1")
        .unwrap()
        .scale("us-east-1", "openclaw-api-blue", 0)
        .unwrap();
    wait_until(
        Duration::from_secs(5),
        "an answer from eu-central-1 after the outage",
        || async {
            if generator
                .first_success_from("eu-central-1", t_down)
                .is_some()
            {
                Ok(())
            } else {
                Err(format!("{:?}", generator.snapshot()))
            }
        },
    )
    .await;

    let shifted = generator
        .first_success_from("eu-central-1", t_down)
        .unwrap();
    assert_eq!(
        generator.serving_region_since(t_down),
        Some(("eu-central-1".to_owned(), shifted))
    );
    assert!(shifted >= t_down);
    // Requests already on their way when it shifted may still finish later,
    // but anything sent after the shift goes to eu-central-1.
    wait_until(
        Duration::from_secs(2),
        "every request to go to eu-central-1",
        || async { generator.last_region().as_deref() == Some("eu-central-1") },
    )
    .await;

    let before = generator.summary_between(0, t_down);
    assert_eq!(before.errors, 0, "{before:?}");
    assert_eq!(
        before.by_region.keys().collect::<Vec<_>>(),
        ["us-east-1"],
        "{before:?}"
    );

    let s = generator.stop().await;
    assert!(s.by_region.contains_key("us-east-1"), "{s:?}");
    assert!(s.by_region.contains_key("eu-central-1"), "{s:?}");
    // Only successes are counted per region; the rest are the 503s seen
    // between the scale-down and the failover.
    assert_eq!(s.by_region.values().sum::<u64>() + s.errors, s.requests);
    sim.shutdown().await;
}

/// Synthetic traffic at 50 rps while us-east-1's origin turns unreachable,
/// until eu-central-1 has answered for a while; the samples sent after the
/// fault. The monitor needs three failed checks (about 300 ms here), so
/// the window before it moves traffic holds a dozen requests.
async fn traffic_through_an_unreachable_origin(failover_across_pools: bool) -> Vec<Sample> {
    let options = SimOptions {
        consecutive_down: 3,
        failover_across_pools,
        ..SimOptions::fast()
    };
    let sim = Launch::seed().options(options).start().await.sim;
    let origin = Instant::now();
    let generator = TrafficGenerator::start(&traffic(&sim, 50.0), origin).unwrap();
    wait_until(
        Duration::from_secs(2),
        "a first answer from us-east-1",
        || async { generator.first_success_from("us-east-1", 0).is_some() },
    )
    .await;
    let t_fault = u64::try_from(origin.elapsed().as_millis()).unwrap();
    sim.world()
        .faults
        .set_origin("us-east-1", OriginFault::unreachable(521));
    let pool = sim.world().cloudflare.pool_for_region("us-east-1").unwrap();
    wait_until(
        Duration::from_secs(5),
        "us-east-1's pool to turn unhealthy",
        || async { sim.world().cloudflare.pool_healthy(&pool.id) == Some(false) },
    )
    .await;
    // Requests sent once the LB has moved all go to eu-central-1.
    let t_moved = u64::try_from(origin.elapsed().as_millis()).unwrap();
    wait_until(
        Duration::from_secs(2),
        "answers from eu-central-1 after the move",
        || async {
            generator
                .first_success_from("eu-central-1", t_moved + 100)
                .is_some()
        },
    )
    .await;
    let samples = generator.samples();
    generator.stop().await;
    sim.shutdown().await;
    samples.into_iter().filter(|s| s.at_ms > t_fault).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_origin_costs_requests_unless_failover_across_pools_is_on() {
    let (off, on) = tokio::join!(
        traffic_through_an_unreachable_origin(false),
        traffic_through_an_unreachable_origin(true)
    );
    let lost: Vec<&Sample> = off.iter().filter(|s| !s.is_success()).collect();
    assert!(lost.len() >= 3, "users saw the edge's 521s: {off:?}");
    assert!(
        lost.iter().all(|s| s.status == Some(521)),
        "only 521s: {lost:?}"
    );
    // On: the edge retried every one of them on eu-central-1.
    assert!(on.len() >= 10, "{on:?}");
    assert!(on.iter().all(|s| s.is_success()), "{on:?}");
    assert!(
        on.iter()
            .all(|s| s.region.as_deref() == Some("eu-central-1")),
        "{on:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn five_xx_answers_and_refused_connections_are_errors() {
    let sim = LiveSim::start().await.sim;
    sim.world()
        .cluster("us-east-1")
        .unwrap()
        .scale("us-east-1", "openclaw-api-blue", 0)
        .unwrap();
    // The region's direct endpoint answers 503 once no pod is ready.
    let direct = Traffic {
        url: format!("{}/_direct/us-east-1/healthz", sim.lb_url()),
        ..traffic(&sim, 50.0)
    };
    let generator = TrafficGenerator::start(&direct, Instant::now()).unwrap();
    wait_until(Duration::from_secs(3), "a 503", || async {
        if generator.samples().iter().any(|s| s.status == Some(503)) {
            Ok(())
        } else {
            Err(format!("{:?}", generator.snapshot()))
        }
    })
    .await;
    let samples = generator.samples();
    let s503 = samples.iter().find(|s| s.status == Some(503)).unwrap();
    assert_eq!(s503.error.as_deref(), Some("HTTP 503"));
    assert_eq!(s503.region.as_deref(), Some("us-east-1"));
    let s = generator.stop().await;
    assert!(s.errors >= 1, "{s:?}");
    assert!(
        !s.by_region.contains_key("us-east-1") || s.by_region["us-east-1"] < s.requests,
        "a 503 is not an answer from the region: {s:?}"
    );

    let refused = Traffic {
        url: format!("http://127.0.0.1:{}/healthz", closed_port()),
        ..traffic(&sim, 50.0)
    };
    let probe = probe_once(&refused).await;
    assert_eq!(probe.status, None);
    assert!(
        probe.error.as_deref().unwrap_or("").starts_with("connect"),
        "{probe:?}"
    );
    let generator = TrafficGenerator::start(&refused, Instant::now()).unwrap();
    wait_until(Duration::from_secs(2), "5 refused requests", || async {
        generator.snapshot().requests >= 5
    })
    .await;
    let s = generator.stop().await;
    assert_eq!(s.errors, s.requests, "{s:?}");
    assert_eq!(s.error_rate, 1.0);
    assert!(s.by_region.is_empty());
    assert_eq!(s.p50_ms, 0.0, "no answered request, no latency");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_is_bounded_by_the_timeout_when_the_lb_hangs() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            open.push(conn);
        }
    });
    let hung = Traffic {
        url: format!("http://127.0.0.1:{port}/healthz"),
        rps: 20.0,
        timeout: Duration::from_millis(300),
        region_header: Some("x-openclaw-region".to_owned()),
    };
    let generator = TrafficGenerator::start(&hung, Instant::now()).unwrap();
    wait_until(
        Duration::from_secs(2),
        "two requests to time out",
        || async {
            if generator.snapshot().requests >= 2 {
                Ok(())
            } else {
                Err(format!("{:?}", generator.samples()))
            }
        },
    )
    .await;
    let stopping = Instant::now();
    let s = generator.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_millis(900),
        "{:?}",
        stopping.elapsed()
    );
    assert_eq!(s.errors, s.requests, "{s:?}");
    hold.abort();
}
