//! The facts of `restore` (and of a drill's or rollout's own putting back),
//! for `report/words` to put into words.

use std::time::Duration;

use super::api::ApiProblem;
use super::lock::LockFact;
use super::rollout::NotReady;

/// What one check of `restore` saw.
#[derive(Clone, Debug, PartialEq)]
pub enum RestoreFact {
    /// The region could not be read (check `read`).
    Unreadable(ApiProblem),
    /// No record in the region (check `restore`).
    NothingToRestore,
    /// A record that does not parse (check `record`).
    RecordUnreadable {
        /// Whose record.
        record: Record,
        /// The annotation (`ocfail.dev/…`).
        annotation: &'static str,
        /// The Deployment (drill) or Service (rollout) it is on.
        object: String,
        /// Why it does not parse.
        error: String,
    },
    /// An API call of one step failed.
    Api {
        /// The step (the check's name).
        check: RestoreCheck,
        /// The API's error.
        problem: ApiProblem,
    },
    /// The drill's pool was enabled as recorded already (check `pool`).
    PoolUnchanged {
        /// The pool's id.
        pool: String,
        /// Its recorded `enabled`.
        enabled: bool,
    },
    /// The drill's pool was set back (check `pool`).
    PoolSetBack {
        /// The pool's id.
        pool: String,
        /// Its recorded `enabled`, now set again.
        enabled: bool,
    },
    /// The pool must be set back but there is no Cloudflare client or pool
    /// id (check `pool`).
    NoCloudflare,
    /// The Deployment was scaled back (check `scale`).
    Scaled {
        /// The Deployment.
        deployment: String,
        /// Its replicas before.
        from: i32,
        /// The recorded replicas.
        to: i32,
    },
    /// The replicas are ready again (check `ready`).
    Ready {
        /// Ready replicas seen.
        ready: i32,
        /// The recorded replicas.
        replicas: i32,
        /// Since the restore of this Deployment began.
        after: Duration,
    },
    /// Too few replicas were ready by the deadline (check `ready`).
    NotReady {
        /// Ready replicas last seen.
        ready: i32,
        /// The recorded replicas.
        replicas: i32,
        /// The deadline waited.
        waited: Duration,
    },
    /// The drill's record was removed (check `record`).
    DrillRecordRemoved {
        /// The annotation (`ocfail.dev/…`).
        annotation: &'static str,
        /// The Deployment it was on.
        deployment: String,
    },
    /// What is left, as commands to paste (check `manual`).
    Manual(Manual),
    /// An HPA of a restored Deployment is active again (check `hpa`).
    HpaActive {
        /// The HPA.
        hpa: String,
    },
    /// An HPA is still not active at the deadline (check `hpa`).
    HpaNotActive {
        /// The HPA.
        hpa: String,
        /// Its target Deployment.
        target: String,
        /// Its last `ScalingActive` detail.
        condition: Option<String>,
        /// How long restore waited.
        waited: Duration,
        /// `kubectl … describe hpa …`.
        look: String,
    },
    /// An HPA is past the drill's disabling but inactive for another reason
    /// (check `hpa`).
    HpaStuck {
        /// The HPA.
        hpa: String,
        /// Its target Deployment.
        target: String,
        /// Its `ScalingActive` detail.
        reason: Option<String>,
        /// `kubectl … describe hpa …`.
        look: String,
    },
    /// The HPAs could not be listed (check `hpa`).
    HpasUnlisted {
        /// The last error, when there was an answer at all.
        problem: Option<ApiProblem>,
        /// `kubectl … describe hpa`.
        look: String,
    },
    /// The Service to switch back is gone (check `switch-back`).
    ServiceMissing {
        /// The Service.
        service: String,
    },
    /// The colour to switch back to is gone (check `switch-back`).
    DeploymentMissing {
        /// The Deployment.
        deployment: String,
    },
    /// The old colour, scaled down, did not get ready again (check
    /// `scale-up`).
    NotWarm(NotReady),
    /// The old colour was scaled down and is ready again (check `scale-up`).
    Warmed {
        /// The Deployment.
        deployment: String,
        /// Its recorded replicas.
        replicas: i32,
        /// How long it took.
        after: Duration,
    },
    /// The live Service selects the old colour again (check `switch-back`).
    SwitchedBack {
        /// The Service.
        service: String,
        /// The old colour.
        colour: String,
        /// The image it runs.
        image: String,
    },
    /// The preview Service selects its old colour again (check `preview`).
    PreviewBack {
        /// The preview Service.
        service: String,
        /// Its recorded colour.
        colour: String,
    },
    /// The promoted colour is back to its old image and replicas (check
    /// `idle`).
    IdleBack {
        /// The Deployment.
        deployment: String,
        /// Replicas before.
        from_replicas: i32,
        /// Image before.
        from_image: String,
        /// The recorded replicas.
        to_replicas: i32,
        /// The recorded image.
        to_image: String,
    },
    /// The rollout's record was removed (check `record`).
    RolloutRecordRemoved {
        /// The annotation (`ocfail.dev/…`).
        annotation: &'static str,
        /// The Service it was on.
        service: String,
    },
    /// A rollout cut short while removing its records stays promoted
    /// (check `commit`).
    Committed {
        /// Its run.
        run: String,
        /// The image it promoted.
        image: String,
        /// The colour that stays live.
        colour: String,
    },
}

impl From<RestoreFact> for super::Fact {
    fn from(f: RestoreFact) -> Self {
        super::Fact::Restore(f)
    }
}

/// Whose record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// A drill's, on a Deployment.
    Drill,
    /// A rollout's, on the live Service.
    Rollout,
}

/// The steps of a restore, as the checks of their API errors are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreCheck {
    /// `pool`.
    Pool,
    /// `scale`.
    Scale,
    /// `ready`.
    Ready,
    /// `record`.
    Record,
    /// `switch-back`.
    SwitchBack,
    /// `scale-up`.
    ScaleUp,
    /// `preview`.
    Preview,
    /// `idle`.
    Idle,
}

/// What finishes a restore by hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manual {
    /// Commands to run in order.
    pub commands: Vec<String>,
    /// A pool to set back in Cloudflare too.
    pub pool: Option<PoolSetting>,
}

/// A pool and the `enabled` it must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolSetting {
    /// The pool's id.
    pub pool: String,
    /// Its `enabled`.
    pub enabled: bool,
}

/// A region's line in `restore`'s table.
#[derive(Clone, Debug, PartialEq)]
pub enum RestoreSummary {
    /// The region could not be read.
    Unreadable,
    /// No record.
    Clean,
    /// Everything a drill recorded is back.
    Restored,
    /// Something is left; see the `manual` check.
    Incomplete,
    /// A rollout was undone.
    Undone {
        /// `rollout` or `rollback`.
        kind: String,
        /// Its run.
        run: String,
        /// The image live again.
        image: String,
    },
    /// A rollout that had committed was kept.
    Kept {
        /// `rollout` or `rollback`.
        kind: String,
        /// Its run.
        run: String,
        /// The image live.
        image: String,
    },
    /// A committed rollout's record could not be removed.
    RecordLeft,
    /// A drill's and a rollout's restore in one region.
    Both(Box<super::Summary>, Box<super::Summary>),
    /// Nothing was changed, for this reason.
    NothingChanged(NothingChanged),
}

/// Why a run changed nothing at all (`rollout` and `restore`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NothingChanged {
    /// Refused: a record or another run's lock is in the way.
    Refused,
    /// The lock could not be taken for an API error.
    NoLock,
    /// A signal came first.
    Stopped,
}

/// A fleet-wide remark of `restore`.
#[derive(Clone, Debug, PartialEq)]
pub enum RestoreNote {
    /// A run that left records still holds a live lease: restore watches it.
    Watching {
        /// The run.
        run: String,
    },
    /// Restore held the lock, taking over these runs' leases.
    HeldLock {
        /// The runs whose records are left.
        runs: Vec<String>,
    },
    /// The lock could not be taken for an API error; restore went on.
    NoLock {
        /// The lock's error.
        error: String,
    },
    /// Another live run holds the lock.
    OtherRunHolds,
    /// Restore cleaned up after these runs (their records were found and
    /// handled); their history entries say so.
    CleanedUp {
        /// The runs, oldest first.
        runs: Vec<String>,
    },
    /// What restore did with a lease in a region it has no report for.
    Lease {
        /// The region.
        region: String,
        /// The lease's fact.
        lease: LockFact,
    },
}

impl From<RestoreSummary> for super::Summary {
    fn from(s: RestoreSummary) -> Self {
        super::Summary::Restore(s)
    }
}

impl From<RestoreNote> for super::Note {
    fn from(n: RestoreNote) -> Self {
        super::Note::Restore(n)
    }
}
