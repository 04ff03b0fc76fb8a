//! Finding a load balancer or pool by what the manifest says, and the
//! "these exist" hints when nothing matches.

use crate::cloudflare::error::{CfError, CfErrorKind};
use crate::cloudflare::wire::{LoadBalancer, Pool};
use crate::manifest::fields::closest;

/// Names shown in a hint before "… and N more".
const MAX_NAMES: usize = 10;

/// A hostname as Cloudflare compares them: case-insensitive, and
/// `api.example.com.` is `api.example.com`.
fn host_key(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The load balancer whose name is `name` as a hostname.
pub(super) fn find_lb<'a>(lbs: &'a [LoadBalancer], name: &str) -> Option<&'a LoadBalancer> {
    let key = host_key(name);
    lbs.iter().find(|lb| host_key(&lb.name) == key)
}

/// The pool with this id, else this name, else this name ignoring case (when
/// only one pool matches that way).
pub(super) fn find_pool<'a>(pools: &'a [Pool], wanted: &str) -> Option<&'a Pool> {
    if let Some(p) = pools.iter().find(|p| p.id == wanted) {
        return Some(p);
    }
    if let Some(p) = pools.iter().find(|p| p.name == wanted) {
        return Some(p);
    }
    let mut folded = pools.iter().filter(|p| p.name.eq_ignore_ascii_case(wanted));
    match (folded.next(), folded.next()) {
        (Some(p), None) => Some(p),
        _ => None,
    }
}

/// Real object ids are 32 hex digits; only those are worth a GET by id.
pub(super) fn looks_like_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Safe to put in a path unescaped (ids are hex; the simulator's are
/// alphanumeric; nothing else is an id).
pub(super) fn is_path_segment(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Refuses an id that cannot be one before it is put in a path.
pub(super) fn check_id(id: &str, what: &str, method: &str, path: &str) -> Result<(), CfError> {
    if is_path_segment(id) {
        return Ok(());
    }
    Err(CfError::new(
        CfErrorKind::NotFound,
        format!("{method} {path}"),
        format!("{id:?} is not a {what} id"),
    )
    .with_hint(format!(
        "{what} ids are 32 hexadecimal characters; run `ocfail health` to see the pools"
    )))
}

/// `names`, the one closest to `wanted` first, then in the API's order.
pub(super) fn names_closest_first(wanted: &str, names: &[&str]) -> String {
    let near = closest(wanted, names.iter().copied());
    let mut ordered: Vec<&str> = near.into_iter().collect();
    ordered.extend(names.iter().copied().filter(|n| Some(*n) != near));
    let mut text = ordered
        .iter()
        .take(MAX_NAMES)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if ordered.len() > MAX_NAMES {
        text.push_str(&format!(" … and {} more", ordered.len() - MAX_NAMES));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(id: &str, name: &str) -> Pool {
        Pool {
            id: id.into(),
            name: name.into(),
            ..Pool::default()
        }
    }

    #[test]
    fn lbs_match_as_hostnames() {
        let lbs = [LoadBalancer {
            name: "api.openclaw.com".into(),
            ..LoadBalancer::default()
        }];
        assert!(find_lb(&lbs, "API.OpenClaw.com.").is_some());
        assert!(find_lb(&lbs, "api.openclaw.co").is_none());
    }

    #[test]
    fn pools_by_id_then_name_then_folded_name() {
        let pools = [
            pool("aa", "Primary"),
            pool("bb", "primary"),
            pool("cc", "Backup"),
        ];
        assert_eq!(find_pool(&pools, "cc").unwrap().name, "Backup");
        assert_eq!(find_pool(&pools, "primary").unwrap().id, "bb");
        assert_eq!(find_pool(&pools, "backup").unwrap().id, "cc");
        assert!(find_pool(&pools, "PRIMARY").is_none(), "ambiguous");
    }

    #[test]
    fn ids() {
        assert!(looks_like_id("17b5962d775c646f3f9725cbc7a53df4"));
        assert!(!looks_like_id("openclaw-us-east-1"));
        assert!(is_path_segment("openclaw_1-a"));
        for bad in ["", "a/b", "a?b", "a b", "..", &"a".repeat(65)] {
            assert!(!is_path_segment(bad), "{bad}");
        }
        let e = check_id("../x", "pool", "GET", "/p").unwrap_err();
        assert_eq!(e.kind, CfErrorKind::NotFound);
    }

    #[test]
    fn closest_name_comes_first() {
        let names = [
            "openclaw-eu-central-1",
            "openclaw-us-east-1",
            "openclaw-ap-southeast-2",
        ];
        assert_eq!(
            names_closest_first("openclaw-us-east1", &names),
            "openclaw-us-east-1, openclaw-eu-central-1, openclaw-ap-southeast-2"
        );
        let many: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(names_closest_first("zzzz", &refs).ends_with("p9 … and 2 more"));
    }
}
