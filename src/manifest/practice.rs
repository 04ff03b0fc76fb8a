//! Decoding `practice` (docs/practice.md): how often each region is
//! drilled, the weekly windows scheduled drills may run in, and the dates
//! they never start on. The schedule itself is in `ops::practice`.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;

use super::diag::Diagnostic;
use super::fields::{Decoder, bounded, closest};
use super::node::Node;
use super::schema::*;
use crate::durations;

const KEYS: &[&str] = &["every", "regions", "windows", "blockedDates"];

/// How a window is written, for every message about one.
const WINDOW_GRAMMAR: &str = "write `<days> <HH:MM>-<HH:MM> <time zone>`, e.g. `Tue-Thu 10:00-16:00 Europe/Berlin`: days are Mon..Sun, a range such as `Fri-Mon` or a list such as `Mon,Wed`; the end is after the start on the same day (no overnight windows: write two)";

/// `practice`; `fleet_regions` are the regions already decoded, which
/// `practice.regions` must name.
pub(crate) fn decode_practice(
    d: &mut Decoder,
    node: &Node,
    fleet_regions: &[Region],
) -> Option<Practice> {
    let mut m = d.map(node, "practice")?;
    let mut p = Practice {
        every: durations::PRACTICE_EVERY_MIN,
        regions: fleet_regions.iter().map(|r| r.name.clone()).collect(),
        windows: Vec::new(),
        blocked_dates: Vec::new(),
    };
    if let Some(n) = m.require(d, "every")
        && let Some(v) = bounded(d, n, "practice.every", durations::PRACTICE_EVERY)
    {
        if v < durations::PRACTICE_EVERY_MIN {
            d.err(
                Diagnostic::new(n.pos, "practice.every", "must be at least 1h")
                    .hint("a region is drilled at most hourly; write e.g. `7d`"),
            );
        } else {
            p.every = v;
        }
    }
    if let Some(n) = m.take("regions") {
        p.regions = decode_regions(d, n, fleet_regions);
    }
    if let Some(n) = m.take("windows")
        && let Some(items) = d.list(n, "practice.windows")
    {
        p.windows = items
            .iter()
            .enumerate()
            .filter_map(|(i, w)| decode_window(d, w, &format!("practice.windows[{i}]")))
            .collect();
    }
    if let Some(n) = m.take("blockedDates")
        && let Some(items) = d.list(n, "practice.blockedDates")
    {
        p.blocked_dates = items
            .iter()
            .enumerate()
            .filter_map(|(i, b)| decode_blocked(d, b, &format!("practice.blockedDates[{i}]")))
            .collect();
    }
    d.finish(m, KEYS);
    Some(p)
}

/// `practice.regions`: fleet regions, each once, at least one.
fn decode_regions(d: &mut Decoder, node: &Node, fleet_regions: &[Region]) -> Vec<RegionName> {
    let path = "practice.regions";
    let Some(items) = d.list(node, path) else {
        return Vec::new();
    };
    if items.is_empty() {
        d.err(
            Diagnostic::new(node.pos, path, "must name at least one region")
                .hint("leave `regions` out to practise every region"),
        );
    }
    let known: Vec<&str> = fleet_regions.iter().map(|r| r.name.as_str()).collect();
    let mut out: Vec<RegionName> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Some(name) = d.string(item, &p) else {
            continue;
        };
        if !known.contains(&name.as_str()) {
            let hint = match closest(&name, known.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("the fleet's regions: {}", known.join(", ")),
            };
            d.err(
                Diagnostic::new(
                    item.pos,
                    p,
                    format!("`{name}` is not a region of this fleet"),
                )
                .hint(hint),
            );
        } else if out.iter().any(|r| r.as_str() == name) {
            d.err(
                Diagnostic::new(item.pos, p, format!("`{name}` is listed twice"))
                    .hint("name each region once"),
            );
        } else {
            out.push(RegionName(name));
        }
    }
    out
}

fn decode_window(d: &mut Decoder, node: &Node, path: &str) -> Option<PracticeWindow> {
    let text = d.string(node, path)?;
    match parse_window(&text) {
        Ok(w) => Some(w),
        Err(WindowError::UnknownZone(zone)) => {
            let names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
            let hint = match closest(&zone, names.iter().map(String::as_str)) {
                Some(c) => format!(
                    "did you mean `{c}`? Zones are IANA names such as `Europe/Berlin` or `UTC`"
                ),
                None => {
                    "write an IANA zone name such as `Europe/Berlin`, `America/New_York` or `UTC`"
                        .to_owned()
                }
            };
            d.err(
                Diagnostic::new(node.pos, path, format!("unknown time zone `{zone}`")).hint(hint),
            );
            None
        }
        Err(WindowError::Invalid(why)) => {
            d.err(
                Diagnostic::new(node.pos, path, format!("`{text}` is not a window: {why}"))
                    .hint(WINDOW_GRAMMAR),
            );
            None
        }
    }
}

/// Why a window's text was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WindowError {
    /// The zone is not in the bundled tz database.
    UnknownZone(String),
    /// Anything else, as a lowercase fragment.
    Invalid(String),
}

/// Reads `Tue-Thu 10:00-16:00 Europe/Berlin`.
pub(crate) fn parse_window(text: &str) -> Result<PracticeWindow, WindowError> {
    let invalid = |why: &str| WindowError::Invalid(why.to_owned());
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [days, times, zone_name] = parts[..] else {
        return Err(invalid(
            "expected days, times and a time zone separated by spaces",
        ));
    };
    let days = parse_days(days).map_err(WindowError::Invalid)?;
    let (start, end) = times
        .split_once('-')
        .ok_or_else(|| invalid("the times are written `HH:MM-HH:MM`"))?;
    let start = parse_time(start).map_err(WindowError::Invalid)?;
    let end = parse_time(end).map_err(WindowError::Invalid)?;
    if end <= start {
        return Err(invalid(
            "the end must be after the start (overnight windows are not supported: write two windows, one ending 23:59 and one starting 00:00)",
        ));
    }
    let zone =
        TimeZone::get(zone_name).map_err(|_| WindowError::UnknownZone(zone_name.to_owned()))?;
    Ok(PracticeWindow {
        days,
        start,
        end,
        zone_name: zone_name.to_owned(),
        zone,
    })
}

fn parse_days(text: &str) -> Result<Weekdays, String> {
    let mut set = Weekdays::default();
    for item in text.split(',') {
        match item.split_once('-') {
            Some((a, b)) => {
                let (first, last) = (parse_day(a)?, parse_day(b)?);
                // Ranges may wrap past Sunday: `Fri-Mon` is Fri, Sat, Sun, Mon.
                let mut day = first;
                loop {
                    set = set.with(day);
                    if day == last {
                        break;
                    }
                    day = day.next();
                }
            }
            None => set = set.with(parse_day(item)?),
        }
    }
    Ok(set)
}

fn parse_day(text: &str) -> Result<Weekday, String> {
    const DAYS: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];
    Weekdays::NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
        .map(|i| DAYS[i])
        .ok_or_else(|| format!("`{text}` is not a day (Mon, Tue, Wed, Thu, Fri, Sat or Sun)"))
}

/// `HH:MM`, 24-hour.
fn parse_time(text: &str) -> Result<Time, String> {
    let bad = || format!("`{text}` is not a time of day (HH:MM, 00:00 to 23:59)");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 1..=2) || !digits(m, 2..=2) {
        return Err(bad());
    }
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

fn decode_blocked(d: &mut Decoder, node: &Node, path: &str) -> Option<DateRange> {
    let text = d.string(node, path)?;
    match parse_dates(text.trim()) {
        Ok(r) => Some(r),
        Err(why) => {
            d.err(
                Diagnostic::new(
                    node.pos,
                    path,
                    format!("`{text}` is not a blocked date: {why}"),
                )
                .hint("write a date `2026-12-24` or an inclusive range `2026-12-31..2027-01-02`"),
            );
            None
        }
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD`, inclusive.
pub(crate) fn parse_dates(text: &str) -> Result<DateRange, String> {
    let date = |s: &str| {
        let s = s.trim();
        let well_formed = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !well_formed {
            return Err(format!("`{s}` is not written YYYY-MM-DD"));
        }
        s.parse::<Date>()
            .map_err(|_| format!("`{s}` is not a day of the calendar"))
    };
    let (first, last) = match text.split_once("..") {
        Some((a, b)) => (date(a)?, date(b)?),
        None => {
            let d = date(text)?;
            (d, d)
        }
    };
    if last < first {
        return Err("the range ends before it starts".to_owned());
    }
    Ok(DateRange { first, last })
}

#[cfg(test)]
mod tests;
