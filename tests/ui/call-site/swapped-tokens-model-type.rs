use aigateway_metrics::{GatewayMetrics, Model, Provider, TenantId, TokenType};

fn main() {
    let m = GatewayMetrics::default();
    m.tokens.inc_by(TenantId("acme"), Provider("openai"), TokenType::Input, Model("gpt-4o"), 100);
}
