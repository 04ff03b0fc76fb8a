//! The fleet manifest: types, loading, and checks (DESIGN.md §3).

pub mod decode;
pub mod diag;
pub mod load;
pub mod node;
pub mod schema;
pub mod validate;

pub use diag::Diagnostic;
pub use load::{ManifestError, Problems, discover, load, parse_str};
pub use schema::*;
