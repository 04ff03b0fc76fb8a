//! The practice schedule's arithmetic (docs/practice.md): which region is
//! next, whether it is due, whether a window is open, whether today is
//! blocked, and so whether a drill starts now. Pure: the time is always an
//! argument, never read from a clock, so every case is testable.
//!
//! Windows are weekly local times in an IANA zone. Each day's opening and
//! closing are turned into instants with the zone's rules for that day
//! (jiff's "compatible" disambiguation: a time skipped by a DST gap moves
//! forward by the gap, a repeated time means its first occurrence), and
//! every comparison is between instants, so a window on the day clocks
//! change is as long as the clocks say, not as the wall reads.
//!
//! Blocked dates are read in the zone of the window they would block: a
//! window's opening on a blocked local date does not happen. Without
//! windows they are read in UTC.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

use crate::facts::practice::{Decision, Reason};
use crate::manifest::{DateRange, Practice, PracticeWindow, RegionName};

/// When each region was last practised.
pub type LastRuns = BTreeMap<RegionName, Timestamp>;

/// How many days (blocked ones not counted) the next opening of a window
/// is looked for: two years, far beyond a weekly window's week.
const SEARCH_DAYS: u32 = 731;

/// Where the allowed time that `now` is in ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowEnd {
    /// When it ends: the latest end of the windows open now (windows that
    /// merely touch are not joined), or without windows the start of the
    /// next blocked date; `None`: never.
    pub at: Option<Timestamp>,
    /// The index in `practice.windows` of the window ending then; `None`
    /// without windows.
    pub window: Option<usize>,
}

/// A region that is due for practice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    /// The region.
    pub region: RegionName,
    /// When it was last practised; `None`: never.
    pub last_run: Option<Timestamp>,
    /// How long ago it became due; `None`: it was never practised.
    pub overdue_by: Option<Duration>,
}

/// One day's opening of one window.
#[derive(Clone, Copy, Debug)]
struct Opening {
    window: usize,
    date: Date,
    opens: Timestamp,
    ends: Timestamp,
}

/// The schedule of a manifest's `practice` section.
#[derive(Clone, Copy, Debug)]
pub struct Schedule<'a> {
    practice: &'a Practice,
}

impl<'a> Schedule<'a> {
    /// The schedule `practice` describes.
    pub fn new(practice: &'a Practice) -> Self {
        Schedule { practice }
    }

    /// Whether `now` is inside an allowed window, and when that window
    /// ends. Blocked dates are not consulted here (see [`Self::blocked`]);
    /// without windows it is always `Some`.
    pub fn in_window(&self, now: Timestamp) -> Option<WindowEnd> {
        if self.practice.windows.is_empty() {
            return Some(WindowEnd {
                at: self.next_blocked_start(now),
                window: None,
            });
        }
        self.open_at(now)
            .into_iter()
            .max_by_key(|o| o.ends)
            .map(|o| WindowEnd {
                at: Some(o.ends),
                window: Some(o.window),
            })
    }

    /// Whether `now` is on a blocked date: every window open now opened on
    /// a blocked date in its own zone; when none is open (or there are no
    /// windows), `now`'s date in UTC is blocked.
    pub fn blocked(&self, now: Timestamp) -> bool {
        self.blocked_date(now).is_some()
    }

    /// The blocked date `now` is on, as [`Self::blocked`] reads it.
    pub fn blocked_date(&self, now: Timestamp) -> Option<Date> {
        let open = self.open_at(now);
        if open.is_empty() {
            let today = utc_date(now);
            return self.blocked_range(today).map(|_| today);
        }
        open.iter()
            .all(|o| self.blocked_range(o.date).is_some())
            .then(|| open[0].date)
    }

    /// When the next window opens after `now`, skipping openings on blocked
    /// dates; without windows, when the next blocked stretch (the current
    /// one, if today is blocked) ends. `None`: nothing opens within two
    /// years of days that are not blocked.
    pub fn next_opens(&self, now: Timestamp) -> Option<Timestamp> {
        if self.practice.windows.is_empty() {
            let today = utc_date(now);
            let from = if self.blocked_range(today).is_some() {
                today
            } else {
                self.next_blocked_first(today)?
            };
            return midnight_utc(self.unblocked_from(from)?);
        }
        self.practice
            .windows
            .iter()
            .enumerate()
            .filter_map(|(i, w)| self.next_opening_of(i, w, now))
            .min()
    }

    /// The practised regions in rotation order: never practised first,
    /// then the one practised longest ago; ties in manifest order.
    pub fn rotation(&self, last_runs: &LastRuns) -> Vec<RegionName> {
        let mut regions = self.practice.regions.clone();
        // A stable sort keeps manifest order among equals; `None` (never)
        // sorts before every time.
        regions.sort_by_key(|r| last_runs.get(r).copied());
        regions
    }

    /// The least time between two practice drills of the fleet: `every`
    /// divided by the number of practised regions, so the drills spread
    /// over the period instead of running back to back (a new fleet's
    /// regions are all due at once, and drilling them ten minutes apart
    /// would take the fleet through three outages in half an hour).
    pub fn spacing(&self) -> Duration {
        let n = u32::try_from(self.practice.regions.len().max(1)).unwrap_or(u32::MAX);
        self.practice.every / n
    }

    /// When a region last practised at `last` is due again.
    pub fn next_due(&self, last: Timestamp) -> Timestamp {
        last.saturating_add(self.practice.every)
            .unwrap_or(Timestamp::MAX)
    }

    /// The regions due at `now`, in rotation order: never practised, or
    /// practised at least `every` ago.
    pub fn due(&self, last_runs: &LastRuns, now: Timestamp) -> Vec<Due> {
        self.rotation(last_runs)
            .into_iter()
            .filter_map(|region| {
                let last_run = last_runs.get(&region).copied();
                let overdue_by = match last_run {
                    None => None,
                    Some(last) => {
                        let since = now.duration_since(self.next_due(last));
                        Some(Duration::try_from(since).ok()?)
                    }
                };
                Some(Due {
                    region,
                    last_run,
                    overdue_by,
                })
            })
            .collect()
    }

    /// Whether a practice drill starts at `now`, and on which region.
    ///
    /// The region is always the head of the rotation: an earlier region
    /// is never passed over for a later one. Checked in this order, the
    /// first that fails is the reason to skip: the region is due, and the
    /// fleet's last practice drill was at least [`Schedule::spacing`] ago; a window
    /// is open; it did not open on a blocked date; it stays open for
    /// `worst_case` (failover + hold + recover), so a drill never overlaps
    /// its window's end.
    ///
    /// `force_now` (`--now`) runs the head of the rotation at once, even
    /// when it is not due, outside every window and on a blocked date: a
    /// person asked for this drill now, and the run is recorded as forced.
    pub fn decide(
        &self,
        now: Timestamp,
        last_runs: &LastRuns,
        worst_case: Duration,
        force_now: bool,
    ) -> Decision {
        let Some(region) = self.rotation(last_runs).into_iter().next() else {
            return Decision::Skip(Reason::NoRegions);
        };
        if force_now {
            return Decision::Run {
                region,
                window_end: None,
                forced: true,
            };
        }
        if let Some(last) = last_runs.get(&region) {
            let next_due = self.next_due(*last);
            if next_due > now {
                return Decision::Skip(Reason::NotDue { region, next_due });
            }
        }
        if let Some(latest) = last_runs.values().max() {
            let next_due = latest
                .saturating_add(self.spacing())
                .unwrap_or(Timestamp::MAX);
            if next_due > now {
                return Decision::Skip(Reason::NotDue { region, next_due });
            }
        }
        let window_end = if self.practice.windows.is_empty() {
            let today = utc_date(now);
            if self.blocked_range(today).is_some() {
                return Decision::Skip(Reason::Blocked {
                    date: today,
                    next_opens: self.next_opens(now),
                });
            }
            self.next_blocked_start(now)
        } else {
            let open = self.open_at(now);
            let Some(first) = open.first() else {
                return Decision::Skip(Reason::OutsideWindow {
                    next_opens: self.next_opens(now),
                });
            };
            let allowed = open
                .iter()
                .filter(|o| self.blocked_range(o.date).is_none())
                .map(|o| o.ends)
                .max();
            let Some(end) = allowed else {
                return Decision::Skip(Reason::Blocked {
                    date: first.date,
                    next_opens: self.next_opens(now),
                });
            };
            Some(end)
        };
        if let Some(end) = window_end {
            let left = Duration::try_from(end.duration_since(now)).unwrap_or(Duration::ZERO);
            if left < worst_case {
                return Decision::Skip(Reason::WindowTooShort {
                    ends_at: end,
                    needs: worst_case,
                    next_opens: self.next_opens(now),
                });
            }
        }
        Decision::Run {
            region,
            window_end,
            forced: false,
        }
    }

    /// The openings of every window that `now` is inside.
    fn open_at(&self, now: Timestamp) -> Vec<Opening> {
        let mut out = Vec::new();
        for (i, w) in self.practice.windows.iter().enumerate() {
            let today = now.to_zoned(w.zone.clone()).date();
            // No window spans midnight, but a DST change at midnight can
            // put an instant of one day's opening on the next day's date.
            let days = [today.yesterday().ok(), Some(today), today.tomorrow().ok()];
            for date in days.into_iter().flatten() {
                if let Some(o) = opening(i, w, date)
                    && o.opens <= now
                    && now < o.ends
                {
                    out.push(o);
                }
            }
        }
        out
    }

    /// The first opening of window `w` after `now` that is not on a
    /// blocked date.
    fn next_opening_of(&self, i: usize, w: &PracticeWindow, now: Timestamp) -> Option<Timestamp> {
        let today = now.to_zoned(w.zone.clone()).date();
        let mut date = today.yesterday().unwrap_or(today);
        for _ in 0..SEARCH_DAYS {
            date = self.unblocked_from(date)?;
            if let Some(o) = opening(i, w, date)
                && o.opens > now
            {
                return Some(o.opens);
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    fn blocked_range(&self, date: Date) -> Option<&DateRange> {
        self.practice
            .blocked_dates
            .iter()
            .find(|r| r.contains(date))
    }

    /// The first date from `date` on that is not blocked.
    fn unblocked_from(&self, mut date: Date) -> Option<Date> {
        // Each step passes the end of a range it was in, so no range is
        // passed twice.
        for _ in 0..=self.practice.blocked_dates.len() {
            match self.blocked_range(date) {
                Some(r) => date = r.last.tomorrow().ok()?,
                None => return Some(date),
            }
        }
        None
    }

    /// The first blocked date after `today`.
    fn next_blocked_first(&self, today: Date) -> Option<Date> {
        self.practice
            .blocked_dates
            .iter()
            .map(|r| r.first)
            .filter(|first| *first > today)
            .min()
    }

    /// Without windows: where the next blocked date starts, in UTC.
    fn next_blocked_start(&self, now: Timestamp) -> Option<Timestamp> {
        midnight_utc(self.next_blocked_first(utc_date(now))?)
    }
}

/// Window `w`'s opening on local `date`, if it opens that day; a day on
/// which a DST change leaves nothing between start and end has none.
fn opening(window: usize, w: &PracticeWindow, date: Date) -> Option<Opening> {
    if !w.days.contains(date.weekday()) {
        return None;
    }
    let opens = w.zone.to_timestamp(date.to_datetime(w.start)).ok()?;
    let ends = w.zone.to_timestamp(date.to_datetime(w.end)).ok()?;
    (opens < ends).then_some(Opening {
        window,
        date,
        opens,
        ends,
    })
}

fn utc_date(now: Timestamp) -> Date {
    now.to_zoned(TimeZone::UTC).date()
}

fn midnight_utc(date: Date) -> Option<Timestamp> {
    TimeZone::UTC
        .to_timestamp(date.to_datetime(Time::midnight()))
        .ok()
}

#[cfg(test)]
mod tests;
