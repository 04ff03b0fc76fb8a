"""Parses an exposition read from stdin with the official Prometheus Python
client: `text` with the classic parser (prometheus_client.parser), or
`openmetrics` with the strict OpenMetrics one. Prints every sample as JSON
lines {"family", "type", "name", "labels", "value"}; a parse error exits 1."""
import json
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "text"
    parse = openmetrics_families if mode == "openmetrics" else text_string_to_metric_families
    text = sys.stdin.read()
    try:
        families = list(parse(text))
    except Exception as e:  # noqa: BLE001 - any parse failure is the finding
        print(f"{mode} parse error: {e}", file=sys.stderr)
        return 1
    for f in families:
        if f.type == "unknown":
            print(f"{mode}: family {f.name} has no known type", file=sys.stderr)
            return 1
        for s in f.samples:
            print(
                json.dumps(
                    {
                        "family": f.name,
                        "type": f.type,
                        "name": s.name,
                        "labels": s.labels,
                        "value": s.value,
                    }
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
