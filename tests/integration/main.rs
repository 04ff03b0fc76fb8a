//! One integration test binary (one link step): the `ocfail` binary driven
//! as a user would, plus checks that generated and documented files are fresh.

mod cli;
mod completions;
mod docs;
mod manifest_errors;
mod manifest_fuzz;
mod util;
