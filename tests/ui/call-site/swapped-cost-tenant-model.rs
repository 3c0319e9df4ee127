use aigateway_metrics::{GatewayMetrics, Model, Provider, TenantId};

fn main() {
    let m = GatewayMetrics::default();
    m.record_cost(Model("gpt-4o"), Provider("openai"), TenantId("acme"), 0.015).unwrap();
}
