//! A run's notifications (docs/practice.md, "Notifications"): the
//! manifest's `notify` targets for one command, told as the run goes and
//! when it ends, without ever holding the run up or changing its verdict.
//!
//! - `events` targets get `started` once the run first changes the fleet
//!   (its record is written: a run refused before that never "started"),
//!   `failed-over` when a drill holds the region down (traffic has moved),
//!   `restored` once what the drill changed is put back, and one closing
//!   event: `refused` (exit 5), `restore-incomplete` (exit 6) or `finished`,
//!   each closing one with the verdict. One task per target sends them in
//!   order; the phase callback only queues them.
//! - `slack` targets get one message at the end and `json` targets the
//!   report document (what `-o json` prints), both made from the report
//!   concluded before the warnings below are added.
//! - A notification not delivered is a `warning:` note in the report; the
//!   verdict and the exit code are never touched. Waiting for them at the
//!   end costs at most each target's `timeout × tries` (plus a moment),
//!   counted from the end of the run, after which what is still unsent is
//!   reported as such.
//!
//! The URL is read from the target's variable here and goes only to the
//! sender; reports show the target's name and `Target::shown()`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::exit_code;
use crate::facts::notify::{NotDelivered, Undelivered};
use crate::facts::{Findings, Note, Run, Step, Verdict};
use crate::manifest::{Fleet, NotifyFormat, NotifyOn, NotifyTarget};
use crate::notify::{self, Delivery, EventKind, FailReason, Format, Payload, SlackMessage, Target};
use crate::report::{json, words};

/// Added to a target's `timeout × tries` when waiting for it at the end,
/// so that its own deadline, not this one, decides how it failed.
const GRACE: Duration = Duration::from_millis(500);

/// The `notify` targets of one run and what they were sent.
///
/// For any command that runs a drill or a rollout (`drill`, `rollout`,
/// `rollback`, `practice`):
///
/// ```text
/// let notifier = Notifier::start(&fleet, NotifyOn::Practice, &run, Some(region));
/// // wrap the progress callback: every typed step goes to observer.observe
/// let observer = notifier.as_ref().map(Notifier::observer);
/// ... run the drill, calling observer.observe(region, step) per step ...
/// if let Some(n) = notifier { n.finish(&run, &mut findings).await }
/// // then conclude and render the report from `findings` as usual
/// ```
///
/// `start` and everything after it run inside the Tokio runtime (the
/// senders are tasks). A practice decision that runs nothing (skipped)
/// starts no notifier: only decisions that ran are told.
pub struct Notifier {
    shared: Arc<Shared>,
    slots: Vec<Slot>,
    client: Option<reqwest::Client>,
}

/// What the phase observer and the notifier share.
struct Shared {
    command: String,
    run_id: String,
    region: Option<String>,
    state: Mutex<State>,
}

/// The queues and which events the run has reached.
#[derive(Default)]
struct State {
    /// One queue per `events` target that can send, feeding its task;
    /// emptied (closing them) by [`Notifier::finish`].
    queues: Vec<UnboundedSender<notify::Event>>,
    /// Events queued so far (every `events` target is given each one).
    queued: u32,
    started: bool,
    failed_over: bool,
    restoring: bool,
    restored: bool,
}

/// One target, resolved.
struct Slot {
    name: String,
    format: NotifyFormat,
    timeout: Duration,
    tries: u32,
    /// `Err(variable)` when its variable is unset or empty.
    target: Result<Target, String>,
    log: Arc<Mutex<Log>>,
    task: Option<JoinHandle<()>>,
}

impl Slot {
    /// `timeout × tries`: the most one delivery may take.
    fn budget(&self) -> Duration {
        self.timeout.saturating_mul(self.tries)
    }
}

/// What became of a target's deliveries.
#[derive(Default)]
struct Log {
    delivered: u32,
    /// The last failure's reason and tries.
    last: Option<(NotDelivered, u32)>,
}

impl Log {
    fn record(&mut self, d: &Delivery) {
        match d {
            Delivery::Delivered { .. } => self.delivered += 1,
            Delivery::Failed { reason, tries } => {
                self.last = Some((not_delivered(reason), *tries));
            }
        }
    }
}

/// Sees a run's typed steps and queues the events they mean. Cheap to
/// call from a progress callback: it never waits.
#[derive(Clone)]
pub struct PhaseObserver {
    shared: Arc<Shared>,
}

impl PhaseObserver {
    /// `region` reached `step`.
    pub fn observe(&self, region: &str, step: &Step) {
        let mut state = self.shared.lock();
        let event = match step {
            // The first step that writes to the fleet (a drill's or a
            // rollout's record; the others only in case it is skipped).
            Step::Recording | Step::Injecting | Step::Deploying { .. } | Step::Switching { .. }
                if !state.started =>
            {
                state.started = true;
                Some((EventKind::Started, self.shared.region.clone()))
            }
            // A drill holds the region down only once traffic has moved.
            Step::Holding if !state.failed_over => {
                state.failed_over = true;
                Some((EventKind::FailedOver, Some(region.to_owned())))
            }
            Step::Restoring => {
                state.restoring = true;
                None
            }
            // The first step after the restore: it is done.
            Step::WaitingForRecovery | Step::WatchingAfterRecovery | Step::CheckingGuards
                if state.restoring && !state.restored =>
            {
                state.restored = true;
                Some((EventKind::Restored, Some(region.to_owned())))
            }
            _ => None,
        };
        if let Some((kind, region)) = event {
            self.shared.queue(&mut state, kind, region, None);
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent through a panic elsewhere: it is a
        // few flags and counters, each updated by one assignment.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues one event for every `events` target.
    fn queue(
        &self,
        state: &mut State,
        kind: EventKind,
        region: Option<String>,
        verdict: Option<Verdict>,
    ) {
        let event = notify::Event {
            event: kind,
            run: self.run_id.clone(),
            command: self.command.clone(),
            region,
            verdict: verdict.map(|v| v.as_str().to_owned()),
        };
        state.queued += 1;
        for tx in &state.queues {
            // A closed queue is a task that ended early; its log says why.
            let _ = tx.send(event.clone());
        }
    }
}

impl Notifier {
    /// The targets of `fleet` told about `on`, for `run` (about `region`,
    /// when the command is about one); `None` when no target is. The
    /// `events` targets' sender tasks start here.
    pub fn start(fleet: &Fleet, on: NotifyOn, run: &Run, region: Option<&str>) -> Option<Self> {
        let targets: Vec<&NotifyTarget> = fleet.notify.iter().filter(|t| t.notifies(on)).collect();
        if targets.is_empty() {
            return None;
        }
        let client = notify::http_client().ok();
        let slots: Vec<Slot> = targets
            .iter()
            .map(|t| Slot {
                name: t.name.clone(),
                format: t.format,
                timeout: t.timeout,
                tries: t.tries,
                target: match std::env::var(&t.url_from_env) {
                    Ok(url) if !url.trim().is_empty() => Ok(Target {
                        url,
                        format: format(t.format),
                    }),
                    _ => Err(t.url_from_env.clone()),
                },
                log: Arc::default(),
                task: None,
            })
            .collect();
        let mut n = Notifier {
            shared: Arc::new(Shared {
                command: run.command.clone(),
                run_id: run.id.clone(),
                region: region.map(str::to_owned),
                state: Mutex::default(),
            }),
            slots,
            client,
        };
        for i in 0..n.slots.len() {
            if n.slots[i].format == NotifyFormat::Events {
                n.spawn_events(i);
            }
        }
        Some(n)
    }

    /// The observer for the run's progress callback.
    pub fn observer(&self) -> PhaseObserver {
        PhaseObserver {
            shared: self.shared.clone(),
        }
    }

    /// Sends `kind` to the `events` targets now, for what the caller
    /// decides itself (the closing event is [`Notifier::finish`]'s).
    pub fn event(&self, kind: EventKind, region: Option<&str>, verdict: Option<Verdict>) {
        let mut state = self.shared.lock();
        self.shared
            .queue(&mut state, kind, region.map(str::to_owned), verdict);
    }

    /// Ends the run's notifications: the closing event, the Slack message
    /// and the JSON report (from `findings` concluded for `run` as they
    /// are), then waits for every target within its own `timeout × tries`
    /// and adds a warning note to `findings` for each that was not given
    /// everything. Never changes the verdict or the exit code.
    pub async fn finish(mut self, run: &Run, findings: &mut Findings) {
        let report = words::conclude(run, findings.clone());
        let closing = match report.exit_code {
            exit_code::REFUSED => EventKind::Refused,
            exit_code::RESTORE_INCOMPLETE => EventKind::RestoreIncomplete,
            _ => EventKind::Finished,
        };
        let queued = {
            let mut state = self.shared.lock();
            if state.restoring && !state.restored && closing != EventKind::RestoreIncomplete {
                // Stopped before the step after the restore: done all the same.
                state.restored = true;
                let region = self.shared.region.clone();
                self.shared
                    .queue(&mut state, EventKind::Restored, region, None);
            }
            let region = self.shared.region.clone();
            self.shared
                .queue(&mut state, closing, region, Some(report.verdict));
            // Closed queues let each task end once it has sent the rest.
            state.queues.clear();
            state.queued
        };
        let words = words::notify::slack(&report, self.shared.region.as_deref());
        let slack = Payload::Slack(SlackMessage {
            text: words.text,
            header: Some(words.header),
            sections: words.sections,
        });
        let document = Payload::Json(json::value(&report));
        for i in 0..self.slots.len() {
            match self.slots[i].format {
                NotifyFormat::Slack => self.spawn_once(i, slack.clone()),
                NotifyFormat::Json => self.spawn_once(i, document.clone()),
                NotifyFormat::Events => {}
            }
        }
        // The tasks run side by side, so waiting for each in turn until
        // its own deadline, all counted from now, ends by the latest.
        let now = Instant::now();
        let mut notes = Vec::new();
        for slot in &mut self.slots {
            let sent = match slot.format {
                NotifyFormat::Events => queued,
                NotifyFormat::Slack | NotifyFormat::Json => 1,
            };
            if let Some(mut task) = slot.task.take() {
                let until = crate::durations::deadline(now, slot.budget().saturating_add(GRACE));
                if tokio::time::timeout_at(until, &mut task).await.is_err() {
                    task.abort();
                }
            }
            let client = self.client.is_some();
            notes.extend(undelivered(slot, sent, client).map(Note::NotDelivered));
        }
        findings.notes.extend(notes);
    }

    /// Starts the task that sends slot `i`'s events in the order queued.
    fn spawn_events(&mut self, i: usize) {
        let (Some(client), Ok(target)) = (self.client.clone(), self.slots[i].target.clone()) else {
            return;
        };
        let (tx, mut rx): (_, UnboundedReceiver<notify::Event>) = unbounded_channel();
        self.shared.lock().queues.push(tx);
        let slot = &mut self.slots[i];
        let (log, timeout, tries) = (slot.log.clone(), slot.timeout, slot.tries);
        slot.task = Some(tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                let d =
                    notify::send(&client, &target, &Payload::Event(event), timeout, tries).await;
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .record(&d);
            }
        }));
    }

    /// Starts the task that sends `payload` once to slot `i`.
    fn spawn_once(&mut self, i: usize, payload: Payload) {
        let (Some(client), Ok(target)) = (self.client.clone(), self.slots[i].target.clone()) else {
            return;
        };
        let slot = &mut self.slots[i];
        let (log, timeout, tries) = (slot.log.clone(), slot.timeout, slot.tries);
        slot.task = Some(tokio::spawn(async move {
            let d = notify::send(&client, &target, &payload, timeout, tries).await;
            log.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record(&d);
        }));
    }
}

/// What `slot` was not given of the `sent` notifications meant for it;
/// `client` says whether there was an HTTP client to send them with.
fn undelivered(slot: &Slot, sent: u32, client: bool) -> Option<Undelivered> {
    let log = slot.log.lock().unwrap_or_else(PoisonError::into_inner);
    let failed = sent.saturating_sub(log.delivered);
    if failed == 0 {
        return None;
    }
    let (why, tries) = match (&slot.target, &log.last) {
        (Err(variable), _) => (
            NotDelivered::VariableUnset {
                variable: variable.clone(),
            },
            0,
        ),
        (Ok(_), Some((why, tries))) => (why.clone(), *tries),
        (Ok(_), None) if !client => (NotDelivered::NoClient, 0),
        (Ok(_), None) => (NotDelivered::Unfinished, 0),
    };
    Some(Undelivered {
        target: slot.name.clone(),
        shown: slot.target.as_ref().ok().map(Target::shown),
        failed,
        of: sent,
        why,
        tries,
    })
}

/// The sender's format for a manifest's.
fn format(f: NotifyFormat) -> Format {
    match f {
        NotifyFormat::Slack => Format::Slack,
        NotifyFormat::Json => Format::Json,
        NotifyFormat::Events => Format::Events,
    }
}

/// The sender's reason as a fact.
fn not_delivered(reason: &FailReason) -> NotDelivered {
    match reason {
        FailReason::InvalidUrl => NotDelivered::InvalidUrl,
        FailReason::Status(s) => NotDelivered::Status(*s),
        FailReason::TimedOut => NotDelivered::TimedOut,
        FailReason::Transport { kind } => NotDelivered::Transport { kind },
        // Payloads are made for their target's format here; were one not,
        // it would be a request that could not be made.
        FailReason::FormatMismatch { .. } => NotDelivered::Transport { kind: "request" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::notify::Undelivered;

    /// The notify fixture, its variables renamed to one no test sets: the
    /// counts of what would have been sent are all there is to see.
    fn fleet() -> Fleet {
        let text = include_str!("../../fixtures/fleet-notify.yaml");
        let mut f = crate::manifest::parse_str("fleet-notify.yaml", text).unwrap();
        for t in &mut f.notify {
            t.url_from_env = "OCFAIL_UNIT_TEST_NEVER_SET".to_owned();
        }
        f
    }

    /// Runs `steps` through a drill's notifier, ends with `exit`, and
    /// returns `(target, notifications it was to get)`.
    async fn drill(steps: &[Step], exit: Option<u8>) -> Vec<(String, u32)> {
        let run = Run::start("drill", "f");
        let n = Notifier::start(&fleet(), NotifyOn::Drill, &run, Some("us-east-1")).unwrap();
        let o = n.observer();
        for s in steps {
            o.observe("us-east-1", s);
        }
        let mut findings = Findings {
            exit_code: exit,
            ..Findings::default()
        };
        n.finish(&run, &mut findings).await;
        findings
            .notes
            .into_iter()
            .map(|n| match n {
                Note::NotDelivered(Undelivered {
                    target,
                    failed,
                    of,
                    why: NotDelivered::VariableUnset { .. },
                    ..
                }) => {
                    assert_eq!(failed, of);
                    (target, of)
                }
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn count(v: &[(String, u32)], target: &str) -> u32 {
        v.iter().find(|(t, _)| t == target).map_or(0, |(_, n)| *n)
    }

    const DRILL: [Step; 11] = [
        Step::Reading,
        Step::CheckingSteadyState,
        Step::TakingLock,
        Step::Recording,
        Step::Injecting,
        Step::WaitingForFailover,
        Step::Holding,
        Step::Restoring,
        Step::WaitingForRecovery,
        Step::WatchingAfterRecovery,
        Step::CheckingGuards,
    ];

    #[tokio::test]
    async fn a_whole_drill_is_four_events_and_one_message_each() {
        let v = drill(&DRILL, None).await;
        assert_eq!(count(&v, "events"), 4, "{v:?}");
        assert_eq!(count(&v, "sre-slack"), 1);
        assert_eq!(count(&v, "audit"), 1);
    }

    #[tokio::test]
    async fn a_refusal_is_one_event_and_an_unfinished_restore_no_restored() {
        let v = drill(&DRILL[..3], Some(exit_code::REFUSED)).await;
        assert_eq!(count(&v, "events"), 1, "refused only: {v:?}");
        // Started, failed over, restore-incomplete: no `restored`.
        let v = drill(&DRILL[..8], Some(exit_code::RESTORE_INCOMPLETE)).await;
        assert_eq!(count(&v, "events"), 3, "{v:?}");
        // Stopped by a signal right after the restore: it is restored.
        let v = drill(&DRILL[..8], Some(exit_code::INTERRUPTED)).await;
        assert_eq!(count(&v, "events"), 4, "{v:?}");
    }

    #[tokio::test]
    async fn only_the_targets_on_the_command_are_told() {
        let run = Run::start("rollout", "f");
        let n = Notifier::start(&fleet(), NotifyOn::Rollout, &run, None).unwrap();
        let mut findings = Findings::default();
        n.finish(&run, &mut findings).await;
        let names: Vec<String> = findings
            .notes
            .iter()
            .map(|n| match n {
                Note::NotDelivered(u) => u.target.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["audit", "events"]);
        let mut f = fleet();
        f.notify.clear();
        assert!(Notifier::start(&f, NotifyOn::Drill, &run, None).is_none());
    }
}
