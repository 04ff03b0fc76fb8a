//! The property tests of issue 13: random signals (SIGINT, SIGTERM or
//! SIGHUP; one or two; at random moments) during a drill and during a
//! rollout, each run against a fresh simulator. After each run either the
//! fleet is exactly as before ([`FleetState`]), or the run exited 6 and
//! printed a restore command that, pasted in another directory, makes it
//! so; or, for a rollout whose every wave had passed when the signal came,
//! every region is promoted (the rollout ended, or it made its promotions
//! final first and says so). And the exit code is one the policy documents
//! for the moment the signal came: 130 or 6 during the run, the run's own
//! (0..=5) after it.
//!
//! `OCFAIL_SIGNAL_SEED` replays a seed (printed at the start and on
//! failure), `OCFAIL_SIGNAL_RUNS` changes the number of runs of each test.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use ocfail::exit_code;

use crate::drill_crash::matrix::{HOLD, METHODS, PARALLEL, whole_drill};
use crate::rollout::{NEW, colours};
use crate::running::{Finished, Running};
use crate::seeded;
use crate::util::{Launch, LiveSim, exit, run_pasted, text};
use crate::world_state::FleetState;

/// Runs of each property test, unless `OCFAIL_SIGNAL_RUNS` says otherwise.
const RUNS: usize = 30;
/// The signals drawn from.
const SIGNALS: [&str; 3] = ["-INT", "-TERM", "-HUP"];
/// How late after a signal the results of a run that ended before it may
/// still reach the test: the reader thread is scheduled like anything else
/// on a loaded machine. A run that goes on for longer after a signal has
/// not heard it.
const RACE: Duration = Duration::from_millis(500);

/// What is interrupted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// A drill of us-east-1 with this method and the matrix's short hold.
    Drill(&'static str),
    /// A rollout of every region (three waves), with short verify times.
    Rollout,
}

/// One run: what, and which signals after how long (the first after the
/// start, the second after the first).
#[derive(Clone, Debug)]
struct Hit {
    index: usize,
    op: Op,
    signals: Vec<(&'static str, Duration)>,
}

impl fmt::Display for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Op::Drill(m) => write!(f, "run {} (drill --method {m}", self.index)?,
            Op::Rollout => write!(f, "run {} (rollout", self.index)?,
        }
        for (i, (sig, after)) in self.signals.iter().enumerate() {
            let when = if i == 0 { "after" } else { "then" };
            write!(f, "; SIG{} {when} {} ms", &sig[1..], after.as_millis())?;
        }
        write!(f, ")")
    }
}

/// One or two signals: the first within `until` ms of the start, a second
/// either right after it (two quick presses) or later, during whatever the
/// first one started.
fn draw_signals(rng: &mut fastrand::Rng, until: u64) -> Vec<(&'static str, Duration)> {
    let mut signals = vec![(
        SIGNALS[rng.usize(..SIGNALS.len())],
        Duration::from_millis(rng.u64(10..=until)),
    )];
    if rng.bool() {
        let gap = if rng.bool() {
            rng.u64(0..=40)
        } else {
            rng.u64(40..=until / 3 + 40)
        };
        signals.push((
            SIGNALS[rng.usize(..SIGNALS.len())],
            Duration::from_millis(gap),
        ));
    }
    signals
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The seed fleet's regions.
const REGIONS: [&str; 3] = ["us-east-1", "eu-central-1", "ap-southeast-2"];

/// The last progress phase read before `t` (`REGION: phase`).
fn phase_before(done: &Finished, t: Instant) -> String {
    done.lines
        .iter()
        .filter(|(at, _)| *at < t)
        .filter_map(|(_, l)| l.split_once("] ").map(|(_, rest)| rest))
        .rfind(|rest| REGIONS.iter().any(|r| rest.starts_with(&format!("{r}: "))))
        .unwrap_or("(no progress yet)")
        .to_owned()
}

/// The restore command a run that exited 6 printed: the whole fleet's if
/// it printed one, else the first.
fn restore_command(stdout: &str) -> Option<&str> {
    let quoted: Vec<&str> = stdout
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|q| q.contains(" restore"))
        .collect();
    quoted
        .iter()
        .find(|q| !q.contains("--region"))
        .or(quoted.first())
        .copied()
}

/// The fleet is as `before` (once the controllers have caught up), except
/// perhaps for lock leases of this run, which expire by themselves: left
/// by a second signal that stopped their release, or by a run stopped
/// before its record surely landed (`ocfail restore` cannot tell such a run
/// from one about to write it, and leaves its lease). Whoever left them
/// must have said so: `said` must contain `why`. Returns whether leases are
/// left.
async fn as_before(
    live: &LiveSim,
    before: &FleetState,
    said: &str,
    why: &str,
) -> anyhow::Result<bool> {
    let diff = FleetState::settled(live.sim.world(), Duration::from_secs(10), |now| {
        let leases: Vec<String> = now.leases().keys().map(|k| (*k).to_owned()).collect();
        now.without(&leases).diff(before)
    })
    .await;
    ensure!(
        diff.is_empty(),
        "the fleet is not as before:\n  {}",
        diff.join("\n  ")
    );
    let leases: Vec<String> = FleetState::of(live.sim.world())
        .leases()
        .keys()
        .map(|k| (*k).to_owned())
        .collect();
    ensure!(
        leases.is_empty() || said.contains(why),
        "leases are left, and nothing says so ({why:?}): {leases:?}"
    );
    Ok(!leases.is_empty())
}

/// What a run says of the leases it leaves when a second signal stops
/// their release.
const RELEASE_STOPPED: &str = "expires by itself";

/// A rollout that ended by itself before the signal promoted every region.
async fn promoted(live: &LiveSim) -> anyhow::Result<()> {
    for (colour, image, idle) in colours(live).await {
        ensure!(
            (colour.as_str(), image.as_str(), idle) == ("green", NEW, 0),
            "not promoted: {colour} {image}, {idle} idle"
        );
    }
    ensure!(
        FleetState::of(live.sim.world()).leases().is_empty(),
        "locks left"
    );
    Ok(())
}

/// One run: a fresh simulator, the operation, its signals, then the checks.
/// Returns where the first signal landed and how the run ended.
async fn hit_once(hit: Hit) -> anyhow::Result<String> {
    let live = match hit.op {
        Op::Drill(_) => LiveSim::start().await,
        Op::Rollout => Launch::seed().quick_rollout().start().await,
    };
    let before = FleetState::of(live.sim.world());
    let run = match hit.op {
        // -v: every check in the report, the one naming the signal too.
        Op::Drill(method) => Running::drill(&live, HOLD, &["--method", method, "-v"]),
        Op::Rollout => Running::spawn(&live, &["rollout", "--image", NEW, "--yes", "-v"]),
    };
    let signals = hit.signals.clone();
    let (done, first) = tokio::task::spawn_blocking(move || {
        let mut first = None;
        for (sig, after) in &signals {
            std::thread::sleep(*after);
            first.get_or_insert_with(Instant::now);
            run.signal(sig);
        }
        let first = first.expect("at least one signal");
        (run.finish(Duration::from_secs(120)), first)
    })
    .await
    .unwrap();
    let landed = phase_before(&done, first);
    let ended = check(&live, &before, &hit, &done, first)
        .await
        .with_context(|| {
            format!(
                "the first signal landed in `{landed}`; exit {:?}; stdout:\n{}\nprogress:\n{}",
                done.status,
                done.stdout,
                done.progress()
            )
        })?;
    live.sim.shutdown().await;
    let n = hit.signals.len();
    Ok(format!("{landed}, {n} signal(s) → {ended}"))
}

/// The property, for one finished run; returns how it ended.
async fn check(
    live: &LiveSim,
    before: &FleetState,
    hit: &Hit,
    done: &Finished,
    first: Instant,
) -> anyhow::Result<String> {
    let two = hit.signals.len() == 2;
    if let Some(sig) = done.killed_by() {
        // Only before ocfail installs its handlers (while it reads the
        // manifest and connects) does a signal's default action end it:
        // nothing has been touched then.
        let phases = done
            .lines
            .iter()
            .filter(|(_, l)| REGIONS.iter().any(|r| l.contains(&format!("] {r}: "))))
            .count();
        ensure!(
            phases == 0,
            "killed by signal {sig} after its progress began"
        );
        as_before(live, before, &done.stdout, RELEASE_STOPPED).await?;
        return Ok(format!(
            "died of signal {sig} before its handlers were installed"
        ));
    }
    // As a code of `exit_code`, so the arms below name them.
    match done.code().and_then(|c| u8::try_from(c).ok()) {
        Some(exit_code::INTERRUPTED) => {
            ensure!(
                SIGNALS
                    .iter()
                    .any(|s| done.stdout.contains(&format!("SIG{}", &s[1..]))),
                "exit 130, and the report names no signal"
            );
            if done
                .stdout
                .contains("arrived while making the promotions final; that was finished first")
            {
                // Every wave had passed: the rollout made its promotions
                // final before it heeded the signal.
                promoted(live).await?;
                return Ok("exit 130, promoted".to_owned());
            }
            let leases_left = as_before(live, before, &done.stdout, RELEASE_STOPPED).await?;
            ensure!(!leases_left || two, "one signal left leases behind");
            Ok(if leases_left {
                "exit 130, lease left to expire".to_owned()
            } else {
                "exit 130".to_owned()
            })
        }
        Some(exit_code::RESTORE_INCOMPLETE) => {
            ensure!(two, "exit 6 after a single signal");
            let command = restore_command(&done.stdout)
                .context("exit 6 without a restore command")?
                .to_owned();
            let out = tokio::task::spawn_blocking(move || run_pasted(&command, "--yes -v"))
                .await
                .unwrap();
            ensure!(
                out.status.code() == exit(exit_code::OK),
                "the pasted restore exited {:?}:\n{}\n{}",
                out.status.code(),
                text(&out.stdout),
                text(&out.stderr)
            );
            // A second signal during the record's write leaves it unknown
            // whether it landed; when it did not, restore finds no record
            // and leaves the lease, saying why.
            let restored = text(&out.stdout);
            let leases_left = as_before(live, before, &restored, "left no record").await?;
            Ok(if leases_left {
                "exit 6, then the pasted restore (no record: lease left to expire)".to_owned()
            } else {
                "exit 6, then the pasted restore".to_owned()
            })
        }
        Some(code @ exit_code::OK..=exit_code::REFUSED) => {
            let results = done.results_at().context("no region results on stderr")?;
            ensure!(
                results <= first + RACE,
                "exit {code}: the run went on for {:?} after the first signal without heeding it",
                results.saturating_duration_since(first)
            );
            match (hit.op, code) {
                (Op::Rollout, exit_code::OK) => promoted(live).await?,
                _ => {
                    ensure!(
                        !as_before(live, before, &done.stdout, RELEASE_STOPPED).await?,
                        "leases left"
                    );
                }
            }
            Ok(format!("ended before the signal (exit {code})"))
        }
        other => bail!("exit {other:?} is not one the policy documents"),
    }
}

/// How long a whole rollout (with [`Launch::quick_rollout`]'s timings) takes here:
/// the longest of [`PARALLEL`] run at once, uninterrupted. Each must
/// promote every region.
async fn whole_rollout() -> Duration {
    let rollouts = (0..PARALLEL).map(|_| async {
        let live = Launch::seed().quick_rollout().start().await;
        let started = Instant::now();
        let run = Running::spawn(&live, &["rollout", "--image", NEW, "--yes"]);
        let done = tokio::task::spawn_blocking(move || run.finish(Duration::from_secs(120)))
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(
            done.code(),
            exit(exit_code::OK),
            "an uninterrupted rollout: {}",
            done.stdout
        );
        promoted(&live).await.unwrap();
        live.sim.shutdown().await;
        took
    });
    futures_util::future::join_all(rollouts)
        .await
        .into_iter()
        .max()
        .unwrap_or_default()
}

/// Runs `plan` and fails with every failed run.
async fn run_plan(what: &str, seed: u64, plan: Vec<Hit>, span: &str, started: Instant) {
    let runs = plan.len();
    let out = seeded::run_all(&plan, PARALLEL, hit_once).await;
    eprintln!(
        "signals during a {what}: seed {seed:#x}: {runs} runs in {:.1}s ({span}); landed → ended: {:#?}",
        started.elapsed().as_secs_f64(),
        out.landed
    );
    assert!(
        out.failures.is_empty(),
        "{} of {runs} runs failed (OCFAIL_SIGNAL_SEED={seed:#x}):\n\n{}",
        out.failures.len(),
        out.failures.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_signals_during_a_drill_leave_the_fleet_as_before_or_a_command_that_does() {
    let seed = seeded::seed("OCFAIL_SIGNAL_SEED");
    let runs = seeded::runs("OCFAIL_SIGNAL_RUNS", RUNS);
    eprintln!(
        "signals during a drill: seed {seed:#x}, {runs} runs (rerun with OCFAIL_SIGNAL_SEED={seed:#x})"
    );
    let started = Instant::now();
    let span = whole_drill().await;
    // From just after the start to a little past the end.
    let until = span.map(|d| ms(d) * 21 / 20);
    let mut rng = fastrand::Rng::with_seed(seed);
    let plan = (0..runs)
        .map(|index| {
            let m = rng.usize(..METHODS.len());
            Hit {
                index,
                op: Op::Drill(METHODS[m]),
                signals: draw_signals(&mut rng, until[m]),
            }
        })
        .collect();
    let span = format!(
        "a whole drill: {:?} ms; first signals within 10..{until:?} ms",
        span.map(ms)
    );
    run_plan("drill", seed, plan, &span, started).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_signals_during_a_rollout_leave_the_fleet_as_before_or_a_command_that_does() {
    let seed = seeded::seed("OCFAIL_SIGNAL_SEED");
    let runs = seeded::runs("OCFAIL_SIGNAL_RUNS", RUNS);
    eprintln!(
        "signals during a rollout: seed {seed:#x}, {runs} runs (rerun with OCFAIL_SIGNAL_SEED={seed:#x})"
    );
    let started = Instant::now();
    let span = whole_rollout().await;
    let until = ms(span) * 21 / 20;
    let mut rng = fastrand::Rng::with_seed(seed);
    let plan = (0..runs)
        .map(|index| Hit {
            index,
            op: Op::Rollout,
            signals: draw_signals(&mut rng, until),
        })
        .collect();
    let span = format!(
        "a whole rollout: {} ms; first signals within 10..{until} ms",
        ms(span)
    );
    run_plan("rollout", seed, plan, &span, started).await;
}
