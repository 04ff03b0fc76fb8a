//! A release that left leases behind, as report checks: one `warn` per
//! lease, in the report of its region, naming the call that failed, the
//! API's answer and the command that deletes the lease by hand. A left
//! lease changes nothing in the fleet, but it refuses the next run until it
//! expires, so it must be seen rather than buried in a note.

use std::path::Path;

use super::{LockError, LockOptions, Unreleased};
use crate::facts::lock::{LeftLease, LockFact, LockSummary};
use crate::facts::{Finding, RegionFindings, Verdict};
use crate::kube::KubeErrorKind;
use crate::kube::client::kubeconfig::KubeconfigSource;
use crate::manifest::Fleet;

/// One `lock` warning per lease `e` left behind, with the region it belongs
/// to; nothing for errors other than [`LockError::NotReleased`].
/// `in_cluster`: every region was reached with the in-cluster config
/// ([`Recovery::in_cluster`](crate::ops::recovery::Recovery::in_cluster)).
pub fn unreleased_checks(e: &LockError, fleet: &Fleet, in_cluster: bool) -> Vec<(String, Finding)> {
    let LockError::NotReleased { unreleased, .. } = e else {
        return Vec::new();
    };
    unreleased
        .iter()
        .map(|u| {
            (
                u.region.clone(),
                Finding::new(
                    Verdict::Warn,
                    LockFact::NotReleased(Box::new(left(u, fleet, in_cluster))),
                ),
            )
        })
        .collect()
}

/// Adds [`unreleased_checks`] to `reports`: each into its region's report
/// (raising that report's verdict to at least `warn`), else into the first
/// report, else into a report of its own.
pub fn report_unreleased(
    reports: &mut Vec<RegionFindings>,
    e: &LockError,
    fleet: &Fleet,
    in_cluster: bool,
) {
    for (region, check) in unreleased_checks(e, fleet, in_cluster) {
        let at = reports.iter().position(|r| r.region == region);
        match at.or(if reports.is_empty() { None } else { Some(0) }) {
            Some(i) => {
                let report = &mut reports[i];
                report.verdict = report.verdict.max(Verdict::Warn);
                report.checks.push(check);
            }
            None => reports.push(RegionFindings::from_checks(
                region,
                LockSummary::LeftBehind,
                vec![check],
            )),
        }
    }
}

/// The fact of one lease left behind, with the command that deletes it
/// when the manifest names its region.
fn left(u: &Unreleased, fleet: &Fleet, in_cluster: bool) -> LeftLease {
    let region = fleet.region(&u.region);
    let s = &u.source;
    let refused = matches!(
        s.kind,
        KubeErrorKind::Forbidden | KubeErrorKind::Unauthorized
    );
    LeftLease {
        region: u.region.clone(),
        verb: u.permission.verb,
        resource: u.permission.resource,
        lease: u.lease.clone(),
        namespace: region.map(|r| r.namespace.clone()),
        message: s.message.clone(),
        status: s.status,
        reason: s.reason.clone(),
        expires_within: LockOptions::default().duration,
        delete: region.map(|r| {
            format!(
                "{} -n {} delete lease {}",
                kubectl(fleet, &r.context, in_cluster),
                shell_word(&r.namespace),
                u.lease
            )
        }),
        hint: s.hint.clone().filter(|_| refused),
    }
}

/// `kubectl [--kubeconfig PATH] --context CTX`: the manifest's kubeconfig
/// as an absolute path, so the command works from any directory; without
/// one kubectl reads `$KUBECONFIG` or `~/.kube/config` as ocfail did. For
/// a region reached in-cluster (`context: in-cluster`, or every region
/// when `in_cluster`) plain `kubectl`, which in the same pod without a
/// kubeconfig uses the ServiceAccount too.
fn kubectl(fleet: &Fleet, context: &str, in_cluster: bool) -> String {
    if in_cluster || context == crate::manifest::IN_CLUSTER_CONTEXT {
        return "kubectl".to_owned();
    }
    let file = fleet
        .kubeconfig
        .as_deref()
        .and_then(|k| KubeconfigSource::from_environment(Some(Path::new(k))).ok())
        .and_then(|source| match source {
            KubeconfigSource::Manifest(p) => Some(std::path::absolute(&p).unwrap_or(p)),
            KubeconfigSource::Env(_) | KubeconfigSource::Default(_) => None,
        });
    match file {
        Some(p) => format!(
            "kubectl --kubeconfig {} --context {}",
            shell_word(&p.display().to_string()),
            shell_word(context)
        ),
        None => format!("kubectl --context {}", shell_word(context)),
    }
}

/// `s` as one shell word: as is when it is plain, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::KubeError;
    use crate::kube::permissions::DELETE_LEASES;

    fn forbidden(region: &str) -> Unreleased {
        Unreleased {
            region: region.to_owned(),
            lease: "ocfail-lock".to_owned(),
            permission: DELETE_LEASES,
            source: KubeError {
                region: region.to_owned(),
                kind: KubeErrorKind::Forbidden,
                object: Some("lease ocfail-lock".to_owned()),
                status: Some(403),
                reason: Some("Forbidden".to_owned()),
                message: "leases.coordination.k8s.io \"ocfail-lock\" is forbidden".to_owned(),
                hint: Some("grant it".to_owned()),
            },
        }
    }

    fn not_released(regions: &[&str]) -> LockError {
        LockError::NotReleased {
            unreleased: regions.iter().map(|r| forbidden(r)).collect(),
            holder: "drill/r/h/1".to_owned(),
        }
    }

    #[test]
    fn each_left_lease_is_a_warning_with_the_command_that_deletes_it() {
        let mut fleet = crate::manifest::seed_fleet();
        fleet.kubeconfig = Some("/etc/ocfail/kube config".to_owned());
        let checks = unreleased_checks(&not_released(&["us-east-1"]), &fleet, false);
        let [(region, check)] = checks.as_slice() else {
            panic!("{checks:?}")
        };
        assert_eq!(region, "us-east-1");
        assert_eq!(
            (crate::report::words::name(check).as_str(), check.verdict),
            ("lock", Verdict::Warn)
        );
        let r = fleet.region("us-east-1").unwrap();
        for part in [
            "us-east-1: could not delete leases ocfail-lock".to_owned(),
            format!("in namespace {}", r.namespace),
            "is forbidden (HTTP 403 Forbidden)".to_owned(),
            format!(
                "`kubectl --kubeconfig '/etc/ocfail/kube config' --context {} -n {} delete lease ocfail-lock`",
                r.context, r.namespace
            ),
            "hint: grant it".to_owned(),
        ] {
            assert!(
                crate::report::words::detail(check).contains(&part),
                "`{part}` in {}",
                crate::report::words::detail(check)
            );
        }
    }

    #[test]
    fn a_region_reached_in_cluster_gets_plain_kubectl() {
        let mut fleet = crate::manifest::seed_fleet();
        fleet.regions[0].context = crate::manifest::IN_CLUSTER_CONTEXT.to_owned();
        let ns = fleet.regions[0].namespace.clone();
        let name = fleet.regions[0].name.to_string();
        let detail = |in_cluster: bool, region: &str| {
            let checks = unreleased_checks(&not_released(&[region]), &fleet, in_cluster);
            crate::report::words::detail(&checks[0].1)
        };
        let want = format!("`kubectl -n {ns} delete lease ocfail-lock`");
        assert!(
            detail(false, &name).contains(&want),
            "{}",
            detail(false, &name)
        );
        let other = fleet.regions[1].clone();
        let d = detail(true, other.name.as_str());
        assert!(
            d.contains(&format!("`kubectl -n {} delete lease", other.namespace)),
            "every region in-cluster: {d}"
        );
    }

    #[test]
    fn without_a_kubeconfig_in_the_manifest_the_command_names_only_the_context() {
        let mut fleet = crate::manifest::seed_fleet();
        fleet.kubeconfig = None;
        let checks = unreleased_checks(&not_released(&["eu-central-1"]), &fleet, false);
        let r = fleet.region("eu-central-1").unwrap();
        let want = format!(
            "`kubectl --context {} -n {} delete lease",
            r.context, r.namespace
        );
        assert!(
            crate::report::words::detail(&checks[0].1).contains(&want),
            "{}",
            crate::report::words::detail(&checks[0].1)
        );
    }

    #[test]
    fn warnings_go_to_their_regions_report_else_the_first() {
        let fleet = crate::manifest::seed_fleet();
        let pass = |r: &str| {
            let released = LockFact::ExpiredLeft {
                lease: "ocfail-lock".into(),
                holder: "x".into(),
            };
            RegionFindings::from_checks(
                r,
                LockSummary::LeftBehind,
                vec![Finding::new(Verdict::Pass, released)],
            )
        };
        let mut reports = vec![pass("us-east-1"), pass("eu-central-1")];
        report_unreleased(
            &mut reports,
            &not_released(&["eu-central-1", "ap-southeast-2"]),
            &fleet,
            false,
        );
        assert_eq!(
            reports[0].verdict,
            Verdict::Warn,
            "ap-southeast-2 has no report"
        );
        assert_eq!(reports[1].verdict, Verdict::Warn);
        assert!(crate::report::words::detail(&reports[0].checks[1]).starts_with("ap-southeast-2:"));
        assert!(crate::report::words::detail(&reports[1].checks[1]).starts_with("eu-central-1:"));
        let mut none = Vec::new();
        report_unreleased(&mut none, &not_released(&["us-east-1"]), &fleet, false);
        assert_eq!(none[0].region, "us-east-1");
        let held = LockError::Held {
            region: "us-east-1".into(),
            holder: "x".into(),
            expires_in: std::time::Duration::from_secs(1),
        };
        assert!(unreleased_checks(&held, &fleet, false).is_empty());
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("/home/a/.kube/config"), "/home/a/.kube/config");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
