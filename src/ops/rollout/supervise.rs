//! The one loop that watches a rollout's futures: it passes region progress
//! to the display and turns signals and a lost lock into cancellation
//! (first Ctrl-C: switch back; second: stop waiting).

use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

use crate::ops::drill::Progress;
use crate::signal::SignalHandler;

/// Feeds progress and signals while `fut` runs: the first Ctrl-C (or a lost
/// lock) cancels, a second one aborts, which drops `fut` (`None`).
pub(super) struct Supervisor<'a, 'p> {
    pub(super) signals: &'a mut SignalHandler,
    pub(super) lost: CancellationToken,
    pub(super) cancel: CancellationToken,
    pub(super) abort: CancellationToken,
    pub(super) rx: UnboundedReceiver<(String, String)>,
    pub(super) progress: Progress<'p>,
    /// A signal arrived.
    pub(super) interrupted: bool,
    /// The lock was lost.
    pub(super) lock_lost: bool,
}

impl Supervisor<'_, '_> {
    /// Runs `fut` to its end, or `None` on a second Ctrl-C (then `fut` is
    /// dropped mid-way; every step it takes is recorded first).
    pub(super) async fn drive<F: std::future::Future>(&mut self, fut: F) -> Option<F::Output> {
        tokio::pin!(fut);
        loop {
            tokio::select! {
                out = &mut fut => {
                    self.drain();
                    return Some(out);
                }
                Some((region, phase)) = self.rx.recv() => (self.progress)(&region, &phase),
                _ = self.signals.recv() => {
                    if self.cancel.is_cancelled() {
                        self.abort.cancel();
                        self.drain();
                        return None;
                    }
                    self.interrupted = true;
                    self.cancel.cancel();
                }
                () = self.lost.cancelled(), if !self.cancel.is_cancelled() => {
                    self.lock_lost = true;
                    self.cancel.cancel();
                }
            }
        }
    }

    fn drain(&mut self) {
        while let Ok((region, phase)) = self.rx.try_recv() {
            (self.progress)(&region, &phase);
        }
    }
}
