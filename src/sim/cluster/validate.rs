//! What the API server does to every written object before storing it:
//! decode it as its type (dropping unknown fields), fill defaults, and
//! validate the fields the simulator's users touch.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{Kind, KubeError, str_at};

/// Decodes, defaults and validates `new` (replacing `old`, if any).
pub fn prepare(kind: Kind, old: Option<&Value>, new: &mut Value) -> Result<(), KubeError> {
    if !new.is_object() {
        return Err(KubeError::BadRequest(
            "the object must be a JSON object".into(),
        ));
    }
    new["apiVersion"] = json!(kind.api_version());
    new["kind"] = json!(kind.kind());
    *new = match kind {
        Kind::Namespace => typed::<k8s_openapi::api::core::v1::Namespace>(kind, new)?,
        Kind::Pod => typed::<k8s_openapi::api::core::v1::Pod>(kind, new)?,
        Kind::Service => typed::<k8s_openapi::api::core::v1::Service>(kind, new)?,
        Kind::ConfigMap => typed::<k8s_openapi::api::core::v1::ConfigMap>(kind, new)?,
        Kind::Deployment => typed::<k8s_openapi::api::apps::v1::Deployment>(kind, new)?,
        Kind::Lease => typed::<k8s_openapi::api::coordination::v1::Lease>(kind, new)?,
        Kind::Hpa => {
            typed::<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>(kind, new)?
        }
    };
    let name = str_at(new, "/metadata/name").to_owned();
    if old.is_none() && !is_subdomain(&name) {
        return Err(KubeError::invalid(
            kind,
            &name,
            "metadata.name",
            format!(
                "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ),
        ));
    }
    match kind {
        Kind::Deployment => {
            default_deployment(new);
            validate_deployment(&name, old, new)
        }
        Kind::Service => {
            default_service(old, new);
            if new
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
            {
                return Err(KubeError::invalid(
                    kind,
                    &name,
                    "spec.ports",
                    "Required value",
                ));
            }
            Ok(())
        }
        Kind::ConfigMap => validate_config_map(&name, old, new),
        _ => Ok(()),
    }
}

/// The most a ConfigMap may hold, `data` and `binaryData` together
/// (`core.MaxSecretSize`, which the API server applies to both).
const MAX_CONFIG_MAP_BYTES: usize = 1024 * 1024;

/// The longest key (a DNS-1123 subdomain's limit).
const MAX_KEY_LEN: usize = 253;

/// kube's `RegexError` for config keys, with its doubled spaces.
const KEY_REGEX_MESSAGE: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/// What `validation.IsConfigMapKey` says about `key` (nothing: valid).
fn config_key_problems(key: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if key.len() > MAX_KEY_LEN {
        out.push("must be no more than 253 characters");
    }
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        out.push(KEY_REGEX_MESSAGE);
    }
    // Keys become file names in a volume; these would climb out of it.
    match key {
        "." => out.push("must not be '.'"),
        ".." => out.push("must not be '..'"),
        k if k.starts_with("..") => out.push("must not start with '..'"),
        _ => {}
    }
    out
}

/// Bytes a `binaryData` value (standard, padded base64, already checked
/// by decoding) stands for.
fn decoded_len(b64: &str) -> usize {
    let padding = b64.bytes().rev().take_while(|&b| b == b'=').count();
    (b64.len() / 4 * 3).saturating_sub(padding)
}

/// `ValidateConfigMap` and `ValidateConfigMapUpdate`: every bad key and
/// the total size are reported together, as the API server lists all its
/// causes; an `immutable` ConfigMap keeps its data.
fn validate_config_map(name: &str, old: Option<&Value>, new: &Value) -> Result<(), KubeError> {
    let mut causes: Vec<(String, String)> = Vec::new();
    let mut total = 0;
    let entries = |field: &'static str| {
        new.get(field)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(move |(k, v)| (field, k, v.as_str().unwrap_or_default()))
    };
    let binary = new.get("binaryData").and_then(Value::as_object);
    for (field, key, value) in entries("data").chain(entries("binaryData")) {
        for problem in config_key_problems(key) {
            causes.push((
                format!("{field}[{key}]"),
                format!("Invalid value: \"{key}\": {problem}"),
            ));
        }
        if field == "data" && binary.is_some_and(|b| b.contains_key(key)) {
            causes.push((
                format!("data[{key}]"),
                format!("Invalid value: \"{key}\": duplicate of key present in binaryData"),
            ));
        }
        total += if field == "data" {
            value.len()
        } else {
            decoded_len(value)
        };
    }
    if total > MAX_CONFIG_MAP_BYTES {
        causes.push((
            "[]".to_owned(),
            format!("Too long: may not be more than {MAX_CONFIG_MAP_BYTES} bytes"),
        ));
    }
    if let Some(old) = old
        && old["immutable"] == true
    {
        const FROZEN: &str = "Forbidden: field is immutable when `immutable` is set";
        if new["immutable"] != true {
            causes.push(("immutable".to_owned(), FROZEN.to_owned()));
        }
        for field in ["data", "binaryData"] {
            if old.get(field) != new.get(field) {
                causes.push((field.to_owned(), FROZEN.to_owned()));
            }
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(KubeError::Invalid {
            kind: Kind::ConfigMap,
            name: name.to_owned(),
            causes,
        })
    }
}

fn typed<T: DeserializeOwned + Serialize>(kind: Kind, v: &Value) -> Result<Value, KubeError> {
    let bad = |e: serde_json::Error| {
        KubeError::BadRequest(format!(
            "{} in version \"{}\" cannot be handled as a {}: {e}",
            kind.kind(),
            kind.version(),
            kind.kind()
        ))
    };
    let t: T = serde_json::from_value(v.clone()).map_err(bad)?;
    serde_json::to_value(t).map_err(bad)
}

fn is_subdomain(name: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|part| {
            part.starts_with(ok_char)
                && part.ends_with(ok_char)
                && part.chars().all(|c| ok_char(c) || c == '-')
        })
}

/// Sets `obj[key]` to `value` when absent.
fn or_insert(obj: &mut Value, key: &str, value: Value) {
    if let Some(m) = obj.as_object_mut() {
        m.entry(key).or_insert(value);
    }
}

fn default_deployment(d: &mut Value) {
    let spec = &mut d["spec"];
    or_insert(spec, "replicas", json!(1));
    or_insert(spec, "revisionHistoryLimit", json!(10));
    or_insert(spec, "progressDeadlineSeconds", json!(600));
    or_insert(spec, "strategy", json!({"type": "RollingUpdate"}));
    if spec["strategy"]["type"] == "RollingUpdate" {
        or_insert(&mut spec["strategy"], "rollingUpdate", json!({}));
        let ru = &mut spec["strategy"]["rollingUpdate"];
        or_insert(ru, "maxUnavailable", json!("25%"));
        or_insert(ru, "maxSurge", json!("25%"));
    }
    let pod = &mut spec["template"]["spec"];
    or_insert(pod, "restartPolicy", json!("Always"));
    or_insert(pod, "terminationGracePeriodSeconds", json!(30));
    or_insert(pod, "dnsPolicy", json!("ClusterFirst"));
    or_insert(pod, "securityContext", json!({}));
    or_insert(pod, "schedulerName", json!("default-scheduler"));
    if let Some(containers) = pod["containers"].as_array_mut() {
        for c in containers {
            let image = c["image"].as_str().unwrap_or_default();
            let latest = crate::sim::app::version_of(image) == "latest";
            or_insert(
                c,
                "imagePullPolicy",
                json!(if latest { "Always" } else { "IfNotPresent" }),
            );
            or_insert(c, "terminationMessagePath", json!("/dev/termination-log"));
            or_insert(c, "terminationMessagePolicy", json!("File"));
            or_insert(c, "resources", json!({}));
            if let Some(ports) = c["ports"].as_array_mut() {
                for p in ports {
                    or_insert(p, "protocol", json!("TCP"));
                }
            }
            for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
                if c[probe].is_object() {
                    let p = &mut c[probe];
                    for (k, v) in [
                        ("timeoutSeconds", 1),
                        ("periodSeconds", 10),
                        ("successThreshold", 1),
                        ("failureThreshold", 3),
                    ] {
                        or_insert(p, k, json!(v));
                    }
                    if p["httpGet"].is_object() {
                        or_insert(&mut p["httpGet"], "scheme", json!("HTTP"));
                    }
                }
            }
        }
    }
}

fn validate_deployment(name: &str, old: Option<&Value>, d: &Value) -> Result<(), KubeError> {
    let invalid =
        |field: &str, msg: String| Err(KubeError::invalid(Kind::Deployment, name, field, msg));
    let replicas = d["spec"]["replicas"].as_i64().unwrap_or(0);
    if replicas < 0 {
        return invalid(
            "spec.replicas",
            format!("Invalid value: {replicas}: must be greater than or equal to 0"),
        );
    }
    let selector = &d["spec"]["selector"];
    let match_labels = selector["matchLabels"].as_object();
    if match_labels.is_none_or(|m| m.is_empty())
        && selector["matchExpressions"]
            .as_array()
            .is_none_or(Vec::is_empty)
    {
        return invalid("spec.selector", "Required value".into());
    }
    let labels = &d["spec"]["template"]["metadata"]["labels"];
    if let Some(m) = match_labels
        && !m.iter().all(|(k, v)| labels.get(k) == Some(v))
    {
        return invalid(
            "spec.template.metadata.labels",
            format!("Invalid value: {labels}: `selector` does not match template `labels`"),
        );
    }
    if let Some(old) = old
        && old["spec"]["selector"] != *selector
    {
        return invalid(
            "spec.selector",
            format!("Invalid value: {selector}: field is immutable"),
        );
    }
    let containers = d["spec"]["template"]["spec"]["containers"].as_array();
    if containers.is_none_or(Vec::is_empty) {
        return invalid("spec.template.spec.containers", "Required value".into());
    }
    for (i, c) in containers.into_iter().flatten().enumerate() {
        if c["image"].as_str().is_none_or(str::is_empty) {
            return invalid(
                &format!("spec.template.spec.containers[{i}].image"),
                "Required value".into(),
            );
        }
    }
    Ok(())
}

fn default_service(old: Option<&Value>, s: &mut Value) {
    let spec = &mut s["spec"];
    or_insert(spec, "type", json!("ClusterIP"));
    or_insert(spec, "sessionAffinity", json!("None"));
    or_insert(spec, "ipFamilies", json!(["IPv4"]));
    or_insert(spec, "ipFamilyPolicy", json!("SingleStack"));
    or_insert(spec, "internalTrafficPolicy", json!("Cluster"));
    // Once allocated, the cluster IP stays (an update that omits it keeps it).
    let ip = old
        .and_then(|o| o.pointer("/spec/clusterIP").cloned())
        .unwrap_or_else(|| {
            json!(format!(
                "10.96.{}.{}",
                fastrand::u8(1..255),
                fastrand::u8(1..255)
            ))
        });
    or_insert(spec, "clusterIP", ip.clone());
    or_insert(spec, "clusterIPs", json!([ip]));
    if let Some(ports) = spec["ports"].as_array_mut() {
        for p in ports {
            or_insert(p, "protocol", json!("TCP"));
            let port = p["port"].clone();
            or_insert(p, "targetPort", port);
        }
    }
    or_insert(s, "status", json!({"loadBalancer": {}}));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_rfc1123_subdomains() {
        assert!(is_subdomain("openclaw-api-blue"));
        assert!(is_subdomain("a.b-c"));
        assert!(!is_subdomain("Blue"));
        assert!(!is_subdomain("-x"));
        assert!(!is_subdomain(""));
    }

    fn config_map(data: Value) -> Value {
        json!({"metadata": {"name": "ocfail-history"}, "data": data})
    }

    #[test]
    fn config_map_keys_and_size_are_checked_like_the_api_server() {
        let mut ok = config_map(json!({"run-1.json": "{}", "A_b-c.d": "x"}));
        prepare(Kind::ConfigMap, None, &mut ok).unwrap();
        assert_eq!(ok["kind"], "ConfigMap");
        assert_eq!(ok["apiVersion"], "v1");

        let mut bad = config_map(json!({"a/b": "x", "..x": "y", "fine": "z"}));
        let e = prepare(Kind::ConfigMap, None, &mut bad).unwrap_err();
        assert_eq!(e.code(), 422);
        let KubeError::Invalid { causes, .. } = &e else {
            panic!("{e:?}")
        };
        let fields: Vec<&str> = causes.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["data[..x]", "data[a/b]"]);
        assert_eq!(
            causes[1].1,
            format!("Invalid value: \"a/b\": {KEY_REGEX_MESSAGE}")
        );
        assert_eq!(
            causes[0].1,
            "Invalid value: \"..x\": must not start with '..'"
        );
        assert!(
            e.to_string()
                .starts_with("ConfigMap \"ocfail-history\" is invalid: data[..x]: "),
            "{e}"
        );

        let at_limit = "x".repeat(MAX_CONFIG_MAP_BYTES);
        prepare(
            Kind::ConfigMap,
            None,
            &mut config_map(json!({"a": at_limit})),
        )
        .unwrap();
        let mut over = config_map(json!({"a": at_limit, "b": "y"}));
        let e = prepare(Kind::ConfigMap, None, &mut over).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ConfigMap \"ocfail-history\" is invalid: []: Too long: may not be more than 1048576 bytes"
        );
        // binaryData counts its decoded bytes: 4 base64 characters are 3 bytes.
        let mut binary = config_map(json!({"a": "x".repeat(MAX_CONFIG_MAP_BYTES - 3)}));
        binary["binaryData"] = json!({"b": "AAAA"});
        prepare(Kind::ConfigMap, None, &mut binary.clone()).unwrap();
        binary["binaryData"] = json!({"b": "AAAAAA=="});
        assert_eq!(
            prepare(Kind::ConfigMap, None, &mut binary)
                .unwrap_err()
                .code(),
            422
        );
    }

    #[test]
    fn an_immutable_config_map_keeps_its_data() {
        let mut old = config_map(json!({"a": "1"}));
        old["immutable"] = json!(true);
        prepare(Kind::ConfigMap, None, &mut old).unwrap();
        let mut relabelled = old.clone();
        relabelled["metadata"]["labels"] = json!({"x": "y"});
        prepare(Kind::ConfigMap, Some(&old), &mut relabelled).unwrap();
        let mut changed = old.clone();
        changed["data"]["a"] = json!("2");
        changed["immutable"] = json!(false);
        let KubeError::Invalid { causes, .. } =
            prepare(Kind::ConfigMap, Some(&old), &mut changed).unwrap_err()
        else {
            panic!("not Invalid")
        };
        let fields: Vec<&str> = causes.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["immutable", "data"]);
    }

    #[test]
    fn deployments_are_defaulted_and_checked() {
        let mut d = json!({"metadata": {"name": "d"}, "spec": {
            "selector": {"matchLabels": {"app": "d"}},
            "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": [{"name": "app", "image": "x:1"}]}}}});
        prepare(Kind::Deployment, None, &mut d).unwrap();
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
        assert_eq!(d["kind"], "Deployment");
        let mut bad = d.clone();
        bad["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
        let e = prepare(Kind::Deployment, Some(&d), &mut bad).unwrap_err();
        assert_eq!(e.code(), 422);
        let mut typo = d.clone();
        typo["spec"]["replicas"] = json!("three");
        assert_eq!(
            prepare(Kind::Deployment, None, &mut typo)
                .unwrap_err()
                .code(),
            400
        );
    }
}
