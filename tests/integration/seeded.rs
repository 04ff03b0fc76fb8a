//! Seeded matrices of runs, each against a fresh simulator, several at
//! once: the seed and the number of runs from the environment (so a
//! failure can be replayed), the runs in parallel slots, and every failure
//! collected with the run that failed. Used by the SIGKILL matrix
//! (drill_crash/matrix.rs) and the signal property tests
//! (signals/property.rs).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

/// The seed from the environment variable `var` (decimal or 0x-hex), else
/// a fresh one.
pub fn seed(var: &str) -> u64 {
    match std::env::var(var) {
        Ok(s) => s
            .strip_prefix("0x")
            .map_or_else(|| s.parse(), |h| u64::from_str_radix(h, 16))
            .unwrap_or_else(|_| panic!("{var}={s} is not a number")),
        Err(_) => fastrand::u64(..),
    }
}

/// The number of runs from the environment variable `var`, else `default`.
pub fn runs(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// What a matrix found.
#[derive(Debug, Default)]
pub struct Outcomes {
    /// One entry per failed run: the run, then why.
    pub failures: Vec<String>,
    /// How many runs ended each way (what each run returned).
    pub landed: BTreeMap<String, usize>,
}

/// Runs `one` for every entry of `plan`, `parallel` at a time, and
/// collects how each ended (its `Ok` text, counted) or failed (its error
/// or panic, with the entry).
pub async fn run_all<P, F, Fut>(plan: &[P], parallel: usize, one: F) -> Outcomes
where
    P: Clone + Display + Send + 'static,
    F: Fn(P) -> Fut,
    Fut: Future<Output = anyhow::Result<String>> + Send + 'static,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(parallel));
    let tasks: Vec<_> = plan
        .iter()
        .cloned()
        .map(|p| {
            let slots = slots.clone();
            let run = one(p);
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await.unwrap();
                run.await
            })
        })
        .collect();
    let mut outcomes = Outcomes::default();
    for (p, task) in plan.iter().zip(tasks) {
        match task.await {
            Ok(Ok(landed)) => *outcomes.landed.entry(landed).or_default() += 1,
            Ok(Err(e)) => outcomes.failures.push(format!("{p}: {e:#}")),
            Err(e) => outcomes
                .failures
                .push(format!("{p}: panicked: {}", panic_text(e))),
        }
    }
    outcomes
}

fn panic_text(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(p) => p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic".to_owned()),
        Err(e) => e.to_string(),
    }
}
