//! The app's own metrics, per region: what the seed's OpenClaw Rating API
//! exports, so guards can watch what users see. Each region counts every
//! request its app answers, whoever sent it (the LB, the region's direct
//! endpoint, Cloudflare's monitor, the API server's service proxy), by
//! status code and the colour that answered, and observes its latency.
//!
//! The count is kept where the region's ingress meets its pods: a request
//! that finds no ready pod still counts (`code="503"`, labelled with the
//! colour the Service selects), and `/metrics` answers whether or not pods
//! are ready. A request the edge cannot deliver to the region (an
//! [`OriginFault`](super::OriginFault)) never reaches it and is not
//! counted; `/metrics` through the edge is then unreachable too.

use std::borrow::Cow;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::app::{AppRequest, AppResponse};

/// Requests answered, by `region`, `color` and `code` (a counter; the name
/// as scraped, with the `_total` suffix).
pub const REQUESTS: &str = "openclaw_requests_total";

/// Request latency, by `region` and `color` (a histogram).
pub const LATENCY: &str = "openclaw_request_latency_seconds";

/// The latency buckets (seconds): an API answers in milliseconds, and
/// anything past 2.5 s is an outage rather than a slow request.
pub const BUCKETS: [f64; 9] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// The path the app serves its metrics on.
pub const PATH: &str = "/metrics";

/// The classic text format's content type (what `/metrics` answers with).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    color: Cow<'static, str>,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    color: Cow<'static, str>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The colour as a label value; the two colours every fleet has need no
/// allocation on the request path.
fn color_label(color: &str) -> Cow<'static, str> {
    match color {
        "blue" => Cow::Borrowed("blue"),
        "green" => Cow::Borrowed("green"),
        "" => Cow::Borrowed(""),
        other => Cow::Owned(other.to_owned()),
    }
}

/// One region's app metrics. Counting is a read lock and an atomic add (a
/// histogram's is a short mutex), so the LB's hot path stays cheap.
#[derive(Debug)]
pub struct AppMetrics {
    region: String,
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<LatencyLabels, Histogram, fn() -> Histogram>,
}

impl AppMetrics {
    /// Empty metrics for `region`, whose name labels every series.
    pub fn new(region: &str) -> Self {
        let mut registry = Registry::with_labels(
            [(Cow::Borrowed("region"), Cow::Owned(region.to_owned()))].into_iter(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            REQUESTS.trim_end_matches("_total"),
            "Requests the app answered, by status code and the colour that answered",
            requests.clone(),
        );
        let latency: Family<LatencyLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            LATENCY,
            "How long the app took to answer, by the colour that answered",
            latency.clone(),
        );
        AppMetrics {
            region: region.to_owned(),
            registry,
            requests,
            latency,
        }
    }

    /// Counts one answered request: `status` from `color` (`""` when no
    /// colour answered) after `elapsed`.
    pub fn observe(&self, color: &str, status: u16, elapsed: Duration) {
        let color = color_label(color);
        self.latency
            .get_or_create(&LatencyLabels {
                color: color.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                color,
                code: status,
            })
            .inc();
    }

    /// The classic text exposition (0.0.4): Prometheus scrapes it, and so
    /// do `curl` and `promtool check metrics`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        crate::exposition::to_classic(&out)
    }

    /// The answer to a scrape.
    pub fn response(&self) -> AppResponse {
        AppResponse {
            status: 200,
            headers: vec![
                ("content-type".to_owned(), CONTENT_TYPE.to_owned()),
                ("x-openclaw-region".to_owned(), self.region.clone()),
            ],
            body: self.encode().into_bytes(),
        }
    }
}

/// Whether `req` is a scrape of the app's metrics (which is not counted).
pub fn is_scrape(req: &AppRequest) -> bool {
    req.method == "GET" && req.path == PATH
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The value of the sample `name` with exactly `labels` (in any order)
    /// in a classic exposition; `None` when there is none.
    pub(crate) fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        want.sort();
        text.lines().find_map(|l| {
            let (series, v) = l.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
            let mut have: Vec<String> = rest
                .strip_suffix('}')?
                .split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            have.sort();
            (n == name && have == want).then(|| v.parse().ok())?
        })
    }

    #[test]
    fn requests_and_latency_are_counted_per_colour_and_code() {
        let m = AppMetrics::new("us-east-1");
        m.observe("blue", 200, Duration::from_millis(3));
        m.observe("blue", 200, Duration::from_millis(30));
        m.observe("green", 500, Duration::from_secs(3));
        m.observe("", 503, Duration::ZERO);
        let text = m.encode();
        for line in [
            "# TYPE openclaw_requests_total counter",
            "# TYPE openclaw_request_latency_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
        let r = "us-east-1";
        let requests = |color, code| {
            value(
                &text,
                REQUESTS,
                &[("region", r), ("color", color), ("code", code)],
            )
        };
        assert_eq!(requests("blue", "200"), Some(2.0), "{text}");
        assert_eq!(requests("green", "500"), Some(1.0), "{text}");
        assert_eq!(requests("", "503"), Some(1.0), "{text}");
        let bucket = |color, le| {
            value(
                &text,
                &format!("{LATENCY}_bucket"),
                &[("region", r), ("color", color), ("le", le)],
            )
        };
        assert_eq!(bucket("blue", "0.005"), Some(1.0), "{text}");
        assert_eq!(bucket("blue", "0.05"), Some(2.0), "{text}");
        assert_eq!(bucket("green", "2.5"), Some(0.0), "{text}");
        assert_eq!(bucket("green", "+Inf"), Some(1.0), "{text}");
        for le in [
            "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5",
        ] {
            assert!(bucket("blue", le).is_some(), "bucket {le}: {text}");
        }
        let count = value(
            &text,
            &format!("{LATENCY}_count"),
            &[("region", r), ("color", "blue")],
        );
        assert_eq!(count, Some(2.0), "{text}");
        assert!(!text.contains("# EOF"), "{text}");
        let scrape = m.response();
        assert_eq!(scrape.status, 200);
        assert_eq!(
            scrape.body,
            m.encode().into_bytes(),
            "a scrape counts nothing"
        );
    }
}
