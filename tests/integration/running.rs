//! `ocfail` running as a child process, for the tests that interrupt it:
//! drills (Ctrl-C in drill.rs, SIGKILL in drill_crash.rs, every signal in
//! signals.rs) and rollouts (rollout.rs, signals.rs).

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::util::LiveSim;

/// A progress line, and when the test's reader thread read it.
pub type Line = (Instant, String);

/// `ocfail` running as a child process, with its stderr progress lines
/// collected on a thread.
pub struct Running {
    /// The `ocfail` process.
    pub child: Child,
    lines: Receiver<Line>,
    /// Every line taken off the channel so far (by `wait_for` or `kill`).
    seen: Mutex<Vec<Line>>,
}

impl Running {
    /// Starts `ocfail drill --region us-east-1 --yes --hold HOLD
    /// --cloudflare-rps 20 EXTRA…` against `live`.
    pub fn drill(live: &LiveSim, hold: &str, extra: &[&str]) -> Running {
        let mut args = vec![
            "drill",
            "--region",
            "us-east-1",
            "--yes",
            "--hold",
            hold,
            "--cloudflare-rps",
            "20",
        ];
        args.extend_from_slice(extra);
        Running::spawn(live, &args)
    }

    /// Starts `ocfail -f <live's fleet> ARGS…` with the test token.
    pub fn spawn(live: &LiveSim, args: &[&str]) -> Running {
        Running::start(live, args, None)
    }

    /// Like [`Running::spawn`], as a shell job whose terminal goes away:
    /// in a process group of its own (so [`Running::hang_up`] signals the
    /// group, as the kernel does when a session ends), and with its stderr
    /// read only until a line contains `last`, then closed. Nobody reads
    /// its output after that.
    pub fn spawn_detached(live: &LiveSim, args: &[&str], last: &str) -> Running {
        Running::start(live, args, Some(last.to_owned()))
    }

    /// Starts `ocfail -f FLEET ARGS… -o jsonl` with the test token against
    /// a fleet that is not a [`LiveSim`]'s (e.g. a standalone `ocfail
    /// sim`'s). Its lines are the events on stdout, not the progress on
    /// stderr (which is not written with `-o jsonl`): [`Running::wait_for`]
    /// waits for an event, and [`Finished::stdout`] is every line.
    pub fn spawn_jsonl_at(fleet: &std::path::Path, args: &[&str]) -> Running {
        let mut args = args.to_vec();
        args.extend(["-o", "jsonl"]);
        Running::start_at(fleet, &args, None, true)
    }

    fn start(live: &LiveSim, args: &[&str], detached_after: Option<String>) -> Running {
        Running::start_at(&live.fleet(), args, detached_after, false)
    }

    fn start_at(
        fleet: &std::path::Path,
        args: &[&str],
        detached_after: Option<String>,
        events: bool,
    ) -> Running {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ocfail"));
        cmd.arg("-f")
            .arg(fleet)
            .args(args)
            .env("CLOUDFLARE_API_TOKEN", crate::util::SECRET_TOKEN)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(if events {
                Stdio::null()
            } else {
                Stdio::piped()
            });
        if detached_after.is_some() {
            cmd.process_group(0);
        }
        let mut child = cmd.spawn().unwrap();
        let stream: Box<dyn Read + Send> = if events {
            Box::new(child.stdout.take().unwrap())
        } else {
            Box::new(child.stderr.take().unwrap())
        };
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream).lines();
            while let Some(Ok(line)) = reader.next() {
                let last = detached_after.as_deref().is_some_and(|l| line.contains(l));
                if last {
                    // Closed before the test hears of the line, so whatever
                    // the test does next meets a dead pipe.
                    drop(reader);
                    let _ = tx.send((Instant::now(), line));
                    return;
                }
                let _ = tx.send((Instant::now(), line));
            }
        });
        Running {
            child,
            lines,
            seen: Mutex::default(),
        }
    }

    /// Blocks until a progress line contains `what` (30 s at most).
    pub fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let line = self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| {
                    panic!(
                        "ocfail never reached `{what}`; its progress so far:\n{}",
                        self.seen_text()
                    )
                });
            let found = line.1.contains(what);
            self.seen.lock().unwrap().push(line);
            if found {
                return;
            }
        }
    }

    fn seen_text(&self) -> String {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Ctrl-C.
    pub fn interrupt(&self) {
        self.signal("-INT");
    }

    /// The terminal goes away: the child's process group gets SIGHUP (its
    /// stderr was closed at the line given to [`Running::spawn_detached`]),
    /// and this waits for it to exit (60 s at most). With `stdout_too` its
    /// stdout is closed first as well; otherwise the report is read, as if
    /// it went to a file.
    pub fn hang_up(mut self, stdout_too: bool) -> Finished {
        if stdout_too {
            drop(self.child.stdout.take());
        }
        let group = format!("-{}", self.child.id());
        assert!(
            Command::new("kill")
                .args(["-HUP", "--", &group])
                .status()
                .unwrap()
                .success()
        );
        self.finish(Duration::from_secs(60))
    }

    /// Waits for the process to exit, at most `within`; past that it is
    /// killed and the test fails, showing its progress.
    fn exit_within(&mut self, within: Duration) -> ExitStatus {
        let Running {
            child, lines, seen, ..
        } = self;
        crate::util::exit_within(child, within, "ocfail to exit", || {
            let seen = seen.get_mut().unwrap();
            seen.extend(lines.try_iter());
            let progress: Vec<&str> = seen.iter().map(|(_, l)| l.as_str()).collect();
            format!("its progress:\n{}", progress.join("\n"))
        })
    }

    /// Waits for the process to exit (`within` at most, as
    /// [`Running::exit_within`]), then for the end of its output.
    pub fn finish(mut self, within: Duration) -> Finished {
        let status = self.exit_within(within);
        let mut lines = std::mem::take(self.seen.get_mut().unwrap());
        lines.extend(self.lines.iter());
        let mut stdout = String::new();
        match self.child.stdout.take() {
            Some(mut out) => {
                out.read_to_string(&mut stdout).unwrap();
            }
            // Read as events: they are the lines.
            None => {
                for (_, line) in &lines {
                    stdout.push_str(line);
                    stdout.push('\n');
                }
            }
        }
        Finished {
            status,
            stdout,
            lines,
        }
    }

    /// SIGKILL, unless the drill has already exited; then waits for it and
    /// for the end of its stderr (the pipe closes with the process, so
    /// every line it wrote is in [`Killed::lines`]).
    pub fn kill(mut self) -> Killed {
        let mut seen: Vec<String> = std::mem::take(self.seen.get_mut().unwrap())
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        let finished = self.child.try_wait().unwrap();
        if finished.is_none() {
            self.signal("-KILL");
        }
        let status = self.child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok((_, line)) => seen.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!("stderr stayed open after the kill"),
            }
        }
        Killed {
            finished: finished.map(|s| s.code()),
            killed: finished.is_none() && status.code().is_none(),
            lines: seen,
        }
    }

    /// Sends `sig` (`-INT`, `-TERM`, `-HUP`, …) to the process. Safe until
    /// something waits for the child: one not yet reaped keeps its PID, so
    /// a late signal reaches a zombie, never another process.
    pub fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args([sig, &pid])
                .status()
                .unwrap()
                .success()
        );
    }
}

/// How a run ended by itself: see [`Running::finish`].
#[derive(Debug)]
pub struct Finished {
    /// The exit status (a code, or the signal that ended it).
    pub status: ExitStatus,
    /// Everything it wrote to stdout (the report).
    pub stdout: String,
    /// Every progress line, with when it was read.
    pub lines: Vec<Line>,
}

impl Finished {
    /// The exit code, `None` when a signal ended the process.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// The signal that ended the process, if one did.
    pub fn killed_by(&self) -> Option<i32> {
        self.status.signal()
    }

    /// When the first region result (`[…] REGION: VERDICT — summary`) was
    /// read: they are written once the run's work is over and nothing
    /// listens to signals any more.
    pub fn results_at(&self) -> Option<Instant> {
        self.lines
            .iter()
            .find(|(_, l)| {
                l.split_once("] ")
                    .and_then(|(_, rest)| rest.split_once(": "))
                    .is_some_and(|(_, rest)| {
                        rest.split_once(" — ")
                            .is_some_and(|(v, _)| !v.contains(' '))
                    })
            })
            .map(|(at, _)| *at)
    }

    /// Its progress, one line each.
    pub fn progress(&self) -> String {
        let lines: Vec<&str> = self.lines.iter().map(|(_, l)| l.as_str()).collect();
        lines.join("\n")
    }
}

/// What is known of a drill after [`Running::kill`].
#[derive(Debug)]
pub struct Killed {
    /// `Some(exit code)` when the drill had exited before the kill.
    pub finished: Option<Option<i32>>,
    /// Whether the SIGKILL is what ended it.
    pub killed: bool,
    /// Its stderr, every line.
    pub lines: Vec<String>,
}

impl Killed {
    /// The run id, from the `-v` start line (`… (run <id>)`); `None` when the
    /// drill died before writing it (or ran without `-v`).
    pub fn run_id(&self) -> Option<&str> {
        self.lines.iter().find_map(|l| {
            let start = l.find("(run ")? + "(run ".len();
            let end = start + l[start..].find(')')?;
            Some(&l[start..end])
        })
    }

    /// The last progress phase of us-east-1 it reported (`[…] us-east-1:
    /// PHASE`; verdict and check lines carry a `—` or a `:` and are not phases).
    pub fn last_phase(&self) -> &str {
        self.lines
            .iter()
            .rev()
            .filter_map(|l| l.split_once("] us-east-1: ").map(|(_, p)| p))
            .find(|p| !p.contains(':') && !p.contains('—'))
            .unwrap_or("(no phase yet)")
    }
}
