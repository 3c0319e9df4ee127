use aigateway_metrics::{Metric, TenantId};

/// Latency.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_latency_seconds", buckets = [0.1, 0.5, 0.5, 1])]
struct Latency<'a> {
    tenant_id: TenantId<'a>,
}

fn main() {}
