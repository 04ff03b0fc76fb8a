//! The `ocfail` binary: everything is in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    ocfail::run(std::env::args_os())
}
