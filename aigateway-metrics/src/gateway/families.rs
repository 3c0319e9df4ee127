//! The families of the gateway (the seed's eleven, and the timings of a
//! streamed answer), and its build info, declared as the derive reads them.
//! Each struct is a declaration only: its fields name the labels, in
//! exposition order; the handle to record with is `<Struct>Family`.

use super::labels::{
    CircuitState, FallbackModel, FallbackProvider, FallbackReason, Model, Provider,
    ProviderErrorType, RetryReason, Status, TenantId, TokenType,
};
use crate::{Metric, Usd};

/// Total requests processed.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total")]
pub struct Requests<'a> {
    tenant_id: TenantId<'a>,
    provider: Provider<'a>,
    model: Model<'a>,
    status: Status,
}

/// Request latency distribution, in seconds.
#[derive(Metric)]
#[metric(
    histogram,
    name = "aigateway_request_duration_seconds",
    buckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
)]
pub struct RequestDuration<'a> {
    tenant_id: TenantId<'a>,
    provider: Provider<'a>,
    model: Model<'a>,
}

/// Total tokens, by type: input, output, cached input, cache creation, reasoning.
///
/// Only the types recorded for a route are exposed: a provider without a
/// prompt cache shows no `cached_input` series.
#[derive(Metric)]
#[metric(counter, name = "aigateway_tokens_total", expose = "recorded")]
pub struct Tokens<'a> {
    tenant_id: TenantId<'a>,
    provider: Provider<'a>,
    model: Model<'a>,
    r#type: TokenType,
}

/// Cumulative cost in USD.
#[derive(Metric)]
#[metric(counter, name = "aigateway_cost_usd_total", value = Usd)]
pub struct Cost<'a> {
    tenant_id: TenantId<'a>,
    provider: Provider<'a>,
    model: Model<'a>,
}

/// Cache hit count.
#[derive(Metric)]
#[metric(counter, name = "aigateway_cache_hits_total")]
pub struct CacheHits<'a> {
    tenant_id: TenantId<'a>,
}

/// Cache miss count.
#[derive(Metric)]
#[metric(counter, name = "aigateway_cache_misses_total")]
pub struct CacheMisses<'a> {
    tenant_id: TenantId<'a>,
}

/// Rate limit rejections.
#[derive(Metric)]
#[metric(counter, name = "aigateway_rate_limit_hits_total")]
pub struct RateLimitHits<'a> {
    tenant_id: TenantId<'a>,
}

/// Circuit breaker state: 0=closed, 1=half-open, 2=open.
#[derive(Metric)]
#[metric(gauge, name = "aigateway_circuit_breaker_state", value = CircuitState)]
pub struct CircuitBreakerState<'a> {
    provider: Provider<'a>,
}

/// Provider error count.
#[derive(Metric)]
#[metric(counter, name = "aigateway_provider_errors_total")]
pub struct ProviderErrors<'a> {
    provider: Provider<'a>,
    error_type: ProviderErrorType,
}

/// Requests asked again of the same provider and model after a failure.
///
/// The request itself is counted once, in `aigateway_requests_total`, with
/// the status of its last attempt.
#[derive(Metric)]
#[metric(counter, name = "aigateway_retries_total")]
pub struct Retries<'a> {
    provider: Provider<'a>,
    model: Model<'a>,
    reason: RetryReason,
}

/// Requests passed on to another provider or model after a failure, or
/// because the first one's circuit breaker was open.
///
/// `provider` and `model` are the route that failed, as in
/// `aigateway_provider_errors_total`; the request is counted under the route
/// that answered it.
#[derive(Metric)]
#[metric(counter, name = "aigateway_fallbacks_total")]
pub struct Fallbacks<'a> {
    provider: Provider<'a>,
    model: Model<'a>,
    fallback_provider: FallbackProvider<'a>,
    fallback_model: FallbackModel<'a>,
    reason: FallbackReason,
}

/// Current active SSE connections.
#[derive(Metric)]
#[metric(gauge, name = "aigateway_active_streams")]
pub struct ActiveStreams;

/// Budget usage: 0.0 to 1.0, above 1.0 once over budget.
#[derive(Metric)]
#[metric(gauge, name = "aigateway_budget_usage_ratio", value = f64)]
pub struct BudgetUsage<'a> {
    tenant_id: TenantId<'a>,
}

/// Which build of the gateway is running: 1, with its version and revision
/// as labels.
///
/// Made by [`build_info`](super::build_info).
#[derive(Metric)]
#[metric(gauge, name = "aigateway_build_info", limit = 1)]
pub struct BuildInfo<'a> {
    version: &'a str,
    revision: &'a str,
}

/// Time from the request to the first streamed token, in seconds.
///
/// Buckets are those of the OpenTelemetry GenAI semantic conventions
/// (`gen_ai.server.time_to_first_token`); by provider and model, as there.
#[derive(Metric)]
#[metric(
    histogram,
    name = "aigateway_time_to_first_token_seconds",
    buckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
)]
pub struct TimeToFirstToken<'a> {
    provider: Provider<'a>,
    model: Model<'a>,
}

/// Time per output token after the first one of a stream, in seconds.
///
/// Buckets are those of `gen_ai.server.time_per_output_token`.
#[derive(Metric)]
#[metric(
    histogram,
    name = "aigateway_time_per_output_token_seconds",
    buckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5]
)]
pub struct TimePerOutputToken<'a> {
    provider: Provider<'a>,
    model: Model<'a>,
}

/// Time the gateway added to a request: its duration less the provider's, in seconds.
#[derive(Metric)]
#[metric(
    histogram,
    name = "aigateway_gateway_overhead_seconds",
    buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]
)]
pub struct GatewayOverhead<'a> {
    provider: Provider<'a>,
    model: Model<'a>,
}
