//! The practice series from histories in the in-memory fake clusters, as
//! `/metrics` encodes them.

use std::time::Duration;

use super::*;
use crate::facts::Verdict;
use crate::facts::history::{Entry, RunState};
use crate::manifest::Practice;
use crate::ops::fake::{FakeFleet, Fault};
use crate::ops::status::practice::read;

/// The seed fleet, faked, practising us-east-1 and eu-central-1 weekly.
fn world() -> FakeFleet {
    let mut f = FakeFleet::seed();
    f.fleet.practice = Some(Practice {
        every: Duration::from_secs(7 * 86_400),
        regions: f.fleet.regions[..2]
            .iter()
            .map(|r| r.name.clone())
            .collect(),
        windows: Vec::new(),
        blocked_dates: Vec::new(),
    });
    f
}

async fn practised(f: &FakeFleet, region: &str, run: &str, at: &str, verdict: Verdict) {
    let e = Entry {
        run_id: run.to_owned(),
        command: "practice".into(),
        started_at: at.to_owned(),
        state: RunState::Finished,
        verdict: Some(verdict),
        exit_code: Some(verdict.exit_code()),
        regions: vec![region.into()],
        drilled: Some(region.into()),
        ..Entry::default()
    };
    assert!(history::record(&f.clients(), &e).await.is_empty());
}

/// The sample lines of the practice families and the API counters.
fn lines(m: &Metrics) -> Vec<String> {
    m.encode()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with("ocfail_practice_") || l.starts_with("ocfail_exporter_api"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn each_practised_region_gets_every_and_the_last_practice_when_there_is_one() {
    let f = world();
    practised(
        &f,
        "us-east-1",
        "20300101t100000-00abcd",
        "2030-01-01T10:00:00.250Z",
        Verdict::Pass,
    )
    .await;
    let m = Metrics::new();
    let mut labels = BTreeMap::new();
    let sent = apply(&m, &mut labels, &f.fleet, read(&f.clients()).await);
    assert_eq!(sent, 3, "one read per region");
    let text = lines(&m);
    let has = |l: &str| text.iter().any(|t| t == l);
    assert!(
        has(r#"ocfail_practice_every_seconds{region="us-east-1"} 604800.0"#),
        "{text:#?}"
    );
    assert!(has(
        r#"ocfail_practice_every_seconds{region="eu-central-1"} 604800.0"#
    ));
    assert!(
        !text.iter().any(|l| l.contains("ap-southeast-2")),
        "not practised: no series\n{text:#?}"
    );
    assert!(
        has(r#"ocfail_practice_last_timestamp_seconds{region="us-east-1"} 1893492000.25"#),
        "{text:#?}"
    );
    assert!(has(
        r#"ocfail_practice_last_info{region="us-east-1",verdict="pass"} 1.0"#
    ));
    // Never practised: no timestamp (not 0) and no verdict.
    assert!(
        !text
            .iter()
            .any(|l| l.starts_with("ocfail_practice_last") && l.contains("eu-central-1")),
        "{text:#?}"
    );

    // A newer practice that failed replaces the verdict's series.
    practised(
        &f,
        "us-east-1",
        "20300108t100000-00abce",
        "2030-01-08T10:00:00Z",
        Verdict::Fail,
    )
    .await;
    apply(&m, &mut labels, &f.fleet, read(&f.clients()).await);
    let text = lines(&m);
    let info: Vec<&String> = text
        .iter()
        .filter(|l| l.starts_with("ocfail_practice_last_info"))
        .collect();
    assert_eq!(
        info,
        [r#"ocfail_practice_last_info{region="us-east-1",verdict="fail"} 1.0"#],
        "{text:#?}"
    );
    assert!(text.contains(
        &r#"ocfail_practice_last_timestamp_seconds{region="us-east-1"} 1894096800.0"#.to_owned()
    ));
}

#[tokio::test]
async fn an_unreadable_history_keeps_the_last_values_and_counts_an_error() {
    let f = world();
    practised(&f, "us-east-1", "r1", "2030-01-01T10:00:00Z", Verdict::Pass).await;
    let m = Metrics::new();
    let mut labels = BTreeMap::new();
    apply(&m, &mut labels, &f.fleet, read(&f.clients()).await);
    let before = lines(&m);

    f.region("us-east-1").set_fault(Fault {
        forbid_config_map_read: true,
        ..Fault::default()
    });
    apply(&m, &mut labels, &f.fleet, read(&f.clients()).await);
    let after = lines(&m);
    for l in before.iter().filter(|l| l.starts_with("ocfail_practice_")) {
        assert!(after.contains(l), "{l} is gone:\n{after:#?}");
    }
    assert!(
        after.contains(
            &r#"ocfail_exporter_api_errors_total{api="kubernetes",region="us-east-1"} 1"#
                .to_owned()
        ),
        "{after:#?}"
    );
}

#[tokio::test]
async fn an_emptied_history_removes_the_last_practice() {
    let f = world();
    practised(&f, "us-east-1", "r1", "2030-01-01T10:00:00Z", Verdict::Pass).await;
    let m = Metrics::new();
    let mut labels = BTreeMap::new();
    apply(&m, &mut labels, &f.fleet, read(&f.clients()).await);
    f.region("us-east-1")
        .state()
        .config_maps
        .remove(history::CONFIG_MAP);
    apply(&m, &mut labels, &f.fleet, read(&f.clients()).await);
    let text = lines(&m);
    assert!(
        !text.iter().any(|l| l.starts_with("ocfail_practice_last")),
        "{text:#?}"
    );
    assert!(labels.is_empty());
}

#[tokio::test]
async fn without_practice_nothing_is_read_or_served() {
    let f = FakeFleet::seed();
    let m = Metrics::new();
    let mut labels = BTreeMap::new();
    let read = read(&f.clients()).await;
    assert!(read.is_none());
    assert_eq!(apply(&m, &mut labels, &f.fleet, read), 0);
    assert!(
        !lines(&m).iter().any(|l| l.starts_with("ocfail_practice_")),
        "{:#?}",
        lines(&m)
    );
}
