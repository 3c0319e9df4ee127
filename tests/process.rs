//! The process collector's samples, against what `/proc` and the clock say,
//! in an exposition promtool and the Python parsers accept beside the
//! gateway's families and the build info.
//!
//! Needs `promtool` and Python's `prometheus_client`; `scripts/test.sh`
//! installs both.

mod support;

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aigateway_metrics::process::ProcessMetrics;
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{encode, gateway, Format, GatewayMetrics};

/// The samples without labels of `text`, by name.
fn values(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.contains('{'))
        .filter_map(|l| l.split_once(' '))
        .map(|(name, value)| (name.to_owned(), value.parse().unwrap()))
        .collect()
}

/// The soft limit of `name` in `/proc/self/limits`, as the kernel writes it.
fn soft_limit(name: &str) -> f64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits.lines().find(|l| l.starts_with(name)).unwrap();
    match line[name.len()..].split_whitespace().next().unwrap() {
        "unlimited" => u64::MAX as f64,
        n => n.parse().unwrap(),
    }
}

#[test]
fn the_process_samples_are_what_proc_says() {
    let mut registry = Registry::default();
    ProcessMetrics.register(&mut registry);
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let text = encode(&registry, Format::Prometheus);
    let v = values(&text);
    let mut names: Vec<&str> = v.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "process_cpu_seconds_total",
            "process_max_fds",
            "process_open_fds",
            "process_resident_memory_bytes",
            "process_start_time_seconds",
            "process_virtual_memory_bytes",
            "process_virtual_memory_max_bytes",
        ]
    );
    assert!(
        text.contains("# TYPE process_cpu_seconds_total counter\n"),
        "{text}"
    );
    assert_eq!(v["process_max_fds"], soft_limit("Max open files"));
    assert_eq!(
        v["process_virtual_memory_max_bytes"],
        soft_limit("Max address space")
    );
    // This test process started before the scrape, within the last hour.
    let started = v["process_start_time_seconds"];
    assert!(
        started <= before && started > before - 3600.0,
        "{started} {before}"
    );
    assert!(v["process_open_fds"] >= 3.0);
    assert!(v["process_resident_memory_bytes"] > 1e6);
    assert!(v["process_virtual_memory_bytes"] >= v["process_resident_memory_bytes"]);

    // CPU time only grows.
    let busy = (0..20_000_000u64).fold(0u64, |a, b| std::hint::black_box(a.wrapping_add(b * b)));
    std::hint::black_box(busy);
    let later = values(&encode(&registry, Format::Prometheus));
    assert!(later["process_cpu_seconds_total"] > v["process_cpu_seconds_total"]);
}

#[test]
fn beside_the_gateway_and_its_build_info_the_exposition_is_valid() {
    let mut registry = Registry::default();
    GatewayMetrics::default().register(&mut registry);
    gateway::build_info("1.4.0", "3f2c1ab").register(&mut registry);
    ProcessMetrics.register(&mut registry);
    let text = encode(&registry, Format::Prometheus);
    assert!(text.contains("aigateway_build_info{version=\"1.4.0\",revision=\"3f2c1ab\"} 1\n"));
    support::assert_promtool_accepts(&text);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/tools/parse_exposition.py"
    );
    for (format, body) in [
        ("text", text),
        ("openmetrics", encode(&registry, Format::OpenMetrics)),
    ] {
        let output = support::run_with_stdin("python3", &[script, format], &body);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let parsed = String::from_utf8(output.stdout).unwrap();
        assert!(
            parsed.contains("counter process_cpu_seconds_total{} "),
            "{parsed}"
        );
        assert!(parsed.contains("gauge process_open_fds{} "), "{parsed}");
    }
}
