//! ocfail: check, rehearse and change multi-region failover of a Kubernetes
//! service behind a Cloudflare load balancer.
//!
//! The binary is a thin wrapper around [`run`]; everything lives here so
//! tests can call it. See `docs/design.md` for how the pieces fit.

pub mod app;
pub mod cli;
pub mod cloudflare;
pub mod durations;
pub mod errors;
pub mod exit_code;
pub mod exposition;
pub mod facts;
pub mod kube;
pub mod manifest;
pub mod notify;
pub mod ops;
pub mod prometheus;
pub mod report;
pub mod signal;
pub mod sim;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::report::stream::Lenient;

/// Installs ring as rustls' process-wide crypto provider, once.
///
/// kube uses ring; reqwest is built without a provider of its own (so the
/// binary carries one TLS stack) and panics when building a client if none is
/// installed. Call this before building any reqwest client; it is idempotent.
pub fn install_crypto_provider() {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Parses `args`, runs the command, renders any error once, and returns the
/// exit code of docs/exit-codes.md.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match cli::Args::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            // clap prints help and version to stdout with success, and usage
            // errors to stderr; its codes match ours (0 and 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit_code::USAGE
            } else {
                exit_code::OK
            });
        }
    };
    let summary = std::env::var_os("GITHUB_STEP_SUMMARY").map(Into::into);
    let inv = cli::Invocation::from_args(args, summary);
    install_crypto_provider();
    let streams = app::Streams::process();
    let stderr_color = inv
        .color
        .resolve(streams.stderr_is_terminal, streams.no_color);
    init_tracing(&inv, stderr_color);
    let code = match app::execute(&inv, streams) {
        Ok(code) => code,
        Err(e) => {
            // Nobody may be reading stderr any more; the exit code still says it.
            let _ = Lenient::new(std::io::stderr()).write_all(e.render(stderr_color).as_bytes());
            e.exit_code()
        }
    };
    ExitCode::from(code)
}

/// Logs go to stderr: warnings by default, more with each `-v` (beyond the
/// first, which only adds detail to reports), or whatever `RUST_LOG` says.
/// Coloured as `--color` and `NO_COLOR` say for stderr.
fn init_tracing(inv: &cli::Invocation, color: bool) {
    let level = match (inv.quiet, inv.verbose) {
        (true, _) => "error",
        (false, 0 | 1) => "warn",
        (false, 2) => "info",
        (false, 3) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("ocfail={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| Lenient::new(std::io::stderr()))
        .with_ansi(color)
        // It reports its own write errors with `eprintln!`, which panics
        // when stderr is gone: a log line with nowhere to go is just lost.
        .log_internal_errors(false)
        .with_target(false)
        .try_init();
}
