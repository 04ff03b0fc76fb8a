//! One table of exit codes: every command run against the same broken
//! situation exits with the code the cause decides (could not reach or not
//! allowed is 3, whichever command meets it; a command that never calls
//! the broken API is not affected). The expected codes are the rows of the
//! table in docs/exit-codes.md, "Which code for which cause", so the
//! documentation is what is tested.

use std::collections::BTreeMap;

use ocfail::kube::Workloads;
use ocfail::kube::permissions::PERMISSIONS;
use ocfail::sim::KubeFault;

use crate::util::{Launch, LiveSim, SECRET_TOKEN, edit_file, ocfail, root, text};

const NEW: &str = "registry.example/openclaw-api:1.5.0";

/// Every command that contacts the fleet, as a user would run it.
const COMMANDS: [(&str, &[&str]); 6] = [
    ("status", &["status"]),
    ("health", &["health"]),
    ("validate --live", &["validate", "--live"]),
    (
        "drill",
        &["drill", "--region", "us-east-1", "--yes", "--hold", "1s"],
    ),
    ("restore", &["restore", "--yes", "--timeout", "1s"]),
    ("rollout", &["rollout", "--image", NEW, "--yes"]),
];

/// Which Cloudflare token the commands get.
#[derive(Clone, Copy)]
enum Token {
    Good,
    /// A token Cloudflare rejects (401).
    Rejected,
    /// The manifest's variable is not set.
    Unset,
}

/// The causes of docs/exit-codes.md's table, each tested below.
const CAUSES: [&str; 9] = [
    "Cloudflare rejects the token (401)",
    "the Cloudflare token variable is not set",
    "a region's Kubernetes API refuses connections",
    "a region's kubeconfig context does not exist",
    "a region's API server rejects the token (401)",
    "a region answers 403 to reading Deployments and Services",
    "a region's ServiceAccount is bound to nothing (403 on everything)",
    "a region's credentials may read but not write (403 on writes)",
    "a region answers 403 to patching Deployments, midway through a run",
];

/// docs/exit-codes.md's table: per cause, the code of each command.
fn documented() -> BTreeMap<String, BTreeMap<String, i32>> {
    let doc = std::fs::read_to_string(root().join("docs/exit-codes.md")).unwrap();
    let section = doc
        .split("## Which code for which cause")
        .nth(1)
        .expect("docs/exit-codes.md has the section");
    let rows: Vec<Vec<String>> = section
        .lines()
        .skip_while(|l| !l.starts_with("| cause"))
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect();
    let (header, body) = rows.split_first().expect("a header row");
    body.iter()
        .filter(|r| !r[0].starts_with("---"))
        .map(|r| {
            let codes = header[1..]
                .iter()
                .zip(&r[1..])
                .map(|(cmd, code)| (cmd.clone(), code.parse().expect("a code")))
                .collect();
            (r[0].clone(), codes)
        })
        .collect()
}

#[test]
fn every_cause_in_the_table_is_tested() {
    let doc: Vec<String> = documented().into_keys().collect();
    let mut tested: Vec<String> = CAUSES.iter().map(|c| (*c).to_owned()).collect();
    tested.sort();
    assert_eq!(doc, tested);
    for codes in documented().values() {
        let commands: Vec<&str> = codes.keys().map(String::as_str).collect();
        let mut want: Vec<&str> = COMMANDS.iter().map(|(n, _)| *n).collect();
        want.sort_unstable();
        assert_eq!(commands, want);
    }
}

/// Runs every command in [`COMMANDS`] against `live`, broken by `cause`,
/// and panics with the outputs when any exit code differs from the row of
/// `cause` in docs/exit-codes.md.
async fn codes(live: &LiveSim, token: Token, cause: &str) {
    assert!(CAUSES.contains(&cause), "{cause} is not in CAUSES");
    let want = documented()
        .remove(cause)
        .unwrap_or_else(|| panic!("no row {cause:?} in docs/exit-codes.md"));
    let mut got = BTreeMap::new();
    let mut outputs = String::new();
    for (name, args) in COMMANDS {
        let mut cmd = ocfail();
        cmd.arg("-f").arg(live.fleet()).args(args);
        match token {
            Token::Good => cmd.env("CLOUDFLARE_API_TOKEN", SECRET_TOKEN),
            Token::Rejected => cmd.env("CLOUDFLARE_API_TOKEN", "invalid"),
            Token::Unset => &mut cmd,
        };
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        outputs.push_str(&format!(
            "--- {name}: exit {code}\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        ));
        got.insert(name.to_owned(), code);
    }
    assert_eq!(got, want, "{cause}\n{outputs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_cloudflare_token_is_3_for_every_command_that_reads_cloudflare() {
    let live = Launch::seed().quick_rollout().start().await;
    // A rollout never calls Cloudflare, and a restore with nothing to put
    // back has no pool to re-enable: neither is affected.
    codes(&live, Token::Rejected, "Cloudflare rejects the token (401)").await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_cloudflare_token_is_3_for_every_command_that_reads_cloudflare() {
    let live = Launch::seed().quick_rollout().start().await;
    codes(
        &live,
        Token::Unset,
        "the Cloudflare token variable is not set",
    )
    .await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_region_is_3() {
    let live = Launch::seed().quick_rollout().start().await;
    live.sim.world().faults.set_kube(
        "eu-central-1",
        KubeFault {
            refuse: true,
            ..KubeFault::default()
        },
    );
    codes(
        &live,
        Token::Good,
        "a region's Kubernetes API refuses connections",
    )
    .await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_context_missing_from_the_kubeconfig_is_3() {
    let live = Launch::seed().quick_rollout().start().await;
    live.edit(
        "context: prod-eu-central-1",
        "context: prod-eu-central-1-gone",
    );
    codes(
        &live,
        Token::Good,
        "a region's kubeconfig context does not exist",
    )
    .await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kubernetes_token_the_api_server_rejects_is_3() {
    let live = Launch::seed().quick_rollout().start().await;
    // The simulator answers the token `invalid` with 401 Unauthorized.
    edit_file(
        &live.kubeconfig(),
        "token: sim-token-eu-central-1",
        "token: invalid",
    );
    codes(
        &live,
        Token::Good,
        "a region's API server rejects the token (401)",
    )
    .await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_403_on_reads_is_3_for_every_command_that_reads() {
    let live = Launch::seed().quick_rollout().start().await;
    let reads = ["get deployments", "list deployments", "get services"];
    live.sim.world().faults.set_kube(
        "eu-central-1",
        KubeFault {
            deny: reads.map(str::to_owned).to_vec(),
            ..KubeFault::default()
        },
    );
    let cause = "a region answers 403 to reading Deployments and Services";
    codes(&live, Token::Good, cause).await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unbound_service_account_is_3() {
    let live = Launch::seed().quick_rollout().start().await;
    // Authenticated, but granted nothing: every row of the permission table
    // is a 403 (and "not allowed" to SelfSubjectAccessReviews).
    let deny = PERMISSIONS
        .iter()
        .map(|p| format!("{} {}", p.verb, p.resource_path()))
        .collect();
    live.sim.world().faults.set_kube(
        "eu-central-1",
        KubeFault {
            deny,
            ..KubeFault::default()
        },
    );
    codes(
        &live,
        Token::Good,
        "a region's ServiceAccount is bound to nothing (403 on everything)",
    )
    .await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_kubernetes_token_is_3_for_the_commands_that_write() {
    let live = Launch::seed().quick_rollout().start().await;
    // The simulator lets `read-only` get, list and watch, and answers every
    // write with 403: the drill and the rollout cannot take the lock.
    edit_file(
        &live.kubeconfig(),
        "token: sim-token-eu-central-1",
        "token: read-only",
    );
    codes(
        &live,
        Token::Good,
        "a region's credentials may read but not write (403 on writes)",
    )
    .await;
    live.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_403_on_a_write_midway_is_3_not_a_failed_verdict() {
    let live = Launch::seed().quick_rollout().start().await;
    // The lock is taken (leases are allowed); then the drill's record and a
    // rollout's deploy step in us-east-1 (its last wave) are refused. Both
    // put back what they changed, and neither blames the new version.
    live.sim.world().faults.set_kube(
        "us-east-1",
        KubeFault {
            deny: vec![
                "patch deployments".to_owned(),
                "patch deployments/scale".to_owned(),
            ],
            ..KubeFault::default()
        },
    );
    codes(
        &live,
        Token::Good,
        "a region answers 403 to patching Deployments, midway through a run",
    )
    .await;
    live.sim.world().faults.clear();
    // Put back: blue live and at 3 everywhere, no records, no locks (the
    // rolled-back green has a new revision, so no exact picture).
    crate::fleet_checks::assert_as_before(&live).await;
    for region in crate::fleet_checks::REGIONS {
        let svc = live.client(region).await.service("openclaw-api").await;
        assert_eq!(svc.unwrap().unwrap().color(), Some("blue"), "{region}");
    }
    live.sim.shutdown().await;
}
