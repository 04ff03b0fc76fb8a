//! Prometheus, as drills and rollouts will ask it about alerts and service
//! levels (issue 16). So far: the guard queries' placeholders and how their
//! values are quoted into PromQL.

pub mod query;
