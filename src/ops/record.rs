//! What drills and rollouts record on the cluster before they change
//! anything (docs/drills.md step 3, docs/rollouts.md), and how those records are read
//! back. A drill's record is the `ocfail.dev/drill` annotation on the live
//! Deployment; a rollout's (or rollback's) is `ocfail.dev/rollout` on the
//! live Service. Either way `ocfail restore` can put everything back after
//! a crash, from any machine.

use serde::{Deserialize, Serialize};

use crate::manifest::DrillMethod;
use crate::ops::process::ProcessId;

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
    /// The process that runs the drill, so `ocfail restore` on the same
    /// machine can tell a crashed drill from a live one at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessId>,
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

/// The `ocfail.dev/rollout` annotation's content: enough to put the region
/// back exactly as it was before the rollout (or rollback) began.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutRecord {
    /// The run that changed the region.
    pub run_id: String,
    /// `rollout` or `rollback`.
    pub kind: String,
    /// The live colour before the run (what restore switches back to).
    pub from_color: String,
    /// The colour being promoted.
    pub to_color: String,
    /// The image being promoted.
    pub image: String,
    /// The live image before the run.
    pub previous_image: String,
    /// The live colour's replicas before the run (what it is scaled back
    /// to if it was scaled down).
    pub replicas: i32,
    /// The promoted colour's image before the run.
    pub idle_image: String,
    /// The promoted colour's replicas before the run.
    pub idle_replicas: i32,
    /// The colour `<service>-preview` selected before the run, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_color: Option<String>,
    /// RFC 3339 time the run started on this region.
    pub started_at: String,
    /// `user@host` that ran it.
    pub by: String,
    /// The process that runs it (see [`DrillRecord::process`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessId>,
}

impl RolloutRecord {
    /// The annotation value.
    pub fn to_json(&self) -> String {
        // A struct of strings and numbers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses an annotation value.
    pub fn parse(value: &str) -> Result<RolloutRecord, serde_json::Error> {
        serde_json::from_str(value)
    }
}

/// `user@host` from a lock holder (`ocfail/<command>/<user>@<host>/<runId>`),
/// for a record's `by`.
pub fn by(holder: &str) -> String {
    holder.rsplit('/').nth(1).unwrap_or("unknown").to_owned()
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
            process: None,
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

    #[test]
    fn rollout_record_keeps_the_documented_keys() {
        let r = RolloutRecord {
            run_id: "r1".to_owned(),
            kind: "rollout".to_owned(),
            from_color: "blue".to_owned(),
            to_color: "green".to_owned(),
            image: "reg/api:1.5.0".to_owned(),
            previous_image: "reg/api:1.4.2".to_owned(),
            replicas: 3,
            idle_image: "reg/api:1.4.1".to_owned(),
            idle_replicas: 0,
            preview_color: Some("green".to_owned()),
            started_at: "2026-12-01T12:00:00Z".to_owned(),
            by: "ci@runner".to_owned(),
            process: None,
        };
        let json = r.to_json();
        for key in ["runId", "fromColor", "toColor", "image", "previousImage"] {
            assert!(json.contains(&format!("\"{key}\"")), "{json}");
        }
        assert_eq!(RolloutRecord::parse(&json).unwrap(), r);
        assert_eq!(by("ocfail/rollout/ci@runner/r1"), "ci@runner");
    }
}
