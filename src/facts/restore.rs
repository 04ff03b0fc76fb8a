//! The facts of `restore`, for `report/words` to put into words.

/// What one check of `restore` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum RestoreFact {}

impl From<RestoreFact> for super::Fact {
    fn from(f: RestoreFact) -> Self {
        super::Fact::Restore(f)
    }
}

/// A region's line in `restore`'s table.
#[derive(Clone, Debug, PartialEq)]
pub enum RestoreSummary {}

/// A fleet-wide remark of `restore`.
#[derive(Clone, Debug, PartialEq)]
pub enum RestoreNote {}

impl From<RestoreSummary> for super::Summary {
    fn from(s: RestoreSummary) -> Self {
        super::Summary::Restore(s)
    }
}

impl From<RestoreNote> for super::Note {
    fn from(n: RestoreNote) -> Self {
        super::Note::Restore(n)
    }
}
