//! Documentation that must agree with the code.

use ocfail::exit_code;

use crate::util::root;

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
fn readme_quick_start_commands_are_the_tested_ones() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("cargo run --release -- validate -f fixtures/fleet.yaml"));
    assert!(readme.contains("cargo test"));
}
