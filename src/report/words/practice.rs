//! `ocfail practice`: its decision in words (the report's note) and as the
//! report's typed `practice` object (docs/practice.md), so a CronJob's log
//! reader never has to parse the sentence.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::facts::practice::{Decision, PracticeNote, Reason};
use crate::report::human::duration;
use crate::report::model::PracticeReport;

fn at(t: Timestamp) -> String {
    t.round(jiff::Unit::Second).unwrap_or(t).to_string()
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn next(opens: Option<Timestamp>) -> String {
    opens.map_or_else(
        || "no window opens within two years".to_owned(),
        |t| format!("the next window opens at {}", at(t)),
    )
}

/// The decision in one line.
pub fn note(n: &PracticeNote) -> String {
    let budget = n
        .worst_case
        .map(|d| {
            format!(
                "a drill may take up to {} (failover + hold + recover)",
                duration(ms(d))
            )
        })
        .unwrap_or_default();
    match &n.decision {
        Decision::Run {
            region,
            window_end,
            forced,
        } => {
            let verb = if n.dry_run {
                "practice (dry run): would drill"
            } else {
                "practice: drilling"
            };
            let last = n
                .last
                .iter()
                .find(|(r, _)| r == region)
                .and_then(|(_, t)| *t)
                .map_or_else(
                    || "never practised".to_owned(),
                    |t| format!("last practised at {}", at(t)),
                );
            let when = if *forced {
                "--now: windows, blocked dates and the schedule were not consulted".to_owned()
            } else {
                match window_end {
                    Some(end) => format!("the window ends at {}; {budget}", at(*end)),
                    None => budget,
                }
            };
            format!("{verb} {region} ({last}); {when}")
        }
        Decision::Skip(reason) => skip(reason),
    }
}

fn skip(reason: &Reason) -> String {
    match reason {
        Reason::NoRegions => "skipped: practice.regions names no region of the fleet".to_owned(),
        Reason::NotDue { region, next_due } => format!(
            "skipped: not due — {region}, next in the rotation, is due at {}",
            at(*next_due)
        ),
        Reason::OutsideWindow { next_opens } => {
            format!(
                "skipped: outside the practice windows — {}",
                next(*next_opens)
            )
        }
        Reason::Blocked { date, next_opens } => {
            format!(
                "skipped: blocked — {date} is a blocked date; {}",
                next(*next_opens)
            )
        }
        Reason::WindowTooShort {
            ends_at,
            needs,
            next_opens,
        } => format!(
            "skipped: the window ends at {}, before a drill started now could end (it may take \
             up to {}: failover + hold + recover); {}",
            at(*ends_at),
            duration(ms(*needs)),
            next(*next_opens)
        ),
        Reason::Locked { run } => {
            format!("skipped: another run holds the fleet lock ({run}); the next attempt retries")
        }
        Reason::BlockingAlert { alerts } => format!(
            "skipped: a blocking alert fires ({}); practice waits for a quiet fleet",
            alerts.join(", ")
        ),
        Reason::HistoryUnreadable { regions } => format!(
            "could not check which region is due: the history could not be read ({})",
            problems(regions)
        ),
        Reason::HistoryUnwritable { regions } => format!(
            "nothing drilled: the practice run could not record itself in the history ({}), \
             so it would be due again at once; grant get, create and update on configmaps \
             (docs/user-guide.md)",
            problems(regions)
        ),
        Reason::MonitorUnreadable { problem } => format!(
            "could not check how long a drill may take: the pool's monitor could not be read \
             ({})",
            problem.message
        ),
    }
}

/// Each region's problem, `; `-separated, named once.
fn problems(regions: &[(String, crate::facts::api::ApiProblem)]) -> String {
    regions
        .iter()
        .map(|(r, p)| {
            // The API's message usually names the region already.
            if p.message.starts_with(r.as_str()) {
                p.message.clone()
            } else {
                format!("{r}: {}", p.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The typed object of the report.
pub fn model(n: &PracticeNote) -> PracticeReport {
    let last_practised: BTreeMap<String, Option<String>> = n
        .last
        .iter()
        .map(|(r, t)| (r.to_string(), t.map(at)))
        .collect();
    let mut out = PracticeReport {
        decision: "run".to_owned(),
        reason: None,
        region: None,
        forced: false,
        dry_run: n.dry_run,
        window_ends_at: None,
        next_due: None,
        next_opens: None,
        blocked_date: None,
        worst_case_ms: n.worst_case.map(ms),
        last_practised,
    };
    match &n.decision {
        Decision::Run {
            region,
            window_end,
            forced,
        } => {
            out.region = Some(region.to_string());
            out.window_ends_at = window_end.map(at);
            out.forced = *forced;
        }
        Decision::Skip(reason) => {
            out.decision = "skip".to_owned();
            let (id, region) = match reason {
                Reason::NoRegions => ("no-regions", None),
                Reason::NotDue { region, next_due } => {
                    out.next_due = Some(at(*next_due));
                    ("not-due", Some(region.to_string()))
                }
                Reason::OutsideWindow { next_opens } => {
                    out.next_opens = next_opens.map(at);
                    ("outside-window", None)
                }
                Reason::Blocked { date, next_opens } => {
                    out.blocked_date = Some(date.to_string());
                    out.next_opens = next_opens.map(at);
                    ("blocked", None)
                }
                Reason::WindowTooShort {
                    ends_at,
                    next_opens,
                    ..
                } => {
                    out.window_ends_at = Some(at(*ends_at));
                    out.next_opens = next_opens.map(at);
                    ("window-too-short", None)
                }
                Reason::Locked { .. } => ("locked", None),
                Reason::BlockingAlert { .. } => ("blocking-alert", None),
                Reason::HistoryUnreadable { .. } => ("history-unreadable", None),
                Reason::HistoryUnwritable { .. } => ("history-unwritable", None),
                Reason::MonitorUnreadable { .. } => ("monitor-unreadable", None),
            };
            out.reason = Some(id.to_owned());
            out.region = region;
        }
    }
    out
}
