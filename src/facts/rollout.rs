//! The facts of `rollout` and `rollback`, for `report/words` to put into
//! words.

use std::time::Duration;

use super::Finding;
use super::api::ApiProblem;
use super::restore::NothingChanged;
use crate::manifest::{OnFailure, Percent};

/// What one check of `rollout` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum RolloutFact {
    /// The dry run: the region's wave (check `wave`).
    Wave {
        /// Its wave, from 1.
        n: usize,
        /// How many waves there are.
        of: usize,
    },
    /// The dry run: one change it would make.
    Plan(Plan),
    /// The region could not be read (check `read`).
    Unreadable(ReadProblem),
    /// Nothing started because another region could not be read (check
    /// `read`).
    OtherUnreadable {
        /// The region that could not be read.
        region: String,
    },
    /// Refused before anything changed (check `refused`).
    Refused(Refusal),
    /// A signal came before anything changed (check `stopped`).
    Stopped {
        /// The signal, when one stopped it.
        signal: Option<&'static str>,
    },
    /// The live colour already runs the image (check `already-live`).
    AlreadyLive {
        /// The live Deployment.
        deployment: String,
        /// The image.
        image: String,
    },
    /// Both colours run the same image: nothing to roll back to (check
    /// `rollback`).
    NothingToRollBack {
        /// The image.
        image: String,
    },
    /// The region was not started (check `start`).
    NotStarted(NotStarted),
    /// A step's API call failed: could not check.
    Api {
        /// The step (the check's name).
        check: RolloutCheck,
        /// The API's error.
        problem: ApiProblem,
    },
    /// The idle colour was set to the image (check `deploy`).
    Deployed {
        /// The idle Deployment.
        deployment: String,
        /// Its replicas.
        replicas: i32,
        /// The image.
        image: String,
    },
    /// The idle colour ran the image but too few replicas (check `deploy`).
    ScaledUpFirst {
        /// The idle Deployment.
        deployment: String,
        /// Its replicas before.
        from: i32,
        /// The live colour's replicas.
        to: i32,
    },
    /// The idle colour already ran the image, warm (check `deploy`).
    AlreadyRuns {
        /// The idle Deployment.
        deployment: String,
        /// Its replicas.
        replicas: i32,
        /// The image.
        image: String,
    },
    /// Every replica of the new colour is ready (check `ready`).
    Ready {
        /// The replicas.
        replicas: i32,
    },
    /// The new colour did not become ready (check `ready`).
    NotReady(NotReady),
    /// After the switch, the preview Service could not be pointed at the
    /// old colour (check `preview`).
    PreviewNotMoved {
        /// The preview Service.
        service: String,
        /// The colour it should select.
        colour: String,
        /// The API's error.
        problem: ApiProblem,
    },
    /// The live Service selects the new colour (check `switch`).
    Switched {
        /// The Service.
        service: String,
        /// The new colour.
        colour: String,
        /// Its image.
        image: String,
    },
    /// A step stopped by a signal or a lost lock: switching back.
    Interrupted {
        /// The step (the check's name).
        check: RolloutCheck,
    },
    /// A second signal stopped the switch back; the record is left (check
    /// `rollback`).
    SwitchBackStopped {
        /// The command that finishes it.
        restore: String,
    },
    /// The manifest has no traffic section (check `verify`).
    NoTraffic,
    /// Traffic through the load balancer after the switch (check `verify`).
    Verified {
        /// Requests sent.
        requests: u64,
        /// For how long.
        over: Duration,
        /// Their error rate (a fraction).
        error_rate: f64,
        /// `rollout.maxErrorRate`.
        max: Percent,
    },
    /// One smoke check (check `smoke-<stage> <name>`).
    Smoke {
        /// Before or after the switch.
        stage: SmokeStage,
        /// The check's name from the manifest.
        check: String,
        /// What it saw.
        seen: SmokeSeen,
    },
    /// The previous colour was scaled to 0 (check `finalize`).
    ScaledDown {
        /// The previous colour's Deployment.
        deployment: String,
    },
    /// The previous colour could not be scaled to 0 (check `finalize`).
    NotScaledDown {
        /// The previous colour's Deployment.
        deployment: String,
        /// The API's error.
        problem: ApiProblem,
        /// The command that does it by hand.
        command: String,
    },
    /// The `ocfail.dev/last-rollout` summary could not be written (check
    /// `summary`).
    SummaryNotWritten {
        /// The annotation (`ocfail.dev/…`).
        annotation: &'static str,
        /// The Service.
        service: String,
        /// The API's error.
        problem: ApiProblem,
    },
    /// A promoted region's record could not be removed (check `record`).
    RecordLeft {
        /// The API's error.
        problem: ApiProblem,
        /// `ocfail restore --region R`, which keeps the region promoted,
        /// when some region has the run's summary; without one, `ocfail
        /// restore` would roll the region back.
        restore: Option<String>,
        /// The command that removes it by hand.
        command: String,
    },
}

impl From<RolloutFact> for super::Fact {
    fn from(f: RolloutFact) -> Self {
        super::Fact::Rollout(f)
    }
}

/// A step of a region's promotion, as its checks are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutCheck {
    /// `record`.
    Record,
    /// `deploy`.
    Deploy,
    /// `ready`.
    Ready,
    /// `preview`.
    Preview,
    /// `switch`.
    Switch,
    /// `smoke-preview`.
    SmokePreview,
    /// `smoke-live`.
    SmokeLive,
    /// `verify`.
    Verify,
}

/// The smoke checks' stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmokeStage {
    /// Against `<service>-preview`, before the switch.
    Preview,
    /// Against the live Service, after it.
    Live,
}

/// What a smoke check saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmokeSeen {
    /// The API server refused or could not be reached.
    Api(ApiProblem),
    /// The expected answer.
    Passed {
        /// The request.
        request: SmokeRequest,
        /// The status.
        status: u16,
    },
    /// Another status than expected.
    WrongStatus {
        /// The request.
        request: SmokeRequest,
        /// The status.
        status: u16,
        /// The statuses expected.
        expected: Vec<u16>,
        /// The start of the body.
        body: Option<Excerpt>,
    },
    /// The body lacks the expected text.
    BodyLacks {
        /// The request.
        request: SmokeRequest,
        /// The text expected.
        want: String,
        /// The start of the body.
        body: Option<Excerpt>,
    },
}

/// A smoke check's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmokeRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path.
    pub path: String,
    /// The Service it went to.
    pub service: String,
}

/// The start of an answer's body, on one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    /// The text.
    pub text: String,
    /// Whether the body goes on.
    pub cut: bool,
}

/// One change a dry run would make.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// No change: the live colour runs the image (check `already-live`).
    AlreadyLive {
        /// The live Deployment.
        deployment: String,
        /// The image.
        image: String,
    },
    /// The record (check `record`).
    Record {
        /// The annotation (`ocfail.dev/…`).
        annotation: &'static str,
        /// The live Service.
        service: String,
        /// The live colour.
        from: String,
        /// The colour to promote.
        to: String,
    },
    /// The idle colour set to the image (check `deploy`).
    Deploy {
        /// The idle Deployment.
        deployment: String,
        /// Its replicas now.
        from_replicas: i32,
        /// Its image's tag now.
        from_tag: String,
        /// The live colour's replicas.
        to_replicas: i32,
        /// The image.
        image: String,
    },
    /// The wait for readiness (check `ready`).
    Ready {
        /// `rollout.readyTimeout`.
        timeout: Duration,
        /// The replicas.
        replicas: i32,
    },
    /// The preview Service pointed at the idle colour (check `preview`).
    Preview {
        /// The preview Service.
        service: String,
        /// The idle colour.
        colour: String,
    },
    /// The smoke checks of one stage (check `smoke-<stage>`).
    Smoke {
        /// The stage.
        stage: SmokeStage,
        /// How many checks.
        checks: usize,
        /// The Service they go to.
        service: String,
    },
    /// The switch (check `switch`).
    Switch {
        /// The live Service.
        service: String,
        /// The live colour.
        from: String,
        /// The idle colour.
        to: String,
        /// The preview Service, which gets the live colour.
        preview: String,
    },
    /// The traffic watch (check `verify`).
    Verify {
        /// The URL traffic goes to.
        url: String,
        /// `rollout.verifyFor`.
        over: Duration,
        /// `rollout.maxErrorRate`.
        max: Percent,
    },
    /// Nothing to watch: no traffic section (check `verify`).
    NoTraffic,
    /// The previous colour kept warm, `--keep-previous` (check `finalize`).
    KeepWarm {
        /// The live Deployment.
        deployment: String,
        /// Its replicas.
        replicas: i32,
    },
    /// The previous colour scaled to 0 at the end (check `finalize`).
    ScaleDown {
        /// The live Deployment.
        deployment: String,
    },
}

/// Why a region could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadProblem {
    /// The API failed (the error names the region).
    Api(ApiProblem),
    /// The live Service does not exist.
    NoService {
        /// The Service.
        service: String,
        /// The namespace.
        namespace: String,
    },
    /// The live Service selects no colour.
    NoColour {
        /// The Service.
        service: String,
    },
    /// The live Service selects a colour other than blue or green.
    UnknownColour {
        /// The Service.
        service: String,
        /// The colour.
        colour: String,
    },
    /// A colour's Deployment does not exist.
    NoDeployment {
        /// The Deployment.
        deployment: String,
    },
}

/// Why a rollout was refused before anything changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Records are left under another run's live lease: it is running.
    RunningElsewhere {
        /// Its holder.
        holder: String,
        /// Where its lease was seen.
        region: String,
        /// How long ago it renewed it, when readable.
        renewed_ago: Option<Duration>,
    },
    /// An earlier run left records.
    Unrestored {
        /// The regions, each with the kind of record (`drill`, `rollout`).
        records: Vec<(String, &'static str)>,
        /// The command that restores them.
        restore: String,
    },
    /// Another run holds the lock (the error, its causes and hint).
    Locked(ApiProblem),
    /// A `before` guard breached or a blocking alert is firing.
    Guards {
        /// The guards and alerts (what `--override guard:<name>` names).
        names: Vec<String>,
    },
    /// The `before` guards or blocking alerts could not be checked
    /// (Prometheus did not answer, or had no data): a rollout does not
    /// start blind.
    GuardsUnchecked {
        /// The guards and alert matchers that could not be checked.
        names: Vec<String>,
    },
}

/// Why a region was not started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotStarted {
    /// The run has not got to it (yet).
    NotReached,
    /// A signal came before its wave.
    Interrupted,
    /// A region failed in an earlier wave.
    AfterFailure {
        /// The region that failed.
        region: String,
    },
    /// It was not started.
    NotStarted,
}

/// Why promoted regions were switched back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RolledBack {
    /// A signal or a lost lock.
    Interrupted,
    /// `onFailure: rollback-all` after a region failed.
    RollbackAll {
        /// The region that failed.
        failed: String,
    },
}

/// A region's colours and images before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The live image's tag before.
    pub before: String,
    /// The promoted image's tag.
    pub after: String,
    /// The live colour before.
    pub from: String,
    /// The promoted colour.
    pub to: String,
}

/// A region's line in `rollout`'s table.
#[derive(Clone, Debug, PartialEq)]
pub enum RolloutSummary {
    /// The region could not be read; nothing was changed.
    Unreadable,
    /// Not started.
    NotStarted(NotStarted),
    /// Nothing was changed anywhere.
    NothingChanged(NothingChanged),
    /// The live colour already runs the image.
    AlreadyLive {
        /// The image's tag.
        tag: String,
        /// The live colour.
        colour: String,
    },
    /// A rollback with nothing to go back to.
    NothingToRollBack,
    /// The dry run's plan.
    Planned(Change),
    /// Promoted.
    Promoted(Change),
    /// Promoted, and left so by `onFailure: halt`.
    Halted(Change),
    /// Failed and switched back.
    Failed {
        /// Before and after.
        change: Change,
        /// The check that stopped it (failed or could not check).
        stopped: Option<Box<Finding>>,
    },
    /// Promoted, then switched back.
    RolledBack {
        /// Before and after.
        change: Change,
        /// Why.
        why: RolledBack,
    },
    /// Switched back because the lock was lost.
    LockLost {
        /// Before and after.
        change: Change,
        /// Why it was switched back.
        why: RolledBack,
    },
    /// Left mid-change.
    RestoreIncomplete {
        /// The command that puts it back.
        restore: String,
    },
}

/// A fleet-wide remark of `rollout`.
#[derive(Clone, Debug, PartialEq)]
pub enum RolloutNote {
    /// A region could not be read.
    Unreadable {
        /// The region.
        region: String,
        /// Why.
        problem: ReadProblem,
    },
    /// An unselected region was read all the same.
    NeededForLock {
        /// The region.
        region: String,
    },
    /// Refused before anything changed.
    Refused(Refusal),
    /// A signal came before anything changed.
    Stopped {
        /// The signal, when one stopped it.
        signal: Option<&'static str>,
    },
    /// `--dry-run`.
    DryRun,
    /// A region failed; what `onFailure` did.
    Failed {
        /// The region.
        region: String,
        /// `rollout.onFailure`.
        on_failure: OnFailure,
    },
    /// A signal during the waves: every changed region was switched back.
    InterruptedSwitchedBack {
        /// The signal.
        signal: &'static str,
    },
    /// A signal during the waves, then a second one during the switch back.
    InterruptedSwitchBackStopped {
        /// The signal.
        signal: &'static str,
    },
    /// A signal after the end was decided (promote, or switch back after a
    /// failure): it did not change it.
    SignalWhileFinishing {
        /// The signal.
        signal: &'static str,
        /// Switching back rather than making the promotions final.
        rolling_back: bool,
        /// A second signal stopped it.
        stopped: bool,
    },
    /// The lock was lost mid-rollout.
    LockLost,
    /// An `after` guard failed once every wave was promoted: the
    /// promotions stand.
    AfterGuardsFailed {
        /// The guards.
        names: Vec<String>,
    },
    /// Records are left for `ocfail restore`.
    RecordsLeft {
        /// The command.
        restore: String,
    },
}

impl From<RolloutSummary> for super::Summary {
    fn from(s: RolloutSummary) -> Self {
        super::Summary::Rollout(s)
    }
}

impl From<RolloutNote> for super::Note {
    fn from(n: RolloutNote) -> Self {
        super::Note::Rollout(n)
    }
}

/// A Deployment that did not become ready in time: a rollout's new colour,
/// or the old colour scaled back up to switch back to.
#[derive(Clone, Debug, PartialEq)]
pub struct NotReady {
    /// The Deployment.
    pub deployment: String,
    /// The replicas it should have had ready.
    pub replicas: i32,
    /// The deadline waited.
    pub waited: std::time::Duration,
    /// What was seen.
    pub why: NotReadyWhy,
}

/// What a readiness wait that ended early or late saw.
#[derive(Clone, Debug, PartialEq)]
pub enum NotReadyWhy {
    /// The deadline passed with the Deployment in this state.
    Timeout {
        /// Ready replicas.
        ready: i32,
        /// Updated replicas.
        updated: i32,
        /// Available replicas.
        available: i32,
    },
    /// The deadline passed before it could be read.
    Unreadable,
    /// The Deployment does not exist.
    Missing,
    /// The API failed for good.
    Api(super::api::ApiProblem),
    /// The wait was stopped.
    Cancelled,
}
