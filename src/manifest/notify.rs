//! Decoding `notify` (docs/practice.md, "Notifications"): the webhooks told
//! about drills, rollouts and practice runs. A webhook URL is a credential
//! (a Slack webhook's path is its token), so the manifest only names the
//! environment variable that holds it, and a URL written inline is refused
//! without being repeated. Sending is `notify/`'s, wiring it `app/`'s.

use std::time::Duration;

use super::diag::Diagnostic;
use super::fields::{Decoder, bounded, choice, closest, is_dns_label, is_env_name};
use super::node::{Node, Value};
use super::schema::*;
use crate::durations;

const KEYS: &[&str] = &["name", "urlFromEnv", "format", "timeout", "tries", "on"];

/// The variable every message about one suggests.
const EXAMPLE_ENV: &str = "OCFAIL_SLACK_WEBHOOK";

/// The default per-try timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The default number of tries.
const DEFAULT_TRIES: u32 = 3;

/// The most tries a target may ask for: with the backoff doubling from
/// 200 ms, ten tries already wait over three minutes in all.
const MAX_TRIES: i64 = 10;

/// `notify`: a list of targets with unique names.
pub(crate) fn decode_notify(d: &mut Decoder, node: &Node) -> Vec<NotifyTarget> {
    let Some(items) = d.list(node, "notify") else {
        return Vec::new();
    };
    let mut out: Vec<NotifyTarget> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("notify[{i}]");
        let Some((target, name_pos)) = decode_target(d, item, &path) else {
            continue;
        };
        if !target.name.is_empty() && out.iter().any(|t| t.name == target.name) {
            d.err(
                Diagnostic::new(
                    name_pos,
                    format!("{path}.name"),
                    format!("`{}` names two targets", target.name),
                )
                .hint("give each target its own name: reports name a target by it"),
            );
            continue;
        }
        out.push(target);
    }
    out
}

/// One target, and where its name is (for the uniqueness check).
fn decode_target(
    d: &mut Decoder,
    node: &Node,
    path: &str,
) -> Option<(NotifyTarget, super::node::Pos)> {
    let mut m = d.map(node, path)?;
    let mut t = NotifyTarget {
        name: String::new(),
        url_from_env: String::new(),
        format: NotifyFormat::Events,
        timeout: DEFAULT_TIMEOUT,
        tries: DEFAULT_TRIES,
        on: NotifyOn::ALL.iter().map(|(o, _)| *o).collect(),
    };
    let mut name_pos = node.pos;
    if let Some(n) = m.require(d, "name")
        && let Some(name) = d.string(n, &m.at("name"))
    {
        name_pos = n.pos;
        if !is_dns_label(&name) {
            d.err(
                Diagnostic::new(
                    n.pos,
                    m.at("name"),
                    format!("`{name}` is not a valid target name"),
                )
                .hint("use lowercase letters, digits and `-`, e.g. `sre-slack`"),
            );
        }
        t.name = name;
    }
    // An inline URL is the one mistake here that leaks a credential: it is
    // refused at its value, which is never shown, and `urlFromEnv` is then
    // not also reported missing.
    let inline = m.take("url");
    if let Some(n) = inline {
        d.err(
            Diagnostic::new(
                n.pos,
                m.at("url"),
                "a webhook URL must not be written in the manifest",
            )
            .hint(format!(
                "put the URL in an environment variable and write `urlFromEnv: {EXAMPLE_ENV}`; \
                 a webhook URL is a credential: rotate it if this file was shared"
            ))
            .redacted(),
        );
    }
    let url_from_env = if inline.is_some() {
        m.take("urlFromEnv")
    } else {
        m.require(d, "urlFromEnv")
    };
    if let Some(n) = url_from_env {
        t.url_from_env = env_name(d, n, &m.at("urlFromEnv")).unwrap_or_default();
    }
    if let Some(n) = m.require(d, "format") {
        t.format = choice(
            d,
            n,
            &m.at("format"),
            &[
                ("slack", NotifyFormat::Slack),
                ("json", NotifyFormat::Json),
                ("events", NotifyFormat::Events),
            ],
        )
        .unwrap_or(NotifyFormat::Events);
    }
    if let Some(n) = m.take("timeout")
        && let Some(v) = bounded(d, n, &m.at("timeout"), durations::NOTIFY_TIMEOUT)
    {
        if v < durations::NOTIFY_TIMEOUT_MIN {
            d.err(
                Diagnostic::new(n.pos, m.at("timeout"), "must be at least 100ms")
                    .hint("write e.g. `5s`: a try gets this long to be answered"),
            );
        } else {
            t.timeout = v;
        }
    }
    if let Some(n) = m.take("tries")
        && let Some(v) = d.integer(n, &m.at("tries"), 1, MAX_TRIES)
    {
        t.tries = u32::try_from(v).unwrap_or(DEFAULT_TRIES);
    }
    if let Some(n) = m.take("on") {
        t.on = decode_on(d, n, &m.at("on"));
    }
    d.finish(m, KEYS);
    Some((t, name_pos))
}

/// `urlFromEnv`: a variable's name. Anything else is probably the URL
/// itself, so it is never shown.
fn env_name(d: &mut Decoder, node: &Node, path: &str) -> Option<String> {
    d.mark(path, node);
    match &node.value {
        Value::Str(s) if is_env_name(s) => Some(s.clone()),
        _ => {
            d.err(
                Diagnostic::new(
                    node.pos,
                    path,
                    "expected the name of an environment variable",
                )
                .hint(format!(
                    "write the variable's name, e.g. `urlFromEnv: {EXAMPLE_ENV}`, not the URL"
                ))
                .redacted(),
            );
            None
        }
    }
}

/// `on`: commands, each once, at least one.
fn decode_on(d: &mut Decoder, node: &Node, path: &str) -> Vec<NotifyOn> {
    let Some(items) = d.list(node, path) else {
        return Vec::new();
    };
    if items.is_empty() {
        d.err(
            Diagnostic::new(node.pos, path, "must name at least one command")
                .hint("leave `on` out to be told about drills, rollouts and practice runs"),
        );
    }
    let names: Vec<&str> = NotifyOn::ALL.iter().map(|(_, s)| *s).collect();
    let mut out: Vec<NotifyOn> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Some(word) = d.string(item, &p) else {
            continue;
        };
        let Some((on, _)) = NotifyOn::ALL.iter().find(|(_, s)| *s == word) else {
            let hint = match closest(&word, names.iter().copied()) {
                Some(c) => format!("did you mean `{c}`? (one of: {})", names.join(", ")),
                None => format!("one of: {}", names.join(", ")),
            };
            d.err(Diagnostic::new(item.pos, p, format!("unknown command `{word}`")).hint(hint));
            continue;
        };
        if out.contains(on) {
            d.err(
                Diagnostic::new(item.pos, p, format!("`{word}` is listed twice"))
                    .hint("name each command once"),
            );
            continue;
        }
        out.push(*on);
    }
    out
}

#[cfg(test)]
mod tests;
