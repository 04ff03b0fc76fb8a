//! Documentation that must agree with the code.

use ocfail::exit_code;

use crate::util::root;

#[test]
fn exit_code_doc_lists_every_code_and_nothing_else() {
    let doc = std::fs::read_to_string(root().join("docs/exit-codes.md")).unwrap();
    let rows: Vec<(u8, String)> = doc
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse::<u8>().ok()?;
            Some((code, cells.get(2)?.trim_matches('`').to_owned()))
        })
        .collect();
    let want: Vec<(u8, String)> = exit_code::ALL
        .iter()
        .map(|(c, n)| (*c, (*n).to_owned()))
        .collect();
    assert_eq!(
        rows, want,
        "docs/exit-codes.md must list exactly the codes of src/exit_code.rs, in order"
    );
}

#[test]
fn readme_quick_start_commands_are_the_tested_ones() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("cargo run --release -- validate -f fixtures/fleet.yaml"));
    assert!(readme.contains("cargo test"));
}

/// The shell lines of every ```sh block in `doc`, with `\` continuations joined.
fn sh_blocks(doc: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```sh") => current = Some(Vec::new()),
            (Some(_), l) if l.starts_with("```") => blocks.extend(current.take()),
            (Some(lines), _) => match lines.last_mut() {
                Some(prev) if prev.ends_with('\\') => {
                    prev.pop();
                    prev.push_str(line.trim());
                }
                _ => lines.push(line.to_owned()),
            },
            (None, _) => {}
        }
    }
    blocks
}

/// `ocfail ARGS # comment` as arguments for the binary, with `--sim` added
/// when the line does not have it, and the shell's `"$x"` quoting undone.
fn sim_args(line: &str) -> Vec<String> {
    let command = line.split(" #").next().unwrap_or(line).trim();
    let mut args: Vec<String> = command
        .split_whitespace()
        .skip(1)
        .map(|a| a.trim_matches('"').to_owned())
        .collect();
    if !args.iter().any(|a| a == "--sim") {
        args.insert(0, "--sim".to_owned());
    }
    args
}

/// Runs `args` in `dir` and asserts exit 0.
async fn runs_ok(args: Vec<String>, dir: std::path::PathBuf, shown: String) {
    let mut cmd = crate::util::ocfail();
    cmd.args(&args).current_dir(&dir);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "`{shown}` as documented:\n{}\n{}",
        crate::util::text(&out.stdout),
        crate::util::text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rollout_and_ci_docs_commands_work_as_written_against_the_simulator() {
    let tmp = tempfile::tempdir().unwrap();
    let fixtures = root().join("fixtures/fleet.yaml");
    let mut runs = Vec::new();
    let rollouts = std::fs::read_to_string(root().join("docs/rollouts.md")).unwrap();
    for line in sh_blocks(&rollouts).concat() {
        if line.trim_start().starts_with("ocfail ") {
            let dir = tmp.path().join(format!("r{}", runs.len()));
            std::fs::create_dir_all(&dir).unwrap();
            runs.push(runs_ok(sim_args(&line), dir, line.clone()));
        }
    }
    // The GitHub Actions job's ocfail steps, with its paths and tag filled in.
    let ci = std::fs::read_to_string(root().join("docs/ci.md")).unwrap();
    for line in ci
        .lines()
        .filter_map(|l| l.trim().strip_prefix("run: ocfail "))
    {
        let line = format!("ocfail {line}")
            .replace("deploy/fleet.yaml", fixtures.to_str().unwrap())
            .replace("${GITHUB_REF_NAME#v}", "1.5.0");
        let dir = tmp.path().join(format!("r{}", runs.len()));
        std::fs::create_dir_all(&dir).unwrap();
        runs.push(runs_ok(sim_args(&line), dir, line.clone()));
    }
    assert!(runs.len() >= 7, "found {} commands", runs.len());
    futures_util::future::join_all(runs).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ci_docs_shell_script_deploys_on_the_simulator() {
    let ci = std::fs::read_to_string(root().join("docs/ci.md")).unwrap();
    let script = sh_blocks(&ci)
        .into_iter()
        .find(|b| b.first().is_some_and(|l| l.starts_with("#!")))
        .expect("ci.md has a shell script")
        .join("\n");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("deploy.sh"), script).unwrap();
    // `ocfail` on PATH is the built binary against its own simulator.
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        bin.join("ocfail"),
        format!(
            "#!/bin/sh\nexec '{}' --sim \"$@\"\n",
            env!("CARGO_BIN_EXE_ocfail")
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x"])
        .arg(bin.join("ocfail"))
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let dir = tmp.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg("deploy.sh")
            .arg("registry.example/openclaw-api:1.5.0")
            .current_dir(&dir)
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env_remove("OCFAIL_FLEET")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = crate::util::text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        crate::util::text(&out.stderr)
    );
    assert!(stdout.contains("promoted everywhere"), "{stdout}");
    let junit = std::fs::read_to_string(tmp.path().join("rollout.xml")).unwrap();
    roxmltree::Document::parse(&junit).unwrap();
}
