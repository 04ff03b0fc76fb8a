//! The three PATCH formats the API server reads: RFC 6902 JSON patch,
//! RFC 7386 merge patch, and Kubernetes' strategic merge patch (a merge
//! patch whose lists of objects merge by key: containers and env by `name`,
//! container ports by `containerPort`, Service ports by `port`).

use serde_json::{Map, Value};

/// A PATCH body format, from its `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json`.
    Json,
    /// `application/merge-patch+json`.
    Merge,
    /// `application/strategic-merge-patch+json`.
    StrategicMerge,
}

impl PatchType {
    /// The patch type a `Content-Type` names; `None` for anything else
    /// (including server-side apply, which the simulator does not serve).
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        match content_type.split(';').next().unwrap_or_default().trim() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::StrategicMerge),
            _ => None,
        }
    }
}

/// Why a patch failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The body is not a patch of its type (HTTP 400).
    #[error("{0}")]
    Malformed(String),
    /// The patch is well-formed but does not apply (HTTP 422).
    #[error("{0}")]
    DoesNotApply(String),
}

/// `doc` with `body` (a patch of type `kind`) applied.
pub fn apply(kind: PatchType, doc: &Value, body: &[u8]) -> Result<Value, PatchError> {
    let mut out = doc.clone();
    match kind {
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_slice(body)
                .map_err(|e| PatchError::Malformed(format!("invalid JSON patch: {e}")))?;
            json_patch::patch(&mut out, &ops)
                .map_err(|e| PatchError::DoesNotApply(e.to_string()))?;
        }
        PatchType::Merge => {
            let patch = parse_object(body)?;
            json_patch::merge(&mut out, &patch);
        }
        PatchType::StrategicMerge => {
            let patch = parse_object(body)?;
            out = strategic_merge(doc, &patch, "")?;
        }
    }
    Ok(out)
}

fn parse_object(body: &[u8]) -> Result<Value, PatchError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| PatchError::Malformed(format!("invalid JSON: {e}")))?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(PatchError::Malformed(
            "patch body must be a JSON object".into(),
        ))
    }
}

/// The key lists under `field` merge by, `None` for lists that are replaced.
/// `ports` depends on whose ports they are, so it looks at the elements.
fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "conditions" => Some("type"),
        "ports" if items.iter().any(|p| p.get("containerPort").is_some()) => Some("containerPort"),
        "ports" => Some("port"),
        _ => None,
    }
}

/// A strategic merge of `patch` into `doc` (both objects).
fn strategic_merge(doc: &Value, patch: &Value, path: &str) -> Result<Value, PatchError> {
    let Some(patch_map) = patch.as_object() else {
        return Ok(patch.clone());
    };
    match patch_map.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut m = patch_map.clone();
            m.remove("$patch");
            return Ok(Value::Object(m));
        }
        Some("delete") => return Ok(Value::Null),
        Some(other) => {
            return Err(PatchError::Malformed(format!(
                "unknown patch type: {other} in map: {path}"
            )));
        }
        None => {}
    }
    let mut out: Map<String, Value> = doc.as_object().cloned().unwrap_or_default();
    for (key, value) in patch_map {
        if key.starts_with("$setElementOrder/") || key == "$retainKeys" {
            // Ordering and retain hints from `kubectl apply`; the merged result is the same without them.
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(drop)) = (out.get_mut(field), value.as_array()) {
                list.retain(|v| !drop.contains(v));
            }
            continue;
        }
        let here = format!("{path}.{key}");
        match value {
            Value::Null => {
                out.remove(key);
            }
            Value::Object(_) => {
                let merged = strategic_merge(out.get(key).unwrap_or(&Value::Null), value, &here)?;
                if merged.is_null() {
                    out.remove(key);
                } else {
                    out.insert(key.clone(), merged);
                }
            }
            Value::Array(items) => {
                let merged = match (merge_key(key, items), out.get(key)) {
                    (Some(mk), Some(Value::Array(orig))) => merge_list(orig, items, mk, &here)?,
                    (Some(mk), _) => merge_list(&[], items, mk, &here)?,
                    (None, _) => Value::Array(items.clone()),
                };
                out.insert(key.clone(), merged);
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(Value::Object(out))
}

fn merge_list(orig: &[Value], items: &[Value], key: &str, path: &str) -> Result<Value, PatchError> {
    let mut out: Vec<Value> = orig.to_vec();
    for item in items {
        let Some(id) = item.get(key) else {
            if item.get("$patch").and_then(Value::as_str) == Some("replace") {
                // `[{"$patch": "replace"}, …]` replaces the whole list with the other items.
                return Ok(Value::Array(
                    items
                        .iter()
                        .filter(|i| i.get("$patch").is_none())
                        .cloned()
                        .collect(),
                ));
            }
            return Err(PatchError::DoesNotApply(format!(
                "map: {item} does not contain declared merge key: {key} (at {path})"
            )));
        };
        let found = out.iter().position(|o| o.get(key) == Some(id));
        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (found, delete) {
            (Some(i), true) => {
                out.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => out[i] = strategic_merge(&out[i], item, path)?,
            (None, false) => out.push(strategic_merge(&Value::Null, item, path)?),
        }
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deploy() -> Value {
        json!({"spec": {"replicas": 3, "selector": {"matchLabels": {"app": "a"}}, "template": {"spec": {"containers": [
            {"name": "app", "image": "r/a:1", "ports": [{"containerPort": 8080, "protocol": "TCP"}]},
            {"name": "sidecar", "image": "r/s:1"}
        ]}}}})
    }

    fn sm(doc: &Value, patch: Value) -> Value {
        apply(PatchType::StrategicMerge, doc, patch.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn content_types_pick_the_patch() {
        assert_eq!(
            PatchType::from_content_type("application/merge-patch+json; charset=utf-8"),
            Some(PatchType::Merge)
        );
        assert_eq!(
            PatchType::from_content_type("application/strategic-merge-patch+json"),
            Some(PatchType::StrategicMerge)
        );
        assert_eq!(
            PatchType::from_content_type("application/json-patch+json"),
            Some(PatchType::Json)
        );
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml"),
            None
        );
        assert_eq!(PatchType::from_content_type("application/json"), None);
    }

    #[test]
    fn merge_patch_replaces_lists_and_deletes_with_null() {
        let p = json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "r/a:2"}]}}, "selector": null}});
        let out = apply(PatchType::Merge, &deploy(), p.to_string().as_bytes()).unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "app", "image": "r/a:2"}])
        );
        assert!(out["spec"].get("selector").is_none());
        assert_eq!(out["spec"]["replicas"], 3);
    }

    #[test]
    fn strategic_merge_merges_containers_by_name() {
        let out = sm(
            &deploy(),
            json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "r/a:2"}]}}}}),
        );
        let cs = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs.as_array().unwrap().len(), 2);
        assert_eq!(cs[0]["image"], "r/a:2");
        assert_eq!(
            cs[0]["ports"][0]["containerPort"], 8080,
            "untouched fields stay"
        );
        assert_eq!(cs[1]["image"], "r/s:1");
    }

    #[test]
    fn strategic_merge_handles_ports_deletes_and_replace() {
        let out = sm(
            &deploy(),
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "app", "ports": [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090}]},
                {"name": "sidecar", "$patch": "delete"},
                {"name": "new", "image": "r/n:1"}
            ]}}}}),
        );
        let cs = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap();
        let names: Vec<_> = cs.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["app", "new"]);
        assert_eq!(
            cs[0]["ports"],
            json!([{"containerPort": 8080, "protocol": "TCP", "name": "http"}, {"containerPort": 9090}])
        );

        let svc = json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "a", "color": "blue"}}});
        let out = sm(
            &svc,
            json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}], "selector": {"color": "green"}}}),
        );
        assert_eq!(
            out["spec"]["ports"],
            json!([{"port": 80, "targetPort": 9090}])
        );
        assert_eq!(
            out["spec"]["selector"],
            json!({"app": "a", "color": "green"})
        );
        let out = sm(
            &svc,
            json!({"spec": {"selector": {"$patch": "replace", "color": "green"}}}),
        );
        assert_eq!(out["spec"]["selector"], json!({"color": "green"}));
    }

    #[test]
    fn strategic_merge_needs_the_merge_key() {
        let e = apply(
            PatchType::StrategicMerge,
            &deploy(),
            br#"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#,
        );
        assert!(matches!(e, Err(PatchError::DoesNotApply(_))), "{e:?}");
    }

    #[test]
    fn json_patch_applies_or_fails_cleanly() {
        let out = apply(PatchType::Json, &deploy(), br#"[{"op":"replace","path":"/spec/replicas","value":0},{"op":"test","path":"/spec/template/spec/containers/0/name","value":"app"}]"#).unwrap();
        assert_eq!(out["spec"]["replicas"], 0);
        let e = apply(
            PatchType::Json,
            &deploy(),
            br#"[{"op":"replace","path":"/spec/nope/x","value":0}]"#,
        );
        assert!(matches!(e, Err(PatchError::DoesNotApply(_))), "{e:?}");
        let e = apply(PatchType::Json, &deploy(), br#"{"op":"replace"}"#);
        assert!(matches!(e, Err(PatchError::Malformed(_))), "{e:?}");
    }
}
