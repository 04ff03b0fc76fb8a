//! The words of `api`'s facts.

use crate::facts::api::{ApiFact, ApiProblem};

/// The check's stable name.
pub fn name(f: &ApiFact) -> &'static str {
    match *f {}
}

/// The check's one line.
pub fn detail(f: &ApiFact) -> String {
    match *f {}
}

/// `error; hint: …`.
pub fn problem(p: &ApiProblem) -> String {
    match &p.hint {
        Some(h) => format!("{}; hint: {h}", p.message),
        None => p.message.clone(),
    }
}
