//! The words of the drill's safety rules: what is wrong and what to do
//! instead, for a refusal and for an override.

use crate::facts::safety::Violation;

/// What is wrong and what to do instead.
pub fn message(v: &Violation) -> String {
    match v {
        Violation::UnrestoredState {
            regions,
            restore_command,
        } => format!(
            "an earlier drill or rollout left state to restore in {}; run `{restore_command}` first",
            regions.join(", ")
        ),
        Violation::FallbackPool { pool } => format!(
            "pool {pool} is the load balancer's fallback pool: Cloudflare sends it traffic when every other pool is down, \
             whatever its health, so this drill proves nothing about failover; drill another region"
        ),
        Violation::NoMonitor { pool } => format!(
            "pool {pool} has no monitor: Cloudflare ignores its health and would keep sending it traffic; attach a monitor"
        ),
        Violation::MonitorBlind { pool, why } => format!(
            "the monitor of pool {pool} cannot see the outage: {}; use an HTTP health path",
            super::monitor_blind(why)
        ),
        Violation::DegradedOnly { pool } => format!(
            "pool {pool} has minimum_origins 0, so it stays healthy with no healthy origin and never fails over; \
             set minimum_origins to at least 1"
        ),
        Violation::MinHealthyPools {
            healthy,
            needed,
            load_balancer,
        } => format!(
            "only {healthy} other pool(s) are healthy, enabled, serving and used by load balancer {load_balancer}, \
             and the drill needs {needed}: users would be left without a region; \
             fix the other regions, or add their pools to the load balancer, first"
        ),
        Violation::Autoscaler {
            hpa,
            target,
            min_replicas,
        } => format!(
            "HPA {hpa} scales {target} (min {min_replicas}): Kubernetes disables it while {target} has 0 replicas, \
             an autoscaler that scales from zero (KEDA) would undo the drill, and it stays disabled \
             if the restore does not finish; use --method disable-pool, \
             or override and ocfail checks that the HPA is active again after restore"
        ),
        Violation::Gitops { deployment } => format!(
            "{deployment} is managed by Argo CD, whose self-heal would revert the scale; \
             pause auto-sync for it or use --method disable-pool"
        ),
    }
}

/// A refusal by a rule, with how to pass it.
pub fn refusal(v: &Violation) -> String {
    let rule = v.rule();
    format!(
        "{rule}: {} (override only with --override {rule} --reason TEXT)",
        message(v)
    )
}

/// A rule passed with `--override RULE --reason TEXT`.
pub fn overridden(v: &Violation, reason: &str) -> String {
    format!("rule {} overridden: {reason} ({})", v.rule(), message(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unrestored_state_names_the_regions_and_the_fix() {
        let v = Violation::UnrestoredState {
            regions: vec!["us-east-1".to_owned(), "eu-central-1".to_owned()],
            restore_command: "ocfail restore".to_owned(),
        };
        assert_eq!(
            refusal(&v),
            "unrestored-state: an earlier drill or rollout left state to restore in us-east-1, \
             eu-central-1; run `ocfail restore` first (override only with --override \
             unrestored-state --reason TEXT)"
        );
        assert_eq!(
            overridden(&v, "known"),
            "rule unrestored-state overridden: known (an earlier drill or rollout left state to \
             restore in us-east-1, eu-central-1; run `ocfail restore` first)"
        );
    }
}
