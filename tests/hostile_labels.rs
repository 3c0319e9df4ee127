//! Label values from untrusted requests are written out so that tools we did
//! not write read back exactly the values and counts recorded, and can never
//! inject a line or a series: the official Python client's parsers (both
//! formats) and `promtool check metrics`. A fixed list of nasty values, then
//! a property test over arbitrary strings.

use std::collections::BTreeMap;

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{encode, Format, GatewayMetrics, TenantId, MAX_LABEL_VALUE_LEN, OVERFLOW};
use proptest::prelude::*;
use serde_json::Value;

mod support;

fn run(program: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let out = support::run_with_stdin(program, args, stdin);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The cache-hit counts per tenant, as Python's parser reads `exposition`.
fn parsed_hits(format: &str, exposition: &str) -> BTreeMap<String, f64> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/tools/parse_exposition.py"
    );
    let (ok, stdout, stderr) = run("python3", &[script, format, "--json"], exposition);
    assert!(ok, "the {format} parser failed: {stderr}\n{exposition}");
    let mut hits = BTreeMap::new();
    for line in stdout.lines() {
        let sample: Value = serde_json::from_str(line).unwrap();
        if sample[0] == "aigateway_cache_hits_total" {
            let labels = sample[1].as_object().unwrap();
            assert_eq!(labels.len(), 1, "one label per series: {labels:?}");
            let tenant = labels["tenant_id"].as_str().unwrap().to_owned();
            let previous = hits.insert(tenant, sample[2].as_f64().unwrap());
            assert!(previous.is_none(), "a series came out twice: {line}");
        }
    }
    hits
}

/// Records `counts[value]` cache hits for each tenant `value`, and checks
/// that both parsers read back exactly that, and that promtool accepts it.
fn check_round_trip(counts: &BTreeMap<String, u64>) {
    let m = GatewayMetrics::default();
    let mut expected: BTreeMap<String, f64> = BTreeMap::new();
    for (value, n) in counts {
        for _ in 0..*n {
            m.record_cache_hit(TenantId(value));
        }
        let key = if value.len() > MAX_LABEL_VALUE_LEN || value == OVERFLOW {
            OVERFLOW.to_owned()
        } else {
            value.clone()
        };
        *expected.entry(key).or_default() += *n as f64;
    }
    let mut registry = Registry::default();
    m.cache_hits.register(&mut registry);
    let text = support::without_self_metrics(&encode(&registry, Format::Prometheus));
    let openmetrics = support::without_self_metrics(&encode(&registry, Format::OpenMetrics));
    // One line per series, and the two header lines: nothing injected.
    assert_eq!(text.lines().count(), expected.len() + 2, "{text}");
    assert_eq!(parsed_hits("text", &text), expected);
    assert_eq!(parsed_hits("openmetrics", &openmetrics), expected);
    let (ok, stdout, stderr) = run("promtool", &["check", "metrics"], &text);
    assert!(
        ok && stdout.is_empty() && stderr.is_empty(),
        "promtool: {stdout}{stderr}\n{text}"
    );
}

#[test]
fn nasty_values_read_back_exactly() {
    let values = [
        "",
        "\"",
        "\\",
        "\\\"",
        "\n",
        "a\nb",
        "\r\n",
        "tab\there",
        "nul\0byte",
        "x\"} 1\naigateway_cache_hits_total{tenant_id=\"injected",
        "# HELP aigateway_cache_hits_total lies",
        "{}=,",
        "ünïcödé ✓ 🚀 שלום",
        "\u{202e}reversed",
        "e\u{301}",
        "\u{feff}bom",
        "__overflow__",
        "__name__",
    ];
    let mut counts: BTreeMap<String, u64> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (v.to_string(), i as u64 + 1))
        .collect();
    counts.insert("k".repeat(MAX_LABEL_VALUE_LEN), 3);
    counts.insert("m".repeat(1 << 20), 2);
    check_round_trip(&counts);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn arbitrary_values_read_back_exactly(counts in prop::collection::btree_map(any::<String>(), 1..5u64, 1..8)) {
        check_round_trip(&counts);
    }
}
