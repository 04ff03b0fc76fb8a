//! `ocfail validate --live` against the in-process simulator.

use ocfail::exit_code;

use crate::util::{LiveSim, exit, exited, text};

#[tokio::test(flavor = "multi_thread")]
async fn everything_named_exists_and_the_credentials_suffice() {
    let live = LiveSim::start().await;
    let out = live
        .run(&["validate", "--live", "-v", "--cloudflare-rps", "50"])
        .await;
    let stdout = exited(&out, exit_code::OK);
    assert!(stdout.contains("permissions: pass"), "{stdout}");
    assert!(stdout.contains("load-balancer: pass"), "{stdout}");
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_token_lists_exactly_the_missing_permissions() {
    let live = LiveSim::start().await;
    let kubeconfig = live.dir.path().join("kubeconfig");
    let original = std::fs::read_to_string(&kubeconfig).unwrap();
    let mut edited = String::new();
    for line in original.lines() {
        if line.trim_start().starts_with("token:") {
            let indent = &line[..line.len() - line.trim_start().len()];
            edited.push_str(&format!("{indent}token: read-only\n"));
        } else {
            edited.push_str(line);
            edited.push('\n');
        }
    }
    std::fs::write(&kubeconfig, edited).unwrap();
    let out = live
        .run_with_token(
            &["validate", "--live", "-v", "--cloudflare-rps", "50"],
            "read-only",
        )
        .await;
    let stdout = exited(&out, exit_code::UNAVAILABLE);
    // One error per missing permission, each naming it.
    let missing: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("permissions: error"))
        .collect();
    for permission in [
        "patch deployments.apps",
        "patch deployments/scale.apps",
        "patch services ",
        "create leases.coordination.k8s.io",
        "update leases.coordination.k8s.io",
        "delete leases.coordination.k8s.io",
        "create services/proxy",
    ] {
        assert!(
            missing.iter().any(|l| l.contains(permission)),
            "`{permission}` not named: {stdout}"
        );
    }
    for allowed in ["get deployments", "list horizontalpodautoscalers"] {
        assert!(
            !missing.iter().any(|l| l.contains(allowed)),
            "`{allowed}` is allowed but was named: {stdout}"
        );
    }
    live.sim.shutdown().await;
}

#[test]
fn sim_flag_runs_validate_live() {
    let out = crate::util::ocfail()
        .args(["--sim", "validate", "--live", "-f", "fixtures/fleet.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        exit(exit_code::OK),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_without_delete_on_leases_is_a_missing_permission() {
    let live = LiveSim::start().await;
    live.sim.world().faults.set_kube(
        "eu-central-1",
        ocfail::sim::KubeFault {
            deny: vec!["delete leases".to_owned()],
            ..ocfail::sim::KubeFault::default()
        },
    );
    let out = live
        .run(&["validate", "--live", "-o", "json", "--cloudflare-rps", "50"])
        .await;
    let stdout = exited(&out, exit_code::UNAVAILABLE);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for region in report["regions"].as_array().unwrap() {
        let permissions: Vec<&serde_json::Value> = region["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] == "permissions")
            .collect();
        if region["region"] != "eu-central-1" {
            assert_eq!(permissions[0]["verdict"], "pass", "{region}");
            continue;
        }
        let [missing] = permissions.as_slice() else {
            panic!("one missing permission, one check: {region}")
        };
        assert_eq!(missing["verdict"], "error");
        let detail = missing["detail"].as_str().unwrap();
        for part in [
            "may not delete leases.coordination.k8s.io in namespace eu-central-1",
            "next drill or rollout is refused",
            "docs/user-guide.md",
        ] {
            assert!(detail.contains(part), "`{part}` in {detail}");
        }
        assert!(!detail.contains("may do all"), "{detail}");
    }
    live.sim.shutdown().await;
}
