// A definition error is reported once: the handle it would have made is
// still there, with its methods, so its uses add no errors of their own.
use aigateway_metrics::prometheus_client::registry::Registry;
use aigateway_metrics::{Metric, MetricGroup, TenantId};

/// Requests.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests")]
struct Requests<'a> {
    tenant_id: TenantId<'a>,
}

#[derive(MetricGroup)]
struct Mine {
    requests: RequestsFamily,
}

fn main() {
    let requests = RequestsFamily::new();
    requests.inc(TenantId("acme"));
    requests.inc_by(TenantId("acme"), 2);
    requests.forget_tenant_id(TenantId("acme"));
    let mut registry = Registry::default();
    requests.register(&mut registry);
    Mine::default().register(&mut registry);
}
