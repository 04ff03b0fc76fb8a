//! Manifest problems with their place in the file, rendered as
//! `file:line:col: path: message`, the source line, a caret, and a hint.

use std::fmt::Write as _;

use super::node::Pos;

/// One problem found in a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where it is; line 0 when unknown.
    pub pos: Pos,
    /// The key path, e.g. `regions[1].pool`; empty for the whole document.
    pub path: String,
    /// What is wrong, as a lowercase fragment.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The source line holds a secret: show it with the value masked.
    pub redact: bool,
}

impl Diagnostic {
    /// A problem at `pos` under `path`.
    pub fn new(pos: Pos, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            pos,
            path: path.into(),
            message: message.into(),
            hint: None,
            redact: false,
        }
    }

    /// Adds a hint.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Marks the value at `pos` as secret, so it is never printed.
    #[must_use]
    pub fn redacted(mut self) -> Self {
        self.redact = true;
        self
    }

    /// `file:line:col: path: message` on one line (for JSON notes and JUnit).
    pub fn one_line(&self, file: &str) -> String {
        let mut s = String::from(file);
        if self.pos.line > 0 {
            let _ = write!(s, ":{}:{}", self.pos.line, self.pos.column);
        }
        if !self.path.is_empty() {
            let _ = write!(s, ": {}", self.path);
        }
        let _ = write!(s, ": {}", self.message);
        s
    }

    /// The source line, a caret under the offending token, and the hint.
    /// `error` and `hint` are the (possibly styled) labels to print.
    pub fn snippet(&self, source: &str, hint_label: &str) -> String {
        let mut out = String::new();
        if let Some(text) = source_line(source, self.pos.line) {
            let col = self.pos.column.max(1) as usize;
            let shown = if self.redact {
                mask_from(text, col)
            } else {
                text.to_owned()
            };
            let number = self.pos.line.to_string();
            let pad = " ".repeat(number.len());
            let indent: String = shown
                .chars()
                .take(col - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let width = if self.redact {
                1
            } else {
                token_width(text, col)
            };
            let _ = writeln!(out, " {number} | {shown}");
            let _ = writeln!(out, " {pad} | {indent}{}", "^".repeat(width));
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "  {hint_label} {hint}");
        }
        out
    }
}

fn source_line(source: &str, line: u32) -> Option<&str> {
    if line == 0 {
        return None;
    }
    source
        .lines()
        .nth(line as usize - 1)
        .map(|l| l.trim_end_matches('\r'))
}

/// Replaces the value starting at `col` with a marker, keeping a closing
/// brace of a flow mapping so the line still reads as YAML.
fn mask_from(line: &str, col: usize) -> String {
    let head: String = line.chars().take(col - 1).collect();
    let tail: String = line.chars().skip(col - 1).collect();
    let closing = if tail.trim_end().ends_with('}') {
        " }"
    } else {
        ""
    };
    format!("{head}<redacted>{closing}")
}

/// How many characters the token at `col` spans, so the caret covers it.
fn token_width(line: &str, col: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(col - 1).collect();
    let Some(&first) = rest.first() else { return 1 };
    if first == '"' || first == '\'' {
        let end = rest
            .iter()
            .skip(1)
            .position(|&c| c == first)
            .map_or(rest.len(), |i| i + 2);
        return end.max(1);
    }
    if first == '{' || first == '[' || first == '-' {
        return 1;
    }
    let mut width = 0;
    for (i, &c) in rest.iter().enumerate() {
        let next_is_space = rest.get(i + 1).is_none_or(|n| n.is_whitespace());
        if c == ',' || c == '}' || c == ']' || c == '#' || (c == ':' && next_is_space) {
            break;
        }
        width = i + 1;
    }
    // Trailing spaces inside the token's run are not part of it.
    let trimmed = rest[..width]
        .iter()
        .rev()
        .take_while(|c| c.is_whitespace())
        .count();
    (width - trimmed).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_covers_plain_and_quoted_tokens() {
        assert_eq!(token_width("  - nmae: eu", 5), 4);
        assert_eq!(token_width("  hold: 5 minutes  # why", 9), 9);
        assert_eq!(token_width("  x: \"a b\"", 6), 5);
        assert_eq!(token_width("  - { name: a, pool: b }", 16), 4);
    }

    #[test]
    fn snippet_shows_line_caret_and_hint() {
        let d = Diagnostic::new(Pos { line: 2, column: 3 }, "a.bx", "unknown key `bx`")
            .hint("did you mean `b`?");
        let s = d.snippet("a:\n  bx: 1\n", "hint:");
        assert_eq!(s, " 2 |   bx: 1\n   |   ^^\n  hint: did you mean `b`?\n");
    }

    #[test]
    fn redacted_snippet_never_shows_the_value() {
        let d = Diagnostic::new(
            Pos {
                line: 1,
                column: 11,
            },
            "apiToken",
            "inline secret",
        )
        .redacted();
        let s = d.snippet("apiToken: s3cr3t-t0ken", "hint:");
        assert!(!s.contains("s3cr3t"), "{s}");
        assert!(s.contains("apiToken: <redacted>"), "{s}");
    }
}
