//! The words of `validate`'s facts.

use crate::facts::validate::{
    Check, MissingPermission, PoolHint, TokenTrouble, ValidateFact, ValidateNote, ValidateSummary,
};

use super::problem;

/// The check's stable name.
pub fn name(f: &ValidateFact) -> &'static str {
    check(f.check())
}

/// A check's stable name.
fn check(c: Check) -> &'static str {
    match c {
        Check::Kubernetes => "kubernetes",
        Check::Cloudflare => "cloudflare",
        Check::Rollout => "rollout",
        Check::Probe => "probe",
        Check::Context => "context",
        Check::Namespace => "namespace",
        Check::Deployments => "deployments",
        Check::Services => "services",
        Check::Permissions => "permissions",
        Check::Pool => "pool",
        Check::LoadBalancer => "load-balancer",
        Check::Monitor => "monitor",
    }
}

/// The check's one line.
pub fn detail(f: &ValidateFact) -> String {
    match f {
        ValidateFact::Kubernetes {
            context,
            namespace,
            deployment: d,
            service: s,
            port,
        } => format!(
            "context {context}, namespace {namespace}, deployments {d}-blue/{d}-green, service {s} \
             (preview {s}-preview), port {port}"
        ),
        ValidateFact::PoolBehind {
            pool,
            load_balancer,
        } => format!("pool {pool} behind {load_balancer}"),
        ValidateFact::Wave { wave, waves } => format!("wave {wave} of {waves}"),
        ValidateFact::Probe { url } => format!("direct probe {url}"),
        ValidateFact::NoProbe => {
            "no direct probe; health checks use Cloudflare and the API server proxy".to_owned()
        }
        ValidateFact::KubeProblem { problem: p, .. }
        | ValidateFact::PoolProblem(p)
        | ValidateFact::LoadBalancerProblem(p)
        | ValidateFact::TokenUnusable(TokenTrouble::Problem(p)) => problem(p),
        ValidateFact::TokenUnusable(TokenTrouble::NotActive) => {
            "the token is not active".to_owned()
        }
        ValidateFact::Context { context, version } => {
            format!("context {context} reaches Kubernetes {version}")
        }
        ValidateFact::Namespace {
            namespace,
            exists: true,
        } => format!("namespace {namespace} exists"),
        ValidateFact::Namespace {
            namespace,
            exists: false,
        } => format!("namespace {namespace} does not exist"),
        ValidateFact::ObjectsExist { check: c } => format!("{} exist", check(*c)),
        ValidateFact::ObjectsMissing { check: c, names } => {
            format!("missing {}: {}", check(*c), names.join(", "))
        }
        ValidateFact::PermissionsGranted { count } => {
            format!("may do all {count} things ocfail needs (docs/user-guide.md lists them)")
        }
        ValidateFact::PermissionMissing(p) => missing_permission(p),
        ValidateFact::PoolNotFound { pool, hint } => {
            let hint = match hint {
                PoolHint::DidYouMean(c) => format!("did you mean `{c}`?"),
                PoolHint::Known(names) => format!("pools in the account: {}", names.join(", ")),
            };
            format!("pool {pool} not found; {hint}")
        }
        ValidateFact::PoolExists { name, id } => format!("pool {name} exists ({id})"),
        ValidateFact::UsedBy {
            load_balancer,
            position,
        } => {
            let pos = match position {
                Some(n) => format!("#{n} in failover order"),
                None => "fallback only".to_owned(),
            };
            format!("used by {load_balancer} ({pos})")
        }
        ValidateFact::NotUsedBy {
            load_balancer,
            pool,
        } => format!(
            "{load_balancer} does not use pool {pool}: traffic can never fail over to this region"
        ),
        ValidateFact::Monitor { id } => format!("monitor {id}"),
        ValidateFact::NoMonitor => {
            "the pool has no monitor: Cloudflare ignores its health".to_owned()
        }
    }
}

fn missing_permission(p: &MissingPermission) -> String {
    let (scope, role) = match &p.namespace {
        Some(ns) => (format!("in namespace {ns}"), "Role"),
        None => ("cluster-wide".to_owned(), "ClusterRole"),
    };
    let grant = if p.documented {
        format!("the {role} in docs/user-guide.md has it")
    } else {
        format!("add it to the {role} in docs/user-guide.md")
    };
    format!(
        "context {} may not {} {scope}: {}; grant it ({grant})",
        p.context, p.permission, p.without
    )
}

/// A region's line.
pub fn summary(s: &ValidateSummary) -> String {
    match s {
        ValidateSummary::Offline {
            context,
            namespace,
            pool,
            wave,
            waves,
        } => format!("{context} / {namespace} → pool {pool}, wave {wave}/{waves}"),
        ValidateSummary::Passed { checks } => format!("{checks} live checks passed"),
        ValidateSummary::Problems(checks) => {
            let names: Vec<&str> = checks.iter().map(|c| check(*c)).collect();
            format!("problems: {}", names.join(", "))
        }
    }
}

/// A remark.
pub fn note(n: &ValidateNote) -> String {
    match n {
        ValidateNote::Valid { regions, waves } => format!(
            "manifest is valid: {regions} regions, {waves} rollout waves; offline checks only, \
             nothing was contacted"
        ),
        ValidateNote::TokenNotSet { variable } => {
            format!("{variable} is not set; commands that talk to Cloudflare will need it")
        }
        ValidateNote::NotifyUrlNotSet { target, variable } => format!(
            "warning: notify target {target}: {variable} is not set; drills, rollouts and \
             practice runs will report its notifications as not delivered"
        ),
        ValidateNote::NoTraffic => {
            "no `traffic` section: drills and rollouts will judge by pool health alone".to_owned()
        }
        ValidateNote::NoSmoke => {
            "no smoke checks: rollouts will promote on readiness alone".to_owned()
        }
        ValidateNote::RegionDownTooSlow {
            for_,
            from_region_down_for,
            hold,
        } => {
            let source = if *from_region_down_for {
                "prometheus.regionDownFor"
            } else {
                "the failover budget; set prometheus.regionDownFor to shorten it"
            };
            format!(
                "warning: drill.expectAlerts.firing names OcfailRegionDown, but its rendered `for:` \
                 ({}, {source}) is not shorter than drill.hold ({}): it cannot fire in time \
                 (expect it `pending`, or lengthen the hold)",
                humantime::format_duration(*for_),
                humantime::format_duration(*hold)
            )
        }
        ValidateNote::TokenStatus { variable, status } => {
            format!("cloudflare token {variable} is {status}")
        }
        ValidateNote::TokenProblem(p) => format!("cloudflare token: {}", problem(p)),
        ValidateNote::ExtraPools {
            load_balancer,
            pools,
        } => format!(
            "{load_balancer} also uses pools the manifest does not name: {}",
            pools.join(", ")
        ),
        ValidateNote::WriteAccessNotChecked => "cloudflare write access (needed only for drills \
             with method disable-pool) is not checked: checking it would mean writing"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::api::ApiProblem;

    #[test]
    fn a_missing_permission_names_the_context_the_scope_and_the_grant() {
        let p = MissingPermission {
            context: "kind-east".into(),
            permission: "delete leases.coordination.k8s.io".into(),
            namespace: Some("api".into()),
            without: "the fleet lock cannot be released".into(),
            documented: true,
        };
        let f = ValidateFact::PermissionMissing(p.clone());
        assert_eq!(name(&f), "permissions");
        assert_eq!(
            detail(&f),
            "context kind-east may not delete leases.coordination.k8s.io in namespace api: the \
             fleet lock cannot be released; grant it (the Role in docs/user-guide.md has it)"
        );
        let cluster = MissingPermission {
            namespace: None,
            documented: false,
            ..p
        };
        assert!(detail(&ValidateFact::PermissionMissing(cluster)).ends_with(
            "cluster-wide: the fleet lock cannot be released; grant it (add it to the \
                 ClusterRole in docs/user-guide.md)"
        ));
    }

    #[test]
    fn pools_and_the_load_balancer() {
        let near = ValidateFact::PoolNotFound {
            pool: "us-east".into(),
            hint: PoolHint::DidYouMean("us-east-1".into()),
        };
        assert_eq!(
            detail(&near),
            "pool us-east not found; did you mean `us-east-1`?"
        );
        let far = ValidateFact::PoolNotFound {
            pool: "x".into(),
            hint: PoolHint::Known(vec!["a".into(), "b".into()]),
        };
        assert_eq!(detail(&far), "pool x not found; pools in the account: a, b");
        let second = ValidateFact::UsedBy {
            load_balancer: "lb".into(),
            position: Some(2),
        };
        assert_eq!(
            (name(&second), detail(&second).as_str()),
            ("load-balancer", "used by lb (#2 in failover order)")
        );
        let fallback = ValidateFact::UsedBy {
            load_balancer: "lb".into(),
            position: None,
        };
        assert_eq!(detail(&fallback), "used by lb (fallback only)");
    }

    #[test]
    fn the_live_line_and_notes() {
        let line = ValidateSummary::Problems(vec![Check::Permissions, Check::LoadBalancer]);
        assert_eq!(summary(&line), "problems: permissions, load-balancer");
        assert_eq!(
            summary(&ValidateSummary::Passed { checks: 9 }),
            "9 live checks passed"
        );
        let p = ApiProblem {
            message: "401 Unauthorized".into(),
            hint: None,
        };
        assert_eq!(
            note(&ValidateNote::TokenProblem(p)),
            "cloudflare token: 401 Unauthorized"
        );
        assert_eq!(
            note(&ValidateNote::WriteAccessNotChecked),
            "cloudflare write access (needed only for drills with method disable-pool) is not \
             checked: checking it would mean writing"
        );
        assert_eq!(
            detail(&ValidateFact::TokenUnusable(TokenTrouble::NotActive)),
            "the token is not active"
        );
    }
}
