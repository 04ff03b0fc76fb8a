//! The blocking alerts `status` shows when the manifest has `prometheus:`
//! (docs/prometheus.md): the union of `drill.blockingAlerts` and
//! `rollout.blockingAlerts`, matched against the active alerts read once,
//! alongside the fleet snapshot.
//!
//! Status reports and never refuses: a firing blocking alert is a warning
//! under the region its `region` label names (a fleet-wide note when it
//! names none of the fleet's regions), and a Prometheus that cannot be read
//! is a warning too, not an error: the fleet itself may be fine, and
//! `status` is what an operator runs to find out.

use std::sync::Arc;
use std::time::SystemTime;

use promql_parser::label::Matcher;

use crate::facts::guards::GuardFact;
use crate::facts::status::{StatusNote, StatusSummary};
use crate::facts::{Finding, Note, RegionFindings, Summary, Verdict};
use crate::manifest::Fleet;
use crate::ops::guards::{Bindings, blocking_seen, label_matchers, matches, problem};
use crate::prometheus::query::Placeholder;
use crate::prometheus::{ActiveAlert, AlertState, Metrics, PromError};

/// What a placeholder status has no value for stands in for: the label
/// matcher it fills is dropped, so the matcher matches any value there.
const ANY: &str = "__ocfail_any__";

/// A matcher as the report shows it, and its label matchers.
type Filled = (String, Vec<Matcher>);

/// The active alerts, when status should show blocking alerts: `None`
/// without `prometheus:` or without any blocking alert in the manifest.
pub type AlertsRead = Option<Result<Vec<ActiveAlert>, PromError>>;

/// Reads the active alerts (one request, under the client's timeout), if
/// the manifest names blocking alerts and a Prometheus to read them from.
pub async fn read<M: Metrics>(
    prometheus: Option<&Result<Arc<M>, PromError>>,
    fleet: &Fleet,
) -> AlertsRead {
    if union(fleet).is_empty() {
        return None;
    }
    match prometheus? {
        Ok(m) => Some(m.alerts().await),
        Err(e) => Some(Err(e.clone())),
    }
}

/// `drill.blockingAlerts` and `rollout.blockingAlerts`, each matcher once.
fn union(fleet: &Fleet) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in fleet
        .drill
        .blocking_alerts
        .iter()
        .chain(&fleet.rollout.blocking_alerts)
    {
        if !out.contains(&m.0) {
            out.push(m.0.clone());
        }
    }
    out
}

/// The matchers as status fills them for `region`: `{region}` and
/// `{drilled}` are the region (a drill of it would bind both so);
/// `{receiver}`, `{color}` and `{previousColor}` only have a value during
/// a drill or rollout, so here they match anything.
fn filled_for(matchers: &[String], region: &str) -> Vec<Filled> {
    let b = Bindings::drill(region, Some(ANY))
        .with(Placeholder::Color, ANY)
        .with(Placeholder::PreviousColor, ANY);
    matchers
        .iter()
        .filter_map(|m| {
            let text = b.fill(m).unwrap_or_else(|_| m.clone());
            let parsed: Vec<Matcher> = label_matchers(&text)?
                .into_iter()
                .filter(|lm| lm.value != ANY)
                .collect();
            Some((shown(&text), parsed))
        })
        .collect()
}

/// A filled matcher as the report shows it: `{color}` stays a placeholder.
fn shown(text: &str) -> String {
    text.replace(&format!("\"{ANY}\""), "<any>")
}

/// Adds what the alerts say to `status`'s regions and notes: per region, a
/// warning for each firing blocking alert (and the alert's name on the
/// region's line), or a warning that they could not be read.
pub fn apply(
    fleet: &Fleet,
    read: AlertsRead,
    regions: &mut [RegionFindings],
    notes: &mut Vec<Note>,
) {
    let Some(read) = read else {
        return;
    };
    let matchers = union(fleet);
    let alerts = match read {
        Ok(a) => a,
        Err(e) => {
            let problem = problem(&e);
            for r in regions.iter_mut() {
                let filled = filled_for(&matchers, &r.region)
                    .into_iter()
                    .map(|(t, _)| t)
                    .collect();
                add(
                    r,
                    Finding::new(
                        Verdict::Warn,
                        GuardFact::BlockingUnreadable {
                            matchers: filled,
                            problem: problem.clone(),
                            refuses: false,
                        },
                    ),
                    None,
                );
            }
            return;
        }
    };
    let per_region: Vec<(String, Vec<Filled>)> = regions
        .iter()
        .map(|r| (r.region.clone(), filled_for(&matchers, &r.region)))
        .collect();
    let now = SystemTime::now();
    for alert in alerts.iter().filter(|a| a.state == AlertState::Firing) {
        let own = alert.labels.get("region");
        // The alert's own region's matchers first: `{region}` there is
        // what it is about.
        let mut order: Vec<&(String, Vec<Filled>)> = per_region.iter().collect();
        order.sort_by_key(|(name, _)| Some(name) != own);
        let Some(text) = order.iter().find_map(|(_, filled)| {
            filled
                .iter()
                .find(|(_, ms)| matches(ms, &alert.labels))
                .map(|(t, _)| t.clone())
        }) else {
            continue;
        };
        let mut seen = blocking_seen(&text, alert, now);
        seen.refuses = false;
        let name = seen.name().to_owned();
        match regions.iter_mut().find(|r| Some(&r.region) == own) {
            Some(r) => add(
                r,
                Finding::new(Verdict::Warn, GuardFact::Blocking(seen)),
                Some(name),
            ),
            None => notes.push(StatusNote::BlockingAlert(seen).into()),
        }
    }
}

/// Adds `finding` to `r` (its verdict the worst of its checks again) and
/// the alert's name to its line.
fn add(r: &mut RegionFindings, finding: Finding, alert: Option<String>) {
    r.checks.push(finding);
    r.verdict = Verdict::worst(r.checks.iter().map(|c| c.verdict));
    if let (Some(name), Summary::Status(StatusSummary::Region(line))) = (alert, &mut r.summary)
        && !line.alerts.contains(&name)
    {
        line.alerts.push(name);
    }
}

#[cfg(test)]
mod tests;
