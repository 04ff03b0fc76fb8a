//! Decoding `practice`, on the seed fleet with a `practice` section added.

use std::time::Duration;

use super::*;
use crate::manifest::{Diagnostic, node::Pos, parse_str};

const FLEET: &str = include_str!("../../../fixtures/fleet.yaml");

const PRACTICE: &str = r#"
practice:
  every: 7d
  regions: [us-east-1, eu-central-1]
  windows:
    - "Tue-Thu 10:00-16:00 Europe/Berlin"
    - "Mon 09:00-11:30 UTC"
  blockedDates: ["2026-12-24", "2026-12-31..2027-01-02"]
"#;

/// The seed fleet with `practice` (after `from` is replaced by `to`).
fn fleet_with(from: &str, to: &str) -> String {
    if from.is_empty() {
        return format!("{FLEET}{PRACTICE}");
    }
    assert_eq!(PRACTICE.matches(from).count(), 1, "{from}");
    format!("{FLEET}{}", PRACTICE.replace(from, to))
}

#[track_caller]
fn problem(text: &str) -> Diagnostic {
    let mut p = parse_str("f.yaml", text).unwrap_err().diagnostics;
    assert_eq!(p.len(), 1, "{p:#?}");
    p.remove(0)
}

fn pos_of(text: &str, needle: &str) -> Pos {
    let at = text.rfind(needle).unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    Pos {
        line: line as u32,
        column: text[start..at].chars().count() as u32 + 1,
    }
}

#[test]
fn the_section_decodes_every_field() {
    let f = parse_str("f.yaml", &fleet_with("", "")).unwrap();
    let p = f.practice.unwrap();
    assert_eq!(p.every, Duration::from_secs(7 * 86400));
    let regions: Vec<&str> = p.regions.iter().map(RegionName::as_str).collect();
    assert_eq!(regions, ["us-east-1", "eu-central-1"]);
    let windows: Vec<String> = p.windows.iter().map(ToString::to_string).collect();
    assert_eq!(
        windows,
        ["Tue-Thu 10:00-16:00 Europe/Berlin", "Mon 09:00-11:30 UTC"]
    );
    assert_eq!(p.windows[0].zone.iana_name(), Some("Europe/Berlin"));
    let blocked: Vec<String> = p.blocked_dates.iter().map(ToString::to_string).collect();
    assert_eq!(blocked, ["2026-12-24", "2026-12-31..2027-01-02"]);
}

#[test]
fn regions_default_to_the_whole_fleet_and_windows_to_none() {
    let text = format!("{FLEET}\npractice:\n  every: 1h\n");
    let p = parse_str("f.yaml", &text).unwrap().practice.unwrap();
    let regions: Vec<&str> = p.regions.iter().map(RegionName::as_str).collect();
    assert_eq!(regions, ["us-east-1", "eu-central-1", "ap-southeast-2"]);
    assert!(p.windows.is_empty() && p.blocked_dates.is_empty());
    assert_eq!(p.every, Duration::from_secs(3600));
    // No `practice` at all: nothing is scheduled.
    assert_eq!(parse_str("f.yaml", FLEET).unwrap().practice, None);
}

#[test]
fn the_manifest_round_trips_through_yaml() {
    let f = parse_str("f.yaml", &fleet_with("", "")).unwrap();
    let again = parse_str("f.yaml", &f.to_yaml()).unwrap();
    assert_eq!(again.practice, f.practice);
}

#[test]
fn every_is_bounded_both_ways() {
    let text = fleet_with("every: 7d", "every: 30m");
    let p = problem(&text);
    assert_eq!(p.path, "practice.every");
    assert!(p.message.contains("at least 1h"), "{p:?}");
    assert_eq!(p.pos, pos_of(&text, "30m"));

    let p = problem(&fleet_with("every: 7d", "every: 400d"));
    assert!(p.message.contains("longer than the maximum"), "{p:?}");
}

#[test]
fn every_is_accepted_up_to_a_leap_year() {
    let text = fleet_with("every: 7d", "every: 366d");
    assert!(parse_str("f.yaml", &text).is_ok());
}

#[test]
fn regions_must_be_fleet_regions_once_each() {
    let text = fleet_with("us-east-1, eu-central-1", "us-east-1, eu-centrl-1");
    let p = problem(&text);
    assert_eq!(p.path, "practice.regions[1]");
    assert_eq!(p.pos, pos_of(&text, "eu-centrl-1"));
    assert_eq!(p.hint.as_deref(), Some("did you mean `eu-central-1`?"));

    let p = problem(&fleet_with(
        "us-east-1, eu-central-1",
        "us-east-1, us-east-1",
    ));
    assert_eq!(p.path, "practice.regions[1]");
    assert!(p.message.contains("twice"), "{p:?}");

    let p = problem(&fleet_with("[us-east-1, eu-central-1]", "[]"));
    assert!(p.message.contains("at least one region"), "{p:?}");
}

#[test]
fn a_wrong_window_points_at_its_string_with_the_grammar() {
    let text = fleet_with("Mon 09:00-11:30 UTC", "Mon 11:30-09:00 UTC");
    let p = problem(&text);
    assert_eq!(p.path, "practice.windows[1]");
    assert_eq!(p.pos, pos_of(&text, "\"Mon 11:30"));
    assert!(p.message.contains("overnight"), "{p:?}");
    assert!(
        p.hint
            .unwrap()
            .contains("Tue-Thu 10:00-16:00 Europe/Berlin")
    );
}

#[test]
fn an_unknown_zone_is_refused_with_the_closest_name() {
    let text = fleet_with("Europe/Berlin", "Europe/Berln");
    let p = problem(&text);
    assert_eq!(p.path, "practice.windows[0]");
    assert_eq!(p.message, "unknown time zone `Europe/Berln`");
    assert!(p.hint.unwrap().contains("`Europe/Berlin`"));
}

#[test]
fn unknown_keys_are_refused() {
    let p = problem(&fleet_with("every: 7d", "every: 7d\n  notify: []"));
    assert_eq!(p.path, "practice.notify");
}

#[test]
fn window_days_ranges_wrap_and_lists_combine() {
    let days = |s: &str| parse_window(&format!("{s} 10:00-11:00 UTC")).map(|w| w.days);
    assert_eq!(days("Fri-Mon").unwrap().to_string(), "Mon,Fri-Sun");
    assert_eq!(days("Mon,Wed").unwrap().to_string(), "Mon,Wed");
    assert_eq!(days("tue-thu").unwrap().to_string(), "Tue-Thu");
    assert_eq!(days("Mon-Sun").unwrap().to_string(), "Mon-Sun");
    assert_eq!(days("Sun").unwrap().to_string(), "Sun");
    assert_eq!(days("Sat-Fri").unwrap().to_string(), "Mon-Sun");
    assert_eq!(
        days("Mon,Wed-Thu,Sun").unwrap().to_string(),
        "Mon,Wed-Thu,Sun"
    );
}

#[test]
fn malformed_windows_are_refused() {
    for text in [
        "",
        "Mon 10:00-11:00",
        "Mon 10:00-11:00 UTC extra",
        "Mo 10:00-11:00 UTC",
        "Mon-Fr 10:00-11:00 UTC",
        "Mon 10:00 UTC",
        "Mon 10-11 UTC",
        "Mon 24:00-25:00 UTC",
        "Mon 10:60-11:00 UTC",
        "Mon 10:00-10:00 UTC",
        "Mon 1000-1100 UTC",
        "Mon, 10:00-11:00 UTC",
        "Mon 10:0-11:00 UTC",
    ] {
        assert!(
            matches!(parse_window(text), Err(WindowError::Invalid(_))),
            "{text}"
        );
    }
    assert_eq!(
        parse_window("Mon 10:00-11:00 Mars/Olympus"),
        Err(WindowError::UnknownZone("Mars/Olympus".to_owned()))
    );
    let w = parse_window("Mon 9:05-23:59 America/New_York").unwrap();
    assert_eq!(w.to_string(), "Mon 09:05-23:59 America/New_York");
}

#[test]
fn blocked_dates_are_dates_or_inclusive_ranges() {
    let r = parse_dates("2026-12-31..2027-01-02").unwrap();
    assert!(r.contains("2027-01-01".parse().unwrap()));
    assert!(r.contains("2027-01-02".parse().unwrap()));
    assert!(!r.contains("2027-01-03".parse().unwrap()));
    assert!(!r.contains("2026-12-30".parse().unwrap()));
    for bad in [
        "2026-02-30",
        "2026-13-01",
        "26-12-24",
        "2026-12-24..",
        "2027-01-02..2026-12-31",
        "tomorrow",
    ] {
        assert!(parse_dates(bad).is_err(), "{bad}");
    }
    let text = fleet_with("\"2026-12-24\"", "\"2026-12-32\"");
    let p = problem(&text);
    assert_eq!(p.path, "practice.blockedDates[0]");
    assert_eq!(p.pos, pos_of(&text, "\"2026-12-32\""));
}

proptest::proptest! {
    /// A window written back (as the simulator's manifest and reports
    /// write it) reads as the same window.
    #[test]
    fn a_window_reads_back_as_written(
        days in 1u8..128,
        start in 0i8..23,
        len in 1i16..1440,
        zone in proptest::sample::select(vec!["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    ) {
        let start = Time::new(start, 0, 0, 0).unwrap();
        let end_minutes = (i16::from(start.hour()) * 60 + len).min(23 * 60 + 59);
        proptest::prop_assume!(end_minutes > i16::from(start.hour()) * 60);
        let end = Time::new((end_minutes / 60) as i8, (end_minutes % 60) as i8, 0, 0).unwrap();
        let w = PracticeWindow {
            days: Weekdays(days),
            start,
            end,
            zone_name: zone.to_owned(),
            zone: TimeZone::get(zone).unwrap(),
        };
        proptest::prop_assert_eq!(parse_window(&w.to_string()), Ok(w));
    }
}
