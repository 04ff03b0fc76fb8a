//! What a rollout starts from: each region's colours, images and records,
//! read before anything changes, and what the rollout would do there
//! (`--dry-run` prints exactly this).

use crate::facts::{Finding, Verdict};
use crate::kube::{DeploymentState, Workloads, image_tag};
use crate::manifest::{Fleet, Region};
use crate::ops::describe;
use crate::ops::snapshot::{DRILL_ANNOTATION, ROLLOUT_ANNOTATION};

/// One region as the rollout found it.
#[derive(Clone, Debug)]
pub struct RegionState {
    /// The region from the manifest.
    pub region: Region,
    /// The colour the live Service selects.
    pub live_color: String,
    /// The other colour.
    pub idle_color: String,
    /// The live colour's Deployment.
    pub live: DeploymentState,
    /// The idle colour's Deployment.
    pub idle: DeploymentState,
    /// The colour `<service>-preview` selects, when it exists.
    pub preview_color: Option<String>,
    /// An unrestored operation's record (`drill` or `rollout`), if any.
    pub recorded: Option<&'static str>,
}

impl RegionState {
    /// `<deployment>-<colour>`.
    pub fn deployment(&self, colour: &str) -> String {
        format!("{}-{colour}", self.region.deployment)
    }

    /// `<service>-preview`.
    pub fn preview(&self) -> String {
        format!("{}-preview", self.region.service)
    }
}

/// The other colour of a blue-green pair.
pub fn other(colour: &str) -> Option<&'static str> {
    match colour {
        "blue" => Some("green"),
        "green" => Some("blue"),
        _ => None,
    }
}

/// Reads `region`'s Services and Deployments; the error says what is
/// missing and what to do.
pub async fn read<W: Workloads>(w: &W, region: &Region) -> Result<RegionState, String> {
    let svc = w
        .service(&region.service)
        .await
        .map_err(|e| describe::kube(&e))?
        .ok_or_else(|| {
            format!(
                "service {} does not exist in namespace {}",
                region.service, region.namespace
            )
        })?;
    let live_color = svc.color().map(str::to_owned).ok_or_else(|| {
        format!(
            "service {} has no ocfail.dev/color selector, so ocfail cannot tell the live colour; \
             add `ocfail.dev/color: blue` (or green) to its selector",
            region.service
        )
    })?;
    let idle_color = other(&live_color).ok_or_else(|| {
        format!(
            "service {} selects colour {live_color:?}; ocfail knows only blue and green",
            region.service
        )
    })?;
    let deployment = |colour: &str| {
        let name = format!("{}-{colour}", region.deployment);
        async move {
            w.deployment(&name)
                .await
                .map_err(|e| describe::kube(&e))?
                .ok_or_else(|| format!("deployment {name} does not exist"))
        }
    };
    let live = deployment(&live_color).await?;
    let idle = deployment(idle_color).await?;
    let preview = w
        .service(&format!("{}-preview", region.service))
        .await
        .map_err(|e| describe::kube(&e))?;
    let recorded = if svc.annotations.contains_key(ROLLOUT_ANNOTATION) {
        Some("rollout")
    } else if [&live, &idle]
        .iter()
        .any(|d| d.annotations.contains_key(DRILL_ANNOTATION))
    {
        Some("drill")
    } else {
        None
    };
    Ok(RegionState {
        region: region.clone(),
        preview_color: preview.as_ref().and_then(|p| p.color()).map(str::to_owned),
        live_color,
        idle_color: idle_color.to_owned(),
        live,
        idle,
        recorded,
    })
}

/// Whether the region already serves `image` from its live colour.
pub fn already_live(state: &RegionState, image: &str) -> bool {
    state.live.image == image
}

/// The dry run's checks for one region: every change, in order.
pub fn describe(
    fleet: &Fleet,
    state: &RegionState,
    image: &str,
    keep_previous: bool,
) -> Vec<Finding> {
    let s = state;
    let plan = |name: &str, detail: String| Finding::text(name, Verdict::Pass, detail);
    if already_live(s, image) {
        return vec![plan(
            "already-live",
            format!(
                "{} already runs {image}: no change",
                s.deployment(&s.live_color)
            ),
        )];
    }
    let mut out = vec![
        plan(
            "record",
            format!(
                "would annotate service {} with {ROLLOUT_ANNOTATION} (from {} to {})",
                s.region.service, s.live_color, s.idle_color
            ),
        ),
        plan(
            "deploy",
            format!(
                "would set {} from {} × {} to {} × {image}",
                s.deployment(&s.idle_color),
                s.idle.replicas,
                image_tag(&s.idle.image),
                s.live.replicas
            ),
        ),
        plan(
            "ready",
            format!(
                "would wait up to {} for {}/{} updated, ready and available",
                humantime::format_duration(fleet.rollout.ready_timeout),
                s.live.replicas,
                s.live.replicas
            ),
        ),
    ];
    if s.preview_color.as_deref() != Some(s.idle_color.as_str()) {
        out.push(plan(
            "preview",
            format!("would point service {} at {}", s.preview(), s.idle_color),
        ));
    }
    out.push(plan(
        "smoke-preview",
        format!(
            "would run {} smoke check(s) against {}",
            fleet.rollout.smoke.len(),
            s.preview()
        ),
    ));
    out.push(plan(
        "switch",
        format!(
            "would switch service {} from {} to {} (and {} to {})",
            s.region.service,
            s.live_color,
            s.idle_color,
            s.preview(),
            s.live_color
        ),
    ));
    out.push(plan(
        "smoke-live",
        format!(
            "would run {} smoke check(s) against {}",
            fleet.rollout.smoke.len(),
            s.region.service
        ),
    ));
    out.push(plan(
        "verify",
        match &fleet.traffic {
            Some(t) => format!(
                "would watch traffic through {} for {} (max error rate {})",
                t.url,
                humantime::format_duration(fleet.rollout.verify_for),
                fleet.rollout.max_error_rate
            ),
            None => "no traffic section in the manifest: nothing to watch".to_owned(),
        },
    ));
    out.push(plan(
        "finalize",
        if keep_previous {
            format!(
                "would keep {} ({} replicas) warm (--keep-previous)",
                s.deployment(&s.live_color),
                s.live.replicas
            )
        } else {
            format!(
                "would scale {} to 0 once every wave is promoted",
                s.deployment(&s.live_color)
            )
        },
    ));
    out
}
