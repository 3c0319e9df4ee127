use aigateway_metrics::{Metric, TenantId};

#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total")]
struct Requests<'a> {
    tenant_id: TenantId<'a>,
}

fn main() {}
