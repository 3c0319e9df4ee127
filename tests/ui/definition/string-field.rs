// A `String` label says what to use instead, once, and its uses say
// nothing more.
use aigateway_metrics::{Metric, TenantId};

/// Requests.
#[derive(Metric)]
#[metric(counter, name = "aigateway_requests_total")]
struct Requests {
    tenant_id: String,
}

fn main() {
    RequestsFamily::new().inc(TenantId("acme"));
}
