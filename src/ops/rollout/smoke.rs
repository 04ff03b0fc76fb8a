//! Smoke checks (`rollout.smoke` in the manifest) through the API server's
//! service proxy: against `<service>-preview` before the switch, and the
//! live `<service>` after it. Going through the API server reaches the
//! colour's pods directly, before any user traffic does.

use crate::facts::rollout::{Excerpt, RolloutFact, SmokeRequest, SmokeSeen, SmokeStage};
use crate::facts::{Finding, Verdict};
use crate::kube::{ProxyRequest, Workloads};
use crate::manifest::{Region, SmokeCheck};
use crate::ops::describe;

/// Runs every check against `service`; one [`Finding`] each, named
/// `smoke-<stage> <check>` (e.g. `smoke-preview healthz`).
pub async fn run<W: Workloads>(
    w: &W,
    region: &Region,
    service: &str,
    stage: SmokeStage,
    checks: &[SmokeCheck],
) -> Vec<Finding> {
    let mut out = Vec::with_capacity(checks.len());
    for c in checks {
        let req = ProxyRequest {
            service: service.to_owned(),
            port: region.port,
            method: c.method.as_str().to_owned(),
            path: c.path.clone(),
            body: c.body.clone(),
        };
        let (verdict, seen, took) = match w.proxy(&req).await {
            // The API server refused or could not be reached: nothing was
            // learnt about the new version, so "could not check" (exit 3).
            Err(e) => (
                Verdict::Error,
                SmokeSeen::Api(describe::kube_problem(&e)),
                0,
            ),
            Ok(resp) => {
                let status_ok = c.expect_status.contains(&resp.status);
                let body_ok = c
                    .expect_body
                    .as_deref()
                    .is_none_or(|want| resp.body.contains(want));
                let request = SmokeRequest {
                    method: c.method.as_str().to_owned(),
                    path: c.path.clone(),
                    service: service.to_owned(),
                };
                let (verdict, seen) = if status_ok && body_ok {
                    let status = resp.status;
                    (Verdict::Pass, SmokeSeen::Passed { request, status })
                } else if !status_ok {
                    let seen = SmokeSeen::WrongStatus {
                        request,
                        status: resp.status,
                        expected: c.expect_status.clone(),
                        body: excerpt(&resp.body),
                    };
                    (Verdict::Fail, seen)
                } else {
                    let seen = SmokeSeen::BodyLacks {
                        request,
                        want: c.expect_body.clone().unwrap_or_default(),
                        body: excerpt(&resp.body),
                    };
                    (Verdict::Fail, seen)
                };
                (verdict, seen, resp.latency_ms)
            }
        };
        let check = RolloutFact::Smoke {
            stage,
            check: c.name.clone(),
            seen,
        };
        out.push(Finding::new(verdict, check).took(took));
    }
    out
}

/// The start of a body, for a failure's detail: up to 120 characters on
/// one line.
fn excerpt(body: &str) -> Option<Excerpt> {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return None;
    }
    let short: String = trimmed.chars().take(120).collect();
    Some(Excerpt {
        cut: short.len() < trimmed.len(),
        text: short.replace('\n', " "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_one_short_line() {
        assert_eq!(excerpt(""), None);
        assert_eq!(
            excerpt(" ok \n"),
            Some(Excerpt {
                text: "ok".to_owned(),
                cut: false
            })
        );
        let long = "x".repeat(200);
        assert!(excerpt(&long).is_some_and(|e| e.cut && e.text.len() == 120));
        let two = excerpt("a\nb").unwrap();
        assert_eq!(two.text, "a b");
    }
}
