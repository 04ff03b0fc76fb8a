//! The table against the two things it must match: the requests the client
//! really sends, and the Role and ClusterRole in docs/user-guide.md.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::kube::client::Body;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use serde_json::{Value, json};

use super::*;
use crate::kube::{ConfigMapState, KubeRegion, LeaseSpec, LeaseState, ProxyRequest, Workloads};
use crate::manifest::{Region, RegionName};

/// A row as RBAC sees it: (scope, group, resource[/subresource], verb).
type Grant = (Scope, String, String, String);

fn grant(p: &Permission) -> Grant {
    (
        p.scope,
        p.group.to_owned(),
        p.resource_path(),
        p.verb.to_owned(),
    )
}

fn table() -> BTreeSet<Grant> {
    PERMISSIONS.iter().map(grant).collect()
}

#[test]
fn rows_are_unique_and_explained() {
    assert_eq!(table().len(), PERMISSIONS.len(), "a row is listed twice");
    for p in PERMISSIONS {
        assert!(
            !p.purpose.is_empty() && !p.without.is_empty() && !p.commands.is_empty(),
            "{p:?}"
        );
    }
    assert!(PERMISSIONS.contains(&DELETE_LEASES));
    assert_eq!(
        DELETE_LEASES.describe(),
        "delete leases.coordination.k8s.io"
    );
}

#[test]
fn cluster_wide_rows_are_asked_cluster_wide() {
    for p in PERMISSIONS {
        assert_eq!(
            p.access_check().namespaced,
            p.scope == Scope::Namespace,
            "{p:?}"
        );
    }
}

#[test]
fn smoke_check_methods_add_the_proxy_verbs_they_need() {
    let mut fleet = crate::manifest::seed_fleet();
    let base = for_fleet(&fleet).len();
    let mut check = fleet.rollout.smoke[0].clone();
    check.method = HttpMethod::Delete;
    fleet.rollout.smoke.push(check.clone());
    fleet.rollout.smoke.push(check);
    let needed = for_fleet(&fleet);
    assert_eq!(needed.len(), base + 1, "once, however many checks use it");
    let last = needed.last().unwrap();
    assert_eq!(last.describe(), "delete services/proxy");
}

/// What RBAC checks for one request: the verb from the method, the
/// resource from the path (kube-apiserver's RequestInfo, as far as ocfail
/// needs it). `None` for non-resource URLs such as `/version`.
fn rbac_of(method: &str, path: &str) -> Option<Grant> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, rest) = match segs.as_slice() {
        ["api", _v, rest @ ..] => ("", rest),
        ["apis", g, _v, rest @ ..] => (*g, rest),
        _ => return None,
    };
    let (scope, resource, name, sub) = match rest {
        ["namespaces", _ns, plural, rest @ ..] => (
            Scope::Namespace,
            *plural,
            rest.first().copied(),
            rest.get(1).copied(),
        ),
        [plural, rest @ ..] => (Scope::Cluster, *plural, rest.first().copied(), None),
        [] => return None,
    };
    let verb = match (sub, method, name) {
        (Some("proxy"), m, _) => crate::kube::client::proxy::rbac_verb(m),
        (_, "GET", None) => "list",
        (_, "GET", Some(_)) => "get",
        (_, "POST", _) => "create",
        (_, "PUT", _) => "update",
        (_, "PATCH", _) => "patch",
        (_, "DELETE", _) => "delete",
        (_, other, _) => panic!("unexpected method {other}"),
    };
    let resource = match sub {
        Some(s) => format!("{resource}/{s}"),
        None => resource.to_owned(),
    };
    Some((scope, group.to_owned(), resource, verb.to_owned()))
}

#[test]
fn rbac_of_reads_paths_as_the_api_server_does() {
    let ns = |g: &str, r: &str, v: &str| Some((Scope::Namespace, g.into(), r.into(), v.into()));
    assert_eq!(rbac_of("GET", "/version"), None);
    assert_eq!(
        rbac_of("PATCH", "/apis/apps/v1/namespaces/n/deployments/d/scale"),
        ns("apps", "deployments/scale", "patch")
    );
    assert_eq!(
        rbac_of("POST", "/api/v1/namespaces/n/services/s:8080/proxy/v1/rate"),
        ns("", "services/proxy", "create")
    );
    assert_eq!(
        rbac_of(
            "GET",
            "/apis/autoscaling/v2/namespaces/n/horizontalpodautoscalers"
        ),
        ns("autoscaling", "horizontalpodautoscalers", "list")
    );
    assert_eq!(
        rbac_of("GET", "/api/v1/namespaces/n"),
        Some((
            Scope::Cluster,
            String::new(),
            "namespaces".into(),
            "get".into()
        ))
    );
}

/// The (method, path) of every request the mock received.
type Requests = Arc<Mutex<Vec<(String, String)>>>;

/// A client over a mock API server that records every request and answers
/// 404, except a Deployment read (so `set_image` goes on to its patch).
fn recording() -> (KubeRegion, Requests) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let service = tower::service_fn(move |req: http::Request<Body>| {
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        log.lock().unwrap().push((method.clone(), path.clone()));
        let (status, body) = if method == "GET" && path.contains("/deployments/") {
            let d = json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "api-blue", "resourceVersion": "7"},
                "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "app", "image": "a:1"}]}}},
            });
            (200, d)
        } else {
            let s = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"});
            (404, s)
        };
        async move {
            http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string().into_bytes()))
        }
    });
    let region = Region {
        name: RegionName("us-east-1".into()),
        context: "prod-us-east-1".into(),
        namespace: "us-east-1".into(),
        deployment: "api".into(),
        service: "api".into(),
        port: 8080,
        pool: "pool".into(),
        probe: None,
    };
    let client = ::kube::Client::new(service, "us-east-1");
    let r = KubeRegion::from_client(&region, client, "https://mock", "k", Duration::from_secs(1));
    (r, seen)
}

/// Every request the client can send, made once; answers do not matter.
async fn call_everything(r: &KubeRegion) {
    let spec = LeaseSpec {
        name: "ocfail-lock".into(),
        holder: "drill/r/host/1".into(),
        duration_seconds: 30,
        acquire_time: "2025-01-01T00:00:00.000000Z".into(),
        renew_time: "2025-01-01T00:00:00.000000Z".into(),
    };
    let current = LeaseState {
        name: "ocfail-lock".into(),
        resource_version: Some("3".into()),
        ..LeaseState::default()
    };
    let proxy = |method: &str| ProxyRequest {
        service: "api".into(),
        port: 8080,
        method: method.into(),
        path: "/healthz".into(),
        body: None,
    };
    let _ = r.version().await;
    let _ = r.deployment("api-blue").await;
    let _ = r.service("api").await;
    let _ = r.namespace_exists().await;
    let _ = r.scale("api-blue", 0).await;
    let _ = r.set_image("api-green", "a:2", 3).await;
    let _ = r.set_selector("api", "ocfail.dev/color", "green").await;
    let _ = r.annotate_deployment("api-blue", "k", Some("v")).await;
    let _ = r.annotate_service("api", "k", None).await;
    let _ = r.proxy(&proxy("GET")).await;
    let _ = r.proxy(&proxy("POST")).await;
    let _ = r.lease("ocfail-lock").await;
    let _ = r.create_lease(&spec).await;
    let _ = r.replace_lease(&current, &spec).await;
    let _ = r.delete_lease("ocfail-lock", Some("3")).await;
    let history = ConfigMapState {
        name: "ocfail-history".into(),
        resource_version: Some("4".into()),
        ..ConfigMapState::default()
    };
    let _ = r.config_map("ocfail-history").await;
    let _ = r.create_config_map("ocfail-history", &history.data).await;
    let _ = r.replace_config_map(&history, &history.data).await;
    let _ = r.hpas().await;
    let _ = r.can_i(&DELETE_LEASES.access_check()).await;
}

#[tokio::test]
async fn the_table_is_exactly_what_the_client_sends() {
    let (r, seen) = recording();
    call_everything(&r).await;
    let sent: BTreeSet<Grant> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(m, p)| rbac_of(m, p))
        .collect();
    let table = table();
    let unlisted: Vec<_> = sent.difference(&table).collect();
    assert!(
        unlisted.is_empty(),
        "sent but not in the table: {unlisted:?}"
    );
    let unused: Vec<_> = table.difference(&sent).collect();
    assert!(unused.is_empty(), "in the table but never sent: {unused:?}");
}

/// The YAML documents of every ```yaml block in `markdown`.
fn yaml_documents(markdown: &str) -> Vec<Value> {
    let mut docs = Vec::new();
    let mut block: Option<String> = None;
    for line in markdown.lines() {
        match (&mut block, line.trim_start()) {
            (None, l) if l.starts_with("```yaml") => block = Some(String::new()),
            (Some(text), "```") => {
                docs.extend(serde_saphyr::from_multiple::<Value>(text).unwrap());
                block = None;
            }
            (Some(text), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    docs
}

fn rule_grants(scope: Scope, rules: &[PolicyRule]) -> Vec<Grant> {
    let mut out = Vec::new();
    for rule in rules {
        assert!(rule.resource_names.is_none(), "{rule:?}");
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                for verb in &rule.verbs {
                    out.push((scope, group.clone(), resource.clone(), verb.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn the_user_guide_grants_exactly_the_table() {
    let guide = include_str!("../../../docs/user-guide.md");
    let mut granted = Vec::new();
    let (mut roles, mut bound) = (BTreeSet::new(), BTreeSet::new());
    for doc in yaml_documents(guide) {
        let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
        match kind.as_str() {
            "Role" => {
                let role: Role = serde_json::from_value(doc).unwrap();
                roles.insert(("Role".to_owned(), role.metadata.name.unwrap()));
                granted.extend(rule_grants(
                    Scope::Namespace,
                    &role.rules.unwrap_or_default(),
                ));
            }
            "ClusterRole" => {
                let role: ClusterRole = serde_json::from_value(doc).unwrap();
                roles.insert(("ClusterRole".to_owned(), role.metadata.name.unwrap()));
                granted.extend(rule_grants(Scope::Cluster, &role.rules.unwrap_or_default()));
            }
            "RoleBinding" => {
                let b: RoleBinding = serde_json::from_value(doc).unwrap();
                assert!(!b.subjects.unwrap_or_default().is_empty());
                bound.insert((b.role_ref.kind, b.role_ref.name));
            }
            "ClusterRoleBinding" => {
                let b: ClusterRoleBinding = serde_json::from_value(doc).unwrap();
                assert!(!b.subjects.unwrap_or_default().is_empty());
                bound.insert((b.role_ref.kind, b.role_ref.name));
            }
            _ => {}
        }
    }
    let kinds: BTreeSet<&str> = roles.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["ClusterRole", "Role"]),
        "both are written out"
    );
    assert_eq!(roles, bound, "every role is bound, and only those");
    let set: BTreeSet<Grant> = granted.iter().cloned().collect();
    assert_eq!(set.len(), granted.len(), "a grant is listed twice");
    let table = table();
    let extra: Vec<_> = set.difference(&table).collect();
    assert!(
        extra.is_empty(),
        "the guide grants more than ocfail uses: {extra:?}"
    );
    let missing: Vec<_> = table.difference(&set).collect();
    assert!(missing.is_empty(), "the guide does not grant: {missing:?}");
}
