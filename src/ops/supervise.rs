//! The supervisor of every run that changes the fleet (drill, rollout,
//! rollback, restore): one place that owns the signals, the lost-lock
//! signal and the progress display, and turns them into one ordered stop
//! reason, in the spirit of nextest's runner.
//!
//! The policy (docs/drills.md, "Interruptions"; SIGINT, SIGTERM and SIGHUP
//! all mean "stop and put back"):
//!
//! | phase                                     | first signal                         | second signal                          |
//! |-------------------------------------------|--------------------------------------|----------------------------------------|
//! | before anything changed (reads, lock)     | stop; nothing is changed; exit 130   | —                                      |
//! | changed (outage injected, waves running)  | stop and put back; exit 130          | (as "putting back")                    |
//! | putting back                              | noted; the restore goes on; exit 130 | stop; record left; restore cmd; exit 6 |
//! | waiting for recovery (already put back)   | stop waiting; exit 130               | —                                      |
//!
//! Operations ask for one of two kinds of waiting: [`Supervisor::stoppable`]
//! for work that may simply stop (reads, waits: the future is dropped on
//! the first stop), and [`Supervisor::drive`] for work that must finish
//! (writes, the restore: the first stop only cancels the token the work
//! may watch; a second signal drops it).

use std::future::Future;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use crate::facts::Step;
use crate::signal::{SignalEvent, SignalHandler};

/// Something to tell the user while a run goes on: `(region, phase)`.
pub type Progress<'a> = &'a mut (dyn FnMut(&str, &Step) + Send);

/// Why a run stops before its end, in rank order: when several happen,
/// the highest is the one reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StopReason {
    /// The fleet lock was lost: its renewals failed until the lease expired.
    LockLost,
    /// A signal (SIGINT, SIGTERM or SIGHUP).
    Signal(SignalEvent),
}

/// Where concurrent work sends its progress; the supervisor shows it.
#[derive(Clone, Debug)]
pub struct Phases(UnboundedSender<(String, Step)>);

impl Phases {
    /// `region` is now at `step`.
    pub fn set(&self, region: &str, step: Step) {
        // The supervisor outlives every operation it drives; a send to a
        // finished one has nobody left to tell.
        let _ = self.0.send((region.to_owned(), step));
    }
}

/// Owns the signals and the progress display while a run changes the fleet.
pub struct Supervisor<'a> {
    signals: &'a mut SignalHandler,
    progress: Progress<'a>,
    tx: UnboundedSender<(String, Step)>,
    rx: UnboundedReceiver<(String, Step)>,
    lost: Option<CancellationToken>,
    cancel: CancellationToken,
    abort: CancellationToken,
    received: Vec<SignalEvent>,
    reason: Option<StopReason>,
}

impl<'a> Supervisor<'a> {
    /// A supervisor reading `signals` and showing progress with `progress`.
    pub fn new(signals: &'a mut SignalHandler, progress: Progress<'a>) -> Self {
        let (tx, rx) = unbounded_channel();
        Supervisor {
            signals,
            progress,
            tx,
            rx,
            lost: None,
            cancel: CancellationToken::new(),
            abort: CancellationToken::new(),
            received: Vec::new(),
            reason: None,
        }
    }

    /// A sender for progress from the work this supervisor drives.
    pub fn phases(&self) -> Phases {
        Phases(self.tx.clone())
    }

    /// From now on a lost lock (this token cancelled) stops the run too.
    pub fn watch_lock(&mut self, lost: CancellationToken) {
        self.lost = Some(lost);
    }

    /// Cancelled at the first stop: work that must put things back watches it.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Cancelled at the second signal: the work is abandoned.
    pub fn abort_token(&self) -> CancellationToken {
        self.abort.clone()
    }

    /// Why the run is stopping, if it is.
    pub fn reason(&self) -> Option<StopReason> {
        self.reason
    }

    /// Whether the run is stopping.
    pub fn stopping(&self) -> bool {
        self.reason.is_some()
    }

    /// The first signal received, if any.
    pub fn signal(&self) -> Option<SignalEvent> {
        self.received.first().copied()
    }

    /// Whether a second signal abandoned the work.
    pub fn abandoned(&self) -> bool {
        self.abort.is_cancelled()
    }

    /// Runs `fut` to its end through the first stop (which only cancels
    /// [`Supervisor::cancel_token`]); `None` when a second signal abandons
    /// it, dropping it where it is.
    pub async fn drive<F: Future>(&mut self, fut: F) -> Option<F::Output> {
        if self.abort.is_cancelled() {
            return None;
        }
        tokio::pin!(fut);
        loop {
            let lost = self.lost.clone().filter(|_| self.reason.is_none());
            tokio::select! {
                out = &mut fut => {
                    self.drain();
                    return Some(out);
                }
                Some((region, phase)) = self.rx.recv() => (self.progress)(&region, &phase),
                event = self.signals.recv() => {
                    self.received.push(event);
                    self.stop(StopReason::Signal(event));
                    if self.received.len() >= 2 {
                        self.abort.cancel();
                        self.drain();
                        return None;
                    }
                }
                () = wait_cancelled(lost) => self.stop(StopReason::LockLost),
            }
        }
    }

    /// Runs `fut` unless the run stops first (then it is dropped: `None`).
    /// For work that may stop anywhere: reads before anything changed,
    /// waits, the watch for recovery.
    pub async fn stoppable<F: Future>(&mut self, fut: F) -> Option<F::Output> {
        if self.stopping() {
            return None;
        }
        let cancel = self.cancel.clone();
        let work = async move {
            tokio::select! {
                out = fut => Some(out),
                () = cancel.cancelled() => None,
            }
        };
        self.drive(work).await.flatten()
    }

    /// Sleeps `d` unless the run stops first (`false` then).
    pub async fn sleep(&mut self, d: std::time::Duration) -> bool {
        self.stoppable(tokio::time::sleep(d)).await.is_some()
    }

    /// Shows `step` for `region` now.
    pub fn phase(&mut self, region: &str, step: Step) {
        self.drain();
        (self.progress)(region, &step);
    }

    fn stop(&mut self, reason: StopReason) {
        self.reason = Some(self.reason.map_or(reason, |r| r.max(reason)));
        self.cancel.cancel();
    }

    fn drain(&mut self) {
        while let Ok((region, phase)) = self.rx.try_recv() {
            (self.progress)(&region, &phase);
        }
    }
}

async fn wait_cancelled(token: Option<CancellationToken>) {
    match token {
        Some(t) => t.cancelled().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::signal::SignalSender;

    fn handler() -> (SignalHandler, SignalSender) {
        SignalHandler::channel()
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_signal_stops_a_stoppable_wait_at_once() {
        let (mut signals, tx) = handler();
        let mut seen = Vec::new();
        let mut progress = |r: &str, p: &Step| seen.push(format!("{r}:{p:?}"));
        let mut sup = Supervisor::new(&mut signals, &mut progress);
        let phases = sup.phases();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            tx.send(SignalEvent::Hangup);
        });
        let started = tokio::time::Instant::now();
        let out = sup
            .stoppable(async {
                phases.set("a", Step::Holding);
                tokio::time::sleep(Duration::from_secs(3600)).await;
            })
            .await;
        assert!(out.is_none());
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert_eq!(sup.reason(), Some(StopReason::Signal(SignalEvent::Hangup)));
        assert!(!sup.abandoned());
        // Once stopping, a stoppable step does not even start.
        assert!(sup.stoppable(async { 1 }).await.is_none());
        drop(sup);
        assert_eq!(seen, vec!["a:Holding"]);
    }

    #[tokio::test(start_paused = true)]
    async fn work_that_must_finish_goes_on_through_one_signal_and_stops_at_the_second() {
        let (mut signals, tx) = handler();
        let mut progress = |_: &str, _: &Step| {};
        let mut sup = Supervisor::new(&mut signals, &mut progress);
        let tx2 = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            tx2.send(SignalEvent::Interrupt);
        });
        let cancel = sup.cancel_token();
        let out = sup
            .drive(async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                cancel.is_cancelled()
            })
            .await;
        assert_eq!(out, Some(true), "finished, and saw the stop");
        assert_eq!(sup.signal(), Some(SignalEvent::Interrupt));
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            tx.send(SignalEvent::Terminate);
        });
        let started = tokio::time::Instant::now();
        let out = sup
            .drive(tokio::time::sleep(Duration::from_secs(3600)))
            .await;
        assert!(out.is_none());
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert!(sup.abandoned());
        assert!(sup.drive(async { 1 }).await.is_none(), "abandoned for good");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_lock_stops_the_run_and_a_signal_outranks_it() {
        let (mut signals, tx) = handler();
        let mut progress = |_: &str, _: &Step| {};
        let mut sup = Supervisor::new(&mut signals, &mut progress);
        let lost = CancellationToken::new();
        sup.watch_lock(lost.clone());
        lost.cancel();
        assert!(!sup.sleep(Duration::from_secs(10)).await);
        assert_eq!(sup.reason(), Some(StopReason::LockLost));
        tx.send(SignalEvent::Interrupt);
        let out = sup.drive(tokio::time::sleep(Duration::from_secs(1))).await;
        assert!(out.is_some(), "one signal never abandons");
        assert_eq!(
            sup.reason(),
            Some(StopReason::Signal(SignalEvent::Interrupt))
        );
    }
}
