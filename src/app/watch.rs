//! `status --watch`: refresh until a signal or until nobody reads stdout.

use std::io::Write;
use std::time::{Duration, SystemTime};

use crate::cli::Invocation;
use crate::errors::Error;
use crate::facts::Run;
use crate::report::events::Event;
use crate::report::human::Styles;
use crate::report::reporter::OutputFormat;
use crate::report::watch::{Changes, screen};
use crate::report::words;

use super::job;
use super::{Streams, fleet};

/// Redraws in place on a terminal, prints changes as lines otherwise (and
/// one JSON report per refresh with `-o json`/`-o jsonl`), until Ctrl-C.
/// Returns the last refresh's exit code.
pub fn status(inv: &Invocation, interval: Duration, streams: Streams) -> Result<u8, Error> {
    let (fleet, streams) = fleet::resolve(inv, streams)?;
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let c = job::connect_for(inv, &fleet, inv.sim).await?;
        let result = refresh(inv, &c, interval, streams).await;
        c.close().await;
        result
    })
}

async fn refresh(
    inv: &Invocation,
    c: &crate::ops::connect::Connected,
    interval: Duration,
    streams: Streams,
) -> Result<u8, Error> {
    let mut signals = super::signals()?;
    let tty = streams.stdout_is_terminal && inv.format == OutputFormat::Human;
    let styles = Styles::new(
        inv.color
            .resolve(streams.stdout_is_terminal, streams.no_color),
    );
    let mut out = streams.stdout;
    let mut changes = Changes::default();
    let mut last_code;
    loop {
        let run = Run::start("status", &c.fleet.metadata.name);
        let findings = job::status(inv, c).await;
        let lines = (!tty && inv.format == OutputFormat::Human)
            .then(|| changes.lines(&findings, SystemTime::now()));
        let report = words::conclude(&run, findings);
        last_code = report.exit_code;
        let text = match (inv.format, lines) {
            (OutputFormat::Human, Some(lines)) => lines,
            (OutputFormat::Human, None) => {
                screen(&report, &styles, inv.verbose, interval, SystemTime::now())
            }
            (OutputFormat::Json | OutputFormat::Jsonl, _) => {
                crate::report::json::line(&Event::RunFinished { report })
            }
        };
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(Error::Stdout)?;
        // `status --watch | head` ends when head does, as `watch` and `yes` do.
        if streams.stdout_gone.is_gone() {
            break;
        }
        tokio::select! {
            _ = signals.recv() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
    Ok(last_code)
}
