//! The drill's read-only part (docs/drills.md steps 1–2): the clients, the
//! steady state before, the safety rules and overrides, the timing budget
//! and the receiving region; and `--dry-run`, which stops here and prints
//! every change the drill would make.
//!
//! What cannot be read is "could not check" (exit 3), never a refusal: a
//! refusal (exit 5) is a rule or another run saying no, and names which.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::cloudflare::{Pool, Pools};
use crate::facts::Step;
use crate::facts::{Finding, RegionFindings, Verdict};
use crate::kube::{DeploymentState, Workloads};
use crate::manifest::{DrillMethod, Fleet, Region};

use super::super::budget::{self, Budget};
use super::super::clients::Clients;
use super::super::describe;
use super::super::lock::{self, Holder};
use super::super::safety::{self, Rule};
use super::super::snapshot::{self, DRILL_ANNOTATION, RegionSnapshot};
use super::super::status::pool_facts;
use super::super::steering::{self, Selection};
use super::super::supervise::Phases;
use super::super::traffic;
use super::{DrillOptions, DrillOutcome, blocking_line, refused, unavailable_before};
use crate::facts::Findings;

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
    pub notes: Vec<String>,
    /// Cloudflare requests sent before the drill (budget accounting).
    pub requests_before: u64,
    /// The load balancer's `adaptive_routing.failover_across_pools`, when known.
    pub across_pools: Option<bool>,
}

type Prep<W, P> = Result<Prepared<W, P>, Box<DrillOutcome>>;

/// A refusal: nothing was changed (exit 5).
fn no<W, P>(region: &str, why: Vec<String>, notes: Vec<String>) -> Prep<W, P> {
    Err(Box::new(refused(region, why, notes)))
}

/// Could not check: an API could not be read (exit 3); nothing was changed.
fn blind<W, P>(region: &str, why: Vec<String>) -> Prep<W, P> {
    Err(Box::new(unavailable_before(region, why)))
}

/// A drill or rollout still running elsewhere, from a region's records and
/// its lock Lease: the record's run holds a live lease. Such state is not
/// "left" by anyone, and `ocfail restore` must not touch it.
fn running_elsewhere(r: &RegionSnapshot) -> Option<String> {
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
    let renewed = lock::renewed_ago(lease, now).map_or_else(String::new, |ago| {
        format!(", lease renewed {}s ago", ago.as_secs())
    });
    Some(format!(
        "locked: {kind} run {run} is still running in {} ({holder}{renewed}); wait for it to end \
         (it puts back what it changed itself; `ocfail restore` refuses while it runs)",
        r.region.name
    ))
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
        return no(
            &opts.region,
            vec![format!("the fleet has no region `{}`", opts.region)],
            Vec::new(),
        );
    };
    let name = region.name.to_string();
    let cf = match &c.cloudflare {
        Ok(cf) => cf.clone(),
        Err(e) => return blind(&name, vec![describe::cf(e)]),
    };
    let mut clients = Vec::new();
    let mut unreachable = Vec::new();
    for (r, client) in &c.regions {
        match client {
            Ok(k) => clients.push(k.clone()),
            Err(e) => unreachable.push(format!("{}: {}", r.name, describe::kube(e))),
        }
    }
    if !unreachable.is_empty() {
        return blind(&name, unreachable);
    }
    let Some(w) = c
        .regions
        .iter()
        .position(|(r, _)| r.name.as_str() == name)
        .map(|i| clients[i].clone())
    else {
        return blind(&name, vec!["no client for the region".to_owned()]);
    };

    let requests_before = cf.requests_sent();
    // Step 1: steady state before.
    phases.set(&name, Step::CheckingSteadyState);
    let snap = snapshot::fleet(fleet, c.regions.clone(), Ok(cf.clone()), 64).await;
    // Could not read is not "not steady": say which API, exit 3.
    let mut unread: Vec<String> = snap
        .regions
        .iter()
        .filter_map(|r| r.error.as_ref().map(describe::kube))
        .collect();
    for e in [
        snap.cloudflare.lb.as_ref().err(),
        snap.cloudflare.pools.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        unread.push(describe::cf(e));
    }
    if !unread.is_empty() {
        unread.dedup();
        return blind(&name, unread);
    }
    let lb = match &snap.cloudflare.lb {
        Ok(lb) => lb.clone(),
        Err(e) => return blind(&name, vec![describe::cf(e)]),
    };
    // Another run changing the fleet right now is not state to restore.
    let running: Vec<String> = snap.regions.iter().filter_map(running_elsewhere).collect();
    if !running.is_empty() {
        return no(&name, running, Vec::new());
    }
    let facts: Vec<_> = snap.regions.iter().map(|r| pool_facts(&snap, r)).collect();
    let mut steady = Vec::new();
    if lb.enabled == Some(false) {
        steady.push(format!(
            "steady-state: load balancer {} is disabled",
            lb.name
        ));
    }
    for (r, f) in snap.regions.iter().zip(&facts) {
        match r.live() {
            Some(d) if d.replicas > 0 && d.available >= d.replicas => {}
            Some(d) => steady.push(format!(
                "steady-state: {} live {} has {}/{} available",
                r.region.name, d.name, d.available, d.replicas
            )),
            None => steady.push(format!(
                "steady-state: {} has no live Deployment",
                r.region.name
            )),
        }
        if !f.enabled || f.healthy != Some(true) {
            steady.push(format!(
                "steady-state: pool of {} is not enabled and healthy",
                r.region.name
            ));
        }
    }
    if let Some(t) = &fleet.traffic {
        let probe = traffic::probe_once(t).await;
        if !probe.is_success() {
            steady.push(format!(
                "steady-state: synthetic traffic to {} fails: {}",
                t.url,
                probe.error.unwrap_or_default()
            ));
        }
    }
    let restore_command = c.recovery.ocfail("restore");
    let unrestored: Vec<String> = snap
        .regions
        .iter()
        .filter(|r| r.operation().is_some())
        .map(|r| r.region.name.to_string())
        .collect();
    if !steady.is_empty() {
        // After a crash the record is why the fleet is not steady: name the
        // rule first, so the refusal says to run `ocfail restore`.
        let overridden = opts
            .overrides
            .iter()
            .any(|(r, _)| *r == Rule::UnrestoredState);
        if let Some(v) =
            safety::unrestored_state(&unrestored, &restore_command).filter(|_| !overridden)
        {
            steady.insert(0, blocking_line(&v));
        }
        return no(
            &name,
            steady,
            vec!["the fleet is not in a steady state; a drill now would prove nothing".to_owned()],
        );
    }

    // Step 2: safety rules.
    let drilled = snap.regions.iter().find(|r| r.region.name.as_str() == name);
    let (Some(drilled), Some(pool)) = (drilled, snap.cloudflare.pool_for(&region).cloned()) else {
        return no(
            &name,
            vec![format!("pool {} not found", region.pool)],
            Vec::new(),
        );
    };
    let Some(live) = drilled.live().cloned() else {
        return no(&name, vec!["no live Deployment".to_owned()], Vec::new());
    };
    let monitor = match pool.monitor.as_deref().filter(|m| !m.is_empty()) {
        Some(id) => match cf.monitor(id).await {
            Ok(m) => Some(m),
            Err(e) => return blind(&name, vec![describe::cf(&e)]),
        },
        None => None,
    };
    let hpas = match w.hpas().await {
        Ok(h) => h,
        Err(e) => return blind(&name, vec![describe::kube(&e)]),
    };
    let violations = safety::check(&safety::Facts {
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
        restore_command: &restore_command,
    });
    let mut notes = Vec::new();
    let mut blocking = Vec::new();
    for v in violations {
        match opts.overrides.iter().find(|(r, _)| *r == v.rule) {
            Some((_, reason)) => notes.push(format!(
                "rule {} overridden: {reason} ({})",
                v.rule, v.message
            )),
            None => blocking.push(blocking_line(&v)),
        }
    }
    if !blocking.is_empty() {
        return no(&name, blocking, notes);
    }
    let budget = monitor.as_ref().map_or(
        Budget {
            failover: Duration::from_secs(120),
            recover: fleet
                .rollout
                .ready_timeout
                .saturating_add(Duration::from_secs(120)),
        },
        |m| budget::for_fleet(fleet, m),
    );
    let was_serving = steering::select(&lb, &facts, &[]).regions().contains(&name);
    let receiving = steering::select(&lb, &facts, &[name.as_str()]);
    let receiver = match &receiving {
        Selection::Region(r) | Selection::Fallback(r) => Some(r.clone()),
        _ => None,
    };
    notes.push(format!(
        "budget: failover within {}, recovery within {}; expected to receive traffic: {}",
        humantime::format_duration(budget.failover),
        humantime::format_duration(budget.recover),
        receiver
            .clone()
            .unwrap_or_else(|| "the remaining pools".to_owned())
    ));
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
        ..
    } = p;
    let mut plan = vec![
        Finding::text(
            "lock",
            Verdict::Pass,
            format!(
                "would take Lease ocfail-lock in {} regions",
                fleet.regions.len()
            ),
        ),
        Finding::text(
            "record",
            Verdict::Pass,
            format!(
                "would annotate deployment {} with {DRILL_ANNOTATION} (replicas {})",
                live.name, live.replicas
            ),
        ),
    ];
    plan.push(match opts.method {
        DrillMethod::ScaleToZero => Finding::text(
            "inject",
            Verdict::Pass,
            format!(
                "would scale deployment {} from {} to 0",
                live.name, live.replicas
            ),
        ),
        DrillMethod::DisablePool => Finding::text(
            "inject",
            Verdict::Pass,
            format!("would set pool {} enabled=false", pool.name),
        ),
    });
    plan.push(Finding::text(
        "restore",
        Verdict::Pass,
        format!(
            "would restore {} replicas and remove the record",
            live.replicas
        ),
    ));
    notes.push("dry run: nothing was changed".to_owned());
    DrillOutcome {
        findings: Findings {
            regions: vec![RegionFindings::from_checks(
                &name,
                "dry run: the drill may proceed",
                plan,
            )],
            notes: crate::facts::Note::texts(notes),
            traffic: None,
            exit_code: None,
        },
        unhealthy_noticed_at: None,
        cloudflare_requests: cf.requests_sent().saturating_sub(requests_before),
    }
}
