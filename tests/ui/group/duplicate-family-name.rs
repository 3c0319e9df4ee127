use aigateway_metrics::{Metric, MetricGroup, TenantId};

/// Requests.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total")]
struct Requests<'a> {
    tenant_id: TenantId<'a>,
}

/// Calls, under the same name by mistake.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total")]
struct Calls<'a> {
    tenant_id: TenantId<'a>,
}

#[derive(MetricGroup)]
struct Metrics {
    requests: RequestsFamily,
    calls: CallsFamily,
}

fn main() {}
