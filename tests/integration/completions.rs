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
