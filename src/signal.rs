//! SIGINT, SIGTERM and SIGHUP as a stream of [`SignalEvent`]s, so
//! long-running commands decide what an interruption means (the policy is
//! in `ops/supervise.rs` and docs/drills.md). Tests use
//! [`SignalHandlerKind::Noop`], or [`SignalHandler::channel`] to deliver
//! signals in-process at chosen moments, and never install real handlers.

use tokio::sync::mpsc;

/// An interruption request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignalEvent {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM, e.g. from a CI runner cancelling the job.
    Terminate,
    /// SIGHUP: the terminal went away (a dropped SSH session, a closed
    /// window). Whatever ocfail changed must still be put back, with
    /// nobody left to read the output.
    Hangup,
}

impl SignalEvent {
    /// The signal's name, as `kill -l` spells it.
    pub fn name(self) -> &'static str {
        match self {
            SignalEvent::Interrupt => "SIGINT",
            SignalEvent::Terminate => "SIGTERM",
            SignalEvent::Hangup => "SIGHUP",
        }
    }
}

/// Which handler to install.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalHandlerKind {
    /// Real SIGINT/SIGTERM/SIGHUP handlers.
    Standard,
    /// No handlers: `recv` never returns (for tests driving cancellation themselves).
    Noop,
}

/// Receives interruption requests.
pub struct SignalHandler {
    inner: Inner,
}

enum Inner {
    Noop,
    #[cfg(unix)]
    Unix {
        int: tokio::signal::unix::Signal,
        term: tokio::signal::unix::Signal,
        hup: tokio::signal::unix::Signal,
    },
    #[cfg(not(unix))]
    CtrlC,
    Channel(mpsc::UnboundedReceiver<SignalEvent>),
}

/// Sends in-process "signals" to a [`SignalHandler::channel`] handler.
#[derive(Clone, Debug)]
pub struct SignalSender(mpsc::UnboundedSender<SignalEvent>);

impl SignalSender {
    /// Delivers `event` as if the process had received it.
    pub fn send(&self, event: SignalEvent) {
        // A receiver that is gone has nothing left to interrupt.
        let _ = self.0.send(event);
    }
}

impl SignalHandler {
    /// Installs the handlers (must be called inside a Tokio runtime). Once
    /// installed, the signals no longer end the process: ocfail decides.
    pub fn new(kind: SignalHandlerKind) -> std::io::Result<Self> {
        let inner = match kind {
            SignalHandlerKind::Noop => Inner::Noop,
            #[cfg(unix)]
            SignalHandlerKind::Standard => {
                use tokio::signal::unix::{SignalKind, signal};
                Inner::Unix {
                    int: signal(SignalKind::interrupt())?,
                    term: signal(SignalKind::terminate())?,
                    hup: signal(SignalKind::hangup())?,
                }
            }
            #[cfg(not(unix))]
            SignalHandlerKind::Standard => Inner::CtrlC,
        };
        Ok(SignalHandler { inner })
    }

    /// A handler fed by the returned sender instead of the OS (tests).
    pub fn channel() -> (SignalHandler, SignalSender) {
        let (tx, rx) = mpsc::unbounded_channel();
        let handler = SignalHandler {
            inner: Inner::Channel(rx),
        };
        (handler, SignalSender(tx))
    }

    /// The next interruption; pending forever with the no-op handler (and
    /// with a channel whose senders are all gone).
    pub async fn recv(&mut self) -> SignalEvent {
        match &mut self.inner {
            Inner::Noop => std::future::pending().await,
            #[cfg(unix)]
            Inner::Unix { int, term, hup } => tokio::select! {
                _ = int.recv() => SignalEvent::Interrupt,
                _ = term.recv() => SignalEvent::Terminate,
                _ = hup.recv() => SignalEvent::Hangup,
            },
            #[cfg(not(unix))]
            Inner::CtrlC => {
                let _ = tokio::signal::ctrl_c().await;
                SignalEvent::Interrupt
            }
            Inner::Channel(rx) => match rx.recv().await {
                Some(event) => event,
                None => std::future::pending().await,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_channel_delivers_signals_in_order() {
        let (mut handler, tx) = SignalHandler::channel();
        tx.send(SignalEvent::Hangup);
        tx.send(SignalEvent::Interrupt);
        assert_eq!(handler.recv().await, SignalEvent::Hangup);
        assert_eq!(handler.recv().await, SignalEvent::Interrupt);
    }

    #[tokio::test(start_paused = true)]
    async fn a_channel_without_senders_never_fires() {
        let (mut handler, tx) = SignalHandler::channel();
        drop(tx);
        let waited =
            tokio::time::timeout(std::time::Duration::from_secs(3600), handler.recv()).await;
        assert!(waited.is_err());
    }
}
