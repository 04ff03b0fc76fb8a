//! The words of `health`'s facts.

use std::borrow::Cow;

use humantime::format_duration;

use crate::facts::health::{
    HealthFact, HealthNote, HealthSummary, MonitorBlind, MonitorSettings, OriginSeen, PoolLine,
    PoolSeen, PoolState, PreviewSeen, ProbeFailure, ProxyLine,
};

use super::problem;

/// The check's stable name (an origin's names the origin and location).
pub fn name(f: &HealthFact) -> Cow<'static, str> {
    match f {
        HealthFact::PoolNotFound { .. }
        | HealthFact::PoolProblem(_)
        | HealthFact::PoolNotChecked
        | HealthFact::Pool(_) => "pool-health".into(),
        HealthFact::Origin(o) => format!("origin {} @ {}", o.origin, o.location).into(),
        HealthFact::Monitor { .. } | HealthFact::MonitorProblem(_) | HealthFact::NoMonitor => {
            "monitor".into()
        }
        HealthFact::ProxyProbe { .. } | HealthFact::ProxyProblem(_) => "proxy-probe".into(),
        HealthFact::Probe { .. } | HealthFact::ProbeFailed(_) => "probe".into(),
        HealthFact::Preview(_) => "preview".into(),
    }
}

/// The check's one line.
pub fn detail(f: &HealthFact) -> String {
    match f {
        HealthFact::PoolNotFound { pool } => format!("pool {pool} not found"),
        HealthFact::PoolProblem(p)
        | HealthFact::MonitorProblem(p)
        | HealthFact::ProxyProblem(p) => problem(p),
        HealthFact::PoolNotChecked => "not checked".to_owned(),
        HealthFact::Pool(p) => pool(p),
        HealthFact::Origin(o) => origin(o),
        HealthFact::Monitor { monitor: m, budget } => format!(
            "{}; budget: failover {}, recovery {}",
            monitor(m),
            format_duration(budget.failover),
            format_duration(budget.recover)
        ),
        HealthFact::NoMonitor => {
            "the pool has no monitor: Cloudflare ignores its health, so it never fails over"
                .to_owned()
        }
        HealthFact::ProxyProbe {
            service,
            status,
            latency_ms,
        } => format!(
            "GET via the API server proxy to service {service}: HTTP {status} in {latency_ms}ms"
        ),
        HealthFact::Probe { status, latency_ms } => format!("HTTP {status} in {latency_ms}ms"),
        HealthFact::ProbeFailed(why) => probe_failure(*why).to_owned(),
        HealthFact::Preview(p) => preview(p),
    }
}

/// Why a monitor cannot see a region with no ready pods (also a reason
/// `drill` refuses).
pub fn monitor_blind(b: &MonitorBlind) -> String {
    match b {
        MonitorBlind::AcceptsUnready { expected_codes } => format!(
            "it accepts {expected_codes} responses, so a Service with no ready pods (503) still passes"
        ),
        MonitorBlind::NotHttp { kind } => {
            format!("a {kind} monitor only sees the ingress answer, not whether pods are ready")
        }
    }
}

fn pool_state(s: PoolState) -> &'static str {
    match s {
        PoolState::Disabled => "pool disabled: gets no traffic and no checks",
        PoolState::Unhealthy => "pool unhealthy",
        PoolState::Degraded => "pool degraded: some origins down, still healthy",
        PoolState::Healthy => "pool healthy",
    }
}

fn pool(p: &PoolSeen) -> String {
    match p.state {
        PoolState::Disabled => pool_state(p.state).to_owned(),
        s => format!(
            "{} (healthy from {}/{} check locations)",
            pool_state(s),
            p.healthy_locations,
            p.locations
        ),
    }
}

fn origin(o: &OriginSeen) -> String {
    let code = o
        .response_code
        .map(|c| format!(", HTTP {c}"))
        .unwrap_or_default();
    let rtt = o
        .rtt_ms
        .map(|r| format!(", rtt {r:.1}ms"))
        .unwrap_or_default();
    if o.healthy {
        format!("healthy{code}{rtt}")
    } else {
        format!("unhealthy: {}{code}{rtt}", o.failure_reason)
    }
}

fn monitor(m: &MonitorSettings) -> String {
    format!(
        "{} {} {} expecting {} every {}s (timeout {}s, retries {}, down after {}, up after {})",
        m.kind,
        m.method,
        m.path,
        m.expected_codes,
        m.interval_s,
        m.timeout_s,
        m.retries,
        m.consecutive_down,
        m.consecutive_up
    )
}

fn probe_failure(f: ProbeFailure) -> &'static str {
    match f {
        ProbeFailure::TimedOut => "timed out",
        ProbeFailure::CouldNotConnect => "could not connect",
        ProbeFailure::RequestFailed => "request failed",
        ProbeFailure::NoHttpClient => "no HTTP client",
    }
}

fn preview(p: &PreviewSeen) -> String {
    match p {
        PreviewSeen::NoMonitor => "no monitor to preview".to_owned(),
        PreviewSeen::Problem(p) => problem(p),
        PreviewSeen::NoResult => "the preview returned no result for this pool".to_owned(),
        PreviewSeen::Blind(why) => format!(
            "the monitor would not notice this region going down: {}",
            monitor_blind(why)
        ),
        PreviewSeen::WouldNotice {
            path,
            expected_codes,
        } => format!(
            "the monitor sees the region healthy now and would notice it going down: it requests \
             {path} and expects {expected_codes}, which a Service with no ready pods does not answer"
        ),
        PreviewSeen::FailsNow { reasons } => {
            format!("the previewed monitor fails now: {}", reasons.join("; "))
        }
    }
}

/// A region's line.
pub fn summary(s: &HealthSummary) -> String {
    let pool = s.pool.map(|p| match p {
        PoolLine::Unknown => "pool unknown",
        PoolLine::HealthUnknown => "pool health unknown",
        PoolLine::State(s) => pool_state(s),
    });
    let proxy = s.proxy.map(|p| match p {
        ProxyLine::Answered { status, latency_ms } => format!("proxy {status} in {latency_ms}ms"),
        ProxyLine::Error => "proxy error".to_owned(),
    });
    let parts: Vec<&str> = pool.into_iter().chain(proxy.as_deref()).collect();
    parts.join(" · ")
}

/// A remark.
pub fn note(n: &HealthNote) -> String {
    match n {
        HealthNote::Budget(b) => format!(
            "timing budget: failover within {}, recovery within {} (from the monitor; see \"The timing budget\" in docs/drills.md)",
            format_duration(b.failover),
            format_duration(b.recover)
        ),
        HealthNote::FailoverAcrossPools {
            load_balancer,
            on: true,
        } => format!(
            "load balancer {load_balancer}: adaptive_routing.failover_across_pools on: a request \
             whose origin is unreachable (521-526) is retried once on the next pool; other errors \
             (503 included) reach users until the monitor marks the pool down"
        ),
        HealthNote::FailoverAcrossPools {
            load_balancer,
            on: false,
        } => format!(
            "load balancer {load_balancer}: adaptive_routing.failover_across_pools off: a request \
             whose origin is unreachable (521-526) is retried only on another origin of the same \
             pool; turn it on to retry on the next pool"
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::facts::api::ApiProblem;
    use crate::facts::health::Budget;

    #[test]
    fn pool_lines_and_the_table_line() {
        let seen = PoolSeen {
            state: PoolState::Degraded,
            healthy_locations: 2,
            locations: 3,
        };
        assert_eq!(
            detail(&HealthFact::Pool(seen)),
            "pool degraded: some origins down, still healthy (healthy from 2/3 check locations)"
        );
        let off = PoolSeen {
            state: PoolState::Disabled,
            ..seen
        };
        assert_eq!(
            detail(&HealthFact::Pool(off)),
            "pool disabled: gets no traffic and no checks"
        );
        let line = HealthSummary {
            pool: Some(PoolLine::State(PoolState::Healthy)),
            proxy: Some(ProxyLine::Answered {
                status: 200,
                latency_ms: 4,
            }),
        };
        assert_eq!(summary(&line), "pool healthy · proxy 200 in 4ms");
        let proxy_only = HealthSummary {
            pool: None,
            proxy: Some(ProxyLine::Error),
        };
        assert_eq!(summary(&proxy_only), "proxy error");
        assert_eq!(summary(&HealthSummary::default()), "");
    }

    #[test]
    fn origins_are_named_by_origin_and_location() {
        let o = OriginSeen {
            origin: "us-east-1".into(),
            location: "WNAM".into(),
            healthy: false,
            failure_reason: "HTTP 503".into(),
            response_code: Some(503),
            rtt_ms: Some(12.34),
        };
        let f = HealthFact::Origin(o);
        assert_eq!(name(&f), "origin us-east-1 @ WNAM");
        assert_eq!(detail(&f), "unhealthy: HTTP 503, HTTP 503, rtt 12.3ms");
    }

    #[test]
    fn the_monitor_and_its_budget() {
        let m = MonitorSettings {
            kind: "https".into(),
            method: "GET".into(),
            path: "/healthz".into(),
            expected_codes: "2xx".into(),
            interval_s: 60,
            timeout_s: 5,
            retries: 2,
            consecutive_down: 1,
            consecutive_up: 1,
        };
        let budget = Budget {
            failover: Duration::from_secs(165),
            recover: Duration::from_secs(300),
        };
        assert_eq!(
            detail(&HealthFact::Monitor { monitor: m, budget }),
            "https GET /healthz expecting 2xx every 60s (timeout 5s, retries 2, down after 1, \
             up after 1); budget: failover 2m 45s, recovery 5m"
        );
        assert_eq!(
            note(&HealthNote::Budget(budget)),
            "timing budget: failover within 2m 45s, recovery within 5m (from the monitor; see \"The timing budget\" in docs/drills.md)"
        );
        let p = ApiProblem {
            message: "403 Forbidden".into(),
            hint: Some("check the token".into()),
        };
        let f = HealthFact::MonitorProblem(p);
        assert_eq!(
            (&*name(&f), &*detail(&f)),
            ("monitor", "403 Forbidden; hint: check the token")
        );
    }

    #[test]
    fn blind_monitors_and_the_preview() {
        let codes = MonitorBlind::AcceptsUnready {
            expected_codes: "5xx".into(),
        };
        assert_eq!(
            monitor_blind(&codes),
            "it accepts 5xx responses, so a Service with no ready pods (503) still passes"
        );
        let tcp = MonitorBlind::NotHttp { kind: "tcp".into() };
        assert_eq!(
            detail(&HealthFact::Preview(PreviewSeen::Blind(tcp))),
            "the monitor would not notice this region going down: a tcp monitor only sees the \
             ingress answer, not whether pods are ready"
        );
        let notices = PreviewSeen::WouldNotice {
            path: "/".into(),
            expected_codes: "200".into(),
        };
        assert_eq!(
            detail(&HealthFact::Preview(notices)),
            "the monitor sees the region healthy now and would notice it going down: it requests / \
             and expects 200, which a Service with no ready pods does not answer"
        );
    }

    #[test]
    fn failover_across_pools_either_way() {
        let on = HealthNote::FailoverAcrossPools {
            load_balancer: "lb".into(),
            on: true,
        };
        assert_eq!(
            note(&on),
            "load balancer lb: adaptive_routing.failover_across_pools on: a request whose origin is \
             unreachable (521-526) is retried once on the next pool; other errors (503 included) \
             reach users until the monitor marks the pool down"
        );
        let off = HealthNote::FailoverAcrossPools {
            load_balancer: "lb".into(),
            on: false,
        };
        assert_eq!(
            note(&off),
            "load balancer lb: adaptive_routing.failover_across_pools off: a request whose origin is \
             unreachable (521-526) is retried only on another origin of the same pool; turn it on \
             to retry on the next pool"
        );
    }
}
