//! Fidelity check by a client nobody here wrote: kubectl, with the kubeconfig
//! the simulator writes, runs get, scale, patch, rollout status (a watch),
//! lease and raw reads, and keeps ConfigMaps (create, replace, delete); the
//! test then looks at the simulated world.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use ocfail::sim::SimHandle;

use crate::util::{LiveSim, kubectl_or_skip, text, wait_until};

const NS: &str = "us-east-1";

struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
}

impl Kubectl {
    /// Runs `kubectl --kubeconfig … -n us-east-1 ARGS` off the async runtime.
    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args([
                "--context",
                "prod-us-east-1",
                "-n",
                NS,
                "--request-timeout=10s",
            ])
            .args(args)
            .env("HOME", self.kubeconfig.parent().unwrap());
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }

    /// Runs kubectl and returns stdout, failing the test on a non-zero exit.
    async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "kubectl {args:?} failed ({}):\n{}{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }
}

/// kubectl with the kubeconfig of a fresh simulator; `None` without
/// kubectl (outside CI).
async fn start() -> Option<(LiveSim, Kubectl)> {
    let bin = kubectl_or_skip()?;
    let live = LiveSim::start().await;
    let kubeconfig = live.kubeconfig();
    Some((live, Kubectl { bin, kubeconfig }))
}

fn ready(sim: &SimHandle, name: &str) -> i32 {
    let d = sim
        .world()
        .cluster(NS)
        .unwrap()
        .deployment(NS, name)
        .unwrap();
    d.status.and_then(|s| s.ready_replicas).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_reads_what_the_simulator_serves() {
    let Some((LiveSim { sim, dir }, k)) = start().await else {
        return;
    };

    let out = k.ok(&["get", "deployments"]).await;
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("openclaw-api-blue ") && l.contains(" 3/3 ")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("openclaw-api-green ") && l.contains(" 0/0 ")),
        "{out}"
    );

    let json: serde_json::Value = serde_json::from_str(
        &k.ok(&["get", "deploy", "openclaw-api-blue", "-o", "json"])
            .await,
    )
    .unwrap();
    assert_eq!(json["kind"], "Deployment");
    assert_eq!(json["spec"]["replicas"], 3);
    assert_eq!(json["status"]["readyReplicas"], 3);
    assert_eq!(
        json["spec"]["template"]["metadata"]["labels"]["ocfail.dev/color"],
        "blue"
    );
    assert_eq!(
        json["spec"]["template"]["spec"]["containers"][0]["name"],
        "app"
    );

    let out = k.ok(&["get", "pods"]).await;
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("openclaw-api-blue-") && l.contains("Running"))
            .count(),
        3,
        "{out}"
    );

    let version: serde_json::Value =
        serde_json::from_str(&k.ok(&["get", "--raw", "/version"]).await).unwrap();
    assert_eq!(version["major"], "1");

    let lease = dir.path().join("lease.yaml");
    std::fs::write(
        &lease,
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: ocfail-lock\nspec:\n  holderIdentity: kubectl-test\n  leaseDurationSeconds: 30\n",
    )
    .unwrap();
    k.ok(&["create", "-f", lease.to_str().unwrap()]).await;
    let out = k.ok(&["get", "lease"]).await;
    assert!(
        out.lines()
            .any(|l| l.starts_with("ocfail-lock ") && l.contains("kubectl-test")),
        "{out}"
    );

    let out = k.run(&["--token", "invalid", "get", "deploy"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Unauthorized"),
        "{}",
        text(&out.stderr)
    );
    let out = k
        .run(&[
            "--token",
            "read-only",
            "scale",
            "deploy",
            "openclaw-api-blue",
            "--replicas=1",
        ])
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Error from server (Forbidden)"),
        "{}",
        text(&out.stderr)
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_changes_reach_the_world() {
    let Some((LiveSim { sim, dir: _dir }, k)) = start().await else {
        return;
    };
    let cluster = sim.world().cluster(NS).unwrap().clone();

    let out = k
        .ok(&["scale", "deployment", "openclaw-api-blue", "--replicas=0"])
        .await;
    assert!(
        out.contains("deployment.apps/openclaw-api-blue scaled"),
        "{out}"
    );
    let blue = cluster.deployment(NS, "openclaw-api-blue").unwrap();
    assert_eq!(blue.spec.unwrap().replicas, Some(0));
    wait_until(Duration::from_secs(5), "blue to drain", || async {
        ready(&sim, "openclaw-api-blue") == 0
    })
    .await;

    let out = k
        .ok(&[
            "patch",
            "service",
            "openclaw-api",
            "-p",
            r#"{"spec":{"selector":{"ocfail.dev/color":"green"}}}"#,
        ])
        .await;
    assert!(out.contains("service/openclaw-api patched"), "{out}");
    let selector = |sim: &SimHandle| cluster_selector(sim, "openclaw-api");
    assert_eq!(
        selector(&sim),
        ["app=openclaw-api", "ocfail.dev/color=green"]
    );
    k.ok(&[
        "patch",
        "service",
        "openclaw-api",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"selector":{"ocfail.dev/color":"blue"}}}"#,
    ])
    .await;
    assert_eq!(
        selector(&sim),
        ["app=openclaw-api", "ocfail.dev/color=blue"]
    );
    let changes = sim
        .world()
        .log
        .snapshot()
        .into_iter()
        .filter(|e| e.kind == "service-selector-changed")
        .count();
    assert_eq!(changes, 2);

    k.ok(&["scale", "deployment", "openclaw-api-green", "--replicas=2"])
        .await;
    let out = k
        .ok(&[
            "rollout",
            "status",
            "deployment/openclaw-api-green",
            "--timeout=20s",
        ])
        .await;
    assert!(
        out.contains("deployment \"openclaw-api-green\" successfully rolled out"),
        "{out}"
    );
    assert_eq!(ready(&sim, "openclaw-api-green"), 2);

    // An image that never becomes ready makes rollout status time out.
    k.ok(&[
        "set",
        "image",
        "deployment/openclaw-api-green",
        "app=registry.example.com/openclaw-api:1.5.0-bad",
    ])
    .await;
    let out = k
        .run(&[
            "rollout",
            "status",
            "deployment/openclaw-api-green",
            "--timeout=2s",
        ])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("timed out waiting for the condition"),
        "{}",
        text(&out.stderr)
    );
    let out = k.ok(&["get", "pods", "-l", "ocfail.dev/color=green"]).await;
    assert!(out.contains("CrashLoopBackOff"), "{out}");
    sim.shutdown().await;
}

/// A Service's selector as `key=value` strings, sorted by key.
fn cluster_selector(sim: &SimHandle, service: &str) -> Vec<String> {
    let svc = sim
        .world()
        .cluster(NS)
        .unwrap()
        .service(NS, service)
        .unwrap();
    let sel = svc.spec.unwrap().selector.unwrap();
    sel.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_keeps_config_maps_like_the_api_server() {
    let Some((LiveSim { sim, dir }, k)) = start().await else {
        return;
    };
    let out = k.ok(&["get", "configmaps"]).await;
    assert_eq!(out, "", "none are seeded");

    let out = k
        .ok(&[
            "create",
            "configmap",
            "ocfail-history",
            "--from-literal=run-1.json={\"verdict\":\"ok\"}",
            "--from-literal=run-2.json={}",
        ])
        .await;
    assert!(out.contains("configmap/ocfail-history created"), "{out}");

    let out = k.ok(&["get", "cm"]).await;
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["NAME", "DATA", "AGE"], "{out}");
    assert_eq!(lines[1][..2], ["ocfail-history", "2"], "{out}");

    let first: serde_json::Value = serde_json::from_str(
        &k.ok(&["get", "configmap", "ocfail-history", "-o", "json"])
            .await,
    )
    .unwrap();
    assert_eq!(first["kind"], "ConfigMap");
    assert_eq!(first["data"]["run-1.json"], r#"{"verdict":"ok"}"#);
    let stored = sim
        .world()
        .cluster(NS)
        .unwrap()
        .get(ocfail::sim::cluster::Kind::ConfigMap, NS, "ocfail-history")
        .unwrap();
    assert_eq!(stored["data"], first["data"], "kubectl wrote the world");

    // A replace from a copy read before someone else's write is refused.
    k.ok(&[
        "patch",
        "configmap",
        "ocfail-history",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"run-3.json":"{}"}}"#,
    ])
    .await;
    let mut stale = first.clone();
    stale["data"]["run-9.json"] = serde_json::json!("{}");
    let file = dir.path().join("stale.json");
    std::fs::write(&file, stale.to_string()).unwrap();
    let out = k.run(&["replace", "-f", file.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("Error from server (Conflict)")
            && text(&out.stderr).contains("the object has been modified"),
        "{}",
        text(&out.stderr)
    );

    // Keys are checked by the server too (`create configmap` checks them
    // itself; a file is sent as it is).
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a:b: \"1\"\n",
    )
    .unwrap();
    let out = k.run(&["create", "-f", bad.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("is invalid: data[a:b]: Invalid value: \"a:b\": a valid config key"),
        "{}",
        text(&out.stderr)
    );

    let out = k.ok(&["delete", "configmap", "ocfail-history"]).await;
    assert!(
        out.contains("configmap \"ocfail-history\" deleted"),
        "{out}"
    );
    let out = k.run(&["get", "configmap", "ocfail-history"]).await;
    assert!(
        text(&out.stderr).contains("configmaps \"ocfail-history\" not found"),
        "{}",
        text(&out.stderr)
    );
    sim.shutdown().await;
}
