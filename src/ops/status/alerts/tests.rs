use std::collections::BTreeMap;

use super::*;
use crate::facts::status::{LiveState, PoolState, RegionLine};
use crate::manifest::AlertMatcher;
use crate::prometheus::AlertSource;
use crate::report::model::RegionReport;

fn fleet() -> Fleet {
    let text = include_str!("../../../../fixtures/fleet-prometheus.yaml");
    let mut f = crate::manifest::parse_str("fleet-prometheus.yaml", text).unwrap();
    f.drill.blocking_alerts.push(AlertMatcher(
        "Paging{region={region},color={color}}".to_owned(),
    ));
    f
}

fn regions(fleet: &Fleet) -> Vec<RegionFindings> {
    fleet
        .regions
        .iter()
        .map(|r| {
            let line = RegionLine {
                live: LiveState::Live {
                    colour: "blue".to_owned(),
                    ready: 3,
                    replicas: 3,
                    image: "reg/app:1".to_owned(),
                    version: "1".to_owned(),
                },
                pool: PoolState::Healthy { total: 1 },
                serving: Some(true),
                operation: None,
                api_ms: None,
                alerts: Vec::new(),
                practice: None,
            };
            let traffic = Finding::new(
                Verdict::Pass,
                crate::facts::status::StatusFact::Traffic { serving: true },
            );
            RegionFindings::from_checks(r.name.as_str(), StatusSummary::Region(line), vec![traffic])
        })
        .collect()
}

fn alert(pairs: &[(&str, &str)], state: AlertState) -> ActiveAlert {
    ActiveAlert {
        labels: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        state,
        since: Some(SystemTime::now() - std::time::Duration::from_secs(120)),
        source: AlertSource::Prometheus,
    }
}

fn words(regions: &[RegionFindings]) -> Vec<RegionReport> {
    regions.iter().map(crate::report::words::region).collect()
}

#[test]
fn firing_blocking_alerts_warn_under_their_region_or_as_a_fleet_note() {
    let fleet = fleet();
    let mut regions = regions(&fleet);
    let mut notes = Vec::new();
    let alerts = vec![
        alert(
            &[
                ("alertname", "OcfailRegionDown"),
                ("region", "eu-central-1"),
            ],
            AlertState::Firing,
        ),
        alert(&[("alertname", "OcfailFleetDown")], AlertState::Firing),
        alert(
            &[("alertname", "HighErrorRate"), ("severity", "ticket")],
            AlertState::Firing,
        ),
        alert(
            &[("alertname", "OcfailRegionDown"), ("region", "us-east-1")],
            AlertState::Pending,
        ),
        alert(
            &[
                ("alertname", "Paging"),
                ("region", "ap-southeast-2"),
                ("color", "green"),
            ],
            AlertState::Firing,
        ),
        alert(&[("alertname", "Unlisted")], AlertState::Firing),
    ];
    apply(&fleet, Some(Ok(alerts)), &mut regions, &mut notes);
    let w = words(&regions);

    assert_eq!(w[0].verdict, Verdict::Pass, "pending is not firing: {w:#?}");
    assert_eq!(w[0].checks.len(), 1, "{w:#?}");

    assert_eq!(w[1].verdict, Verdict::Warn);
    assert_eq!(w[1].checks[1].name, "guard:OcfailRegionDown");
    let d = &w[1].checks[1].detail;
    assert!(d.contains(r#"OcfailRegionDown {alertname="OcfailRegionDown", region="eu-central-1"} is firing for 2m"#), "{d}");
    assert!(d.contains("will not start while it fires"), "{d}");
    assert!(
        !d.contains("nothing was changed"),
        "status changes nothing anyway: {d}"
    );
    assert!(
        w[1].summary.ends_with("alert OcfailRegionDown firing"),
        "{}",
        w[1].summary
    );

    assert_eq!(w[2].verdict, Verdict::Warn);
    let d = &w[2].checks[1].detail;
    assert!(
        d.contains(r#"blocking alert `Paging{region="ap-southeast-2",color=<any>}`"#),
        "{{region}} is the region, {{color}} any colour: {d}"
    );

    // `status --watch` compares notes without the alert's age, which
    // changes on every refresh.
    let aged = notes[0].clone();
    assert_ne!(aged, aged.without_age());
    assert_eq!(aged.without_age(), aged.without_age().without_age());
    let notes: Vec<String> = notes.iter().map(crate::report::words::note).collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]
            .starts_with("fleet-wide: OcfailFleetDown {alertname=\"OcfailFleetDown\"} is firing"),
        "{notes:?}"
    );
}

#[test]
fn a_region_matcher_only_matches_its_own_region() {
    let mut fleet = fleet();
    fleet.drill.blocking_alerts = vec![AlertMatcher("Paging{region={region}}".to_owned())];
    fleet.rollout.blocking_alerts.clear();
    let mut regions = regions(&fleet);
    let mut notes = Vec::new();
    let alerts = vec![alert(
        &[("alertname", "Paging"), ("region", "elsewhere")],
        AlertState::Firing,
    )];
    apply(&fleet, Some(Ok(alerts)), &mut regions, &mut notes);
    assert!(regions.iter().all(|r| r.checks.len() == 1), "{regions:#?}");
    assert!(notes.is_empty(), "{notes:?}");
}

#[test]
fn unreadable_alerts_warn_in_every_region_without_failing_status() {
    let fleet = fleet();
    let mut regions = regions(&fleet);
    let mut notes = Vec::new();
    let e = PromError::Unreachable {
        url: "http://127.0.0.1:9/api/v1/alerts".to_owned(),
        reason: "connection refused".to_owned(),
    };
    apply(&fleet, Some(Err(e)), &mut regions, &mut notes);
    for r in words(&regions) {
        assert_eq!(r.verdict, Verdict::Warn);
        assert_eq!(r.checks[1].name, "blocking-alerts");
        let d = &r.checks[1].detail;
        assert!(d.contains("could not read the active alerts"), "{d}");
        assert!(d.contains("connection refused"), "{d}");
        assert!(
            d.contains(&format!(r#"Paging{{region="{}",color=<any>}}"#, r.region)),
            "{d}"
        );
    }
    assert_eq!(Verdict::Warn.exit_code(), crate::exit_code::OK);
}

#[test]
fn nothing_is_added_without_a_read() {
    let fleet = fleet();
    let mut regions = regions(&fleet);
    let before = regions.clone();
    let mut notes = Vec::new();
    apply(&fleet, None, &mut regions, &mut notes);
    assert_eq!(regions, before);
    assert!(notes.is_empty());
    let mut none = fleet.clone();
    none.drill.blocking_alerts.clear();
    none.rollout.blocking_alerts.clear();
    assert!(union(&none).is_empty());
    assert_eq!(union(&fleet).len(), 4, "{:?}", union(&fleet));
}
