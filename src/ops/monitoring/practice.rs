//! The practice alerts `monitoring render` adds when the manifest has
//! `practice:` (docs/practice.md, "Seeing it"): a region not practised
//! within twice `every`, and a region never practised at all.
//!
//! The exporter serves `ocfail_practice_every_seconds` for every practised
//! region and `ocfail_practice_last_timestamp_seconds` only once a region
//! has been practised. So the overdue alert compares the two series and
//! needs no constant, and a region never practised, which has no
//! timestamp to compare, is found with `unless` against the `every`
//! series: `absent()` cannot name the region it finds missing, and the
//! `ocfail_region_*` series cover regions that are not practised too.
//!
//! Both match on all labels (`region` and the scrape's own), so two
//! exporters scraped by one Prometheus never answer for each other.

use crate::manifest::Fleet;

use super::{Rule, kv, prom_duration};

/// The overdue alert's name.
pub const OVERDUE: &str = "OcfailPracticeOverdue";

/// The never-practised alert's name.
pub const NEVER: &str = "OcfailPracticeNeverRun";

/// The practice alerts for `fleet`; none without `practice:`.
pub fn alerts(fleet: &Fleet) -> Vec<Rule> {
    let Some(practice) = &fleet.practice else {
        return Vec::new();
    };
    let every = prom_duration(practice.every);
    let twice = prom_duration(practice.every.saturating_mul(2));
    let labels = kv(&[("severity", "warning"), ("fleet", &fleet.metadata.name)]);
    vec![
        Rule {
            record: None,
            alert: Some(OVERDUE.to_owned()),
            expr: "time() - ocfail_practice_last_timestamp_seconds \
                   > 2 * ocfail_practice_every_seconds"
                .to_owned(),
            // A timestamp does not flap; this only rides out a rule
            // evaluation that races the exporter's refresh.
            for_: Some("10m".to_owned()),
            labels: labels.clone(),
            annotations: kv(&[
                (
                    "summary",
                    "{{ $labels.region }} has not been practised for over twice practice.every",
                ),
                (
                    "description",
                    &format!(
                        "Its last practice drill started {{{{ $value | humanizeDuration }}}} ago; \
                         practice.every is {every}. Practice runs are not starting: read the \
                         practice CronJob's logs and `ocfail practice --dry-run` (windows, blocked \
                         dates, the lock, blocking alerts), and `ocfail history --region \
                         {{{{ $labels.region }}}}`."
                    ),
                ),
            ]),
        },
        Rule {
            record: None,
            alert: Some(NEVER.to_owned()),
            expr: "ocfail_practice_every_seconds unless ocfail_practice_last_timestamp_seconds"
                .to_owned(),
            // Twice `every`, as for a region practised once: a new fleet's
            // regions are drilled one by one, spaced over `every`, and are
            // not late before then.
            for_: Some(twice.clone()),
            labels,
            annotations: kv(&[
                ("summary", "{{ $labels.region }} has never been practised"),
                (
                    "description",
                    &format!(
                        "Its run history (ConfigMap ocfail-history) holds no practice drill of it \
                         after {twice} (twice practice.every), or the exporter cannot read that \
                         history (ocfail_exporter_api_errors_total). Run `ocfail practice \
                         --dry-run` to see why it is not drilled. This alert's wait starts again \
                         whenever the exporter's series go missing (a restart, failed scrapes)."
                    ),
                ),
            ]),
        },
    ]
}

/// The rule file header's word on the practice alerts.
pub fn comment(fleet: &Fleet) -> Option<String> {
    let p = fleet.practice.as_ref()?;
    Some(format!(
        "# {OVERDUE} fires when a region's last practice started more than twice\n\
         # practice.every ({}) ago; {NEVER} when a practised region has none for that long.\n",
        prom_duration(p.every)
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ops::monitoring::{expressions, render, rules};

    fn practice_fleet() -> Fleet {
        let text = include_str!("../../../fixtures/fleet-practice.yaml");
        crate::manifest::parse_str("fleet-practice.yaml", text).unwrap()
    }

    #[test]
    fn a_practice_fleet_gets_both_alerts_with_twice_every() {
        let fleet = practice_fleet();
        let rules = rules(&fleet);
        let find = |name: &str| {
            rules.groups[0]
                .rules
                .iter()
                .find(|r| r.alert.as_deref() == Some(name))
                .cloned()
                .unwrap_or_else(|| panic!("no {name}"))
        };
        let overdue = find(OVERDUE);
        assert_eq!(
            overdue.expr,
            "time() - ocfail_practice_last_timestamp_seconds > 2 * ocfail_practice_every_seconds"
        );
        assert_eq!(overdue.for_.as_deref(), Some("10m"));
        assert_eq!(
            overdue.labels,
            kv(&[("severity", "warning"), ("fleet", "openclaw-rating-api")])
        );
        let never = find(NEVER);
        assert_eq!(
            never.expr,
            "ocfail_practice_every_seconds unless ocfail_practice_last_timestamp_seconds"
        );
        assert_eq!(never.for_.as_deref(), Some("14d"));
        assert!(
            never.annotations[1]
                .1
                .contains("after 14d (twice practice.every)")
        );

        let text = render(&fleet, "127.0.0.1:9464", Duration::from_secs(15), false).rules;
        assert!(text.contains("- alert: OcfailPracticeOverdue\n"), "{text}");
        assert!(
            text.contains("expr: ocfail_practice_every_seconds unless ocfail_practice_last_timestamp_seconds\n"),
            "{text}"
        );
        assert!(text.contains("practice.every (7d) ago"), "{text}");
        // Every expression parses as PromQL.
        for (at, expr) in expressions(&fleet) {
            promql_parser::parser::parse(&expr).unwrap_or_else(|e| panic!("{at}: {expr}: {e}"));
        }
    }

    #[test]
    fn without_practice_there_are_no_practice_alerts() {
        let fleet = crate::manifest::seed_fleet();
        assert!(fleet.practice.is_none());
        assert!(alerts(&fleet).is_empty());
        let text = render(&fleet, "127.0.0.1:9464", Duration::from_secs(15), false).rules;
        assert!(!text.contains("Practice"), "{text}");
        assert!(!text.contains("practice"), "{text}");
    }
}
