//! Raw flags turned, once, into the validated [`Invocation`] the core runs.

use std::path::PathBuf;

use super::args::{self, Args, Command};
use crate::report::reporter::OutputFormat;

/// When to colour a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream, given whether it is a terminal and whether
    /// `NO_COLOR` is set (to anything non-empty, as no-color.org says).
    pub fn resolve(self, is_terminal: bool, no_color: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        }
    }
}

/// What to run, with every flag checked and defaulted.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// `-f`/`OCFAIL_FLEET`, if given.
    pub fleet: Option<PathBuf>,
    /// Report format.
    pub format: OutputFormat,
    /// JUnit output file.
    pub junit: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY`, when set.
    pub github_summary: Option<PathBuf>,
    /// `--color`.
    pub color: ColorChoice,
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
    /// The command.
    pub command: CommandKind,
}

/// The command to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// `validate`.
    Validate,
    /// `completions SHELL`.
    Completions(clap_complete::Shell),
}

impl CommandKind {
    /// The command's name, as reports show it.
    pub fn name(&self) -> &'static str {
        match self {
            CommandKind::Validate => "validate",
            CommandKind::Completions(_) => "completions",
        }
    }
}

impl Invocation {
    /// Builds the invocation from parsed flags and the environment values it uses.
    pub fn from_args(args: Args, github_step_summary: Option<PathBuf>) -> Self {
        let g = args.global;
        Invocation {
            fleet: g.fleet,
            format: match g.output {
                args::Output::Human => OutputFormat::Human,
                args::Output::Json => OutputFormat::Json,
                args::Output::Jsonl => OutputFormat::Jsonl,
            },
            junit: g.junit,
            github_summary: github_step_summary.filter(|p| !p.as_os_str().is_empty()),
            color: match g.color {
                args::Color::Auto => ColorChoice::Auto,
                args::Color::Always => ColorChoice::Always,
                args::Color::Never => ColorChoice::Never,
            },
            quiet: g.quiet,
            verbose: g.verbose,
            command: match args.command {
                Command::Validate => CommandKind::Validate,
                Command::Completions { shell } => CommandKind::Completions(shell),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_resolution_table() {
        let cases = [
            (ColorChoice::Auto, true, false, true),
            (ColorChoice::Auto, true, true, false),
            (ColorChoice::Auto, false, false, false),
            (ColorChoice::Always, false, true, true),
            (ColorChoice::Never, true, false, false),
        ];
        for (choice, tty, no_color, want) in cases {
            assert_eq!(
                choice.resolve(tty, no_color),
                want,
                "{choice:?} tty={tty} no_color={no_color}"
            );
        }
    }

    #[test]
    fn empty_step_summary_is_ignored() {
        use clap::Parser;
        let args = Args::try_parse_from(["ocfail", "validate"]).unwrap();
        let inv = Invocation::from_args(args, Some(PathBuf::new()));
        assert_eq!(inv.github_summary, None);
    }
}
