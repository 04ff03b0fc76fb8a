//! The in-cluster config, as a CronJob's pod has it, pointed at a
//! standalone `ocfail sim`: `KUBERNETES_SERVICE_HOST`/`_PORT` name one
//! region's API server, `OCFAIL_SERVICEACCOUNT_DIR` holds a `token` and the
//! simulator's CA as `ca.crt`, and there is no `$KUBECONFIG` and no
//! `~/.kube/config` (an empty `HOME`).

use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use ocfail::exit_code;
use ocfail::sim::SimOptions;
use serde_json::Value;

use crate::util::{Launch, SECRET_TOKEN, SimProcess, exited, ocfail, text};

/// The region whose API server plays the pod's own cluster.
const OWN: &str = "us-east-1";

/// A pod's view of the simulator: its ServiceAccount and an empty home.
struct Pod {
    /// Holds `sa/` (token, ca.crt) and `home/`.
    dir: tempfile::TempDir,
    /// `OWN`'s API server port.
    port: u16,
}

impl Pod {
    /// The ServiceAccount of a pod in `OWN`'s cluster of `sim`, with `token`.
    fn of(sim: &SimProcess, token: &str) -> Pod {
        let kubeconfig = kube::config::Kubeconfig::read_from(sim.kubeconfig()).unwrap();
        let cluster = kubeconfig
            .clusters
            .iter()
            .find(|c| c.name == format!("sim-{OWN}"))
            .and_then(|c| c.cluster.clone())
            .unwrap();
        let server: http::Uri = cluster.server.unwrap().parse().unwrap();
        let ca = base64::engine::general_purpose::STANDARD
            .decode(cluster.certificate_authority_data.unwrap())
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sa")).unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        std::fs::write(dir.path().join("sa/token"), token).unwrap();
        std::fs::write(dir.path().join("sa/ca.crt"), ca).unwrap();
        Pod {
            dir,
            port: server.port_u16().unwrap(),
        }
    }

    fn account(&self) -> PathBuf {
        self.dir.path().join("sa")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// `ocfail -f FLEET ARGS` as in the pod; `in_pod` false leaves
    /// `KUBERNETES_SERVICE_HOST` out (a laptop with the same files).
    fn run(&self, fleet: &Path, args: &[&str], in_pod: bool) -> Output {
        let mut cmd = ocfail();
        cmd.arg("-f")
            .arg(fleet)
            .args(args)
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KUBERNETES_SERVICE_PORT")
            .env("HOME", self.home())
            .env("OCFAIL_SERVICEACCOUNT_DIR", self.account())
            .env("CLOUDFLARE_API_TOKEN", SECRET_TOKEN);
        if in_pod {
            cmd.env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
                .env("KUBERNETES_SERVICE_PORT", self.port.to_string());
        }
        cmd.output().unwrap()
    }
}

/// A region's report in a JSON report.
fn region<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == name)
        .unwrap_or_else(|| panic!("no region {name} in {report}"))
}

/// A check's detail in a region's report.
fn detail<'a>(region: &'a Value, check: &str) -> &'a str {
    region["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == check)
        .and_then(|c| c["detail"].as_str())
        .unwrap_or_else(|| panic!("no {check} check in {region}"))
}

#[test]
fn a_region_named_in_cluster_uses_the_service_account_and_the_others_the_kubeconfig() {
    let sim = Launch::seed().options(SimOptions::default()).spawn();
    sim.edit(&format!("context: prod-{OWN}"), "context: in-cluster");
    let pod = Pod::of(&sim, "sa-token");

    let out = pod.run(&sim.fleet(), &["status"], true);
    exited(&out, exit_code::OK);

    // The token file is what authenticates us-east-1, and only it.
    std::fs::write(pod.account().join("token"), "invalid").unwrap();
    let out = pod.run(&sim.fleet(), &["status", "-o", "json"], true);
    let report: Value = serde_json::from_str(&exited(&out, exit_code::UNAVAILABLE)).unwrap();
    let own = region(&report, OWN);
    assert_eq!(own["verdict"], "error", "{own}");
    let api = detail(own, "api");
    assert!(api.contains("refused the credentials"), "{api}");
    assert!(
        api.contains(&format!(
            "check the ServiceAccount token of the in-cluster config ($KUBERNETES_SERVICE_HOST and the ServiceAccount in {})",
            pod.account().display()
        )) && api.contains("`kubectl auth whoami`"),
        "{api}"
    );
    for other in ["eu-central-1", "ap-southeast-2"] {
        assert_eq!(region(&report, other)["verdict"], "pass", "{report}");
    }

    // No token mounted: us-east-1 says which file and what to do.
    std::fs::remove_file(pod.account().join("token")).unwrap();
    let out = pod.run(&sim.fleet(), &["status", "-o", "json"], true);
    let report: Value = serde_json::from_str(&exited(&out, exit_code::UNAVAILABLE)).unwrap();
    let api = detail(region(&report, OWN), "api");
    assert!(
        api.contains(&format!(
            "the ServiceAccount token {} does not exist",
            pod.account().join("token").display()
        )) && api.contains("OCFAIL_SERVICEACCOUNT_DIR"),
        "{api}"
    );

    // Outside a pod, `in-cluster` names the missing variables.
    std::fs::write(pod.account().join("token"), "sa-token").unwrap();
    let out = pod.run(&sim.fleet(), &["status", "-o", "json"], false);
    let report: Value = serde_json::from_str(&exited(&out, exit_code::UNAVAILABLE)).unwrap();
    let api = detail(region(&report, OWN), "api");
    assert!(
        api.contains("needs $KUBERNETES_SERVICE_HOST and $KUBERNETES_SERVICE_PORT"),
        "{api}"
    );
    assert_eq!(region(&report, "eu-central-1")["verdict"], "pass");
}

#[test]
fn without_any_kubeconfig_a_pod_reaches_every_region_in_cluster() {
    let sim = Launch::seed().options(SimOptions::default()).spawn();
    let written = std::fs::read_to_string(sim.fleet()).unwrap();
    let kubeconfig_line = written
        .lines()
        .find(|l| l.starts_with("kubeconfig: "))
        .unwrap();
    sim.edit(&format!("{kubeconfig_line}\n"), "");
    let pod = Pod::of(&sim, "sa-token");

    let out = pod.run(&sim.fleet(), &["validate", "--live", "-o", "json"], true);
    let report: Value = serde_json::from_str(&exited(&out, exit_code::FAILED)).unwrap();
    let own = region(&report, OWN);
    assert_eq!(own["verdict"], "pass", "{own}");
    for r in report["regions"].as_array().unwrap() {
        let context = detail(r, "context");
        assert!(
            context.starts_with("context in-cluster reaches Kubernetes"),
            "{context}"
        );
    }
    // The others went to the pod's own cluster too, where their namespaces
    // do not exist: the fallback is every region, each in its namespace.
    for other in ["eu-central-1", "ap-southeast-2"] {
        let r = region(&report, other);
        assert_eq!(
            detail(r, "namespace"),
            format!("namespace {other} does not exist"),
            "{r}"
        );
    }

    // Not in a pod, the missing ~/.kube/config is the error it always was.
    let out = pod.run(&sim.fleet(), &["status", "-o", "json"], false);
    let report: Value = serde_json::from_str(&exited(&out, exit_code::UNAVAILABLE)).unwrap();
    let api = detail(region(&report, OWN), "api");
    assert!(
        api.contains(&format!(
            "kubeconfig {} does not exist",
            pod.home().join(".kube/config").display()
        )),
        "{api}\n{}",
        text(&out.stderr)
    );

    // With ~/.kube/config present it is used, pod or not.
    std::fs::create_dir(pod.home().join(".kube")).unwrap();
    std::fs::copy(sim.kubeconfig(), pod.home().join(".kube/config")).unwrap();
    let out = pod.run(&sim.fleet(), &["status"], true);
    exited(&out, exit_code::OK);
}
