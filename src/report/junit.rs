//! The `--junit PATH` report: one testsuite per command, one testcase per region × check.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, SerializeError, TestCase, TestCaseStatus, TestSuite};

use crate::report::model::{Check, RegionReport, Report, Verdict};

/// Renders the report as JUnit XML.
///
/// Verdicts map so that CI dashboards count what matters: `fail` and
/// `inconclusive` are failures (the latter typed `inconclusive`), `error` is an
/// error, `skipped` is skipped, and `pass`/`warn` succeed (a warning keeps its
/// detail in `system-out`).
pub fn render(report: &Report) -> Result<String, SerializeError> {
    let mut suite = TestSuite::new(report.command.as_str());
    suite.set_time(Duration::from_millis(report.duration_ms));
    // quick-junit's own timestamp field wants a chrono type; the report already
    // holds RFC 3339 text, so it goes in verbatim.
    suite
        .extra
        .insert("timestamp".into(), report.started_at.as_str().into());
    suite.add_properties([
        Property::new("fleet", report.fleet.as_str()),
        Property::new("runId", report.run_id.as_str()),
        Property::new("verdict", report.verdict.as_str()),
        Property::new("exitCode", report.exit_code.to_string()),
    ]);
    if report.regions.is_empty() {
        suite.add_test_case(manifest_case(report));
    }
    for region in &report.regions {
        if region.checks.is_empty() {
            suite.add_test_case(region_case(region));
        }
        suite.add_test_cases(
            region
                .checks
                .iter()
                .map(|check| check_case(&region.region, check)),
        );
    }
    if !report.notes.is_empty() {
        suite.set_system_out(report.notes.join("\n"));
    }

    let mut junit = quick_junit::Report::new("ocfail");
    junit.set_time(Duration::from_millis(report.duration_ms));
    junit.add_test_suite(suite);
    junit.to_string()
}

fn check_case(region: &str, check: &Check) -> TestCase {
    let mut case = TestCase::new(
        format!("{region}/{}", check.name),
        status(check.verdict, &check.detail),
    );
    case.set_classname(region);
    case.set_time(Duration::from_millis(check.duration_ms));
    if check.verdict == Verdict::Warn && !check.detail.is_empty() {
        case.set_system_out(check.detail.as_str());
    }
    if let Some(p) = &check.prometheus {
        case.properties.extend(prom_properties(p));
    }
    case
}

/// A guard's or expected alert's numbers as test case properties.
fn prom_properties(p: &crate::report::model::PromCheck) -> Vec<quick_junit::Property> {
    let mut out = vec![quick_junit::Property::new("query", p.query.as_str())];
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push(quick_junit::Property::new(k, v));
        }
    };
    add("value", p.value.map(|v| v.to_string()));
    add("op", p.op.clone());
    add("threshold", p.threshold.map(|v| v.to_string()));
    add("forMs", p.for_ms.map(|v| v.to_string()));
    add("when", p.when.clone());
    add("expect", p.expect.clone());
    add("firstPendingMs", p.first_pending_ms.map(|v| v.to_string()));
    add("firstFiringMs", p.first_firing_ms.map(|v| v.to_string()));
    out
}

fn region_case(region: &RegionReport) -> TestCase {
    let mut case = TestCase::new(
        region.region.as_str(),
        status(region.verdict, &region.summary),
    );
    case.set_classname(region.region.as_str());
    if region.verdict == Verdict::Warn && !region.summary.is_empty() {
        case.set_system_out(region.summary.as_str());
    }
    case
}

/// With no regions the run stopped before contacting anything (an unreadable
/// manifest, say), and the notes are the only explanation there is.
fn manifest_case(report: &Report) -> TestCase {
    let verdict = if report.exit_code != 0 && report.verdict <= Verdict::Warn {
        Verdict::Fail
    } else {
        report.verdict
    };
    let message = report.notes.first().map(String::as_str).unwrap_or("");
    let mut status = status(verdict, message);
    if report.notes.len() > 1 {
        status.set_description(report.notes.join("\n"));
    }
    let mut case = TestCase::new("manifest", status);
    case.set_classname("manifest");
    case.set_time(Duration::from_millis(report.duration_ms));
    if verdict <= Verdict::Warn && !report.notes.is_empty() {
        case.set_system_out(report.notes.join("\n"));
    }
    case
}

fn status(verdict: Verdict, message: &str) -> TestCaseStatus {
    let mut status = match verdict {
        Verdict::Pass | Verdict::Warn => return TestCaseStatus::success(),
        Verdict::Skipped => TestCaseStatus::skipped(),
        Verdict::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Verdict::Inconclusive => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_type("inconclusive");
            status
        }
        Verdict::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
    };
    if !message.is_empty() {
        status.set_message(message);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Check, RegionReport};
    use crate::report::testdata::sample_report;

    #[test]
    fn junit_snapshot() {
        insta::assert_snapshot!(render(&sample_report()).unwrap());
    }

    #[test]
    fn counts_failures_errors_and_skips() {
        let mut report = sample_report();
        report.regions.push(RegionReport::from_checks(
            "sa-east-1",
            "could not check",
            vec![
                Check::new("api", Verdict::Error, "connection refused"),
                Check::new("pool-health", Verdict::Inconclusive, "no health data"),
                Check::new("failover", Verdict::Skipped, "not drilled"),
            ],
        ));
        report.regions.push(RegionReport::from_checks(
            "me-south-1",
            "unreachable",
            vec![],
        ));
        report.regions[4].verdict = Verdict::Error;
        let xml = render(&report).unwrap();

        assert!(
            xml.contains(
                r#"<testsuites name="ocfail" tests="12" skipped="1" failures="2" errors="2""#
            ),
            "{xml}"
        );
        assert_eq!(xml.matches("<testcase ").count(), 12);
        assert_eq!(xml.matches("<failure").count(), 2);
        assert_eq!(xml.matches("<error").count(), 2);
        assert_eq!(xml.matches("<skipped").count(), 1);
        assert!(
            xml.contains(r#"<failure message="no health data" type="inconclusive"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase name="me-south-1" classname="me-south-1""#),
            "{xml}"
        );
        assert!(xml.contains("<system-out>served 1388 requests"), "{xml}");
    }

    #[test]
    fn no_regions_becomes_one_manifest_failure() {
        let mut report = sample_report();
        report.regions.clear();
        report.verdict = Verdict::Fail;
        report.exit_code = 2;
        report.notes = vec![
            "fleet.yaml:3:1: regions: at least two regions are required".into(),
            "fleet.yaml:9:5: rollout.waves[0]: unknown region `us-east-9`".into(),
        ];
        let xml = render(&report).unwrap();
        assert_eq!(xml.matches("<testcase ").count(), 1);
        assert!(
            xml.contains(r#"<testcase name="manifest" classname="manifest""#),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<failure message="fleet.yaml:3:1: regions: at least two regions are required">"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains("unknown region `us-east-9`</failure>"),
            "{xml}"
        );
    }
}
