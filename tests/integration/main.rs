//! One integration test binary (one link step): the `ocfail` binary driven
//! as a user would, plus checks that generated and documented files are fresh.

// Test code: failing loudly on the spot is the point, and helpers outside
// `#[test]` functions are not covered by clippy.toml's test allowances.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::print_stdout
)]

mod app_metrics;
mod cli;
mod cloudflare_client;
mod completions;
mod demo;
mod deploy;
mod docs;
mod docs_commands;
mod drill;
mod drill_blind;
mod drill_crash;
mod drill_guards;
mod drill_phases;
mod drill_safety;
mod durations;
mod exit_codes;
mod exporter;
mod fleet_checks;
mod health;
mod in_cluster;
mod init_writer;
mod kube_client;
mod layers;
mod licences;
mod lock;
mod lock_errors;
mod manifest_errors;
mod manifest_fuzz;
mod monitoring;
mod notify;
mod notify_runs;
mod output;
mod practice;
mod practice_seen;
mod prometheus_client;
mod promstack;
mod receiver;
mod restore;
mod rollout;
mod rollout_commit;
mod rollout_guards;
mod running;
mod seeded;
mod signals;
mod sim_cli;
mod sim_cloudflare;
mod sim_faults;
mod sim_kube;
mod sim_kubectl;
mod sim_scale;
mod status;
mod status_alerts;
mod traffic;
mod util;
mod validate_live;
mod world_state;
