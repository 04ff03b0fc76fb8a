//! `ocfail validate --live`: everything the manifest names exists, the LB uses
//! the manifest's pools, and the credentials may do what drills and rollouts
//! need. Reads only: permissions are asked with SelfSubjectAccessReviews.

use std::sync::Arc;

use crate::cloudflare::{CfError, LoadBalancer, Pool, Pools, TokenStatus};
use crate::facts::api::ApiProblem;
use crate::facts::validate::{
    Check, MissingPermission, PoolHint, TokenTrouble, ValidateFact, ValidateNote, ValidateSummary,
};
use crate::facts::{Fact, Finding, Note, RegionFindings, Verdict};
use crate::kube::permissions::{self, Permission, Scope};
use crate::kube::{KubeError, KubeRegion, Workloads};
use crate::manifest::{Fleet, Region};

use super::describe::{cf_problem, kube_problem};

fn kube_error_check(check: Check, e: &KubeError) -> Finding {
    Finding::new(
        Verdict::Error,
        ValidateFact::KubeProblem {
            check,
            problem: kube_problem(e),
        },
    )
}

async fn kube_checks(
    fleet: &Fleet,
    region: &Region,
    client: &Result<KubeRegion, KubeError>,
) -> Vec<Finding> {
    let c = match client {
        Ok(c) => c,
        Err(e) => return vec![kube_error_check(Check::Context, e)],
    };
    let mut checks = Vec::new();
    match c.version().await {
        Ok(v) => checks.push(Finding::new(
            Verdict::Pass,
            ValidateFact::Context {
                // `in-cluster` when that is what was used, whatever the manifest says.
                context: c.context().to_owned(),
                version: v.git_version,
            },
        )),
        Err(e) => return vec![kube_error_check(Check::Context, &e)],
    }
    checks.push(match c.namespace_exists().await {
        Ok(exists) => Finding::new(
            if exists { Verdict::Pass } else { Verdict::Fail },
            ValidateFact::Namespace {
                namespace: region.namespace.clone(),
                exists,
            },
        ),
        Err(e) => kube_error_check(Check::Namespace, &e),
    });
    checks.extend(object_checks(region, c).await);
    checks.extend(permission_checks(region, c.context(), c, &permissions::for_fleet(fleet)).await);
    checks
}

/// `deployments` (both colours) and `services` (live and preview): a pass
/// when all exist, else the missing ones.
async fn object_checks(region: &Region, c: &KubeRegion) -> [Finding; 2] {
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
    [
        (
            Check::Deployments,
            [
                (&deployments[0], d0.map(|d| d.is_some())),
                (&deployments[1], d1.map(|d| d.is_some())),
            ],
        ),
        (
            Check::Services,
            [
                (&services[0], s0.map(|s| s.is_some())),
                (&services[1], s1.map(|s| s.is_some())),
            ],
        ),
    ]
    .map(|(check, results)| {
        let mut missing = Vec::new();
        let mut error = None;
        for (name, r) in results {
            match r {
                Ok(true) => {}
                Ok(false) => missing.push(name.clone()),
                Err(e) => error = Some(e),
            }
        }
        match (error, missing.is_empty()) {
            (Some(e), _) => kube_error_check(check, &e),
            (None, true) => Finding::new(Verdict::Pass, ValidateFact::ObjectsExist { check }),
            (None, false) => Finding::new(
                Verdict::Fail,
                ValidateFact::ObjectsMissing {
                    check,
                    names: missing,
                },
            ),
        }
    })
}

/// One SelfSubjectAccessReview per permission `perms` lists: a pass when
/// every one is allowed, else one error per missing permission naming the
/// verb, the resource and what breaks without it.
async fn permission_checks<W: Workloads>(
    region: &Region,
    context: &str,
    c: &W,
    perms: &[Permission],
) -> Vec<Finding> {
    let asked: Vec<_> = perms.iter().map(Permission::access_check).collect();
    let answers = futures_util::future::join_all(asked.iter().map(|a| c.can_i(a))).await;
    let mut missing = Vec::new();
    for (p, a) in perms.iter().zip(answers) {
        match a {
            Ok(true) => {}
            Ok(false) => missing.push(missing_permission(region, context, p)),
            // Without access reviews nothing more can be learnt here.
            Err(e) => return vec![kube_error_check(Check::Permissions, &e)],
        }
    }
    if missing.is_empty() {
        vec![Finding::new(
            Verdict::Pass,
            ValidateFact::PermissionsGranted { count: perms.len() },
        )]
    } else {
        missing
    }
}

fn missing_permission(region: &Region, context: &str, p: &Permission) -> Finding {
    Finding::new(
        Verdict::Error,
        ValidateFact::PermissionMissing(MissingPermission {
            context: context.to_owned(),
            permission: p.describe(),
            namespace: match p.scope {
                Scope::Namespace => Some(region.namespace.clone()),
                Scope::Cluster => None,
            },
            without: p.without.to_owned(),
            // Else only this manifest's smoke checks need it.
            documented: permissions::PERMISSIONS.contains(p),
        }),
    )
}

fn pool_checks(
    region: &Region,
    pools: &Result<Vec<Pool>, ApiProblem>,
    lb: &Result<LoadBalancer, ApiProblem>,
) -> Vec<Finding> {
    let pools = match pools {
        Ok(p) => p,
        Err(e) => {
            return vec![Finding::new(
                Verdict::Error,
                ValidateFact::PoolProblem(e.clone()),
            )];
        }
    };
    let Some(pool) = pools
        .iter()
        .find(|p| p.id == region.pool)
        .or_else(|| pools.iter().find(|p| p.name == region.pool))
    else {
        let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
        let hint = match crate::manifest::fields::closest(&region.pool, names.iter().copied()) {
            Some(c) => PoolHint::DidYouMean(c.to_owned()),
            None => PoolHint::Known(names.iter().map(|n| (*n).to_owned()).collect()),
        };
        return vec![Finding::new(
            Verdict::Fail,
            ValidateFact::PoolNotFound {
                pool: region.pool.clone(),
                hint,
            },
        )];
    };
    let mut checks = vec![Finding::new(
        Verdict::Pass,
        ValidateFact::PoolExists {
            name: pool.name.clone(),
            id: pool.id.clone(),
        },
    )];
    checks.push(match lb {
        Err(e) => Finding::new(Verdict::Error, ValidateFact::LoadBalancerProblem(e.clone())),
        Ok(lb) if lb.default_pools.contains(&pool.id) || lb.fallback_pool == pool.id => {
            Finding::new(
                Verdict::Pass,
                ValidateFact::UsedBy {
                    load_balancer: lb.name.clone(),
                    position: lb
                        .default_pools
                        .iter()
                        .position(|p| p == &pool.id)
                        .map(|i| i + 1),
                },
            )
        }
        Ok(lb) => Finding::new(
            Verdict::Fail,
            ValidateFact::NotUsedBy {
                load_balancer: lb.name.clone(),
                pool: pool.name.clone(),
            },
        ),
    });
    checks.push(match pool.monitor.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => Finding::new(Verdict::Pass, ValidateFact::Monitor { id: m.to_owned() }),
        None => Finding::new(Verdict::Warn, ValidateFact::NoMonitor),
    });
    checks
}

/// What the Cloudflare account says, read once for every region.
struct Account {
    token: Result<TokenStatus, ApiProblem>,
    lb: Result<LoadBalancer, ApiProblem>,
    pools: Result<Vec<Pool>, ApiProblem>,
}

async fn account<P: Pools>(fleet: &Fleet, cf: &Result<Arc<P>, CfError>) -> Account {
    match cf {
        Err(e) => Account {
            token: Err(cf_problem(e)),
            lb: Err(cf_problem(e)),
            pools: Err(cf_problem(e)),
        },
        Ok(cf) => Account {
            token: cf.verify_token().await.map_err(|e| cf_problem(&e)),
            lb: cf
                .load_balancer(&fleet.cloudflare.load_balancer)
                .await
                .map_err(|e| cf_problem(&e)),
            pools: cf.pools().await.map_err(|e| cf_problem(&e)),
        },
    }
}

/// The fleet's notes: the token's status, pools the load balancer uses that
/// the manifest does not name, and that write access is not checked.
fn notes(fleet: &Fleet, account: &Account) -> Vec<Note> {
    let mut notes = vec![match &account.token {
        Ok(t) => ValidateNote::TokenStatus {
            variable: fleet.cloudflare.api_token.from_env.clone(),
            status: t.status.clone(),
        },
        Err(e) => ValidateNote::TokenProblem(e.clone()),
    }];
    if let (Ok(lb), Ok(pools)) = (&account.lb, &account.pools) {
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
        let extra: Vec<String> = lb
            .default_pools
            .iter()
            .filter(|p| !named.contains(&p.as_str()))
            .cloned()
            .collect();
        if !extra.is_empty() {
            notes.push(ValidateNote::ExtraPools {
                load_balancer: lb.name.clone(),
                pools: extra,
            });
        }
    }
    notes.push(ValidateNote::WriteAccessNotChecked);
    notes.into_iter().map(Note::from).collect()
}

/// The table's line: how many checks passed, or the kinds of check that
/// failed, each named once (one missing permission is one check).
fn summary(checks: &[Finding]) -> ValidateSummary {
    let mut failing: Vec<Check> = checks
        .iter()
        .filter(|c| c.verdict > Verdict::Warn)
        .filter_map(|c| match &c.fact {
            Fact::Validate(f) => Some(f.check()),
            _ => None,
        })
        .collect();
    failing.dedup();
    if failing.is_empty() {
        ValidateSummary::Passed {
            checks: checks.len(),
        }
    } else {
        ValidateSummary::Problems(failing)
    }
}

/// Runs every live check; the per-region entries and fleet notes.
pub async fn run<P: Pools + 'static>(
    fleet: &Fleet,
    regions: &[(Region, Result<KubeRegion, KubeError>)],
    cf: Result<Arc<P>, CfError>,
) -> (Vec<RegionFindings>, Vec<Note>) {
    let account = account(fleet, &cf).await;
    let notes = notes(fleet, &account);
    let token_ok = account.token.as_ref().is_ok_and(|t| t.status == "active");
    let kube =
        futures_util::future::join_all(regions.iter().map(|(r, c)| kube_checks(fleet, r, c))).await;
    let reports = regions
        .iter()
        .zip(kube)
        .map(|((region, _), mut checks)| {
            if token_ok {
                checks.extend(pool_checks(region, &account.pools, &account.lb));
            } else {
                let why = match &account.token {
                    Err(e) => TokenTrouble::Problem(e.clone()),
                    Ok(_) => TokenTrouble::NotActive,
                };
                checks.push(Finding::new(
                    Verdict::Error,
                    ValidateFact::TokenUnusable(why),
                ));
            }
            let summary = summary(&checks);
            RegionFindings::from_checks(region.name.as_str(), summary, checks)
        })
        .collect();
    (reports, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet() -> Fleet {
        let text = include_str!("../../fixtures/fleet.yaml");
        crate::manifest::parse_str("fleet.yaml", text).unwrap()
    }

    fn pool(id: &str, name: &str) -> Pool {
        Pool {
            id: id.into(),
            name: name.into(),
            ..Pool::default()
        }
    }

    #[test]
    fn a_pool_the_load_balancer_does_not_use_fails_and_a_missing_monitor_warns() {
        let fleet = fleet();
        let region = &fleet.regions[0];
        let pools = Ok(vec![pool("p1", &region.pool)]);
        let lb = Ok(LoadBalancer {
            name: "lb".into(),
            default_pools: vec!["other".into()],
            ..LoadBalancer::default()
        });
        let checks = pool_checks(region, &pools, &lb);
        let verdicts: Vec<Verdict> = checks.iter().map(|c| c.verdict).collect();
        assert_eq!(verdicts, [Verdict::Pass, Verdict::Fail, Verdict::Warn]);
        assert_eq!(
            checks[1].fact,
            Fact::Validate(ValidateFact::NotUsedBy {
                load_balancer: "lb".into(),
                pool: region.pool.clone()
            })
        );
        assert_eq!(
            summary(&checks),
            ValidateSummary::Problems(vec![Check::LoadBalancer])
        );
    }

    #[test]
    fn a_pool_not_found_suggests_a_close_name() {
        let fleet = fleet();
        let region = &fleet.regions[0];
        let close = format!("{}x", region.pool);
        let pools = Ok(vec![pool("p1", &close)]);
        let checks = pool_checks(region, &pools, &Ok(LoadBalancer::default()));
        assert!(
            matches!(
                &checks[..],
                [Finding { verdict: Verdict::Fail, fact: Fact::Validate(ValidateFact::PoolNotFound {
                    hint: PoolHint::DidYouMean(c), ..
                }), .. }] if *c == close
            ),
            "{checks:?}"
        );
    }

    #[test]
    fn the_summary_names_each_failing_kind_of_check_once() {
        let missing = |perm: &str| {
            Finding::new(
                Verdict::Error,
                ValidateFact::PermissionMissing(MissingPermission {
                    context: "c".into(),
                    permission: perm.into(),
                    namespace: None,
                    without: String::new(),
                    documented: true,
                }),
            )
        };
        let checks = [
            Finding::new(Verdict::Pass, ValidateFact::NoMonitor),
            missing("get pods"),
            missing("list pods"),
            Finding::new(Verdict::Warn, ValidateFact::NoMonitor),
        ];
        assert_eq!(
            summary(&checks),
            ValidateSummary::Problems(vec![Check::Permissions])
        );
        assert_eq!(summary(&checks[..1]), ValidateSummary::Passed { checks: 1 });
    }
}
