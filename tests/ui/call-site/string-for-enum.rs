use aigateway_metrics::{GatewayMetrics, Model, Provider, TenantId};

fn main() {
    let m = GatewayMetrics::default();
    m.requests.inc(TenantId("acme"), Provider("openai"), Model("gpt-4o"), "success");
}
