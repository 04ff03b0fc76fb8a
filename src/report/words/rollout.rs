//! The words of `rollout`'s facts.

use crate::facts::rollout::{RolloutFact, RolloutNote, RolloutSummary};

/// The check's stable name.
pub fn name(f: &RolloutFact) -> &'static str {
    match *f {}
}

/// The check's one line.
pub fn detail(f: &RolloutFact) -> String {
    match *f {}
}

/// A region's line.
pub fn summary(s: &RolloutSummary) -> String {
    match *s {}
}

/// A remark.
pub fn note(n: &RolloutNote) -> String {
    match *n {}
}
