//! The house's layering, read from the source: which top-level module of
//! `src/` uses which (through `crate::…` paths in code that ships, not in
//! `#[cfg(test)]` modules or `tests.rs` files). Fails on an import cycle
//! between top-level modules and on an edge docs/design.md forbids, naming
//! the file that made it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::root;

/// Edges docs/design.md rules out: `facts/` sits below `ops/` and
/// `report/`, which never use each other; nothing below `app/` uses it;
/// `report/` uses no adapter (`notify/` included: `app/` puts report's
/// words into its payloads).
const FORBIDDEN: &[(&str, &str)] = &[
    ("ops", "report"),
    ("ops", "app"),
    ("report", "ops"),
    ("report", "app"),
    ("report", "notify"),
    ("facts", "ops"),
    ("facts", "report"),
    ("facts", "app"),
    ("facts", "sim"),
    ("sim", "ops"),
    ("sim", "report"),
    ("sim", "app"),
    ("kube", "ops"),
    ("cloudflare", "ops"),
    ("manifest", "ops"),
    ("prometheus", "ops"),
    ("prometheus", "report"),
    ("prometheus", "app"),
    ("notify", "ops"),
    ("notify", "report"),
    ("notify", "app"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of `text` that ships: everything before a `#[cfg(test)]`
/// module (by convention the last item of a file).
fn shipped(text: &str) -> &str {
    let mut end = text.len();
    let mut from = 0;
    while let Some(i) = text[from..].find("#[cfg(test)]") {
        let at = from + i;
        let rest = text[at + "#[cfg(test)]".len()..].trim_start();
        if rest.starts_with("mod ") || rest.starts_with("pub mod ") {
            end = at;
            break;
        }
        from = at + 1;
    }
    &text[..end]
}

/// The top-level modules `code` names as `crate::x`, including inside
/// `use crate::{x, y::z}`.
fn used(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        // `ocfail::crate::` never occurs; `$crate::` is a macro's own crate.
        if code[..i].ends_with('$') {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The first path segment of each item at the group's own depth.
            let mut depth = 0usize;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        start = false;
                        let name = ident(&group[j..]);
                        if !name.is_empty() {
                            out.insert(name);
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Top-level module → the modules it uses, and which file made each edge.
fn graph() -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if matches!(module.as_str(), "lib" | "main")
            || file.file_name().is_some_and(|n| n == "tests.rs")
            || file.components().any(|c| c.as_os_str() == "tests")
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for target in used(shipped(&text)) {
            if target != module {
                graph
                    .entry(module.clone())
                    .or_default()
                    .entry(target)
                    .or_insert_with(|| rel.to_path_buf());
            }
        }
    }
    graph
}

/// A cycle through `start`, if there is one: the path back to it.
fn cycle_from(
    graph: &BTreeMap<String, BTreeMap<String, PathBuf>>,
    start: &str,
) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).map(|m| m.keys()).into_iter().flatten() {
            if next == start {
                let mut p = path.clone();
                p.push(start.to_owned());
                return Some(p);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

#[test]
fn the_top_level_modules_have_no_import_cycle() {
    let graph = graph();
    assert!(
        graph.contains_key("app") && graph.contains_key("ops"),
        "{graph:?}"
    );
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle_from(&graph, m))
        .map(|path| {
            let edges: Vec<String> = path
                .windows(2)
                .map(|w| format!("{} → {} ({})", w[0], w[1], graph[&w[0]][&w[1]].display()))
                .collect();
            edges.join(", ")
        })
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let graph = graph();
    let broken: Vec<String> = FORBIDDEN
        .iter()
        .filter_map(|(from, to)| {
            let file = graph.get(*from)?.get(*to)?;
            Some(format!("{from} → {to} (first in src/{})", file.display()))
        })
        .collect();
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn the_reader_sees_grouped_and_nested_uses() {
    let code = "use crate::{facts::{Finding, Note}, kube};\nlet x = crate::report::words::name(f);\n$crate::x\n#[cfg(test)]\nmod tests { use crate::app; }";
    let got: Vec<String> = used(shipped(code)).into_iter().collect();
    assert_eq!(got, ["facts", "kube", "report"]);
}
