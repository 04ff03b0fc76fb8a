//! `labelSelector` and `fieldSelector` query parameters: parsing (with the
//! API server's error wording) and matching.

use serde_json::Value;

/// One label requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Req {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Gt(String, i64),
    Lt(String, i64),
}

/// A parsed `labelSelector`: every requirement must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Req>);

/// Splits at commas outside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn valid_key(k: &str) -> bool {
    let name = k.rsplit_once('/').map_or(k, |(_, n)| n);
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

impl LabelSelector {
    /// Parses the API's selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
    /// `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, joined by commas.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        for term in split_top(s)
            .into_iter()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let bad = || {
                format!(
                    "unable to parse requirement: found '{term}', expected: in, notin, =, ==, !=, gt, lt"
                )
            };
            let key_ok = |k: &str| {
                if valid_key(k) {
                    Ok(k.to_owned())
                } else {
                    Err(format!(
                        "unable to parse requirement: invalid label key \"{k}\": name part must consist of alphanumeric characters, '-', '_' or '.'"
                    ))
                }
            };
            let req = if let Some(k) = term.strip_prefix('!') {
                Req::NotExists(key_ok(k.trim())?)
            } else if let Some((k, rest)) = term.split_once(char::is_whitespace) {
                let rest = rest.trim_start();
                let (neg, list) = if let Some(l) = rest.strip_prefix("notin") {
                    (true, l)
                } else if let Some(l) = rest.strip_prefix("in") {
                    (false, l)
                } else {
                    return Err(bad());
                };
                let list = list.trim();
                let inner = list
                    .strip_prefix('(')
                    .and_then(|l| l.strip_suffix(')'))
                    .ok_or_else(bad)?;
                let values = inner.split(',').map(|v| v.trim().to_owned()).collect();
                let key = key_ok(k)?;
                if neg {
                    Req::NotIn(key, values)
                } else {
                    Req::In(key, values)
                }
            } else if let Some((k, v)) = term.split_once("!=") {
                Req::NotIn(key_ok(k.trim())?, vec![v.trim().to_owned()])
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                Req::In(key_ok(k.trim())?, vec![v.trim().to_owned()])
            } else if let Some((k, v)) = term.split_once('>') {
                Req::Gt(key_ok(k.trim())?, v.trim().parse().map_err(|_| bad())?)
            } else if let Some((k, v)) = term.split_once('<') {
                Req::Lt(key_ok(k.trim())?, v.trim().parse().map_err(|_| bad())?)
            } else {
                Req::Exists(key_ok(term)?)
            };
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    /// Whether an object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, labels: Option<&Value>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
            Req::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            Req::NotIn(k, vs) => get(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
            Req::Gt(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            Req::Lt(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        })
    }
}

/// A parsed `fieldSelector` (`metadata.name` and `metadata.namespace`,
/// with `=`, `==` or `!=`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// Parses a field selector, rejecting fields the simulator cannot select on.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for term in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (field, eq, value) = if let Some((f, v)) = term.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (f, true, v)
            } else {
                return Err(format!(
                    "invalid selector: '{term}'; can't understand '{term}'"
                ));
            };
            let field = field.trim();
            if !matches!(field, "metadata.name" | "metadata.namespace") {
                return Err(format!("field label not supported: {field}"));
            }
            out.push((field.to_owned(), eq, value.trim().to_owned()));
        }
        Ok(FieldSelector(out))
    }

    /// Whether `obj` satisfies every term.
    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(field, eq, value)| {
            let pointer = if field == "metadata.name" {
                "/metadata/name"
            } else {
                "/metadata/namespace"
            };
            let actual = obj
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default();
            (actual == value) == *eq
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn m(sel: &str, labels: Value) -> bool {
        LabelSelector::parse(sel).unwrap().matches(Some(&labels))
    }

    #[test]
    fn label_selectors_parse_and_match() {
        let l = json!({"app": "api", "ocfail.dev/color": "blue", "tier": "3"});
        assert!(m("app=api", l.clone()));
        assert!(m("app==api,ocfail.dev/color=blue", l.clone()));
        assert!(!m("app!=api", l.clone()));
        assert!(m("missing!=x", l.clone()), "!= matches absent keys");
        assert!(m("ocfail.dev/color in (green, blue)", l.clone()));
        assert!(!m("ocfail.dev/color notin (blue)", l.clone()));
        assert!(m("app,!missing", l.clone()));
        assert!(!m("!app", l.clone()));
        assert!(m("tier>2,tier<4", l.clone()));
        assert!(m("", l.clone()));
        assert!(LabelSelector::parse("app in blue").is_err());
        assert!(LabelSelector::parse("-bad=x").is_err());
        assert!(!LabelSelector::parse("app").unwrap().matches(None));
    }

    #[test]
    fn field_selectors_cover_name_and_namespace() {
        let obj = json!({"metadata": {"name": "a", "namespace": "ns"}});
        assert!(
            FieldSelector::parse("metadata.name=a")
                .unwrap()
                .matches(&obj)
        );
        assert!(
            FieldSelector::parse("metadata.name!=b,metadata.namespace==ns")
                .unwrap()
                .matches(&obj)
        );
        assert!(
            !FieldSelector::parse("metadata.name=b")
                .unwrap()
                .matches(&obj)
        );
        assert_eq!(
            FieldSelector::parse("spec.x=1").unwrap_err(),
            "field label not supported: spec.x"
        );
    }
}
