//! [`ProcessId`]: which process on which machine a run is, written into its
//! record so `ocfail restore` can tell a crashed run from a live one.
//!
//! A lease alone cannot: a run killed with `kill -9` keeps its lease live
//! for up to 30 s, exactly like a run that is holding an outage. When the
//! record names a process on this very machine (same boot, same PID
//! namespace), `/proc` proves it alive or gone; from anywhere else restore
//! watches the lease instead (a live run renews it every 10 s).

use serde::{Deserialize, Serialize};

/// One process, identified well enough to survive PID reuse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessId {
    /// The kernel's boot id (`/proc/sys/kernel/random/boot_id`).
    pub boot_id: String,
    /// The PID namespace (`/proc/self/ns/pid`, e.g. `pid:[4026531836]`):
    /// PIDs mean the same thing only inside one namespace.
    pub pid_ns: String,
    /// The process id.
    pub pid: u32,
    /// Its start time in clock ticks after boot (`/proc/PID/stat` field 22),
    /// so a PID reused by another process is not taken for this one.
    pub start: u64,
}

/// What `/proc` says about a recorded process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liveness {
    /// It runs on this machine.
    Alive,
    /// It ran on this machine and is gone (or a zombie: dead, not yet reaped).
    Gone,
    /// Another machine, container or boot: nothing here can tell.
    Unknown,
}

impl ProcessId {
    /// This process, on Linux; `None` where `/proc` does not say.
    pub fn current() -> Option<ProcessId> {
        let pid = std::process::id();
        let (_, start) = stat(&format!("/proc/{pid}/stat"))?;
        Some(ProcessId {
            boot_id: boot_id()?,
            pid_ns: pid_ns()?,
            pid,
            start,
        })
    }

    /// Whether the process still runs, as far as this machine can tell.
    pub fn liveness(&self) -> Liveness {
        let here = (boot_id(), pid_ns());
        if here.0.as_deref() != Some(self.boot_id.as_str())
            || here.1.as_deref() != Some(self.pid_ns.as_str())
        {
            return Liveness::Unknown;
        }
        match stat(&format!("/proc/{}/stat", self.pid)) {
            Some((state, start)) if start == self.start && state != 'Z' && state != 'X' => {
                Liveness::Alive
            }
            _ => Liveness::Gone,
        }
    }
}

fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(id.trim().to_owned()).filter(|s| !s.is_empty())
}

fn pid_ns() -> Option<String> {
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(link.to_string_lossy().into_owned())
}

/// The state letter and start time from a `/proc/PID/stat` file. The
/// command name (field 2) may hold spaces and parentheses, so fields are
/// counted after its last `)`.
fn stat(path: &str) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    parse_stat(&text)
}

fn parse_stat(text: &str) -> Option<(char, u64)> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: field 3 (state) is index 0, field 22 (starttime) index 19.
    let state = fields.first()?.chars().next()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_are_read_after_the_name() {
        let line = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(parse_stat(line), Some(('S', 987_654)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_gone() {
        let me = ProcessId::current().expect("linux has /proc");
        assert_eq!(me.liveness(), Liveness::Alive);
        let reused = ProcessId {
            start: me.start + 1,
            ..me.clone()
        };
        assert_eq!(reused.liveness(), Liveness::Gone, "a reused pid is not us");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let (_, start) = stat(&format!("/proc/{pid}/stat")).unwrap_or(('?', 0));
        child.wait().unwrap();
        let gone = ProcessId {
            pid,
            start,
            ..me.clone()
        };
        assert_eq!(gone.liveness(), Liveness::Gone);
        let elsewhere = ProcessId {
            boot_id: "another-machine".to_owned(),
            ..me
        };
        assert_eq!(elsewhere.liveness(), Liveness::Unknown);
    }
}
