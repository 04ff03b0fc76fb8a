//! What a drill records on the cluster before it changes anything
//! (DESIGN.md §6.1 step 3), and how that record is read back. The record is
//! the `ocfail.dev/drill` annotation on the live Deployment, so `ocfail
//! restore` can put everything back after a crash, from any machine.

use serde::{Deserialize, Serialize};

use crate::manifest::DrillMethod;

/// The `ocfail.dev/drill` annotation's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillRecord {
    /// The run that changed the region.
    pub run_id: String,
    /// The live Deployment's replicas before the drill.
    pub replicas: i32,
    /// `scale-to-zero` or `disable-pool`.
    pub method: String,
    /// RFC 3339 time the drill started.
    pub started_at: String,
    /// `user@host` that ran it.
    pub by: String,
    /// The pool's `enabled` before the drill (disable-pool only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_enabled: Option<bool>,
    /// The pool's id (disable-pool only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_id: Option<String>,
}

impl DrillRecord {
    /// The method as the manifest type.
    pub fn method(&self) -> Option<DrillMethod> {
        match self.method.as_str() {
            "scale-to-zero" => Some(DrillMethod::ScaleToZero),
            "disable-pool" => Some(DrillMethod::DisablePool),
            _ => None,
        }
    }

    /// The annotation value.
    pub fn to_json(&self) -> String {
        // A struct of strings and numbers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses an annotation value.
    pub fn parse(value: &str) -> Result<DrillRecord, serde_json::Error> {
        serde_json::from_str(value)
    }
}

/// The name of a drill method as records spell it.
pub fn method_name(method: DrillMethod) -> &'static str {
    match method {
        DrillMethod::ScaleToZero => "scale-to-zero",
        DrillMethod::DisablePool => "disable-pool",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_keeps_the_documented_keys() {
        let r = DrillRecord {
            run_id: "20261128t120000-abc123".to_owned(),
            replicas: 3,
            method: "scale-to-zero".to_owned(),
            started_at: "2026-11-28T12:00:00Z".to_owned(),
            by: "alice@host".to_owned(),
            pool_enabled: None,
            pool_id: None,
        };
        let json = r.to_json();
        for key in [
            "\"runId\"",
            "\"replicas\"",
            "\"method\"",
            "\"startedAt\"",
            "\"by\"",
        ] {
            assert!(json.contains(key), "{json}");
        }
        assert!(!json.contains("poolEnabled"));
        assert_eq!(DrillRecord::parse(&json).unwrap(), r);
        assert_eq!(r.method(), Some(DrillMethod::ScaleToZero));
    }
}
