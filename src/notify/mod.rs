//! Notifications to webhooks (issue #17, item 3): what to send
//! ([`Payload`]), where ([`Target`]) and the bounded, retried delivery
//! ([`send`], in `send.rs`) that answers a typed [`Delivery`] and never
//! panics or hangs. An adapter like `cloudflare/` and `prometheus/`: it
//! knows HTTP and the three wire formats, not drills or reports, so callers
//! hand it text and documents they already made.

mod send;

pub use send::{http_client, send};

use std::fmt;

use reqwest::Url;
use serde::Serialize;
use serde_json::{Value, json};

/// Where a notification goes. The URL comes from an environment variable
/// the caller resolves; it is a credential (a Slack webhook URL is one), so
/// `Debug` and every error show only its scheme and host.
#[derive(Clone)]
pub struct Target {
    /// The webhook URL, secret.
    pub url: String,
    /// What the receiver expects.
    pub format: Format,
}

impl Target {
    /// The URL's scheme and host (and port), safe to print.
    pub fn shown(&self) -> String {
        shown(&self.url)
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.shown())
            .field("format", &self.format)
            .finish()
    }
}

/// A receiver's wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Slack's incoming-webhook JSON (`text` and `blocks`), which Mattermost
    /// and many others accept.
    Slack,
    /// A document the caller serialized (the report), sent as is.
    Json,
    /// One small event object per step ([`Event`]).
    Events,
}

/// What to send; its variant must match the target's [`Format`].
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// For [`Format::Slack`].
    Slack(SlackMessage),
    /// For [`Format::Json`]: the document, already serialized.
    Json(Value),
    /// For [`Format::Events`].
    Event(Event),
}

impl Payload {
    /// The format this payload is for.
    pub fn format(&self) -> Format {
        match self {
            Payload::Slack(_) => Format::Slack,
            Payload::Json(_) => Format::Json,
            Payload::Event(_) => Format::Events,
        }
    }

    /// The JSON body that goes on the wire.
    pub fn body(&self) -> Value {
        match self {
            Payload::Slack(m) => m.to_json(),
            Payload::Json(v) => v.clone(),
            // Serializing plain strings and a unit enum cannot fail.
            Payload::Event(e) => serde_json::to_value(e).unwrap_or(Value::Null),
        }
    }
}

/// A Slack message: the plain `text` (shown in notifications and by
/// receivers without blocks), an optional `plain_text` header block, and
/// one `mrkdwn` section block per entry of `sections`. The caller writes
/// them; nothing here makes sentences.
#[derive(Clone, Debug, PartialEq)]
pub struct SlackMessage {
    /// The fallback text.
    pub text: String,
    /// The header block's text, above the sections.
    pub header: Option<String>,
    /// The sections' mrkdwn texts, in order.
    pub sections: Vec<String>,
}

/// The longest header Slack accepts, in characters.
const HEADER_MAX: usize = 150;

/// The longest section text Slack accepts, in characters.
const SECTION_MAX: usize = 3000;

impl SlackMessage {
    /// `{"text": …, "blocks": [{"type": "header", …}, {"type": "section",
    /// "text": {"type": "mrkdwn", "text": …}}, …]}`. Texts longer than
    /// Slack takes are cut (ending in `…`): Slack refuses the whole
    /// message otherwise.
    pub fn to_json(&self) -> Value {
        let header = self.header.iter().map(|h| {
            json!({"type": "header", "text": {"type": "plain_text", "text": cut(h, HEADER_MAX)}})
        });
        let sections = self.sections.iter().map(
            |s| json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(s, SECTION_MAX)}}),
        );
        let blocks: Vec<Value> = header.chain(sections).collect();
        json!({"text": self.text, "blocks": blocks})
    }
}

/// `text`, or its first `max - 1` characters and `…`.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One step of a run, for [`Format::Events`]:
/// `{"event": "failed-over", "run": …, "command": …, "region": …, "verdict": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// What happened.
    pub event: EventKind,
    /// The run's id.
    pub run: String,
    /// The command (`drill`, `rollout`, `practice`, …).
    pub command: String,
    /// The region concerned, if one is.
    pub region: Option<String>,
    /// The verdict, once there is one.
    pub verdict: Option<String>,
}

/// The steps an event reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// The run began.
    Started,
    /// The run refused to start.
    Refused,
    /// Traffic left the region.
    FailedOver,
    /// Traffic came back.
    Restored,
    /// The run ended.
    Finished,
    /// The run ended without putting everything back.
    RestoreIncomplete,
}

/// How a notification ended. `Display` and `Debug` never show the URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The receiver answered 2xx.
    Delivered {
        /// The HTTP status.
        status: u16,
        /// Attempts made, this one included.
        tries: u32,
    },
    /// Not delivered, for `reason`.
    Failed {
        /// Why the last attempt (or the setup) failed.
        reason: FailReason,
        /// Attempts made (0 when nothing was sent).
        tries: u32,
    },
}

impl Delivery {
    /// Whether the receiver took it.
    pub fn is_delivered(&self) -> bool {
        matches!(self, Delivery::Delivered { .. })
    }
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Delivery::Delivered { status, tries } => {
                write!(f, "delivered (HTTP {status}) after {tries} tries")
            }
            Delivery::Failed { reason, tries } => {
                write!(f, "not delivered after {tries} tries: {reason}")
            }
        }
    }
}

/// Why a notification was not delivered; holds no URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailReason {
    /// The URL is not an http(s) URL with a host.
    InvalidUrl,
    /// The payload is for another format than the target's.
    FormatMismatch {
        /// The target's format.
        target: Format,
        /// The payload's.
        payload: Format,
    },
    /// The receiver answered this non-2xx status (the last one, after
    /// retries where they apply).
    Status(u16),
    /// An attempt did not finish within its time.
    TimedOut,
    /// No connection or no answer; `kind` says which, without the URL.
    Transport {
        /// `connect`, `request` or `body`.
        kind: &'static str,
    },
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailReason::InvalidUrl => f.write_str("the URL is not an http(s) URL with a host"),
            FailReason::FormatMismatch { target, payload } => {
                write!(f, "a {payload:?} payload for a {target:?} target")
            }
            FailReason::Status(s) => write!(f, "the receiver answered HTTP {s}"),
            FailReason::TimedOut => f.write_str("timed out"),
            FailReason::Transport { kind } => write!(f, "{kind} error"),
        }
    }
}

/// `url`'s scheme and host (and port), or a placeholder when it does not
/// parse: never its path, query or user info, where webhook tokens live.
pub fn shown(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", u.scheme()),
            (Some(host), None) => format!("{}://{host}", u.scheme()),
            (None, _) => format!("{}://<no host>", u.scheme()),
        },
        Err(_) => "<invalid URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_keeps_only_scheme_and_host() {
        let secret = "https://user:pw@hooks.example.com:8443/services/T000/B000/XXXX?token=y";
        assert_eq!(shown(secret), "https://hooks.example.com:8443");
        assert_eq!(shown("not a url /T000/B000"), "<invalid URL>");
        let t = Target {
            url: secret.to_owned(),
            format: Format::Slack,
        };
        let debug = format!("{t:?}");
        assert!(!debug.contains("XXXX") && !debug.contains("pw"), "{debug}");
    }

    #[test]
    fn event_and_slack_bodies() {
        let e = Payload::Event(Event {
            event: EventKind::RestoreIncomplete,
            run: "r1".to_owned(),
            command: "drill".to_owned(),
            region: Some("eu".to_owned()),
            verdict: None,
        });
        assert_eq!(
            e.body(),
            json!({"event": "restore-incomplete", "run": "r1", "command": "drill",
                   "region": "eu", "verdict": null})
        );
        let s = Payload::Slack(SlackMessage {
            text: "t".to_owned(),
            header: None,
            sections: vec!["*a*".to_owned()],
        });
        assert_eq!(
            s.body(),
            json!({"text": "t", "blocks": [{"type": "section",
                   "text": {"type": "mrkdwn", "text": "*a*"}}]})
        );
        let h = SlackMessage {
            text: "t".to_owned(),
            header: Some("x".repeat(200)),
            sections: vec!["*a*".to_owned()],
        };
        let body = h.to_json();
        assert_eq!(body["blocks"][0]["type"], "header");
        assert_eq!(body["blocks"][0]["text"]["type"], "plain_text");
        let shown = body["blocks"][0]["text"]["text"].as_str().unwrap();
        assert_eq!(shown.chars().count(), 150);
        assert!(shown.ends_with('…'));
        assert_eq!(body["blocks"][1]["type"], "section");
    }
}
