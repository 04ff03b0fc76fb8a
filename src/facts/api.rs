//! The facts of `api`, for `report/words` to put into words.

/// What one check of `api` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiFact {}

impl From<ApiFact> for super::Fact {
    fn from(f: ApiFact) -> Self {
        super::Fact::Api(f)
    }
}

/// An API error as a report carries it: the error's own message (its
/// `Display`, which the error type owns) and the hint that says what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiProblem {
    /// The error's message.
    pub message: String,
    /// What to do about it, when the adapter knows.
    pub hint: Option<String>,
}
