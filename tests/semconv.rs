//! The OpenTelemetry GenAI semantic conventions' families: absent unless
//! asked for, then recorded by the gateway's own calls, exactly, under the
//! names an OTLP to Prometheus translation gives them.

mod support;

use std::sync::Arc;
use std::time::Duration;

use aigateway_metrics::gateway::Usage;
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{
    encode, Format, GatewayMetrics, Model, Provider, RequestRecorder, Status, TenantId,
};
use support::without_self_metrics;

const DURATION_BOUNDS: [&str; 14] = [
    "0.01", "0.02", "0.04", "0.08", "0.16", "0.32", "0.64", "1.28", "2.56", "5.12", "10.24",
    "20.48", "40.96", "81.92",
];

fn exposition(m: &GatewayMetrics) -> String {
    let mut registry = Registry::default();
    m.register(&mut registry);
    without_self_metrics(&encode(&registry, Format::Prometheus))
}

/// The sample lines of family `name`.
fn family<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(['{', ' ', '_']) && !l.starts_with('#'))
        })
        .collect()
}

/// A histogram series' lines, in the text format: cumulative `counts` per
/// bound of `bounds`, then `+Inf`, sum and count.
fn histogram(name: &str, labels: &str, bounds: &[&str], counts: &[u64], sum: &str) -> Vec<String> {
    let total = *counts.last().unwrap();
    let mut lines: Vec<String> = bounds
        .iter()
        .zip(counts)
        .map(|(le, n)| format!("{name}_bucket{{{labels},le=\"{le}\"}} {n}"))
        .collect();
    lines.push(format!("{name}_bucket{{{labels},le=\"+Inf\"}} {total}"));
    lines.push(format!("{name}_sum{{{labels}}} {sum}"));
    lines.push(format!("{name}_count{{{labels}}} {total}"));
    lines
}

#[test]
fn the_default_metrics_have_no_semconv_family() {
    let m = GatewayMetrics::default();
    let (t, p, md) = (TenantId("acme"), Provider("openai"), Model("gpt-4o"));
    m.record_request(t, p, md, Status::Success, 0.5).unwrap();
    m.record_tokens(t, p, md, 10, 20);
    drop(m.route_series(t, p, md));
    assert!(!exposition(&m).contains("gen_ai_"));
    assert!(m.gen_ai_server_request_duration.is_none());
}

/// The seed's calls feed both: a request's duration by its error type (none
/// when it succeeded), its tokens as input and output; two tenants share
/// the provider and model's series.
#[test]
fn the_seed_calls_record_the_semconv_families_by_provider_and_model() {
    let m = GatewayMetrics::builder().otel_semconv().build().unwrap();
    let (p, md) = (Provider("openai"), Model("gpt-4o"));
    m.record_request(TenantId("acme"), p, md, Status::Success, 0.5)
        .unwrap();
    m.record_request(TenantId("globex"), p, md, Status::Success, 3.0)
        .unwrap();
    m.record_request_duration(
        TenantId("acme"),
        p,
        md,
        Status::Error,
        Duration::from_millis(15),
    );
    // A rejected duration records nothing, in either family.
    m.record_request(TenantId("acme"), p, md, Status::Success, f64::NAN)
        .unwrap_err();
    m.record_tokens(TenantId("acme"), p, md, 100, 50);
    let usage = Usage {
        input: 200,
        output: 30,
        cached_input: 800,
        cache_creation: 0,
        reasoning: 20,
    };
    m.record_usage(TenantId("globex"), p, md, &usage);

    let text = exposition(&m);
    let labels = "gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"openai\",gen_ai_request_model=\"gpt-4o\"";
    let name = "gen_ai_server_request_duration_seconds";
    let mut expected = histogram(
        name,
        &format!("{labels},error_type=\"\""),
        &DURATION_BOUNDS,
        &[0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2],
        "3.5",
    );
    expected.extend(histogram(
        name,
        &format!("{labels},error_type=\"error\""),
        &DURATION_BOUNDS,
        &[0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        "0.015",
    ));
    assert_eq!(family(&text, name), expected);

    // Input is every prompt token (1,000 with the cached ones), output
    // every completion token (50 with the reasoning ones).
    let name = "gen_ai_client_token_usage";
    // Bounds as the text format writes them (Go's `%g`).
    let bounds = [
        "1",
        "4",
        "16",
        "64",
        "256",
        "1024",
        "4096",
        "16384",
        "65536",
        "262144",
        "1.048576e+06",
        "4.194304e+06",
        "1.6777216e+07",
        "6.7108864e+07",
    ];
    let mut expected = histogram(
        name,
        &format!("{labels},gen_ai_token_type=\"input\""),
        &bounds,
        &[0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2],
        "1100.0",
    );
    expected.extend(histogram(
        name,
        &format!("{labels},gen_ai_token_type=\"output\""),
        &bounds,
        &[0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
        "100.0",
    ));
    assert_eq!(family(&text, name), expected);
}

/// A request recorder with a kept route records the stream timings and the
/// provider's time as the conventions' families too.
#[test]
fn the_request_recorder_records_stream_timings_and_the_providers_time() {
    let m = GatewayMetrics::builder().otel_semconv().build().unwrap();
    let (t, p, md) = (
        TenantId("acme"),
        Provider("anthropic"),
        Model("claude-3-5-haiku"),
    );
    let route = Arc::new(m.route_series(t, p, md));
    // Bound, the series exist; nothing recorded, none is exposed.
    let samples = exposition(&m);
    assert!(
        !samples.lines().any(|l| l.starts_with("gen_ai_")),
        "{samples}"
    );

    let mut request = RequestRecorder::start();
    request.set_route_series(Arc::clone(&route));
    request.first_token();
    std::thread::sleep(Duration::from_millis(30));
    request.last_token(4);
    request.set_upstream_duration(Duration::from_millis(250));
    request.finish(Status::Cancelled);

    let text = exposition(&m);
    let labels = "gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"anthropic\",gen_ai_request_model=\"claude-3-5-haiku\"";
    let count = |name: &str| {
        family(&text, name)
            .iter()
            .find(|l| l.starts_with(&format!("{name}_count{{")))
            .map(|l| l.to_string())
    };
    assert_eq!(
        count("gen_ai_server_time_to_first_token_seconds"),
        Some(format!(
            "gen_ai_server_time_to_first_token_seconds_count{{{labels}}} 1"
        ))
    );
    assert_eq!(
        count("gen_ai_server_time_per_output_token_seconds"),
        Some(format!(
            "gen_ai_server_time_per_output_token_seconds_count{{{labels}}} 1"
        ))
    );
    // The provider's 250 ms, with the request's error type.
    let name = "gen_ai_client_operation_duration_seconds";
    assert_eq!(
        family(&text, name),
        histogram(
            name,
            &format!("{labels},error_type=\"cancelled\""),
            &DURATION_BOUNDS,
            &[0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            "0.25",
        )
    );
    let server = family(&text, "gen_ai_server_request_duration_seconds");
    assert_eq!(
        server.last().copied(),
        Some(format!("gen_ai_server_request_duration_seconds_count{{{labels},error_type=\"cancelled\"}} 1").as_str())
    );
}

/// What docs/operations.md says the conventions' families cost: 103
/// series for a provider and model whose requests all succeed, streamed;
/// 34 more (17 a family) for each other error type seen; none per tenant.
#[test]
fn a_provider_and_model_cost_103_semconv_series() {
    let m = GatewayMetrics::builder().otel_semconv().build().unwrap();
    let (p, md) = (Provider("openai"), Model("gpt-4o"));
    let request = |tenant: &'static str, status: Status| {
        let mut request = RequestRecorder::start();
        request.set_route_series(Arc::new(m.route_series(TenantId(tenant), p, md)));
        request.record_tokens(10, 20);
        request.first_token();
        request.last_token(20);
        request.set_upstream_duration(Duration::from_millis(5));
        request.finish(status);
    };
    let semconv = || {
        exposition(&m)
            .lines()
            .filter(|l| l.starts_with("gen_ai_"))
            .count()
    };
    for tenant in ["a", "b", "c"] {
        request(tenant, Status::Success);
    }
    // Duration histograms: 14 buckets, +Inf, sum, count; token usage: two
    // of those; the stream timings: 16 and 13 buckets.
    assert_eq!(semconv(), 17 + 17 + 2 * 17 + 19 + 16);
    request("a", Status::Error);
    assert_eq!(semconv(), 103 + 2 * 17);
}
