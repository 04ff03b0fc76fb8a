//! Rules that relate manifest fields to each other (docs/manifest.md): unique
//! regions and pools, at least two regions, waves that name every region once,
//! unique guard names.

use std::collections::HashMap;

use super::diag::Diagnostic;
use super::fields::{Spans, closest};
use super::node::Pos;
use super::schema::{Fleet, Guard};

/// Checks the cross-field rules, returning every problem found.
pub fn validate(fleet: &Fleet, spans: &Spans) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let pos = |path: &str| spans.get(path).copied().unwrap_or_default();

    if spans.contains_key("regions") && fleet.regions.len() < 2 {
        out.push(
            Diagnostic::new(
                pos("regions"),
                "regions",
                format!(
                    "a fleet needs at least two regions to fail over, found {}",
                    fleet.regions.len()
                ),
            )
            .hint("add the region that takes the traffic when this one is down"),
        );
    }

    unique(&mut out, spans, fleet, "name", "region name", |r| {
        r.name.as_str().to_owned()
    });
    unique(&mut out, spans, fleet, "pool", "pool", |r| r.pool.clone());
    unique(
        &mut out,
        spans,
        fleet,
        "context",
        "cluster context and namespace",
        |r| {
            if r.context.is_empty() || r.namespace.is_empty() {
                String::new()
            } else {
                format!("{}/{}", r.context, r.namespace)
            }
        },
    );

    check_waves(&mut out, fleet, spans);

    let others = fleet.regions.len().saturating_sub(1);
    if fleet.regions.len() >= 2
        && fleet.drill.min_healthy_pools as usize > others
        && spans.contains_key("drill.minHealthyPools")
    {
        out.push(
            Diagnostic::new(
                pos("drill.minHealthyPools"),
                "drill.minHealthyPools",
                format!(
                    "{} pools must stay healthy during a drill, but only {others} other regions exist",
                    fleet.drill.min_healthy_pools
                ),
            )
            .hint(format!("set it to at most {others}, or add regions")),
        );
    }

    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, s) in fleet.rollout.smoke.iter().enumerate() {
        if s.name.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(&s.name, i) {
            let path = format!("rollout.smoke[{i}].name");
            out.push(
                Diagnostic::new(
                    pos(&path),
                    path,
                    format!("smoke check `{}` is defined twice", s.name),
                )
                .hint(format!(
                    "rename one of them; the first is rollout.smoke[{first}]"
                )),
            );
        }
    }

    unique_guards(&mut out, spans, &[("drill.guards", &fleet.drill.guards)]);
    // Both are overridden as `guard:<name>`, so they share one namespace.
    unique_guards(
        &mut out,
        spans,
        &[
            ("rollout.guards", &fleet.rollout.guards),
            ("rollout.analysis", &fleet.rollout.analysis),
        ],
    );
    out
}

/// Guard names are unique across `lists`, since `--override guard:<name>`
/// must name one guard.
fn unique_guards(out: &mut Vec<Diagnostic>, spans: &Spans, lists: &[(&str, &[Guard])]) {
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (list, guards) in lists {
        for (i, g) in guards.iter().enumerate() {
            if g.name.is_empty() {
                continue;
            }
            let path = format!("{list}[{i}].name");
            if let Some(first) = seen.get(g.name.as_str()) {
                out.push(
                    Diagnostic::new(
                        spans.get(&path).copied().unwrap_or_default(),
                        path,
                        format!("guard `{}` is defined twice", g.name),
                    )
                    .hint(format!(
                        "rename one of them (`--override guard:<name>` names one guard); the first is {first}"
                    )),
                );
            } else {
                seen.insert(&g.name, format!("{list}[{i}]"));
            }
        }
    }
}

fn unique(
    out: &mut Vec<Diagnostic>,
    spans: &Spans,
    fleet: &Fleet,
    key: &str,
    what: &str,
    value: impl Fn(&super::schema::Region) -> String,
) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, r) in fleet.regions.iter().enumerate() {
        let v = value(r);
        if v.is_empty() {
            continue;
        }
        if let Some(first) = seen.get(&v) {
            let path = format!("regions[{i}].{key}");
            let first_pos = spans
                .get(&format!("regions[{first}].{key}"))
                .copied()
                .unwrap_or_default();
            out.push(
                Diagnostic::new(
                    spans.get(&path).copied().unwrap_or_default(),
                    path,
                    format!("duplicate {what} `{v}`"),
                )
                .hint(format!(
                    "regions[{first}] (line {}) already uses it; each region needs its own",
                    first_pos.line
                )),
            );
        } else {
            seen.insert(v, i);
        }
    }
}

fn check_waves(out: &mut Vec<Diagnostic>, fleet: &Fleet, spans: &Spans) {
    if !spans.contains_key("rollout.waves") {
        return;
    }
    let mut known: Vec<&str> = fleet
        .regions
        .iter()
        .map(|r| r.name.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    known.dedup();
    let mut placed: HashMap<&str, (usize, Pos)> = HashMap::new();
    for (i, wave) in fleet.rollout.waves.iter().enumerate() {
        let wpath = format!("rollout.waves[{i}]");
        if wave.is_empty() {
            out.push(
                Diagnostic::new(
                    spans.get(&wpath).copied().unwrap_or_default(),
                    wpath.clone(),
                    "a wave must name at least one region",
                )
                .hint("remove the empty wave"),
            );
        }
        for (j, name) in wave.iter().enumerate() {
            let path = format!("{wpath}[{j}]");
            let at = spans.get(&path).copied().unwrap_or_default();
            let name = name.as_str();
            if !known.contains(&name) {
                let hint = match closest(name, known.iter().copied()) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("regions in this fleet: {}", known.join(", ")),
                };
                out.push(Diagnostic::new(at, path, format!("unknown region `{name}`")).hint(hint));
            } else if let Some((first, first_at)) = placed.get(name) {
                out.push(
                    Diagnostic::new(
                        at,
                        path,
                        format!("region `{name}` is already in rollout.waves[{first}]"),
                    )
                    .hint(format!(
                        "a region rolls out exactly once; remove it here or at line {}, column {}",
                        first_at.line, first_at.column
                    )),
                );
            } else {
                placed.insert(name, (i, at));
            }
        }
    }
    for r in &fleet.regions {
        let name = r.name.as_str();
        if !name.is_empty() && !placed.contains_key(name) {
            out.push(
                Diagnostic::new(
                    spans.get("rollout.waves").copied().unwrap_or_default(),
                    "rollout.waves",
                    format!("region `{name}` is in no wave"),
                )
                .hint(format!("add `{name}` to a wave so that rollouts reach it")),
            );
        }
    }
}
