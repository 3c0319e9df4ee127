use aigateway_metrics::{GatewayMetrics, Model, TenantId};

fn main() {
    let m = GatewayMetrics::default();
    m.cache_hits.inc(TenantId("acme"), Model("gpt-4o"));
}
