use aigateway_metrics::{GatewayMetrics, Model, Provider, Status, TenantId};

fn main() {
    let m = GatewayMetrics::default();
    m.requests.inc(TenantId("acme"), Provider("openai"), Model("gpt-4o"), Status::Sucess);
}
