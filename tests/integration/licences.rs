//! Every crate ocfail builds with (dependencies, build and dev tools) is
//! under a permissive licence, read from `cargo metadata`: an SPDX
//! expression passes when some choice of its `OR`s leaves only licences of
//! the allowlist. A new dependency under GPL, AGPL, SSPL or no declared
//! licence fails here, naming the crate.

use std::process::Command;

use serde_json::Value;

/// Permissive licences (OSI-approved, no copyleft): what may ship inside a
/// binary that teams copy into their CI images.
const PERMISSIVE: &[&str] = &[
    "0BSD",
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSL-1.0",
    "CC0-1.0",
    "CDLA-Permissive-2.0",
    "ISC",
    "MIT",
    "MIT-0",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "Zlib",
];

/// Whether `expr` can be satisfied with permissive licences. Handles `OR`,
/// `AND`, parentheses, `WITH` exceptions and the old `A/B` spelling of OR.
fn permissive(expr: &str) -> bool {
    let spaced = expr
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('/', " OR ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut pos = 0;
    let ok = or_expr(&tokens, &mut pos);
    ok && pos == tokens.len()
}

fn or_expr(t: &[&str], pos: &mut usize) -> bool {
    let mut any = and_expr(t, pos);
    while t.get(*pos) == Some(&"OR") {
        *pos += 1;
        any |= and_expr(t, pos);
    }
    any
}

fn and_expr(t: &[&str], pos: &mut usize) -> bool {
    let mut all = term(t, pos);
    while t.get(*pos) == Some(&"AND") {
        *pos += 1;
        all &= term(t, pos);
    }
    all
}

fn term(t: &[&str], pos: &mut usize) -> bool {
    match t.get(*pos) {
        Some(&"(") => {
            *pos += 1;
            let ok = or_expr(t, pos);
            let closed = t.get(*pos) == Some(&")");
            *pos += 1;
            ok && closed
        }
        Some(id) => {
            *pos += 1;
            if t.get(*pos) == Some(&"WITH") {
                let exception = t.get(*pos + 1).copied().unwrap_or("");
                *pos += 2;
                PERMISSIVE.contains(&format!("{id} WITH {exception}").as_str())
            } else {
                PERMISSIVE.contains(id)
            }
        }
        None => false,
    }
}

#[test]
fn the_expression_reader_takes_spdx_as_crates_write_it() {
    assert!(permissive("MIT OR Apache-2.0"));
    assert!(permissive("MIT/Apache-2.0"));
    assert!(permissive("(MIT OR Apache-2.0) AND Unicode-3.0"));
    assert!(permissive(
        "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT"
    ));
    assert!(
        permissive("GPL-3.0-only OR MIT"),
        "a permissive choice is enough"
    );
    assert!(!permissive("GPL-3.0-only"));
    assert!(!permissive("MIT AND GPL-2.0-or-later"));
    assert!(!permissive("GPL-2.0 WITH Classpath-exception-2.0"));
    assert!(!permissive(""));
    assert!(!permissive("(MIT"));
}

#[test]
fn every_crate_in_the_build_is_permissively_licensed() {
    let host = Command::new("rustc").arg("-vV").output().unwrap();
    let host = String::from_utf8_lossy(&host.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .current_dir(crate::util::root())
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", &host])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    assert!(packages.len() > 100, "the whole tree is listed");
    let bad: Vec<String> = packages
        .iter()
        .filter(|p| p["name"] != "ocfail")
        .filter(|p| !p["license"].as_str().is_some_and(permissive))
        .map(|p| format!("{} {}: {}", p["name"], p["version"], p["license"]))
        .collect();
    assert!(
        bad.is_empty(),
        "crates without a permissive licence (pick another crate, or add \
         the licence to PERMISSIVE only if it really is one):\n{}",
        bad.join("\n")
    );
}
