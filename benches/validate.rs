//! Load + validate of a generated 100-region manifest (DESIGN.md §10 target:
//! a cold `validate` of 100 regions under 10 ms).

use std::fmt::Write as _;

use criterion::{Criterion, criterion_group, criterion_main};

/// The seed fleet's shape with `n` regions and one wave per ten regions.
fn manifest(n: usize) -> String {
    let mut s = String::from(
        "apiVersion: ocfail.dev/v1\nkind: Fleet\nmetadata:\n  name: bench\n\
         defaults: { namespace: openclaw, deployment: openclaw-api, service: openclaw-api, port: 8080 }\n\
         cloudflare:\n  accountId: 023e105f4ecef8ad9ca31a8372d0c353\n  zoneId: 9a7806061c88ada191ed06f989cc3dac\n\
         \x20 loadBalancer: api.openclaw.com\n  apiToken: { fromEnv: CLOUDFLARE_API_TOKEN }\nregions:\n",
    );
    for i in 0..n {
        let _ = writeln!(
            s,
            "  - {{ name: region-{i}, context: ctx-{i}, namespace: ns-{i}, pool: pool-{i}, probe: https://r{i}.example.com/healthz }}"
        );
    }
    s.push_str("traffic: { url: https://api.openclaw.com/healthz, rps: 5, timeout: 2s, regionHeader: x-openclaw-region }\n");
    s.push_str("rollout:\n  waves:\n");
    for wave in (0..n).collect::<Vec<_>>().chunks(10) {
        let names: Vec<String> = wave.iter().map(|i| format!("region-{i}")).collect();
        let _ = writeln!(s, "    - [{}]", names.join(", "));
    }
    s.push_str(
        "  readyTimeout: 5m\n  smoke:\n    - { name: healthz, path: /healthz, expectStatus: [200] }\n\
         \x20 verifyFor: 30s\n  maxErrorRate: 1%\ndrill: { hold: 60s, minHealthyPools: 1, maxErrorRate: 5% }\n",
    );
    s
}

fn bench(c: &mut Criterion) {
    let text = manifest(100);
    assert!(
        ocfail::manifest::parse_str("bench.yaml", &text).is_ok(),
        "the generated manifest is valid"
    );
    let dir = std::env::temp_dir().join(format!("ocfail-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("fleet-100.yaml");
    std::fs::write(&path, &text).expect("write manifest");

    c.bench_function("parse+validate 100 regions (in memory)", |b| {
        b.iter(|| ocfail::manifest::parse_str("bench.yaml", std::hint::black_box(&text)))
    });
    c.bench_function("load+validate 100 regions (from file)", |b| {
        b.iter(|| ocfail::manifest::load(&path))
    });

    // A cold process: what a user or CI step pays per `ocfail validate`.
    let exe = env!("CARGO_BIN_EXE_ocfail");
    let mut group = c.benchmark_group("process");
    group.sample_size(20);
    group.bench_function("ocfail validate 100 regions (cold process)", |b| {
        b.iter(|| {
            let out = std::process::Command::new(exe)
                .args(["validate", "-q", "-o", "json", "-f"])
                .arg(&path)
                .output()
                .expect("run ocfail");
            assert!(out.status.success());
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
