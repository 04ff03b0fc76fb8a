//! The simulator at scale (issue 3): how long a 50-region simulator takes to
//! start, and how many `GET deployment` requests one region's API serves.

// Bench code: failing loudly on the spot is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ocfail::sim::{Sim, SimOptions};

fn fleet(regions: usize) -> ocfail::manifest::Fleet {
    ocfail::manifest::parse_str(
        "bench.yaml",
        &ocfail::manifest::synthetic::fleet_yaml(regions),
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    ocfail::install_crypto_provider();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let fifty = fleet(50);

    let mut group = c.benchmark_group("sim");
    group.sample_size(20);
    group.bench_function("start 50 regions", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let fleet = fifty.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    let sim = Sim::start(&fleet, SimOptions::default()).await.unwrap();
                    total += started.elapsed();
                    sim.shutdown().await;
                }
                total
            }
        })
    });
    group.finish();

    let sim = rt
        .block_on(Sim::start(&fifty, SimOptions::default()))
        .unwrap();
    let url = format!(
        "{}/apis/apps/v1/namespaces/ns-25/deployments/openclaw-api-blue",
        sim.kube_url("region-25").unwrap()
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let mut group = c.benchmark_group("sim GET deployment");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sequential, keep-alive", |b| {
        b.to_async(&rt).iter(|| async {
            let resp = client.get(&url).bearer_auth("bench").send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.bytes().await.unwrap()
        })
    });
    const CONCURRENT: u64 = 32;
    group.throughput(Throughput::Elements(CONCURRENT));
    group.bench_function("32 concurrent", |b| {
        b.to_async(&rt).iter(|| async {
            let requests = (0..CONCURRENT).map(|_| async {
                let resp = client.get(&url).bearer_auth("bench").send().await.unwrap();
                assert_eq!(resp.status(), 200);
                resp.bytes().await.unwrap()
            });
            futures_util::future::join_all(requests).await
        })
    });
    group.finish();
    rt.block_on(sim.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
