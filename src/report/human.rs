//! The human report on stdout: a region table, the checks behind bad verdicts, notes and a verdict line.

use anstyle::{AnsiColor, Style};

use crate::report::model::{RegionReport, Report, TrafficSummary, Verdict};

/// Colours for the human report.
///
/// [`Styles::plain`] is all no-op styles, which render as empty strings, so plain
/// output carries no escape codes at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Styles {
    /// Column headers.
    pub header: Style,
    /// `pass`.
    pub pass: Style,
    /// `warn`.
    pub warn: Style,
    /// `fail` and `error`.
    pub fail: Style,
    /// `inconclusive`.
    pub inconclusive: Style,
    /// `skipped`.
    pub skipped: Style,
}

impl Styles {
    /// No colours: for `--color never`, `NO_COLOR`, pipes and snapshots.
    pub fn plain() -> Self {
        Self::default()
    }

    /// ANSI colours for a terminal.
    pub fn colored() -> Self {
        Styles {
            header: Style::new().bold(),
            pass: AnsiColor::Green.on_default(),
            warn: AnsiColor::Yellow.on_default(),
            fail: AnsiColor::Red.on_default().bold(),
            inconclusive: AnsiColor::Magenta.on_default(),
            skipped: Style::new().dimmed(),
        }
    }

    /// [`Styles::colored`] when `color` is true, else [`Styles::plain`].
    pub fn new(color: bool) -> Self {
        if color {
            Self::colored()
        } else {
            Self::plain()
        }
    }

    /// The style for one verdict word.
    pub fn verdict(&self, verdict: Verdict) -> Style {
        match verdict {
            Verdict::Skipped => self.skipped,
            Verdict::Pass => self.pass,
            Verdict::Warn => self.warn,
            Verdict::Inconclusive => self.inconclusive,
            Verdict::Error | Verdict::Fail => self.fail,
        }
    }
}

/// Renders the report as the table printed at the end of a run (`-o human`).
///
/// With `verbose > 0` every region's checks, durations and timings are listed,
/// not only those of regions that did not pass.
pub fn render(report: &Report, styles: &Styles, verbose: u8) -> String {
    let mut sections: Vec<Vec<String>> = Vec::new();
    if !report.regions.is_empty() {
        sections.push(table(&report.regions, styles));
    }
    let details: Vec<String> = report
        .regions
        .iter()
        .filter(|r| verbose > 0 || !matches!(r.verdict, Verdict::Pass | Verdict::Skipped))
        .filter(|r| !r.checks.is_empty() || (verbose > 0 && !r.timings.is_empty()))
        .flat_map(|r| region_details(r, styles, verbose))
        .collect();
    if !details.is_empty() {
        sections.push(details);
    }
    let mut tail: Vec<String> = Vec::new();
    if let Some(traffic) = &report.traffic {
        tail.push(traffic_line(traffic));
        tail.extend(phase_lines(traffic));
    }
    tail.extend(report.notes.iter().map(|n| format!("note: {n}")));
    if !tail.is_empty() {
        sections.push(tail);
    }
    sections.push(vec![format!(
        "verdict: {} (exit {}) in {}",
        paint(styles.verdict(report.verdict), report.verdict.as_str()),
        report.exit_code,
        duration(report.duration_ms),
    )]);

    let mut out = sections
        .into_iter()
        .map(|s| s.join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n");
    out.push('\n');
    out
}

/// A short humantime-style duration: `12ms`, `14.2s`, `2m 7s`, `1h 5m`.
///
/// humantime's own `format_duration` prints every unit down to nanoseconds
/// (`14s 210ms`), which is noise in a table.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    // 59.95s would round up to "60.0s"; from there minutes read better.
    if ms < 59_950 {
        let tenths = (ms + 50) / 100;
        return format!("{}.{}s", tenths / 10, tenths % 10);
    }
    let secs = (ms + 500) / 1000;
    if secs < 3600 {
        format!("{}m {}s", secs / 60, secs % 60)
    } else {
        format!("{}h {}m", secs / 3600, secs % 3600 / 60)
    }
}

fn table(regions: &[RegionReport], styles: &Styles) -> Vec<String> {
    const GAP: &str = "  ";
    let region_width = column_width("REGION", regions.iter().map(|r| r.region.as_str()));
    let verdict_width = column_width("VERDICT", regions.iter().map(|r| r.verdict.as_str()));
    let row =
        |region: String, region_len: usize, verdict: String, verdict_len: usize, summary: &str| {
            // Padding goes outside the escape codes so colour never shifts the columns.
            let line = format!(
                "{region}{}{GAP}{verdict}{}{GAP}{summary}",
                pad(region_width, region_len),
                pad(verdict_width, verdict_len),
            );
            line.trim_end().to_owned()
        };
    let mut lines = vec![row(
        paint(styles.header, "REGION"),
        "REGION".len(),
        paint(styles.header, "VERDICT"),
        "VERDICT".len(),
        &paint(styles.header, "SUMMARY"),
    )];
    lines.extend(regions.iter().map(|r| {
        row(
            r.region.clone(),
            text_width(&r.region),
            paint(styles.verdict(r.verdict), r.verdict.as_str()),
            r.verdict.as_str().len(),
            &r.summary,
        )
    }));
    lines
}

fn region_details(region: &RegionReport, styles: &Styles, verbose: u8) -> Vec<String> {
    let mut lines = vec![format!("{}:", region.region)];
    for check in &region.checks {
        let mut line = format!(
            "  - {}: {}",
            check.name,
            paint(styles.verdict(check.verdict), check.verdict.as_str())
        );
        if !check.detail.is_empty() {
            line.push_str(" — ");
            line.push_str(&check.detail);
        }
        if verbose > 0 && check.duration_ms > 0 {
            line.push_str(&format!(" (took {})", duration(check.duration_ms)));
        }
        lines.push(line);
    }
    if verbose > 0 && !region.timings.is_empty() {
        let timings: Vec<String> = region
            .timings
            .iter()
            .map(|(name, ms)| format!("{name} {}", duration(*ms)))
            .collect();
        lines.push(format!("  timings: {}", timings.join(", ")));
    }
    lines
}

fn traffic_line(traffic: &TrafficSummary) -> String {
    let mut line = format!(
        "traffic: {} requests, {} errors ({:.2}%), p50 {:.0}ms, p99 {:.0}ms",
        traffic.requests,
        traffic.errors,
        traffic.error_rate * 100.0,
        traffic.p50_ms,
        traffic.p99_ms,
    );
    if !traffic.by_region.is_empty() {
        let served: Vec<String> = traffic
            .by_region
            .iter()
            .map(|(region, n)| format!("{region} {n}"))
            .collect();
        line.push_str("; served by ");
        line.push_str(&served.join(", "));
    }
    line
}

/// A drill's outage window and one line per phase that had requests.
fn phase_lines(traffic: &TrafficSummary) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(w) = &traffic.outage_window {
        let moved = w.moved_ms.map_or("traffic never moved".to_owned(), |m| {
            format!("traffic moved after {}", duration(m))
        });
        lines.push(format!(
            "outage window: {} ({} requests lost), from {} to {} after the injection; {moved}; maxOutage {}",
            duration(w.duration_ms),
            w.requests_lost,
            duration(w.first_error_ms),
            duration(w.last_error_ms),
            duration(w.budget_ms),
        ));
    }
    for p in traffic.phases.iter().filter(|p| p.requests > 0) {
        let mut line = format!(
            "  {:<11} {:>5} requests, {:>4} errors ({:.2}%), p50 {:.0}ms, p99 {:.0}ms",
            p.phase,
            p.requests,
            p.errors,
            p.error_rate * 100.0,
            p.p50_ms,
            p.p99_ms
        );
        if !p.errors_by_kind.is_empty() {
            let kinds: Vec<String> = p
                .errors_by_kind
                .iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect();
            line.push_str(&format!("; {}", kinds.join(", ")));
        }
        lines.push(line);
    }
    lines
}

/// `text` in `style` (nothing added when the style is plain).
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn column_width<'a>(header: &str, cells: impl Iterator<Item = &'a str>) -> usize {
    cells
        .map(text_width)
        .chain([header.len()])
        .max()
        .unwrap_or(0)
}

/// Character count: close enough for region names and verdicts, which are ASCII
/// in practice, without pulling in a Unicode width table.
fn text_width(text: &str) -> usize {
    text.chars().count()
}

fn pad(width: usize, len: usize) -> String {
    " ".repeat(width.saturating_sub(len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Check, SCHEMA};
    use crate::report::testdata::sample_report;

    #[test]
    fn plain_table_snapshot() {
        insta::assert_snapshot!(render(&sample_report(), &Styles::plain(), 0));
    }

    #[test]
    fn verbose_table_lists_every_region_snapshot() {
        insta::assert_snapshot!(render(&sample_report(), &Styles::plain(), 1));
    }

    #[test]
    fn colour_only_when_asked() {
        let report = sample_report();
        let colored = render(&report, &Styles::colored(), 0);
        let plain = render(&report, &Styles::plain(), 0);
        assert!(colored.contains("\x1b["), "{colored}");
        assert!(!plain.contains('\x1b'), "{plain}");
    }

    #[test]
    fn colour_does_not_shift_columns() {
        let report = sample_report();
        let strip = |s: &str| {
            let mut out = String::new();
            let mut chars = s.chars();
            while let Some(c) = chars.next() {
                if c == '\x1b' {
                    for c in chars.by_ref() {
                        if c == 'm' {
                            break;
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            out
        };
        assert_eq!(
            strip(&render(&report, &Styles::colored(), 1)),
            render(&report, &Styles::plain(), 1)
        );
    }

    #[test]
    fn report_without_regions_shows_notes_and_verdict_only() {
        let report = Report {
            schema: SCHEMA.into(),
            command: "validate".into(),
            fleet: String::new(),
            run_id: "r".into(),
            started_at: "2026-11-28T12:00:00.000Z".into(),
            finished_at: "2026-11-28T12:00:00.003Z".into(),
            duration_ms: 3,
            verdict: Verdict::Fail,
            exit_code: 2,
            regions: vec![],
            traffic: None,
            notes: vec!["fleet.yaml:4:3: regions: at least two regions are required".into()],
            practice: None,
        };
        assert_eq!(
            render(&report, &Styles::plain(), 0),
            "note: fleet.yaml:4:3: regions: at least two regions are required\n\n\
             verdict: fail (exit 2) in 3ms\n"
        );
    }

    #[test]
    fn empty_detail_has_no_dash() {
        let mut report = sample_report();
        report.regions[2].checks = vec![Check::new("pool", Verdict::Error, "")];
        assert!(render(&report, &Styles::plain(), 0).contains("\n  - pool: error\n"));
    }

    #[test]
    fn durations_are_short() {
        for (ms, text) in [
            (0, "0ms"),
            (12, "12ms"),
            (999, "999ms"),
            (1000, "1.0s"),
            (1234, "1.2s"),
            (14_210, "14.2s"),
            (59_949, "59.9s"),
            (59_950, "1m 0s"),
            (127_412, "2m 7s"),
            (3_599_499, "59m 59s"),
            (3_900_000, "1h 5m"),
        ] {
            assert_eq!(duration(ms), text, "{ms}ms");
        }
    }
}
