//! `status` against the simulator with 1, 10 and 50 regions and 50 ms of
//! injected latency on every Kubernetes and Cloudflare call (issue 4,
//! docs/performance.md): prints the medians and T(50)/T(1). The target is ≤ 2.0,
//! since the limit is the longest chain of dependent calls, not the number
//! of regions.

// Bench code: failing loudly on the spot is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use ocfail::ops::connect::{self, ConnectOptions};
use ocfail::ops::{snapshot, status};
use ocfail::sim::{CloudflareFault, KubeFault, SimOptions};

const RUNS: usize = 7;

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
    for r in &fleet.regions {
        world.faults.set_kube(
            r.name.as_str(),
            KubeFault {
                latency_ms: 50,
                ..KubeFault::default()
            },
        );
    }
    world.faults.set_cloudflare(CloudflareFault {
        latency_ms: 50,
        ..CloudflareFault::default()
    });
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let snap = snapshot::fleet(
            &connected.fleet,
            connected.regions.clone(),
            connected.cloudflare.clone(),
            64,
        )
        .await;
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

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing: run either way.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for (label, rps) in [
        ("default Cloudflare budget (2 req/s)", 2.0),
        ("Cloudflare budget 50 req/s", 50.0),
    ] {
        let t1 = rt.block_on(median_status(1, rps));
        let t10 = rt.block_on(median_status(10, rps));
        let t50 = rt.block_on(median_status(50, rps));
        println!("status with 50 ms latency per call, {label}: median of {RUNS}");
        println!("  T(1)  = {:>7.1} ms", t1.as_secs_f64() * 1e3);
        println!("  T(10) = {:>7.1} ms", t10.as_secs_f64() * 1e3);
        println!("  T(50) = {:>7.1} ms", t50.as_secs_f64() * 1e3);
        println!(
            "  T(50)/T(1) = {:.2} (target <= 2.0)",
            t50.as_secs_f64() / t1.as_secs_f64()
        );
    }
}
