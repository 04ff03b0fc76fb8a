//! The simulator's event log: every health flip, scale and switch, with a
//! timestamp, readable through `/_sim/events` and by tests.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use serde::Serialize;

/// One thing that happened in the simulated world.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimEvent {
    /// Milliseconds since the simulator started.
    pub at_ms: u64,
    /// Wall-clock time, RFC 3339 with milliseconds.
    pub at: String,
    /// `kubernetes`, `cloudflare`, `lb` or `admin`.
    pub source: String,
    /// The region it concerns, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A stable kind, e.g. `origin-unhealthy`, `pool-healthy`, `deployment-scaled`.
    pub kind: String,
    /// Human-readable detail.
    pub detail: String,
}

/// A shared, append-only list of [`SimEvent`]s.
#[derive(Clone, Debug)]
pub struct EventLog {
    started: Instant,
    events: Arc<Mutex<Vec<SimEvent>>>,
}

impl EventLog {
    /// An empty log whose clock starts now.
    pub fn new() -> Self {
        EventLog {
            started: Instant::now(),
            events: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Milliseconds since the log was created.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Appends an event.
    pub fn push(&self, source: &str, region: Option<&str>, kind: &str, detail: impl Into<String>) {
        let event = SimEvent {
            at_ms: self.now_ms(),
            at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            source: source.to_owned(),
            region: region.map(str::to_owned),
            kind: kind.to_owned(),
            detail: detail.into(),
        };
        tracing::debug!(source, region, kind, detail = %event.detail, "sim event");
        self.lock().push(event);
    }

    /// A copy of every event so far.
    pub fn snapshot(&self) -> Vec<SimEvent> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SimEvent>> {
        // A panic while holding this lock cannot leave the Vec inconsistent.
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for EventLog {
    fn default() -> Self {
        Self::new()
    }
}
