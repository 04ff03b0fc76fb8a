//! Generated artefacts: shell completion scripts.

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::Args;

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut cmd = Args::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "ocfail", &mut out);
    out
}

/// Where each shell's script is committed under `completions/`.
pub fn completion_file(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "ocfail.bash",
        Shell::Zsh => "_ocfail",
        Shell::Fish => "ocfail.fish",
        Shell::Elvish => "ocfail.elv",
        Shell::PowerShell => "_ocfail.ps1",
        _ => "ocfail.unknown",
    }
}

/// The shells we ship scripts for.
pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];
