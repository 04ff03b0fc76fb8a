//! Operations: what each command does, independent of how it is shown.

pub mod budget;
pub mod clients;
pub mod connect;
pub mod describe;
pub mod drill;
pub mod exporter;
#[cfg(test)]
pub mod fake;
pub mod guards;
pub mod health;
pub mod history;
pub mod init;
pub mod live_validate;
pub mod lock;
pub mod monitoring;
pub mod practice;
pub mod process;
pub mod ready;
pub mod record;
pub mod recovery;
pub mod restore;
pub mod rollout;
pub mod safety;
pub mod snapshot;
pub mod status;
pub mod steering;
pub mod supervise;
pub mod traffic;
pub mod validate;
