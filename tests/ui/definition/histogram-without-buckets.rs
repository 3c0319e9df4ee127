use aigateway_metrics::{Metric, TenantId};

/// Latency.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_latency_seconds")]
struct Latency<'a> {
    tenant_id: TenantId<'a>,
}

fn main() {}
