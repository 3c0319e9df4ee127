use aigateway_metrics::GatewayMetrics;

fn main() {
    let m = GatewayMetrics::default();
    m.record_cache_hit("acme");
}
