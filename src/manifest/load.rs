//! Finding, reading and parsing a manifest file with serde-saphyr's strict options.

use std::path::{Path, PathBuf};

use serde_saphyr::budget::Budget;

use super::decode::decode;
use super::diag::Diagnostic;
use super::node::{Node, Pos};
use super::schema::Fleet;
use super::validate::validate;

/// Largest manifest we read; a fleet file is a few kilobytes.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// The manifest's file name looked for in the working directory.
pub const DEFAULT_FILE: &str = "fleet.yaml";

/// A manifest could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// No `-f`, no `OCFAIL_FLEET`, and no `./fleet.yaml`.
    #[error("find a fleet manifest: no -f/--fleet, no OCFAIL_FLEET, and no ./{DEFAULT_FILE}")]
    NotFound,
    /// The file could not be read.
    #[error("read fleet manifest {}", path.display())]
    Read {
        /// The path given.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is implausibly large for a manifest.
    #[error("read fleet manifest {}: it is {size} bytes, more than the {MAX_MANIFEST_BYTES}-byte limit", path.display())]
    TooLarge {
        /// The path given.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// The file was read but has problems.
    #[error("load fleet manifest {}: {} problem{}", problems.file, problems.diagnostics.len(), if problems.diagnostics.len() == 1 { "" } else { "s" })]
    Invalid {
        /// Every problem found.
        problems: Box<Problems>,
    },
}

/// Every problem in one manifest, with the text needed to show them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems {
    /// The file as the user named it.
    pub file: String,
    /// The file's text, for source lines.
    pub source: String,
    /// The problems, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Where the manifest path came from: `-f`/`OCFAIL_FLEET` (already merged by
/// clap) or the working directory default.
pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<PathBuf, ManifestError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let default = cwd.join(DEFAULT_FILE);
    if default.is_file() {
        Ok(PathBuf::from(DEFAULT_FILE))
    } else {
        Err(ManifestError::NotFound)
    }
}

/// The seed fleet (`fixtures/fleet.yaml`), built in for `ocfail sim` and `ocfail demo`.
pub const SEED_FLEET_YAML: &str = include_str!("../../fixtures/fleet.yaml");

/// The built-in seed fleet, parsed.
pub fn seed_fleet() -> Fleet {
    // The fixture is checked by tests, so it always parses; fall back to an
    // error-free path rather than panicking if it ever did not.
    match parse_str("fixtures/fleet.yaml", SEED_FLEET_YAML) {
        Ok(f) => f,
        Err(p) => unreachable_seed(&p),
    }
}

#[cold]
fn unreachable_seed(p: &Problems) -> Fleet {
    let first = p
        .diagnostics
        .first()
        .map(|d| d.one_line(&p.file))
        .unwrap_or_default();
    // An invariant: the built-in fixture is valid (tested by `seed_fleet_loads_with_defaults_applied`).
    panic!("built-in seed fleet is invalid: {first}")
}

/// Reads and checks the manifest at `path`.
pub fn load(path: &Path) -> Result<Fleet, ManifestError> {
    let meta = std::fs::metadata(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Err(ManifestError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::IsADirectory, "it is a directory"),
        });
    }
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file = path.display().to_string();
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let problems = Problems {
                file,
                source: String::new(),
                diagnostics: vec![
                    Diagnostic::new(
                        Pos::default(),
                        "",
                        format!(
                            "the file is not UTF-8 text (invalid byte at offset {})",
                            e.utf8_error().valid_up_to()
                        ),
                    )
                    .hint("save the manifest as UTF-8"),
                ],
            };
            return Err(ManifestError::Invalid {
                problems: Box::new(problems),
            });
        }
    };
    parse_str(&file, &text).map_err(|problems| ManifestError::Invalid {
        problems: Box::new(problems),
    })
}

/// Parses and checks manifest text; `file` names it in messages.
pub fn parse_str(file: &str, text: &str) -> Result<Fleet, Problems> {
    let fail = |diagnostics: Vec<Diagnostic>| Problems {
        file: file.to_owned(),
        source: text.to_owned(),
        diagnostics,
    };
    let root = match parse_tree(text) {
        Ok(root) => root,
        Err(d) => return Err(fail(vec![*d])),
    };
    let (fleet, decoder) = decode(&root, text);
    let mut diags = decoder.diags;
    diags.extend(validate(&fleet, &decoder.spans));
    if diags.is_empty() {
        return Ok(fleet);
    }
    diags.sort_by_key(|d| d.pos);
    Err(fail(diags))
}

/// Limits that refuse a YAML bomb quickly while leaving real manifests,
/// even with hundreds of regions, far inside them.
fn budget() -> Budget {
    let mut b = Budget::default();
    b.max_events = 200_000;
    b.max_aliases = 1_000;
    b.max_anchors = 1_000;
    b.max_nodes = 100_000;
    b.max_depth = 32;
    b.max_total_scalar_bytes = MAX_MANIFEST_BYTES as usize;
    b.max_documents = 1;
    b
}

fn parse_tree(text: &str) -> Result<Node, Box<Diagnostic>> {
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(Box::new(
            Diagnostic::new(Pos::default(), "", "the manifest is empty").hint(
                "start from fixtures/fleet.yaml in the ocfail repository, or see docs/manifest.md",
            ),
        ));
    }
    let mut options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    };
    options.budget = Some(budget());
    options.alias_limits.max_total_replayed_events = 10_000;
    options.alias_limits.max_alias_expansions_per_anchor = 100;
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|e| Box::new(yaml_error(&e)))
}

fn yaml_error(e: &serde_saphyr::Error) -> Diagnostic {
    let pos = e.location().map_or(Pos::default(), |l| Pos {
        line: u32::try_from(l.line()).unwrap_or(0),
        column: u32::try_from(l.column()).unwrap_or(0),
    });
    let raw = e.without_snippet().to_string();
    // The library appends the location in prose; we show it as file:line:col.
    let message = match raw.find(" at line ") {
        Some(i) => raw[..i].to_owned(),
        None => raw,
    };
    let message = message.trim().trim_end_matches('.').to_owned();
    let lower = message.to_lowercase();
    let hint = if lower.contains("budget") || lower.contains("alias") || lower.contains("limit") {
        "the file expands far beyond a real manifest (an alias bomb?); write the values out instead of using aliases"
    } else if lower.contains("duplicate") {
        "each key may appear once per mapping; remove or merge the repeated one"
    } else {
        "fix the YAML syntax here; a YAML linter (e.g. yamllint) can help"
    };
    Diagnostic::new(pos, "", format!("invalid YAML: {message}")).hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../fixtures/fleet.yaml");

    #[test]
    fn seed_fleet_loads_with_defaults_applied() {
        let f = parse_str("fleet.yaml", SEED).unwrap();
        assert_eq!(f.metadata.name, "openclaw-rating-api");
        let us = f.region("us-east-1").unwrap();
        assert_eq!(
            (us.namespace.as_str(), us.deployment.as_str(), us.port),
            ("us-east-1", "openclaw-api", 8080)
        );
        assert_eq!(
            f.cloudflare.api_url,
            crate::manifest::DEFAULT_CLOUDFLARE_API_URL
        );
        assert_eq!(f.rollout.waves.len(), 3);
        assert_eq!(f.drill.hold, std::time::Duration::from_secs(5));
        assert_eq!(f.rollout.max_error_rate.fraction(), 0.01);
    }

    #[test]
    fn unquoted_no_and_on_stay_strings_as_in_yaml_1_2() {
        let text = SEED
            .replace("namespace: us-east-1 ", "namespace: no ")
            .replace("namespace: eu-central-1,", "namespace: on,");
        let f = parse_str("fleet.yaml", &text).unwrap();
        assert_eq!(f.regions[0].namespace, "no");
        assert_eq!(f.regions[1].namespace, "on");
    }

    #[test]
    fn yaml_1_1_booleans_are_not_booleans() {
        // `yes` where a string is expected is just text, not `true`.
        let text = SEED.replace("name: openclaw-rating-api", "name: yes");
        assert_eq!(parse_str("fleet.yaml", &text).unwrap().metadata.name, "yes");
    }

    #[test]
    fn serialized_fleet_reads_back_identically() {
        let f = parse_str("fleet.yaml", SEED).unwrap();
        let again = parse_str("again.yaml", &f.to_yaml()).unwrap();
        assert_eq!(f, again);
    }

    #[test]
    fn problems_are_sorted_by_position() {
        // Decoding reports its problems first, in file order (the kind, then
        // drill.hold near the end); validation's come after, so rollout.waves,
        // between the two, arrives last.
        let text = SEED
            .replace("kind: Fleet", "kind: Flet")
            .replace("hold: 5s", "hold: 5")
            .replace("[us-east-1]]", "[mars-1]]");
        let p = parse_str("f.yaml", &text).unwrap_err();
        let paths: Vec<&str> = p.diagnostics.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            ["kind", "rollout.waves", "rollout.waves[2][0]", "drill.hold"],
            "{:?}",
            p.diagnostics
        );
        let positions: Vec<Pos> = p.diagnostics.iter().map(|d| d.pos).collect();
        assert!(positions.is_sorted(), "{positions:?}");
    }

    #[test]
    fn more_than_one_document_is_refused() {
        let text = format!("{SEED}---\n{SEED}");
        let p = parse_str("f.yaml", &text).unwrap_err();
        assert_eq!(p.diagnostics.len(), 1, "{:?}", p.diagnostics);
    }
}
