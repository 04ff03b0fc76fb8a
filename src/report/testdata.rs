//! A realistic drill report, its event stream and an in-memory writer, shared by the renderer tests.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use crate::report::events::Event;
use crate::report::model::{Check, RegionReport, Report, SCHEMA, TrafficSummary, Verdict};

fn check(name: &str, verdict: Verdict, detail: &str, duration_ms: u64) -> Check {
    Check {
        name: name.into(),
        verdict,
        detail: detail.into(),
        duration_ms,
        prometheus: None,
    }
}

/// `ocfail drill --region us-east-1` where the drill itself worked, the region that took
/// the traffic slowed down, and the third region's pool flapped during the hold.
pub(crate) fn sample_report() -> Report {
    let mut us_east = RegionReport::from_checks(
        "us-east-1",
        "failed over in 14.2s, recovered in 41.0s",
        vec![
            check(
                "steady-state-before",
                Verdict::Pass,
                "3/3 replicas ready, pool healthy",
                1840,
            ),
            check(
                "failover",
                Verdict::Pass,
                "pool unhealthy after 9.8s, traffic on eu-central-1 after 14.2s (budget 1m 35s)",
                14210,
            ),
            check(
                "error-rate",
                Verdict::Pass,
                "0.3% of 2000 requests failed (max 5%)",
                0,
            ),
            check(
                "recover",
                Verdict::Pass,
                "3/3 replicas ready, pool healthy and serving after 41.0s (budget 5m 50s)",
                41020,
            ),
        ],
    );
    us_east.timings = BTreeMap::from([
        ("recoveredAfterMs".to_owned(), 41020),
        ("shiftedAfterMs".to_owned(), 14210),
        ("unhealthyAfterMs".to_owned(), 9800),
    ]);
    let eu_central = RegionReport::from_checks(
        "eu-central-1",
        "took the traffic; p99 840ms under load",
        vec![
            check(
                "stayed-healthy",
                Verdict::Pass,
                "pool healthy throughout (2/2 origins)",
                0,
            ),
            check(
                "took-traffic",
                Verdict::Warn,
                "served 1388 requests; p99 840ms while drilled (120ms before)",
                0,
            ),
        ],
    );
    let ap_southeast = RegionReport::from_checks(
        "ap-southeast-2",
        "pool unhealthy for 12s during the hold",
        vec![
            check(
                "stayed-healthy",
                Verdict::Fail,
                "pool openclaw-ap-southeast-2 unhealthy from +31.0s to +43.0s: origin timed out",
                0,
            ),
            check(
                "took-traffic",
                Verdict::Pass,
                "no traffic expected (after eu-central-1 in default_pools)",
                0,
            ),
        ],
    );
    Report {
        schema: SCHEMA.to_owned(),
        command: "drill".into(),
        fleet: "openclaw-rating-api".into(),
        run_id: "01JDRILL7Q3M5T0000000000AB".into(),
        started_at: "2026-11-28T12:00:00.000Z".into(),
        finished_at: "2026-11-28T12:02:07.412Z".into(),
        duration_ms: 127_412,
        verdict: Verdict::Fail,
        exit_code: 1,
        regions: vec![us_east, eu_central, ap_southeast],
        traffic: Some(TrafficSummary {
            requests: 2000,
            errors: 6,
            error_rate: 0.003,
            p50_ms: 38.0,
            p99_ms: 612.5,
            by_region: BTreeMap::from([
                ("eu-central-1".to_owned(), 1388),
                ("us-east-1".to_owned(), 612),
            ]),
            ..TrafficSummary::default()
        }),
        notes: vec![
            "drilled us-east-1 by scale-to-zero, held 60s, restored 3 replicas".into(),
            "override min-healthy-pools: game day with one spare region".into(),
        ],
        practice: None,
    }
}

/// The events a run producing [`sample_report`] would emit, ending with `RunFinished`.
pub(crate) fn sample_events() -> Vec<Event> {
    let report = sample_report();
    let mut events = vec![
        Event::RunStarted {
            command: report.command.clone(),
            fleet: report.fleet.clone(),
            run_id: report.run_id.clone(),
            regions: report.regions.iter().map(|r| r.region.clone()).collect(),
        },
        phase("us-east-1", "checking steady state", 0),
        phase("us-east-1", "scaling to 0", 1840),
        phase("us-east-1", "waiting for failover", 1902),
        Event::CheckFinished {
            region: "us-east-1".into(),
            check: report.regions[0].checks[1].clone(),
        },
        phase("us-east-1", "holding 60s", 16050),
        Event::Note {
            message: report.notes[1].clone(),
        },
        phase("us-east-1", "restoring 3 replicas", 76050),
    ];
    events.extend(
        report
            .regions
            .iter()
            .map(|r| Event::RegionFinished { report: r.clone() }),
    );
    events.push(Event::RunFinished { report });
    events
}

fn phase(region: &str, phase: &str, elapsed_ms: u64) -> Event {
    Event::Phase {
        region: region.into(),
        phase: phase.into(),
        elapsed_ms,
    }
}

/// A cloneable in-memory sink, so a test keeps a handle on what a boxed writer received.
#[derive(Clone, Default)]
pub(crate) struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    /// Everything written so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
