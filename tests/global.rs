//! The process-wide metrics and their free functions, one per call of the
//! seed document. This test binary is its own process, so it owns them.

use aigateway_metrics::{
    global, CircuitState, Format, LabelEnum, Metric, Model, Provider, ProviderErrorType, Status,
    TenantId,
};

/// Queue depth, a family of the user's own.
#[derive(Metric)]
#[metric(gauge, name = "aigateway_queue_depth")]
struct QueueDepth;

#[test]
fn free_functions_record_into_the_process_wide_registry() {
    let (t, p, m) = (TenantId("acme"), Provider("openai"), Model("gpt-4o"));
    aigateway_metrics::record_request(t, p, m, Status::Success, 1.5).unwrap();
    aigateway_metrics::record_tokens(t, p, m, 100, 50);
    aigateway_metrics::record_cost(t, p, m, 0.015).unwrap();
    aigateway_metrics::record_cache_hit(t);
    aigateway_metrics::record_cache_miss(t);
    aigateway_metrics::record_rate_limit_hit(t);
    aigateway_metrics::set_circuit_breaker_state(p, CircuitState::HalfOpen);
    aigateway_metrics::record_provider_error(p, ProviderErrorType::Timeout);
    aigateway_metrics::set_budget_usage(t, 0.75).unwrap();
    let stream = aigateway_metrics::stream_started();

    let queue = QueueDepthFamily::new();
    global::register(&queue);
    queue.set(7);

    let text = global::encode(Format::Prometheus);
    let labels = "tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o\"";
    for line in [
        format!("aigateway_requests_total{{{labels},status=\"success\"}} 1"),
        format!("aigateway_request_duration_seconds_sum{{{labels}}} 1.5"),
        format!("aigateway_tokens_total{{{labels},type=\"input\"}} 100"),
        format!("aigateway_tokens_total{{{labels},type=\"output\"}} 50"),
        format!("aigateway_cost_usd_total{{{labels}}} 0.015"),
        "aigateway_cache_hits_total{tenant_id=\"acme\"} 1".to_owned(),
        "aigateway_cache_misses_total{tenant_id=\"acme\"} 1".to_owned(),
        "aigateway_rate_limit_hits_total{tenant_id=\"acme\"} 1".to_owned(),
        "aigateway_circuit_breaker_state{provider=\"openai\"} 1".to_owned(),
        "aigateway_provider_errors_total{provider=\"openai\",error_type=\"timeout\"} 1".to_owned(),
        "aigateway_budget_usage_ratio{tenant_id=\"acme\"} 0.75".to_owned(),
        "aigateway_active_streams 1".to_owned(),
        "aigateway_queue_depth 7".to_owned(),
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
    drop(stream);
    assert!(global::encode(Format::OpenMetrics).contains("\naigateway_active_streams 0\n"));
    assert_eq!(ProviderErrorType::VALUES.len(), 7);
}
