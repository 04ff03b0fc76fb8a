//! The words of `restore`'s facts.

use crate::facts::restore::{RestoreFact, RestoreNote, RestoreSummary};

/// The check's stable name.
pub fn name(f: &RestoreFact) -> &'static str {
    match *f {}
}

/// The check's one line.
pub fn detail(f: &RestoreFact) -> String {
    match *f {}
}

/// A region's line.
pub fn summary(s: &RestoreSummary) -> String {
    match *s {}
}

/// A remark.
pub fn note(n: &RestoreNote) -> String {
    match *n {}
}
