use aigateway_metrics::{GatewayMetrics, Model, Provider, Status, TenantId};

fn main() {
    let m = GatewayMetrics::default();
    m.requests.inc(Provider("openai"), TenantId("acme"), Model("gpt-4o"), Status::Success);
}
