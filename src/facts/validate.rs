//! The facts of `validate`, for `report/words` to put into words.

/// What one check of `validate` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum ValidateFact {}

impl From<ValidateFact> for super::Fact {
    fn from(f: ValidateFact) -> Self {
        super::Fact::Validate(f)
    }
}

/// A region's line in `validate`'s table.
#[derive(Clone, Debug, PartialEq)]
pub enum ValidateSummary {}

/// A fleet-wide remark of `validate`.
#[derive(Clone, Debug, PartialEq)]
pub enum ValidateNote {}

impl From<ValidateSummary> for super::Summary {
    fn from(s: ValidateSummary) -> Self {
        super::Summary::Validate(s)
    }
}

impl From<ValidateNote> for super::Note {
    fn from(n: ValidateNote) -> Self {
        super::Note::Validate(n)
    }
}
