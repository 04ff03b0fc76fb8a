//! The top-level error, its exit code, and the one place errors become text.

use std::error::Error as StdError;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::exit_code;
use crate::manifest::ManifestError;
use crate::report::reporter::ReportError;
use crate::sim::SimError;

/// Anything that stops a command before it can produce its verdict.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest could not be found, read or understood.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A report could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// stdout could not be written (e.g. a full disk behind `>`; a closed
    /// pipe is not an error, see [`crate::report::stream`]).
    #[error("write to stdout")]
    Stdout(#[source] std::io::Error),
    /// A flag value does not fit the fleet (e.g. a fault on an unknown region).
    #[error("{message}")]
    Usage {
        /// What is wrong, as a fragment after "failed to".
        message: String,
        /// What to do instead.
        hint: String,
    },
    /// The simulator could not start.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The async runtime or signal handlers could not be set up.
    #[error("set up {what}")]
    Runtime {
        /// What could not be set up.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The exit code this error leads to (docs/exit-codes.md).
    pub fn exit_code(&self) -> u8 {
        match self {
            // Nothing was contacted in any of these cases: the input or the
            // local environment is wrong, which is a usage error.
            Error::Manifest(_) | Error::Report(_) | Error::Stdout(_) | Error::Usage { .. } => {
                exit_code::USAGE
            }
            // The machine cannot run us (ports taken, no threads): nothing was checked.
            Error::Sim(_) | Error::Runtime { .. } => exit_code::UNAVAILABLE,
        }
    }

    /// What the user should do next, when we know.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Manifest(ManifestError::NotFound) => Some(
                "pass a manifest with `-f PATH` or set OCFAIL_FLEET=PATH; the format is in docs/manifest.md \
                 and fixtures/fleet.yaml is a complete example"
                    .to_owned(),
            ),
            Error::Manifest(ManifestError::Read { .. }) => {
                Some("check the path given with -f/--fleet or OCFAIL_FLEET".to_owned())
            }
            Error::Manifest(ManifestError::TooLarge { .. }) => {
                Some("a fleet manifest is a few kilobytes; check that -f names the right file".to_owned())
            }
            Error::Manifest(ManifestError::Invalid { problems }) => Some(format!(
                "nothing was contacted; fix the problems above and run `ocfail validate -f {}` again",
                problems.file
            )),
            Error::Report(ReportError::WriteJunit { .. }) => {
                Some("check that the directory given to --junit exists and is writable".to_owned())
            }
            Error::Usage { hint, .. } => Some(hint.clone()),
            Error::Sim(SimError::Bind { .. }) => {
                Some("choose other ports (--kube-port, --cloudflare-port, --lb-port, --admin-port) or omit them".to_owned())
            }
            Error::Report(_) | Error::Stdout(_) | Error::Sim(_) | Error::Runtime { .. } => None,
        }
    }

    /// Renders the error for stderr: manifest problems with their source
    /// lines, then `error: failed to …`, `caused by:` lines, and a hint.
    pub fn render(&self, color: bool) -> String {
        let s = Styles::new(color);
        let mut out = String::new();
        if let Error::Manifest(ManifestError::Invalid { problems }) = self {
            for d in &problems.diagnostics {
                let _ = writeln!(
                    out,
                    "{} {}",
                    s.error("error:"),
                    s.bold(&d.one_line(&problems.file))
                );
                out.push_str(&d.snippet(&problems.source, &s.hint("hint:")));
                out.push('\n');
            }
        }
        let _ = writeln!(out, "{} failed to {self}", s.error("error:"));
        // `transparent` variants forward `source()` to the inner error's cause.
        let mut source = StdError::source(self);
        while let Some(cause) = source {
            let _ = writeln!(out, "  caused by: {cause}");
            source = cause.source();
        }
        if let Some(h) = self.hint() {
            let _ = writeln!(out, "  {} {h}", s.hint("hint:"));
        }
        out
    }
}

struct Styles {
    color: bool,
}

impl Styles {
    fn new(color: bool) -> Self {
        Styles { color }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    fn error(&self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default().bold(), text)
    }

    fn hint(&self, text: &str) -> String {
        self.paint(AnsiColor::Cyan.on_default().bold(), text)
    }

    fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn read_error_shows_cause_and_hint_without_debug_output() {
        let e = Error::Manifest(ManifestError::Read {
            path: PathBuf::from("missing.yaml"),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory"),
        });
        let text = e.render(false);
        assert_eq!(
            text,
            "error: failed to read fleet manifest missing.yaml\n  caused by: No such file or directory\n  hint: check the path given with -f/--fleet or OCFAIL_FLEET\n"
        );
        assert_eq!(e.exit_code(), exit_code::USAGE);
    }

    #[test]
    fn colour_only_when_asked() {
        let e = Error::Manifest(ManifestError::NotFound);
        assert!(!e.render(false).contains('\u{1b}'));
        assert!(e.render(true).contains('\u{1b}'));
    }
}
