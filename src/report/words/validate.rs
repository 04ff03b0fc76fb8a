//! The words of `validate`'s facts.

use crate::facts::validate::{ValidateFact, ValidateNote, ValidateSummary};

/// The check's stable name.
pub fn name(f: &ValidateFact) -> &'static str {
    match *f {}
}

/// The check's one line.
pub fn detail(f: &ValidateFact) -> String {
    match *f {}
}

/// A region's line.
pub fn summary(s: &ValidateSummary) -> String {
    match *s {}
}

/// A remark.
pub fn note(n: &ValidateNote) -> String {
    match *n {}
}
