use aigateway_metrics::{GatewayMetrics, Model, Provider, TenantId};

fn main() {
    let m = GatewayMetrics::default();
    m.record_tokens(TenantId("acme"), Provider("openai"), Model("gpt-4o"), 100.5, 50);
}
