//! [`Step`]: where a region is in a run, for the progress display. Typed,
//! so the display and the JSON Lines stream word it, not the operation.

/// A region's current step in a drill, rollout or restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Reading the region before anything changes.
    Reading,
    /// The drill's steady-state and safety checks.
    CheckingSteadyState,
    /// Taking the fleet lock.
    TakingLock,
    /// Writing the record before changing anything.
    Recording,
    /// Taking the region down.
    Injecting,
    /// Waiting for the pool to turn unhealthy and traffic to move.
    WaitingForFailover,
    /// Keeping the region down.
    Holding,
    /// Putting back what the drill changed.
    Restoring,
    /// Waiting for the pool and the traffic to come back.
    WaitingForRecovery,
    /// Sending traffic a little longer to judge the `after` phase.
    WatchingAfterRecovery,
    /// Asking Prometheus about the `after` guards and the expected alerts.
    CheckingGuards,
    /// Deploying the new image to the idle colour.
    Deploying {
        /// The idle colour.
        colour: String,
    },
    /// Waiting for the idle colour to be ready.
    WaitingReady {
        /// The idle colour.
        colour: String,
    },
    /// Smoke checks through the preview Service.
    SmokePreview,
    /// Pointing the live Service at the new colour.
    Switching {
        /// The colour switched to.
        colour: String,
    },
    /// Smoke checks through the live Service.
    SmokeLive,
    /// Watching traffic after the switch.
    Verifying,
    /// Switching a failed region back.
    SwitchingBack {
        /// The colour switched back to.
        colour: String,
    },
    /// Switching a promoted region back (rollback-all, a signal).
    RollingBack {
        /// The colour rolled back to.
        colour: String,
    },
    /// Scaling the previous colour down after the last wave.
    ScalingDown {
        /// The Deployment scaled to 0.
        deployment: String,
    },
}
