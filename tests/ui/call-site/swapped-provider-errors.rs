use aigateway_metrics::{GatewayMetrics, Provider, ProviderErrorType};

fn main() {
    let m = GatewayMetrics::default();
    m.provider_errors.inc(ProviderErrorType::Timeout, Provider("openai"));
}
