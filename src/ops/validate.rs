//! `ocfail validate`: what the offline manifest check reports per region.

use crate::facts::validate::{ValidateFact, ValidateNote, ValidateSummary};
use crate::facts::{Finding, Note, RegionFindings, Verdict};
use crate::manifest::{Fleet, Region};

/// Facts from the environment that validate mentions (never secret values).
#[derive(Clone, Debug, Default)]
pub struct Environment {
    /// Whether the API token variable named by the manifest is set.
    pub token_set: bool,
    /// The `notify` targets' URL variables that are unset or empty.
    pub notify_unset: Vec<String>,
}

/// The per-region entries and fleet notes of an offline validation.
pub fn regions(fleet: &Fleet, env: &Environment) -> (Vec<RegionFindings>, Vec<Note>) {
    let regions = fleet.regions.iter().map(|r| region(fleet, r)).collect();
    let waves = fleet.rollout.waves.len();
    let mut notes = vec![ValidateNote::Valid {
        regions: fleet.regions.len(),
        waves,
    }];
    if !env.token_set {
        notes.push(ValidateNote::TokenNotSet {
            variable: fleet.cloudflare.api_token.from_env.clone(),
        });
    }
    notes.extend(
        fleet
            .notify
            .iter()
            .filter(|t| env.notify_unset.contains(&t.url_from_env))
            .map(|t| ValidateNote::NotifyUrlNotSet {
                target: t.name.clone(),
                variable: t.url_from_env.clone(),
            }),
    );
    if fleet.traffic.is_none() {
        notes.push(ValidateNote::NoTraffic);
    }
    if fleet.rollout.smoke.is_empty() {
        notes.push(ValidateNote::NoSmoke);
    }
    notes.extend(region_down_too_slow(fleet));
    (regions, notes.into_iter().map(Note::from).collect())
}

/// A drill that expects `OcfailRegionDown` firing, with a rule whose
/// `for:` does not fit in the hold: the expectation would fail every drill.
fn region_down_too_slow(fleet: &Fleet) -> Option<ValidateNote> {
    let expect = fleet.drill.expect_alerts.as_ref()?;
    if !expect.firing.iter().any(|m| names_region_down(&m.0)) {
        return None;
    }
    let for_ = super::monitoring::region_down_for(fleet);
    let hold = fleet.drill.hold;
    (for_ >= hold).then(|| ValidateNote::RegionDownTooSlow {
        for_,
        from_region_down_for: fleet
            .prometheus
            .as_ref()
            .is_some_and(|p| p.region_down_for.is_some()),
        hold,
    })
}

/// Whether an alert matcher is about `OcfailRegionDown`: by its name
/// (`OcfailRegionDown{…}`) or its `alertname` label.
fn names_region_down(matcher: &str) -> bool {
    let name = super::guards::REGION_DOWN;
    let text = matcher.trim();
    let by_name = text
        .strip_prefix(name)
        .is_some_and(|rest| rest.is_empty() || rest.trim_start().starts_with('{'));
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    by_name
        || compact.contains(&format!("alertname=\"{name}\""))
        || compact.contains(&format!("alertname='{name}'"))
}

/// What the manifest says about one region.
fn region(fleet: &Fleet, r: &Region) -> RegionFindings {
    let waves = fleet.rollout.waves.len();
    let wave = fleet
        .rollout
        .waves
        .iter()
        .position(|w| w.contains(&r.name))
        .map_or(0, |i| i + 1);
    let checks = vec![
        Finding::new(
            Verdict::Pass,
            ValidateFact::Kubernetes {
                context: r.context.clone(),
                namespace: r.namespace.clone(),
                deployment: r.deployment.clone(),
                service: r.service.clone(),
                port: r.port,
            },
        ),
        Finding::new(
            Verdict::Pass,
            ValidateFact::PoolBehind {
                pool: r.pool.clone(),
                load_balancer: fleet.cloudflare.load_balancer.clone(),
            },
        ),
        Finding::new(Verdict::Pass, ValidateFact::Wave { wave, waves }),
        match &r.probe {
            Some(p) => Finding::new(Verdict::Pass, ValidateFact::Probe { url: p.clone() }),
            None => Finding::new(Verdict::Skipped, ValidateFact::NoProbe),
        },
    ];
    let summary = ValidateSummary::Offline {
        context: r.context.clone(),
        namespace: r.namespace.clone(),
        pool: r.pool.clone(),
        wave,
        waves,
    };
    RegionFindings::from_checks(r.name.as_str(), summary, checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Summary;

    fn fleet() -> Fleet {
        let text = include_str!("../../fixtures/fleet.yaml");
        crate::manifest::parse_str("fleet.yaml", text).unwrap()
    }

    #[test]
    fn one_passing_entry_per_region_in_manifest_order() {
        let (regions, _) = regions(
            &fleet(),
            &Environment {
                token_set: true,
                ..Environment::default()
            },
        );
        let names: Vec<_> = regions.iter().map(|r| r.region.as_str()).collect();
        assert_eq!(names, ["us-east-1", "eu-central-1", "ap-southeast-2"]);
        assert!(
            regions.iter().all(|r| r.verdict == Verdict::Pass),
            "{regions:#?}"
        );
        assert!(
            matches!(
                &regions[0].summary,
                Summary::Validate(ValidateSummary::Offline {
                    wave: 3,
                    waves: 3,
                    ..
                })
            ),
            "{:?}",
            regions[0].summary
        );
    }

    fn drill_firing(fleet: &mut Fleet, matcher: &str, hold: u64, region_down_for: Option<u64>) {
        use std::time::Duration;
        fleet.drill.hold = Duration::from_secs(hold);
        fleet.drill.expect_alerts = Some(crate::manifest::ExpectAlerts {
            firing: vec![crate::manifest::AlertMatcher(matcher.to_owned())],
            ..Default::default()
        });
        if let Some(p) = fleet.prometheus.as_mut() {
            p.region_down_for = region_down_for.map(Duration::from_secs);
        }
    }

    fn too_slow(fleet: &Fleet) -> Option<ValidateNote> {
        let (_, notes) = regions(
            fleet,
            &Environment {
                token_set: true,
                ..Environment::default()
            },
        );
        notes.into_iter().find_map(|n| match n {
            Note::Validate(v @ ValidateNote::RegionDownTooSlow { .. }) => Some(v),
            _ => None,
        })
    }

    #[test]
    fn a_region_down_rule_slower_than_the_hold_is_a_warning() {
        let text = include_str!("../../fixtures/fleet-prometheus.yaml");
        let mut f = crate::manifest::parse_str("fleet-prometheus.yaml", text).unwrap();
        // The fixture expects it pending, which needs no `for:` to pass.
        assert_eq!(too_slow(&f), None);
        let budget = super::super::monitoring::down_for(&f).as_secs();
        drill_firing(&mut f, "OcfailRegionDown{region={drilled}}", budget, None);
        assert_eq!(
            too_slow(&f),
            Some(ValidateNote::RegionDownTooSlow {
                for_: std::time::Duration::from_secs(budget),
                from_region_down_for: false,
                hold: std::time::Duration::from_secs(budget),
            }),
            "a `for:` equal to the hold is not shorter"
        );
        drill_firing(&mut f, "OcfailRegionDown", 30, Some(10));
        assert_eq!(too_slow(&f), None, "regionDownFor fits in the hold");
        drill_firing(&mut f, r#"{alertname="OcfailRegionDown"}"#, 30, Some(30));
        assert!(matches!(
            too_slow(&f),
            Some(ValidateNote::RegionDownTooSlow {
                from_region_down_for: true,
                ..
            })
        ));
        drill_firing(&mut f, "OcfailRegionDownSoon", 30, Some(60));
        assert_eq!(too_slow(&f), None, "another alert");
    }

    #[test]
    fn missing_token_is_a_note_naming_the_variable_only() {
        let (_, notes) = regions(
            &fleet(),
            &Environment {
                token_set: false,
                ..Environment::default()
            },
        );
        assert!(
            notes.contains(&Note::from(ValidateNote::TokenNotSet {
                variable: "CLOUDFLARE_API_TOKEN".into()
            })),
            "{notes:?}"
        );
    }

    #[test]
    fn an_unset_notify_variable_is_a_note_naming_target_and_variable() {
        let mut f = fleet();
        let target = |name: &str, var: &str| crate::manifest::NotifyTarget {
            name: name.to_owned(),
            url_from_env: var.to_owned(),
            format: crate::manifest::NotifyFormat::Slack,
            timeout: std::time::Duration::from_secs(5),
            tries: 3,
            on: vec![crate::manifest::NotifyOn::Drill],
        };
        f.notify = vec![target("sre", "SRE_HOOK"), target("audit", "AUDIT_HOOK")];
        let env = Environment {
            token_set: true,
            notify_unset: vec!["AUDIT_HOOK".to_owned()],
        };
        let (_, notes) = regions(&f, &env);
        let unset: Vec<&Note> = notes
            .iter()
            .filter(|n| matches!(n, Note::Validate(ValidateNote::NotifyUrlNotSet { .. })))
            .collect();
        assert_eq!(
            unset,
            [&Note::from(ValidateNote::NotifyUrlNotSet {
                target: "audit".into(),
                variable: "AUDIT_HOOK".into()
            })]
        );
    }
}
