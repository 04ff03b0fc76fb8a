//! Value parsers for flags whose type alone would admit nonsense: a zero
//! deadline, a hold of `300000000000y`, a request rate of 0, an image
//! reference no registry accepts. Each refuses at parse time (exit 2,
//! nothing contacted) and says what a good value looks like.

use std::str::FromStr;
use std::time::Duration;

use crate::durations::Limit;

/// A duration of at most `limit.max` (`10s`, `500ms`, `2m`; 0 allowed):
/// anything longer is a typo, and past the clock's range it would panic
/// when a deadline is computed from it.
pub fn duration_up_to(
    limit: Limit,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    move |s| {
        let d = humantime::parse_duration(s)
            .map_err(|e| format!("{e}; write e.g. 10s, 500ms or 2m"))?;
        limit.check(d)
    }
}

/// A duration more than zero and at most `limit.max`: a deadline or
/// interval of 0 would time out every call or spin.
pub fn positive_duration(
    limit: Limit,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    move |s| {
        let d = duration_up_to(limit)(s)?;
        if d.is_zero() {
            return Err(format!("must be more than 0 (e.g. {})", limit.example));
        }
        Ok(d)
    }
}

/// Requests per second: finite and more than 0 (e.g. `2`, `0.5`).
pub fn requests_per_second(s: &str) -> Result<f64, String> {
    let rps: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number; write e.g. 2 or 0.5"))?;
    if !rps.is_finite() || rps <= 0.0 {
        return Err("must be a number of requests per second above 0 (e.g. 2)".to_owned());
    }
    Ok(rps)
}

/// A fraction of requests: `0.05`, or `5%` as the manifest's
/// `maxErrorRate` also reads it. Anything outside 0..=1 (or NaN) is
/// refused rather than clamped: `5` is most likely meant as 5%, and quietly
/// failing every request instead would make a drill test something else.
pub fn fraction(s: &str) -> Result<f64, String> {
    const SHAPE: &str = "write a fraction such as 0.05 or a percentage such as 5%";
    let t = s.trim();
    let (number, percent) = match t.strip_suffix('%') {
        Some(n) => (n.trim_end(), true),
        None => (t, false),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a number; {SHAPE}"))?;
    let fraction = if percent { value / 100.0 } else { value };
    if (0.0..=1.0).contains(&fraction) {
        return Ok(fraction);
    }
    Err(if percent {
        format!("`{s}` is outside 0%..100%; {SHAPE}")
    } else if value > 1.0 && value <= 100.0 {
        // Round away float noise (12.3 / 100 = 0.12300000000000001).
        let meant = (value / 100.0 * 1e9).round() / 1e9;
        format!("`{s}` is not a fraction between 0 and 1; for {t}% write {meant} or {t}%")
    } else {
        format!("`{s}` is not a fraction between 0 and 1; {SHAPE}")
    })
}

/// An image reference a registry accepts (`REGISTRY/REPOSITORY:TAG`, or
/// `…@sha256:DIGEST`), with an explicit tag or digest: an implicit `:latest`
/// changes under you, so "already live" and rollback would mean nothing.
/// Returned as written, not normalised (no `docker.io/library/` prefix), so
/// the Deployment shows what the user typed.
pub fn image_reference(s: &str) -> Result<String, String> {
    const SHAPE: &str = "write REGISTRY/REPOSITORY:TAG or REPOSITORY@sha256:DIGEST, \
                         e.g. registry.example/openclaw-api:1.5.0";
    if s.trim() != s || s.is_empty() {
        return Err(format!(
            "an image reference has no spaces and is not empty; {SHAPE}"
        ));
    }
    let parsed = oci_spec::distribution::Reference::from_str(s)
        .map_err(|e| format!("`{s}` is not an image reference ({e}); {SHAPE}"))?;
    if parsed.repository().chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "`{s}`: repository names are lowercase ({}); {SHAPE}",
            parsed.repository()
        ));
    }
    let last = s.rsplit('/').next().unwrap_or(s);
    if !s.contains('@') && !last.contains(':') {
        return Err(format!(
            "`{s}` has no tag or digest; an implicit :latest cannot be told apart from the \
             running version or rolled back to; {SHAPE}"
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durations;

    #[test]
    fn durations_must_be_positive() {
        let parse = positive_duration(durations::REQUEST_TIMEOUT);
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert!(parse("0s").unwrap_err().contains("more than 0"));
        assert!(parse("-5s").is_err());
        assert!(parse("soon").unwrap_err().contains("e.g. 10s"));
    }

    fn assert_bounded(parse: impl Fn(&str) -> Result<Duration, String>, limit: Limit) {
        let max = humantime::format_duration(limit.max).to_string();
        assert_eq!(parse(&max), Ok(limit.max));
        let e = parse(&format!("{max} 1ns")).unwrap_err();
        assert!(e.contains(&format!("at most {max}")), "{e}");
        assert!(parse("300000000000y").unwrap_err().contains("at most"));
        // Past u64 seconds humantime itself refuses.
        assert!(parse("99999999999999999999s").is_err());
    }

    #[test]
    fn durations_are_bounded_by_their_limit() {
        for limit in [
            durations::HOLD,
            durations::DEADLINE,
            durations::REQUEST_TIMEOUT,
            durations::INTERVAL,
        ] {
            assert_bounded(duration_up_to(limit), limit);
            assert_bounded(positive_duration(limit), limit);
        }
        assert_eq!(duration_up_to(durations::HOLD)("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rates_must_be_positive_and_finite() {
        assert_eq!(requests_per_second("0.5"), Ok(0.5));
        for bad in ["0", "-1", "inf", "NaN", "fast"] {
            assert!(requests_per_second(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fractions_are_between_0_and_1_or_percentages() {
        for (good, want) in [
            ("0", 0.0),
            ("0.05", 0.05),
            ("1", 1.0),
            ("5%", 0.05),
            (" 100 % ", 1.0),
            ("0%", 0.0),
        ] {
            assert_eq!(fraction(good), Ok(want), "{good}");
        }
        assert_eq!(
            fraction("5").unwrap_err(),
            "`5` is not a fraction between 0 and 1; for 5% write 0.05 or 5%"
        );
        assert!(
            fraction("12.3")
                .unwrap_err()
                .contains("write 0.123 or 12.3%")
        );
        for (bad, says) in [
            ("-0.1", "not a fraction between 0 and 1; write"),
            ("250", "not a fraction between 0 and 1; write"),
            ("NaN", "not a fraction"),
            ("inf", "not a fraction"),
            ("101%", "outside 0%..100%"),
            ("-1%", "outside 0%..100%"),
            ("NaN%", "outside 0%..100%"),
            ("half", "not a number"),
            ("", "not a number"),
        ] {
            let e = fraction(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn images_need_a_valid_reference_with_a_tag_or_digest() {
        let digest = format!("registry.example/openclaw-api@sha256:{}", "a".repeat(64));
        for good in [
            "registry.example/openclaw-api:1.5.0",
            "localhost:5000/team/api:v2-rc.1",
            "nginx:1.27",
            digest.as_str(),
        ] {
            assert_eq!(image_reference(good).as_deref(), Ok(good));
        }
        for (bad, says) in [
            ("", "not empty"),
            (" nginx:1", "no spaces"),
            ("bad image!", "not an image reference"),
            ("registry.example/api:", "not an image reference"),
            ("registry.example/Api:1", "not an image reference"),
            ("Team/api:1", "lowercase"),
            ("registry.example/openclaw-api", "no tag or digest"),
            ("localhost:5000/api", "no tag or digest"),
        ] {
            let e = image_reference(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
