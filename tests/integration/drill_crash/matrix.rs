//! The random-moment matrix: a few dozen drills, each SIGKILLed at a
//! moment drawn from a seeded RNG, then checked by [`check_restored`].
//! `OCFAIL_CRASH_SEED` replays a seed (printed at the start and on failure),
//! `OCFAIL_CRASH_RUNS` changes the number of runs.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};

use super::check_restored;
use crate::running::Running;
use crate::seeded;
use crate::util::{LiveSim, exit, text};
use crate::world_state::FleetState;
use ocfail::exit_code;

/// Runs of the random-moment matrix, unless `OCFAIL_CRASH_RUNS` says otherwise.
const MATRIX_RUNS: usize = 30;
/// Simulators (and drills) at once: 2 cores, and the drills mostly wait.
pub(crate) const PARALLEL: usize = 4;
/// The hold of the matrix's drills: short, so a kill lands in every step.
pub(crate) const HOLD: &str = "300ms";

/// One run of the matrix: how to drill and when to kill.
#[derive(Clone, Debug)]
struct Crash {
    index: usize,
    method: &'static str,
    delay: Duration,
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "run {} (--method {}, SIGKILL after {} ms)",
            self.index,
            self.method,
            self.delay.as_millis()
        )
    }
}

/// The drill methods the matrix mixes.
pub(crate) const METHODS: [&str; 2] = ["scale-to-zero", "disable-pool"];

/// How long a whole drill with [`HOLD`] takes here, start to exit, per
/// method (disable-pool is quicker: no pods to wait for): the longest of
/// [`PARALLEL`] drills run uninterrupted at once, under the load the
/// matrix runs with. Each must leave the fleet exactly as before too.
pub(crate) async fn whole_drill() -> [Duration; 2] {
    let drills = (0..PARALLEL).map(|i| async move {
        let method = METHODS[i % 2];
        let live = LiveSim::start().await;
        let before = FleetState::of(live.sim.world());
        let started = Instant::now();
        let drill = Running::drill(&live, HOLD, &["--method", method]);
        let out = tokio::task::spawn_blocking(move || drill.child.wait_with_output().unwrap())
            .await
            .unwrap();
        let took = started.elapsed();
        assert!(
            [exit(exit_code::OK), exit(exit_code::FAILED)].contains(&out.status.code()),
            "an uninterrupted drill (--method {method}): {}",
            text(&out.stdout)
        );
        let diff = FleetState::of(live.sim.world()).diff(&before);
        assert!(diff.is_empty(), "--method {method}: {diff:#?}");
        live.sim.shutdown().await;
        (i % 2, took)
    });
    let mut span = [Duration::ZERO; 2];
    for (m, took) in futures_util::future::join_all(drills).await {
        span[m] = span[m].max(took);
    }
    span
}

/// One run: a fresh simulator, a drill killed after `crash.delay`, then
/// [`check_restored`]. Returns the phase the kill landed in.
async fn crash_once(crash: &Crash) -> anyhow::Result<String> {
    let live = LiveSim::start().await;
    let before = FleetState::of(live.sim.world());
    let drill = Running::drill(&live, HOLD, &["--method", crash.method, "-v"]);
    tokio::time::sleep(crash.delay).await;
    let killed = tokio::task::spawn_blocking(move || drill.kill())
        .await
        .unwrap();
    let phase = match killed.finished {
        Some(code) => {
            // The verdict is not what is tested here (a short hold can miss the
            // error-rate budget); a finished drill must have restored, though.
            ensure!(
                [exit(exit_code::OK), exit(exit_code::FAILED)].contains(&code),
                "the drill ended by itself with {code:?}:\n{}",
                killed.lines.join("\n")
            );
            "(finished before the kill)".to_owned()
        }
        None => killed.last_phase().to_owned(),
    };
    let restored = check_restored(&live, &before, &killed)
        .await
        .with_context(|| {
            format!(
                "killed at `{phase}`; the drill's stderr:\n{}",
                killed.lines.join("\n")
            )
        })?;
    if killed.finished.is_some() {
        ensure!(
            restored.by_the_run,
            "a finished drill left no ocfail.dev/last-drill"
        );
    }
    live.sim.shutdown().await;
    Ok(if restored.lease_left_in.is_empty() {
        phase
    } else {
        format!("{phase} (lease left, unrecorded)")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_at_random_moments_then_restore_puts_everything_back() {
    let seed = seeded::seed("OCFAIL_CRASH_SEED");
    let runs = seeded::runs("OCFAIL_CRASH_RUNS", MATRIX_RUNS);
    eprintln!("crash matrix: seed {seed:#x}, {runs} runs (rerun with OCFAIL_CRASH_SEED={seed:#x})");
    let started = Instant::now();
    let span = whole_drill().await;
    // Kills from just after the start to a little past the end, so some
    // land after the drill has finished.
    let until = span.map(|d| u64::try_from(d.as_millis() * 21 / 20).unwrap());
    let mut rng = fastrand::Rng::with_seed(seed);
    let plan: Vec<Crash> = (0..runs)
        .map(|index| {
            let m = rng.usize(..METHODS.len());
            Crash {
                index,
                method: METHODS[m],
                delay: Duration::from_millis(rng.u64(10..=until[m])),
            }
        })
        .collect();
    let seeded::Outcomes {
        failures,
        landed: phases,
    } = seeded::run_all(
        &plan,
        PARALLEL,
        |crash| async move { crash_once(&crash).await },
    )
    .await;
    eprintln!(
        "crash matrix: seed {seed:#x}: {runs} runs in {:.1}s (a whole drill: {} / {} ms; kills within 10..{until:?} ms); kills landed in: {phases:#?}",
        started.elapsed().as_secs_f64(),
        span[0].as_millis(),
        span[1].as_millis(),
    );
    assert!(
        failures.is_empty(),
        "{} of {runs} runs failed (OCFAIL_CRASH_SEED={seed:#x}):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
