//! The demo's narration, its closing summary and its JSON document.

use crate::facts::{Note, Summary, Verdict};

use super::human::{self, Styles};
use super::words;

/// The steps of the demo, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemoStep {
    /// Where traffic goes now.
    Status,
    /// What the health checks see.
    Health,
    /// The drill of the serving region.
    Drill {
        /// The region taken down.
        target: String,
    },
    /// A blue-green rollout of the next image.
    Rollout {
        /// The image rolled out.
        image: String,
        /// The waves, each a list of regions.
        waves: Vec<Vec<String>>,
    },
    /// The fleet afterwards.
    StatusAfter,
}

impl DemoStep {
    /// The step's name in the closing summary and its report's `command`.
    pub fn command(&self) -> String {
        match self {
            DemoStep::Status | DemoStep::StatusAfter => "status".to_owned(),
            DemoStep::Health => "health".to_owned(),
            DemoStep::Drill { target } => format!("drill {target}"),
            DemoStep::Rollout { .. } => "rollout".to_owned(),
        }
    }
}

/// The demo's opening: what runs where.
pub fn intro(builtin: bool, fleet: &str, regions: &[String]) -> String {
    let source = if builtin {
        "the built-in fleet (fixtures/fleet.yaml)".to_owned()
    } else {
        format!("your fleet {fleet}")
    };
    format!(
        "ocfail demo: {source} on a simulator in this process: {} regions ({}), one Kubernetes API \
         each, and a Cloudflare load balancer with one origin pool per region. Nothing leaves \
         this machine.\n\n",
        regions.len(),
        regions.join(", ")
    )
}

/// A step's heading and why it runs.
pub fn heading(n: usize, step: &DemoStep) -> String {
    let (command, why) = match step {
        DemoStep::Status => (
            "status".to_owned(),
            "Where does traffic go now, and can the fleet lose one region?".to_owned(),
        ),
        DemoStep::Health => (
            "health".to_owned(),
            "What do Cloudflare's health checks and direct probes see?".to_owned(),
        ),
        DemoStep::Drill { target } => (
            format!("drill --region {target}"),
            format!(
                "Take {target} down (scale it to zero), watch Cloudflare mark its pool unhealthy and \
                 traffic move, hold, put everything back, watch traffic return."
            ),
        ),
        DemoStep::Rollout { image, waves } => {
            let waves: Vec<String> = waves.iter().map(|w| w.join(" + ")).collect();
            (
                format!("rollout --image {image}"),
                format!(
                    "Blue-green, wave by wave ({}): deploy to the idle colour, wait until ready, \
                     smoke-check, switch, watch traffic; any failure switches back.",
                    waves.join(" → ")
                ),
            )
        }
        DemoStep::StatusAfter => (
            "status".to_owned(),
            "And the fleet afterwards: new version live, still able to lose a region.".to_owned(),
        ),
    };
    format!("── {n}/5 ocfail {command} ──\n{why}\n\n")
}

/// The line worth remembering from a step.
#[derive(Clone, Debug, PartialEq)]
pub enum StepSummary {
    /// The fleet's notes (status).
    Notes(Vec<Note>),
    /// How many regions are healthy (health).
    Healthy {
        /// Regions that pass.
        healthy: usize,
        /// All regions.
        total: usize,
    },
    /// One region's line (the drilled region), if it was reported.
    Region(Option<Summary>),
    /// What a rollout did.
    Promoted {
        /// Regions promoted.
        promoted: usize,
        /// All regions.
        total: usize,
        /// The tag before.
        from: String,
        /// The tag after.
        to: String,
        /// Failed requests through the load balancer.
        errors: u64,
    },
}

/// A step's summary in words.
pub fn step_summary(s: &StepSummary) -> String {
    match s {
        StepSummary::Notes(notes) => notes
            .iter()
            .filter(|n| **n != Note::RanOnSimulator)
            .map(words::note)
            .collect::<Vec<_>>()
            .join("; "),
        StepSummary::Healthy { healthy, total } => format!("{healthy}/{total} regions healthy"),
        StepSummary::Region(summary) => summary.as_ref().map(words::summary).unwrap_or_default(),
        StepSummary::Promoted {
            promoted,
            total,
            from,
            to,
            errors,
        } => format!(
            "{promoted}/{total} regions promoted {from} → {to}, {errors} failed requests through \
             the load balancer"
        ),
    }
}

/// What one step of the demo came to, for the closing summary.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    /// `status`, `health`, `drill us-east-1`, ….
    pub step: String,
    /// The step's verdict.
    pub verdict: Verdict,
    /// The step's exit code, as the command alone would have exited.
    pub exit_code: u8,
    /// How long it took.
    pub duration_ms: u64,
    /// The line worth remembering (timings, images).
    pub summary: String,
}

/// The demo's JSON document (`-o json`).
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DemoDocument<'a> {
    schema: &'static str,
    fleet: &'a str,
    verdict: Verdict,
    exit_code: u8,
    steps: &'a [StepResult],
}

/// The demo's JSON document.
pub fn document(fleet: &str, code: u8, steps: &[StepResult]) -> String {
    let doc = DemoDocument {
        schema: "ocfail.dev/demo/v1",
        fleet,
        verdict: Verdict::worst(steps.iter().map(|s| s.verdict)),
        exit_code: code,
        steps,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The closing summary: each step's verdict, time and line, the demo's
/// verdict and exit code, and what to do next.
pub fn closing(steps: &[StepResult], code: u8, elapsed_ms: u64, styles: &Styles) -> String {
    let mut s = String::from("── summary ──\n");
    let width = steps.iter().map(|s| s.step.len()).max().unwrap_or(0);
    for (i, st) in steps.iter().enumerate() {
        let word = st.verdict.as_str();
        s.push_str(&format!(
            "{}. {:<width$}  {}{}  {:>6}  {}\n",
            i + 1,
            st.step,
            human::paint(styles.verdict(st.verdict), word),
            " ".repeat(12usize.saturating_sub(word.len())),
            human::duration(st.duration_ms),
            st.summary
        ));
    }
    let v = Verdict::worst(steps.iter().map(|s| s.verdict));
    s.push_str(&format!(
        "\ndemo: {} (exit {code}) in {}\n",
        human::paint(styles.verdict(v), v.as_str()),
        human::duration(elapsed_ms)
    ));
    s.push_str(
        "next: point ocfail at your own fleet: write a fleet.yaml (docs/manifest.md), then\n  \
         ocfail validate --live, ocfail status, ocfail drill --region R --dry-run\n",
    );
    s
}
