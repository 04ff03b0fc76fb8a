//! The words of `status`'s facts.

use crate::facts::status::{StatusFact, StatusNote, StatusSummary};

/// The check's stable name.
pub fn name(f: &StatusFact) -> &'static str {
    match *f {}
}

/// The check's one line.
pub fn detail(f: &StatusFact) -> String {
    match *f {}
}

/// A region's line.
pub fn summary(s: &StatusSummary) -> String {
    match *s {}
}

/// A remark.
pub fn note(n: &StatusNote) -> String {
    match *n {}
}
