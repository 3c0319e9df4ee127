// `forget` names its label in the method, so a misspelled label is a
// missing method, and a value of the wrong type a mismatch.
use aigateway_metrics::{GatewayMetrics, TenantId};

fn main() {
    let m = GatewayMetrics::default();
    m.requests.forget_tenant(TenantId("acme"));
    m.requests.forget_tenant_id("acme");
}
