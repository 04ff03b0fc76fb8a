//! The facts of `rollout`, for `report/words` to put into words.

/// What one check of `rollout` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum RolloutFact {}

impl From<RolloutFact> for super::Fact {
    fn from(f: RolloutFact) -> Self {
        super::Fact::Rollout(f)
    }
}

/// A region's line in `rollout`'s table.
#[derive(Clone, Debug, PartialEq)]
pub enum RolloutSummary {}

/// A fleet-wide remark of `rollout`.
#[derive(Clone, Debug, PartialEq)]
pub enum RolloutNote {}

impl From<RolloutSummary> for super::Summary {
    fn from(s: RolloutSummary) -> Self {
        super::Summary::Rollout(s)
    }
}

impl From<RolloutNote> for super::Note {
    fn from(n: RolloutNote) -> Self {
        super::Note::Rollout(n)
    }
}
