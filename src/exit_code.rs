//! The process exit codes: the contract of docs/exit-codes.md, in one place.
//!
//! `docs/exit-codes.md` lists every constant here; a test keeps the two in step.

/// Every region passed or warned.
pub const OK: u8 = 0;
/// A region failed its verdict.
pub const FAILED: u8 = 1;
/// Usage error or invalid manifest; nothing was contacted.
pub const USAGE: u8 = 2;
/// Could not check: an API was unreachable, or an auth or permission error.
pub const UNAVAILABLE: u8 = 3;
/// Inconclusive: no data, or the injected fault never took effect.
pub const INCONCLUSIVE: u8 = 4;
/// Refused by a safety rule or a lock held by another run; nothing was changed.
pub const REFUSED: u8 = 5;
/// Restore incomplete: manual action is needed. Outranks every other code.
pub const RESTORE_INCOMPLETE: u8 = 6;
/// Interrupted by the user; everything was restored.
pub const INTERRUPTED: u8 = 130;

/// Every code with its name, in table order (used by the docs test and `--help`).
pub const ALL: [(u8, &str); 8] = [
    (OK, "OK"),
    (FAILED, "FAILED"),
    (USAGE, "USAGE"),
    (UNAVAILABLE, "UNAVAILABLE"),
    (INCONCLUSIVE, "INCONCLUSIVE"),
    (REFUSED, "REFUSED"),
    (RESTORE_INCOMPLETE, "RESTORE_INCOMPLETE"),
    (INTERRUPTED, "INTERRUPTED"),
];

/// Picks the code that wins when several apply.
///
/// A restore left incomplete outranks everything, because someone must act
/// now; then an interruption, a refusal, a failed region, an unreachable API,
/// an inconclusive result, a usage error, and finally success.
pub fn worst(a: u8, b: u8) -> u8 {
    fn rank(code: u8) -> u8 {
        match code {
            RESTORE_INCOMPLETE => 7,
            INTERRUPTED => 6,
            REFUSED => 5,
            FAILED => 4,
            UNAVAILABLE => 3,
            INCONCLUSIVE => 2,
            USAGE => 1,
            _ => 0,
        }
    }
    if rank(b) > rank(a) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_incomplete_outranks_everything() {
        for (code, _) in ALL {
            assert_eq!(worst(code, RESTORE_INCOMPLETE), RESTORE_INCOMPLETE);
            assert_eq!(worst(RESTORE_INCOMPLETE, code), RESTORE_INCOMPLETE);
        }
    }

    #[test]
    fn failure_outranks_unavailable_and_inconclusive() {
        assert_eq!(worst(UNAVAILABLE, FAILED), FAILED);
        assert_eq!(worst(FAILED, INCONCLUSIVE), FAILED);
        assert_eq!(worst(OK, INCONCLUSIVE), INCONCLUSIVE);
        assert_eq!(worst(OK, OK), OK);
    }
}
