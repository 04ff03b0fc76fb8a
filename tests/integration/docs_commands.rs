//! Every command README.md and docs/*.md show is run here, against the
//! simulator, so the docs cannot rot: shell lines in ```sh blocks, `run:`
//! steps of YAML blocks, and inline `ocfail …` / `cargo run …` code. A
//! command that cannot run here must be listed in [`NOT_RUN`] with the
//! reason, so a new one cannot slip by.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ocfail::exit_code;

use crate::util::{exit, root, text};

/// Shown commands not run by this test, and why.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "cargo test",
        ".ci/run runs it (the README test checks that)",
    ),
    (
        "cargo build --release",
        "cargo's own command; `cargo run --release -- …` lines are run here as `ocfail …`",
    ),
    (
        "cargo install --path .",
        "cargo's own command; installs the binary this test runs",
    ),
    (
        "ocfail demo",
        "tests/integration/demo.rs runs it and checks its summary",
    ),
    (
        "cargo install --locked --git https://github.com/your-org/ocfail ocfail",
        "the CI example's install step: a placeholder repository, and no network here",
    ),
];

/// The example image every `IMG` placeholder stands for.
const IMAGE: &str = "registry.example/openclaw-api:1.5.0";

/// One command as the docs show it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Shown {
    file: String,
    line: String,
}

/// Lines of fenced blocks whose info string is `lang`.
fn blocks(doc: &str, lang: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut inside = false;
    let mut ours = false;
    for line in doc.lines() {
        let t = line.trim_start();
        if let Some(info) = t.strip_prefix("```") {
            if inside {
                inside = false;
            } else {
                inside = true;
                ours = info.trim() == lang;
            }
            continue;
        }
        if inside && ours {
            match out.last_mut() {
                Some(prev) if prev.ends_with('\\') => {
                    prev.pop();
                    prev.push_str(line.trim());
                }
                _ => out.push(line.trim().to_owned()),
            }
        }
    }
    out
}

fn shown() -> Vec<Shown> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut out = BTreeSet::new();
    for path in files {
        let doc = std::fs::read_to_string(&path).unwrap();
        let file = path.strip_prefix(root()).unwrap().display().to_string();
        let mut add = |line: &str| {
            let line = line.split(" #").next().unwrap_or(line).trim();
            if line.starts_with("ocfail ") || line.starts_with("cargo ") {
                out.insert(Shown {
                    file: file.clone(),
                    line: line.to_owned(),
                });
            }
        };
        for line in blocks(&doc, "sh") {
            add(&line);
        }
        for line in blocks(&doc, "yaml") {
            if let Some(run) = line.strip_prefix("run: ") {
                add(run);
            }
        }
        // Inline code: `ocfail …` and `cargo run …` spans.
        for span in doc.split('`').skip(1).step_by(2) {
            if span.starts_with("ocfail ") || span.starts_with("cargo run ") {
                add(span);
            }
        }
    }
    out.into_iter().collect()
}

/// What to run for a shown line: the arguments for the binary, or `None`
/// for a line that only makes sense in a shell script around it.
fn args_for(line: &str, tmp: &Path) -> Option<Vec<String>> {
    let line = line
        .split(" || ")
        .next()
        .unwrap_or(line)
        .split(" > ")
        .next()
        .unwrap_or(line);
    let rest = line
        .strip_prefix("cargo run --release -- ")
        .or_else(|| line.strip_prefix("ocfail "))?;
    // Optional parts (`[--region R]`) are left out; placeholders filled in.
    let mut words = Vec::new();
    let mut depth = 0;
    for w in rest.split_whitespace() {
        let opens = w.starts_with('[');
        let closes = w.ends_with(']');
        if opens {
            depth += 1;
        }
        if depth == 0 {
            words.push(w.trim_matches('"').to_owned());
        }
        if closes && depth > 0 {
            depth -= 1;
        }
    }
    let fixtures = root().join("fixtures/fleet.yaml").display().to_string();
    let words: Vec<String> = words
        .into_iter()
        .map(|w| match w.as_str() {
            "R" => "us-east-1".to_owned(),
            "IMG" | "$image" => IMAGE.to_owned(),
            "fleet.yaml" | "deploy/fleet.yaml" | "fixtures/fleet.yaml" => fixtures.clone(),
            "fleet-100.yaml" => tmp.join("fleet-100.yaml").display().to_string(),
            w if w.contains("${GITHUB_REF_NAME#v}") => w.replace("${GITHUB_REF_NAME#v}", "1.5.0"),
            w if w.starts_with("/tmp/m") => {
                w.replacen("/tmp/m", &tmp.join("m").display().to_string(), 1)
            }
            // A fixed port could be taken; the docs' commands run side by side.
            "127.0.0.1:9464" => "127.0.0.1:0".to_owned(),
            w if w.starts_with("/tmp/s") => {
                w.replacen("/tmp/s", &tmp.join("s").display().to_string(), 1)
            }
            w => w.to_owned(),
        })
        .collect();
    Some(words)
}

fn has(args: &[String], flag: &str) -> bool {
    args.iter().any(|a| a == flag)
}

/// The subcommand (first word that is not a flag or a flag's value).
fn subcommand(args: &[String]) -> String {
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
            continue;
        }
        if matches!(
            a.as_str(),
            "-f" | "--fleet" | "-o" | "--output" | "--junit" | "--color"
        ) {
            skip = true;
            continue;
        }
        if !a.starts_with('-') {
            return a.clone();
        }
    }
    String::new()
}

/// Adds `--sim` to commands that talk to a fleet, and a manifest when none
/// is named and the command needs one.
fn runnable(mut args: Vec<String>) -> Vec<String> {
    let sub = subcommand(&args);
    let live = matches!(
        sub.as_str(),
        "status"
            | "health"
            | "drill"
            | "restore"
            | "rollout"
            | "rollback"
            | "exporter"
            | "history"
            | "practice"
    ) || (sub == "validate" && has(&args, "--live"));
    if live && !has(&args, "--sim") {
        args.insert(0, "--sim".to_owned());
    }
    let needs_manifest = matches!(sub.as_str(), "validate" | "monitoring") && !has(&args, "--sim");
    if sub == "exporter" && !has(&args, "--listen") {
        args.extend(["--listen".to_owned(), "127.0.0.1:0".to_owned()]);
    }
    if sub == "practice" && !has(&args, "-f") {
        // The seed fleet has no `practice:` section; this fixture adds one.
        args.insert(
            0,
            root()
                .join("fixtures/fleet-practice.yaml")
                .display()
                .to_string(),
        );
        args.insert(0, "-f".to_owned());
    }
    if needs_manifest && !has(&args, "-f") {
        args.insert(0, root().join("fixtures/fleet.yaml").display().to_string());
        args.insert(0, "-f".to_owned());
    }
    args
}

fn ocfail(args: &[String], dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ocfail"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CLOUDFLARE_API_TOKEN", crate::util::SECRET_TOKEN)
        .env_remove("OCFAIL_FLEET")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("RUST_LOG");
    cmd
}

/// Runs to the end; exit 0 expected.
fn run_once(args: &[String], dir: &Path) -> Result<(), String> {
    let out = ocfail(args, dir).output().map_err(|e| e.to_string())?;
    if out.status.code() == exit(exit_code::OK) {
        Ok(())
    } else {
        Err(format!(
            "exit {:?}\n{}\n{}",
            out.status.code(),
            text(&out.stdout),
            text(&out.stderr)
        ))
    }
}

/// Commands that run until Ctrl-C (`status --watch`, `sim`): start, wait for
/// `ready` on stdout, run `then` meanwhile, stop with SIGINT, expect exit 0.
fn run_until_ctrl_c(
    args: &[String],
    dir: &Path,
    ready: &str,
    then: &[Vec<String>],
) -> Result<(), String> {
    use std::io::Read;
    let mut child = ocfail(args, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            let _ = tx.send(seen.clone());
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    while !seen.contains(ready) {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(s) => seen = s,
            Err(_) => {
                let _ = child.kill();
                return Err(format!("never printed {ready:?}: {seen}"));
            }
        }
    }
    let mut result = Ok(());
    for t in then {
        if let Err(e) = run_once(t, dir) {
            result = Err(format!("{t:?} while it ran: {e}"));
        }
    }
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-INT", &pid]).status();
    let status = child.wait().map_err(|e| e.to_string())?;
    result?;
    match status.code() {
        code if code == exit(exit_code::OK) => Ok(()),
        code => Err(format!("exit {code:?} after Ctrl-C")),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_the_docs_show_runs_against_the_simulator() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("fleet-100.yaml"),
        ocfail::manifest::synthetic::fleet_yaml(100),
    )
    .unwrap();
    let shown = shown();
    assert!(
        shown.len() > 20,
        "found only {} commands: {shown:#?}",
        shown.len()
    );

    let mut plain: Vec<(Vec<String>, Vec<Shown>)> = Vec::new();
    let mut sims = Vec::new();
    let mut after_sim = Vec::new();
    let mut watches = Vec::new();
    let mut not_run = BTreeSet::new();
    for s in &shown {
        if let Some((_, why)) = NOT_RUN.iter().find(|(c, _)| *c == s.line) {
            not_run.insert((s.line.clone(), *why));
            continue;
        }
        let args = args_for(&s.line, tmp.path())
            .unwrap_or_else(|| panic!("{}: `{}` is neither run nor in NOT_RUN", s.file, s.line));
        let args = runnable(args);
        let sub = subcommand(&args);
        if sub == "sim" {
            sims.push(args);
        } else if has(&args, "--watch") || sub == "exporter" {
            watches.push(args);
        } else if args
            .iter()
            .any(|a| a.contains(&tmp.path().join("s").display().to_string()))
        {
            after_sim.push(args);
        } else {
            match plain.iter_mut().find(|(a, _)| *a == args) {
                Some((_, from)) => from.push(s.clone()),
                None => plain.push((args, vec![s.clone()])),
            }
        }
    }
    assert!(!sims.is_empty() && !watches.is_empty());

    // Six at a time: drills and rollouts spend seconds waiting, not computing.
    let dir = tmp.path().to_owned();
    let failures = tokio::task::spawn_blocking(move || {
        let mut failures = Vec::new();
        for chunk in plain.chunks(6) {
            let results: Vec<_> = std::thread::scope(|scope| {
                let handles: Vec<_> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, (args, _))| {
                        let d = dir.join(format!("run-{}", args.len() * 100 + i));
                        std::fs::create_dir_all(&d).unwrap();
                        scope.spawn(move || run_once(args, &d))
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for ((args, from), r) in chunk.iter().zip(results) {
                if let Err(e) = r {
                    failures.push(format!("{from:?} as {args:?}: {e}"));
                }
            }
        }
        for w in &watches {
            let ready = if subcommand(w) == "exporter" {
                "Ctrl-C to stop"
            } else {
                "fleet: "
            };
            if let Err(e) = run_until_ctrl_c(w, &dir, ready, &[]) {
                failures.push(format!("{w:?}: {e}"));
            }
        }
        let mut then_left = after_sim;
        for s in &sims {
            let out = s
                .iter()
                .position(|a| a == "--out")
                .map(|p| s[p + 1].clone());
            // The commands that use the simulator's files run against the first one writing them.
            let then = if out.is_some() {
                std::mem::take(&mut then_left)
            } else {
                Vec::new()
            };
            if let Some(o) = &out {
                let _ = std::fs::remove_dir_all(o);
            }
            if let Err(e) = run_until_ctrl_c(s, &dir, "press Ctrl-C to stop", &then) {
                failures.push(format!("{s:?}: {e}"));
            }
        }
        if !then_left.is_empty() {
            failures.push(format!("no `ocfail sim --out` shown for {then_left:?}"));
        }
        failures
    })
    .await
    .unwrap();
    assert!(
        failures.is_empty(),
        "documented commands that fail:\n{}",
        failures.join("\n\n")
    );
    for (line, why) in not_run {
        eprintln!("not run here: `{line}`: {why}");
    }
}
