//! The facts of `status`, for `report/words` to put into words.

/// What one check of `status` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum StatusFact {}

impl From<StatusFact> for super::Fact {
    fn from(f: StatusFact) -> Self {
        super::Fact::Status(f)
    }
}

/// A region's line in `status`'s table.
#[derive(Clone, Debug, PartialEq)]
pub enum StatusSummary {}

/// A fleet-wide remark of `status`.
#[derive(Clone, Debug, PartialEq)]
pub enum StatusNote {}

impl From<StatusSummary> for super::Summary {
    fn from(s: StatusSummary) -> Self {
        super::Summary::Status(s)
    }
}

impl From<StatusNote> for super::Note {
    fn from(n: StatusNote) -> Self {
        super::Note::Status(n)
    }
}
