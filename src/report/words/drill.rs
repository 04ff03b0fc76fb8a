//! The words of `drill`'s facts.

use crate::facts::drill::{DrillFact, DrillNote, DrillSummary};

/// The check's stable name.
pub fn name(f: &DrillFact) -> &'static str {
    match *f {}
}

/// The check's one line.
pub fn detail(f: &DrillFact) -> String {
    match *f {}
}

/// A region's line.
pub fn summary(s: &DrillSummary) -> String {
    match *s {}
}

/// A remark.
pub fn note(n: &DrillNote) -> String {
    match *n {}
}
