//! The Markdown summary appended to `$GITHUB_STEP_SUMMARY`.

use crate::report::model::Report;

/// The report as a Markdown heading, region table and note list, ending with an
/// empty line so that several summaries appended to one file stay apart.
pub fn markdown(report: &Report) -> String {
    let mut lines = vec![
        format!("### ocfail {}: {}", inline(&report.command), report.verdict),
        String::new(),
    ];
    // A table with only a header row renders as an empty grid, which says nothing.
    if !report.regions.is_empty() {
        lines.push("| Region | Verdict | Summary |".into());
        lines.push("|---|---|---|".into());
        for region in &report.regions {
            lines.push(format!(
                "| {} | {} | {} |",
                cell(&region.region),
                region.verdict,
                cell(&region.summary)
            ));
        }
        lines.push(String::new());
    }
    if !report.notes.is_empty() {
        lines.extend(
            report
                .notes
                .iter()
                .map(|note| format!("- {}", inline(note))),
        );
        lines.push(String::new());
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A line break inside a table row or list item would end it early.
fn inline(text: &str) -> String {
    text.replace("\r\n", " ").replace(['\n', '\r'], " ")
}

fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample_report;

    #[test]
    fn markdown_snapshot() {
        insta::assert_snapshot!(markdown(&sample_report()));
    }

    #[test]
    fn pipes_and_newlines_do_not_break_the_table() {
        let mut report = sample_report();
        report.regions[0].summary = "healthy | serving\nsince 12:00".into();
        let text = markdown(&report);
        assert!(
            text.contains("| us-east-1 | pass | healthy \\| serving since 12:00 |"),
            "{text}"
        );
    }

    #[test]
    fn ends_with_an_empty_line() {
        assert!(markdown(&sample_report()).ends_with("\n\n"));
        let mut report = sample_report();
        report.notes.clear();
        report.regions.clear();
        assert_eq!(markdown(&report), "### ocfail drill: fail\n\n");
    }
}
