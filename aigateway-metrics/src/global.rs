//! The process-wide [`GatewayMetrics`] and its registry, for code that
//! records from anywhere, as the seed's `metrics.RecordRequest(...)` does.
//! Prefer passing a [`GatewayMetrics`] where you can: tests then get series
//! of their own.

use std::sync::LazyLock;

use parking_lot::RwLock;
use prometheus_client::registry::Registry;

use crate::gateway::{
    CircuitState, GatewayMetrics, Model, Provider, ProviderErrorType, Status, TenantId,
};
use crate::{Format, GaugeGuard, MetricFamily, ValueError};

struct Global {
    metrics: GatewayMetrics,
    registry: RwLock<Registry>,
}

static GLOBAL: LazyLock<Global> = LazyLock::new(|| {
    let metrics = GatewayMetrics::default();
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    Global {
        metrics,
        registry: RwLock::new(registry),
    }
});

/// The process-wide metrics, registered in the process-wide registry.
pub fn metrics() -> &'static GatewayMetrics {
    &GLOBAL.metrics
}

/// Adds a family of your own to the process-wide registry.
pub fn register(family: &impl MetricFamily) {
    family.register(&mut GLOBAL.registry.write());
}

/// The process-wide registry in `format`: the body of a `/metrics` answer.
pub fn encode(format: Format) -> String {
    crate::encode(&GLOBAL.registry.read(), format)
}

/// [`GatewayMetrics::record_request`] on the process-wide metrics.
pub fn record_request(
    tenant_id: TenantId<'_>,
    provider: Provider<'_>,
    model: Model<'_>,
    status: Status,
    seconds: f64,
) -> Result<(), ValueError> {
    metrics().record_request(tenant_id, provider, model, status, seconds)
}

/// [`GatewayMetrics::record_tokens`] on the process-wide metrics.
pub fn record_tokens(
    tenant_id: TenantId<'_>,
    provider: Provider<'_>,
    model: Model<'_>,
    input: u64,
    output: u64,
) {
    metrics().record_tokens(tenant_id, provider, model, input, output)
}

/// [`GatewayMetrics::record_cost`] on the process-wide metrics.
pub fn record_cost(
    tenant_id: TenantId<'_>,
    provider: Provider<'_>,
    model: Model<'_>,
    usd: f64,
) -> Result<(), ValueError> {
    metrics().record_cost(tenant_id, provider, model, usd)
}

/// [`GatewayMetrics::record_cache_hit`] on the process-wide metrics.
pub fn record_cache_hit(tenant_id: TenantId<'_>) {
    metrics().record_cache_hit(tenant_id)
}

/// [`GatewayMetrics::record_cache_miss`] on the process-wide metrics.
pub fn record_cache_miss(tenant_id: TenantId<'_>) {
    metrics().record_cache_miss(tenant_id)
}

/// [`GatewayMetrics::record_rate_limit_hit`] on the process-wide metrics.
pub fn record_rate_limit_hit(tenant_id: TenantId<'_>) {
    metrics().record_rate_limit_hit(tenant_id)
}

/// [`GatewayMetrics::set_circuit_breaker_state`] on the process-wide metrics.
pub fn set_circuit_breaker_state(provider: Provider<'_>, state: CircuitState) {
    metrics().set_circuit_breaker_state(provider, state)
}

/// [`GatewayMetrics::record_provider_error`] on the process-wide metrics.
pub fn record_provider_error(provider: Provider<'_>, error_type: ProviderErrorType) {
    metrics().record_provider_error(provider, error_type)
}

/// [`GatewayMetrics::set_budget_usage`] on the process-wide metrics.
pub fn set_budget_usage(tenant_id: TenantId<'_>, ratio: f64) -> Result<(), ValueError> {
    metrics().set_budget_usage(tenant_id, ratio)
}

/// [`GatewayMetrics::stream_started`] on the process-wide metrics.
pub fn stream_started() -> GaugeGuard {
    metrics().stream_started()
}
