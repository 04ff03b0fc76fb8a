//! deploy/: what `kubectl kustomize deploy/` renders is what a cluster would
//! accept (every object decodes into its k8s-openapi type, no field lost),
//! the Role grants exactly the namespaced rows of the permission table that
//! `validate --live` checks, and the CronJob, the exporter and the example
//! fleet fit together (the paths, names and ports each one assumes of the
//! others).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use clap::Parser;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Container, PodSpec, Secret, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding};
use ocfail::cli::args::{Args, Command as Cmd, Output};
use ocfail::kube::permissions::{PERMISSIONS, Scope};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::util::{kubectl_or_skip, ocfail, root, text};

/// The rendered objects, decoded by kind.
#[derive(Default)]
struct Rendered {
    service_accounts: Vec<ServiceAccount>,
    roles: Vec<Role>,
    role_bindings: Vec<RoleBinding>,
    cron_jobs: Vec<CronJob>,
    deployments: Vec<Deployment>,
    services: Vec<Service>,
    config_maps: Vec<ConfigMap>,
    /// Every object as rendered, for what applies to all of them.
    raw: Vec<Value>,
}

/// `kubectl kustomize deploy/`, each document decoded into the type its kind
/// names; `None` without kubectl (outside CI).
fn render() -> Option<Rendered> {
    let kubectl = kubectl_or_skip()?;
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(root().join("deploy"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl kustomize deploy/ failed ({}):\n{}",
        out.status,
        text(&out.stderr)
    );
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text(&out.stdout)).unwrap();
    let mut r = Rendered::default();
    for doc in docs {
        let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
        match kind.as_str() {
            "ServiceAccount" => r.service_accounts.push(typed(&doc)),
            "Role" => r.roles.push(typed(&doc)),
            "RoleBinding" => r.role_bindings.push(typed(&doc)),
            "CronJob" => r.cron_jobs.push(typed(&doc)),
            "Deployment" => r.deployments.push(typed(&doc)),
            "Service" => r.services.push(typed(&doc)),
            "ConfigMap" => r.config_maps.push(typed(&doc)),
            other => panic!(
                "deploy/ renders a {other:?}, which this test does not check; decode it here \
                 (and say in docs/practice.md why it is needed)"
            ),
        }
        r.raw.push(doc);
    }
    Some(r)
}

/// `doc` as `T`, which must keep every field: k8s-openapi skips unknown
/// fields, so a misspelled one (`readOnlyRootFileSystem`) would decode fine
/// and be ignored by the API server too. Decoding also checks apiVersion.
#[track_caller]
fn typed<T: DeserializeOwned + Serialize>(doc: &Value) -> T {
    let name = format!("{} {}", doc["kind"], doc["metadata"]["name"]);
    let value: T = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("{name} does not decode: {e}\n{doc:#}"));
    let back = serde_json::to_value(&value).unwrap();
    let mut lost = Vec::new();
    missing(doc, &back, String::new(), &mut lost);
    assert!(
        lost.is_empty(),
        "{name}: fields its type does not have (misspelled?): {lost:?}"
    );
    value
}

/// The paths in `want` that `got` lacks or holds differently.
fn missing(want: &Value, got: &Value, path: String, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, v) in w {
                match g.get(k) {
                    Some(gv) => missing(v, gv, format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}")),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                missing(wv, gv, format!("{path}[{i}]"), out);
            }
        }
        (w, g) if w == g => {}
        (w, g) => out.push(format!("{path}: {w} became {g}")),
    }
}

/// The YAML file at `deploy/NAME`, as JSON.
fn deploy_yaml(name: &str) -> Value {
    let path = root().join("deploy").join(name);
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A grant as RBAC sees it: (group, resource[/subresource], verb).
type Grant = (String, String, String);

/// Mirrors src/kube/permissions/tests.rs: one grant per (group, resource,
/// verb) a rule names.
fn rule_grants(rules: &[PolicyRule]) -> Vec<Grant> {
    let mut out = Vec::new();
    for rule in rules {
        assert!(rule.resource_names.is_none(), "{rule:?}");
        assert!(rule.non_resource_urls.is_none(), "{rule:?}");
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                for verb in &rule.verbs {
                    out.push((group.clone(), resource.clone(), verb.clone()));
                }
            }
        }
    }
    out
}

fn only<'a, T>(items: &'a [T], kind: &str) -> &'a T {
    assert_eq!(items.len(), 1, "deploy/ renders one {kind}");
    &items[0]
}

/// The pod spec's only container.
fn container(pod: &PodSpec) -> &Container {
    assert_eq!(pod.containers.len(), 1, "{pod:?}");
    &pod.containers[0]
}

fn env<'a>(c: &'a Container, name: &str) -> &'a k8s_openapi::api::core::v1::EnvVar {
    c.env
        .iter()
        .flatten()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{} has no env {name}", c.name))
}

/// Where `c` mounts the volume of `pod` that satisfies `is`, and that volume.
fn mount_of<'a>(
    pod: &'a PodSpec,
    c: &'a Container,
    is: impl Fn(&k8s_openapi::api::core::v1::Volume) -> bool,
) -> (&'a str, &'a k8s_openapi::api::core::v1::Volume) {
    let volume = pod
        .volumes
        .iter()
        .flatten()
        .find(|v| is(v))
        .unwrap_or_else(|| panic!("no such volume in {:?}", pod.volumes));
    let mount = c
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.name == volume.name)
        .unwrap_or_else(|| panic!("volume {} is not mounted", volume.name));
    assert_eq!(mount.read_only, Some(true), "{mount:?}");
    (&mount.mount_path, volume)
}

/// What both pods share: the ServiceAccount, the locked-down security
/// context, resources, the token from the Secret, the fleet from the
/// generated ConfigMap, and the optional kubeconfig.
#[track_caller]
fn check_pod(pod: &PodSpec, fleet_config_map: &ConfigMap, image: &str) -> String {
    assert_eq!(pod.service_account_name.as_deref(), Some("ocfail"));
    let psc = pod
        .security_context
        .as_ref()
        .expect("a pod securityContext");
    assert_eq!(psc.run_as_non_root, Some(true));
    assert!(
        psc.run_as_user.is_some_and(|u| u > 0),
        "a numeric non-root UID"
    );
    let seccomp = psc.seccomp_profile.as_ref().expect("a seccomp profile");
    assert_eq!(seccomp.type_, "RuntimeDefault");

    let c = container(pod);
    assert_eq!(
        c.image.as_deref(),
        Some(image),
        "the kustomize images entry"
    );
    let sc = c
        .security_context
        .as_ref()
        .expect("a container securityContext");
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    let caps = sc.capabilities.as_ref().expect("capabilities");
    assert_eq!(caps.drop.as_deref(), Some(&["ALL".to_owned()][..]));
    let res = c.resources.as_ref().expect("resources");
    assert!(
        res.requests
            .as_ref()
            .is_some_and(|r| r.contains_key("memory"))
    );
    assert!(
        res.limits
            .as_ref()
            .is_some_and(|r| r.contains_key("memory"))
    );

    let token = env(c, "CLOUDFLARE_API_TOKEN");
    let secret = token
        .value_from
        .as_ref()
        .and_then(|f| f.secret_key_ref.as_ref())
        .expect("the token comes from a Secret");
    assert_eq!(
        (secret.name.as_str(), secret.key.as_str()),
        ("ocfail-cloudflare", "token")
    );
    assert_ne!(secret.optional, Some(true), "no run without a token");

    let fleet_name = fleet_config_map.metadata.name.as_deref().unwrap();
    let (fleet_dir, _) = mount_of(pod, c, |v| {
        v.config_map
            .as_ref()
            .is_some_and(|cm| cm.name == fleet_name)
    });

    let (kube_dir, kube) = mount_of(pod, c, |v| {
        v.secret.as_ref().and_then(|s| s.secret_name.as_deref()) == Some("ocfail-kubeconfig")
    });
    assert_eq!(
        kube.secret.as_ref().unwrap().optional,
        Some(true),
        "a fleet of in-cluster regions needs no kubeconfig"
    );
    assert_eq!(
        env(c, "KUBECONFIG").value.as_deref(),
        Some(format!("{kube_dir}/config").as_str())
    );
    format!("{fleet_dir}/fleet.yaml")
}

/// The image the kustomization's `images:` entry for `ocfail` renders.
fn kustomized_image() -> String {
    let k = deploy_yaml("kustomization.yaml");
    let images = k["images"].as_array().unwrap();
    let entry = images.iter().find(|i| i["name"] == "ocfail").unwrap();
    format!(
        "{}:{}",
        entry["newName"].as_str().unwrap(),
        entry["newTag"].as_str().unwrap()
    )
}

#[test]
fn kustomize_renders_every_object_as_its_type() {
    let Some(r) = render() else { return };
    let kinds: BTreeSet<&str> = r.raw.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "ConfigMap",
            "CronJob",
            "Deployment",
            "Role",
            "RoleBinding",
            "Service",
            "ServiceAccount",
        ]),
        "and no Secret: the token is never in the repository"
    );
    assert_eq!(r.raw.len(), 7, "one of each");
    let namespace = deploy_yaml("kustomization.yaml")["namespace"].clone();
    for doc in &r.raw {
        let meta = &doc["metadata"];
        assert_eq!(meta["namespace"], namespace, "{meta}");
        assert_eq!(meta["labels"]["app.kubernetes.io/name"], "ocfail", "{meta}");
        assert_eq!(
            meta["labels"]["app.kubernetes.io/part-of"], "ocfail",
            "{meta}"
        );
    }
    only(&r.service_accounts, "ServiceAccount");
}

#[test]
fn the_role_grants_exactly_the_namespaced_rows_of_the_table() {
    let Some(r) = render() else { return };
    let role = only(&r.roles, "Role");
    assert_eq!(role.metadata.name.as_deref(), Some("ocfail"));
    let granted = rule_grants(role.rules.as_deref().unwrap_or_default());
    let set: BTreeSet<Grant> = granted.iter().cloned().collect();
    assert_eq!(set.len(), granted.len(), "a grant is listed twice");
    let table: BTreeSet<Grant> = PERMISSIONS
        .iter()
        .filter(|p| p.scope == Scope::Namespace)
        .map(|p| (p.group.to_owned(), p.resource_path(), p.verb.to_owned()))
        .collect();
    let extra: Vec<_> = set.difference(&table).collect();
    assert!(
        extra.is_empty(),
        "the Role grants more than ocfail uses: {extra:?}"
    );
    let lacking: Vec<_> = table.difference(&set).collect();
    assert!(lacking.is_empty(), "the Role does not grant: {lacking:?}");

    let binding = only(&r.role_bindings, "RoleBinding");
    assert_eq!(binding.role_ref.kind, "Role");
    assert_eq!(binding.role_ref.name, "ocfail");
    let subjects = binding.subjects.as_deref().unwrap_or_default();
    let sa = only(&r.service_accounts, "ServiceAccount");
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert_eq!(subjects[0].kind, "ServiceAccount");
    assert_eq!(Some(&subjects[0].name), sa.metadata.name.as_ref());
    assert_eq!(
        subjects[0].namespace, sa.metadata.namespace,
        "the SA beside it"
    );
    assert_eq!(binding.metadata.namespace, role.metadata.namespace);
}

#[test]
fn the_cron_job_runs_practice_every_ten_minutes_one_at_a_time() {
    let Some(r) = render() else { return };
    let cron = only(&r.cron_jobs, "CronJob");
    assert_eq!(cron.metadata.name.as_deref(), Some("ocfail-practice"));
    let spec = cron.spec.as_ref().unwrap();
    assert_eq!(spec.schedule, "*/10 * * * *");
    assert_eq!(spec.concurrency_policy.as_deref(), Some("Forbid"));
    assert!(spec.starting_deadline_seconds.is_some());
    assert!(spec.successful_jobs_history_limit.is_some());
    assert!(spec.failed_jobs_history_limit.is_some());
    let job = spec.job_template.spec.as_ref().unwrap();
    assert_eq!(job.backoff_limit, Some(0), "a failed drill is not retried");
    assert!(
        job.active_deadline_seconds.is_some_and(|s| s >= 1800),
        "long enough for a drill"
    );
    let pod = job.template.spec.as_ref().unwrap();
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    assert!(
        pod.termination_grace_period_seconds
            .is_some_and(|s| s >= 120),
        "SIGTERM means put back, which takes time"
    );

    let cm = only(&r.config_maps, "ConfigMap");
    let fleet_path = check_pod(pod, cm, &kustomized_image());
    let c = container(pod);
    let args = c.args.clone().unwrap_or_default();
    assert_eq!(
        args,
        ["practice", "--fleet", fleet_path.as_str(), "-o", "json"],
        "practice with the mounted fleet"
    );
    // The real parser: the command exists and takes these flags.
    let mut flags = vec!["ocfail".to_owned()];
    flags.extend(args.iter().cloned());
    let parsed = Args::try_parse_from(&flags).unwrap();
    assert!(matches!(
        parsed.command,
        ocfail::cli::args::Command::Practice { .. }
    ));
    assert_eq!(parsed.global.fleet.as_deref(), Some(fleet_path.as_ref()));
    assert_eq!(parsed.global.output, Output::Json);

    // Who ran it, for the history: the ServiceAccount as the API server
    // names it, from the downward API (defined before it is used).
    let names: Vec<&str> = c.env.iter().flatten().map(|e| e.name.as_str()).collect();
    let actor = names.iter().position(|n| *n == "OCFAIL_ACTOR").unwrap();
    for (var, field) in [
        ("POD_NAMESPACE", "metadata.namespace"),
        ("SERVICE_ACCOUNT", "spec.serviceAccountName"),
    ] {
        let e = env(c, var);
        let f = e.value_from.as_ref().and_then(|v| v.field_ref.as_ref());
        assert_eq!(f.map(|f| f.field_path.as_str()), Some(field), "{var}");
        assert!(
            names.iter().position(|n| *n == var).unwrap() < actor,
            "{var}"
        );
    }
    assert_eq!(
        env(c, "OCFAIL_ACTOR").value.as_deref(),
        Some("system:serviceaccount:$(POD_NAMESPACE):$(SERVICE_ACCOUNT)")
    );
}

#[test]
fn the_fleet_config_map_is_deploy_fleet_yaml() {
    let Some(r) = render() else { return };
    let cm = only(&r.config_maps, "ConfigMap");
    let name = cm.metadata.name.as_deref().unwrap();
    assert!(
        name.starts_with("ocfail-fleet-"),
        "generated, with a hash: {name}"
    );
    let data: &BTreeMap<String, String> = cm.data.as_ref().unwrap();
    let file = std::fs::read_to_string(root().join("deploy/fleet.yaml")).unwrap();
    assert_eq!(data.keys().collect::<Vec<_>>(), ["fleet.yaml"]);
    assert_eq!(data["fleet.yaml"], file);
}

#[test]
fn the_exporter_serves_metrics_behind_its_service() {
    let Some(r) = render() else { return };
    let d = only(&r.deployments, "Deployment");
    assert_eq!(d.metadata.name.as_deref(), Some("ocfail-exporter"));
    let spec = d.spec.as_ref().unwrap();
    assert_eq!(
        spec.replicas,
        Some(1),
        "more would multiply the Cloudflare reads"
    );
    let pod = spec.template.spec.as_ref().unwrap();
    let cm = only(&r.config_maps, "ConfigMap");
    let fleet_path = check_pod(pod, cm, &kustomized_image());
    let c = container(pod);

    let mut argv = vec!["ocfail".to_owned()];
    argv.extend(c.args.clone().unwrap_or_default());
    let parsed = Args::try_parse_from(&argv).unwrap();
    assert_eq!(parsed.global.fleet.as_deref(), Some(fleet_path.as_ref()));
    let Cmd::Exporter { listen, .. } = parsed.command else {
        panic!("the Deployment runs {argv:?}, not the exporter");
    };
    assert!(
        listen.ip().is_unspecified(),
        "reachable from outside the pod: {listen}"
    );
    let port = c
        .ports
        .iter()
        .flatten()
        .find(|p| p.name.as_deref() == Some("metrics"))
        .expect("a port named metrics");
    assert_eq!(port.container_port, i32::from(listen.port()));
    for (which, probe) in [
        ("startup", &c.startup_probe),
        ("readiness", &c.readiness_probe),
        ("liveness", &c.liveness_probe),
    ] {
        let get = probe.as_ref().and_then(|p| p.http_get.as_ref());
        let get = get.unwrap_or_else(|| panic!("an HTTP {which} probe"));
        assert_eq!(get.path.as_deref(), Some("/healthz"), "{which}");
        assert_eq!(
            serde_json::to_value(&get.port).unwrap(),
            "metrics",
            "{which}"
        );
    }

    // The Service selects the exporter's pods and no practice Job's.
    let svc = only(&r.services, "Service");
    assert_eq!(svc.metadata.name.as_deref(), Some("ocfail-exporter"));
    let sspec = svc.spec.as_ref().unwrap();
    let selector = sspec.selector.as_ref().unwrap();
    let selects = |labels: &Option<BTreeMap<String, String>>| {
        let labels = labels.clone().unwrap_or_default();
        selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    };
    assert!(selects(&spec.template.metadata.as_ref().unwrap().labels));
    let cron = only(&r.cron_jobs, "CronJob");
    let job_pod = &cron
        .spec
        .as_ref()
        .unwrap()
        .job_template
        .spec
        .as_ref()
        .unwrap()
        .template;
    assert!(!selects(&job_pod.metadata.as_ref().unwrap().labels));
    let sport = only(sspec.ports.as_deref().unwrap_or_default(), "Service port");
    assert_eq!(sport.name.as_deref(), Some("metrics"));
    assert_eq!(sport.port, i32::from(listen.port()));
    assert_eq!(serde_json::to_value(&sport.target_port).unwrap(), "metrics");
}

#[test]
fn the_secret_example_is_a_secret_outside_the_kustomization() {
    let example = deploy_yaml("secret.example.yaml");
    let secret: Secret = typed(&example);
    assert_eq!(secret.metadata.name.as_deref(), Some("ocfail-cloudflare"));
    let data = secret.string_data.unwrap_or_default();
    assert_eq!(data.keys().collect::<Vec<_>>(), ["token"]);
    let k = deploy_yaml("kustomization.yaml");
    let listed = serde_json::to_string(&k).unwrap();
    assert!(!listed.contains("secret"), "the example is not applied");
}

#[test]
fn the_example_fleet_validates_and_runs_where_its_role_is() {
    ocfail()
        .args(["validate", "--fleet", "deploy/fleet.yaml"])
        .assert()
        .success();
    // The region reached with the pod's own ServiceAccount is in the
    // namespace the Role is rendered into.
    let fleet = deploy_yaml("fleet.yaml");
    let namespace = deploy_yaml("kustomization.yaml")["namespace"].clone();
    let local: Vec<&Value> = fleet["regions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["context"] == "in-cluster")
        .collect();
    assert_eq!(
        local.len(),
        1,
        "one region is the cluster the CronJob runs in"
    );
    let ns = match &local[0]["namespace"] {
        Value::Null => &fleet["defaults"]["namespace"],
        ns => ns,
    };
    assert_eq!(*ns, namespace);
}
