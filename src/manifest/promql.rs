//! Offline checks of the PromQL in a manifest: guard queries and alert
//! matchers. Placeholders are checked against where the text is used, then
//! filled with a dummy literal and parsed by `promql-parser`, so a typo is
//! found by `ocfail validate` rather than by Prometheus in the middle of a
//! drill.

use promql_parser::parser::value::ValueType;
use promql_parser::parser::{self, Expr};

use super::diag::Diagnostic;
use super::node::{Node, Pos};
use crate::prometheus::query::{self, Placeholder, TemplateError};

/// Where PromQL is used, which decides the placeholders it may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `drill.guards`, `drill.blockingAlerts`, `drill.expectAlerts`.
    Drill,
    /// `rollout.guards`, `rollout.analysis`, `rollout.blockingAlerts`.
    Rollout,
}

impl Scope {
    /// The placeholders that have a value here.
    pub(crate) fn allowed(self) -> &'static [Placeholder] {
        match self {
            Scope::Drill => &[
                Placeholder::Region,
                Placeholder::Drilled,
                Placeholder::Receiver,
            ],
            Scope::Rollout => &[
                Placeholder::Region,
                Placeholder::Color,
                Placeholder::PreviousColor,
            ],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scope::Drill => "a drill",
            Scope::Rollout => "a rollout",
        }
    }

    fn listed(self) -> String {
        let names: Vec<String> = self.allowed().iter().map(|p| p.to_string()).collect();
        names.join(", ")
    }
}

/// Checks a guard's query (at `node`, whose text is `text`); `source` is the
/// manifest, for pointing at the offending placeholder.
pub(crate) fn check_query(
    source: &str,
    node: &Node,
    path: &str,
    text: &str,
    scope: Scope,
) -> Option<Diagnostic> {
    let filled = match fill(text, scope) {
        Ok(f) => f,
        Err(e) => return Some(template_error(source, node, path, text, scope, &e)),
    };
    let expr = match parser::parse(&filled) {
        Ok(e) => e,
        Err(msg) => return Some(not_promql(node, path, &msg)),
    };
    match expr.value_type() {
        ValueType::Vector | ValueType::Scalar => None,
        ValueType::Matrix => Some(
            Diagnostic::new(
                node.pos,
                path,
                "the query returns a range vector, which a guard cannot compare with a value",
            )
            .hint("wrap it in a function over the range, e.g. `rate(x[5m])` or `max_over_time(x[5m])`"),
        ),
        ValueType::String => Some(
            Diagnostic::new(
                node.pos,
                path,
                "the query returns a string, which a guard cannot compare with a value",
            )
            .hint("write a query that returns a number or series, e.g. `sum(rate(x[1m]))`"),
        ),
    }
}

/// Checks an alert matcher: a selector over alert labels, such as
/// `OcfailFleetDown` or `HighErrorRate{severity="page"}`.
pub(crate) fn check_matcher(
    source: &str,
    node: &Node,
    path: &str,
    text: &str,
    scope: Scope,
) -> Option<Diagnostic> {
    let filled = match fill(text, scope) {
        Ok(f) => f,
        Err(e) => return Some(template_error(source, node, path, text, scope, &e)),
    };
    let hint = "write an alert name with optional label matchers, e.g. `HighErrorRate{severity=\"page\"}` or `{severity=\"page\"}`";
    match parser::parse(&filled) {
        Ok(Expr::VectorSelector(vs)) if vs.offset.is_none() && vs.at.is_none() => None,
        Ok(Expr::VectorSelector(_)) => Some(
            Diagnostic::new(
                node.pos,
                path,
                "an alert matcher is about alerts active now; `offset` and `@` do not apply",
            )
            .hint("remove the `offset` or `@` modifier"),
        ),
        Ok(_) => Some(
            Diagnostic::new(
                node.pos,
                path,
                format!("`{text}` is not an alert matcher (a selector of alert labels)"),
            )
            .hint(hint),
        ),
        Err(msg) => Some(
            Diagnostic::new(
                node.pos,
                path,
                format!("`{text}` is not an alert matcher: {msg}"),
            )
            .hint(hint),
        ),
    }
}

/// `text` with every placeholder allowed in `scope` filled with a dummy
/// literal, as it will be filled at run time.
fn fill(text: &str, scope: Scope) -> Result<String, TemplateError> {
    query::substitute(text, |p| {
        scope.allowed().contains(&p).then(|| "x".to_owned())
    })
}

fn not_promql(node: &Node, path: &str, msg: &str) -> Diagnostic {
    // promql-parser's messages carry no position we could map back
    // reliably, so the whole query is pointed at.
    Diagnostic::new(node.pos, path, format!("the query is not valid PromQL: {msg}")).hint(
        "placeholders are checked as string literals; try the query in Prometheus' expression browser",
    )
}

fn template_error(
    source: &str,
    node: &Node,
    path: &str,
    text: &str,
    scope: Scope,
    e: &TemplateError,
) -> Diagnostic {
    let (offset, message, hint) = match e {
        TemplateError::Unknown { name, offset } => {
            let names = Placeholder::ALL.iter().map(|p| p.name());
            let hint = match super::fields::closest(name, names) {
                Some(c) => format!("did you mean `{{{c}}}`?"),
                None => format!("placeholders in {}: {}", scope.name(), scope.listed()),
            };
            (*offset, format!("`{{{name}}}` is not a placeholder"), hint)
        }
        TemplateError::InsideLiteral { name, offset } => (
            *offset,
            format!("`{{{name}}}` is inside a string literal, where it would be taken as text"),
            format!(
                "write it where the literal would be, without quotes: `region={{{name}}}`; ocfail quotes the value"
            ),
        ),
        TemplateError::Unbound { name, offset } => (
            *offset,
            format!("`{{{name}}}` has no value in {}", scope.name()),
            format!("placeholders in {}: {}", scope.name(), scope.listed()),
        ),
    };
    Diagnostic::new(at_offset(source, node, text, offset), path, message).hint(hint)
}

/// The position of byte `offset` of `text`, the value of `node`, when the
/// source shows that text verbatim on the node's line (a plain or quoted
/// scalar with no escapes before it); otherwise the node's own position.
fn at_offset(source: &str, node: &Node, text: &str, offset: usize) -> Pos {
    let Some(before) = text.get(..offset) else {
        return node.pos;
    };
    let Some(line) = (node.pos.line as usize)
        .checked_sub(1)
        .and_then(|i| source.lines().nth(i))
    else {
        return node.pos;
    };
    let start = (node.pos.column as usize).saturating_sub(1);
    let Some((byte, _)) = line.char_indices().nth(start) else {
        return node.pos;
    };
    let rest = &line[byte..];
    let (content, quote) = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => (&rest[q.len_utf8()..], 1),
        _ => (rest, 0),
    };
    // The `{` itself must be there too, so an escape or a line break before
    // the placeholder falls back to the value's position.
    if !content.starts_with(before) || !content[before.len()..].starts_with('{') {
        return node.pos;
    }
    let chars = u32::try_from(before.chars().count()).unwrap_or(0);
    Pos {
        line: node.pos.line,
        column: node.pos.column + quote + chars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::node::Value;

    fn node(line: u32, column: u32, text: &str) -> Node {
        Node {
            pos: Pos { line, column },
            value: Value::Str(text.to_owned()),
        }
    }

    fn query(q: &str, scope: Scope) -> Option<Diagnostic> {
        check_query("", &node(1, 1, q), "q", q, scope)
    }

    fn matcher(m: &str, scope: Scope) -> Option<Diagnostic> {
        check_matcher("", &node(1, 1, m), "m", m, scope)
    }

    #[test]
    fn good_queries_pass() {
        for q in [
            r#"sum(rate(openclaw_requests_total{region={receiver},code=~"5.."}[1m])) / sum(rate(openclaw_requests_total{region={receiver}}[1m]))"#,
            "up{region={drilled}}",
            "1",
            "scalar(up{region={region}})",
            r#"histogram_quantile(0.99, sum by (le) (rate(openclaw_request_latency_seconds_bucket{region={drilled}}[1m])))"#,
        ] {
            assert_eq!(query(q, Scope::Drill), None, "{q}");
        }
        assert_eq!(
            query(
                "up{color={color}} - up{color={previousColor}}",
                Scope::Rollout
            ),
            None
        );
    }

    #[test]
    fn a_placeholder_without_a_value_in_the_scope_is_refused() {
        let d = query("up{color={color}}", Scope::Drill).unwrap();
        assert_eq!(d.message, "`{color}` has no value in a drill");
        assert!(d.hint.unwrap().contains("{receiver}"));
        let d = query("up{region={drilled}}", Scope::Rollout).unwrap();
        assert_eq!(d.message, "`{drilled}` has no value in a rollout");
        let d = matcher("X{region={receiver}}", Scope::Rollout).unwrap();
        assert_eq!(d.message, "`{receiver}` has no value in a rollout");
    }

    #[test]
    fn an_unknown_placeholder_gets_the_closest_name() {
        let d = query("up{region={drilld}}", Scope::Drill).unwrap();
        assert_eq!(d.message, "`{drilld}` is not a placeholder");
        assert_eq!(d.hint.as_deref(), Some("did you mean `{drilled}`?"));
    }

    #[test]
    fn a_placeholder_inside_a_literal_is_refused() {
        let d = query(r#"up{region="{drilled}"}"#, Scope::Drill).unwrap();
        assert!(d.message.contains("inside a string literal"), "{d:?}");
    }

    #[test]
    fn a_broken_query_carries_the_parsers_message() {
        let d = query("sum(rate(x[1m])", Scope::Drill).unwrap();
        assert!(
            d.message.starts_with("the query is not valid PromQL: "),
            "{d:?}"
        );
        assert!(d.message.len() > "the query is not valid PromQL: ".len());
    }

    #[test]
    fn a_range_vector_or_string_is_not_a_guard() {
        let d = query("up[5m]", Scope::Drill).unwrap();
        assert!(d.message.contains("range vector"), "{d:?}");
        assert!(d.hint.unwrap().contains("rate("));
        let d = query("up{region={region}}[5m:1m]", Scope::Drill).unwrap();
        assert!(d.message.contains("range vector"), "{d:?}");
        let d = query(r#""text""#, Scope::Drill).unwrap();
        assert!(d.message.contains("a string"), "{d:?}");
    }

    #[test]
    fn matchers_are_selectors_only() {
        for m in [
            "OcfailFleetDown",
            r#"HighErrorRate{severity="page"}"#,
            r#"{severity="page"}"#,
            "OcfailRegionDown{region={drilled}}",
            r#"{alertname=~"Ocfail.*", region!={receiver}}"#,
        ] {
            assert_eq!(matcher(m, Scope::Drill), None, "{m}");
        }
        for m in [
            "rate(x[1m])",
            "a or b",
            "X[5m]",
            "1",
            r#""X""#,
            "X offset 5m",
            "{}",
            "X{",
        ] {
            let d = matcher(m, Scope::Drill).unwrap_or_else(|| panic!("{m} passed"));
            assert!(d.hint.is_some(), "{m}: {d:?}");
        }
    }

    #[test]
    fn the_offending_placeholder_is_pointed_at_on_one_line() {
        let q = "up{region={drilld}}";
        for (line, col, want) in [
            (format!("    query: {q}"), 12, 22),
            (format!("    query: '{q}'"), 12, 23),
            (format!("    - {{ query: \"{q}\" }}"), 16, 27),
        ] {
            let d = check_query(&line, &node(1, col, q), "q", q, Scope::Drill).unwrap();
            assert_eq!(
                d.pos,
                Pos {
                    line: 1,
                    column: want
                },
                "{line}"
            );
            assert_eq!(&line[want as usize - 1..want as usize + 7], "{drilld}");
        }
    }

    #[test]
    fn an_escape_before_the_placeholder_falls_back_to_the_value() {
        let q = "up{a=\"\\\"\",region={drilld}}";
        let line = r#"    query: "up{a=\"\\\"\",region={drilld}}""#;
        let d = check_query(line, &node(1, 12, q), "q", q, Scope::Drill).unwrap();
        assert_eq!(
            d.pos,
            Pos {
                line: 1,
                column: 12
            }
        );
        // A folded or multi-line scalar does not show the text on its line.
        let d = check_query("    query: >-", &node(1, 12, q), "q", q, Scope::Drill).unwrap();
        assert_eq!(
            d.pos,
            Pos {
                line: 1,
                column: 12
            }
        );
    }
}
