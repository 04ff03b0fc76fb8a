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

/// Every file under `dir` (recursively), or `dir` itself when it is a file.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    if dir.is_file() {
        return vec![dir.to_owned()];
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A clone builds, tests and reads without anything beside it: no file
/// points outside the repository at the old contract or its reference
/// folder (their facts live in docs/ and tests/data/ now).
#[test]
fn the_repository_stands_alone() {
    // Spelled in pieces so this file does not name them itself.
    let banned = [concat!("../", "shared"), concat!("DESIGN", ".md")];
    let mut offenders = Vec::new();
    for top in [
        "src",
        "tests",
        "docs",
        "benches",
        "completions",
        "deploy",
        "fixtures",
        ".ci",
        "README.md",
        "Cargo.toml",
        "build.rs",
    ] {
        for path in files_under(&root().join(top)) {
            // Binary files cannot hold a reference a reader would follow.
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for (n, line) in text.lines().enumerate() {
                if banned.iter().any(|b| line.contains(b)) {
                    let rel = path.strip_prefix(root()).unwrap().display().to_string();
                    offenders.push(format!("{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "point these at files in the repository (docs/design.md, docs/cloudflare-api.md, \
         tests/data/, …):\n{}",
        offenders.join("\n")
    );
}

/// GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as
/// hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown document's headings (outside fenced code),
/// with GitHub's `-1`, `-2` suffixes for repeated ones.
fn anchors(doc: &str) -> std::collections::BTreeSet<String> {
    let mut seen: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut out = std::collections::BTreeSet::new();
    let mut fenced = false;
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        if fenced {
            continue;
        }
        let text = heading.trim_start_matches('#');
        if !text.starts_with(' ') {
            continue;
        }
        let base = slug(text);
        let n = seen.entry(base.clone()).or_insert(0);
        out.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

/// The targets of the inline links (`[text](target)`) in `doc`, outside
/// fenced code and code spans.
fn link_targets(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Code spans are the odd pieces between backticks.
        for (i, piece) in line.split('`').enumerate() {
            if i % 2 == 1 {
                continue;
            }
            let mut rest = piece;
            while let Some(at) = rest.find("](") {
                let after = &rest[at + 2..];
                let Some(end) = after.find(')') else {
                    break;
                };
                out.push(after[..end].trim().to_owned());
                rest = &after[end..];
            }
        }
    }
    out
}

#[test]
fn relative_links_in_the_docs_resolve() {
    let mut docs = vec![root().join("README.md")];
    docs.extend(
        files_under(&root().join("docs"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "md")),
    );
    docs.push(root().join("tests/data/README.md"));
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc_path in &docs {
        let doc = std::fs::read_to_string(doc_path).unwrap();
        let rel = doc_path.strip_prefix(root()).unwrap().display().to_string();
        for target in link_targets(&doc) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, anchor) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() {
                doc_path.clone()
            } else {
                doc_path.parent().unwrap().join(file)
            };
            if !path.exists() {
                broken.push(format!("{rel}: ({target}): no such file"));
                continue;
            }
            if let Some(anchor) = anchor.filter(|_| path.extension().is_some_and(|x| x == "md")) {
                let text = std::fs::read_to_string(&path).unwrap();
                if !anchors(&text).contains(anchor) {
                    broken.push(format!("{rel}: ({target}): no heading with that anchor"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(
        checked > 20,
        "only {checked} links found: is the parser right?"
    );
}

#[test]
fn anchors_follow_githubs_rules() {
    let doc = "# Top\n## The timing budget\n```sh\n# not a heading\n```\n\
               ## Why users saw errors, and what would hide them\n\
               ## `ocfail rollback`\n## Kubernetes: kube's internal retries are off\n## Top\n";
    let want = [
        "top",
        "the-timing-budget",
        "why-users-saw-errors-and-what-would-hide-them",
        "ocfail-rollback",
        "kubernetes-kubes-internal-retries-are-off",
        "top-1",
    ];
    assert_eq!(
        anchors(doc),
        want.iter().map(|s| (*s).to_owned()).collect(),
        "{doc}"
    );
    assert_eq!(
        link_targets("see [a](a.md#x) and `[b](not-a-link)` or [c](../c)"),
        ["a.md#x", "../c"]
    );
}
