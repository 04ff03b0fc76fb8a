//! `status` with practice against the in-memory fake clusters: the
//! snapshot and the history read as `status` reads them, then put into
//! words.

use std::time::Duration;

use super::*;
use crate::facts::history::RunState;
use crate::ops::fake::{FakeFleet, Fault};
use crate::ops::recovery::Recovery;
use crate::ops::{snapshot, status};
use crate::report::model::RegionReport;

const WEEK: Duration = Duration::from_secs(7 * 86_400);

/// The seed fleet, faked, practising `regions` weekly.
fn world(regions: &[&str]) -> FakeFleet {
    let mut f = FakeFleet::seed();
    f.fleet.practice = Some(Practice {
        every: WEEK,
        regions: f
            .fleet
            .regions
            .iter()
            .filter(|r| regions.contains(&r.name.as_str()))
            .map(|r| r.name.clone())
            .collect(),
        windows: Vec::new(),
        blocked_dates: Vec::new(),
    });
    f
}

fn ago(d: Duration) -> Timestamp {
    Timestamp::now() - jiff::SignedDuration::try_from(d).unwrap()
}

/// Records a finished drill of `region` that started at `at`.
async fn drilled(f: &FakeFleet, region: &str, run: &str, at: Timestamp, verdict: Verdict) {
    let e = Entry {
        run_id: run.to_owned(),
        command: "practice".into(),
        started_at: at.to_string(),
        state: RunState::Finished,
        verdict: Some(verdict),
        exit_code: Some(verdict.exit_code()),
        regions: vec![region.into()],
        drilled: Some(region.into()),
        ..Entry::default()
    };
    assert!(history::record(&f.clients(), &e).await.is_empty());
}

/// `status` as `app::job::status` gathers it (snapshot and history
/// concurrently), in words: the regions and the notes.
async fn status_words(f: &FakeFleet) -> (Vec<RegionReport>, Vec<String>) {
    let c = f.clients();
    let (snap, read) = tokio::join!(
        snapshot::fleet(&c.fleet, c.regions.clone(), c.cloudflare.clone(), 4),
        read(&c),
    );
    let (mut regions, mut notes) = status::report(&c.fleet, &snap, &Recovery::default());
    apply(&c.fleet, read, Timestamp::now(), &mut regions, &mut notes);
    (
        regions.iter().map(crate::report::words::region).collect(),
        notes.iter().map(crate::report::words::note).collect(),
    )
}

fn check<'a>(r: &'a RegionReport, name: &str) -> Option<&'a crate::report::model::Check> {
    r.checks.iter().find(|c| c.name == name)
}

#[tokio::test]
async fn never_practised_regions_warn_and_say_so() {
    let f = world(&["us-east-1", "eu-central-1", "ap-southeast-2"]);
    let (regions, notes) = status_words(&f).await;
    for r in &regions {
        let c = check(r, "practice").unwrap_or_else(|| panic!("{r:#?}"));
        assert_eq!(c.verdict, Verdict::Warn);
        assert_eq!(c.detail, "never practised: due now");
        assert_eq!(r.verdict, Verdict::Warn, "{r:#?}");
        assert!(r.summary.contains(" · never practised"), "{}", r.summary);
    }
    assert!(notes.iter().all(|n| !n.contains("history")), "{notes:?}");
}

#[tokio::test]
async fn a_recent_practice_passes_with_its_verdict_run_and_next_due() {
    let f = world(&["us-east-1"]);
    let at: Timestamp = "2030-01-01T10:00:00Z".parse().unwrap();
    // Recent as of the `now` apply is given: a day after.
    drilled(&f, "us-east-1", "20300101t100000-00abcd", at, Verdict::Pass).await;
    let c = f.clients();
    let mut regions = status::report(
        &c.fleet,
        &snapshot::fleet(&c.fleet, c.regions.clone(), c.cloudflare.clone(), 4).await,
        &Recovery::default(),
    )
    .0;
    let mut notes = Vec::new();
    let now: Timestamp = "2030-01-02T10:00:00Z".parse().unwrap();
    apply(&c.fleet, read(&c).await, now, &mut regions, &mut notes);
    let words: Vec<RegionReport> = regions.iter().map(crate::report::words::region).collect();
    let us = &words[0];
    assert_eq!(us.verdict, Verdict::Pass, "{us:#?}");
    let practice = check(us, "practice").unwrap();
    assert_eq!(practice.verdict, Verdict::Pass);
    assert_eq!(
        practice.detail,
        "last practice 2030-01-01T10:00:00Z: pass (run 20300101t100000-00abcd); \
         next due 2030-01-08T10:00:00Z"
    );
    assert!(
        us.summary.contains(" · next practice 2030-01-08"),
        "{}",
        us.summary
    );
    // Only practised regions get a word on practice.
    assert!(check(&words[1], "practice").is_none(), "{:#?}", words[1]);
    assert!(!words[1].summary.contains("practi"), "{}", words[1].summary);
    assert_eq!(words[1].verdict, Verdict::Pass);
}

#[tokio::test]
async fn an_overdue_region_warns_with_when_it_became_due() {
    let f = world(&["us-east-1", "eu-central-1"]);
    let at = ago(WEEK + Duration::from_secs(3600));
    drilled(&f, "us-east-1", "r-old", at, Verdict::Pass).await;
    drilled(
        &f,
        "eu-central-1",
        "r-new",
        ago(Duration::from_secs(60)),
        Verdict::Fail,
    )
    .await;
    let (regions, _) = status_words(&f).await;
    let us = check(&regions[0], "practice").unwrap();
    assert_eq!(us.verdict, Verdict::Warn);
    let due = Schedule::new(f.fleet.practice.as_ref().unwrap()).next_due(at);
    assert!(
        us.detail.ends_with(&format!(
            "overdue since {}",
            due.round(jiff::Unit::Second).unwrap()
        )),
        "{}",
        us.detail
    );
    assert!(
        regions[0].summary.contains(" · practice overdue"),
        "{}",
        regions[0].summary
    );
    // A failed last practice that is not due yet is a warning too.
    let eu = check(&regions[1], "practice").unwrap();
    assert_eq!(eu.verdict, Verdict::Warn);
    assert!(eu.detail.contains(": fail (run r-new)"), "{}", eu.detail);
    assert!(
        regions[1].summary.contains("last practice failed"),
        "{}",
        regions[1].summary
    );
}

#[tokio::test]
async fn an_unreadable_history_is_a_warning_note_and_not_a_failure() {
    let f = world(&["us-east-1", "ap-southeast-2"]);
    drilled(
        &f,
        "us-east-1",
        "r1",
        ago(Duration::from_secs(60)),
        Verdict::Pass,
    )
    .await;
    // The region answers everything but its ConfigMap (no RBAC for it).
    f.region("ap-southeast-2").set_fault(Fault {
        forbid_config_map_read: true,
        ..Fault::default()
    });
    let (regions, notes) = status_words(&f).await;
    assert_eq!(regions[0].verdict, Verdict::Pass, "{:#?}", regions[0]);
    let ap = &regions[2];
    assert!(check(ap, "practice").is_none(), "{ap:#?}");
    assert_eq!(ap.verdict, Verdict::Pass, "{ap:#?}");
    let note = notes
        .iter()
        .find(|n| n.contains("ap-southeast-2"))
        .unwrap_or_else(|| panic!("{notes:?}"));
    assert!(
        note.starts_with(
            "warn: ap-southeast-2's run history (ConfigMap ocfail-history) could not be read: "
        ),
        "{note}"
    );
    assert!(note.ends_with("its last practice is unknown"), "{note}");
    let verdict = Verdict::worst(regions.iter().map(|r| r.verdict));
    assert_eq!(verdict.exit_code(), crate::exit_code::OK);
}

#[tokio::test]
async fn without_practice_status_reads_no_history_and_adds_nothing() {
    let f = FakeFleet::seed();
    assert!(f.fleet.practice.is_none());
    let c = f.clients();
    assert!(read(&c).await.is_none());
    let (regions, notes) = status_words(&f).await;
    assert!(regions.iter().all(|r| check(r, "practice").is_none()));
    assert!(regions.iter().all(|r| !r.summary.contains("practi")));
    assert!(notes.iter().all(|n| !n.contains("history")));
}

#[test]
fn state_is_due_exactly_every_after_the_last_start() {
    let p = Practice {
        every: WEEK,
        regions: Vec::new(),
        windows: Vec::new(),
        blocked_dates: Vec::new(),
    };
    let last = LastPractice {
        at: "2030-01-01T10:00:00Z".parse().unwrap(),
        verdict: Verdict::Warn,
        run_id: "r".to_owned(),
    };
    let due: Timestamp = "2030-01-08T10:00:00Z".parse().unwrap();
    let before = due - jiff::SignedDuration::from_secs(1);
    assert_eq!(
        state(&p, Some(last.clone()), before),
        (
            Verdict::Pass,
            PracticeState::Practised {
                last: last.clone(),
                next_due: due
            }
        )
    );
    assert_eq!(
        state(&p, Some(last.clone()), due),
        (Verdict::Warn, PracticeState::Overdue { last, since: due })
    );
    assert_eq!(state(&p, None, due), (Verdict::Warn, PracticeState::Never));
}
