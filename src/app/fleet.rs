//! Which fleet a command works on, and the one check of names given on
//! the command line against it.

use std::path::Path;

use crate::cli::Invocation;
use crate::errors::Error;
use crate::exit_code;
use crate::facts::{Run, Verdict};
use crate::manifest::{self, Fleet, ManifestError};
use crate::report::events::Event;
use crate::report::reporter::OutputFormat;
use crate::report::words;

use super::Streams;

/// Where the fleet came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A manifest file.
    File,
    /// The compiled-in seed fleet.
    Builtin,
}

/// The manifest for `inv`; when it is invalid, still writes the
/// machine-readable reports (JSON, JUnit, step summary) so CI sees why,
/// then returns the error.
pub fn load(inv: &Invocation, streams: Streams) -> Result<(Fleet, Streams), Error> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| Path::new(".").to_path_buf());
    let path = manifest::discover(inv.fleet.as_deref(), &cwd)?;
    match manifest::load(&path) {
        Ok(fleet) => Ok((fleet, streams)),
        Err(ManifestError::Invalid { problems }) => {
            let run = Run::start(inv.command.name(), "");
            let notes = problems
                .diagnostics
                .iter()
                .map(|d| d.one_line(&problems.file))
                .collect();
            let report = words::report(
                &run,
                Verdict::Fail,
                exit_code::USAGE,
                Vec::new(),
                notes,
                None,
            );
            // The human table would only repeat stderr; machine formats still get a report.
            let mut rep = super::reporter(inv, streams, inv.format == OutputFormat::Human);
            rep.event(&Event::RunFinished { report })?;
            Err(ManifestError::Invalid { problems }.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The fleet to simulate: `-f`/`OCFAIL_FLEET`, else `./fleet.yaml`, else the
/// built-in seed fleet (so `ocfail sim` and `--sim` work anywhere).
pub fn for_sim(inv: &Invocation, streams: Streams) -> Result<(Fleet, Source, Streams), Error> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| Path::new(".").to_path_buf());
    match manifest::discover(inv.fleet.as_deref(), &cwd) {
        Ok(_) => load(inv, streams).map(|(f, s)| (f, Source::File, s)),
        Err(ManifestError::NotFound) => Ok((manifest::seed_fleet(), Source::Builtin, streams)),
        Err(e) => Err(e.into()),
    }
}

/// The fleet of a command that talks to it: with `--sim` and no manifest
/// anywhere, the built-in seed fleet.
pub fn resolve(inv: &Invocation, streams: Streams) -> Result<(Fleet, Streams), Error> {
    if inv.sim {
        for_sim(inv, streams).map(|(f, _, s)| (f, s))
    } else {
        load(inv, streams)
    }
}

/// The demo's fleet: the built-in one, unless `-f`/`OCFAIL_FLEET` names one
/// (a `./fleet.yaml` is not picked up: the demo is the same everywhere).
pub fn for_demo(inv: &Invocation, streams: Streams) -> Result<(Fleet, Source, Streams), Error> {
    match &inv.fleet {
        Some(_) => load(inv, streams).map(|(f, s)| (f, Source::File, s)),
        None => Ok((manifest::seed_fleet(), Source::Builtin, streams)),
    }
}

/// Every name in `regions` is one of the fleet's; `verb` reads before
/// "region `x`" in the error ("drill", "restore", "roll out to", "inject a
/// fault into").
pub fn check_regions<'a>(
    fleet: &Fleet,
    regions: impl IntoIterator<Item = &'a str>,
    verb: &str,
) -> Result<(), Error> {
    for r in regions {
        if fleet.region(r).is_none() {
            let known: Vec<&str> = fleet.regions.iter().map(|r| r.name.as_str()).collect();
            return Err(Error::Usage {
                message: format!("{verb} region `{r}`: the fleet has no such region"),
                hint: format!("regions in this fleet: {}", known.join(", ")),
            });
        }
    }
    Ok(())
}
