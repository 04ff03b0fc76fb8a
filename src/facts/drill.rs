//! The facts of `drill`, for `report/words` to put into words.

/// What one check of `drill` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum DrillFact {}

impl From<DrillFact> for super::Fact {
    fn from(f: DrillFact) -> Self {
        super::Fact::Drill(f)
    }
}

/// A region's line in `drill`'s table.
#[derive(Clone, Debug, PartialEq)]
pub enum DrillSummary {}

/// A fleet-wide remark of `drill`.
#[derive(Clone, Debug, PartialEq)]
pub enum DrillNote {}

impl From<DrillSummary> for super::Summary {
    fn from(s: DrillSummary) -> Self {
        super::Summary::Drill(s)
    }
}

impl From<DrillNote> for super::Note {
    fn from(n: DrillNote) -> Self {
        super::Note::Drill(n)
    }
}
