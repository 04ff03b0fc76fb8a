//! `ocfail rollout --image IMG` and `ocfail rollback`: blue-green, region by
//! region in the manifest's waves (docs/rollouts.md).
//!
//! Read everything first (nothing changes if a region is unreadable, holds
//! an unrestored record, or already runs the image), then take the fleet
//! lock and promote wave after wave, the regions of a wave in parallel. A
//! failing region switches itself back at once; then `onFailure` decides:
//! `rollback-all` switches back the regions this run already promoted, in
//! reverse order, `halt` leaves them promoted. Ctrl-C, SIGTERM and a lost
//! lock take the rollback path too. Only after the last wave is every
//! record removed and the previous colour scaled to 0, so until then a
//! crash leaves records from which `ocfail restore` puts the old version
//! back everywhere.
//!
//! With a `prometheus:` section, Prometheus is asked too (`prom.rs`):
//! blocking alerts and `before` guards between the reads and the lock, the
//! analysis through each region's verify window, `after` guards before the
//! promotions are made final.

mod finish;
mod plan;
mod prom;
mod region;
mod report;
mod smoke;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use futures_util::future::join_all;

use crate::cloudflare::Pools;
use crate::exit_code;
use crate::facts::lock::LockFact;
use crate::facts::restore::NothingChanged;
use crate::facts::rollout::RolloutSummary;
use crate::facts::rollout::{
    NotStarted, ReadProblem, Refusal, RolledBack, RolloutFact, RolloutNote,
};
use crate::facts::{Finding, Note, RegionFindings, Step, Verdict};
use crate::kube::Workloads;
use crate::manifest::{Fleet, OnFailure, Region};
use crate::prometheus::{Metrics, PromError};

use super::clients::Clients;
use super::guards::{self, Bindings};
use super::lock::{self, Holder, LockOptions};
use super::record;
use super::restore::RestoreOptions;
use super::snapshot::LOCK_LEASE;
use super::supervise::{StopReason, Supervisor};
use super::traffic::TrafficGenerator;
use crate::facts::Findings;

pub use self::plan::{RegionState, other};
use self::region::{Ctx, Ended, RegionRun};
use self::report::{lock_failed, outcome, refused, stopped_before, unreachable};

/// What to roll out, where and how.
#[derive(Clone, Debug)]
pub struct RolloutOptions {
    /// The image to promote; `None` is `ocfail rollback` (promote each
    /// region's previous colour as it is).
    pub image: Option<String>,
    /// Only these regions (`--regions`, or `rollback --region`).
    pub regions: Option<Vec<String>>,
    /// Only read and print the plan.
    pub dry_run: bool,
    /// Keep the previous colour's replicas after a successful rollout.
    pub keep_previous: bool,
    /// `--override guard:<name> --reason TEXT` pairs: `(name, reason)`.
    pub guard_overrides: Vec<(String, String)>,
    /// This run's id.
    pub run_id: String,
}

impl RolloutOptions {
    fn command(&self) -> &'static str {
        if self.image.is_some() {
            "rollout"
        } else {
            "rollback"
        }
    }
}

/// Where a region ended, for its report.
#[derive(Clone, Debug)]
enum Status {
    AlreadyLive,
    NothingToRollBack,
    Planned(Vec<Finding>),
    Promoted,
    /// Promoted, left so by `onFailure: halt`.
    Halted,
    Failed,
    RolledBack(RolledBack),
    NotStarted(NotStarted),
    RestoreIncomplete,
    /// Switched back because the lock was lost (the API kept failing).
    LockLost(RolledBack),
}

/// One selected region through the run.
struct Slot<W> {
    state: RegionState,
    client: W,
    image: String,
    status: Status,
    run: Option<RegionRun>,
    /// Blocking alerts and `before` guards, as they were checked.
    pre: Vec<Finding>,
    /// `after` guards, once every wave was promoted.
    post: Vec<Finding>,
}

/// How the waves went.
#[derive(Default)]
struct Waves {
    /// The first region that failed.
    failed_in: Option<String>,
    /// The slots promoted, in order.
    promoted: Vec<usize>,
    /// A second signal stopped the run before its end was made.
    aborted: bool,
}

/// Runs a rollout (or rollback) under `sup`, which owns the signals and the
/// progress display: a signal before the lock changes nothing; after it,
/// the regions this run changed are switched back; a second signal stops
/// even that, leaving the records for `ocfail restore`.
pub async fn run<W, P>(
    c: &Clients<W, P>,
    opts: &RolloutOptions,
    sup: &mut Supervisor<'_>,
) -> Findings
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    let prometheus = c.prometheus.clone();
    run_with(c, prometheus, opts, sup).await
}

/// [`run`] with the Prometheus client given apart, so that tests can pass
/// an in-memory one.
async fn run_with<W, P, M>(
    c: &Clients<W, P>,
    prometheus: Option<Result<Arc<M>, PromError>>,
    opts: &RolloutOptions,
    sup: &mut Supervisor<'_>,
) -> Findings
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
    M: Metrics + 'static,
{
    let fleet = &c.fleet;
    let waves = waves(fleet, opts);
    let selected: Vec<&Region> = waves.iter().flatten().collect();
    let (clients, states) = match read_fleet(c, &selected, sup).await {
        Ok(read) => read,
        Err(nothing_changed) => return nothing_changed,
    };
    let mut slots = slots(c, opts, &waves, &selected, &clients, &states);
    // Only a manifest that asks something of Prometheus needs it; and a
    // rollback, the way out of an incident, is never held up by one.
    let prometheus = prometheus.filter(|_| opts.image.is_some() && prom::wanted(&fleet.rollout));
    if let Some(p) = &prometheus {
        let checked = sup.stoppable(precheck(fleet, p, opts, &mut slots)).await;
        match checked {
            None => return stopped_before(&selected, sup.reason()),
            Some(Some(refusal)) => return refusal,
            Some(None) => {}
        }
    }
    let prometheus = prometheus.and_then(Result::ok);
    if opts.dry_run {
        let notes = vec![RolloutNote::DryRun.into()];
        return outcome(&c.recovery, slots, notes, None, None);
    }
    if !slots
        .iter()
        .any(|s| matches!(s.status, Status::NotStarted(_)))
    {
        return outcome(&c.recovery, slots, Vec::new(), None, None);
    }

    // The lock (run to its end: dropped half-way it would leave leases),
    // then the waves.
    let holder = Holder::new(opts.command(), &opts.run_id);
    let fleet_lock = match sup
        .drive(lock::acquire(&clients, &holder, &LockOptions::default()))
        .await
    {
        None => return stopped_before(&selected, sup.reason()),
        Some(Ok(l)) => l,
        Some(Err(e)) if e.exit_code() == exit_code::REFUSED => {
            return refused(&selected, Refusal::Locked(e.problem()));
        }
        Some(Err(e)) => return lock_failed(&selected, e.problem()),
    };
    if sup.stopping() {
        let _ = sup.drive(fleet_lock.release()).await;
        return stopped_before(&selected, sup.reason());
    }
    sup.watch_lock(fleet_lock.lost());
    let origin = Instant::now();
    let traffic = fleet
        .traffic
        .as_ref()
        .and_then(|t| TrafficGenerator::start(t, origin.into_std()).ok());
    let cancel = sup.cancel_token();
    let abort = sup.abort_token();
    let analysis = prometheus
        .clone()
        .and_then(|m| prom::Analysis::new(m, &fleet.rollout));
    let by = record::by(holder.as_str());
    let ctx = Ctx {
        fleet,
        run_id: &opts.run_id,
        by: &by,
        kind: opts.command(),
        traffic: traffic.as_ref(),
        origin,
        cancel: &cancel,
        abort: &abort,
        restore: RestoreOptions {
            ready_timeout: fleet.rollout.ready_timeout,
            ..RestoreOptions::default()
        },
        poll: Duration::from_millis(250),
        progress: sup.phases(),
        recovery: &c.recovery,
        analysis: analysis.as_ref(),
    };
    let mut ran = promote_waves(&ctx, sup, &mut slots, &waves).await;
    let after = match &prometheus {
        Some(m) if ran.failed_in.is_none() && !ran.aborted && !sup.stopping() => {
            after_guards(m.as_ref(), fleet, &mut slots, &ran.promoted).await
        }
        _ => None,
    };
    let mut notes = finish_waves(&ctx, sup, opts, &mut slots, &mut ran).await;
    notes.extend(after);
    // How the run stopped, as it was decided: a signal during the release
    // changes nothing of it.
    let stop = sup.reason();
    drop(ctx);
    let traffic = match traffic {
        Some(g) => Some(g.stop().await),
        None => None,
    };
    let released = sup.drive(fleet_lock.release()).await;
    if released.is_none() {
        notes.push(
            LockFact::ReleaseStopped {
                expires_within: LockOptions::default().duration,
            }
            .into(),
        );
    }
    let code = exit_override(c, &mut slots, ran.aborted, stop, &mut notes);
    let mut findings = outcome(&c.recovery, slots, notes, traffic, code);
    if let Some(Err(e)) = &released {
        lock::report_unreleased(&mut findings.regions, e, fleet, c.recovery.in_cluster);
    }
    findings
}

/// Blocking alerts and `before` guards on the regions this run changes
/// (also in a dry run: they only read). `Some` is the run's end, nothing
/// changed: a refusal (exit 5), or what could not be checked (exit 3 or
/// 4); passes and overrides go into the slots' reports. A dry run also
/// shows the queries it would watch after the switch.
async fn precheck<W, M: Metrics>(
    fleet: &Fleet,
    p: &Result<Arc<M>, PromError>,
    opts: &RolloutOptions,
    slots: &mut [Slot<W>],
) -> Option<Findings> {
    let changed: Vec<usize> = slots
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.status, Status::NotStarted(_) | Status::Planned(_)))
        .map(|(i, _)| i)
        .collect();
    if changed.is_empty() {
        return None;
    }
    let targets: Vec<prom::Target> = changed
        .iter()
        .map(|&i| {
            let s = &slots[i].state;
            prom::Target {
                region: s.region.name.to_string(),
                color: s.idle_color.clone(),
                previous: s.live_color.clone(),
            }
        })
        .collect();
    let rollout = &fleet.rollout;
    let found = match p {
        Ok(m) => prom::before(m.as_ref(), rollout, &targets, &opts.guard_overrides).await,
        Err(e) => prom::unchecked(rollout, &targets, e),
    };
    let start = prom::decide(&found);
    for ((&i, t), f) in changed.iter().zip(&targets).zip(found) {
        match &mut slots[i].status {
            Status::Planned(checks) => {
                checks.extend(f);
                checks.extend(prom::planned(rollout, t));
            }
            _ => slots[i].pre = f,
        }
    }
    let (why, code) = match start {
        prom::Start::Go => return None,
        prom::Start::Refuse(names) => (Refusal::Guards { names }, Some(exit_code::REFUSED)),
        // The verdicts say it: error (3) or inconclusive (4).
        prom::Start::Unchecked(names) => (Refusal::GuardsUnchecked { names }, None),
    };
    let regions = slots
        .iter()
        .map(|s| {
            let checks = match &s.status {
                Status::Planned(checks) => checks.clone(),
                _ => s.pre.clone(),
            };
            RegionFindings::from_checks(
                s.state.region.name.as_str(),
                RolloutSummary::NothingChanged(NothingChanged::Refused),
                checks,
            )
        })
        .collect();
    Some(Findings {
        regions,
        notes: vec![RolloutNote::Refused(why).into()],
        traffic: None,
        exit_code: code,
    })
}

/// `after` guards on every promoted region, before the promotions are
/// made final; a breach fails the region's verdict but rolls nothing back
/// (the note says so).
async fn after_guards<W, M: Metrics>(
    m: &M,
    fleet: &Fleet,
    slots: &mut [Slot<W>],
    promoted: &[usize],
) -> Option<Note> {
    let mut failed = Vec::new();
    for &i in promoted {
        let s = &slots[i].state;
        let b = Bindings::rollout(s.region.name.as_str(), &s.idle_color, &s.live_color);
        let found = guards::after(m, &fleet.rollout.guards, &b).await;
        for n in prom::failed_names(&found) {
            if !failed.contains(&n) {
                failed.push(n);
            }
        }
        slots[i].post = found;
    }
    (!failed.is_empty()).then(|| RolloutNote::AfterGuardsFailed { names: failed }.into())
}

/// Reads every region (each must be reachable: the lock covers the whole
/// fleet, and an unrestored record anywhere blocks the run): their clients
/// and states, or what changed nothing and why.
async fn read_fleet<W, P>(
    c: &Clients<W, P>,
    selected: &[&Region],
    sup: &mut Supervisor<'_>,
) -> Result<(Vec<W>, BTreeMap<String, RegionState>), Findings>
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    let mut clients = Vec::new();
    for (r, k) in &c.regions {
        match k {
            Ok(k) => clients.push(k.clone()),
            Err(e) => {
                let why = ReadProblem::Api(super::describe::kube_problem(e));
                return Err(unreachable(selected, r, why));
            }
        }
    }
    for r in selected {
        sup.phase(r.name.as_str(), Step::Reading);
    }
    let read = join_all(
        c.regions
            .iter()
            .zip(&clients)
            .map(|((r, _), k)| plan::read(k, r)),
    );
    // Only reads so far: a signal stops them and changes nothing.
    let Some(states) = sup.stoppable(read).await else {
        return Err(stopped_before(selected, sup.reason()));
    };
    let mut by_name: BTreeMap<String, RegionState> = BTreeMap::new();
    let mut recorded = Vec::new();
    for ((r, _), state) in c.regions.iter().zip(states) {
        match state {
            Err(why) => return Err(unreachable(selected, r, why)),
            Ok(s) => {
                if let Some(kind) = s.recorded {
                    recorded.push((r.name.to_string(), kind));
                }
                by_name.insert(r.name.to_string(), s);
            }
        }
    }
    if !recorded.is_empty() {
        // Records under a live lease are another run at work, not state
        // left over: name it, and do not send anyone to `ocfail restore`.
        if let Some(why) = running_elsewhere(c, &clients).await {
            return Err(refused(selected, why));
        }
        let why = Refusal::Unrestored {
            records: recorded,
            restore: c.recovery.ocfail("restore"),
        };
        return Err(refused(selected, why));
    }
    Ok((clients, by_name))
}

/// A slot per selected region, with what this run does there: nothing
/// (already live, nothing to roll back to), the dry run's plan, or a
/// promotion not started yet.
fn slots<W, P>(
    c: &Clients<W, P>,
    opts: &RolloutOptions,
    waves: &[Vec<Region>],
    selected: &[&Region],
    clients: &[W],
    by_name: &BTreeMap<String, RegionState>,
) -> Vec<Slot<W>>
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    let mut slots: Vec<Slot<W>> = Vec::new();
    for r in selected {
        let (Some(state), Some(client)) = (
            by_name.get(r.name.as_str()).cloned(),
            c.regions
                .iter()
                .zip(clients)
                .find(|((cr, _), _)| cr.name == r.name)
                .map(|(_, k)| k.clone()),
        ) else {
            continue;
        };
        let image = opts
            .image
            .clone()
            .unwrap_or_else(|| state.idle.image.clone());
        let status = if opts.image.is_none() && state.idle.image == state.live.image {
            Status::NothingToRollBack
        } else if opts.image.is_some() && plan::already_live(&state, &image) {
            Status::AlreadyLive
        } else if opts.dry_run {
            let n = waves
                .iter()
                .position(|w| w.iter().any(|x| x.name == r.name))
                .map_or(0, |i| i + 1);
            let wave = RolloutFact::Wave { n, of: waves.len() };
            let mut checks = vec![Finding::new(Verdict::Pass, wave)];
            checks.extend(plan::describe(&c.fleet, &state, &image, opts.keep_previous));
            Status::Planned(checks)
        } else {
            Status::NotStarted(NotStarted::NotReached)
        };
        slots.push(Slot {
            state,
            client,
            image,
            status,
            run: None,
            pre: Vec::new(),
            post: Vec::new(),
        });
    }
    slots
}

/// Promotes wave after wave, the regions of a wave in parallel, until a
/// region fails or the run is stopped; says why each region left is not
/// started.
async fn promote_waves<W: Workloads>(
    ctx: &Ctx<'_>,
    sup: &mut Supervisor<'_>,
    slots: &mut [Slot<W>],
    waves: &[Vec<Region>],
) -> Waves {
    let mut ran = Waves::default();
    for wave in waves {
        let members: Vec<usize> = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                matches!(s.status, Status::NotStarted(_))
                    && wave.iter().any(|r| r.name == s.state.region.name)
            })
            .map(|(i, _)| i)
            .collect();
        if members.is_empty() {
            continue;
        }
        if ran.failed_in.is_some() || ctx.cancel.is_cancelled() {
            break;
        }
        let work = join_all(members.iter().map(|&i| {
            let s = &slots[i];
            region::promote(ctx, &s.client, &s.state, &s.image)
        }));
        let Some(results) = sup.drive(work).await else {
            ran.aborted = true;
            for &i in &members {
                slots[i].status = Status::RestoreIncomplete;
            }
            break;
        };
        for (&i, r) in members.iter().zip(results) {
            let name = slots[i].state.region.name.to_string();
            slots[i].status = match r.ended {
                Ended::Promoted => {
                    ran.promoted.push(i);
                    Status::Promoted
                }
                Ended::Failed => {
                    ran.failed_in.get_or_insert(name);
                    Status::Failed
                }
                Ended::Interrupted => Status::RolledBack(RolledBack::Interrupted),
                Ended::RestoreIncomplete => {
                    ran.failed_in.get_or_insert(name);
                    Status::RestoreIncomplete
                }
            };
            slots[i].run = Some(r);
        }
    }
    let later = match (&ran.failed_in, sup.stopping()) {
        (_, true) => NotStarted::Interrupted,
        (Some(f), _) => NotStarted::AfterFailure { region: f.clone() },
        _ => NotStarted::NotStarted,
    };
    for s in slots.iter_mut() {
        if let Status::NotStarted(why) = &mut s.status {
            *why = later.clone();
        }
    }
    ran
}

/// Undoes or keeps what was promoted (`onFailure`, a signal, a lost
/// lock), then says how the run ended.
async fn finish_waves<W: Workloads>(
    ctx: &Ctx<'_>,
    sup: &mut Supervisor<'_>,
    opts: &RolloutOptions,
    slots: &mut [Slot<W>],
    ran: &mut Waves,
) -> Vec<Note> {
    let on_failure = ctx.fleet.rollout.on_failure;
    let stopping = sup.stopping();
    let roll_back = stopping || (ran.failed_in.is_some() && on_failure == OnFailure::RollbackAll);
    if !ran.aborted {
        let why = if stopping {
            RolledBack::Interrupted
        } else {
            RolledBack::RollbackAll {
                failed: ran.failed_in.clone().unwrap_or_default(),
            }
        };
        let done = if roll_back {
            finish::roll_back(ctx, sup, slots, &ran.promoted, &why).await
        } else {
            let keep = opts.keep_previous || ran.failed_in.is_some() || opts.image.is_none();
            finish::commit(ctx, sup, slots, &ran.promoted, keep).await
        };
        ran.aborted = !done;
        if ran.failed_in.is_some() && !roll_back {
            for &i in &ran.promoted {
                slots[i].status = Status::Halted;
            }
        }
    }

    let mut notes: Vec<Note> = Vec::new();
    if let Some(t) = &ran.failed_in {
        notes.push(
            RolloutNote::Failed {
                region: t.clone(),
                on_failure,
            }
            .into(),
        );
    }
    let aborted = ran.aborted;
    match sup.reason() {
        Some(StopReason::Signal(s)) if stopping && !aborted => {
            notes.push(RolloutNote::InterruptedSwitchedBack { signal: s.name() }.into());
        }
        Some(StopReason::Signal(s)) if stopping => {
            notes.push(RolloutNote::InterruptedSwitchBackStopped { signal: s.name() }.into());
        }
        // The end was decided before the signal came (promote, or switch
        // back after a failure): the signal does not change it, and the
        // notes must not say it did.
        Some(StopReason::Signal(s)) => notes.push(
            RolloutNote::SignalWhileFinishing {
                signal: s.name(),
                rolling_back: roll_back,
                stopped: aborted,
            }
            .into(),
        ),
        Some(StopReason::LockLost) => notes.push(RolloutNote::LockLost.into()),
        None => {}
    }
    notes
}

/// The run's own exit code, when the verdicts do not say it all: records
/// left (with the command that restores them), a lost lock, a signal.
fn exit_override<W, P>(
    c: &Clients<W, P>,
    slots: &mut [Slot<W>],
    aborted: bool,
    stop: Option<StopReason>,
    notes: &mut Vec<Note>,
) -> Option<u8>
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    if aborted
        || slots
            .iter()
            .any(|s| matches!(s.status, Status::RestoreIncomplete))
    {
        let restore = c.recovery.ocfail("restore");
        notes.push(RolloutNote::RecordsLeft { restore }.into());
        Some(exit_code::RESTORE_INCOMPLETE)
    } else if stop == Some(StopReason::LockLost) {
        // Rolled back, not promoted, because the API kept failing: could
        // not check (the regions' verdicts say `error`).
        for s in slots.iter_mut() {
            if let Status::RolledBack(why) = &s.status {
                s.status = Status::LockLost(why.clone());
            }
        }
        Some(exit_code::UNAVAILABLE)
    } else if stop.is_some() {
        // A signal, the only other way to stop (also one that came while
        // the end was being made: exit 130 once it is done, as for a
        // restore).
        Some(exit_code::INTERRUPTED)
    } else {
        None
    }
}

/// The waves to run: the manifest's (reversed for a rollback, which undoes
/// the latest regions first), restricted to the chosen regions.
fn waves(fleet: &Fleet, opts: &RolloutOptions) -> Vec<Vec<Region>> {
    let mut waves: Vec<Vec<Region>> = fleet
        .rollout
        .waves
        .iter()
        .map(|wave| {
            wave.iter()
                .filter(|n| {
                    opts.regions
                        .as_ref()
                        .is_none_or(|only| only.iter().any(|o| o == n.as_str()))
                })
                .filter_map(|n| fleet.region(n.as_str()).cloned())
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if opts.image.is_none() {
        waves.reverse();
    }
    waves
}

/// A live lease of another run, when some region has one.
async fn running_elsewhere<W, P>(c: &Clients<W, P>, clients: &[W]) -> Option<Refusal>
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    let leases = join_all(clients.iter().map(|k| k.lease(LOCK_LEASE))).await;
    let now = std::time::SystemTime::now();
    leases.iter().zip(&c.regions).find_map(|(lease, (r, _))| {
        let lease = lease.as_ref().ok()?.as_ref()?;
        let holder = lease.holder.as_deref().filter(|h| !h.is_empty())?;
        lock::expires_in(lease, now)?;
        Some(Refusal::RunningElsewhere {
            holder: holder.to_owned(),
            region: r.name.to_string(),
            renewed_ago: lock::renewed_ago(lease, now),
        })
    })
}
