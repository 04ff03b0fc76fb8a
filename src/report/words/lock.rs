//! The words of the fleet lock's facts.

use crate::facts::lock::{Alive, LeftLease, LockFact, LockSummary, RunEnded};

use super::problem;

/// The check's stable name.
pub fn name(f: &LockFact) -> &'static str {
    match f {
        LockFact::NotTaken(_)
        | LockFact::NotReleased(_)
        | LockFact::ReleaseStopped { .. }
        | LockFact::LiveRun { .. }
        | LockFact::StoppedWatching { .. }
        | LockFact::Released { .. }
        | LockFact::ReleaseFailed { .. }
        | LockFact::HeldByOther { .. }
        | LockFact::ExpiredLeft { .. } => "lock",
    }
}

/// The check's one line (and the note's).
pub fn detail(f: &LockFact) -> String {
    match f {
        LockFact::NotTaken(p) => problem(p),
        LockFact::NotReleased(l) => left_lease(l),
        LockFact::ReleaseStopped { expires_within } => format!(
            "stopped while releasing the lock: it expires by itself within {} s",
            expires_within.as_secs()
        ),
        LockFact::LiveRun { run, holder, why } => {
            let holder = holder.clone().unwrap_or_else(|| format!("run {run}"));
            format!(
                "run {run} ({holder}) is still running: {}; restore does not take over a live \
                 run, which puts back what it changed itself when it ends (stop it with Ctrl-C, \
                 or kill it, then run restore again)",
                alive(why)
            )
        }
        LockFact::StoppedWatching { run } => {
            format!("stopped while watching run {run}'s lease; nothing was changed")
        }
        LockFact::Released { run, ended } => match ended {
            RunEnded::Crashed => format!("released the lock of crashed run {run}"),
            RunEnded::PutBack => format!(
                "released the lock left by run {run}, which had put everything back before it stopped"
            ),
            RunEnded::Committed => format!(
                "released the lock left by run {run}, which had finished its rollout (every region \
                 it changed promoted, its records removed) before it stopped"
            ),
        },
        LockFact::ReleaseFailed { run, problem: p } => format!(
            "could not release the lock of run {run} (it expires by itself): {}",
            problem(p)
        ),
        LockFact::HeldByOther {
            lease,
            holder,
            left,
        } => format!(
            "Lease {lease} is held by {holder} for up to {}s more: that run left no record, \
             so nothing of it is left to restore; if it is still running it releases the lease \
             when it ends, and if it was killed the lease expires by itself",
            // Rounded up: "0s more" would read as expired.
            left.as_secs_f64().ceil()
        ),
        LockFact::ExpiredLeft { lease, holder } => format!(
            "the expired Lease {lease} of {holder} is left: that run left no record, \
             and the next run takes the lease over"
        ),
    }
}

/// A region's line.
pub fn summary(s: &LockSummary) -> String {
    match s {
        LockSummary::LeftBehind => "the lock was left behind".to_owned(),
    }
}

fn alive(why: &Alive) -> String {
    match why {
        Alive::ProcessHere { pid } => format!("its process {pid} runs on this machine"),
        Alive::Renewed { region } => format!("it renewed its lease in {region} just now"),
        Alive::DidNotExpire { regions } => format!(
            "its lease in {} did not expire within the restore's --timeout",
            regions.join(", ")
        ),
    }
}

/// The call that failed, the API's answer, how long the lease refuses the
/// next run, the command that deletes it, and for a refusal the hint.
fn left_lease(l: &LeftLease) -> String {
    let mut answer = l.message.clone();
    if let Some(code) = l.status {
        answer.push_str(&format!(" (HTTP {code}"));
        if let Some(reason) = &l.reason {
            answer.push(' ');
            answer.push_str(reason);
        }
        answer.push(')');
    }
    let namespace = l.namespace.as_deref().unwrap_or("its namespace");
    let mut line = format!(
        "{}: could not {} {} {} in namespace {namespace}: {answer}; the lease refuses the next \
         drill or rollout until it expires within {}s",
        l.region,
        l.verb,
        l.resource,
        l.lease,
        l.expires_within.as_secs()
    );
    if let Some(command) = &l.delete {
        line.push_str(&format!("; delete it now: `{command}`"));
    }
    if let Some(hint) = &l.hint {
        line.push_str("; hint: ");
        line.push_str(hint);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_lease_says_how_its_run_ended() {
        let released = |ended| {
            detail(&LockFact::Released {
                run: "r1".to_owned(),
                ended,
            })
        };
        assert_eq!(
            released(RunEnded::Crashed),
            "released the lock of crashed run r1"
        );
        assert!(released(RunEnded::Committed).contains("had finished its rollout"));
    }
}
