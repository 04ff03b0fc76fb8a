//! The completion scripts: the committed ones match what the binary
//! generates (set `OCFAIL_BLESS=1` to rewrite them after changing the CLI),
//! and bash, zsh and fish themselves accept what `ocfail completions`
//! prints and complete with it. Man pages and `--version` too.

use ocfail::cli::generate::{SHELLS, completion_file, completions};

use ocfail::exit_code;

use crate::util::{exit, exited, ocfail, root, shell_or_skip, text};

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

/// `ocfail completions SHELL`, written to a file in `dir`.
fn generated(shell: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let out = ocfail().args(["completions", shell]).output().unwrap();
    exited(&out, exit_code::OK);
    let path = dir.join(format!("ocfail.{shell}"));
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

/// Runs `shell ARGS…` in `dir` and returns its stdout, failing on a
/// non-zero exit with what the shell said.
fn run_shell(shell: &std::path::Path, args: &[&str], dir: &std::path::Path) -> String {
    let out = std::process::Command::new(shell)
        .args(args)
        .current_dir(dir)
        .env_remove("ENV")
        .env_remove("BASH_ENV")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} {args:?} exited with {}:\n{}{}",
        shell.display(),
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// bash reads the script (`bash -n`), and once sourced it completes a
/// subcommand and a subcommand's flag the way a user's Tab does.
#[test]
fn bash_accepts_the_completion_script_and_completes_with_it() {
    let Some(bash) = shell_or_skip("bash") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = generated("bash", dir.path());
    let script = script.to_str().unwrap();
    run_shell(&bash, &["-n", script], dir.path());
    // `_ocfail CMD CUR PREV` with COMP_WORDS and COMP_CWORD set, as bash calls it.
    let complete = |words: &str, cur: &str, prev: &str| {
        let program = format!(
            "source {script}; COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); \
             COMP_LINE=\"{words}\"; COMP_POINT=${{#COMP_LINE}}; \
             _ocfail ocfail {cur} {prev}; printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        run_shell(
            &bash,
            &["--norc", "--noprofile", "-c", &program],
            dir.path(),
        )
    };
    assert_eq!(complete("ocfail dri", "dri", "ocfail"), "drill\n");
    assert_eq!(complete("ocfail drill --me", "--me", "drill"), "--method\n");
}

/// zsh reads the script (`zsh -n`), and sourcing it under `compinit`
/// registers `_ocfail` as the completion for `ocfail`.
#[test]
fn zsh_accepts_the_completion_script() {
    let Some(zsh) = shell_or_skip("zsh") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = generated("zsh", dir.path());
    let script = script.to_str().unwrap();
    run_shell(&zsh, &["-n", script], dir.path());
    let program = format!(
        "autoload -U compinit && compinit -u -D && source {script} && print -r -- $_comps[ocfail]"
    );
    assert_eq!(
        run_shell(&zsh, &["-f", "-c", &program], dir.path()),
        "_ocfail\n"
    );
}

/// fish reads the script (`fish -n`), and once sourced `complete -C`
/// offers what a user's Tab would.
#[test]
fn fish_accepts_the_completion_script_and_completes_with_it() {
    let Some(fish) = shell_or_skip("fish") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = generated("fish", dir.path());
    let script = script.to_str().unwrap();
    run_shell(&fish, &["-n", script], dir.path());
    let complete = |line: &str| {
        let program = format!("source {script}; complete -C '{line}'");
        run_shell(&fish, &["--no-config", "-c", &program], dir.path())
    };
    let subcommands = complete("ocfail dri");
    assert!(
        subcommands.starts_with("drill\tOutage drill"),
        "{subcommands}"
    );
    let methods: Vec<String> = complete("ocfail drill --method ")
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_owned())
        .collect();
    assert_eq!(methods, ["disable-pool", "scale-to-zero"]);
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
    assert_eq!(out.status.code(), exit(exit_code::OK));
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
