//! The Prometheus text formats: prometheus-client writes only OpenMetrics,
//! and the exporter and the simulator's app also serve the classic format
//! to scrapers and parsers that predate it (`curl`, `promtool check metrics`).

/// The classic Prometheus text format (0.0.4) of an OpenMetrics text: a
/// counter family `x` is declared as `x_total` there (its samples already
/// are), and there is no `# EOF` or `# UNIT`. prometheus-client writes only
/// OpenMetrics, so this small rewrite is ocfail's own.
pub fn to_classic(openmetrics: &str) -> String {
    let counters: std::collections::BTreeSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match meta {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                if counters.contains(name) {
                    out.push_str(&format!("{prefix}{name}_total {tail}"));
                } else {
                    out.push_str(line);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}
