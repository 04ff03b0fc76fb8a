//! Guard queries are PromQL with placeholders (`{drilled}`, `{region}`, …)
//! that stand where a string literal may stand:
//! `ocfail_region_serving{region={drilled}}`. ocfail fills each with a
//! whole double-quoted literal, escaped as PromQL (Go) reads it, so a value
//! can never end the literal or change the query.
//!
//! A bare `{name}` is never valid PromQL outside a string literal (label
//! matchers always have an operator), so scanning for it while skipping
//! literals is unambiguous.

use std::fmt;

/// A value ocfail fills into a guard query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placeholder {
    /// The region a check is about (a drill's drilled region, a rollout's
    /// current region).
    Region,
    /// The drill's region.
    Drilled,
    /// The region expected to take the drilled region's traffic.
    Receiver,
    /// The colour a rollout switches to.
    Color,
    /// The colour a rollout switches from.
    PreviousColor,
}

impl Placeholder {
    /// Every placeholder.
    pub const ALL: [Placeholder; 5] = [
        Placeholder::Region,
        Placeholder::Drilled,
        Placeholder::Receiver,
        Placeholder::Color,
        Placeholder::PreviousColor,
    ];

    /// Its name between the braces.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Region => "region",
            Placeholder::Drilled => "drilled",
            Placeholder::Receiver => "receiver",
            Placeholder::Color => "color",
            Placeholder::PreviousColor => "previousColor",
        }
    }

    /// The placeholder called `name`.
    pub fn parse(name: &str) -> Option<Placeholder> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// What is wrong with a guard query's placeholders; `offset` is the byte
/// offset of the `{` in the query.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{name}` that is no placeholder.
    #[error("`{{{name}}}` at byte {offset} is not a placeholder (known: {known})", known = known())]
    Unknown {
        /// The name between the braces.
        name: String,
        /// Where it starts.
        offset: usize,
    },
    /// A placeholder written inside a string literal, where it would be
    /// taken as text.
    #[error(
        "`{{{name}}}` at byte {offset} is inside a string literal; write it where the literal would be: region={{{name}}}"
    )]
    InsideLiteral {
        /// The placeholder's name.
        name: String,
        /// Where it starts.
        offset: usize,
    },
    /// A placeholder with no value here (e.g. `{receiver}` when no region
    /// is expected to take the traffic).
    #[error("`{{{name}}}` at byte {offset} has no value here")]
    Unbound {
        /// The placeholder's name.
        name: &'static str,
        /// Where it starts.
        offset: usize,
    },
}

fn known() -> String {
    let names: Vec<String> = Placeholder::ALL
        .iter()
        .map(|p| format!("{{{}}}", p.name()))
        .collect();
    names.join(", ")
}

/// One piece of a query: text as written, or a placeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Slot(Placeholder, usize),
}

/// `{name}` at the start of `s`, if `s` starts with one: the name and the
/// length of the whole.
fn braced(s: &str) -> Option<(&str, usize)> {
    let rest = s.strip_prefix('{')?;
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (len > 0 && rest[len..].starts_with('}')).then(|| (&rest[..len], len + 2))
}

/// Splits `query` into text and placeholders, skipping string literals.
fn pieces(query: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let bytes = query.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'' | b'`') => {
                // A literal runs to its closing quote; only `"` and `'`
                // have escapes. An unclosed one runs to the end (PromQL's
                // parser reports it).
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != q {
                    if bytes[j] == b'\\' && q != b'`' {
                        j += 1;
                    }
                    j += 1;
                }
                if let Some(at) = (i + 1..j.min(bytes.len())).find(|&k| {
                    braced(&query[k..]).is_some_and(|(n, _)| Placeholder::parse(n).is_some())
                }) {
                    let (name, _) = braced(&query[at..]).unwrap_or_default();
                    return Err(TemplateError::InsideLiteral {
                        name: name.to_owned(),
                        offset: at,
                    });
                }
                i = j + 1;
            }
            b'{' => match braced(&query[i..]) {
                Some((name, len)) => {
                    let Some(p) = Placeholder::parse(name) else {
                        return Err(TemplateError::Unknown {
                            name: name.to_owned(),
                            offset: i,
                        });
                    };
                    out.push(Piece::Text(&query[start..i]));
                    out.push(Piece::Slot(p, i));
                    i += len;
                    start = i;
                }
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    out.push(Piece::Text(&query[start.min(query.len())..]));
    Ok(out)
}

/// The placeholders `query` uses, in order, or what is wrong with them.
pub fn placeholders(query: &str) -> Result<Vec<Placeholder>, TemplateError> {
    Ok(pieces(query)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Slot(p, _) => Some(p),
            Piece::Text(_) => None,
        })
        .collect())
}

/// `query` with every placeholder replaced by its value from `value`,
/// quoted as a PromQL string literal.
pub fn substitute(
    query: &str,
    value: impl Fn(Placeholder) -> Option<String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(query.len());
    for piece in pieces(query)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Slot(p, offset) => match value(p) {
                Some(v) => out.push_str(&quote(&v)),
                None => {
                    return Err(TemplateError::Unbound {
                        name: p.name(),
                        offset,
                    });
                }
            },
        }
    }
    Ok(out)
}

/// `value` as a double-quoted PromQL string literal. PromQL reads Go's
/// escapes: `\\`, `\"`, `\n`, `\r`, `\t`, and `\xNN` for other control
/// bytes; Rust's `{:?}` would write `\u{1b}`, which PromQL rejects.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drill(p: Placeholder) -> Option<String> {
        match p {
            Placeholder::Drilled | Placeholder::Region => Some("us-east-1".to_owned()),
            Placeholder::Receiver => Some("eu-central-1".to_owned()),
            _ => None,
        }
    }

    /// The one `region` matcher's value as promql-parser keeps it (still
    /// escaped: it does not unescape, Prometheus does), after checking the
    /// query is one selector with `__name__` and `region` only, so the
    /// value did not end its literal.
    fn one_matcher(query: &str) -> String {
        let expr = promql_parser::parser::parse(query).unwrap();
        let promql_parser::parser::Expr::VectorSelector(vs) = expr else {
            panic!("not one selector: {expr:?}");
        };
        let names: Vec<&str> = vs
            .matchers
            .matchers
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert!(
            names == ["region"] || names == ["__name__", "region"],
            "{names:?}"
        );
        vs.matchers
            .matchers
            .iter()
            .find(|m| m.name == "region")
            .unwrap()
            .value
            .clone()
    }

    /// `quote(value)` without its quotes.
    fn escaped(value: &str) -> String {
        let q = quote(value);
        q[1..q.len() - 1].to_owned()
    }

    #[test]
    fn a_placeholder_becomes_a_quoted_literal_that_promql_parses() {
        let q = r#"sum(rate(http_requests_total{region={drilled},code=~"5.."}[1m])) / sum(rate(http_requests_total{region={receiver}}[1m]))"#;
        let got = substitute(q, drill).unwrap();
        assert_eq!(
            got,
            r#"sum(rate(http_requests_total{region="us-east-1",code=~"5.."}[1m])) / sum(rate(http_requests_total{region="eu-central-1"}[1m]))"#
        );
        promql_parser::parser::parse(&got).unwrap();
    }

    #[test]
    fn a_hostile_value_stays_one_literal() {
        let nasty = "us\"} or vector(1) # \\ \n\t\r\u{1}\u{7f}ü";
        let got = substitute("up{region={region}}", |_| Some(nasty.to_owned())).unwrap();
        assert_eq!(
            got,
            r#"up{region="us\"} or vector(1) # \\ \n\t\r\x01\x7fü"}"#
        );
        assert_eq!(one_matcher(&got), escaped(nasty));
    }

    #[test]
    fn placeholders_are_listed_in_order_and_literals_are_skipped() {
        let q = r#"x{a={color}, b="{not}", c=`{raw}`, d='it\'s {x}'} - y{e={previousColor}}"#;
        assert_eq!(
            placeholders(q).unwrap(),
            [Placeholder::Color, Placeholder::PreviousColor]
        );
        assert_eq!(placeholders("up").unwrap(), []);
        assert_eq!(placeholders("").unwrap(), []);
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_known_ones() {
        let e = placeholders("up{region={drilld}}").unwrap_err();
        assert_eq!(
            e,
            TemplateError::Unknown {
                name: "drilld".to_owned(),
                offset: 10
            }
        );
        assert!(e.to_string().contains("{drilled}"), "{e}");
    }

    #[test]
    fn a_placeholder_inside_a_literal_is_refused() {
        let e = placeholders(r#"up{region="{drilled}"}"#).unwrap_err();
        assert_eq!(
            e,
            TemplateError::InsideLiteral {
                name: "drilled".to_owned(),
                offset: 11
            }
        );
    }

    #[test]
    fn a_placeholder_without_a_value_is_refused() {
        let e = substitute("up{c={color}}", drill).unwrap_err();
        assert_eq!(
            e,
            TemplateError::Unbound {
                name: "color",
                offset: 5
            }
        );
    }

    #[test]
    fn braces_that_are_not_placeholders_are_left_alone() {
        for q in [
            "up{}",
            "up{job=\"x\"}",
            "{__name__=\"up\"}",
            "x{",
            "}{",
            "a{b",
            "{",
        ] {
            assert_eq!(substitute(q, drill).unwrap(), q);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_value_round_trips_through_the_parser(value in "\\PC*|[\\x00-\\x7f]*") {
            let got = substitute("up{region={region}}", |_| Some(value.clone())).unwrap();
            proptest::prop_assert_eq!(one_matcher(&got), escaped(&value));
        }
    }
}
