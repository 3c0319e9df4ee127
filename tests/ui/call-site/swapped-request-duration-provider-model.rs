use aigateway_metrics::{GatewayMetrics, Model, Provider, TenantId};

fn main() {
    let m = GatewayMetrics::default();
    m.request_duration.observe(TenantId("acme"), Model("gpt-4o"), Provider("openai"), 1.5).unwrap();
}
