//! `status` against the simulator with 1, 10 and 50 regions and 50 ms of
//! injected latency on every Kubernetes and Cloudflare call (issues 4 and 15,
//! docs/performance.md): prints the medians, T(50)/T(1) and T(1) in round trips.
//! Targets: T(50)/T(1) ≤ 2.0, since the limit is the longest chain of
//! dependent calls, not the number of regions; and T(1) ≤ 3 round trips,
//! since a fresh request budget lets the first Cloudflare requests go at once.
//!
//! Each run gets a Cloudflare client of its own, as each `ocfail status`
//! process does: runs sharing one budget would measure the pacing of
//! back-to-back commands, not one command.
//!
//! `cargo bench --bench status -- --quick` measures only T(1) at the default
//! budget (so does `cargo test --bench status -- --quick`, unoptimised).

// Bench code: failing loudly on the spot is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ocfail::cloudflare::{ApiToken, CloudflareClient};
use ocfail::ops::connect::{self, ConnectOptions};
use ocfail::ops::{snapshot, status};
use ocfail::sim::{CloudflareFault, KubeFault, SimOptions};

const RUNS: usize = 7;
/// Injected on every call, Kubernetes and Cloudflare: one round trip.
const LATENCY: Duration = Duration::from_millis(50);

async fn median_status(regions: usize, cloudflare_rps: f64) -> Duration {
    // A manifest needs two regions; T(1) queries a fleet cut down to one.
    let yaml = ocfail::manifest::synthetic::fleet_yaml(regions.max(2));
    let mut fleet = ocfail::manifest::parse_str("bench.yaml", &yaml).unwrap();
    fleet.regions.truncate(regions);
    let opts = ConnectOptions {
        request_timeout: Duration::from_secs(10),
        cloudflare_rps,
        cloudflare_tries: 3,
    };
    let connected = connect::connect_sim(&fleet, &opts, SimOptions::default())
        .await
        .unwrap();
    let world = connected.sim().unwrap().world().clone();
    let latency_ms = u64::try_from(LATENCY.as_millis()).unwrap();
    for r in &fleet.regions {
        world.faults.set_kube(
            r.name.as_str(),
            KubeFault {
                latency_ms,
                ..KubeFault::default()
            },
        );
    }
    world.faults.set_cloudflare(CloudflareFault {
        latency_ms,
        ..CloudflareFault::default()
    });
    let cf_options = connected.cloudflare.as_ref().unwrap().options().clone();
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        // Built outside the timing, like a process's client before its first call.
        let cf = CloudflareClient::new(cf_options.clone(), ApiToken::new("sim-token".to_owned()))
            .map(Arc::new);
        let started = Instant::now();
        let snap = snapshot::fleet(&connected.fleet, connected.regions.clone(), cf, 64).await;
        let (reports, _) = status::report(&connected.fleet, &snap, &connected.recovery);
        times.push(started.elapsed());
        assert_eq!(reports.len(), regions);
        assert!(
            reports
                .iter()
                .all(|r| r.verdict == ocfail::report::model::Verdict::Pass),
            "{reports:#?}"
        );
    }
    connected.close().await;
    times.sort();
    times[RUNS / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_t1(t1: Duration) {
    println!("  T(1)  = {:>7.1} ms", ms(t1));
    println!(
        "  T(1) / round trip ({} ms) = {:.2} (target <= 3.0)",
        LATENCY.as_millis(),
        t1.as_secs_f64() / LATENCY.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing: run either way.
    let quick = std::env::args().any(|a| a == "--quick");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if quick {
        let t1 = rt.block_on(median_status(1, 2.0));
        println!(
            "status with {} ms latency per call, default Cloudflare budget (2 req/s): median of {RUNS}",
            LATENCY.as_millis()
        );
        print_t1(t1);
        return;
    }
    for (label, rps) in [
        ("default Cloudflare budget (2 req/s)", 2.0),
        ("Cloudflare budget 50 req/s", 50.0),
    ] {
        let t1 = rt.block_on(median_status(1, rps));
        let t10 = rt.block_on(median_status(10, rps));
        let t50 = rt.block_on(median_status(50, rps));
        println!(
            "status with {} ms latency per call, {label}: median of {RUNS}",
            LATENCY.as_millis()
        );
        print_t1(t1);
        println!("  T(10) = {:>7.1} ms", ms(t10));
        println!("  T(50) = {:>7.1} ms", ms(t50));
        println!(
            "  T(50)/T(1) = {:.2} (target <= 2.0)",
            t50.as_secs_f64() / t1.as_secs_f64()
        );
    }
}
