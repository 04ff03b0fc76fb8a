//! The process's stdout and stderr, whose reader may go away mid-run:
//! `ocfail status | head -1`, or the terminal of a drill that was closed
//! (SIGHUP) while a region was down.
//!
//! Rust ignores SIGPIPE, so writing to a pipe nobody reads fails with EPIPE,
//! and writing to a hung-up terminal fails with EIO. Neither says anything
//! about the command: its work is done, or must go on (a drill still has to
//! restore its region), and its exit code must stay the one its result
//! gives. [`Lenient`] therefore treats both as "nobody is listening" and
//! drops the output from then on; every other error (a full disk behind
//! `> report.json`) still reaches the caller.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a stream's reader has gone, shared with code that should stop
/// when nobody reads (`status --watch` would otherwise refresh forever).
#[derive(Clone, Debug, Default)]
pub struct Gone(Arc<AtomicBool>);

impl Gone {
    /// Whether a write found the reader gone.
    pub fn is_gone(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A writer that, once a write or flush finds its reader gone (EPIPE, EIO),
/// remembers it and discards all further output as if written.
#[derive(Debug)]
pub struct Lenient<W> {
    inner: W,
    gone: Gone,
}

impl<W: Write> Lenient<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Lenient {
            inner,
            gone: Gone::default(),
        }
    }

    /// A handle that tells whether the reader has gone.
    pub fn gone(&self) -> Gone {
        self.gone.clone()
    }
}

impl<W: Write> Write for Lenient<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.gone.is_gone() {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if reader_gone(&e) => {
                self.gone.set();
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.gone.is_gone() {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if reader_gone(&e) => {
                self.gone.set();
                Ok(())
            }
            other => other,
        }
    }
}

/// EIO's number on Linux, macOS and the BSDs (std has no `ErrorKind` for it).
const EIO: i32 = 5;

/// Whether `e` means the reader of a stream has gone: a closed pipe, or a
/// terminal that was hung up.
pub fn reader_gone(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe || (cfg!(unix) && e.raw_os_error() == Some(EIO))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `ok` writes, then fails every call with `error`.
    struct FailsAfter {
        ok: usize,
        error: fn() -> io::Error,
        written: Vec<u8>,
        calls: usize,
    }

    impl FailsAfter {
        fn new(ok: usize, error: fn() -> io::Error) -> Self {
            FailsAfter {
                ok,
                error,
                written: Vec::new(),
                calls: 0,
            }
        }
    }

    impl Write for FailsAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls > self.ok {
                return Err((self.error)());
            }
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            if self.calls >= self.ok {
                return Err((self.error)());
            }
            Ok(())
        }
    }

    #[test]
    fn a_gone_reader_is_remembered_and_later_output_discarded() {
        for error in [
            || io::Error::from(io::ErrorKind::BrokenPipe),
            || io::Error::from_raw_os_error(EIO),
        ] {
            let mut w = Lenient::new(FailsAfter::new(1, error));
            let gone = w.gone();
            writeln!(w, "first").unwrap();
            assert!(!gone.is_gone());
            writeln!(w, "second").unwrap();
            assert!(gone.is_gone(), "{}", error());
            w.write_all(b"third\n").unwrap();
            w.flush().unwrap();
            assert_eq!(w.inner.written, b"first\n");
            // Nothing reaches the dead stream after the first failure.
            assert_eq!(w.inner.calls, 2);
        }
    }

    #[test]
    fn a_failed_flush_counts_too() {
        let mut w = Lenient::new(FailsAfter::new(0, || {
            io::Error::from(io::ErrorKind::BrokenPipe)
        }));
        w.flush().unwrap();
        assert!(w.gone().is_gone());
    }

    #[test]
    fn other_errors_still_reach_the_caller() {
        let mut w = Lenient::new(FailsAfter::new(0, || {
            io::Error::from(io::ErrorKind::StorageFull)
        }));
        let e = w.write_all(b"report").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        assert!(!w.gone().is_gone());
    }
}
