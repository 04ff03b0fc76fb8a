//! Reading single manifest values from the located YAML tree: types, ranges,
//! formats and unknown keys, each problem recorded with its position.

use std::collections::HashMap;
use std::time::Duration;

use super::diag::Diagnostic;
use super::node::{Node, Pos, Value};
use super::schema::*;
use crate::durations::Limit;

/// Positions of decoded values by key path, for cross-field checks.
pub type Spans = HashMap<String, Pos>;

/// Decoding state: the problems found so far and where values were.
#[derive(Default)]
pub struct Decoder {
    /// Problems, in the order found.
    pub diags: Vec<Diagnostic>,
    /// Where each decoded value was.
    pub spans: Spans,
    /// The manifest's text, to point inside a value (a guard query's
    /// placeholder) rather than at its start.
    pub(crate) source: String,
    /// Keys that ask Prometheus something (`drill.guards`, …), with where
    /// they are, so a missing `prometheus:` section is reported at the first.
    pub(crate) needs_prometheus: Vec<(Pos, String)>,
}

/// A mapping being read: tracks which keys were used so the rest can be
/// reported as unknown, with the closest known key as a hint.
pub(crate) struct MapReader<'n> {
    node: &'n Node,
    path: String,
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The known name closest to `word`, when it is close enough to be a typo.
pub fn closest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    known
        .into_iter()
        .map(|k| (k, strsim::damerau_levenshtein(&lower, &k.to_lowercase())))
        .filter(|(k, d)| *d <= (k.len() / 3).max(2) && *d < k.len())
        .min_by_key(|(_, d)| *d)
        .map(|(k, _)| k)
}

impl Decoder {
    pub(crate) fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub(crate) fn mark(&mut self, path: &str, node: &Node) {
        self.spans.insert(path.to_owned(), node.pos);
    }

    pub(crate) fn map<'n>(&mut self, node: &'n Node, path: &str) -> Option<MapReader<'n>> {
        self.mark(path, node);
        let Value::Map(entries) = &node.value else {
            self.err(type_error(node, path, "a mapping"));
            return None;
        };
        let mut keys = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match &k.value {
                Value::Str(s) => keys.push((s.as_str(), k, v)),
                other => self.err(Diagnostic::new(
                    k.pos,
                    path,
                    format!("keys must be strings, found {}", other.kind()),
                )),
            }
        }
        Some(MapReader {
            node,
            path: path.to_owned(),
            entries: keys,
        })
    }

    pub(crate) fn finish(&mut self, reader: MapReader<'_>, known: &[&str]) {
        for (key, knode, _) in reader.entries {
            let mut d = Diagnostic::new(
                knode.pos,
                join(&reader.path, key),
                format!("unknown key `{key}`"),
            );
            d = match closest(key, known.iter().copied()) {
                Some(k) => d.hint(format!("did you mean `{k}`?")),
                None => d.hint(format!("valid keys here: {}", known.join(", "))),
            };
            self.err(d);
        }
    }

    pub(crate) fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        self.mark(path, node);
        match &node.value {
            Value::Str(s) if s.trim().is_empty() => {
                self.err(Diagnostic::new(node.pos, path, "must not be empty"));
                None
            }
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => {
                self.err(
                    type_error(node, path, "a string")
                        .hint(format!("quote it if it is meant as text: \"{i}\"")),
                );
                None
            }
            _ => {
                self.err(type_error(node, path, "a string"));
                None
            }
        }
    }

    pub(crate) fn duration(&mut self, node: &Node, path: &str) -> Option<Duration> {
        self.mark(path, node);
        match &node.value {
            Value::Str(s) => match humantime::parse_duration(s.trim()) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.err(
                        Diagnostic::new(node.pos, path, format!("`{s}` is not a duration: {e}"))
                            .hint("write a number with a unit, e.g. `30s`, `5m` or `1h30m`"),
                    );
                    None
                }
            },
            Value::Int(n) => {
                self.err(
                    Diagnostic::new(node.pos, path, "a duration needs a unit").hint(format!(
                        "write `{n}s` for seconds or `{n}ms` for milliseconds"
                    )),
                );
                None
            }
            _ => {
                self.err(type_error(node, path, "a duration such as `30s`"));
                None
            }
        }
    }

    pub(crate) fn percent(&mut self, node: &Node, path: &str) -> Option<Percent> {
        self.mark(path, node);
        let bad = |msg: String| {
            Diagnostic::new(node.pos, path, msg)
                .hint("write a percentage such as `1%` or a fraction such as `0.01`")
        };
        let fraction = match &node.value {
            Value::Str(s) => {
                let Some(num) = s.trim().strip_suffix('%') else {
                    self.err(bad(format!("`{s}` is not a percentage")));
                    return None;
                };
                match num.trim().parse::<f64>() {
                    Ok(p) if (0.0..=100.0).contains(&p) => p / 100.0,
                    Ok(_) => {
                        self.err(bad(format!("`{s}` is outside 0%..100%")));
                        return None;
                    }
                    Err(_) => {
                        self.err(bad(format!("`{s}` is not a percentage")));
                        return None;
                    }
                }
            }
            Value::Int(i) if *i == 0 => 0.0,
            Value::Float(f) if (0.0..=1.0).contains(f) => *f,
            Value::Int(i) => {
                self.err(bad(format!(
                    "{i} is not a fraction between 0 and 1 (did you mean `{i}%`?)"
                )));
                return None;
            }
            Value::Float(f) => {
                self.err(bad(format!("{f} is not a fraction between 0 and 1")));
                return None;
            }
            _ => {
                self.err(type_error(node, path, "a percentage such as `1%`"));
                return None;
            }
        };
        Some(Percent(fraction))
    }

    pub(crate) fn integer(&mut self, node: &Node, path: &str, min: i64, max: i64) -> Option<i64> {
        self.mark(path, node);
        match &node.value {
            Value::Int(i) if (min..=max).contains(i) => Some(*i),
            Value::Int(i) => {
                self.err(Diagnostic::new(
                    node.pos,
                    path,
                    format!("{i} is outside {min}..={max}"),
                ));
                None
            }
            _ => {
                self.err(type_error(node, path, "an integer"));
                None
            }
        }
    }

    pub(crate) fn number(&mut self, node: &Node, path: &str) -> Option<f64> {
        self.mark(path, node);
        match &node.value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() => Some(*f),
            _ => {
                self.err(type_error(node, path, "a number"));
                None
            }
        }
    }

    pub(crate) fn url(&mut self, node: &Node, path: &str) -> Option<String> {
        let s = self.string(node, path)?;
        let ok = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .is_some_and(|rest| {
                let host = rest.split(['/', '?', '#']).next().unwrap_or("");
                !host.is_empty() && !host.contains(char::is_whitespace)
            });
        if !ok {
            self.err(
                Diagnostic::new(node.pos, path, format!("`{s}` is not an http(s) URL"))
                    .hint("write a full URL such as `https://api.example.com/healthz`"),
            );
            return None;
        }
        Some(s)
    }

    pub(crate) fn list<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        self.mark(path, node);
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.err(type_error(node, path, "a list"));
                None
            }
        }
    }
}

impl<'n> MapReader<'n> {
    pub(crate) fn take(&mut self, key: &str) -> Option<&'n Node> {
        let i = self.entries.iter().position(|(k, _, _)| *k == key)?;
        Some(self.entries.remove(i).2)
    }

    /// Where `key` itself is written, if it is still unread.
    pub(crate) fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, knode, _)| knode.pos)
    }

    /// Takes a required key, reporting its absence at the mapping itself.
    pub(crate) fn require(&mut self, d: &mut Decoder, key: &str) -> Option<&'n Node> {
        let found = self.take(key);
        // A misspelt key is reported once, as unknown with a "did you mean".
        let misspelt = self
            .entries
            .iter()
            .any(|(k, _, _)| closest(k, [key]).is_some());
        if found.is_none() && !misspelt {
            let where_ = if self.path.is_empty() {
                "the top level".to_owned()
            } else {
                format!("`{}`", self.path)
            };
            d.err(
                Diagnostic::new(
                    self.node.pos,
                    join(&self.path, key),
                    format!("missing required key `{key}`"),
                )
                .hint(format!("add `{key}:` to {where_} (see docs/manifest.md)")),
            );
        }
        found
    }

    pub(crate) fn at(&self, key: &str) -> String {
        join(&self.path, key)
    }
}

/// How a secret's messages show it being written right.
pub(crate) struct SecretExample {
    /// Its key, e.g. `apiToken`.
    pub key: &'static str,
    /// A typical variable's name, e.g. `CLOUDFLARE_API_TOKEN`.
    pub env: &'static str,
    /// What it is, e.g. `token`.
    pub what: &'static str,
}

/// A secret given by reference, `{ fromEnv: NAME }`; an inline value is
/// refused without being repeated.
pub(crate) fn decode_secret(
    d: &mut Decoder,
    node: &Node,
    path: &str,
    example: SecretExample,
) -> SecretRef {
    let SecretExample { key, env, what } = example;
    let empty = SecretRef {
        from_env: String::new(),
    };
    if let Value::Str(_) | Value::Int(_) | Value::Float(_) = node.value {
        // Never echo the value: it is probably a live token.
        d.err(
            Diagnostic::new(node.pos, path, "secrets must not be written in the manifest")
                .hint(format!("put the {what} in an environment variable and write `{key}: {{ fromEnv: {env} }}`; rotate the {what} if this file was shared"))
                .redacted(),
        );
        return empty;
    }
    let Some(mut m) = d.map(node, path) else {
        return empty;
    };
    let mut out = empty;
    if let Some(n) = m.require(d, "fromEnv") {
        let p = m.at("fromEnv");
        d.mark(&p, n);
        match &n.value {
            Value::Str(s) if is_env_name(s) => out.from_env = s.clone(),
            _ => d.err(
                Diagnostic::new(n.pos, p, "expected the name of an environment variable")
                    .hint(format!(
                        "write the variable's name, e.g. `fromEnv: {env}`, not its value"
                    ))
                    .redacted(),
            ),
        }
    }
    d.finish(m, &["fromEnv"]);
    out
}

pub(crate) fn type_error(node: &Node, path: &str, expected: &str) -> Diagnostic {
    Diagnostic::new(
        node.pos,
        path,
        format!("expected {expected}, found {}", node.value.kind()),
    )
}

pub(crate) fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(crate) fn is_hex_id(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// A Kubernetes-style name: lowercase letters, digits and `-`, 1–63 characters.
pub(crate) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A duration of at most `limit.max`: anything longer is refused here,
/// located, so no deadline computed from it later can overflow the clock.
pub(crate) fn bounded(d: &mut Decoder, node: &Node, path: &str, limit: Limit) -> Option<Duration> {
    let v = d.duration(node, path)?;
    if v > limit.max {
        let max = humantime::format_duration(limit.max);
        let written = match &node.value {
            Value::Str(s) => s.trim(),
            _ => "",
        };
        d.err(
            Diagnostic::new(
                node.pos,
                path,
                format!("`{written}` is longer than the maximum of {max}"),
            )
            .hint(format!("write at most `{max}`, e.g. `{}`", limit.example)),
        );
        return None;
    }
    Some(v)
}

/// A duration more than zero and at most `limit.max`.
pub(crate) fn nonzero(d: &mut Decoder, node: &Node, path: &str, limit: Limit) -> Option<Duration> {
    let v = bounded(d, node, path, limit)?;
    if v.is_zero() {
        d.err(
            Diagnostic::new(node.pos, path, "must be longer than zero")
                .hint(format!("write e.g. `{}`", limit.example)),
        );
        return None;
    }
    Some(v)
}

pub(crate) fn choice<T: Copy>(
    d: &mut Decoder,
    node: &Node,
    path: &str,
    options: &[(&str, T)],
) -> Option<T> {
    let s = d.string(node, path)?;
    if let Some((_, v)) = options.iter().find(|(name, _)| *name == s) {
        return Some(*v);
    }
    let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    let mut diag = Diagnostic::new(node.pos, path, format!("unknown value `{s}`"));
    diag = match closest(&s, names.iter().copied()) {
        Some(c) => diag.hint(format!(
            "did you mean `{c}`? (one of: {})",
            names.join(", ")
        )),
        None => diag.hint(format!("one of: {}", names.join(", "))),
    };
    d.err(diag);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_but_not_strangers() {
        let keys = ["regions", "rollout", "drill", "traffic"];
        assert_eq!(closest("regoins", keys), Some("regions"));
        assert_eq!(closest("Drill", keys), Some("drill"));
        assert_eq!(closest("banana", keys), None);
    }

    /// Every duration in the manifest: its key path, the seed's line for it,
    /// and its limit.
    const DURATION_FIELDS: [(&str, &str, Limit); 6] = [
        (
            "traffic.timeout",
            "timeout: 2s",
            crate::durations::REQUEST_TIMEOUT,
        ),
        (
            "rollout.readyTimeout",
            "readyTimeout: 60s",
            crate::durations::DEADLINE,
        ),
        (
            "rollout.verifyFor",
            "verifyFor: 3s",
            crate::durations::DEADLINE,
        ),
        ("drill.hold", "hold: 5s", crate::durations::HOLD),
        (
            "drill.failoverTimeout",
            "failoverTimeout: auto",
            crate::durations::DEADLINE,
        ),
        (
            "drill.recoverTimeout",
            "recoverTimeout: auto",
            crate::durations::DEADLINE,
        ),
    ];

    fn with(line: &str, value: &str) -> String {
        let seed = crate::manifest::SEED_FLEET_YAML;
        assert_eq!(seed.matches(line).count(), 1, "{line}");
        let key = line.split(':').next().unwrap();
        seed.replace(line, &format!("{key}: {value}"))
    }

    #[test]
    fn every_duration_accepts_its_maximum() {
        for (path, line, limit) in DURATION_FIELDS {
            let max = humantime::format_duration(limit.max).to_string();
            let r = crate::manifest::parse_str("f.yaml", &with(line, &max));
            assert!(r.is_ok(), "{path} = {max}: {:?}", r.err());
        }
    }

    #[test]
    fn every_duration_beyond_its_maximum_is_refused_naming_the_field() {
        for (path, line, limit) in DURATION_FIELDS {
            let max = humantime::format_duration(limit.max).to_string();
            for over in [format!("{max} 1s"), "300000000000y".to_owned()] {
                let p = crate::manifest::parse_str("f.yaml", &with(line, &over)).unwrap_err();
                let [diag] = p.diagnostics.as_slice() else {
                    panic!("{path} = {over}: {:?}", p.diagnostics)
                };
                assert_eq!(diag.path, path);
                assert_eq!(
                    diag.message,
                    format!("`{over}` is longer than the maximum of {max}")
                );
                let hint = diag.hint.as_deref().unwrap();
                assert!(hint.contains(&format!("`{}`", limit.example)), "{hint}");
            }
        }
    }

    #[test]
    fn a_duration_that_does_not_fit_the_clock_is_refused() {
        for (path, line, _) in DURATION_FIELDS {
            let p = crate::manifest::parse_str("f.yaml", &with(line, "99999999999999999999s"))
                .unwrap_err();
            assert_eq!(p.diagnostics.len(), 1, "{path}");
            assert_eq!(p.diagnostics[0].path, path);
            assert!(p.diagnostics[0].message.contains("is not a duration"));
        }
    }

    #[test]
    fn env_names_and_ids() {
        assert!(is_env_name("CLOUDFLARE_API_TOKEN"));
        assert!(!is_env_name("1ABC"));
        assert!(!is_env_name("abc-def"));
        assert!(is_hex_id("023e105f4ecef8ad9ca31a8372d0c353"));
        assert!(!is_hex_id("023e105f4ecef8ad9ca31a8372d0c35"));
    }
}
