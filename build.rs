//! Embeds the git commit the binary was built from, for `ocfail --version`.
//! Outside a git checkout (a crate tarball) the commit is `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    let git = Path::new(".git");
    if git.is_dir() {
        // Rebuild when HEAD moves: HEAD itself names the branch, the branch's
        // ref file (or packed-refs) names the commit.
        println!("cargo:rerun-if-changed=.git/HEAD");
        println!("cargo:rerun-if-changed=.git/packed-refs");
        if let Ok(head) = std::fs::read_to_string(git.join("HEAD"))
            && let Some(r) = head.trim().strip_prefix("ref: ")
        {
            println!("cargo:rerun-if-changed=.git/{r}");
        }
    }
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=OCFAIL_GIT_COMMIT={commit}");
}
