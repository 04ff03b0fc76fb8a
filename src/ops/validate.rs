//! `ocfail validate`: what the offline manifest check reports per region.

use crate::facts::validate::{ValidateFact, ValidateNote, ValidateSummary};
use crate::facts::{Finding, Note, RegionFindings, Verdict};
use crate::manifest::{Fleet, Region};

/// Facts from the environment that validate mentions (never secret values).
#[derive(Clone, Debug, Default)]
pub struct Environment {
    /// Whether the API token variable named by the manifest is set.
    pub token_set: bool,
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
    if fleet.traffic.is_none() {
        notes.push(ValidateNote::NoTraffic);
    }
    if fleet.rollout.smoke.is_empty() {
        notes.push(ValidateNote::NoSmoke);
    }
    (regions, notes.into_iter().map(Note::from).collect())
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
        let (regions, _) = regions(&fleet(), &Environment { token_set: true });
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

    #[test]
    fn missing_token_is_a_note_naming_the_variable_only() {
        let (_, notes) = regions(&fleet(), &Environment { token_set: false });
        assert!(
            notes.contains(&Note::from(ValidateNote::TokenNotSet {
                variable: "CLOUDFLARE_API_TOKEN".into()
            })),
            "{notes:?}"
        );
    }
}
