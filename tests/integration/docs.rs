//! Documentation that must agree with the code.

use ocfail::exit_code;

use crate::util::{exited, root};

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
fn readme_quick_start_is_exactly_the_demo_and_the_tests() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let quick = readme
        .split("## Quick start")
        .nth(1)
        .expect("a Quick start section");
    let block = &sh_blocks(quick)[0];
    let commands: Vec<&str> = block
        .iter()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    // `cargo run --release -- demo` is run as `ocfail demo` by demo.rs, and
    // `cargo test` is what .ci/run runs.
    assert_eq!(commands, ["cargo run --release -- demo", "cargo test"]);
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(ci.contains("cargo test --locked"), "{ci}");
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
    let stdout = exited(&out, exit_code::OK);
    assert!(stdout.contains("promoted everywhere"), "{stdout}");
    let junit = std::fs::read_to_string(tmp.path().join("rollout.xml")).unwrap();
    roxmltree::Document::parse(&junit).unwrap();
}
