//! The two families the example gateway adds for streams, declared with the
//! same derive as any user would. Buckets are those of the OpenTelemetry
//! GenAI semantic conventions (`gen_ai.server.time_to_first_token` and
//! `gen_ai.server.time_per_output_token`).

use aigateway_metrics::{Metric, MetricGroup, Model, Provider, TenantId};

/// Time from the request to the first streamed token, in seconds.
#[derive(Metric)]
#[metric(
    histogram,
    name = "aigateway_time_to_first_token_seconds",
    buckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
)]
pub struct TimeToFirstToken<'a> {
    tenant_id: TenantId<'a>,
    provider: Provider<'a>,
    model: Model<'a>,
}

/// Time per output token after the first one of a stream, in seconds.
#[derive(Metric)]
#[metric(
    histogram,
    name = "aigateway_time_per_output_token_seconds",
    buckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5]
)]
pub struct TimePerOutputToken<'a> {
    tenant_id: TenantId<'a>,
    provider: Provider<'a>,
    model: Model<'a>,
}

/// The example's own families.
#[derive(MetricGroup, Clone, Debug)]
pub struct StreamMetrics {
    pub time_to_first_token: TimeToFirstTokenFamily,
    pub time_per_output_token: TimePerOutputTokenFamily,
}
