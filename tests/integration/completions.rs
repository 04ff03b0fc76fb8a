//! The committed completion scripts match what the binary generates.
//! Set `OCFAIL_BLESS=1` to rewrite them after changing the CLI.

use ocfail::cli::generate::{SHELLS, completion_file, completions};

use crate::util::{ocfail, root};

#[test]
fn committed_completions_are_fresh() {
    let bless = std::env::var_os("OCFAIL_BLESS").is_some();
    let mut stale = Vec::new();
    for shell in SHELLS {
        let path = root().join("completions").join(completion_file(shell));
        let generated = completions(shell);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != generated {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale completion scripts: {stale:?}\nregenerate with: OCFAIL_BLESS=1 cargo test completions"
    );
}

#[test]
fn completions_command_prints_the_same_script() {
    let out = ocfail().args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, completions(clap_complete::Shell::Bash));
    assert!(String::from_utf8_lossy(&out.stdout).contains("validate"));
}

/// Every man page: `ocfail.1` and one `ocfail-<command>.1` per subcommand,
/// rendered with the bare package version so a new commit does not make them stale.
fn man_pages() -> Vec<(String, Vec<u8>)> {
    use clap::CommandFactory;
    let cmd = ocfail::cli::Args::command().version(env!("CARGO_PKG_VERSION"));
    let mut pages = Vec::new();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out).unwrap();
    pages.push(("ocfail.1".to_owned(), out));
    for sub in cmd.get_subcommands() {
        let name = format!("ocfail-{}", sub.get_name());
        let page = sub
            .clone()
            .name(&*Box::leak(name.clone().into_boxed_str()))
            .version(env!("CARGO_PKG_VERSION"));
        let mut out = Vec::new();
        clap_mangen::Man::new(page).render(&mut out).unwrap();
        pages.push((format!("{name}.1"), out));
    }
    pages
}

#[test]
fn committed_man_pages_are_fresh() {
    let bless = std::env::var_os("OCFAIL_BLESS").is_some();
    let dir = root().join("docs/man");
    let mut stale = Vec::new();
    let pages = man_pages();
    for (name, generated) in &pages {
        let path = dir.join(name);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, generated).unwrap();
            continue;
        }
        if std::fs::read(&path).unwrap_or_default() != *generated {
            stale.push(name.clone());
        }
    }
    // A page of a removed command would linger unnoticed.
    let committed: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    for name in committed {
        if !pages.iter().any(|(p, _)| *p == name) {
            stale.push(format!("{name} (no such command)"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale man pages in docs/man: {stale:?}\nregenerate with: OCFAIL_BLESS=1 cargo test man_pages"
    );
    assert!(pages.iter().any(|(p, _)| p == "ocfail-rollout.1"));
}

#[test]
fn version_names_the_commit() {
    let out = ocfail().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        v.starts_with(&format!("ocfail {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    let commit = v
        .trim()
        .trim_end_matches(')')
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{v}"
    );
}
