//! `/version` and legacy discovery (`/api`, `/apis`, group versions), the
//! documents kubectl reads to map `deploy` to `apps/v1` deployments.
//! Aggregated discovery is not served: clients fall back when the answer's
//! `Content-Type` is plain JSON.

use serde_json::{Value, json};

use super::access_review;
use crate::sim::cluster::Kind;

/// `/version`.
pub fn version() -> Value {
    json!({
        "major": "1", "minor": "33",
        "gitVersion": "v1.33.0-ocfail-sim",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-04-23T00:00:00Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `/api`.
pub fn api_versions(server: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}],
    })
}

/// The named groups, in discovery order.
fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for k in Kind::ALL {
        if !k.group().is_empty() && !out.contains(&(k.group(), k.version())) {
            out.push((k.group(), k.version()));
        }
    }
    out
}

fn group(name: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{name}/{version}"), "version": version});
    json!({"name": name, "versions": [gv.clone()], "preferredVersion": gv})
}

/// The groups discovery lists: the stored kinds' groups, then the ones
/// that are only answered (access reviews), which have no OpenAPI document.
fn discovery_groups() -> Vec<(&'static str, &'static str)> {
    let mut out = groups();
    out.push((access_review::GROUP, access_review::VERSION));
    out
}

/// `/apis`.
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = discovery_groups()
        .into_iter()
        .map(|(g, v)| group(g, v))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/{group}`, `None` for an unknown group.
pub fn api_group(name: &str) -> Option<Value> {
    let (g, v) = discovery_groups().into_iter().find(|(g, _)| *g == name)?;
    let mut doc = group(g, v);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

/// `/api/v1` or `/apis/{group}/{version}`, `None` when nothing is served there.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    if (group, version) == (access_review::GROUP, access_review::VERSION) {
        return Some(json!({
            "kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": format!("{group}/{version}"),
            "resources": [access_review::resource()],
        }));
    }
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| k.group() == group && k.version() == version)
        .collect();
    if kinds.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for k in kinds {
        let mut r = json!({
            "name": k.plural(),
            "singularName": k.singular(),
            "namespaced": k.namespaced(),
            "kind": k.kind(),
            "verbs": k.verbs(),
        });
        if !k.short_names().is_empty() {
            r["shortNames"] = json!(k.short_names());
        }
        if !k.categories().is_empty() {
            r["categories"] = json!(k.categories());
        }
        resources.push(r);
        let sub = |name: &str, kind: &str, verbs: &[&str]| json!({"name": format!("{}/{name}", k.plural()), "singularName": "", "namespaced": k.namespaced(), "kind": kind, "verbs": verbs});
        match k {
            Kind::Deployment => {
                let mut scale = sub("scale", "Scale", &["get", "patch", "update"]);
                scale["group"] = json!("autoscaling");
                scale["version"] = json!("v1");
                resources.push(scale);
                resources.push(sub("status", "Deployment", &["get", "patch", "update"]));
            }
            Kind::Service => {
                resources.push(sub(
                    "proxy",
                    "ServiceProxyOptions",
                    &["create", "delete", "get", "patch", "update"],
                ));
            }
            _ => {}
        }
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}

/// `/openapi/v3`: where each group version's document lives.
pub fn openapi_root() -> Value {
    let mut paths = serde_json::Map::new();
    let mut gvs: Vec<(&str, &str)> = vec![("", "v1")];
    gvs.extend(groups());
    for (g, v) in gvs {
        let path = if g.is_empty() {
            format!("api/{v}")
        } else {
            format!("apis/{g}/{v}")
        };
        paths.insert(
            path.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash=0")}),
        );
    }
    json!({"paths": paths})
}

/// `/openapi/v3/api/v1`, `/openapi/v3/apis/{group}/{version}`: a minimal
/// document. kubectl reads it only to learn that the server validates
/// fields itself (a `fieldValidation` parameter on each kind's PATCH), so it
/// skips client-side schema validation, which would need the full schemas.
pub fn openapi_group_version(group: &str, version: &str) -> Option<Value> {
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| k.group() == group && k.version() == version)
        .collect();
    if kinds.is_empty() {
        return None;
    }
    let prefix = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    let mut paths = serde_json::Map::new();
    for k in kinds {
        let path = if k.namespaced() {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", k.plural())
        } else {
            format!("{prefix}/{}/{{name}}", k.plural())
        };
        let op = json!({
            "operationId": format!("patch{}", k.kind()),
            "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": k.kind()},
            "parameters": [
                {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
                {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {"200": {"description": "OK"}},
        });
        paths.insert(path, json!({"patch": op}));
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_lists_what_is_served() {
        let apps = resource_list("apps", "v1").unwrap();
        let names: Vec<_> = apps["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["deployments", "deployments/scale", "deployments/status"]
        );
        assert_eq!(apps["resources"][0]["shortNames"], json!(["deploy"]));
        assert!(resource_list("apps", "v2").is_none());
        let groups: Vec<_> = api_group_list()["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            groups,
            [
                "apps",
                "coordination.k8s.io",
                "autoscaling",
                "authorization.k8s.io"
            ]
        );
        let core = resource_list("", "v1").unwrap();
        let cm = core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "configmaps")
            .unwrap();
        assert_eq!(cm["kind"], "ConfigMap");
        assert_eq!(cm["namespaced"], true);
        assert_eq!(cm["shortNames"], json!(["cm"]));
        assert_eq!(
            cm["verbs"],
            json!([
                "create", "delete", "get", "list", "patch", "update", "watch"
            ])
        );
        let authz = resource_list("authorization.k8s.io", "v1").unwrap();
        assert_eq!(authz["resources"][0]["name"], "selfsubjectaccessreviews");
        assert_eq!(authz["resources"][0]["verbs"], json!(["create"]));
        assert_eq!(
            api_group("autoscaling").unwrap()["preferredVersion"]["groupVersion"],
            "autoscaling/v2"
        );
    }
}
