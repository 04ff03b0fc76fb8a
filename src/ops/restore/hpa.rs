//! After a scale-to-zero is undone: confirm that the HPAs targeting the
//! Deployment are active again (docs/drills.md, HPAs).
//!
//! Kubernetes does not fight a drill's scale to zero: it disables an HPA
//! while its target has 0 replicas (`ScalingActive=False`, reason
//! `ScalingDisabled`) and enables it on its first sync after the target has
//! replicas again (every 15 s by default). An HPA that stays disabled would
//! not scale the service under load, so the restore says so.

use std::future::Future;
use std::time::Duration;

// Tokio's clock, so the wait can be tested in paused time.
use tokio::time::Instant;

use crate::facts::restore::RestoreFact;
use crate::facts::{Finding, Verdict};
use crate::kube::{HpaState, KubeError, Workloads};
use crate::manifest::Region;
use crate::ops::recovery::Recovery;

use super::describe;
use crate::ops::ready::transient;

/// The reason Kubernetes gives while the target has 0 replicas; any other
/// `False` means the HPA is past that and stuck on something else (metrics).
const DISABLED: &str = "ScalingDisabled";

/// One `hpa` check per HPA that targets one of `deployments`: a pass once it
/// reports `ScalingActive=True`, a warn when it has not by `until` (or is
/// inactive for another reason than the drill). Reads are retried through
/// transient API errors; a failure to read is a warn, never an incomplete
/// restore (the Deployment itself is back).
pub async fn confirm_active<W: Workloads>(
    w: &W,
    region: &Region,
    deployments: &[String],
    until: Instant,
    poll: Duration,
    recovery: &Recovery,
) -> Vec<Finding> {
    if deployments.is_empty() {
        return Vec::new();
    }
    confirm_with(|| w.hpas(), region, deployments, until, poll, recovery).await
}

/// [`confirm_active`] over any way of listing the HPAs (tests script it).
async fn confirm_with<F, Fut>(
    mut list: F,
    region: &Region,
    deployments: &[String],
    until: Instant,
    poll: Duration,
    recovery: &Recovery,
) -> Vec<Finding>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<HpaState>, KubeError>>,
{
    let started = Instant::now();
    let mut checks = Vec::new();
    let check = |verdict: Verdict, fact: RestoreFact| {
        Finding::new(verdict, fact)
            .took(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX))
    };
    // The HPAs to confirm, fixed at the first successful read, with the
    // last `ScalingActive` detail seen for each.
    let mut pending: Option<Vec<(HpaState, Option<String>)>> = None;
    let mut last_error = None;
    loop {
        match list().await {
            Ok(hpas) => {
                let todo = pending.get_or_insert_with(|| {
                    hpas.iter()
                        .filter(|h| {
                            h.target_kind == "Deployment" && deployments.contains(&h.target_name)
                        })
                        .map(|h| (h.clone(), None))
                        .collect()
                });
                todo.retain_mut(|(want, seen)| {
                    // An HPA deleted meanwhile has nothing left to confirm.
                    let Some(now) = hpas.iter().find(|h| h.name == want.name) else {
                        return false;
                    };
                    *seen = now.scaling_detail.clone();
                    match now.scaling_active {
                        Some(true) => {
                            checks.push(check(
                                Verdict::Pass,
                                RestoreFact::HpaActive {
                                    hpa: now.name.clone(),
                                },
                            ));
                            false
                        }
                        Some(false)
                            if !now
                                .scaling_detail
                                .as_deref()
                                .unwrap_or_default()
                                .starts_with(DISABLED) =>
                        {
                            checks.push(check(
                                Verdict::Warn,
                                RestoreFact::HpaStuck {
                                    hpa: now.name.clone(),
                                    target: now.target_name.clone(),
                                    reason: now.scaling_detail.clone(),
                                    look: look(recovery, region, &now.name),
                                },
                            ));
                            false
                        }
                        _ => true,
                    }
                });
            }
            Err(e) if transient(&e) => last_error = Some(e),
            Err(e) => {
                last_error = Some(e);
                break;
            }
        }
        if pending.as_ref().is_some_and(Vec::is_empty)
            || crate::durations::deadline(Instant::now(), poll) >= until
        {
            break;
        }
        tokio::time::sleep(poll).await;
    }
    let waited = started.elapsed();
    match pending {
        None => {
            checks.push(check(
                Verdict::Warn,
                RestoreFact::HpasUnlisted {
                    problem: last_error.map(|e| describe::kube_problem(&e)),
                    look: look(recovery, region, ""),
                },
            ));
        }
        Some(left) => {
            for (h, seen) in left {
                let look = look(recovery, region, &h.name);
                checks.push(check(
                    Verdict::Warn,
                    RestoreFact::HpaNotActive {
                        hpa: h.name,
                        target: h.target_name,
                        condition: seen,
                        waited,
                        look,
                    },
                ));
            }
        }
    }
    checks
}

/// `kubectl … describe hpa [NAME]`: where to look at an HPA.
fn look(recovery: &Recovery, region: &Region, hpa: &str) -> String {
    let what = if hpa.is_empty() {
        "describe hpa".to_owned()
    } else {
        format!("describe hpa {hpa}")
    };
    recovery.kubectl(region, &what)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::facts::Fact;
    use crate::kube::KubeErrorKind;

    fn region() -> Region {
        crate::manifest::seed_fleet().regions[0].clone()
    }

    fn hpa(name: &str, target: &str, active: Option<bool>, reason: &str) -> HpaState {
        HpaState {
            name: name.to_owned(),
            target_kind: "Deployment".to_owned(),
            target_name: target.to_owned(),
            max_replicas: 5,
            scaling_active: active,
            scaling_detail: (!reason.is_empty()).then(|| reason.to_owned()),
            ..HpaState::default()
        }
    }

    fn error(kind: KubeErrorKind) -> KubeError {
        KubeError {
            region: "us-east-1".to_owned(),
            kind,
            object: None,
            status: Some(503),
            reason: None,
            message: "HTTP 503".to_owned(),
            hint: None,
        }
    }

    type Answer = Result<Vec<HpaState>, KubeError>;

    /// Confirms the HPAs of openclaw-api-blue while each list answers the
    /// next of `answers` (the last one repeats); also returns the lists made.
    async fn run(answers: Vec<Answer>) -> (Vec<Finding>, usize) {
        let calls = Arc::new(Mutex::new(0));
        let counter = calls.clone();
        let list = move || {
            let mut n = counter.lock().unwrap();
            let answer = answers[(*n).min(answers.len() - 1)].clone();
            *n += 1;
            std::future::ready(answer)
        };
        let until = Instant::now() + Duration::from_secs(60);
        let checks = confirm_with(
            list,
            &region(),
            &["openclaw-api-blue".to_owned()],
            until,
            Duration::from_millis(250),
            &Recovery::default(),
        )
        .await;
        let n = *calls.lock().unwrap();
        (checks, n)
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_a_disabled_hpa_to_be_active_again() {
        let disabled = hpa(
            "api",
            "openclaw-api-blue",
            Some(false),
            "ScalingDisabled: zero",
        );
        let active = hpa("api", "openclaw-api-blue", Some(true), "ValidMetricFound");
        let other = hpa(
            "green",
            "openclaw-api-green",
            Some(false),
            "ScalingDisabled",
        );
        let (checks, calls) = run(vec![
            Ok(vec![disabled.clone(), other.clone()]),
            Err(error(KubeErrorKind::Api)),
            Ok(vec![disabled, other.clone()]),
            Ok(vec![active, other]),
        ])
        .await;
        assert_eq!(calls, 4, "polled through the 503");
        assert_eq!(checks.len(), 1, "only the HPA of the restored Deployment");
        assert!(
            matches!(&checks[0].fact, Fact::Restore(RestoreFact::HpaActive { hpa }) if hpa == "api"),
            "{checks:?}"
        );
        assert_eq!(crate::report::words::name(&checks[0]), "hpa");
        assert_eq!(checks[0].verdict, Verdict::Pass);
        assert_eq!(
            crate::report::words::detail(&checks[0]),
            "HPA api active again"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_that_never_comes_back_is_a_warn_with_the_command_to_look() {
        let started = Instant::now();
        let (checks, _) = run(vec![Ok(vec![hpa(
            "api",
            "openclaw-api-blue",
            Some(false),
            "ScalingDisabled: scaling is disabled since the replica count of the target is zero",
        )])])
        .await;
        assert!(
            started.elapsed() >= Duration::from_secs(59),
            "waited the deadline out"
        );
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].verdict, Verdict::Warn);
        let Fact::Restore(RestoreFact::HpaNotActive { hpa, waited, .. }) = &checks[0].fact else {
            panic!("{checks:?}")
        };
        assert_eq!(hpa, "api");
        assert!(*waited >= Duration::from_secs(59), "{waited:?}");
        let d = &crate::report::words::detail(&checks[0]);
        assert!(d.contains("HPA api is not active again after"), "{d}");
        assert!(d.contains("ScalingDisabled: scaling is disabled"), "{d}");
        assert!(
            d.contains("kubectl --context prod-us-east-1 -n us-east-1 describe hpa api"),
            "{d}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_hpa_stuck_on_its_metrics_is_said_at_once() {
        let started = Instant::now();
        let (checks, calls) = run(vec![Ok(vec![hpa(
            "api",
            "openclaw-api-blue",
            Some(false),
            "FailedGetResourceMetric: no metrics",
        )])])
        .await;
        assert_eq!(calls, 1);
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(checks[0].verdict, Verdict::Warn);
        assert!(
            crate::report::words::detail(&checks[0]).contains("FailedGetResourceMetric"),
            "{}",
            crate::report::words::detail(&checks[0])
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_hpa_no_check_and_unreadable_hpas_are_a_warn() {
        let (checks, calls) = run(vec![Ok(vec![hpa("x", "other", Some(false), "")])]).await;
        assert_eq!((checks.len(), calls), (0, 1));
        let (checks, calls) = run(vec![Err(error(KubeErrorKind::Forbidden))]).await;
        assert_eq!(calls, 1, "a permanent error is not retried");
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].verdict, Verdict::Warn);
        assert!(
            crate::report::words::detail(&checks[0]).contains("could not list the HPAs"),
            "{}",
            crate::report::words::detail(&checks[0])
        );
    }
}
