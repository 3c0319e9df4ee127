use aigateway_metrics::{Metric, TenantId};

/// Requests.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total")]
struct Requests<'a> {
    #[metric(rename = "tenant-id")]
    tenant_id: TenantId<'a>,
}

fn main() {}
