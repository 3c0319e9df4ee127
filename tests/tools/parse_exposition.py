"""Parses an exposition from stdin with the official Python client's parser
and prints one line per sample: name{labels sorted by name} value, sorted.

Usage: parse_exposition.py text|openmetrics [--json] < exposition

`le` bounds are printed as Python floats, so that `1` (text) and `1.0`
(OpenMetrics) read the same; everything else is printed as parsed. With
`--json`, each line is instead a JSON array [name, labels, value], in
exposition order, so that any label value reads back exactly.
"""

import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text


def main():
    parse = {"text": parse_text, "openmetrics": parse_openmetrics}[sys.argv[1]]
    if sys.argv[2:] == ["--json"]:
        for family in parse(sys.stdin.read()):
            for sample in family.samples:
                print(json.dumps([sample.name, sample.labels, float(sample.value)]))
        return
    lines = []
    for family in parse(sys.stdin.read()):
        for sample in family.samples:
            labels = dict(sample.labels)
            if "le" in labels:
                labels["le"] = repr(float(labels["le"]))
            rendered = ",".join(f"{k}={labels[k]!r}" for k in sorted(labels))
            lines.append(f"{family.type} {sample.name}{{{rendered}}} {float(sample.value)!r}")
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    main()
