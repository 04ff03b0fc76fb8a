//! Prometheus and Alertmanager, as drills and rollouts ask them about
//! alerts and service levels (docs/prometheus.md): the guard queries'
//! placeholders and quoting ([`query`]), and the [`Metrics`] trait the
//! operations use, which [`PromClient`] implements against the real HTTP
//! APIs (`client.rs`, the JSON in `wire.rs`) and unit tests implement in
//! memory.

pub mod client;
pub mod query;
mod wire;

pub use client::{Auth, PromClient};

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime};

/// A series' labels, sorted by name.
pub type Labels = BTreeMap<String, String>;

/// One series of an instant query's result (a scalar result is one series
/// without labels).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The series' labels.
    pub labels: Labels,
    /// Its value (Prometheus may answer `NaN` or `±Inf`).
    pub value: f64,
}

/// One series of a range query's result.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeSeries {
    /// The series' labels.
    pub labels: Labels,
    /// `(when, value)`, oldest first.
    pub points: Vec<(SystemTime, f64)>,
}

/// An alert's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertState {
    /// Its expression holds, its `for:` has not yet passed (Prometheus only).
    Pending,
    /// Firing.
    Firing,
}

/// Who told us of an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertSource {
    /// Alertmanager's `/api/v2/alerts` (active, neither silenced nor inhibited).
    Alertmanager,
    /// Prometheus' `/api/v1/alerts`.
    Prometheus,
}

/// One active alert.
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveAlert {
    /// Its labels, `alertname` included.
    pub labels: Labels,
    /// Pending or firing.
    pub state: AlertState,
    /// Since when (Prometheus' `activeAt`, Alertmanager's `startsAt`).
    pub since: Option<SystemTime>,
    /// Where it was read.
    pub source: AlertSource,
}

impl ActiveAlert {
    /// Its `alertname` label.
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", String::as_str)
    }
}

/// Why Prometheus or Alertmanager gave no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PromError {
    /// Nothing answered (connection refused, DNS, TLS).
    #[error("{url} did not answer: {reason}")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The transport's own words.
        reason: String,
    },
    /// No answer within the request timeout.
    #[error("{url} did not answer within {timeout:?}")]
    Timeout {
        /// The URL asked.
        url: String,
        /// The timeout.
        timeout: Duration,
    },
    /// 401 or 403.
    #[error("{url} refused the credentials (HTTP {status})")]
    Unauthorized {
        /// The URL asked.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The query is wrong (400 `bad_data`) or could not run (422
    /// `execution`, 503 `timeout`…): Prometheus' `errorType` and `error`.
    #[error("the query failed ({error_type}): {error}")]
    Query {
        /// Prometheus' `errorType`.
        error_type: String,
        /// Prometheus' `error`.
        error: String,
    },
    /// Any other status code.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL asked.
        url: String,
        /// The status code.
        status: u16,
    },
    /// A credential's environment variable is not set.
    #[error("the environment variable {var} is not set")]
    Credentials {
        /// The variable the manifest names.
        var: String,
    },
    /// An answer that is not what the API documents.
    #[error("{url} answered something unexpected: {reason}")]
    Decode {
        /// The URL asked.
        url: String,
        /// What was wrong.
        reason: String,
    },
}

/// What operations ask of Prometheus and Alertmanager.
pub trait Metrics: Send + Sync {
    /// An instant query at the current time (`POST /api/v1/query`).
    fn query(&self, promql: &str) -> impl Future<Output = Result<Vec<Sample>, PromError>> + Send;

    /// A range query (`POST /api/v1/query_range`).
    fn query_range(
        &self,
        promql: &str,
        start: SystemTime,
        end: SystemTime,
        step: Duration,
    ) -> impl Future<Output = Result<Vec<RangeSeries>, PromError>> + Send;

    /// Active alerts: from Alertmanager when one is configured (neither
    /// silenced nor inhibited), else Prometheus' pending and firing ones.
    fn alerts(&self) -> impl Future<Output = Result<Vec<ActiveAlert>, PromError>> + Send;

    /// The names of the alerting rules Prometheus has loaded (`/api/v1/rules`).
    fn alert_rules(&self) -> impl Future<Output = Result<Vec<String>, PromError>> + Send;
}
