//! Records one sample through every call of the gateway API and prints the
//! exposition: the Prometheus text format, or OpenMetrics with `--openmetrics`.
//!
//! ```text
//! cargo run --example exposition [-- --openmetrics]
//! ```

use std::process::ExitCode;

use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{
    encode, CircuitState, Format, GatewayMetrics, Model, Provider, ProviderErrorType, Status,
    TenantId, ValueError,
};

fn main() -> ExitCode {
    let format = match std::env::args().nth(1).as_deref() {
        None => Format::Prometheus,
        Some("--openmetrics") => Format::OpenMetrics,
        Some(other) => {
            eprintln!("unknown argument {other:?}; usage: exposition [--openmetrics]");
            return ExitCode::from(2);
        }
    };
    let metrics = GatewayMetrics::default();
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    if let Err(err) = record(&metrics) {
        eprintln!("{err}");
        return ExitCode::FAILURE;
    }
    print!("{}", encode(&registry, format));
    ExitCode::SUCCESS
}

/// One of each call, with the seed document's values.
fn record(metrics: &GatewayMetrics) -> Result<(), ValueError> {
    let (tenant, provider, model) = (TenantId("acme"), Provider("openai"), Model("gpt-4o-mini"));
    metrics.record_request(tenant, provider, model, Status::Success, 1.5)?;
    metrics.record_tokens(tenant, provider, model, 100, 50);
    metrics.record_cost(tenant, provider, model, 0.015)?;
    metrics.record_cache_hit(tenant);
    metrics.record_cache_miss(tenant);
    metrics.record_rate_limit_hit(tenant);
    metrics.set_circuit_breaker_state(provider, CircuitState::Closed);
    metrics.record_provider_error(provider, ProviderErrorType::Timeout);
    metrics.set_budget_usage(tenant, 0.75)?;
    // Still open when the exposition is printed, so the gauge shows 1.
    let stream = metrics.stream_started();
    std::mem::forget(stream);
    Ok(())
}
