//! The fleet manifest: types, loading, and checks (docs/manifest.md).

pub mod decode;
pub mod diag;
pub mod fields;
mod guards;
pub mod load;
pub mod node;
mod notify;
mod practice;
mod promql;
pub mod schema;
pub mod synthetic;
pub mod validate;

pub use diag::Diagnostic;
pub use load::{ManifestError, Problems, SEED_FLEET_YAML, discover, load, parse_str, seed_fleet};
pub use schema::*;
