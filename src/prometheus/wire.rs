//! The JSON of Prometheus' HTTP API v1 and Alertmanager's API v2, read into
//! the [`Metrics`](super::Metrics) types. Pure functions: the client hands
//! them a body and adds the URL to any `Err(reason)`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;

use super::{ActiveAlert, AlertSource, AlertState, Labels, RangeSeries, Sample};

/// Prometheus' envelope: `{"status": "success", "data": …}` or
/// `{"status": "error", "errorType": …, "error": …}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope {
    pub status: String,
    #[serde(default)]
    pub data: Value,
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// `data` of `/api/v1/query` and `/api/v1/query_range`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryData {
    result_type: String,
    result: Value,
}

#[derive(Debug, Deserialize)]
struct VectorItem {
    #[serde(default)]
    metric: Labels,
    // Absent for a native histogram, which has `histogram` instead.
    value: Option<(f64, String)>,
}

#[derive(Debug, Deserialize)]
struct MatrixItem {
    #[serde(default)]
    metric: Labels,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromAlert {
    #[serde(default)]
    labels: Labels,
    state: String,
    active_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PromAlerts {
    alerts: Vec<PromAlert>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmAlert {
    #[serde(default)]
    labels: Labels,
    starts_at: Option<String>,
    status: Option<AmStatus>,
}

#[derive(Debug, Deserialize)]
struct AmStatus {
    state: String,
}

#[derive(Debug, Deserialize)]
struct RuleGroups {
    groups: Vec<RuleGroup>,
}

#[derive(Debug, Deserialize)]
struct RuleGroup {
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
struct Rule {
    name: String,
    #[serde(rename = "type")]
    kind: String,
}

fn from_data<T: serde::de::DeserializeOwned>(data: Value, what: &str) -> Result<T, String> {
    serde_json::from_value(data).map_err(|e| format!("{what}: {e}"))
}

/// An instant query's `data`: a vector (one sample per series) or a scalar
/// (one sample without labels). Guards compare numbers, so a matrix or a
/// string is a mistake in the query, said as such.
pub(crate) fn instant(data: Value) -> Result<Vec<Sample>, String> {
    let data: QueryData = from_data(data, "not a query result")?;
    match data.result_type.as_str() {
        "vector" => {
            let items: Vec<VectorItem> = from_data(data.result, "not a vector")?;
            items
                .into_iter()
                .map(|item| {
                    let (_, value) = item.value.ok_or_else(|| {
                        "a series has no plain value (a native histogram?); \
                         the query must return plain numbers"
                            .to_owned()
                    })?;
                    Ok(Sample {
                        labels: item.metric,
                        value: number(&value)?,
                    })
                })
                .collect()
        }
        "scalar" => {
            let (_, value): (f64, String) = from_data(data.result, "not a scalar")?;
            Ok(vec![Sample {
                labels: Labels::new(),
                value: number(&value)?,
            }])
        }
        other => Err(format!(
            "the query returned a {other}; it must return a vector or a scalar \
             (drop any range selector such as [5m], or wrap it in a function like rate())"
        )),
    }
}

/// A range query's `data`: a matrix.
pub(crate) fn range(data: Value) -> Result<Vec<RangeSeries>, String> {
    let data: QueryData = from_data(data, "not a query result")?;
    if data.result_type != "matrix" {
        return Err(format!(
            "a range query returned a {}, not a matrix",
            data.result_type
        ));
    }
    let items: Vec<MatrixItem> = from_data(data.result, "not a matrix")?;
    items
        .into_iter()
        .map(|item| {
            let points = item
                .values
                .iter()
                .map(|(at, value)| Ok((instant_at(*at)?, number(value)?)))
                .collect::<Result<_, String>>()?;
            Ok(RangeSeries {
                labels: item.metric,
                points,
            })
        })
        .collect()
}

/// `/api/v1/alerts`' `data`: pending and firing alerts (Prometheus also
/// lists `inactive` ones with `keep_firing_for`; they are not active).
pub(crate) fn prometheus_alerts(data: Value) -> Result<Vec<ActiveAlert>, String> {
    let data: PromAlerts = from_data(data, "not a list of alerts")?;
    Ok(data
        .alerts
        .into_iter()
        .filter_map(|a| {
            let state = match a.state.as_str() {
                "pending" => AlertState::Pending,
                "firing" => AlertState::Firing,
                _ => return None,
            };
            Some(ActiveAlert {
                labels: a.labels,
                state,
                since: a.active_at.as_deref().and_then(timestamp),
                source: AlertSource::Prometheus,
            })
        })
        .collect())
}

/// Alertmanager's `GET /api/v2/alerts` body. Alertmanager only receives
/// firing alerts, so every active one is firing; suppressed ones are left
/// out even if the server ignored the query's filters.
pub(crate) fn alertmanager_alerts(body: Value) -> Result<Vec<ActiveAlert>, String> {
    let alerts: Vec<AmAlert> = from_data(body, "not a list of alerts")?;
    Ok(alerts
        .into_iter()
        .filter(|a| a.status.as_ref().is_none_or(|s| s.state == "active"))
        .map(|a| ActiveAlert {
            labels: a.labels,
            state: AlertState::Firing,
            since: a.starts_at.as_deref().and_then(timestamp),
            source: AlertSource::Alertmanager,
        })
        .collect())
}

/// `/api/v1/rules`' `data`: the alerting rules' names, sorted, each once
/// (groups may repeat a name).
pub(crate) fn alert_rule_names(data: Value) -> Result<Vec<String>, String> {
    let data: RuleGroups = from_data(data, "not a list of rule groups")?;
    let names: std::collections::BTreeSet<String> = data
        .groups
        .into_iter()
        .flat_map(|g| g.rules)
        .filter(|r| r.kind == "alerting")
        .map(|r| r.name)
        .collect();
    Ok(names.into_iter().collect())
}

/// A sample value as Prometheus writes it (Go's `FormatFloat`): a decimal
/// or exponent, `NaN`, `+Inf`, `-Inf`.
pub(crate) fn number(text: &str) -> Result<f64, String> {
    match text {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => text
            .parse()
            .map_err(|_| format!("{text:?} is not a sample value")),
    }
}

/// A sample's time: Unix seconds with a fraction.
fn instant_at(seconds: f64) -> Result<SystemTime, String> {
    Duration::try_from_secs_f64(seconds)
        .map(|d| UNIX_EPOCH + d)
        .map_err(|_| format!("{seconds} is not a time"))
}

/// An RFC 3339 time as Prometheus (nanoseconds, `Z` or a `±hh:mm` offset)
/// and Alertmanager (milliseconds, `Z`) write it. `None` if unreadable: an
/// alert's start is a detail, not worth failing the whole answer for.
pub(crate) fn timestamp(text: &str) -> Option<SystemTime> {
    if let Ok(t) = humantime::parse_rfc3339(text) {
        return Some(t);
    }
    // humantime reads only UTC: move a local time with an offset to UTC.
    let cut = text.len().checked_sub(6)?;
    let (local, offset) = (text.get(..cut)?, text.get(cut..)?);
    let sign = *offset.as_bytes().first()?;
    let (hours, minutes) = offset.get(1..)?.split_once(':')?;
    let shift =
        Duration::from_secs(hours.parse::<u64>().ok()? * 3600 + minutes.parse::<u64>().ok()? * 60);
    let t = humantime::parse_rfc3339(&format!("{local}Z")).ok()?;
    match sign {
        b'+' => t.checked_sub(shift),
        b'-' => t.checked_add(shift),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn a_vector_is_one_sample_per_series_with_special_values() {
        let data = json!({"resultType": "vector", "result": [
            {"metric": {"job": "a"}, "value": [1.5, "1"]},
            {"metric": {"job": "b"}, "value": [1.5, "NaN"]},
            {"metric": {}, "value": [1.5, "+Inf"]},
            {"metric": {}, "value": [1.5, "-Inf"]},
            {"metric": {}, "value": [1.5, "1e-3"]},
        ]});
        let s = instant(data).unwrap();
        assert_eq!(s.len(), 5);
        assert_eq!(s[0].labels.get("job").map(String::as_str), Some("a"));
        assert_eq!(s[0].value, 1.0);
        assert!(s[1].value.is_nan());
        assert_eq!(s[2].value, f64::INFINITY);
        assert_eq!(s[3].value, f64::NEG_INFINITY);
        assert_eq!(s[4].value, 0.001);
    }

    #[test]
    fn a_scalar_is_one_sample_without_labels() {
        let s = instant(json!({"resultType": "scalar", "result": [1.5, "2"]})).unwrap();
        assert_eq!(
            s,
            vec![Sample {
                labels: Labels::new(),
                value: 2.0
            }]
        );
    }

    #[test]
    fn a_matrix_or_string_instant_result_is_refused_with_a_reason() {
        let m = instant(json!({"resultType": "matrix", "result": []})).unwrap_err();
        assert!(m.contains("must return a vector or a scalar"), "{m}");
        let s = instant(json!({"resultType": "string", "result": [1.5, "x"]})).unwrap_err();
        assert!(s.contains("returned a string"), "{s}");
    }

    #[test]
    fn a_bad_value_or_histogram_is_an_error() {
        let bad = json!({"resultType": "vector", "result": [{"metric": {}, "value": [1, "x"]}]});
        assert!(instant(bad).unwrap_err().contains("not a sample value"));
        let hist =
            json!({"resultType": "vector", "result": [{"metric": {}, "histogram": [1, {}]}]});
        assert!(instant(hist).unwrap_err().contains("histogram"));
    }

    #[test]
    fn a_matrix_keeps_points_in_order() {
        let data = json!({"resultType": "matrix", "result": [
            {"metric": {"a": "b"}, "values": [[10, "1"], [11.5, "2"]]}
        ]});
        let r = range(data).unwrap();
        assert_eq!(
            r[0].points,
            vec![(at(10, 0), 1.0), (at(11, 500_000_000), 2.0)]
        );
        assert!(range(json!({"resultType": "vector", "result": []})).is_err());
    }

    #[test]
    fn timestamps_in_utc_with_offsets_and_nanoseconds() {
        let t = at(1_530_735_632, 606_021_440);
        assert_eq!(timestamp("2018-07-04T20:20:32.60602144Z"), Some(t));
        assert_eq!(timestamp("2018-07-04T20:20:32.60602144+00:00"), Some(t));
        assert_eq!(timestamp("2018-07-04T22:20:32.60602144+02:00"), Some(t));
        assert_eq!(timestamp("2018-07-04T15:50:32.60602144-04:30"), Some(t));
        assert_eq!(
            timestamp("2018-07-04T20:20:32.606Z"),
            Some(at(1_530_735_632, 606_000_000))
        );
        assert_eq!(timestamp("yesterday"), None);
        assert_eq!(timestamp(""), None);
        assert_eq!(timestamp("2018-07-04T20:20:32Zé"), None);
    }

    #[test]
    fn prometheus_alerts_skip_inactive_ones() {
        let data = json!({"alerts": [
            {"labels": {"alertname": "A"}, "state": "firing", "activeAt": "2018-07-04T20:20:32Z", "value": "1"},
            {"labels": {"alertname": "B"}, "state": "pending", "activeAt": "garbage"},
            {"labels": {"alertname": "C"}, "state": "inactive"},
        ]});
        let a = prometheus_alerts(data).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].name(), a[0].state), ("A", AlertState::Firing));
        assert_eq!(a[0].since, Some(at(1_530_735_632, 0)));
        assert_eq!(
            (a[1].name(), a[1].state, a[1].since),
            ("B", AlertState::Pending, None)
        );
        assert_eq!(a[1].source, AlertSource::Prometheus);
    }

    #[test]
    fn alertmanager_alerts_are_firing_and_suppressed_ones_are_left_out() {
        let body = json!([
            {"labels": {"alertname": "A"}, "startsAt": "2018-07-04T20:20:32.000Z",
             "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}},
            {"labels": {"alertname": "B"}, "status": {"state": "suppressed"}},
        ]);
        let a = alertmanager_alerts(body).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].name(), a[0].state), ("A", AlertState::Firing));
        assert_eq!(a[0].source, AlertSource::Alertmanager);
        assert_eq!(a[0].since, Some(at(1_530_735_632, 0)));
    }

    #[test]
    fn rule_names_are_alerting_rules_sorted_once() {
        let data = json!({"groups": [
            {"name": "g1", "rules": [{"name": "Z", "type": "alerting"}, {"name": "r", "type": "recording"}]},
            {"name": "g2", "rules": [{"name": "A", "type": "alerting"}, {"name": "Z", "type": "alerting"}]},
        ]});
        assert_eq!(alert_rule_names(data).unwrap(), ["A", "Z"]);
    }
}
