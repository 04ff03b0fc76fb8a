//! One-line descriptions of API errors for report details: the error, then
//! its hint, so a reader of the JSON or JUnit report knows what to do.

use crate::cloudflare::CfError;
use crate::kube::KubeError;

/// `error; hint: …`.
pub fn cf(e: &CfError) -> String {
    with_hint(e.to_string(), e.hint.as_deref())
}

/// `error; hint: …`.
pub fn kube(e: &KubeError) -> String {
    with_hint(e.to_string(), e.hint.as_deref())
}

fn with_hint(mut s: String, hint: Option<&str>) -> String {
    if let Some(h) = hint {
        s.push_str("; hint: ");
        s.push_str(h);
    }
    s
}
