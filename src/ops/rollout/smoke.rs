//! Smoke checks (`rollout.smoke` in the manifest) through the API server's
//! service proxy: against `<service>-preview` before the switch, and the
//! live `<service>` after it. Going through the API server reaches the
//! colour's pods directly, before any user traffic does.

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
    stage: &str,
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
        let name = format!("smoke-{stage} {}", c.name);
        let check = match w.proxy(&req).await {
            // The API server refused or could not be reached: nothing was
            // learnt about the new version, so "could not check" (exit 3).
            Err(e) => Finding::text(name, Verdict::Error, describe::kube(&e)),
            Ok(resp) => {
                let status_ok = c.expect_status.contains(&resp.status);
                let body_ok = c
                    .expect_body
                    .as_deref()
                    .is_none_or(|want| resp.body.contains(want));
                let what = format!("{} {} on {service}", c.method.as_str(), c.path);
                let mut check = if status_ok && body_ok {
                    Finding::text(name, Verdict::Pass, format!("{what}: {}", resp.status))
                } else if !status_ok {
                    Finding::text(
                        name,
                        Verdict::Fail,
                        format!(
                            "{what}: status {} (expected {}){}",
                            resp.status,
                            expected(&c.expect_status),
                            excerpt(&resp.body)
                        ),
                    )
                } else {
                    Finding::text(
                        name,
                        Verdict::Fail,
                        format!(
                            "{what}: the body lacks {:?}{}",
                            c.expect_body.as_deref().unwrap_or_default(),
                            excerpt(&resp.body)
                        ),
                    )
                };
                check.duration_ms = resp.latency_ms;
                check
            }
        };
        out.push(check);
    }
    out
}

fn expected(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The start of a body, for a failure's detail.
fn excerpt(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return String::new();
    }
    let short: String = trimmed.chars().take(120).collect();
    let more = if short.len() < trimmed.len() {
        "…"
    } else {
        ""
    };
    format!("; body: {}{more}", short.replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_name_what_was_expected() {
        assert_eq!(expected(&[200, 204]), "200 or 204");
        assert_eq!(excerpt(""), "");
        assert_eq!(excerpt(" ok \n"), "; body: ok");
        let long = "x".repeat(200);
        assert!(excerpt(&long).ends_with('…'));
    }
}
