//! Pool health and preview results, read from either shape Cloudflare's
//! sources give (docs/cloudflare-api.md):
//!
//! - the spec example and the legacy Go SDK's tested fixture: `pop_health`
//!   maps a location label to `{healthy, origins: [{"<address>": {…}}]}`;
//! - the 2026 Go SDK model: `pop_health` is one `{healthy, origins}` object
//!   and each origin is `{"ip": {…}}`.
//!
//! Both become [`PoolHealth`]; the second gets one location named
//! [`UNLABELLED_LOCATION`]. RTTs are Go duration strings (`12.1ms`, `1.2s`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{LocationHealth, OriginHealth, PoolHealth, PreviewResult};

/// The location label used when the answer names none (the single-object
/// shape of `pop_health`).
pub const UNLABELLED_LOCATION: &str = "(all locations)";

impl TryFrom<Value> for PoolHealth {
    type Error = String;

    fn try_from(v: Value) -> Result<Self, Self::Error> {
        let Value::Object(obj) = v else {
            return Err(format!("pool health is {}, not an object", kind(&v)));
        };
        let pool_id = obj
            .get("pool_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut locations = BTreeMap::new();
        match obj.get("pop_health") {
            None | Some(Value::Null) => {}
            Some(Value::Object(pops)) if is_location(pops) => {
                locations.insert(UNLABELLED_LOCATION.to_owned(), location(pops)?);
            }
            Some(Value::Object(pops)) => {
                for (label, view) in pops {
                    let Value::Object(view) = view else {
                        return Err(format!("pop_health[{label:?}] is {}", kind(view)));
                    };
                    let health =
                        location(view).map_err(|e| format!("pop_health[{label:?}]: {e}"))?;
                    locations.insert(label.clone(), health);
                }
            }
            Some(other) => return Err(format!("pop_health is {}", kind(other))),
        }
        Ok(PoolHealth { pool_id, locations })
    }
}

impl TryFrom<Value> for PreviewResult {
    type Error = String;

    fn try_from(v: Value) -> Result<Self, Self::Error> {
        let pools = match v {
            // Not ready yet reads as "no pools": the caller polls on.
            Value::Null => BTreeMap::new(),
            Value::Object(map) => map
                .iter()
                .map(|(id, view)| match view {
                    Value::Object(view) => location(view)
                        .map(|h| (id.clone(), h))
                        .map_err(|e| format!("preview result for pool {id}: {e}")),
                    other => Err(format!("preview result for pool {id} is {}", kind(other))),
                })
                .collect::<Result<_, _>>()?,
            other => return Err(format!("preview result is {}, not an object", kind(&other))),
        };
        Ok(PreviewResult { pools })
    }
}

/// `{healthy: bool, origins: …}` rather than a map of such objects.
fn is_location(map: &Map<String, Value>) -> bool {
    map.get("healthy").is_some_and(Value::is_boolean)
        || map.get("origins").is_some_and(Value::is_array)
}

fn location(map: &Map<String, Value>) -> Result<LocationHealth, String> {
    let healthy = map.get("healthy").and_then(Value::as_bool).unwrap_or(false);
    let mut origins = Vec::new();
    match map.get("origins") {
        None | Some(Value::Null) => {}
        // The documented shape: an array of single-key objects.
        Some(Value::Array(items)) => {
            for item in items {
                let Value::Object(item) = item else {
                    return Err(format!("an origin is {}", kind(item)));
                };
                if item.get("healthy").is_some_and(Value::is_boolean) {
                    // Flat `{address, healthy, …}`: not documented, but
                    // unambiguous, so read it rather than fail.
                    let address = item
                        .get("address")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    origins.push(origin(address, item));
                    continue;
                }
                for (address, data) in item {
                    origins.push(origin_value(address, data)?);
                }
            }
        }
        // A map address → data reads the same way.
        Some(Value::Object(items)) => {
            for (address, data) in items {
                origins.push(origin_value(address, data)?);
            }
        }
        Some(other) => return Err(format!("origins is {}", kind(other))),
    }
    Ok(LocationHealth { healthy, origins })
}

fn origin_value(address: &str, data: &Value) -> Result<OriginHealth, String> {
    match data {
        Value::Object(data) => Ok(origin(address, data)),
        other => Err(format!("origin {address:?} is {}", kind(other))),
    }
}

fn origin(address: &str, data: &Map<String, Value>) -> OriginHealth {
    let rtt_ms = match data.get("rtt") {
        Some(Value::String(s)) => parse_rtt_ms(s),
        // A bare number would be milliseconds; no source shows one.
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    };
    // The Go SDK types the code as a float; 0 means "no HTTP answer".
    let response_code = data
        .get("response_code")
        .and_then(Value::as_f64)
        .filter(|c| (1.0..=999.0).contains(c))
        .map(|c| c as u16);
    OriginHealth {
        address: address.to_owned(),
        healthy: data
            .get("healthy")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        rtt_ms,
        failure_reason: data
            .get("failure_reason")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        response_code,
    }
}

/// A Go duration string (`66ms`, `12.1ms`, `1.2s`, `1m2.5s`, `800µs`) in
/// milliseconds; `None` when it is not one.
pub fn parse_rtt_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut rest = s;
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1e-6,
            "us" | "µs" | "μs" => 1e-3,
            "ms" => 1.0,
            "s" => 1e3,
            "m" => 60e3,
            "h" => 3600e3,
            _ => return None,
        };
        total += number * factor;
        rest = &rest[unit_len..];
    }
    Some(total)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spec_shape_map_of_locations() {
        let h: PoolHealth = serde_json::from_value(json!({
            "pool_id": "17b5962d775c646f3f9725cbc7a53df4",
            "pop_health": {"Amsterdam, NL": {"healthy": true, "origins": [
                {"2001:DB8::5": {"healthy": true, "rtt": "12.1ms",
                                 "failure_reason": "No failures", "response_code": 401}}]}}
        }))
        .unwrap();
        assert_eq!(h.pool_id, "17b5962d775c646f3f9725cbc7a53df4");
        let ams = &h.locations["Amsterdam, NL"];
        assert!(ams.healthy);
        assert_eq!(
            ams.origins,
            [OriginHealth {
                address: "2001:DB8::5".into(),
                healthy: true,
                rtt_ms: Some(12.1),
                failure_reason: "No failures".into(),
                response_code: Some(401),
            }]
        );
    }

    #[test]
    fn go_sdk_shape_single_object() {
        let h: PoolHealth = serde_json::from_value(json!({
            "pool_id": "p",
            "pop_health": {"healthy": false, "origins": [
                {"ip": {"healthy": false, "rtt": "1.2s", "failure_reason": "HTTP timeout occurred",
                        "response_code": 0.0}}]}
        }))
        .unwrap();
        let all = &h.locations[UNLABELLED_LOCATION];
        assert!(!all.healthy);
        assert_eq!(all.origins[0].address, "ip");
        assert_eq!(all.origins[0].rtt_ms, Some(1200.0));
        assert_eq!(all.origins[0].response_code, None);
        assert_eq!(all.origins[0].failure_reason, "HTTP timeout occurred");
    }

    #[test]
    fn missing_pieces_are_not_errors_but_wrong_types_are() {
        let h: PoolHealth = serde_json::from_value(json!({"pop_health": null})).unwrap();
        assert!(h.locations.is_empty());
        let e = serde_json::from_value::<PoolHealth>(json!({"pop_health": {"X": 3}})).unwrap_err();
        assert!(
            e.to_string().contains("pop_health[\"X\"] is a number"),
            "{e}"
        );
        assert!(serde_json::from_value::<PoolHealth>(json!([])).is_err());
    }

    #[test]
    fn preview_result_by_pool() {
        let r: PreviewResult = serde_json::from_value(json!({
            "abwlnp5jbqn45ecgxd03erbgtxtqai0d": {"healthy": true, "origins": [
                {"originone.example.com.": {"failure_reason": "No failures", "healthy": true,
                                            "response_code": 200, "rtt": "66ms"}}]}
        }))
        .unwrap();
        let p = &r.pools["abwlnp5jbqn45ecgxd03erbgtxtqai0d"];
        assert_eq!(p.origins[0].address, "originone.example.com.");
        assert_eq!(p.origins[0].rtt_ms, Some(66.0));
        let empty: PreviewResult = serde_json::from_value(Value::Null).unwrap();
        assert!(empty.pools.is_empty());
    }

    #[test]
    fn rtt_strings() {
        for (s, ms) in [
            ("66ms", 66.0),
            ("12.1ms", 12.1),
            ("1.2s", 1200.0),
            ("1m2.5s", 62_500.0),
            ("800µs", 0.8),
            ("0ms", 0.0),
        ] {
            let got = parse_rtt_ms(s).unwrap();
            assert!((got - ms).abs() < 1e-9, "{s}: {got}");
        }
        for bad in ["", "ms", "12", "12 parsecs", "1..2s"] {
            assert_eq!(parse_rtt_ms(bad), None, "{bad}");
        }
    }
}
