//! The command line as clap sees it. Only `cli/` knows these types; the
//! rest of ocfail works from the [`Invocation`](super::Invocation) built from them.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

/// Check, rehearse and change multi-region failover safely.
#[derive(Debug, Parser)]
#[command(
    name = "ocfail",
    version,
    about = "Check, rehearse and change multi-region failover of a Kubernetes service behind a Cloudflare load balancer",
    after_help = "Exit codes: 0 ok, 1 a region failed, 2 usage or manifest error, 3 could not check, \
                  4 inconclusive, 5 refused, 6 restore incomplete, 130 interrupted (docs/exit-codes.md)."
)]
pub struct Args {
    /// Flags every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, ClapArgs)]
pub struct GlobalArgs {
    /// Fleet manifest [default: ./fleet.yaml]
    #[arg(
        short = 'f',
        long = "fleet",
        value_name = "PATH",
        env = "OCFAIL_FLEET",
        global = true
    )]
    pub fleet: Option<PathBuf>,

    /// Report format on stdout
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Human, global = true)]
    pub output: Output,

    /// Also write a JUnit XML report to PATH
    #[arg(long, value_name = "PATH", global = true)]
    pub junit: Option<PathBuf>,

    /// When to colour output (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN", global = true)]
    pub color: Color,

    /// Print only the report and errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// `-o/--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A table per region and a verdict line.
    Human,
    /// One JSON document (schema ocfail.dev/report/v1).
    Json,
    /// JSON Lines: one event per line, the report last.
    Jsonl,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the fleet manifest (offline: nothing is contacted)
    Validate,
    /// Print a shell completion script
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn fleet_flag_is_global_and_short() {
        let a = Args::try_parse_from(["ocfail", "validate", "-f", "x.yaml"]).unwrap();
        assert_eq!(a.global.fleet, Some(PathBuf::from("x.yaml")));
    }

    #[test]
    fn output_accepts_json_and_jsonl_only() {
        let a = Args::try_parse_from(["ocfail", "-o", "jsonl", "validate"]).unwrap();
        assert_eq!(a.global.output, Output::Jsonl);
        assert!(Args::try_parse_from(["ocfail", "-o", "yaml", "validate"]).is_err());
    }

    #[test]
    fn verbose_counts_and_conflicts_with_quiet() {
        let a = Args::try_parse_from(["ocfail", "validate", "-vv"]).unwrap();
        assert_eq!(a.global.verbose, 2);
        assert!(Args::try_parse_from(["ocfail", "validate", "-q", "-v"]).is_err());
    }

    #[test]
    fn completions_needs_a_known_shell() {
        assert!(Args::try_parse_from(["ocfail", "completions", "bash"]).is_ok());
        assert!(Args::try_parse_from(["ocfail", "completions", "tcsh"]).is_err());
    }
}
