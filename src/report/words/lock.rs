//! The words of `lock`'s facts.

use crate::facts::lock::LockFact;

/// The check's stable name.
pub fn name(f: &LockFact) -> &'static str {
    match *f {}
}

/// The check's one line.
pub fn detail(f: &LockFact) -> String {
    match *f {}
}
