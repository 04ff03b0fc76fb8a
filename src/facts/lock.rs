//! The facts of `lock`, for `report/words` to put into words.

/// What one check of `lock` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum LockFact {}

impl From<LockFact> for super::Fact {
    fn from(f: LockFact) -> Self {
        super::Fact::Lock(f)
    }
}
