//! Facts into words: every sentence a report, a progress line or a note
//! shows is made here, from the typed values `ops/` returns. Nothing
//! outside `report/` formats a finding, and nothing parses one back.

mod api;

pub use self::api::problem;
pub use self::health::monitor_blind;
mod drill;
mod guards;
mod health;
mod lock;
pub mod notify;
mod practice;
mod restore;
mod rollout;
mod safety;
mod status;
mod validate;

use crate::facts::{
    Fact, Finding, Findings, Note, RegionFindings, Run, Scope, Step, Summary, Verdict,
};

use super::model::{Check, RegionReport, Report, SCHEMA};

/// The check's stable name (`restore scale` for a scoped `scale`).
pub fn name(f: &Finding) -> String {
    let base: &str = match &f.fact {
        Fact::Api(x) => api::name(x),
        Fact::Status(x) => status::name(x),
        Fact::Health(x) => &health::name(x),
        Fact::Validate(x) => validate::name(x),
        Fact::Drill(x) => drill::name(x),
        Fact::Rollout(x) => &rollout::name(x),
        Fact::Restore(x) => restore::name(x),
        Fact::Lock(x) => lock::name(x),
        Fact::Guard(x) => &guards::name(x),
    };
    match f.scope {
        None => base.to_owned(),
        Some(Scope::Restore) => format!("restore {base}"),
        Some(Scope::Rollback) => format!("rollback {base}"),
    }
}

/// The check's one line.
pub fn detail(f: &Finding) -> String {
    match &f.fact {
        Fact::Api(x) => api::detail(x),
        Fact::Status(x) => status::detail(x),
        Fact::Health(x) => health::detail(x),
        Fact::Validate(x) => validate::detail(x),
        Fact::Drill(x) => drill::detail(x),
        Fact::Rollout(x) => rollout::detail(x),
        Fact::Restore(x) => restore::detail(x),
        Fact::Lock(x) => lock::detail(x),
        Fact::Guard(x) => guards::detail(x),
    }
}

/// The report's check.
pub fn check(f: &Finding) -> Check {
    Check {
        name: name(f),
        verdict: f.verdict,
        detail: detail(f),
        duration_ms: f.duration_ms,
        prometheus: match &f.fact {
            Fact::Guard(g) => guards::numbers(g),
            _ => None,
        },
    }
}

/// A region's line in the table.
pub fn summary(s: &Summary) -> String {
    match s {
        Summary::Status(x) => status::summary(x),
        Summary::Health(x) => health::summary(x),
        Summary::Validate(x) => validate::summary(x),
        Summary::Drill(x) => drill::summary(x),
        Summary::Rollout(x) => rollout::summary(x),
        Summary::Restore(x) => restore::summary(x),
        Summary::Lock(x) => lock::summary(x),
    }
}

/// A fleet-wide remark.
pub fn note(n: &Note) -> String {
    match n {
        Note::RanOnSimulator => {
            "ran against an in-process simulator (--sim), not your real fleet".to_owned()
        }
        Note::PrometheusNotOnSimulator => "Prometheus guards and alerts were not checked: no \
             Prometheus watches the in-process simulator; run `ocfail sim` and point Prometheus \
             at it (docs/prometheus.md)"
            .to_owned(),
        Note::Status(x) => status::note(x),
        Note::Health(x) => health::note(x),
        Note::Validate(x) => validate::note(x),
        Note::Drill(x) => drill::note(x),
        Note::Rollout(x) => rollout::note(x),
        Note::Restore(x) => restore::note(x),
        Note::Lock(x) => lock::detail(x),
        Note::RestoreAbandoned { again } => format!(
            "stopped on a second signal: the restore may be half done; run `{again}` to finish"
        ),
        Note::SignalDuringRestore { signal } => {
            format!("{signal} arrived during the restore; the restore was finished first")
        }
        Note::Practice(p) => practice::note(p),
        Note::HistoryNotWritten { region, problem } => {
            let hint = problem
                .hint
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            format!(
                "warn: this run is missing from {region}'s history (ConfigMap ocfail-history): \
                 {}{hint}; the run itself is unaffected",
                problem.message
            )
        }
        Note::NotDelivered(u) => notify::note(u),
    }
}

/// A region's report entry.
pub fn region(r: &RegionFindings) -> RegionReport {
    RegionReport {
        region: r.region.clone(),
        verdict: r.verdict,
        summary: summary(&r.summary),
        checks: r.checks.iter().map(check).collect(),
        timings: r.timings.clone(),
        rollout: r.rollout.clone(),
    }
}

/// A progress step, as the progress display and JSON Lines show it.
pub fn step(s: &Step) -> String {
    match s {
        Step::Reading => "reading".to_owned(),
        Step::CheckingSteadyState => "checking steady state".to_owned(),
        Step::TakingLock => "taking the lock".to_owned(),
        Step::Recording => "recording state".to_owned(),
        Step::Injecting => "injecting the outage".to_owned(),
        Step::WaitingForFailover => "waiting for failover".to_owned(),
        Step::Holding => "holding".to_owned(),
        Step::Restoring => "restoring".to_owned(),
        Step::WaitingForRecovery => "waiting for recovery".to_owned(),
        Step::WatchingAfterRecovery => "watching traffic after recovery".to_owned(),
        Step::CheckingGuards => "checking Prometheus guards and alerts".to_owned(),
        Step::Deploying { colour } => format!("deploying {colour}"),
        Step::WaitingReady { colour } => format!("waiting for {colour} to be ready"),
        Step::SmokePreview => "smoke checks on preview".to_owned(),
        Step::Switching { colour } => format!("switching to {colour}"),
        Step::SmokeLive => "smoke checks on live".to_owned(),
        Step::Verifying => "verifying traffic".to_owned(),
        Step::SwitchingBack { colour } => format!("switching back to {colour}"),
        Step::RollingBack { colour } => format!("rolling back to {colour}"),
        Step::ScalingDown { deployment } => format!("scaling {deployment} to 0"),
    }
}

/// The final report of `run`: the verdict is the worst region verdict, and
/// the command's own exit code (refused, restore left, interrupted) is
/// combined with the verdicts' by rank.
pub fn conclude(run: &Run, f: Findings) -> Report {
    let regions: Vec<RegionReport> = f.regions.iter().map(region).collect();
    let notes = f.notes.iter().map(note).collect();
    let practice = f.notes.iter().find_map(|n| match n {
        Note::Practice(p) => Some(Box::new(practice::model(p))),
        _ => None,
    });
    let verdict = Verdict::worst(regions.iter().map(|r| r.verdict));
    let mut exit = verdict.exit_code();
    if let Some(code) = f.exit_code {
        exit = crate::exit_code::worst(exit, code);
    }
    let mut r = report(run, verdict, exit, regions, notes, f.traffic);
    r.practice = practice;
    r
}

/// A report with an explicit verdict and exit code (e.g. an invalid
/// manifest, which has no regions).
pub fn report(
    run: &Run,
    verdict: Verdict,
    exit_code: u8,
    regions: Vec<RegionReport>,
    notes: Vec<String>,
    traffic: Option<crate::facts::TrafficSummary>,
) -> Report {
    let finished_at = std::time::SystemTime::now();
    Report {
        schema: SCHEMA.to_owned(),
        command: run.command.clone(),
        fleet: run.fleet.clone(),
        run_id: run.id.clone(),
        started_at: humantime::format_rfc3339_millis(run.started_at).to_string(),
        finished_at: humantime::format_rfc3339_millis(finished_at).to_string(),
        duration_ms: run.elapsed_ms(),
        verdict,
        exit_code,
        regions,
        traffic,
        notes,
        practice: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conclude_keeps_the_worse_of_the_verdicts_and_the_commands_code() {
        let run = Run::start("drill", "f");
        let failed = || Findings {
            regions: vec![RegionFindings {
                verdict: Verdict::Fail,
                ..RegionFindings::from_checks(
                    "a",
                    crate::facts::status::StatusSummary::Unreadable {
                        message: String::new(),
                    },
                    vec![],
                )
            }],
            ..Findings::default()
        };
        let interrupted = Findings {
            exit_code: Some(crate::exit_code::INTERRUPTED),
            ..failed()
        };
        assert_eq!(
            conclude(&run, interrupted).exit_code,
            crate::exit_code::INTERRUPTED
        );
        let none = conclude(&run, failed());
        assert_eq!(none.exit_code, crate::exit_code::FAILED);
        assert_eq!(none.verdict, Verdict::Fail);
    }

    #[test]
    fn a_scoped_check_is_named_under_its_step() {
        let traffic = crate::facts::status::StatusFact::Traffic { serving: true };
        let f = Finding::new(Verdict::Pass, traffic).scoped(Scope::Restore);
        assert_eq!(check(&f).name, "restore traffic");
    }
}
