//! What became of a run's notifications: only the ones not delivered are
//! facts worth a note (a warning that never changes the verdict).

/// A `notify` target that did not get everything it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undelivered {
    /// The target's name from the manifest.
    pub target: String,
    /// Its URL's scheme and host (never the path, where tokens live);
    /// `None` when there was no URL to show.
    pub shown: Option<String>,
    /// How many notifications it was not given.
    pub failed: u32,
    /// How many it was sent (events: one per step; otherwise one).
    pub of: u32,
    /// Why the last one that failed did.
    pub why: NotDelivered,
    /// Tries made for that one (0: nothing was sent).
    pub tries: u32,
}

/// Why a notification was not delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotDelivered {
    /// The URL's variable is unset or empty.
    VariableUnset {
        /// The variable's name.
        variable: String,
    },
    /// The variable holds no http(s) URL with a host.
    InvalidUrl,
    /// The receiver answered this non-2xx status.
    Status(u16),
    /// No try was answered in time.
    TimedOut,
    /// No connection or no answer (`connect`, `request` or `body`).
    Transport {
        /// Which.
        kind: &'static str,
    },
    /// Still being sent when the run's wait for it (timeout × tries)
    /// ended, behind earlier events to a slow receiver.
    Unfinished,
    /// No HTTP client could be made to send it.
    NoClient,
}
