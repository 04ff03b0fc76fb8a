//! The facts of `health`, for `report/words` to put into words.

/// What one check of `health` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum HealthFact {}

impl From<HealthFact> for super::Fact {
    fn from(f: HealthFact) -> Self {
        super::Fact::Health(f)
    }
}

/// A region's line in `health`'s table.
#[derive(Clone, Debug, PartialEq)]
pub enum HealthSummary {}

/// A fleet-wide remark of `health`.
#[derive(Clone, Debug, PartialEq)]
pub enum HealthNote {}

impl From<HealthSummary> for super::Summary {
    fn from(s: HealthSummary) -> Self {
        super::Summary::Health(s)
    }
}

impl From<HealthNote> for super::Note {
    fn from(n: HealthNote) -> Self {
        super::Note::Health(n)
    }
}
