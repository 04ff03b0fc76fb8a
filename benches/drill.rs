//! How soon a drill notices the pool flip after the simulator's own event
//! (issue 5, docs/performance.md: median ≤ 1 s within the request budget), and how
//! many Cloudflare requests a drill makes per minute.

// Bench code: failing loudly on the spot is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, SystemTime};

use ocfail::ops::connect::{self, ConnectOptions};
use ocfail::ops::drill::{self, DrillOptions};
use ocfail::signal::{SignalHandler, SignalHandlerKind};
use ocfail::sim::SimOptions;

const RUNS: usize = 5;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for rps in [2.0, 10.0] {
        let mut lags = Vec::new();
        let mut per_minute = Vec::new();
        for run in 0..RUNS {
            let (lag, rpm) = rt.block_on(one(rps, run));
            lags.push(lag);
            per_minute.push(rpm);
        }
        lags.sort();
        per_minute.sort_by(f64::total_cmp);
        println!("drill with a {rps} req/s Cloudflare budget, {RUNS} runs:");
        println!(
            "  detection lag after the simulator's pool-unhealthy event: median {} ms, max {} ms",
            lags[RUNS / 2].as_millis(),
            lags[RUNS - 1].as_millis()
        );
        println!(
            "  Cloudflare requests per minute of drill: median {:.0} (budget {:.0})",
            per_minute[RUNS / 2],
            rps * 60.0
        );
    }
}

async fn one(rps: f64, run: usize) -> (Duration, f64) {
    let fleet = ocfail::manifest::seed_fleet();
    let opts = ConnectOptions {
        request_timeout: Duration::from_secs(5),
        cloudflare_rps: rps,
        cloudflare_tries: 3,
    };
    let connected = connect::connect_sim(&fleet, &opts, SimOptions::fast())
        .await
        .unwrap();
    let world = connected.sim().unwrap().world().clone();
    let mut signals = SignalHandler::new(SignalHandlerKind::Noop).unwrap();
    let drill_opts = DrillOptions {
        region: "us-east-1".to_owned(),
        hold: Duration::from_secs(1),
        method: ocfail::manifest::DrillMethod::ScaleToZero,
        dry_run: false,
        overrides: Vec::new(),
        guard_overrides: Vec::new(),
        run_id: format!("bench-{run}"),
    };
    let started = SystemTime::now();
    let mut progress = |_: &str, _: &ocfail::facts::Step| {};
    let mut sup = ocfail::ops::supervise::Supervisor::new(&mut signals, &mut progress);
    let outcome = drill::run(&connected, &drill_opts, &mut sup).await;
    let took = started.elapsed().unwrap();
    let noticed = outcome
        .unhealthy_noticed_at
        .expect("the drill saw the pool go unhealthy");
    let event = world
        .log
        .snapshot()
        .into_iter()
        .find(|e| e.kind == "pool-unhealthy" && e.region.as_deref() == Some("us-east-1"))
        .expect("the simulator logged the flip");
    let flipped = humantime::parse_rfc3339_weak(&event.at).unwrap();
    let lag = noticed.duration_since(flipped).unwrap_or_default();
    connected.close().await;
    (
        lag,
        outcome.cloudflare_requests as f64 / took.as_secs_f64() * 60.0,
    )
}
