//! The drill's read-only part (docs/drills.md steps 1–2): the clients, the
//! steady state before, the safety rules and overrides, the timing budget
//! and the receiving region; and `--dry-run`, which stops here and prints
//! every change the drill would make.
//!
//! What cannot be read is "could not check" (exit 3), never a refusal: a
//! refusal (exit 5) is a rule or another run saying no, and names which.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::cloudflare::{LoadBalancer, Monitor, Pool, Pools};
use crate::facts::drill::{DrillFact, DrillNote, DrillSummary, Planned, Refusal, Unreadable};
use crate::facts::{Finding, Findings, Note, RegionFindings, Step, Verdict};
use crate::kube::{DeploymentState, HpaState, Workloads};
use crate::manifest::{DrillMethod, Fleet, Region};

use super::super::budget::{self, Budget};
use super::super::clients::Clients;
use super::super::describe::{cf_problem, kube_problem};
use super::super::lock::{self, Holder};
use super::super::safety::{self, Rule};
use super::super::snapshot::{self, DRILL_ANNOTATION, FleetSnapshot, RegionSnapshot};
use super::super::status::pool_facts;
use super::super::steering::{self, PoolFacts, Selection};
use super::super::supervise::Phases;
use super::super::traffic;
use super::guarded::{self, Guarded};
use super::{DrillOptions, DrillOutcome, refused, unavailable_before};

/// What the read-only steps found, for the steps that change things.
pub(super) struct Prepared<W, P> {
    /// The drilled region.
    pub region: Region,
    /// Its name.
    pub name: String,
    /// Cloudflare.
    pub cf: Arc<P>,
    /// Every region's client, in manifest order (for the lock).
    pub clients: Vec<W>,
    /// The drilled region's client.
    pub w: W,
    /// The drilled region's pool.
    pub pool: Pool,
    /// Its live Deployment.
    pub live: DeploymentState,
    /// The failover and recovery deadlines.
    pub budget: Budget,
    /// Whether the LB sent the region traffic before the drill.
    pub was_serving: bool,
    /// The region expected to take the traffic.
    pub receiver: Option<String>,
    /// Notes so far (overrides, the budget).
    pub notes: Vec<Note>,
    /// Cloudflare requests sent before the drill (budget accounting).
    pub requests_before: u64,
    /// The load balancer's `adaptive_routing.failover_across_pools`, when known.
    pub across_pools: Option<bool>,
    /// Prometheus, when the manifest has it: the client, the placeholders'
    /// values and what was checked before.
    pub guarded: Option<Guarded>,
}

/// Why the drill stops before changing anything: its outcome.
type Stopped = Box<DrillOutcome>;

type Prep<W, P> = Result<Prepared<W, P>, Stopped>;

/// A refusal: nothing was changed (exit 5).
fn no(region: &str, why: Vec<Refusal>, notes: Vec<Note>) -> Stopped {
    Box::new(refused(region, why, notes))
}

/// Could not check: an API could not be read (exit 3); nothing was changed.
fn blind(region: &str, why: Vec<Unreadable>) -> Stopped {
    Box::new(unavailable_before(region, why))
}

/// A drill or rollout still running elsewhere, from a region's records and
/// its lock Lease: the record's run holds a live lease. Such state is not
/// "left" by anyone, and `ocfail restore` must not touch it.
fn running_elsewhere(r: &RegionSnapshot) -> Option<Refusal> {
    let (kind, raw) = r.operation()?;
    let record: serde_json::Value = serde_json::from_str(raw).ok()?;
    let run = record["runId"].as_str()?;
    let lease = r.lease.as_ref()?;
    let holder = lease.holder.as_deref()?;
    if Holder::parse(holder).run_id() != Some(run) {
        return None;
    }
    let now = SystemTime::now();
    lock::expires_in(lease, now)?;
    Some(Refusal::RunningElsewhere {
        kind: kind.to_owned(),
        run: run.to_owned(),
        region: r.region.name.to_string(),
        holder: holder.to_owned(),
        renewed_ago: lock::renewed_ago(lease, now),
    })
}

/// Every region's client, and Cloudflare's: what cannot be had is "could
/// not check".
struct Connected<W, P> {
    cf: Arc<P>,
    clients: Vec<W>,
    w: W,
}

/// The clients, in manifest order, and the drilled region's.
fn connect<W: Clone, P>(c: &Clients<W, P>, name: &str) -> Result<Connected<W, P>, Stopped> {
    let cf = match &c.cloudflare {
        Ok(cf) => cf.clone(),
        Err(e) => return Err(blind(name, vec![Unreadable::Api(cf_problem(e))])),
    };
    let mut clients = Vec::new();
    let mut unreachable = Vec::new();
    for (r, client) in &c.regions {
        match client {
            Ok(k) => clients.push(k.clone()),
            Err(e) => unreachable.push(Unreadable::Region {
                region: r.name.to_string(),
                problem: kube_problem(e),
            }),
        }
    }
    if !unreachable.is_empty() {
        return Err(blind(name, unreachable));
    }
    let Some(w) = c
        .regions
        .iter()
        .position(|(r, _)| r.name.as_str() == name)
        .map(|i| clients[i].clone())
    else {
        return Err(blind(name, vec![Unreadable::NoClient]));
    };
    Ok(Connected { cf, clients, w })
}

/// The load balancer, once every region and Cloudflare could be read.
/// Could not read is not "not steady": say which API, exit 3.
fn readable(snap: &FleetSnapshot, name: &str) -> Result<LoadBalancer, Stopped> {
    let mut unread: Vec<Unreadable> = snap
        .regions
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| Unreadable::Api(kube_problem(e))))
        .collect();
    for e in [
        snap.cloudflare.lb.as_ref().err(),
        snap.cloudflare.pools.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        unread.push(Unreadable::Api(cf_problem(e)));
    }
    if !unread.is_empty() {
        unread.dedup();
        return Err(blind(name, unread));
    }
    match &snap.cloudflare.lb {
        Ok(lb) => Ok(lb.clone()),
        Err(e) => Err(blind(name, vec![Unreadable::Api(cf_problem(e))])),
    }
}

/// Step 1's verdict: every region serving with its pool healthy, the LB
/// enabled, synthetic traffic getting through. What keeps the fleet from
/// being steady refuses the drill, `unrestored-state` first.
async fn steady_state<W, P>(
    c: &Clients<W, P>,
    opts: &DrillOptions,
    snap: &FleetSnapshot,
    lb: &LoadBalancer,
    facts: &[PoolFacts],
    unrestored: &[String],
    name: &str,
) -> Result<(), Stopped> {
    let mut steady = Vec::new();
    if lb.enabled == Some(false) {
        steady.push(Refusal::LoadBalancerDisabled {
            load_balancer: lb.name.clone(),
        });
    }
    for (r, f) in snap.regions.iter().zip(facts) {
        let region = || r.region.name.to_string();
        match r.live() {
            Some(d) if d.replicas > 0 && d.available >= d.replicas => {}
            Some(d) => steady.push(Refusal::NotAvailable {
                region: region(),
                deployment: d.name.clone(),
                available: d.available,
                replicas: d.replicas,
            }),
            None => steady.push(Refusal::NoLiveDeployment { region: region() }),
        }
        if !f.enabled || f.healthy != Some(true) {
            steady.push(Refusal::PoolNotHealthy { region: region() });
        }
    }
    if let Some(t) = &c.fleet.traffic {
        let probe = traffic::probe_once(t).await;
        if !probe.is_success() {
            steady.push(Refusal::TrafficFails {
                url: t.url.clone(),
                error: probe.error.unwrap_or_default(),
            });
        }
    }
    if steady.is_empty() {
        return Ok(());
    }
    // After a crash the record is why the fleet is not steady: name the
    // rule first, so the refusal says to run `ocfail restore`.
    let overridden = opts
        .overrides
        .iter()
        .any(|(r, _)| *r == Rule::UnrestoredState);
    if let Some(v) =
        safety::unrestored_state(unrestored, &c.recovery.ocfail("restore")).filter(|_| !overridden)
    {
        steady.insert(0, Refusal::Rule(v));
    }
    Err(no(name, steady, vec![DrillNote::NotSteady.into()]))
}

/// What step 2's rules look at beyond the snapshot: the pool's monitor
/// and the HPAs of the drilled region.
async fn monitor_and_hpas<W: Workloads, P: Pools>(
    cf: &P,
    w: &W,
    pool: &Pool,
    name: &str,
) -> Result<(Option<Monitor>, Vec<HpaState>), Stopped> {
    let monitor = match pool.monitor.as_deref().filter(|m| !m.is_empty()) {
        Some(id) => match cf.monitor(id).await {
            Ok(m) => Some(m),
            Err(e) => return Err(blind(name, vec![Unreadable::Api(cf_problem(&e))])),
        },
        None => None,
    };
    match w.hpas().await {
        Ok(h) => Ok((monitor, h)),
        Err(e) => Err(blind(name, vec![Unreadable::Api(kube_problem(&e))])),
    }
}

/// Step 2's verdict: a broken rule refuses the drill unless overridden;
/// an override becomes a note with its reason.
fn rules(opts: &DrillOptions, f: &safety::Facts<'_>, name: &str) -> Result<Vec<Note>, Stopped> {
    let mut notes = Vec::new();
    let mut blocking = Vec::new();
    for violation in safety::check(f) {
        match opts.overrides.iter().find(|(r, _)| *r == violation.rule()) {
            Some((_, reason)) => notes.push(
                DrillNote::RuleOverridden {
                    violation,
                    reason: reason.clone(),
                }
                .into(),
            ),
            None => blocking.push(Refusal::Rule(violation)),
        }
    }
    if blocking.is_empty() {
        Ok(notes)
    } else {
        Err(no(name, blocking, notes))
    }
}

/// The deadlines: from the monitor's timings, or generous defaults when
/// there is no monitor (only with `--override no-monitor`).
fn deadlines(fleet: &Fleet, monitor: Option<&Monitor>) -> Budget {
    monitor.map_or(
        Budget {
            failover: Duration::from_secs(120),
            recover: fleet
                .rollout
                .ready_timeout
                .saturating_add(Duration::from_secs(120)),
        },
        |m| budget::for_fleet(fleet, m),
    )
}

/// Steps 1–2; a refusal (exit 5) when the drill must not run, "could not
/// check" (exit 3) when something cannot be read.
pub(super) async fn prepare<W, P>(
    c: &Clients<W, P>,
    opts: &DrillOptions,
    phases: &Phases,
) -> Prep<W, P>
where
    W: Workloads + Clone + 'static,
    P: Pools + 'static,
{
    let fleet = &c.fleet;
    let Some(region) = fleet.region(&opts.region).cloned() else {
        let unknown = Refusal::NoSuchRegion {
            region: opts.region.clone(),
        };
        return Err(no(&opts.region, vec![unknown], Vec::new()));
    };
    let name = region.name.to_string();
    let Connected { cf, clients, w } = connect(c, &name)?;

    let requests_before = cf.requests_sent();
    // Step 1: steady state before.
    phases.set(&name, Step::CheckingSteadyState);
    let snap = snapshot::fleet(fleet, c.regions.clone(), Ok(cf.clone()), 64).await;
    let lb = readable(&snap, &name)?;
    // Another run changing the fleet right now is not state to restore.
    let running: Vec<Refusal> = snap.regions.iter().filter_map(running_elsewhere).collect();
    if !running.is_empty() {
        return Err(no(&name, running, Vec::new()));
    }
    let facts: Vec<_> = snap.regions.iter().map(|r| pool_facts(&snap, r)).collect();
    let unrestored: Vec<String> = snap
        .regions
        .iter()
        .filter(|r| r.operation().is_some())
        .map(|r| r.region.name.to_string())
        .collect();
    steady_state(c, opts, &snap, &lb, &facts, &unrestored, &name).await?;

    // Step 2: safety rules.
    let drilled = snap.regions.iter().find(|r| r.region.name.as_str() == name);
    let (Some(drilled), Some(pool)) = (drilled, snap.cloudflare.pool_for(&region).cloned()) else {
        let missing = Refusal::PoolNotFound {
            pool: region.pool.clone(),
        };
        return Err(no(&name, vec![missing], Vec::new()));
    };
    let Some(live) = drilled.live().cloned() else {
        return Err(no(&name, vec![Refusal::NoLive], Vec::new()));
    };
    let (monitor, hpas) = monitor_and_hpas(cf.as_ref(), &w, &pool, &name).await?;
    let mut notes = rules(
        opts,
        &safety::Facts {
            fleet,
            region: &region,
            method: opts.method,
            lb: &lb,
            pool: &pool,
            monitor: monitor.as_ref(),
            pools: &facts,
            live: &live,
            hpas: &hpas,
            unrestored: &unrestored,
            restore_command: &c.recovery.ocfail("restore"),
        },
        &name,
    )?;
    let budget = deadlines(fleet, monitor.as_ref());
    let was_serving = steering::select(&lb, &facts, &[]).regions().contains(&name);
    let receiver = match steering::select(&lb, &facts, &[name.as_str()]) {
        Selection::Region(r) | Selection::Fallback(r) => Some(r),
        _ => None,
    };
    // Prometheus last: the other refusals are cheaper and usually the
    // reason an alert fires.
    let guarded = guarded::before(c, opts, &name, receiver.as_deref()).await?;
    notes.push(
        DrillNote::Budget {
            failover: budget.failover,
            recover: budget.recover,
            receiver: receiver.clone(),
        }
        .into(),
    );
    Ok(Prepared {
        region,
        name,
        cf,
        clients,
        w,
        pool,
        live,
        budget,
        was_serving,
        receiver,
        notes,
        requests_before,
        across_pools: Some(lb.failover_across_pools()),
        guarded,
    })
}

/// `--dry-run`: the plan, from what the read-only steps found.
pub(super) fn dry_run<W, P: Pools>(
    fleet: &Fleet,
    opts: &DrillOptions,
    p: Prepared<W, P>,
) -> DrillOutcome {
    let Prepared {
        name,
        cf,
        pool,
        live,
        mut notes,
        requests_before,
        guarded,
        ..
    } = p;
    let planned = [
        Planned::TakeLock {
            regions: fleet.regions.len(),
        },
        Planned::Record {
            deployment: live.name.clone(),
            annotation: DRILL_ANNOTATION,
            replicas: live.replicas,
        },
        match opts.method {
            DrillMethod::ScaleToZero => Planned::ScaleToZero {
                deployment: live.name.clone(),
                replicas: live.replicas,
            },
            DrillMethod::DisablePool => Planned::DisablePool { pool: pool.name },
        },
        Planned::Restore {
            replicas: live.replicas,
        },
    ];
    let mut plan: Vec<Finding> = guarded
        .as_ref()
        .map(|g| g.before.clone())
        .unwrap_or_default();
    plan.extend(
        planned
            .into_iter()
            .map(|p| Finding::new(Verdict::Pass, DrillFact::Plan(p))),
    );
    if let Some(g) = &guarded {
        plan.extend(guarded::planned(fleet, g));
    }
    notes.push(DrillNote::DryRun.into());
    DrillOutcome {
        findings: Findings {
            regions: vec![RegionFindings::from_checks(
                &name,
                DrillSummary::DryRun,
                plan,
            )],
            notes,
            traffic: None,
            exit_code: None,
        },
        unhealthy_noticed_at: None,
        cloudflare_requests: cf.requests_sent().saturating_sub(requests_before),
    }
}
