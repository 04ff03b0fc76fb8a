//! Operations: what each command does, independent of how it is shown.

pub mod run;
pub mod validate;
