//! Arbitrary and mutated manifests never panic the parser: the result is
//! always a fleet or a list of located problems.

use proptest::prelude::*;

const SEED: &str = include_str!("../../fixtures/fleet.yaml");

fn check(text: &str) {
    match ocfail::manifest::parse_str("fuzz.yaml", text) {
        Ok(fleet) => assert!(fleet.regions.len() >= 2),
        Err(p) => {
            assert!(!p.diagnostics.is_empty());
            for d in &p.diagnostics {
                // Rendering must not panic either, whatever the position.
                let _ = d.snippet(&p.source, "hint:");
                let _ = d.one_line(&p.file);
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Indent(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), "[ -~\\t\\n:{}\\[\\]&*!|>%@`'\"#-]{0,12}")
            .prop_map(|(a, s)| Mutation::Insert(a, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), 0usize..6).prop_map(|(a, n)| Mutation::Indent(a, n)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let nl = lines.len().max(1);
    match m {
        Mutation::Delete(at, n) => {
            let at = at % chars.len().max(1);
            let end = (at + n).min(chars.len());
            chars[..at].iter().chain(chars[end..].iter()).collect()
        }
        Mutation::Insert(at, s) => {
            let at = at % (chars.len() + 1);
            let mut out: String = chars[..at].iter().collect();
            out.push_str(s);
            out.extend(chars[at..].iter());
            out
        }
        Mutation::DuplicateLine(i) => {
            let i = i % nl;
            let line = lines[i].clone();
            lines.insert(i, line);
            lines.join("\n")
        }
        Mutation::SwapLines(a, b) => {
            lines.swap(a % nl, b % nl);
            lines.join("\n")
        }
        Mutation::Indent(i, n) => {
            let i = i % nl;
            lines[i] = format!("{}{}", " ".repeat(*n), lines[i].trim_start());
            lines.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
        check(&s);
    }

    #[test]
    fn yamlish_text_never_panics(s in "([a-zA-Z]{1,8}: ?(\\[|\\{|&a |\\*a|-|[0-9]{1,3}%?|[a-z]{1,5})?\\n {0,4}){0,20}") {
        check(&s);
    }

    #[test]
    fn mutated_seed_manifest_never_panics(ms in proptest::collection::vec(mutation(), 1..4)) {
        let mut text = SEED.to_owned();
        for m in &ms {
            text = apply(&text, m);
        }
        check(&text);
    }
}
