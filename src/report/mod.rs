//! Reports: the model every command fills in, and the renderers that turn it into output.

pub mod demo;
pub mod events;
pub mod history;
pub mod human;
pub mod init;
pub mod json;
pub mod junit;
pub mod model;
pub mod notices;
pub mod progress;
pub mod reporter;
pub mod stream;
pub mod summary;
pub mod watch;
pub mod words;

#[cfg(test)]
mod testdata;

pub use human::Styles;
pub use model::{Check, RegionReport, Report, SCHEMA, TrafficSummary, Verdict};
pub use progress::ProgressMode;
pub use reporter::{OutputFormat, ReportConfig, ReportError, Reporter};
