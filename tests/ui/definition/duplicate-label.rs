use aigateway_metrics::{Metric, Model, TenantId};

/// Requests.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total")]
struct Requests<'a> {
    tenant_id: TenantId<'a>,
    #[metric(rename = "tenant_id")]
    model: Model<'a>,
}

fn main() {}
