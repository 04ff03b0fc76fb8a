//! Ctrl-C and SIGTERM as a stream of [`SignalEvent`]s, so long-running
//! commands decide what an interruption means (DESIGN.md §6.1 step 7).
//! Tests use [`SignalHandlerKind::Noop`] and never install real handlers.

/// An interruption request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalEvent {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM, e.g. from a CI runner cancelling the job.
    Terminate,
}

/// Which handler to install.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalHandlerKind {
    /// Real SIGINT/SIGTERM handlers.
    Standard,
    /// No handlers: `recv` never returns (for tests driving cancellation themselves).
    Noop,
}

/// Receives interruption requests.
pub struct SignalHandler {
    inner: Option<Inner>,
}

struct Inner {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl SignalHandler {
    /// Installs the handlers (must be called inside a Tokio runtime).
    pub fn new(kind: SignalHandlerKind) -> std::io::Result<Self> {
        match kind {
            SignalHandlerKind::Noop => Ok(SignalHandler { inner: None }),
            SignalHandlerKind::Standard => {
                #[cfg(unix)]
                {
                    use tokio::signal::unix::{SignalKind, signal};
                    Ok(SignalHandler {
                        inner: Some(Inner {
                            int: signal(SignalKind::interrupt())?,
                            term: signal(SignalKind::terminate())?,
                        }),
                    })
                }
                #[cfg(not(unix))]
                {
                    Ok(SignalHandler {
                        inner: Some(Inner {}),
                    })
                }
            }
        }
    }

    /// The next interruption; pending forever with the no-op handler.
    pub async fn recv(&mut self) -> SignalEvent {
        match &mut self.inner {
            None => std::future::pending().await,
            #[cfg(unix)]
            Some(inner) => tokio::select! {
                _ = inner.int.recv() => SignalEvent::Interrupt,
                _ = inner.term.recv() => SignalEvent::Terminate,
            },
            #[cfg(not(unix))]
            Some(_) => {
                let _ = tokio::signal::ctrl_c().await;
                SignalEvent::Interrupt
            }
        }
    }
}
