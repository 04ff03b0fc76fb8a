//! `ocfail validate --live`: everything the manifest names exists, the LB uses
//! the manifest's pools, and the credentials may do what drills and rollouts
//! need. Reads only: permissions are asked with SelfSubjectAccessReviews.

use std::sync::Arc;

use crate::cloudflare::{CfError, LoadBalancer, Pool, Pools};
use crate::facts::{Finding, RegionFindings, Verdict};
use crate::kube::permissions::{self, Permission, Scope};
use crate::kube::{KubeError, KubeRegion, Workloads};
use crate::manifest::{Fleet, Region};

fn kube_error_check(name: &str, e: &KubeError) -> Finding {
    Finding::text(name, Verdict::Error, super::describe::kube(e))
}

async fn kube_checks(
    fleet: &Fleet,
    region: &Region,
    client: &Result<KubeRegion, KubeError>,
) -> Vec<Finding> {
    let c = match client {
        Ok(c) => c,
        Err(e) => return vec![kube_error_check("context", e)],
    };
    let mut checks = Vec::new();
    match c.version().await {
        Ok(v) => checks.push(Finding::text(
            "context",
            Verdict::Pass,
            format!(
                "context {} reaches Kubernetes {}",
                region.context, v.git_version
            ),
        )),
        Err(e) => return vec![kube_error_check("context", &e)],
    }
    match c.namespace_exists().await {
        Ok(true) => checks.push(Finding::text(
            "namespace",
            Verdict::Pass,
            format!("namespace {} exists", region.namespace),
        )),
        Ok(false) => checks.push(Finding::text(
            "namespace",
            Verdict::Fail,
            format!("namespace {} does not exist", region.namespace),
        )),
        Err(e) => checks.push(kube_error_check("namespace", &e)),
    }
    let deployments = [
        format!("{}-blue", region.deployment),
        format!("{}-green", region.deployment),
    ];
    let services = [
        region.service.clone(),
        format!("{}-preview", region.service),
    ];
    let (d0, d1, s0, s1) = tokio::join!(
        c.deployment(&deployments[0]),
        c.deployment(&deployments[1]),
        c.service(&services[0]),
        c.service(&services[1])
    );
    for (kind, results) in [
        (
            "deployments",
            [
                (&deployments[0], d0.map(|d| d.is_some())),
                (&deployments[1], d1.map(|d| d.is_some())),
            ],
        ),
        (
            "services",
            [
                (&services[0], s0.map(|s| s.is_some())),
                (&services[1], s1.map(|s| s.is_some())),
            ],
        ),
    ] {
        let mut missing = Vec::new();
        let mut error = None;
        for (name, r) in results {
            match r {
                Ok(true) => {}
                Ok(false) => missing.push(name.clone()),
                Err(e) => error = Some(e),
            }
        }
        checks.push(match (error, missing.is_empty()) {
            (Some(e), _) => kube_error_check(kind, &e),
            (None, true) => Finding::text(kind, Verdict::Pass, format!("{kind} exist")),
            (None, false) => Finding::text(
                kind,
                Verdict::Fail,
                format!("missing {kind}: {}", missing.join(", ")),
            ),
        });
    }
    checks.extend(permission_checks(region, c, &permissions::for_fleet(fleet)).await);
    checks
}

/// One SelfSubjectAccessReview per permission `perms` lists: a pass when
/// every one is allowed, else one error per missing permission naming the
/// verb, the resource and what breaks without it.
async fn permission_checks<W: Workloads>(
    region: &Region,
    c: &W,
    perms: &[Permission],
) -> Vec<Finding> {
    let asked: Vec<_> = perms.iter().map(Permission::access_check).collect();
    let answers = futures_util::future::join_all(asked.iter().map(|a| c.can_i(a))).await;
    let mut missing = Vec::new();
    for (p, a) in perms.iter().zip(answers) {
        match a {
            Ok(true) => {}
            Ok(false) => missing.push(missing_permission(region, p)),
            // Without access reviews nothing more can be learnt here.
            Err(e) => return vec![kube_error_check("permissions", &e)],
        }
    }
    if missing.is_empty() {
        vec![Finding::text(
            "permissions",
            Verdict::Pass,
            format!(
                "may do all {} things ocfail needs (docs/user-guide.md lists them)",
                perms.len()
            ),
        )]
    } else {
        missing
    }
}

fn missing_permission(region: &Region, p: &Permission) -> Finding {
    let (scope, role) = match p.scope {
        Scope::Namespace => (format!("in namespace {}", region.namespace), "Role"),
        Scope::Cluster => ("cluster-wide".to_owned(), "ClusterRole"),
    };
    let grant = if permissions::PERMISSIONS.contains(p) {
        format!("the {role} in docs/user-guide.md has it")
    } else {
        // Only this manifest's smoke checks need it.
        format!("add it to the {role} in docs/user-guide.md")
    };
    Finding::text(
        "permissions",
        Verdict::Error,
        format!(
            "context {} may not {} {scope}: {}; grant it ({grant})",
            region.context,
            p.describe(),
            p.without
        ),
    )
}

fn pool_checks(
    region: &Region,
    pools: &Result<Vec<Pool>, String>,
    lb: &Result<LoadBalancer, String>,
) -> Vec<Finding> {
    let pools = match pools {
        Ok(p) => p,
        Err(e) => return vec![Finding::text("pool", Verdict::Error, e.clone())],
    };
    let Some(pool) = pools
        .iter()
        .find(|p| p.id == region.pool)
        .or_else(|| pools.iter().find(|p| p.name == region.pool))
    else {
        let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
        let hint = crate::manifest::fields::closest(&region.pool, names.iter().copied())
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| format!("pools in the account: {}", names.join(", ")));
        return vec![Finding::text(
            "pool",
            Verdict::Fail,
            format!("pool {} not found; {hint}", region.pool),
        )];
    };
    let mut checks = vec![Finding::text(
        "pool",
        Verdict::Pass,
        format!("pool {} exists ({})", pool.name, pool.id),
    )];
    checks.push(match lb {
        Err(e) => Finding::text("load-balancer", Verdict::Error, e.clone()),
        Ok(lb) if lb.default_pools.contains(&pool.id) || lb.fallback_pool == pool.id => {
            let pos = lb
                .default_pools
                .iter()
                .position(|p| p == &pool.id)
                .map_or("fallback only".to_owned(), |i| {
                    format!("#{} in failover order", i + 1)
                });
            Finding::text(
                "load-balancer",
                Verdict::Pass,
                format!("used by {} ({pos})", lb.name),
            )
        }
        Ok(lb) => Finding::text(
            "load-balancer",
            Verdict::Fail,
            format!(
                "{} does not use pool {}: traffic can never fail over to this region",
                lb.name, pool.name
            ),
        ),
    });
    checks.push(match pool.monitor.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => Finding::text("monitor", Verdict::Pass, format!("monitor {m}")),
        None => Finding::text(
            "monitor",
            Verdict::Warn,
            "the pool has no monitor: Cloudflare ignores its health",
        ),
    });
    checks
}

/// Runs every live check; the per-region entries and fleet notes.
pub async fn run<P: Pools + 'static>(
    fleet: &Fleet,
    regions: &[(Region, Result<KubeRegion, KubeError>)],
    cf: Result<Arc<P>, CfError>,
) -> (Vec<RegionFindings>, Vec<String>) {
    let mut notes = Vec::new();
    let (token, lb, pools) = match &cf {
        Err(e) => (
            Err(super::describe::cf(e)),
            Err(super::describe::cf(e)),
            Err(super::describe::cf(e)),
        ),
        Ok(cf) => {
            let token = cf.verify_token().await.map_err(|e| super::describe::cf(&e));
            let lb = cf
                .load_balancer(&fleet.cloudflare.load_balancer)
                .await
                .map_err(|e| super::describe::cf(&e));
            let pools = cf.pools().await.map_err(|e| super::describe::cf(&e));
            (token, lb, pools)
        }
    };
    match &token {
        Ok(t) => notes.push(format!(
            "cloudflare token {} is {}",
            fleet.cloudflare.api_token.from_env, t.status
        )),
        Err(e) => notes.push(format!("cloudflare token: {e}")),
    }
    let token_ok = token.as_ref().is_ok_and(|t| t.status == "active");
    if let (Ok(lb), Ok(pools)) = (&lb, &pools) {
        let named: Vec<&str> = fleet
            .regions
            .iter()
            .filter_map(|r| {
                pools
                    .iter()
                    .find(|p| p.id == r.pool || p.name == r.pool)
                    .map(|p| p.id.as_str())
            })
            .collect();
        let extra: Vec<&str> = lb
            .default_pools
            .iter()
            .filter(|p| !named.contains(&p.as_str()))
            .map(String::as_str)
            .collect();
        if !extra.is_empty() {
            notes.push(format!(
                "{} also uses pools the manifest does not name: {}",
                lb.name,
                extra.join(", ")
            ));
        }
    }
    notes.push("cloudflare write access (needed only for drills with method disable-pool) is not checked: checking it would mean writing".to_owned());
    let kube =
        futures_util::future::join_all(regions.iter().map(|(r, c)| kube_checks(fleet, r, c))).await;
    let reports = regions
        .iter()
        .zip(kube)
        .map(|((region, _), mut checks)| {
            if token_ok {
                checks.extend(pool_checks(region, &pools, &lb));
            } else {
                let why = token
                    .as_ref()
                    .err()
                    .cloned()
                    .unwrap_or_else(|| "the token is not active".to_owned());
                checks.push(Finding::text("cloudflare", Verdict::Error, why));
            }
            let mut failing: Vec<&str> = checks
                .iter()
                .filter(|c| c.verdict > Verdict::Warn)
                .map(Finding::text_name)
                .collect();
            // One missing permission is one check; the summary names the kind once.
            failing.dedup();
            let summary = if failing.is_empty() {
                format!("{} live checks passed", checks.len())
            } else {
                format!("problems: {}", failing.join(", "))
            };
            RegionFindings::from_checks(region.name.as_str(), summary, checks)
        })
        .collect();
    (reports, notes)
}
