//! [`Metrics`] implemented with reqwest against Prometheus' HTTP API v1 and
//! Alertmanager's API v2. One attempt per call, no retries: guards poll on
//! their own schedule, so a failed read is simply asked again later. Base
//! URLs, credentials and form bodies are in `client/request.rs`, the JSON
//! is read in `wire.rs`.

mod request;

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderValue};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

pub use self::request::Auth;
use self::request::{Base, authorization, form, unix_seconds};

use super::wire::{self, Envelope};
use super::{ActiveAlert, Metrics, PromError, RangeSeries, Sample};

/// A client for one Prometheus and optionally its Alertmanager. Clones
/// share one connection pool; `Debug` never shows credentials.
#[derive(Clone)]
pub struct PromClient {
    http: reqwest::Client,
    prometheus: Base,
    alertmanager: Option<Base>,
    /// The `Authorization` header's value, marked sensitive.
    authorization: Option<HeaderValue>,
    auth: Auth,
    timeout: Duration,
}

impl fmt::Debug for PromClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PromClient")
            .field("prometheus", &self.prometheus.shown)
            .field(
                "alertmanager",
                &self.alertmanager.as_ref().map(|b| &b.shown),
            )
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PromClient {
    /// A client for Prometheus at `url` (a path prefix such as
    /// `http://host/prometheus` is kept) and, when given, Alertmanager at
    /// `alertmanager_url`, which then answers [`Metrics::alerts`]. Every
    /// request, connecting included, must finish within `timeout`. Fails on
    /// a URL that is not http(s) and on credentials that cannot be sent in a
    /// header; nothing is contacted yet.
    pub fn new(
        url: &str,
        alertmanager_url: Option<&str>,
        auth: Auth,
        timeout: Duration,
    ) -> Result<Self, PromError> {
        let prometheus = Base::parse(url)?;
        let alertmanager = alertmanager_url.map(Base::parse).transpose()?;
        let refused = |reason: String| PromError::Unreachable {
            url: prometheus.shown.clone(),
            reason,
        };
        let in_url =
            prometheus.has_credentials || alertmanager.as_ref().is_some_and(|b| b.has_credentials);
        if in_url && !matches!(auth, Auth::None) {
            // reqwest would send both, as two Authorization headers.
            return Err(refused(
                "credentials both in the URL and given separately; keep one".to_owned(),
            ));
        }
        let authorization = authorization(&auth).map_err(refused)?;
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("ocfail/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .map_err(|e| PromError::Unreachable {
                url: prometheus.shown.clone(),
                reason: format!("could not set up HTTP ({e})"),
            })?;
        Ok(PromClient {
            http,
            prometheus,
            alertmanager,
            authorization,
            auth,
            timeout,
        })
    }

    /// Sends `req` and returns the status and body; transport failures
    /// become [`PromError::Timeout`] or [`PromError::Unreachable`].
    async fn send(
        &self,
        req: RequestBuilder,
        shown: &str,
    ) -> Result<(StatusCode, String), PromError> {
        let mut req = req.header(header::ACCEPT, "application/json");
        if let Some(value) = &self.authorization {
            req = req.header(header::AUTHORIZATION, value.clone());
        }
        let transport = |e: reqwest::Error| self.transport_error(e, shown);
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let body = resp.text().await.map_err(transport)?;
        tracing::debug!(url = shown, status = status.as_u16(), "prometheus answer");
        if matches!(status.as_u16(), 401 | 403) {
            return Err(PromError::Unauthorized {
                url: shown.to_owned(),
                status: status.as_u16(),
            });
        }
        Ok((status, body))
    }

    fn transport_error(&self, e: reqwest::Error, shown: &str) -> PromError {
        if e.is_timeout() {
            return PromError::Timeout {
                url: shown.to_owned(),
                timeout: self.timeout,
            };
        }
        PromError::Unreachable {
            url: shown.to_owned(),
            reason: root_cause(e),
        }
    }

    /// A Prometheus API call: the envelope's `data`, or its error.
    async fn prometheus_data(&self, path: &str, form: Option<String>) -> Result<Value, PromError> {
        let (url, shown) = self.prometheus.join(path);
        let req = match form {
            Some(body) => self
                .http
                .post(url)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body),
            None => self.http.get(url),
        };
        let (status, body) = self.send(req, &shown).await?;
        let unexpected = |reason: String| PromError::Decode {
            url: shown.clone(),
            reason,
        };
        let envelope = match serde_json::from_str::<Envelope>(&body) {
            Ok(envelope) => envelope,
            Err(e) if status.is_success() => {
                return Err(unexpected(format!("not Prometheus' JSON ({e})")));
            }
            Err(_) => return Err(status_error(&shown, status)),
        };
        match envelope.status.as_str() {
            "success" if status.is_success() => Ok(envelope.data),
            // Prometheus' documented error statuses: bad_data, execution,
            // timeout/canceled; anything else is not about the query.
            "error" if status.is_success() || matches!(status.as_u16(), 400 | 422 | 503) => {
                Err(PromError::Query {
                    error_type: envelope.error_type.unwrap_or_default(),
                    error: envelope.error.unwrap_or_default(),
                })
            }
            _ if !status.is_success() => Err(status_error(&shown, status)),
            other => Err(unexpected(format!("status {other:?}"))),
        }
    }
}

impl Metrics for PromClient {
    async fn query(&self, promql: &str) -> Result<Vec<Sample>, PromError> {
        let data = self
            .prometheus_data("/api/v1/query", Some(form(&[("query", promql)])))
            .await?;
        wire::instant(data).map_err(|reason| self.decode("/api/v1/query", reason))
    }

    async fn query_range(
        &self,
        promql: &str,
        start: SystemTime,
        end: SystemTime,
        step: Duration,
    ) -> Result<Vec<RangeSeries>, PromError> {
        let body = form(&[
            ("query", promql),
            ("start", &unix_seconds(start)),
            ("end", &unix_seconds(end)),
            ("step", &step.as_secs_f64().to_string()),
        ]);
        let data = self
            .prometheus_data("/api/v1/query_range", Some(body))
            .await?;
        wire::range(data).map_err(|reason| self.decode("/api/v1/query_range", reason))
    }

    async fn alerts(&self) -> Result<Vec<ActiveAlert>, PromError> {
        let Some(am) = &self.alertmanager else {
            let data = self.prometheus_data("/api/v1/alerts", None).await?;
            return wire::prometheus_alerts(data)
                .map_err(|reason| self.decode("/api/v1/alerts", reason));
        };
        let (url, shown) =
            am.join("/api/v2/alerts?active=true&silenced=false&inhibited=false&unprocessed=false");
        let (status, body) = self.send(self.http.get(url), &shown).await?;
        if !status.is_success() {
            return Err(status_error(&shown, status));
        }
        serde_json::from_str(&body)
            .map_err(|e| format!("not Alertmanager's JSON ({e})"))
            .and_then(wire::alertmanager_alerts)
            .map_err(|reason| PromError::Decode { url: shown, reason })
    }

    async fn alert_rules(&self) -> Result<Vec<String>, PromError> {
        let data = self
            .prometheus_data("/api/v1/rules?type=alert", None)
            .await?;
        wire::alert_rule_names(data).map_err(|reason| self.decode("/api/v1/rules", reason))
    }
}

impl PromClient {
    fn decode(&self, path: &str, reason: String) -> PromError {
        PromError::Decode {
            url: self.prometheus.join(path).1,
            reason,
        }
    }
}

fn status_error(shown: &str, status: StatusCode) -> PromError {
    PromError::Status {
        url: shown.to_owned(),
        status: status.as_u16(),
    }
}

/// The innermost cause of a reqwest error (e.g. "Connection refused"),
/// which says more than reqwest's own "error sending request"; never the
/// URL, which may hold user info.
fn root_cause(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut cause: &dyn std::error::Error = &e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_and_errors() {
        let basic = Auth::Basic {
            username: "me".into(),
            password: "s3cret-pw".into(),
        };
        let both = PromClient::new("http://u:hunter2@h", None, basic.clone(), Duration::ZERO);
        assert!(both.unwrap_err().to_string().contains("both in the URL"));
        let client = PromClient::new(
            "http://h:9090/p",
            Some("http://h:9093"),
            basic,
            Duration::ZERO,
        )
        .unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("s3cret-pw"), "{debug}");
        assert!(debug.contains("\"me\""), "{debug}");
        let client = PromClient::new(
            "http://user:hunter2@h:9090/p",
            None,
            Auth::None,
            Duration::ZERO,
        )
        .unwrap();
        let debug = format!("{client:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("user"),
            "{debug}"
        );
        assert!(
            !client
                .decode("/x", String::new())
                .to_string()
                .contains("hunter2")
        );

        let bearer = Auth::Bearer("tok-secret".into());
        assert_eq!(format!("{bearer:?}"), "Bearer(<redacted>)");
        let err = PromClient::new(
            "http://h",
            None,
            Auth::Bearer("a\nb".into()),
            Duration::ZERO,
        )
        .unwrap_err();
        assert!(err.to_string().contains("control character"), "{err}");
        let err = Base::parse("http//user:hunter2@h").err().unwrap();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
