//! [`Verdict`]: the outcome of a check, a region or a run, and the exit
//! code it leads to.

use serde::{Deserialize, Serialize};

use crate::exit_code;

/// The outcome of a check, a region, or a whole run.
///
/// Ordered from best to worst, so the worst of several is their `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Not run, on purpose (e.g. a region outside `--regions`).
    Skipped,
    /// Checked and fine.
    Pass,
    /// Checked and fine, but degraded.
    Warn,
    /// No data, or the injected fault never took effect: never a pass.
    Inconclusive,
    /// Could not check: unreachable, auth or permission.
    Error,
    /// Checked and not fine.
    Fail,
}

impl Verdict {
    /// The lowercase word used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Skipped => "skipped",
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Error => "error",
            Verdict::Fail => "fail",
        }
    }

    /// The exit code this verdict maps to when it is the worst of a run.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Skipped | Verdict::Pass | Verdict::Warn => exit_code::OK,
            Verdict::Inconclusive => exit_code::INCONCLUSIVE,
            Verdict::Error => exit_code::UNAVAILABLE,
            Verdict::Fail => exit_code::FAILED,
        }
    }

    /// The worst of a set of verdicts; `Skipped` for an empty set.
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Skipped)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_verdict_orders_fail_above_error_above_inconclusive() {
        use Verdict::*;
        assert_eq!(Verdict::worst([Pass, Warn]), Warn);
        assert_eq!(Verdict::worst([Pass, Inconclusive, Warn]), Inconclusive);
        assert_eq!(Verdict::worst([Error, Inconclusive]), Error);
        assert_eq!(Verdict::worst([Error, Fail, Pass]), Fail);
        assert_eq!(Verdict::worst([]), Skipped);
    }

    #[test]
    fn verdicts_map_to_documented_exit_codes() {
        assert_eq!(Verdict::Pass.exit_code(), exit_code::OK);
        assert_eq!(Verdict::Warn.exit_code(), exit_code::OK);
        assert_eq!(Verdict::Fail.exit_code(), exit_code::FAILED);
        assert_eq!(Verdict::Error.exit_code(), exit_code::UNAVAILABLE);
        assert_eq!(Verdict::Inconclusive.exit_code(), exit_code::INCONCLUSIVE);
    }
}
