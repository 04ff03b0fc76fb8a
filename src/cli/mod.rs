//! The command line: clap definitions, their conversion into an
//! [`Invocation`], and generated completion scripts.

pub mod args;
pub mod generate;
pub mod invocation;
pub mod values;

pub use args::Args;
pub use invocation::{ColorChoice, CommandKind, Invocation, SimCommand};
