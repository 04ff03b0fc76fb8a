//! Notifications in words: the Slack message a run ends with, made from
//! the same report model every renderer draws, and the warning for a
//! target that was not given everything. The words only: `app/` puts them
//! into `notify`'s wire types (report/ uses no adapter).

use crate::facts::notify::{NotDelivered, Undelivered};
use crate::report::human::duration;
use crate::report::model::Report;

/// A Slack message's words: its fallback text, its header and its
/// sections (mrkdwn).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackWords {
    /// Shown in notifications and by receivers without blocks.
    pub text: String,
    /// The header block's plain text.
    pub header: String,
    /// The section blocks' mrkdwn, in order.
    pub sections: Vec<String>,
}

/// The Slack message for a concluded `report`: a header with the command,
/// the region (`region`, when the command is about one) and the verdict;
/// a section with the exit code, the wall time and the timings; one line
/// per region (its verdict and summary); the notes; and the run id.
pub fn slack(report: &Report, region: Option<&str>) -> SlackWords {
    let what = match region {
        Some(r) => format!("{} {r}", report.command),
        None => report.command.clone(),
    };
    let header = format!("ocfail {what}: {}", report.verdict);
    let text = format!(
        "ocfail {what} on {}: {} (exit {})",
        report.fleet, report.verdict, report.exit_code
    );
    let mut outcome = vec![format!(
        "*{what}* on *{}*: *{}*, exit code {}, took {}",
        mrkdwn(&report.fleet),
        report.verdict,
        report.exit_code,
        duration(report.duration_ms)
    )];
    for r in report.regions.iter().filter(|r| !r.timings.is_empty()) {
        let timings: Vec<String> = r
            .timings
            .iter()
            .map(|(name, ms)| format!("{} {}", timing_name(name), duration(*ms)))
            .collect();
        outcome.push(format!("`{}` {}", r.region, timings.join(", ")));
    }
    let mut sections = vec![outcome.join("\n")];
    if !report.regions.is_empty() {
        let lines: Vec<String> = report
            .regions
            .iter()
            .map(|r| format!("`{}` ({}) {}", r.region, r.verdict, mrkdwn(&r.summary)))
            .collect();
        sections.push(lines.join("\n"));
    }
    if !report.notes.is_empty() {
        let lines: Vec<String> = report
            .notes
            .iter()
            .map(|n| format!("• {}", mrkdwn(n)))
            .collect();
        sections.push(lines.join("\n"));
    }
    sections.push(format!("run `{}`", report.run_id));
    SlackWords {
        text,
        header,
        sections,
    }
}

/// A timing's JSON name without its unit (`unhealthyAfterMs` reads
/// `unhealthyAfter`): the value carries one.
fn timing_name(name: &str) -> &str {
    name.strip_suffix("Ms").unwrap_or(name)
}

/// `text` with the three characters Slack's mrkdwn reserves escaped, so a
/// summary with `<` or `&` is shown as written.
fn mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The warning for a target that was not given every notification.
pub fn note(u: &Undelivered) -> String {
    let to = match &u.shown {
        Some(shown) => format!("{} ({shown})", u.target),
        None => u.target.clone(),
    };
    let count = if u.of > 1 {
        format!(" ({} of {})", u.failed, u.of)
    } else {
        String::new()
    };
    format!(
        "warning: notification to {to} not delivered{count}: {}",
        why(&u.why, u.tries)
    )
}

fn why(w: &NotDelivered, tries: u32) -> String {
    let after = match tries {
        0 | 1 => String::new(),
        n => format!(" after {n} tries"),
    };
    match w {
        NotDelivered::VariableUnset { variable } => format!("{variable} is not set"),
        NotDelivered::InvalidUrl => "its variable holds no http(s) URL with a host".to_owned(),
        NotDelivered::Status(s) => format!("the receiver answered HTTP {s}{after}"),
        NotDelivered::TimedOut => format!("no answer in time{after}"),
        NotDelivered::Transport { kind } => format!("{kind} error{after}"),
        NotDelivered::Unfinished => {
            "still unsent when the run stopped waiting (timeout × tries)".to_owned()
        }
        NotDelivered::NoClient => "no HTTP client could be made".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample_report;

    #[test]
    fn slack_message_heads_with_command_region_and_verdict() {
        let report = sample_report();
        let m = slack(&report, Some("us-east-1"));
        assert_eq!(
            m.header,
            format!("ocfail drill us-east-1: {}", report.verdict)
        );
        assert!(m.text.contains(&format!("(exit {})", report.exit_code)));
        assert!(m.sections[0].contains("exit code"), "{:?}", m.sections);
        assert!(
            m.sections[0].contains("`us-east-1` recoveredAfter 41.0s"),
            "{:?}",
            m.sections
        );
        assert_eq!(
            m.sections.last().unwrap(),
            &format!("run `{}`", report.run_id)
        );
        let m = slack(&report, None);
        assert!(m.header.starts_with("ocfail drill: "));
    }

    #[test]
    fn notes_name_the_target_and_host_never_more() {
        let u = Undelivered {
            target: "sre-slack".to_owned(),
            shown: Some("https://hooks.slack.com".to_owned()),
            failed: 1,
            of: 1,
            why: NotDelivered::Status(500),
            tries: 3,
        };
        assert_eq!(
            note(&u),
            "warning: notification to sre-slack (https://hooks.slack.com) not delivered: \
             the receiver answered HTTP 500 after 3 tries"
        );
        let u = Undelivered {
            target: "events".to_owned(),
            shown: None,
            failed: 2,
            of: 4,
            why: NotDelivered::VariableUnset {
                variable: "HOOK".to_owned(),
            },
            tries: 0,
        };
        assert_eq!(
            note(&u),
            "warning: notification to events not delivered (2 of 4): HOOK is not set"
        );
    }

    #[test]
    fn mrkdwn_control_characters_are_escaped() {
        assert_eq!(mrkdwn("a<b>&c"), "a&lt;b&gt;&amp;c");
    }
}
