//! Machine-readable output: the `-o json` document and the `-o jsonl` event lines.

use crate::report::events::Event;
use crate::report::model::Report;

/// The whole report as one pretty-printed JSON document, newline-terminated (`-o json`).
pub fn document(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(report)
        .expect("a Report is plain data with string map keys, which always serializes");
    out.push('\n');
    out
}

/// The same document as a JSON value, for a `json` notification: the
/// receiver gets exactly what `-o json` prints.
pub fn value(report: &Report) -> serde_json::Value {
    serde_json::to_value(report)
        .expect("a Report is plain data with string map keys, which always serializes")
}

/// One event as a compact JSON object on a single line, newline-terminated (`-o jsonl`).
pub fn line(event: &Event) -> String {
    let mut out = serde_json::to_string(event)
        .expect("an Event is plain data with string map keys, which always serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::SCHEMA;
    use crate::report::testdata::{sample_events, sample_report};

    #[test]
    fn document_snapshot() {
        insta::assert_snapshot!(document(&sample_report()));
    }

    #[test]
    fn document_round_trips_and_carries_the_schema() {
        let text = document(&sample_report());
        assert!(text.ends_with("}\n"));
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, sample_report());
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["schema"], SCHEMA);
        assert_eq!(value["regions"][0]["checks"][0]["durationMs"], 1840);
    }

    #[test]
    fn the_value_is_the_document() {
        let text = document(&sample_report());
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value(&sample_report()), parsed);
    }

    #[test]
    fn lines_are_single_tagged_objects() {
        for event in sample_events() {
            let text = line(&event);
            assert!(text.ends_with('\n'));
            assert_eq!(text.matches('\n').count(), 1, "{text}");
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(value["type"].is_string(), "{text}");
        }
    }
}
