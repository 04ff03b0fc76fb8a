//! `ocfail` running as a child process, for the tests that interrupt it:
//! drills (Ctrl-C in drill.rs, SIGKILL in drill_crash.rs) and rollouts
//! (rollout.rs).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::util::LiveSim;

/// `ocfail` running as a child process, with its stderr progress lines
/// collected on a thread.
pub struct Running {
    /// The `ocfail` process.
    pub child: Child,
    lines: Receiver<String>,
    /// Every line taken off the channel so far (by `wait_for` or `kill`).
    seen: Mutex<Vec<String>>,
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
        let mut child = Command::new(env!("CARGO_BIN_EXE_ocfail"))
            .arg("-f")
            .arg(live.fleet())
            .args(args)
            .env("CLOUDFLARE_API_TOKEN", crate::util::SECRET_TOKEN)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
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
                .unwrap_or_else(|_| panic!("ocfail never reached `{what}`"));
            let found = line.contains(what);
            self.seen.lock().unwrap().push(line);
            if found {
                return;
            }
        }
    }

    /// Ctrl-C.
    pub fn interrupt(&self) {
        self.signal("-INT");
    }

    /// SIGKILL, unless the drill has already exited; then waits for it and
    /// for the end of its stderr (the pipe closes with the process, so
    /// every line it wrote is in [`Killed::lines`]).
    pub fn kill(mut self) -> Killed {
        let mut seen = std::mem::take(self.seen.get_mut().unwrap());
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
                Ok(line) => seen.push(line),
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

    fn signal(&self, sig: &str) {
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
