use aigateway_metrics::{Metric, TenantId};

/// Requests.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total", help = "Requests.")]
struct Requests<'a> {
    tenant_id: TenantId<'a>,
}

fn main() {}
