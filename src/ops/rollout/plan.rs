//! What a rollout starts from: each region's colours, images and records,
//! read before anything changes, and what the rollout would do there
//! (`--dry-run` prints exactly this).

use crate::facts::rollout::{Plan, ReadProblem, RolloutFact, SmokeStage};
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
/// missing.
pub async fn read<W: Workloads>(w: &W, region: &Region) -> Result<RegionState, ReadProblem> {
    let api = |e: crate::kube::KubeError| ReadProblem::Api(describe::kube_problem(&e));
    let svc = w
        .service(&region.service)
        .await
        .map_err(api)?
        .ok_or_else(|| ReadProblem::NoService {
            service: region.service.clone(),
            namespace: region.namespace.clone(),
        })?;
    let live_color = svc
        .color()
        .map(str::to_owned)
        .ok_or_else(|| ReadProblem::NoColour {
            service: region.service.clone(),
        })?;
    let idle_color = other(&live_color).ok_or_else(|| ReadProblem::UnknownColour {
        service: region.service.clone(),
        colour: live_color.clone(),
    })?;
    let deployment = |colour: &str| {
        let name = format!("{}-{colour}", region.deployment);
        async move {
            w.deployment(&name)
                .await
                .map_err(api)?
                .ok_or(ReadProblem::NoDeployment { deployment: name })
        }
    };
    let live = deployment(&live_color).await?;
    let idle = deployment(idle_color).await?;
    let preview = w
        .service(&format!("{}-preview", region.service))
        .await
        .map_err(api)?;
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
    let plan = |p: Plan| Finding::new(Verdict::Pass, RolloutFact::Plan(p));
    if already_live(s, image) {
        return vec![plan(Plan::AlreadyLive {
            deployment: s.deployment(&s.live_color),
            image: image.to_owned(),
        })];
    }
    let smoke = |stage, service: String| Plan::Smoke {
        stage,
        checks: fleet.rollout.smoke.len(),
        service,
    };
    let mut out = vec![
        plan(Plan::Record {
            annotation: ROLLOUT_ANNOTATION,
            service: s.region.service.clone(),
            from: s.live_color.clone(),
            to: s.idle_color.clone(),
        }),
        plan(Plan::Deploy {
            deployment: s.deployment(&s.idle_color),
            from_replicas: s.idle.replicas,
            from_tag: image_tag(&s.idle.image).to_owned(),
            to_replicas: s.live.replicas,
            image: image.to_owned(),
        }),
        plan(Plan::Ready {
            timeout: fleet.rollout.ready_timeout,
            replicas: s.live.replicas,
        }),
    ];
    if s.preview_color.as_deref() != Some(s.idle_color.as_str()) {
        out.push(plan(Plan::Preview {
            service: s.preview(),
            colour: s.idle_color.clone(),
        }));
    }
    out.push(plan(smoke(SmokeStage::Preview, s.preview())));
    out.push(plan(Plan::Switch {
        service: s.region.service.clone(),
        from: s.live_color.clone(),
        to: s.idle_color.clone(),
        preview: s.preview(),
    }));
    out.push(plan(smoke(SmokeStage::Live, s.region.service.clone())));
    out.push(plan(match &fleet.traffic {
        Some(t) => Plan::Verify {
            url: t.url.clone(),
            over: fleet.rollout.verify_for,
            max: fleet.rollout.max_error_rate,
        },
        None => Plan::NoTraffic,
    }));
    out.push(plan(if keep_previous {
        Plan::KeepWarm {
            deployment: s.deployment(&s.live_color),
            replicas: s.live.replicas,
        }
    } else {
        Plan::ScaleDown {
            deployment: s.deployment(&s.live_color),
        }
    }));
    out
}
