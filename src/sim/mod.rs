//! The embedded simulator: Kubernetes and Cloudflare APIs and the LB on
//! loopback, mirroring a fleet manifest (docs/simulator.md).
//!
//! Each region's Kubernetes API, Cloudflare's v4 API, the LB hostname and the
//! `/_sim/` admin API each get their own listener, so faults such as a refused
//! connection hit exactly one of them.

pub mod admin;
pub mod app;
pub mod app_metrics;
pub mod cloudflare;
pub mod cloudflare_api;
pub mod cluster;
pub mod faults;
pub mod kube_api;
pub mod lb;
pub mod log;
pub mod options;
pub mod patch;
pub mod server;
pub mod store;
pub mod tls;
pub mod world;

pub use faults::{CloudflareFault, KubeFault, OriginFault};
pub use log::{EventLog, SimEvent};
pub use options::SimOptions;
pub use server::{Sim, SimError, SimHandle};
pub use world::World;
