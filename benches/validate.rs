//! Load + validate of a generated 100-region manifest (docs/performance.md target:
//! a cold `validate` of 100 regions under 10 ms).

use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let text = ocfail::manifest::synthetic::fleet_yaml(100);
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
