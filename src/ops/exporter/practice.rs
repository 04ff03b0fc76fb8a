//! The exporter's practice series (docs/monitoring.md), from the run
//! history read on every refresh when the manifest has `practice:` (one
//! GET per region, beside the fleet snapshot):
//!
//! - `ocfail_practice_every_seconds{region}`: `practice.every`, for each
//!   practised region. It marks which regions are practised, so the
//!   rendered alerts compare against it and need no constant, and a
//!   region never practised still has a series to alert on.
//! - `ocfail_practice_last_timestamp_seconds{region}`: when the last
//!   practice started (the schedule counts `every` from there). Absent
//!   while the region has never been practised, not 0: 0 would read as
//!   "practised in 1970" on a dashboard and page for every new fleet at
//!   once; the rendered rules alert on the absence separately.
//! - `ocfail_practice_last_info{region,verdict}`: 1, labelled with the last
//!   practice's verdict, like `ocfail_last_drill_info`.
//!
//! A region whose history cannot be read keeps its last values (stale, not
//! gone, as a region whose API does not answer) and counts an API error.

use std::collections::BTreeMap;

use crate::manifest::Fleet;
use crate::ops::history;
use crate::ops::practice::last::last_practices;
use crate::ops::status::practice::HistoryRead;

use super::metrics::{Labels, Metrics, region, set};

/// Updates the practice series from `read`; `labels` holds each region's
/// current `ocfail_practice_last_info` labels between refreshes. Returns
/// how many history reads were sent.
pub fn apply(
    m: &Metrics,
    labels: &mut BTreeMap<String, Labels>,
    fleet: &Fleet,
    read: HistoryRead,
) -> u64 {
    let (Some(practice), Some(histories)) = (&fleet.practice, read) else {
        return 0;
    };
    for r in &practice.regions {
        set(
            &m.practice_every,
            &region(r.as_str()),
            practice.every.as_secs_f64(),
        );
    }
    let mut unreadable: Vec<&str> = Vec::new();
    for (r, h) in &histories {
        if h.is_err() {
            unreadable.push(r);
            m.api_errors
                .get_or_create(&vec![
                    ("api", "kubernetes".to_owned()),
                    ("region", r.clone()),
                ])
                .inc();
        }
    }
    let entries = history::merged(histories.iter().filter_map(|(_, h)| h.as_ref().ok()));
    let last = last_practices(&practice.regions, &entries);
    for r in &practice.regions {
        let name = r.to_string();
        if unreadable.contains(&name.as_str()) {
            continue;
        }
        match last.get(r) {
            Some(l) => {
                // Milliseconds to fractional seconds: exact for any date a
                // history holds.
                let at = l.at.as_millisecond() as f64 / 1000.0;
                set(&m.practice_last_at, &region(&name), at);
                let now = vec![("region", name.clone()), ("verdict", l.verdict.to_string())];
                super::refresh::replace_info(
                    &m.practice_last,
                    labels.insert(name, now.clone()),
                    &now,
                );
            }
            None => {
                // Read, and no practice there (the history was emptied):
                // never practised, as far as anyone can tell now.
                m.practice_last_at.remove(&region(&name));
                if let Some(old) = labels.remove(&name) {
                    m.practice_last.remove(&old);
                }
            }
        }
    }
    u64::try_from(histories.len()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
