use aigateway_metrics::MetricGroup;

#[derive(MetricGroup)]
struct Metrics {
    requests: u64,
}

fn main() {}
