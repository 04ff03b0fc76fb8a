//! Reading Kubernetes' protobuf request bodies, for the few requests kubectl
//! sends that way: its typed clientset prefers protobuf for built-in kinds,
//! so `kubectl auth can-i` (a SelfSubjectAccessReview) and `kubectl create
//! configmap` arrive as protobuf, while `get`, `apply`, `replace` and
//! `patch` go through its dynamic client as JSON. Answers are always JSON,
//! which kubectl's `Accept` allows.
//!
//! Only what those requests carry is decoded, field numbers from k8s.io/api's
//! `generated.proto` files; anything else is skipped, as an older protobuf
//! reader skips fields it does not know.

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use serde_json::{Map, Value, json};

/// Whether the body is Kubernetes' protobuf encoding.
pub(super) fn is_protobuf(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/vnd.kubernetes.protobuf"))
}

/// One field's value, by wire type.
#[derive(Clone, Copy, Debug)]
pub(super) enum Wire<'a> {
    /// Wire type 0 (ints, bools, enums).
    Varint(u64),
    /// Wire type 2 (strings, bytes, messages, map entries).
    Bytes(&'a [u8]),
    /// Wire types 1 and 5 (fixed-width numbers), never read here.
    Fixed,
}

/// One field: its number and value.
pub(super) type Field<'a> = (u64, Wire<'a>);

fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first()?;
        *buf = rest;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

/// The fields of one message; `None` when it is not well-formed.
pub(super) fn fields(mut buf: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf)?;
        let value = match key & 7 {
            0 => Wire::Varint(varint(&mut buf)?),
            1 => {
                buf = buf.get(8..)?;
                Wire::Fixed
            }
            2 => {
                let len = usize::try_from(varint(&mut buf)?).ok()?;
                let (v, rest) = (buf.get(..len)?, buf.get(len..)?);
                buf = rest;
                Wire::Bytes(v)
            }
            5 => {
                buf = buf.get(4..)?;
                Wire::Fixed
            }
            _ => return None,
        };
        out.push((key >> 3, value));
    }
    Some(out)
}

/// The bytes (message, string) in field `n`; the last one wins, as in protobuf.
pub(super) fn message<'a>(fields: &[Field<'a>], n: u64) -> Option<&'a [u8]> {
    fields.iter().rev().find_map(|(k, v)| match v {
        Wire::Bytes(b) if *k == n => Some(*b),
        _ => None,
    })
}

/// Every occurrence of the repeated field `n`, in order.
fn repeated<'a>(fields: &[Field<'a>], n: u64) -> impl Iterator<Item = &'a [u8]> {
    fields.iter().filter_map(move |(k, v)| match v {
        Wire::Bytes(b) if *k == n => Some(*b),
        _ => None,
    })
}

/// The varint in field `n`.
fn number(fields: &[Field<'_>], n: u64) -> Option<u64> {
    fields.iter().rev().find_map(|(k, v)| match v {
        Wire::Varint(x) if *k == n => Some(*x),
        _ => None,
    })
}

/// Named string fields of a message as a JSON object, empty ones left out
/// (as the JSON encoding omits them); `None` when malformed.
pub(super) fn strings(buf: &[u8], names: &[(u64, &str)]) -> Option<Value> {
    let fields = fields(buf)?;
    let mut out = Map::new();
    for (n, name) in names {
        if let Some(v) = message(&fields, *n).filter(|v| !v.is_empty()) {
            out.insert((*name).to_owned(), json!(std::str::from_utf8(v).ok()?));
        }
    }
    Some(Value::Object(out))
}

/// A `map<string, V>` field (repeated entries `{key = 1, value = 2}`) as a
/// JSON object, each value turned into JSON by `value`; `None` when absent.
fn map(
    fields: &[Field<'_>],
    n: u64,
    value: impl Fn(&[u8]) -> Option<Value>,
) -> Option<Option<Value>> {
    let mut out = Map::new();
    for entry in repeated(fields, n) {
        let entry = self::fields(entry)?;
        let key = std::str::from_utf8(message(&entry, 1).unwrap_or_default()).ok()?;
        out.insert(
            key.to_owned(),
            value(message(&entry, 2).unwrap_or_default())?,
        );
    }
    Some((!out.is_empty()).then_some(Value::Object(out)))
}

fn utf8(b: &[u8]) -> Option<Value> {
    std::str::from_utf8(b).ok().map(|s| json!(s))
}

/// The object inside Kubernetes' protobuf envelope: the magic `k8s\0`,
/// then `runtime.Unknown{typeMeta = 1, raw = 2}`; `raw` is the object.
pub(super) fn unwrap(body: &[u8]) -> Option<&[u8]> {
    let unknown = fields(body.strip_prefix(b"k8s\0")?)?;
    message(&unknown, 2)
}

/// `ObjectMeta` (apimachinery's `generated.proto`): the names, the
/// resourceVersion a write is conditional on, labels, annotations and
/// finalizers. Server-set fields (uid, timestamps, managed fields) are
/// the server's to fill and are skipped.
fn object_meta(buf: &[u8]) -> Option<Value> {
    let mut meta = strings(
        buf,
        &[
            (1, "name"),
            (2, "generateName"),
            (3, "namespace"),
            (6, "resourceVersion"),
        ],
    )?;
    let fields = fields(buf)?;
    for (n, name) in [(11, "labels"), (12, "annotations")] {
        if let Some(m) = map(&fields, n, utf8)? {
            meta[name] = m;
        }
    }
    let finalizers: Vec<Value> = repeated(&fields, 14).map(utf8).collect::<Option<_>>()?;
    if !finalizers.is_empty() {
        meta["finalizers"] = json!(finalizers);
    }
    Some(meta)
}

/// A ConfigMap (`metadata = 1, data = 2, binaryData = 3, immutable = 4`)
/// from the envelope, as the JSON the rest of the simulator works on.
pub(super) fn config_map(body: &[u8]) -> Option<Value> {
    let fields = fields(unwrap(body)?)?;
    let mut out = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(message(&fields, 1).unwrap_or_default())?,
    });
    if let Some(data) = map(&fields, 2, utf8)? {
        out["data"] = data;
    }
    let b64 = |b: &[u8]| Some(json!(base64::engine::general_purpose::STANDARD.encode(b)));
    if let Some(binary) = map(&fields, 3, b64)? {
        out["binaryData"] = binary;
    }
    if let Some(immutable) = number(&fields, 4) {
        out["immutable"] = json!(immutable != 0);
    }
    Some(out)
}

/// Hex as a test fixture writes it, as bytes.
#[cfg(test)]
pub(super) fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectls_create_configmap_is_read() {
        // `kubectl create configmap ocfail-history --from-literal=a=1
        // --from-literal=b.json='{"x":2}' --from-file=bin=<"\0\1bin">`, as
        // kubectl 1.32 sends it.
        let body = from_hex(concat!(
            "6b3873000a0f0a0276311209436f6e6669674d617012490a1e0a0e6f636661696c",
            "2d686973746f727912001a0022002a0032003800420012060a016112013112110a",
            "06622e6a736f6e12077b2278223a327d120c0a0362696e1205000162696e1a0022",
            "00",
        ));
        assert_eq!(
            config_map(&body).unwrap(),
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "ocfail-history"},
                "data": {"a": "1", "b.json": "{\"x\":2}", "bin": "\u{0}\u{1}bin"},
            })
        );
        // A file that is not UTF-8 goes to binaryData.
        let body = from_hex(concat!(
            "6b3873000a0f0a0276311209436f6e6669674d6170121f0a120a02683212001a00",
            "22002a003200380042001a090a0362696e1202fffe1a002200",
        ));
        assert_eq!(
            config_map(&body).unwrap(),
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "h2"},
                "binaryData": {"bin": "//4="},
            })
        );
        assert!(config_map(b"k8s\0\x12\x03\x0a\x05x").is_none(), "truncated");
        assert!(config_map(b"{}").is_none(), "not protobuf");
    }

    #[test]
    fn metadata_maps_and_booleans_are_read() {
        // metadata{name "m", labels{"k": "v"}}, immutable = true.
        let label = [0x0a, 0x01, b'k', 0x12, 0x01, b'v'];
        let mut meta = vec![0x0a, 0x01, b'm', 0x5a, label.len() as u8];
        meta.extend_from_slice(&label);
        let mut raw = vec![0x0a, meta.len() as u8];
        raw.extend_from_slice(&meta);
        raw.extend_from_slice(&[0x20, 0x01]);
        let mut body = b"k8s\0".to_vec();
        body.extend_from_slice(&[0x12, raw.len() as u8]);
        body.extend_from_slice(&raw);
        let cm = config_map(&body).unwrap();
        assert_eq!(cm["metadata"], json!({"name": "m", "labels": {"k": "v"}}));
        assert_eq!(cm["immutable"], true);
    }
}
