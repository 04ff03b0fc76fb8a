//! The history against the in-memory fake clusters.

use super::*;
use crate::facts::Verdict;
use crate::facts::history::RegionOutcome;
use crate::ops::fake::{FakeFleet, Fault};

fn entry(run: &str, command: &str, regions: &[&str]) -> Entry {
    Entry {
        run_id: run.to_owned(),
        command: command.to_owned(),
        by: "ci@runner".to_owned(),
        started_at: "2026-12-02T10:00:00Z".to_owned(),
        regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        ..Entry::default()
    }
}

fn stored(f: &FakeFleet, region: &str) -> Vec<Entry> {
    let s = f.region(region).state();
    s.config_maps
        .get(CONFIG_MAP)
        .map(|c| entries(&c.data))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_run_is_written_to_each_of_its_regions_and_rewritten_at_its_end() {
    let f = FakeFleet::seed();
    let c = f.clients();
    let mut e = entry(
        "20261202t100000-000001",
        "rollout",
        &["us-east-1", "eu-central-1"],
    );
    assert!(record(&c, &e).await.is_empty());
    assert_eq!(stored(&f, "us-east-1"), vec![e.clone()]);
    assert_eq!(stored(&f, "eu-central-1"), vec![e.clone()]);
    assert!(stored(&f, "ap-southeast-2").is_empty());

    e.state = RunState::Finished;
    e.exit_code = Some(0);
    e.verdict = Some(Verdict::Pass);
    e.outcomes = vec![RegionOutcome {
        region: "us-east-1".into(),
        verdict: Verdict::Pass,
        timings: BTreeMap::from([("switchMs".to_owned(), 12)]),
        rollout: None,
    }];
    assert!(record(&c, &e).await.is_empty());
    assert_eq!(
        stored(&f, "us-east-1"),
        vec![e.clone()],
        "replaced, not appended"
    );
}

#[tokio::test]
async fn the_history_keeps_the_newest_entries() {
    let f = FakeFleet::seed();
    let c = f.clients();
    for i in 0..KEEP + 5 {
        let e = entry(&format!("20261202t1{i:05}-000000"), "drill", &["us-east-1"]);
        assert!(record(&c, &e).await.is_empty());
    }
    let kept = stored(&f, "us-east-1");
    assert_eq!(kept.len(), KEEP);
    assert_eq!(
        kept[0].run_id, "20261202t100005-000000",
        "the oldest five dropped"
    );
}

#[test]
fn the_history_stays_under_its_byte_budget() {
    let mut data = BTreeMap::new();
    let big = "x".repeat(MAX_BYTES / 4);
    for i in 0..6 {
        data.insert(format!("run.{i}"), big.clone());
    }
    data.insert("unrelated".to_owned(), "kept".to_owned());
    bound(&mut data);
    let size: usize = data.iter().map(|(k, v)| k.len() + v.len()).sum();
    assert!(size <= MAX_BYTES, "{size}");
    assert!(data.contains_key("run.5") && !data.contains_key("run.0"));
    assert_eq!(data.get("unrelated").map(String::as_str), Some("kept"));
}

#[tokio::test]
async fn a_conflicting_writer_does_not_lose_either_entry() {
    let f = FakeFleet::seed();
    let c = f.clients();
    let a = entry("20261202t100000-00000a", "drill", &["us-east-1"]);
    let b = entry("20261202t100000-00000b", "restore", &["us-east-1"]);
    let (ra, rb) = tokio::join!(record(&c, &a), record(&c, &b));
    assert!(ra.is_empty() && rb.is_empty());
    let runs: Vec<String> = stored(&f, "us-east-1")
        .into_iter()
        .map(|e| e.run_id)
        .collect();
    assert_eq!(runs, vec![a.run_id, b.run_id]);
}

#[tokio::test]
async fn an_unreachable_region_is_reported_and_the_others_written() {
    let f = FakeFleet::seed();
    f.region("eu-central-1").set_fault(Fault {
        error: Some(KubeErrorKind::Unreachable),
        ..Fault::default()
    });
    let c = f.clients();
    let e = entry(
        "20261202t100000-000001",
        "rollout",
        &["us-east-1", "eu-central-1"],
    );
    let failed = record(&c, &e).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].region, "eu-central-1");
    assert_eq!(stored(&f, "us-east-1").len(), 1);
}

#[tokio::test]
async fn a_restore_marks_the_crashed_run_and_names_itself() {
    let f = FakeFleet::seed();
    let c = f.clients();
    let crashed = entry("20261202t100000-000001", "drill", &["us-east-1"]);
    let mut done = entry("20261202t090000-000001", "drill", &["us-east-1"]);
    done.state = RunState::Finished;
    record(&c, &crashed).await;
    record(&c, &done).await;
    let by = RestoredBy {
        run_id: "20261202t100500-000002".into(),
        by: "oncall@laptop".into(),
        at: "2026-12-02T10:05:30Z".into(),
        verdict: Verdict::Pass,
    };
    let runs = vec![crashed.run_id.clone(), done.run_id.clone()];
    assert!(mark_restored(&c, &runs, &by).await.is_empty());
    let after = stored(&f, "us-east-1");
    let marked = after.iter().find(|e| e.run_id == crashed.run_id).unwrap();
    assert_eq!(marked.state, RunState::Interrupted);
    assert_eq!(marked.restored_by.as_ref(), Some(&by));
    assert_eq!(marked.finished_at.as_deref(), Some("2026-12-02T10:05:30Z"));
    let untouched = after.iter().find(|e| e.run_id == done.run_id).unwrap();
    assert_eq!(untouched.state, RunState::Finished);
    assert!(untouched.restored_by.is_none());
}

#[test]
fn merging_keeps_one_entry_per_run_newest_first() {
    let running = entry(
        "20261202t100000-000001",
        "rollout",
        &["us-east-1", "eu-central-1"],
    );
    let mut finished = running.clone();
    finished.state = RunState::Finished;
    let older = entry("20261201t100000-000001", "drill", &["us-east-1"]);
    let a = vec![older.clone(), running];
    let b = vec![finished.clone()];
    let merged = merged([&a, &b]);
    assert_eq!(merged, vec![finished, older]);
}

#[test]
fn foreign_keys_and_unreadable_values_are_skipped() {
    let data = BTreeMap::from([
        ("note".to_owned(), "{}".to_owned()),
        ("run.x".to_owned(), "not json".to_owned()),
        (
            "run.20261202t100000-000001".to_owned(),
            serde_json::to_string(&entry("20261202t100000-000001", "drill", &[])).unwrap(),
        ),
    ]);
    assert_eq!(entries(&data).len(), 1);
}
