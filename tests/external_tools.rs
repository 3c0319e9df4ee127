//! The example's exposition, checked by tools we did not write: Prometheus'
//! `promtool check metrics`, and the official Python client's parsers, which
//! must read back exactly the samples the example recorded.
//!
//! Needs `promtool` (Debian's `prometheus` package) and Python's
//! `prometheus_client`; `scripts/test.sh` installs both.

mod support;

use support::run_with_stdin;

use std::process::Command;

use aigateway_metrics::{GatewayMetrics, Reason};

fn example_exposition(args: &[&str]) -> String {
    let output = Command::new(support::example_binary("exposition"))
        .args(args)
        .output()
        .expect("run the exposition example");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn parse_with_python(format: &str, exposition: &str) -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/tools/parse_exposition.py"
    );
    let output = run_with_stdin("python3", &[script, format], exposition);
    assert!(
        output.status.success(),
        "parser failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// What the example records, as the parser reports it: one line per sample,
/// sorted.
const EXPECTED: &str = "\
counter aigateway_cache_hits_total{tenant_id='acme'} 1.0
counter aigateway_cache_misses_total{tenant_id='acme'} 1.0
counter aigateway_cost_usd_total{model='gpt-4o-mini',provider='openai',tenant_id='acme'} 0.015
counter aigateway_provider_errors_total{error_type='authentication',provider='openai'} 0.0
counter aigateway_provider_errors_total{error_type='bad_request',provider='openai'} 0.0
counter aigateway_provider_errors_total{error_type='connection',provider='openai'} 0.0
counter aigateway_provider_errors_total{error_type='other',provider='openai'} 0.0
counter aigateway_provider_errors_total{error_type='rate_limited',provider='openai'} 0.0
counter aigateway_provider_errors_total{error_type='server_error',provider='openai'} 0.0
counter aigateway_provider_errors_total{error_type='timeout',provider='openai'} 1.0
counter aigateway_rate_limit_hits_total{tenant_id='acme'} 1.0
counter aigateway_requests_total{model='gpt-4o-mini',provider='openai',status='budget_exceeded',tenant_id='acme'} 0.0
counter aigateway_requests_total{model='gpt-4o-mini',provider='openai',status='error',tenant_id='acme'} 0.0
counter aigateway_requests_total{model='gpt-4o-mini',provider='openai',status='invalid_request',tenant_id='acme'} 0.0
counter aigateway_requests_total{model='gpt-4o-mini',provider='openai',status='cancelled',tenant_id='acme'} 0.0
counter aigateway_requests_total{model='gpt-4o-mini',provider='openai',status='rate_limited',tenant_id='acme'} 0.0
counter aigateway_requests_total{model='gpt-4o-mini',provider='openai',status='success',tenant_id='acme'} 1.0
counter aigateway_tokens_total{model='gpt-4o-mini',provider='openai',tenant_id='acme',type='input'} 100.0
counter aigateway_tokens_total{model='gpt-4o-mini',provider='openai',tenant_id='acme',type='output'} 50.0
gauge aigateway_active_streams{} 1.0
gauge aigateway_budget_usage_ratio{tenant_id='acme'} 0.75
gauge aigateway_circuit_breaker_state{provider='openai'} 0.0
histogram aigateway_request_duration_seconds_bucket{le='0.1',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 0.0
histogram aigateway_request_duration_seconds_bucket{le='0.25',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 0.0
histogram aigateway_request_duration_seconds_bucket{le='0.5',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 0.0
histogram aigateway_request_duration_seconds_bucket{le='1.0',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 0.0
histogram aigateway_request_duration_seconds_bucket{le='10.0',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 1.0
histogram aigateway_request_duration_seconds_bucket{le='120.0',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 1.0
histogram aigateway_request_duration_seconds_bucket{le='2.5',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 1.0
histogram aigateway_request_duration_seconds_bucket{le='30.0',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 1.0
histogram aigateway_request_duration_seconds_bucket{le='5.0',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 1.0
histogram aigateway_request_duration_seconds_bucket{le='60.0',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 1.0
histogram aigateway_request_duration_seconds_bucket{le='inf',model='gpt-4o-mini',provider='openai',tenant_id='acme'} 1.0
histogram aigateway_request_duration_seconds_count{model='gpt-4o-mini',provider='openai',tenant_id='acme'} 1.0
histogram aigateway_request_duration_seconds_sum{model='gpt-4o-mini',provider='openai',tenant_id='acme'} 1.5
";

/// The family samples above, and the self-metrics of the default
/// metrics' families, all at zero: nothing overflowed and no value was
/// rejected.
fn expected() -> String {
    let mut lines: Vec<String> = EXPECTED.lines().map(str::to_owned).collect();
    for d in GatewayMetrics::default().descriptors() {
        let family = d.name;
        lines.push(format!(
            "counter aigateway_metrics_series_overflow_total{{family='{family}'}} 0.0"
        ));
        for reason in Reason::ALL {
            let reason = reason.label();
            lines.push(format!(
                "counter aigateway_metrics_rejected_values_total{{family='{family}',reason='{reason}'}} 0.0"
            ));
        }
    }
    lines.sort();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn python_client_reads_back_every_sample_of_the_text_format() {
    assert_eq!(
        parse_with_python("text", &example_exposition(&[])),
        expected()
    );
}

#[test]
fn python_client_reads_back_every_sample_of_openmetrics() {
    let exposition = example_exposition(&["--openmetrics"]);
    assert!(exposition.ends_with("# EOF\n"));
    assert_eq!(parse_with_python("openmetrics", &exposition), expected());
}

#[test]
fn promtool_accepts_the_text_format() {
    support::assert_promtool_accepts(&example_exposition(&[]));
}
