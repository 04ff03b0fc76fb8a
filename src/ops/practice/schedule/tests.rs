//! The schedule on practice sections read from a manifest: windows across
//! Europe/Berlin's DST changes (2026-03-29 and 2026-10-25, both at 01:00
//! UTC), wrapping day ranges, blocked dates, the rotation, the worst case,
//! and a property test over a wide range of times.

use jiff::SignedDuration;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::*;
use crate::manifest::parse_str;

const FLEET: &str = include_str!("../../../../fixtures/fleet.yaml");
const US: &str = "us-east-1";
const EU: &str = "eu-central-1";
const AP: &str = "ap-southeast-2";

/// The seed fleet's `practice`, written as `section` (indented by two).
fn practice(section: &str) -> Practice {
    let text = format!("{FLEET}\npractice:\n{section}");
    parse_str("f.yaml", &text)
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics))
        .practice
        .unwrap()
}

/// A practice with these windows, every 7 days.
fn windows(ws: &[&str]) -> Practice {
    let list: Vec<String> = ws.iter().map(|w| format!("    - \"{w}\"\n")).collect();
    practice(&format!("  every: 7d\n  windows:\n{}", list.concat()))
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

fn mins(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

fn region(s: &str) -> RegionName {
    RegionName(s.to_owned())
}

/// Every region practised at `at`.
fn all_at(at: &str) -> LastRuns {
    [US, EU, AP].iter().map(|r| (region(r), ts(at))).collect()
}

fn end_of(p: &Practice, now: &str) -> Option<Timestamp> {
    Schedule::new(p).in_window(ts(now)).and_then(|e| e.at)
}

#[test]
fn a_window_is_open_from_its_start_until_just_before_its_end() {
    let p = windows(&["Tue-Thu 10:00-16:00 Europe/Berlin"]);
    let s = Schedule::new(&p);
    // 2026-12-01 is a Tuesday; Berlin is UTC+1 in winter.
    assert_eq!(s.in_window(ts("2026-12-01T08:59:59Z")), None);
    assert_eq!(
        s.in_window(ts("2026-12-01T09:00:00Z")),
        Some(WindowEnd {
            at: Some(ts("2026-12-01T15:00:00Z")),
            window: Some(0)
        })
    );
    assert_eq!(s.in_window(ts("2026-12-01T15:00:00Z")), None);
    // Monday and Friday are not in `Tue-Thu`.
    assert_eq!(s.in_window(ts("2026-11-30T12:00:00Z")), None);
    assert_eq!(s.in_window(ts("2026-12-04T12:00:00Z")), None);
    assert!(s.in_window(ts("2026-12-03T12:00:00Z")).is_some());
}

#[test]
fn weekday_windows_follow_the_wall_clock_across_the_spring_change() {
    let p = windows(&["Mon-Fri 10:00-16:00 Europe/Berlin"]);
    // Friday before the change: 10:00 CET is 09:00 UTC.
    assert_eq!(end_of(&p, "2026-03-27T08:30:00Z"), None);
    assert_eq!(
        end_of(&p, "2026-03-27T09:00:00Z"),
        Some(ts("2026-03-27T15:00:00Z"))
    );
    // Monday after: 10:00 CEST is 08:00 UTC.
    assert_eq!(
        end_of(&p, "2026-03-30T08:30:00Z"),
        Some(ts("2026-03-30T14:00:00Z"))
    );
    assert_eq!(end_of(&p, "2026-03-30T14:30:00Z"), None);
    // And the next opening after Friday's close is Monday 08:00 UTC.
    assert_eq!(
        Schedule::new(&p).next_opens(ts("2026-03-27T15:00:00Z")),
        Some(ts("2026-03-30T08:00:00Z"))
    );
}

#[test]
fn a_window_spanning_the_spring_change_is_an_hour_shorter() {
    // 01:00 CET (00:00 UTC) to 04:00 CEST (02:00 UTC): two real hours.
    let p = windows(&["Sun 01:00-04:00 Europe/Berlin"]);
    assert_eq!(end_of(&p, "2026-03-28T23:59:59Z"), None);
    assert_eq!(
        end_of(&p, "2026-03-29T00:00:00Z"),
        Some(ts("2026-03-29T02:00:00Z"))
    );
    assert_eq!(end_of(&p, "2026-03-29T02:00:00Z"), None);
    // At 01:30 CET the wall says 2h30 are left, but only 1h30 is: a drill
    // needing 100 minutes must not start.
    let s = Schedule::new(&p);
    let now = ts("2026-03-29T00:30:00Z");
    assert_eq!(
        s.decide(now, &LastRuns::new(), mins(100), false),
        Decision::Skip(Reason::WindowTooShort {
            ends_at: ts("2026-03-29T02:00:00Z"),
            needs: mins(100),
            next_opens: Some(ts("2026-04-04T23:00:00Z")),
        })
    );
    assert!(matches!(
        s.decide(now, &LastRuns::new(), mins(90), false),
        Decision::Run { .. }
    ));
}

#[test]
fn a_window_spanning_the_autumn_change_is_an_hour_longer() {
    // 01:00 CEST (23:00 UTC on Saturday) to 04:00 CET (03:00 UTC): four hours.
    let p = windows(&["Sun 01:00-04:00 Europe/Berlin"]);
    assert_eq!(end_of(&p, "2026-10-24T22:59:59Z"), None);
    // Saturday in UTC, Sunday in Berlin.
    assert_eq!(
        end_of(&p, "2026-10-24T23:00:00Z"),
        Some(ts("2026-10-25T03:00:00Z"))
    );
    assert_eq!(
        end_of(&p, "2026-10-25T02:59:59Z"),
        Some(ts("2026-10-25T03:00:00Z"))
    );
    assert_eq!(end_of(&p, "2026-10-25T03:00:00Z"), None);
}

#[test]
fn a_window_in_the_repeated_hour_is_its_first_pass_only() {
    // 02:00-02:30 happens twice on 2026-10-25; the window is the first
    // (CEST, 00:00-00:30 UTC), so 02:15 CET (01:15 UTC) is outside.
    let p = windows(&["Sun 02:00-02:30 Europe/Berlin"]);
    assert_eq!(
        end_of(&p, "2026-10-25T00:15:00Z"),
        Some(ts("2026-10-25T00:30:00Z"))
    );
    assert_eq!(end_of(&p, "2026-10-25T01:15:00Z"), None);
}

#[test]
fn a_window_inside_the_skipped_hour_moves_forward_by_it() {
    // 02:15-02:45 does not exist on 2026-03-29: both ends move an hour
    // later (03:15-03:45 CEST, 01:15-01:45 UTC).
    let p = windows(&["Sun 02:15-02:45 Europe/Berlin"]);
    assert_eq!(end_of(&p, "2026-03-29T01:14:59Z"), None);
    assert_eq!(
        end_of(&p, "2026-03-29T01:15:00Z"),
        Some(ts("2026-03-29T01:45:00Z"))
    );
}

#[test]
fn wrapping_day_ranges_cover_the_weekend() {
    let p = windows(&["Fri-Mon 22:00-23:00 UTC"]);
    // 2026-12-04 is a Friday.
    for day in ["04", "05", "06", "07"] {
        let now = format!("2026-12-{day}T22:30:00Z");
        assert!(end_of(&p, &now).is_some(), "{now}");
    }
    for day in ["01", "02", "03", "08"] {
        let now = format!("2026-12-{day}T22:30:00Z");
        assert_eq!(end_of(&p, &now), None, "{now}");
    }
}

#[test]
fn the_next_opening_is_the_earliest_of_all_windows() {
    let p = windows(&["Tue-Thu 10:00-16:00 Europe/Berlin", "Mon 09:00-11:30 UTC"]);
    let s = Schedule::new(&p);
    // Wednesday after the close: Thursday 10:00 Berlin.
    assert_eq!(
        s.next_opens(ts("2026-12-02T15:30:00Z")),
        Some(ts("2026-12-03T09:00:00Z"))
    );
    // Thursday after the close: Monday 09:00 UTC, before Tuesday.
    assert_eq!(
        s.next_opens(ts("2026-12-03T15:30:00Z")),
        Some(ts("2026-12-07T09:00:00Z"))
    );
    assert_eq!(
        s.decide(ts("2026-12-03T15:30:00Z"), &LastRuns::new(), mins(5), false),
        Decision::Skip(Reason::OutsideWindow {
            next_opens: Some(ts("2026-12-07T09:00:00Z"))
        })
    );
}

#[test]
fn blocked_ranges_across_the_year_boundary_skip_their_days() {
    let p = practice(concat!(
        "  every: 7d\n",
        "  windows: [\"Mon-Sun 10:00-12:00 UTC\"]\n",
        "  blockedDates: [\"2026-12-24\", \"2026-12-31..2027-01-02\"]\n",
    ));
    let s = Schedule::new(&p);
    let none = LastRuns::new();
    for (now, blocked) in [
        ("2026-12-23T10:30:00Z", false),
        ("2026-12-24T10:30:00Z", true),
        ("2026-12-30T10:30:00Z", false),
        ("2026-12-31T10:30:00Z", true),
        ("2027-01-01T10:30:00Z", true),
        ("2027-01-02T10:30:00Z", true),
        ("2027-01-03T10:30:00Z", false),
    ] {
        assert_eq!(s.blocked(ts(now)), blocked, "{now}");
        let runs = matches!(
            s.decide(ts(now), &none, mins(5), false),
            Decision::Run { .. }
        );
        assert_eq!(runs, !blocked, "{now}");
    }
    assert_eq!(
        s.decide(ts("2027-01-01T10:30:00Z"), &none, mins(5), false),
        Decision::Skip(Reason::Blocked {
            date: date("2027-01-01"),
            next_opens: Some(ts("2027-01-03T10:00:00Z")),
        })
    );
    // Outside the window on a blocked day, the next opening skips it too.
    assert_eq!(
        s.next_opens(ts("2026-12-30T13:00:00Z")),
        Some(ts("2027-01-03T10:00:00Z"))
    );
}

#[test]
fn blocked_dates_are_read_in_the_windows_zone() {
    // 16:00 UTC on the 23rd is 01:00 on the 24th in Tokyo.
    let p = practice(concat!(
        "  every: 7d\n",
        "  windows: [\"Mon-Sun 00:30-02:00 Asia/Tokyo\"]\n",
        "  blockedDates: [\"2026-12-24\"]\n",
    ));
    let s = Schedule::new(&p);
    assert_eq!(
        s.blocked_date(ts("2026-12-23T16:00:00Z")),
        Some(date("2026-12-24"))
    );
    assert_eq!(s.blocked_date(ts("2026-12-24T16:00:00Z")), None);
}

#[test]
fn without_windows_the_allowed_time_ends_where_a_blocked_date_begins() {
    let p = practice("  every: 7d\n  blockedDates: [\"2026-12-24..2026-12-25\"]\n");
    let s = Schedule::new(&p);
    let none = LastRuns::new();
    assert_eq!(
        s.decide(ts("2026-12-23T12:00:00Z"), &none, mins(60), false),
        Decision::Run {
            region: region(US),
            window_end: Some(ts("2026-12-24T00:00:00Z")),
            forced: false,
        }
    );
    assert_eq!(
        s.decide(ts("2026-12-23T23:30:00Z"), &none, mins(60), false),
        Decision::Skip(Reason::WindowTooShort {
            ends_at: ts("2026-12-24T00:00:00Z"),
            needs: mins(60),
            next_opens: Some(ts("2026-12-26T00:00:00Z")),
        })
    );
    assert_eq!(
        s.decide(ts("2026-12-25T12:00:00Z"), &none, mins(60), false),
        Decision::Skip(Reason::Blocked {
            date: date("2026-12-25"),
            next_opens: Some(ts("2026-12-26T00:00:00Z")),
        })
    );
    // After the last blocked date nothing ever closes.
    assert_eq!(
        s.decide(ts("2026-12-27T12:00:00Z"), &none, mins(60), false),
        Decision::Run {
            region: region(US),
            window_end: None,
            forced: false,
        }
    );
}

#[test]
fn the_rotation_goes_never_practised_then_longest_ago_then_manifest_order() {
    let p = practice("  every: 7d\n");
    let s = Schedule::new(&p);
    let names =
        |l: &LastRuns| -> Vec<String> { s.rotation(l).iter().map(|r| r.to_string()).collect() };
    assert_eq!(names(&LastRuns::new()), [US, EU, AP]);
    let mut last = LastRuns::new();
    last.insert(region(US), ts("2026-11-01T00:00:00Z"));
    assert_eq!(names(&last), [EU, AP, US]);
    last.insert(region(AP), ts("2026-10-01T00:00:00Z"));
    last.insert(region(EU), ts("2026-11-01T00:00:00Z"));
    assert_eq!(names(&last), [AP, US, EU]);
    // A region no longer practised does not enter the rotation.
    last.insert(region("gone"), ts("2020-01-01T00:00:00Z"));
    assert_eq!(names(&last), [AP, US, EU]);
}

#[test]
fn due_lists_the_overdue_in_rotation_order() {
    let p = practice("  every: 7d\n");
    let s = Schedule::new(&p);
    let now = ts("2026-12-02T12:00:00Z");
    let mut last = LastRuns::new();
    last.insert(region(US), ts("2026-11-24T12:00:00Z"));
    last.insert(region(EU), ts("2026-12-01T12:00:00Z"));
    assert_eq!(
        s.due(&last, now),
        [
            Due {
                region: region(AP),
                last_run: None,
                overdue_by: None
            },
            Due {
                region: region(US),
                last_run: Some(ts("2026-11-24T12:00:00Z")),
                overdue_by: Some(Duration::from_secs(86400)),
            },
        ]
    );
    // Exactly `every` ago is due, with nothing overdue.
    last.insert(region(AP), ts("2026-11-25T12:00:00Z"));
    let due = s.due(&last, now);
    assert_eq!(due.len(), 2);
    assert_eq!(due[1].overdue_by, Some(Duration::ZERO));
}

#[test]
fn not_due_names_the_head_of_the_rotation_and_when() {
    let p = practice("  every: 7d\n");
    let s = Schedule::new(&p);
    let mut last = all_at("2026-12-01T12:00:00Z");
    last.insert(region(EU), ts("2026-11-30T12:00:00Z"));
    assert_eq!(
        s.decide(ts("2026-12-02T12:00:00Z"), &last, mins(5), false),
        Decision::Skip(Reason::NotDue {
            region: region(EU),
            next_due: ts("2026-12-07T12:00:00Z"),
        })
    );
    // Due: the head of the rotation runs, even when others are due too.
    assert_eq!(
        s.decide(ts("2026-12-09T12:00:00Z"), &last, mins(5), false),
        Decision::Run {
            region: region(EU),
            window_end: None,
            forced: false,
        }
    );
}

#[test]
fn a_drill_never_starts_when_the_window_ends_before_its_worst_case() {
    let p = windows(&["Tue-Thu 10:00-16:00 Europe/Berlin"]);
    let s = Schedule::new(&p);
    // 15:30 Berlin on Wednesday: 30 minutes left.
    let now = ts("2026-12-02T14:30:00Z");
    assert_eq!(
        s.decide(now, &LastRuns::new(), mins(31), false),
        Decision::Skip(Reason::WindowTooShort {
            ends_at: ts("2026-12-02T15:00:00Z"),
            needs: mins(31),
            next_opens: Some(ts("2026-12-03T09:00:00Z")),
        })
    );
    assert_eq!(
        s.decide(now, &LastRuns::new(), mins(30), false),
        Decision::Run {
            region: region(US),
            window_end: Some(ts("2026-12-02T15:00:00Z")),
            forced: false,
        }
    );
}

#[test]
fn now_runs_the_head_of_the_rotation_regardless() {
    let p = practice(concat!(
        "  every: 7d\n",
        "  windows: [\"Mon 09:00-10:00 UTC\"]\n",
        "  blockedDates: [\"2026-12-02\"]\n",
    ));
    let s = Schedule::new(&p);
    // Wednesday, blocked, outside the window, nothing due.
    let now = ts("2026-12-02T12:00:00Z");
    let mut last = all_at("2026-12-01T12:00:00Z");
    last.insert(region(AP), ts("2026-11-30T12:00:00Z"));
    assert!(matches!(
        s.decide(now, &last, mins(5), false),
        Decision::Skip(Reason::NotDue { .. })
    ));
    assert_eq!(
        s.decide(now, &last, mins(5), true),
        Decision::Run {
            region: region(AP),
            window_end: None,
            forced: true,
        }
    );
}

#[test]
fn no_regions_is_a_skip_not_a_panic() {
    let mut p = practice("  every: 7d\n");
    p.regions.clear();
    assert_eq!(
        Schedule::new(&p).decide(ts("2026-12-02T12:00:00Z"), &LastRuns::new(), mins(5), true),
        Decision::Skip(Reason::NoRegions)
    );
}

/// Practices the property test draws from.
fn practices() -> Vec<Practice> {
    vec![
        practice("  every: 1h\n"),
        practice("  every: 366d\n  blockedDates: [\"2026-12-24\", \"2026-12-31..2027-01-02\"]\n"),
        windows(&["Tue-Thu 10:00-16:00 Europe/Berlin", "Mon 09:00-11:30 UTC"]),
        practice(concat!(
            "  every: 7d\n",
            "  regions: [eu-central-1, us-east-1]\n",
            "  windows: [\"Fri-Mon 01:00-04:00 Europe/Berlin\", \"Sun 02:15-02:45 America/New_York\", \"Mon,Wed 23:00-23:59 Pacific/Chatham\"]\n",
            "  blockedDates: [\"2026-12-24\", \"9999-12-25..9999-12-31\", \"2027-03-01..2027-09-30\"]\n",
        )),
    ]
}

#[test]
fn decide_never_runs_outside_a_window_unless_forced_and_never_panics() {
    let practices = practices();
    let (min, max) = (Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    // Times anywhere jiff can represent, and densely around today.
    let now = prop_oneof![min..=max, 1_700_000_000i64..2_000_000_000i64];
    let last = prop::option::of(-800_000_000i64..800_000_000i64);
    let strategy = (
        0..practices.len(),
        now,
        [last.clone(), last.clone(), last],
        0u64..200_000,
        any::<bool>(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 2000,
        // A runner outside the `proptest!` macro knows no source file to
        // persist failures next to; the failing input is printed instead.
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(i, now, lasts, worst, force)| {
            let p = &practices[i];
            let s = Schedule::new(p);
            let now = Timestamp::from_second(now).unwrap();
            let last_runs: LastRuns = [US, EU, AP]
                .iter()
                .zip(lasts)
                .filter_map(|(r, ago)| {
                    let at = now.checked_sub(SignedDuration::from_secs(ago?)).ok()?;
                    Some((region(r), at))
                })
                .collect();
            let worst = Duration::from_secs(worst);
            let decision = s.decide(now, &last_runs, worst, force);
            // Every other query answers too.
            let _ = (s.due(&last_runs, now), s.next_opens(now));
            match decision {
                Decision::Run {
                    region,
                    window_end,
                    forced,
                } => {
                    prop_assert_eq!(forced, force);
                    prop_assert_eq!(
                        Some(region.clone()),
                        s.rotation(&last_runs).into_iter().next()
                    );
                    if !forced {
                        prop_assert!(s.in_window(now).is_some());
                        prop_assert!(!s.blocked(now));
                        if let Some(end) = window_end {
                            prop_assert!(
                                end.duration_since(now) >= SignedDuration::try_from(worst).unwrap()
                            );
                        }
                        if let Some(last) = last_runs.get(&region) {
                            prop_assert!(s.next_due(*last) <= now);
                        }
                    }
                }
                Decision::Skip(reason) => {
                    prop_assert!(!force);
                    if let Reason::OutsideWindow {
                        next_opens: Some(t),
                    }
                    | Reason::Blocked {
                        next_opens: Some(t),
                        ..
                    } = reason
                    {
                        prop_assert!(t > now);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}
