use aigateway_metrics::{GatewayMetrics, Provider};

fn main() {
    let m = GatewayMetrics::default();
    m.set_circuit_breaker_state(Provider("openai"), 2);
}
