//! The words of `health`'s facts.

use crate::facts::health::{HealthFact, HealthNote, HealthSummary};

/// The check's stable name.
pub fn name(f: &HealthFact) -> &'static str {
    match *f {}
}

/// The check's one line.
pub fn detail(f: &HealthFact) -> String {
    match *f {}
}

/// A region's line.
pub fn summary(s: &HealthSummary) -> String {
    match *s {}
}

/// A remark.
pub fn note(n: &HealthNote) -> String {
    match *n {}
}
