use aigateway_metrics::{Metric, TenantId};

/// Requests.
#[derive(Metric)]
#[metric(counter, gauge, name = "aigateway_requests_total")]
struct Requests<'a> {
    tenant_id: TenantId<'a>,
}

fn main() {}
