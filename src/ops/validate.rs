//! `ocfail validate`: what the offline manifest check reports per region.

use crate::facts::{Finding, RegionFindings, Verdict};
use crate::manifest::Fleet;

/// Facts from the environment that validate mentions (never secret values).
#[derive(Clone, Debug, Default)]
pub struct Environment {
    /// Whether the API token variable named by the manifest is set.
    pub token_set: bool,
}

/// The per-region entries and fleet notes of an offline validation.
pub fn regions(fleet: &Fleet, env: &Environment) -> (Vec<RegionFindings>, Vec<String>) {
    let waves = fleet.rollout.waves.len();
    let regions = fleet
        .regions
        .iter()
        .map(|r| {
            let wave = fleet.rollout.waves.iter().position(|w| w.contains(&r.name)).map_or(0, |i| i + 1);
            let mut checks = vec![
                Finding::text(
                    "kubernetes",
                    Verdict::Pass,
                    format!(
                        "context {}, namespace {}, deployments {d}-blue/{d}-green, service {s} (preview {s}-preview), port {}",
                        r.context,
                        r.namespace,
                        r.port,
                        d = r.deployment,
                        s = r.service
                    ),
                ),
                Finding::text("cloudflare", Verdict::Pass, format!("pool {} behind {}", r.pool, fleet.cloudflare.load_balancer)),
                Finding::text("rollout", Verdict::Pass, format!("wave {wave} of {waves}")),
            ];
            checks.push(match &r.probe {
                Some(p) => Finding::text("probe", Verdict::Pass, format!("direct probe {p}")),
                None => Finding::text("probe", Verdict::Skipped, "no direct probe; health checks use Cloudflare and the API server proxy"),
            });
            let summary = format!("{} / {} → pool {}, wave {wave}/{waves}", r.context, r.namespace, r.pool);
            RegionFindings::from_checks(r.name.as_str(), summary, checks)
        })
        .collect();

    let mut notes = vec![format!(
        "manifest is valid: {} regions, {} rollout waves; offline checks only, nothing was contacted",
        fleet.regions.len(),
        waves
    )];
    if !env.token_set {
        notes.push(format!(
            "{} is not set; commands that talk to Cloudflare will need it",
            fleet.cloudflare.api_token.from_env
        ));
    }
    if fleet.traffic.is_none() {
        notes.push(
            "no `traffic` section: drills and rollouts will judge by pool health alone".to_owned(),
        );
    }
    if fleet.rollout.smoke.is_empty() {
        notes.push("no smoke checks: rollouts will promote on readiness alone".to_owned());
    }
    (regions, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            regions[0].summary.text().contains("wave 3/3"),
            "{:?}",
            regions[0].summary
        );
    }

    #[test]
    fn missing_token_is_a_note_naming_the_variable_only() {
        let (_, notes) = regions(&fleet(), &Environment { token_set: false });
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("CLOUDFLARE_API_TOKEN is not set")),
            "{notes:?}"
        );
    }
}
