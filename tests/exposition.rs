//! The exact exposition of every gateway family, in both formats.

mod support;

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{
    encode, CircuitState, FallbackModel, FallbackProvider, FallbackReason, Format, GatewayMetrics,
    MetricFamily, Model, Provider, ProviderErrorType, RetryReason, Status, TenantId,
};
use support::without_self_metrics;

const ACME: TenantId = TenantId("acme");
const GLOBEX: TenantId = TenantId("globex");
const OPENAI: Provider = Provider("openai");
const ANTHROPIC: Provider = Provider("anthropic");
const MINI: Model = Model("gpt-4o-mini");

/// The family alone in a registry, in both formats.
fn expose(family: &impl MetricFamily) -> (String, String) {
    let mut registry = Registry::default();
    family.register(&mut registry);
    (
        without_self_metrics(&encode(&registry, Format::Prometheus)),
        without_self_metrics(&encode(&registry, Format::OpenMetrics)),
    )
}

#[test]
fn requests() {
    let m = GatewayMetrics::default();
    m.requests.inc(GLOBEX, OPENAI, MINI, Status::Error);
    m.requests.inc(ACME, OPENAI, MINI, Status::Success);
    m.requests.inc_by(ACME, OPENAI, MINI, Status::Success, 2);
    let (text, om) = expose(&m.requests);
    let series = "\
aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"success\"} 3
aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"error\"} 0
aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"rate_limited\"} 0
aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"budget_exceeded\"} 0
aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"invalid_request\"} 0
aigateway_requests_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"cancelled\"} 0
aigateway_requests_total{tenant_id=\"globex\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"success\"} 0
aigateway_requests_total{tenant_id=\"globex\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"error\"} 1
aigateway_requests_total{tenant_id=\"globex\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"rate_limited\"} 0
aigateway_requests_total{tenant_id=\"globex\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"budget_exceeded\"} 0
aigateway_requests_total{tenant_id=\"globex\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"invalid_request\"} 0
aigateway_requests_total{tenant_id=\"globex\",provider=\"openai\",model=\"gpt-4o-mini\",status=\"cancelled\"} 0
";
    assert_eq!(
        text,
        "# HELP aigateway_requests_total Total requests processed.\n\
         # TYPE aigateway_requests_total counter\n"
            .to_owned()
            + series
    );
    assert_eq!(
        om,
        "# HELP aigateway_requests Total requests processed.\n\
         # TYPE aigateway_requests counter\n"
            .to_owned()
            + series
            + "# EOF\n"
    );
}

#[test]
fn request_duration() {
    let m = GatewayMetrics::default();
    for seconds in [0.1, 0.3, 1.5, 119.0, 500.0] {
        m.request_duration
            .observe(ACME, OPENAI, MINI, seconds)
            .unwrap();
    }
    let (text, om) = expose(&m.request_duration);
    let labels = "tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\"";
    let buckets = |les: [&str; 11]| {
        let counts = [1, 1, 2, 2, 3, 3, 3, 3, 3, 4, 5];
        les.iter()
            .zip(counts)
            .map(|(le, n)| {
                format!("aigateway_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {n}\n")
            })
            .collect::<String>()
    };
    let head =
        "# HELP aigateway_request_duration_seconds Request latency distribution, in seconds.\n\
                # TYPE aigateway_request_duration_seconds histogram\n";
    assert_eq!(
        text,
        format!(
            "{head}{}aigateway_request_duration_seconds_sum{{{labels}}} 620.9\n\
             aigateway_request_duration_seconds_count{{{labels}}} 5\n",
            buckets(["0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "120", "+Inf"])
        )
    );
    // OpenMetrics puts `le` first and writes bounds as floats.
    let om_buckets = [
        "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "30.0", "60.0", "120.0", "+Inf",
    ]
    .iter()
    .zip([1, 1, 2, 2, 3, 3, 3, 3, 3, 4, 5])
    .map(|(le, n)| {
        format!("aigateway_request_duration_seconds_bucket{{le=\"{le}\",{labels}}} {n}\n")
    })
    .collect::<String>();
    assert_eq!(
        om,
        format!(
            "{head}aigateway_request_duration_seconds_sum{{{labels}}} 620.9\n\
             aigateway_request_duration_seconds_count{{{labels}}} 5\n\
             {om_buckets}# EOF\n"
        )
    );
}

#[test]
fn tokens() {
    let m = GatewayMetrics::default();
    m.record_tokens(ACME, OPENAI, MINI, 100, 50);
    m.record_tokens(ACME, OPENAI, MINI, 1, 2);
    let (text, om) = expose(&m.tokens);
    let series = "\
aigateway_tokens_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\",type=\"input\"} 101
aigateway_tokens_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\",type=\"output\"} 52
";
    assert_eq!(
        text,
        "# HELP aigateway_tokens_total Total tokens, by type: input, output, cached input, cache creation, reasoning.\n\
         # TYPE aigateway_tokens_total counter\n"
            .to_owned()
            + series
    );
    assert_eq!(
        om,
        "# HELP aigateway_tokens Total tokens, by type: input, output, cached input, cache creation, reasoning.\n\
         # TYPE aigateway_tokens counter\n"
            .to_owned()
            + series
            + "# EOF\n"
    );
}

#[test]
fn cost() {
    let m = GatewayMetrics::default();
    m.record_cost(ACME, OPENAI, MINI, 0.015).unwrap();
    m.record_cost(ACME, ANTHROPIC, Model("claude-3-5-sonnet"), 2.5)
        .unwrap();
    let (text, om) = expose(&m.cost);
    let series = "\
aigateway_cost_usd_total{tenant_id=\"acme\",provider=\"anthropic\",model=\"claude-3-5-sonnet\"} 2.5
aigateway_cost_usd_total{tenant_id=\"acme\",provider=\"openai\",model=\"gpt-4o-mini\"} 0.015
";
    assert_eq!(
        text,
        "# HELP aigateway_cost_usd_total Cumulative cost in USD.\n\
         # TYPE aigateway_cost_usd_total counter\n"
            .to_owned()
            + series
    );
    assert_eq!(
        om,
        "# HELP aigateway_cost_usd Cumulative cost in USD.\n\
         # TYPE aigateway_cost_usd counter\n"
            .to_owned()
            + series
            + "# EOF\n"
    );
}

/// The three families with the tenant as their only label.
#[test]
fn cache_and_rate_limit() {
    let m = GatewayMetrics::default();
    m.record_cache_hit(ACME);
    m.record_cache_hit(ACME);
    m.record_cache_miss(GLOBEX);
    m.record_rate_limit_hit(GLOBEX);
    for (family, base, help, series) in [
        (
            expose(&m.cache_hits),
            "aigateway_cache_hits",
            "Cache hit count.",
            "aigateway_cache_hits_total{tenant_id=\"acme\"} 2\n",
        ),
        (
            expose(&m.cache_misses),
            "aigateway_cache_misses",
            "Cache miss count.",
            "aigateway_cache_misses_total{tenant_id=\"globex\"} 1\n",
        ),
        (
            expose(&m.rate_limit_hits),
            "aigateway_rate_limit_hits",
            "Rate limit rejections.",
            "aigateway_rate_limit_hits_total{tenant_id=\"globex\"} 1\n",
        ),
    ] {
        let (text, om) = family;
        assert_eq!(
            text,
            format!("# HELP {base}_total {help}\n# TYPE {base}_total counter\n{series}")
        );
        assert_eq!(
            om,
            format!("# HELP {base} {help}\n# TYPE {base} counter\n{series}# EOF\n")
        );
    }
}

#[test]
fn circuit_breaker_state() {
    let m = GatewayMetrics::default();
    m.set_circuit_breaker_state(OPENAI, CircuitState::Open);
    m.set_circuit_breaker_state(ANTHROPIC, CircuitState::HalfOpen);
    m.set_circuit_breaker_state(Provider("google"), CircuitState::Open);
    m.set_circuit_breaker_state(Provider("google"), CircuitState::Closed);
    let (text, om) = expose(&m.circuit_breaker_state);
    let body = "\
# HELP aigateway_circuit_breaker_state Circuit breaker state: 0=closed, 1=half-open, 2=open.
# TYPE aigateway_circuit_breaker_state gauge
aigateway_circuit_breaker_state{provider=\"anthropic\"} 1
aigateway_circuit_breaker_state{provider=\"google\"} 0
aigateway_circuit_breaker_state{provider=\"openai\"} 2
";
    assert_eq!(text, body);
    assert_eq!(om, body.to_owned() + "# EOF\n");
}

#[test]
fn provider_errors() {
    let m = GatewayMetrics::default();
    m.record_provider_error(OPENAI, ProviderErrorType::Timeout);
    m.record_provider_error(OPENAI, ProviderErrorType::Timeout);
    m.record_provider_error(OPENAI, ProviderErrorType::Authentication);
    let (text, om) = expose(&m.provider_errors);
    let series = "\
aigateway_provider_errors_total{provider=\"openai\",error_type=\"timeout\"} 2
aigateway_provider_errors_total{provider=\"openai\",error_type=\"rate_limited\"} 0
aigateway_provider_errors_total{provider=\"openai\",error_type=\"server_error\"} 0
aigateway_provider_errors_total{provider=\"openai\",error_type=\"connection\"} 0
aigateway_provider_errors_total{provider=\"openai\",error_type=\"bad_request\"} 0
aigateway_provider_errors_total{provider=\"openai\",error_type=\"authentication\"} 1
aigateway_provider_errors_total{provider=\"openai\",error_type=\"other\"} 0
";
    assert_eq!(
        text,
        "# HELP aigateway_provider_errors_total Provider error count.\n\
         # TYPE aigateway_provider_errors_total counter\n"
            .to_owned()
            + series
    );
    assert_eq!(
        om,
        "# HELP aigateway_provider_errors Provider error count.\n\
         # TYPE aigateway_provider_errors counter\n"
            .to_owned()
            + series
            + "# EOF\n"
    );
}

#[test]
fn retries() {
    let m = GatewayMetrics::default();
    m.record_retry(OPENAI, MINI, RetryReason::Timeout);
    m.record_retry(OPENAI, MINI, ProviderErrorType::ServerError.into());
    m.record_retry(OPENAI, MINI, ProviderErrorType::ServerError.into());
    let (text, om) = expose(&m.retries);
    let series = "\
aigateway_retries_total{provider=\"openai\",model=\"gpt-4o-mini\",reason=\"timeout\"} 1
aigateway_retries_total{provider=\"openai\",model=\"gpt-4o-mini\",reason=\"rate_limited\"} 0
aigateway_retries_total{provider=\"openai\",model=\"gpt-4o-mini\",reason=\"server_error\"} 2
aigateway_retries_total{provider=\"openai\",model=\"gpt-4o-mini\",reason=\"connection\"} 0
aigateway_retries_total{provider=\"openai\",model=\"gpt-4o-mini\",reason=\"other\"} 0
";
    let help = "Requests asked again of the same provider and model after a failure.";
    assert_eq!(
        text,
        format!("# HELP aigateway_retries_total {help}\n# TYPE aigateway_retries_total counter\n{series}")
    );
    assert_eq!(
        om,
        format!(
            "# HELP aigateway_retries {help}\n# TYPE aigateway_retries counter\n{series}# EOF\n"
        )
    );
}

#[test]
fn fallbacks() {
    let m = GatewayMetrics::default();
    let haiku = (
        FallbackProvider("anthropic"),
        FallbackModel("claude-3-5-haiku"),
    );
    m.record_fallback(OPENAI, MINI, haiku.0, haiku.1, FallbackReason::CircuitOpen);
    m.record_fallback(
        OPENAI,
        MINI,
        haiku.0,
        haiku.1,
        ProviderErrorType::Authentication.into(),
    );
    let (text, om) = expose(&m.fallbacks);
    let labels = "provider=\"openai\",model=\"gpt-4o-mini\",\
                  fallback_provider=\"anthropic\",fallback_model=\"claude-3-5-haiku\"";
    let series: String = [
        ("timeout", 0),
        ("rate_limited", 0),
        ("server_error", 0),
        ("connection", 0),
        ("authentication", 1),
        ("circuit_open", 1),
        ("other", 0),
    ]
    .iter()
    .map(|(reason, n)| format!("aigateway_fallbacks_total{{{labels},reason=\"{reason}\"}} {n}\n"))
    .collect();
    let help = "Requests passed on to another provider or model after a failure, \
                or because the first one's circuit breaker was open.";
    assert_eq!(
        text,
        format!("# HELP aigateway_fallbacks_total {help}\n# TYPE aigateway_fallbacks_total counter\n{series}")
    );
    assert_eq!(
        om,
        format!("# HELP aigateway_fallbacks {help}\n# TYPE aigateway_fallbacks counter\n{series}# EOF\n")
    );
}

#[test]
fn active_streams() {
    let m = GatewayMetrics::default();
    let head = "# HELP aigateway_active_streams Current active SSE connections.\n\
                # TYPE aigateway_active_streams gauge\n";
    // Exposed at zero before any stream, since it has no open-set label.
    assert_eq!(
        expose(&m.active_streams).0,
        format!("{head}aigateway_active_streams 0\n")
    );
    let first = m.stream_started();
    let second = m.stream_started();
    drop(first);
    let (text, om) = expose(&m.active_streams);
    assert_eq!(text, format!("{head}aigateway_active_streams 1\n"));
    assert_eq!(om, format!("{head}aigateway_active_streams 1\n# EOF\n"));
    drop(second);
    assert_eq!(
        expose(&m.active_streams).0,
        format!("{head}aigateway_active_streams 0\n")
    );
}

#[test]
fn budget_usage() {
    let m = GatewayMetrics::default();
    m.set_budget_usage(ACME, 0.75).unwrap();
    m.set_budget_usage(GLOBEX, 1.25).unwrap();
    let (text, om) = expose(&m.budget_usage);
    let body = "\
# HELP aigateway_budget_usage_ratio Budget usage: 0.0 to 1.0, above 1.0 once over budget.
# TYPE aigateway_budget_usage_ratio gauge
aigateway_budget_usage_ratio{tenant_id=\"acme\"} 0.75
aigateway_budget_usage_ratio{tenant_id=\"globex\"} 1.25
";
    assert_eq!(text, body);
    assert_eq!(om, body.to_owned() + "# EOF\n");
}

/// The group registers all sixteen families, in declaration order, then
/// its self-metrics.
#[test]
fn group_registers_every_family_in_order() {
    let m = GatewayMetrics::default();
    let mut registry = Registry::default();
    m.register(&mut registry);
    let text = encode(&registry, Format::Prometheus);
    let types: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE ")).collect();
    assert_eq!(
        types,
        [
            "# TYPE aigateway_requests_total counter",
            "# TYPE aigateway_request_duration_seconds histogram",
            "# TYPE aigateway_tokens_total counter",
            "# TYPE aigateway_cost_usd_total counter",
            "# TYPE aigateway_cache_hits_total counter",
            "# TYPE aigateway_cache_misses_total counter",
            "# TYPE aigateway_rate_limit_hits_total counter",
            "# TYPE aigateway_circuit_breaker_state gauge",
            "# TYPE aigateway_provider_errors_total counter",
            "# TYPE aigateway_retries_total counter",
            "# TYPE aigateway_fallbacks_total counter",
            "# TYPE aigateway_active_streams gauge",
            "# TYPE aigateway_budget_usage_ratio gauge",
            "# TYPE aigateway_time_to_first_token_seconds histogram",
            "# TYPE aigateway_time_per_output_token_seconds histogram",
            "# TYPE aigateway_gateway_overhead_seconds histogram",
            "# TYPE aigateway_metrics_series_overflow_total counter",
            "# TYPE aigateway_metrics_rejected_values_total counter",
        ]
    );
    let names: Vec<&str> = m.descriptors().iter().map(|d| d.name).collect();
    assert_eq!(
        names,
        types[..16]
            .iter()
            .map(|t| t.split(' ').nth(2).unwrap())
            .collect::<Vec<_>>()
    );
}

/// Two instances in one process keep separate series.
#[test]
fn instances_are_independent() {
    let (a, b) = (GatewayMetrics::default(), GatewayMetrics::default());
    a.record_cache_hit(ACME);
    assert_eq!(
        expose(&a.cache_hits).0.lines().last(),
        Some("aigateway_cache_hits_total{tenant_id=\"acme\"} 1")
    );
    assert_eq!(expose(&b.cache_hits).0.lines().count(), 2);
}

/// A tenant's and a provider's counters exist at zero before the first event.
#[test]
fn init_creates_series_at_zero() {
    let m = GatewayMetrics::default();
    m.init_tenant(ACME);
    m.init_provider(OPENAI);
    let mut registry = Registry::default();
    m.register(&mut registry);
    let samples: Vec<String> = encode(&registry, Format::Prometheus)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("aigateway_metrics_"))
        .map(str::to_owned)
        .collect();
    let mut expected = vec![
        "aigateway_cache_hits_total{tenant_id=\"acme\"} 0".to_owned(),
        "aigateway_cache_misses_total{tenant_id=\"acme\"} 0".to_owned(),
        "aigateway_rate_limit_hits_total{tenant_id=\"acme\"} 0".to_owned(),
    ];
    for error_type in [
        "timeout",
        "rate_limited",
        "server_error",
        "connection",
        "bad_request",
        "authentication",
        "other",
    ] {
        expected.push(format!(
            "aigateway_provider_errors_total{{provider=\"openai\",error_type=\"{error_type}\"}} 0"
        ));
    }
    expected.push("aigateway_active_streams 0".to_owned());
    assert_eq!(samples, expected);
}

/// Requests by status, exposing only the statuses recorded into.
#[derive(aigateway_metrics::Metric)]
#[metric(counter, name = "aigateway_test_sparse_total", expose = "recorded")]
struct Sparse<'a> {
    tenant_id: TenantId<'a>,
    status: Status,
    error_type: ProviderErrorType,
}

/// A family declared with `expose = "recorded"` exposes a closed-set value
/// once recorded into, `inc_by(0)` included, and no other: here 3 of the
/// 35 combinations of a tenant's statuses and error types.
#[test]
fn a_family_can_expose_only_the_values_recorded() {
    let sparse = SparseFamily::new();
    sparse.inc(ACME, Status::Error, ProviderErrorType::Timeout);
    sparse.inc(ACME, Status::Error, ProviderErrorType::Timeout);
    sparse.inc(ACME, Status::Success, ProviderErrorType::Other);
    sparse.inc_by(
        GLOBEX,
        Status::RateLimited,
        ProviderErrorType::RateLimited,
        0,
    );
    let (text, _) = expose(&sparse);
    assert_eq!(
        text,
        "# HELP aigateway_test_sparse_total Requests by status, exposing only the statuses recorded into.\n\
         # TYPE aigateway_test_sparse_total counter\n\
         aigateway_test_sparse_total{tenant_id=\"acme\",status=\"success\",error_type=\"other\"} 1\n\
         aigateway_test_sparse_total{tenant_id=\"acme\",status=\"error\",error_type=\"timeout\"} 2\n\
         aigateway_test_sparse_total{tenant_id=\"globex\",status=\"rate_limited\",error_type=\"rate_limited\"} 0\n"
    );
}

/// `inc_by_each` adds to several closed-set values of one series, with one
/// lookup, as `inc_by` of each would.
#[test]
fn inc_by_each_adds_to_several_cells_of_one_series() {
    let sparse = SparseFamily::new();
    sparse.inc_by_each(
        ACME,
        [
            ((Status::Error, ProviderErrorType::Timeout), 2),
            ((Status::Success, ProviderErrorType::Other), 1),
            ((Status::Error, ProviderErrorType::Timeout), 3),
        ],
    );
    sparse.inc_by(ACME, Status::Success, ProviderErrorType::Other, 10);
    let (text, _) = expose(&sparse);
    assert!(text.ends_with(
        "aigateway_test_sparse_total{tenant_id=\"acme\",status=\"success\",error_type=\"other\"} 11\n\
         aigateway_test_sparse_total{tenant_id=\"acme\",status=\"error\",error_type=\"timeout\"} 5\n"
    ), "{text}");
    assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 2);
}

/// Sessions opened.
///
/// This second paragraph is for the reader of the code, not the HELP text.
#[derive(aigateway_metrics::Metric)]
#[metric(counter, name = "aigateway_sessions_total")]
struct Sessions;

#[test]
fn help_is_the_first_paragraph_of_the_doc_comment() {
    let (text, _) = expose(&SessionsFamily::new());
    assert!(
        text.starts_with("# HELP aigateway_sessions_total Sessions opened.\n"),
        "{text}"
    );
    let mut registry = Registry::default();
    aigateway_metrics::gateway::build_info("1.0.0", "abc").register(&mut registry);
    assert!(encode(&registry, Format::Prometheus).starts_with(
        "# HELP aigateway_build_info Which build of the gateway is running: 1, with its version and revision as labels.\n"
    ));
}
