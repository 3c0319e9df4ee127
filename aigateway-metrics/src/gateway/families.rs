//! The eleven families of the gateway, and its build info, declared as the
//! derive reads them.
//! Each struct is a declaration only: its fields name the labels, in
//! exposition order; the handle to record with is `<Struct>Family`.

use super::labels::{
    CircuitState, Model, Provider, ProviderErrorType, Status, TenantId, TokenType,
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
